//! `roster daemon` end to end: the real binary against the embedded simulator, driven
//! through its files, `roster sim`, HTTP and signals.

use crate::harness::{Daemon, Workspace};
use std::path::Path;
use std::time::Duration;

pub(crate) const SEED: &str = r#"clock: 2026-11-01T09:00:00Z
accounts:
  - id: acme
    owner: owner@acme.com
    plan: business
    seats: { licensed: 3 }
    groups: [ { name: staff } ]
    users:
      - { email: owner@acme.com, role: owner, type: licensed, firstName: Olivia, lastName: Owner }
      - { email: ann@acme.com, type: basic, firstName: Ann, lastName: Archer }
      - { email: bob@acme.com, type: basic, firstName: Bob, lastName: Baker }
      - { email: cy@acme.com, type: basic, firstName: Cy, lastName: Cole }
      - { email: dee@acme.com, type: basic, firstName: Dee, lastName: Dunn }
      - { email: eve@acme.com, type: basic, firstName: Eve, lastName: Evans }
"#;

/// Never fires during a test (1 January, midnight).
pub(crate) const YEARLY: &str = "0 0 0 1 1 *";

fn account(resync: &str) -> String {
    format!(
        "kind: Account\nname: acme\nowner: owner@acme.com\nprovider: {{ sim: {{ seed: seed.yaml }} }}\nschedule:\n  resync: \"{resync}\"\n"
    )
}

/// Users with the given department for ann.
fn users(ann_department: &str) -> String {
    format!(
        "kind: User\nemail: owner@acme.com\ntype: licensed\n---\nkind: User\nemail: ann@acme.com\nfirstName: Ann\nlastName: Archer\ndepartment: {ann_department}\n---\nkind: User\nemail: bob@acme.com\nlastName: Baker\n"
    )
}

pub(crate) fn small(resync: &str) -> Workspace {
    let ws = Workspace::empty();
    ws.write("seed.yaml", SEED);
    ws.write("account.yaml", &account(resync));
    ws.write("users.yaml", &users("Sales"));
    ws
}

pub(crate) fn sim_user(sim: &serde_json::Value, email: &str) -> serde_json::Value {
    sim["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["users"].as_array().into_iter().flatten())
        .find(|u| u["email"] == email)
        .cloned()
        .unwrap_or(serde_json::Value::Null)
}

fn sim_field(ws: &Workspace, email: &str, field: &str) -> String {
    sim_user(&ws.sim_state(), email)[field]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub(crate) const WAIT: Duration = Duration::from_secs(20);

fn wait_field(d: &Daemon, ws: &Workspace, email: &str, field: &str, want: &str) {
    d.wait_for(&format!("{email} {field} = {want}"), WAIT, || {
        sim_field(ws, email, field) == want
    });
}

fn last_triggers(d: &Daemon) -> Vec<String> {
    d.status()["accounts"]["acme"]["last_run"]["triggers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_manifest_edit_is_applied_without_any_command() {
    let ws = small(YEARLY);
    let d = ws.daemon(&[], &[]);
    wait_field(&d, &ws, "ann@acme.com", "department", "Sales");
    d.wait_in_sync("acme");
    ws.write("users.yaml", &users("Research"));
    wait_field(&d, &ws, "ann@acme.com", "department", "Research");
    d.wait_in_sync("acme");
    assert!(
        last_triggers(&d).contains(&"manifest_changed".to_string()),
        "{:?}",
        last_triggers(&d)
    );
}

#[test]
fn a_file_replaced_by_rename_is_picked_up() {
    let ws = small(YEARLY);
    let d = ws.daemon(&[], &[]);
    d.wait_in_sync("acme");
    // An editor's atomic save: write a temporary file, rename it over the original.
    let tmp = ws.manifests.join(".users.yaml.swp");
    std::fs::write(&tmp, users("Legal")).expect("write");
    std::fs::rename(&tmp, ws.manifests.join("users.yaml")).expect("rename");
    wait_field(&d, &ws, "ann@acme.com", "department", "Legal");
}

#[cfg(unix)]
#[test]
fn a_symlink_swapped_folder_is_picked_up_every_time() {
    let ws = Workspace::empty();
    let root = ws.manifests.clone();
    let revision = |name: &str, dept: &str| {
        let dir = root.join(".worktrees").join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("seed.yaml"), SEED).expect("seed");
        std::fs::write(dir.join("account.yaml"), account(YEARLY)).expect("account");
        std::fs::write(dir.join("users.yaml"), users(dept)).expect("users");
        dir
    };
    // git-sync's layout: root/repo -> .worktrees/<sha>, replaced by an atomic rename.
    let swap = |target: &Path| {
        let tmp = root.join("repo.tmp-link");
        std::os::unix::fs::symlink(target, &tmp).expect("link");
        std::fs::rename(&tmp, root.join("repo")).expect("swap");
    };
    let first = revision("aaa", "Sales");
    swap(&first);
    let d = ws.daemon_on(&root.join("repo"), &[], &[]);
    wait_field(&d, &ws, "ann@acme.com", "department", "Sales");
    d.wait_in_sync("acme");

    let second = revision("bbb", "Research");
    swap(&second);
    std::fs::remove_dir_all(&first).expect("git-sync removes the old worktree");
    wait_field(&d, &ws, "ann@acme.com", "department", "Research");
    d.wait_in_sync("acme");

    let third = revision("ccc", "Legal");
    swap(&third);
    std::fs::remove_dir_all(&second).expect("rm");
    wait_field(&d, &ws, "ann@acme.com", "department", "Legal");
    assert!(
        d.status()["manifests"]["resolved"]
            .as_str()
            .is_some_and(|r| r.ends_with(".worktrees/ccc")),
        "{}",
        d.status()["manifests"]
    );
}

#[test]
fn a_broken_revision_keeps_the_last_good_state_and_shows_the_error() {
    let ws = small(YEARLY);
    let d = ws.daemon(&[], &[]);
    d.wait_in_sync("acme");
    // One good change and one broken file in the same revision: nothing is applied.
    // (The broken file first: no revision in between is good.)
    ws.write("groups.yaml", "kind: Group\nname: [unclosed\n");
    ws.write("users.yaml", &users("Research"));
    d.wait_for("the load error on /status", WAIT, || {
        d.status()["manifests"]["ok"] == false
    });
    let s = d.status();
    let diags = s["manifests"]["error"]["diagnostics"].to_string();
    assert!(
        diags.contains("groups.yaml:2:16: error[Manifest]: YAML syntax error"),
        "{diags}"
    );
    let (_, metrics) = d.get("/metrics");
    assert!(metrics.contains("roster_manifest_load_ok 0\n"), "{metrics}");
    assert!(metrics.contains("roster_manifest_loads_total{result=\"error\"} 1\n"));
    // The last good revision stays in force: a manual run changes nothing.
    let (code, _) = d.post("/reconcile", &[], b"");
    assert_eq!(code, 202);
    std::thread::sleep(Duration::from_millis(500));
    d.wait_in_sync("acme");
    assert_eq!(sim_field(&ws, "ann@acme.com", "department"), "Sales");
    assert_eq!(
        d.get("/readyz").0,
        200,
        "still ready on the last good revision"
    );

    // The next good revision is applied.
    ws.write("groups.yaml", "kind: Group\nname: staff\n");
    wait_field(&d, &ws, "ann@acme.com", "department", "Research");
    d.wait_for("the error to clear", WAIT, || {
        d.status()["manifests"]["ok"] == true
    });
    assert!(d.status()["manifests"]["error"].is_null());
}

#[test]
fn drift_made_with_roster_sim_is_repaired_at_the_next_resync() {
    let ws = small("*/2 * * * * *");
    let d = ws.daemon(&[], &[]);
    d.wait_in_sync("acme");
    ws.run_plain(&[
        "sim",
        "edit-user",
        "ann@acme.com",
        "--set",
        "lastName=Drifted",
    ])
    .expect_code(0);
    // The drift (by ann herself), then the repair (by roster, acting as the owner).
    let edits_of_ann = || -> Vec<(String, String)> {
        ws.sim_state()["log"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["action"] == "update_user" && e["target"] == "ann@acme.com")
            .map(|e| (e["actor"].to_string(), e["detail"].to_string()))
            .collect()
    };
    d.wait_for("the drift to be repaired", WAIT, || {
        let edits = edits_of_ann();
        let drift = edits
            .iter()
            .position(|(_, detail)| detail.contains("Drifted"));
        drift.is_some_and(|i| {
            edits[i + 1..].iter().any(|(actor, detail)| {
                actor.contains("owner@acme.com") && detail.contains("Archer")
            })
        })
    });
    assert_eq!(sim_field(&ws, "ann@acme.com", "lastName"), "Archer");
    // The startup run applied one change too: wait for the scheduled run's own report
    // (it is recorded after the run observes the account again).
    d.wait_for("the repair's run to be reported", WAIT, || {
        last_triggers(&d) == vec!["schedule"]
            && d.status()["accounts"]["acme"]["last_run"]["applied"] == 1
    });
}

pub(crate) fn sign(secret: &str, ts: &str, body: &[u8]) -> String {
    roster::daemon::webhook::sign(
        &roster::daemon::webhook::WebhookSecret::new(secret),
        ts,
        body,
    )
}

#[test]
fn a_webhook_with_a_bad_signature_gets_401_and_a_good_one_triggers_a_run() {
    let ws = small(YEARLY);
    let secret = "test-secret-token";
    let d = ws.daemon(&[], &[("ZOOM_WEBHOOK_SECRET_TOKEN", secret)]);
    d.wait_in_sync("acme");
    ws.run_plain(&[
        "sim",
        "edit-user",
        "bob@acme.com",
        "--set",
        "lastName=Drifted",
    ])
    .expect_code(0);
    let body = br#"{"event":"user.updated","event_ts":1793000000000,"payload":{"account_id":"acme","object":{"email":"bob@acme.com","last_name":"Drifted"}}}"#;
    let now = chrono::Utc::now().timestamp().to_string();
    let post = |ts: &str, sig: &str, body: &[u8]| {
        d.post(
            "/webhooks/zoom",
            &[
                ("content-type", "application/json"),
                ("x-zm-request-timestamp", ts),
                ("x-zm-signature", sig),
            ],
            body,
        )
    };
    let (code, _) = post(&now, &sign("not-the-secret", &now, body), body);
    assert_eq!(code, 401);
    let stale = (chrono::Utc::now().timestamp() - 3600).to_string();
    let (code, text) = post(&stale, &sign(secret, &stale, body), body);
    assert_eq!(code, 401, "{text}");
    assert!(text.contains("stale"), "{text}");
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        sim_field(&ws, "bob@acme.com", "lastName"),
        "Drifted",
        "refused webhooks trigger nothing"
    );

    let (code, text) = post(&now, &sign(secret, &now, body), body);
    assert_eq!(code, 200, "{text}");
    wait_field(&d, &ws, "bob@acme.com", "lastName", "Baker");
    d.wait_for("the webhook run to be reported", WAIT, || {
        last_triggers(&d) == vec!["webhook"]
    });

    // URL validation (CRC), signed like every event.
    let crc =
        br#"{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}"#;
    let (code, text) = post(&now, &sign(secret, &now, crc), crc);
    assert_eq!(code, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
    let expected = {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(b"qgg8vlvZRS6UYooatFL8Aw");
        hex::encode(mac.finalize().into_bytes())
    };
    assert_eq!(v["encryptedToken"], expected);
    let (_, metrics) = d.get("/metrics");
    assert!(
        metrics.contains("roster_webhooks_total{result=\"refused\"} 2\n"),
        "{metrics}"
    );
    assert!(metrics.contains("roster_webhooks_total{result=\"accepted\"} 1\n"));
    for reason in ["bad_signature", "stale"] {
        assert!(
            metrics.contains(&format!(
                "roster_http_refusals_total{{endpoint=\"/webhooks/zoom\",reason=\"{reason}\"}} 1\n"
            )),
            "{metrics}"
        );
    }
}

#[test]
fn webhooks_are_refused_without_a_secret() {
    let ws = small(YEARLY);
    let d = ws.daemon(&[], &[]);
    let (code, text) = d.post("/webhooks/zoom", &[], b"{}");
    assert_eq!(code, 503, "{text}");
    assert!(text.contains("ZOOM_WEBHOOK_SECRET_TOKEN"), "{text}");
}

/// Users whose department differs from the seed: one profile change each.
fn many_changes() -> String {
    let mut out = String::from("kind: User\nemail: owner@acme.com\ntype: licensed\n");
    for u in ["ann", "bob", "cy", "dee", "eve"] {
        out.push_str(&format!(
            "---\nkind: User\nemail: {u}@acme.com\ndepartment: Dept-{u}\n"
        ));
    }
    out
}

#[test]
fn sigterm_during_an_apply_exits_0_with_the_journal_consistent() {
    let ws = small(YEARLY);
    ws.write("users.yaml", &many_changes());
    ws.sim_latency("account.yaml", 400);
    let mut d = ws.daemon(&["--concurrency", "1"], &[]);
    d.wait_for("the apply to be under way", WAIT, || {
        ws.sim_state()["log"]
            .as_array()
            .is_some_and(|l| l.iter().any(|e| e["action"] == "update_user"))
    });
    d.terminate();
    let code = d.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(0), "--- logs\n{}", d.logs());

    let store = roster::store::sqlite::SqliteStore::open(&ws.state).expect("store");
    let journal = futures::executor::block_on(roster::store::Store::journal(&store, "acme"))
        .expect("journal");
    assert!(
        journal
            .iter()
            .all(|j| j.outcome != roster::store::Outcome::Started),
        "every change sent was journaled with its outcome: {journal:?}"
    );
    let done = journal
        .iter()
        .filter(|j| j.outcome == roster::store::Outcome::Done)
        .count();
    assert!(
        (1..5).contains(&done),
        "stopped part-way: {done} of 5 done\n{journal:?}"
    );
    // A later apply finishes the work without doing any of it twice.
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let sim = ws.sim_state();
    for u in ["ann", "bob", "cy", "dee", "eve"] {
        assert_eq!(
            sim_user(&sim, &format!("{u}@acme.com"))["department"],
            format!("Dept-{u}")
        );
        let updates = sim["log"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["action"] == "update_user" && e["target"] == format!("{u}@acme.com"))
            .count();
        assert_eq!(updates, 1, "{u} updated once");
    }
}

#[test]
fn a_change_hanging_past_the_shutdown_grace_still_exits_in_bounded_time() {
    let ws = small(YEARLY);
    ws.write("users.yaml", &many_changes());
    ws.sim_latency("account.yaml", 30000);
    let mut d = ws.daemon(&["--concurrency", "1", "--shutdown-grace", "300ms"], &[]);
    d.wait_for("a change in flight", WAIT, || {
        d.status()["accounts"]["acme"]["running"] == true
    });
    std::thread::sleep(Duration::from_millis(200));
    let t0 = std::time::Instant::now();
    d.terminate();
    let code = d.wait_exit(Duration::from_secs(10));
    assert_eq!(
        code,
        Some(1),
        "exit 1: a change was left in flight\n{}",
        d.logs()
    );
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    // The next run says so and finishes the work from a fresh observation.
    let r = ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        r.stderr.contains("stopped with 1 change(s) in flight"),
        "{}",
        r.stderr
    );
    assert_eq!(sim_field(&ws, "eve@acme.com", "department"), "Dept-eve");
}

#[test]
fn the_next_invitation_event_wakes_the_daemon_once_on_time() {
    let ws = Workspace::empty();
    // Pat's invitation reaches resendAfter (25 days) 2 s after the simulator's clock.
    ws.write(
        "seed.yaml",
        &SEED.replace(
            "      - { email: ann@",
            "      - { email: pat@acme.com, status: pending, invitedAt: 2026-10-07T09:00:02Z }\n      - { email: ann@",
        ),
    );
    ws.write(
        "account.yaml",
        &format!(
            "{}policy:\n  invitations: {{ resendAfter: 25d }}\n",
            account(YEARLY)
        ),
    );
    ws.write(
        "users.yaml",
        &format!("{}---\nkind: User\nemail: pat@acme.com\n", users("Sales")),
    );
    let d = ws.daemon(&[], &[]);
    d.wait_in_sync("acme");
    let due = d.status()["accounts"]["acme"]["due"].clone();
    assert_eq!(due["provider_at"], "2026-11-01T09:00:02Z", "{due}");
    assert_eq!(d.status()["accounts"]["acme"]["next_run"]["reason"], "due");
    d.wait_for("the due run", Duration::from_secs(10), || {
        last_triggers(&d) == vec!["due"]
    });
    // The simulator's clock did not move: the event is not waited for again (no loop).
    std::thread::sleep(Duration::from_millis(2500));
    let a = &d.status()["accounts"]["acme"];
    assert_eq!(a["runs"], 2, "startup and one due run: {a}");
    assert_eq!(a["next_run"]["reason"], "schedule", "{a}");
    // Once time passes on the simulator, the next resync (here: a manual run) resends.
    ws.run_plain(&["sim", "clock", "+1m"]).expect_code(0);
    d.post("/reconcile", &[], b"");
    d.wait_for("the resend", WAIT, || {
        ws.sim_state()["log"]
            .as_array()
            .is_some_and(|l| l.iter().any(|e| e["action"] == "resend_invitation"))
    });
}

#[test]
fn simulated_accounts_sharing_one_cloud_do_not_overwrite_each_other() {
    let ws = Workspace::empty();
    let two = format!(
        "{SEED}  - id: beta\n    owner: owner@beta.com\n    plan: business\n    users:\n      - {{ email: owner@beta.com, role: owner, type: licensed }}\n      - {{ email: bea@beta.com, type: basic, firstName: Bea }}\n"
    );
    ws.write("seed.yaml", &two);
    ws.write("acme.yaml", &account(YEARLY));
    ws.write(
        "beta.yaml",
        &account(YEARLY)
            .replace("name: acme", "name: beta")
            .replace("owner@acme.com", "owner@beta.com"),
    );
    let people = |dept: &str| {
        format!(
            "kind: User\naccount: acme\nemail: ann@acme.com\ndepartment: {dept}\n---\nkind: User\naccount: beta\nemail: bea@beta.com\ndepartment: {dept}\n"
        )
    };
    ws.write("people.yaml", &people("One"));
    ws.sim_latency("acme.yaml", 150);
    ws.sim_latency("beta.yaml", 150);
    let d = ws.daemon(&[], &[]);
    d.wait_in_sync("acme");
    d.wait_in_sync("beta");
    // One edit wakes both accounts at once; each apply rewrites the shared cloud file.
    ws.write("people.yaml", &people("Two"));
    wait_field(&d, &ws, "ann@acme.com", "department", "Two");
    wait_field(&d, &ws, "bea@beta.com", "department", "Two");
    d.wait_in_sync("acme");
    d.wait_in_sync("beta");
    let sim = ws.sim_state();
    assert_eq!(sim_user(&sim, "ann@acme.com")["department"], "Two");
    assert_eq!(sim_user(&sim, "bea@beta.com")["department"], "Two");
}

#[test]
fn dry_run_reports_drift_and_applies_nothing() {
    let ws = small(YEARLY);
    let d = ws.daemon(&["--dry-run"], &[]);
    d.wait_for("a drift report", WAIT, || {
        d.status()["accounts"]["acme"]["last_run"]["result"] == "drift"
    });
    let s = d.status();
    assert_eq!(s["mode"], "dry-run");
    let changes = s["accounts"]["acme"]["last_run"]["changes"].to_string();
    assert!(
        changes.contains("update_user user/ann@acme.com"),
        "{changes}"
    );
    let (_, metrics) = d.get("/metrics");
    assert!(
        metrics.contains("roster_drift_changes{account=\"acme\"} 1\n"),
        "{metrics}"
    );
    assert_eq!(sim_field(&ws, "ann@acme.com", "department"), "");
    let journal = {
        let store = roster::store::sqlite::SqliteStore::open(&ws.state).expect("store");
        futures::executor::block_on(roster::store::Store::journal(&store, "acme")).expect("j")
    };
    assert!(journal.is_empty());
}

#[test]
fn health_readiness_status_page_and_manual_trigger() {
    let ws = small(YEARLY);
    let d = ws.daemon(&[], &[]);
    assert_eq!(d.get("/healthz"), (200, "ok\n".to_string()));
    d.wait_in_sync("acme");
    assert_eq!(d.get("/readyz"), (200, "ready\n".to_string()));
    let (code, page) = d.get("/");
    assert_eq!(code, 200);
    assert!(
        page.contains("<h1>roster daemon</h1>") && page.contains("acme"),
        "{page}"
    );
    let s = d.status();
    let a = &s["accounts"]["acme"];
    assert_eq!(a["provider_account_id"], "acme");
    assert_eq!(a["next_run"]["reason"], "schedule");
    assert!(a["last_run"]["plan"]["unmanaged"].as_u64().is_some());
    let (code, text) = d.post("/reconcile?account=acme", &[], b"");
    assert_eq!((code, text.contains("acme")), (202, true), "{text}");
    d.wait_for("the manual run", WAIT, || {
        last_triggers(&d) == vec!["manual"]
    });
    let (code, _) = d.post("/reconcile?account=nope", &[], b"");
    assert_eq!(code, 404);
}

/// A strict reading of the Prometheus text format (0.0.4): every sample belongs to a
/// family declared by `# TYPE`, names and labels are well-formed, values are numbers.
pub(crate) fn parse_prometheus(text: &str) -> Result<Vec<(String, f64)>, String> {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    let mut types: std::collections::BTreeMap<String, String> = Default::default();
    let mut samples = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = |m: &str| format!("line {}: {m}: {line}", n + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("HELP"), Some(name), Some(_)) if name_ok(name) => {}
                (Some("TYPE"), Some(name), Some(kind)) if name_ok(name) => {
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(at("unknown type"));
                    }
                    if types.insert(name.to_string(), kind.to_string()).is_some() {
                        return Err(at("family declared twice"));
                    }
                }
                _ => return Err(at("bad comment")),
            }
            continue;
        }
        let (name_labels, value) = line.rsplit_once(' ').ok_or_else(|| at("no value"))?;
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().map_err(|_| at("value is not a number"))?,
        };
        let name = match name_labels.split_once('{') {
            None => name_labels,
            Some((name, labels)) => {
                let labels = labels
                    .strip_suffix('}')
                    .ok_or_else(|| at("unclosed labels"))?;
                let mut rest = labels;
                while !rest.is_empty() {
                    let (key, after) = rest.split_once("=\"").ok_or_else(|| at("bad label"))?;
                    if !name_ok(key) {
                        return Err(at("bad label name"));
                    }
                    let mut end = None;
                    let mut escaped = false;
                    for (i, c) in after.char_indices() {
                        match (escaped, c) {
                            (true, _) => escaped = false,
                            (false, '\\') => escaped = true,
                            (false, '"') => {
                                end = Some(i);
                                break;
                            }
                            _ => {}
                        }
                    }
                    let end = end.ok_or_else(|| at("unterminated label value"))?;
                    rest = after[end + 1..]
                        .strip_prefix(',')
                        .unwrap_or(&after[end + 1..]);
                }
                name
            }
        };
        if !name_ok(name) {
            return Err(at("bad metric name"));
        }
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        if !types.contains_key(family) {
            return Err(at("sample before its # TYPE"));
        }
        samples.push((name.to_string(), value));
    }
    Ok(samples)
}

#[test]
fn metrics_parse_as_prometheus_text() {
    let ws = small(YEARLY);
    let d = ws.daemon(&[], &[]);
    d.wait_in_sync("acme");
    let (code, text) = d.get("/metrics");
    assert_eq!(code, 200);
    let samples = parse_prometheus(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let has = |n: &str| samples.iter().any(|(s, _)| s == n);
    for family in [
        "roster_reconcile_runs_total",
        "roster_reconcile_duration_seconds_bucket",
        "roster_reconcile_duration_seconds_count",
        "roster_changes_applied_total",
        "roster_drift_changes",
        "roster_pending_invitations",
        "roster_provider_calls_total",
        "roster_last_success_timestamp_seconds",
        "roster_manifest_load_ok",
        "roster_ready",
    ] {
        assert!(has(family), "{family} missing\n{text}");
    }
    assert!(
        text.contains("roster_changes_applied_total{account=\"acme\",action=\"update_user\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("roster_provider_calls_total{account=\"acme\",status=\"ok\"}"));
    assert!(parse_prometheus("metric_without_type 1\n").is_err());
    assert!(parse_prometheus("# TYPE x counter\nx{a=\"b} 1\n").is_err());
}
