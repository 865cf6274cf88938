//! SQLite store tests: round-trips, migrations, journal, leases and fencing.

use super::*;
use crate::model::*;
use std::time::Duration;

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

const TTL: Duration = Duration::from_secs(60);

#[tokio::test]
async fn last_applied_round_trips_per_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    let lease = store.acquire("acme", "t", TTL).await.expect("lease");
    let mut last = LastApplied::default();
    last.users.insert(
        email("a@acme.com"),
        UserSpec {
            job_title: Some(String::new()),
            department: Some("R&D".into()),
            role: Some(RoleName::Custom("Helpdesk".into())),
            ..UserSpec::default()
        },
    );
    last.users.insert(email("b@acme.com"), UserSpec::default());
    last.groups.insert("eng".into(), Some("Engineering".into()));
    last.chat_groups.insert("general".into(), None);
    last.roles
        .insert("Helpdesk".into(), ["role:edit".to_string()].into());
    last.invitations.insert(
        email("p@acme.com"),
        "2026-10-01T09:00:00Z".parse().expect("time"),
    );
    store.save_last_applied(&lease, &last).await.expect("save");
    let back = SqliteStore::open(dir.path())
        .expect("reopen")
        .load_last_applied("acme")
        .await
        .expect("load");
    assert_eq!(
        back, last,
        "empty string and absent stay distinct; users with no field are kept"
    );
}

#[tokio::test]
async fn observed_round_trips() {
    let store = SqliteStore::open_in_memory().expect("open");
    assert!(store.load_observed("acme").await.expect("load").is_none());
    let o = Observed {
        account_id: "acme".into(),
        observed_at: "2026-11-01T09:00:00Z".parse().expect("time"),
        plan: AccountPlan::Business,
        owner: email("owner@acme.com"),
        actor: email("owner@acme.com"),
        on_prem_enabled: false,
        seats: Seats {
            licensed: Some(3),
            large_meeting: None,
            webinar: Some(1),
        },
        users: Default::default(),
        groups: Default::default(),
        chat_groups: Default::default(),
        roles: Default::default(),
        expired_invitations: Default::default(),
        existing_elsewhere: Default::default(),
        unread_lookups: Default::default(),
        organization: Default::default(),
        external_contacts: None,
        personal_contacts: Default::default(),
        personal_contacts_refused: None,
        integrations: Default::default(),
        calendly: None,
    };
    store.save_observed("acme", &o).await.expect("save");
    store.save_observed("acme", &o).await.expect("save again");
    assert_eq!(store.load_observed("acme").await.expect("load"), Some(o));
}

#[test]
fn migrations_are_idempotent_and_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(SqliteStore::open(dir.path()).expect("first open"));
    drop(SqliteStore::open(dir.path()).expect("second open"));
    let conn = Connection::open(dir.path().join("roster.db")).expect("raw");
    conn.execute("UPDATE schema_version SET version = 99", [])
        .expect("bump");
    drop(conn);
    assert!(matches!(
        SqliteStore::open(dir.path()),
        Err(StoreError::TooNew { found: 99, .. })
    ));
}

#[tokio::test]
async fn journal_is_written_ahead_then_finished() {
    let store = SqliteStore::open_in_memory().expect("open");
    let lease = store.acquire("acme", "t", TTL).await.expect("lease");
    let id: ChangeId = "create_user:user/a@acme.com".parse().expect("id");
    let op = Op::CancelInvitation {
        email: email("a@acme.com"),
    };
    let record = JournalRecord {
        change_id: &id,
        action: Action::CreateUser,
        target: &id.target,
        op: &op,
        rule: None,
    };
    store
        .journal_start(&lease, "r1", &record)
        .await
        .expect("start");
    assert_eq!(
        store.journal("acme").await.expect("journal")[0].outcome,
        Outcome::Started
    );
    store
        .journal_finish(&lease, "r1", &id, Outcome::Done, None)
        .await
        .expect("finish");
    let j = store.journal("acme").await.expect("journal");
    assert_eq!((j.len(), j[0].outcome), (1, Outcome::Done));
    assert!(
        store
            .journal_finish(&lease, "r1", &other_id(), Outcome::Done, None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_held_lock_names_its_holder() {
    let store = SqliteStore::open_in_memory().expect("open");
    let _lease = store
        .acquire("acme", "roster apply", TTL)
        .await
        .expect("lease");
    match store.acquire("acme", "other", TTL).await {
        Err(StoreError::Locked { holder, .. }) => {
            assert!(
                holder.contains("roster apply") && holder.contains(&std::process::id().to_string()),
                "{holder}"
            )
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(
        store.acquire("globex", "other", TTL).await.is_ok(),
        "locks are per account"
    );
}

#[tokio::test]
async fn a_lock_left_by_a_dead_process_is_taken_over() {
    let store = SqliteStore::open_in_memory().expect("open");
    let mut child = std::process::Command::new("true").spawn().expect("spawn");
    let dead = i64::from(child.id());
    child.wait().expect("wait");
    let far = chrono::Utc::now() + chrono::Duration::hours(1);
    store
        .put_lease("acme", dead, &hostname(), 7, far)
        .expect("put");
    let lease = store.acquire("acme", "t", TTL).await.expect("takeover");
    assert_eq!(lease.token, 8);
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_the_old_holder_is_fenced() {
    let store = SqliteStore::open_in_memory().expect("open");
    let old = store.acquire("acme", "old", TTL).await.expect("lease");
    // Another host's lease that has expired.
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    store
        .put_lease("acme", 1, "elsewhere", old.token, past)
        .expect("put");
    let new = store.acquire("acme", "new", TTL).await.expect("takeover");
    assert!(new.token > old.token);
    assert!(matches!(
        store.save_last_applied(&old, &LastApplied::default()).await,
        Err(StoreError::LeaseLost(_))
    ));
    assert!(matches!(
        store.renew(&old, TTL).await,
        Err(StoreError::LeaseLost(_))
    ));
    store
        .save_last_applied(&new, &LastApplied::default())
        .await
        .expect("new holder writes");
}

#[tokio::test]
async fn tokens_never_repeat_across_release() {
    let store = SqliteStore::open_in_memory().expect("open");
    let a = store.acquire("acme", "t", TTL).await.expect("a");
    store.release(&a).await.expect("release");
    let b = store.acquire("acme", "t", TTL).await.expect("b");
    assert!(b.token > a.token);
    assert!(matches!(
        store
            .journal_finish(&a, "r", &other_id(), Outcome::Done, None)
            .await,
        Err(StoreError::LeaseLost(_))
    ));
}

fn other_id() -> ChangeId {
    "delete_group:group/never-started".parse().expect("id")
}
