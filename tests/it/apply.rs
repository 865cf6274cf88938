//! `roster plan` / `roster apply` end to end on the embedded simulator.

use crate::harness::Workspace;
use std::time::{Duration, Instant};

const SEED: &str = r#"clock: 2026-11-01T09:00:00Z
accounts:
  - id: acme
    owner: owner@acme.com
    plan: business
    seats: { licensed: 3, largeMeeting: 1, webinar: 1 }
    customAttributes: [costCenter]
    groups: [ { name: staff } ]
    chatGroups: [ { name: general } ]
    users:
      - { email: owner@acme.com, role: owner, type: licensed, firstName: Olivia, lastName: Owner }
      - { email: ann@acme.com, type: basic, firstName: Ann, lastName: Archer }
      - { email: bob@acme.com, type: basic, firstName: Bob, lastName: Baker }
      - { email: cy@acme.com, type: basic, firstName: Cy, lastName: Cole }
"#;

const ACCOUNT: &str = r#"kind: Account
name: acme
owner: owner@acme.com
provider: { sim: { seed: seed.yaml } }
customAttributes: [costCenter]
policy:
  maxRemovals: 1
  userEditable: [jobTitle]
"#;

const USERS: &str = r#"kind: User
email: owner@acme.com
type: licensed
---
kind: User
email: ann@acme.com
firstName: Ann
lastName: Archer
department: Sales
jobTitle: Engineer
---
kind: User
email: bob@acme.com
firstName: Bob
lastName: Baker
---
kind: User
email: cy@acme.com
"#;

fn small() -> Workspace {
    let ws = Workspace::empty();
    ws.write("seed.yaml", SEED);
    ws.write("account.yaml", ACCOUNT);
    ws.write("users.yaml", USERS);
    ws
}

fn user<'a>(sim: &'a serde_json::Value, email: &str) -> &'a serde_json::Value {
    fn find<'a>(v: &'a serde_json::Value, email: &str) -> Option<&'a serde_json::Value> {
        match v {
            serde_json::Value::Object(m) => {
                if m.get("email").and_then(|e| e.as_str()) == Some(email)
                    && m.contains_key("status")
                {
                    return Some(v);
                }
                m.values().find_map(|x| find(x, email))
            }
            serde_json::Value::Array(a) => a.iter().find_map(|x| find(x, email)),
            _ => None,
        }
    }
    find(sim, email).unwrap_or_else(|| panic!("{email} not in the simulator"))
}

fn field<'a>(u: &'a serde_json::Value, names: &[&str]) -> &'a serde_json::Value {
    names
        .iter()
        .find_map(|n| u.get(*n))
        .unwrap_or(&serde_json::Value::Null)
}

fn log_len(ws: &Workspace) -> usize {
    ws.sim_show()
        .get("log")
        .and_then(|l| l.as_array())
        .map(|l| l.len())
        .expect("sim show has a log")
}

#[test]
fn apply_then_second_apply_is_empty() {
    let ws = small();
    let first = ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(first.stdout.contains("Apply complete"), "{}", first.stdout);
    let second = ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(second.stdout.contains("No changes."), "{}", second.stdout);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn plan_with_changes_exits_2_with_detailed_exitcode() {
    let ws = small();
    let r = ws.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        r.stdout.contains("update_user user/ann@acme.com"),
        "{}",
        r.stdout
    );
    let json = ws.run(&["plan", "--format", "json"]).expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan JSON");
    assert_eq!(v["account"], "acme");
    assert!(v["summary"]["change"].as_u64().unwrap_or(0) >= 1);
}

#[test]
fn apply_refuses_without_a_terminal_or_auto_approve() {
    let ws = small();
    let before = ws.run(&["plan"]).expect_code(0);
    assert!(before.stdout.contains("Plan:"));
    let n = log_len(&ws);
    let r = ws.run(&["apply"]).expect_code(1);
    assert!(r.stderr.contains("--auto-approve"), "{}", r.stderr);
    assert_eq!(log_len(&ws), n, "nothing applied");
}

#[test]
fn drift_made_out_of_band_is_repaired() {
    let ws = small();
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.run_plain(&[
        "sim",
        "edit-user",
        "bob@acme.com",
        "--set",
        "lastName=Drifted",
    ])
    .expect_code(0);
    let plan = ws.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout.contains("update_user user/bob@acme.com"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("\"Drifted\" -> \"Baker\""),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(
        field(
            user(&ws.sim_show(), "bob@acme.com"),
            &["lastName", "last_name"]
        ),
        "Baker"
    );
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_field_removed_from_the_manifest_is_cleared_after_being_applied() {
    let ws = small();
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(
        field(
            user(&ws.sim_show(), "ann@acme.com"),
            &["department", "dept"]
        ),
        "Sales"
    );
    ws.write("users.yaml", &USERS.replace("department: Sales\n", ""));
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout.contains("department: \"Sales\" -> (none)"),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let dept = field(
        user(&ws.sim_show(), "ann@acme.com"),
        &["department", "dept"],
    )
    .clone();
    assert!(
        dept.is_null() || dept == "",
        "department cleared, got {dept}"
    );
}

#[test]
fn u4_a_user_editable_field_changed_by_the_user_is_reported_and_kept() {
    let ws = small();
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.run_plain(&[
        "sim",
        "edit-user",
        "ann@acme.com",
        "--set",
        "jobTitle=Principal",
    ])
    .expect_code(0);
    let plan = ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(plan.stdout.contains("U4"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Principal"), "{}", plan.stdout);
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(
        field(
            user(&ws.sim_show(), "ann@acme.com"),
            &["jobTitle", "job_title"]
        ),
        "Principal"
    );
}

#[test]
fn u2_an_over_seat_plan_is_refused_before_any_call() {
    let ws = small();
    // Owner + ann + bob + cy licensed = 4 seats; 3 purchased.
    ws.write(
        "users.yaml",
        &USERS
            .replace(
                "email: ann@acme.com\n",
                "email: ann@acme.com\ntype: licensed\n",
            )
            .replace(
                "email: bob@acme.com\n",
                "email: bob@acme.com\ntype: licensed\n",
            )
            .replace(
                "email: cy@acme.com\n",
                "email: cy@acme.com\ntype: licensed\n",
            ),
    );
    let plan = ws.run(&["plan"]).expect_code(1);
    assert!(plan.stdout.contains("U2"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("users.yaml:"),
        "the error names the manifest location: {}",
        plan.stdout
    );
    let n = log_len(&ws);
    let r = ws.run(&["apply", "--auto-approve"]).expect_code(1);
    assert!(r.stdout.contains("nothing will be applied"), "{}", r.stdout);
    assert_eq!(log_len(&ws), n, "no change was sent to the simulator");
}

#[test]
fn max_removals_refuses_then_allow_removals_lets_it_through() {
    let ws = small();
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.write(
        "users.yaml",
        &USERS
            .replace(
                "email: bob@acme.com\n",
                "email: bob@acme.com\nstatus: absent\n",
            )
            .replace(
                "email: cy@acme.com\n",
                "email: cy@acme.com\nstatus: absent\n",
            ),
    );
    let n = log_len(&ws);
    let r = ws.run(&["apply", "--auto-approve"]).expect_code(1);
    assert!(r.stdout.contains("maxRemovals"), "{}", r.stdout);
    assert!(
        r.stdout.contains("disassociate_user user/cy@acme.com"),
        "{}",
        r.stdout
    );
    assert_eq!(log_len(&ws), n);
    ws.run(&["apply", "--auto-approve", "--allow-removals", "2"])
        .expect_code(0);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

/// Issue 19, item 7: after the rerun, no journal row of any run is left `started`, and the
/// interrupted run's rows say whether their change was found done or not done.
fn journal_has_no_open_row(ws: &Workspace) {
    use roster::store::{Outcome, Store};
    let store = roster::store::sqlite::SqliteStore::open(&ws.state).expect("store");
    let journal = futures::executor::block_on(store.journal("acme")).expect("journal");
    let open: Vec<_> = journal
        .iter()
        .filter(|j| j.outcome == Outcome::Started)
        .collect();
    assert!(open.is_empty(), "rows left started: {open:?}");
    let closed = journal
        .iter()
        .filter(|j| {
            j.message
                .as_deref()
                .is_some_and(|m| m.starts_with("interrupted before its outcome was known"))
        })
        .count();
    assert!(
        closed >= 1,
        "the killed run's in-flight row is resolved: {journal:?}"
    );
}

#[test]
fn kill_9_during_apply_then_rerun_converges_without_duplicate_invitations() {
    let ws = small();
    let mut users = USERS.to_string();
    let newcomers: Vec<String> = (0..8).map(|i| format!("new{i}@acme.com")).collect();
    for e in &newcomers {
        users.push_str(&format!("---\nkind: User\nemail: {e}\n"));
    }
    ws.write("users.yaml", &users);
    ws.sim_latency("account.yaml", 300);
    let mut child = ws
        .cmd(&["apply", "--auto-approve", "--concurrency", "1"])
        .arg(&ws.manifests)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn apply");
    // Wait until some, not all, invitations went out.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let sent = std::fs::read_to_string(ws.state.join("sim.json"))
            .map(|s| {
                newcomers
                    .iter()
                    .filter(|e| s.contains(&format!("\"{e}\"")))
                    .count()
            })
            .unwrap_or(0);
        if sent >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "apply made no progress");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    let rerun = ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        rerun.stderr.contains("previous apply"),
        "the interrupted run is reported: {}",
        rerun.stderr
    );
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    journal_has_no_open_row(&ws);
    let sim = ws.sim_show();
    let log = sim["log"].as_array().expect("log");
    for e in &newcomers {
        let sends = log
            .iter()
            .filter(|entry| {
                let s = entry.to_string();
                s.contains(&format!("\"{e}\""))
                    || s.contains(&format!("/{e}\""))
                    || s.contains(&format!(":{e}\""))
            })
            .filter(|entry| {
                let a = entry.get("action").and_then(|a| a.as_str()).unwrap_or("");
                a.contains("create") || a.contains("invite") || a.contains("resend")
            })
            .count();
        assert_eq!(sends, 1, "{e} was invited {sends} times: {log:?}");
    }
}

#[test]
fn u5_waiting_changes_apply_once_the_invited_user_accepts() {
    let ws = small();
    ws.write(
        "users.yaml",
        &format!("{USERS}---\nkind: User\nemail: dee@acme.com\ngroup: staff\n"),
    );
    ws.write("groups.yaml", "kind: Group\nname: staff\n");
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let waiting = ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(
        waiting.stdout.contains("user/dee@acme.com: group staff"),
        "{}",
        waiting.stdout
    );
    ws.run_plain(&["sim", "accept", "dee@acme.com"])
        .expect_code(0);
    let plan = ws.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout.contains("set_group user/dee@acme.com"),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let dee = user(&ws.sim_show(), "dee@acme.com").clone();
    assert_eq!(dee["status"], "active");
    assert!(
        dee["groups"]
            .as_array()
            .expect("groups")
            .contains(&serde_json::json!("staff"))
    );
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn u8_an_invitation_left_past_30_days_is_sent_again_once() {
    let ws = small();
    ws.write(
        "users.yaml",
        &format!("{USERS}---\nkind: User\nemail: late@acme.com\n"),
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.run_plain(&["sim", "clock", "+31d"]).expect_code(0);
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout.contains("resend_invitation user/late@acme.com"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("expired on"), "{}", plan.stdout);
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}
