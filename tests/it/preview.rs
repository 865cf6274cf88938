//! `roster plan --at DATE` (issue 16, part 6): what a later date brings, with nothing saved.

use crate::harness::Workspace;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .expect("under dir")
                    .display()
                    .to_string();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

#[test]
fn plan_at_a_later_date_shows_resends_and_expiries_and_changes_nothing() {
    let ws = Workspace::acme();
    let eng = std::fs::read_to_string(ws.manifests.join("users/engineering.yaml")).expect("eng");
    ws.write(
        "users/engineering.yaml",
        &eng.replace(
            "email: dave@acme.com\n",
            "email: dave@acme.com\nexpires: 2026-11-20\n",
        ),
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let today = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(today.code, 0, "converged today:\n{}", today.stdout);
    let before = snapshot(&ws.state);
    let later = ws.run(&["plan", "--at", "2026-11-28"]).expect_code(0);
    assert!(
        later.stdout.contains("Preview at 2026-11-28"),
        "{}",
        later.stdout
    );
    assert!(
        later
            .stdout
            .contains("resend_invitation user/frank@acme.com"),
        "U8: invited on 2026-11-01, resent after 25 days:\n{}",
        later.stdout
    );
    assert!(
        later.stdout.contains("user/dave@acme.com") && later.stdout.contains("expires"),
        "dave's `expires` has passed:\n{}",
        later.stdout
    );
    assert_eq!(
        snapshot(&ws.state),
        before,
        "state and simulator unchanged byte for byte"
    );
    let past = ws.run(&["plan", "--at", "2026-10-01"]);
    assert_eq!(past.code, 1, "{}", past.stdout);
    assert!(
        past.stderr.contains("not replay the past"),
        "{}",
        past.stderr
    );
    let saved = ws.run(&["plan", "--at", "2026-11-28", "--out", "p.json"]);
    assert_eq!(
        saved.code, 2,
        "a preview cannot be saved for apply: {}",
        saved.stderr
    );
}
