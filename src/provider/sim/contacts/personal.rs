//! Personal contact groups (K5–K7): one call replaces a group's contacts by adding,
//! updating and deleting, all checked before anything changes.

use super::{Done, MAX_PERSONAL_CONTACTS, refuse, validate_contact};
use crate::model::{Email, ObjectRef, PersonalContact, Rule, StoredContact};
use crate::provider::ProviderError;
use crate::provider::sim::cloud::{Cloud, SimAccount, SimStatus};

impl Cloud {
    /// K5–K7: adds, updates and deletes contacts of `user`'s group `group`.
    pub(in crate::provider::sim) fn replace_personal_contacts(
        &mut self,
        ai: usize,
        user: &Email,
        group: &str,
        add: &[PersonalContact],
        update: &[StoredContact],
        delete: &[String],
    ) -> Result<Done, ProviderError> {
        check_replacement(&self.accounts[ai], user, group, add, update, delete)?;
        let ids: Vec<String> = add.iter().map(|_| self.fresh_id("pc")).collect();
        let list = self.accounts[ai]
            .personal_contacts
            .entry(user.clone())
            .or_default()
            .entry(group.to_string())
            .or_default();
        list.retain(|c| !delete.contains(&c.id));
        for s in update {
            if let Some(c) = list.iter_mut().find(|c| c.id == s.id) {
                c.contact = s.contact.clone();
            }
        }
        for (id, c) in ids.into_iter().zip(add) {
            list.push(StoredContact {
                id,
                contact: c.clone(),
            });
        }
        Ok(Done::new(
            "replace_personal_contacts",
            ObjectRef::PersonalContacts {
                user: user.clone(),
                group: group.to_string(),
            },
        )
        .detail(format!(
            "+{} ~{} -{}",
            add.len(),
            update.len(),
            delete.len()
        )))
    }
}

impl Cloud {
    /// K5, K6 by hand: the group holds exactly `contacts` (what a person does in the app
    /// when the provider cannot list the group; the simulator does it itself).
    pub(in crate::provider::sim) fn set_personal_contacts(
        &mut self,
        ai: usize,
        user: &Email,
        group: &str,
        contacts: &[PersonalContact],
    ) -> Result<Done, ProviderError> {
        let current: Vec<String> = self.accounts[ai]
            .personal_contacts
            .get(user)
            .and_then(|g| g.get(group))
            .map(|l| l.iter().map(|c| c.id.clone()).collect())
            .unwrap_or_default();
        self.replace_personal_contacts(ai, user, group, contacts, &[], &current)
    }
}

/// K5: enabled on the account, an active user, at most [`MAX_PERSONAL_CONTACTS`], valid
/// contacts; K7: updated and deleted contacts exist.
fn check_replacement(
    a: &SimAccount,
    user: &Email,
    group: &str,
    add: &[PersonalContact],
    update: &[StoredContact],
    delete: &[String],
) -> Result<(), ProviderError> {
    if !a.personal_contacts_enabled {
        return Err(refuse(
            403,
            Rule::K5,
            "Personal contacts are disabled on this account.",
        ));
    }
    if !a
        .users
        .iter()
        .any(|u| &u.email == user && u.status == SimStatus::Active)
    {
        return Err(ProviderError::api(
            404,
            1001,
            format!("User does not exist or is not active: {user}."),
        ));
    }
    let current: &[StoredContact] = a
        .personal_contacts
        .get(user)
        .and_then(|g| g.get(group))
        .map(Vec::as_slice)
        .unwrap_or_default();
    let size = current.len() + add.len() - delete.len().min(current.len() + add.len());
    if size > MAX_PERSONAL_CONTACTS {
        return Err(refuse(
            400,
            Rule::K5,
            format!("A contact group holds at most {MAX_PERSONAL_CONTACTS} contacts."),
        ));
    }
    for c in add.iter().chain(update.iter().map(|s| &s.contact)) {
        validate_contact(c)?;
    }
    for id in delete.iter().chain(update.iter().map(|s| &s.id)) {
        if !current.iter().any(|c| &c.id == id) {
            return Err(refuse(
                404,
                Rule::K7,
                format!("Personal contact {id} does not exist."),
            ));
        }
    }
    Ok(())
}
