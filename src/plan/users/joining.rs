//! New users (U5), pending invitations (U8: resend, expiry) and what waits for a user
//! to accept or to be reactivated (U13).

use super::super::context::{Ctx, NewChange, Phase, json};
use super::super::seats::Pools;
use super::super::{Action, Op};

use super::{INVITATION_LIFETIME_DAYS, check_on_prem, desired_type};
use crate::model::{DesiredStatus, DesiredUser, ObservedUser, RoleName, Rule, UserField, UserType};
use crate::model::{ObjectRef, Timestamp};
use serde_json::Value;

/// U5: a declared user absent from the account is created (an activation email) or, when
/// the email has a Zoom user elsewhere, invited to join; U8: one whose invitation expired
/// is invited again.
pub(super) fn add_user(cx: &mut Ctx<'_>, pools: &mut Pools, du: &DesiredUser, target: &ObjectRef) {
    if !check_on_prem(cx, du, target) {
        return;
    }
    if let Some(why) = cx.o.unread_lookups.get(&du.email) {
        cx.wait(target, format!("not added this run: looking up whether the email already has a Zoom user failed ({why}); the next run looks it up again"));
        return;
    }
    let user_type = desired_type(du);
    let (action, rule, reason, op) = match expired_invitation(cx, du) {
        Some(sent) => resend_expired(du, sent, user_type),
        None => create_or_invite(cx, du, target, user_type),
    };
    let mut c = NewChange::new(Phase::Add, action, target, reason, op)
        .rule(rule)
        .field(UserField::Type.as_str(), Value::Null, json(user_type));
    if let Some(n) = &du.spec.first_name {
        c = c.field(UserField::FirstName.as_str(), Value::Null, json(n));
    }
    if let Some(n) = &du.spec.last_name {
        c = c.field(UserField::LastName.as_str(), Value::Null, json(n));
    }
    let id = cx.push(c);
    if user_type == UserType::Licensed {
        pools.consume_licence(id, du.source.clone(), target);
    }
    cx.next.invitations.insert(du.email.clone(), cx.now);
    let waiting = pending_fields(cx, du, None);
    if !waiting.is_empty() {
        cx.wait(target, format!("{} wait until the invitation is accepted (pending users hold no group, role or add-on)", waiting.join(", ")));
    }
}

/// A new user's change: action, rule, reason and operation.
type Join = (Action, Rule, String, Op);

/// U8: whether the user's invitation expired (Zoom listed it as expired, or roster sent
/// it more than 30 days ago), with when it was sent when known.
fn expired_invitation(cx: &Ctx<'_>, du: &DesiredUser) -> Option<Option<Timestamp>> {
    let recorded = cx.l.invitations.get(&du.email).copied();
    cx.o.expired_invitations
        .get(&du.email)
        .map(|sent| sent.or(recorded))
        .or_else(|| {
            recorded
                .filter(|sent| *sent + chrono::Duration::days(INVITATION_LIFETIME_DAYS) <= cx.now)
                .map(Some)
        })
}

/// U8: the expired invitation is sent again.
fn resend_expired(du: &DesiredUser, sent: Option<Timestamp>, user_type: UserType) -> Join {
    let when = match sent {
        Some(sent) => format!(
            "the invitation sent on {} expired on {}",
            sent.format("%Y-%m-%d"),
            (sent + chrono::Duration::days(INVITATION_LIFETIME_DAYS)).format("%Y-%m-%d")
        ),
        None => {
            "the invitation expired unanswered (Zoom answers 1120; when it was sent is unknown)"
                .to_string()
        }
    };
    (
        Action::ResendInvitation,
        Rule::U8,
        format!(
            "declared in {}; {when} (U8: 30 days), so it is sent again",
            du.source
        ),
        Op::ResendInvitation {
            email: du.email.clone(),
            user_type,
            first_name: du.spec.first_name.clone(),
            last_name: du.spec.last_name.clone(),
        },
    )
}

/// U5: an activation email, or an invitation to join for an email with a Zoom user
/// elsewhere (I6: a licensed one joining as basic is warned).
fn create_or_invite(
    cx: &mut Ctx<'_>,
    du: &DesiredUser,
    target: &ObjectRef,
    user_type: UserType,
) -> Join {
    let op = Op::CreateUser {
        email: du.email.clone(),
        user_type,
        first_name: du.spec.first_name.clone(),
        last_name: du.spec.last_name.clone(),
    };
    let Some(existing) = cx.o.existing_elsewhere.get(&du.email) else {
        let reason = format!(
            "declared in {} and absent from the account; Zoom sends an activation email",
            du.source
        );
        return (Action::CreateUser, Rule::U5, reason, op);
    };
    if existing.licensed && user_type == UserType::Basic {
        cx.warn(
            Some(Rule::I6),
            target,
            "is a licensed Zoom user today; joining as basic loses the licensed features (licences do not move, I4)".into(),
        );
    }
    let reason = format!(
        "declared in {} and absent from the account; the email already has a Zoom account, so Zoom sends an invitation to join",
        du.source
    );
    (Action::InviteUser, Rule::U5, reason, op)
}

/// The fields of a desired user that a pending (or new) user cannot take yet.
pub(super) fn pending_fields(
    cx: &Ctx<'_>,
    du: &DesiredUser,
    ou: Option<&ObservedUser>,
) -> Vec<String> {
    let mut out = Vec::new();
    let s = &du.spec;
    let o = ou.map(|u| &u.spec);
    if let Some(r) = &s.role
        && *r != RoleName::Member
        && o.and_then(|o| o.role.as_ref()) != Some(r)
    {
        out.push(format!("role {}", r.as_str()));
    }
    if let Some(g) = &s.group
        && ou.is_none_or(|u| !u.groups.contains(g))
    {
        out.push(format!("group {g}"));
    }
    if let Some(cg) = &s.chat_groups {
        let have = o.and_then(|o| o.chat_groups.clone()).unwrap_or_default();
        let missing: Vec<_> = cg.difference(&have).cloned().collect();
        if !missing.is_empty() {
            out.push(format!("chat groups {}", missing.join(", ")));
        }
    }
    if let Some(a) = &s.addons
        && !a.is_empty()
    {
        out.push(format!(
            "add-ons {}",
            a.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let profile = [
        (UserField::Department, &s.department),
        (UserField::JobTitle, &s.job_title),
        (UserField::Location, &s.location),
    ];
    for (f, v) in profile {
        if v.as_ref().is_some_and(|v| !v.is_empty()) {
            out.push(f.as_str().to_string());
        }
    }
    if s.manager.is_some() {
        out.push(UserField::Manager.as_str().into());
    }
    if s.custom_attributes.as_ref().is_some_and(|m| !m.is_empty()) {
        out.push(UserField::CustomAttributes.as_str().into());
    }
    let _ = cx;
    out
}

/// U8: a pending user whose invitation is older than `invitations.resendAfter` is
/// invited again; what the pending user cannot hold yet waits.
pub(super) fn pending_user(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    du: &DesiredUser,
    ou: &ObservedUser,
    target: &ObjectRef,
) {
    let sent = ou
        .invited_at
        .or_else(|| cx.l.invitations.get(&du.email).copied())
        .unwrap_or(cx.now);
    cx.next.invitations.insert(du.email.clone(), sent);
    if let Some(resend_after) = cx.d.account.policy.resend_after
        && cx.now - sent >= resend_after
        && !resend(cx, pools, du, ou, target, sent, resend_after)
    {
        return;
    }
    note_pending_waits(cx, du, ou, target);
}

/// U8: the resend itself, with the type the manifest asks for (the seat follows); `false`
/// when the type cannot be used (U2 on-prem), which is reported.
fn resend(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    du: &DesiredUser,
    ou: &ObservedUser,
    target: &ObjectRef,
    sent: Timestamp,
    resend_after: chrono::Duration,
) -> bool {
    if !check_on_prem(cx, du, target) {
        return false;
    }
    let user_type = desired_type(du);
    let was = ou.spec.user_type.unwrap_or(UserType::Basic);
    let reason = format!(
        "pending since {} ({} days), longer than invitations.resendAfter ({} days); resending resets the 30-day expiry (U8)",
        sent.format("%Y-%m-%d"),
        (cx.now - sent).num_days(),
        resend_after.num_days()
    );
    let op = Op::ResendInvitation {
        email: du.email.clone(),
        user_type,
        first_name: du
            .spec
            .first_name
            .clone()
            .or_else(|| ou.spec.first_name.clone()),
        last_name: du
            .spec
            .last_name
            .clone()
            .or_else(|| ou.spec.last_name.clone()),
    };
    let mut c = NewChange::new(Phase::Add, Action::ResendInvitation, target, reason, op)
        .rule(Rule::U8)
        .field("invitedAt", json(sent), json(cx.now));
    if was != user_type {
        c = c.field(UserField::Type.as_str(), json(was), json(user_type));
    }
    let id = cx.push(c);
    match (was == UserType::Licensed, user_type == UserType::Licensed) {
        (false, true) => pools.consume_licence(id, du.source.clone(), target),
        (true, false) => pools.free_licence(id),
        (true, true) | (false, false) => {}
    }
    cx.next.invitations.insert(du.email.clone(), cx.now);
    true
}

pub(super) fn note_pending_waits(
    cx: &mut Ctx<'_>,
    du: &DesiredUser,
    ou: &ObservedUser,
    target: &ObjectRef,
) {
    let mut waiting = pending_fields(cx, du, Some(ou));
    if let (Some(d), Some(o)) = (du.spec.user_type, ou.spec.user_type)
        && d != o
    {
        waiting.insert(0, format!("type {}", d.as_str()));
    }
    if !waiting.is_empty() {
        cx.wait(target, format!("{} wait until the invitation is accepted (pending users hold no group, role or add-on)", waiting.join(", ")));
    }
}

/// A deactivated user the manifests declare: reactivated when declared active. A
/// deactivated user holds no licence (Pools::new), so reactivating a licensed one takes a
/// licence seat back (U2: Zoom answers 3412 when none is free); found by the simulation
/// of issue 17, where such a plan was accepted and refused by Zoom on every run.
pub(super) fn inactive_user(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    du: &DesiredUser,
    ou: &ObservedUser,
    target: &ObjectRef,
) {
    if du.status == DesiredStatus::Active {
        let id = cx.push(
            NewChange::new(
                Phase::Add,
                Action::ActivateUser,
                target,
                format!(
                    "declared active in {} and deactivated on the account",
                    du.source
                ),
                Op::ActivateUser {
                    email: du.email.clone(),
                },
            )
            .rule(Rule::U13)
            .field("status", json("deactivated"), json("active")),
        );
        if ou.spec.user_type == Some(UserType::Licensed) {
            pools.consume_licence(id, du.source.clone(), target);
        }
    }
    let differs = differing_fields(du, ou);
    if !differs.is_empty() {
        let when = if du.status == DesiredStatus::Active {
            "wait until the user is reactivated"
        } else {
            "wait: a deactivated user cannot be edited"
        };
        cx.wait(target, format!("{} {when}", differs.join(", ")));
    }
}

/// The declared fields a deactivated user does not have yet, in plan display order.
pub(super) fn differing_fields(du: &DesiredUser, ou: &ObservedUser) -> Vec<&'static str> {
    UserField::ALL
        .into_iter()
        .filter(|f| differs(du, ou, *f))
        .map(UserField::as_str)
        .collect()
}

/// Whether the manifest names `field` with a value the observed user does not hold.
pub(super) fn differs(du: &DesiredUser, ou: &ObservedUser, field: UserField) -> bool {
    let d = &du.spec;
    let o = &ou.spec;
    fn named_and_differs<T: PartialEq>(d: &Option<T>, o: &Option<T>) -> bool {
        d.is_some() && d != o
    }
    match field {
        UserField::FirstName => named_and_differs(&d.first_name, &o.first_name),
        UserField::LastName => named_and_differs(&d.last_name, &o.last_name),
        UserField::Type => named_and_differs(&d.user_type, &o.user_type),
        UserField::Addons => named_and_differs(&d.addons, &o.addons),
        UserField::Role => named_and_differs(&d.role, &o.role),
        UserField::Group => d.group.as_ref().is_some_and(|g| !ou.groups.contains(g)),
        UserField::ChatGroups => named_and_differs(&d.chat_groups, &o.chat_groups),
        UserField::Department => named_and_differs(&d.department, &o.department),
        UserField::Manager => named_and_differs(&d.manager, &o.manager),
        UserField::JobTitle => named_and_differs(&d.job_title, &o.job_title),
        UserField::Location => named_and_differs(&d.location, &o.location),
        // Not reported while deactivated (as before this table existed): attribute
        // keys are diffed one by one once the user is active again.
        UserField::CustomAttributes => false,
    }
}
