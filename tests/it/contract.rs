//! The contract between the embedded simulator and `provider: zoom` against
//! `roster sim serve` on loopback: same manifests, same plans, same final account.

use crate::harness::Workspace;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const SECRET: &str = "s3cret-for-tests";

/// `roster sim serve` on a free loopback port, stopped on drop.
pub struct Server {
    child: Child,
    pub url: String,
    pub state: PathBuf,
}

impl Server {
    pub fn start(state: &Path, seed: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_roster"))
            .arg("--state")
            .arg(state)
            .args([
                "sim",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--client-secret",
                SECRET,
                "--seed",
            ])
            .arg(seed)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sim serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read address");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_string();
        Server {
            child,
            url,
            state: state.to_path_buf(),
        }
    }

    /// The server's request log.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        http_get(&format!("{}/_sim/requests", self.url))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP GET over std (no client dependency in tests).
fn http_get(url: &str) -> Vec<serde_json::Value> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_once('/').expect("path");
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut buf = String::new();
    s.read_to_string(&mut buf).expect("read");
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    serde_json::from_str(body).expect("request log JSON")
}

pub(crate) fn example(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/acme")
        .join(rel)
}

/// `examples/acme` without what Zoom has no API for (organizations, external contacts,
/// the Calendly connection: manual changes, tested on their own), so both providers can be
/// compared.
fn api_only(ws: &Workspace) {
    std::fs::remove_file(ws.manifests.join("organization.yaml")).expect("rm organization");
    without_external_contacts(ws);
    without_calendly(ws);
}

/// Zoom cannot list external contacts: the seed's are requested again, and refused.
fn without_external_contacts(ws: &Workspace) {
    let contacts = ws_read(ws, "contacts.yaml");
    let personal = contacts
        .find("kind: PersonalContacts")
        .expect("personal contacts");
    ws.write("contacts.yaml", &contacts[personal..]);
    let account = ws_read(ws, "account.yaml");
    let start = account.find("  externalContacts:").expect("allowDomains");
    let end = start + account[start..].find("\n  userEditable").expect("next key");
    ws.write(
        "account.yaml",
        &format!("{}{}", &account[..start], &account[end + 1..]),
    );
}

/// `examples/acme` with `provider: zoom` pointed at `url`.
pub(crate) fn zoom_workspace(url: &str, share: &str) -> Workspace {
    let ws = Workspace::acme();
    api_only(&ws);
    with_zoom_provider(&ws, url, share);
    ws
}

/// `examples/acme` with its organization (manual changes on Zoom) but without external
/// contacts, with `provider: zoom` pointed at `url`.
pub fn zoom_acme_with_manual_changes(url: &str) -> Workspace {
    let ws = Workspace::acme();
    without_external_contacts(&ws);
    with_zoom_provider(&ws, url, "1.0");
    ws
}

/// The environment `provider: zoom` of these workspaces reads its credentials from.
pub const ZOOM_ENV: [(&str, &str); 3] = [
    ("ZOOM_ACCOUNT_ID", "acme"),
    ("ZOOM_CLIENT_ID", "roster-sim"),
    ("ZOOM_CLIENT_SECRET", SECRET),
];

fn with_zoom_provider(ws: &Workspace, url: &str, share: &str) {
    let account = ws_read(ws, "account.yaml");
    let zoom = format!(
        "provider:\n  zoom:\n    accountId: {{ env: ZOOM_ACCOUNT_ID }}\n    clientId: {{ env: ZOOM_CLIENT_ID }}\n    clientSecret: {{ env: ZOOM_CLIENT_SECRET }}\n    baseUrl: {url}/v2\n    tokenUrl: {url}/oauth/token\n    plan: business\n    rateShare: {share}\n"
    );
    let start = account.find("provider:").expect("provider block");
    let end = account.find("defaults:").expect("defaults block");
    ws.write(
        "account.yaml",
        &format!("{}{}{}", &account[..start], zoom, &account[end..]),
    );
    // The seed belongs to the server now.
    std::fs::remove_file(ws.manifests.join("sim-seed.yaml")).expect("remove seed");
    without_calendly(ws);
}

/// On zoom the Calendly connection is read from Calendly with a token of its own (C1) and
/// made by hand: tested on its own (calendly.rs, daemon_calendly.rs).
fn without_calendly(ws: &Workspace) {
    let calendly = ws.manifests.join("calendly.yaml");
    if calendly.exists() {
        std::fs::remove_file(calendly).expect("remove calendly");
    }
}

fn ws_read(ws: &Workspace, rel: &str) -> String {
    std::fs::read_to_string(ws.manifests.join(rel)).expect("read")
}

pub(crate) fn zoom_env(c: &mut Command, secret: &str) {
    c.env("ZOOM_ACCOUNT_ID", "acme")
        .env("ZOOM_CLIENT_ID", "roster-sim")
        .env("ZOOM_CLIENT_SECRET", secret);
}

fn run_zoom(ws: &Workspace, args: &[&str], secret: &str) -> crate::harness::Run {
    let mut c = ws.cmd(args);
    c.arg(&ws.manifests);
    zoom_env(&mut c, secret);
    crate::harness::Run::from(c.output().expect("run roster"))
}

/// Applies `examples/acme` (its API part) through `provider: zoom` to the server at `url`.
pub fn apply_acme_through_zoom(url: &str) {
    let ws = zoom_workspace(url, "1.0");
    run_zoom(&ws, &["apply", "--auto-approve"], SECRET).expect_code(0);
}

/// The parts of a plan both providers must agree on.
fn plan_shape(json: &str) -> Vec<(String, String, String)> {
    let v: serde_json::Value = serde_json::from_str(json).expect("plan JSON");
    let mut out: Vec<_> = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap_or_default().to_string(),
                c["target"].as_str().unwrap_or_default().to_string(),
                c["fields"].to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The account as both providers should leave it: users without ids or times.
fn account_state(state: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("--state")
        .arg(state)
        .args(["sim", "show"])
        .output()
        .expect("sim show");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sim show JSON");
    let acme = v["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["id"] == "acme")
        .expect("acme")
        .clone();
    let mut users: Vec<serde_json::Value> = acme["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            let mut u = u.clone();
            let m = u.as_object_mut().expect("object");
            m.remove("id");
            m.remove("invitedAt");
            u
        })
        .collect();
    users.sort_by_key(|u| u["email"].as_str().unwrap_or_default().to_string());
    let names = |key: &str| -> Vec<String> {
        let mut n: Vec<String> = acme[key]
            .as_array()
            .expect("list")
            .iter()
            .map(|g| g["name"].as_str().unwrap_or_default().to_string())
            .collect();
        n.sort();
        n
    };
    serde_json::json!({"users": users, "groups": names("groups"), "chatGroups": names("chatGroups"), "roles": names("roles")})
}

#[test]
fn acme_through_the_zoom_provider_plans_and_ends_like_the_embedded_run() {
    // Embedded.
    let embedded = Workspace::acme();
    api_only(&embedded);
    let embedded_plan = embedded
        .run(&["plan", "--format", "json"])
        .expect_code(0)
        .stdout;
    embedded.run(&["apply", "--auto-approve"]).expect_code(0);
    // Over HTTP.
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(&tmp.path().join("server"), &example("sim-seed.yaml"), &[]);
    let ws = zoom_workspace(&server.url, "1.0");
    let zoom_plan = run_zoom(&ws, &["plan", "--format", "json"], SECRET)
        .expect_code(0)
        .stdout;
    assert_eq!(
        plan_shape(&zoom_plan),
        plan_shape(&embedded_plan),
        "both providers plan the same changes"
    );
    let applied = run_zoom(&ws, &["apply", "--auto-approve"], SECRET).expect_code(0);
    assert!(
        applied.stdout.contains("Apply complete for account acme"),
        "{}",
        applied.stdout
    );
    let second = run_zoom(&ws, &["plan", "--detailed-exitcode"], SECRET);
    assert_eq!(
        second.code, 0,
        "second plan is empty:\n{}\n{}",
        second.stdout, second.stderr
    );
    assert_eq!(
        account_state(&server.state),
        account_state(&embedded.state),
        "same final account"
    );
}

/// A `sim serve` on the acme seed, and `examples/acme` applied to it through `provider: zoom`
/// (the temporary folder holds the server's state: keep it alive).
fn acme_applied_through_zoom() -> (tempfile::TempDir, Server, Workspace) {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(&tmp.path().join("server"), &example("sim-seed.yaml"), &[]);
    let ws = zoom_workspace(&server.url, "1.0");
    run_zoom(&ws, &["apply", "--auto-approve"], SECRET).expect_code(0);
    (tmp, server, ws)
}

#[test]
fn a_no_change_plan_makes_list_calls_only() {
    let (_tmp, server, ws) = acme_applied_through_zoom();
    let before = server.requests().len();
    run_zoom(&ws, &["plan", "--detailed-exitcode"], SECRET).expect_code(0);
    let log = server.requests();
    let calls: Vec<&serde_json::Value> = log[before..].iter().collect();
    let per_user = calls
        .iter()
        .filter(|r| {
            r["route"] == "/v2/users/{user_id}" || r["route"] == "/v2/users/{user_id}/settings"
        })
        .count();
    assert_eq!(
        per_user, 0,
        "no per-user reads once roster knows the fields: {calls:?}"
    );
    assert!(
        calls
            .iter()
            .all(|r| r["method"] == "GET" || r["path"] == "/oauth/token"),
        "only reads: {calls:?}"
    );
}

#[test]
fn a_wrong_secret_fails_clearly_and_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(&tmp.path().join("server"), &example("sim-seed.yaml"), &[]);
    let ws = zoom_workspace(&server.url, "1.0");
    let r = run_zoom(&ws, &["apply", "--auto-approve"], "not-the-secret").expect_code(1);
    assert!(
        r.stderr.contains("refused the app's credentials"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("not-the-secret") && !r.stdout.contains("not-the-secret"),
        "the secret is never printed"
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|q| q["path"] == "/oauth/token"),
        "no API call without a token"
    );
}

#[test]
fn faults_and_429_bursts_converge_without_duplicate_invitations() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(
        &tmp.path().join("server"),
        &example("sim-seed.yaml"),
        &[
            "--fail-rate",
            "0.2",
            "--burst-429",
            "3",
            "--burst-every",
            "15",
        ],
    );
    let ws = zoom_workspace(&server.url, "1.0");
    let mut runs = 0;
    loop {
        runs += 1;
        let r = run_zoom(&ws, &["apply", "--auto-approve"], SECRET);
        if r.code == 0 {
            assert!(
                r.stderr.contains("retrying"),
                "retries are logged: {}",
                r.stderr
            );
            break;
        }
        assert!(
            runs < 4,
            "apply did not converge: {}\n{}",
            r.stdout,
            r.stderr
        );
    }
    let plan = run_zoom(&ws, &["plan", "--detailed-exitcode"], SECRET);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let sim = account_state(&server.state);
    let out = Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("--state")
        .arg(&server.state)
        .args(["sim", "show"])
        .output()
        .expect("show");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for email in ["henry@acme.com", "ivy@example.org", "leo@acme.com"] {
        let sends = v["log"]
            .as_array()
            .expect("log")
            .iter()
            .filter(|e| {
                e["target"] == email
                    && ["create_user", "invite_user", "resend_invitation"]
                        .contains(&e["action"].as_str().unwrap_or_default())
            })
            .count();
        assert_eq!(sends, 1, "{email} invited {sends} times");
    }
    assert!(sim["users"].as_array().expect("users").len() >= 12);
}

#[test]
fn an_expired_token_is_renewed_once_and_the_run_continues() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(
        &tmp.path().join("server"),
        &example("sim-seed.yaml"),
        &["--token-ttl", "1", "--latency-ms", "60"],
    );
    let ws = zoom_workspace(&server.url, "1.0");
    let r = run_zoom(&ws, &["apply", "--auto-approve"], SECRET).expect_code(0);
    assert!(r.stdout.contains("Apply complete"), "{}", r.stdout);
    let tokens = server
        .requests()
        .iter()
        .filter(|q| q["path"] == "/oauth/token")
        .count();
    assert!(
        tokens >= 2,
        "the token was renewed ({tokens} token requests)"
    );
    run_zoom(&ws, &["plan", "--detailed-exitcode"], SECRET).expect_code(0);
}

/// A seed and manifests for `n` matching users, `role` given to the first `promoted`.
pub(crate) fn bulk(ws: &Workspace, url: &str, n: usize, promoted: usize) -> PathBuf {
    let mut seed = String::from(
        "clock: 2026-11-01T09:00:00Z\naccounts:\n  - id: bulk\n    owner: owner@bulk.example\n    roles: [ { name: Helpdesk, privileges: [user:read] } ]\n    users:\n      - { email: owner@bulk.example, type: licensed }\n",
    );
    let mut items = String::from("kind: Users\nitems:\n");
    for i in 0..n {
        seed.push_str(&format!(
            "      - {{ email: u{i}@bulk.example, firstName: F{i} }}\n"
        ));
        let role = if i < promoted { ", role: Helpdesk" } else { "" };
        items.push_str(&format!(
            "  - {{ email: u{i}@bulk.example, firstName: F{i}{role} }}\n"
        ));
    }
    let seed_path = ws.manifests.parent().expect("tmp").join("bulk-seed.yaml");
    std::fs::write(&seed_path, seed).expect("seed");
    ws.write(
        "account.yaml",
        &format!("kind: Account\nname: bulk\nowner: owner@bulk.example\nprovider:\n  zoom:\n    accountId: {{ env: ZOOM_ACCOUNT_ID }}\n    clientId: {{ env: ZOOM_CLIENT_ID }}\n    clientSecret: {{ env: ZOOM_CLIENT_SECRET }}\n    baseUrl: {url}/v2\n    tokenUrl: {url}/oauth/token\n    rateShare: 1.0\n---\nkind: User\nemail: owner@bulk.example\ntype: licensed\n---\nkind: Role\nname: Helpdesk\nprivileges: [user:read]\n"),
    );
    ws.write("users.yaml", &items);
    seed_path
}

#[test]
fn call_counts_list_pages_per_status_and_30_role_changes_per_call() {
    let ws = Workspace::empty();
    let tmp = tempfile::tempdir().expect("tmp");
    // Port first, then the seed: start a server on a seed written for its URL.
    let seed = bulk(&ws, "http://placeholder", 3000, 300);
    let server = Server::start(&tmp.path().join("server"), &seed, &[]);
    bulk(&ws, &server.url, 3000, 300);
    let run = |args: &[&str]| {
        let mut c = ws.cmd(args);
        c.arg(&ws.manifests)
            .env("ZOOM_ACCOUNT_ID", "bulk")
            .env("ZOOM_CLIENT_ID", "roster-sim")
            .env("ZOOM_CLIENT_SECRET", SECRET);
        crate::harness::Run::from(c.output().expect("run"))
    };
    let before = server.requests().len();
    run(&["apply", "--auto-approve"]).expect_code(0);
    let log = server.requests();
    let role_posts = log[before..]
        .iter()
        .filter(|r| r["method"] == "POST" && r["route"] == "/v2/roles/{role_id}/members")
        .count();
    assert_eq!(role_posts, 10, "300 role changes in calls of 30");
    let before = log.len();
    run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let log = server.requests();
    let plan_calls = &log[before..];
    let user_pages = plan_calls
        .iter()
        .filter(|r| r["route"] == "/v2/users")
        .count();
    // ceil(3001/300) active pages + one each for inactive and pending.
    assert_eq!(user_pages, 11 + 1 + 1, "{plan_calls:?}");
    assert!(
        plan_calls.len() <= user_pages + 6,
        "a small constant beyond user pages: {} calls",
        plan_calls.len()
    );
}

/// Issue 10 item 3: a chat group dropped from the manifests with its members is deleted
/// in one change (Zoom refuses to remove a contact group's last member, 400/300); the apply
/// through `zoom` has no failure and the next plan is empty.
#[test]
fn issue10_item3_a_dropped_chat_group_is_deleted_without_member_removals() {
    let (_tmp, _server, ws) = acme_applied_through_zoom();
    let groups = ws_read(&ws, "groups.yaml");
    let start = groups
        .find("---\nkind: ChatGroup\nname: eng-chat")
        .expect("eng-chat");
    let end = start
        + 4
        + groups[start + 4..]
            .find("---")
            .unwrap_or(groups.len() - start - 4);
    ws.write(
        "groups.yaml",
        &format!("{}{}", &groups[..start], &groups[end..]),
    );
    let eng = ws_read(&ws, "users/engineering.yaml").replace(", eng-chat]", "]");
    ws.write("users/engineering.yaml", &eng);
    let plan = run_zoom(&ws, &["plan", "--format", "json"], SECRET).expect_code(0);
    let shape = plan_shape(&plan.stdout);
    assert!(
        shape
            .iter()
            .any(|(a, t, _)| a == "delete_chat_group" && t == "chat_group/eng-chat"),
        "{shape:?}"
    );
    assert!(
        !shape.iter().any(|(a, _, _)| a == "remove_chat_group"),
        "members go with the deleted group: {shape:?}"
    );
    let applied = run_zoom(&ws, &["apply", "--auto-approve"], SECRET);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    let second = run_zoom(&ws, &["plan", "--detailed-exitcode"], SECRET);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
}

/// Issue 10, item 10: type 3 (on-prem) is not in the `type` enum of `POST`/`PATCH /users`
/// ([1, 2, 4, 99]): through `zoom` the plan refuses it (U2) and nothing is sent.
#[test]
fn issue10_item10_on_prem_is_refused_at_plan_time_through_zoom() {
    let (_tmp, server, ws) = acme_applied_through_zoom();
    ws.write(
        "users/onprem.yaml",
        "kind: User\nemail: vm@acme.com\nfirstName: Vee\ntype: on-prem\n",
    );
    let before = server.requests().len();
    let plan = run_zoom(&ws, &["apply", "--auto-approve"], SECRET);
    assert_ne!(plan.code, 0, "{}", plan.stdout);
    let out = format!("{}{}", plan.stdout, plan.stderr);
    assert!(out.contains("U2") && out.contains("on-prem"), "{out}");
    let writes: Vec<_> = server.requests()[before..]
        .iter()
        .filter(|r| r["method"] != "GET" && r["path"] != "/oauth/token")
        .cloned()
        .collect();
    assert!(writes.is_empty(), "nothing sent to the API: {writes:?}");
}

/// Issue 16, part 1: `roster import` through `provider: zoom` against `sim serve`
/// writes manifests whose first plan is empty (Zoom's unlisted fields read once per user).
#[test]
fn an_account_imported_through_zoom_plans_no_changes() {
    let (_tmp, _server, ws) = acme_applied_through_zoom();
    let out = tempfile::tempdir().expect("out");
    let o = out.path().display().to_string();
    let wrote = run_zoom(&ws, &["import", "--out", &o, "--write"], SECRET);
    assert_eq!(wrote.code, 0, "{}\n{}", wrote.stdout, wrote.stderr);
    assert!(
        wrote.stderr.contains("cannot list external contacts"),
        "says what Zoom hides: {}",
        wrote.stderr
    );
    let mut c = ws.cmd(&["plan", "--detailed-exitcode"]);
    c.arg(out.path());
    zoom_env(&mut c, SECRET);
    let plan = crate::harness::Run::from(c.output().expect("plan"));
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}
