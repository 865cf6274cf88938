//! The commands of `spec/cli.md`.

use super::args::{Cli, Command, ExportWhat, PlanFormat};
use super::report::Failure;
use crate::apply::ApplyConfig;
use crate::manifest::csv_import;
use crate::model::{Desired, Observed};
use crate::plan::{self, Plan, PlanOptions, render};
use crate::reconcile;
use crate::session;
use crate::store::lease::{Keeper, Timing};
use crate::store::{Outcome, Store};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Runs a command; returns the exit code.
pub async fn run(cli: Cli, color: bool) -> Result<u8, Failure> {
    let top = super::args::StoreArgs {
        state: cli.state.clone(),
        store: cli.store.clone(),
    };
    let json = cli.log_format == super::args::LogFormat::Json
        || matches!(
            cli.command,
            Command::Plan {
                format: PlanFormat::Json,
                ..
            }
        );
    let progress = super::progress::reporter(super::progress::Surroundings::detect(json));
    match cli.command {
        Command::Validate { dir, .. } => validate(&dir),
        Command::Plan {
            dir,
            format,
            detailed_exitcode,
            refresh,
            out,
            allow_removals,
            at: when,
            store,
            ..
        } => {
            let at = store.under(&top);
            let opts = PlanOptions { allow_removals };
            let how = PlanHow {
                format,
                detailed: detailed_exitcode,
                refresh,
                out: out.as_deref(),
                color,
                at: when,
                progress,
            };
            plan_cmd(&at.state, at.store.as_deref(), &dir, &how, &opts).await
        }
        Command::Apply {
            target,
            auto_approve,
            allow_removals,
            concurrency,
            store,
            ..
        } => {
            let at = store.under(&top);
            let opts = PlanOptions { allow_removals };
            let config = ApplyConfig {
                concurrency,
                progress,
                ..ApplyConfig::default()
            };
            apply_cmd(
                &at.state,
                at.store.as_deref(),
                &target,
                auto_approve,
                &opts,
                &config,
                color,
            )
            .await
        }
        Command::Export {
            what: ExportWhat::Users {
                dir, format, store, ..
            },
        } => {
            let at = store.under(&top);
            export_users(&at.state, at.store.as_deref(), &dir, &format).await
        }
        Command::Audit {
            dir,
            since,
            format,
            store,
        } => {
            let at = store.under(&top);
            super::audit_cmd::run(&at.state, at.store.as_deref(), &dir, since, format).await
        }
        Command::Import {
            dir,
            out,
            write,
            store,
        } => {
            let at = store.under(&top);
            let out = out.unwrap_or_else(|| dir.clone());
            super::import_cmd::run(
                &at.state,
                at.store.as_deref(),
                &dir,
                &out,
                write,
                progress.get(),
            )
            .await
        }
        Command::Confirm {
            change_id,
            dir,
            store,
            ..
        } => {
            let at = store.under(&top);
            confirm_manual(&at.state, at.store.as_deref(), &dir, change_id.as_deref()).await
        }
        Command::Daemon { args, store } => {
            let at = store.under(&top);
            crate::daemon::main(args, at.state, at.store)
                .await
                .map_err(|e| Failure::msg(e.to_string()))
        }
        Command::Completions { shell } => {
            super::docs::completions(shell);
            Ok(0)
        }
        Command::Man { out } => super::docs::man(out.as_deref()),
        Command::Schema => {
            let s = crate::manifest::schema::json_schema();
            let text = serde_json::to_string_pretty(&s)
                .map_err(|e| Failure::msg(format!("cannot encode the schema: {e}")))?;
            println!("{text}");
            Ok(0)
        }
        Command::Sim { state, command } => {
            let own = super::args::StoreArgs {
                state: state.state,
                store: None,
            };
            super::sim_cmd::run(command, &own.under(&top).state).await?;
            Ok(0)
        }
    }
}

/// How `roster plan` prints and saves.
struct PlanHow<'a> {
    format: PlanFormat,
    detailed: bool,
    refresh: bool,
    out: Option<&'a Path>,
    color: bool,
    /// `--at`: a preview at a later time, which saves nothing.
    at: Option<crate::model::Timestamp>,
    /// Bars for the refresh and look-ups, on a terminal.
    progress: crate::model::progress::Reporter,
}

/// `roster confirm [ID]`: closes a pending manual change, or lists them.
async fn confirm_manual(
    state: &Path,
    store_url: Option<&str>,
    dir: &Path,
    change_id: Option<&str>,
) -> Result<u8, Failure> {
    let m = session::load(dir)?;
    let store = session::open_store(state, store_url).await?;
    let mut pending = Vec::new();
    for name in m.accounts.keys() {
        for c in store
            .manual_changes(name)
            .await?
            .into_iter()
            .filter(|c| c.confirmed_at.is_none())
        {
            pending.push((name.clone(), c));
        }
    }
    let Some(id) = change_id else {
        if pending.is_empty() {
            println!("No manual change is pending.");
        }
        for (account, c) in &pending {
            println!(
                "{account}: {} (pending since {})",
                c.change_id,
                c.recorded_at.format("%Y-%m-%d %H:%M UTC")
            );
            for (i, s) in c.steps.iter().enumerate() {
                println!("    {}. {s}", i + 1);
            }
        }
        return Ok(0);
    };
    let id: crate::model::ChangeId = id.parse().map_err(|e| {
        Failure::msg(format!(
            "{e}; `roster confirm --dir DIR` lists the pending ones"
        ))
    })?;
    for (account, c) in &pending {
        if c.change_id == id && store.confirm_manual(account, &id).await? {
            println!("Confirmed {id} on account {account}: the next plan takes it as done.");
            return Ok(0);
        }
    }
    Err(Failure::msg(format!(
        "no pending manual change {id}; `roster confirm --dir DIR` lists the pending ones"
    )))
}

fn validate(dir: &Path) -> Result<u8, Failure> {
    let m = session::load(dir)?;
    let users: usize = m.accounts.values().map(|d| d.users.len()).sum();
    println!(
        "The manifests are valid: {} account(s), {users} user(s).",
        m.accounts.len()
    );
    Ok(0)
}

/// A plan saved with `plan --out`, applied only if the account has not moved since.
#[derive(Serialize, Deserialize)]
struct SavedPlan {
    manifests: PathBuf,
    plans: Vec<SavedAccountPlan>,
}

#[derive(Serialize, Deserialize)]
struct SavedAccountPlan {
    fingerprint: String,
    plan: Plan,
}

/// Ends the life of a large value without freeing it piece by piece: the command is
/// about to exit, and the operating system takes the whole heap back at once. Freeing a
/// 100k-user account node by node took 8-11% of `roster plan` (issue 15). Only plain data
/// goes here, never what holds a connection or a file to close.
fn at_exit<T>(value: T) {
    std::mem::forget(value);
}

/// A stable digest of what was observed (the observation time left out), streamed from
/// the JSON encoder: no copy of the observation and no text of it is kept (issue 15).
fn fingerprint(o: &mut Observed) -> String {
    let at = std::mem::replace(&mut o.observed_at, chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let mut h = Fnv1a::default();
    let _ = serde_json::to_writer(&mut h, &*o);
    o.observed_at = at;
    format!("{:016x}-{}", h.hash, h.len)
}

/// FNV-1a over the bytes written: stable across runs and platforms, unlike
/// `DefaultHasher`'s seed.
struct Fnv1a {
    hash: u64,
    len: usize,
}

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a {
            hash: 0xcbf29ce484222325,
            len: 0,
        }
    }
}

impl std::io::Write for Fnv1a {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for b in buf {
            self.hash ^= u64::from(*b);
            self.hash = self.hash.wrapping_mul(0x100000001b3);
        }
        self.len += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn plan_one(
    desired: &Desired,
    state: &Path,
    store: &dyn Store,
    how: &PlanHow<'_>,
    opts: &PlanOptions,
) -> Result<(Plan, Observed), Failure> {
    let provider = session::open_provider(desired, state)?;
    let observed = if how.refresh && how.at.is_some() {
        // A preview saves nothing, not even the observation.
        crate::reconcile::observe_only_reporting(
            desired,
            provider.as_ref(),
            store,
            how.progress.get(),
        )
        .await?
        .0
    } else if how.refresh {
        let progress = how.progress.get();
        let (observed, _) =
            crate::reconcile::observe_only_reporting(desired, provider.as_ref(), store, progress)
                .await?;
        // The simulator's copy of its cloud is let go before the snapshot is encoded for
        // the store, the moment memory peaks (issue 15).
        provider.release_caches();
        store
            .save_observed(&desired.account.name, &observed)
            .await?;
        observed
    } else {
        store
            .load_observed(&desired.account.name)
            .await?
            .ok_or_else(|| {
                Failure::msg(format!(
                    "no stored observation of account {} yet: run `roster plan` once with refresh",
                    desired.account.name
                ))
            })?
    };
    let last = store.load_last_applied(&desired.account.name).await?;
    let now = preview_time(how.at, observed.observed_at)?;
    let mut p = plan::plan(desired, &observed, &last, now, opts);
    at_exit(last);
    reconcile::annotate_manual(&mut p, provider.as_ref(), store, &desired.account.name).await?;
    Ok((p, observed))
}

/// The plan's time: the account's clock, or a later `--at`. An earlier one is refused:
/// the account's past is not known, only its present.
fn preview_time(
    at: Option<crate::model::Timestamp>,
    account_now: crate::model::Timestamp,
) -> Result<crate::model::Timestamp, Failure> {
    match at {
        None => Ok(account_now),
        Some(t) if t >= account_now => Ok(t),
        Some(t) => Err(Failure::msg(format!(
            "--at {t} is before the account's clock ({account_now}): roster can preview what a later date brings, not replay the past"
        ))),
    }
}

fn print_plan(p: &Plan, format: PlanFormat, color: bool) {
    let text = match format {
        PlanFormat::Text => render::text(p, color),
        PlanFormat::Json => render::json_text(p),
        PlanFormat::Markdown => render::markdown(p),
    };
    print!("{text}");
}

async fn plan_cmd(
    state: &Path,
    store_url: Option<&str>,
    dir: &Path,
    how: &PlanHow<'_>,
    opts: &PlanOptions,
) -> Result<u8, Failure> {
    let manifests = session::load(dir)?;
    let store = session::open_store(state, store_url).await?;
    let mut any_changes = false;
    let mut any_errors = false;
    let mut saved = SavedPlan {
        manifests: dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()),
        plans: Vec::new(),
    };
    for desired in manifests.accounts.values() {
        let (p, mut observed) = plan_one(desired, state, store.as_ref(), how, opts).await?;
        if let (Some(t), PlanFormat::Text) = (how.at, how.format) {
            println!(
                "Preview at {t} (account {}): nothing is saved, and this plan cannot be applied.\n",
                desired.account.name
            );
        }
        print_plan(&p, how.format, how.color);
        any_changes |= !p.changes.is_empty();
        any_errors |= !p.errors.is_empty();
        // Only a saved plan needs the fingerprint (issue 15: no work the command does not
        // need).
        if how.out.is_some() {
            saved.plans.push(SavedAccountPlan {
                fingerprint: fingerprint(&mut observed),
                plan: p,
            });
        } else {
            at_exit(p);
        }
        at_exit(observed);
    }
    if let Some(out) = how.out {
        let text = serde_json::to_string_pretty(&saved)
            .map_err(|e| Failure::msg(format!("cannot encode the plan: {e}")))?;
        std::fs::write(out, text)
            .map_err(|e| Failure::msg(format!("cannot write {}: {e}", out.display())))?;
        eprintln!(
            "Saved the plan to {}; apply it with `roster apply {}`.",
            out.display(),
            out.display()
        );
    }
    at_exit(manifests);
    Ok(if any_errors {
        1
    } else if how.detailed && any_changes {
        2
    } else {
        0
    })
}

fn confirm(auto_approve: bool) -> Result<bool, Failure> {
    if auto_approve {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::msg(
            "refusing to apply without confirmation: no terminal to ask on; pass --auto-approve, or save a plan with `roster plan --out FILE`, review it and `roster apply FILE`",
        ));
    }
    print!("\nDo you want to apply these changes? Only 'yes' will be accepted: ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::msg(format!("cannot read the answer: {e}")))?;
    Ok(line.trim() == "yes")
}

/// The lease holder (and the audit trail's actor) of a CLI run: who, and which process.
fn holder() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown user".into());
    format!("roster apply by {user} (pid {})", std::process::id())
}

async fn apply_cmd(
    state: &Path,
    store_url: Option<&str>,
    target: &Path,
    auto_approve: bool,
    opts: &PlanOptions,
    config: &ApplyConfig,
    color: bool,
) -> Result<u8, Failure> {
    let (dir, saved) = if target.is_file() {
        let text = std::fs::read_to_string(target)
            .map_err(|e| Failure::msg(format!("cannot read {}: {e}", target.display())))?;
        let saved: SavedPlan = serde_json::from_str(&text).map_err(|e| {
            Failure::msg(format!(
                "{} is not a plan saved by `roster plan --out`: {e}",
                target.display()
            ))
        })?;
        (saved.manifests.clone(), Some(saved))
    } else {
        (target.to_path_buf(), None)
    };
    let manifests = session::load(&dir)?;
    let store = session::open_store(state, store_url).await?;
    let mut code = 0;
    for desired in manifests.accounts.values() {
        let name = &desired.account.name;
        let keeper = Keeper::acquire(store.clone(), name, &holder(), Timing::default()).await?;
        let config = ApplyConfig {
            lease: Some(keeper.deadline()),
            ..config.clone()
        };
        let result = apply_account(
            desired,
            state,
            store.as_ref(),
            keeper.lease(),
            saved.as_ref(),
            auto_approve,
            opts,
            &config,
            color,
        )
        .await;
        if let Err(e) = keeper.release().await {
            tracing::warn!(account = %name, error = %e, "could not release the lock");
        }
        code = code.max(result?);
    }
    Ok(code)
}

#[allow(clippy::too_many_arguments)]
async fn apply_account(
    desired: &Desired,
    state: &Path,
    store: &dyn Store,
    lease: &crate::store::Lease,
    saved: Option<&SavedPlan>,
    auto_approve: bool,
    opts: &PlanOptions,
    config: &ApplyConfig,
    color: bool,
) -> Result<u8, Failure> {
    let name = &desired.account.name;
    report_interrupted_runs(store, name).await?;
    let provider = session::open_provider(desired, state)?;
    let progress = config.progress.get();
    let mut prepared =
        reconcile::prepare_reporting(desired, provider.as_ref(), store, opts, progress).await?;
    if let Some(saved) = saved {
        let Some(sp) = saved.plans.iter().find(|p| &p.plan.account == name) else {
            return Err(Failure::msg(format!(
                "the saved plan has nothing for account {name}"
            )));
        };
        if sp.fingerprint != fingerprint(&mut prepared.observed) {
            return Err(Failure::msg(format!(
                "account {name} changed since the plan was saved: nothing applied; run `roster plan` again"
            )));
        }
        prepared.plan = sp.plan.clone();
    }
    print_plan(&prepared.plan, PlanFormat::Text, color);
    if !prepared.plan.errors.is_empty() {
        return Ok(1);
    }
    // A saved plan was reviewed when it was saved (as `terraform apply PLAN` does).
    let reviewed = auto_approve || saved.is_some();
    if !prepared.plan.changes.is_empty() && !confirm(reviewed)? {
        println!("Apply cancelled: nothing was changed.");
        return Ok(1);
    }
    let run_id = reconcile::new_run_id();
    let unread = unread_lookups(&prepared.observed);
    let Some(report) =
        reconcile::execute(&prepared, provider.as_ref(), store, lease, &run_id, config).await?
    else {
        return Ok(unread);
    };
    println!(
        "\nApply complete for account {name}: {} applied, {} failed, {} not attempted.",
        report.done.len(),
        report.failed.len(),
        report.skipped.len()
    );
    if !report.manual.is_empty() {
        println!(
            "  {} manual change(s) recorded as pending (no Zoom API): make them in the portal as the plan says, then `roster confirm ID`:",
            report.manual.len()
        );
        for id in &report.manual {
            println!("  manual: {id}");
        }
    }
    for f in &report.failed {
        println!("  failed: {} {}: {}", f.action, f.target, f.message);
    }
    for s in &report.skipped {
        println!("  not attempted: {} {}: {}", s.action, s.target, s.message);
    }
    Ok(if report.is_success() { unread } else { 1 })
}

/// Users left out of this run because their look-up failed (issue 19, item 9): each is
/// printed, and the exit code is 1 (the account does not match yet).
fn unread_lookups(observed: &crate::model::Observed) -> u8 {
    for (email, why) in &observed.unread_lookups {
        println!(
            "  not attempted: add user/{email}: its look-up failed ({why}); the next run tries again"
        );
    }
    u8::from(!observed.unread_lookups.is_empty())
}

/// A run killed mid-apply leaves `started` rows: say so. Nothing is replayed: the account
/// was just re-read, so changes that reached the provider are not planned again.
async fn report_interrupted_runs(store: &dyn Store, account: &str) -> Result<(), Failure> {
    let journal = store.journal(account).await?;
    let open: Vec<_> = journal
        .iter()
        .filter(|j| j.outcome == Outcome::Started)
        .collect();
    if let Some(first) = open.first() {
        eprintln!(
            "note: a previous apply (run {}) stopped with {} change(s) in flight; the account is re-read, so changes that went through are not repeated",
            first.run_id,
            open.len()
        );
    }
    Ok(())
}

async fn export_users(
    state: &Path,
    store_url: Option<&str>,
    dir: &Path,
    format: &str,
) -> Result<u8, Failure> {
    if format != "csv" {
        return Err(Failure::msg(format!(
            "--format {format}: only csv is supported"
        )));
    }
    let manifests = session::load(dir)?;
    let store = session::open_store(state, store_url).await?;
    let mut w = csv::Writer::from_writer(std::io::stdout());
    w.write_record(csv_import::header())
        .map_err(|e| Failure::msg(e.to_string()))?;
    for desired in manifests.accounts.values() {
        let provider = session::open_provider(desired, state)?;
        let o = observe(desired, provider.as_ref(), store.as_ref()).await?;
        for u in o.users.values() {
            let mut row = vec![u.email.to_string()];
            row.extend(
                csv_import::FIELD_COLUMNS
                    .iter()
                    .map(|f| csv_import::cell(&u.spec, *f)),
            );
            w.write_record(row)
                .map_err(|e| Failure::msg(e.to_string()))?;
        }
    }
    w.flush().map_err(|e| Failure::msg(e.to_string()))?;
    Ok(0)
}

/// Observes the account and stores the snapshot (see [`crate::reconcile::observe`]).
async fn observe(
    desired: &crate::model::Desired,
    provider: &dyn crate::provider::Provider,
    store: &dyn crate::store::Store,
) -> Result<crate::model::Observed, Failure> {
    Ok(crate::reconcile::observe(desired, provider, store).await?.0)
}
