//! What the daemon knows about itself, for `/status` (JSON), `/` (a small page),
//! `/readyz` and the gauges of `/metrics`.

use super::metrics::Metrics;
use super::trigger::Trigger;
use super::worker::Wake;
use crate::apply::NotApplied;
use crate::model::Timestamp;
use crate::plan::{Plan, Sign};
use serde::Serialize;
use std::collections::BTreeMap;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunResult {
    /// The account matches the manifests: nothing to do.
    InSync,
    /// Every planned change was applied.
    Applied,
    /// `--dry-run`: the plan has changes, none applied.
    Drift,
    /// Some changes failed or were not attempted (retried with backoff).
    Partial,
    /// The plan breaks account rules: nothing applied (retried with backoff).
    Blocked,
    /// The run could not observe or apply (provider, store, lock); retried with backoff.
    Error,
    /// Shutdown stopped the apply; changes in flight finished and were journaled.
    Interrupted,
}

impl RunResult {
    /// The snake_case name (metrics label).
    pub fn as_str(self) -> &'static str {
        match self {
            RunResult::InSync => "in_sync",
            RunResult::Applied => "applied",
            RunResult::Drift => "drift",
            RunResult::Partial => "partial",
            RunResult::Blocked => "blocked",
            RunResult::Error => "error",
            RunResult::Interrupted => "interrupted",
        }
    }

    /// The run did what it could; no retry needed.
    pub fn is_ok(self) -> bool {
        match self {
            RunResult::InSync | RunResult::Applied | RunResult::Drift | RunResult::Interrupted => {
                true
            }
            RunResult::Partial | RunResult::Blocked | RunResult::Error => false,
        }
    }
}

/// Counts of a plan, as in its summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    /// Changes that add (`+`).
    pub add: usize,
    /// Changes that change or resend (`~`, `>`).
    pub change: usize,
    /// Changes that remove (`-`).
    pub remove: usize,
    /// Changes waiting on someone else (a pending user accepting, …).
    pub waiting: usize,
    /// Warnings.
    pub warnings: usize,
    /// Rule breaches (block the plan).
    pub errors: usize,
    /// Users in the account that no manifest declares.
    pub unmanaged: usize,
}

impl PlanSummary {
    /// Counts `plan`.
    pub fn of(plan: &Plan) -> PlanSummary {
        let mut s = PlanSummary {
            waiting: plan.waiting.len(),
            warnings: plan.warnings.len(),
            errors: plan.errors.len(),
            unmanaged: plan.unmanaged.len(),
            ..PlanSummary::default()
        };
        for c in &plan.changes {
            match c.action.sign() {
                Sign::Add => s.add += 1,
                Sign::Change | Sign::Resend => s.change += 1,
                Sign::Remove => s.remove += 1,
            }
        }
        s
    }
}

/// One finished run.
#[derive(Debug, Clone, Serialize)]
pub struct RunStatus {
    /// When it started.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Timestamp,
    /// How long it took.
    pub duration_ms: u64,
    /// What woke it.
    pub triggers: Vec<Trigger>,
    /// How it ended.
    pub result: RunResult,
    /// The plan's counts (absent when the account could not be observed).
    pub plan: Option<PlanSummary>,
    /// The planned changes, `action target: reason` (at most 100).
    pub changes: Vec<String>,
    /// What went wrong: rule breaches, provider or store errors.
    pub errors: Vec<String>,
    /// Changes applied.
    pub applied: usize,
    /// Changes the provider refused.
    pub failed: Vec<NotApplied>,
    /// Changes not attempted.
    pub not_attempted: Vec<NotApplied>,
}

/// The next time the worker wakes on its own.
#[derive(Debug, Clone, Serialize)]
pub struct NextRun {
    /// When (wall clock).
    pub at: Timestamp,
    /// `schedule`, `due` or `retry`.
    pub reason: &'static str,
}

/// A time-based event the daemon waits for.
#[derive(Debug, Clone, Serialize)]
pub struct DueStatus {
    /// When on the provider's clock (the simulator's clock moves only when told).
    pub provider_at: Timestamp,
    /// What happens then.
    pub what: String,
}

/// One account.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AccountStatus {
    /// The provider's account id (matches webhooks' `payload.account_id`).
    pub provider_account_id: Option<String>,
    /// Observed at least once since the daemon started.
    pub observed: bool,
    /// A run is in flight.
    pub running: bool,
    /// Runs since the daemon started.
    pub runs: u64,
    /// Failed runs in a row.
    pub consecutive_failures: u32,
    /// When the last successful run ended.
    pub last_success_at: Option<Timestamp>,
    /// The next time the worker wakes on its own.
    pub next_run: Option<NextRun>,
    /// The next time-based event.
    pub due: Option<DueStatus>,
    /// The last finished run.
    pub last_run: Option<RunStatus>,
    /// A previous process stopped with changes in flight (journal rows left `started`).
    pub interrupted_before: Option<String>,
}

/// The manifest folder.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ManifestStatus {
    /// The folder as given.
    pub dir: String,
    /// Where it resolves now (git-sync swaps a symlink).
    pub resolved: Option<String>,
    /// The last load succeeded (else the last good revision is in force).
    pub ok: bool,
    /// Loads so far.
    pub loads: u64,
    /// When the last load ran.
    pub last_load_at: Option<Timestamp>,
    /// When the last good revision was loaded.
    pub last_good_at: Option<Timestamp>,
    /// Why the last load failed: the desired state in force is the last good one.
    pub error: Option<LoadError>,
}

/// A revision that failed to load.
#[derive(Debug, Clone, Serialize)]
pub struct LoadError {
    /// When.
    pub at: Timestamp,
    /// Summary.
    pub message: String,
    /// Every diagnostic, `file:line:column: error[rule]: message`.
    pub diagnostics: Vec<String>,
}

/// Everything `/status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// roster's version.
    pub version: &'static str,
    /// `apply` or `dry-run`.
    pub mode: &'static str,
    /// When the daemon started.
    pub started_at: Timestamp,
    /// Ready: a good revision is loaded and every account was observed.
    pub ready: bool,
    /// Shutting down.
    pub stopping: bool,
    /// The manifests.
    pub manifests: ManifestStatus,
    /// Accounts by name.
    pub accounts: BTreeMap<String, AccountStatus>,
}

/// Status and metrics, behind one lock.
#[derive(Debug, Clone)]
pub struct Board {
    /// What `/status` shows.
    pub status: Status,
    /// What `/metrics` shows.
    pub metrics: Metrics,
}

impl Board {
    /// A board for a daemon that just started.
    pub fn new(dir: &str, dry_run: bool, now: Timestamp) -> Board {
        Board {
            status: Status {
                version: env!("CARGO_PKG_VERSION"),
                mode: if dry_run { "dry-run" } else { "apply" },
                started_at: now,
                ready: false,
                stopping: false,
                manifests: ManifestStatus {
                    dir: dir.to_string(),
                    ..ManifestStatus::default()
                },
                accounts: BTreeMap::new(),
            },
            metrics: Metrics::default(),
        }
    }

    /// The account's entry (created on first use).
    pub fn account(&mut self, name: &str) -> &mut AccountStatus {
        self.status.accounts.entry(name.to_string()).or_default()
    }

    /// Forgets an account no longer declared.
    pub fn remove_account(&mut self, name: &str) {
        self.status.accounts.remove(name);
        self.metrics.forget(name);
        self.update_ready();
    }

    /// Sets when the worker wakes next.
    pub fn scheduled(&mut self, name: &str, next: Option<(Timestamp, Wake)>) {
        self.account(name).next_run = next.map(|(at, why)| NextRun {
            at,
            reason: match why {
                Wake::Schedule => "schedule",
                Wake::Due => "due",
                Wake::Retry => "retry",
            },
        });
    }

    /// Re-computes readiness: a good revision, every account observed, not stopping.
    pub fn update_ready(&mut self) {
        let s = &self.status;
        let ready = !s.stopping
            && s.manifests.last_good_at.is_some()
            && s.accounts.values().all(|a| a.observed);
        self.status.ready = ready;
        self.metrics.set_ready(ready);
    }

    /// Why the daemon is not ready, or `None` when it is.
    pub fn not_ready_reason(&self) -> Option<String> {
        let s = &self.status;
        if s.stopping {
            return Some("shutting down".into());
        }
        if s.manifests.last_good_at.is_none() {
            return Some(match &s.manifests.error {
                Some(e) => format!("no manifest revision has loaded yet: {}", e.message),
                None => "the manifests have not been loaded yet".into(),
            });
        }
        let waiting: Vec<&str> = s
            .accounts
            .iter()
            .filter(|(_, a)| !a.observed)
            .map(|(n, _)| n.as_str())
            .collect();
        if waiting.is_empty() {
            None
        } else {
            Some(format!("not observed yet: {}", waiting.join(", ")))
        }
    }
}

/// The status page: the same facts as `/status`, for people.
pub fn html(s: &Status) -> String {
    let mut out = String::new();
    out.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    out.push_str("<meta http-equiv=\"refresh\" content=\"10\">\n<title>roster daemon</title>\n");
    out.push_str("<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}.bad{color:#b00}.good{color:#070}code,pre{font:12px ui-monospace,monospace}</style>\n");
    out.push_str("</head><body>\n");
    out.push_str(&format!(
        "<h1>roster daemon</h1>\n<p>version {} · mode <b>{}</b> · started {} · <span class=\"{}\">{}</span></p>\n",
        esc(s.version),
        esc(s.mode),
        s.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        if s.ready { "good" } else { "bad" },
        if s.stopping {
            "stopping"
        } else if s.ready {
            "ready"
        } else {
            "not ready"
        }
    ));
    let m = &s.manifests;
    out.push_str(&format!(
        "<h2>Manifests</h2>\n<p><code>{}</code>{} · {} load(s) · last good {}</p>\n",
        esc(&m.dir),
        m.resolved
            .as_ref()
            .map(|r| format!(" → <code>{}</code>", esc(r)))
            .unwrap_or_default(),
        m.loads,
        m.last_good_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| "never".into())
    ));
    if let Some(e) = &m.error {
        out.push_str(&format!(
            "<p class=\"bad\">The last revision failed to load at {}; the last good one stays in force: {}</p>\n<pre>{}</pre>\n",
            e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            esc(&e.message),
            esc(&e.diagnostics.join("\n"))
        ));
    }
    out.push_str("<h2>Accounts</h2>\n<table><tr><th>account</th><th>last run</th><th>result</th><th>plan</th><th>errors</th><th>next run</th></tr>\n");
    for (name, a) in &s.accounts {
        let (when, result, plan, errors) = match &a.last_run {
            Some(r) => (
                format!(
                    "{} ({} ms)",
                    r.finished_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    r.duration_ms
                ),
                format!(
                    "<span class=\"{}\">{}</span>",
                    if r.result.is_ok() { "good" } else { "bad" },
                    r.result.as_str()
                ),
                r.plan
                    .as_ref()
                    .map(|p| {
                        format!(
                            "+{} ~{} -{} · {} waiting · {} unmanaged",
                            p.add, p.change, p.remove, p.waiting, p.unmanaged
                        )
                    })
                    .unwrap_or_default(),
                esc(&r.errors.join("\n")).replace('\n', "<br>"),
            ),
            None => (
                if a.running { "running…" } else { "—" }.to_string(),
                String::new(),
                String::new(),
                String::new(),
            ),
        };
        let next = a
            .next_run
            .as_ref()
            .map(|n| {
                format!(
                    "{} ({})",
                    n.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    n.reason
                )
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "<tr><td>{}</td><td>{when}</td><td>{result}</td><td>{plan}</td><td>{errors}</td><td>{next}</td></tr>\n",
            esc(name)
        ));
    }
    out.push_str("</table>\n<p><a href=\"/status\">/status</a> · <a href=\"/metrics\">/metrics</a> · <a href=\"/readyz\">/readyz</a></p>\n</body></html>\n");
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_needs_a_good_revision_and_every_account_observed() {
        let now: Timestamp = "2026-11-01T09:00:00Z".parse().expect("t");
        let mut b = Board::new("m", false, now);
        b.update_ready();
        assert!(!b.status.ready);
        b.status.manifests.last_good_at = Some(now);
        b.account("acme");
        b.update_ready();
        assert_eq!(
            b.not_ready_reason().as_deref(),
            Some("not observed yet: acme")
        );
        b.account("acme").observed = true;
        b.update_ready();
        assert!(b.status.ready && b.not_ready_reason().is_none());
        b.status.stopping = true;
        b.update_ready();
        assert!(!b.status.ready);
    }

    #[test]
    fn the_page_escapes_what_came_from_outside() {
        let now: Timestamp = "2026-11-01T09:00:00Z".parse().expect("t");
        let mut b = Board::new("<dir>", true, now);
        b.status.manifests.error = Some(LoadError {
            at: now,
            message: "1 error(s)".into(),
            diagnostics: vec!["a.yaml:1:1: error[manifest]: <script>".into()],
        });
        let page = html(&b.status);
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
        assert!(page.contains("&lt;dir&gt;"));
    }
}
