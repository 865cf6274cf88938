//! Issue 19: what roster tells its user is true and precise, under faults and races. Each
//! test is one row of the issue's table, on the built binary.

use crate::contract::{SECRET, Server};
use crate::harness::{Run, Workspace};
use std::path::Path;

const SEED: &str = r#"clock: 2026-11-01T09:00:00Z
accounts:
  - id: acme
    owner: owner@acme.com
    plan: business
    groups: [ { name: staff } ]
    users:
      - { email: owner@acme.com, role: owner, type: licensed, firstName: Olivia, lastName: Owner }
"#;

const OWNER: &str = "kind: User\nemail: owner@acme.com\ntype: licensed\n";

/// An Account document on `provider: zoom` with these endpoints.
fn zoom_account(base_url: &str, token_url: &str) -> String {
    format!(
        "kind: Account\nname: acme\nowner: owner@acme.com\nprovider:\n  zoom:\n    accountId: {{ env: ZOOM_ACCOUNT_ID }}\n    clientId: {{ env: ZOOM_CLIENT_ID }}\n    clientSecret: {{ env: ZOOM_CLIENT_SECRET }}\n    baseUrl: {base_url}\n    tokenUrl: {token_url}\n    plan: business\n    rateShare: 1.0\n"
    )
}

/// `roster ARGS… MANIFESTS` with the zoom credentials of `roster sim serve`.
fn on_zoom(ws: &Workspace, args: &[&str]) -> Run {
    let mut c = ws.cmd(args);
    c.arg(&ws.manifests)
        .env("ZOOM_ACCOUNT_ID", "acme")
        .env("ZOOM_CLIENT_ID", "roster-sim")
        .env("ZOOM_CLIENT_SECRET", SECRET);
    Run::from(c.output().expect("run roster"))
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[test]
fn a_token_endpoint_on_a_closed_port_is_reported_with_its_cause() {
    let ws = Workspace::empty();
    let url = format!("http://127.0.0.1:{}", closed_port());
    ws.write(
        "account.yaml",
        &format!(
            "{}---\n{OWNER}",
            zoom_account(&format!("{url}/v2"), &format!("{url}/oauth/token"))
        ),
    );
    let run = on_zoom(&ws, &["plan"]).expect_code(1);
    assert!(
        run.stderr.contains("token endpoint") && run.stderr.contains("onnection refused"),
        "the cause chain is printed: {}",
        run.stderr
    );
}

/// The `create`/`invite` entries of the simulated cloud's log, per email.
fn sends_per_email(state: &Path) -> std::collections::BTreeMap<String, usize> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("--state")
        .arg(state)
        .args(["sim", "show"])
        .output()
        .expect("sim show");
    let sim: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sim show JSON");
    let mut sends = std::collections::BTreeMap::new();
    for entry in sim["log"].as_array().expect("log") {
        let action = entry["action"].as_str().unwrap_or_default();
        if !(action.contains("create_user") || action.contains("invite")) {
            continue;
        }
        let text = entry.to_string();
        if let Some(at) = text.find("new") {
            let email: String = text[at..].chars().take_while(|c| *c != '"').collect();
            *sends.entry(email).or_insert(0) += 1;
        }
    }
    sends
}

/// The changes a plan still proposes (its summary line), 0 for "No changes".
fn changes_left(ws: &Workspace) -> usize {
    let plan = on_zoom(ws, &["plan"]);
    let line = plan
        .stdout
        .lines()
        .find(|l| l.starts_with("Plan:"))
        .map(str::to_string);
    let Some(line) = line else {
        assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
        return 0;
    };
    line.split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse::<usize>().ok())
        .sum()
}

#[test]
fn under_heavy_faults_every_run_makes_progress_and_a_few_converge_without_duplicates() {
    let tmp = tempfile::tempdir().expect("tmp");
    let seed = tmp.path().join("seed.yaml");
    std::fs::write(&seed, SEED).expect("seed");
    let state = tmp.path().join("server");
    let server = Server::start(
        &state,
        &seed,
        &[
            "--fail-rate",
            "0.4",
            "--burst-429",
            "5",
            "--burst-every",
            "20",
        ],
    );
    let ws = Workspace::empty();
    let url = &server.url;
    ws.write(
        "account.yaml",
        &zoom_account(&format!("{url}/v2"), &format!("{url}/oauth/token")),
    );
    let mut users = OWNER.to_string();
    for i in 0..24 {
        users.push_str(&format!(
            "---\nkind: User\nemail: new{i:02}@acme.com\nfirstName: New\nlastName: User{i}\n"
        ));
    }
    ws.write("users.yaml", &users);
    let mut left = changes_left(&ws);
    assert!(left >= 24, "{left}");
    let mut runs = 0;
    while left > 0 {
        runs += 1;
        assert!(
            runs <= 6,
            "no convergence after 5 runs: {left} changes left"
        );
        let apply = on_zoom(&ws, &["apply", "--auto-approve"]);
        assert!(
            apply.stdout.contains("Apply complete") || apply.stdout.contains("No changes"),
            "a run ends with a report, not an abort: {}\n{}",
            apply.stdout,
            apply.stderr
        );
        let now = changes_left(&ws);
        assert!(now < left, "run {runs} made no progress ({left} → {now})");
        left = now;
    }
    let sends = sends_per_email(&state);
    assert_eq!(sends.len(), 24, "{sends:?}");
    assert!(
        sends.values().all(|n| *n == 1),
        "each user created once: {sends:?}"
    );
}

#[test]
fn the_loser_of_a_race_between_two_applies_is_told_who_holds_the_lock() {
    for _ in 0..4 {
        let ws = Workspace::empty();
        ws.write("seed.yaml", SEED);
        ws.write(
            "account.yaml",
            "kind: Account\nname: acme\nowner: owner@acme.com\nprovider: { sim: { seed: seed.yaml } }\n",
        );
        let mut users = OWNER.to_string();
        for i in 0..6 {
            users.push_str(&format!("---\nkind: User\nemail: new{i}@acme.com\n"));
        }
        ws.write("users.yaml", &users);
        ws.sim_latency("account.yaml", 100);
        let spawn = || {
            ws.cmd(&["apply", "--auto-approve"])
                .arg(&ws.manifests)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn apply")
        };
        let (a, b) = (spawn(), spawn());
        let runs = [a, b].map(|c| Run::from(c.wait_with_output().expect("wait")));
        for r in &runs {
            assert!(
                !r.stderr.contains("database is locked"),
                "the store's own lock is never shown: {}",
                r.stderr
            );
            if r.code != 0 {
                assert!(
                    r.stderr.contains("account `acme` is locked by")
                        && r.stderr.contains(" since "),
                    "the loser is told who holds the lock: {}",
                    r.stderr
                );
            }
        }
    }
}

/// Item 10: a pending user's profile is set (Zoom's `PATCH /users/{userId}` takes the
/// email of a user without an id), while its group waits for the acceptance; once set,
/// the next plan is empty, on both providers.
fn pending_profile_is_set(run: &dyn Fn(&[&str]) -> Run, ws: &Workspace) {
    ws.write(
        "users.yaml",
        &format!("{OWNER}---\nkind: User\nemail: pat@acme.com\nfirstName: Pat\n"),
    );
    run(&["apply", "--auto-approve"]).expect_code(0);
    ws.write(
        "users.yaml",
        &format!(
            "{OWNER}---\nkind: User\nemail: pat@acme.com\nfirstName: Patricia\ndepartment: Sales\ngroup: staff\n"
        ),
    );
    let plan = run(&["plan"]);
    assert!(
        plan.stdout.contains("update_user user/pat@acme.com")
            && plan.stdout.contains("\"Sales\"")
            && plan
                .stdout
                .contains("group staff wait until the invitation is accepted"),
        "{}",
        plan.stdout
    );
    run(&["apply", "--auto-approve"]).expect_code(0);
    let again = run(&["plan"]);
    assert!(
        !again.stdout.contains("update_user"),
        "the profile stays set: {}",
        again.stdout
    );
}

#[test]
fn a_pending_users_profile_is_set_on_the_simulator() {
    let ws = Workspace::empty();
    ws.write("seed.yaml", SEED);
    ws.write(
        "account.yaml",
        "kind: Account\nname: acme\nowner: owner@acme.com\nprovider: { sim: { seed: seed.yaml } }\n---\nkind: Group\nname: staff\n",
    );
    pending_profile_is_set(&|args| ws.run(args), &ws);
    let u = ws.sim_show().to_string();
    assert!(u.contains("Patricia") && u.contains("Sales"), "{u}");
}

#[test]
fn a_pending_users_profile_is_set_on_zoom() {
    let tmp = tempfile::tempdir().expect("tmp");
    let seed = tmp.path().join("seed.yaml");
    std::fs::write(&seed, SEED).expect("seed");
    let server = Server::start(&tmp.path().join("server"), &seed, &[]);
    let ws = Workspace::empty();
    let url = &server.url;
    ws.write(
        "account.yaml",
        &format!(
            "{}---\nkind: Group\nname: staff\n",
            zoom_account(&format!("{url}/v2"), &format!("{url}/oauth/token"))
        ),
    );
    pending_profile_is_set(&|args| on_zoom(&ws, args), &ws);
}

/// The value of the gauge `family{account="acme"…}` on `/metrics` (the first sample).
fn gauge(metrics: &str, family: &str) -> f64 {
    let samples = crate::daemon::parse_prometheus(metrics).unwrap_or_else(|e| panic!("{e}"));
    samples
        .iter()
        .find(|(name, _)| name == family)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no {family} in\n{metrics}"))
}

/// The users of the simulated account still pending (an invitation not accepted).
fn pending_in_sim(ws: &Workspace) -> usize {
    let sim = ws.sim_state();
    sim["accounts"][0]["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["status"] == "pending")
        .count()
}

/// Row "daemon `/metrics` after its first apply": every gauge describes the account after
/// the run that just ended, not before it.
#[test]
fn after_the_first_apply_the_daemons_gauges_describe_the_account_it_left() {
    let ws = Workspace::acme();
    let d = ws.daemon(&[], &[]);
    d.wait_for("the first run", std::time::Duration::from_secs(30), || {
        let a = &d.status()["accounts"]["acme"];
        a["runs"].as_u64() >= Some(1) && a["running"] == false
    });
    let (_, metrics) = d.get("/metrics");
    let status = d.status();
    let mut d = d;
    d.terminate();
    d.wait_exit(std::time::Duration::from_secs(20));
    let pending = pending_in_sim(&ws);
    assert!(pending >= 5, "the example invites new users: {pending}");
    assert_eq!(
        gauge(&metrics, "roster_pending_invitations"),
        pending as f64,
        "{metrics}"
    );
    let plan = ws.run(&["plan"]);
    let left = plan
        .stdout
        .lines()
        .find(|l| l.starts_with("Plan:"))
        .map_or(0, |l| {
            l.split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse::<usize>().ok())
                .sum()
        });
    assert_eq!(
        gauge(&metrics, "roster_drift_changes"),
        left as f64,
        "the gauge matches the next plan:\n{}\n{metrics}\n{status}",
        plan.stdout
    );
    assert!(
        left < 20,
        "the first run applied the example: {}",
        plan.stdout
    );
}

/// Row "invalid YAML written into the watched folder": the account shows as degraded, with
/// the error at its true position, on the page, in `/status` and in a metric.
#[test]
fn invalid_yaml_in_the_watched_folder_degrades_the_account_everywhere() {
    let ws = crate::daemon::small(crate::daemon::YEARLY);
    let d = ws.daemon(&[], &[]);
    d.wait_in_sync("acme");
    ws.write("groups.yaml", "kind: Group\nname: [unclosed\n");
    d.wait_for("the load error", std::time::Duration::from_secs(20), || {
        d.status()["manifests"]["ok"] == false
    });
    let s = d.status();
    assert_eq!(s["state"], "degraded", "{s}");
    assert_eq!(
        s["accounts"]["acme"]["degraded"],
        serde_json::json!(["manifests_failed_to_load"]),
        "{s}"
    );
    let diags = s["manifests"]["error"]["diagnostics"].to_string();
    assert!(
        diags.contains("groups.yaml:2:16"),
        "a line the file has: {diags}"
    );
    let (_, page) = d.get("/");
    assert!(
        page.contains(r#"<span class="warn">degraded</span>"#)
            && page.contains("manifests_failed_to_load")
            && page.contains("groups.yaml:2:16"),
        "{page}"
    );
    assert!(!page.contains(r#"class="good">ready"#), "{page}");
    let (_, metrics) = d.get("/metrics");
    assert!(
        metrics.contains(
            "roster_account_degraded{account=\"acme\",reason=\"manifests_failed_to_load\"} 1\n"
        ),
        "{metrics}"
    );
    let (code, ready) = d.get("/readyz");
    assert_eq!(code, 200, "degraded stays routable (README, States)");
    assert!(
        ready.contains("degraded: acme (manifests_failed_to_load"),
        "{ready}"
    );
}

/// An Account document for `name` on the embedded simulator (no seed: the account is
/// added to the shared cloud the first time) and `n` new users of its domain.
fn account_with_users(name: &str, n: usize) -> String {
    let mut text = format!("kind: Account\nname: {name}\nowner: owner@{name}.com\n");
    text.push_str(&format!(
        "---\nkind: User\nemail: owner@{name}.com\ntype: licensed\n"
    ));
    for i in 0..n {
        text.push_str(&format!(
            "---\nkind: User\nemail: user{i:03}@{name}.com\nfirstName: User\nlastName: N{i}\n"
        ));
    }
    text
}

/// The users the journal says were created or invited (`done`) in `account`.
fn journaled_users(state: &Path, account: &str) -> Vec<String> {
    use roster::model::ObjectRef;
    use roster::store::{Outcome, Store};
    let store = roster::store::sqlite::SqliteStore::open(state).expect("store");
    let journal = futures::executor::block_on(store.journal(account)).expect("journal");
    journal
        .iter()
        .filter(|j| j.outcome == Outcome::Done)
        .filter_map(|j| match &j.target {
            ObjectRef::User(email) => Some(email.to_string()),
            _ => None,
        })
        .collect()
}

/// Row "two `roster apply` of two different accounts on one `--state`": the per-account
/// lock lets both run at once, and the simulator's shared `sim.json` loses no update and
/// is never read torn: every change journaled `done` is held by the simulator.
#[test]
fn two_applies_of_two_accounts_on_one_state_lose_no_update() {
    const USERS: usize = 80;
    let ws = Workspace::empty();
    let root = ws.manifests.parent().expect("temp dir").to_path_buf();
    let dirs = ["alpha", "beta"].map(|name| {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("account.yaml"), account_with_users(name, USERS))
            .expect("write manifest");
        dir
    });
    let spawn = |dir: &Path| {
        ws.cmd(&["apply", "--auto-approve"])
            .arg(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn apply")
    };
    let (a, b) = (spawn(&dirs[0]), spawn(&dirs[1]));
    for child in [a, b] {
        Run::from(child.wait_with_output().expect("wait")).expect_code(0);
    }
    let sim = ws.sim_show();
    for (name, dir) in ["alpha", "beta"].iter().zip(&dirs) {
        let account = sim["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .find(|a| a["id"] == *name)
            .unwrap_or_else(|| panic!("the simulator lost account {name}"));
        let held: std::collections::BTreeSet<String> = account["users"]
            .as_array()
            .expect("users")
            .iter()
            .filter_map(|u| u["email"].as_str().map(str::to_string))
            .collect();
        let done = journaled_users(&ws.state, name);
        assert!(done.len() >= USERS, "{name}: {} done", done.len());
        let lost: Vec<_> = done.iter().filter(|e| !held.contains(*e)).collect();
        assert!(
            lost.is_empty(),
            "{name}: journaled done, not held: {lost:?}"
        );
        let plan = Run::from(ws.cmd(&["plan"]).arg(dir).output().expect("plan")).expect_code(0);
        assert!(
            plan.stdout.contains("No changes"),
            "{name}: {}",
            plan.stdout
        );
    }
}
