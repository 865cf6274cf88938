//! `roster audit` (issue 16, part 5): the journal as an auditor reads it.

use crate::harness::Workspace;

/// Python's csv module reads `text`: the rows as dictionaries, in JSON.
fn python_csv(text: &str) -> Vec<serde_json::Value> {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv, json, sys; print(json.dumps(list(csv.DictReader(sys.stdin))))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python3 ran");
    assert!(out.status.success(), "python's csv refused the audit");
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn audit_lists_every_applied_change_once_with_actor_rule_and_outcome() {
    let ws = Workspace::acme();
    let applied = ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let done: usize = applied
        .stdout
        .lines()
        .find_map(|l| l.split(": ").nth(1)?.split(" applied").next()?.parse().ok())
        .expect("applied count");
    let audit = ws.run(&["audit", "--format", "csv"]).expect_code(0);
    let rows = python_csv(&audit.stdout);
    let applied_rows: Vec<_> = rows.iter().filter(|r| r["outcome"] == "done").collect();
    assert_eq!(
        applied_rows.len(),
        done,
        "each applied change once:\n{}",
        audit.stdout
    );
    let mut ids: Vec<_> = applied_rows.iter().map(|r| r["change"].as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), done, "no change listed twice");
    for r in &rows {
        assert!(
            r["actor"]
                .as_str()
                .is_some_and(|a| a.starts_with("roster apply by ") && a.contains(" on host ")),
            "{r}"
        );
        assert_eq!(r["account"], "acme");
    }
    assert!(
        rows.iter().any(|r| r["rule"] == "U8"),
        "the rule behind a change: {}",
        audit.stdout
    );
    let json = ws.run(&["audit", "--format", "json"]).expect_code(0);
    let list: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(list.len(), rows.len());
    let later = ws.run(&["audit", "--since", "2999-01-01"]).expect_code(0);
    assert_eq!(python_csv(&later.stdout).len(), 0, "--since filters");
}
