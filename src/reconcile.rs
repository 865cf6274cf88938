//! One reconcile of one account, shared by `roster apply` and the daemon: observe the
//! account (list calls), plan against LastApplied, and (unless dry-run) apply under a held
//! lease. The CLI splits it in two ([`prepare`], then [`execute`]) to ask for
//! confirmation in between.

use crate::apply::{self, ApplyConfig, ApplyError, ApplyReport};
use crate::model::{Desired, DesiredStatus, LastApplied, Observed};
use crate::plan::{self, Plan, PlanOptions};
use crate::provider::{Provider, ProviderError};
use crate::store::{Lease, Store, StoreError};

/// Why a reconcile could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The provider failed while observing or applying.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Apply refused or failed to journal.
    #[error(transparent)]
    Apply(#[from] ApplyError),
}

/// A plan ready to apply, with what it was made from.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The plan.
    pub plan: Plan,
    /// The observation it was made against.
    pub observed: Observed,
    /// LastApplied at planning time (kept for targets whose changes fail).
    pub last: LastApplied,
    /// Provider calls the observation took.
    pub observe_calls: u64,
}

/// Observes the account with list calls, looks up the emails the plan may add (U5), and
/// stores the snapshot.
pub async fn observe(
    desired: &Desired,
    provider: &dyn Provider,
    store: &dyn Store,
) -> Result<(Observed, u64), ReconcileError> {
    let before = provider.calls();
    let mut observed = provider.refresh().await?;
    // Users the plan would add (an expired `expires` removes, it never adds).
    let today = observed.observed_at.date_naive();
    let absent: Vec<_> = desired
        .users
        .values()
        .filter(|u| {
            u.status != DesiredStatus::Absent
                && u.expires.is_none_or(|day| day > today)
                && !observed.users.contains_key(&u.email)
        })
        .map(|u| u.email.clone())
        .collect();
    if !absent.is_empty() {
        observed.existing_elsewhere = provider.lookup_emails(&absent).await?;
    }
    store
        .save_observed(&desired.account.name, &observed)
        .await?;
    let calls = provider.calls().saturating_sub(before);
    tracing::info!(account = %desired.account.name, users = observed.users.len(), provider_calls = calls, "observed the account");
    Ok((observed, calls))
}

/// Observes and plans.
pub async fn prepare(
    desired: &Desired,
    provider: &dyn Provider,
    store: &dyn Store,
    options: &PlanOptions,
) -> Result<Prepared, ReconcileError> {
    let (observed, observe_calls) = observe(desired, provider, store).await?;
    let last = store.load_last_applied(&desired.account.name).await?;
    let plan = plan::plan(desired, &observed, &last, observed.observed_at, options);
    Ok(Prepared {
        plan,
        observed,
        last,
        observe_calls,
    })
}

/// Applies a prepared plan under `lease`. A plan without changes still records
/// LastApplied (fields already equal become roster-managed). Returns `None` when there
/// was nothing to send.
pub async fn execute(
    prepared: &Prepared,
    provider: &dyn Provider,
    store: &dyn Store,
    lease: &Lease,
    run_id: &str,
    config: &ApplyConfig,
) -> Result<Option<ApplyReport>, ReconcileError> {
    let p = &prepared.plan;
    if !p.errors.is_empty() {
        return Err(ApplyError::PlanHasErrors(p.errors.len()).into());
    }
    if p.changes.is_empty() {
        if p.next_last_applied != prepared.last {
            store.save_last_applied(lease, &p.next_last_applied).await?;
        }
        return Ok(None);
    }
    Ok(Some(
        apply::apply(p, &prepared.last, provider, store, lease, run_id, config).await?,
    ))
}

/// A fresh run id for the journal: time and process.
pub fn new_run_id() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"),
        std::process::id()
    )
}
