//! Group and chat group memberships of a user, and whether the groups exist.

use super::super::context::{Ctx, NewChange, Phase, json};
use super::super::field::{Decision, decide, decide_set};
use super::super::{Action, Op};
use super::{Edit, editable};
use crate::model::ObjectRef;
use crate::model::{Rule, Source, UserField};
use serde_json::Value;
use std::collections::BTreeSet;

pub(super) fn group_exists(cx: &mut Ctx<'_>, g: &str, target: &ObjectRef, source: &Source) -> bool {
    if cx.d.groups.contains_key(g) || cx.o.groups.contains_key(g) {
        return true;
    }
    cx.error(
        Rule::Manifest,
        target,
        Some(source),
        format!("group `{g}` is neither declared (kind: Group) nor on the account"),
    );
    false
}

pub(super) fn chat_group_exists(
    cx: &mut Ctx<'_>,
    g: &str,
    target: &ObjectRef,
    source: &Source,
) -> bool {
    if cx.d.chat_groups.contains_key(g) || cx.o.chat_groups.contains_key(g) {
        return true;
    }
    cx.error(
        Rule::Manifest,
        target,
        Some(source),
        format!("chat group `{g}` is neither declared (kind: ChatGroup) nor on the account"),
    );
    false
}

/// A user is in one group: the declared one, joined (leaving the group roster put them
/// in), or none (leaving roster's group) when the manifest stops naming it.
pub(super) fn edit_group(cx: &mut Ctx<'_>, e: &Edit<'_>) {
    let (d, o, ou) = (&e.du.spec, &e.ou.spec, e.ou);
    let decision = if d.group.as_ref().is_some_and(|g| ou.groups.contains(g)) {
        Decision::Keep
    } else {
        decide(
            d.group.as_ref(),
            o.group.as_ref(),
            e.last.group.as_ref(),
            editable(cx, UserField::Group),
        )
    };
    let leave = |g: Option<&String>, deleted: &BTreeSet<ObjectRef>| -> BTreeSet<String> {
        e.last
            .group
            .iter()
            .filter(|lg| ou.groups.contains(*lg) && Some(*lg) != g)
            // A group this plan deletes takes its members out with it.
            .filter(|lg| !deleted.contains(&ObjectRef::Group((*lg).clone())))
            .cloned()
            .collect()
    };
    let name = UserField::Group.as_str();
    let (group, reason, to, dep) = match decision {
        Decision::Keep | Decision::DriftKept { .. } => return,
        Decision::Set(g) => {
            if !group_exists(cx, &g, e.target, &e.du.source) {
                return;
            }
            let dep = cx.created.get(&ObjectRef::Group(g.clone())).cloned();
            let reason = format!("{} in group {g}", e.src);
            (Some(g.clone()), reason, json(&g), dep)
        }
        Decision::Clear => (None, "group no longer declared".into(), Value::Null, None),
    };
    let remove_from = leave(group.as_ref(), &cx.deleted);
    if group.is_none() && remove_from.is_empty() {
        return;
    }
    let op = Op::SetGroup {
        email: e.du.email.clone(),
        group,
        remove_from,
    };
    cx.push(
        NewChange::new(Phase::Edit, Action::SetGroup, e.target, reason, op)
            .field(name, json(&o.group), to)
            .after(dep),
    );
}

/// Chat groups: roster adds the declared ones and removes only those it added.
pub(super) fn edit_chat_groups(cx: &mut Ctx<'_>, e: &Edit<'_>) {
    let email = &e.du.email;
    let have = e.ou.spec.chat_groups.clone().unwrap_or_default();
    let (add, remove) = decide_set(
        e.du.spec.chat_groups.as_ref(),
        &have,
        e.last.chat_groups.as_ref(),
    );
    let name = UserField::ChatGroups.as_str();
    for g in remove {
        if cx.deleted.contains(&ObjectRef::ChatGroup(g.clone())) {
            // Deleting the chat group takes its members out; removing them one by one first
            // would fail on the last one (400/300, issue 10 item 3).
            continue;
        }
        let op = Op::RemoveChatGroup {
            email: email.clone(),
            group: g.clone(),
        };
        let reason = format!("chat group {g} no longer declared for the user");
        cx.push(
            NewChange::new(Phase::Edit, Action::RemoveChatGroup, e.target, reason, op)
                .part(&g)
                .field(name, json(&g), Value::Null),
        );
    }
    for g in add {
        if !chat_group_exists(cx, &g, e.target, &e.du.source) {
            continue;
        }
        let dep = cx.created.get(&ObjectRef::ChatGroup(g.clone())).cloned();
        let op = Op::AddChatGroup {
            email: email.clone(),
            group: g.clone(),
        };
        let reason = format!("{} in chat group {g}", e.src);
        cx.push(
            NewChange::new(Phase::Edit, Action::AddChatGroup, e.target, reason, op)
                .part(&g)
                .field(name, Value::Null, json(&g))
                .after(dep),
        );
    }
}
