//! The account rules the simulator enforces, answering with Zoom's error codes
//! (spec/zoom-api.md). Every public method is one thing a person or roster can do; each
//! either changes the cloud and logs it, or changes nothing and returns the error.

use super::cloud::{Cloud, InviteKind, LogEntry, SimAccount, SimStatus, SimUser};
use crate::model::{Addon, Email, RoleName, Rule, UserType};
use crate::model::{Op, ProfilePatch};
use crate::provider::ProviderError;

/// U8: invitations expire this many days after they were sent.
pub const INVITATION_DAYS: i64 = 30;

/// U11: at most this many custom attributes per account.
pub const MAX_CUSTOM_ATTRIBUTES: usize = 5;

fn refuse(status: u16, code: i64, rule: Rule, message: impl Into<String>) -> ProviderError {
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
            UserType::Licensed => {
                let cap = self.seats.licensed;
                match cap {
                    Some(cap) if self.licensed_in_use(Some(email)) >= cap => Err(refuse(
                        400,
                        2034,
                        Rule::U2,
                        format!(
                            "Your request was not accepted because you don't have enough licenses of this type: {cap} licensed seats are all in use (pending users count)."
                        ),
                    )),
                    _ => Ok(()),
                }
            }
        }
    }

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
                403,
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
                403,
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
            Some(r) if r.privileges.iter().any(|p| p.starts_with("user:")) => {
                Ok((true, r.privileges.contains("role:edit")))
            }
            _ => Err(refuse(
                403,
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
}

impl Cloud {
    fn account_mut(&mut self, id: &str) -> Result<&mut SimAccount, ProviderError> {
        self.accounts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| ProviderError::Config(format!("the simulator has no account {id}")))
    }

    /// Appends to the log.
    pub fn record(
        &mut self,
        account: &str,
        actor: &str,
        action: &str,
        target: &str,
        detail: Option<String>,
    ) {
        self.log.push(LogEntry {
            at: self.clock,
            account: account.to_string(),
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            detail,
        });
    }

    /// U8: pending invitations older than 30 days leave the pending list.
    pub fn expire_invitations(&mut self) {
        let now = self.clock;
        let mut expired = Vec::new();
        for a in &mut self.accounts {
            let mut keep = Vec::with_capacity(a.users.len());
            for u in a.users.drain(..) {
                let sent = u.invited_at.unwrap_or(now);
                if u.status == SimStatus::Pending
                    && sent + chrono::Duration::days(INVITATION_DAYS) <= now
                {
                    a.expired_invitations.insert(u.email.clone(), sent);
                    expired.push((a.id.clone(), u.email.clone()));
                } else {
                    keep.push(u);
                }
            }
            a.users = keep;
        }
        for (account, email) in expired {
            self.record(
                &account,
                "zoom",
                "invitation_expired",
                email.as_str(),
                Some("U8: 30 days".into()),
            );
        }
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
        let (action, target, detail) = self.apply_op(account, actor, op)?;
        self.record(account, actor.email.as_str(), &action, &target, detail);
        Ok(())
    }

    fn apply_op(
        &mut self,
        account: &str,
        actor: &Actor,
        op: &Op,
    ) -> Result<(String, String, Option<String>), ProviderError> {
        let now = self.clock;
        let ai = self.account_index(account).ok_or_else(|| {
            ProviderError::Config(format!("the simulator has no account {account}"))
        })?;
        let (can_manage, can_edit_admins) = self.accounts[ai].privileges(actor)?;
        debug_assert!(can_manage);
        let owner = self.accounts[ai].owner.clone();
        match op {
            Op::CreateUser {
                email,
                user_type,
                first_name,
                last_name,
            } => {
                let elsewhere = self.existing_elsewhere(account, email);
                let a = &mut self.accounts[ai];
                if a.user(email).is_some() {
                    return Err(ProviderError::api(
                        409,
                        1005,
                        format!("User already in the account: {email}."),
                    ));
                }
                a.check_type(email, *user_type)?;
                a.expired_invitations.remove(email);
                let mut u = SimUser::new(email.clone());
                u.status = SimStatus::Pending;
                u.user_type = *user_type;
                u.first_name = first_name.clone();
                u.last_name = last_name.clone();
                u.invited_at = Some(now);
                u.invite = Some(if elsewhere.is_some() {
                    InviteKind::Join
                } else {
                    InviteKind::Activation
                });
                a.users.push(u);
                let action = if elsewhere.is_some() {
                    "invite_user"
                } else {
                    "create_user"
                };
                Ok((
                    action.into(),
                    email.to_string(),
                    Some(format!("type={}", user_type.as_str())),
                ))
            }
            Op::ResendInvitation {
                email,
                user_type,
                first_name,
                last_name,
            } => {
                // Zoom has no resend endpoint: disassociate the pending user, create again
                // (zoom-api.md §2). Either way the 30-day clock restarts (U8).
                let elsewhere = self.existing_elsewhere(account, email);
                let a = &mut self.accounts[ai];
                if let Some(i) = a.users.iter().position(|u| &u.email == email) {
                    if a.users[i].status != SimStatus::Pending {
                        return Err(ProviderError::api(
                            409,
                            1005,
                            format!("User already in the account: {email}."),
                        ));
                    }
                    a.users.remove(i);
                }
                a.check_type(email, *user_type)?;
                a.expired_invitations.remove(email);
                let mut u = SimUser::new(email.clone());
                u.status = SimStatus::Pending;
                u.user_type = *user_type;
                u.first_name = first_name.clone();
                u.last_name = last_name.clone();
                u.invited_at = Some(now);
                u.invite = Some(if elsewhere.is_some() {
                    InviteKind::Join
                } else {
                    InviteKind::Activation
                });
                a.users.push(u);
                Ok(("resend_invitation".into(), email.to_string(), None))
            }
            Op::CancelInvitation { email } => {
                let a = &mut self.accounts[ai];
                let i = a.user_index(email)?;
                if a.users[i].status != SimStatus::Pending {
                    return Err(refuse(
                        400,
                        300,
                        Rule::U8,
                        format!("{email} is not a pending user."),
                    ));
                }
                a.users.remove(i);
                Ok(("cancel_invitation".into(), email.to_string(), None))
            }
            Op::UpdateProfile { email, patch } => {
                let a = &mut self.accounts[ai];
                let i = a.user_index(email)?;
                if a.users[i].status == SimStatus::Inactive {
                    return Err(refuse(
                        400,
                        300,
                        Rule::U13,
                        format!("{email} is deactivated: it cannot be edited."),
                    ));
                }
                if let Some(Some(m)) = &patch.manager
                    && a.user(m).is_none()
                {
                    return Err(ProviderError::api(
                        400,
                        300,
                        format!("Invalid field: manager {m} is not a user of the account."),
                    ));
                }
                if let Some(attrs) = &patch.custom_attributes
                    && let Some(k) = attrs.keys().find(|k| !a.custom_attributes.contains(k))
                {
                    return Err(refuse(
                        400,
                        300,
                        Rule::U11,
                        format!("Custom attribute {k} is not defined on the account."),
                    ));
                }
                let detail = serde_json::to_string(patch).ok();
                apply_patch(&mut a.users[i], patch);
                Ok(("update_user".into(), email.to_string(), detail))
            }
            Op::ChangeUserType { email, to } => {
                let a = &mut self.accounts[ai];
                let i = a.user_index(email)?;
                if a.users[i].status == SimStatus::Inactive {
                    return Err(refuse(
                        400,
                        300,
                        Rule::U13,
                        format!("{email} is deactivated: it cannot be edited."),
                    ));
                }
                a.check_type(email, *to)?;
                a.users[i].user_type = *to;
                Ok((
                    "change_user_type".into(),
                    email.to_string(),
                    Some(format!("type={}", to.as_str())),
                ))
            }
            Op::ChangeRole { email, to } => {
                let a = &mut self.accounts[ai];
                let i = a.active_index(email, "a role")?;
                if *email == owner || a.users[i].role == RoleName::Owner {
                    return Err(refuse(
                        400,
                        200,
                        Rule::U7,
                        "The account owner's role cannot be changed.",
                    ));
                }
                match to {
                    RoleName::Owner => {
                        return Err(refuse(
                            400,
                            200,
                            Rule::U7,
                            "Ownership cannot be given through a role change.",
                        ));
                    }
                    RoleName::Custom(name) if !a.roles.iter().any(|r| &r.name == name) => {
                        return Err(ProviderError::api(
                            404,
                            1034,
                            format!("Role does not exist: {name}."),
                        ));
                    }
                    RoleName::Admin | RoleName::Member | RoleName::Custom(_) => {}
                }
                let touches_admin = *to == RoleName::Admin || a.users[i].role == RoleName::Admin;
                if touches_admin && !can_edit_admins {
                    return Err(refuse(
                        403,
                        200,
                        Rule::U7,
                        format!(
                            "Only the account owner or a role with role:edit can promote or demote an admin ({} acts).",
                            actor.email
                        ),
                    ));
                }
                a.users[i].role = to.clone();
                Ok((
                    "change_role".into(),
                    email.to_string(),
                    Some(format!("role={}", to.as_str())),
                ))
            }
            Op::AssignAddon { email, addon } => {
                let a = &mut self.accounts[ai];
                let i = a.active_index(email, "an add-on")?;
                a.check_addon(email, *addon)?;
                a.users[i].addons.insert(*addon);
                Ok((
                    "assign_addon".into(),
                    email.to_string(),
                    Some(addon.as_str().into()),
                ))
            }
            Op::RemoveAddon { email, addon } => {
                let a = &mut self.accounts[ai];
                let i = a.active_index(email, "an add-on")?;
                a.users[i].addons.remove(addon);
                Ok((
                    "remove_addon".into(),
                    email.to_string(),
                    Some(addon.as_str().into()),
                ))
            }
            Op::SetGroup {
                email,
                group,
                remove_from,
            } => {
                let a = &mut self.accounts[ai];
                let i = a.active_index(email, "a group")?;
                if let Some(g) = group
                    && !a.groups.iter().any(|x| &x.name == g)
                {
                    return Err(ProviderError::api(
                        404,
                        4130,
                        format!("Group does not exist: {g}."),
                    ));
                }
                let u = &mut a.users[i];
                for g in remove_from {
                    u.groups.remove(g);
                }
                if let Some(g) = group {
                    u.groups.insert(g.clone());
                }
                Ok(("set_group".into(), email.to_string(), group.clone()))
            }
            Op::AddChatGroup { email, group } => {
                let a = &mut self.accounts[ai];
                let i = a.active_index(email, "a chat group")?;
                if !a.chat_groups.iter().any(|x| &x.name == group) {
                    return Err(ProviderError::api(
                        404,
                        4130,
                        format!("Chat group does not exist: {group}."),
                    ));
                }
                a.users[i].chat_groups.insert(group.clone());
                Ok((
                    "add_chat_group".into(),
                    email.to_string(),
                    Some(group.clone()),
                ))
            }
            Op::RemoveChatGroup { email, group } => {
                let a = &mut self.accounts[ai];
                let i = a.active_index(email, "a chat group")?;
                a.users[i].chat_groups.remove(group);
                Ok((
                    "remove_chat_group".into(),
                    email.to_string(),
                    Some(group.clone()),
                ))
            }
            Op::DeactivateUser { email } => {
                let a = &mut self.accounts[ai];
                let i = a.user_index(email)?;
                if a.users[i].is_admin_level() {
                    return Err(refuse(
                        400,
                        200,
                        Rule::U7,
                        format!("The status of admin users cannot be changed: {email}."),
                    ));
                }
                if a.users[i].status != SimStatus::Active {
                    return Err(refuse(
                        400,
                        300,
                        Rule::U13,
                        format!("{email} is not an active user."),
                    ));
                }
                a.users[i].status = SimStatus::Inactive;
                Ok(("deactivate_user".into(), email.to_string(), None))
            }
            Op::ActivateUser { email } => {
                let a = &mut self.accounts[ai];
                let i = a.user_index(email)?;
                if a.users[i].status != SimStatus::Inactive {
                    return Err(refuse(
                        400,
                        300,
                        Rule::U13,
                        format!("{email} is not deactivated."),
                    ));
                }
                if a.users[i].user_type == UserType::Licensed
                    && let Some(cap) = a.seats.licensed
                    && a.licensed_in_use(Some(email)) >= cap
                {
                    return Err(refuse(
                        400,
                        3412,
                        Rule::U2,
                        "Your request was not accepted because the paying-user maximum has been reached.",
                    ));
                }
                a.users[i].status = SimStatus::Active;
                Ok(("activate_user".into(), email.to_string(), None))
            }
            Op::DisassociateUser { email } => {
                let a = &mut self.accounts[ai];
                let i = a.user_index(email)?;
                if a.users[i].is_admin_level() {
                    return Err(refuse(
                        400,
                        1117,
                        Rule::U7,
                        format!("Admin users cannot be disassociated: {email}."),
                    ));
                }
                let u = a.users.remove(i);
                if u.status != SimStatus::Pending {
                    // U13: an unlinked user becomes an individual Zoom user again, keeping
                    // their data but not the account's licence.
                    self.individuals.push(super::cloud::Individual {
                        email: u.email.clone(),
                        user_type: UserType::Basic,
                        first_name: u.first_name,
                        last_name: u.last_name,
                    });
                }
                Ok(("disassociate_user".into(), email.to_string(), None))
            }
            Op::DeleteUser { email } => {
                let a = &mut self.accounts[ai];
                let i = a.user_index(email)?;
                if a.users[i].role == RoleName::Owner {
                    return Err(refuse(
                        400,
                        200,
                        Rule::U7,
                        "The account owner cannot be deleted.",
                    ));
                }
                if a.users[i].status == SimStatus::Pending {
                    return Err(refuse(
                        400,
                        300,
                        Rule::U8,
                        format!("Pending users must be removed with action=disassociate: {email}."),
                    ));
                }
                a.users.remove(i);
                Ok(("delete_user".into(), email.to_string(), None))
            }
            Op::CreateGroup { name, description } => {
                self.create_group(account, name, description, false)
            }
            Op::DeleteGroup { name } => self.delete_group(ai, name, false),
            Op::CreateChatGroup { name, description } => {
                self.create_group(account, name, description, true)
            }
            Op::DeleteChatGroup { name } => self.delete_group(ai, name, true),
            Op::CreateRole {
                name,
                description,
                privileges,
            } => {
                let id = self.fresh_id("r");
                let a = self.account_mut(account)?;
                if a.roles.iter().any(|r| &r.name == name)
                    || !matches!(RoleName::parse(name), RoleName::Custom(_))
                {
                    return Err(ProviderError::api(
                        409,
                        1224,
                        format!("Role name {name} already exists."),
                    ));
                }
                a.roles.push(super::cloud::SimRole {
                    id,
                    name: name.clone(),
                    description: description.clone(),
                    privileges: privileges.clone(),
                });
                Ok(("create_role".into(), name.clone(), None))
            }
            Op::UpdateRole {
                name,
                description,
                privileges,
            } => {
                let a = &mut self.accounts[ai];
                let r = a
                    .roles
                    .iter_mut()
                    .find(|r| &r.name == name)
                    .ok_or_else(|| {
                        ProviderError::api(404, 1034, format!("Role does not exist: {name}."))
                    })?;
                r.description = description.clone();
                r.privileges = privileges.clone();
                Ok(("update_role".into(), name.clone(), None))
            }
            Op::CreateOrganization { .. }
            | Op::InviteAccount { .. }
            | Op::ResendAccountInvitation { .. }
            | Op::UnlinkAccount { .. }
            | Op::RequestLink { .. }
            | Op::DeleteOrganization { .. }
            | Op::RequestExternalContact { .. }
            | Op::RemoveExternalContact { .. }
            | Op::ReplacePersonalContacts { .. } => self.apply_contact_op(account, actor, op),
            Op::DeleteRole { name } => {
                let a = &mut self.accounts[ai];
                let i = a
                    .roles
                    .iter()
                    .position(|r| &r.name == name)
                    .ok_or_else(|| {
                        ProviderError::api(404, 1034, format!("Role does not exist: {name}."))
                    })?;
                if a.users
                    .iter()
                    .any(|u| matches!(&u.role, RoleName::Custom(n) if n == name))
                {
                    return Err(ProviderError::api(
                        400,
                        300,
                        format!("Role {name} still has members: reassign them first."),
                    ));
                }
                a.roles.remove(i);
                Ok(("delete_role".into(), name.clone(), None))
            }
        }
    }

    /// Creates a user group or (`chat`) a chat group; 4132 when the name is taken.
    fn create_group(
        &mut self,
        account: &str,
        name: &str,
        description: &Option<String>,
        chat: bool,
    ) -> Result<(String, String, Option<String>), ProviderError> {
        let id = self.fresh_id(if chat { "c" } else { "g" });
        let a = self.account_mut(account)?;
        let (what, groups) = if chat {
            ("Chat group", &mut a.chat_groups)
        } else {
            ("Group", &mut a.groups)
        };
        if groups.iter().any(|g| g.name == name) {
            return Err(ProviderError::api(
                409,
                4132,
                format!("{what} name {name} is already in use."),
            ));
        }
        groups.push(super::cloud::SimGroup {
            id,
            name: name.to_string(),
            description: description.clone(),
        });
        let action = if chat {
            "create_chat_group"
        } else {
            "create_group"
        };
        Ok((action.into(), name.to_string(), None))
    }

    /// Deletes a user group or (`chat`) a chat group and every membership in it; 4130
    /// when there is none.
    fn delete_group(
        &mut self,
        ai: usize,
        name: &str,
        chat: bool,
    ) -> Result<(String, String, Option<String>), ProviderError> {
        let a = &mut self.accounts[ai];
        let (what, groups) = if chat {
            ("Chat group", &mut a.chat_groups)
        } else {
            ("Group", &mut a.groups)
        };
        let i = groups.iter().position(|g| g.name == name).ok_or_else(|| {
            ProviderError::api(404, 4130, format!("{what} does not exist: {name}."))
        })?;
        groups.remove(i);
        for u in &mut a.users {
            if chat {
                u.chat_groups.remove(name);
            } else {
                u.groups.remove(name);
            }
        }
        let action = if chat {
            "delete_chat_group"
        } else {
            "delete_group"
        };
        Ok((action.into(), name.to_string(), None))
    }

    /// The invited person accepts (U5). I3: refused with 1009 while the account they own
    /// still holds other users or a Zoom Room; I4: profile moves, licences do not.
    pub fn accept(&mut self, email: &Email) -> Result<String, ProviderError> {
        self.expire_invitations();
        let (ai, ui) = self
            .pending(email)
            .ok_or_else(|| ProviderError::api(404, 1001, format!("No pending invitation for {email} (expired invitations cannot be accepted, U8).")))?;
        let target = self.accounts[ai].id.clone();
        if let Some(own) = self
            .accounts
            .iter()
            .find(|a| a.id != target && &a.owner == email)
        {
            let others = own.users.iter().filter(|u| &u.email != email).count();
            if others > 0 || own.zoom_rooms > 0 {
                return Err(refuse(
                    400,
                    1009,
                    Rule::I3,
                    format!(
                        "{email} still owns account {} with {others} other user(s) and {} Zoom Room(s): remove, unlink or invite them elsewhere first. The invitation stays pending.",
                        own.id, own.zoom_rooms
                    ),
                ));
            }
        }
        // Profile moves with the user (I4); licences and add-ons stay behind.
        let mut moved_names = None;
        if let Some(i) = self.individuals.iter().position(|i| &i.email == email) {
            let ind = self.individuals.remove(i);
            moved_names = Some((ind.first_name, ind.last_name));
        }
        for a in self.accounts.iter_mut().filter(|a| a.id != target) {
            if let Some(i) = a
                .users
                .iter()
                .position(|u| &u.email == email && u.status != SimStatus::Pending)
            {
                let u = a.users.remove(i);
                moved_names = Some((u.first_name, u.last_name));
            }
        }
        self.accounts
            .retain(|a| !(a.id != target && &a.owner == email));
        let id = self.fresh_id("u");
        let u = &mut self.accounts[ai].users[ui];
        u.status = SimStatus::Active;
        u.id = Some(id);
        u.invited_at = None;
        u.invite = None;
        if let Some((f, l)) = moved_names {
            if u.first_name.is_none() {
                u.first_name = f;
            }
            if u.last_name.is_none() {
                u.last_name = l;
            }
        }
        self.record(
            &target,
            email.as_str(),
            "accept_invitation",
            email.as_str(),
            None,
        );
        Ok(target)
    }

    /// The invited person declines: the pending user leaves the account.
    pub fn decline(&mut self, email: &Email) -> Result<String, ProviderError> {
        self.expire_invitations();
        let (ai, ui) = self.pending(email).ok_or_else(|| {
            ProviderError::api(404, 1001, format!("No pending invitation for {email}."))
        })?;
        self.accounts[ai].users.remove(ui);
        let target = self.accounts[ai].id.clone();
        self.record(
            &target,
            email.as_str(),
            "decline_invitation",
            email.as_str(),
            None,
        );
        Ok(target)
    }

    fn pending(&self, email: &Email) -> Option<(usize, usize)> {
        self.accounts.iter().enumerate().find_map(|(ai, a)| {
            a.users
                .iter()
                .position(|u| &u.email == email && u.status == SimStatus::Pending)
                .map(|ui| (ai, ui))
        })
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

fn apply_patch(u: &mut SimUser, p: &ProfilePatch) {
    fn set(slot: &mut Option<String>, v: &Option<String>) {
        if let Some(v) = v {
            *slot = if v.is_empty() { None } else { Some(v.clone()) };
        }
    }
    set(&mut u.first_name, &p.first_name);
    set(&mut u.last_name, &p.last_name);
    set(&mut u.department, &p.department);
    set(&mut u.job_title, &p.job_title);
    set(&mut u.location, &p.location);
    if let Some(m) = &p.manager {
        u.manager = m.clone();
    }
    if let Some(attrs) = &p.custom_attributes {
        u.custom_attributes = attrs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
    }
}
