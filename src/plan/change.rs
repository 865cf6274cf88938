//! The values a plan is made of: [`Change`]s carrying a typed [`Op`] for the provider.

pub use crate::model::{Action, BatchKey, Op, ProfilePatch, Sign};
use crate::model::{ChangeId, Email, ObjectRef, Rule, Source};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A manual change: what a person does in the portal, and since when it is awaited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualInfo {
    /// Portal steps.
    pub steps: Vec<String>,
    /// When it was first recorded as pending (None: it will be recorded by this apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_since: Option<crate::model::Timestamp>,
}

/// One field's change, shown as `old -> new`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Value before (JSON null when absent).
    pub from: serde_json::Value,
    /// Value after.
    pub to: serde_json::Value,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Stable id within the plan: `action:target` (plus a part when one target has several
    /// changes of one action). Journals and dependencies refer to it.
    pub id: ChangeId,
    /// The action.
    pub action: Action,
    /// `user/alice@acme.com`, `group/engineering`, …
    pub target: ObjectRef,
    /// Why, in words, citing where the manifest says so.
    pub reason: String,
    /// The account rule this change follows from, if any.
    pub rule: Option<Rule>,
    /// Field diffs, by camelCase field name.
    pub fields: BTreeMap<String, FieldChange>,
    /// Ids of changes that must succeed first.
    pub depends_on: Vec<ChangeId>,
    /// What the provider must do.
    pub op: Op,
    /// For a change with no API on this provider: the portal steps and since when it is
    /// pending (filled by `reconcile`, not by the pure planner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual: Option<ManualInfo>,
}

/// A plan-time problem: the plan cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanError {
    /// The rule broken.
    pub rule: Rule,
    /// The object concerned.
    pub target: ObjectRef,
    /// What went wrong and what to do.
    pub message: String,
    /// Where the manifest asked for it.
    pub source: Option<Source>,
}

/// Something an admin should know that does not block the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The rule concerned, if any.
    pub rule: Option<Rule>,
    /// The object concerned.
    pub target: ObjectRef,
    /// The message.
    pub message: String,
}

/// A change that cannot be made yet (pending or deactivated user): shown, not proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// The object concerned.
    pub target: ObjectRef,
    /// What is waiting, and for what.
    pub message: String,
}

/// `Plan: N to add, N to change, N to remove.`
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// `+` changes.
    pub add: usize,
    /// `~` and `>` changes.
    pub change: usize,
    /// `-` changes.
    pub remove: usize,
}

/// The result of planning: ordered changes, and everything the admin must know.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Plan {
    /// Account name.
    pub account: String,
    /// Ordered changes (a valid topological order of `depends_on`).
    pub changes: Vec<Change>,
    /// Warnings.
    pub warnings: Vec<Warning>,
    /// Errors: when non-empty nothing is applied.
    pub errors: Vec<PlanError>,
    /// Changes waiting for a user to accept or be reactivated.
    pub waiting: Vec<Waiting>,
    /// Users in the account that no manifest declares and roster does not manage.
    pub unmanaged: Vec<Email>,
    /// The LastApplied to record once the changes succeed. Apply keeps the previous entry of
    /// any target (`user/…`, `group/…`) whose change failed or was skipped.
    pub next_last_applied: crate::model::LastApplied,
    /// The first time-based event after the observation (U8 resend or expiry, an
    /// `expires` date): when the plan would change with no one touching anything.
    #[serde(default)]
    pub next_event: Option<super::Due>,
}

impl Plan {
    /// Counts changes by sign.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action.sign() {
                Sign::Add => s.add += 1,
                Sign::Change | Sign::Resend => s.change += 1,
                Sign::Remove => s.remove += 1,
            }
        }
        s
    }
}
