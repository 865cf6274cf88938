//! Calendly's organization-wide Zoom connection in the simulator (C1–C7, seed 003): a
//! Calendly owner or admin starts it and a Zoom admin completes it (C1); it breaks when
//! that Zoom user stops being an active admin (C2, C7), dropping every organization-level
//! connection while personal ones stay (C4); what a refresh sees (C6). Real Calendly has
//! no API for the connection itself: the simulator models what its integration page shows.

use super::Done;
use crate::model::{
    CalendlyConnectionKind, CalendlyConnectionStatus, CalendlyObservation, CalendlyRole, Email,
    ObjectRef, ObservedCalendlyConnection, Rule,
};
use crate::provider::ProviderError;
use crate::provider::sim::cloud::{Cloud, SimAccount, SimCalendly, SimStatus};

/// A refusal of Calendly's (403 `Permission Denied`) citing the rule.
fn denied(rule: Rule, message: String) -> ProviderError {
    ProviderError::Api {
        status: 403,
        code: 403,
        message,
        rule: Some(rule),
    }
}

/// The account's Calendly organization named `organization`.
fn org_mut<'a>(
    a: &'a mut SimAccount,
    organization: &str,
) -> Result<&'a mut SimCalendly, ProviderError> {
    match a.calendly.as_mut() {
        Some(c) if c.organization == organization => Ok(c),
        Some(_) | None => Err(ProviderError::api(
            404,
            404,
            format!(
                "No Calendly organization {organization} is linked to Zoom account {}.",
                a.id
            ),
        )),
    }
}

/// C1 and C2: `email` is an active owner or admin of the Zoom account.
pub fn is_zoom_admin(a: &SimAccount, email: &Email) -> bool {
    a.users
        .iter()
        .any(|u| &u.email == email && u.status == SimStatus::Active && u.role.is_admin_level())
}

/// C1: roster's Calendly token is an owner's or admin's, and the Zoom user who completes
/// the connection is an active Zoom admin.
fn check_c1(a: &SimAccount, org: &SimCalendly, zoom_admin: &Email) -> Result<(), ProviderError> {
    let role = org.members.get(&org.token_user).map(|m| m.role);
    if !role.is_some_and(CalendlyRole::may_connect) {
        let role = role.map_or("not a member", CalendlyRole::as_str);
        return Err(denied(
            Rule::C1,
            format!(
                "C1: only a Calendly owner or admin can connect Zoom for the organization; {} is {role}.",
                org.token_user
            ),
        ));
    }
    if !is_zoom_admin(a, zoom_admin) {
        return Err(denied(
            Rule::C1,
            format!(
                "C1: only a Zoom admin can approve and complete the connection; {zoom_admin} is not an active admin of Zoom account {}.",
                a.id
            ),
        ));
    }
    Ok(())
}

impl Cloud {
    /// C1, C3: connects Zoom for the whole Calendly organization through `zoom_admin`.
    pub(in crate::provider::sim) fn connect_calendly(
        &mut self,
        ai: usize,
        organization: &str,
        zoom_admin: &Email,
        meeting_summary: bool,
        allow_user_disconnect: bool,
    ) -> Result<Done, ProviderError> {
        let a = &mut self.accounts[ai];
        let snapshot = a.clone();
        let org = org_mut(a, organization)?;
        check_c1(&snapshot, org, zoom_admin)?;
        org.connection = Some(ObservedCalendlyConnection {
            zoom_user: zoom_admin.clone(),
            status: CalendlyConnectionStatus::Connected,
            meeting_summary,
            allow_user_disconnect,
        });
        Ok(
            Done::new("connect_calendly", ObjectRef::Calendly(organization.into()))
                .detail(format!("completed by {zoom_admin}")),
        )
    }

    /// C2: redoes the connection through another Zoom admin; the options stay.
    pub(in crate::provider::sim) fn reconnect_calendly(
        &mut self,
        ai: usize,
        organization: &str,
        zoom_admin: &Email,
    ) -> Result<Done, ProviderError> {
        let a = &mut self.accounts[ai];
        let snapshot = a.clone();
        let org = org_mut(a, organization)?;
        check_c1(&snapshot, org, zoom_admin)?;
        let (summary, allow) = org.connection.as_ref().map_or((false, false), |c| {
            (c.meeting_summary, c.allow_user_disconnect)
        });
        let previous = org.connection.as_ref().map(|c| c.zoom_user.clone());
        org.connection = Some(ObservedCalendlyConnection {
            zoom_user: zoom_admin.clone(),
            status: CalendlyConnectionStatus::Connected,
            meeting_summary: summary,
            allow_user_disconnect: allow,
        });
        let from = previous.map_or_else(|| "nobody".to_string(), |p| p.to_string());
        Ok(Done::new(
            "reconnect_calendly",
            ObjectRef::Calendly(organization.into()),
        )
        .detail(format!("completed by {zoom_admin} instead of {from}")))
    }

    /// C5: the two options of the Zoom integration page.
    pub(in crate::provider::sim) fn set_calendly_options(
        &mut self,
        ai: usize,
        organization: &str,
        meeting_summary: bool,
        allow_user_disconnect: bool,
    ) -> Result<Done, ProviderError> {
        let org = org_mut(&mut self.accounts[ai], organization)?;
        let Some(c) = org.connection.as_mut() else {
            return Err(ProviderError::api(
                400,
                400,
                format!(
                    "Calendly organization {organization} has no Zoom connection to set options on."
                ),
            ));
        };
        c.meeting_summary = meeting_summary;
        c.allow_user_disconnect = allow_user_disconnect;
        Ok(Done::new(
            "set_calendly_options",
            ObjectRef::Calendly(organization.into()),
        )
        .detail(format!(
            "meetingSummary={meeting_summary} allowUserDisconnect={allow_user_disconnect}"
        )))
    }

    /// C2, C7: after any change to account `ai`, a connection whose Zoom user is no longer
    /// an active admin (demoted, deactivated, unlinked, deleted) breaks, and with it every
    /// organization-level connection. Logged as `calendly_connection_broken`.
    pub(in crate::provider::sim) fn check_calendly(&mut self, ai: usize) {
        let a = &self.accounts[ai];
        let Some(org) = a.calendly.as_ref() else {
            return;
        };
        let Some(c) = org.connection.as_ref() else {
            return;
        };
        if c.status != CalendlyConnectionStatus::Connected || is_zoom_admin(a, &c.zoom_user) {
            return;
        }
        let dropped = connected_users(org)
            .values()
            .filter(|k| **k == CalendlyConnectionKind::Organization)
            .count();
        let (account, target) = (a.id.clone(), ObjectRef::Calendly(org.organization.clone()));
        let detail = format!(
            "C2/C7: {} is no longer a Zoom admin; {dropped} organization-level connection(s) dropped",
            c.zoom_user
        );
        if let Some(c) = self.accounts[ai]
            .calendly
            .as_mut()
            .and_then(|o| o.connection.as_mut())
        {
            c.status = CalendlyConnectionStatus::Broken;
        }
        self.record(
            &account,
            "zoom",
            "calendly_connection_broken",
            Some(target),
            Some(detail),
        );
    }
}

/// C3, C4, C6: who schedules with Zoom, and through which connection: a personal one
/// always wins; the organization's serves everyone else while it is connected.
pub fn connected_users(
    org: &SimCalendly,
) -> std::collections::BTreeMap<Email, CalendlyConnectionKind> {
    let org_up = org
        .connection
        .as_ref()
        .is_some_and(|c| c.status == CalendlyConnectionStatus::Connected);
    org.members
        .iter()
        .filter_map(|(e, m)| match (m.personal_zoom, org_up) {
            (true, _) => Some((e.clone(), CalendlyConnectionKind::Personal)),
            (false, true) => Some((e.clone(), CalendlyConnectionKind::Organization)),
            (false, false) => None,
        })
        .collect()
}

/// What a refresh sees of the account's Calendly organization (the simulator reads the
/// connection; real Calendly cannot).
pub fn observe(a: &SimAccount) -> Option<CalendlyObservation> {
    let org = a.calendly.as_ref()?;
    Some(CalendlyObservation {
        organization: org.organization.clone(),
        actor: org.token_user.clone(),
        members: org
            .members
            .iter()
            .map(|(e, m)| (e.clone(), m.role))
            .collect(),
        connection: org.connection.clone(),
        connected_users: connected_users(org),
        connection_read: true,
    })
}

/// What a Calendly person does (`roster sim calendly …`), as the simulator's verbs.
#[derive(Debug, Clone, PartialEq)]
pub enum CalendlyAct {
    /// A member connects (`true`) or drops (`false`) their personal Zoom account (C4).
    Personal(Email, bool),
    /// An owner changes a member's role (C1); a new email joins as that role.
    Role(Email, CalendlyRole),
    /// An owner or admin clicks Disconnect on the Zoom integration page (C7).
    Disconnect,
    /// roster's token now belongs to this member.
    Token(Email),
}

/// Applies a Calendly person's act to account `ai`'s organization; says what happened.
pub fn act(cloud: &mut Cloud, ai: usize, what: &CalendlyAct) -> Result<String, ProviderError> {
    let a = &mut cloud.accounts[ai];
    let account = a.id.clone();
    let Some(org) = a.calendly.as_mut() else {
        return Err(ProviderError::Config(format!(
            "account {account} has no Calendly organization (add `calendly:` to its seed)"
        )));
    };
    let member = |org: &mut SimCalendly, e: &Email| {
        if org.members.contains_key(e) {
            Ok(())
        } else {
            Err(ProviderError::Config(format!(
                "{e} is not a member of Calendly organization {}",
                org.organization
            )))
        }
    };
    let said = match what {
        CalendlyAct::Personal(e, on) => {
            member(org, e)?;
            if let Some(m) = org.members.get_mut(e) {
                m.personal_zoom = *on;
            }
            let verb = if *on { "connected" } else { "disconnected" };
            format!("{e} {verb} a personal Zoom account (C4).")
        }
        CalendlyAct::Role(e, role) => {
            let m = org.members.entry(e.clone()).or_insert(
                crate::provider::sim::cloud::SimCalendlyMember {
                    role: *role,
                    personal_zoom: false,
                },
            );
            m.role = *role;
            format!("{e} is now a Calendly {role}.")
        }
        CalendlyAct::Disconnect => {
            let n = connected_users(org)
                .values()
                .filter(|k| **k == CalendlyConnectionKind::Organization)
                .count();
            org.connection = None;
            format!(
                "Disconnected Zoom for organization {}: {n} organization-level connection(s) dropped (C7).",
                org.organization
            )
        }
        CalendlyAct::Token(e) => {
            member(org, e)?;
            org.token_user = e.clone();
            format!("roster's Calendly token now acts as {e}.")
        }
    };
    let target = ObjectRef::Calendly(org.organization.clone());
    cloud.record(
        &account,
        "calendly",
        "calendly_oob",
        Some(target),
        Some(said.clone()),
    );
    Ok(said)
}
