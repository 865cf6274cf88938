//! The daemon's `/status` and `/metrics` show Calendly's organization-wide Zoom connection
//! (C1–C7, issue 13 part 4): its state and completing Zoom user, and who schedules with
//! Zoom: with their kind on the simulator (C4, C6), as the members with a Zoom location
//! and their Calendly roles (C1) on provider `zoom` against `sim serve`'s Calendly.

use crate::calendly::{calendly_token, connection, on_zoom_served, sim, ws};
use crate::harness::Daemon;
use std::time::Duration;

/// The value of the series `series` (name and labels, exactly) on `/metrics`.
fn sample(d: &Daemon, series: &str) -> Option<String> {
    let (code, m) = d.get("/metrics");
    assert_eq!(code, 200, "{m}");
    m.lines()
        .find_map(|l| l.strip_prefix(&format!("{series} ")))
        .map(|v| v.trim().to_string())
}

fn gauge(d: &Daemon, name: &str, label: &str, value: &str) -> Option<String> {
    sample(
        d,
        &format!("{name}{{account=\"acme\",{label}=\"{value}\"}}"),
    )
}

fn calendly(d: &Daemon) -> serde_json::Value {
    d.status()["accounts"]["acme"]["observation"]["calendly"].clone()
}

/// `email → kind` of the connected users `/status` lists.
fn kinds(c: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    c["connected_users"]
        .as_array()
        .unwrap_or_else(|| panic!("no connected_users: {c}"))
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap_or("").to_string(),
                u["kind"].clone(),
            )
        })
        .collect()
}

#[test]
fn c6_on_the_simulator_status_and_metrics_show_the_connection_and_who_uses_which() {
    let ws = ws("fallbackAdmins: [ops@acme.com]\n");
    let mut d = ws.daemon(&[], &[]);
    d.wait_in_sync("acme");
    let c = calendly(&d);
    assert_eq!(c["state"], "connected", "{c}");
    assert_eq!(c["zoom_user"], "it@acme.com");
    assert_eq!(c["read_from_provider"], true);
    assert_eq!(c["token_user"]["role"], "owner", "{c}");
    assert_eq!(
        kinds(&c),
        vec![
            ("ann@acme.com".into(), "organization".into()),
            ("bob@acme.com".into(), "personal".into()),
            ("boss@acme.com".into(), "organization".into()),
        ]
    );
    let state = |d: &Daemon, s: &str| gauge(d, "roster_calendly_connection", "state", s);
    let users = |d: &Daemon, k: &str| gauge(d, "roster_calendly_connected_users", "kind", k);
    assert_eq!(state(&d, "connected").as_deref(), Some("1"));
    assert_eq!(state(&d, "broken").as_deref(), Some("0"));
    assert_eq!(users(&d, "organization").as_deref(), Some("2"));
    assert_eq!(users(&d, "personal").as_deref(), Some("1"));
    let members = gauge(&d, "roster_calendly_members", "role", "user");
    assert_eq!(members.as_deref(), Some("2"));
    d.terminate();
    d.wait_exit(Duration::from_secs(20)).expect("daemon exits");

    // C7: the Zoom admin demoted in the portal breaks it; a dry-run daemon reports it
    // broken, the organization's users gone, the personal one kept.
    sim(&ws, &["edit-user", "it@acme.com", "--set", "role=member"]).expect_code(0);
    let d = ws.daemon(&["--dry-run"], &[]);
    d.wait_for("a drift report", Duration::from_secs(20), || {
        d.status()["accounts"]["acme"]["last_run"]["result"] == "drift"
    });
    let c = calendly(&d);
    assert_eq!(c["state"], "broken", "{c}");
    assert_eq!(kinds(&c), vec![("bob@acme.com".into(), "personal".into())]);
    assert_eq!(state(&d, "broken").as_deref(), Some("1"));
    assert_eq!(state(&d, "connected").as_deref(), Some("0"));
    assert_eq!(users(&d, "organization").as_deref(), Some("0"));
    assert_eq!(users(&d, "personal").as_deref(), Some("1"));
}

#[test]
fn c1_c6_on_zoom_status_and_metrics_show_roles_zoom_locations_and_the_confirmed_connection() {
    let (_tmp, server, addr, ws) = on_zoom_served();
    ws.write(
        "calendly.yaml",
        &format!(
            "{}apiUrl: {}/calendly\ncredentials:\n  token: {{ env: CALENDLY_TOKEN }}\n",
            connection(""),
            server.url
        ),
    );
    let token = calendly_token(addr, "boss@acme.com");
    let mut env = crate::contract::ZOOM_ENV.to_vec();
    env.push(("CALENDLY_TOKEN", &token));
    let d = ws.daemon(&[], &env);
    d.wait_in_sync("acme");
    let c = calendly(&d);
    // The connection is a manual change not confirmed yet: not connected.
    assert_eq!(c["state"], "not_connected", "{c}");
    assert_eq!(c["read_from_provider"], false);
    assert_eq!(c["roles"]["owner"], 1, "{c}");
    assert_eq!(c["roles"]["user"], 2);
    // Calendly shows a Zoom location (bob's own Zoom), not which connection it is.
    assert_eq!(
        kinds(&c),
        vec![("bob@acme.com".into(), serde_json::Value::Null)]
    );
    let state = |s: &str| gauge(&d, "roster_calendly_connection", "state", s);
    assert_eq!(state("not_connected").as_deref(), Some("1"));
    assert_eq!(
        gauge(&d, "roster_calendly_members", "role", "owner").as_deref(),
        Some("1")
    );
    assert_eq!(
        gauge(&d, "roster_calendly_connected_users", "kind", "unknown").as_deref(),
        Some("1")
    );

    // Confirmed by hand: connected through the zoomAdmin, an admin of the Zoom account.
    let mut confirm = ws.cmd(&["confirm", "connect_calendly:calendly/acme", "--dir"]);
    confirm.arg(&ws.manifests);
    crate::harness::Run::from(confirm.output().expect("confirm")).expect_code(0);
    let (code, _) = d.post("/reconcile", &[], b"");
    assert_eq!(code, 202);
    d.wait_for("the confirmed connection", Duration::from_secs(20), || {
        calendly(&d)["state"] == "connected"
    });
    assert_eq!(calendly(&d)["zoom_user"], "it@acme.com");
    assert_eq!(state("connected").as_deref(), Some("1"));
}
