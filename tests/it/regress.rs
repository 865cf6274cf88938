//! Regression tests named after what broke. A change that fails on the provider must be
//! proposed again on the next plan: LastApplied keeps the previous entry of every kind of
//! object whose change did not go through (apply::merge_last_applied), on both providers,
//! and only the part of it that change would have set.

use crate::harness::{Run, Workspace};

const SEED: &str = r#"clock: 2026-11-01T09:00:00Z
accounts:
  - id: acme
    owner: owner@acme.com
    users:
      - { email: owner@acme.com, type: licensed }
      - { email: alice@acme.com, role: admin }
  - id: sub
    owner: boss@sub.example
    users:
      - { email: boss@sub.example }
individuals:
  - { email: ana@partner.example }
"#;

const PEOPLE: &str = "kind: User\nemail: owner@acme.com\ntype: licensed\n---\nkind: User\nemail: alice@acme.com\nrole: admin\n";
const CONTACT: &str =
    "kind: ExternalContacts\nuser: alice@acme.com\ncontacts: [ana@partner.example]\n";
const REQUEST: &str = "request_external_contact contact/alice@acme.com/ana@partner.example";
const PERSONAL: &str = "kind: PersonalContacts\nuser: alice@acme.com\nname: Clients\ncontacts:\n  - { name: Ada, email: ada@x.example, mobile: \"+33612345678\" }\n";
const REPLACE: &str = "replace_personal_contacts contacts/alice@acme.com/Clients";

/// The embedded simulator with `extra` manifests, its cloud created by a first plan.
fn on_sim(extra: &str) -> Workspace {
    let ws = Workspace::empty();
    ws.write("seed.yaml", SEED);
    ws.write(
        "account.yaml",
        &format!("kind: Account\nname: acme\nowner: owner@acme.com\nprovider: {{ sim: {{ seed: seed.yaml }} }}\n---\n{PEOPLE}"),
    );
    ws.write("extra.yaml", extra);
    ws.run(&["plan"]).expect_code(0);
    ws
}

/// `roster --state STATE ARGS…` for a state folder of its own (a server's).
fn roster_at(state: &std::path::Path, args: &[&std::ffi::OsStr]) -> Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("--state")
        .arg(state)
        .args(args)
        .output()
        .expect("run roster");
    Run::from(out)
}

/// Fails the next operation of `action` in the cloud under `state`.
fn fail_once(state: &std::path::Path, action: &str) {
    roster_at(state, &["sim".as_ref(), "fail".as_ref(), action.as_ref()]).expect_code(0);
}

/// Apply fails once, then the next plan proposes the change again, and a second apply
/// converges.
fn retried(run: &dyn Fn(&[&str]) -> Run, change: &str) {
    let first = run(&["apply", "--auto-approve"]);
    assert_eq!(
        first.code, 1,
        "the injected fault fails the apply:\n{}",
        first.stdout
    );
    assert!(first.stdout.contains("failed"), "{}", first.stdout);
    let plan = run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout.contains(change),
        "the failed change is proposed again:\n{}",
        plan.stdout
    );
    run(&["apply", "--auto-approve"]).expect_code(0);
    let after = run(&["plan"]).expect_code(0);
    assert!(!after.stdout.contains(change), "{}", after.stdout);
}

#[test]
fn failed_request_external_contact_is_proposed_again_on_the_sim() {
    let ws = on_sim(CONTACT);
    fail_once(&ws.state, "request_external_contact");
    retried(&|args| ws.run(args), REQUEST);
}

#[test]
fn failed_personal_contacts_change_is_proposed_again_on_the_sim() {
    let ws = on_sim(PERSONAL);
    fail_once(&ws.state, "replace_personal_contacts");
    retried(&|args| ws.run(args), REPLACE);
}

#[test]
fn failed_organization_invitation_is_proposed_again_on_the_sim() {
    let ws = on_sim("kind: Organization\nname: Acme Group\nmembers: [boss@sub.example]\n");
    fail_once(&ws.state, "invite_account");
    retried(
        &|args| ws.run(args),
        "invite_account organization/Acme Group/boss@sub.example",
    );
}

/// `provider: zoom` against `roster sim serve`, whose cloud refuses the next `action`.
fn on_zoom(extra: &str, action: &str, check: impl FnOnce(&dyn Fn(&[&str]) -> Run)) {
    on_zoom_served(extra, &[], Some(&[action]), check)
}

/// `provider: zoom` against `roster sim serve SERVE_ARGS…`, whose cloud was given
/// `roster sim fail FAIL…` first, if any.
fn on_zoom_served(
    extra: &str,
    serve_args: &[&str],
    fail: Option<&[&str]>,
    check: impl FnOnce(&dyn Fn(&[&str]) -> Run),
) {
    let tmp = tempfile::tempdir().expect("tmp");
    let seed = tmp.path().join("seed.yaml");
    std::fs::write(&seed, SEED).expect("seed");
    let state = tmp.path().join("server");
    let ws = Workspace::empty();
    roster_at(&state, &["sim".as_ref(), "seed".as_ref(), seed.as_os_str()]).expect_code(0);
    if let Some(args) = fail {
        let mut all = vec!["sim", "fail"];
        all.extend_from_slice(args);
        let os: Vec<&std::ffi::OsStr> = all.iter().map(std::ffi::OsStr::new).collect();
        roster_at(&state, &os).expect_code(0);
    }
    let server = crate::contract::Server::start(&state, &seed, serve_args);
    ws.write(
        "account.yaml",
        &format!(
            "kind: Account\nname: acme\nowner: owner@acme.com\nprovider:\n  zoom:\n    accountId: {{ env: ZOOM_ACCOUNT_ID }}\n    clientId: {{ env: ZOOM_CLIENT_ID }}\n    clientSecret: {{ env: ZOOM_CLIENT_SECRET }}\n    baseUrl: {url}/v2\n    tokenUrl: {url}/oauth/token\n    rateShare: 1.0\n---\n{PEOPLE}",
            url = server.url
        ),
    );
    ws.write("extra.yaml", extra);
    let run = |args: &[&str]| {
        let mut c = ws.cmd(args);
        // `confirm` takes the folder as `--dir` (its argument is a change id).
        if args.first() == Some(&"confirm") {
            c.arg("--dir");
        }
        c.arg(&ws.manifests)
            .env("ZOOM_ACCOUNT_ID", "acme")
            .env("ZOOM_CLIENT_ID", "roster-sim")
            .env("ZOOM_CLIENT_SECRET", crate::contract::SECRET);
        Run::from(c.output().expect("run"))
    };
    check(&run);
}

#[test]
fn failed_request_external_contact_is_proposed_again_on_zoom() {
    // On Zoom, external contacts cannot be listed: they are known from LastApplied. The
    // failed request used to stay there and count as accepted, never retried (K2).
    on_zoom(CONTACT, "request_external_contact", |run| {
        retried(run, REQUEST)
    });
}

#[test]
fn failed_personal_contacts_change_is_proposed_again_on_zoom() {
    on_zoom(PERSONAL, "replace_personal_contacts", |run| {
        retried(run, REPLACE)
    });
}

/// Issue 10, item 3: a chat-group removal that fails must not take back the profile edit
/// that went through beside it. It used to restore the user's whole LastApplied entry, so
/// when the user then changed their own job title (U4, user-editable), the next plan
/// reverted it as if roster had never set the new one.
#[test]
fn a_failed_chat_group_removal_keeps_the_profile_edit_that_went_through() {
    let ws = Workspace::empty();
    ws.write("seed.yaml", SEED);
    let account = |title: &str, chats: &str| {
        format!(
            "kind: Account\nname: acme\nowner: owner@acme.com\nprovider: {{ sim: {{ seed: seed.yaml }} }}\npolicy: {{ userEditable: [jobTitle] }}\n---\nkind: ChatGroup\nname: eng\n---\nkind: User\nemail: owner@acme.com\ntype: licensed\nchatGroups: [eng]\n---\nkind: User\nemail: alice@acme.com\nrole: admin\njobTitle: {title}\nchatGroups: [{chats}]\n"
        )
    };
    ws.write("account.yaml", &account("Engineer", "eng"));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    ws.write("account.yaml", &account("Lead", ""));
    fail_once(&ws.state, "remove_chat_group");
    let first = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(first.code, 1, "the removal fails:\n{}", first.stdout);
    let edit = [
        "sim",
        "edit-user",
        "alice@acme.com",
        "--set",
        "jobTitle=Staff",
    ];
    roster_at(&ws.state, &edit.map(std::ffi::OsStr::new)).expect_code(0);
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("remove_chat_group user/alice@acme.com"),
        "the failed removal is proposed again:\n{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("update_user"),
        "the user's own title is kept (U4), not reverted to what already went through:\n{}",
        plan.stdout
    );
}

/// Issue 10, item 4: Zoom never announced a GET of personal contacts. When it answers
/// 404/2300, the group cannot be diffed: the plan asks for it by hand (K6) instead of
/// adding the contacts blind, and once confirmed the next plan is empty.
#[test]
fn issue10_item4_unlisted_personal_contacts_are_a_manual_change_not_a_blind_write() {
    on_zoom_served(PERSONAL, &["--no-personal-list"], None, |run| {
        let plan = run(&["plan"]).expect_code(0);
        let id = "replace_personal_contacts_by_hand contacts/alice@acme.com/Clients";
        assert!(plan.stdout.contains(id), "{}", plan.stdout);
        assert!(
            plan.stdout.contains("404/2300"),
            "says why: {}",
            plan.stdout
        );
        assert!(
            !plan.stdout.contains(REPLACE),
            "no blind write: {}",
            plan.stdout
        );
        run(&["apply", "--auto-approve"]).expect_code(0);
        let pending = run(&["confirm"]).expect_code(0);
        assert!(
            pending.stdout.contains("Ada"),
            "the steps list the contacts: {}",
            pending.stdout
        );
        run(&[
            "confirm",
            "replace_personal_contacts_by_hand:contacts/alice@acme.com/Clients",
        ])
        .expect_code(0);
        let after = run(&["plan"]).expect_code(0);
        assert!(!after.stdout.contains(id), "confirmed: {}", after.stdout);
    });
}

/// Issue 10, item 4: the personal-contact list is read to its last page (it used to stop
/// at the first 300, so the next plan proposed the rest again).
#[test]
fn issue10_item4_personal_contacts_are_read_past_the_first_page() {
    let contacts: String = (0..320)
        .map(|n| format!("  - {{ name: C{n}, email: c{n}@x.example }}\n"))
        .collect();
    let group = format!(
        "kind: PersonalContacts\nuser: alice@acme.com\nname: Clients\ncontacts:\n{contacts}"
    );
    on_zoom_served(&group, &["--no-rate-limit"], None, |run| {
        run(&["apply", "--auto-approve"]).expect_code(0);
        let after = run(&["plan"]).expect_code(0);
        assert!(
            !after.stdout.contains(REPLACE),
            "all 320 read back: {}",
            after.stdout
        );
    });
}

const NEWCOMER: &str = "kind: User\nemail: new@acme.com\nfirstName: New\n";
const LOST: [&str; 8] = [
    "sim",
    "fail",
    "create_user",
    "--status",
    "500",
    "--code",
    "500",
    "--after",
];

/// The journal rows of `change` (latest outcome and message), from the store under `state`.
fn journal_of(state: &std::path::Path, change: &str) -> Vec<(String, Option<String>)> {
    use roster::store::Store;
    let store = roster::store::sqlite::SqliteStore::open(state).expect("store");
    let journal = futures::executor::block_on(store.journal("acme")).expect("journal");
    journal
        .into_iter()
        .filter(|j| j.change_id == *change)
        .map(|j| (j.outcome.as_str().to_string(), j.message))
        .collect()
}

/// Issue 17, part 3: a create whose answer is lost after it was made is journaled
/// `uncertain`, and the next run's fresh read resolves it (found done) before anything is
/// sent again: one user, one create.
#[test]
fn a_create_whose_answer_was_lost_is_uncertain_then_found_done_on_the_sim() {
    let ws = on_sim(NEWCOMER);
    roster_at(&ws.state, &LOST.map(std::ffi::OsStr::new)).expect_code(0);
    let first = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(first.code, 1, "{}", first.stdout);
    let id = "create_user:user/new@acme.com";
    let rows = journal_of(&ws.state, id);
    assert!(rows.iter().any(|(o, _)| o == "uncertain"), "{rows:?}");
    let plan = ws.run(&["plan"]).expect_code(0);
    assert!(
        !plan.stdout.contains("create_user"),
        "made already: {}",
        plan.stdout
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let rows = journal_of(&ws.state, id);
    assert!(
        rows.iter().all(|(o, m)| o == "done"
            && m.as_deref()
                .is_some_and(|m| m.starts_with("sent, but its answer was lost; found done"))),
        "resolved: {rows:?}"
    );
    let sim = ws.sim_show();
    let users = sim["accounts"][0]["users"].as_array().expect("users");
    let n = users
        .iter()
        .filter(|u| u["email"] == "new@acme.com")
        .count();
    assert_eq!(n, 1, "created once");
}

/// Issue 17, part 3, on `zoom`: the provider looks the user up after the lost answer and
/// finds it, so the create is not sent again and the change is done in the same run.
#[test]
fn a_create_whose_answer_was_lost_is_looked_up_not_resent_on_zoom() {
    on_zoom_served(NEWCOMER, &[], Some(&LOST[2..]), |run| {
        let applied = run(&["apply", "--auto-approve"]);
        assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
        let plan = run(&["plan", "--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "{}", plan.stdout);
    });
}
