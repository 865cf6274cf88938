//! `roster audit [DIR] [--since DATE] [--format csv|json]` (issue 16, part 5): every
//! change roster applied, failed, left uncertain or recorded as manual, from the journal,
//! with run id, time, actor, action, target, rule and outcome: the CSV an auditor asks for.

use super::report::Failure;
use crate::session;
use crate::store::{JournalEntry, Outcome, Store};
use std::path::Path;

/// Output format of `roster audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// One row per change, with a header (RFC 4180).
    Csv,
    /// One JSON array of objects.
    Json,
}

/// The columns, in order.
const COLUMNS: [&str; 10] = [
    "time", "run", "actor", "account", "change", "action", "target", "rule", "outcome", "message",
];

/// Prints the journal of every account of `dir` since `since`.
pub async fn run(
    state: &Path,
    store_url: Option<&str>,
    dir: &Path,
    since: Option<crate::model::Timestamp>,
    format: AuditFormat,
) -> Result<u8, Failure> {
    let manifests = session::load(dir)?;
    let store = session::open_store(state, store_url).await?;
    let mut rows = Vec::new();
    for name in manifests.accounts.keys() {
        rows.extend(entries(store.as_ref(), name, since).await?);
    }
    rows.sort_by(|a, b| (a.1.at, &a.1.run_id).cmp(&(b.1.at, &b.1.run_id)));
    let text = match format {
        AuditFormat::Csv => csv_text(&rows)?,
        AuditFormat::Json => json_text(&rows)?,
    };
    print!("{text}");
    Ok(0)
}

/// The account's rows that say what became of a change (a row still `started` is a run
/// in flight, or one a later run has not closed yet: it is listed too, as such).
async fn entries(
    store: &dyn Store,
    account: &str,
    since: Option<crate::model::Timestamp>,
) -> Result<Vec<(String, JournalEntry)>, Failure> {
    Ok(store
        .journal(account)
        .await?
        .into_iter()
        .filter(|j| since.is_none_or(|s| j.at >= s))
        .filter(|j| j.outcome != Outcome::Skipped || j.message.is_some())
        .map(|j| (account.to_string(), j))
        .collect())
}

/// One row's cells, in [`COLUMNS`] order.
fn cells(account: &str, j: &JournalEntry) -> [String; 10] {
    [
        j.at.to_rfc3339(),
        j.run_id.clone(),
        j.actor.clone(),
        account.to_string(),
        j.change_id.to_string(),
        j.action.to_string(),
        j.target.to_string(),
        j.rule.map(|r| r.to_string()).unwrap_or_default(),
        j.outcome.as_str().to_string(),
        j.message.clone().unwrap_or_default(),
    ]
}

fn csv_text(rows: &[(String, JournalEntry)]) -> Result<String, Failure> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let bad = |e: csv::Error| Failure::msg(format!("cannot write the audit CSV: {e}"));
    w.write_record(COLUMNS).map_err(bad)?;
    for (account, j) in rows {
        w.write_record(cells(account, j)).map_err(bad)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Failure::msg(format!("cannot write the audit CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Failure::msg(e.to_string()))
}

fn json_text(rows: &[(String, JournalEntry)]) -> Result<String, Failure> {
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|(account, j)| {
            let m: serde_json::Map<String, serde_json::Value> = COLUMNS
                .iter()
                .zip(cells(account, j))
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
                .collect();
            serde_json::Value::Object(m)
        })
        .collect();
    serde_json::to_string_pretty(&list)
        .map(|t| t + "\n")
        .map_err(|e| Failure::msg(format!("cannot encode the audit: {e}")))
}
