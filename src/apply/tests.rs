//! Apply engine tests: a scripted provider, the real SQLite store in a temp dir.

use super::*;
use crate::model::{ChangeId, Email, LastApplied, ObjectRef, Observed, UserSpec};
use crate::plan::{Action, Change, Op, Plan};
use crate::provider::{Provider, ProviderError};
use crate::store::sqlite::SqliteStore;
use async_trait::async_trait;
use std::sync::Mutex;

struct Scripted {
    fail: Vec<String>,
    calls: Mutex<Vec<String>>,
}

fn op_email(op: &Op) -> String {
    serde_json::to_value(op)
        .ok()
        .and_then(|v| v.get("email").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_default()
}

#[async_trait]
impl Provider for Scripted {
    async fn refresh(&self) -> Result<Observed, ProviderError> {
        Err(ProviderError::Config("not used".into()))
    }
    async fn lookup_emails(
        &self,
        _: &[Email],
    ) -> Result<std::collections::BTreeMap<Email, crate::model::ExistingZoomUser>, ProviderError>
    {
        Ok(Default::default())
    }
    async fn execute(&self, op: &Op) -> Result<(), ProviderError> {
        let who = op_email(op);
        self.calls
            .lock()
            .map_err(|_| ProviderError::State("poisoned".into()))?
            .push(format!("one:{who}"));
        if self.fail.contains(&who) {
            return Err(ProviderError::api(400, 2034, "No licences left"));
        }
        Ok(())
    }
    async fn execute_batch(&self, ops: &[Op]) -> Vec<Result<(), ProviderError>> {
        if let Ok(mut c) = self.calls.lock() {
            c.push(format!("batch:{}", ops.len()));
        }
        ops.iter().map(|_| Ok(())).collect()
    }
    fn calls(&self) -> u64 {
        0
    }
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

/// A change id for tests: only its uniqueness matters to apply.
fn id(n: &str) -> ChangeId {
    ChangeId::with_part(
        Action::UpdateUser,
        ObjectRef::User(email("ids@test.example")),
        n,
    )
}

fn change(n: &str, user: &str, op: Op, deps: &[&str]) -> Change {
    Change {
        id: id(n),
        action: Action::UpdateUser,
        target: ObjectRef::User(email(user)),
        reason: String::new(),
        rule: None,
        fields: Default::default(),
        depends_on: deps.iter().map(|d| id(d)).collect(),
        op,
        manual: None,
    }
}

fn update(user: &str) -> Op {
    Op::DeactivateUser { email: email(user) }
}

#[tokio::test]
async fn a_failure_skips_only_its_dependants_and_keeps_their_last_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("store");
    let lease = store
        .acquire("acme", "test", std::time::Duration::from_secs(60))
        .await
        .expect("lease");
    let mut next = LastApplied::default();
    let mut previous = LastApplied::default();
    for u in ["a@x.com", "b@x.com", "c@x.com"] {
        next.users.insert(
            email(u),
            UserSpec {
                job_title: Some("new".into()),
                ..UserSpec::default()
            },
        );
        previous.users.insert(
            email(u),
            UserSpec {
                job_title: Some("old".into()),
                ..UserSpec::default()
            },
        );
    }
    let plan = Plan {
        account: "acme".into(),
        changes: vec![
            change("1", "a@x.com", update("a@x.com"), &[]),
            change("2", "b@x.com", update("b@x.com"), &["1"]),
            change("3", "c@x.com", update("c@x.com"), &[]),
        ],
        next_last_applied: next,
        ..Plan::default()
    };
    let provider = Scripted {
        fail: vec!["a@x.com".into()],
        calls: Mutex::new(vec![]),
    };
    let report = apply(
        &plan,
        &previous,
        &provider,
        &store,
        &lease,
        "run1",
        &ApplyConfig::default(),
    )
    .await
    .expect("apply");
    assert_eq!(report.done, vec![id("3")]);
    assert_eq!(
        report
            .failed
            .iter()
            .map(|f| f.change_id.clone())
            .collect::<Vec<_>>(),
        vec![id("1")]
    );
    assert_eq!(
        report
            .skipped
            .iter()
            .map(|f| f.change_id.clone())
            .collect::<Vec<_>>(),
        vec![id("2")]
    );
    let calls = provider.calls.lock().expect("calls").clone();
    assert!(
        !calls.contains(&"one:b@x.com".to_string()),
        "a dependant of a failure is never sent"
    );
    let last = store.load_last_applied("acme").await.expect("last");
    assert_eq!(
        last.users[&email("a@x.com")].job_title.as_deref(),
        Some("old")
    );
    assert_eq!(
        last.users[&email("b@x.com")].job_title.as_deref(),
        Some("old")
    );
    assert_eq!(
        last.users[&email("c@x.com")].job_title.as_deref(),
        Some("new")
    );
    let journal = store.journal("acme").await.expect("journal");
    assert_eq!(
        journal.len(),
        2,
        "the skipped change was never started: {journal:?}"
    );
    assert!(
        journal
            .iter()
            .all(|j| j.outcome != crate::store::Outcome::Started)
    );
}

#[tokio::test]
async fn role_changes_to_one_role_are_batched_by_thirty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("store");
    let lease = store
        .acquire("acme", "test", std::time::Duration::from_secs(60))
        .await
        .expect("lease");
    let changes = (0..65)
        .map(|i| {
            let u = format!("u{i}@x.com");
            change(
                &format!("c{i}"),
                &u,
                Op::ChangeRole {
                    email: email(&u),
                    to: crate::model::RoleName::Admin,
                },
                &[],
            )
        })
        .collect();
    let plan = Plan {
        account: "acme".into(),
        changes,
        ..Plan::default()
    };
    let provider = Scripted {
        fail: vec![],
        calls: Mutex::new(vec![]),
    };
    let report = apply(
        &plan,
        &LastApplied::default(),
        &provider,
        &store,
        &lease,
        "run1",
        &ApplyConfig::default(),
    )
    .await
    .expect("apply");
    assert_eq!(report.done.len(), 65);
    let mut calls = provider.calls.lock().expect("calls").clone();
    calls.sort();
    assert_eq!(calls, vec!["batch:30", "batch:30", "batch:5"]);
}

#[tokio::test]
async fn a_plan_with_errors_applies_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("store");
    let lease = store
        .acquire("acme", "test", std::time::Duration::from_secs(60))
        .await
        .expect("lease");
    let plan = Plan {
        account: "acme".into(),
        changes: vec![change("1", "a@x.com", update("a@x.com"), &[])],
        errors: vec![crate::plan::PlanError {
            rule: crate::model::Rule::U2,
            target: ObjectRef::User(email("a@x.com")),
            message: "U2".into(),
            source: None,
        }],
        ..Plan::default()
    };
    let provider = Scripted {
        fail: vec![],
        calls: Mutex::new(vec![]),
    };
    let r = apply(
        &plan,
        &LastApplied::default(),
        &provider,
        &store,
        &lease,
        "run1",
        &ApplyConfig::default(),
    )
    .await;
    assert!(matches!(r, Err(ApplyError::PlanHasErrors(1))));
    assert!(provider.calls.lock().expect("calls").is_empty());
}

/// Raises the stop flag while the first change is in flight, as SIGTERM does in the daemon.
struct StopsDuringFirst {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    sent: Mutex<Vec<String>>,
}

#[async_trait]
impl Provider for StopsDuringFirst {
    async fn refresh(&self) -> Result<Observed, ProviderError> {
        Err(ProviderError::Config("not used".into()))
    }
    async fn lookup_emails(
        &self,
        _: &[Email],
    ) -> Result<std::collections::BTreeMap<Email, crate::model::ExistingZoomUser>, ProviderError>
    {
        Ok(Default::default())
    }
    async fn execute(&self, op: &Op) -> Result<(), ProviderError> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut s) = self.sent.lock() {
            s.push(op_email(op));
        }
        Ok(())
    }
    fn calls(&self) -> u64 {
        0
    }
}

#[tokio::test]
async fn a_stop_lets_the_change_in_flight_finish_and_starts_no_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("store");
    let lease = store
        .acquire("acme", "test", std::time::Duration::from_secs(60))
        .await
        .expect("lease");
    let plan = Plan {
        account: "acme".into(),
        changes: vec![
            change("1", "a@x.com", update("a@x.com"), &[]),
            change("2", "a@x.com", update("a@x.com"), &["1"]),
            change("3", "b@x.com", update("b@x.com"), &[]),
        ],
        ..Plan::default()
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let provider = StopsDuringFirst {
        stop: stop.clone(),
        sent: Mutex::new(vec![]),
    };
    let config = ApplyConfig {
        concurrency: 1,
        stop: Some(stop),
        ..ApplyConfig::default()
    };
    let report = apply(
        &plan,
        &LastApplied::default(),
        &provider,
        &store,
        &lease,
        "run1",
        &config,
    )
    .await
    .expect("apply");
    assert_eq!(provider.sent.lock().expect("sent").len(), 1);
    assert_eq!(report.done.len(), 1);
    assert_eq!(report.skipped.len(), 2, "{report:?}");
    assert!(report.failed.is_empty());
    let journal = store.journal("acme").await.expect("journal");
    assert_eq!(journal.len(), 1, "only the change sent is journaled");
    assert_eq!(journal[0].outcome, crate::store::Outcome::Done);
}

/// LastApplied with one entry of every kind, tagged `v`.
fn last_of_every_kind(v: &str) -> LastApplied {
    let mut l = LastApplied::default();
    l.users.insert(
        email("a@x.com"),
        UserSpec {
            job_title: Some(v.into()),
            ..UserSpec::default()
        },
    );
    l.invitations
        .insert(email("a@x.com"), "2026-11-01T00:00:00Z".parse().expect("t"));
    l.groups.insert("g".into(), Some(v.into()));
    l.chat_groups.insert("c".into(), Some(v.into()));
    l.roles.insert("r".into(), [v.to_string()].into());
    l.organization = Some(format!("org-{v}"));
    l.external_contacts.insert(
        email("a@x.com"),
        [email(&format!("{v}@partner.com"))].into(),
    );
    l.personal_contacts
        .insert(email("a@x.com"), [format!("group-{v}")].into());
    l
}

/// A change of `op` on `target` that did not go through.
fn failed_on(target: ObjectRef, op: Op) -> Change {
    Change {
        target,
        ..change("failed", "ids@test.example", op, &[])
    }
}

#[test]
fn merge_last_applied_restores_the_previous_entry_of_every_kind_that_failed() {
    let previous = last_of_every_kind("old");
    let next = last_of_every_kind("new");
    let a = email("a@x.com");
    let name = |n: &str| n.to_string();
    type Restored = Box<dyn Fn(&LastApplied) -> bool>;
    let cases: Vec<(ObjectRef, Op, Restored)> = vec![
        (
            ObjectRef::User(a.clone()),
            Op::DeactivateUser { email: a.clone() },
            Box::new(|l| l.users[&email("a@x.com")].job_title.as_deref() == Some("old")),
        ),
        (
            ObjectRef::Group("g".into()),
            Op::DeleteGroup { name: name("g") },
            Box::new(|l| l.groups["g"].as_deref() == Some("old")),
        ),
        (
            ObjectRef::ChatGroup("c".into()),
            Op::DeleteChatGroup { name: name("c") },
            Box::new(|l| l.chat_groups["c"].as_deref() == Some("old")),
        ),
        (
            ObjectRef::Role("r".into()),
            Op::DeleteRole { name: name("r") },
            Box::new(|l| l.roles["r"].contains("old")),
        ),
        (
            ObjectRef::Organization("org-new".into()),
            Op::CreateOrganization {
                name: name("org-new"),
            },
            Box::new(|l| l.organization.as_deref() == Some("org-old")),
        ),
        (
            ObjectRef::ExternalContact {
                user: a.clone(),
                contact: email("new@partner.com"),
            },
            Op::RequestExternalContact {
                user: a.clone(),
                contact: email("new@partner.com"),
            },
            Box::new(|l| {
                l.external_contacts
                    .get(&email("a@x.com"))
                    .is_none_or(|s| !s.contains(&email("new@partner.com")))
            }),
        ),
        (
            ObjectRef::PersonalContacts {
                user: a.clone(),
                group: "group-new".into(),
            },
            Op::ReplacePersonalContacts {
                user: a.clone(),
                group: name("group-new"),
                add: vec![],
                update: vec![],
                delete: vec![],
            },
            Box::new(|l| {
                l.personal_contacts
                    .get(&email("a@x.com"))
                    .is_none_or(|s| !s.contains("group-new"))
            }),
        ),
    ];
    for (target, op, restored) in cases {
        let c = failed_on(target.clone(), op);
        let merged = merge_last_applied(&next, &previous, &[&c]);
        assert!(restored(&merged), "{target}: previous entry kept");
        let untouched = merge_last_applied(&next, &previous, &[]);
        assert_eq!(untouched, next, "nothing failed: the plan's next state");
    }
    // Organization members hold no entry: nothing changes.
    let member = failed_on(
        ObjectRef::OrgMember {
            organization: "org-new".into(),
            email: email("o@sub.example"),
        },
        Op::InviteAccount {
            email: email("o@sub.example"),
        },
    );
    assert_eq!(merge_last_applied(&next, &previous, &[&member]), next);
}

/// Issue 10, item 3: a failed chat-group removal used to restore the user's whole entry,
/// so the profile edit and the invitation resend that succeeded beside it were proposed
/// (and the invitation re-sent) again. Now each failed change takes back only its part.
#[test]
fn a_failed_change_restores_only_the_part_of_the_user_it_would_have_set() {
    let a = email("a@x.com");
    let previous = LastApplied {
        users: [(
            a.clone(),
            UserSpec {
                job_title: Some("old".into()),
                department: Some("old".into()),
                role: Some(crate::model::RoleName::Member),
                chat_groups: Some(["kept".to_string(), "leaving".to_string()].into()),
                ..UserSpec::default()
            },
        )]
        .into(),
        invitations: [(a.clone(), "2026-11-01T00:00:00Z".parse().expect("t"))].into(),
        ..LastApplied::default()
    };
    let mut next = previous.clone();
    let entry = next.users.get_mut(&a).expect("entry");
    entry.job_title = Some("new".into());
    entry.department = Some("new".into());
    entry.role = Some(crate::model::RoleName::Admin);
    entry.chat_groups = Some(["kept".to_string(), "joined".to_string()].into());
    next.invitations
        .insert(a.clone(), "2026-12-01T00:00:00Z".parse().expect("t"));
    let user = ObjectRef::User(a.clone());
    let patch = crate::model::ProfilePatch {
        job_title: Some("new".into()),
        ..Default::default()
    };
    let failed = [
        failed_on(
            user.clone(),
            Op::RemoveChatGroup {
                email: a.clone(),
                group: "leaving".into(),
            },
        ),
        failed_on(
            user.clone(),
            Op::UpdateProfile {
                email: a.clone(),
                patch,
            },
        ),
    ];
    let merged = merge_last_applied(&next, &previous, &failed.iter().collect::<Vec<_>>());
    let m = &merged.users[&a];
    assert_eq!(
        m.chat_groups,
        Some(["joined", "kept", "leaving"].map(String::from).into()),
        "the failed removal is retried; the join that went through is not"
    );
    assert_eq!(
        m.job_title.as_deref(),
        Some("old"),
        "the failed field is retried"
    );
    assert_eq!(
        m.department.as_deref(),
        Some("new"),
        "sent in another change: kept"
    );
    assert_eq!(m.role, Some(crate::model::RoleName::Admin));
    assert_eq!(merged.invitations[&a], next.invitations[&a], "not re-sent");
    // A failed create (or resend) still takes the whole entry back.
    let create = failed_on(
        user,
        Op::CreateUser {
            email: a.clone(),
            user_type: crate::model::UserType::Basic,
            first_name: None,
            last_name: None,
        },
    );
    assert_eq!(merge_last_applied(&next, &previous, &[&create]), previous);
}

#[test]
fn failed_request_external_contact_is_not_recorded_as_requested() {
    // The bug this guards: a failed contact request stayed in LastApplied, and on Zoom
    // (where contacts cannot be listed) the fold took it as accepted, never retried (K2).
    let previous = LastApplied::default();
    let mut next = LastApplied::default();
    next.external_contacts.insert(
        email("alice@acme.com"),
        [email("ana@partner.com"), email("ok@partner.com")].into(),
    );
    let contact = ObjectRef::ExternalContact {
        user: email("alice@acme.com"),
        contact: email("ana@partner.com"),
    };
    let failed = failed_on(
        contact,
        Op::RequestExternalContact {
            user: email("alice@acme.com"),
            contact: email("ana@partner.com"),
        },
    );
    let merged = merge_last_applied(&next, &previous, &[&failed]);
    assert_eq!(
        merged.external_contacts[&email("alice@acme.com")],
        [email("ok@partner.com")].into()
    );
}

/// A two-change plan on separate users, with a run against an in-memory store.
async fn lease_gate_run(
    deadline: Deadline,
) -> (Result<ApplyReport, ApplyError>, Vec<String>, SqliteStore) {
    let store = SqliteStore::open_in_memory().expect("store");
    let lease = store
        .acquire("acme", "test", std::time::Duration::from_secs(30))
        .await
        .expect("lease");
    let plan = Plan {
        account: "acme".into(),
        changes: vec![
            change("1", "a@x.com", update("a@x.com"), &[]),
            change("2", "b@x.com", update("b@x.com"), &["1"]),
        ],
        ..Plan::default()
    };
    let provider = Scripted {
        fail: vec![],
        calls: Mutex::new(vec![]),
    };
    let config = ApplyConfig {
        concurrency: 1,
        lease: Some(deadline),
        ..ApplyConfig::default()
    };
    let r = apply(
        &plan,
        &LastApplied::default(),
        &provider,
        &store,
        &lease,
        "r",
        &config,
    )
    .await;
    let calls = provider.calls.lock().expect("calls").clone();
    (r, calls, store)
}

#[tokio::test(start_paused = true)]
async fn nothing_is_sent_once_the_lease_no_longer_covers_a_request() {
    let ttl = std::time::Duration::from_secs(30);
    let deadline = Deadline::new(tokio::time::Instant::now(), ttl);
    let (r, calls, _) = lease_gate_run(deadline.clone()).await;
    assert_eq!(calls.len(), 2, "a fresh lease covers both sends: {calls:?}");
    assert!(r.is_ok());
    // 16 s after the last renew, 14 s are left: less than the 10 s request timeout plus
    // the 5 s margin.
    tokio::time::advance(std::time::Duration::from_secs(16)).await;
    let (r, calls, store) = lease_gate_run(deadline).await;
    assert!(calls.is_empty(), "{calls:?}");
    assert!(
        matches!(r, Err(ApplyError::Store(StoreError::LeaseLost(_)))),
        "{r:?}"
    );
    assert!(
        store.journal("acme").await.expect("journal").is_empty(),
        "no change was journaled as started"
    );
}

/// Sends one request, then waits `pause` (a `Retry-After`, or SIGSTOP) before a retry.
struct RetriesAfter {
    pause: std::time::Duration,
    sent: Mutex<Vec<&'static str>>,
}

#[async_trait]
impl Provider for RetriesAfter {
    async fn refresh(&self) -> Result<Observed, ProviderError> {
        Err(ProviderError::Config("not used".into()))
    }
    async fn lookup_emails(
        &self,
        _: &[Email],
    ) -> Result<std::collections::BTreeMap<Email, crate::model::ExistingZoomUser>, ProviderError>
    {
        Ok(Default::default())
    }
    async fn execute(&self, _: &Op) -> Result<(), ProviderError> {
        self.sent.lock().expect("sent").push("first");
        tokio::time::sleep(self.pause).await;
        self.sent.lock().expect("sent").push("retry");
        Ok(())
    }
    fn calls(&self) -> u64 {
        0
    }
}

#[tokio::test(start_paused = true)]
async fn a_retry_that_would_go_out_after_the_lease_ran_out_is_dropped() {
    let store = SqliteStore::open_in_memory().expect("store");
    let lease = store
        .acquire("acme", "test", std::time::Duration::from_secs(30))
        .await
        .expect("lease");
    let plan = Plan {
        account: "acme".into(),
        changes: vec![change("1", "a@x.com", update("a@x.com"), &[])],
        ..Plan::default()
    };
    let provider = RetriesAfter {
        pause: std::time::Duration::from_secs(40),
        sent: Mutex::new(vec![]),
    };
    let deadline = Deadline::new(
        tokio::time::Instant::now(),
        std::time::Duration::from_secs(30),
    );
    let config = ApplyConfig {
        lease: Some(deadline),
        ..ApplyConfig::default()
    };
    let r = apply(
        &plan,
        &LastApplied::default(),
        &provider,
        &store,
        &lease,
        "r",
        &config,
    )
    .await;
    assert!(
        matches!(r, Err(ApplyError::Store(StoreError::LeaseLost(_)))),
        "{r:?}"
    );
    assert_eq!(*provider.sent.lock().expect("sent"), vec!["first"]);
    let journal = store.journal("acme").await.expect("journal");
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].outcome, crate::store::Outcome::Uncertain);
    assert!(
        journal[0]
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("outcome unknown")),
        "{journal:?}"
    );
}
