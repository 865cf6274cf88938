//! Executing a plan: walks the change graph, runs independent changes concurrently,
//! journals every change before and after it is sent, stops only the dependants of a
//! failure, and records LastApplied for what succeeded.
//!
//! A rerun after a crash needs no special replay: the next run re-reads the account, so a
//! change that reached the provider before the crash is simply no longer in the plan.

use crate::model::progress::{Finish, Reporter, Step};
use crate::model::{Action, BatchKey, ChangeId, LastApplied, ObjectRef};
use crate::plan::{Change, Plan};
use crate::provider::Provider;
use crate::store::lease::Deadline;
use crate::store::{JournalRecord, Lease, Outcome, Store, StoreError};
use futures::StreamExt;
pub use merge::merge_last_applied;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How apply runs.
#[derive(Debug, Clone)]
pub struct ApplyConfig {
    /// Changes (or batches) in flight at once.
    pub concurrency: usize,
    /// Largest batch sent in one provider call (Zoom: 30 users per call).
    pub batch_size: usize,
    /// Once set, no further change is started: changes in flight finish and are journaled,
    /// the others are reported as not attempted (the daemon's graceful shutdown).
    pub stop: Option<Arc<AtomicBool>>,
    /// Until when the run's lease holds ([`crate::store::lease::Keeper`]): before each
    /// send, apply requires that it still holds for the provider's request timeout plus
    /// `send_margin`, and otherwise stops with [`StoreError::LeaseLost`] (issue 14). `None`
    /// (tests, a caller without a renewed lease): only the fenced journal guards sends.
    pub lease: Option<Deadline>,
    /// Kept free beyond the request timeout before each send.
    pub send_margin: Duration,
    /// Told of each change done ([`Step::Apply`]); silent by default.
    pub progress: Reporter,
}

impl Default for ApplyConfig {
    fn default() -> Self {
        ApplyConfig {
            concurrency: 4,
            batch_size: 30,
            stop: None,
            lease: None,
            send_margin: crate::store::lease::DEFAULT_SEND_MARGIN,
            progress: Reporter::default(),
        }
    }
}

impl ApplyConfig {
    fn stopping(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
    }

    /// Whether the lease still covers a send to `provider` (the local deadline, on the
    /// monotonic clock).
    fn may_send(&self, provider: &dyn Provider) -> bool {
        self.lease
            .as_ref()
            .is_none_or(|d| d.allows(provider.request_timeout() + self.send_margin))
    }
}

/// Why a change not attempted was left alone.
const STOPPING: &str = "not attempted: roster is shutting down; the next run plans it again";

/// Why a change being sent was dropped: its outcome is unknown, the next holder
/// re-reads the account.
const LEASE_RAN_OUT_IN_FLIGHT: &str = "outcome unknown: the lease ran out while the request was under way (a retry was not sent); whoever holds the account next re-reads it";

/// Why a journaled change was not sent after all.
const LEASE_RUNNING_OUT: &str = "not sent: the lease could not be renewed in time to cover the request; whoever holds the account next re-reads it";

/// A change that did not go through.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotApplied {
    /// Change id.
    pub change_id: ChangeId,
    /// Action.
    pub action: Action,
    /// Target.
    pub target: ObjectRef,
    /// Why.
    pub message: String,
}

impl NotApplied {
    fn of(c: &Change, message: String) -> NotApplied {
        NotApplied {
            change_id: c.id.clone(),
            action: c.action,
            target: c.target.clone(),
            message,
        }
    }
}

/// What an apply run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApplyReport {
    /// The run id used in the journal.
    pub run_id: String,
    /// Ids of changes the provider accepted.
    pub done: Vec<ChangeId>,
    /// Changes the provider refused.
    pub failed: Vec<NotApplied>,
    /// Changes not attempted because one they depend on failed.
    pub skipped: Vec<NotApplied>,
    /// Changes with no API on this provider, recorded as pending manual changes (not
    /// applied: a person makes them, then runs `roster confirm`).
    pub manual: Vec<ChangeId>,
}

impl ApplyReport {
    /// Every change went through.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty()
    }
}

/// Why apply could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The plan has errors: nothing is applied.
    #[error("the plan has {0} error(s): nothing was applied")]
    PlanHasErrors(usize),
    /// The store failed (journal or LastApplied could not be written).
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Done,
    /// A pending manual change whose dependants must wait for its confirmation: the C2
    /// reconnection, which a demotion must never overtake.
    AwaitingConfirmation,
    Failed,
    Skipped,
}

/// What became of one change of a unit.
enum UnitOutcome {
    /// The provider accepted it.
    Done,
    /// The provider refused it, or it could not be sent.
    Failed(String),
    /// Never started: apply was asked to stop first.
    NotStarted,
    /// No API on this provider: recorded as a pending manual change.
    Manual,
}

/// What one unit of work returns: each change (by its index in the plan) with its outcome.
type UnitOutcomes = Vec<(usize, UnitOutcome)>;

/// The state of every change of one run, by index in the plan, with an O(1) index by id.
struct Run<'p> {
    plan: &'p Plan,
    index: HashMap<&'p ChangeId, usize>,
    state: Vec<State>,
    report: ApplyReport,
}

impl<'p> Run<'p> {
    fn new(plan: &'p Plan, run_id: &str) -> Run<'p> {
        Run {
            plan,
            index: plan
                .changes
                .iter()
                .enumerate()
                .map(|(i, c)| (&c.id, i))
                .collect(),
            state: vec![State::Pending; plan.changes.len()],
            report: ApplyReport {
                run_id: run_id.to_string(),
                ..ApplyReport::default()
            },
        }
    }

    fn state_of(&self, id: &ChangeId) -> Option<State> {
        self.index.get(id).map(|&i| self.state[i])
    }

    fn record(&mut self, i: usize, outcome: UnitOutcome) {
        let c = &self.plan.changes[i];
        // A pending manual change lets its dependants go on: they are manual steps of the
        // same person (e.g. invite after create).
        self.state[i] = match outcome {
            UnitOutcome::Done => {
                self.report.done.push(c.id.clone());
                State::Done
            }
            UnitOutcome::Manual => {
                self.report.manual.push(c.id.clone());
                if c.rule == Some(crate::model::Rule::C2) {
                    State::AwaitingConfirmation
                } else {
                    State::Done
                }
            }
            UnitOutcome::NotStarted => {
                self.report.skipped.push(NotApplied::of(c, STOPPING.into()));
                State::Skipped
            }
            UnitOutcome::Failed(message) => {
                tracing::warn!(change = %c.id, %message, "change failed");
                self.report.failed.push(NotApplied::of(c, message));
                State::Failed
            }
        };
    }

    /// Marks as skipped every pending change that depends on one that did not go through.
    fn skip_dependants(&mut self) {
        loop {
            let mut changed = false;
            for (i, c) in self.plan.changes.iter().enumerate() {
                if self.state[i] != State::Pending {
                    continue;
                }
                let blocker = c.depends_on.iter().find_map(|d| match self.state_of(d) {
                    Some(State::Failed) | Some(State::Skipped) => {
                        Some(format!("not attempted: {d} did not go through"))
                    }
                    Some(State::AwaitingConfirmation) => Some(format!(
                        "not attempted: waits until the manual change {d} is confirmed (C2: the Calendly connection must not break)"
                    )),
                    Some(State::Pending) | Some(State::Done) | None => None,
                });
                if let Some(message) = blocker {
                    self.report.skipped.push(NotApplied::of(c, message));
                    self.state[i] = State::Skipped;
                    changed = true;
                }
            }
            if !changed {
                return;
            }
        }
    }

    /// The changes whose dependencies are done, at most one per target (Zoom answers 429
    /// to concurrent calls on one user), grouped into batches by [`Op::batch_key`].
    fn ready_units(&self, batch_size: usize) -> Vec<Vec<usize>> {
        let mut targets = BTreeSet::new();
        let mut singles = Vec::new();
        let mut batches: BTreeMap<BatchKey, Vec<usize>> = BTreeMap::new();
        for (i, c) in self.plan.changes.iter().enumerate() {
            if self.state[i] != State::Pending
                || !c
                    .depends_on
                    .iter()
                    .all(|d| self.state_of(d) == Some(State::Done))
                || !targets.insert(&c.target)
            {
                continue;
            }
            match c.op.batch_key() {
                Some(k) => batches.entry(k).or_default().push(i),
                None => singles.push(vec![i]),
            }
        }
        let mut units = singles;
        for (_, b) in batches {
            units.extend(b.chunks(batch_size).map(<[usize]>::to_vec));
        }
        units
    }

    /// Every change that did not go through (failed, or skipped after a failure).
    fn not_applied(&self) -> Vec<&'p Change> {
        self.plan
            .changes
            .iter()
            .zip(&self.state)
            .filter(|(_, s)| matches!(s, State::Failed | State::Skipped))
            .map(|(c, _)| c)
            .collect()
    }
}

/// Applies `plan`. `previous` is the LastApplied the plan was made with: the entries of
/// targets whose changes did not all succeed are kept from it.
pub async fn apply(
    plan: &Plan,
    previous: &LastApplied,
    provider: &dyn Provider,
    store: &dyn Store,
    lease: &Lease,
    run_id: &str,
    config: &ApplyConfig,
) -> Result<ApplyReport, ApplyError> {
    if !plan.errors.is_empty() {
        return Err(ApplyError::PlanHasErrors(plan.errors.len()));
    }
    let mut run = Run::new(plan, run_id);
    let window = changes_at_once(provider, config.concurrency.max(1));
    let progress = config.progress.get();
    progress.start(Step::Apply, Some(plan.changes.len() as u64));
    let _finish = Finish(progress, Step::Apply);
    loop {
        run.skip_dependants();
        let units = run.ready_units(config.batch_size.max(1));
        if units.is_empty() {
            break;
        }
        // The futures are built before the stream (not in a `map` closure) so that the
        // whole apply stays `Send` for the daemon's spawned workers.
        let work: Vec<_> = units
            .into_iter()
            .map(|unit| {
                let changes = unit.iter().map(|&i| (i, &plan.changes[i])).collect();
                run_unit(changes, provider, store, lease, run_id, config)
            })
            .collect();
        let results: Vec<Result<UnitOutcomes, StoreError>> = futures::stream::iter(work)
            .buffer_unordered(window)
            .inspect(|r| {
                if let Ok(outcomes) = r {
                    progress.advance(Step::Apply, outcomes.len() as u64);
                }
            })
            .collect()
            .await;
        for r in results {
            for (i, outcome) in r? {
                run.record(i, outcome);
            }
        }
    }
    let merged = merge_last_applied(&plan.next_last_applied, previous, &run.not_applied());
    store.save_last_applied(lease, &merged).await?;
    Ok(run.report)
}

/// Changes under way at once: `concurrency`, or, where the provider itself caps its
/// requests in flight at `concurrency`, a wider window, so that a change waiting for a
/// retry does not keep the others from being sent (issue 19, item 8).
fn changes_at_once(provider: &dyn Provider, concurrency: usize) -> usize {
    if provider.limit_in_flight(concurrency) {
        concurrency.saturating_mul(WINDOW_PER_SLOT)
    } else {
        concurrency
    }
}

/// How many changes may be under way per in-flight request slot of a provider that caps
/// its own requests.
const WINDOW_PER_SLOT: usize = 8;

/// The journal's record of a change (the store keeps its own type, not the plan's).
fn journal_record(c: &Change) -> JournalRecord<'_> {
    JournalRecord {
        change_id: &c.id,
        action: c.action,
        target: &c.target,
        op: &c.op,
        rule: c.rule,
    }
}

async fn run_unit(
    unit: Vec<(usize, &Change)>,
    provider: &dyn Provider,
    store: &dyn Store,
    lease: &Lease,
    run_id: &str,
    config: &ApplyConfig,
) -> Result<UnitOutcomes, StoreError> {
    if config.stopping() {
        return Ok(unit
            .iter()
            .map(|(i, _)| (*i, UnitOutcome::NotStarted))
            .collect());
    }
    let (manual, unit): (Vec<_>, Vec<_>) = unit
        .into_iter()
        .partition(|(_, c)| provider.manual_steps(&c.op).is_some());
    let mut out = Vec::with_capacity(manual.len() + unit.len());
    for (i, c) in manual {
        let steps = provider.manual_steps(&c.op).unwrap_or_default();
        record_manual(store, lease, run_id, c, &steps).await?;
        out.push((i, UnitOutcome::Manual));
    }
    if !unit.is_empty() {
        out.extend(send(unit, provider, store, lease, run_id, config).await?);
    }
    Ok(out)
}

/// A change with no API on this provider: journaled and kept as a pending manual change.
async fn record_manual(
    store: &dyn Store,
    lease: &Lease,
    run_id: &str,
    c: &Change,
    steps: &[String],
) -> Result<(), StoreError> {
    let record = journal_record(c);
    store.journal_start(lease, run_id, &record).await?;
    store.record_manual(lease, &record, steps).await?;
    store
        .journal_finish(
            lease,
            run_id,
            &c.id,
            Outcome::Manual,
            Some("pending manual change"),
        )
        .await?;
    tracing::info!(change = %c.id, "recorded as a pending manual change (no API)");
    Ok(())
}

/// Journals, sends (one call, or one batch) and journals the outcome of each change.
/// Nothing is sent unless the lease's local deadline covers the request, checked before
/// the journal rows are written and again after (issue 14: the token protects only the
/// store, Zoom cannot check it).
async fn send(
    unit: Vec<(usize, &Change)>,
    provider: &dyn Provider,
    store: &dyn Store,
    lease: &Lease,
    run_id: &str,
    config: &ApplyConfig,
) -> Result<UnitOutcomes, StoreError> {
    if !config.may_send(provider) {
        return Err(StoreError::LeaseLost(lease.account.clone()));
    }
    for (_, c) in &unit {
        store
            .journal_start(lease, run_id, &journal_record(c))
            .await?;
        tracing::info!(change = %c.id, "applying");
    }
    if !config.may_send(provider) {
        close_unsent(
            &unit,
            store,
            lease,
            run_id,
            (Outcome::Failed, LEASE_RUNNING_OUT),
        )
        .await;
        return Err(StoreError::LeaseLost(lease.account.clone()));
    }
    let call = async {
        if let [(_, only)] = unit.as_slice() {
            vec![provider.execute(&only.op).await]
        } else {
            let ops: Vec<_> = unit.iter().map(|(_, c)| c.op.clone()).collect();
            provider.execute_batch(&ops).await
        }
    };
    let Some(results) = within_lease(call, config).await else {
        // Its request may have gone out: uncertain, resolved by the next run's fresh read.
        let why = (Outcome::Uncertain, LEASE_RAN_OUT_IN_FLIGHT);
        close_unsent(&unit, store, lease, run_id, why).await;
        return Err(StoreError::LeaseLost(lease.account.clone()));
    };
    let mut out = Vec::with_capacity(unit.len());
    for (n, (i, c)) in unit.iter().enumerate() {
        let r = results.get(n).cloned().unwrap_or_else(|| {
            Err(crate::provider::ProviderError::State(
                "the provider returned no result for this change".into(),
            ))
        });
        let (outcome, message, journaled) = match r {
            Ok(()) => (UnitOutcome::Done, None, Outcome::Done),
            Err(e) => {
                let m = e.to_string();
                // A lost answer is journaled as such: the next run resolves it.
                let j = if e.maybe_applied() {
                    Outcome::Uncertain
                } else {
                    Outcome::Failed
                };
                (UnitOutcome::Failed(m.clone()), Some(m), j)
            }
        };
        store
            .journal_finish(lease, run_id, &c.id, journaled, message.as_deref())
            .await?;
        out.push((*i, outcome));
    }
    Ok(out)
}

mod merge;

/// Runs a provider call only while the lease holds (with `send_margin` to spare): the
/// deadline is read before every poll of `call`, so a call that wakes after the lease ran
/// out (a retry after `Retry-After`, a process resumed after SIGSTOP) is dropped before it
/// can send another request. `None`: dropped, outcome unknown.
async fn within_lease<F: std::future::Future>(call: F, config: &ApplyConfig) -> Option<F::Output> {
    let mut call = std::pin::pin!(call);
    std::future::poll_fn(|cx| {
        if config
            .lease
            .as_ref()
            .is_some_and(|d| !d.allows(config.send_margin))
        {
            return std::task::Poll::Ready(None);
        }
        call.as_mut().poll(cx).map(Some)
    })
    .await
}

/// Closes the journal rows of changes that were not sent (failed) or whose sending was
/// dropped (uncertain). Best effort: the lease is running out, so these writes may be
/// refused.
async fn close_unsent(
    unit: &[(usize, &Change)],
    store: &dyn Store,
    lease: &Lease,
    run_id: &str,
    (outcome, why): (Outcome, &str),
) {
    for (_, c) in unit {
        let closed = store
            .journal_finish(lease, run_id, &c.id, outcome, Some(why))
            .await;
        if let Err(e) = closed {
            tracing::warn!(change = %c.id, error = %e, "could not close the journal row of a change not sent");
        }
    }
}

#[cfg(test)]
mod tests;
