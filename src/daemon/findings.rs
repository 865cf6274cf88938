//! What a run found that a person should see on the status page (issue 16, part 9): the
//! pending manual changes with their portal steps, the changes waiting on someone else,
//! and the health of the calendar and contact integrations (K4).
//!
//! Derived from the plan and observation the run already made (no extra provider call),
//! kept in [`super::status::Observation`] so `/status` and `/` show the same facts.

use super::status::Observation;
use crate::model::{
    Desired, Email, IntegrationObservation, IntegrationService, IntegrationStatus, Observed,
    ObservedStatus, ProviderConfig, Timestamp,
};
use crate::plan::Plan;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Items listed per kind (the counts stay exact).
pub const MAX_LISTED: usize = 100;

/// A change a person must make in the portal (no API on this provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingManual {
    /// `action target`.
    pub change: String,
    /// Why the plan wants it.
    pub reason: String,
    /// When it was first recorded as pending (`None`: recorded by the run that found it).
    pub pending_since: Option<Timestamp>,
    /// What to do in the portal, in order; `roster confirm` closes the change.
    pub steps: Vec<String>,
}

/// A change that cannot be made yet (a pending user accepting, a link approved, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitingChange {
    /// The object concerned (`user/…`).
    pub target: String,
    /// What waits, and for what.
    pub message: String,
}

/// How one user's integration is doing against what the manifests declare (K4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationHealthState {
    /// Connected to the declared service (or connected, and not declared).
    Connected,
    /// Connected to another service than the declared one (one service at a time).
    OtherService,
    /// The authorisation was revoked or expired: the user must authorise again.
    NeedsReauthorisation,
    /// Disconnected (a lock on another default service disconnects users, K4).
    Disconnected,
    /// Declared, and no integration seen at all.
    NotConnected,
}

impl IntegrationHealthState {
    /// The snake_case name (JSON, page).
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationHealthState::Connected => "connected",
            IntegrationHealthState::OtherService => "other_service",
            IntegrationHealthState::NeedsReauthorisation => "needs_reauthorisation",
            IntegrationHealthState::Disconnected => "disconnected",
            IntegrationHealthState::NotConnected => "not_connected",
        }
    }

    /// Nothing for a person to do.
    pub fn is_ok(self) -> bool {
        match self {
            IntegrationHealthState::Connected => true,
            IntegrationHealthState::OtherService
            | IntegrationHealthState::NeedsReauthorisation
            | IntegrationHealthState::Disconnected
            | IntegrationHealthState::NotConnected => false,
        }
    }
}

/// One user's integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationHealth {
    /// The Zoom user.
    pub user: Email,
    /// The service the manifests declare (`None`: not declared, only seen).
    pub declared: Option<IntegrationService>,
    /// The service seen connected (or last connected).
    pub observed: Option<IntegrationService>,
    /// How it is doing.
    pub health: IntegrationHealthState,
    /// When its contacts last synced, when the provider says.
    pub last_sync: Option<Timestamp>,
}

/// The integrations of one account (K4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationsHealth {
    /// The provider reads integrations itself (the simulator). Zoom has no API for them:
    /// there the statuses are the connections `roster confirm` recorded.
    pub read_from_provider: bool,
    /// The account's default service, if the admin set one.
    pub default_service: Option<IntegrationService>,
    /// The default is locked.
    pub locked: bool,
    /// Declared or seen integrations, by user.
    pub users: Vec<IntegrationHealth>,
}

impl Observation {
    /// What `plan`, made against `observed` for `desired`, says of the account now.
    pub fn of(plan: &Plan, observed: &Observed, desired: &Desired) -> Observation {
        let manual = plan.changes.iter().filter_map(|c| {
            c.manual.as_ref().map(|m| PendingManual {
                change: format!("{} {}", c.action.as_str(), c.target),
                reason: c.reason.clone(),
                pending_since: m.pending_since,
                steps: m.steps.clone(),
            })
        });
        Observation {
            at: observed.observed_at,
            changes: plan.changes.len(),
            waiting: plan.waiting.len(),
            plan_errors: plan.errors.len(),
            pending_invitations: observed
                .users
                .values()
                .filter(|u| u.status == ObservedStatus::Pending)
                .count(),
            manual_changes: plan.changes.iter().filter(|c| c.manual.is_some()).count(),
            pending_manual: manual.take(MAX_LISTED).collect(),
            waiting_changes: plan
                .waiting
                .iter()
                .take(MAX_LISTED)
                .map(|w| WaitingChange {
                    target: w.target.to_string(),
                    message: w.message.clone(),
                })
                .collect(),
            integrations: integrations(
                observed.integrations.as_ref(),
                &desired
                    .integrations
                    .iter()
                    .map(|(u, d)| (u.clone(), d.service))
                    .collect(),
                integrations_folded(desired),
            ),
            calendly: super::calendly::calendly_health(observed, desired.calendly.as_ref()),
        }
    }
}

/// Every user with a declared or an observed integration; `None` when there is none and
/// no default either (nothing to show). `folded`: the provider cannot read integrations
/// (Zoom), so `seen` holds what `roster confirm` recorded.
fn integrations(
    seen: Option<&IntegrationObservation>,
    declared: &BTreeMap<Email, IntegrationService>,
    folded: bool,
) -> Option<IntegrationsHealth> {
    let none = IntegrationObservation::default();
    let seen = seen.unwrap_or(&none);
    let users: BTreeSet<&Email> = declared.keys().chain(seen.users.keys()).collect();
    if users.is_empty() && seen.defaults.service.is_none() {
        return None;
    }
    let users = users
        .into_iter()
        .take(MAX_LISTED)
        .map(|user| {
            let declared = declared.get(user).copied();
            let obs = seen.users.get(user);
            IntegrationHealth {
                user: user.clone(),
                declared,
                observed: obs.map(|o| o.service),
                health: obs.map_or(IntegrationHealthState::NotConnected, |o| {
                    health(o.status, o.service, declared)
                }),
                last_sync: obs.and_then(|o| o.last_sync),
            }
        })
        .collect();
    Some(IntegrationsHealth {
        read_from_provider: !folded,
        default_service: seen.defaults.service,
        locked: seen.defaults.locked,
        users,
    })
}

fn health(
    status: IntegrationStatus,
    service: IntegrationService,
    declared: Option<IntegrationService>,
) -> IntegrationHealthState {
    match status {
        IntegrationStatus::NeedsReauthorisation => IntegrationHealthState::NeedsReauthorisation,
        IntegrationStatus::Disconnected => IntegrationHealthState::Disconnected,
        IntegrationStatus::Connected if declared.is_some_and(|d| d != service) => {
            IntegrationHealthState::OtherService
        }
        IntegrationStatus::Connected => IntegrationHealthState::Connected,
    }
}

/// Zoom has no API for integrations: roster folds its confirmed manual changes in instead.
fn integrations_folded(desired: &Desired) -> bool {
    match desired.account.provider {
        ProviderConfig::Zoom(_) => true,
        ProviderConfig::Sim(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ObservedIntegration;

    fn email(s: &str) -> Email {
        Email::parse(s).expect("email")
    }

    fn seen(users: &[(&str, IntegrationService, IntegrationStatus)]) -> IntegrationObservation {
        IntegrationObservation {
            users: users
                .iter()
                .map(|(u, service, status)| {
                    let i = ObservedIntegration {
                        service: *service,
                        calendar: true,
                        contacts: true,
                        status: *status,
                        last_sync: None,
                    };
                    (email(u), i)
                })
                .collect(),
            defaults: Default::default(),
        }
    }

    #[test]
    fn k4_each_declared_or_seen_integration_gets_a_health() {
        use IntegrationService::{Google, Office365};
        use IntegrationStatus::{Connected, NeedsReauthorisation};
        let declared: BTreeMap<Email, IntegrationService> = [
            (email("ann@acme.com"), Google),
            (email("bob@acme.com"), Google),
            (email("cy@acme.com"), Office365),
            (email("dee@acme.com"), Google),
        ]
        .into_iter()
        .collect();
        let seen = seen(&[
            ("ann@acme.com", Google, Connected),
            ("bob@acme.com", Google, NeedsReauthorisation),
            ("cy@acme.com", Google, Connected),
            ("eve@acme.com", Office365, Connected),
        ]);
        let h = integrations(Some(&seen), &declared, false).expect("some");
        let got: Vec<(String, &str)> = h
            .users
            .iter()
            .map(|u| (u.user.to_string(), u.health.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("ann@acme.com".into(), "connected"),
                ("bob@acme.com".into(), "needs_reauthorisation"),
                ("cy@acme.com".into(), "other_service"),
                ("dee@acme.com".into(), "not_connected"),
                ("eve@acme.com".into(), "connected"),
            ]
        );
        assert!(h.read_from_provider);
        assert!(integrations(None, &BTreeMap::new(), true).is_none());
        let folded = integrations(None, &declared, true).expect("declared");
        assert!(!folded.read_from_provider);
        assert!(folded.users.iter().all(|u| !u.health.is_ok()));
    }
}
