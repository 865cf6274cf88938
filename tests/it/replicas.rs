//! Two daemons on one PostgreSQL store, provider `zoom` against `roster sim serve` with
//! write latency, and the leader taken out mid-apply three ways (issue 14's acceptance):
//! killed (crash), stopped for three TTLs (pause), cut off from the database (cut). In each,
//! the other replica takes over within TTL + renew interval + 1 s, the account converges,
//! and every change has exactly one successful write in the server's request log, where
//! each process's requests are told apart by the access token they carry (`client`).
//!
//! The waits are events (the lease row changed hands, a daemon's status says applied),
//! except the pause's three TTLs, which are the scenario itself.

use crate::contract::{SECRET, Server, ZOOM_ENV, example, zoom_env, zoom_workspace};
use crate::harness::{Daemon, Workspace};
use crate::postgres::{
    TestDb, admin, block_on, doubles, live_holder, poll, successful_writes, wait_applied,
};
use roster::store::Store;
use roster::store::lease::{DEFAULT_RENEW_EVERY, DEFAULT_TTL};
use roster::store::postgres::PgStore;
use std::time::{Duration, Instant};

/// The longest a takeover may take after the leader stops renewing (issue 14).
fn takeover_bound() -> Duration {
    DEFAULT_TTL + DEFAULT_RENEW_EVERY + Duration::from_secs(1)
}

/// Two replicas and the server they write to, once one of them leads mid-apply. Fields
/// drop in order: the daemons first, the database, then the roles it was used through.
struct Replicas {
    daemons: [Daemon; 2],
    server: Server,
    workspaces: [Workspace; 2],
    db: TestDb,
    roles: Roles,
    /// Index of the daemon that held the lease when the scenario began.
    leader: usize,
    /// The access-token serial of the leader's requests (`client` in the request log).
    leader_client: serde_json::Value,
    _tmp: tempfile::TempDir,
}

/// One PostgreSQL login role per replica, so that the cut can refuse one replica's logins
/// and terminate its sessions without touching the other's; dropped at the end.
struct Roles {
    admin: String,
    names: [String; 2],
}

impl Roles {
    fn create(db: &TestDb) -> Roles {
        let names = [0, 1].map(|i| format!("{}_replica_{i}", db.name));
        block_on(async {
            let c = admin(&db.admin).await;
            for n in &names {
                c.batch_execute(&format!("CREATE ROLE {n} LOGIN SUPERUSER"))
                    .await
                    .expect("create a replica's role");
            }
        });
        Roles {
            admin: db.admin.clone(),
            names,
        }
    }

    /// `url` (the test database's) with replica `i`'s role as its user.
    fn url(&self, url: &str, i: usize) -> String {
        let (scheme, rest) = url.split_once("://").expect("a URL");
        let host = rest.split_once('@').map_or(rest, |(_, h)| h);
        format!("{scheme}://{}@{host}", self.names[i])
    }
}

impl Drop for Roles {
    fn drop(&mut self) {
        block_on(async {
            let c = admin(&self.admin).await;
            for n in &self.names {
                let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {n}")).await;
            }
        });
    }
}

impl Replicas {
    /// Starts the server and both daemons, and returns once one of them holds the lease
    /// and has sent at least two writes. `None` without a PostgreSQL server (see `TestDb`).
    fn mid_apply() -> Option<Replicas> {
        let db = TestDb::create()?;
        let roles = Roles::create(&db);
        let tmp = tempfile::tempdir().expect("tmp");
        let server = Server::start(
            &tmp.path().join("server"),
            &example("sim-seed.yaml"),
            &["--latency-ms", "150"],
        );
        // The same manifests, each replica its own state folder and role, one store.
        let workspaces = [
            zoom_workspace(&server.url, "1.0"),
            zoom_workspace(&server.url, "1.0"),
        ];
        let daemons =
            [0, 1].map(|i| workspaces[i].daemon(&["--store", &roles.url(&db.url, i)], &ZOOM_ENV));
        let mut leader = None;
        poll("a leader mid-apply", Duration::from_secs(60), || {
            let holder = live_holder(&db.url, "acme").unwrap_or_default();
            leader = daemons
                .iter()
                .position(|d| holder.starts_with(&holder_of(d)));
            leader.is_some() && successful_writes(&server.requests()).len() >= 2
        });
        let leader_client = last_write_client(&server.requests());
        Some(Replicas {
            daemons,
            server,
            workspaces,
            db,
            roles,
            leader: leader.expect("polled"),
            leader_client,
            _tmp: tmp,
        })
    }

    fn survivor(&self) -> &Daemon {
        &self.daemons[1 - self.leader]
    }

    /// Sends `signal` (`KILL`, `STOP`, `CONT`) to the leader.
    fn signal_leader(&self, signal: &str) {
        let ok = std::process::Command::new("kill")
            .args([
                &format!("-{signal}"),
                &self.daemons[self.leader].pid().to_string(),
            ])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill -{signal} failed");
    }

    /// Waits until the survivor holds the lease; the time it took, at most the bound.
    fn wait_takeover(&self) -> Duration {
        let bound = takeover_bound();
        let survivor = holder_of(self.survivor());
        let took = poll("the takeover", bound + Duration::from_secs(20), || {
            live_holder(&self.db.url, "acme").is_some_and(|h| h.starts_with(&survivor))
        });
        assert!(took <= bound, "takeover took {took:?}, more than {bound:?}");
        took
    }

    /// The leader's requests in `log`, and how many of them come after the survivor's
    /// first request.
    fn leader_requests(&self, log: &[serde_json::Value]) -> (usize, usize) {
        let is_leader = |r: &serde_json::Value| r["client"] == self.leader_client;
        let first_new = log
            .iter()
            .position(|r| !r["client"].is_null() && !is_leader(r))
            .unwrap_or(log.len());
        let total = log.iter().filter(|r| is_leader(r)).count();
        let late = log[first_new..].iter().filter(|r| is_leader(r)).count();
        (total, late)
    }

    /// After the survivor's apply: no change written twice, and a plan from the first
    /// workspace has nothing left to do. The number of successful writes.
    fn assert_converged_once(&self) -> usize {
        wait_applied(self.survivor(), "the survivor's apply");
        let log = self.server.requests();
        assert_eq!(doubles(&log), vec![], "a change was sent twice");
        let ws = &self.workspaces[0];
        let mut c = ws.cmd(&["plan", "--store", &self.db.url, "--detailed-exitcode"]);
        c.arg(&ws.manifests);
        zoom_env(&mut c, SECRET);
        let plan = crate::harness::Run::from(c.output().expect("run roster plan"));
        assert_eq!(plan.code, 0, "the account converged: {plan:#?}");
        successful_writes(&log).values().sum()
    }
}

/// How a daemon names itself in the lease row.
fn holder_of(d: &Daemon) -> String {
    format!("roster daemon (pid {}) on host", d.pid())
}

/// The `client` of the last successful write in `log`.
fn last_write_client(log: &[serde_json::Value]) -> serde_json::Value {
    let c = log
        .iter()
        .rev()
        .find(|r| {
            r["method"] != "GET"
                && r["path"] != "/oauth/token"
                && r["status"].as_u64().is_some_and(|s| s < 300)
        })
        .map(|r| r["client"].clone())
        .unwrap_or_default();
    assert!(c.is_u64(), "the leader's writes carry a token serial: {c}");
    c
}

#[test]
fn crash_kill_9_the_leader_mid_apply_the_other_daemon_takes_over_within_ttl_plus_renew() {
    let Some(r) = Replicas::mid_apply() else {
        return;
    };
    r.signal_leader("KILL");
    let at_kill = successful_writes(&r.server.requests())
        .values()
        .sum::<usize>();
    let takeover = r.wait_takeover();
    let total = r.assert_converged_once();
    assert!(
        at_kill < total,
        "the leader was killed mid-apply ({at_kill} of {total} writes)"
    );
    println!(
        "takeover: {:.1}s (bound {:.0}s = TTL + renew + 1 s); killed after {at_kill} of {total} writes, each sent once, converged",
        takeover.as_secs_f64(),
        takeover_bound().as_secs_f64()
    );
}

#[test]
fn pause_sigstop_the_leader_for_3_ttl_it_sends_nothing_after_the_new_leaders_first_request() {
    let Some(r) = Replicas::mid_apply() else {
        return;
    };
    r.signal_leader("STOP");
    let stopped = Instant::now();
    let takeover = r.wait_takeover();
    r.assert_converged_once();
    // The scenario's own length: the leader stays stopped for three TTLs.
    std::thread::sleep((3 * DEFAULT_TTL).saturating_sub(stopped.elapsed()));
    // The new leader still holds the account when the old one wakes up: the test holds
    // it in the new leader's place (the survivor released it at the end of its run).
    let held = block_on(async {
        let store = PgStore::connect(&r.db.url).await.expect("store");
        store
            .acquire("acme", "the new leader", Duration::from_secs(300))
            .await
    })
    .expect("the survivor released the account after its run");
    let before = r.server.requests().len();
    r.signal_leader("CONT");
    let old = &r.daemons[r.leader];
    old.wait_for(
        "the old leader's next run to stand by",
        Duration::from_secs(60),
        || {
            let s = old.status();
            s["accounts"]["acme"]["last_run"]["result"] == "standby"
        },
    );
    let log = r.server.requests();
    assert!(old.logs().contains("lease lost"), "{}", old.logs());
    assert_eq!(
        log.len(),
        before,
        "requests after SIGCONT: {:#?}",
        &log[before..]
    );
    let (sent, late) = r.leader_requests(&log);
    assert_eq!(
        late, 0,
        "the old leader sent {late} requests after the new leader's first"
    );
    block_on(async {
        let store = PgStore::connect(&r.db.url).await.expect("store");
        store.release(&held).await.expect("release")
    });
    println!(
        "pause: leader stopped {:.0}s; takeover after {:.1}s; the old leader sent {sent} requests, none after the new leader's first, and stood by with \"lease lost\"",
        stopped.elapsed().as_secs_f64(),
        takeover.as_secs_f64()
    );
}

#[test]
fn cut_the_leaders_database_connections_in_a_loop_it_stops_sending_within_the_ttl() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let Some(r) = Replicas::mid_apply() else {
        return;
    };
    let (stop, kills) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    let (cut_tx, cut_rx) = std::sync::mpsc::channel();
    // The leader's role may no longer log in, and its sessions are terminated every
    // 100 ms until the survivor has converged.
    let cutter = {
        let (stop, kills) = (stop.clone(), kills.clone());
        let (url, role) = (r.db.admin.clone(), r.roles.names[r.leader].clone());
        std::thread::spawn(move || {
            block_on(async {
                let c = admin(&url).await;
                c.batch_execute(&format!("ALTER ROLE {role} NOLOGIN"))
                    .await
                    .expect("nologin");
                let sql = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = $1";
                let mut first = true;
                while !stop.load(Ordering::SeqCst) {
                    let n: i64 = c.query_one(sql, &[&role]).await.expect("terminate").get(0);
                    kills.fetch_add(n as usize, Ordering::SeqCst);
                    if std::mem::take(&mut first) {
                        let _ = cut_tx.send(());
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                c.batch_execute(&format!("ALTER ROLE {role} LOGIN"))
                    .await
                    .expect("login");
            })
        })
    };
    cut_rx.recv().expect("the cut began");
    let cut = Instant::now();
    let takeover = r.wait_takeover();
    // What the leader had sent once a TTL had passed since the cut began.
    let mut at_ttl = None;
    poll("a TTL since the cut", 2 * DEFAULT_TTL, || {
        if cut.elapsed() >= DEFAULT_TTL {
            at_ttl = Some(r.leader_requests(&r.server.requests()).0);
        }
        at_ttl.is_some()
    });
    let total = r.assert_converged_once();
    // Counted before the cut ends: from then on the old leader may take the lease again.
    let (sent, late) = r.leader_requests(&r.server.requests());
    stop.store(true, Ordering::SeqCst);
    cutter.join().expect("the cutting thread");
    assert!(
        kills.load(Ordering::SeqCst) > 0,
        "no session of the leader was cut"
    );
    assert_eq!(
        Some(sent),
        at_ttl,
        "the leader sent requests more than a TTL after the cut"
    );
    assert_eq!(
        late, 0,
        "the leader sent {late} requests after the survivor's first"
    );
    let (code, _) = r.daemons[r.leader].get("/healthz");
    assert_eq!(code, 200, "the cut-off leader is still up");
    println!(
        "cut: {} sessions of the leader terminated; it sent {sent} requests, none after a TTL nor after the survivor's first; takeover after {:.1}s; {total} writes, each once, converged",
        kills.load(Ordering::SeqCst),
        takeover.as_secs_f64()
    );
}
