//! What roster tells its user must be true and precise (issue 19): cross-reference
//! checks, diagnostics with snippets and true positions, "did you mean", one list of
//! kinds, the simulator seed, the plan summary, each command's help, saved plans.

use crate::harness::Workspace;

const ACCOUNT: &str = "kind: Account\nname: acme\nowner: owner@acme.com\n";

fn validate(files: &[(&str, &str)]) -> crate::harness::Run {
    let ws = Workspace::empty();
    for (rel, text) in files {
        ws.write(rel, text);
    }
    ws.run(&["validate", "--color", "never"])
}

#[test]
fn an_undeclared_group_is_refused_by_validate_at_the_group_line() {
    let r = validate(&[
        ("account.yaml", ACCOUNT),
        (
            "users.yaml",
            "kind: User\nemail: mo@acme.com\ngroup: nosuchgroup\n",
        ),
    ])
    .expect_code(1);
    assert!(r.stderr.contains("users.yaml:3:8"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("group `nosuchgroup` is not declared: declare it with `kind: Group`"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("valid"), "{}", r.stdout);
}

#[test]
fn undeclared_chat_groups_roles_managers_and_contact_owners_are_refused_where_written() {
    let r = validate(&[
        (
            "account.yaml",
            "kind: Account\nname: acme\nowner: owner@acme.com\ndefaults: { chatGroup: general }\n",
        ),
        ("groups.yaml", "kind: Group\nname: engineering\n"),
        (
            "users.yaml",
            "kind: User\nemail: mo@acme.com\ngroup: engneering\nrole: Helpdesk\nmanager: boss@acme.com\n",
        ),
        (
            "contacts.yaml",
            "kind: ExternalContacts\nuser: ghost@acme.com\ncontacts: [a@partner.com]\n",
        ),
    ])
    .expect_code(1);
    for at in [
        "account.yaml:4:24",
        "users.yaml:3:8",
        "users.yaml:4:7",
        "users.yaml:5:10",
        "contacts.yaml:2:7",
    ] {
        assert!(r.stderr.contains(at), "no error at {at}:\n{}", r.stderr);
    }
    assert!(
        r.stderr.contains("did you mean `engineering`?"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_existing_group_is_checked_by_plan_at_once_even_for_a_pending_user() {
    let ws = Workspace::empty();
    ws.write(
        "account.yaml",
        "kind: Account\nname: acme\nowner: owner@acme.com\nexisting:\n  groups: [legacy]\n",
    );
    ws.write(
        "users.yaml",
        "kind: User\nemail: mo@acme.com\ngroup: legacy\n",
    );
    ws.run(&["validate"]).expect_code(0);
    let r = ws.run(&["plan"]).expect_code(1);
    assert!(r.stdout.contains("account.yaml:5:12"), "{}", r.stdout);
    assert!(
        r.stdout.contains("group/legacy is listed in the Account's `existing.groups` but the account has no such group"),
        "{}",
        r.stdout
    );
}

#[test]
fn csv_rows_shorter_or_longer_than_the_header_are_refused_alike() {
    let r = validate(&[
        ("account.yaml", ACCOUNT),
        (
            "users/support.yaml",
            "kind: UserImport\nfile: ../people/support.csv\n",
        ),
        (
            "people/support.csv",
            "email,firstName,lastName,type,jobTitle\nkim@acme.com,Kim,Khan,basic,Lead\nmo@acme.com,Mo\nno@acme.com,No,Body,basic,Support desk\nlong@acme.com,L,O,basic,N,G\n",
        ),
    ])
    .expect_code(1);
    assert!(
        r.stderr.contains(
            "people/support.csv:3: error[U6] in UserImport: row has 2 cells, the header has 5"
        ) || r.stderr.contains("--> people/support.csv:3 (UserImport)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("row has 2 cells, the header has 5"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("row has 6 cells, the header has 5"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("U2"),
        "no cell lands in the wrong column: {}",
        r.stderr
    );
}

#[test]
fn a_csv_cell_error_names_the_header_column() {
    let r = validate(&[
        ("account.yaml", ACCOUNT),
        ("import.yaml", "kind: UserImport\nfile: people.csv\n"),
        (
            "people.csv",
            "email,firstName,type\nbad@acme.com,Bad,platinum\n",
        ),
    ])
    .expect_code(1);
    assert!(r.stderr.contains("people.csv:2:3"), "{}", r.stderr);
    assert!(r.stderr.contains("`type`"), "{}", r.stderr);
}

#[test]
fn invalid_yaml_is_reported_at_a_line_the_file_has() {
    let r = validate(&[
        ("account.yaml", ACCOUNT),
        ("broken.yaml", "kind: Group\nname: [engineering\n"),
    ])
    .expect_code(1);
    assert!(r.stderr.contains("broken.yaml:2:19"), "{}", r.stderr);
    assert!(!r.stderr.contains("broken.yaml:3"), "{}", r.stderr);
}

#[test]
fn the_simulator_seed_is_not_a_manifest_when_the_provider_is_zoom() {
    let ws = Workspace::acme();
    let account = std::fs::read_to_string(ws.manifests.join("account.yaml")).expect("read");
    let zoom = account.replace(
        "  sim:\n    seed: sim-seed.yaml          # the simulated account, used the first time only\n",
        "  zoom:\n    accountId: { env: ZOOM_ACCOUNT_ID }\n    clientId: { env: ZOOM_CLIENT_ID }\n    clientSecret: { env: ZOOM_CLIENT_SECRET }\n",
    );
    assert_ne!(zoom, account, "examples/acme/account.yaml changed shape");
    ws.write("account.yaml", &zoom);
    let r = ws.run(&["validate"]).expect_code(0);
    assert!(r.stdout.contains("The manifests are valid"), "{}", r.stdout);
}

#[test]
fn a_document_without_kind_lists_every_kind_the_loader_reads() {
    let r = validate(&[("account.yaml", ACCOUNT), ("x.yaml", "name: nobody\n")]).expect_code(1);
    assert!(
        r.stderr.contains("(Account, User, Users, UserImport, Group, ChatGroup, Role, Organization, ExternalContacts, PersonalContacts, CalendarContactIntegration, CalendlyConnection)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("kind: SimulatorSeed"), "{}", r.stderr);
}

#[test]
fn a_plan_with_errors_never_says_no_changes() {
    let ws = Workspace::empty();
    ws.write(
        "account.yaml",
        "kind: Account\nname: acme\nowner: owner@acme.com\npolicy: { minAdmins: 3 }\n",
    );
    let r = ws.run(&["plan"]).expect_code(1);
    assert!(
        r.stdout.contains("Errors (nothing will be applied)"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("No changes"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Plan refused: 1 error(s), nothing will be applied."),
        "{}",
        r.stdout
    );
}

#[test]
fn plan_on_an_empty_folder_invents_no_position() {
    let ws = Workspace::empty();
    let r = ws.run(&["plan"]).expect_code(1);
    assert!(
        r.stderr.contains("no Account document found"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(".:1:1"), "{}", r.stderr);
    assert!(!r.stderr.contains(":1:1"), "{}", r.stderr);
}

#[test]
fn a_wrong_kind_or_field_gets_did_you_mean() {
    let r = validate(&[
        ("account.yaml", ACCOUNT),
        (
            "users.yaml",
            "kind: user\nemail: a@acme.com\n---\nkind: User\nemial: b@acme.com\n",
        ),
    ])
    .expect_code(1);
    assert!(r.stderr.contains("did you mean `User`?"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `email`?"), "{}", r.stderr);
    assert!(r.stderr.contains("users.yaml:1:7"), "{}", r.stderr);
    assert!(r.stderr.contains("users.yaml:5:1"), "{}", r.stderr);
}

fn help(args: &[&str]) -> String {
    let ws = Workspace::empty();
    let mut all = args.to_vec();
    all.push("--help");
    ws.run_plain(&all).expect_code(0).stdout
}

#[test]
fn each_command_helps_with_what_works_for_it() {
    let validate = help(&["validate"]);
    assert!(!validate.contains("--state"), "{validate}");
    assert!(!validate.contains("--store"), "{validate}");
    for cmd in [
        &["plan"][..],
        &["apply"],
        &["daemon"],
        &["confirm"],
        &["export", "users"],
    ] {
        let h = help(cmd);
        assert!(h.contains("--state"), "{cmd:?}: {h}");
        assert!(h.contains("--store"), "{cmd:?}: {h}");
    }
    let sim = help(&["sim", "show"]);
    assert!(sim.contains("--state"), "{sim}");
    assert!(!sim.contains("--store"), "{sim}");
    assert!(!sim.contains("--color"), "{sim}");
}

#[test]
fn a_saved_plan_is_applied_without_a_terminal_and_without_auto_approve() {
    let ws = Workspace::empty();
    ws.write("account.yaml", ACCOUNT);
    ws.write("users.yaml", "kind: User\nemail: mo@acme.com\n");
    let plan = ws.manifests.parent().expect("tmp").join("reviewed.plan");
    let plan = plan.to_str().expect("utf-8 path");
    ws.run(&["plan", "--out", plan]).expect_code(0);
    let no_terminal = |args: &[&str]| {
        let mut c = ws.cmd(args);
        c.stdin(std::process::Stdio::null());
        crate::harness::Run::from(c.output().expect("run roster"))
    };
    let r = no_terminal(&["apply", plan]).expect_code(0);
    assert!(r.stdout.contains("Apply complete"), "{}", r.stdout);
    let again = ws.run(&["plan"]).expect_code(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    // A folder still asks: a plan nobody saw is not applied without a terminal.
    ws.write("more.yaml", "kind: User\nemail: jo@acme.com\n");
    let dir = ws.manifests.to_str().expect("utf-8 path");
    let r = no_terminal(&["apply", dir]).expect_code(1);
    assert!(r.stderr.contains("--auto-approve"), "{}", r.stderr);
}

/// Broken manifests and CSVs, each rendered as `roster validate` prints it.
const BROKEN: &[(&str, &[(&str, &str)])] = &[
    (
        "unknown kind",
        &[("a.yaml", "kind: user\nemail: a@acme.com\n")],
    ),
    (
        "unknown field",
        &[("a.yaml", "kind: User\nemial: a@acme.com\n")],
    ),
    (
        "missing field",
        &[("a.yaml", "kind: User\nfirstName: Al\n")],
    ),
    (
        "bad email",
        &[("a.yaml", "kind: User\nemail: not-an-email\n")],
    ),
    (
        "undeclared group",
        &[(
            "a.yaml",
            "kind: User\nemail: a@acme.com\ngroup: enginering\n---\nkind: Group\nname: engineering\n",
        )],
    ),
    (
        "bad user type",
        &[(
            "a.yaml",
            "kind: Users\nitems:\n  - { email: a@acme.com, type: licenced }\n",
        )],
    ),
    (
        "yaml cut short",
        &[("a.yaml", "kind: Group\nname: [engineering\n")],
    ),
    (
        "role field typo",
        &[(
            "a.yaml",
            "kind: Role\nname: Helpdesk\nprivileges: [user:read]\ndescripton: x\n",
        )],
    ),
    (
        "csv short row",
        &[
            ("a.yaml", "kind: UserImport\nfile: people.csv\n"),
            ("people.csv", "email,firstName,lastName\nmo@acme.com,Mo\n"),
        ],
    ),
    (
        "csv long row",
        &[
            ("a.yaml", "kind: UserImport\nfile: people.csv\n"),
            ("people.csv", "email,firstName\nmo@acme.com,Mo,Extra\n"),
        ],
    ),
    (
        "csv bad cell",
        &[
            ("a.yaml", "kind: UserImport\nfile: people.csv\n"),
            (
                "people.csv",
                "email,firstName,type\nmo@acme.com,Mo,licenced\n",
            ),
        ],
    ),
    (
        "csv unknown column",
        &[
            ("a.yaml", "kind: UserImport\nfile: people.csv\n"),
            ("people.csv", "email,firstname\nmo@acme.com,Mo\n"),
        ],
    ),
    (
        "contacts csv bad phone",
        &[
            (
                "a.yaml",
                "kind: User\nemail: al@acme.com\n---\nkind: PersonalContacts\nuser: al@acme.com\nname: Clients\nfile: c.csv\n",
            ),
            (
                "c.csv",
                "Name,Email,Mobile\nClaire,claire@client.example,0612345678\n",
            ),
        ],
    ),
];

#[test]
fn diagnostics_render_with_snippet_caret_and_true_position_snapshot() {
    let mut all = String::new();
    for (name, files) in BROKEN {
        let mut with_account = vec![("account.yaml", ACCOUNT)];
        with_account.extend_from_slice(files);
        let r = validate(&with_account).expect_code(1);
        for block in r.stderr.split("\n\n").filter(|b| b.starts_with("error[")) {
            assert!(block.contains(" --> "), "{name}: no location:\n{block}");
            assert!(block.contains('^'), "{name}: no caret:\n{block}");
        }
        all.push_str(&format!("===== {name}\n{}\n", r.stderr));
    }
    insta::assert_snapshot!("broken_manifests", all);
}

/// Issue 19 part 1: the defaults of a `UserImport` are checked where they are written,
/// though every CSV row names its own group.
#[test]
fn validate_refuses_an_undeclared_default_group_of_an_import_at_its_value() {
    let r = validate(&[
        ("account.yaml", ACCOUNT),
        ("groups.yaml", "kind: Group\nname: sales\n"),
        (
            "import.yaml",
            "kind: UserImport\nfile: people.csv\ndefaults:\n  type: basic\n  group: slaes\n",
        ),
        ("people.csv", "email,group\nmo@acme.com,sales\n"),
    ])
    .expect_code(1);
    assert!(
        r.stderr.contains("import.yaml:5:10")
            && r.stderr
                .contains("group `slaes` is not declared: declare it with `kind: Group`")
            && r.stderr.contains("did you mean `sales`?"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("people.csv:"), "{}", r.stderr);
}
