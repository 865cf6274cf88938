//! Calendly's organization-wide Zoom connection (C1–C7, seed 003): connect it through the
//! declared Zoom admin, keep its C5 options, and guard it (C2): a change in this plan, or
//! drift observed, that takes the admin role from the Zoom user that completed it is a
//! plan error, unless a `fallbackAdmins` member is a Zoom admin in the desired state; then
//! `reconnect_calendly` through that admin is ordered before the change.

use super::context::{Ctx, NewChange, Phase, json};
use super::users::{AdminEffect, admin_effect};
use super::{Action, Op};
use crate::model::{
    CalendlyConnectionStatus, CalendlyObservation, ChangeId, DesiredCalendly, Email, ObjectRef,
    ObservedCalendlyConnection, ObservedStatus, RoleName, Rule,
};
use std::collections::BTreeMap;

/// Plans the declared connection, if any.
pub(crate) fn plan_calendly(cx: &mut Ctx<'_>) {
    let Some(d) = cx.d.calendly.as_ref() else {
        return;
    };
    let t = ObjectRef::Calendly(d.organization.clone());
    let Some(o) = check_token(cx, d, &t) else {
        return;
    };
    let after = admins_after(cx);
    match o.connection.as_ref() {
        None => connect(cx, d, &t, &after),
        Some(c) => {
            let reconnected = keep_connected(cx, d, &t, c, &after);
            options(cx, d, &t, c, reconnected);
        }
    }
}

/// C1: roster reads the declared organization with an owner's or admin's token.
fn check_token<'a>(
    cx: &mut Ctx<'a>,
    d: &DesiredCalendly,
    t: &ObjectRef,
) -> Option<&'a CalendlyObservation> {
    let Some(o) = cx.o.calendly.as_ref() else {
        let msg = format!(
            "roster sees no Calendly organization \"{}\": give `credentials.token` (an owner's or admin's personal access token) on provider zoom, or a `calendly:` organization in the simulator's seed",
            d.organization
        );
        cx.error(Rule::C1, t, Some(&d.source), msg);
        return None;
    };
    if o.organization != d.organization {
        let msg = format!(
            "the Calendly token belongs to organization \"{}\", not \"{}\": fix `organization` or the token",
            o.organization, d.organization
        );
        cx.error(Rule::C1, t, Some(&d.source), msg);
        return None;
    }
    match o.actor_role() {
        Some(r) if r.may_connect() => Some(o),
        r => {
            let role = r.map_or("not a member of it".to_string(), |r| {
                format!("a Calendly {r}")
            });
            let msg = format!(
                "roster's Calendly token acts as {}, {role}: only a Calendly owner or admin can start the organization's Zoom connection; use an owner's or admin's token",
                o.actor
            );
            cx.error(Rule::C1, t, Some(&d.source), msg);
            None
        }
    }
}

/// Who is a Zoom admin (owner included) once this plan's changes are applied.
fn admins_after(cx: &Ctx<'_>) -> BTreeMap<Email, bool> {
    let mut admins: BTreeMap<Email, bool> =
        cx.o.users
            .values()
            .filter(|u| u.status == ObservedStatus::Active)
            .map(|u| (u.email.clone(), is_admin_now(cx, &u.email)))
            .collect();
    for (_, c) in &cx.changes {
        match admin_effect(&c.op) {
            AdminEffect::Role(email, admin) => {
                if let Some(v) = admins.get_mut(email) {
                    *v = admin;
                }
            }
            AdminEffect::Leaves(email) => {
                admins.remove(email);
            }
            AdminEffect::None => {}
        }
    }
    admins
}

/// An active owner or admin of the account as observed.
fn is_admin_now(cx: &Ctx<'_>, email: &Email) -> bool {
    cx.o.users.get(email).is_some_and(|u| {
        u.status == ObservedStatus::Active
            && (u.email == cx.o.owner || u.spec.role.as_ref().is_some_and(RoleName::is_admin_level))
    })
}

/// C2: the first of `zoomAdmin` and `fallbackAdmins` that is an admin in the desired state.
fn chosen_admin<'d>(d: &'d DesiredCalendly, after: &BTreeMap<Email, bool>) -> Option<&'d Email> {
    std::iter::once(&d.zoom_admin)
        .chain(&d.fallback_admins)
        .find(|e| after.get(*e).copied().unwrap_or(false))
}

/// Makes `admin` an admin before the reconnection: nothing when already one; when this
/// plan promotes them, that promotion moves to the first phase and the reconnection
/// waits for it.
fn ready(cx: &mut Ctx<'_>, admin: &Email) -> Option<ChangeId> {
    if is_admin_now(cx, admin) {
        return None;
    }
    let (phase, change) = cx.changes.iter_mut().find(|(_, c)| {
        matches!(&c.op, Op::ChangeRole { email, to } if email == admin && to.is_admin_level())
    })?;
    *phase = Phase::Promote;
    Some(change.id.clone())
}

/// C1: no connection yet: connect through the chosen admin, after everything else.
fn connect(cx: &mut Ctx<'_>, d: &DesiredCalendly, t: &ObjectRef, after: &BTreeMap<Email, bool>) {
    let Some(admin) = chosen_admin(d, after).cloned() else {
        not_an_admin(cx, d, t);
        return;
    };
    let dep = ready(cx, &admin);
    let op = Op::ConnectCalendly {
        organization: d.organization.clone(),
        zoom_admin: admin.clone(),
        meeting_summary: d.meeting_summary.unwrap_or(false),
        allow_user_disconnect: d.allow_user_disconnect.unwrap_or(false),
    };
    let reason = format!(
        "declared in {}: connect Zoom for the Calendly organization, completed by the Zoom admin {admin} (C1)",
        d.source
    );
    let c = NewChange::new(Phase::Connect, Action::ConnectCalendly, t, reason, op)
        .rule(Rule::C1)
        .field("zoomAdmin", serde_json::Value::Null, json(&admin))
        .after(dep);
    cx.push(c);
}

/// C1: neither `zoomAdmin` nor any fallback is a Zoom admin in the desired state.
fn not_an_admin(cx: &mut Ctx<'_>, d: &DesiredCalendly, t: &ObjectRef) {
    let msg = format!(
        "zoomAdmin {} is not a Zoom admin in the desired state{}: only a Zoom admin can complete the Calendly connection; declare them with role admin (or list an admin in `fallbackAdmins`)",
        d.zoom_admin,
        if d.fallback_admins.is_empty() {
            ""
        } else {
            ", nor is any of fallbackAdmins"
        }
    );
    cx.error(Rule::C1, t, Some(&d.zoom_admin_source), msg);
}

/// The connection exists: reconnect it when it broke (C2 drift), before a change of this
/// plan would break it, or to follow the manifest's `zoomAdmin`. Returns the reconnection.
fn keep_connected(
    cx: &mut Ctx<'_>,
    d: &DesiredCalendly,
    t: &ObjectRef,
    c: &ObservedCalendlyConnection,
    after: &BTreeMap<Email, bool>,
) -> Option<ChangeId> {
    let chosen = chosen_admin(d, after).cloned();
    let broken = c.status == CalendlyConnectionStatus::Broken || !is_admin_now(cx, &c.zoom_user);
    if broken {
        let Some(admin) = chosen else {
            let msg = format!(
                "the Calendly connection went through {}, who is no longer a Zoom admin: it is broken for every user of \"{}\" (C7); make zoomAdmin or one of fallbackAdmins a Zoom admin in the desired state so roster can reconnect",
                c.zoom_user, d.organization
            );
            cx.error(Rule::C2, t, Some(&d.zoom_admin_source), msg);
            return None;
        };
        let why = format!(
            "{} is no longer a Zoom admin: the connection broke",
            c.zoom_user
        );
        return Some(reconnect(cx, d, t, &c.zoom_user, &admin, why));
    }
    let breaking = breaking_changes(cx, &c.zoom_user);
    if !breaking.is_empty() {
        return guard(cx, d, t, c, chosen, &breaking);
    }
    let keep = c.zoom_user == d.zoom_admin
        || (d.fallback_admins.contains(&c.zoom_user) && chosen.as_ref() != Some(&d.zoom_admin));
    match chosen {
        None => {
            not_an_admin(cx, d, t);
            None
        }
        Some(_) if keep => None,
        Some(admin) => {
            let why = format!(
                "the manifest names {admin}; the connection goes through {}",
                c.zoom_user
            );
            Some(reconnect(cx, d, t, &c.zoom_user, &admin, why))
        }
    }
}

/// Indexes of this plan's changes that take the admin role from `user` (a demotion, a
/// deactivation, an unlink or a deletion).
fn breaking_changes(cx: &Ctx<'_>, user: &Email) -> Vec<usize> {
    cx.changes
        .iter()
        .enumerate()
        .filter(|(_, (_, ch))| match admin_effect(&ch.op) {
            AdminEffect::Role(email, admin) => email == user && !admin,
            AdminEffect::Leaves(email) => email == user,
            AdminEffect::None => false,
        })
        .map(|(i, _)| i)
        .collect()
}

/// C2: this plan would break the connection: reconnect first through the chosen admin,
/// or refuse the plan, naming the manifest line.
fn guard(
    cx: &mut Ctx<'_>,
    d: &DesiredCalendly,
    t: &ObjectRef,
    c: &ObservedCalendlyConnection,
    chosen: Option<Email>,
    breaking: &[usize],
) -> Option<ChangeId> {
    let ids: Vec<String> = breaking
        .iter()
        .map(|i| cx.changes[*i].1.id.to_string())
        .collect();
    let Some(admin) = chosen else {
        let msg = format!(
            "{} would break the Calendly connection of \"{}\" for every user (C7): {} completed it and must stay a Zoom admin. Keep {} an admin, or list in `fallbackAdmins` a user who is a Zoom admin in the desired state so roster reconnects through them first",
            ids.join(", "),
            d.organization,
            c.zoom_user,
            c.zoom_user
        );
        cx.error(Rule::C2, t, Some(&d.zoom_admin_source), msg);
        return None;
    };
    let why = format!(
        "{} takes the admin role from {}",
        ids.join(", "),
        c.zoom_user
    );
    let id = reconnect(cx, d, t, &c.zoom_user, &admin, why);
    for i in breaking {
        cx.changes[*i].1.depends_on.push(id.clone());
    }
    Some(id)
}

/// Adds `reconnect_calendly` through `admin`, in the phase before any demotion or removal.
fn reconnect(
    cx: &mut Ctx<'_>,
    d: &DesiredCalendly,
    t: &ObjectRef,
    previous: &Email,
    admin: &Email,
    why: String,
) -> ChangeId {
    let dep = ready(cx, admin);
    let op = Op::ReconnectCalendly {
        organization: d.organization.clone(),
        zoom_admin: admin.clone(),
        previous: previous.clone(),
    };
    let reason = format!(
        "declared in {}: {why}; reconnect through the Zoom admin {admin} (C2)",
        d.source
    );
    let c = NewChange::new(Phase::Reconnect, Action::ReconnectCalendly, t, reason, op)
        .rule(Rule::C2)
        .field("zoomAdmin", json(previous), json(admin))
        .after(dep);
    cx.push(c)
}

/// C5: the declared options, when they differ from the connection's.
fn options(
    cx: &mut Ctx<'_>,
    d: &DesiredCalendly,
    t: &ObjectRef,
    c: &ObservedCalendlyConnection,
    reconnected: Option<ChangeId>,
) {
    let summary = d.meeting_summary.unwrap_or(c.meeting_summary);
    let allow = d.allow_user_disconnect.unwrap_or(c.allow_user_disconnect);
    if summary == c.meeting_summary && allow == c.allow_user_disconnect {
        return;
    }
    let op = Op::SetCalendlyOptions {
        organization: d.organization.clone(),
        meeting_summary: summary,
        allow_user_disconnect: allow,
    };
    let reason = format!(
        "declared in {}: the Zoom integration's options (C5)",
        d.source
    );
    let mut ch = NewChange::new(Phase::Connect, Action::SetCalendlyOptions, t, reason, op)
        .rule(Rule::C5)
        .after(reconnected);
    if summary != c.meeting_summary {
        ch = ch.field("meetingSummary", json(c.meeting_summary), json(summary));
    }
    if allow != c.allow_user_disconnect {
        ch = ch.field(
            "allowUserDisconnect",
            json(c.allow_user_disconnect),
            json(allow),
        );
    }
    cx.push(ch);
}
