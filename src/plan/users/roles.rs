//! Role changes (U7): who may promote or demote an admin, and that the role exists.

use super::super::context::{Ctx, NewChange, Phase, json};
use super::super::field::{Decision, decide};
use super::super::{Action, Op};
use super::Edit;
use super::editable;
use crate::model::{ChangeId, ObjectRef};
use crate::model::{ObservedUser, RoleName, Rule, Source, UserField};

/// U7: the owner's role is never changed; another user's role follows the manifest, and
/// goes back to member when the manifest stops naming the role roster set.
pub(super) fn edit_role(cx: &mut Ctx<'_>, e: &Edit<'_>) {
    let (d, ou) = (&e.du.spec, e.ou);
    if ou.email == cx.o.owner {
        if d.role.as_ref().is_some_and(|r| *r != RoleName::Owner) {
            cx.error(
                Rule::U7,
                e.target,
                Some(&e.du.source),
                "the account owner is never demoted".into(),
            );
        }
        return;
    }
    match decide(
        d.role.as_ref(),
        ou.spec.role.as_ref(),
        e.last.role.as_ref(),
        editable(cx, UserField::Role),
    ) {
        Decision::Keep | Decision::DriftKept { .. } => {}
        Decision::Set(to) => {
            let reason = format!("{} with role {}", e.src, to.as_str());
            change_role(cx, ou, to, Phase::Edit, reason, Some(&e.du.source));
        }
        Decision::Clear => {
            let reason = "role no longer declared: back to member".into();
            change_role(
                cx,
                ou,
                RoleName::Member,
                Phase::Edit,
                reason,
                Some(&e.du.source),
            );
        }
    }
}

/// U7: who may promote to or demote from admin.
pub(super) fn actor_may_manage_admins(cx: &Ctx<'_>) -> bool {
    let o = cx.o;
    if o.actor == o.owner {
        return true;
    }
    let Some(actor) = o.users.get(&o.actor) else {
        return false;
    };
    match &actor.spec.role {
        Some(RoleName::Owner) => true,
        Some(RoleName::Custom(name)) => o
            .roles
            .get(name)
            .is_some_and(|r| crate::model::grants(&r.privileges, "role:edit")),
        Some(RoleName::Admin) | Some(RoleName::Member) | None => false,
    }
}

/// Adds a role change (checking U7 and that the role exists); returns its id.
pub(super) fn change_role(
    cx: &mut Ctx<'_>,
    ou: &ObservedUser,
    to: RoleName,
    phase: Phase,
    reason: String,
    source: Option<&Source>,
) -> Option<ChangeId> {
    let target = ObjectRef::User(ou.email.clone());
    let from = ou.spec.role.clone().unwrap_or(RoleName::Member);
    let dep = check_role_change(cx, &target, &from, &to, source)?;
    let promotion = to.is_admin_level() && !from.is_admin_level();
    let reason = if promotion {
        format!("{reason} (promotion to admin: U7)")
    } else {
        reason
    };
    let op = Op::ChangeRole {
        email: ou.email.clone(),
        to: to.clone(),
    };
    let c = NewChange::new(phase, Action::ChangeRole, &target, reason, op)
        .rule(Rule::U7)
        .field(
            UserField::Role.as_str(),
            json(from.as_str()),
            json(to.as_str()),
        )
        .after(dep);
    Some(cx.push(c))
}

/// U7: the owner role is never assigned, admins are promoted and demoted only by the
/// owner or a role with `role:edit`, a custom role must exist. Reports a refusal and
/// returns `None`; otherwise the creation of the role in this plan, if any, to wait for.
fn check_role_change(
    cx: &mut Ctx<'_>,
    target: &ObjectRef,
    from: &RoleName,
    to: &RoleName,
    source: Option<&Source>,
) -> Option<Option<ChangeId>> {
    if *to == RoleName::Owner {
        cx.error(
            Rule::U7,
            target,
            source,
            "the owner role cannot be assigned; change the account owner in the web portal".into(),
        );
        return None;
    }
    if (from.is_admin_level() || to.is_admin_level()) && !actor_may_manage_admins(cx) {
        let verb = if to.is_admin_level() {
            "promote"
        } else {
            "demote"
        };
        cx.error(
            Rule::U7,
            target,
            source,
            format!(
                "only the account owner or a role with the role:edit privilege may {verb} an admin; roster acts as {} here",
                cx.o.actor
            ),
        );
        return None;
    }
    let RoleName::Custom(name) = to else {
        return Some(None);
    };
    if !cx.d.roles.contains_key(name) && !cx.o.roles.contains_key(name) {
        cx.error(
            Rule::U7,
            target,
            source,
            format!("role `{name}` is neither declared (kind: Role) nor on the account"),
        );
        return None;
    }
    Some(cx.created.get(&ObjectRef::Role(name.clone())).cloned())
}
