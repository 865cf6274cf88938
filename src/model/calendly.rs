//! Calendly's organization-wide Zoom connection (C1–C7, seed 003): what the manifests ask
//! of it, and what a provider observes of the Calendly organization (members with their
//! roles, the connection and the users it serves).
//!
//! Calendly's API lets roster observe the organization (C1 roles) but not the connection
//! itself: on real Calendly the connection is known from roster's confirmed manual changes
//! and checked against what Calendly shows; the simulator models it all.

use super::{Email, SecretRef, Source};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A member's role in the Calendly organization (`GET /organization_memberships`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalendlyRole {
    /// The organization's owner.
    Owner,
    /// An admin.
    Admin,
    /// A plain member.
    User,
}

impl CalendlyRole {
    /// Every role, as Calendly spells them.
    pub const ALL: [CalendlyRole; 3] =
        [CalendlyRole::Owner, CalendlyRole::Admin, CalendlyRole::User];

    /// Calendly's spelling (`owner`, `admin`, `user`).
    pub const fn as_str(self) -> &'static str {
        match self {
            CalendlyRole::Owner => "owner",
            CalendlyRole::Admin => "admin",
            CalendlyRole::User => "user",
        }
    }

    /// The role `s` names, exactly.
    pub fn parse(s: &str) -> Option<CalendlyRole> {
        CalendlyRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// C1: owners and admins may start the organization-wide Zoom connection.
    pub const fn may_connect(self) -> bool {
        match self {
            CalendlyRole::Owner | CalendlyRole::Admin => true,
            CalendlyRole::User => false,
        }
    }
}

impl std::fmt::Display for CalendlyRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The declared connection (`kind: CalendlyConnection`).
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredCalendly {
    /// The Calendly organization's name.
    pub organization: String,
    /// The Zoom admin who completes the connection (C1, C2).
    pub zoom_admin: Email,
    /// Zoom users to reconnect through when `zoom_admin` stops being an admin (C2), in order.
    pub fallback_admins: Vec<Email>,
    /// C5: Zoom meeting summaries on for every meeting; `None`: not managed.
    pub meeting_summary: Option<bool>,
    /// C5: users may disconnect the integration; `None`: not managed.
    pub allow_user_disconnect: Option<bool>,
    /// The Calendly token (personal access token or OAuth access token) roster reads with.
    pub token: Option<SecretRef>,
    /// Calendly's API base (`https://api.calendly.com`, or `roster sim serve`'s `/calendly`).
    pub api_url: Option<String>,
    /// Where the document is.
    pub source: Source,
    /// Where `zoomAdmin` is written: the line a C1 or C2 error names.
    pub zoom_admin_source: Source,
}

/// The state of the organization connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendlyConnectionStatus {
    /// Working: every member without a personal connection uses it (C3, C4).
    Connected,
    /// The completing Zoom user lost the admin role or left the account (C2, C7): it
    /// must be redone with another Zoom admin.
    Broken,
}

impl CalendlyConnectionStatus {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CalendlyConnectionStatus::Connected => "connected",
            CalendlyConnectionStatus::Broken => "broken",
        }
    }
}

/// Which Zoom connection a Calendly user schedules with (C4, C6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendlyConnectionKind {
    /// The user's own Zoom account (always wins, C4).
    Personal,
    /// The organization's connection (C3).
    Organization,
}

/// The organization connection as observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedCalendlyConnection {
    /// The Zoom user that completed it (C2).
    pub zoom_user: Email,
    /// Connected or broken.
    pub status: CalendlyConnectionStatus,
    /// C5 meeting summaries.
    pub meeting_summary: bool,
    /// C5 users may disconnect.
    pub allow_user_disconnect: bool,
}

/// The Calendly organization as a provider observes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendlyObservation {
    /// The organization's name.
    pub organization: String,
    /// Who roster's Calendly token acts as (`GET /users/me`).
    pub actor: Email,
    /// Members and their roles (C1).
    #[serde(default)]
    pub members: BTreeMap<Email, CalendlyRole>,
    /// The organization-wide Zoom connection; `None`: not connected.
    #[serde(default)]
    pub connection: Option<ObservedCalendlyConnection>,
    /// C6: connected users with their kind (on real Calendly: the users whose meeting
    /// locations include Zoom, kind unknown there and shown as organization).
    #[serde(default)]
    pub connected_users: BTreeMap<Email, CalendlyConnectionKind>,
    /// Whether the connection was read (simulator) or rebuilt from confirmed manual
    /// changes (real Calendly has no API for it).
    #[serde(default)]
    pub connection_read: bool,
}

impl CalendlyObservation {
    /// The role of roster's token user, if a member.
    pub fn actor_role(&self) -> Option<CalendlyRole> {
        self.members.get(&self.actor).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_back_and_only_owners_and_admins_connect() {
        for r in CalendlyRole::ALL {
            assert_eq!(CalendlyRole::parse(r.as_str()), Some(r));
        }
        assert!(CalendlyRole::Owner.may_connect() && CalendlyRole::Admin.may_connect());
        assert!(!CalendlyRole::User.may_connect());
    }
}
