//! The daemon's HTTP surface (issue 22) and what it says of the accounts (issue 19, part
//! 5), on the built binary: the operator token, coalesced triggers, webhook replays and
//! oversized bodies refused and counted by reason, the page's headers, no personal data on
//! the open probes, degraded accounts and gauges that describe the account after the run.

use crate::daemon::{WAIT, YEARLY, sign, small};
use crate::harness::{Daemon, Reply, Workspace, request};
use std::io::{Read, Write};
use std::time::Duration;

const TOKEN: &str = "operator-token-for-tests-0123456789";

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

fn metrics(d: &Daemon) -> String {
    let (code, text) = d.get("/metrics");
    assert_eq!(code, 200, "{text}");
    text
}

fn refusals(m: &str, endpoint: &str, reason: &str) -> u64 {
    let prefix =
        format!("roster_http_refusals_total{{endpoint=\"{endpoint}\",reason=\"{reason}\"}} ");
    m.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn sample(m: &str, series: &str) -> Option<String> {
    m.lines()
        .find_map(|l| l.strip_prefix(&format!("{series} ")))
        .map(|v| v.trim().to_string())
}

fn anonymous(d: &Daemon, method: &str, path: &str) -> Reply {
    request(d.addr, method, path, &[], b"")
}

#[test]
fn the_operator_surface_needs_the_token_and_the_probes_do_not() {
    let ws = small(YEARLY);
    let d = ws
        .daemon(&[], &[("ROSTER_OPERATOR_TOKEN", TOKEN)])
        .with_token(TOKEN);
    d.wait_in_sync("acme");
    for (method, path) in [("POST", "/reconcile"), ("GET", "/status"), ("GET", "/")] {
        let r = anonymous(&d, method, path);
        assert_eq!(r.code, 401, "{method} {path}: {}", r.body);
        assert!(r.body.contains("Authorization: Bearer"), "{}", r.body);
        assert!(!r.body.contains("ann@acme.com"), "{}", r.body);
    }
    // Browsers are offered Basic (the token as password) for the pages, never for POST.
    let page = anonymous(&d, "GET", "/");
    assert!(
        page.header_values("www-authenticate")
            .iter()
            .any(|v| v.starts_with("Basic")),
        "{:?}",
        page.headers
    );
    let post = anonymous(&d, "POST", "/reconcile");
    assert_eq!(
        post.header_values("www-authenticate"),
        vec!["Bearer realm=\"roster\""]
    );
    let wrong = request(
        d.addr,
        "POST",
        "/reconcile",
        &[("authorization", "Bearer not-the-operator-token")],
        b"",
    );
    assert_eq!(wrong.code, 401);

    let b = bearer();
    let auth = [("authorization", b.as_str())];
    assert_eq!(request(d.addr, "POST", "/reconcile", &auth, b"").code, 202);
    let status = request(d.addr, "GET", "/status", &auth, b"");
    assert_eq!(status.code, 200);
    assert!(status.body.contains("\"accounts\""), "{}", status.body);
    let page = request(d.addr, "GET", "/", &auth, b"");
    assert_eq!(page.code, 200);
    assert!(
        page.body.contains("<h1>roster daemon</h1>"),
        "{}",
        page.body
    );
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("me:{TOKEN}"))
    );
    let basic = [("authorization", basic.as_str())];
    assert_eq!(request(d.addr, "GET", "/", &basic, b"").code, 200);
    assert_eq!(request(d.addr, "GET", "/status.css", &basic, b"").code, 200);
    assert_eq!(
        request(d.addr, "POST", "/reconcile", &basic, b"").code,
        401,
        "Basic credentials are replayed by browsers on cross-site posts: Bearer only"
    );

    for probe in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(anonymous(&d, "GET", probe).code, 200, "{probe}");
    }
    let m = metrics(&d);
    assert_eq!(refusals(&m, "/reconcile", "missing_credential"), 2, "{m}");
    assert_eq!(refusals(&m, "/status", "missing_credential"), 1);
    assert_eq!(refusals(&m, "/", "missing_credential"), 2);
    assert_eq!(refusals(&m, "/reconcile", "wrong_credential"), 1);
    assert_eq!(refusals(&m, "/reconcile", "basic_on_post"), 1);
}

#[test]
fn the_token_can_come_from_a_mounted_secret_file_and_a_weak_one_is_refused_at_start() {
    let ws = small(YEARLY);
    let file = ws.state.with_file_name("operator-token");
    std::fs::write(&file, format!("{TOKEN}\n")).expect("token file");
    let path = file.to_string_lossy().to_string();
    let d = ws
        .daemon(&["--operator-token-file", &path], &[])
        .with_token(TOKEN);
    d.wait_in_sync("acme");
    assert_eq!(anonymous(&d, "GET", "/status").code, 401);
    assert_eq!(d.post("/reconcile", &[], b"").0, 202);
    drop(d);

    std::fs::write(&file, "hunter2\n").expect("weak token");
    let out = ws
        .cmd(&[
            "daemon",
            "--listen",
            "127.0.0.1:0",
            "--operator-token-file",
            &path,
        ])
        .arg(&ws.manifests)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("at least 16"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the token is never printed: {stderr}"
    );
}

#[test]
fn without_a_token_the_loopback_surface_answers_only_loopback_names() {
    let ws = small(YEARLY);
    let d = ws.daemon(&[], &[]);
    d.wait_in_sync("acme");
    // A web page that rebinds its own name to 127.0.0.1 sends its own Host.
    let host = [("host", "attacker.example:9464")];
    let r = request(d.addr, "GET", "/status", &host, b"");
    assert_eq!(r.code, 403, "{}", r.body);
    assert!(!r.body.contains("ann@acme.com"));
    assert_eq!(request(d.addr, "GET", "/status", &[], b"").code, 200);
    assert_eq!(refusals(&metrics(&d), "/status", "foreign_host"), 1);
}

fn runs(d: &Daemon) -> u64 {
    d.status()["accounts"]["acme"]["runs"].as_u64().unwrap_or(0)
}

#[test]
fn a_hundred_concurrent_authorised_reconciles_make_at_most_two_runs() {
    let ws = small(YEARLY);
    let d = ws
        .daemon(
            &["--min-trigger-interval", "1s"],
            &[("ROSTER_OPERATOR_TOKEN", TOKEN)],
        )
        .with_token(TOKEN);
    d.wait_in_sync("acme");
    let before = runs(&d);
    let addr = d.addr;
    let posts: Vec<_> = (0..100)
        .map(|_| {
            std::thread::spawn(move || {
                let b = bearer();
                request(addr, "POST", "/reconcile", &[("authorization", &b)], b"").code
            })
        })
        .collect();
    let codes: Vec<u16> = posts
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert!(codes.iter().all(|c| *c == 202), "{codes:?}");
    d.wait_for("the coalesced runs to finish", WAIT, || {
        let s = d.status();
        let a = &s["accounts"]["acme"];
        a["running"] == false
            && a["queued"].as_array().is_some_and(|q| q.is_empty())
            && a["runs"].as_u64().unwrap_or(0) > before
    });
    let ran = runs(&d) - before;
    assert!((1..=2).contains(&ran), "100 triggers made {ran} runs");
    let m = metrics(&d);
    assert_eq!(
        sample(
            &m,
            "roster_reconcile_triggers_coalesced_total{account=\"acme\",trigger=\"manual\"}"
        ),
        Some((100 - ran).to_string()),
        "every trigger that did not get a run of its own is counted\n{m}"
    );
}

/// Sends a webhook's head with a large declared body and `Expect: 100-continue`, as curl
/// does for big bodies; sends the body only if the server asks for it.
fn oversized_webhook(d: &Daemon, len: usize) -> Reply {
    let mut s = std::net::TcpStream::connect(d.addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "POST /webhooks/zoom HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        d.addr
    )
    .expect("send head");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    crate::harness::parse_reply(&String::from_utf8_lossy(&raw))
}

#[test]
fn a_replayed_webhook_and_a_50_mb_body_are_refused_and_counted_by_reason() {
    let ws = small(YEARLY);
    let secret = "test-secret-token";
    let d = ws.daemon(&[], &[("ZOOM_WEBHOOK_SECRET_TOKEN", secret)]);
    d.wait_in_sync("acme");
    let body = br#"{"event":"user.updated","payload":{"account_id":"acme","object":{}}}"#;
    let now = chrono::Utc::now().timestamp().to_string();
    let sig = sign(secret, &now, body);
    let headers = [
        ("content-type", "application/json"),
        ("x-zm-request-timestamp", now.as_str()),
        ("x-zm-signature", sig.as_str()),
    ];
    assert_eq!(d.post("/webhooks/zoom", &headers, body).0, 200);
    let (code, text) = d.post("/webhooks/zoom", &headers, body);
    assert_eq!(code, 401, "{text}");
    assert!(text.contains("replayed"), "{text}");

    let big = oversized_webhook(&d, 50 * 1024 * 1024);
    assert_eq!(big.code, 413, "{big:?}");
    let (code, _) = d.post("/webhooks/zoom", &headers, b"x");
    assert_eq!(code, 401, "a changed body breaks the signature");
    let unsigned = [("content-type", "application/json")];
    let (code, text) = d.post("/webhooks/zoom", &unsigned, body);
    assert_eq!(code, 401, "missing signature headers: {text}");

    let m = metrics(&d);
    assert_eq!(refusals(&m, "/webhooks/zoom", "replayed"), 1, "{m}");
    assert_eq!(refusals(&m, "/webhooks/zoom", "body_too_large"), 1, "{m}");
    assert_eq!(refusals(&m, "/webhooks/zoom", "bad_signature"), 1, "{m}");
    assert_eq!(refusals(&m, "/webhooks/zoom", "missing_header"), 1, "{m}");
    assert_eq!(
        sample(&m, "roster_webhooks_total{result=\"refused\"}").as_deref(),
        Some("4")
    );
    assert_eq!(
        sample(&m, "roster_webhooks_total{result=\"accepted\"}").as_deref(),
        Some("1")
    );
}

/// An `on…=` attribute (`onclick=`, `onerror=`) anywhere in `html`.
fn has_event_handler(html: &str) -> bool {
    html.match_indices(" on").any(|(i, _)| {
        let rest = &html[i + 3..];
        let name = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        name > 0 && rest[name..].starts_with('=')
    })
}

#[test]
fn the_page_has_a_strict_policy_no_script_and_no_cors() {
    let ws = small(YEARLY);
    let d = ws
        .daemon(&[], &[("ROSTER_OPERATOR_TOKEN", TOKEN)])
        .with_token(TOKEN);
    d.wait_in_sync("acme");
    let b = bearer();
    let headers = [
        ("authorization", b.as_str()),
        ("origin", "https://evil.example"),
    ];
    let page = request(d.addr, "GET", "/", &headers, b"");
    assert_eq!(page.code, 200);
    let csp = page.header_values("content-security-policy").join(" ");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("style-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(
        page.header_values("x-content-type-options"),
        vec!["nosniff"]
    );
    assert!(!page.body.contains("<script") && !page.body.contains("<style"));
    assert!(!page.body.contains(" style=") && !has_event_handler(&page.body));
    assert!(has_event_handler("<p onclick=x>") && !has_event_handler("waits on anyone"));
    let css = request(d.addr, "GET", "/status.css", &headers, b"");
    assert_eq!(css.code, 200);
    assert!(css.header_values("content-type")[0].starts_with("text/css"));
    let preflight = request(
        d.addr,
        "OPTIONS",
        "/reconcile",
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "authorization"),
        ],
        b"",
    );
    assert!(!(200..300).contains(&preflight.code), "{preflight:?}");
    for r in [&page, &css, &preflight] {
        assert!(
            r.headers
                .iter()
                .all(|(k, _)| !k.starts_with("access-control-")),
            "no CORS: {:?}",
            r.headers
        );
    }
}

/// What no open probe may show: an email, the manifest folder, a manifest file.
fn assert_no_personal_data(ws: &Workspace, d: &Daemon) {
    let folder = ws.manifests.to_string_lossy().to_string();
    for probe in ["/metrics", "/healthz", "/readyz"] {
        let r = anonymous(d, "GET", probe);
        for bad in ["@", folder.as_str(), ".yaml", ".csv", "people/", "users/"] {
            assert!(!r.body.contains(bad), "{probe} shows {bad:?}:\n{}", r.body);
        }
    }
}

#[test]
fn the_open_probes_carry_no_email_and_no_manifest_path() {
    let ws = Workspace::acme();
    let d = ws
        .daemon(&[], &[("ROSTER_OPERATOR_TOKEN", TOKEN)])
        .with_token(TOKEN);
    d.wait_in_sync("acme");
    assert_no_personal_data(&ws, &d);
    // A broken revision: its diagnostics (paths, lines) are on /status only.
    ws.write("users/broken.yaml", "kind: User\nemail: [ann@acme.com\n");
    d.wait_for("the load error", WAIT, || {
        d.status()["manifests"]["ok"] == false
    });
    assert!(
        d.status()["manifests"]["error"]
            .to_string()
            .contains("broken.yaml")
    );
    assert_no_personal_data(&ws, &d);
}

#[test]
fn after_the_first_apply_every_gauge_describes_the_account_as_the_run_left_it() {
    let ws = Workspace::acme();
    let d = ws.daemon(&[], &[]);
    d.wait_in_sync("acme");
    let a = d.status()["accounts"]["acme"].clone();
    assert_eq!(a["last_run"]["result"], "applied", "{a}");
    assert!(
        a["last_run"]["plan"]["add"].as_u64().unwrap_or(0) > 0,
        "{a}"
    );
    let pending = ws.sim_state()["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|acc| acc["id"] == "acme")
        .flat_map(|acc| acc["users"].as_array().into_iter().flatten())
        .filter(|u| u["status"] == "pending")
        .count();
    assert!(pending > 1, "the apply invited people: {pending}");
    let m = metrics(&d);
    assert_eq!(
        sample(&m, "roster_drift_changes{account=\"acme\"}").as_deref(),
        Some("0"),
        "{m}"
    );
    assert_eq!(
        sample(&m, "roster_pending_invitations{account=\"acme\"}"),
        Some(pending.to_string()),
        "{m}"
    );
    assert_eq!(a["observation"]["changes"], 0, "{a}");
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
}

#[test]
fn invalid_yaml_in_the_watched_folder_shows_the_account_degraded_everywhere() {
    let ws = Workspace::acme();
    let d = ws
        .daemon(&[], &[("ROSTER_OPERATOR_TOKEN", TOKEN)])
        .with_token(TOKEN);
    d.wait_in_sync("acme");
    let degraded = "roster_account_degraded{account=\"acme\",reason=\"manifests_failed_to_load\"}";
    assert_eq!(sample(&metrics(&d), degraded).as_deref(), Some("0"));
    ws.write("users/broken.yaml", "kind: User\nemail: [unclosed\n");
    d.wait_for("the load error", WAIT, || {
        d.status()["manifests"]["ok"] == false
    });
    let s = d.status();
    assert_eq!(s["state"], "degraded", "{s}");
    assert_eq!(
        s["accounts"]["acme"]["degraded"],
        serde_json::json!(["manifests_failed_to_load"])
    );
    let (_, page) = d.get("/");
    assert!(
        page.contains("<span class=\"warn\">degraded</span>"),
        "the header is not a green `ready`: {page}"
    );
    assert!(page.contains("manifests_failed_to_load"), "{page}");
    assert_eq!(sample(&metrics(&d), degraded).as_deref(), Some("1"));
    assert_eq!(
        anonymous(&d, "GET", "/readyz").body,
        "ready, degraded: acme (manifests_failed_to_load)\n"
    );

    std::fs::remove_file(ws.manifests.join("users/broken.yaml")).expect("rm");
    d.wait_for("the good revision", WAIT, || d.status()["state"] == "ready");
    assert_eq!(sample(&metrics(&d), degraded).as_deref(), Some("0"));
    assert_eq!(anonymous(&d, "GET", "/readyz").body, "ready\n");
}

#[test]
fn a_refresh_that_fails_degrades_the_account_until_one_succeeds() {
    let ws = small(YEARLY);
    let d = ws.daemon(&["--backoff-min", "1s"], &[]);
    d.wait_in_sync("acme");
    let sim = ws.state.join("sim.json");
    let good = std::fs::read_to_string(&sim).expect("sim.json");
    std::fs::write(&sim, "{ not json").expect("corrupt");
    d.post("/reconcile", &[], b"");
    d.wait_for("the failed refresh", WAIT, || {
        d.status()["accounts"]["acme"]["degraded"] == serde_json::json!(["observe_failed"])
    });
    let m = metrics(&d);
    assert_eq!(
        sample(
            &m,
            "roster_account_degraded{account=\"acme\",reason=\"observe_failed\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(&m, "roster_drift_changes{account=\"acme\"}"),
        None,
        "unknown, not the last value: {m}"
    );
    assert_eq!(anonymous(&d, "GET", "/readyz").code, 200);
    std::fs::write(&sim, good).expect("restore");
    d.wait_for("the retry to succeed", WAIT, || {
        d.status()["accounts"]["acme"]["degraded"] == serde_json::json!([])
    });
}

#[test]
fn manual_changes_pending_on_zoom_degrade_the_account_until_confirmed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let seed = tmp.path().join("seed.yaml");
    std::fs::write(
        &seed,
        "clock: 2026-11-01T09:00:00Z\naccounts:\n  - id: acme\n    owner: owner@acme.com\n    users:\n      - { email: owner@acme.com, type: licensed }\n  - id: sub\n    owner: boss@sub.example\n    users:\n      - { email: boss@sub.example }\n",
    )
    .expect("seed");
    let server = crate::contract::Server::start(&tmp.path().join("server"), &seed, &[]);
    let ws = Workspace::empty();
    ws.write(
        "account.yaml",
        &format!(
            "kind: Account\nname: acme\nowner: owner@acme.com\nprovider:\n  zoom:\n    accountId: {{ env: ZOOM_ACCOUNT_ID }}\n    clientId: {{ env: ZOOM_CLIENT_ID }}\n    clientSecret: {{ env: ZOOM_CLIENT_SECRET }}\n    baseUrl: {url}/v2\n    tokenUrl: {url}/oauth/token\n    rateShare: 1.0\n---\nkind: User\nemail: owner@acme.com\ntype: licensed\n---\nkind: Organization\nname: Acme Group\nmembers: [boss@sub.example]\n",
            url = server.url
        ),
    );
    let env = [
        ("ZOOM_ACCOUNT_ID", "acme"),
        ("ZOOM_CLIENT_ID", "roster-sim"),
        ("ZOOM_CLIENT_SECRET", crate::contract::SECRET),
    ];
    let d = ws.daemon(&[], &env);
    d.wait_for("the manual changes", WAIT, || {
        d.status()["accounts"]["acme"]["degraded"] == serde_json::json!(["manual_changes_pending"])
    });
    let m = metrics(&d);
    assert_eq!(
        sample(&m, "roster_manual_changes_pending{account=\"acme\"}").as_deref(),
        Some("2"),
        "{m}"
    );
    assert_eq!(anonymous(&d, "GET", "/readyz").code, 200);
    for id in [
        "create_organization:organization/Acme Group",
        "invite_account:organization/Acme Group/boss@sub.example",
    ] {
        ws.run_plain(&["confirm", id, "--dir", &ws.manifests.to_string_lossy()])
            .expect_code(0);
    }
    d.post("/reconcile", &[], b"");
    d.wait_for("the confirmed changes to clear", WAIT, || {
        d.status()["accounts"]["acme"]["degraded"] == serde_json::json!([])
    });
    assert_eq!(
        sample(
            &metrics(&d),
            "roster_manual_changes_pending{account=\"acme\"}"
        )
        .as_deref(),
        Some("0")
    );
}

#[test]
fn the_kubernetes_example_mounts_the_token_and_uses_flags_the_daemon_has() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/deploy");
    let text = std::fs::read_to_string(root.join("kubernetes.yaml")).expect("kubernetes.yaml");
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("yaml"))
        .collect();
    let deployment = docs
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let roster = pod["containers"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == "roster")
        .expect("the roster container");
    let args: Vec<&str> = roster["args"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str())
        .collect();
    let help = Workspace::empty()
        .run_plain(&["daemon", "--help"])
        .expect_code(0);
    for flag in args.iter().filter(|a| a.starts_with("--")) {
        let name = flag.split('=').next().unwrap_or(flag);
        assert!(help.stdout.contains(name), "{name} is not a daemon flag");
    }
    let token = args
        .iter()
        .find_map(|a| a.strip_prefix("--operator-token-file="))
        .expect("the operator token comes from a file");
    let mounted = roster["volumeMounts"]
        .as_sequence()
        .into_iter()
        .flatten()
        .any(|m| {
            m["mountPath"]
                .as_str()
                .is_some_and(|p| token.starts_with(p))
        });
    assert!(mounted, "{token} is on a mounted volume");
    let policy = std::fs::read_to_string(root.join("networkpolicy.yaml")).expect("policy");
    let policy: serde_yaml::Value = serde_yaml::from_str(&policy).expect("yaml");
    assert_eq!(policy["kind"], "NetworkPolicy");
    assert_eq!(
        policy["spec"]["podSelector"]["matchLabels"]["app"],
        "roster"
    );
}
