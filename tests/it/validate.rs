//! `roster validate`: every error located, all reported at once, exit 1.

use crate::harness::Workspace;

const ACCOUNT: &str =
    "kind: Account\nname: acme\nowner: owner@acme.com\ncustomAttributes: [costCenter]\n";

#[test]
fn valid_manifests_pass() {
    let ws = Workspace::acme();
    let r = ws.run(&["validate"]).expect_code(0);
    assert!(r.stdout.contains("valid"), "{}", r.stdout);
}

#[test]
fn unknown_field_is_located() {
    let ws = Workspace::empty();
    ws.write("account.yaml", ACCOUNT);
    ws.write(
        "users.yaml",
        "kind: User\nemail: a@acme.com\nfirstname: Al\n",
    );
    let r = ws.run(&["validate"]).expect_code(1);
    assert!(r.stderr.contains("users.yaml:3:1"), "{}", r.stderr);
    assert!(r.stderr.contains("firstname"), "{}", r.stderr);
}

#[test]
fn bad_email_is_located() {
    let ws = Workspace::empty();
    ws.write("account.yaml", ACCOUNT);
    ws.write("users.yaml", "kind: User\nemail: not-an-email\n");
    let r = ws.run(&["validate"]).expect_code(1);
    assert!(r.stderr.contains("users.yaml:2:8"), "{}", r.stderr);
}

#[test]
fn duplicate_user_names_both_places() {
    let ws = Workspace::empty();
    ws.write("account.yaml", ACCOUNT);
    ws.write("a.yaml", "kind: User\nemail: dup@acme.com\n");
    ws.write(
        "people.csv",
        "email,firstName\nother@acme.com,O\nDup@Acme.com,D\n",
    );
    ws.write("b.yaml", "kind: UserImport\nfile: people.csv\n");
    let r = ws.run(&["validate"]).expect_code(1);
    assert!(r.stderr.contains("a.yaml:2"), "{}", r.stderr);
    assert!(r.stderr.contains("people.csv:3"), "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("dup@acme.com").count(),
        1,
        "one error for the pair: {}",
        r.stderr
    );
}

#[test]
fn u11_six_custom_attributes_refused() {
    let ws = Workspace::empty();
    ws.write(
        "account.yaml",
        "kind: Account\nname: acme\nowner: owner@acme.com\ncustomAttributes: [a, b, c, d, e, f]\n",
    );
    let r = ws.run(&["validate"]).expect_code(1);
    assert!(r.stderr.contains("account.yaml:4"), "{}", r.stderr);
    assert!(r.stderr.contains("U11"), "{}", r.stderr);
}

#[test]
fn bad_csv_row_is_located_by_row_and_column() {
    let ws = Workspace::empty();
    ws.write("account.yaml", ACCOUNT);
    ws.write("import.yaml", "kind: UserImport\nfile: people.csv\n");
    ws.write(
        "people.csv",
        "email,firstName,type\nok@acme.com,Ok,basic\nbad@acme.com,Bad,platinum\n",
    );
    let r = ws.run(&["validate"]).expect_code(1);
    assert!(r.stderr.contains("people.csv:3:3"), "{}", r.stderr);
}

#[test]
fn every_error_is_reported_at_once() {
    let ws = Workspace::empty();
    ws.write("account.yaml", ACCOUNT);
    ws.write("users.yaml", "kind: User\nemail: nope\n---\nkind: User\nemail: b@acme.com\ncolour: red\n---\nkind: Gadget\n");
    let r = ws.run(&["validate"]).expect_code(1);
    for at in ["users.yaml:2:", "users.yaml:6:", "users.yaml:8:"] {
        assert!(r.stderr.contains(at), "missing {at} in {}", r.stderr);
    }
}

#[test]
fn plan_refuses_broken_manifests_without_touching_the_simulator() {
    let ws = Workspace::acme();
    ws.write("broken.yaml", "kind: User\nemail: x@acme.com\nbogus: 1\n");
    ws.run(&["plan"]).expect_code(1);
    assert!(
        !ws.state.join("sim.json").exists(),
        "nothing observed or written from a broken revision"
    );
}
