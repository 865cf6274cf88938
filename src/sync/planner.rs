//! The plan of one sync run (pure): the decision of every pair, turned into writes, with
//! the two guards that stop a mistake on one side from spreading to the other.
//!
//! - **Emptied side**: a side that held at least `guard_min` contacts before this run and
//!   lists none now is presumed broken (a wrong folder, a wiped mailbox, a bug), so its
//!   deletions are not copied; they are listed as held. There is no option to bypass it.
//! - **Deletion cap**: when the run would delete more than `deletion_cap` of the pairs,
//!   every deletion is held unless the manifest allows it (`allow_deletions`).

use super::decide::{ConflictPolicy, Decision, Resolution, decide};
use super::source::WriteOp;
use super::status::{Pair, PairId, Side, StatusTable};
use serde::Serialize;

/// The knobs of a run (from the manifest).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    /// Who wins a conflict.
    pub policy: ConflictPolicy,
    /// The largest share of pairs one run may delete (0.0–1.0).
    pub deletion_cap: f64,
    /// The manifest allows runs above the cap.
    pub allow_deletions: bool,
    /// A side that held at least this many contacts and lists none is "emptied".
    pub guard_min: usize,
    /// Full listings that may lack one of roster's own writes before it counts as deleted.
    pub late_grace: u32,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            policy: ConflictPolicy::Newest,
            deletion_cap: 0.5,
            allow_deletions: false,
            guard_min: 3,
            late_grace: 2,
        }
    }
}

/// Why a deletion was held.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "guard")]
pub enum Guard {
    /// The side the deletion came from lists nothing any more.
    EmptiedSide {
        /// The emptied side.
        side: Side,
    },
    /// The run would delete more than the cap allows.
    DeletionCap {
        /// Deletions the run would make.
        deletions: usize,
        /// Pairs known before the run.
        pairs: usize,
        /// The cap (share).
        cap: f64,
    },
}

/// What one write is, for summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteKind {
    /// A new contact on the target side.
    Create,
    /// A changed contact.
    Update,
    /// A deleted contact.
    Delete,
}

/// One planned write.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncAction {
    /// The pair.
    pub pair: PairId,
    /// The side written to.
    pub target: Side,
    /// Create, update or delete.
    pub kind: WriteKind,
    /// The write itself.
    pub op: WriteOp,
    /// Set when both sides had changed: the winner and how it was chosen.
    pub conflict: Option<(Side, Resolution)>,
    /// The contact's name, for the summary.
    pub name: String,
}

/// The plan of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncPlan {
    /// Writes, in pair order.
    pub actions: Vec<SyncAction>,
    /// Pairs whose sides already agree: their base becomes the common hash.
    pub adopt: Vec<PairId>,
    /// Pairs gone on both sides.
    pub forget: Vec<PairId>,
    /// Deletions not made, and why.
    pub held: Vec<(PairId, String, Guard)>,
}

fn copy(
    key: PairId,
    pair: &Pair,
    from: Side,
    conflict: Option<(Side, Resolution)>,
) -> Option<SyncAction> {
    let src = pair.side(from)?;
    let target = from.other();
    let (kind, op) = match pair.side(target) {
        None => (
            WriteKind::Create,
            WriteOp::Create {
                contact: src.contact.clone(),
            },
        ),
        Some(t) => (
            WriteKind::Update,
            WriteOp::Update {
                id: t.id.clone(),
                etag: t.etag.clone(),
                contact: src.contact.clone(),
            },
        ),
    };
    Some(SyncAction {
        pair: key,
        target,
        kind,
        op,
        conflict,
        name: src.contact.name.clone(),
    })
}

fn delete(key: PairId, pair: &Pair, on: Side) -> Option<SyncAction> {
    let t = pair.side(on)?;
    Some(SyncAction {
        pair: key,
        target: on,
        kind: WriteKind::Delete,
        op: WriteOp::Delete {
            id: t.id.clone(),
            etag: t.etag.clone(),
        },
        conflict: None,
        name: t.contact.name.clone(),
    })
}

fn emptied(before: &StatusTable, after: &StatusTable, side: Side, min: usize) -> bool {
    before.present(side) >= min.max(1) && after.present(side) == 0
}

/// Plans one run from the table before this run's listings (`before`) and after them
/// (`after`).
pub fn plan_sync(before: &StatusTable, after: &StatusTable, opts: &PlanOptions) -> SyncPlan {
    let mut plan = SyncPlan::default();
    let mut deletions = Vec::new();
    for (key, pair) in &after.pairs {
        match decide(pair, opts.policy) {
            Decision::Nothing => {}
            Decision::Adopt => plan.adopt.push(*key),
            Decision::Forget => plan.forget.push(*key),
            Decision::Copy { from } => plan.actions.extend(copy(*key, pair, from, None)),
            Decision::Conflict { winner, how } => {
                plan.actions
                    .extend(copy(*key, pair, winner, Some((winner, how))))
            }
            Decision::Delete { on } => deletions.extend(delete(*key, pair, on)),
        }
    }
    guard_deletions(before, after, opts, deletions, &mut plan);
    plan
}

fn guard_deletions(
    before: &StatusTable,
    after: &StatusTable,
    opts: &PlanOptions,
    deletions: Vec<SyncAction>,
    plan: &mut SyncPlan,
) {
    let pairs = before.pairs.len();
    let n = deletions.len();
    let capped = !opts.allow_deletions && (n as f64) > opts.deletion_cap * pairs.max(1) as f64;
    for d in deletions {
        let from = d.target.other();
        if emptied(before, after, from, opts.guard_min) {
            plan.held
                .push((d.pair, d.name, Guard::EmptiedSide { side: from }));
        } else if capped {
            let guard = Guard::DeletionCap {
                deletions: n,
                pairs,
                cap: opts.deletion_cap,
            };
            plan.held.push((d.pair, d.name, guard));
        } else {
            plan.actions.push(d);
        }
    }
}
