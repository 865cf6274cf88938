//! Two-way contact sync (K4): the engine that keeps a user's Zoom-side contacts and their
//! external contacts (Google People, Microsoft Graph, later Exchange) equal.
//!
//! The shape is the same as roster's reconcile: observe (each side lists what changed
//! since its cursor, or everything when the cursor expired), decide (a pure planner over
//! the status table: [`plan_sync`]), act (the [`engine`] sends each write through a
//! [`ContactSource`] and records per-item results). `sync` depends on `model` only; the
//! sources (Google, Graph, the simulator, Zoom personal contacts) implement
//! [`ContactSource`] at the edges.
//!
//! - [`contact`]: the normalised contact and its hash (what "the same contact" means).
//! - [`status`]: the status table of one integration (a pair per contact with id, etag
//!   and hash per side, the agreed base hash) and the cursors.
//! - [`observe`]: folds a listing (delta or full) into the status table; re-matches by id
//!   then by hash after a cursor expiry; ignores roster's own echoes.
//! - [`decide`]: the total decision table (Zoom change × external change) and the
//!   conflict policy.
//! - [`planner`]: the plan of one run with the emptied-side guard and the deletion cap.
//! - [`source`]: the trait a side implements, and its errors.
//! - [`engine`]: one sync run over two sources.

pub mod contact;
pub mod decide;
pub mod engine;
pub mod memory;
pub mod observe;
pub mod planner;
pub mod source;
pub mod status;
#[cfg(test)]
mod tests;

pub use contact::{Contact, ContactHash, Phone};
pub use decide::{ConflictPolicy, Decision, Presence, Resolution, decide};
pub use engine::{ItemOutcome, ItemResult, ListError, SyncReport, run_once};
pub use planner::{Guard, PlanOptions, SyncAction, SyncPlan, WriteKind, plan_sync};
pub use source::{ContactSource, Item, Listing, SourceError, WriteOp, Written};
pub use status::{Cursor, Pair, PairId, Side, SideState, StatusTable};
