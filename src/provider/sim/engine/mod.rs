//! The account rules the simulator enforces, answering with Zoom's error codes
//! (spec/zoom-api.md). Every public method is one thing a person or roster can do; each
//! either changes the cloud and logs it, or changes nothing and returns the error.
//!
//! This module holds the dispatch of roster's operations and the checks they share
//! (privileges, seats, user states); `users` has the user lifecycle (create, invite,
//! accept, deactivate, remove), `edits` the edits of a user (profile, type, role, add-ons,
//! group memberships), `containers` groups, chat groups and roles.

mod containers;
mod edits;
mod users;

use super::cloud::{Cloud, LogEntry, SimAccount, SimStatus, SimUser};
use crate::model::{Addon, Email, RoleName, Rule, UserType};
use crate::model::{ObjectRef, Op};
use crate::provider::ProviderError;

/// U8: invitations expire this many days after they were sent.
pub const INVITATION_DAYS: i64 = 30;

/// U11: at most this many custom attributes per account.
pub const MAX_CUSTOM_ATTRIBUTES: usize = 5;

/// A refusal citing the rule it enforces.
pub(super) fn refuse(
    status: u16,
    code: i64,
    rule: Rule,
    message: impl Into<String>,
) -> ProviderError {
    ProviderError::Api {
        status,
        code,
        message: message.into(),
        rule: Some(rule),
    }
}

fn not_found(email: &Email) -> ProviderError {
    ProviderError::api(404, 1001, format!("User does not exist: {email}."))
}

/// Who acts on an account and how: roster through the API, or a person out of band.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Email of the acting user.
    pub email: Email,
    /// `true` for out-of-band edits made in the portal (privilege checks skipped).
    pub out_of_band: bool,
}

/// What one operation did, as the log records it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Done {
    /// The log's action (`create_user`, `invite_user`, …).
    pub action: &'static str,
    /// On what.
    pub target: ObjectRef,
    /// Details (fields changed, new values).
    pub detail: Option<String>,
}

impl Done {
    pub(super) fn new(action: &'static str, target: ObjectRef) -> Done {
        Done {
            action,
            target,
            detail: None,
        }
    }

    pub(super) fn detail(mut self, detail: impl Into<String>) -> Done {
        self.detail = Some(detail.into());
        self
    }
}

impl SimAccount {
    fn user(&self, email: &Email) -> Option<&SimUser> {
        self.users.iter().find(|u| &u.email == email)
    }

    fn user_index(&self, email: &Email) -> Result<usize, ProviderError> {
        self.users
            .iter()
            .position(|u| &u.email == email)
            .ok_or_else(|| not_found(email))
    }

    /// Licensed seats in use: active and pending licensed users (pending invitations count
    /// against the caps; deactivated users hold no licence).
    pub fn licensed_in_use(&self, except: Option<&Email>) -> u32 {
        self.users
            .iter()
            .filter(|u| Some(&u.email) != except)
            .filter(|u| u.status != SimStatus::Inactive && u.user_type == UserType::Licensed)
            .count() as u32
    }

    fn addon_in_use(&self, addon: Addon, except: Option<&Email>) -> u32 {
        self.users
            .iter()
            .filter(|u| Some(&u.email) != except)
            .filter(|u| u.status == SimStatus::Active && u.addons.contains(&addon))
            .count() as u32
    }

    /// U2: on-prem needs the meeting connector; licensed needs a free seat.
    fn check_type(&self, email: &Email, to: UserType) -> Result<(), ProviderError> {
        match to {
            UserType::Basic => Ok(()),
            UserType::OnPrem if !self.on_prem => Err(refuse(
                400,
                300,
                Rule::U2,
                "Invalid field: type. On-prem users need the meeting connector enabled on the account.",
            )),
            UserType::OnPrem => Ok(()),
            UserType::Licensed => match self.seats.licensed {
                Some(cap) if self.licensed_in_use(Some(email)) >= cap => Err(refuse(
                    400,
                    2034,
                    Rule::U2,
                    format!(
                        "Your request was not accepted because you don't have enough licenses of this type: {cap} licensed seats are all in use (pending users count)."
                    ),
                )),
                _ => Ok(()),
            },
        }
    }

    /// U3: an add-on needs a free seat of its kind.
    fn check_addon(&self, email: &Email, addon: Addon) -> Result<(), ProviderError> {
        let cap = match addon {
            Addon::LargeMeeting => self.seats.large_meeting,
            Addon::Webinar => self.seats.webinar,
        };
        match cap {
            Some(cap) if self.addon_in_use(addon, Some(email)) >= cap => Err(refuse(
                400,
                2034,
                Rule::U3,
                format!(
                    "Your request was not accepted because you don't have enough {} licenses: {cap} bought, all assigned.",
                    addon.as_str()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// U1 and U7: may `actor` manage users, and change admin roles?
    fn privileges(&self, actor: &Actor) -> Result<(bool, bool), ProviderError> {
        if actor.out_of_band {
            return Ok((true, true));
        }
        if !self.plan.is_paid() {
            return Err(refuse(
                400,
                200,
                Rule::U1,
                "Only paid accounts can manage users. Upgrade the account (free with a credit card, Pro, Business, …).",
            ));
        }
        let Some(u) = self
            .user(&actor.email)
            .filter(|u| u.status == SimStatus::Active)
        else {
            return Err(refuse(
                400,
                200,
                Rule::U1,
                format!(
                    "{} is not an active user of account {}.",
                    actor.email, self.id
                ),
            ));
        };
        let custom = match &u.role {
            RoleName::Owner => return Ok((true, true)),
            RoleName::Admin => return Ok((true, false)),
            RoleName::Member => None,
            RoleName::Custom(name) => self.roles.iter().find(|r| &r.name == name),
        };
        match custom {
            // Privileges compare without case: Zoom writes `User:Read`, manifests `user:read`.
            Some(r)
                if r.privileges
                    .iter()
                    .any(|p| p.to_ascii_lowercase().starts_with("user:")) =>
            {
                Ok((true, crate::model::grants(&r.privileges, "role:edit")))
            }
            _ => Err(refuse(
                400,
                200,
                Rule::U1,
                format!(
                    "{} holds role {} and has no user management privilege.",
                    actor.email,
                    u.role.as_str()
                ),
            )),
        }
    }

    /// The index of an active user: pending users hold no `what` yet (U8), deactivated
    /// users cannot be edited (U13).
    fn active_index(&self, email: &Email, what: &str) -> Result<usize, ProviderError> {
        let i = self.user_index(email)?;
        match self.users[i].status {
            SimStatus::Active => Ok(i),
            SimStatus::Pending => Err(refuse(
                400,
                300,
                Rule::U8,
                format!(
                    "{email} has not accepted the invitation yet: a pending user cannot hold {what}."
                ),
            )),
            SimStatus::Inactive => Err(refuse(
                400,
                300,
                Rule::U13,
                format!("{email} is deactivated: it cannot be edited ({what})."),
            )),
        }
    }

    /// The index of a user that is not deactivated (U13: a deactivated user cannot be
    /// edited; a pending user's profile and type can).
    fn editable_index(&self, email: &Email) -> Result<usize, ProviderError> {
        let i = self.user_index(email)?;
        if self.users[i].status == SimStatus::Inactive {
            return Err(refuse(
                400,
                300,
                Rule::U13,
                format!("{email} is deactivated: it cannot be edited."),
            ));
        }
        Ok(i)
    }
}

impl Cloud {
    /// Appends to the log.
    pub fn record(
        &mut self,
        account: &str,
        actor: &str,
        action: &str,
        target: Option<ObjectRef>,
        detail: Option<String>,
    ) {
        self.log.push(LogEntry {
            at: self.clock,
            account: account.to_string(),
            actor: actor.to_string(),
            action: action.to_string(),
            target,
            detail,
        });
    }

    /// Whether `email` has a Zoom user outside `account` (U5), and whether it is licensed.
    pub fn existing_elsewhere(&self, account: &str, email: &Email) -> Option<bool> {
        if let Some(i) = self.individuals.iter().find(|i| &i.email == email) {
            return Some(i.user_type == UserType::Licensed);
        }
        self.accounts
            .iter()
            .filter(|a| a.id != account)
            .flat_map(|a| a.users.iter())
            .find(|u| &u.email == email && u.status != SimStatus::Pending)
            .map(|u| u.user_type == UserType::Licensed)
    }

    /// Executes one roster operation on `account` as `actor`.
    pub fn execute(&mut self, account: &str, actor: &Actor, op: &Op) -> Result<(), ProviderError> {
        self.expire_invitations();
        let done = self.apply_op(account, actor, op)?;
        self.record(
            account,
            actor.email.as_str(),
            done.action,
            Some(done.target),
            done.detail,
        );
        // C2, C7: whatever changed, a connection whose Zoom user is no longer an admin breaks.
        if let Some(ai) = self.account_index(account) {
            self.check_calendly(ai);
        }
        Ok(())
    }

    /// Checks the actor's privileges (U1), then runs the operation: one function per
    /// operation, every variant named.
    fn apply_op(&mut self, account: &str, actor: &Actor, op: &Op) -> Result<Done, ProviderError> {
        let ai = self.account_index(account).ok_or_else(|| {
            ProviderError::Config(format!("the simulator has no account {account}"))
        })?;
        let (can_manage, can_edit_admins) = self.accounts[ai].privileges(actor)?;
        debug_assert!(can_manage);
        match op {
            Op::CreateUser {
                email,
                user_type,
                first_name,
                last_name,
            } => self.create_user(ai, email, *user_type, first_name, last_name),
            Op::ResendInvitation {
                email,
                user_type,
                first_name,
                last_name,
            } => self.resend_invitation(ai, email, *user_type, first_name, last_name),
            Op::CancelInvitation { email } => self.accounts[ai].cancel_invitation(email),
            Op::DeactivateUser { email } => self.accounts[ai].deactivate(email),
            Op::ActivateUser { email } => self.accounts[ai].activate(email),
            Op::DisassociateUser { email } => self.disassociate(ai, email),
            Op::DeleteUser { email } => self.accounts[ai].delete_user(email),
            Op::UpdateProfile { email, patch } => self.accounts[ai].update_profile(email, patch),
            Op::ChangeUserType { email, to } => self.accounts[ai].change_user_type(email, *to),
            Op::ChangeRole { email, to } => {
                self.accounts[ai].change_role(actor, can_edit_admins, email, to)
            }
            Op::AssignAddon { email, addon } => self.accounts[ai].assign_addon(email, *addon),
            Op::RemoveAddon { email, addon } => self.accounts[ai].remove_addon(email, *addon),
            Op::SetGroup {
                email,
                group,
                remove_from,
            } => self.accounts[ai].set_group(email, group.as_ref(), remove_from),
            Op::AddChatGroup { email, group } => self.accounts[ai].add_chat_group(email, group),
            Op::RemoveChatGroup { email, group } => {
                self.accounts[ai].remove_chat_group(email, group)
            }
            Op::CreateGroup { name, description } => {
                self.create_group(ai, name, description, false)
            }
            Op::DeleteGroup { name } => self.accounts[ai].delete_group(name, false),
            Op::CreateChatGroup { name, description } => {
                self.create_group(ai, name, description, true)
            }
            Op::DeleteChatGroup { name } => self.accounts[ai].delete_group(name, true),
            Op::CreateRole {
                name,
                description,
                privileges,
            } => self.create_role(ai, name, description, privileges),
            Op::UpdateRole {
                name,
                description,
                privileges,
            } => self.accounts[ai].update_role(name, description, privileges),
            Op::DeleteRole { name } => self.accounts[ai].delete_role(name),
            Op::CreateOrganization { name } => self.create_organization(ai, actor, name),
            Op::InviteAccount { email } => self.invite_account(ai, actor, email),
            Op::ResendAccountInvitation { email } => {
                self.resend_account_invitation(ai, actor, email)
            }
            Op::UnlinkAccount { email } => self.unlink_account(ai, actor, email),
            Op::RequestLink { owner } => self.request_link(ai, actor, owner),
            Op::DeleteOrganization { name } => self.delete_organization(ai, actor, name),
            Op::RequestExternalContact { user, contact } => {
                self.request_external_contact(ai, user, contact)
            }
            Op::RemoveExternalContact { user, contact } => {
                self.remove_external_contact(ai, user, contact)
            }
            Op::ReplacePersonalContacts {
                user,
                group,
                add,
                update,
                delete,
            } => self.replace_personal_contacts(ai, user, group, add, update, delete),
            Op::ReplacePersonalContactsByHand {
                user,
                group,
                contacts,
            } => self.set_personal_contacts(ai, user, group, contacts),
            Op::ConnectIntegration {
                user,
                service,
                calendar,
                contacts,
            } => self.connect_integration(ai, user, *service, *calendar, *contacts),
            Op::ConnectCalendly {
                organization,
                zoom_admin,
                meeting_summary,
                allow_user_disconnect,
            } => self.connect_calendly(
                ai,
                organization,
                zoom_admin,
                *meeting_summary,
                *allow_user_disconnect,
            ),
            Op::ReconnectCalendly {
                organization,
                zoom_admin,
                previous: _,
            } => self.reconnect_calendly(ai, organization, zoom_admin),
            Op::SetCalendlyOptions {
                organization,
                meeting_summary,
                allow_user_disconnect,
            } => self.set_calendly_options(
                ai,
                organization,
                *meeting_summary,
                *allow_user_disconnect,
            ),
        }
    }

    /// Where a user of some account is.
    pub fn locate(&self, email: &Email) -> Option<(usize, usize)> {
        self.accounts.iter().enumerate().find_map(|(ai, a)| {
            a.users
                .iter()
                .position(|u| &u.email == email)
                .map(|ui| (ai, ui))
        })
    }
}
