//! `roster import` (issue 16, part 1): an account adopted with an empty first plan.

use crate::harness::{Run, Workspace};
use std::path::Path;

/// `roster --state STATE ARGS… DIR`.
fn roster(ws: &Workspace, args: &[&str], dir: &Path) -> Run {
    let mut c = ws.cmd(args);
    c.arg(dir);
    Run::from(c.output().expect("run roster"))
}

#[test]
fn an_imported_account_plans_no_changes_and_import_diffs_before_it_writes() {
    let ws = Workspace::acme();
    // Every kind: acme has groups, chat groups, roles, users in every state, the
    // organization and contacts; an integration completes it.
    ws.write(
        "integrations.yaml",
        "kind: CalendarContactIntegration\nuser: alice@acme.com\nservice: google\ncalendar: true\ncontacts: true\n",
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let out = tempfile::tempdir().expect("out");
    let dry = roster(
        &ws,
        &["import", "--out", &out.path().display().to_string()],
        &ws.manifests,
    )
    .expect_code(0);
    assert!(
        dry.stdout.contains("+++ b/groups.yaml"),
        "a diff: {}",
        dry.stdout
    );
    assert!(dry.stderr.contains("--write"), "{}", dry.stderr);
    assert_eq!(
        std::fs::read_dir(out.path()).expect("out").count(),
        0,
        "nothing written"
    );
    let args = [
        "import",
        "--out",
        &out.path().display().to_string(),
        "--write",
    ];
    roster(&ws, &args, &ws.manifests).expect_code(0);
    for f in [
        "account.yaml",
        "groups.yaml",
        "organization.yaml",
        "contacts.yaml",
        "users/engineering.yaml",
        "manifests.schema.json",
    ] {
        assert!(out.path().join(f).is_file(), "{f} written");
    }
    let plan = roster(&ws, &["plan", "--detailed-exitcode"], out.path());
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    let again = roster(
        &ws,
        &["import", "--out", &out.path().display().to_string()],
        &ws.manifests,
    )
    .expect_code(0);
    assert!(
        again.stdout.is_empty(),
        "a second import changes nothing: {}",
        again.stdout
    );
    assert!(
        again.stderr.contains("0 file(s) would change"),
        "{}",
        again.stderr
    );
}
