//! The real reconcile of one account, as the worker loop runs it: reload the manifests
//! if stale, observe, plan, and apply under the account's lease (or only report in
//! `--dry-run`), then record the outcome for `/status` and `/metrics`. A run that applied
//! changes observes the account again, so that what it reports (and the gauges computed
//! from it) describes the account as the run left it.

use super::Shared;
use super::clock::{next_fire, parse_cron};
use super::config::Mode;
use super::status::{DueStatus, LeaseStatus, Observation, PlanSummary, RunResult, RunStatus};
use super::trigger::{self, Trigger};
use super::worker::{Outcome, Reconcile, Wake};
use crate::apply::ApplyReport;
use crate::model::{Desired, Email, ExistingZoomUser, Observed, ProviderConfig, Timestamp};
use crate::plan::{Op, PlanOptions};
use crate::provider::{Provider, ProviderError};
use crate::reconcile::{self, Prepared};
use crate::store::lease::{Keeper, Timing};
use crate::store::{Outcome as JournalOutcome, Store, StoreError};
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// A run reloads the manifests unless they were loaded this recently (the watcher's load
/// that woke it, usually), so a missed file event is caught at the next resync.
const RELOAD_MAX_AGE: Duration = Duration::from_secs(1);

/// Planned changes listed in `/status`.
const MAX_LISTED: usize = 100;

/// One account's reconcile.
pub struct AccountRunner {
    shared: Arc<Shared>,
    account: String,
    provider: Option<(ProviderConfig, Arc<dyn Provider>)>,
    journal_checked: bool,
    /// The last event waited for: (provider time, wall-clock time it was due).
    waited_due: Option<(Timestamp, Timestamp)>,
}

impl AccountRunner {
    /// The runner of `account`.
    pub fn new(shared: Arc<Shared>, account: String) -> AccountRunner {
        AccountRunner {
            shared,
            account,
            provider: None,
            journal_checked: false,
            waited_due: None,
        }
    }

    fn provider(&mut self, desired: &Desired) -> Result<Arc<dyn Provider>, String> {
        if let Some((cfg, p)) = &self.provider
            && *cfg == desired.account.provider
        {
            return Ok(p.clone());
        }
        let p = crate::session::open_provider(desired, &self.shared.config.state)
            .map_err(|f| f.to_string())?;
        self.provider = Some((desired.account.provider.clone(), p.clone()));
        Ok(p)
    }

    /// A previous process killed mid-apply leaves journal rows `started`: say so once.
    async fn check_journal(&mut self) {
        if self.journal_checked {
            return;
        }
        self.journal_checked = true;
        let Ok(journal) = self.shared.store.journal(&self.account).await else {
            return;
        };
        let open: Vec<_> = journal
            .iter()
            .filter(|j| j.outcome == JournalOutcome::Started)
            .collect();
        if let Some(first) = open.first() {
            let note = format!(
                "a previous apply (run {}) stopped with {} change(s) in flight; the account is re-read, so changes that went through are not repeated",
                first.run_id,
                open.len()
            );
            tracing::warn!(account = %self.account, "{note}");
            self.shared
                .board()
                .account(&self.account)
                .interrupted_before = Some(note);
        }
    }

    async fn reconcile(&mut self, desired: &Desired) -> Report {
        // Simulated accounts share one state file that each provider rewrites whole:
        // their runs take turns so that one account's apply cannot overwrite another's.
        let shared = self.shared.clone();
        let _sim_turn = match desired.account.provider {
            ProviderConfig::Sim(_) => Some(shared.sim_turn.lock().await),
            ProviderConfig::Zoom(_) => None,
        };
        let provider = match self.provider(desired) {
            Ok(p) => p,
            Err(e) => return Report::error(e),
        };
        self.check_journal().await;
        // The lease is taken before the account is observed: a replica applies only a
        // plan made from what it saw while holding the account (issue 14).
        let keeper = if self.shared.config.mode == Mode::DryRun {
            None
        } else {
            match self.take_lease().await {
                Ok(k) => Some(k),
                Err(report) => return *report,
            }
        };
        let mut report = self
            .observe_and_apply(desired, provider.as_ref(), keeper.as_ref())
            .await;
        if let Some(k) = keeper {
            report.lease = Some(LeaseStatus {
                holder: k.lease().holder.clone(),
                this_replica: true,
                since: None,
            });
            if let Err(e) = k.release().await {
                tracing::warn!(account = %self.account, error = %e, "could not release the lease");
            }
        }
        report
    }

    /// The account's lease, or the report of a run that found another holder (standby)
    /// or could not reach the store.
    async fn take_lease(&self) -> Result<Keeper, Box<Report>> {
        let holder = format!("roster daemon (pid {})", std::process::id());
        let store = self.shared.store.clone();
        match Keeper::acquire(store, &self.account, &holder, Timing::default()).await {
            Ok(k) => Ok(k),
            Err(StoreError::Locked { holder, since, .. }) => {
                tracing::info!(account = %self.account, %holder, "the account's lease is held elsewhere; standing by");
                Err(Box::new(Report::standby(LeaseStatus {
                    holder,
                    this_replica: false,
                    since: Some(since),
                })))
            }
            Err(e) => Err(Box::new(Report::error(e.to_string()))),
        }
    }

    /// Observes, plans and (holding `keeper`; `None` in `--dry-run`) applies.
    async fn observe_and_apply(
        &self,
        desired: &Desired,
        provider: &dyn Provider,
        keeper: Option<&Keeper>,
    ) -> Report {
        let metered = Metered {
            inner: provider,
            shared: &self.shared,
            account: &self.account,
        };
        let store = self.shared.store.as_ref();
        let prepared =
            match reconcile::prepare(desired, &metered, store, &PlanOptions::default()).await {
                Ok(p) => p,
                Err(e) => return Report::error(e.to_string()),
            };
        let mut report = Report::observed(&prepared, desired);
        let plan = &prepared.plan;
        if !plan.errors.is_empty() {
            report.result = RunResult::Blocked;
            report.errors = plan
                .errors
                .iter()
                .map(|e| {
                    let at = e
                        .source
                        .as_ref()
                        .map(|s| format!("{s}: "))
                        .unwrap_or_default();
                    format!("{at}error[{}] {}: {}", e.rule, e.target, e.message)
                })
                .collect();
            return report;
        }
        let Some(keeper) = keeper.filter(|_| self.shared.config.mode != Mode::DryRun) else {
            report.result = if plan.changes.is_empty() {
                RunResult::InSync
            } else {
                RunResult::Drift
            };
            return report;
        };
        if self.shared.stopping() {
            report.result = RunResult::Interrupted;
            return report;
        }
        let run_id = reconcile::new_run_id();
        let mut config = self.shared.config.apply.clone();
        config.stop = Some(self.shared.stop_flag());
        config.lease = Some(keeper.deadline());
        let result =
            reconcile::execute(&prepared, &metered, store, keeper.lease(), &run_id, &config).await;
        match result {
            Ok(None) => report.result = RunResult::InSync,
            Ok(Some(applied)) => {
                let changed = !applied.done.is_empty();
                report.applied(&prepared, applied, &self.shared);
                if changed && !self.shared.stopping() {
                    report.observe_again(desired, &metered, store).await;
                }
            }
            Err(e) => {
                report.result = RunResult::Error;
                report.errors.push(e.to_string());
            }
        }
        report
    }
}

impl Reconcile for AccountRunner {
    async fn run(&mut self, triggers: &BTreeSet<Trigger>) -> Outcome {
        if let Some(reload) = self.shared.desired.reload_if_older(RELOAD_MAX_AGE).await {
            self.shared.on_reload(reload, Some(&self.account));
        }
        let Some((desired, revision)) = self.shared.desired.account(&self.account) else {
            // No longer declared: the worker is being retired.
            return Outcome {
                ok: true,
                due: None,
                revision: 0,
            };
        };
        let started_at = self.shared.config.clock.now();
        let t0 = Instant::now();
        self.shared.board().account(&self.account).running = true;
        for t in triggers {
            self.shared.metrics.counters().trigger(&self.account, *t);
        }
        tracing::info!(account = %self.account, triggers = %trigger::names(triggers), "reconcile started");
        let report = self.reconcile(&desired).await;
        let elapsed = t0.elapsed();
        let finished_at = self.shared.config.clock.now();
        let result = report.result;
        let ok = result.is_ok();
        // Due times are on the provider's clock; the wait is measured from the observation.
        let mut due = report
            .due
            .as_ref()
            .zip(report.observed_at)
            .map(|(d, seen)| finished_at + (d.provider_at - seen).max(chrono::Duration::zero()));
        // An event already waited for that the provider's clock still has not reached: the
        // clock does not follow the wall clock (the simulator's moves with `roster sim
        // clock`). Waiting for it again would loop; the next resync or trigger sees it.
        if let (Some(d), Some((at, wall))) = (&report.due, self.waited_due)
            && d.provider_at == at
            && finished_at >= wall
        {
            tracing::info!(account = %self.account, event = %d.what, "the provider's clock has not reached this event yet; waiting for the next resync or trigger");
            due = None;
        } else {
            self.waited_due = report.due.as_ref().map(|d| d.provider_at).zip(due);
        }
        // A standby replica tries again within a renew interval, so that it takes over
        // within TTL + renew interval of the holder's last renewal (issue 14).
        if result == RunResult::Standby {
            due = chrono::Duration::from_std(crate::store::lease::DEFAULT_RENEW_EVERY)
                .ok()
                .map(|d| finished_at + d);
        }
        tracing::info!(
            account = %self.account,
            result = result.as_str(),
            changes = report.changes.len(),
            applied = report.applied,
            failed = report.failed.len(),
            errors = report.errors.len(),
            duration_ms = elapsed.as_millis() as u64,
            "reconcile finished"
        );
        for e in &report.errors {
            tracing::warn!(account = %self.account, error = %e, "reconcile problem");
        }
        self.shared
            .metrics
            .counters()
            .run(&self.account, result, elapsed.as_secs_f64());
        {
            let mut b = self.shared.board();
            let a = b.account(&self.account);
            a.running = false;
            a.runs += 1;
            if report.observed_at.is_some() {
                a.observed = true;
                a.provider_account_id = report.provider_account_id.clone();
            }
            if ok {
                a.consecutive_failures = 0;
                a.last_success_at = Some(finished_at);
            } else {
                a.consecutive_failures = a.consecutive_failures.saturating_add(1);
            }
            a.due = report.due.clone();
            a.observation = report.observation.clone();
            if let Some(lease) = report.lease.clone() {
                let took_over =
                    lease.this_replica && a.lease.as_ref().is_some_and(|l| !l.this_replica);
                if took_over {
                    a.takeovers += 1;
                    self.shared.metrics.counters().takeover(&self.account);
                }
                a.lease = Some(lease);
            }
            a.last_run = Some(RunStatus {
                started_at,
                finished_at,
                duration_ms: elapsed.as_millis() as u64,
                triggers: triggers.iter().copied().collect(),
                result,
                plan: report.summary.clone(),
                changes: report.changes,
                errors: report.errors,
                applied: report.applied,
                failed: report.failed,
                not_attempted: report.not_attempted,
            });
            b.update_ready();
        }
        Outcome { ok, due, revision }
    }

    fn next_resync(&self, now: Timestamp) -> Option<Timestamp> {
        let (desired, _) = self.shared.desired.account(&self.account)?;
        let expr = desired
            .account
            .resync
            .clone()
            .or_else(|| self.shared.config.resync.clone())?;
        match parse_cron(&expr) {
            Ok(s) => next_fire(&s, now),
            Err(e) => {
                // The loader validates schedule.resync; this is only a safety net.
                tracing::warn!(account = %self.account, error = %e, "no resync schedule");
                None
            }
        }
    }

    fn revision(&self) -> u64 {
        self.shared
            .desired
            .account(&self.account)
            .map(|(_, r)| r)
            .unwrap_or(0)
    }

    fn scheduled(&mut self, next: Option<(Timestamp, Wake)>) {
        self.shared.board().scheduled(&self.account, next);
    }
}

/// What one run found and did.
struct Report {
    result: RunResult,
    observed_at: Option<Timestamp>,
    provider_account_id: Option<String>,
    summary: Option<PlanSummary>,
    changes: Vec<String>,
    errors: Vec<String>,
    applied: usize,
    failed: Vec<crate::apply::NotApplied>,
    not_attempted: Vec<crate::apply::NotApplied>,
    due: Option<DueStatus>,
    /// The account as the run leaves it (`None`: it could not be read).
    observation: Option<Observation>,
    /// Who held the account's lease during the run (`None`: `--dry-run`, or the store
    /// could not be reached).
    lease: Option<LeaseStatus>,
}

impl Report {
    fn error(message: String) -> Report {
        Report {
            errors: vec![message],
            ..Report::unobserved(RunResult::Error)
        }
    }

    /// A run that found another holder of the account's lease: nothing observed.
    fn standby(lease: LeaseStatus) -> Report {
        Report {
            lease: Some(lease),
            ..Report::unobserved(RunResult::Standby)
        }
    }

    fn unobserved(result: RunResult) -> Report {
        Report {
            result,
            observed_at: None,
            provider_account_id: None,
            summary: None,
            changes: Vec::new(),
            errors: Vec::new(),
            applied: 0,
            failed: Vec::new(),
            not_attempted: Vec::new(),
            due: None,
            observation: None,
            lease: None,
        }
    }

    fn observed(prepared: &Prepared, desired: &Desired) -> Report {
        let plan = &prepared.plan;
        let mut r = Report {
            result: RunResult::InSync,
            observed_at: None,
            provider_account_id: Some(prepared.observed.account_id.clone()),
            summary: Some(PlanSummary::of(plan)),
            changes: plan
                .changes
                .iter()
                .take(MAX_LISTED)
                .map(|c| format!("{} {}: {}", c.action.as_str(), c.target, c.reason))
                .collect(),
            errors: Vec::new(),
            applied: 0,
            failed: Vec::new(),
            not_attempted: Vec::new(),
            due: None,
            observation: None,
            lease: None,
        };
        r.seen(prepared, desired);
        r
    }

    /// Takes what `prepared` says of the account now: the counts, the next event.
    fn seen(&mut self, prepared: &Prepared, desired: &Desired) {
        let plan = &prepared.plan;
        self.observed_at = Some(prepared.observed.observed_at);
        self.due = plan.next_event.as_ref().map(|d| DueStatus {
            provider_at: d.at,
            what: d.what.clone(),
        });
        self.observation = Some(Observation::of(plan, &prepared.observed, desired));
    }

    /// Observes the account again after an apply that changed it (one more refresh),
    /// so that the run reports the account as it left it, not as it found it.
    async fn observe_again(
        &mut self,
        desired: &Desired,
        provider: &dyn Provider,
        store: &dyn Store,
    ) {
        match reconcile::prepare(desired, provider, store, &PlanOptions::default()).await {
            Ok(after) => self.seen(&after, desired),
            Err(e) => {
                self.observation = None;
                self.errors.push(format!(
                    "the account could not be read again after the apply: {e}"
                ));
            }
        }
    }

    fn applied(&mut self, prepared: &Prepared, r: ApplyReport, shared: &Shared) {
        let account = &prepared.plan.account;
        let c = shared.metrics.counters();
        for id in &r.done {
            c.applied(account, id.action);
        }
        for f in &r.failed {
            c.failed(account, f.action);
        }
        self.applied = r.done.len();
        self.result = if r.is_success() {
            RunResult::Applied
        } else if shared.stopping() && r.failed.is_empty() {
            RunResult::Interrupted
        } else {
            RunResult::Partial
        };
        self.errors.extend(
            r.failed
                .iter()
                .map(|f| format!("{} {}: {}", f.action, f.target, f.message)),
        );
        self.failed = r.failed;
        self.not_attempted = r.skipped;
    }
}

/// A provider that counts its calls by outcome for `roster_provider_calls_total`.
struct Metered<'a> {
    inner: &'a dyn Provider,
    shared: &'a Shared,
    account: &'a str,
}

impl Metered<'_> {
    fn count<T>(&self, before: u64, result: &Result<T, ProviderError>) {
        let n = self.inner.calls().saturating_sub(before);
        if n > 0 {
            self.shared.metrics.counters().calls(
                self.account,
                &status_label(result.as_ref().err()),
                n,
            );
        }
    }
}

fn status_label(e: Option<&ProviderError>) -> String {
    match e {
        None => "ok".into(),
        Some(ProviderError::Api { status, .. }) => status.to_string(),
        Some(ProviderError::Transport(_)) => "transport".into(),
        Some(ProviderError::Auth(_)) => "auth".into(),
        Some(ProviderError::Config(_)) => "config".into(),
        Some(ProviderError::State(_)) => "state".into(),
    }
}

#[async_trait]
impl Provider for Metered<'_> {
    async fn refresh(&self) -> Result<Observed, ProviderError> {
        let before = self.inner.calls();
        let r = self.inner.refresh().await;
        self.count(before, &r);
        r
    }

    async fn refresh_reporting(
        &self,
        progress: &dyn crate::model::progress::Progress,
    ) -> Result<Observed, ProviderError> {
        let before = self.inner.calls();
        let r = self.inner.refresh_reporting(progress).await;
        self.count(before, &r);
        r
    }

    async fn lookup_emails(
        &self,
        emails: &[Email],
    ) -> Result<BTreeMap<Email, ExistingZoomUser>, ProviderError> {
        let before = self.inner.calls();
        let r = self.inner.lookup_emails(emails).await;
        self.count(before, &r);
        r
    }

    async fn execute(&self, op: &Op) -> Result<(), ProviderError> {
        let before = self.inner.calls();
        let r = self.inner.execute(op).await;
        self.count(before, &r);
        r
    }

    async fn execute_batch(&self, ops: &[Op]) -> Vec<Result<(), ProviderError>> {
        let before = self.inner.calls();
        let rs = self.inner.execute_batch(ops).await;
        let first_err = rs.iter().find_map(|r| r.as_ref().err().cloned());
        let summary: Result<(), ProviderError> = first_err.map_or(Ok(()), Err);
        self.count(before, &summary);
        rs
    }

    // Every other method forwards too: a default here would silently change what the
    // daemon does against Zoom (manual changes sent as calls, fields never read).
    fn manual_steps(&self, op: &Op) -> Option<Vec<String>> {
        self.inner.manual_steps(op)
    }

    async fn personal_contacts(
        &self,
        wanted: &[(Email, String)],
    ) -> Result<crate::provider::PersonalContactsRead, ProviderError> {
        let before = self.inner.calls();
        let r = self.inner.personal_contacts(wanted).await;
        self.count(before, &r);
        r
    }

    async fn expired_invitations(
        &self,
        emails: &[Email],
    ) -> Result<BTreeMap<Email, Option<Timestamp>>, ProviderError> {
        let before = self.inner.calls();
        let r = self.inner.expired_invitations(emails).await;
        self.count(before, &r);
        r
    }

    fn unobserved_fields(&self) -> &'static [crate::model::UserField] {
        self.inner.unobserved_fields()
    }

    async fn read_details(
        &self,
        emails: &[Email],
    ) -> Result<BTreeMap<Email, crate::model::UserSpec>, ProviderError> {
        let before = self.inner.calls();
        let r = self.inner.read_details(emails).await;
        self.count(before, &r);
        r
    }

    fn limit_in_flight(&self, n: usize) -> bool {
        self.inner.limit_in_flight(n)
    }

    fn request_timeout(&self) -> Duration {
        self.inner.request_timeout()
    }

    fn calls(&self) -> u64 {
        self.inner.calls()
    }
}
