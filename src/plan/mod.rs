//! The planner: a pure function from (Desired, Observed, LastApplied, now, options) to a
//! [`Plan`]. It never reads a clock or does I/O: `now` is an argument (usually the
//! provider's `observed_at`, so the simulator's clock drives U8 expiry).

mod calendly;
mod change;
mod contacts;
mod context;
mod due;
mod existing;
mod field;
mod integrations;
mod objects;
mod org;
mod personal;
pub mod render;
mod seats;
mod users;

pub use change::*;
pub use context::PlanOptions;
pub use due::Due;
pub use field::{Decision, decide, decide_set};

use crate::model::ObjectRef;
use crate::model::{Desired, LastApplied, Observed, Timestamp};
use context::Ctx;

/// Plans the changes that make the account match the manifests.
///
/// `policy.ignore` as a matcher on lower-cased emails: the users roster never touches
/// (the planner's, and `roster import`'s, one reading of it).
pub fn ignore_set(policy: &crate::model::Policy) -> globset::GlobSet {
    let mut ignore = globset::GlobSetBuilder::new();
    for g in &policy.ignore {
        // The manifest loader validated the globs; an invalid one matches nothing.
        if let Ok(glob) = globset::Glob::new(&g.to_lowercase()) {
            ignore.add(glob);
        }
    }
    ignore.build().unwrap_or_else(|_| globset::GlobSet::empty())
}

/// Deterministic: the same inputs give the same plan, changes in a valid order (every
/// change after those it depends on), rule breaches as [`PlanError`]s naming the rule and
/// the manifest location.
pub fn plan(
    desired: &Desired,
    observed: &Observed,
    last: &LastApplied,
    now: Timestamp,
    options: &PlanOptions,
) -> Plan {
    let mut cx = Ctx {
        d: desired,
        o: observed,
        l: last,
        now,
        options,
        ignore: ignore_set(&desired.account.policy),
        changes: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        waiting: Vec::new(),
        unmanaged: Vec::new(),
        next: LastApplied::default(),
        created: Default::default(),
        deleted: Default::default(),
    };
    if desired.account.owner != observed.owner {
        cx.error(
            crate::model::Rule::U7,
            &ObjectRef::Account,
            Some(&desired.account.source),
            format!(
                "the manifest names {} as owner but the account's owner is {}; fix `owner:` (roster never changes the owner)",
                desired.account.owner, observed.owner
            ),
        );
    }
    existing::check_existing(&mut cx);
    objects::plan_containers(&mut cx);
    org::plan_organization(&mut cx);
    let mut pools = seats::Pools::new(&cx);
    users::plan_users(&mut cx, &mut pools);
    pools.finish(&mut cx);
    contacts::plan_contacts(&mut cx);
    integrations::plan_integrations(&mut cx);
    calendly::plan_calendly(&mut cx);
    users::check_u1(&mut cx);
    users::check_u11(&mut cx);
    users::check_min_admins(&mut cx);
    users::check_max_removals(&mut cx);

    let mut changes = cx.changes;
    // The order of the key texts, so that plans read (and snapshot) in the same order
    // whatever the kinds' declaration order.
    changes.sort_by_cached_key(|(p, c)| (*p, c.target.to_string(), c.action, c.id.to_string()));
    Plan {
        account: desired.account.name.clone(),
        changes: changes.into_iter().map(|(_, c)| c).collect(),
        warnings: cx.warnings,
        errors: cx.errors,
        waiting: cx.waiting,
        unmanaged: cx.unmanaged,
        next_event: due::next_due(desired, observed, &cx.next),
        next_last_applied: cx.next,
    }
}

#[cfg(test)]
mod tests;
