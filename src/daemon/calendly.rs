//! How Calendly's organization-wide Zoom connection is doing (C1–C7, issue 13, part 4), for
//! `/status`, `/` and `/metrics`: its state and completing Zoom user, the members' Calendly
//! roles (C1) and who schedules through Zoom (C6).
//!
//! Like the integrations (K4, [`super::findings`]) it is derived from the observation the
//! run already made. The simulator shows the connection and each connected user's kind
//! (personal or organization, C4); real Calendly shows neither: there the connection is
//! the confirmed manual changes (`reconcile::fold`), broken when its Zoom user is no longer
//! an admin of the Zoom account (C2), and the connected users are the members with a Zoom
//! meeting location, of unknown kind.

use super::findings::MAX_LISTED;
use crate::model::{
    CalendlyConnectionKind, CalendlyConnectionStatus, CalendlyObservation, CalendlyRole,
    DesiredCalendly, Email, Observed, ObservedStatus, RoleName,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// The connection's state as `/status` and `/metrics` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendlyState {
    /// Working: members without a personal Zoom connection use it (C3).
    Connected,
    /// Its Zoom user lost the admin role or left the account: redo it (C2, C7).
    Broken,
    /// No organization-wide connection.
    NotConnected,
    /// Declared, but roster could not read the Calendly organization (no token, or not
    /// an owner's or admin's: C1): nothing is known of it.
    Unknown,
}

impl CalendlyState {
    /// Every state, for metrics (each is exported, 0 or 1).
    pub const ALL: [CalendlyState; 4] = [
        CalendlyState::Connected,
        CalendlyState::Broken,
        CalendlyState::NotConnected,
        CalendlyState::Unknown,
    ];

    /// The snake_case name (JSON, page, metric label).
    pub const fn as_str(self) -> &'static str {
        match self {
            CalendlyState::Connected => "connected",
            CalendlyState::Broken => "broken",
            CalendlyState::NotConnected => "not_connected",
            CalendlyState::Unknown => "unknown",
        }
    }

    /// Nothing for a person to do.
    pub const fn is_ok(self) -> bool {
        match self {
            CalendlyState::Connected => true,
            CalendlyState::Broken | CalendlyState::NotConnected | CalendlyState::Unknown => false,
        }
    }
}

/// The kind of a connected user as far as the provider tells (metric label `kind`).
pub fn kind_str(kind: Option<CalendlyConnectionKind>) -> &'static str {
    match kind {
        Some(CalendlyConnectionKind::Personal) => "personal",
        Some(CalendlyConnectionKind::Organization) => "organization",
        None => "unknown",
    }
}

/// A member of the Calendly organization with its role (C1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendlyMember {
    /// The member's email.
    pub email: Email,
    /// Owner, admin or user.
    pub role: CalendlyRole,
}

/// A Calendly user who schedules with Zoom (C6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendlyConnectedUser {
    /// The user's email.
    pub email: Email,
    /// Personal or organization (C4); `None` on real Calendly, which only shows that the
    /// user has a Zoom meeting location.
    pub kind: Option<CalendlyConnectionKind>,
}

/// The Calendly connection of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendlyHealth {
    /// The organization's name, as declared.
    pub organization: String,
    /// Connected, broken, not connected or unknown.
    pub state: CalendlyState,
    /// The Zoom user that completed the connection (C2), when there is one.
    pub zoom_user: Option<Email>,
    /// The provider reads the connection (the simulator). Calendly has no API for it: on
    /// `zoom` it is what `roster confirm` recorded, checked against the Zoom account.
    pub read_from_provider: bool,
    /// Who roster's Calendly token acts as, and its role (C1).
    pub token_user: Option<CalendlyMember>,
    /// Members by role (C1), exact.
    pub roles: BTreeMap<CalendlyRole, usize>,
    /// The members (at most [`MAX_LISTED`]).
    pub members: Vec<CalendlyMember>,
    /// Connected users by kind (`personal`, `organization`, `unknown`), exact.
    pub connected: BTreeMap<&'static str, usize>,
    /// The connected users (at most [`MAX_LISTED`]).
    pub connected_users: Vec<CalendlyConnectedUser>,
}

/// The `declared` connection as `observed` shows it; `None` when none is declared and
/// none seen.
pub fn calendly_health(
    observed: &Observed,
    declared: Option<&DesiredCalendly>,
) -> Option<CalendlyHealth> {
    let Some(o) = observed.calendly.as_ref() else {
        return declared.map(|d| unread(&d.organization));
    };
    let organization = declared.map_or_else(|| o.organization.clone(), |d| d.organization.clone());
    let mut roles: BTreeMap<CalendlyRole, usize> = BTreeMap::new();
    for r in o.members.values() {
        *roles.entry(*r).or_default() += 1;
    }
    let users = connected_users(o);
    let mut connected: BTreeMap<&'static str, usize> = BTreeMap::new();
    for u in &users {
        *connected.entry(kind_str(u.kind)).or_default() += 1;
    }
    Some(CalendlyHealth {
        organization,
        state: state(o, observed),
        zoom_user: o.connection.as_ref().map(|c| c.zoom_user.clone()),
        read_from_provider: o.connection_read,
        token_user: o.actor_role().map(|role| CalendlyMember {
            email: o.actor.clone(),
            role,
        }),
        roles,
        members: o
            .members
            .iter()
            .take(MAX_LISTED)
            .map(|(email, role)| CalendlyMember {
                email: email.clone(),
                role: *role,
            })
            .collect(),
        connected,
        connected_users: users.into_iter().take(MAX_LISTED).collect(),
    })
}

/// Declared and not read (C1).
fn unread(organization: &str) -> CalendlyHealth {
    CalendlyHealth {
        organization: organization.to_string(),
        state: CalendlyState::Unknown,
        zoom_user: None,
        read_from_provider: false,
        token_user: None,
        roles: BTreeMap::new(),
        members: Vec::new(),
        connected: BTreeMap::new(),
        connected_users: Vec::new(),
    }
}

/// The simulator says connected or broken; on real Calendly a recorded connection is
/// broken once its Zoom user is no longer an active admin of the account (C2, C7).
fn state(o: &CalendlyObservation, observed: &Observed) -> CalendlyState {
    let Some(c) = o.connection.as_ref() else {
        return CalendlyState::NotConnected;
    };
    match c.status {
        CalendlyConnectionStatus::Broken => CalendlyState::Broken,
        CalendlyConnectionStatus::Connected if o.connection_read => CalendlyState::Connected,
        CalendlyConnectionStatus::Connected if is_admin(observed, &c.zoom_user) => {
            CalendlyState::Connected
        }
        CalendlyConnectionStatus::Connected => CalendlyState::Broken,
    }
}

fn is_admin(observed: &Observed, email: &Email) -> bool {
    observed.users.get(email).is_some_and(|u| {
        u.status == ObservedStatus::Active
            && (u.email == observed.owner
                || u.spec.role.as_ref().is_some_and(RoleName::is_admin_level))
    })
}

/// C6: the simulator's kinds; real Calendly's Zoom locations, kind unknown.
fn connected_users(o: &CalendlyObservation) -> Vec<CalendlyConnectedUser> {
    o.connected_users
        .iter()
        .map(|(email, kind)| CalendlyConnectedUser {
            email: email.clone(),
            kind: o.connection_read.then_some(*kind),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountPlan, ObservedCalendlyConnection, Seats};

    fn email(s: &str) -> Email {
        Email::parse(s).expect("email")
    }

    fn seen(read: bool, status: CalendlyConnectionStatus) -> CalendlyObservation {
        CalendlyObservation {
            organization: "acme".into(),
            actor: email("boss@acme.com"),
            members: [
                (email("boss@acme.com"), CalendlyRole::Owner),
                (email("ann@acme.com"), CalendlyRole::User),
                (email("bob@acme.com"), CalendlyRole::User),
            ]
            .into_iter()
            .collect(),
            connection: Some(ObservedCalendlyConnection {
                zoom_user: email("it@acme.com"),
                status,
                meeting_summary: true,
                allow_user_disconnect: false,
            }),
            connected_users: [
                (email("ann@acme.com"), CalendlyConnectionKind::Organization),
                (email("bob@acme.com"), CalendlyConnectionKind::Personal),
            ]
            .into_iter()
            .collect(),
            connection_read: read,
        }
    }

    fn observed(calendly: Option<CalendlyObservation>) -> Observed {
        Observed {
            account_id: "acme".into(),
            observed_at: "2026-11-01T09:00:00Z".parse().expect("time"),
            plan: AccountPlan::Business,
            owner: email("owner@acme.com"),
            actor: email("owner@acme.com"),
            on_prem_enabled: false,
            seats: Seats::default(),
            users: Default::default(),
            groups: Default::default(),
            chat_groups: Default::default(),
            roles: Default::default(),
            expired_invitations: Default::default(),
            existing_elsewhere: Default::default(),
            unread_lookups: Default::default(),
            organization: Default::default(),
            external_contacts: None,
            personal_contacts: Default::default(),
            personal_contacts_refused: None,
            integrations: None,
            calendly,
        }
    }

    #[test]
    fn c6_the_simulator_shows_kinds_and_the_state_it_read() {
        use CalendlyConnectionStatus::{Broken, Connected};
        let o = observed(Some(seen(true, Connected)));
        let h = calendly_health(&o, None).expect("seen");
        assert_eq!(h.state, CalendlyState::Connected);
        assert_eq!(h.zoom_user, Some(email("it@acme.com")));
        assert_eq!(h.connected.get("personal"), Some(&1));
        assert_eq!(h.connected.get("organization"), Some(&1));
        assert_eq!(h.roles.get(&CalendlyRole::User), Some(&2));
        assert_eq!(h.token_user.map(|m| m.role), Some(CalendlyRole::Owner));
        let o = observed(Some(seen(true, Broken)));
        let h = calendly_health(&o, None).expect("seen");
        assert_eq!(h.state, CalendlyState::Broken);
    }

    #[test]
    fn c2_on_zoom_a_recorded_connection_whose_user_is_no_admin_is_broken_and_kinds_unknown() {
        let o = observed(Some(seen(false, CalendlyConnectionStatus::Connected)));
        let h = calendly_health(&o, None).expect("seen");
        assert_eq!(h.state, CalendlyState::Broken, "it@ is not in the account");
        assert_eq!(h.connected.get("unknown"), Some(&2));
        assert!(h.connected_users.iter().all(|u| u.kind.is_none()));
        assert!(calendly_health(&observed(None), None).is_none());
    }
}
