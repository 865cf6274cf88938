//! Executing a plan: walks the change graph, runs independent changes concurrently,
//! journals every change before and after it is sent, stops only the dependants of a
//! failure, and records LastApplied for what succeeded.
//!
//! A rerun after a crash needs no special replay: the next run re-reads the account, so a
//! change that reached the provider before the crash is simply no longer in the plan.

use crate::model::LastApplied;
use crate::plan::{Change, Plan};
use crate::provider::Provider;
use crate::store::{Lease, Outcome, Store, StoreError};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
}

impl Default for ApplyConfig {
    fn default() -> Self {
        ApplyConfig {
            concurrency: 4,
            batch_size: 30,
            stop: None,
        }
    }
}

impl ApplyConfig {
    fn stopping(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
    }
}

/// Why a change not attempted was left alone.
const STOPPING: &str = "not attempted: roster is shutting down; the next run plans it again";

/// A change that did not go through.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotApplied {
    /// Change id.
    pub change_id: String,
    /// Action name.
    pub action: String,
    /// Target.
    pub target: String,
    /// Why.
    pub message: String,
}

/// What an apply run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApplyReport {
    /// The run id used in the journal.
    pub run_id: String,
    /// Ids of changes the provider accepted.
    pub done: Vec<String>,
    /// Changes the provider refused.
    pub failed: Vec<NotApplied>,
    /// Changes not attempted because one they depend on failed.
    pub skipped: Vec<NotApplied>,
    /// Changes with no API on this provider, recorded as pending manual changes (not
    /// applied: a person makes them, then runs `roster confirm`).
    pub manual: Vec<String>,
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

/// What one unit of work returns: each change id with its outcome.
type UnitOutcomes = Vec<(String, UnitOutcome)>;

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
    let mut state: HashMap<&str, State> = plan
        .changes
        .iter()
        .map(|c| (c.id.as_str(), State::Pending))
        .collect();
    let mut report = ApplyReport {
        run_id: run_id.to_string(),
        ..ApplyReport::default()
    };
    loop {
        skip_dependants(plan, &mut state, &mut report);
        let units = ready_units(plan, &state, config.batch_size.max(1));
        if units.is_empty() {
            break;
        }
        // The futures are built before the stream (not in a `map` closure) so that the
        // whole apply stays `Send` for the daemon's spawned workers.
        let work: Vec<_> = units
            .into_iter()
            .map(|unit| run_unit(unit, provider, store, lease, run_id, config))
            .collect();
        let results: Vec<Result<UnitOutcomes, StoreError>> = futures::stream::iter(work)
            .buffer_unordered(config.concurrency.max(1))
            .collect()
            .await;
        for r in results {
            for (id, outcome) in r? {
                let manual_ids: Vec<String> = if matches!(outcome, UnitOutcome::Manual) {
                    vec![id.clone()]
                } else {
                    Vec::new()
                };
                let change = plan.changes.iter().find(|c| c.id == id);
                match (outcome, change) {
                    (UnitOutcome::Done | UnitOutcome::Manual, _) => {
                        // A pending manual change lets its dependants go on: they are
                        // manual steps of the same person (e.g. invite after create).
                        if manual_ids.contains(&id) {
                            report.manual.push(id.clone());
                        } else {
                            report.done.push(id.clone());
                        }
                        if let Some(s) = state.get_mut(id.as_str()) {
                            *s = State::Done;
                        }
                    }
                    (UnitOutcome::NotStarted, Some(c)) => {
                        report.skipped.push(NotApplied {
                            change_id: c.id.clone(),
                            action: c.action.as_str().into(),
                            target: c.target.clone(),
                            message: STOPPING.into(),
                        });
                        if let Some(s) = state.get_mut(c.id.as_str()) {
                            *s = State::Skipped;
                        }
                    }
                    (UnitOutcome::Failed(message), Some(c)) => {
                        tracing::warn!(change = %c.id, %message, "change failed");
                        report.failed.push(NotApplied {
                            change_id: c.id.clone(),
                            action: c.action.as_str().into(),
                            target: c.target.clone(),
                            message,
                        });
                        if let Some(s) = state.get_mut(c.id.as_str()) {
                            *s = State::Failed;
                        }
                    }
                    (UnitOutcome::Failed(_) | UnitOutcome::NotStarted, None) => {}
                }
            }
        }
    }
    let failed_targets: BTreeSet<&str> = report
        .failed
        .iter()
        .chain(&report.skipped)
        .filter_map(|n| {
            plan.changes
                .iter()
                .find(|c| c.id == n.change_id)
                .map(|c| c.target.as_str())
        })
        .collect();
    let merged = merge_last_applied(&plan.next_last_applied, previous, &failed_targets);
    store.save_last_applied(lease, &merged).await?;
    Ok(report)
}

fn skip_dependants<'p>(
    plan: &'p Plan,
    state: &mut HashMap<&'p str, State>,
    report: &mut ApplyReport,
) {
    loop {
        let mut changed = false;
        for c in &plan.changes {
            if state.get(c.id.as_str()) != Some(&State::Pending) {
                continue;
            }
            let blocker = c.depends_on.iter().find(|d| {
                matches!(
                    state.get(d.as_str()),
                    Some(State::Failed) | Some(State::Skipped)
                )
            });
            if let Some(b) = blocker {
                report.skipped.push(NotApplied {
                    change_id: c.id.clone(),
                    action: c.action.as_str().into(),
                    target: c.target.clone(),
                    message: format!("not attempted: {b} did not go through"),
                });
                state.insert(c.id.as_str(), State::Skipped);
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

/// The changes whose dependencies are done, at most one per target (Zoom answers 429 to
/// concurrent calls on one user), grouped into batches by [`crate::plan::Op::batch_key`].
fn ready_units<'p>(
    plan: &'p Plan,
    state: &HashMap<&str, State>,
    batch_size: usize,
) -> Vec<Vec<&'p Change>> {
    let mut targets = BTreeSet::new();
    let mut singles = Vec::new();
    let mut batches: BTreeMap<String, Vec<&Change>> = BTreeMap::new();
    for c in &plan.changes {
        if state.get(c.id.as_str()) != Some(&State::Pending) {
            continue;
        }
        if !c
            .depends_on
            .iter()
            .all(|d| state.get(d.as_str()) == Some(&State::Done))
        {
            continue;
        }
        if !targets.insert(c.target.as_str()) {
            continue;
        }
        match c.op.batch_key() {
            Some(k) => batches.entry(k).or_default().push(c),
            None => singles.push(vec![c]),
        }
    }
    let mut units = singles;
    for (_, b) in batches {
        units.extend(b.chunks(batch_size).map(|c| c.to_vec()));
    }
    units
}

async fn run_unit(
    unit: Vec<&Change>,
    provider: &dyn Provider,
    store: &dyn Store,
    lease: &Lease,
    run_id: &str,
    config: &ApplyConfig,
) -> Result<UnitOutcomes, StoreError> {
    if config.stopping() {
        return Ok(unit
            .iter()
            .map(|c| (c.id.clone(), UnitOutcome::NotStarted))
            .collect());
    }
    let mut out = Vec::with_capacity(unit.len());
    let mut unit = unit;
    let mut manual = Vec::new();
    unit.retain(|c| match provider.manual_steps(&c.op) {
        Some(steps) => {
            manual.push((*c, steps));
            false
        }
        None => true,
    });
    for (c, steps) in manual {
        store.journal_start(lease, run_id, c).await?;
        store.record_manual(lease, c, &steps).await?;
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
        out.push((c.id.clone(), UnitOutcome::Manual));
    }
    if unit.is_empty() {
        return Ok(out);
    }
    for c in &unit {
        store.journal_start(lease, run_id, c).await?;
        tracing::info!(change = %c.id, "applying");
    }
    let results = if unit.len() == 1 {
        vec![provider.execute(&unit[0].op).await]
    } else {
        let ops: Vec<_> = unit.iter().map(|c| c.op.clone()).collect();
        provider.execute_batch(&ops).await
    };
    for (i, c) in unit.iter().enumerate() {
        let r = results.get(i).cloned().unwrap_or_else(|| {
            Err(crate::provider::ProviderError::State(
                "the provider returned no result for this change".into(),
            ))
        });
        match r {
            Ok(()) => {
                store
                    .journal_finish(lease, run_id, &c.id, Outcome::Done, None)
                    .await?;
                out.push((c.id.clone(), UnitOutcome::Done));
            }
            Err(e) => {
                let msg = e.to_string();
                store
                    .journal_finish(lease, run_id, &c.id, Outcome::Failed, Some(&msg))
                    .await?;
                out.push((c.id.clone(), UnitOutcome::Failed(msg)));
            }
        }
    }
    Ok(out)
}

/// LastApplied after a run: the plan's next state, except for targets whose changes did not
/// all go through, which keep their previous entry.
pub fn merge_last_applied(
    next: &LastApplied,
    previous: &LastApplied,
    failed_targets: &BTreeSet<&str>,
) -> LastApplied {
    let mut out = next.clone();
    for t in failed_targets {
        let Some((kind, key)) = t.split_once('/') else {
            continue;
        };
        match kind {
            "user" => {
                let Ok(email) = crate::model::Email::parse(key) else {
                    continue;
                };
                restore(&mut out.users, &previous.users, &email);
                restore(&mut out.invitations, &previous.invitations, &email);
            }
            "group" => restore(&mut out.groups, &previous.groups, &key.to_string()),
            "chat_group" => restore(
                &mut out.chat_groups,
                &previous.chat_groups,
                &key.to_string(),
            ),
            "role" => restore(&mut out.roles, &previous.roles, &key.to_string()),
            _ => {}
        }
    }
    out
}

fn restore<K: Ord + Clone, V: Clone>(out: &mut BTreeMap<K, V>, previous: &BTreeMap<K, V>, key: &K) {
    match previous.get(key) {
        Some(v) => {
            out.insert(key.clone(), v.clone());
        }
        None => {
            out.remove(key);
        }
    }
}

#[cfg(test)]
mod tests;
