//! PostgreSQL store (`--store postgres://…`): the store several replicas share, with the
//! same tables and semantics as [`super::sqlite`] (held to them by the conformance
//! suite), through `tokio-postgres` and a `deadpool-postgres` pool.
//!
//! Leases (issue 14): one row per account `(account, holder, token, acquired_at,
//! expires_at, released)`, taken with a single `INSERT … ON CONFLICT DO UPDATE … WHERE
//! released OR expires_at < now() RETURNING token` on the database's clock, so replicas
//! with skewed clocks agree on expiry and exactly one of two racing acquirers gets a row
//! back; each takeover adds one to the token. Every write that takes a [`Lease`] reads the
//! lease row `FOR SHARE` in its own transaction and refuses to go on if the token moved
//! (fencing): a takeover's update waits for such a write to commit, or the write sees the
//! new token. No advisory locks: they break behind PgBouncer and carry no token.

pub(crate) mod tls;

pub use tls::redact;

use super::codec::{self, Row};
use super::{
    JournalEntry, JournalRecord, Lease, ManualChange, Outcome, Store, StoreError, hostname,
};
use crate::model::{Action, ChangeId, Email, LastApplied, ObjectRef, Observed, Rule, Timestamp};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use serde_json::Value;
use std::time::Duration;

/// Ordered migrations; `schema_version` holds how many ran (as in SQLite). The first is
/// the SQLite schema after its own migrations, in PostgreSQL's types.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE observed (
    account     text PRIMARY KEY,
    observed_at timestamptz NOT NULL,
    snapshot    jsonb NOT NULL
);
CREATE TABLE last_applied (
    account text NOT NULL,
    object  text NOT NULL,
    field   text NOT NULL,
    value   jsonb NOT NULL,
    PRIMARY KEY (account, object, field)
);
-- sent_at as RFC 3339 text: timestamptz keeps microseconds, and a send time must read
-- back exactly as the provider reported it.
CREATE TABLE invitations (
    account text NOT NULL,
    email   text NOT NULL,
    sent_at text NOT NULL,
    PRIMARY KEY (account, email)
);
CREATE TABLE journal (
    id        bigserial PRIMARY KEY,
    account   text NOT NULL,
    run_id    text NOT NULL,
    change_id text NOT NULL,
    action    text NOT NULL,
    target    text NOT NULL,
    op        jsonb NOT NULL,
    outcome   text NOT NULL,
    message   text,
    at        timestamptz NOT NULL,
    token     bigint NOT NULL
);
CREATE INDEX journal_run ON journal (account, run_id, change_id);
CREATE TABLE leases (
    account     text PRIMARY KEY,
    holder      text NOT NULL,
    token       bigint NOT NULL,
    acquired_at timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    released    boolean NOT NULL DEFAULT false
);
CREATE TABLE manual_changes (
    id           bigserial,
    account      text NOT NULL,
    change_id    text NOT NULL,
    target       text NOT NULL,
    op           jsonb NOT NULL,
    steps        jsonb NOT NULL,
    recorded_at  timestamptz NOT NULL,
    confirmed_at timestamptz,
    PRIMARY KEY (account, change_id, recorded_at)
);
"#,
    // The audit trail (`roster audit`): who sent each change, and the rule behind it.
    r#"
ALTER TABLE journal ADD COLUMN actor text NOT NULL DEFAULT '';
ALTER TABLE journal ADD COLUMN rule text;
"#,
    // Contact sync (K4): one row per integration scope with its status table and cursors,
    // and the sealed newest refresh token (never in clear).
    r#"
CREATE TABLE sync_state (
    scope      text PRIMARY KEY,
    state      text NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE credentials (
    scope      text PRIMARY KEY,
    sealed     bytea NOT NULL,
    updated_at timestamptz NOT NULL
);
"#,
];

/// Connections per process: one apply's journal writes are sequential per change, and
/// the renew task needs one of its own.
const POOL_SIZE: usize = 4;
/// How long a caller waits for a connection (from the pool, or a new one).
const POOL_TIMEOUT: Duration = Duration::from_secs(10);

/// The shared PostgreSQL store.
pub struct PgStore {
    pool: Pool,
}

fn pg(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(d) => StoreError::Db(format!("PostgreSQL: {} ({})", d.message(), d.code().code())),
        None => StoreError::Db(format!("PostgreSQL: {e}")),
    }
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Db(format!("cannot encode for the store: {e}"))
}

fn parse_time(s: &str) -> Result<Timestamp, StoreError> {
    s.parse()
        .map_err(|e| StoreError::Db(format!("bad timestamp `{s}` in the store: {e}")))
}

fn parsed<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.parse()
        .map_err(|e| StoreError::Db(format!("stored {what} `{s}` is unreadable: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(v)
        .map_err(|e| StoreError::Db(format!("stored {what} is unreadable: {e}")))
}

fn secs(ttl: Duration) -> f64 {
    ttl.as_secs_f64()
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host/db?sslmode=…`) and runs the migrations.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let target = tls::parse(url)?;
        let manager = Manager::from_config(
            target.config,
            target.tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Db(format!("--store {}: {e}", redact(url))))?;
        let store = PgStore { pool };
        let mut client = store.client().await.map_err(|e| match e {
            StoreError::Db(m) => StoreError::Db(format!("--store {}: {m}", redact(url))),
            other => other,
        })?;
        migrate(&mut client).await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => pg(e),
            other => StoreError::Db(format!("PostgreSQL: {other}")),
        })
    }

    /// A write transaction that holds `lease` (fencing): the lease row is read `FOR
    /// SHARE`, so a takeover waits for this transaction, and the write is refused when the
    /// token moved or the lease was released.
    async fn fenced<'c>(
        client: &'c mut deadpool_postgres::Client,
        lease: &Lease,
    ) -> Result<deadpool_postgres::Transaction<'c>, StoreError> {
        let tx = client.transaction().await.map_err(pg)?;
        let row = tx
            .query_opt(
                "SELECT token, released FROM leases WHERE account = $1 FOR SHARE",
                &[&lease.account],
            )
            .await
            .map_err(pg)?;
        match row.map(|r| (r.get::<_, i64>(0), r.get::<_, bool>(1))) {
            Some((token, false)) if token == lease.token => Ok(tx),
            Some(_) | None => Err(StoreError::LeaseLost(lease.account.clone())),
        }
    }
}

/// Runs the migrations not yet run, one process at a time (the version table is locked).
async fn migrate(client: &mut deadpool_postgres::Client) -> Result<(), StoreError> {
    let create = "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)";
    // Two first opens at once may both try to create the table: the loser's error is
    // a unique violation on the catalogue, or "type already exists" (42710, the table's
    // row type, seen by the contention test); the table exists then.
    if let Err(e) = client.batch_execute(create).await {
        let raced = e.code().is_some_and(|c| {
            *c == tokio_postgres::error::SqlState::UNIQUE_VIOLATION
                || *c == tokio_postgres::error::SqlState::DUPLICATE_TABLE
                || *c == tokio_postgres::error::SqlState::DUPLICATE_OBJECT
        });
        if !raced {
            return Err(pg(e));
        }
    }
    let tx = client.transaction().await.map_err(pg)?;
    tx.batch_execute("LOCK TABLE schema_version IN SHARE ROW EXCLUSIVE MODE")
        .await
        .map_err(pg)?;
    let version: i32 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await
        .map_err(pg)?
        .get(0);
    let supported = MIGRATIONS.len() as i64;
    if i64::from(version) > supported {
        return Err(StoreError::TooNew {
            found: i64::from(version),
            supported,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.batch_execute(sql).await.map_err(pg)?;
        tx.execute("DELETE FROM schema_version", &[])
            .await
            .map_err(pg)?;
        let v = i32::try_from(i + 1).unwrap_or(i32::MAX);
        tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&v])
            .await
            .map_err(pg)?;
    }
    tx.commit().await.map_err(pg)
}

#[async_trait]
impl Store for PgStore {
    async fn load_observed(&self, account: &str) -> Result<Option<Observed>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT snapshot FROM observed WHERE account = $1",
                &[&account],
            )
            .await
            .map_err(pg)?;
        row.map(|r| from_json(r.get(0), "observation")).transpose()
    }

    async fn save_observed(&self, account: &str, observed: &Observed) -> Result<(), StoreError> {
        let snapshot = serde_json::to_value(observed).map_err(json_err)?;
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO observed (account, observed_at, snapshot) VALUES ($1, $2, $3)
                 ON CONFLICT (account) DO UPDATE SET observed_at = excluded.observed_at, snapshot = excluded.snapshot",
                &[&account, &observed.observed_at, &snapshot],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn load_last_applied(&self, account: &str) -> Result<LastApplied, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT object, field, value FROM last_applied WHERE account = $1",
                &[&account],
            )
            .await
            .map_err(pg)?;
        let mut decoded = Vec::with_capacity(rows.len());
        for r in rows {
            decoded.push(Row {
                object: parsed::<ObjectRef>(r.get(0), "object")?,
                field: r.get(1),
                value: r.get(2),
            });
        }
        let mut last = codec::decode(decoded)?;
        let rows = client
            .query(
                "SELECT email, sent_at FROM invitations WHERE account = $1",
                &[&account],
            )
            .await
            .map_err(pg)?;
        for r in rows {
            let email: &str = r.get(0);
            let email = Email::parse(email)
                .map_err(|e| StoreError::Db(format!("stored invitation {email}: {e}")))?;
            last.invitations.insert(email, parse_time(r.get(1))?);
        }
        Ok(last)
    }

    async fn save_last_applied(&self, lease: &Lease, last: &LastApplied) -> Result<(), StoreError> {
        let rows = codec::encode(last)?;
        let objects: Vec<String> = rows.iter().map(|r| r.object.to_string()).collect();
        let fields: Vec<&str> = rows.iter().map(|r| r.field.as_str()).collect();
        let values: Vec<&Value> = rows.iter().map(|r| &r.value).collect();
        let emails: Vec<&str> = last.invitations.keys().map(Email::as_str).collect();
        let sent: Vec<String> = last.invitations.values().map(|t| t.to_rfc3339()).collect();
        let mut client = self.client().await?;
        let tx = Self::fenced(&mut client, lease).await?;
        let account = &lease.account;
        tx.execute("DELETE FROM last_applied WHERE account = $1", &[account])
            .await
            .map_err(pg)?;
        tx.execute("DELETE FROM invitations WHERE account = $1", &[account])
            .await
            .map_err(pg)?;
        // One statement per table, however many rows (a 10k-user account has ~100k).
        tx.execute(
            "INSERT INTO last_applied (account, object, field, value)
             SELECT $1, o, f, v FROM UNNEST($2::text[], $3::text[], $4::jsonb[]) AS t(o, f, v)",
            &[account, &objects, &fields, &values],
        )
        .await
        .map_err(pg)?;
        tx.execute(
            "INSERT INTO invitations (account, email, sent_at)
             SELECT $1, e, s FROM UNNEST($2::text[], $3::text[]) AS t(e, s)",
            &[account, &emails, &sent],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn journal_start(
        &self,
        lease: &Lease,
        run_id: &str,
        record: &JournalRecord<'_>,
    ) -> Result<(), StoreError> {
        let op = serde_json::to_value(record.op).map_err(json_err)?;
        let (change_id, target) = (record.change_id.to_string(), record.target.to_string());
        let actor = super::actor(lease);
        let mut client = self.client().await?;
        let tx = Self::fenced(&mut client, lease).await?;
        tx.execute(
            "INSERT INTO journal (account, run_id, change_id, action, target, op, outcome, message, at, token, actor, rule)
             VALUES ($1, $2, $3, $4, $5, $6, 'started', NULL, now(), $7, $8, $9)",
            &[&lease.account, &run_id, &change_id, &record.action.as_str(), &target, &op, &lease.token, &actor, &record.rule.map(|r| r.to_string())],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn journal_finish(
        &self,
        lease: &Lease,
        run_id: &str,
        change_id: &ChangeId,
        outcome: Outcome,
        message: Option<&str>,
    ) -> Result<(), StoreError> {
        let change_id = change_id.to_string();
        let mut client = self.client().await?;
        let tx = Self::fenced(&mut client, lease).await?;
        let n = tx
            .execute(
                "UPDATE journal SET outcome = $1, message = $2, at = now()
                 WHERE account = $3 AND run_id = $4 AND change_id = $5",
                &[
                    &outcome.as_str(),
                    &message,
                    &lease.account,
                    &run_id,
                    &change_id,
                ],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StoreError::Db(format!(
                "journal: change {change_id} of run {run_id} was never started"
            )));
        }
        tx.commit().await.map_err(pg)
    }

    async fn journal(&self, account: &str) -> Result<Vec<JournalEntry>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT run_id, change_id, action, target, outcome, message, at, actor, rule FROM journal WHERE account = $1 ORDER BY id",
                &[&account],
            )
            .await
            .map_err(pg)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let action: &str = r.get(2);
            let outcome: &str = r.get(4);
            out.push(JournalEntry {
                run_id: r.get(0),
                change_id: parsed(r.get(1), "change id")?,
                action: Action::parse(action)
                    .ok_or_else(|| StoreError::Db(format!("unknown journal action `{action}`")))?,
                target: parsed(r.get(3), "target")?,
                outcome: Outcome::parse(outcome).ok_or_else(|| {
                    StoreError::Db(format!("unknown journal outcome `{outcome}`"))
                })?,
                message: r.get(5),
                at: r.get(6),
                actor: r.get(7),
                rule: r
                    .get::<_, Option<String>>(8)
                    .map(|s| {
                        Rule::parse(&s)
                            .ok_or_else(|| StoreError::Db(format!("unknown journal rule `{s}`")))
                    })
                    .transpose()?,
            });
        }
        Ok(out)
    }

    async fn record_manual(
        &self,
        lease: &Lease,
        record: &JournalRecord<'_>,
        steps: &[String],
    ) -> Result<(), StoreError> {
        let op = serde_json::to_value(record.op).map_err(json_err)?;
        let steps = serde_json::to_value(steps).map_err(json_err)?;
        let (change_id, target) = (record.change_id.to_string(), record.target.to_string());
        let mut client = self.client().await?;
        let tx = Self::fenced(&mut client, lease).await?;
        tx.execute(
            "INSERT INTO manual_changes (account, change_id, target, op, steps, recorded_at)
             SELECT $1, $2, $3, $4, $5, now()
             WHERE NOT EXISTS (SELECT 1 FROM manual_changes WHERE account = $1 AND change_id = $2 AND confirmed_at IS NULL)",
            &[&lease.account, &change_id, &target, &op, &steps],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn manual_changes(&self, account: &str) -> Result<Vec<ManualChange>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT change_id, target, op, steps, recorded_at, confirmed_at FROM manual_changes WHERE account = $1 ORDER BY recorded_at, id",
                &[&account],
            )
            .await
            .map_err(pg)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(ManualChange {
                change_id: parsed(r.get(0), "change id")?,
                target: parsed(r.get(1), "target")?,
                op: from_json(r.get(2), "manual change")?,
                steps: from_json(r.get(3), "manual steps")?,
                recorded_at: r.get(4),
                confirmed_at: r.get(5),
            });
        }
        Ok(out)
    }

    async fn confirm_manual(
        &self,
        account: &str,
        change_id: &ChangeId,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE manual_changes SET confirmed_at = now() WHERE account = $1 AND change_id = $2 AND confirmed_at IS NULL",
                &[&account, &change_id.to_string()],
            )
            .await
            .map_err(pg)?;
        Ok(n > 0)
    }

    async fn load_sync_state(&self, scope: &str) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt("SELECT state FROM sync_state WHERE scope = $1", &[&scope])
            .await
            .map_err(pg)?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn save_sync_state(&self, lease: &Lease, state: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = Self::fenced(&mut client, lease).await?;
        tx.execute(
            "INSERT INTO sync_state (scope, state, updated_at) VALUES ($1, $2, now())
             ON CONFLICT (scope) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            &[&lease.account, &state],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn load_credential(&self, scope: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt("SELECT sealed FROM credentials WHERE scope = $1", &[&scope])
            .await
            .map_err(pg)?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn save_credential(&self, lease: &Lease, sealed: &[u8]) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = Self::fenced(&mut client, lease).await?;
        tx.execute(
            "INSERT INTO credentials (scope, sealed, updated_at) VALUES ($1, $2, now())
             ON CONFLICT (scope) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
            &[&lease.account, &sealed],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn acquire(
        &self,
        account: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Lease, StoreError> {
        let named = format!("{holder} on host {}", hostname());
        let client = self.client().await?;
        // A row that is free when read back was released between the two statements:
        // try again (bounded), so the caller is told "locked" only about a live lease.
        for _ in 0..3 {
            let taken = client
                .query_opt(
                    "INSERT INTO leases AS lease (account, holder, token, acquired_at, expires_at, released)
                     VALUES ($1, $2, 1, now(), now() + make_interval(secs => $3), false)
                     ON CONFLICT (account) DO UPDATE
                       SET holder = excluded.holder, token = lease.token + 1, acquired_at = now(),
                           expires_at = excluded.expires_at, released = false
                       WHERE lease.released OR lease.expires_at < now()
                     RETURNING token",
                    &[&account, &named, &secs(ttl)],
                )
                .await
                .map_err(pg)?;
            if let Some(row) = taken {
                return Ok(Lease {
                    account: account.to_string(),
                    holder: holder.to_string(),
                    token: row.get(0),
                });
            }
            let held = client
                .query_opt(
                    "SELECT holder, acquired_at FROM leases
                     WHERE account = $1 AND NOT released AND expires_at >= now()",
                    &[&account],
                )
                .await
                .map_err(pg)?;
            if let Some(r) = held {
                return Err(StoreError::Locked {
                    account: account.to_string(),
                    holder: r.get(0),
                    since: r.get(1),
                });
            }
        }
        Err(StoreError::Db(format!(
            "the lease of account `{account}` changed hands three times while it was being taken; try again"
        )))
    }

    async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<(), StoreError> {
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE leases SET expires_at = now() + make_interval(secs => $3)
                 WHERE account = $1 AND token = $2 AND NOT released",
                &[&lease.account, &lease.token, &secs(ttl)],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StoreError::LeaseLost(lease.account.clone()));
        }
        Ok(())
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE leases SET released = true WHERE account = $1 AND token = $2",
                &[&lease.account, &lease.token],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }
}
