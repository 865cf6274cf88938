//! Issue 17, part 6: no configured secret and no bearer token anywhere roster writes or
//! answers: plan, a saved plan, apply, import, audit and the daemon at `RUST_LOG=trace`
//! with `--log-format json`, the state folder (SQLite and the simulator), a PostgreSQL
//! dump of the same apply, `/status`, `/metrics` and the page.

use crate::contract::{SECRET, Server, example, zoom_env, zoom_workspace};
use crate::harness::Workspace;
use std::path::Path;
use std::process::Command;

const OPERATOR: &str = "operator-token-5f1c2b9e";
const WEBHOOK: &str = "webhook-secret-8a7d6c5b";
const REFRESH: &str = "refresh-token-4e3d2c1b";

/// Every file under `dir`, as (lossy) text.
fn files_text(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_text(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
}

/// The bearer tokens `sim serve` issued (`sim.` and 32 hex digits) found in `text`.
fn bearer_tokens(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("sim.") {
        let tail = &rest[i + 4..];
        let hex = tail.chars().take_while(char::is_ascii_hexdigit).count();
        if hex == 32 {
            found.push(&rest[i..i + 36]);
        }
        rest = &rest[i + 4..];
    }
    found
}

/// `roster --log-format json ARGS…` with every secret in its environment, at trace level.
fn run(ws: &Workspace, args: &[&str], haystack: &mut String) -> i32 {
    let mut c: Command = ws.cmd(&["--log-format", "json"]);
    c.args(args)
        .env("RUST_LOG", "trace")
        .env("ALICE_REFRESH", REFRESH);
    zoom_env(&mut c, SECRET);
    let out = c.output().expect("run roster");
    haystack.push_str(&String::from_utf8_lossy(&out.stdout));
    haystack.push_str(&String::from_utf8_lossy(&out.stderr));
    out.status.code().unwrap_or(-1)
}

fn daemon_surfaces(ws: &Workspace, haystack: &mut String) {
    let env = [
        ("RUST_LOG", "trace"),
        ("ROSTER_OPERATOR_TOKEN", OPERATOR),
        ("ZOOM_WEBHOOK_SECRET_TOKEN", WEBHOOK),
        ("ZOOM_ACCOUNT_ID", "acme"),
        ("ZOOM_CLIENT_ID", "roster-sim"),
        ("ZOOM_CLIENT_SECRET", SECRET),
        ("ALICE_REFRESH", REFRESH),
    ];
    let d = ws.daemon(&[], &env).with_token(OPERATOR);
    d.wait_for("a finished run", std::time::Duration::from_secs(60), || {
        d.status()["accounts"]["acme"]["last_run"]["result"].is_string()
    });
    for path in ["/status", "/metrics", "/", "/readyz"] {
        haystack.push_str(&d.get(path).1);
    }
    d.terminate();
    haystack.push_str(&d.logs());
}

#[test]
fn no_secret_or_bearer_token_is_written_printed_or_served() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(&tmp.path().join("server"), &example("sim-seed.yaml"), &[]);
    let ws = zoom_workspace(&server.url, "1.0");
    ws.write(
        "integrations.yaml",
        "kind: CalendarContactIntegration\nuser: alice@acme.com\nservice: google\ncredentials:\n  refreshToken: { env: ALICE_REFRESH }\n",
    );
    let m = ws.manifests.display().to_string();
    let saved = tmp.path().join("saved-plan.json");
    let imported = tmp.path().join("imported");
    let mut hay = String::new();
    run(
        &ws,
        &["plan", "--out", &saved.display().to_string(), &m],
        &mut hay,
    );
    let applied = run(&ws, &["apply", &saved.display().to_string()], &mut hay);
    assert_eq!(applied, 0, "{hay}");
    let out = imported.display().to_string();
    run(&ws, &["import", "--out", &out, "--write", &m], &mut hay);
    run(&ws, &["audit", &m], &mut hay);
    run(&ws, &["audit", "--format", "json", &m], &mut hay);
    daemon_surfaces(&ws, &mut hay);
    if let Some(db) = crate::postgres::TestDb::create() {
        let pg_state = tmp.path().join("pg-state");
        let store = [
            "--state",
            &pg_state.display().to_string(),
            "--store",
            &db.url,
        ];
        let mut args = vec!["apply", "--auto-approve"];
        args.extend(store);
        args.push(&m);
        run(&ws, &args, &mut hay);
        let dump = Command::new("pg_dump")
            .arg(&db.url)
            .output()
            .expect("pg_dump");
        assert!(
            dump.status.success(),
            "pg_dump: {}",
            String::from_utf8_lossy(&dump.stderr)
        );
        let text = String::from_utf8_lossy(&dump.stdout);
        assert!(text.contains("CREATE TABLE"), "a real dump");
        hay.push_str(&text);
    }
    for dir in [&ws.state, &imported, saved.parent().expect("tmp")] {
        files_text(dir, &mut hay);
    }
    assert!(
        hay.len() > 100_000,
        "trace logs and state were searched ({} bytes)",
        hay.len()
    );
    for secret in [SECRET, OPERATOR, WEBHOOK, REFRESH] {
        assert!(!hay.contains(secret), "`{secret}` leaked");
    }
    let tokens = bearer_tokens(&hay);
    assert!(tokens.is_empty(), "bearer tokens leaked: {tokens:?}");
    // The check can see a token of the shape sim serve issues.
    let sample = format!("Bearer sim.{}", "0123456789abcdef".repeat(2));
    assert_eq!(bearer_tokens(&sample).len(), 1);
    println!(
        "secrets: {} bytes searched, 4 secrets and every bearer token absent",
        hay.len()
    );
}
