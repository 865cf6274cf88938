//! Calendar and contact integrations (K4) through the binary: connecting on the
//! simulator, the lock, a revoked authorisation, the K4 warning beside personal contacts,
//! and the manual change with seed 004's steps on `provider: zoom`.

use crate::harness::Workspace;

const SEED: &str = "clock: 2026-11-01T09:00:00Z\naccounts:\n  - id: acme\n    owner: owner@acme.com\n    users:\n      - { email: owner@acme.com, type: licensed }\n      - { email: alice@acme.com }\n";

const PEOPLE: &str =
    "kind: User\nemail: owner@acme.com\ntype: licensed\n---\nkind: User\nemail: alice@acme.com\n";

const GOOGLE: &str =
    "kind: CalendarContactIntegration\nuser: alice@acme.com\nservice: google\nconflict: zoom\n";

fn sim_ws(extra: &str) -> Workspace {
    let ws = Workspace::empty();
    ws.write("seed.yaml", SEED);
    ws.write(
        "account.yaml",
        &format!("kind: Account\nname: acme\nowner: owner@acme.com\nprovider: {{ sim: {{ seed: seed.yaml }} }}\n---\n{PEOPLE}"),
    );
    ws.write("alice.yaml", extra);
    ws
}

fn sim(ws: &Workspace, args: &[&str]) -> crate::harness::Run {
    let mut all = vec!["sim"];
    all.extend_from_slice(args);
    ws.run_plain(&all)
}

#[test]
fn k4_the_simulator_connects_a_declared_integration_once() {
    let ws = sim_ws(GOOGLE);
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("+ connect_integration integration/alice@acme.com [K4]"),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let show = ws.sim_show();
    let i = &show["accounts"][0]["integrations"]["alice@acme.com"];
    assert_eq!(i["service"], "google", "{show}");
    assert_eq!(i["status"], "connected");
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    // The user's authorisation is revoked: the plan asks for it again.
    sim(&ws, &["revoke-integration", "alice@acme.com"]).expect_code(0);
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout.contains("authorise Google again"),
        "{}",
        plan.stdout
    );

    // The admin locks another default: connecting Google is a plan error (K4).
    sim(
        &ws,
        &[
            "integration-default",
            "acme",
            "--service",
            "office365",
            "--lock",
        ],
    )
    .expect_code(0);
    let show = ws.sim_show();
    assert_eq!(
        show["accounts"][0]["integrations"]["alice@acme.com"]["status"], "disconnected",
        "locking disconnects users whose setting differs"
    );
    let plan = ws.run(&["plan"]);
    assert_ne!(plan.code, 0, "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("locks the calendar and contact integration to Office365")
            || plan
                .stderr
                .contains("locks the calendar and contact integration to Office365"),
        "{}\n{}",
        plan.stdout,
        plan.stderr
    );
}

#[test]
fn k4_personal_contacts_beside_a_contacts_integration_warn() {
    let ws = sim_ws(&format!(
        "{GOOGLE}---\nkind: PersonalContacts\nuser: alice@acme.com\nname: Clients\ncontacts:\n  - {{ name: Ada, email: ada@x.example }}\n"
    ));
    let plan = ws.run(&["plan"]).expect_code(0);
    let all = format!("{}{}", plan.stdout, plan.stderr);
    assert!(
        all.contains("K4") && all.contains("Zoom treats them as alternatives"),
        "{all}"
    );
}

#[test]
fn k4_on_zoom_connecting_is_a_manual_change_for_the_user_with_seed_004s_steps() {
    let tmp = tempfile::tempdir().expect("tmp");
    let seed = tmp.path().join("seed.yaml");
    std::fs::write(&seed, SEED).expect("seed");
    let server = crate::contract::Server::start(&tmp.path().join("server"), &seed, &[]);
    let ws = Workspace::empty();
    ws.write(
        "account.yaml",
        &format!(
            "kind: Account\nname: acme\nowner: owner@acme.com\nprovider:\n  zoom:\n    accountId: {{ env: ZOOM_ACCOUNT_ID }}\n    clientId: {{ env: ZOOM_CLIENT_ID }}\n    clientSecret: {{ env: ZOOM_CLIENT_SECRET }}\n    baseUrl: {url}/v2\n    tokenUrl: {url}/oauth/token\n    rateShare: 1.0\n---\n{PEOPLE}",
            url = server.url
        ),
    );
    ws.write("alice.yaml", GOOGLE);
    let run = |args: &[&str]| {
        let mut c = ws.cmd(args);
        c.arg(&ws.manifests)
            .env("ZOOM_ACCOUNT_ID", "acme")
            .env("ZOOM_CLIENT_ID", "roster-sim")
            .env("ZOOM_CLIENT_SECRET", crate::contract::SECRET);
        crate::harness::Run::from(c.output().expect("run"))
    };
    let plan = run(&["plan"]).expect_code(0);
    for step in [
        "MANUAL change: Zoom has no API",
        "Calendar and Contacts Integration",
        "choose Google",
        "click Allow",
    ] {
        assert!(plan.stdout.contains(step), "{step}: {}", plan.stdout);
    }
    let applied = run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        applied
            .stdout
            .contains("1 manual change(s) recorded as pending"),
        "{}",
        applied.stdout
    );
    let mut c = ws.cmd(&[
        "confirm",
        "connect_integration:integration/alice@acme.com",
        "--dir",
    ]);
    c.arg(&ws.manifests);
    crate::harness::Run::from(c.output().expect("confirm")).expect_code(0);
    let done = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        done.code, 0,
        "a confirmed connection is taken as done:\n{}",
        done.stdout
    );
}
