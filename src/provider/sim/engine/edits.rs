//! Edits of a user: profile fields (U9, U11), licence type (U2), role (U7), add-ons (U3)
//! and group and chat group memberships.

use super::{Actor, Done, refuse};
use crate::model::{Addon, Email, ObjectRef, ProfilePatch, RoleName, Rule, UserType};
use crate::provider::ProviderError;
use crate::provider::sim::cloud::{SimAccount, SimUser};
use std::collections::BTreeSet;

impl SimAccount {
    /// U9: profile fields; the manager must be a user, custom attributes defined (U11).
    pub(super) fn update_profile(
        &mut self,
        email: &Email,
        patch: &ProfilePatch,
    ) -> Result<Done, ProviderError> {
        let i = self.editable_index(email)?;
        if let Some(Some(m)) = &patch.manager
            && self.user(m).is_none()
        {
            return Err(ProviderError::api(
                400,
                300,
                format!("Invalid field: manager {m} is not a user of the account."),
            ));
        }
        if let Some(attrs) = &patch.custom_attributes
            && let Some(k) = attrs.keys().find(|k| !self.custom_attributes.contains(k))
        {
            return Err(refuse(
                400,
                300,
                Rule::U11,
                format!("Custom attribute {k} is not defined on the account."),
            ));
        }
        let detail = serde_json::to_string(patch).ok();
        apply_patch(&mut self.users[i], patch);
        Ok(Done {
            detail,
            ..Done::new("update_user", ObjectRef::User(email.clone()))
        })
    }

    /// U2: the new type must fit the seats.
    pub(super) fn change_user_type(
        &mut self,
        email: &Email,
        to: UserType,
    ) -> Result<Done, ProviderError> {
        let i = self.editable_index(email)?;
        self.check_type(email, to)?;
        self.users[i].user_type = to;
        Ok(
            Done::new("change_user_type", ObjectRef::User(email.clone()))
                .detail(format!("type={}", to.as_str())),
        )
    }

    /// U7: the owner's role is fixed and ownership is not a role; only the owner or a role
    /// with `role:edit` (`can_edit_admins`) promotes or demotes an admin.
    pub(super) fn change_role(
        &mut self,
        actor: &Actor,
        can_edit_admins: bool,
        email: &Email,
        to: &RoleName,
    ) -> Result<Done, ProviderError> {
        let i = self.active_index(email, "a role")?;
        if *email == self.owner || self.users[i].role == RoleName::Owner {
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
            RoleName::Custom(name) if !self.roles.iter().any(|r| &r.name == name) => {
                return Err(ProviderError::api(
                    400,
                    1034,
                    format!("Role does not exist: {name}."),
                ));
            }
            RoleName::Admin | RoleName::Member | RoleName::Custom(_) => {}
        }
        let touches_admin = *to == RoleName::Admin || self.users[i].role == RoleName::Admin;
        if touches_admin && !can_edit_admins {
            return Err(refuse(
                400,
                200,
                Rule::U7,
                format!(
                    "Only the account owner or a role with role:edit can promote or demote an admin ({} acts).",
                    actor.email
                ),
            ));
        }
        self.users[i].role = to.clone();
        Ok(Done::new("change_role", ObjectRef::User(email.clone()))
            .detail(format!("role={}", to.as_str())))
    }

    /// U3: an add-on needs a free seat.
    pub(super) fn assign_addon(
        &mut self,
        email: &Email,
        addon: Addon,
    ) -> Result<Done, ProviderError> {
        let i = self.active_index(email, "an add-on")?;
        if self.users[i].user_type == UserType::Basic {
            // users-api.json, PATCH /users/{userId}/settings: 400/1108 (issue 10, item 7).
            return Err(refuse(
                400,
                1108,
                Rule::U3,
                format!(
                    "Only Licensed or On-prem users can enable the {} feature: {email} is a Basic user.",
                    addon.as_str()
                ),
            ));
        }
        self.check_addon(email, addon)?;
        self.users[i].addons.insert(addon);
        Ok(Done::new("assign_addon", ObjectRef::User(email.clone())).detail(addon.as_str()))
    }

    /// U3: the seat is freed.
    pub(super) fn remove_addon(
        &mut self,
        email: &Email,
        addon: Addon,
    ) -> Result<Done, ProviderError> {
        let i = self.active_index(email, "an add-on")?;
        self.users[i].addons.remove(&addon);
        Ok(Done::new("remove_addon", ObjectRef::User(email.clone())).detail(addon.as_str()))
    }

    /// Moves the user out of `remove_from` and into `group` (which must exist).
    pub(super) fn set_group(
        &mut self,
        email: &Email,
        group: Option<&String>,
        remove_from: &BTreeSet<String>,
    ) -> Result<Done, ProviderError> {
        let i = self.active_index(email, "a group")?;
        if let Some(g) = group
            && !self.groups.iter().any(|x| &x.name == g)
        {
            return Err(ProviderError::api(
                404,
                4130,
                format!("Group does not exist: {g}."),
            ));
        }
        let u = &mut self.users[i];
        for g in remove_from {
            u.groups.remove(g);
        }
        if let Some(g) = group {
            u.groups.insert(g.clone());
        }
        Ok(Done {
            detail: group.cloned(),
            ..Done::new("set_group", ObjectRef::User(email.clone()))
        })
    }

    /// Adds the user to a chat group (which must exist).
    pub(super) fn add_chat_group(
        &mut self,
        email: &Email,
        group: &str,
    ) -> Result<Done, ProviderError> {
        let i = self.active_index(email, "a chat group")?;
        if !self.chat_groups.iter().any(|x| x.name == group) {
            return Err(ProviderError::api(
                404,
                4130,
                format!("Chat group does not exist: {group}."),
            ));
        }
        self.users[i].chat_groups.insert(group.to_string());
        Ok(Done::new("add_chat_group", ObjectRef::User(email.clone())).detail(group))
    }

    /// Takes the user out of a chat group.
    pub(super) fn remove_chat_group(
        &mut self,
        email: &Email,
        group: &str,
    ) -> Result<Done, ProviderError> {
        let i = self.active_index(email, "a chat group")?;
        let members = self
            .users
            .iter()
            .filter(|u| u.chat_groups.contains(group))
            .count();
        if members == 1 && self.users[i].chat_groups.contains(group) {
            // Zoom keeps at least one member in a contact group (users-api.json, 400/300).
            return Err(ProviderError::api(
                400,
                300,
                "A group must have at least one member.",
            ));
        }
        self.users[i].chat_groups.remove(group);
        Ok(Done::new("remove_chat_group", ObjectRef::User(email.clone())).detail(group))
    }
}

/// Applies a profile patch: an empty text clears the field.
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
