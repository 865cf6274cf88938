//! Organizations of linked accounts (O1–O7), external contacts (K1–K3, U12) and personal
//! contacts (K5–K7), through the binary against the simulator; the manual-change flow on
//! `provider: zoom` against `roster sim serve`.

use crate::harness::Workspace;
use std::time::{Duration, Instant};

const SEED: &str = r#"clock: 2026-11-01T09:00:00Z
accounts:
  - id: acme
    owner: owner@acme.com
    users:
      - { email: owner@acme.com, type: licensed }
      - { email: alice@acme.com, role: admin, externalContacts: { ext@partner.example: accepted, pal@vendor.example: accepted } }
    channels:
      - { name: project, members: [alice@acme.com, ext@partner.example, pal@vendor.example] }
  - id: sub
    owner: boss@sub.example
    users:
      - { email: boss@sub.example }
      - { email: sam@sub.example }
  - id: partner
    owner: own@partner.example
    users:
      - { email: own@partner.example }
      - { email: ext@partner.example }
  - id: other
    owner: o@other.example
    users:
      - { email: o@other.example }
  - id: taken
    owner: t@taken.example
organizations:
  - { name: Other Org, ownerAccount: other, linked: [ { account: taken, via: t@taken.example } ] }
individuals:
  - { email: pal@vendor.example }
"#;

const ACCOUNT: &str = "kind: Account\nname: acme\nowner: owner@acme.com\nprovider: { sim: { seed: seed.yaml } }\n---\nkind: User\nemail: owner@acme.com\ntype: licensed\n---\nkind: User\nemail: alice@acme.com\nrole: admin\n";

fn ws(extra: &str) -> Workspace {
    let ws = Workspace::empty();
    ws.write("seed.yaml", SEED);
    ws.write("account.yaml", ACCOUNT);
    ws.write("org.yaml", extra);
    ws
}

fn sim(ws: &Workspace, args: &[&str]) -> crate::harness::Run {
    let mut all = vec!["sim"];
    all.extend_from_slice(args);
    ws.run_plain(&all)
}

fn org<'a>(show: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    show["organizations"]
        .as_array()?
        .iter()
        .find(|o| o["name"] == name)
}

#[test]
fn o1_o5_k1_an_owned_organization_invites_and_links_once_approved() {
    let ws = ws("kind: Organization\nname: Acme Group\nmembers: [boss@sub.example]\n");
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("+ create_organization organization/Acme Group [O1]"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("+ invite_account organization/Acme Group/boss@sub.example [O5]"),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let show = ws.sim_show();
    let o = org(&show, "Acme Group").expect("created");
    assert_eq!(o["ownerAccount"], "acme");
    assert_eq!(o["invitations"][0]["state"], "sent");
    let waiting = ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(
        waiting
            .stdout
            .contains("pending until boss@sub.example approves (O5)"),
        "{}",
        waiting.stdout
    );
    // K1: not in the directory before the link…
    assert!(
        !sim(&ws, &["directory", "alice@acme.com"])
            .expect_code(0)
            .stdout
            .contains("sam@sub.example")
    );
    sim(&ws, &["approve-link", "boss@sub.example"]).expect_code(0);
    // …and found after it.
    assert!(
        sim(&ws, &["directory", "alice@acme.com"])
            .expect_code(0)
            .stdout
            .contains("sam@sub.example")
    );
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn o2_inviting_an_account_already_in_an_organization_is_a_plan_error() {
    let ws = ws("kind: Organization\nname: Acme Group\nmembers: [t@taken.example]\n");
    let r = ws.run(&["apply", "--auto-approve"]).expect_code(1);
    assert!(
        r.stdout.contains("O2") && r.stdout.contains("Other Org"),
        "{}",
        r.stdout
    );
    assert!(
        org(&ws.sim_show(), "Acme Group").is_none(),
        "nothing applied"
    );
}

#[test]
fn o2_a_rejection_the_plan_could_not_foresee_is_recorded() {
    let ws = ws("kind: Organization\nname: Acme Group\nmembers: [own@partner.example]\n");
    ws.run(&["plan"]).expect_code(0);
    ws.sim_latency("account.yaml", 1500);
    let child = ws
        .cmd(&["apply", "--auto-approve", "--concurrency", "1"])
        .arg(&ws.manifests)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn apply");
    // While the organization is being created, the partner account joins another one.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(ws.state.join("sim.json"))
        .unwrap_or_default()
        .contains("\"create_organization\"")
    {
        assert!(Instant::now() < deadline, "apply made no progress");
        std::thread::sleep(Duration::from_millis(50));
    }
    sim(&ws, &["request-join", "partner", "o@other.example"]).expect_code(0);
    sim(&ws, &["approve-join", "partner"]).expect_code(0);
    let out = crate::harness::Run::from(child.wait_with_output().expect("apply output"));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("failed: invite_account organization/Acme Group/own@partner.example")
            && out.stdout.contains("O2"),
        "{}",
        out.stdout
    );
    // The next plan knows, and says so before sending anything.
    let next = ws.run(&["plan"]).expect_code(1);
    assert!(next.stdout.contains("O2"), "{}", next.stdout);
}

#[test]
fn o3_o4_a_linked_member_invites_with_owner_approval_and_cannot_delete() {
    let ws = ws(
        "kind: Organization\nname: Other Org\nmembers: [t@taken.example, own@partner.example]\n",
    );
    // acme joins Other Org first (O7), approved by its owner.
    sim(
        &ws,
        &["seed", &ws.manifests.join("seed.yaml").to_string_lossy()],
    )
    .expect_code(0);
    sim(&ws, &["request-join", "acme", "o@other.example"]).expect_code(0);
    sim(&ws, &["approve-join", "acme"]).expect_code(0);
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("invite_account organization/Other Org/own@partner.example [O4]"),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let show = ws.sim_show();
    let inv = &org(&show, "Other Org").expect("org")["invitations"][0];
    assert_eq!(
        inv["state"], "awaiting-owner",
        "not sent before the owner approves (O4)"
    );
    let early = sim(&ws, &["approve-link", "own@partner.example"]).expect_code(1);
    assert!(early.stderr.contains("O4"), "{}", early.stderr);
    sim(&ws, &["approve-invitation", "own@partner.example"]).expect_code(0);
    sim(&ws, &["approve-link", "own@partner.example"]).expect_code(0);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    // O3: removing the Organization manifest would delete it, which only its owner can.
    std::fs::remove_file(ws.manifests.join("org.yaml")).expect("rm");
    let r = ws.run(&["plan"]).expect_code(1);
    assert!(
        r.stdout.contains("O3") && r.stdout.contains("only the owning account"),
        "{}",
        r.stdout
    );
}

#[test]
fn o3_o6_the_owner_resends_unlinks_and_deletes() {
    let ws = ws(
        "kind: Organization\nname: Acme Group\nmembers: [boss@sub.example, own@partner.example]\n",
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    sim(&ws, &["approve-link", "own@partner.example"]).expect_code(0);
    sim(&ws, &["clock", "+26d"]).expect_code(0);
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("resend_account_invitation organization/Acme Group/boss@sub.example [O6]"),
        "{}",
        plan.stdout
    );
    ws.write(
        "org.yaml",
        "kind: Organization\nname: Acme Group\nmembers: [boss@sub.example]\n",
    );
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("unlink_account organization/Acme Group/own@partner.example [O6]"),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    std::fs::remove_file(ws.manifests.join("org.yaml")).expect("rm");
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("delete_organization organization/Acme Group [O3]"),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(org(&ws.sim_show(), "Acme Group").is_none());
}

#[test]
fn o7_a_join_request_stays_pending_until_the_owner_approves() {
    let ws = ws("kind: Organization\njoin: o@other.example\n");
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("request_link organization/o@other.example [O7]"),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let waiting = ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(
        waiting
            .stdout
            .contains("pending until o@other.example approves (O7)"),
        "{}",
        waiting.stdout
    );
    sim(&ws, &["approve-join", "acme"]).expect_code(0);
    assert!(
        sim(&ws, &["directory", "alice@acme.com"])
            .stdout
            .contains("o@other.example"),
        "K1: the organization's users are in the directory"
    );
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn u12_an_external_contact_outside_the_allowed_domains_is_removed_with_its_effects() {
    let ws = ws("kind: ExternalContacts\nuser: alice@acme.com\ncontacts: [pal@vendor.example]\n");
    ws.write("account.yaml", &ACCOUNT.replace("provider: { sim: { seed: seed.yaml } }\n", "provider: { sim: { seed: seed.yaml } }\npolicy:\n  externalContacts:\n    allowDomains: [vendor.example]\n"));
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("- remove_external_contact contact/alice@acme.com/ext@partner.example [U12]"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("pal@vendor.example ["),
        "allowed contact kept: {}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let show = ws.sim_show();
    let acme = show["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["id"] == "acme")
        .expect("acme");
    let alice = acme["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["email"] == "alice@acme.com")
        .expect("alice");
    assert!(
        alice["externalContacts"]
            .get("ext@partner.example")
            .is_none(),
        "gone from the contact list"
    );
    assert!(
        alice["chatHistory"]
            .as_array()
            .expect("history")
            .contains(&serde_json::json!("ext@partner.example")),
        "1:1 history kept"
    );
    let members = acme["channels"][0]["members"].as_array().expect("members");
    assert!(
        !members.contains(&serde_json::json!("ext@partner.example")),
        "gone from every internal channel"
    );
    assert!(members.contains(&serde_json::json!("pal@vendor.example")));
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    // Internal users may add it again.
    sim(
        &ws,
        &["add-contact", "alice@acme.com", "ext@partner.example"],
    )
    .expect_code(0);
}

#[test]
fn k2_k3_contact_requests_are_usable_once_accepted_and_new_people_sign_up_first() {
    let ws = ws(
        "kind: ExternalContacts\nuser: alice@acme.com\ncontacts: [pal@vendor.example, own@partner.example, newbie@nowhere.example]\n",
    );
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout.contains(
            "+ request_external_contact contact/alice@acme.com/newbie@nowhere.example [K2]"
        ),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let waiting = ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(
        waiting
            .stdout
            .contains("waits for newbie@nowhere.example to accept (K3)"),
        "{}",
        waiting.stdout
    );
    let early = sim(
        &ws,
        &[
            "accept-contact",
            "newbie@nowhere.example",
            "--from",
            "alice@acme.com",
        ],
    )
    .expect_code(1);
    assert!(
        early.stderr.contains("K2"),
        "no Zoom account yet: {}",
        early.stderr
    );
    sim(&ws, &["add-individual", "newbie@nowhere.example"]).expect_code(0);
    sim(
        &ws,
        &[
            "accept-contact",
            "newbie@nowhere.example",
            "--from",
            "alice@acme.com",
        ],
    )
    .expect_code(0);
    sim(
        &ws,
        &[
            "decline-contact",
            "own@partner.example",
            "--from",
            "alice@acme.com",
        ],
    )
    .expect_code(0);
    // A declined request is asked again: the manifest still wants the contact.
    let again = ws.run(&["plan"]).expect_code(0);
    assert!(
        again
            .stdout
            .contains("request_external_contact contact/alice@acme.com/own@partner.example"),
        "{}",
        again.stdout
    );
    assert!(
        !again
            .stdout
            .contains("contact/alice@acme.com/newbie@nowhere.example"),
        "{}",
        again.stdout
    );
}

fn contacts_ws(csv: &str) -> Workspace {
    let ws = ws(
        "kind: PersonalContacts\nuser: alice@acme.com\nname: Clients\nfile: contacts/clients.csv\n",
    );
    ws.write("contacts/clients.csv", csv);
    ws
}

#[test]
fn k5_every_bad_row_is_reported_at_once_and_nothing_is_applied() {
    let mut csv = String::from(
        "Name,Email,Mobile\nAda,ada@x.example,'+33612345678\nBob,bob@x.example,0612345678\n,nameless@x.example,\n",
    );
    for i in 0..998 {
        csv.push_str(&format!("P{i},p{i}@x.example,\n"));
    }
    let ws = contacts_ws(&csv);
    let r = ws.run(&["validate"]).expect_code(1);
    assert!(
        r.stderr.contains("contacts/clients.csv:3:3") && r.stderr.contains("E.164"),
        "bad phone: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("contacts/clients.csv:4:1") && r.stderr.contains("Name is required"),
        "missing name: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("contacts/clients.csv:1002:1") && r.stderr.contains("at most 1000"),
        "too many rows: {}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("clients.csv:2:"),
        "the apostrophe before + is accepted: {}",
        r.stderr
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(1);
    assert!(
        !ws.state.join("sim.json").exists(),
        "nothing observed or applied"
    );
}

#[test]
fn k6_k7_replacing_a_group_touches_only_what_changed() {
    let ws = contacts_ws(
        "Name,Email,Mobile,Company\nAda,ada@x.example,'+33612345678,X\nBob,bob@x.example,+33612345679,X\nCy,cy@x.example,,X\n",
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let ids = |ws: &Workspace| -> std::collections::BTreeMap<String, String> {
        let show = ws.sim_show();
        let acme = show["accounts"]
            .as_array()
            .expect("a")
            .iter()
            .find(|a| a["id"] == "acme")
            .expect("acme")
            .clone();
        acme["personalContacts"]["alice@acme.com"]["Clients"]
            .as_array()
            .expect("group")
            .iter()
            .map(|c| {
                (
                    c["contact"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    c["id"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let before = ids(&ws);
    assert_eq!(before.len(), 3);
    ws.write("contacts/clients.csv", "Name,Email,Mobile,Company\nAda,ada@x.example,+33612345678,X\nBob,bob@x.example,+33612345670,X\nDee,dee@x.example,,Y\n");
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("1 to add, 1 to change, 1 to delete, 1 unchanged and left untouched (K6)"),
        "{}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let after = ids(&ws);
    assert_eq!(after["Ada"], before["Ada"], "unchanged contact untouched");
    assert_eq!(after["Bob"], before["Bob"], "edited in place (K7)");
    assert!(!after.contains_key("Cy") && after.contains_key("Dee"));
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn manual_changes_on_zoom_are_listed_pending_across_runs_and_closed_by_confirm() {
    let tmp = tempfile::tempdir().expect("tmp");
    let seed = tmp.path().join("seed.yaml");
    std::fs::write(&seed, SEED).expect("seed");
    let server = crate::contract::Server::start(&tmp.path().join("server"), &seed, &[]);
    let ws = Workspace::empty();
    ws.write(
        "account.yaml",
        &format!(
            "kind: Account\nname: acme\nowner: owner@acme.com\nprovider:\n  zoom:\n    accountId: {{ env: ZOOM_ACCOUNT_ID }}\n    clientId: {{ env: ZOOM_CLIENT_ID }}\n    clientSecret: {{ env: ZOOM_CLIENT_SECRET }}\n    baseUrl: {url}/v2\n    tokenUrl: {url}/oauth/token\n    rateShare: 1.0\n---\nkind: User\nemail: owner@acme.com\ntype: licensed\n---\nkind: User\nemail: alice@acme.com\nrole: admin\n",
            url = server.url
        ),
    );
    ws.write("org.yaml", "kind: Organization\nname: Acme Group\nmembers: [boss@sub.example]\n---\nkind: PersonalContacts\nuser: alice@acme.com\nname: Clients\ncontacts:\n  - { name: Ada, email: ada@x.example, mobile: \"+33612345678\" }\n");
    let run = |args: &[&str]| {
        let mut c = ws.cmd(args);
        c.arg(&ws.manifests)
            .env("ZOOM_ACCOUNT_ID", "acme")
            .env("ZOOM_CLIENT_ID", "roster-sim")
            .env("ZOOM_CLIENT_SECRET", crate::contract::SECRET);
        crate::harness::Run::from(c.output().expect("run"))
    };
    let confirm = |id: &str| {
        let mut c = ws.cmd(&["confirm", id, "--dir"]);
        c.arg(&ws.manifests);
        crate::harness::Run::from(c.output().expect("confirm"))
    };
    let plan = run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout.contains("MANUAL change: Zoom has no API"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("Create a new organization"),
        "portal steps from the seeds: {}",
        plan.stdout
    );
    let applied = run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        applied.stdout.contains("1 applied"),
        "only the personal contacts went through the API: {}",
        applied.stdout
    );
    assert!(
        applied
            .stdout
            .contains("2 manual change(s) recorded as pending"),
        "{}",
        applied.stdout
    );
    let cloud: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(server.state.join("sim.json")).expect("server state"),
    )
    .expect("json");
    assert!(
        cloud["organizations"]
            .as_array()
            .is_none_or(|o| o.iter().all(|o| o["name"] != "Acme Group")),
        "roster made no organization itself"
    );
    // Pending across runs: shown again, with the time it was recorded, never re-recorded.
    let again = run(&["plan"]).expect_code(0);
    assert!(
        again.stdout.contains("MANUAL change, pending since"),
        "{}",
        again.stdout
    );
    let listed = ws
        .run_plain(&["confirm", "--dir", &ws.manifests.to_string_lossy()])
        .expect_code(0);
    assert!(
        listed
            .stdout
            .contains("create_organization:organization/Acme Group"),
        "{}",
        listed.stdout
    );
    let second = run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        second.stdout.contains("0 applied"),
        "a pending manual change is never counted as applied: {}",
        second.stdout
    );
    assert!(confirm("nope").code == 1);
    confirm("create_organization:organization/Acme Group").expect_code(0);
    confirm("invite_account:organization/Acme Group/boss@sub.example").expect_code(0);
    let done = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        done.code, 0,
        "confirmed changes are taken as done:\n{}\n{}",
        done.stdout, done.stderr
    );
    assert!(
        done.stdout
            .contains("pending until boss@sub.example approves"),
        "{}",
        done.stdout
    );
}
