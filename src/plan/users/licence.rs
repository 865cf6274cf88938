//! A user's licence type (U2) and add-ons (U3), with the seats they take and free.

use super::super::context::{Ctx, NewChange, Phase, json};
use super::super::field::{Decision, decide, decide_set};
use super::super::seats::Pools;
use super::{Edit, check_on_prem, editable};
use crate::model::{Action, ChangeId, Op, Rule, UserField, UserType};

/// U2: a type change; an upgrade to licensed takes a seat (and waits for one freed in
/// the same plan), a downgrade frees one. The type is never cleared. Returns the change.
pub(super) fn edit_type(cx: &mut Ctx<'_>, pools: &mut Pools, e: &Edit<'_>) -> Option<ChangeId> {
    let o = &e.ou.spec;
    let to = match decide(
        e.du.spec.user_type.as_ref(),
        o.user_type.as_ref(),
        e.last.user_type.as_ref(),
        editable(cx, UserField::Type),
    ) {
        Decision::Keep | Decision::Clear | Decision::DriftKept { .. } => return None,
        Decision::Set(to) => to,
    };
    if !check_on_prem(cx, e.du, e.target) {
        return None;
    }
    let from = o.user_type.unwrap_or(UserType::Basic);
    let upgrade = to == UserType::Licensed;
    let phase = if upgrade { Phase::Edit } else { Phase::Free };
    let op = Op::ChangeUserType {
        email: e.du.email.clone(),
        to,
    };
    let reason = format!("{} as {}", e.src, to.as_str());
    let id = cx.push(
        NewChange::new(phase, Action::ChangeUserType, e.target, reason, op)
            .rule(Rule::U2)
            .field(UserField::Type.as_str(), json(from), json(to)),
    );
    match (from == UserType::Licensed, upgrade) {
        (false, true) => pools.consume_licence(id.clone(), e.du.source.clone(), e.target),
        (true, false) => pools.free_licence(id.clone()),
        (true, true) | (false, false) => {}
    }
    Some(id)
}

/// U3: add-ons the manifest names are assigned (each takes a seat); the ones roster
/// assigned and the manifest dropped are removed first (each frees one). A Basic user
/// holds no add-on (Zoom answers 1108): asking for one is an error, and an upgrade in
/// the same plan (`type_change`) comes first.
pub(super) fn edit_addons(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    e: &Edit<'_>,
    type_change: Option<ChangeId>,
) {
    let email = &e.du.email;
    let have = e.ou.spec.addons.clone().unwrap_or_default();
    let (add, remove) = decide_set(e.du.spec.addons.as_ref(), &have, e.last.addons.as_ref());
    let name = UserField::Addons.as_str();
    for a in remove {
        let op = Op::RemoveAddon {
            email: email.clone(),
            addon: a,
        };
        let reason = format!("{} without add-on {}", e.src, a.as_str());
        let id = cx.push(
            NewChange::new(Phase::Free, Action::RemoveAddon, e.target, reason, op)
                .rule(Rule::U3)
                .part(a.as_str())
                .field(name, json(&have), json(a.as_str())),
        );
        pools.free_addon(a, id);
    }
    let will_be =
        e.du.spec
            .user_type
            .or(e.ou.spec.user_type)
            .unwrap_or(UserType::Basic);
    if will_be == UserType::Basic
        && let Some(a) = add.first()
    {
        cx.error(
            Rule::U3,
            e.target,
            Some(&e.du.source),
            format!(
                "add-on {} needs a licensed (or on-prem) user: {} is basic, and Zoom refuses add-ons for basic users (1108); declare type: licensed",
                a.as_str(),
                e.du.email
            ),
        );
        return;
    }
    for a in add {
        let op = Op::AssignAddon {
            email: email.clone(),
            addon: a,
        };
        let reason = format!("{} with add-on {}", e.src, a.as_str());
        let id = cx.push(
            NewChange::new(Phase::Edit, Action::AssignAddon, e.target, reason, op)
                .rule(Rule::U3)
                .part(a.as_str())
                .field(name, json(&have), json(a.as_str()))
                .after(type_change.clone()),
        );
        pools.consume_addon(a, id, e.du.source.clone(), e.target);
    }
}
