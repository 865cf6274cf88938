//! The store conformance suite: the same test functions run against SQLite and
//! PostgreSQL, each on a fresh store (a temporary folder; a `roster_test_<random>`
//! database created for the test and dropped after it).
//!
//! PostgreSQL is found through `ROSTER_TEST_POSTGRES` (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`). Unset, the PostgreSQL variants print a
//! notice and pass, except under `CI=true`, where unset or unreachable fails them.

use super::postgres::{PgStore, tls};
use super::sqlite::SqliteStore;
use super::{JournalRecord, Lease, Outcome, Store, StoreError};
use crate::model::{
    Action, ChangeId, Email, LastApplied, ObjectRef, Op, RoleName, Timestamp, UserSpec,
};
use std::sync::Arc;
use std::time::Duration;

const TTL: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh store of one backend; [`Fixture::open`] gives another handle onto it, as
/// another process would have.
enum Fixture {
    Sqlite(tempfile::TempDir),
    Postgres(TestDb),
}

/// A database made for one test, dropped (with its connections) when the test ends,
/// passed or not.
struct TestDb {
    admin: String,
    name: String,
    url: String,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `admin` with its database name replaced by `name`.
fn with_dbname(admin: &str, name: &str) -> String {
    let (base, query) = admin.split_once('?').unwrap_or((admin, ""));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{name}{query}", &base[..host_end])
}

async fn admin_client(url: &str) -> Result<tokio_postgres::Client, String> {
    let t = tls::parse(url).map_err(|e| e.to_string())?;
    let (client, conn) = t.config.connect(t.tls).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    Ok(client)
}

impl TestDb {
    async fn create() -> Option<TestDb> {
        let Ok(admin) = std::env::var("ROSTER_TEST_POSTGRES") else {
            assert!(
                !in_ci(),
                "CI=true but ROSTER_TEST_POSTGRES is unset: the PostgreSQL store tests must run in CI"
            );
            eprintln!(
                "note: ROSTER_TEST_POSTGRES is unset; skipping the PostgreSQL variant of this store test"
            );
            return None;
        };
        let client = match admin_client(&admin).await {
            Ok(c) => c,
            Err(e) => panic!("ROSTER_TEST_POSTGRES is set but PostgreSQL is unreachable: {e}"),
        };
        let name = format!("roster_test_{:016x}", fastrand::u64(..));
        if let Err(e) = client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
        {
            panic!("cannot create the test database {name}: {e}");
        }
        let url = with_dbname(&admin, &name);
        Some(TestDb { admin, name, url })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Its own thread and runtime: Drop cannot await, and the test's runtime may be
        // shutting down.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let c = admin_client(&admin).await?;
                c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("note: could not drop the test database {}", self.name);
        }
    }
}

impl Fixture {
    async fn new(backend: Backend) -> Option<Fixture> {
        match backend {
            Backend::Sqlite => Some(Fixture::Sqlite(tempfile::tempdir().expect("tempdir"))),
            Backend::Postgres => TestDb::create().await.map(Fixture::Postgres),
        }
    }

    async fn open(&self) -> Arc<dyn Store> {
        match self {
            Fixture::Sqlite(dir) => Arc::new(SqliteStore::open(dir.path()).expect("sqlite")),
            Fixture::Postgres(db) => Arc::new(PgStore::connect(&db.url).await.expect("postgres")),
        }
    }

    /// Makes the account's lease expire, as time passing would, without waiting.
    async fn expire(&self, account: &str) {
        match self {
            Fixture::Sqlite(dir) => {
                let c = rusqlite::Connection::open(dir.path().join("roster.db")).expect("raw");
                let past = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
                c.execute(
                    "UPDATE leases SET expires_at = ?1 WHERE account = ?2",
                    rusqlite::params![past, account],
                )
                .expect("expire");
            }
            Fixture::Postgres(db) => {
                let c = admin_client(&db.url).await.expect("connect");
                c.execute(
                    "UPDATE leases SET expires_at = now() - interval '1 second' WHERE account = $1",
                    &[&account],
                )
                .await
                .expect("expire");
            }
        }
    }
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

fn change(n: &str) -> (ChangeId, Op) {
    let user = email(&format!("{n}@acme.com"));
    let id = ChangeId::new(Action::DeactivateUser, ObjectRef::User(user.clone()));
    (id, Op::DeactivateUser { email: user })
}

fn record<'a>(id: &'a ChangeId, op: &'a Op) -> JournalRecord<'a> {
    JournalRecord {
        change_id: id,
        action: id.action,
        target: &id.target,
        op,
        rule: Some(crate::model::Rule::U13),
    }
}

fn is_lost<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::LeaseLost(_)))
}

async fn acquire_renew_release(f: &Fixture) {
    let store = f.open().await;
    let a = store.acquire("acme", "replica a", TTL).await.expect("a");
    match store.acquire("acme", "replica b", TTL).await {
        Err(StoreError::Locked {
            account, holder, ..
        }) => {
            assert_eq!(account, "acme");
            assert!(holder.contains("replica a"), "{holder}");
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    let message = store
        .acquire("acme", "replica b", TTL)
        .await
        .expect_err("held")
        .to_string();
    assert!(
        message.starts_with("account `acme` is locked by replica a"),
        "{message}"
    );
    store.renew(&a, TTL).await.expect("renew");
    store
        .acquire("globex", "replica b", TTL)
        .await
        .expect("leases are per account");
    store.release(&a).await.expect("release");
    assert!(
        is_lost(store.renew(&a, TTL).await),
        "a released lease is gone"
    );
    let b = store.acquire("acme", "replica b", TTL).await.expect("b");
    assert!(b.token > a.token, "{} then {}", a.token, b.token);
}

async fn takeover_after_expiry_increments_the_token(f: &Fixture) {
    let (one, two) = (f.open().await, f.open().await);
    let old = one.acquire("acme", "old", TTL).await.expect("old");
    f.expire("acme").await;
    let new = two.acquire("acme", "new", TTL).await.expect("takeover");
    assert_eq!(new.token, old.token + 1);
    assert!(is_lost(one.renew(&old, TTL).await), "renewing a lost lease");
    f.expire("acme").await;
    let third = one.acquire("acme", "third", TTL).await.expect("again");
    assert_eq!(third.token, new.token + 1, "every takeover adds one");
}

async fn a_stale_token_is_fenced(f: &Fixture) {
    let (one, two) = (f.open().await, f.open().await);
    let old = one.acquire("acme", "old", TTL).await.expect("old");
    let (id, op) = change("a");
    one.journal_start(&old, "r1", &record(&id, &op))
        .await
        .expect("start while held");
    f.expire("acme").await;
    let new = two.acquire("acme", "new", TTL).await.expect("takeover");
    let mut last = LastApplied::default();
    last.groups.insert("eng".into(), None);
    assert!(is_lost(one.save_last_applied(&old, &last).await));
    let (id2, op2) = change("b");
    assert!(is_lost(
        one.journal_start(&old, "r1", &record(&id2, &op2)).await
    ));
    assert!(is_lost(
        one.journal_finish(&old, "r1", &id, Outcome::Done, None)
            .await
    ));
    assert!(is_lost(
        one.record_manual(&old, &record(&id2, &op2), &["step".into()])
            .await
    ));
    let journal = two.journal("acme").await.expect("journal");
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(journal[0].outcome, Outcome::Started);
    assert_eq!(
        two.load_last_applied("acme").await.expect("load"),
        LastApplied::default(),
        "nothing of the old holder's got through"
    );
    two.save_last_applied(&new, &last)
        .await
        .expect("new writes");
    two.journal_finish(&new, "r1", &id, Outcome::Failed, Some("closed"))
        .await
        .expect("the new holder closes the old row");
}

async fn contention_has_exactly_one_winner(f: &Fixture) {
    let (one, two) = (f.open().await, f.open().await);
    for i in 0..50 {
        let account = format!("acct{i}");
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let race = |store: Arc<dyn Store>, who: &'static str| {
            let (account, barrier) = (account.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.acquire(&account, who, TTL).await
            })
        };
        let a = race(one.clone(), "a");
        let b = race(two.clone(), "b");
        let results = [a.await.expect("join"), b.await.expect("join")];
        let won: Vec<&Lease> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        let locked = results
            .iter()
            .filter(|r| matches!(r, Err(StoreError::Locked { .. })))
            .count();
        assert_eq!((won.len(), locked), (1, 1), "round {i}: {results:?}");
        assert_eq!(won[0].token, 1, "round {i}: a first lease");
    }
}

async fn last_applied_round_trips(f: &Fixture) {
    let store = f.open().await;
    let lease = store.acquire("acme", "t", TTL).await.expect("lease");
    let mut last = LastApplied::default();
    last.users.insert(
        email("a@acme.com"),
        UserSpec {
            job_title: Some(String::new()),
            department: Some("R&D \"quoted\" ünïcode".into()),
            role: Some(RoleName::Custom("Helpdesk".into())),
            ..UserSpec::default()
        },
    );
    last.users
        .insert(email("bare@acme.com"), UserSpec::default());
    last.groups.insert("eng".into(), Some("Engineering".into()));
    last.chat_groups.insert("general".into(), None);
    last.roles
        .insert("Helpdesk".into(), ["role:edit".to_string()].into());
    last.organization = Some("Acme Group".into());
    last.external_contacts
        .insert(email("a@acme.com"), [email("b@partner.com")].into());
    last.personal_contacts
        .insert(email("a@acme.com"), ["Clients".to_string()].into());
    let sent: Timestamp = "2026-10-01T09:00:00.123456789Z".parse().expect("time");
    last.invitations.insert(email("p@acme.com"), sent);
    store.save_last_applied(&lease, &last).await.expect("save");
    let other = f.open().await;
    assert_eq!(
        other.load_last_applied("acme").await.expect("load"),
        last,
        "every kind, empty and absent distinct, send times to the nanosecond"
    );
    assert_eq!(
        other.load_last_applied("globex").await.expect("load"),
        LastApplied::default()
    );
    let mut smaller = LastApplied::default();
    smaller.groups.insert("eng".into(), None);
    store
        .save_last_applied(&lease, &smaller)
        .await
        .expect("save");
    assert_eq!(
        other.load_last_applied("acme").await.expect("load"),
        smaller,
        "a save replaces"
    );
}

async fn journal_rows_are_written_ahead_and_finished(f: &Fixture) {
    let store = f.open().await;
    let lease = store.acquire("acme", "t", TTL).await.expect("lease");
    let (a, op_a) = change("a");
    let (b, op_b) = change("b");
    store
        .journal_start(&lease, "r1", &record(&a, &op_a))
        .await
        .expect("start a");
    store
        .journal_start(&lease, "r1", &record(&b, &op_b))
        .await
        .expect("start b");
    store
        .journal_finish(&lease, "r1", &a, Outcome::Done, None)
        .await
        .expect("finish a");
    store
        .journal_finish(&lease, "r1", &b, Outcome::Failed, Some("No licences left"))
        .await
        .expect("finish b");
    let (c, _) = change("never");
    assert!(
        store
            .journal_finish(&lease, "r1", &c, Outcome::Done, None)
            .await
            .is_err(),
        "finishing a change never started"
    );
    let j = f.open().await.journal("acme").await.expect("journal");
    let rows: Vec<_> = j
        .iter()
        .map(|e| {
            (
                e.run_id.as_str(),
                e.change_id.clone(),
                e.outcome,
                e.message.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("r1", a.clone(), Outcome::Done, None),
            ("r1", b, Outcome::Failed, Some("No licences left")),
        ]
    );
    assert_eq!((j[0].action, &j[0].target), (a.action, &a.target));
    // The audit trail: who sent it (the lease holder) and the rule behind it.
    assert_eq!(j[0].actor, format!("t on host {}", super::hostname()));
    assert_eq!(j[0].rule, Some(crate::model::Rule::U13));
    assert!(store.journal("globex").await.expect("journal").is_empty());
}

async fn manual_changes_are_recorded_once_and_confirmed(f: &Fixture) {
    let store = f.open().await;
    let lease = store.acquire("acme", "t", TTL).await.expect("lease");
    let (id, op) = change("m");
    let steps = vec!["Open the portal".to_string()];
    for _ in 0..2 {
        store
            .record_manual(&lease, &record(&id, &op), &steps)
            .await
            .expect("record");
    }
    let m = store.manual_changes("acme").await.expect("list");
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(
        (&m[0].op, &m[0].steps, m[0].confirmed_at),
        (&op, &steps, None)
    );
    assert!(store.confirm_manual("acme", &id).await.expect("confirm"));
    assert!(!store.confirm_manual("acme", &id).await.expect("again"));
    let m = store.manual_changes("acme").await.expect("list");
    assert!(m[0].confirmed_at.is_some());
}

async fn sync_state_and_credentials_are_fenced_per_scope(f: &Fixture) {
    let (one, two) = (f.open().await, f.open().await);
    let scope = "acme/integration/alice@acme.com";
    assert_eq!(one.load_sync_state(scope).await.expect("empty"), None);
    let old = one.acquire(scope, "old", TTL).await.expect("old");
    one.save_sync_state(&old, r#"{"pairs":1}"#)
        .await
        .expect("saved");
    one.save_credential(&old, &[1, 2, 0, 255])
        .await
        .expect("sealed");
    assert_eq!(
        two.load_sync_state(scope).await.expect("load").as_deref(),
        Some(r#"{"pairs":1}"#)
    );
    assert_eq!(
        two.load_credential(scope).await.expect("load"),
        Some(vec![1, 2, 0, 255])
    );
    assert_eq!(
        two.load_sync_state("acme/integration/bob@acme.com")
            .await
            .expect("other"),
        None
    );
    f.expire(scope).await;
    let new = two.acquire(scope, "new", TTL).await.expect("takeover");
    assert!(is_lost(one.save_sync_state(&old, r#"{"pairs":2}"#).await));
    assert!(is_lost(one.save_credential(&old, &[9]).await));
    two.save_sync_state(&new, r#"{"pairs":3}"#)
        .await
        .expect("new holder");
    assert_eq!(
        one.load_sync_state(scope).await.expect("load").as_deref(),
        Some(r#"{"pairs":3}"#),
        "the stale holder's write never landed"
    );
    assert_eq!(
        one.load_credential(scope).await.expect("load"),
        Some(vec![1, 2, 0, 255])
    );
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(f) = super::Fixture::new(super::Backend::Sqlite).await {
                        super::$name(&f).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(f) = super::Fixture::new(super::Backend::Postgres).await {
                        super::$name(&f).await;
                    }
                }
            )*
        }
    };
}

conformance!(
    acquire_renew_release,
    takeover_after_expiry_increments_the_token,
    a_stale_token_is_fenced,
    contention_has_exactly_one_winner,
    last_applied_round_trips,
    journal_rows_are_written_ahead_and_finished,
    manual_changes_are_recorded_once_and_confirmed,
    sync_state_and_credentials_are_fenced_per_scope,
);

#[test]
fn the_test_database_replaces_the_admin_url_s() {
    assert_eq!(
        with_dbname("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_dbname("postgres://u@h?sslmode=disable", "t1"),
        "postgres://u@h/t1?sslmode=disable"
    );
}
