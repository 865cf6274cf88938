//! `roster plan`/`apply --store postgres://…` end to end (issue 14), each test on a
//! fresh `roster_test_<random>` database. Found through `ROSTER_TEST_POSTGRES`; unset,
//! the tests print a notice and pass, except under `CI=true`, where they fail.

use crate::harness::Workspace;
use roster::store::Store;
use roster::store::postgres::PgStore;

/// A database made for one test, dropped with its connections at the end.
pub(crate) struct TestDb {
    admin: String,
    name: String,
    pub(crate) url: String,
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

async fn admin(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("ROSTER_TEST_POSTGRES is set but unreachable: {e}"));
    tokio::spawn(conn);
    client
}

impl TestDb {
    pub(crate) fn create() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("ROSTER_TEST_POSTGRES") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but ROSTER_TEST_POSTGRES is unset: the PostgreSQL tests must run in CI"
            );
            eprintln!("note: ROSTER_TEST_POSTGRES is unset; skipping this PostgreSQL test");
            return None;
        };
        let name = format!("roster_test_{:016x}", fastrand::u64(..));
        block_on(async {
            admin(&admin_url)
                .await
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create the test database")
        });
        let base = admin_url.split('?').next().unwrap_or(&admin_url);
        let host_end = base
            .rfind('/')
            .filter(|&i| i > base.find("://").map_or(0, |s| s + 2));
        let url = format!("{}/{name}", &base[..host_end.unwrap_or(base.len())]);
        Some(TestDb {
            admin: admin_url,
            name,
            url,
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        block_on(async {
            let _ = admin(&self.admin).await.batch_execute(&sql).await;
        });
    }
}

#[test]
fn apply_on_postgres_converges_and_a_second_apply_has_nothing_to_do() {
    let Some(db) = TestDb::create() else { return };
    let ws = Workspace::acme();
    let first = ws
        .run(&["apply", "--store", &db.url, "--auto-approve"])
        .expect_code(0);
    assert!(first.stdout.contains("Apply complete"), "{}", first.stdout);
    let second = ws
        .run(&["apply", "--store", &db.url, "--auto-approve"])
        .expect_code(0);
    assert!(
        second.stdout.lines().any(|l| l.starts_with("No changes.")),
        "{}",
        second.stdout
    );
    ws.run(&["plan", "--store", &db.url, "--detailed-exitcode"])
        .expect_code(0);
    let (journal, lease_free) = block_on(async {
        let store = PgStore::connect(&db.url).await.expect("store");
        let journal = store.journal("acme").await.expect("journal");
        let free = store
            .acquire("acme", "test", std::time::Duration::from_secs(30))
            .await
            .is_ok();
        (journal, free)
    });
    assert!(!journal.is_empty(), "the apply journaled in PostgreSQL");
    assert!(lease_free, "apply released its lease on a clean exit");
    assert!(
        !ws.state.join("roster.db").exists(),
        "nothing went to the SQLite file"
    );
}

#[test]
fn apply_while_another_holds_the_account_names_the_holder() {
    let Some(db) = TestDb::create() else { return };
    let ws = Workspace::acme();
    let store = block_on(async {
        let store = PgStore::connect(&db.url).await.expect("store");
        store
            .acquire(
                "acme",
                "roster daemon (pid 4242)",
                std::time::Duration::from_secs(300),
            )
            .await
            .expect("lease");
        store
    });
    let r = ws.run(&["apply", "--store", &db.url, "--auto-approve"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("account `acme` is locked by roster daemon (pid 4242) on host"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(" since "), "{}", r.stderr);
    let journal = block_on(store.journal("acme")).expect("journal");
    assert!(journal.is_empty(), "nothing was applied: {journal:?}");
}

#[test]
fn an_unknown_store_scheme_is_refused_with_the_supported_ones() {
    let ws = Workspace::acme();
    let r = ws.run(&["plan", "--store", "mysql://u:secret@h/db"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("postgres://") && !r.stderr.contains("secret"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_daemon_stands_by_while_another_holds_the_account_then_takes_it_over() {
    let Some(db) = TestDb::create() else { return };
    let ws = Workspace::acme();
    let (store, other) = block_on(async {
        let store = PgStore::connect(&db.url).await.expect("store");
        let lease = store
            .acquire("acme", "replica-0", std::time::Duration::from_secs(300))
            .await
            .expect("lease");
        (store, lease)
    });
    let d = ws.daemon(&["--store", &db.url], &[]);
    d.wait_for("standby", std::time::Duration::from_secs(20), || {
        d.status()["accounts"]["acme"]["last_run"]["result"] == "standby"
    });
    let s = d.status();
    let lease = &s["accounts"]["acme"]["lease"];
    assert_eq!(lease["this_replica"], false, "{s}");
    assert!(
        lease["holder"]
            .as_str()
            .is_some_and(|h| h.starts_with("replica-0 on host")),
        "{s}"
    );
    assert_eq!(
        d.get("/readyz"),
        (200, "ready\n".to_string()),
        "a replica that holds no lease is ready"
    );
    let metrics = d.get("/metrics").1;
    assert!(
        metrics.contains("roster_lease_standby{account=\"acme\"} 1"),
        "{metrics}"
    );
    assert!(
        block_on(store.journal("acme")).expect("journal").is_empty(),
        "nothing was applied while another held the account"
    );
    block_on(store.release(&other)).expect("release");
    d.wait_in_sync("acme");
    let s = d.status();
    assert_eq!(s["accounts"]["acme"]["lease"]["this_replica"], true, "{s}");
    assert_eq!(s["accounts"]["acme"]["takeovers"], 1, "{s}");
    let metrics = d.get("/metrics").1;
    assert!(
        metrics.contains("roster_lease_takeovers_total{account=\"acme\"} 1")
            && metrics.contains("roster_lease_standby{account=\"acme\"} 0"),
        "{metrics}"
    );
    assert!(!block_on(store.journal("acme")).expect("journal").is_empty());
}
