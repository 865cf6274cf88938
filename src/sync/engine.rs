//! One sync run over two sources: list both sides (a full listing when a cursor expired),
//! fold, plan, then send each write in order and record its own result. A failed write
//! leaves its pair as it was, so the next run plans it again; the others go through.
//!
//! The engine returns the new status table with the new cursors; the caller commits both
//! in one transaction, so a crash between them cannot skip a change.

use super::decide::Resolution;
use super::observe::{Observed, fold};
use super::planner::{Guard, PlanOptions, SyncAction, SyncPlan, WriteKind, plan_sync};
use super::source::{ContactSource, Listing, SourceError, Written};
use super::status::{Side, SideState, StatusTable};

/// What happened to one planned write.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemResult {
    /// Written.
    Done,
    /// Not written; the pair is planned again next run.
    Failed(SourceError),
    /// Not attempted (the run stopped: throttled or re-authorisation needed).
    Deferred,
    /// A deletion held by a guard.
    Held(Guard),
}

/// One line of the per-contact summary.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemOutcome {
    /// The contact's name.
    pub name: String,
    /// The side written to.
    pub target: Side,
    /// Create, update or delete.
    pub kind: WriteKind,
    /// Set for a conflict: the winner and how it was chosen.
    pub conflict: Option<(Side, Resolution)>,
    /// The result.
    pub result: ItemResult,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    /// What folding Zoom's listing found.
    pub zoom: Observed,
    /// What folding the external listing found.
    pub external: Observed,
    /// A side's cursor expired and was replaced by a full listing.
    pub cursor_resets: usize,
    /// Pairs whose two sides already agreed.
    pub adopted: usize,
    /// Per-item results.
    pub items: Vec<ItemOutcome>,
    /// The run stopped because a side refused the authorisation.
    pub needs_reauth: Option<Side>,
    /// The run stopped early because a side throttled (seconds to wait).
    pub throttled: Option<u64>,
}

impl SyncReport {
    /// Writes that went through.
    pub fn done(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.result == ItemResult::Done)
            .count()
    }

    /// Writes that failed or were deferred (planned again next run).
    pub fn pending(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i.result, ItemResult::Failed(_) | ItemResult::Deferred))
            .count()
    }
}

/// A run that could not start: a side's listing failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("listing the {side} side failed: {error}")]
pub struct ListError {
    /// The side.
    pub side: Side,
    /// The source's error.
    pub error: SourceError,
}

async fn list(
    source: &mut dyn ContactSource,
    table: &StatusTable,
    side: Side,
    resets: &mut usize,
) -> Result<Listing, ListError> {
    let wrap = |error| ListError { side, error };
    // A write of roster's that a full listing lacked is either late or deleted; only
    // another full listing can tell, until its grace runs out.
    let doubt = table
        .pairs
        .values()
        .any(|p| p.side(side).is_some_and(|s| s.unconfirmed && s.misses > 0));
    let cursor = if doubt { None } else { table.cursor(side) };
    match source.list(cursor).await {
        Err(SourceError::CursorExpired) => {
            *resets += 1;
            source.list(None).await.map_err(wrap)
        }
        other => other.map_err(wrap),
    }
}

/// Runs one sync: returns the new table (with cursors) and the report. A listing error
/// stops the run before anything is written, and the old table stays.
pub async fn run_once(
    zoom: &mut dyn ContactSource,
    external: &mut dyn ContactSource,
    table: &StatusTable,
    opts: &PlanOptions,
) -> Result<(StatusTable, SyncReport), ListError> {
    let mut report = SyncReport::default();
    let mut zl = list(zoom, table, Side::Zoom, &mut report.cursor_resets).await?;
    let mut el = list(external, table, Side::External, &mut report.cursor_resets).await?;
    for listing in [&mut zl, &mut el] {
        fit_listing(listing, |c| zoom.fit(&external.fit(c)));
    }
    let (t1, zo) = fold(table, Side::Zoom, &zl, opts.late_grace);
    let (mut t, eo) = fold(&t1, Side::External, &el, opts.late_grace);
    report.zoom = zo;
    report.external = eo;
    let plan = plan_sync(table, &t, opts);
    settle(&mut t, &plan);
    report.adopted = plan.adopt.len();
    for (_, name, guard) in &plan.held {
        report.items.push(ItemOutcome {
            name: name.clone(),
            target: held_target(guard),
            kind: WriteKind::Delete,
            conflict: None,
            result: ItemResult::Held(guard.clone()),
        });
    }
    for action in &plan.actions {
        let result = if report.needs_reauth.is_some() || report.throttled.is_some() {
            ItemResult::Deferred
        } else {
            let source: &mut dyn ContactSource = match action.target {
                Side::Zoom => &mut *zoom,
                Side::External => &mut *external,
            };
            send(source, action, &mut t, &mut report).await
        };
        report.items.push(ItemOutcome {
            name: action.name.clone(),
            target: action.target,
            kind: action.kind,
            conflict: action.conflict,
            result,
        });
    }
    Ok((t, report))
}

/// Maps every listed contact to what both sides keep (see [`ContactSource::fit`]).
fn fit_listing(listing: &mut Listing, fit: impl Fn(&super::Contact) -> super::Contact) {
    let items = match listing {
        Listing::Delta { changed, .. } => changed,
        Listing::Full { items, .. } => items,
    };
    for item in items {
        item.contact = fit(&item.contact);
    }
}

fn held_target(guard: &Guard) -> Side {
    match guard {
        Guard::EmptiedSide { side } => side.other(),
        Guard::DeletionCap { .. } => Side::External,
    }
}

/// Adopted pairs take the common hash as base; forgotten ones leave the table.
fn settle(t: &mut StatusTable, plan: &SyncPlan) {
    for key in &plan.adopt {
        if let Some(p) = t.pairs.get_mut(key) {
            p.base = p.zoom.as_ref().map(|s| s.hash.clone());
        }
    }
    for key in &plan.forget {
        t.pairs.remove(key);
    }
}

async fn send(
    source: &mut dyn ContactSource,
    action: &SyncAction,
    t: &mut StatusTable,
    report: &mut SyncReport,
) -> ItemResult {
    match source.write(&action.op).await {
        Ok(w) => {
            record(t, action, w);
            ItemResult::Done
        }
        Err(e) => {
            match &e {
                SourceError::NeedsReauth => report.needs_reauth = Some(action.target),
                SourceError::Throttled { retry_after } => report.throttled = Some(*retry_after),
                SourceError::NotFound => {
                    if let Some(p) = t.pairs.get_mut(&action.pair) {
                        *p.side_mut(action.target) = None;
                    }
                }
                SourceError::Other(_) => {
                    // The create may have been made: remember, so its echo is matched.
                    if let (super::source::WriteOp::Create { .. }, Some(p)) =
                        (&action.op, t.pairs.get_mut(&action.pair))
                    {
                        p.maybe_created = Some(action.target);
                    }
                }
                SourceError::CursorExpired | SourceError::PreconditionFailed => {}
            }
            ItemResult::Failed(e)
        }
    }
}

/// A successful write: the target side now holds the copied version, which becomes the
/// base; its echo in a later listing is then no change.
fn record(t: &mut StatusTable, action: &SyncAction, w: Written) {
    let Some(pair) = t.pairs.get_mut(&action.pair) else {
        return;
    };
    match &action.op {
        super::source::WriteOp::Delete { .. } => {
            *pair.side_mut(action.target) = None;
            if pair.zoom.is_none() && pair.external.is_none() {
                t.pairs.remove(&action.pair);
            } else {
                pair.base = None;
            }
        }
        super::source::WriteOp::Create { contact }
        | super::source::WriteOp::Update { contact, .. } => {
            let stale = pair.side(action.target).and_then(|s| s.etag.clone());
            let hash = contact.hash();
            *pair.side_mut(action.target) = Some(SideState {
                id: w.id,
                etag: w.etag,
                hash: hash.clone(),
                contact: contact.clone(),
                unconfirmed: true,
                misses: 0,
                stale_etag: stale,
            });
            pair.base = Some(hash);
        }
    }
}
