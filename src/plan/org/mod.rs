//! The diff of the organization of linked accounts (O1–O7): the organization itself here,
//! its members in `members`. External contacts (K2, U12) are in `plan::contacts`, personal
//! contacts (K5–K7) in `plan::personal`.

mod members;

use super::context::{Ctx, NewChange, Phase, json};
use super::{Action, Op};
use crate::model::{ChangeId, DesiredOrganization, Email, ObjectRef, ObservedOrganization, Rule};
use crate::model::{Source, Timestamp};

/// Organization invitations: resent after this long without an answer (O6), unless
/// `invitations.resendAfter` says otherwise.
const LINK_RESEND_DAYS: i64 = 25;

/// Plans the organization this account owns or joins, or the deletion of one no longer
/// declared. Where nothing is observable (Zoom), reconcile has folded roster's record of
/// confirmed manual changes into the observation; with no record, plan from nothing.
pub(crate) fn plan_organization(cx: &mut Ctx<'_>) {
    match &cx.d.organization {
        Some(DesiredOrganization::Own {
            name,
            members,
            source,
        }) => own(cx, name, members, source),
        Some(DesiredOrganization::Join { owner, source }) => join(cx, owner, source),
        None => dropped(cx),
    }
}

/// This account owns the organization `name` (O1, O3), with `members` invited (O5).
fn own(cx: &mut Ctx<'_>, name: &str, members: &[(Email, Source)], source: &Source) {
    let target = ObjectRef::Organization(name.to_string());
    cx.next.organization = Some(name.to_string());
    let current = cx.o.organization.organization.as_ref();
    let create_id = match current {
        None => {
            if let Some(owner) = &cx.o.organization.join_request {
                cx.error(Rule::O2, &target, Some(source), format!("this account asked to join the organization owned by {owner}; an account belongs to at most one organization"));
                return;
            }
            Some(create(cx, name, &target, source))
        }
        Some(o) if o.name != name => {
            cx.error(Rule::O2, &target, Some(source), format!("this account already belongs to organization \"{}\"; an account belongs to at most one organization", o.name));
            return;
        }
        Some(_) => None,
    };
    members::plan_members(cx, name, members, source, create_id);
}

fn create(cx: &mut Ctx<'_>, name: &str, target: &ObjectRef, source: &Source) -> ChangeId {
    cx.push(
        NewChange::new(
            Phase::Containers,
            Action::CreateOrganization,
            target,
            format!("declared in {source}; this account will own it (O3)"),
            Op::CreateOrganization {
                name: name.to_string(),
            },
        )
        .rule(Rule::O1)
        .field("name", serde_json::Value::Null, json(name)),
    )
}

/// This account asks to join the organization owned by `owner` (O7).
fn join(cx: &mut Ctx<'_>, owner: &Email, source: &Source) {
    let target = ObjectRef::Organization(owner.to_string());
    cx.next.organization = Some(format!("join:{owner}"));
    match cx.o.organization.organization.as_ref() {
        Some(o) if &o.owner_email == owner => {}
        Some(o) => cx.error(Rule::O2, &target, Some(source), format!("this account already belongs to organization \"{}\" (owned by {}); it must leave it before joining another", o.name, o.owner_email)),
        None if cx.o.organization.join_request.as_ref() == Some(owner) => cx.wait(&target, format!("the request to join is pending until {owner} approves (O7)")),
        None => {
            cx.push(NewChange::new(Phase::Add, Action::RequestLink, &target, format!("declared in {source}; the request stays pending until {owner} approves (O7)"), Op::RequestLink { owner: owner.clone() }).rule(Rule::O7));
        }
    }
}

/// No Organization manifest: the organization roster created is deleted, by its owner
/// only (O3).
fn dropped(cx: &mut Ctx<'_>) {
    let Some(was) = cx.l.organization.clone() else {
        return;
    };
    let Some(o) = cx.o.organization.organization.as_ref() else {
        return;
    };
    if was.starts_with("join:") || o.name != was {
        return;
    }
    let target = ObjectRef::Organization(o.name.clone());
    if !o.owned {
        let message = format!(
            "the Organization manifest was removed but this account does not own \"{}\": only the owning account ({}) can delete it",
            o.name, o.owner_email
        );
        cx.error(Rule::O3, &target, None, message);
        return;
    }
    cx.push(
        NewChange::new(
            Phase::Remove,
            Action::DeleteOrganization,
            &target,
            "no longer declared; this account owns it (O3)".into(),
            Op::DeleteOrganization {
                name: o.name.clone(),
            },
        )
        .rule(Rule::O3),
    );
}

/// When a pending organization invitation is due for a resend (O6).
fn resend_due(cx: &Ctx<'_>, sent: Timestamp) -> Option<chrono::Duration> {
    let after =
        cx.d.account
            .policy
            .resend_after
            .unwrap_or(chrono::Duration::days(LINK_RESEND_DAYS));
    (sent + after <= cx.now).then_some(after)
}

/// Whether this account owns the organization (true before it exists: it will).
fn owned(current: Option<&ObservedOrganization>) -> bool {
    current.is_none_or(|o| o.owned)
}
