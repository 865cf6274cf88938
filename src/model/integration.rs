//! Calendar and contact integrations (K4): what the manifests ask of a user's integration,
//! what a provider observes of it, and the account's default service and lock.
//!
//! A user has one service at a time (integrations.md). The service list is an enum so
//! that a new service (Exchange's own sync, issue 12) is a compile error wherever it
//! matters.

use super::{Email, SecretRef, Source, Timestamp};
use serde::{Deserialize, Serialize};

/// The third-party service a user's Zoom calendar and contacts integrate with (K4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntegrationService {
    /// Google (People API for contacts).
    Google,
    /// Office 365 through Microsoft Graph.
    Office365,
    /// On-premises Exchange through EWS (username or UPN, password, version, EWS URL).
    Exchange,
}

impl IntegrationService {
    /// Every service, in the order the manifest reference lists them.
    pub const ALL: [IntegrationService; 3] = [
        IntegrationService::Google,
        IntegrationService::Office365,
        IntegrationService::Exchange,
    ];

    /// The manifest spelling (`google`, `office365`, `exchange`).
    pub const fn as_str(self) -> &'static str {
        match self {
            IntegrationService::Google => "google",
            IntegrationService::Office365 => "office365",
            IntegrationService::Exchange => "exchange",
        }
    }

    /// The service `s` names, exactly.
    pub fn parse(s: &str) -> Option<IntegrationService> {
        IntegrationService::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// How Zoom's portal names the service (seed 004).
    pub const fn display(self) -> &'static str {
        match self {
            IntegrationService::Google => "Google",
            IntegrationService::Office365 => "Office365",
            IntegrationService::Exchange => "Exchange",
        }
    }
}

impl std::fmt::Display for IntegrationService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which side wins a contact changed on both sides (the manifest's `conflict:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConflictPolicy {
    /// Zoom's version wins.
    Zoom,
    /// The external version wins.
    External,
    /// The most recently modified wins; when a side gives no time (or both are equal) the
    /// external version wins, and the plan says so.
    Newest,
}

impl ConflictPolicy {
    /// Every policy, as the manifest spells them.
    pub const ALL: [ConflictPolicy; 3] = [
        ConflictPolicy::Zoom,
        ConflictPolicy::External,
        ConflictPolicy::Newest,
    ];

    /// The manifest spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConflictPolicy::Zoom => "zoom",
            ConflictPolicy::External => "external",
            ConflictPolicy::Newest => "newest",
        }
    }

    /// The policy `s` names, exactly.
    pub fn parse(s: &str) -> Option<ConflictPolicy> {
        ConflictPolicy::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// How roster authenticates to the external service on the user's behalf. Secrets are
/// references, resolved at the edge; they never reach a plan, a log or the store in clear.
#[derive(Debug, Clone, PartialEq)]
pub enum IntegrationCredentials {
    /// OAuth 2 (Google, Office 365): the refresh token is only the bootstrap; the newest
    /// one is kept encrypted in the store.
    OAuth {
        /// The user's refresh token.
        refresh_token: SecretRef,
    },
    /// Exchange (EWS): seed 004's four fields.
    Exchange {
        /// Username or UPN.
        username: String,
        /// Password.
        password: SecretRef,
        /// Exchange version (e.g. `Exchange2016`).
        version: String,
        /// The organization's EWS URL.
        ews_url: String,
    },
}

/// One user's declared integration (`kind: CalendarContactIntegration`, K4).
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredIntegration {
    /// The Zoom user.
    pub user: Email,
    /// The service.
    pub service: IntegrationService,
    /// Calendar integration on.
    pub calendar: bool,
    /// Contact integration on (the two-way sync).
    pub contacts: bool,
    /// Conflict policy of the contact sync.
    pub conflict: ConflictPolicy,
    /// Cron (with seconds) of the daemon's periodic sync; `None`: only `roster sync`.
    pub schedule: Option<String>,
    /// Credentials, when roster is the sync engine; `None`: Zoom syncs alone.
    pub credentials: Option<IntegrationCredentials>,
    /// Where declared.
    pub source: Source,
}

/// The state of a user's integration as Zoom shows it (integrations.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationStatus {
    /// Authorised and syncing.
    Connected,
    /// The authorisation was revoked or expired (`invalid_grant`), or a lock disconnected
    /// it: the user must authorise again.
    NeedsReauthorisation,
    /// Not connected.
    Disconnected,
}

impl IntegrationStatus {
    /// The snake_case name (`connected`, `needs_reauthorisation`, `disconnected`).
    pub const fn as_str(self) -> &'static str {
        match self {
            IntegrationStatus::Connected => "connected",
            IntegrationStatus::NeedsReauthorisation => "needs_reauthorisation",
            IntegrationStatus::Disconnected => "disconnected",
        }
    }
}

/// A user's integration as a provider observes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedIntegration {
    /// The service.
    pub service: IntegrationService,
    /// Calendar integration on.
    pub calendar: bool,
    /// Contact integration on.
    pub contacts: bool,
    /// Status.
    pub status: IntegrationStatus,
    /// When contacts last synced.
    #[serde(default)]
    pub last_sync: Option<Timestamp>,
}

/// The account's default integration service and whether it is locked. Locking
/// disconnects users whose setting differs (integrations.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationDefaults {
    /// The default service, if the admin set one.
    #[serde(default)]
    pub service: Option<IntegrationService>,
    /// The default is locked.
    #[serde(default)]
    pub locked: bool,
}

/// The integrations a provider observed: `None` on a provider that cannot read them
/// (Zoom has no API for them).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationObservation {
    /// Per user; only users with an integration (of any status) appear.
    #[serde(default)]
    pub users: std::collections::BTreeMap<Email, ObservedIntegration>,
    /// The account's default and lock.
    #[serde(default)]
    pub defaults: IntegrationDefaults,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_and_policies_parse_back_from_their_spelling() {
        for s in IntegrationService::ALL {
            assert_eq!(IntegrationService::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).expect("json");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for p in ConflictPolicy::ALL {
            assert_eq!(ConflictPolicy::parse(p.as_str()), Some(p));
        }
        assert_eq!(IntegrationService::parse("Google"), None);
        assert_eq!(ConflictPolicy::parse("latest"), None);
    }
}
