//! `roster import [DIR] [--out OUT] [--write]` (issue 16, part 1): reads the account of
//! DIR's Account document, renders manifests for it ([`crate::manifest::import`]), prints
//! the unified diff against what OUT holds, and with `--write` writes them and records
//! LastApplied so the first `roster plan OUT` has nothing to do.

use super::report::Failure;
use crate::manifest::import::{Imported, Visible};
use crate::model::{Desired, Observed, ProviderConfig};
use crate::provider::{PersonalContactsRead, Provider};
use crate::session;
use crate::store::Store;
use std::path::{Path, PathBuf};

/// Users read per provider call while importing (the bar advances after each).
const DETAILS_CHUNK: usize = 25;

/// Runs the command; exit 0 (also when only the diff was printed).
pub async fn run(
    state: &Path,
    store_url: Option<&str>,
    dir: &Path,
    out: &Path,
    write: bool,
    progress: &dyn crate::model::progress::Progress,
) -> Result<u8, Failure> {
    let manifests = session::load(dir)?;
    let mut accounts = manifests.accounts.values();
    let (Some(desired), None) = (accounts.next(), accounts.next()) else {
        return Err(Failure::msg(format!(
            "{}: import reads one account at a time; point it at a folder with exactly one Account document",
            dir.display()
        )));
    };
    let provider = session::open_provider(desired, state)?;
    let (observed, visible) = read_account(provider.as_ref(), progress).await?;
    let ignore = crate::plan::ignore_set(&desired.account.policy);
    let mut imported =
        crate::manifest::import::import(&observed, &desired.account, &ignore, visible);
    carry_account_files(desired, dir, &mut imported)?;
    let changed = print_diff(out, &imported)?;
    for n in &imported.notes {
        eprintln!("note: {n}");
    }
    if !write {
        eprintln!(
            "{changed} file(s) would change in {}; run again with --write to write them and record what roster now manages.",
            out.display()
        );
        return Ok(0);
    }
    write_files(out, &imported)?;
    let store = session::open_store(state, store_url).await?;
    record_last_applied(out, state, store.as_ref()).await?;
    eprintln!(
        "Wrote {changed} file(s) in {}; `roster plan {}` now compares the account with them.",
        out.display(),
        out.display()
    );
    Ok(0)
}

/// The account as the provider shows it, every user's fields included (Zoom's list omits
/// job title, location, manager and add-ons: each user is read once).
async fn read_account(
    provider: &dyn Provider,
    progress: &dyn crate::model::progress::Progress,
) -> Result<(Observed, Visible), Failure> {
    let mut observed = provider
        .refresh()
        .await
        .map_err(|e| Failure::msg(e.to_string()))?;
    if !provider.unobserved_fields().is_empty() {
        // A pending user has no id to read with: it holds none of those fields yet.
        let emails: Vec<_> = observed
            .users
            .values()
            .filter(|u| u.status != crate::model::ObservedStatus::Pending)
            .map(|u| u.email.clone())
            .collect();
        use crate::model::progress::Step;
        progress.start(Step::Details, Some(emails.len() as u64));
        // A chunk at a time, so the bar moves: each user is still read once.
        for chunk in emails.chunks(DETAILS_CHUNK) {
            let details = provider
                .read_details(chunk)
                .await
                .map_err(|e| Failure::msg(e.to_string()))?;
            for (email, spec) in details {
                if let Some(u) = observed.users.get_mut(&email) {
                    let fields = provider.unobserved_fields();
                    crate::reconcile::overlay_unlisted(&mut u.spec, &spec, fields);
                }
            }
            progress.advance(Step::Details, chunk.len() as u64);
        }
        progress.finish(Step::Details);
    }
    let listed = provider
        .personal_contacts(&[])
        .await
        .map_err(|e| Failure::msg(e.to_string()))?;
    let visible = Visible {
        personal_contacts: match listed {
            PersonalContactsRead::InRefresh => true,
            PersonalContactsRead::Listed(_) | PersonalContactsRead::Refused(_) => false,
        },
    };
    Ok((observed, visible))
}

/// When writing elsewhere, the file holding the Account (and the simulator seed it names)
/// goes along, unchanged, so OUT is a complete manifest folder.
fn carry_account_files(
    desired: &Desired,
    dir: &Path,
    imported: &mut Imported,
) -> Result<(), Failure> {
    let mut carried = vec![account_file(dir)?];
    if let ProviderConfig::Sim(cfg) = &desired.account.provider
        && let Some(seed) = &cfg.seed
        && let Ok(rel) = seed.strip_prefix(dir)
    {
        carried.push(rel.to_path_buf());
    }
    for rel in carried {
        let key = rel.to_string_lossy().replace('\\', "/");
        if imported.files.contains_key(&key) {
            return Err(Failure::msg(format!(
                "{key} holds the Account, and import writes a file of that name: move the Account to account.yaml first"
            )));
        }
        let text = std::fs::read_to_string(dir.join(&rel))
            .map_err(|e| Failure::msg(format!("cannot read {}: {e}", dir.join(&rel).display())))?;
        imported.files.insert(key, text);
    }
    Ok(())
}

/// The manifest file (relative to `dir`) with the `kind: Account` document.
fn account_file(dir: &Path) -> Result<PathBuf, Failure> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|e| Failure::msg(format!("cannot read {}: {e}", d.display())))?;
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if (name.ends_with(".yaml") || name.ends_with(".yml"))
                && std::fs::read_to_string(&p).is_ok_and(|t| declares_account(&t))
            {
                return p
                    .strip_prefix(dir)
                    .map(Path::to_path_buf)
                    .map_err(|e| Failure::msg(e.to_string()));
            }
        }
    }
    Err(Failure::msg(format!(
        "{}: no file declares `kind: Account`",
        dir.display()
    )))
}

fn declares_account(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.split('#').next().unwrap_or("").trim_end();
        l.strip_prefix("kind:")
            .is_some_and(|k| k.trim() == "Account")
    })
}

/// Prints the unified diff of every file that would change; returns how many.
fn print_diff(out: &Path, imported: &Imported) -> Result<usize, Failure> {
    let mut changed = 0;
    for (rel, new) in &imported.files {
        let old = std::fs::read_to_string(out.join(rel)).unwrap_or_default();
        if &old == new {
            continue;
        }
        changed += 1;
        let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
        print!(
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("a/{rel}"), &format!("b/{rel}"))
        );
    }
    Ok(changed)
}

fn write_files(out: &Path, imported: &Imported) -> Result<(), Failure> {
    for (rel, text) in &imported.files {
        let p = out.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Failure::msg(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&p, text)
            .map_err(|e| Failure::msg(format!("cannot write {}: {e}", p.display())))?;
    }
    Ok(())
}

/// Plans the written folder against the account with no LastApplied and records the
/// plan's next LastApplied: roster now manages what the manifests name. Changes the plan
/// still proposes (an old invitation to resend, a policy to enforce) are listed.
async fn record_last_applied(out: &Path, state: &Path, store: &dyn Store) -> Result<(), Failure> {
    let manifests = session::load(out)?;
    for desired in manifests.accounts.values() {
        let provider = session::open_provider(desired, state)?;
        let (observed, _) =
            crate::reconcile::observe_only(desired, provider.as_ref(), store).await?;
        let empty = crate::model::LastApplied::default();
        let opts = crate::plan::PlanOptions::default();
        let p = crate::plan::plan(desired, &observed, &empty, observed.observed_at, &opts);
        let name = &desired.account.name;
        let lease = store
            .acquire(name, "roster import", std::time::Duration::from_secs(60))
            .await?;
        let saved = store.save_last_applied(&lease, &p.next_last_applied).await;
        store.release(&lease).await?;
        saved?;
        for c in &p.changes {
            eprintln!(
                "note: the first plan still proposes {} {}: {}",
                c.action, c.target, c.reason
            );
        }
    }
    Ok(())
}
