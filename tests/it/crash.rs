//! Issue 17, part 2: the crash matrix. An apply of 300 changes through `provider: zoom`
//! against `roster sim serve --latency-ms`, killed with SIGKILL at 20 seeded random
//! moments (once the server's request log shows K writes), each followed by a rerun: every
//! trial converges (the next plan is empty), nobody is created or invited twice (counted
//! from the server's request log), and SQLite's `integrity_check` passes on the store
//! right after the kill and after the rerun. `CRASH_SEED=N` replays a printed seed.

use crate::contract::{SECRET, Server, bulk};
use crate::harness::{Run, Workspace};
use roster::store::{Outcome, Store};
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TRIALS: usize = 20;
/// Users the server starts with (`u0..`), all in the manifests.
const EXISTING: usize = 180;
/// `u0..u59` get a new first name: one `PATCH /users/{id}` each.
const RENAMED: usize = 60;
/// `u60..u179` get the Helpdesk role: `POST /roles/{id}/members`, 30 per call.
const PROMOTED: usize = EXISTING - RENAMED;
/// `n0..n119` are new: one `POST /users` each (an invitation, U5).
const CREATED: usize = 120;
/// Writes an uninterrupted apply sends.
const WRITES: usize = RENAMED + CREATED + PROMOTED.div_ceil(30);
/// Added by the server to every request, so several writes are in flight at each kill.
const LATENCY_MS: &str = "25";

/// Replaces `from` by `to` in `file`, once.
fn patch(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).expect("read");
    let patched = text.replacen(from, to, 1);
    assert_ne!(patched, text, "{} has no {from:?}", file.display());
    std::fs::write(file, patched).expect("write");
}

/// The bulk seed on Zoom's Business plan (its rate limits keep the matrix short).
fn seed(ws: &Workspace) -> PathBuf {
    let seed = bulk(ws, "http://placeholder", EXISTING, 0);
    patch(
        &seed,
        "    owner: owner@bulk.example\n",
        "    owner: owner@bulk.example\n    plan: business\n",
    );
    seed
}

/// The manifests of a trial for the server at `url`.
fn manifests(ws: &Workspace, url: &str) {
    bulk(ws, url, EXISTING, 0);
    let account = ws.manifests.join("account.yaml");
    patch(
        &account,
        "    rateShare: 1.0\n",
        "    rateShare: 1.0\n    plan: business\n",
    );
    ws.write("users.yaml", &users());
}

/// The users: the existing ones renamed or promoted, and the newcomers.
fn users() -> String {
    let mut s = String::from("kind: Users\nitems:\n");
    for i in 0..EXISTING {
        let extra = if i < RENAMED {
            format!("firstName: G{i}")
        } else {
            format!("firstName: F{i}, role: Helpdesk")
        };
        s.push_str(&format!("  - {{ email: u{i}@bulk.example, {extra} }}\n"));
    }
    for i in 0..CREATED {
        s.push_str(&format!(
            "  - {{ email: {}, firstName: N{i} }}\n",
            newcomer(i)
        ));
    }
    s
}

fn newcomer(i: usize) -> String {
    format!("n{i}@bulk.example")
}

fn roster(ws: &Workspace, args: &[&str]) -> Command {
    let mut c = ws.cmd(args);
    c.arg(&ws.manifests)
        .env("ZOOM_ACCOUNT_ID", "bulk")
        .env("ZOOM_CLIENT_ID", "roster-sim")
        .env("ZOOM_CLIENT_SECRET", SECRET);
    c
}

fn run(ws: &Workspace, args: &[&str]) -> Run {
    Run::from(roster(ws, args).output().expect("run roster"))
}

/// Requests that change the account (the token endpoint aside).
fn writes(log: &[serde_json::Value]) -> usize {
    log.iter()
        .filter(|r| r["method"] != "GET" && r["path"] != "/oauth/token")
        .count()
}

/// Starts an apply, waits until the server logged `k` writes (or the apply ended), then
/// kills it with SIGKILL. True when the signal is what ended it.
fn apply_killed_after(ws: &Workspace, server: &Server, k: usize) -> bool {
    let mut child = roster(ws, &["apply", "--auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn apply");
    let deadline = Instant::now() + Duration::from_secs(60);
    while writes(&server.requests()) < k {
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "apply made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let status = child.wait().expect("wait");
    status.signal() == Some(9)
}

/// `PRAGMA integrity_check` on the state's store.
fn integrity(state: &Path) -> String {
    let db = rusqlite::Connection::open(state.join("roster.db")).expect("open roster.db");
    db.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
        .expect("integrity_check")
}

/// `POST /users` per email that reached the account (a 429 refused at the door is not a
/// send): a second one is a duplicate create or invitation.
fn creates(log: &[serde_json::Value]) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for r in log
        .iter()
        .filter(|r| r["method"] == "POST" && r["route"] == "/v2/users" && r["fault"].is_null())
    {
        let email = r["body"]["user_info"]["email"].as_str().unwrap_or_default();
        *n.entry(email.to_string()).or_insert(0) += 1;
    }
    n
}

/// Journal rows of any run still `started` after the rerun.
fn open_rows(state: &Path) -> usize {
    let store = roster::store::sqlite::SqliteStore::open(state).expect("store");
    let journal = futures::executor::block_on(store.journal("bulk")).expect("journal");
    journal
        .iter()
        .filter(|j| j.outcome == Outcome::Started)
        .count()
}

/// What one trial found.
#[derive(Debug, Default)]
struct Trial {
    killed: bool,
    converged: bool,
    duplicates: Vec<(String, usize)>,
    integrity: Vec<String>,
    problems: Vec<String>,
}

/// The creates in the server's log: each newcomer exactly once, nobody else.
fn check_creates(server: &Server, t: &mut Trial) {
    let sent = creates(&server.requests());
    t.duplicates = sent
        .iter()
        .filter(|(_, c)| **c > 1)
        .map(|(e, c)| (e.clone(), *c))
        .collect();
    let mine: Vec<String> = (0..CREATED).map(newcomer).collect();
    let missing = mine.iter().filter(|e| !sent.contains_key(*e)).count();
    if missing > 0 {
        t.problems
            .push(format!("{missing} newcomers never created"));
    }
    let others: Vec<&String> = sent.keys().filter(|e| !mine.contains(e)).collect();
    if !others.is_empty() {
        t.problems.push(format!("created again: {others:?}"));
    }
}

/// A fresh slow server on the bulk seed and a fresh workspace whose plan has 300 changes.
fn account(tmp: &Path) -> (Server, Workspace) {
    let ws = Workspace::empty();
    let server = Server::start(
        &tmp.join("server"),
        &seed(&ws),
        &["--latency-ms", LATENCY_MS],
    );
    manifests(&ws, &server.url);
    (server, ws)
}

/// A trial on a fresh account: kill after `k` writes, check the store, rerun, check
/// convergence, the journal and the request log.
fn trial(k: usize) -> Trial {
    let tmp = tempfile::tempdir().expect("tmp");
    let (server, ws) = account(tmp.path());
    let mut t = Trial {
        killed: apply_killed_after(&ws, &server, k),
        ..Trial::default()
    };
    t.integrity.push(integrity(&ws.state));
    let rerun = run(&ws, &["apply", "--auto-approve"]);
    if rerun.code != 0 {
        t.problems
            .push(format!("rerun exit {}: {}", rerun.code, rerun.stderr));
    }
    let plan = run(&ws, &["plan", "--detailed-exitcode"]);
    t.converged = rerun.code == 0 && plan.code == 0;
    if plan.code != 0 {
        t.problems
            .push(format!("plan after rerun:\n{}", plan.stdout));
    }
    t.integrity.push(integrity(&ws.state));
    let open = open_rows(&ws.state);
    if open > 0 {
        t.problems.push(format!("{open} journal rows left started"));
    }
    check_creates(&server, &mut t);
    t
}

/// The plan of a fresh trial account has the matrix's 300 changes.
fn assert_plan_size() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (_server, ws) = account(tmp.path());
    let plan = run(&ws, &["plan", "--format", "json"]).expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let changes = v["changes"].as_array().expect("changes").len();
    assert_eq!(changes, RENAMED + PROMOTED + CREATED, "{}", plan.stdout);
}

fn crash_seed() -> u64 {
    std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..))
}

/// The summary line, and the trials that went wrong.
fn summary(trials: &[Trial]) -> (String, Vec<(usize, &Trial)>) {
    let converged = trials.iter().filter(|t| t.converged).count();
    let kills = trials.iter().filter(|t| t.killed).count();
    let dups: usize = trials.iter().map(|t| t.duplicates.len()).sum();
    let ok = trials.iter().all(|t| t.integrity.iter().all(|i| i == "ok"));
    let line = format!(
        "crash matrix: {converged}/{} converged, {kills} kills, {dups} duplicate creates/invites, integrity_check {}",
        trials.len(),
        if ok { "ok" } else { "FAILED" }
    );
    let bad = trials
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            !t.killed
                || !t.converged
                || !t.duplicates.is_empty()
                || !t.problems.is_empty()
                || t.integrity.iter().any(|i| i != "ok")
        })
        .collect();
    (line, bad)
}

#[test]
fn crash_matrix_kill_9_at_20_moments_of_a_300_change_apply_then_rerun_converges() {
    let seed = crash_seed();
    eprintln!("crash matrix: CRASH_SEED={seed}; each trial applies 300 changes, {WRITES} writes");
    assert_plan_size();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut trials = Vec::new();
    for n in 0..TRIALS {
        // Leave a margin at the end so the apply is still running when the signal lands.
        let k = rng.usize(1..WRITES - 20);
        let began = Instant::now();
        let t = trial(k);
        eprintln!(
            "trial {n} ({:.1?}): SIGKILL after {k}/{WRITES} writes: killed={} converged={} duplicates={} integrity={:?}",
            began.elapsed(),
            t.killed,
            t.converged,
            t.duplicates.len(),
            t.integrity
        );
        trials.push(t);
    }
    let (line, bad) = summary(&trials);
    println!("{line}");
    assert!(bad.is_empty(), "CRASH_SEED={seed} reproduces: {bad:#?}");
}
