//! Calendly's organization-wide Zoom connection (C1–C7) through the binary: the C2 guard
//! (a plan error naming the manifest line, or a reconnection ordered before the
//! demotion), C4 and C7 on the simulator, a plain member's token (C1).

use crate::harness::Workspace;

pub(crate) const SEED: &str = "clock: 2026-11-01T09:00:00Z
accounts:
  - id: acme
    owner: owner@acme.com
    users:
      - { email: owner@acme.com, type: licensed, role: owner }
      - { email: it@acme.com, role: admin }
      - { email: ops@acme.com, role: admin }
      - { email: ann@acme.com }
    calendly:
      organization: acme
      tokenUser: boss@acme.com
      members:
        boss@acme.com: { role: owner }
        ann@acme.com: { role: user }
        bob@acme.com: { role: user, personalZoom: true }
";

pub(crate) fn people(it_role: &str) -> String {
    format!(
        "kind: Users\nitems:\n  - {{ email: owner@acme.com, type: licensed, role: owner }}\n  - {{ email: it@acme.com, role: {it_role} }}\n  - {{ email: ops@acme.com, role: admin }}\n  - {{ email: ann@acme.com }}\n"
    )
}

pub(crate) fn connection(fallbacks: &str) -> String {
    format!(
        "kind: CalendlyConnection\norganization: acme\nzoomAdmin: it@acme.com\n{fallbacks}meetingSummary: true\nallowUserDisconnect: false\n"
    )
}

pub(crate) fn ws(fallbacks: &str) -> Workspace {
    let ws = Workspace::empty();
    ws.write("seed.yaml", SEED);
    ws.write(
        "account.yaml",
        "kind: Account\nname: acme\nowner: owner@acme.com\nprovider: { sim: { seed: seed.yaml } }\n",
    );
    ws.write("users.yaml", &people("admin"));
    ws.write("calendly.yaml", &connection(fallbacks));
    ws
}

pub(crate) fn sim(ws: &Workspace, args: &[&str]) -> crate::harness::Run {
    let mut all = vec!["sim"];
    all.extend_from_slice(args);
    ws.run_plain(&all)
}

fn calendly(ws: &Workspace) -> serde_json::Value {
    ws.sim_show()["accounts"][0]["calendly"].clone()
}

fn connected(ws: &Workspace) -> serde_json::Value {
    let out = sim(ws, &["calendly", "acme"]).expect_code(0);
    serde_json::from_str(&out.stdout).expect("json")
}

fn broken_entries(ws: &Workspace) -> usize {
    ws.sim_show()["log"]
        .as_array()
        .expect("log")
        .iter()
        .filter(|e| e["action"] == "calendly_connection_broken")
        .count()
}

#[test]
fn c1_the_connection_is_made_through_the_zoom_admin_and_c4_c7_hold() {
    let ws = ws("");
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("+ connect_calendly calendly/acme [C1]"),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let c = calendly(&ws);
    assert_eq!(c["connection"]["zoomUser"], "it@acme.com", "{c}");
    assert_eq!(c["connection"]["status"], "connected");
    assert_eq!(c["connection"]["meetingSummary"], true);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    // C3, C4: ann schedules through the organization, bob's personal account wins.
    let seen = connected(&ws);
    assert_eq!(
        seen["connectedUsers"]["ann@acme.com"], "organization",
        "{seen}"
    );
    assert_eq!(seen["connectedUsers"]["bob@acme.com"], "personal");
    assert_eq!(seen["connectedUsers"]["boss@acme.com"], "organization");
    // C4: ann connects her own: only the personal one shows; she drops it: the
    // organization's takes over again.
    sim(
        &ws,
        &["calendly", "acme", "--connect-personal", "ann@acme.com"],
    )
    .expect_code(0);
    assert_eq!(connected(&ws)["connectedUsers"]["ann@acme.com"], "personal");
    sim(
        &ws,
        &["calendly", "acme", "--drop-personal", "ann@acme.com"],
    )
    .expect_code(0);
    assert_eq!(
        connected(&ws)["connectedUsers"]["ann@acme.com"],
        "organization"
    );

    // C7: the Zoom admin is demoted in the portal: every organization-level connection
    // drops, personal ones stay.
    sim(&ws, &["edit-user", "it@acme.com", "--set", "role=member"]).expect_code(0);
    let seen = connected(&ws);
    assert_eq!(seen["connection"]["status"], "broken", "{seen}");
    let users = seen["connectedUsers"].as_object().expect("users");
    assert_eq!(users.len(), 1, "{seen}");
    assert_eq!(users["bob@acme.com"], "personal");
    assert_eq!(broken_entries(&ws), 1);

    // Drift without a fallback: promoting it@ again and reconnecting is what the plan
    // proposes (zoomAdmin is declared admin).
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("~ reconnect_calendly calendly/acme [C2]"),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(calendly(&ws)["connection"]["status"], "connected");
    assert_eq!(
        connected(&ws)["connectedUsers"]["ann@acme.com"],
        "organization"
    );

    // C7: someone clicks Disconnect: organization-level connections drop; roster connects
    // it again since the manifest declares it.
    sim(&ws, &["calendly", "acme", "--disconnect"]).expect_code(0);
    let seen = connected(&ws);
    assert!(seen["connection"].is_null(), "{seen}");
    assert_eq!(seen["connectedUsers"].as_object().expect("users").len(), 1);
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout.contains("+ connect_calendly"),
        "{}",
        plan.stdout
    );
}

#[test]
fn c2_demoting_the_zoom_admin_without_a_fallback_is_a_plan_error_and_nothing_is_applied() {
    let ws = ws("");
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let before = ws.sim_show()["log"].as_array().expect("log").len();
    ws.write("users.yaml", &people("member"));
    let plan = ws.run(&["plan"]);
    assert_ne!(plan.code, 0, "{}", plan.stdout);
    let all = format!("{}{}", plan.stdout, plan.stderr);
    assert!(all.contains("C2"), "{all}");
    assert!(all.contains("calendly.yaml:3:12"), "{all}");
    assert!(
        all.contains("change_role:user/it@acme.com would break the Calendly connection"),
        "{all}"
    );
    let apply = ws.run(&["apply", "--auto-approve"]);
    assert_ne!(apply.code, 0, "{}", apply.stdout);
    assert_eq!(
        ws.sim_show()["log"].as_array().expect("log").len(),
        before,
        "nothing applied"
    );
    assert_eq!(calendly(&ws)["connection"]["zoomUser"], "it@acme.com");
}

#[test]
fn c2_with_a_fallback_admin_the_reconnection_runs_first_and_the_connection_never_breaks() {
    let ws = ws("fallbackAdmins: [ops@acme.com]\n");
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.write("users.yaml", &people("member"));
    let plan = ws.run(&["plan"]).expect_code(0);
    let r = plan
        .stdout
        .find("reconnect_calendly calendly/acme")
        .unwrap_or_else(|| panic!("{}", plan.stdout));
    let d = plan
        .stdout
        .find("change_role user/it@acme.com")
        .unwrap_or_else(|| panic!("{}", plan.stdout));
    assert!(r < d, "{}", plan.stdout);
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let show = ws.sim_show();
    let log = show["log"].as_array().expect("log");
    let at = |action: &str, target: &str| {
        log.iter()
            .position(|e| e["action"] == action && e["target"] == target)
            .unwrap_or_else(|| panic!("no {action} {target} in {log:?}"))
    };
    assert!(at("reconnect_calendly", "acme") < at("change_role", "it@acme.com"));
    assert_eq!(broken_entries(&ws), 0, "the connection was never broken");
    let c = calendly(&ws);
    assert_eq!(c["connection"]["zoomUser"], "ops@acme.com", "{c}");
    assert_eq!(c["connection"]["status"], "connected");
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn c1_a_calendly_member_token_is_a_plan_error() {
    let ws = ws("");
    ws.run(&["plan"]).expect_code(0); // seeds the simulator
    sim(&ws, &["calendly", "acme", "--token", "ann@acme.com"]).expect_code(0);
    let plan = ws.run(&["plan"]);
    assert_ne!(plan.code, 0, "{}", plan.stdout);
    let all = format!("{}{}", plan.stdout, plan.stderr);
    assert!(all.contains("C1"), "{all}");
    assert!(
        all.contains("acts as ann@acme.com, a Calendly user"),
        "{all}"
    );
}

/// Calendly's token for `user`, from `sim serve`'s `/calendly/oauth/token`.
pub(crate) fn calendly_token(addr: std::net::SocketAddr, user: &str) -> String {
    let body = format!("grant_type=password&username={user}");
    let (code, text) = crate::harness::http(
        addr,
        "POST",
        "/calendly/oauth/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    );
    assert_eq!(code, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["access_token"].as_str().expect("token").to_string()
}

/// `sim serve` on [`SEED`] and a workspace whose account uses `provider: zoom` against
/// it, with [`people`] (it@ an admin): the Calendly tests on the zoom provider start here.
pub(crate) fn on_zoom_served() -> (
    tempfile::TempDir,
    crate::contract::Server,
    std::net::SocketAddr,
    Workspace,
) {
    let tmp = tempfile::tempdir().expect("tmp");
    let seed = tmp.path().join("seed.yaml");
    std::fs::write(&seed, SEED).expect("seed");
    let server = crate::contract::Server::start(&tmp.path().join("server"), &seed, &[]);
    let addr: std::net::SocketAddr = server
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("addr");
    let ws = Workspace::empty();
    ws.write(
        "account.yaml",
        &format!(
            "kind: Account\nname: acme\nowner: owner@acme.com\nprovider:\n  zoom:\n    accountId: {{ env: ZOOM_ACCOUNT_ID }}\n    clientId: {{ env: ZOOM_CLIENT_ID }}\n    clientSecret: {{ env: ZOOM_CLIENT_SECRET }}\n    baseUrl: {url}/v2\n    tokenUrl: {url}/oauth/token\n    rateShare: 1.0\n",
            url = server.url
        ),
    );
    ws.write("users.yaml", &people("admin"));
    (tmp, server, addr, ws)
}

#[test]
fn c1_c2_on_zoom_the_connection_is_a_manual_change_confirmed_and_checked_against_calendly() {
    let (_tmp, server, addr, ws) = on_zoom_served();
    let with_api = |fallbacks: &str| {
        format!(
            "{}apiUrl: {}/calendly\ncredentials:\n  token: {{ env: CALENDLY_TOKEN }}\n",
            connection(fallbacks),
            server.url
        )
    };
    ws.write(
        "calendly.yaml",
        &with_api("fallbackAdmins: [ops@acme.com]\n"),
    );
    let run = |args: &[&str], token: &str| {
        let mut c = ws.cmd(args);
        c.arg(&ws.manifests)
            .env("ZOOM_ACCOUNT_ID", "acme")
            .env("ZOOM_CLIENT_ID", "roster-sim")
            .env("ZOOM_CLIENT_SECRET", crate::contract::SECRET)
            .env("CALENDLY_TOKEN", token);
        crate::harness::Run::from(c.output().expect("run"))
    };
    let confirm = |id: &str| {
        let mut c = ws.cmd(&["confirm", id, "--dir"]);
        c.arg(&ws.manifests);
        crate::harness::Run::from(c.output().expect("confirm")).expect_code(0);
    };
    let owner = calendly_token(addr, "boss@acme.com");
    // Calendly's envelope and rate-limit headers; an unknown token is 401 in its error shape.
    let auth = format!("Bearer {owner}");
    let me = crate::harness::request(
        addr,
        "GET",
        "/calendly/users/me",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(me.code, 200, "{}", me.body);
    let v: serde_json::Value = serde_json::from_str(&me.body).expect("json");
    assert_eq!(v["resource"]["email"], "boss@acme.com", "{v}");
    assert_eq!(me.header_values("x-ratelimit-limit"), vec!["500"]);
    assert_eq!(me.header_values("x-ratelimit-remaining"), vec!["499"]);
    let bad = crate::harness::request(
        addr,
        "GET",
        "/calendly/users/me",
        &[("Authorization", "Bearer nope")],
        b"",
    );
    assert_eq!(bad.code, 401);
    let v: serde_json::Value = serde_json::from_str(&bad.body).expect("json");
    assert!(v["title"].is_string() && v["message"].is_string(), "{v}");

    // C1 from what Calendly shows: a plain member's token is refused.
    let member = calendly_token(addr, "ann@acme.com");
    let plan = run(&["plan"], &member);
    assert_ne!(plan.code, 0, "{}", plan.stdout);
    assert!(
        format!("{}{}", plan.stdout, plan.stderr).contains("acts as ann@acme.com, a Calendly user"),
        "{}{}",
        plan.stdout,
        plan.stderr
    );

    // The connection is a manual change with seed 003's steps.
    let plan = run(&["plan"], &owner).expect_code(0);
    for step in [
        "+ connect_calendly calendly/acme [C1]",
        "Connect Zoom for my organization",
        "it@acme.com (a Zoom admin",
        "Allow users to disconnect this integration",
    ] {
        assert!(plan.stdout.contains(step), "{step}: {}", plan.stdout);
    }
    let applied = run(&["apply", "--auto-approve"], &owner).expect_code(0);
    assert!(
        applied
            .stdout
            .contains("manual change(s) recorded as pending"),
        "{}",
        applied.stdout
    );
    confirm("connect_calendly:calendly/acme");
    run(&["plan", "--detailed-exitcode"], &owner).expect_code(0);

    // C2: demoting it@ asks for the reconnection first, through ops@; the demotion waits
    // for its confirmation.
    ws.write("users.yaml", &people("member"));
    let plan = run(&["plan"], &owner).expect_code(0);
    let r = plan.stdout.find("reconnect_calendly calendly/acme");
    let d = plan.stdout.find("change_role user/it@acme.com");
    assert!(r.is_some() && r < d, "{}", plan.stdout);
    let applied = run(&["apply", "--auto-approve"], &owner);
    let all = format!("{}{}", applied.stdout, applied.stderr);
    assert!(
        all.contains("waits until the manual change reconnect_calendly:calendly/acme is confirmed"),
        "{all}"
    );
    // The reconnection is pending: the demotion that depends on it was not sent.
    let plan = run(&["plan"], &owner).expect_code(0);
    assert!(
        plan.stdout.contains("change_role user/it@acme.com"),
        "{}",
        plan.stdout
    );
    confirm("reconnect_calendly:calendly/acme");
    let applied = run(&["apply", "--auto-approve"], &owner).expect_code(0);
    assert!(applied.stdout.contains("change_role"), "{}", applied.stdout);
    run(&["plan", "--detailed-exitcode"], &owner).expect_code(0);

    // Without the fallback, no declared user is a Zoom admin any more: C1.
    ws.write("calendly.yaml", &with_api(""));
    let plan = run(&["plan"], &owner);
    assert_ne!(plan.code, 0, "{}", plan.stdout);
    assert!(
        format!("{}{}", plan.stdout, plan.stderr)
            .contains("zoomAdmin it@acme.com is not a Zoom admin"),
        "{}{}",
        plan.stdout,
        plan.stderr
    );
}
