//! Organizations of linked accounts (O1–O7), external contacts (K1–K3, U12) and personal
//! contacts (K5–K7) in the simulator: the operations roster sends, what the other side
//! does (`roster sim approve-link`, `accept-contact`, …), and what a refresh sees.

use super::cloud::{
    Cloud, ContactRequest, SimAccount, SimLink, SimOrgInvitation, SimOrganization, SimStatus,
};
use super::engine::Actor;
use crate::model::Op;
use crate::model::{
    ContactState, Email, LinkState, ObservedOrganization, OrgMember, OrgObservation,
    PersonalContact, RoleName, Rule, StoredContact,
};
use crate::provider::ProviderError;
use std::collections::BTreeMap;

/// K5: at most this many personal contacts per import.
pub const MAX_PERSONAL_CONTACTS: usize = 1000;

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
    /// Executes an organization or contact operation on `account`.
    pub(super) fn apply_contact_op(
        &mut self,
        account: &str,
        actor: &Actor,
        op: &Op,
    ) -> Result<(String, String, Option<String>), ProviderError> {
        let now = self.clock;
        let ai = self.account_index(account).ok_or_else(|| {
            ProviderError::Config(format!("the simulator has no account {account}"))
        })?;
        match op {
            Op::CreateOrganization { name } => {
                check_admin(&self.accounts[ai], actor, Rule::O1)?;
                self.not_in_organization(account, |org| {
                    format!("Account {account} already belongs to organization {org}.")
                })?;
                self.organizations.push(SimOrganization {
                    name: name.clone(),
                    owner_account: account.to_string(),
                    linked: Vec::new(),
                    invitations: Vec::new(),
                    join_requests: Vec::new(),
                });
                Ok(("create_organization".into(), name.clone(), None))
            }
            Op::InviteAccount { email } => {
                check_admin(&self.accounts[ai], actor, Rule::O1)?;
                let oi = org_of(self, account).ok_or_else(|| {
                    refuse(
                        400,
                        Rule::O1,
                        format!("Account {account} is in no organization: create one first."),
                    )
                })?;
                let target = account_by_admin_email(self, email).ok_or_else(|| {
                    refuse(
                        404,
                        Rule::O5,
                        format!("{email} is neither the owner nor an admin of a Zoom account."),
                    )
                })?;
                self.not_in_organization(&target, |org| format!("The account of {email} already belongs to organization {org}: the invitation is rejected."))?;
                let org = &mut self.organizations[oi];
                if org.invitations.iter().any(|i| &i.email == email) {
                    return Err(refuse(
                        409,
                        Rule::O6,
                        format!("{email} is already invited."),
                    ));
                }
                let owner = org.owner_account == account;
                let state = if owner {
                    LinkState::Sent
                } else {
                    LinkState::AwaitingOwner
                };
                org.invitations.push(SimOrgInvitation {
                    email: email.clone(),
                    from_account: account.to_string(),
                    state,
                    sent_at: owner.then_some(now),
                });
                Ok((
                    "invite_account".into(),
                    email.to_string(),
                    Some(if owner {
                        "sent".into()
                    } else {
                        "waiting for the organization owner (O4)".into()
                    }),
                ))
            }
            Op::ResendAccountInvitation { email } => {
                let oi = self.owned_org(account, actor)?;
                let inv = self.organizations[oi]
                    .invitations
                    .iter_mut()
                    .find(|i| &i.email == email && i.state == LinkState::Sent)
                    .ok_or_else(|| {
                        refuse(404, Rule::O6, format!("No pending invitation for {email}."))
                    })?;
                inv.sent_at = Some(now);
                Ok(("resend_account_invitation".into(), email.to_string(), None))
            }
            Op::UnlinkAccount { email } => {
                let oi = self.owned_org(account, actor)?;
                let org = &mut self.organizations[oi];
                let before = org.linked.len() + org.invitations.len();
                org.linked.retain(|l| &l.via != email);
                org.invitations.retain(|i| &i.email != email);
                if org.linked.len() + org.invitations.len() == before {
                    return Err(refuse(
                        404,
                        Rule::O6,
                        format!("No account linked or invited as {email}."),
                    ));
                }
                Ok(("unlink_account".into(), email.to_string(), None))
            }
            Op::RequestLink { owner } => {
                check_admin(&self.accounts[ai], actor, Rule::O7)?;
                self.not_in_organization(account, |org| {
                    format!("Account {account} already belongs to organization {org}.")
                })?;
                let target = self
                    .organizations
                    .iter()
                    .position(|o| {
                        self.accounts
                            .iter()
                            .any(|a| a.id == o.owner_account && &a.owner == owner)
                    })
                    .ok_or_else(|| {
                        refuse(404, Rule::O7, format!("{owner} owns no organization."))
                    })?;
                let org = &mut self.organizations[target];
                if !org.join_requests.iter().any(|r| r == account) {
                    org.join_requests.push(account.to_string());
                }
                Ok(("request_link".into(), owner.to_string(), None))
            }
            Op::DeleteOrganization { name } => {
                let oi = org_of(self, account).ok_or_else(|| {
                    refuse(
                        404,
                        Rule::O3,
                        format!("Account {account} is in no organization."),
                    )
                })?;
                if self.organizations[oi].owner_account != account {
                    return Err(refuse(
                        403,
                        Rule::O3,
                        format!(
                            "Only the account that created organization {} can delete it.",
                            self.organizations[oi].name
                        ),
                    ));
                }
                check_admin(&self.accounts[ai], actor, Rule::O3)?;
                self.organizations.remove(oi);
                Ok(("delete_organization".into(), name.clone(), None))
            }
            Op::RequestExternalContact { user, contact } => {
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
                let has_zoom = self.individuals.iter().any(|i| &i.email == contact)
                    || self.accounts.iter().any(|x| {
                        x.users
                            .iter()
                            .any(|v| &v.email == contact && v.status != SimStatus::Pending)
                    });
                let state = self.accounts[ai].users[u]
                    .external_contacts
                    .get(contact)
                    .copied();
                if state == Some(ContactState::Accepted) {
                    return Err(refuse(
                        409,
                        Rule::K2,
                        format!("{contact} is already a contact of {user}."),
                    ));
                }
                self.accounts[ai].users[u]
                    .external_contacts
                    .insert(contact.clone(), ContactState::Requested);
                self.contact_requests
                    .retain(|r| !(&r.from == user && &r.to == contact));
                self.contact_requests.push(ContactRequest {
                    from: user.clone(),
                    to: contact.clone(),
                    sent_at: now,
                    zoom_invitation: !has_zoom,
                });
                Ok((
                    "request_external_contact".into(),
                    format!("{user}->{contact}"),
                    (!has_zoom)
                        .then(|| "no Zoom account: invited to join Zoom first (K2)".to_string()),
                ))
            }
            Op::RemoveExternalContact { user, contact } => {
                // U12: gone from the user's contacts and from every internal channel; the
                // 1:1 history stays; internal users may add the contact again.
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
                Ok((
                    "remove_external_contact".into(),
                    format!("{user}->{contact}"),
                    None,
                ))
            }
            Op::ReplacePersonalContacts {
                user,
                group,
                add,
                update,
                delete,
            } => {
                let a = &self.accounts[ai];
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
                let current = a
                    .personal_contacts
                    .get(user)
                    .and_then(|g| g.get(group))
                    .cloned()
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
                let mut ids = Vec::new();
                for _ in add {
                    ids.push(self.fresh_id("pc"));
                }
                let groups = self.accounts[ai]
                    .personal_contacts
                    .entry(user.clone())
                    .or_default();
                let list = groups.entry(group.clone()).or_default();
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
                Ok((
                    "replace_personal_contacts".into(),
                    format!("{user}/{group}"),
                    Some(format!(
                        "+{} ~{} -{}",
                        add.len(),
                        update.len(),
                        delete.len()
                    )),
                ))
            }
            other => Err(ProviderError::State(format!(
                "not an organization or contact operation: {other:?}"
            ))),
        }
    }

    /// O2: `account` must belong to no organization; `why` words the refusal with the
    /// organization's name.
    fn not_in_organization(
        &self,
        account: &str,
        why: impl Fn(&str) -> String,
    ) -> Result<(), ProviderError> {
        match org_of(self, account) {
            Some(oi) => Err(refuse(409, Rule::O2, why(&self.organizations[oi].name))),
            None => Ok(()),
        }
    }

    fn owned_org(&self, account: &str, actor: &Actor) -> Result<usize, ProviderError> {
        let oi = org_of(self, account).ok_or_else(|| {
            refuse(
                404,
                Rule::O6,
                format!("Account {account} is in no organization."),
            )
        })?;
        if self.organizations[oi].owner_account != account {
            return Err(refuse(
                403,
                Rule::O6,
                "Only the organization owner manages invitations and linked accounts.",
            ));
        }
        let ai = self.account_index(account).unwrap_or_default();
        check_admin(&self.accounts[ai], actor, Rule::O6)?;
        Ok(oi)
    }

    /// The invited owner or admin approves (O5): their account is linked. An invitation
    /// still waiting for the organization owner (O4) cannot be approved yet.
    pub fn approve_link(&mut self, email: &Email) -> Result<String, ProviderError> {
        let (oi, ii) = self.find_invitation(email)?;
        let inv = &self.organizations[oi].invitations[ii];
        if inv.state == LinkState::AwaitingOwner {
            return Err(refuse(
                409,
                Rule::O4,
                format!(
                    "The invitation to {email} waits for the organization owner's approval and was not sent yet."
                ),
            ));
        }
        let target = account_by_admin_email(self, email).ok_or_else(|| {
            refuse(
                404,
                Rule::O5,
                format!("{email} no longer administers an account."),
            )
        })?;
        self.not_in_organization(&target, |org| {
            format!("The account already belongs to organization {org}.")
        })?;
        let org = &mut self.organizations[oi];
        org.invitations.remove(ii);
        org.linked.push(SimLink {
            account: target.clone(),
            via: email.clone(),
        });
        let name = org.name.clone();
        self.record(&target, email.as_str(), "approve_link", &name, None);
        Ok(name)
    }

    /// The invited person declines: the invitation goes away.
    pub fn decline_link(&mut self, email: &Email) -> Result<String, ProviderError> {
        let (oi, ii) = self.find_invitation(email)?;
        self.organizations[oi].invitations.remove(ii);
        let name = self.organizations[oi].name.clone();
        self.record("", email.as_str(), "decline_link", &name, None);
        Ok(name)
    }

    /// The organization owner approves an invitation a linked account made (O4): it is sent.
    pub fn approve_invitation(&mut self, email: &Email) -> Result<String, ProviderError> {
        let now = self.clock;
        let (oi, ii) = self.find_invitation(email)?;
        let inv = &mut self.organizations[oi].invitations[ii];
        if inv.state != LinkState::AwaitingOwner {
            return Err(refuse(
                409,
                Rule::O4,
                format!("The invitation to {email} was already sent."),
            ));
        }
        inv.state = LinkState::Sent;
        inv.sent_at = Some(now);
        let owner = self.organizations[oi].owner_account.clone();
        self.record(&owner, "owner", "approve_invitation", email.as_str(), None);
        Ok(self.organizations[oi].name.clone())
    }

    /// The organization owner approves `account`'s request to join (O7).
    pub fn approve_join(&mut self, account: &str) -> Result<String, ProviderError> {
        let oi = self
            .organizations
            .iter()
            .position(|o| o.join_requests.iter().any(|r| r == account))
            .ok_or_else(|| {
                refuse(
                    404,
                    Rule::O7,
                    format!("No pending join request from account {account}."),
                )
            })?;
        self.not_in_organization(account, |org| {
            format!("Account {account} already belongs to organization {org}.")
        })?;
        let owner = self
            .accounts
            .iter()
            .find(|a| a.id == account)
            .map(|a| a.owner.clone())
            .ok_or_else(|| ProviderError::Config(format!("no account {account}")))?;
        let org = &mut self.organizations[oi];
        org.join_requests.retain(|r| r != account);
        org.linked.push(SimLink {
            account: account.to_string(),
            via: owner,
        });
        let name = org.name.clone();
        self.record(account, "owner", "approve_join", &name, None);
        Ok(name)
    }

    fn find_invitation(&self, email: &Email) -> Result<(usize, usize), ProviderError> {
        self.organizations
            .iter()
            .enumerate()
            .find_map(|(oi, o)| {
                o.invitations
                    .iter()
                    .position(|i| &i.email == email)
                    .map(|ii| (oi, ii))
            })
            .ok_or_else(|| {
                refuse(
                    404,
                    Rule::O5,
                    format!("No organization invitation for {email}."),
                )
            })
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
        let has_zoom = self.individuals.iter().any(|i| &i.email == to)
            || self.accounts.iter().any(|a| {
                a.users
                    .iter()
                    .any(|u| &u.email == to && u.status != SimStatus::Pending)
            });
        if accept && !has_zoom {
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
        self.record(
            &account,
            to.as_str(),
            if accept {
                "accept_contact"
            } else {
                "decline_contact"
            },
            from.as_str(),
            None,
        );
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
        let actor = Actor {
            email: user.clone(),
            out_of_band: true,
        };
        let (action, target, detail) = self.apply_contact_op(
            &account,
            &actor,
            &Op::RequestExternalContact {
                user: user.clone(),
                contact: contact.clone(),
            },
        )?;
        self.record(&account, user.as_str(), &action, &target, detail);
        Ok(())
    }

    /// An account's admin asks to join the organization owned by `owner` (O7), out of band.
    pub fn request_join_as_admin(
        &mut self,
        account: &str,
        owner: &Email,
    ) -> Result<(), ProviderError> {
        let ai = self
            .account_index(account)
            .ok_or_else(|| ProviderError::Config(format!("no account {account}")))?;
        let actor = Actor {
            email: self.accounts[ai].owner.clone(),
            out_of_band: true,
        };
        let (action, target, detail) = self.apply_contact_op(
            account,
            &actor,
            &Op::RequestLink {
                owner: owner.clone(),
            },
        )?;
        self.record(account, actor.email.as_str(), &action, &target, detail);
        Ok(())
    }

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
        self.record(
            account,
            "user",
            "channel",
            name,
            Some(
                members
                    .iter()
                    .map(|m| m.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        );
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
