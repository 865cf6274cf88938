//! One reconcile of one account, shared by `roster apply` and the daemon: observe the
//! account (list calls), plan against LastApplied, and (unless dry-run) apply under a held
//! lease. The CLI splits it in two ([`prepare`], then [`execute`]) to ask for
//! confirmation in between.

use crate::apply::{self, ApplyConfig, ApplyError, ApplyReport};
use crate::model::progress::{Progress, Silent, Step};
use crate::model::{
    Desired, DesiredStatus, Email, LastApplied, Observed, ObservedStatus, UserField, UserSpec,
};
use crate::plan::{self, Plan, PlanOptions};

use crate::provider::{PersonalContactsRead, Provider, ProviderError};
use crate::store::{Lease, Outcome, Store, StoreError};

pub mod fold;

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
    observe_reporting(desired, provider, store, &Silent).await
}

/// [`observe`], telling `progress` of the refresh's pages and the look-ups.
pub async fn observe_reporting(
    desired: &Desired,
    provider: &dyn Provider,
    store: &dyn Store,
    progress: &dyn Progress,
) -> Result<(Observed, u64), ReconcileError> {
    let (observed, calls) = observe_only_reporting(desired, provider, store, progress).await?;
    store
        .save_observed(&desired.account.name, &observed)
        .await?;
    Ok((observed, calls))
}

/// [`observe`] without saving the snapshot: for a preview (`plan --at`) that must leave
/// the store as it found it.
pub async fn observe_only(
    desired: &Desired,
    provider: &dyn Provider,
    store: &dyn Store,
) -> Result<(Observed, u64), ReconcileError> {
    observe_only_reporting(desired, provider, store, &Silent).await
}

/// [`observe_only`], telling `progress` of the refresh's pages and the look-ups.
pub async fn observe_only_reporting(
    desired: &Desired,
    provider: &dyn Provider,
    store: &dyn Store,
    progress: &dyn Progress,
) -> Result<(Observed, u64), ReconcileError> {
    let before = provider.calls();
    progress.start(Step::Refresh, None);
    let refreshed = provider.refresh_reporting(progress).await;
    progress.finish(Step::Refresh);
    let mut observed = refreshed?;
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
        progress.start(Step::Lookups, Some(absent.len() as u64));
        look_up_absent(provider, &absent, &mut observed, progress).await;
        progress.finish(Step::Lookups);
    }
    fold_manual(desired, &mut observed, provider, store).await?;
    let unobserved = provider.unobserved_fields();
    if !unobserved.is_empty() {
        let last = store.load_last_applied(&desired.account.name).await?;
        fill_unobserved(desired, &mut observed, &last, unobserved, provider).await?;
    }
    let calls = provider.calls().saturating_sub(before);
    tracing::info!(account = %desired.account.name, users = observed.users.len(), provider_calls = calls, "observed the account");
    Ok((observed, calls))
}

/// Look-ups at once while observing (each is one request or fewer).
const LOOKUPS_AT_ONCE: usize = 16;

/// Looks up each absent email (U5: a Zoom user elsewhere; U8: an expired invitation),
/// several at once. A look-up that fails after its retries fails only that user: the email
/// goes to [`Observed::unread_lookups`] and the plan leaves it for the next run, while the
/// rest of the run goes on (issue 19, item 9).
async fn look_up_absent(
    provider: &dyn Provider,
    absent: &[Email],
    observed: &mut Observed,
    progress: &dyn Progress,
) {
    use futures::StreamExt;
    let lookups: Vec<_> = absent.iter().map(|e| look_up_one(provider, e)).collect();
    let results: Vec<_> = futures::stream::iter(lookups)
        .buffer_unordered(LOOKUPS_AT_ONCE)
        .inspect(|_| progress.advance(Step::Lookups, 1))
        .collect()
        .await;
    for (email, result) in results {
        match result {
            Ok((elsewhere, expired)) => {
                observed.existing_elsewhere.extend(elsewhere);
                for (e, sent) in expired {
                    observed.expired_invitations.entry(e).or_insert(sent);
                }
            }
            Err(e) => {
                tracing::warn!(%email, error = %e, "look-up failed; the user is left for the next run");
                observed.unread_lookups.insert(email, e.to_string());
            }
        }
    }
}

/// Both look-ups of one email.
async fn look_up_one(
    provider: &dyn Provider,
    email: &Email,
) -> (Email, Result<LookedUp, ProviderError>) {
    let one = std::slice::from_ref(email);
    let result = async {
        let elsewhere = provider.lookup_emails(one).await?;
        let expired = provider.expired_invitations(one).await?;
        Ok((elsewhere, expired))
    }
    .await;
    (email.clone(), result)
}

/// What the look-ups of one email found.
type LookedUp = (
    std::collections::BTreeMap<Email, crate::model::ExistingZoomUser>,
    std::collections::BTreeMap<Email, Option<crate::model::Timestamp>>,
);

/// Fills the fields a provider cannot list (Zoom: job title, location, manager, add-ons).
/// Where roster set the field before, the value it set stands in for the observation
/// (drift on such a field is not seen, docs/zoom-provider.md); where it never did and the
/// manifests name the field, the user is read once with [`Provider::read_details`].
async fn fill_unobserved(
    desired: &Desired,
    observed: &mut Observed,
    last: &LastApplied,
    fields: &[UserField],
    provider: &dyn Provider,
) -> Result<(), ProviderError> {
    let mut to_read = Vec::new();
    for (email, ou) in observed.users.iter_mut() {
        let before = last.users.get(email);
        let wanted = desired.users.get(email);
        let mut read = false;
        for f in fields {
            match before.filter(|l| names(l, *f)) {
                Some(l) => copy_field(l, &mut ou.spec, *f),
                None => read |= wanted.is_some_and(|d| names(&d.spec, *f)),
            }
        }
        // A pending user has no id to read its details with: a field roster never set on
        // it is set once (its profile can be edited, issue 19 item 10).
        if read && ou.status != ObservedStatus::Pending {
            to_read.push(email.clone());
        }
    }
    if to_read.is_empty() {
        return Ok(());
    }
    tracing::info!(
        users = to_read.len(),
        "reading fields the list does not return, once per user"
    );
    let details = provider.read_details(&to_read).await?;
    for (email, spec) in details {
        if let Some(ou) = observed.users.get_mut(&email) {
            for f in fields {
                copy_field(&spec, &mut ou.spec, *f);
            }
        }
    }
    Ok(())
}

/// Copies `fields` of `from` (a user read once) over `to` (the user as the list showed
/// it): for `roster import`, which reads every user's unlisted fields.
pub fn overlay_unlisted(to: &mut UserSpec, from: &UserSpec, fields: &[UserField]) {
    for f in fields {
        copy_field(from, to, *f);
    }
}

fn names(s: &UserSpec, f: UserField) -> bool {
    match f {
        UserField::FirstName => s.first_name.is_some(),
        UserField::LastName => s.last_name.is_some(),
        UserField::Type => s.user_type.is_some(),
        UserField::Addons => s.addons.is_some(),
        UserField::Role => s.role.is_some(),
        UserField::Group => s.group.is_some(),
        UserField::ChatGroups => s.chat_groups.is_some(),
        UserField::Department => s.department.is_some(),
        UserField::Manager => s.manager.is_some(),
        UserField::JobTitle => s.job_title.is_some(),
        UserField::Location => s.location.is_some(),
        UserField::CustomAttributes => s.custom_attributes.is_some(),
    }
}

fn copy_field(from: &UserSpec, to: &mut UserSpec, f: UserField) {
    match f {
        UserField::FirstName => to.first_name = from.first_name.clone(),
        UserField::LastName => to.last_name = from.last_name.clone(),
        UserField::Type => to.user_type = from.user_type,
        UserField::Addons => to.addons = from.addons.clone(),
        UserField::Role => to.role = from.role.clone(),
        UserField::Group => to.group = from.group.clone(),
        UserField::ChatGroups => to.chat_groups = from.chat_groups.clone(),
        UserField::Department => to.department = from.department.clone(),
        UserField::Manager => to.manager = from.manager.clone(),
        UserField::JobTitle => to.job_title = from.job_title.clone(),
        UserField::Location => to.location = from.location.clone(),
        UserField::CustomAttributes => to.custom_attributes = from.custom_attributes.clone(),
    }
}

/// Marks the changes this provider cannot make as manual, with their portal steps and
/// since when they are pending.
pub async fn annotate_manual(
    plan: &mut Plan,
    provider: &dyn Provider,
    store: &dyn Store,
    account: &str,
) -> Result<(), StoreError> {
    if !plan
        .changes
        .iter()
        .any(|c| provider.manual_steps(&c.op).is_some())
    {
        return Ok(());
    }
    let recorded = store.manual_changes(account).await?;
    for c in &mut plan.changes {
        if let Some(steps) = provider.manual_steps(&c.op) {
            let since = recorded
                .iter()
                .find(|m| m.change_id == c.id && m.confirmed_at.is_none())
                .map(|m| m.recorded_at);
            c.manual = Some(crate::plan::ManualInfo {
                steps,
                pending_since: since,
            });
        }
    }
    Ok(())
}

/// Reads the personal contacts of declared groups where the provider can list them, then
/// folds roster's own records (confirmed manual changes, LastApplied) into what the
/// provider cannot observe ([`fold::fold_manual`]).
async fn fold_manual(
    desired: &Desired,
    observed: &mut Observed,
    provider: &dyn Provider,
    store: &dyn Store,
) -> Result<(), ReconcileError> {
    let wanted: Vec<(crate::model::Email, String)> = desired
        .personal_contacts
        .iter()
        .flat_map(|(u, g)| g.keys().map(move |n| (u.clone(), n.clone())))
        .collect();
    if !wanted.is_empty() {
        match provider.personal_contacts(&wanted).await? {
            PersonalContactsRead::InRefresh => {}
            PersonalContactsRead::Listed(found) => {
                for (user, groups) in found {
                    observed
                        .personal_contacts
                        .entry(user)
                        .or_default()
                        .extend(groups);
                }
            }
            PersonalContactsRead::Refused(why) => observed.personal_contacts_refused = Some(why),
        }
    }
    if observed.organization.known
        && observed.external_contacts.is_some()
        && observed.personal_contacts_refused.is_none()
    {
        return Ok(());
    }
    let account = &desired.account.name;
    let manual = store.manual_changes(account).await?;
    let last = store.load_last_applied(account).await?;
    fold::fold_manual(observed, &manual, &last);
    Ok(())
}

/// Observes and plans.
pub async fn prepare(
    desired: &Desired,
    provider: &dyn Provider,
    store: &dyn Store,
    options: &PlanOptions,
) -> Result<Prepared, ReconcileError> {
    prepare_reporting(desired, provider, store, options, &Silent).await
}

/// [`prepare`], telling `progress` of the refresh's pages and the look-ups.
pub async fn prepare_reporting(
    desired: &Desired,
    provider: &dyn Provider,
    store: &dyn Store,
    options: &PlanOptions,
    progress: &dyn Progress,
) -> Result<Prepared, ReconcileError> {
    let (observed, observe_calls) = observe_reporting(desired, provider, store, progress).await?;
    let last = store.load_last_applied(&desired.account.name).await?;
    let mut plan = plan::plan(desired, &observed, &last, observed.observed_at, options);
    annotate_manual(&mut plan, provider, store, &desired.account.name).await?;
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
    resolve_interrupted(p, store, lease, run_id).await?;
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

/// Closes the journal rows an interrupted run left `started` (issue 19, item 7), or a run
/// left `uncertain` (issue 17, part 3: an answer lost after the send), so the
/// audit trail says what became of each. The plan was made against a fresh read of the
/// account: a change it no longer holds is found done; one it still holds is not done (and
/// this run sends it again under its own row). Change ids are stable across runs.
async fn resolve_interrupted(
    plan: &Plan,
    store: &dyn Store,
    lease: &Lease,
    run_id: &str,
) -> Result<(), StoreError> {
    let journal = store.journal(&lease.account).await?;
    let mut open: Vec<_> = journal
        .iter()
        .filter(|j| {
            matches!(j.outcome, Outcome::Started | Outcome::Uncertain) && j.run_id != run_id
        })
        .map(|j| (j.run_id.as_str(), &j.change_id, j.outcome))
        .collect();
    open.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    open.dedup_by(|a, b| (a.0, a.1) == (b.0, b.1));
    for (old_run, change_id, was) in open {
        let why = match was {
            Outcome::Uncertain => "sent, but its answer was lost",
            Outcome::Started
            | Outcome::Done
            | Outcome::Failed
            | Outcome::Skipped
            | Outcome::Manual => "interrupted before its outcome was known",
        };
        let (outcome, message) = if plan.changes.iter().any(|c| &c.id == change_id) {
            (
                Outcome::Failed,
                format!(
                    "{why}; not done: run {run_id} found the account without it and sends it again"
                ),
            )
        } else {
            (
                Outcome::Done,
                format!(
                    "{why}; found done: run {run_id} re-read the account and had nothing left to do for it"
                ),
            )
        };
        tracing::info!(run = old_run, change = %change_id, outcome = outcome.as_str(), "closed a change left in flight by an interrupted run");
        store
            .journal_finish(lease, old_run, change_id, outcome, Some(&message))
            .await?;
    }
    Ok(())
}

/// A fresh run id for the journal: time and process.
pub fn new_run_id() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"),
        std::process::id()
    )
}
