//! The state store: Observed snapshots, LastApplied, the journal, invitation send times
//! and the per-account lock. [`Store`] is the trait; [`sqlite`] the embedded default,
//! [`postgres`] the store several replicas share; [`lease`] keeps a lease renewed during a
//! run and tells the senders until when it holds.
//!
//! The store depends on `model` only: it knows nothing of the planner, providers or
//! manifests. It journals its own [`JournalRecord`], and LastApplied goes through one
//! backend-neutral [`codec`].

pub mod codec;
#[cfg(test)]
mod conformance;
pub mod lease;
pub mod postgres;
pub mod sqlite;

use crate::model::{Action, ChangeId, LastApplied, ObjectRef, Observed, Op, Rule, Timestamp};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another run holds the account's lock.
    #[error(
        "account `{account}` is locked by {holder} since {since}; wait for it to finish, or if that process is gone, run again (a stale lock from a dead process is taken over)"
    )]
    Locked {
        /// Account.
        account: String,
        /// Who holds it (`pid 123 on host h`).
        holder: String,
        /// Since when.
        since: Timestamp,
    },
    /// The lease this writer held was taken over by another (fencing), or could not be
    /// renewed in time to cover another send (the local deadline).
    #[error(
        "lease lost: account `{0}` was taken over by another holder, or the lease could not be renewed in time; stopping without sending further changes"
    )]
    LeaseLost(String),
    /// The database failed.
    #[error("state store: {0}")]
    Db(String),
    /// The store's schema is newer than this binary.
    #[error(
        "state store schema version {found} is newer than this roster supports ({supported}); upgrade roster"
    )]
    TooNew {
        /// Found.
        found: i64,
        /// Supported.
        supported: i64,
    },
}

/// The outcome of one journaled change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Written before the change is sent.
    Started,
    /// The provider accepted it.
    Done,
    /// The provider refused it or it could not be sent.
    Failed,
    /// Sent, but its answer was lost (a timeout or a 5xx after the send): it may have been
    /// made. The next run's fresh read of the account resolves it to done or not done
    /// before anything is sent again (issue 17, part 3).
    Uncertain,
    /// Not attempted because a change it depends on failed.
    Skipped,
    /// No API: recorded as a pending manual change for a person to make (never counted
    /// as applied until `roster confirm`).
    Manual,
}

/// What the journal keeps of one change: its id, what it does and to what. Borrowed from
/// the caller's plan, so journalling copies nothing but the JSON it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalRecord<'a> {
    /// The change id (stable across runs).
    pub change_id: &'a ChangeId,
    /// The action.
    pub action: Action,
    /// The object changed.
    pub target: &'a ObjectRef,
    /// The operation sent (or, for a manual change, to be made by a person).
    pub op: &'a Op,
    /// The account rule the change follows from, for the audit trail.
    pub rule: Option<Rule>,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Started => "started",
            Outcome::Done => "done",
            Outcome::Failed => "failed",
            Outcome::Uncertain => "uncertain",
            Outcome::Skipped => "skipped",
            Outcome::Manual => "manual",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Outcome> {
        [
            Outcome::Started,
            Outcome::Done,
            Outcome::Failed,
            Outcome::Uncertain,
            Outcome::Skipped,
            Outcome::Manual,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// A change a person must make in the Zoom portal (no API), tracked until confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualChange {
    /// The plan's change id (stable across runs).
    pub change_id: ChangeId,
    /// Target.
    pub target: ObjectRef,
    /// The operation, for folding a confirmed change into later observations.
    pub op: Op,
    /// Portal steps.
    pub steps: Vec<String>,
    /// When it was first recorded.
    pub recorded_at: crate::model::Timestamp,
    /// When `roster confirm` closed it.
    pub confirmed_at: Option<crate::model::Timestamp>,
}

/// A journal row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The apply run.
    pub run_id: String,
    /// The change id within the plan.
    pub change_id: ChangeId,
    /// The change's action.
    pub action: Action,
    /// The change's target.
    pub target: ObjectRef,
    /// Latest outcome.
    pub outcome: Outcome,
    /// Error message for failures.
    pub message: Option<String>,
    /// When the row was last written.
    pub at: Timestamp,
    /// Who sent it: the lease holder (`roster apply (pid …) on host …`, or a daemon
    /// replica); empty on rows written before roster recorded it.
    pub actor: String,
    /// The account rule the change follows from.
    pub rule: Option<Rule>,
}

/// A held lock on one account; its `token` fences writes (monotonic per account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Account.
    pub account: String,
    /// Holder description.
    pub holder: String,
    /// Fencing token.
    pub token: i64,
}

/// Persistent state behind plan and apply, implemented by SQLite and PostgreSQL with the
/// same semantics (held to them by the conformance suite): every write that takes a
/// [`Lease`] checks its token in the write's own transaction (fencing).
#[async_trait]
pub trait Store: Send + Sync {
    /// The last observed snapshot of an account.
    async fn load_observed(&self, account: &str) -> Result<Option<Observed>, StoreError>;
    /// Replaces the observed snapshot.
    async fn save_observed(&self, account: &str, observed: &Observed) -> Result<(), StoreError>;
    /// What roster last set (empty for a new account).
    async fn load_last_applied(&self, account: &str) -> Result<LastApplied, StoreError>;
    /// Replaces LastApplied (includes invitation send times).
    async fn save_last_applied(&self, lease: &Lease, last: &LastApplied) -> Result<(), StoreError>;
    /// Journal: a change is about to be sent.
    async fn journal_start(
        &self,
        lease: &Lease,
        run_id: &str,
        record: &JournalRecord<'_>,
    ) -> Result<(), StoreError>;
    /// Journal: a change's outcome.
    async fn journal_finish(
        &self,
        lease: &Lease,
        run_id: &str,
        change_id: &ChangeId,
        outcome: Outcome,
        message: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Journal rows of an account, oldest first (all runs).
    async fn journal(&self, account: &str) -> Result<Vec<JournalEntry>, StoreError>;

    /// Records a manual change as pending (once: an already recorded change id is kept).
    async fn record_manual(
        &self,
        lease: &Lease,
        record: &JournalRecord<'_>,
        steps: &[String],
    ) -> Result<(), StoreError>;

    /// Every manual change of the account, pending and confirmed, oldest first.
    async fn manual_changes(&self, account: &str) -> Result<Vec<ManualChange>, StoreError>;

    /// Marks a pending manual change as done; `false` when there is no such pending change.
    async fn confirm_manual(&self, account: &str, change_id: &ChangeId)
    -> Result<bool, StoreError>;
    /// The saved state of one contact sync (K4), keyed by its `scope` (the name of the
    /// integration's lease, `ACCOUNT/integration/EMAIL`): the status table and both
    /// cursors, serialised by the caller as one value so that they commit together.
    async fn load_sync_state(&self, scope: &str) -> Result<Option<String>, StoreError>;
    /// Replaces the sync state of `lease.account` (the scope) in one fenced write: the
    /// status table and the cursors it came with can never be saved apart.
    async fn save_sync_state(&self, lease: &Lease, state: &str) -> Result<(), StoreError>;
    /// The sealed (encrypted) newest OAuth refresh token of a scope, if one was saved.
    async fn load_credential(&self, scope: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Saves the sealed newest refresh token of `lease.account` (fenced). Only ciphertext
    /// reaches the store: sealing is the caller's (see `crate::vault`).
    async fn save_credential(&self, lease: &Lease, sealed: &[u8]) -> Result<(), StoreError>;
    /// Takes the account's lock, or fails with [`StoreError::Locked`] naming the holder.
    /// A lock whose holder process is gone (same host) or whose lease expired is taken over.
    async fn acquire(
        &self,
        account: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<Lease, StoreError>;
    /// Extends a held lease by `ttl`, or fails with [`StoreError::LeaseLost`] when the
    /// account's lease is no longer this one.
    async fn renew(&self, lease: &Lease, ttl: std::time::Duration) -> Result<(), StoreError>;
    /// Releases a held lock.
    async fn release(&self, lease: &Lease) -> Result<(), StoreError>;
}

/// Who a journal row says sent a change: the lease holder and this machine
/// (`roster apply by alice (pid 12) on host laptop`), for the audit trail.
pub(crate) fn actor(lease: &Lease) -> String {
    format!("{} on host {}", lease.holder, hostname())
}

/// This machine's name, for lease holders ("… on host h").
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}
