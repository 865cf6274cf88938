//! The Account's `existing:` list, checked against the refresh before anything else: a
//! group, chat group, role or user that manifests reference without declaring must be on
//! the account now, whatever waits on it (a pending user's group included).

use super::context::Ctx;
use crate::model::{ObjectRef, Rule};

/// One error per name of `existing:` the account does not hold.
pub fn check_existing(cx: &mut Ctx<'_>) {
    let e = &cx.d.account.existing;
    let mut missing = Vec::new();
    for (name, at) in &e.groups {
        if !cx.o.groups.contains_key(name) {
            missing.push((
                ObjectRef::Group(name.clone()),
                at,
                "group",
                "groups",
                "Group",
            ));
        }
    }
    for (name, at) in &e.chat_groups {
        if !cx.o.chat_groups.contains_key(name) {
            let target = ObjectRef::ChatGroup(name.clone());
            missing.push((target, at, "chat group", "chatGroups", "ChatGroup"));
        }
    }
    for (name, at) in &e.roles {
        if !cx.o.roles.contains_key(name) {
            missing.push((ObjectRef::Role(name.clone()), at, "role", "roles", "Role"));
        }
    }
    for (email, at) in &e.users {
        if !cx.o.users.contains_key(email) {
            missing.push((ObjectRef::User(email.clone()), at, "user", "users", "User"));
        }
    }
    for (target, at, what, key, kind) in missing {
        let message = format!(
            "{target} is listed in the Account's `existing.{key}` but the account has no such {what}: create it on the account, or declare it with `kind: {kind}` so roster creates it"
        );
        cx.error(Rule::Manifest, &target, Some(at), message);
    }
}
