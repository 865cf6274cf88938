//! Account-wide checks of the whole plan: U1, U11, `policy.minAdmins`,
//! `policy.maxRemovals`.

use super::super::Op;
use super::super::context::Ctx;

use crate::model::ObjectRef;
use crate::model::{Email, ObservedStatus, RoleName, Rule};

/// U1: user management needs a paid account and an owner or admin (or a custom role with
/// `user:edit`).
pub(crate) fn check_u1(cx: &mut Ctx<'_>) {
    let touches_users = cx
        .changes
        .iter()
        .any(|(_, c)| matches!(c.target, ObjectRef::User(_)));
    if !touches_users {
        return;
    }
    let o = cx.o;
    if !o.plan.is_paid() {
        cx.error(Rule::U1, &ObjectRef::Account, None, "user management needs a paid account (free with a credit card, Pro, Business, Education or Enterprise)".into());
    }
    let allowed = o.actor == o.owner
        || o.users
            .get(&o.actor)
            .and_then(|u| u.spec.role.as_ref())
            .is_some_and(|r| match r {
                RoleName::Owner | RoleName::Admin => true,
                RoleName::Custom(n) => o
                    .roles
                    .get(n)
                    .is_some_and(|r| crate::model::grants(&r.privileges, "user:edit")),
                RoleName::Member => false,
            });
    if !allowed {
        cx.error(Rule::U1, &ObjectRef::Account, None, format!("roster acts as {}, who is neither owner nor admin: user management needs owner or admin privileges", o.actor));
    }
}

/// `policy.minAdmins`: admins (owner included) left once the plan is applied.
pub(crate) fn check_min_admins(cx: &mut Ctx<'_>) {
    let Some(min) = cx.d.account.policy.min_admins else {
        return;
    };
    let mut roles: std::collections::BTreeMap<&Email, bool> = cx
        .o
        .users
        .values()
        .filter(|u| u.status == ObservedStatus::Active)
        .map(|u| {
            (
                &u.email,
                u.email == cx.o.owner || u.spec.role.as_ref().is_some_and(|r| r.is_admin_level()),
            )
        })
        .collect();
    for (_, c) in &cx.changes {
        match admin_effect(&c.op) {
            AdminEffect::Role(email, admin) => {
                if let Some(v) = roles.get_mut(email) {
                    *v = admin;
                }
            }
            AdminEffect::Leaves(email) => {
                roles.remove(email);
            }
            AdminEffect::None => {}
        }
    }
    let admins = roles.values().filter(|a| **a).count() as u32;
    if admins < min {
        cx.error(
            Rule::Policy,
            &ObjectRef::Account,
            Some(&cx.d.account.source),
            format!("this plan leaves {admins} admin(s) (owner included), fewer than policy.minAdmins {min}"),
        );
    }
}

/// `policy.maxRemovals` with `--allow-removals N`.
pub(crate) fn check_max_removals(cx: &mut Ctx<'_>) {
    let Some(max) = cx.d.account.policy.max_removals else {
        return;
    };
    let n = cx
        .changes
        .iter()
        .filter(|(_, c)| c.action.is_user_removal())
        .count() as u32;
    let allowed = cx.options.allow_removals.unwrap_or(max).max(max);
    if n > allowed {
        cx.error(
            Rule::Policy,
            &ObjectRef::Account,
            Some(&cx.d.account.source),
            format!("this plan removes {n} users, more than policy.maxRemovals {max}; check the plan, then rerun with --allow-removals {n}"),
        );
    }
}

/// U11: at most 5 custom attributes per account, and users only use declared keys.
pub(crate) fn check_u11(cx: &mut Ctx<'_>) {
    let declared = &cx.d.account.custom_attributes;
    if declared.len() > 5 {
        let source = cx.d.account.source.clone();
        cx.error(
            Rule::U11,
            &ObjectRef::Account,
            Some(&source),
            format!(
                "{} custom attributes declared; an account has at most 5",
                declared.len()
            ),
        );
    }
    let d = cx.d;
    for u in d.users.values() {
        for key in u.spec.custom_attributes.iter().flat_map(|m| m.keys()) {
            if !declared.contains(key) {
                cx.error(
                    Rule::U11,
                    &ObjectRef::User(u.email.clone()),
                    Some(&u.source),
                    format!(
                        "custom attribute `{key}` is not declared in the Account's customAttributes"
                    ),
                );
            }
        }
    }
}

/// What an operation does to the count of active admins.
pub(crate) enum AdminEffect<'a> {
    /// The user's role becomes admin-level (`true`) or not.
    Role(&'a Email, bool),
    /// The user stops being an active user.
    Leaves(&'a Email),
    /// Nothing.
    None,
}

/// Every operation, named: a new one must say whether it changes who is an admin.
pub(crate) fn admin_effect(op: &Op) -> AdminEffect<'_> {
    match op {
        Op::ChangeRole { email, to } => AdminEffect::Role(email, to.is_admin_level()),
        Op::DeactivateUser { email }
        | Op::DisassociateUser { email }
        | Op::DeleteUser { email } => AdminEffect::Leaves(email),
        Op::CreateUser { .. }
        | Op::ResendInvitation { .. }
        | Op::CancelInvitation { .. }
        | Op::UpdateProfile { .. }
        | Op::ChangeUserType { .. }
        | Op::AssignAddon { .. }
        | Op::RemoveAddon { .. }
        | Op::SetGroup { .. }
        | Op::AddChatGroup { .. }
        | Op::RemoveChatGroup { .. }
        | Op::ActivateUser { .. }
        | Op::CreateGroup { .. }
        | Op::DeleteGroup { .. }
        | Op::CreateChatGroup { .. }
        | Op::DeleteChatGroup { .. }
        | Op::CreateRole { .. }
        | Op::UpdateRole { .. }
        | Op::DeleteRole { .. }
        | Op::CreateOrganization { .. }
        | Op::InviteAccount { .. }
        | Op::ResendAccountInvitation { .. }
        | Op::UnlinkAccount { .. }
        | Op::RequestLink { .. }
        | Op::DeleteOrganization { .. }
        | Op::RequestExternalContact { .. }
        | Op::RemoveExternalContact { .. }
        | Op::ConnectIntegration { .. }
        | Op::ConnectCalendly { .. }
        | Op::ReconnectCalendly { .. }
        | Op::SetCalendlyOptions { .. }
        | Op::ReplacePersonalContacts { .. }
        | Op::ReplacePersonalContactsByHand { .. } => AdminEffect::None,
    }
}
