//! External contacts (K1–K3, U12): a request from an internal user, the receiver's answer
//! (`roster sim accept-contact`, `decline-contact`), and removal.

use super::{Done, refuse};
use crate::model::{ContactState, Email, ObjectRef, Rule};
use crate::provider::ProviderError;
use crate::provider::sim::cloud::{Cloud, ContactRequest, SimStatus};
use crate::provider::sim::engine::Actor;

impl Cloud {
    /// Whether `email` has a Zoom user (an individual, or a non-pending user of any account).
    fn has_zoom(&self, email: &Email) -> bool {
        self.individuals.iter().any(|i| &i.email == email)
            || self.accounts.iter().any(|a| {
                a.users
                    .iter()
                    .any(|u| &u.email == email && u.status != SimStatus::Pending)
            })
    }

    /// K2: an active user asks `contact` to become a contact; someone with no Zoom
    /// account is invited to join Zoom first. K1: users of the account are in the
    /// directory already.
    pub(in crate::provider::sim) fn request_external_contact(
        &mut self,
        ai: usize,
        user: &Email,
        contact: &Email,
    ) -> Result<Done, ProviderError> {
        let a = &self.accounts[ai];
        let u = a
            .users
            .iter()
            .position(|u| &u.email == user && u.status == SimStatus::Active)
            .ok_or_else(|| {
                ProviderError::api(
                    404,
                    1001,
                    format!("User does not exist or is not active: {user}."),
                )
            })?;
        if a.users.iter().any(|x| &x.email == contact) {
            return Err(refuse(
                400,
                Rule::K1,
                format!("{contact} is a user of this account: already in the directory."),
            ));
        }
        if a.users[u].external_contacts.get(contact) == Some(&ContactState::Accepted) {
            return Err(refuse(
                409,
                Rule::K2,
                format!("{contact} is already a contact of {user}."),
            ));
        }
        let has_zoom = self.has_zoom(contact);
        self.accounts[ai].users[u]
            .external_contacts
            .insert(contact.clone(), ContactState::Requested);
        self.contact_requests
            .retain(|r| !(&r.from == user && &r.to == contact));
        self.contact_requests.push(ContactRequest {
            from: user.clone(),
            to: contact.clone(),
            sent_at: self.clock,
            zoom_invitation: !has_zoom,
        });
        Ok(Done {
            detail: (!has_zoom)
                .then(|| "no Zoom account: invited to join Zoom first (K2)".to_string()),
            ..Done::new(
                "request_external_contact",
                ObjectRef::ExternalContact {
                    user: user.clone(),
                    contact: contact.clone(),
                },
            )
        })
    }

    /// U12: the contact leaves the user's contacts and every internal channel; the 1:1
    /// history stays; internal users may add the contact again.
    pub(in crate::provider::sim) fn remove_external_contact(
        &mut self,
        ai: usize,
        user: &Email,
        contact: &Email,
    ) -> Result<Done, ProviderError> {
        let a = &mut self.accounts[ai];
        let u = a
            .users
            .iter()
            .position(|u| &u.email == user)
            .ok_or_else(|| {
                ProviderError::api(404, 1001, format!("User does not exist: {user}."))
            })?;
        if a.users[u].external_contacts.remove(contact).is_none() {
            return Err(refuse(
                404,
                Rule::U12,
                format!("{contact} is not an external contact of {user}."),
            ));
        }
        a.users[u].chat_history.insert(contact.clone());
        for ch in &mut a.channels {
            ch.members.remove(contact);
        }
        self.contact_requests
            .retain(|r| !(&r.from == user && &r.to == contact));
        Ok(Done::new(
            "remove_external_contact",
            ObjectRef::ExternalContact {
                user: user.clone(),
                contact: contact.clone(),
            },
        ))
    }

    /// The receiver answers a contact request (K3). Someone invited to join Zoom must sign
    /// up first (K2).
    pub fn answer_contact(
        &mut self,
        to: &Email,
        from: &Email,
        accept: bool,
    ) -> Result<(), ProviderError> {
        let ri = self
            .contact_requests
            .iter()
            .position(|r| &r.to == to && &r.from == from)
            .ok_or_else(|| {
                refuse(
                    404,
                    Rule::K3,
                    format!("No contact request from {from} to {to}."),
                )
            })?;
        if accept && !self.has_zoom(to) {
            return Err(refuse(
                409,
                Rule::K2,
                format!(
                    "{to} has no Zoom account yet: they must sign up (roster sim add-individual) before confirming."
                ),
            ));
        }
        self.contact_requests.remove(ri);
        let (ai, ui) = self
            .locate(from)
            .ok_or_else(|| ProviderError::Config(format!("{from} is not a user")))?;
        let account = self.accounts[ai].id.clone();
        let u = &mut self.accounts[ai].users[ui];
        if accept {
            u.external_contacts
                .insert(to.clone(), ContactState::Accepted);
        } else {
            u.external_contacts.remove(to);
        }
        let action = if accept {
            "accept_contact"
        } else {
            "decline_contact"
        };
        let target = ObjectRef::ExternalContact {
            user: from.clone(),
            contact: to.clone(),
        };
        self.record(&account, to.as_str(), action, Some(target), None);
        Ok(())
    }

    /// An internal user adds an external contact themselves (a request, K2).
    pub fn add_contact_as_user(
        &mut self,
        user: &Email,
        contact: &Email,
    ) -> Result<(), ProviderError> {
        let (ai, _) = self
            .locate(user)
            .ok_or_else(|| ProviderError::Config(format!("{user} is not a user")))?;
        let account = self.accounts[ai].id.clone();
        let done = self.request_external_contact(ai, user, contact)?;
        let actor = Actor {
            email: user.clone(),
            out_of_band: true,
        };
        self.record(
            &account,
            actor.email.as_str(),
            done.action,
            Some(done.target),
            done.detail,
        );
        Ok(())
    }
}
