//! SQLite store (the embedded default): one file, `<state>/roster.db`.
//!
//! Tables: `observed` (one JSON snapshot per account), `last_applied` (one row per
//! account, object and field: `user/alice@acme.com` × `jobTitle`), `invitations` (send
//! times), `journal` (write-ahead rows per change), `leases` (one per account, with a
//! monotonic fencing token) and `schema_version`.
//!
//! The PostgreSQL store ([`super::postgres`]) keeps the same tables and semantics; here a
//! lease is taken inside SQLite's `BEGIN IMMEDIATE` (one writer at a time), and the
//! fencing check is a read of the lease row in the same transaction as each write.

use super::codec::{self, Row};
use super::{
    JournalEntry, JournalRecord, Lease, ManualChange, Outcome, Store, StoreError, hostname,
};
use crate::model::{Action, ChangeId, Email, LastApplied, ObjectRef, Observed, Rule, Timestamp};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::sync::Mutex;

/// Ordered migrations; `schema_version` holds how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE observed (
    account     TEXT PRIMARY KEY,
    observed_at TEXT NOT NULL,
    snapshot    TEXT NOT NULL
);
CREATE TABLE last_applied (
    account TEXT NOT NULL,
    object  TEXT NOT NULL,
    field   TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (account, object, field)
);
CREATE TABLE invitations (
    account TEXT NOT NULL,
    email   TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (account, email)
);
CREATE TABLE journal (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account    TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    change_id  TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    op         TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    message    TEXT,
    at         TEXT NOT NULL,
    token      INTEGER NOT NULL
);
CREATE INDEX journal_run ON journal (account, run_id, change_id);
CREATE TABLE leases (
    account     TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    host        TEXT NOT NULL,
    token       INTEGER NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    released    INTEGER NOT NULL DEFAULT 0
);
"#,
    r#"
CREATE TABLE manual_changes (
    account      TEXT NOT NULL,
    change_id    TEXT NOT NULL,
    target       TEXT NOT NULL,
    op           TEXT NOT NULL,
    steps        TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    confirmed_at TEXT,
    PRIMARY KEY (account, change_id, recorded_at)
);
"#,
    // One key scheme (model::ObjectRef) for every LastApplied row: the organization's
    // `organization/_` row and the per-user lists of external contacts and personal
    // contact groups become one row per object.
    r#"
INSERT OR REPLACE INTO last_applied (account, object, field, value)
  SELECT account, 'organization/' || json_extract(value, '$'), 'managed', 'true'
  FROM last_applied WHERE object = 'organization/_';
DELETE FROM last_applied WHERE object = 'organization/_';
INSERT OR REPLACE INTO last_applied (account, object, field, value)
  SELECT l.account, 'contact/' || substr(l.object, 19) || '/' || j.value, 'managed', 'true'
  FROM last_applied l, json_each(l.value) j WHERE l.object LIKE 'external\_contacts/%' ESCAPE '\';
DELETE FROM last_applied WHERE object LIKE 'external\_contacts/%' ESCAPE '\';
INSERT OR REPLACE INTO last_applied (account, object, field, value)
  SELECT l.account, 'contacts/' || substr(l.object, 19) || '/' || j.value, 'managed', 'true'
  FROM last_applied l, json_each(l.value) j WHERE l.object LIKE 'personal\_contacts/%' ESCAPE '\';
DELETE FROM last_applied WHERE object LIKE 'personal\_contacts/%' ESCAPE '\';
"#,
    // The audit trail (`roster audit`): who sent each change, and the rule behind it.
    r#"
ALTER TABLE journal ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE journal ADD COLUMN rule TEXT;
"#,
    // Contact sync (K4): one row per integration scope with its status table and cursors,
    // and the sealed newest refresh token (never in clear).
    r#"
CREATE TABLE sync_state (
    scope      TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE credentials (
    scope      TEXT PRIMARY KEY,
    sealed     BLOB NOT NULL,
    updated_at TEXT NOT NULL
);
"#,
];

/// The embedded SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn db(e: impl std::fmt::Display) -> StoreError {
    StoreError::Db(e.to_string())
}

fn pid_alive(pid: i64) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true // Unknown elsewhere: rely on lease expiry.
    }
}

fn parse_time(s: &str) -> Result<Timestamp, StoreError> {
    s.parse()
        .map_err(|e| db(format!("bad timestamp `{s}` in the store: {e}")))
}

impl SqliteStore {
    /// Opens (creating if needed) `<state_dir>/roster.db` and runs the migrations.
    pub fn open(state_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(state_dir)
            .map_err(|e| db(format!("cannot create {}: {e}", state_dir.display())))?;
        let conn = Connection::open(state_dir.join("roster.db")).map_err(db)?;
        Self::init(conn)
    }

    /// An in-memory store, for tests.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        Self::init(Connection::open_in_memory().map_err(db)?)
    }

    fn init(mut conn: Connection) -> Result<SqliteStore, StoreError> {
        use backon::BlockingRetryable;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
        // Two processes opening a new state folder at once both switch it to WAL and
        // migrate it: the one that finds the database busy tries again, so neither says
        // "database is locked" (issue 19).
        (|| -> Result<(), rusqlite::Error> {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")
        })
        .retry(busy_policy())
        .sleep(std::thread::sleep)
        .when(is_busy)
        .call()
        .map_err(db)?;
        (|| migrate(&mut conn))
            .retry(busy_policy())
            .sleep(std::thread::sleep)
            .when(|e| matches!(e, Busy::Yes(_)))
            .call()
            .map_err(Busy::into_error)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| db("the store's connection lock was poisoned"))?;
        f(&mut guard)
    }

    /// Writes a lease row directly, as another process would have: tests of stale locks.
    #[cfg(test)]
    fn put_lease(
        &self,
        account: &str,
        pid: i64,
        host: &str,
        token: i64,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO leases (account, holder, pid, host, token, acquired_at, expires_at, released) VALUES (?1, 'other', ?2, ?3, ?4, ?5, ?6, 0)",
                params![account, pid, host, token, chrono::Utc::now().to_rfc3339(), expires_at.to_rfc3339()],
            )
            .map_err(db)?;
            Ok(())
        })
    }
}

/// How long one statement waits for another process's write to end.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Further attempts when the database stays busy past [`BUSY_TIMEOUT`].
fn busy_policy() -> backon::ExponentialBuilder {
    backon::ExponentialBuilder::default()
        .with_min_delay(std::time::Duration::from_millis(50))
        .with_jitter()
        .with_max_times(6)
}

/// SQLite's "database is locked" (another connection writes).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A store error that may be SQLite's busy answer, worth another attempt.
enum Busy {
    /// The database was busy.
    Yes(rusqlite::Error),
    /// Anything else.
    No(StoreError),
}

impl Busy {
    fn into_error(self) -> StoreError {
        match self {
            Busy::Yes(e) => db(e),
            Busy::No(e) => e,
        }
    }
}

impl From<rusqlite::Error> for Busy {
    fn from(e: rusqlite::Error) -> Busy {
        if is_busy(&e) {
            Busy::Yes(e)
        } else {
            Busy::No(db(e))
        }
    }
}

impl From<StoreError> for Busy {
    fn from(e: StoreError) -> Busy {
        Busy::No(e)
    }
}

fn migrate(conn: &mut Connection) -> Result<(), Busy> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
        [],
    )
    .map_err(Busy::from)?;
    let version: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )
        .map_err(Busy::from)?;
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(Busy::No(StoreError::TooNew {
            found: version,
            supported,
        }));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql).map_err(Busy::from)?;
        tx.execute("DELETE FROM schema_version", [])
            .map_err(Busy::from)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            params![i as i64 + 1],
        )
        .map_err(Busy::from)?;
    }
    Ok(tx.commit()?)
}

/// The [`StoreError::Locked`] of a lease another live process holds on `account`, if any:
/// a released or expired lease, or one whose process is gone (same host), is free.
fn lease_holder(
    c: &Connection,
    account: &str,
    now: Timestamp,
    host: &str,
) -> Result<Option<StoreError>, StoreError> {
    let row: Option<(String, i64, String, String, String, i64)> = c
        .query_row(
            "SELECT holder, pid, host, acquired_at, expires_at, released FROM leases WHERE account = ?1",
            params![account],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()
        .map_err(db)?;
    let Some((h, p, ho, acquired, exp, released)) = row else {
        return Ok(None);
    };
    let free = released != 0 || parse_time(&exp)? < now || (ho == host && !pid_alive(p));
    if free {
        return Ok(None);
    }
    // `roster apply` names its pid in the holder already.
    let holder = if h.contains(&format!("pid {p}")) {
        format!("{h} on host {ho}")
    } else {
        format!("{h} on host {ho} (pid {p})")
    };
    Ok(Some(StoreError::Locked {
        account: account.to_string(),
        holder,
        since: parse_time(&acquired)?,
    }))
}

/// Takes the lease inside the granted write transaction `tx`, unless a live holder has it.
fn take_lease(
    tx: rusqlite::Transaction<'_>,
    account: &str,
    holder: &str,
    pid: i64,
    host: &str,
    now: Timestamp,
    expires: Timestamp,
) -> Result<Lease, StoreError> {
    if let Some(held) = lease_holder(&tx, account, now, host)? {
        return Err(held);
    }
    let token: i64 = tx
        .query_row(
            "SELECT token FROM leases WHERE account = ?1",
            params![account],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?
        .map_or(1, |t: i64| t + 1);
    tx.execute(
        "INSERT INTO leases (account, holder, pid, host, token, acquired_at, expires_at, released) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)
         ON CONFLICT(account) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host, token = excluded.token,
           acquired_at = excluded.acquired_at, expires_at = excluded.expires_at, released = 0",
        params![account, holder, pid, host, token, now.to_rfc3339(), expires.to_rfc3339()],
    )
    .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok(Lease {
        account: account.to_string(),
        holder: holder.to_string(),
        token,
    })
}

/// The error of a write lock not granted: who holds the lease when SQLite was busy.
fn busy_lease(
    c: &Connection,
    account: &str,
    now: Timestamp,
    host: &str,
    e: rusqlite::Error,
) -> StoreError {
    if !is_busy(&e) {
        return db(e);
    }
    match lease_holder(c, account, now, host) {
        Ok(Some(held)) => held,
        Ok(None) | Err(_) => db(e),
    }
}

/// Fencing: the account's current lease must still be `lease`.
fn check_lease(tx: &rusqlite::Transaction<'_>, lease: &Lease) -> Result<(), StoreError> {
    let row: Option<(i64, i64)> = tx
        .query_row(
            "SELECT token, released FROM leases WHERE account = ?1",
            params![lease.account],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db)?;
    match row {
        Some((token, 0)) if token == lease.token => Ok(()),
        Some(_) | None => Err(StoreError::LeaseLost(lease.account.clone())),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn load_observed(&self, account: &str) -> Result<Option<Observed>, StoreError> {
        self.with(|c| {
            let text: Option<String> = c
                .query_row(
                    "SELECT snapshot FROM observed WHERE account = ?1",
                    params![account],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            text.map(|t| {
                serde_json::from_str(&t)
                    .map_err(|e| db(format!("stored observation is unreadable: {e}")))
            })
            .transpose()
        })
    }

    async fn save_observed(&self, account: &str, observed: &Observed) -> Result<(), StoreError> {
        let text = serde_json::to_string(observed).map_err(db)?;
        self.with(|c| {
            c.execute(
                "INSERT INTO observed (account, observed_at, snapshot) VALUES (?1, ?2, ?3)
                 ON CONFLICT(account) DO UPDATE SET observed_at = excluded.observed_at, snapshot = excluded.snapshot",
                params![account, observed.observed_at.to_rfc3339(), text],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    async fn load_last_applied(&self, account: &str) -> Result<LastApplied, StoreError> {
        self.with(|c| {
            let mut stmt = c
                .prepare("SELECT object, field, value FROM last_applied WHERE account = ?1")
                .map_err(db)?;
            let rows = stmt
                .query_map(params![account], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(db)?;
            let mut decoded = Vec::new();
            for row in rows {
                let (object, field, value) = row.map_err(db)?;
                let value = serde_json::from_str(&value)
                    .map_err(|e| db(format!("{object}.{field}: {e}")))?;
                let object: ObjectRef = object.parse().map_err(db)?;
                decoded.push(Row {
                    object,
                    field,
                    value,
                });
            }
            let mut last = codec::decode(decoded)?;
            let mut stmt = c
                .prepare("SELECT email, sent_at FROM invitations WHERE account = ?1")
                .map_err(db)?;
            let rows = stmt
                .query_map(params![account], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(db)?;
            for row in rows {
                let (email, sent) = row.map_err(db)?;
                let email =
                    Email::parse(&email).map_err(|e| db(format!("invitation {email}: {e}")))?;
                last.invitations.insert(email, parse_time(&sent)?);
            }
            Ok(last)
        })
    }

    async fn save_last_applied(&self, lease: &Lease, last: &LastApplied) -> Result<(), StoreError> {
        let rows = codec::encode(last)?;
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            check_lease(&tx, lease)?;
            let account = &lease.account;
            tx.execute("DELETE FROM last_applied WHERE account = ?1", params![account]).map_err(db)?;
            tx.execute("DELETE FROM invitations WHERE account = ?1", params![account]).map_err(db)?;
            {
                let mut ins = tx.prepare("INSERT INTO last_applied (account, object, field, value) VALUES (?1, ?2, ?3, ?4)").map_err(db)?;
                for r in &rows {
                    ins.execute(params![account, r.object.to_string(), r.field, r.value.to_string()]).map_err(db)?;
                }
                let mut inv = tx.prepare("INSERT INTO invitations (account, email, sent_at) VALUES (?1, ?2, ?3)").map_err(db)?;
                for (email, sent) in &last.invitations {
                    inv.execute(params![account, email.as_str(), sent.to_rfc3339()]).map_err(db)?;
                }
            }
            tx.commit().map_err(db)
        })
    }

    async fn journal_start(
        &self,
        lease: &Lease,
        run_id: &str,
        record: &JournalRecord<'_>,
    ) -> Result<(), StoreError> {
        let op = serde_json::to_string(record.op).map_err(db)?;
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            check_lease(&tx, lease)?;
            tx.execute(
                "INSERT INTO journal (account, run_id, change_id, action, target, op, outcome, message, at, token, actor, rule)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'started', NULL, ?7, ?8, ?9, ?10)",
                params![lease.account, run_id, record.change_id.to_string(), record.action.as_str(), record.target.to_string(), op, chrono::Utc::now().to_rfc3339(), lease.token, super::actor(lease), record.rule.map(|r| r.to_string())],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
    }

    async fn journal_finish(
        &self,
        lease: &Lease,
        run_id: &str,
        change_id: &ChangeId,
        outcome: Outcome,
        message: Option<&str>,
    ) -> Result<(), StoreError> {
        let outcome = outcome.as_str();
        let change_id = change_id.to_string();
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            check_lease(&tx, lease)?;
            let n = tx
                .execute(
                    "UPDATE journal SET outcome = ?1, message = ?2, at = ?3 WHERE account = ?4 AND run_id = ?5 AND change_id = ?6",
                    params![outcome, message, chrono::Utc::now().to_rfc3339(), lease.account, run_id, change_id],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(db(format!("journal: change {change_id} of run {run_id} was never started")));
            }
            tx.commit().map_err(db)
        })
    }

    async fn record_manual(
        &self,
        lease: &Lease,
        record: &JournalRecord<'_>,
        steps: &[String],
    ) -> Result<(), StoreError> {
        let op = serde_json::to_string(record.op).map_err(db)?;
        let (change_id, target) = (record.change_id.to_string(), record.target.to_string());
        let steps = serde_json::to_string(steps).map_err(db)?;
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            check_lease(&tx, lease)?;
            let pending: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM manual_changes WHERE account = ?1 AND change_id = ?2 AND confirmed_at IS NULL",
                    params![lease.account, change_id],
                    |r| r.get(0),
                )
                .map_err(db)?;
            if pending == 0 {
                tx.execute(
                    "INSERT INTO manual_changes (account, change_id, target, op, steps, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![lease.account, change_id, target, op, steps, chrono::Utc::now().to_rfc3339()],
                )
                .map_err(db)?;
            }
            tx.commit().map_err(db)
        })
    }

    async fn manual_changes(&self, account: &str) -> Result<Vec<ManualChange>, StoreError> {
        self.with(|c| {
            let mut stmt = c
                .prepare("SELECT change_id, target, op, steps, recorded_at, confirmed_at FROM manual_changes WHERE account = ?1 ORDER BY recorded_at, rowid")
                .map_err(db)?;
            let rows = stmt
                .query_map(params![account], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?, r.get::<_, Option<String>>(5)?))
                })
                .map_err(db)?;
            let time = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&chrono::Utc)).map_err(|e| db(e.to_string()));
            let mut out = Vec::new();
            for row in rows {
                let (change_id, target, op, steps, recorded, confirmed) = row.map_err(db)?;
                out.push(ManualChange {
                    change_id: change_id.parse().map_err(db)?,
                    target: target.parse().map_err(db)?,
                    op: serde_json::from_str(&op).map_err(db)?,
                    steps: serde_json::from_str(&steps).map_err(db)?,
                    recorded_at: time(&recorded)?,
                    confirmed_at: confirmed.as_deref().map(time).transpose()?,
                });
            }
            Ok(out)
        })
    }

    async fn confirm_manual(
        &self,
        account: &str,
        change_id: &ChangeId,
    ) -> Result<bool, StoreError> {
        let change_id = change_id.to_string();
        self.with(|c| {
            let n = c
                .execute(
                    "UPDATE manual_changes SET confirmed_at = ?1 WHERE account = ?2 AND change_id = ?3 AND confirmed_at IS NULL",
                    params![chrono::Utc::now().to_rfc3339(), account, change_id],
                )
                .map_err(db)?;
            Ok(n > 0)
        })
    }

    async fn journal(&self, account: &str) -> Result<Vec<JournalEntry>, StoreError> {
        self.with(|c| {
            let mut stmt = c
                .prepare("SELECT run_id, change_id, action, target, outcome, message, at, actor, rule FROM journal WHERE account = ?1 ORDER BY id")
                .map_err(db)?;
            let rows = stmt
                .query_map(params![account], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, Option<String>>(8)?,
                    ))
                })
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (run_id, change_id, action, target, outcome, message, at, actor, rule) = row.map_err(db)?;
                let outcome = Outcome::parse(&outcome).ok_or_else(|| db(format!("unknown journal outcome `{outcome}`")))?;
                let action = Action::parse(&action).ok_or_else(|| db(format!("unknown journal action `{action}`")))?;
                out.push(JournalEntry {
                    run_id,
                    change_id: change_id.parse().map_err(db)?,
                    action,
                    target: target.parse().map_err(db)?,
                    outcome,
                    message,
                    at: parse_time(&at)?,
                    actor,
                    rule: rule.map(|r| Rule::parse(&r).ok_or_else(|| db(format!("unknown journal rule `{r}`")))).transpose()?,
                });
            }
            Ok(out)
        })
    }

    async fn load_sync_state(&self, scope: &str) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT state FROM sync_state WHERE scope = ?1",
                params![scope],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)
        })
    }

    async fn save_sync_state(&self, lease: &Lease, state: &str) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            check_lease(&tx, lease)?;
            tx.execute(
                "INSERT INTO sync_state (scope, state, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (scope) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                params![lease.account, state, chrono::Utc::now().to_rfc3339()],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
    }

    async fn load_credential(&self, scope: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT sealed FROM credentials WHERE scope = ?1",
                params![scope],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)
        })
    }

    async fn save_credential(&self, lease: &Lease, sealed: &[u8]) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            check_lease(&tx, lease)?;
            tx.execute(
                "INSERT INTO credentials (scope, sealed, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (scope) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
                params![lease.account, sealed, chrono::Utc::now().to_rfc3339()],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
    }

    async fn acquire(
        &self,
        account: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<Lease, StoreError> {
        let now = chrono::Utc::now();
        let expires = now + chrono::Duration::from_std(ttl).map_err(db)?;
        let host = hostname();
        let pid = i64::from(std::process::id());
        self.with(|c| {
            // The loser of a race learns who holds the lock from a read (never blocked under
            // WAL) before it asks for the write lock, and again if that stays busy: it is
            // told "locked by …", never "database is locked" (issue 19).
            if let Some(held) = lease_holder(c, account, now, &host)? {
                return Err(held);
            }
            let refused = match c.transaction_with_behavior(TransactionBehavior::Immediate) {
                Ok(tx) => return take_lease(tx, account, holder, pid, &host, now, expires),
                Err(e) => e,
            };
            Err(busy_lease(c, account, now, &host, refused))
        })
    }

    async fn renew(&self, lease: &Lease, ttl: std::time::Duration) -> Result<(), StoreError> {
        let expires = chrono::Utc::now() + chrono::Duration::from_std(ttl).map_err(db)?;
        self.with(|c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            check_lease(&tx, lease)?;
            tx.execute(
                "UPDATE leases SET expires_at = ?1 WHERE account = ?2",
                params![expires.to_rfc3339(), lease.account],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE leases SET released = 1 WHERE account = ?1 AND token = ?2",
                params![lease.account, lease.token],
            )
            .map_err(db)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests;
