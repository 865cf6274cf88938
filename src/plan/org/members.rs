//! The accounts invited into the organization this account owns (O4–O6).

use super::super::context::{Ctx, NewChange, Phase, json};
use super::super::{Action, Op};
use super::{owned, resend_due};
use crate::model::{ChangeId, Email, LinkState, ObjectRef, OrgMember, Rule, Source};
use std::collections::BTreeSet;

/// Invites, waits for or resends each declared member, and unlinks the undeclared ones.
pub(super) fn plan_members(
    cx: &mut Ctx<'_>,
    name: &str,
    members: &[(Email, Source)],
    source: &Source,
    create_id: Option<ChangeId>,
) {
    let current = cx.o.organization.organization.as_ref();
    let mut declared = BTreeSet::new();
    for (email, at) in members {
        declared.insert(email.clone());
        let t = ObjectRef::OrgMember {
            organization: name.to_string(),
            email: email.clone(),
        };
        match current.and_then(|o| o.members.get(email)) {
            None => invite(cx, &t, email, at, create_id.clone()),
            Some(m) => pending(cx, &t, email, m),
        }
    }
    unlink_undeclared(cx, name, source, &declared);
}

/// Invites `email` (O5; from a linked account, the owner approves first, O4).
fn invite(cx: &mut Ctx<'_>, t: &ObjectRef, email: &Email, at: &Source, after: Option<ChangeId>) {
    if let Some(other) = cx.o.organization.elsewhere.get(email) {
        cx.error(Rule::O2, t, Some(at), format!("the account of {email} already belongs to organization \"{other}\": the invitation would be rejected"));
        return;
    }
    let owned = owned(cx.o.organization.organization.as_ref());
    let why = if owned {
        "Zoom emails the invitation; it stays pending until they approve (O5)"
    } else {
        "this account is a linked member: the organization owner must approve before the invitation is sent (O4)"
    };
    cx.push(
        NewChange::new(
            Phase::Add,
            Action::InviteAccount,
            t,
            format!("declared in {at}; {why}"),
            Op::InviteAccount {
                email: email.clone(),
            },
        )
        .rule(if owned { Rule::O5 } else { Rule::O4 })
        .after(after),
    );
}

/// A member already invited or linked: nothing, a wait, or a resend (O6).
fn pending(cx: &mut Ctx<'_>, t: &ObjectRef, email: &Email, m: &OrgMember) {
    match m.state {
        LinkState::Linked => {}
        LinkState::AwaitingOwner => cx.wait(
            t,
            "the invitation waits for the organization owner's approval (O4)".into(),
        ),
        LinkState::Sent => {
            let sent = m.sent_at.unwrap_or(cx.now);
            let owned = owned(cx.o.organization.organization.as_ref());
            match resend_due(cx, sent).filter(|_| owned) {
                Some(after) => {
                    let reason = format!(
                        "pending since {} ({} days), longer than {} days (O6)",
                        sent.format("%Y-%m-%d"),
                        (cx.now - sent).num_days(),
                        after.num_days()
                    );
                    let op = Op::ResendAccountInvitation {
                        email: email.clone(),
                    };
                    cx.push(
                        NewChange::new(Phase::Add, Action::ResendAccountInvitation, t, reason, op)
                            .rule(Rule::O6)
                            .field("sentAt", json(sent), json(cx.now)),
                    );
                }
                None => cx.wait(
                    t,
                    format!(
                        "invited on {}; pending until {email} approves (O5)",
                        sent.format("%Y-%m-%d")
                    ),
                ),
            }
        }
    }
}

/// Members linked or invited but no longer declared: unlinked by the owner (O6), only
/// warned about from a linked account.
fn unlink_undeclared(cx: &mut Ctx<'_>, name: &str, source: &Source, declared: &BTreeSet<Email>) {
    let Some(o) = cx.o.organization.organization.as_ref() else {
        return;
    };
    let owner = o.owner_email.clone();
    let undeclared: Vec<(Email, LinkState)> = o
        .members
        .iter()
        .filter(|(e, _)| !declared.contains(*e))
        .map(|(e, m)| (e.clone(), m.state))
        .collect();
    let owned = o.owned;
    for (email, state) in undeclared {
        let t = ObjectRef::OrgMember {
            organization: name.to_string(),
            email: email.clone(),
        };
        if !owned {
            cx.warn(Some(Rule::O6), &t, format!("linked or invited but not declared; only the organization owner can unlink it ({owner})"));
            continue;
        }
        let what = if state == LinkState::Linked {
            "linked"
        } else {
            "invited"
        };
        cx.push(
            NewChange::new(
                Phase::Remove,
                Action::UnlinkAccount,
                &t,
                format!("{what} but no longer declared in {source} (O6)"),
                Op::UnlinkAccount { email },
            )
            .rule(Rule::O6),
        );
    }
}
