//! What the daemon knows about itself, for `/status` (JSON), `/` (the page, [`super::page`]),
//! `/readyz` and the gauges of `/metrics` (recomputed from it at every scrape).
//!
//! The health of each account is derived here, in one place ([`Board::update_ready`]):
//! whether the daemon is ready, and why an account is degraded.

use super::findings::{IntegrationsHealth, PendingManual, WaitingChange};
use super::trigger::Trigger;
use super::worker::Wake;
use crate::apply::NotApplied;
use crate::model::Timestamp;
use crate::plan::{Plan, Sign};
use serde::Serialize;
use std::collections::BTreeMap;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunResult {
    /// The account matches the manifests: nothing to do.
    InSync,
    /// Every planned change was applied.
    Applied,
    /// `--dry-run`: the plan has changes, none applied.
    Drift,
    /// Some changes failed or were not attempted (retried with backoff).
    Partial,
    /// The plan breaks account rules: nothing applied (retried with backoff).
    Blocked,
    /// The run could not observe or apply (provider, store, lock); retried with backoff.
    Error,
    /// Shutdown stopped the apply; changes in flight finished and were journaled.
    Interrupted,
    /// Another replica (or a `roster apply`) holds the account's lease: nothing was
    /// observed or applied here; tried again within a renew interval (issue 14).
    Standby,
}

impl RunResult {
    /// The snake_case name (metrics label).
    pub fn as_str(self) -> &'static str {
        match self {
            RunResult::InSync => "in_sync",
            RunResult::Applied => "applied",
            RunResult::Drift => "drift",
            RunResult::Partial => "partial",
            RunResult::Blocked => "blocked",
            RunResult::Error => "error",
            RunResult::Interrupted => "interrupted",
            RunResult::Standby => "standby",
        }
    }

    /// The run did what it could; no retry needed.
    pub fn is_ok(self) -> bool {
        match self {
            RunResult::InSync
            | RunResult::Applied
            | RunResult::Drift
            | RunResult::Interrupted
            | RunResult::Standby => true,
            RunResult::Partial | RunResult::Blocked | RunResult::Error => false,
        }
    }
}

/// Counts of a plan, as in its summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    /// Changes that add (`+`).
    pub add: usize,
    /// Changes that change or resend (`~`, `>`).
    pub change: usize,
    /// Changes that remove (`-`).
    pub remove: usize,
    /// Changes waiting on someone else (a pending user accepting, …).
    pub waiting: usize,
    /// Warnings.
    pub warnings: usize,
    /// Rule breaches (block the plan).
    pub errors: usize,
    /// Users in the account that no manifest declares.
    pub unmanaged: usize,
}

impl PlanSummary {
    /// Counts `plan`.
    pub fn of(plan: &Plan) -> PlanSummary {
        let mut s = PlanSummary {
            waiting: plan.waiting.len(),
            warnings: plan.warnings.len(),
            errors: plan.errors.len(),
            unmanaged: plan.unmanaged.len(),
            ..PlanSummary::default()
        };
        for c in &plan.changes {
            match c.action.sign() {
                Sign::Add => s.add += 1,
                Sign::Change | Sign::Resend => s.change += 1,
                Sign::Remove => s.remove += 1,
            }
        }
        s
    }
}

/// One finished run.
#[derive(Debug, Clone, Serialize)]
pub struct RunStatus {
    /// When it started.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Timestamp,
    /// How long it took.
    pub duration_ms: u64,
    /// What woke it.
    pub triggers: Vec<Trigger>,
    /// How it ended.
    pub result: RunResult,
    /// The plan's counts (absent when the account could not be observed).
    pub plan: Option<PlanSummary>,
    /// The planned changes, `action target: reason` (at most 100).
    pub changes: Vec<String>,
    /// What went wrong: rule breaches, provider or store errors.
    pub errors: Vec<String>,
    /// Changes applied.
    pub applied: usize,
    /// Changes the provider refused.
    pub failed: Vec<NotApplied>,
    /// Changes not attempted.
    pub not_attempted: Vec<NotApplied>,
}

/// The next time the worker wakes on its own.
#[derive(Debug, Clone, Serialize)]
pub struct NextRun {
    /// When (wall clock).
    pub at: Timestamp,
    /// `schedule`, `due`, `retry` or `min_interval` (triggers held by
    /// `--min-trigger-interval`).
    pub reason: &'static str,
}

/// A time-based event the daemon waits for.
#[derive(Debug, Clone, Serialize)]
pub struct DueStatus {
    /// When on the provider's clock (the simulator's clock moves only when told).
    pub provider_at: Timestamp,
    /// What happens then.
    pub what: String,
}

/// What roster knows of an account after its last run: the plan it would make now. After
/// a run that applied changes, the account is observed again, so these counts describe
/// the account as the run left it (issue 19: no gauge lags a run behind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observation {
    /// When the account was observed (provider's clock).
    pub at: Timestamp,
    /// Changes a plan would make now (drift).
    pub changes: usize,
    /// Changes waiting on someone else.
    pub waiting: usize,
    /// Rule breaches blocking the plan.
    pub plan_errors: usize,
    /// Users invited and not joined yet (U5, U8).
    pub pending_invitations: usize,
    /// Changes a person must make in the portal, not confirmed yet.
    pub manual_changes: usize,
    /// Those changes with their portal steps (at most [`super::findings::MAX_LISTED`]).
    pub pending_manual: Vec<PendingManual>,
    /// The changes waiting on someone else (at most [`super::findings::MAX_LISTED`]).
    pub waiting_changes: Vec<WaitingChange>,
    /// Calendar and contact integrations (K4); `None`: none declared or seen.
    pub integrations: Option<IntegrationsHealth>,
    /// Calendly's organization-wide Zoom connection (C1–C7); `None`: none declared or seen.
    pub calendly: Option<super::calendly::CalendlyHealth>,
}

/// Why an account needs attention while the daemon keeps serving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Degraded {
    /// The latest manifest revision failed to load: the last good one is in force, and
    /// the change someone just pushed is not applied.
    ManifestsFailedToLoad,
    /// The last run could not read the account (refresh, look-ups, store): what roster
    /// knows of it is unknown or old.
    ObserveFailed,
    /// The last run read the account but did not converge: the plan breaks a rule, or
    /// the provider refused changes (retried with backoff).
    RunFailed,
    /// Changes wait for a person in the Zoom portal (`roster confirm` closes them).
    ManualChangesPending,
}

impl Degraded {
    /// Every reason, for metrics (each is exported, 0 or 1).
    pub const ALL: [Degraded; 4] = [
        Degraded::ManifestsFailedToLoad,
        Degraded::ObserveFailed,
        Degraded::RunFailed,
        Degraded::ManualChangesPending,
    ];

    /// The snake_case name (JSON, metrics label, page).
    pub fn as_str(self) -> &'static str {
        match self {
            Degraded::ManifestsFailedToLoad => "manifests_failed_to_load",
            Degraded::ObserveFailed => "observe_failed",
            Degraded::RunFailed => "run_failed",
            Degraded::ManualChangesPending => "manual_changes_pending",
        }
    }
}

/// The daemon as a whole, as `/readyz` answers and the page's header shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DaemonState {
    /// No good revision loaded yet, or an account not observed yet (`/readyz` 503).
    #[default]
    Starting,
    /// Every account observed, none degraded (`/readyz` 200).
    Ready,
    /// Ready, but at least one account is degraded (`/readyz` 200: restarting the pod or
    /// taking it out of the Service fixes none of the reasons; alert on the metric).
    Degraded,
    /// SIGTERM received (`/readyz` 503).
    Stopping,
}

impl DaemonState {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DaemonState::Starting => "starting",
            DaemonState::Ready => "ready",
            DaemonState::Degraded => "degraded",
            DaemonState::Stopping => "stopping",
        }
    }
}

/// One account.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AccountStatus {
    /// The provider's account id (matches webhooks' `payload.account_id`).
    pub provider_account_id: Option<String>,
    /// Observed at least once since the daemon started.
    pub observed: bool,
    /// A run is in flight.
    pub running: bool,
    /// Triggers waiting for the next run (filled in when `/status` is read).
    pub queued: Vec<Trigger>,
    /// Runs since the daemon started.
    pub runs: u64,
    /// Failed runs in a row.
    pub consecutive_failures: u32,
    /// When the last successful run ended.
    pub last_success_at: Option<Timestamp>,
    /// The next time the worker wakes on its own.
    pub next_run: Option<NextRun>,
    /// The next time-based event.
    pub due: Option<DueStatus>,
    /// The account after the last run; `None` when that run could not read it.
    pub observation: Option<Observation>,
    /// Why the account needs attention (empty: healthy).
    pub degraded: Vec<Degraded>,
    /// The last finished run.
    pub last_run: Option<RunStatus>,
    /// A previous process stopped with changes in flight (journal rows left `started`).
    pub interrupted_before: Option<String>,
    /// Who held the account's lease at the last run that asked for it.
    pub lease: Option<LeaseStatus>,
    /// Times this replica took the account over from another holder.
    pub takeovers: u64,
}

/// Who holds an account's lease, as the last run found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaseStatus {
    /// The holder (`roster daemon (pid 12) on host roster-1`).
    pub holder: String,
    /// This replica held it for the run.
    pub this_replica: bool,
    /// Since when the other holder has it (`None` for this replica).
    pub since: Option<Timestamp>,
}

impl AccountStatus {
    /// Another holder had the account's lease at the last run: this replica stands by.
    pub fn standby(&self) -> bool {
        self.last_run
            .as_ref()
            .is_some_and(|r| r.result == RunResult::Standby)
    }

    /// The reasons this account is degraded, given whether the latest revision loaded.
    fn degradations(&self, manifests_ok: bool) -> Vec<Degraded> {
        let mut out = Vec::new();
        if !manifests_ok {
            out.push(Degraded::ManifestsFailedToLoad);
        }
        if let Some(run) = self.last_run.as_ref().filter(|_| !self.standby()) {
            if self.observation.is_none() {
                out.push(Degraded::ObserveFailed);
            } else if !run.result.is_ok() {
                out.push(Degraded::RunFailed);
            }
        }
        if self
            .observation
            .as_ref()
            .is_some_and(|o| o.manual_changes > 0)
        {
            out.push(Degraded::ManualChangesPending);
        }
        out
    }
}

/// The manifest folder.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ManifestStatus {
    /// The folder as given.
    pub dir: String,
    /// Where it resolves now (git-sync swaps a symlink).
    pub resolved: Option<String>,
    /// The last load succeeded (else the last good revision is in force).
    pub ok: bool,
    /// Loads so far.
    pub loads: u64,
    /// When the last load ran.
    pub last_load_at: Option<Timestamp>,
    /// When the last good revision was loaded.
    pub last_good_at: Option<Timestamp>,
    /// Why the last load failed: the desired state in force is the last good one.
    pub error: Option<LoadError>,
}

/// A revision that failed to load.
#[derive(Debug, Clone, Serialize)]
pub struct LoadError {
    /// When.
    pub at: Timestamp,
    /// Summary.
    pub message: String,
    /// Every diagnostic, `file:line:column: error[rule]: message`.
    pub diagnostics: Vec<String>,
}

/// Everything `/status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// roster's version.
    pub version: &'static str,
    /// `apply` or `dry-run`.
    pub mode: &'static str,
    /// When the daemon started.
    pub started_at: Timestamp,
    /// Starting, ready, degraded or stopping.
    pub state: DaemonState,
    /// Ready: a good revision is loaded and every account was observed (degraded
    /// accounts included).
    pub ready: bool,
    /// Shutting down.
    pub stopping: bool,
    /// The manifests.
    pub manifests: ManifestStatus,
    /// Accounts by name.
    pub accounts: BTreeMap<String, AccountStatus>,
}

/// What `/status`, `/`, `/readyz` and the gauges show, behind one lock.
#[derive(Debug, Clone)]
pub struct Board {
    /// What `/status` shows.
    pub status: Status,
}

impl Board {
    /// A board for a daemon that just started.
    pub fn new(dir: &str, dry_run: bool, now: Timestamp) -> Board {
        Board {
            status: Status {
                version: env!("CARGO_PKG_VERSION"),
                mode: if dry_run { "dry-run" } else { "apply" },
                started_at: now,
                state: DaemonState::Starting,
                ready: false,
                stopping: false,
                manifests: ManifestStatus {
                    dir: dir.to_string(),
                    ..ManifestStatus::default()
                },
                accounts: BTreeMap::new(),
            },
        }
    }

    /// The account's entry (created on first use).
    pub fn account(&mut self, name: &str) -> &mut AccountStatus {
        self.status.accounts.entry(name.to_string()).or_default()
    }

    /// Forgets an account no longer declared.
    pub fn remove_account(&mut self, name: &str) {
        self.status.accounts.remove(name);
        self.update_ready();
    }

    /// Sets when the worker wakes next.
    pub fn scheduled(&mut self, name: &str, next: Option<(Timestamp, Wake)>) {
        self.account(name).next_run = next.map(|(at, why)| NextRun {
            at,
            reason: match why {
                Wake::Schedule => "schedule",
                Wake::Due => "due",
                Wake::Retry => "retry",
                Wake::MinInterval => "min_interval",
            },
        });
    }

    /// Re-computes what is derived: each account's degradations, readiness (a good
    /// revision, every account observed, not stopping) and the daemon's state. Called after
    /// every load and every run.
    pub fn update_ready(&mut self) {
        let s = &mut self.status;
        let manifests_ok = s.manifests.loads == 0 || s.manifests.ok;
        for a in s.accounts.values_mut() {
            a.degraded = a.degradations(manifests_ok);
        }
        s.ready = !s.stopping
            && s.manifests.last_good_at.is_some()
            && s.accounts.values().all(|a| a.observed || a.standby());
        s.state = if s.stopping {
            DaemonState::Stopping
        } else if !s.ready {
            DaemonState::Starting
        } else if s.accounts.values().any(|a| !a.degraded.is_empty()) || !manifests_ok {
            DaemonState::Degraded
        } else {
            DaemonState::Ready
        };
    }

    /// Why the daemon is not ready, or `None` when it is. No manifest content or path:
    /// `/readyz` is open (the load error itself is on `/status`).
    pub fn not_ready_reason(&self) -> Option<String> {
        let s = &self.status;
        if s.stopping {
            return Some("shutting down".into());
        }
        if s.manifests.last_good_at.is_none() {
            return Some(match &s.manifests.error {
                Some(_) => {
                    "no manifest revision has loaded yet: the last load failed (see /status)".into()
                }
                None => "the manifests have not been loaded yet".into(),
            });
        }
        let waiting: Vec<&str> = s
            .accounts
            .iter()
            .filter(|(_, a)| !a.observed && !a.standby())
            .map(|(n, _)| n.as_str())
            .collect();
        if waiting.is_empty() {
            None
        } else {
            Some(format!("not observed yet: {}", waiting.join(", ")))
        }
    }

    /// `/readyz`'s answer: (ready, text). Degraded accounts are listed with their reasons
    /// but keep the daemon ready.
    pub fn readiness(&self) -> (bool, String) {
        if let Some(why) = self.not_ready_reason() {
            return (false, format!("not ready: {why}\n"));
        }
        let degraded: Vec<String> = self
            .status
            .accounts
            .iter()
            .filter(|(_, a)| !a.degraded.is_empty())
            .map(|(n, a)| {
                let reasons: Vec<&str> = a.degraded.iter().map(|d| d.as_str()).collect();
                format!("{n} ({})", reasons.join(", "))
            })
            .collect();
        if degraded.is_empty() {
            (true, "ready\n".into())
        } else {
            (true, format!("ready, degraded: {}\n", degraded.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_needs_a_good_revision_and_every_account_observed() {
        let now: Timestamp = "2026-11-01T09:00:00Z".parse().expect("t");
        let mut b = Board::new("m", false, now);
        b.update_ready();
        assert!(!b.status.ready);
        b.status.manifests.last_good_at = Some(now);
        b.account("acme");
        b.update_ready();
        assert_eq!(
            b.not_ready_reason().as_deref(),
            Some("not observed yet: acme")
        );
        b.account("acme").observed = true;
        b.update_ready();
        assert!(b.status.ready && b.not_ready_reason().is_none());
        b.status.stopping = true;
        b.update_ready();
        assert!(!b.status.ready);
    }

    fn observation(manual_changes: usize) -> Observation {
        Observation {
            at: "2026-11-01T09:00:00Z".parse().expect("t"),
            changes: 0,
            waiting: 0,
            plan_errors: 0,
            pending_invitations: 0,
            manual_changes,
            pending_manual: Vec::new(),
            waiting_changes: Vec::new(),
            integrations: None,
            calendly: None,
        }
    }

    fn run(result: RunResult) -> RunStatus {
        let t: Timestamp = "2026-11-01T09:00:00Z".parse().expect("t");
        RunStatus {
            started_at: t,
            finished_at: t,
            duration_ms: 1,
            triggers: vec![Trigger::Startup],
            result,
            plan: None,
            changes: Vec::new(),
            errors: Vec::new(),
            applied: 0,
            failed: Vec::new(),
            not_attempted: Vec::new(),
        }
    }

    fn ready_board() -> Board {
        let now: Timestamp = "2026-11-01T09:00:00Z".parse().expect("t");
        let mut b = Board::new("m", false, now);
        b.status.manifests.loads = 1;
        b.status.manifests.ok = true;
        b.status.manifests.last_good_at = Some(now);
        let a = b.account("acme");
        a.observed = true;
        a.last_run = Some(run(RunResult::InSync));
        a.observation = Some(observation(0));
        b.update_ready();
        b
    }

    #[test]
    fn a_healthy_account_is_ready_and_not_degraded() {
        let b = ready_board();
        assert_eq!(b.status.state, DaemonState::Ready);
        assert_eq!(b.readiness(), (true, "ready\n".to_string()));
    }

    #[test]
    fn a_failed_load_degrades_every_account_but_keeps_the_daemon_ready() {
        let mut b = ready_board();
        b.status.manifests.ok = false;
        b.status.manifests.error = Some(LoadError {
            at: b.status.started_at,
            message: "1 error(s)".into(),
            diagnostics: vec!["people/ann@acme.com.yaml:3:1: error[Manifest]: x".into()],
        });
        b.update_ready();
        assert_eq!(b.status.state, DaemonState::Degraded);
        assert_eq!(
            b.status.accounts["acme"].degraded,
            vec![Degraded::ManifestsFailedToLoad]
        );
        let (ready, text) = b.readiness();
        assert!(ready);
        assert_eq!(text, "ready, degraded: acme (manifests_failed_to_load)\n");
        assert!(!text.contains('@') && !text.contains(".yaml"), "{text}");
    }

    #[test]
    fn a_run_that_could_not_observe_or_converge_or_waits_for_a_person_degrades() {
        let mut b = ready_board();
        b.account("acme").observation = None;
        b.account("acme").last_run = Some(run(RunResult::Error));
        b.update_ready();
        assert_eq!(
            b.status.accounts["acme"].degraded,
            vec![Degraded::ObserveFailed]
        );
        b.account("acme").observation = Some(observation(2));
        b.account("acme").last_run = Some(run(RunResult::Blocked));
        b.update_ready();
        assert_eq!(
            b.status.accounts["acme"].degraded,
            vec![Degraded::RunFailed, Degraded::ManualChangesPending]
        );
        b.account("acme").observation = Some(observation(0));
        b.account("acme").last_run = Some(run(RunResult::Applied));
        b.update_ready();
        assert!(b.status.accounts["acme"].degraded.is_empty());
        assert_eq!(b.status.state, DaemonState::Ready);
    }

    #[test]
    fn no_good_revision_yet_is_not_ready_and_says_so_without_the_error_text() {
        let now: Timestamp = "2026-11-01T09:00:00Z".parse().expect("t");
        let mut b = Board::new("m", false, now);
        b.status.manifests.loads = 1;
        b.status.manifests.error = Some(LoadError {
            at: now,
            message: "people/ann@acme.com.yaml: 1 error(s)".into(),
            diagnostics: Vec::new(),
        });
        b.update_ready();
        let (ready, text) = b.readiness();
        assert!(!ready);
        assert!(!text.contains('@') && !text.contains("yaml"), "{text}");
        assert_eq!(b.status.state, DaemonState::Starting);
    }
}
