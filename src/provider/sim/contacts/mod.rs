//! Organizations of linked accounts (O1–O7), external contacts (K1–K3, U12) and personal
//! contacts (K5–K7) in the simulator: the operations roster sends, what the other side
//! does (`roster sim approve-link`, `accept-contact`, …), and what a refresh sees.
//!
//! This module holds the shared checks, the directory and what a refresh sees;
//! `organization` has the organization operations and the other side's answers,
//! `external` external contacts, `personal` personal contact groups.

pub mod calendly;
mod external;
pub mod integration;
mod organization;
mod personal;
pub mod sync_side;

use super::cloud::{Cloud, SimAccount, SimStatus};
use super::engine::{Actor, Done};
use crate::model::{
    ContactState, Email, LinkState, ObservedOrganization, OrgMember, OrgObservation,
    PersonalContact, RoleName, Rule, StoredContact,
};
use crate::provider::ProviderError;
use std::collections::BTreeMap;

/// K5: at most this many personal contacts per import.
pub const MAX_PERSONAL_CONTACTS: usize = 1000;

/// A refusal (code 300) citing the rule it enforces.
fn refuse(status: u16, rule: Rule, message: impl Into<String>) -> ProviderError {
    ProviderError::Api {
        status,
        code: 300,
        message: message.into(),
        rule: Some(rule),
    }
}

/// The organization `account` belongs to (as owner or linked), by index.
pub fn org_of(cloud: &Cloud, account: &str) -> Option<usize> {
    cloud
        .organizations
        .iter()
        .position(|o| o.owner_account == account || o.linked.iter().any(|l| l.account == account))
}

/// The account whose owner, or one of whose admins, has `email` (O5).
fn account_by_admin_email(cloud: &Cloud, email: &Email) -> Option<String> {
    cloud
        .accounts
        .iter()
        .find(|a| {
            &a.owner == email
                || a.users.iter().any(|u| {
                    &u.email == email && u.role == RoleName::Admin && u.status == SimStatus::Active
                })
        })
        .map(|a| a.id.clone())
}

/// O1, O3, O6, O7: organization operations need the owner or an active admin.
fn check_admin(a: &SimAccount, actor: &Actor, rule: Rule) -> Result<(), ProviderError> {
    if actor.out_of_band {
        return Ok(());
    }
    let ok = a
        .users
        .iter()
        .any(|u| u.email == actor.email && u.is_admin_level() && u.status == SimStatus::Active);
    if ok {
        Ok(())
    } else {
        Err(refuse(
            403,
            rule,
            format!(
                "{} is neither the owner nor an admin with the chat-settings privilege of {}.",
                actor.email, a.id
            ),
        ))
    }
}

impl Cloud {
    /// Creates a channel (or adds members to it) in `account`.
    pub fn channel(
        &mut self,
        account: &str,
        name: &str,
        members: &[Email],
    ) -> Result<(), ProviderError> {
        let ai = self
            .account_index(account)
            .ok_or_else(|| ProviderError::Config(format!("no account {account}")))?;
        let a = &mut self.accounts[ai];
        match a.channels.iter_mut().find(|c| c.name == name) {
            Some(c) => c.members.extend(members.iter().cloned()),
            None => a.channels.push(super::cloud::SimChannel {
                name: name.to_string(),
                members: members.iter().cloned().collect(),
            }),
        }
        // A channel is not an object roster manages: its name goes in the detail.
        let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        let detail = format!("{name}: {}", members.join(","));
        self.record(account, "user", "channel", None, Some(detail));
        Ok(())
    }

    /// K1: the users `email` finds in the directory (same account and same organization).
    pub fn directory(&self, email: &Email) -> Result<Vec<Email>, ProviderError> {
        let (ai, _) = self
            .locate(email)
            .ok_or_else(|| ProviderError::Config(format!("{email} is not a user")))?;
        let me = &self.accounts[ai].id;
        let mut accounts = vec![me.clone()];
        if let Some(oi) = org_of(self, me) {
            let o = &self.organizations[oi];
            accounts.push(o.owner_account.clone());
            accounts.extend(o.linked.iter().map(|l| l.account.clone()));
        }
        let mut out: Vec<Email> = self
            .accounts
            .iter()
            .filter(|a| accounts.contains(&a.id))
            .flat_map(|a| {
                a.users
                    .iter()
                    .filter(|u| u.status == SimStatus::Active)
                    .map(|u| u.email.clone())
            })
            .filter(|e| e != email)
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// K5: name required, phones in E.164.
pub fn validate_contact(c: &PersonalContact) -> Result<(), ProviderError> {
    if c.name.trim().is_empty() {
        return Err(refuse(400, Rule::K5, "A personal contact needs a name."));
    }
    for p in [&c.office, &c.home, &c.mobile, &c.fax, &c.phone]
        .into_iter()
        .flatten()
    {
        if !crate::model::is_e164(p) {
            return Err(refuse(
                400,
                Rule::K5,
                format!("{p} is not an E.164 phone number (+, country code, number)."),
            ));
        }
    }
    Ok(())
}

/// What a refresh sees of organizations.
pub fn observe_organization(cloud: &Cloud, a: &SimAccount) -> OrgObservation {
    let mut obs = OrgObservation {
        known: true,
        ..OrgObservation::default()
    };
    if let Some(oi) = org_of(cloud, &a.id) {
        let o = &cloud.organizations[oi];
        let owner_email = cloud
            .accounts
            .iter()
            .find(|x| x.id == o.owner_account)
            .map(|x| x.owner.clone())
            .unwrap_or_else(|| a.owner.clone());
        let mut members = BTreeMap::new();
        for l in &o.linked {
            members.insert(
                l.via.clone(),
                OrgMember {
                    state: LinkState::Linked,
                    sent_at: None,
                },
            );
        }
        for i in &o.invitations {
            members.insert(
                i.email.clone(),
                OrgMember {
                    state: i.state,
                    sent_at: i.sent_at,
                },
            );
        }
        obs.organization = Some(ObservedOrganization {
            name: o.name.clone(),
            owned: o.owner_account == a.id,
            owner_email,
            members,
        });
    }
    obs.join_request = cloud
        .organizations
        .iter()
        .find(|o| o.join_requests.contains(&a.id))
        .and_then(|o| cloud.accounts.iter().find(|x| x.id == o.owner_account))
        .map(|x| x.owner.clone());
    for other in cloud.accounts.iter().filter(|x| x.id != a.id) {
        if let Some(oi) = org_of(cloud, &other.id) {
            let name = cloud.organizations[oi].name.clone();
            for u in other.users.iter().filter(|u| u.is_admin_level()) {
                obs.elsewhere.insert(u.email.clone(), name.clone());
            }
        }
    }
    obs
}

/// External contacts of every active user.
pub fn observe_external(a: &SimAccount) -> BTreeMap<Email, BTreeMap<Email, ContactState>> {
    a.users
        .iter()
        .filter(|u| !u.external_contacts.is_empty())
        .map(|u| (u.email.clone(), u.external_contacts.clone()))
        .collect()
}

/// Personal contacts of every user.
pub fn observe_personal(a: &SimAccount) -> BTreeMap<Email, BTreeMap<String, Vec<StoredContact>>> {
    a.personal_contacts.clone()
}
