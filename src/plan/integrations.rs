//! Calendar and contact integrations (K4): connect the declared ones that are not
//! connected (a manual change for the user on Zoom, whose OAuth consent it is), refuse a
//! service the account's lock forbids, and warn when personal contacts and a contacts
//! integration meet (Zoom treats them as alternatives).

use super::context::{Ctx, NewChange, Phase, json};
use super::{Action, Op};
use crate::model::{
    DesiredIntegration, Email, IntegrationStatus, ObjectRef, ObservedIntegration, ObservedStatus,
    Rule,
};

/// Plans every declared integration.
pub(crate) fn plan_integrations(cx: &mut Ctx<'_>) {
    for (user, i) in &cx.d.integrations {
        plan_one(cx, user, i);
    }
}

fn plan_one(cx: &mut Ctx<'_>, user: &Email, i: &DesiredIntegration) {
    let t = ObjectRef::Integration(user.clone());
    warn_personal_contacts(cx, &t, user, i);
    let active =
        cx.o.users
            .get(user)
            .is_some_and(|u| u.status == ObservedStatus::Active);
    if !active {
        let msg = format!("{user} is not an active user yet: the integration waits (K4)");
        cx.wait(&t, msg);
        return;
    }
    cx.next.integrations.insert(user.clone(), i.service);
    if locked_out(cx, &t, i) {
        return;
    }
    let current = cx.o.integrations.as_ref().and_then(|o| o.users.get(user));
    let Some(reason) = why_connect(current, i) else {
        return;
    };
    let op = Op::ConnectIntegration {
        user: user.clone(),
        service: i.service,
        calendar: i.calendar,
        contacts: i.contacts,
    };
    let before = current.map_or(serde_json::Value::Null, |c| json(c.service));
    let reason = format!("declared in {}: {reason} (K4)", i.source);
    let c = NewChange::new(Phase::Edit, Action::ConnectIntegration, &t, reason, op)
        .rule(Rule::K4)
        .field("service", before, json(i.service));
    cx.push(c);
}

/// Why the integration must be connected, or `None` when it is as declared.
fn why_connect(current: Option<&ObservedIntegration>, i: &DesiredIntegration) -> Option<String> {
    let Some(c) = current else {
        return Some(format!("connect {} (not connected)", i.service.display()));
    };
    if c.service != i.service {
        return Some(format!(
            "connect {} instead of {} (one service at a time)",
            i.service.display(),
            c.service.display()
        ));
    }
    match c.status {
        IntegrationStatus::Connected if c.calendar == i.calendar && c.contacts == i.contacts => {
            None
        }
        IntegrationStatus::Connected => Some(format!(
            "connect {} again with calendar {} and contacts {}",
            i.service.display(),
            on_off(i.calendar),
            on_off(i.contacts)
        )),
        IntegrationStatus::NeedsReauthorisation => Some(format!(
            "authorise {} again (Zoom shows the integration as needing re-authorisation)",
            i.service.display()
        )),
        IntegrationStatus::Disconnected => {
            Some(format!("connect {} (disconnected)", i.service.display()))
        }
    }
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// The account locks a different default service: connecting would be refused, and the
/// lock would disconnect the user anyway.
fn locked_out(cx: &mut Ctx<'_>, t: &ObjectRef, i: &DesiredIntegration) -> bool {
    let Some(d) = cx.o.integrations.as_ref().map(|o| o.defaults) else {
        return false;
    };
    match d.service {
        Some(s) if d.locked && s != i.service => {
            let msg = format!(
                "{} asks for {} but the account locks the calendar and contact integration to {}: change `service` or unlock the default (locking disconnects users whose setting differs)",
                i.user,
                i.service.display(),
                s.display()
            );
            cx.error(Rule::K4, t, Some(&i.source), msg);
            true
        }
        Some(_) | None => false,
    }
}

/// K4 vs K5: Zoom offers personal contacts to users who do not use a contacts
/// integration; having both gives two copies of the same people in the client.
fn warn_personal_contacts(cx: &mut Ctx<'_>, t: &ObjectRef, user: &Email, i: &DesiredIntegration) {
    let groups = cx.d.personal_contacts.get(user);
    let Some(first) = groups.and_then(|g| g.values().next()) else {
        return;
    };
    if !i.contacts {
        return;
    }
    let msg = format!(
        "{user} has both personal contacts ({}, at {}) and a {} contacts integration (at {}): Zoom treats them as alternatives, so the client shows two lists; drop one or set `contacts: false`",
        first.name,
        first.source,
        i.service.display(),
        i.source
    );
    cx.warn(Some(Rule::K4), t, msg);
}
