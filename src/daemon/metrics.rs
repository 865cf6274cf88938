//! Prometheus metrics, kept and encoded by `prometheus-client` (text format 0.0.4).
//!
//! Two kinds, never mixed:
//! - **counters** ([`Counters`]) are incremented where the event happens; they are
//!   lock-free and cheap to clone into whoever counts (the trigger inboxes, the HTTP
//!   handlers, the runs);
//! - **gauges** ([`Gauges`]) are never set by hand: [`Metrics::render`] recomputes every
//!   one of them from the daemon's [`Status`] at each scrape, so a gauge always describes
//!   the account after the run that last ended and never says what `/status` does not.
//!
//! To add a metric: a field in [`Counters`] or [`Gauges`], one `register` line in
//! [`Metrics::new`] and, for a gauge, the line that reads it from [`Status`] in
//! [`Gauges::set_from`].
//!
//! `/metrics` is open (issue 22): no label carries personal data. Labels are account names
//! as declared in the manifests and members of closed sets (run results, triggers, plan
//! actions, HTTP statuses, refusal and degradation reasons); never an email, a person's
//! name, a path or manifest content.

use super::calendly::{CalendlyHealth, CalendlyState, kind_str};
use super::status::{Degraded, RunResult, Status};
use super::trigger::Trigger;
use crate::model::{Action, CalendlyConnectionKind, CalendlyRole};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// Upper bounds (seconds) of the reconcile duration histogram.
const BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// The `Content-Type` of what [`Metrics::render`] returns.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// A gauge holding a float (timestamps).
type FloatGauge = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AccountLabels {
    account: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    account: String,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TriggerLabels {
    account: String,
    trigger: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    account: String,
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    account: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    endpoint: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DegradedLabels {
    account: String,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CalendlyStateLabels {
    account: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CalendlyRoleLabels {
    account: String,
    role: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CalendlyKindLabels {
    account: String,
    kind: &'static str,
}

fn account(a: &str) -> AccountLabels {
    AccountLabels { account: a.into() }
}

fn duration_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// Every counter the daemon exports. Clones share the same values.
#[derive(Clone, Debug)]
pub struct Counters {
    runs: Family<RunLabels, Counter>,
    duration: Family<AccountLabels, Histogram, fn() -> Histogram>,
    triggers: Family<TriggerLabels, Counter>,
    coalesced: Family<TriggerLabels, Counter>,
    applied: Family<ActionLabels, Counter>,
    failed: Family<ActionLabels, Counter>,
    calls: Family<CallLabels, Counter>,
    manifest_loads: Family<ResultLabels, Counter>,
    webhooks: Family<ResultLabels, Counter>,
    refusals: Family<RefusalLabels, Counter>,
    takeovers: Family<AccountLabels, Counter>,
}

impl Counters {
    fn new() -> Counters {
        let c = Counters {
            runs: Family::default(),
            duration: Family::new_with_constructor(duration_histogram),
            triggers: Family::default(),
            coalesced: Family::default(),
            applied: Family::default(),
            failed: Family::default(),
            calls: Family::default(),
            manifest_loads: Family::default(),
            webhooks: Family::default(),
            refusals: Family::default(),
            takeovers: Family::default(),
        };
        // Both results from the start, so that `rate()` sees the first error.
        for result in ["ok", "error"] {
            c.manifest_loads
                .get_or_create(&ResultLabels { result })
                .inc_by(0);
        }
        c
    }

    /// A finished run: its result and duration.
    pub fn run(&self, a: &str, result: RunResult, seconds: f64) {
        let labels = RunLabels {
            account: a.into(),
            result: result.as_str(),
        };
        self.runs.get_or_create(&labels).inc();
        self.duration.get_or_create(&account(a)).observe(seconds);
    }

    /// This replica took the account's lease over from another holder.
    pub fn takeover(&self, a: &str) {
        self.takeovers.get_or_create(&account(a)).inc();
    }

    /// A trigger that woke a run.
    pub fn trigger(&self, a: &str, trigger: Trigger) {
        let labels = TriggerLabels {
            account: a.into(),
            trigger: trigger.as_str(),
        };
        self.triggers.get_or_create(&labels).inc();
    }

    /// A trigger that arrived while a run of the account was already queued, and joined it.
    pub fn coalesced(&self, a: &str, trigger: Trigger) {
        let labels = TriggerLabels {
            account: a.into(),
            trigger: trigger.as_str(),
        };
        self.coalesced.get_or_create(&labels).inc();
    }

    /// A change the provider accepted.
    pub fn applied(&self, a: &str, action: Action) {
        let labels = ActionLabels {
            account: a.into(),
            action: action.as_str(),
        };
        self.applied.get_or_create(&labels).inc();
    }

    /// A change the provider refused.
    pub fn failed(&self, a: &str, action: Action) {
        let labels = ActionLabels {
            account: a.into(),
            action: action.as_str(),
        };
        self.failed.get_or_create(&labels).inc();
    }

    /// Provider calls, by outcome (`ok`, an HTTP status, `transport`, …).
    pub fn calls(&self, a: &str, status: &str, n: u64) {
        let labels = CallLabels {
            account: a.into(),
            status: status.into(),
        };
        self.calls.get_or_create(&labels).inc_by(n);
    }

    /// A manifest load; `ok` tells whether it was a good revision.
    pub fn manifest_load(&self, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        self.manifest_loads
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    /// A webhook request, by result (`accepted`, `url_validation`, `refused`).
    pub fn webhook(&self, result: &'static str) {
        self.webhooks.get_or_create(&ResultLabels { result }).inc();
    }

    /// An HTTP request refused (401, 403, 413, 400, 503), by route and reason.
    pub fn refused(&self, endpoint: &'static str, reason: &'static str) {
        self.refusals
            .get_or_create(&RefusalLabels { endpoint, reason })
            .inc();
    }
}

/// Every gauge the daemon exports, recomputed from [`Status`] at each scrape.
#[derive(Debug, Default)]
struct Gauges {
    drift: Family<AccountLabels, Gauge>,
    waiting: Family<AccountLabels, Gauge>,
    plan_errors: Family<AccountLabels, Gauge>,
    pending_invitations: Family<AccountLabels, Gauge>,
    manual_changes: Family<AccountLabels, Gauge>,
    consecutive_failures: Family<AccountLabels, Gauge>,
    last_success: Family<AccountLabels, FloatGauge>,
    degraded: Family<DegradedLabels, Gauge>,
    lease_standby: Family<AccountLabels, Gauge>,
    calendly_connection: Family<CalendlyStateLabels, Gauge>,
    calendly_members: Family<CalendlyRoleLabels, Gauge>,
    calendly_connected: Family<CalendlyKindLabels, Gauge>,
    manifest_ok: Gauge,
    manifest_last_good: FloatGauge,
    ready: Gauge,
}

impl Gauges {
    /// Sets every gauge from `s`: series of accounts no longer declared disappear, and
    /// an account whose last run could not read it has no drift series (unknown, not 0).
    fn set_from(&self, s: &Status) {
        for f in [
            &self.drift,
            &self.waiting,
            &self.plan_errors,
            &self.pending_invitations,
            &self.manual_changes,
            &self.consecutive_failures,
            &self.lease_standby,
        ] {
            f.clear();
        }
        self.last_success.clear();
        self.degraded.clear();
        self.calendly_connection.clear();
        self.calendly_members.clear();
        self.calendly_connected.clear();
        for (name, a) in &s.accounts {
            let l = account(name);
            let set = |f: &Family<AccountLabels, Gauge>, v: usize| {
                f.get_or_create(&l)
                    .set(i64::try_from(v).unwrap_or(i64::MAX));
            };
            set(&self.consecutive_failures, a.consecutive_failures as usize);
            if a.lease.is_some() {
                set(&self.lease_standby, usize::from(a.standby()));
            }
            if let Some(o) = &a.observation {
                set(&self.drift, o.changes);
                set(&self.waiting, o.waiting);
                set(&self.plan_errors, o.plan_errors);
                set(&self.pending_invitations, o.pending_invitations);
                set(&self.manual_changes, o.manual_changes);
                if let Some(c) = &o.calendly {
                    self.set_calendly(name, c);
                }
            }
            if let Some(t) = a.last_success_at {
                self.last_success.get_or_create(&l).set(unix(t));
            }
            for reason in Degraded::ALL {
                let labels = DegradedLabels {
                    account: name.clone(),
                    reason: reason.as_str(),
                };
                let on = a.degraded.contains(&reason);
                self.degraded.get_or_create(&labels).set(i64::from(on));
            }
        }
        let m = &s.manifests;
        self.manifest_ok.set(i64::from(m.loads > 0 && m.ok));
        self.manifest_last_good
            .set(m.last_good_at.map(unix).unwrap_or(0.0));
        self.ready.set(i64::from(s.ready));
    }
}

impl Gauges {
    /// C1–C7: the connection's state (0 or 1 for each), members by Calendly role, connected
    /// users by kind (`unknown` on real Calendly, which shows only Zoom locations).
    fn set_calendly(&self, name: &str, c: &CalendlyHealth) {
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        for state in CalendlyState::ALL {
            let labels = CalendlyStateLabels {
                account: name.into(),
                state: state.as_str(),
            };
            let on = c.state == state;
            self.calendly_connection
                .get_or_create(&labels)
                .set(i64::from(on));
        }
        for role in CalendlyRole::ALL {
            let labels = CalendlyRoleLabels {
                account: name.into(),
                role: role.as_str(),
            };
            let count = c.roles.get(&role).copied().unwrap_or(0);
            self.calendly_members.get_or_create(&labels).set(n(count));
        }
        let kinds = [
            Some(CalendlyConnectionKind::Personal),
            Some(CalendlyConnectionKind::Organization),
            None,
        ];
        for kind in kinds.map(kind_str) {
            let labels = CalendlyKindLabels {
                account: name.into(),
                kind,
            };
            let count = c.connected.get(kind).copied().unwrap_or(0);
            self.calendly_connected.get_or_create(&labels).set(n(count));
        }
    }
}

fn unix(t: crate::model::Timestamp) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// The registry: every counter and gauge, in the order `/metrics` lists them.
#[derive(Debug)]
pub struct Metrics {
    counters: Counters,
    gauges: Gauges,
    registry: Registry,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Registers every family. Counter names get their `_total` suffix from the encoder.
    pub fn new() -> Metrics {
        let c = Counters::new();
        let g = Gauges::default();
        let mut r = Registry::default();
        r.register(
            "roster_reconcile_runs",
            "Reconcile runs finished, by account and result",
            c.runs.clone(),
        );
        r.register(
            "roster_lease_takeovers",
            "Times this replica took an account's lease over from another holder (issue 14)",
            c.takeovers.clone(),
        );
        r.register(
            "roster_reconcile_duration_seconds",
            "Duration of reconcile runs (observe, plan, apply)",
            c.duration.clone(),
        );
        r.register(
            "roster_reconcile_triggers",
            "What woke reconcile runs, by account and trigger (several triggers can share one run)",
            c.triggers.clone(),
        );
        r.register(
            "roster_reconcile_triggers_coalesced",
            "Triggers that arrived while a run of the account was already queued and joined it instead of starting another",
            c.coalesced.clone(),
        );
        r.register(
            "roster_changes_applied",
            "Changes the provider accepted, by account and action",
            c.applied.clone(),
        );
        r.register(
            "roster_changes_failed",
            "Changes the provider refused, by account and action",
            c.failed.clone(),
        );
        r.register(
            "roster_provider_calls",
            "Provider calls (Zoom API requests, or their simulator equivalent), by account and status",
            c.calls.clone(),
        );
        r.register(
            "roster_manifest_loads",
            "Manifest loads, by result; a failed load leaves the last good revision in force",
            c.manifest_loads.clone(),
        );
        r.register(
            "roster_webhooks",
            "Zoom webhook requests, by result (accepted, url_validation, refused)",
            c.webhooks.clone(),
        );
        r.register(
            "roster_http_refusals",
            "HTTP requests refused, by endpoint and reason (bad credential, bad signature, replay, body too large, ...)",
            c.refusals.clone(),
        );
        Self::register_gauges(&mut r, &g);
        Metrics {
            counters: c,
            gauges: g,
            registry: r,
        }
    }

    fn register_gauges(r: &mut Registry, g: &Gauges) {
        r.register(
            "roster_drift_changes",
            "Changes a plan of the account would make now, as seen after the last run (0 once the account matches)",
            g.drift.clone(),
        );
        r.register(
            "roster_waiting_changes",
            "Changes waiting on someone else (a pending user accepting, ...) after the last run",
            g.waiting.clone(),
        );
        r.register(
            "roster_plan_errors",
            "Rule breaches that block the plan, as seen after the last run",
            g.plan_errors.clone(),
        );
        r.register(
            "roster_pending_invitations",
            "Users invited and not yet joined, as seen after the last run (U5, U8)",
            g.pending_invitations.clone(),
        );
        r.register(
            "roster_manual_changes_pending",
            "Changes a person must make in the Zoom portal, not confirmed yet",
            g.manual_changes.clone(),
        );
        r.register(
            "roster_consecutive_failures",
            "Failed runs in a row (retried with backoff)",
            g.consecutive_failures.clone(),
        );
        r.register(
            "roster_last_success_timestamp_seconds",
            "Unix time of the last successful run",
            g.last_success.clone(),
        );
        r.register(
            "roster_account_degraded",
            "1 when the account is degraded for this reason (manifests_failed_to_load, observe_failed, run_failed, manual_changes_pending)",
            g.degraded.clone(),
        );
        r.register(
            "roster_lease_standby",
            "1 when another replica (or a roster apply) held the account's lease at the last run, so this one stands by; 0 when this replica held it",
            g.lease_standby.clone(),
        );
        r.register(
            "roster_calendly_connection",
            "1 for the state of the account's Calendly organization-wide Zoom connection (connected, broken, not_connected, unknown: not read, C1), 0 for the others",
            g.calendly_connection.clone(),
        );
        r.register(
            "roster_calendly_members",
            "Members of the Calendly organization by Calendly role (owner, admin, user: C1)",
            g.calendly_members.clone(),
        );
        r.register(
            "roster_calendly_connected_users",
            "Calendly users who schedule with Zoom, by kind (personal, organization: C4, C6; unknown on real Calendly, which shows only who has a Zoom location)",
            g.calendly_connected.clone(),
        );
        r.register(
            "roster_manifest_load_ok",
            "1 if the last manifest load succeeded, 0 if the last revision failed to load",
            g.manifest_ok.clone(),
        );
        r.register(
            "roster_manifest_last_good_timestamp_seconds",
            "Unix time of the last successful manifest load (0: never)",
            g.manifest_last_good.clone(),
        );
        r.register(
            "roster_ready",
            "1 once a revision loaded and every declared account was observed",
            g.ready.clone(),
        );
    }

    /// The counters, to count with.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The text exposition of every metric, gauges recomputed from `status` first. The
    /// caller holds the lock that guards `status`, so two scrapes never interleave.
    pub fn render(&self, status: &Status) -> String {
        self.gauges.set_from(status);
        let mut out = String::new();
        // Writing into a String cannot fail; an encoder error would leave a partial text.
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
        {
            tracing::error!(error = %e, "the metrics could not be encoded");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::status::{Board, Observation};
    use crate::model::Timestamp;

    fn now() -> Timestamp {
        "2026-11-01T09:00:00Z".parse().expect("t")
    }

    #[test]
    fn counters_render_with_help_type_and_escaped_labels() {
        let m = Metrics::new();
        let c = m.counters();
        c.run("acme", RunResult::Applied, 0.3);
        c.run("acme", RunResult::InSync, 0.02);
        c.applied("acme", Action::UpdateUser);
        c.calls("we\"ird\\acc\nount", "ok", 3);
        c.manifest_load(false);
        let b = Board::new("m", false, now());
        let text = m.render(&b.status);
        assert!(
            text.contains("roster_reconcile_runs_total{account=\"acme\",result=\"applied\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "roster_reconcile_duration_seconds_bucket{account=\"acme\",le=\"0.05\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "roster_reconcile_duration_seconds_bucket{account=\"acme\",le=\"0.5\"} 2\n"
            )
        );
        assert!(text.contains(
            "roster_reconcile_duration_seconds_bucket{account=\"acme\",le=\"+Inf\"} 2\n"
        ));
        assert!(text.contains("roster_reconcile_duration_seconds_count{account=\"acme\"} 2\n"));
        assert!(
            text.contains("account=\"we\\\"ird\\\\acc\\nount\""),
            "{text}"
        );
        assert!(text.contains("roster_manifest_load_ok 0\n"));
        assert!(text.contains("roster_manifest_loads_total{result=\"ok\"} 0\n"));
        assert!(text.contains("roster_manifest_loads_total{result=\"error\"} 1\n"));
        for line in text.lines().filter(|l| l.starts_with("# TYPE")) {
            let name = line.split_whitespace().nth(2).expect("name");
            assert_eq!(
                text.matches(&format!("# TYPE {name} ")).count(),
                1,
                "one TYPE line per family: {name}"
            );
        }
    }

    #[test]
    fn gauges_follow_the_status_at_every_scrape() {
        let m = Metrics::new();
        let mut b = Board::new("m", false, now());
        b.status.manifests.loads = 1;
        b.status.manifests.ok = true;
        b.account("acme").observation = Some(Observation {
            at: now(),
            changes: 20,
            waiting: 0,
            plan_errors: 0,
            pending_invitations: 1,
            manual_changes: 0,
            pending_manual: Vec::new(),
            waiting_changes: Vec::new(),
            integrations: None,
            calendly: None,
        });
        b.update_ready();
        let text = m.render(&b.status);
        assert!(
            text.contains("roster_drift_changes{account=\"acme\"} 20\n"),
            "{text}"
        );
        assert!(text.contains("roster_manifest_load_ok 1\n"));
        // The run that applied everything re-observed: the next scrape says so.
        if let Some(o) = b.account("acme").observation.as_mut() {
            o.changes = 0;
            o.pending_invitations = 5;
        }
        let text = m.render(&b.status);
        assert!(
            text.contains("roster_drift_changes{account=\"acme\"} 0\n"),
            "{text}"
        );
        assert!(text.contains("roster_pending_invitations{account=\"acme\"} 5\n"));
        // A run that could not read the account: the drift is unknown, not stale.
        b.account("acme").observation = None;
        let text = m.render(&b.status);
        assert!(!text.contains("roster_drift_changes{"), "{text}");
        // An account no longer declared leaves no gauge behind.
        b.remove_account("acme");
        let text = m.render(&b.status);
        assert!(!text.contains("account=\"acme\""), "{text}");
    }
}
