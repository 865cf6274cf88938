//! The diff of containers: custom roles, user groups and chat groups. Only objects roster
//! created are ever deleted; those it found on the account are left alone.

use super::context::{Ctx, NewChange, Phase, json};
use super::{Action, Op};
use crate::model::ObjectRef;
use crate::model::Rule;

pub(crate) fn plan_containers(cx: &mut Ctx<'_>) {
    let (d, o, l) = (cx.d, cx.o, cx.l);
    for r in d.roles.values() {
        let target = ObjectRef::Role(r.name.clone());
        match o.roles.get(&r.name) {
            None => {
                let id = cx.push(
                    NewChange::new(
                        Phase::Containers,
                        Action::CreateRole,
                        &target,
                        format!("declared in {} and absent from the account", r.source),
                        Op::CreateRole {
                            name: r.name.clone(),
                            description: r.description.clone(),
                            privileges: r.privileges.clone(),
                        },
                    )
                    .field(
                        "privileges",
                        serde_json::Value::Null,
                        json(&r.privileges),
                    ),
                );
                cx.created.insert(target, id);
                cx.next.roles.insert(r.name.clone(), r.privileges.clone());
            }
            Some(or) => {
                if !crate::model::same_privileges(&or.privileges, &r.privileges) {
                    cx.push(
                        NewChange::new(
                            Phase::Containers,
                            Action::UpdateRole,
                            &target,
                            format!(
                                "privileges declared in {} differ from the account",
                                r.source
                            ),
                            Op::UpdateRole {
                                name: r.name.clone(),
                                description: r.description.clone(),
                                privileges: r.privileges.clone(),
                            },
                        )
                        .rule(Rule::U7)
                        .field(
                            "privileges",
                            json(&or.privileges),
                            json(&r.privileges),
                        ),
                    );
                }
                if l.roles.contains_key(&r.name) {
                    cx.next.roles.insert(r.name.clone(), r.privileges.clone());
                }
            }
        }
    }
    for name in l.roles.keys() {
        if !d.roles.contains_key(name) && o.roles.contains_key(name) {
            let holders = o
                .users
                .values()
                .any(|u| u.spec.role.as_ref().is_some_and(|r| r.as_str() == name));
            let target = ObjectRef::Role(name.clone());
            if holders {
                cx.warn(
                    Some(Rule::U7),
                    &target,
                    "no longer declared but still held by users: not deleted until nobody holds it"
                        .into(),
                );
                cx.next.roles.insert(name.clone(), l.roles[name].clone());
                continue;
            }
            cx.push(NewChange::new(
                Phase::Cleanup,
                Action::DeleteRole,
                &target,
                "created by roster and no longer declared".into(),
                Op::DeleteRole { name: name.clone() },
            ));
        }
    }
    groups(cx, false);
    groups(cx, true);
}

fn groups(cx: &mut Ctx<'_>, chat: bool) {
    let (d, o, l) = (cx.d, cx.o, cx.l);
    let (desired, observed, last) = if chat {
        (&d.chat_groups, &o.chat_groups, &l.chat_groups)
    } else {
        (&d.groups, &o.groups, &l.groups)
    };
    let key = |name: &str| {
        if chat {
            ObjectRef::ChatGroup(name.to_string())
        } else {
            ObjectRef::Group(name.to_string())
        }
    };
    for g in desired.values() {
        let target = key(&g.name);
        if !observed.contains_key(&g.name) {
            let reason = format!("declared in {} and absent from the account", g.source);
            let (action, op) = if chat {
                (
                    Action::CreateChatGroup,
                    Op::CreateChatGroup {
                        name: g.name.clone(),
                        description: g.description.clone(),
                    },
                )
            } else {
                (
                    Action::CreateGroup,
                    Op::CreateGroup {
                        name: g.name.clone(),
                        description: g.description.clone(),
                    },
                )
            };
            let id = cx.push(
                NewChange::new(Phase::Containers, action, &target, reason, op).field(
                    "name",
                    serde_json::Value::Null,
                    json(&g.name),
                ),
            );
            cx.created.insert(target, id);
            insert(cx, chat, &g.name, g.description.clone());
        } else if last.contains_key(&g.name) {
            insert(cx, chat, &g.name, g.description.clone());
        }
    }
    for name in last.keys() {
        if desired.contains_key(name) || !observed.contains_key(name) {
            continue;
        }
        let target = key(name);
        let (action, op) = if chat {
            (
                Action::DeleteChatGroup,
                Op::DeleteChatGroup { name: name.clone() },
            )
        } else {
            (Action::DeleteGroup, Op::DeleteGroup { name: name.clone() })
        };
        cx.push(NewChange::new(
            Phase::Cleanup,
            action,
            &target,
            "created by roster and no longer declared".into(),
            op,
        ));
        cx.deleted.insert(target);
    }
}

fn insert(cx: &mut Ctx<'_>, chat: bool, name: &str, description: Option<String>) {
    if chat {
        cx.next.chat_groups.insert(name.to_string(), description);
    } else {
        cx.next.groups.insert(name.to_string(), description);
    }
}
