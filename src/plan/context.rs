//! The planner's working state: inputs, accumulated changes, errors and warnings.

use super::{Action, Change, FieldChange, Op, PlanError, Waiting, Warning};
use crate::model::{
    ChangeId, Desired, Email, LastApplied, ObjectRef, Observed, Rule, Source, Timestamp,
};
use std::collections::BTreeMap;

/// Execution phase of a change: the coarse order of a plan. Dependencies always point to an
/// earlier phase (or to an earlier change of the same target in the same phase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Roles, groups and chat groups that users will need.
    Containers,
    /// Promotions of the admin a Calendly reconnection goes through (C2).
    Promote,
    /// Calendly reconnections, before any demotion or removal could break the connection (C2).
    Reconnect,
    /// Changes that free seats: downgrades, add-on removals, demotions before removal.
    Free,
    /// Users leaving the account.
    Remove,
    /// Users joining (create, invite, resend) or reactivated.
    Add,
    /// Upgrades and edits of users in place.
    Edit,
    /// Calendly's organization connection and its options, once the admins are in place (C1, C5).
    Connect,
    /// Groups, chat groups and roles no longer declared.
    Cleanup,
}

/// Options that come from the command line rather than the manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--allow-removals N`: lets a plan remove up to N users despite `policy.maxRemovals`.
    pub allow_removals: Option<u32>,
}

pub(crate) struct Ctx<'a> {
    pub d: &'a Desired,
    pub o: &'a Observed,
    pub l: &'a LastApplied,
    pub now: Timestamp,
    pub options: &'a PlanOptions,
    pub ignore: globset::GlobSet,
    pub changes: Vec<(Phase, Change)>,
    pub errors: Vec<PlanError>,
    pub warnings: Vec<Warning>,
    pub waiting: Vec<Waiting>,
    pub unmanaged: Vec<Email>,
    pub next: LastApplied,
    /// Change ids of containers created in this plan, by target (`group/x`).
    pub created: BTreeMap<ObjectRef, ChangeId>,
    /// Containers this plan deletes: their members go with them, so no member removal is
    /// planned for them (Zoom refuses to empty a contact group member by member, 400/300).
    pub deleted: std::collections::BTreeSet<ObjectRef>,
}

/// A change under construction.
pub(crate) struct NewChange {
    pub phase: Phase,
    pub action: Action,
    pub target: ObjectRef,
    pub part: Option<String>,
    pub reason: String,
    pub rule: Option<Rule>,
    pub fields: BTreeMap<String, FieldChange>,
    pub depends_on: Vec<ChangeId>,
    pub op: Op,
}

impl NewChange {
    pub fn new(
        phase: Phase,
        action: Action,
        target: &ObjectRef,
        reason: String,
        op: Op,
    ) -> NewChange {
        NewChange {
            phase,
            action,
            target: target.clone(),
            part: None,
            reason,
            rule: None,
            fields: BTreeMap::new(),
            depends_on: Vec::new(),
            op,
        }
    }
    pub fn rule(mut self, rule: Rule) -> Self {
        self.rule = Some(rule);
        self
    }
    /// One of several changes of one action on one target (an add-on, a chat group).
    pub fn part(mut self, s: &str) -> Self {
        self.part = Some(s.to_string());
        self
    }
    pub fn field(mut self, name: &str, from: serde_json::Value, to: serde_json::Value) -> Self {
        self.fields
            .insert(name.to_string(), FieldChange { from, to });
        self
    }
    pub fn after(mut self, id: Option<ChangeId>) -> Self {
        if let Some(id) = id {
            self.depends_on.push(id);
        }
        self
    }
}

impl<'a> Ctx<'a> {
    /// Adds a change; returns its id.
    pub fn push(&mut self, c: NewChange) -> ChangeId {
        let id = ChangeId {
            action: c.action,
            target: c.target.clone(),
            part: c.part,
        };
        self.changes.push((
            c.phase,
            Change {
                id: id.clone(),
                action: c.action,
                target: c.target,
                reason: c.reason,
                rule: c.rule,
                fields: c.fields,
                depends_on: c.depends_on,
                op: c.op,
                manual: None,
            },
        ));
        id
    }

    pub fn error(
        &mut self,
        rule: Rule,
        target: &ObjectRef,
        source: Option<&Source>,
        message: String,
    ) {
        self.errors.push(PlanError {
            rule,
            target: target.clone(),
            message: format!("{rule}: {message}"),
            source: source.cloned(),
        });
    }

    pub fn warn(&mut self, rule: Option<Rule>, target: &ObjectRef, message: String) {
        let message = match rule {
            Some(r) => format!("{r}: {message}"),
            None => message,
        };
        self.warnings.push(Warning {
            rule,
            target: target.clone(),
            message,
        });
    }

    pub fn wait(&mut self, target: &ObjectRef, message: String) {
        self.waiting.push(Waiting {
            target: target.clone(),
            message,
        });
    }

    pub fn is_ignored(&self, email: &Email) -> bool {
        self.ignore.is_match(email.as_str())
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.now.date_naive()
    }
}

/// JSON value of anything serialisable, for field diffs (never fails for model values).
pub(crate) fn json<T: serde::Serialize>(v: T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
