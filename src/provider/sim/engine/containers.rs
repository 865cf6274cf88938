//! Groups, chat groups and custom roles: created, updated and deleted by name.

use super::Done;
use crate::model::{ObjectRef, RoleName};
use crate::provider::ProviderError;
use crate::provider::sim::cloud::{Cloud, SimAccount, SimGroup, SimRole};
use std::collections::BTreeSet;

fn role_not_found(name: &str) -> ProviderError {
    ProviderError::api(400, 1034, format!("Role does not exist: {name}."))
}

impl Cloud {
    /// Creates a user group or (`chat`) a chat group; 4132 when the name is taken.
    pub(super) fn create_group(
        &mut self,
        ai: usize,
        name: &str,
        description: &Option<String>,
        chat: bool,
    ) -> Result<Done, ProviderError> {
        let id = self.fresh_id(if chat { "c" } else { "g" });
        let a = &mut self.accounts[ai];
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
        groups.push(SimGroup {
            id,
            name: name.to_string(),
            description: description.clone(),
            privacy: None,
            admins: Default::default(),
        });
        Ok(if chat {
            Done::new("create_chat_group", ObjectRef::ChatGroup(name.to_string()))
        } else {
            Done::new("create_group", ObjectRef::Group(name.to_string()))
        })
    }

    /// Creates a custom role; 1224 when the name is taken or built in.
    pub(super) fn create_role(
        &mut self,
        ai: usize,
        name: &str,
        description: &Option<String>,
        privileges: &BTreeSet<String>,
    ) -> Result<Done, ProviderError> {
        let id = self.fresh_id("r");
        let a = &mut self.accounts[ai];
        if a.roles.iter().any(|r| r.name == name)
            || !matches!(RoleName::parse(name), RoleName::Custom(_))
        {
            return Err(ProviderError::api(
                400,
                1224,
                format!("Role name {name} already exists."),
            ));
        }
        a.roles.push(SimRole {
            id,
            name: name.to_string(),
            description: description.clone(),
            privileges: privileges.clone(),
        });
        Ok(Done::new("create_role", ObjectRef::Role(name.to_string())))
    }
}

impl SimAccount {
    /// Deletes a user group or (`chat`) a chat group and every membership in it; 4130
    /// when there is none.
    pub(super) fn delete_group(&mut self, name: &str, chat: bool) -> Result<Done, ProviderError> {
        let (what, groups) = if chat {
            ("Chat group", &mut self.chat_groups)
        } else {
            ("Group", &mut self.groups)
        };
        let i = groups.iter().position(|g| g.name == name).ok_or_else(|| {
            ProviderError::api(404, 4130, format!("{what} does not exist: {name}."))
        })?;
        groups.remove(i);
        for u in &mut self.users {
            if chat {
                u.chat_groups.remove(name);
            } else {
                u.groups.remove(name);
            }
        }
        Ok(if chat {
            Done::new("delete_chat_group", ObjectRef::ChatGroup(name.to_string()))
        } else {
            Done::new("delete_group", ObjectRef::Group(name.to_string()))
        })
    }

    /// Replaces a custom role's description and privileges.
    pub(super) fn update_role(
        &mut self,
        name: &str,
        description: &Option<String>,
        privileges: &BTreeSet<String>,
    ) -> Result<Done, ProviderError> {
        let r = self
            .roles
            .iter_mut()
            .find(|r| r.name == name)
            .ok_or_else(|| role_not_found(name))?;
        r.description = description.clone();
        r.privileges = privileges.clone();
        Ok(Done::new("update_role", ObjectRef::Role(name.to_string())))
    }

    /// Deletes a custom role nobody holds.
    pub(super) fn delete_role(&mut self, name: &str) -> Result<Done, ProviderError> {
        let i = self
            .roles
            .iter()
            .position(|r| r.name == name)
            .ok_or_else(|| role_not_found(name))?;
        if self
            .users
            .iter()
            .any(|u| matches!(&u.role, RoleName::Custom(n) if n == name))
        {
            return Err(ProviderError::api(
                400,
                300,
                format!("Role {name} still has members: reassign them first."),
            ));
        }
        self.roles.remove(i);
        Ok(Done::new("delete_role", ObjectRef::Role(name.to_string())))
    }
}
