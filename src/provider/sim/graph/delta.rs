//! Delta queries over a mailbox's change log: Graph's `…/delta` with `$skiptoken` pages
//! and a `$deltatoken` at the end, `@removed` rows for what left the scope, and delta
//! links that expire ([`super::DELTA_TTL_DAYS`], or `expire-cursor`: 410).
//!
//! Tokens (opaque to clients): `$skiptoken=EPOCH.FROM.TO.OFFSET` (`FROM` is `i` for the
//! initial round, which lists what the scope holds now) and `$deltatoken=EPOCH.SEQ.ISSUED`
//! (`ISSUED` in Unix seconds of the simulator clock). The initial round answers an empty
//! first page with a `nextLink`, as Graph does while it builds the sync state, so clients
//! must follow links through empty pages.

use super::{GraphError, GraphMailbox};
use crate::model::Timestamp;
use serde::{Deserialize, Serialize};

/// What a delta query covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// The folder hierarchy (`contactFolders/delta`).
    Folders,
    /// The contacts of one folder (by id).
    Contacts(String),
}

/// One row of a delta page: an item changed (or is there, on the initial round), or
/// left the scope (`@removed`). Ids are the immutable ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeltaRow {
    /// Listed with its properties.
    Changed(String),
    /// Listed as `{"@removed": {"reason": "deleted"}, "id": …}`.
    Removed(String),
}

/// One page, and the link that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaPage {
    /// The rows.
    pub rows: Vec<DeltaRow>,
    /// `Ok(skiptoken)`: an `@odata.nextLink`; `Err(deltatoken)`: the `@odata.deltaLink`.
    pub next: Result<String, String>,
}

/// How a delta request continues: from nothing, a page, or a delta link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaFrom<'a> {
    /// No token: the initial round.
    Start,
    /// `$skiptoken`.
    Skip(&'a str),
    /// `$deltatoken`.
    Delta(&'a str),
}

fn malformed() -> GraphError {
    GraphError::BadRequest("The delta token or skip token is malformed.".into())
}

impl GraphMailbox {
    fn in_scope(&self, scope: &Scope, id: &str) -> bool {
        match scope {
            Scope::Folders => self.folders.iter().any(|f| f.id == id),
            Scope::Contacts(folder) => self
                .contacts
                .iter()
                .any(|c| c.id == id && c.folder_id() == folder),
        }
    }

    fn rows(&self, scope: &Scope, from: Option<u64>, to: u64) -> Vec<DeltaRow> {
        let Some(from) = from else {
            return match scope {
                Scope::Folders => self
                    .folders
                    .iter()
                    .map(|f| DeltaRow::Changed(f.id.clone()))
                    .collect(),
                Scope::Contacts(folder) => self
                    .contacts
                    .iter()
                    .filter(|c| c.folder_id() == folder)
                    .map(|c| DeltaRow::Changed(c.id.clone()))
                    .collect(),
            };
        };
        let mut seen: Vec<&str> = Vec::new();
        for c in &self.changes {
            if c.seq > from && c.seq <= to && c.scope == *scope && !seen.contains(&c.item.as_str())
            {
                seen.push(&c.item);
            }
        }
        seen.into_iter()
            .map(|id| match self.in_scope(scope, id) {
                true => DeltaRow::Changed(id.to_string()),
                false => DeltaRow::Removed(id.to_string()),
            })
            .collect()
    }

    /// One page of a delta query over `scope`, `page` rows at most.
    pub fn delta(
        &self,
        scope: &Scope,
        from: DeltaFrom<'_>,
        page: usize,
        now: Timestamp,
    ) -> Result<DeltaPage, GraphError> {
        let page = page.max(1);
        let (from, to, offset) = match from {
            DeltaFrom::Start => {
                return Ok(DeltaPage {
                    rows: Vec::new(),
                    next: Ok(format!("{}.i.{}.0", self.epoch, self.seq)),
                });
            }
            DeltaFrom::Delta(t) => {
                let [epoch, seq, issued] = parts(t)?;
                let age = now.timestamp() - issued as i64;
                if epoch != self.epoch || age > super::DELTA_TTL_DAYS * 86_400 {
                    return Err(GraphError::Gone);
                }
                (Some(seq), self.seq, 0)
            }
            DeltaFrom::Skip(t) => {
                let mut p = t.split('.');
                let (Some(e), Some(f), Some(to), Some(o), None) =
                    (p.next(), p.next(), p.next(), p.next(), p.next())
                else {
                    return Err(malformed());
                };
                let num = |s: &str| s.parse::<u64>().map_err(|_| malformed());
                if num(e)? != self.epoch {
                    return Err(GraphError::Gone);
                }
                let from = if f == "i" { None } else { Some(num(f)?) };
                (from, num(to)?, num(o)? as usize)
            }
        };
        let rows = self.rows(scope, from, to);
        let end = (offset + page).min(rows.len());
        let next = if end < rows.len() {
            let f = from.map_or("i".to_string(), |f| f.to_string());
            Ok(format!("{}.{f}.{to}.{end}", self.epoch))
        } else {
            Err(format!("{}.{to}.{}", self.epoch, now.timestamp()))
        };
        Ok(DeltaPage {
            rows: rows.get(offset.min(end)..end).unwrap_or_default().to_vec(),
            next,
        })
    }
}

fn parts(t: &str) -> Result<[u64; 3], GraphError> {
    let v: Vec<u64> = t
        .split('.')
        .map(|s| s.parse::<u64>().map_err(|_| malformed()))
        .collect::<Result<_, _>>()?;
    <[u64; 3]>::try_from(v).map_err(|_| malformed())
}
