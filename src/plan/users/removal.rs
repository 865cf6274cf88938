//! Users leaving the account (U13, U8) and the seats they free (U2, U3).

use super::super::context::{Ctx, NewChange, Phase, json};
use super::super::seats::Pools;
use super::super::{Action, Op};

use super::roles::change_role;
use crate::model::{ChangeId, ObjectRef};
use crate::model::{ObservedStatus, ObservedUser, RemoveAction, RoleName, Rule, Source, UserType};
use serde_json::Value;

/// Takes a user out of the account with `policy.removeAction` (U13), or cancels a pending
/// invitation (U8). Admins are demoted first: Zoom refuses to disassociate them (1117) or
/// change their status (200).
pub(crate) fn remove_user(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    ou: &ObservedUser,
    reason: String,
    source: Option<&Source>,
) {
    let target = ObjectRef::User(ou.email.clone());
    if ou.email == cx.o.owner {
        cx.error(
            Rule::U7,
            &target,
            source,
            "the account owner is never removed".into(),
        );
        return;
    }
    cx.next.users.remove(&ou.email);
    cx.next.invitations.remove(&ou.email);
    if ou.status == ObservedStatus::Pending {
        cancel_invitation(cx, pools, ou, &target, reason);
        return;
    }
    match cx.d.account.policy.remove_action {
        RemoveAction::Deactivate => deactivate(cx, pools, ou, &target, reason, source),
        RemoveAction::Disassociate => leave(cx, pools, ou, &target, reason, source, false),
        RemoveAction::Delete => leave(cx, pools, ou, &target, reason, source, true),
    }
}

/// U8: a pending user leaves with their invitation.
fn cancel_invitation(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    ou: &ObservedUser,
    target: &ObjectRef,
    reason: String,
) {
    let op = Op::CancelInvitation {
        email: ou.email.clone(),
    };
    let reason = format!("{reason}: the pending invitation is cancelled");
    let id = cx.push(
        NewChange::new(Phase::Remove, Action::CancelInvitation, target, reason, op)
            .rule(Rule::U8)
            .field("status", json("pending"), Value::Null),
    );
    free_user_seats(pools, ou, &id);
}

/// U13: disassociated (the user keeps a Zoom user of their own) or deleted, after an
/// admin's demotion.
fn leave(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    ou: &ObservedUser,
    target: &ObjectRef,
    reason: String,
    source: Option<&Source>,
    delete: bool,
) {
    let Ok(mut dep) = demote_before_removal(cx, ou, target, source) else {
        return;
    };
    if delete && ou.status == ObservedStatus::Inactive {
        dep = Some(activate_before_delete(cx, pools, ou, target, source, dep));
    }
    let email = ou.email.clone();
    let (action, op, to) = if delete {
        (Action::DeleteUser, Op::DeleteUser { email }, "deleted")
    } else {
        (
            Action::DisassociateUser,
            Op::DisassociateUser { email },
            "disassociated",
        )
    };
    let status = if ou.status == ObservedStatus::Active {
        "active"
    } else {
        "deactivated"
    };
    let reason = format!("{reason} (policy.removeAction)");
    let id = cx.push(
        NewChange::new(Phase::Remove, action, target, reason, op)
            .rule(Rule::U13)
            .field("status", json(status), json(to))
            .after(dep),
    );
    free_user_seats(pools, ou, &id);
}

/// U13: Zoom refuses to delete a deactivated user ("Unable to delete this deactivated
/// user", 400/200; issue 10, item 6): it is activated first, which takes its licence back
/// for the moment of the deletion.
fn activate_before_delete(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    ou: &ObservedUser,
    target: &ObjectRef,
    source: Option<&Source>,
    dep: Option<ChangeId>,
) -> ChangeId {
    let op = Op::ActivateUser {
        email: ou.email.clone(),
    };
    let id = cx.push(
        NewChange::new(
            Phase::Remove,
            Action::ActivateUser,
            target,
            "Zoom deletes no deactivated user: activated first, then deleted (U13)".into(),
            op,
        )
        .rule(Rule::U13)
        .field("status", json("deactivated"), json("active"))
        .after(dep),
    );
    if ou.spec.user_type == Some(UserType::Licensed) {
        let source = source.unwrap_or(&cx.d.account.source).clone();
        pools.consume_licence(id.clone(), source, target);
    }
    id
}

pub(super) fn demote_before_removal(
    cx: &mut Ctx<'_>,
    ou: &ObservedUser,
    target: &ObjectRef,
    source: Option<&Source>,
) -> Result<Option<ChangeId>, ()> {
    if ou.spec.role.as_ref().is_some_and(|r| r.is_admin_level()) {
        let errors = cx.errors.len();
        let id = change_role(
            cx,
            ou,
            RoleName::Member,
            Phase::Free,
            "an admin must be demoted before leaving the account (Zoom 1117/200)".into(),
            source,
        );
        if cx.errors.len() > errors || id.is_none() {
            let _ = target;
            return Err(());
        }
        return Ok(id);
    }
    Ok(None)
}

pub(super) fn deactivate(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    ou: &ObservedUser,
    target: &ObjectRef,
    reason: String,
    source: Option<&Source>,
) {
    if ou.status == ObservedStatus::Inactive {
        return;
    }
    let Ok(dep) = demote_before_removal(cx, ou, target, source) else {
        return;
    };
    let id = cx.push(
        NewChange::new(
            Phase::Remove,
            Action::DeactivateUser,
            target,
            reason,
            Op::DeactivateUser {
                email: ou.email.clone(),
            },
        )
        .rule(Rule::U13)
        .field("status", json("active"), json("deactivated"))
        .after(dep),
    );
    // Deactivation removes every licence (zoom-api.md §2).
    free_user_seats(pools, ou, &id);
}

pub(super) fn free_user_seats(pools: &mut Pools, ou: &ObservedUser, id: &ChangeId) {
    if ou.spec.user_type == Some(UserType::Licensed) {
        pools.free_licence(id.clone());
    }
    for a in ou.spec.addons.iter().flatten() {
        pools.free_addon(*a, id.clone());
    }
}
