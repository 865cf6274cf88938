//! Organizations of linked accounts (O1–O7): what roster sends (create, invite, resend,
//! unlink, request to join, delete) and what the other side answers (`roster sim
//! approve-link`, `decline-link`, `approve-invitation`, `approve-join`).

use super::{Done, account_by_admin_email, check_admin, org_of, refuse};
use crate::model::{Email, LinkState, ObjectRef, Rule};
use crate::provider::ProviderError;
use crate::provider::sim::cloud::{Cloud, SimLink, SimOrgInvitation, SimOrganization};
use crate::provider::sim::engine::Actor;

impl Cloud {
    /// O1: an account in no organization creates one and owns it (O3).
    pub(in crate::provider::sim) fn create_organization(
        &mut self,
        ai: usize,
        actor: &Actor,
        name: &str,
    ) -> Result<Done, ProviderError> {
        let account = self.accounts[ai].id.clone();
        check_admin(&self.accounts[ai], actor, Rule::O1)?;
        self.not_in_organization(&account, |org| {
            format!("Account {account} already belongs to organization {org}.")
        })?;
        self.organizations.push(SimOrganization {
            name: name.to_string(),
            owner_account: account.clone(),
            linked: Vec::new(),
            invitations: Vec::new(),
            join_requests: Vec::new(),
        });
        Ok(Done::new(
            "create_organization",
            ObjectRef::Organization(name.to_string()),
        ))
    }

    /// O5: invites the account `email` owns or administers; from a linked account the
    /// invitation waits for the organization owner (O4); O2: never an account already in
    /// an organization; O6: never twice.
    pub(in crate::provider::sim) fn invite_account(
        &mut self,
        ai: usize,
        actor: &Actor,
        email: &Email,
    ) -> Result<Done, ProviderError> {
        let account = self.accounts[ai].id.clone();
        check_admin(&self.accounts[ai], actor, Rule::O1)?;
        let oi = org_of(self, &account).ok_or_else(|| {
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
        let now = self.clock;
        let org = &mut self.organizations[oi];
        if org.invitations.iter().any(|i| &i.email == email) {
            return Err(refuse(
                409,
                Rule::O6,
                format!("{email} is already invited."),
            ));
        }
        let owner = org.owner_account == account;
        let member = ObjectRef::OrgMember {
            organization: org.name.clone(),
            email: email.clone(),
        };
        org.invitations.push(SimOrgInvitation {
            email: email.clone(),
            from_account: account,
            state: if owner {
                LinkState::Sent
            } else {
                LinkState::AwaitingOwner
            },
            sent_at: owner.then_some(now),
        });
        let detail = if owner {
            "sent"
        } else {
            "waiting for the organization owner (O4)"
        };
        Ok(Done::new("invite_account", member).detail(detail))
    }

    /// O6: the owner sends a pending invitation again.
    pub(in crate::provider::sim) fn resend_account_invitation(
        &mut self,
        ai: usize,
        actor: &Actor,
        email: &Email,
    ) -> Result<Done, ProviderError> {
        let now = self.clock;
        let oi = self.owned_org(ai, actor)?;
        let inv = self.organizations[oi]
            .invitations
            .iter_mut()
            .find(|i| &i.email == email && i.state == LinkState::Sent)
            .ok_or_else(|| refuse(404, Rule::O6, format!("No pending invitation for {email}.")))?;
        inv.sent_at = Some(now);
        Ok(Done::new(
            "resend_account_invitation",
            self.member(oi, email),
        ))
    }

    /// O6: the owner unlinks an account, or withdraws its invitation.
    pub(in crate::provider::sim) fn unlink_account(
        &mut self,
        ai: usize,
        actor: &Actor,
        email: &Email,
    ) -> Result<Done, ProviderError> {
        let oi = self.owned_org(ai, actor)?;
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
        Ok(Done::new("unlink_account", self.member(oi, email)))
    }

    /// O7: an account in no organization asks to join the one `owner` owns.
    pub(in crate::provider::sim) fn request_link(
        &mut self,
        ai: usize,
        actor: &Actor,
        owner: &Email,
    ) -> Result<Done, ProviderError> {
        let account = self.accounts[ai].id.clone();
        check_admin(&self.accounts[ai], actor, Rule::O7)?;
        self.not_in_organization(&account, |org| {
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
            .ok_or_else(|| refuse(404, Rule::O7, format!("{owner} owns no organization.")))?;
        let org = &mut self.organizations[target];
        if !org.join_requests.contains(&account) {
            org.join_requests.push(account);
        }
        Ok(Done::new(
            "request_link",
            ObjectRef::Organization(owner.to_string()),
        ))
    }

    /// O3: only the account that created the organization deletes it.
    pub(in crate::provider::sim) fn delete_organization(
        &mut self,
        ai: usize,
        actor: &Actor,
        name: &str,
    ) -> Result<Done, ProviderError> {
        let account = &self.accounts[ai].id;
        let oi = org_of(self, account).ok_or_else(|| {
            refuse(
                404,
                Rule::O3,
                format!("Account {account} is in no organization."),
            )
        })?;
        if &self.organizations[oi].owner_account != account {
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
        Ok(Done::new(
            "delete_organization",
            ObjectRef::Organization(name.to_string()),
        ))
    }

    /// The key of `email`'s membership of organization `oi`.
    fn member(&self, oi: usize, email: &Email) -> ObjectRef {
        ObjectRef::OrgMember {
            organization: self.organizations[oi].name.clone(),
            email: email.clone(),
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

    /// O6: the organization the account at `ai` owns, managed by one of its admins.
    fn owned_org(&self, ai: usize, actor: &Actor) -> Result<usize, ProviderError> {
        let account = &self.accounts[ai].id;
        let oi = org_of(self, account).ok_or_else(|| {
            refuse(
                404,
                Rule::O6,
                format!("Account {account} is in no organization."),
            )
        })?;
        if &self.organizations[oi].owner_account != account {
            return Err(refuse(
                403,
                Rule::O6,
                "Only the organization owner manages invitations and linked accounts.",
            ));
        }
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
        self.record(
            &target,
            email.as_str(),
            "approve_link",
            Some(ObjectRef::Organization(name.clone())),
            None,
        );
        Ok(name)
    }

    /// The invited person declines: the invitation goes away.
    pub fn decline_link(&mut self, email: &Email) -> Result<String, ProviderError> {
        let (oi, ii) = self.find_invitation(email)?;
        self.organizations[oi].invitations.remove(ii);
        let name = self.organizations[oi].name.clone();
        self.record(
            "",
            email.as_str(),
            "decline_link",
            Some(ObjectRef::Organization(name.clone())),
            None,
        );
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
        let member = self.member(oi, email);
        self.record(&owner, "owner", "approve_invitation", Some(member), None);
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
        self.record(
            account,
            "owner",
            "approve_join",
            Some(ObjectRef::Organization(name.clone())),
            None,
        );
        Ok(name)
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
        let done = self.request_link(ai, &actor, owner)?;
        self.record(
            account,
            actor.email.as_str(),
            done.action,
            Some(done.target),
            done.detail,
        );
        Ok(())
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
}
