//! `examples/acme`: the README's main job. The first plan shows every interesting case
//! and is snapshot-tested; the second apply is empty.

use crate::harness::Workspace;

fn first_plan(ws: &Workspace, format: &str) -> String {
    ws.run(&["plan", "--format", format]).expect_code(0).stdout
}

#[test]
fn first_plan_shows_every_seeded_case() {
    let ws = Workspace::acme();
    let text = first_plan(&ws, "text");
    for expected in [
        "+ create_user",             // an email unknown to Zoom (U5)
        "+ invite_user",             // an existing Zoom user invited (U5)
        "resendAfter",               // a pending invitation older than resendAfter (U8)
        "expired on",                // an expired invitation sent again (U8)
        "\"licensed\" -> \"basic\"", // a downgrade that frees a seat…
        "\"basic\" -> \"licensed\"", // …for an upgrade in the same plan (U2)
        "promotion to admin",        // an admin promotion (U7)
        "+ create_group",            // a group created…
        "~ set_group",               // …and users placed in it
        "a date that has passed",    // a user whose expires date passed
        "Unmanaged users",           // an unmanaged user left alone (prune: false)
    ] {
        assert!(
            text.contains(expected),
            "the first plan lacks `{expected}`:\n{text}"
        );
    }
    assert!(
        !text.contains("rooms.acme.com"),
        "ignored users never appear:\n{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&first_plan(&ws, "json")).expect("json plan");
    let changes = json["changes"].as_array().expect("changes");
    let pos = |pred: &dyn Fn(&serde_json::Value) -> bool| {
        changes.iter().position(pred).expect("change present")
    };
    let down = pos(&|c| c["action"] == "change_user_type" && c["fields"]["type"]["to"] == "basic");
    let up = pos(&|c| c["action"] == "change_user_type" && c["fields"]["type"]["to"] == "licensed");
    assert!(down < up, "the downgrade that frees the seat comes first");
    let down_id = changes[down]["id"].clone();
    assert!(
        changes[up]["dependsOn"]
            .as_array()
            .expect("deps")
            .contains(&down_id),
        "the upgrade waits for the downgrade"
    );
}

#[test]
fn first_plan_text_snapshot() {
    let ws = Workspace::acme();
    insta::assert_snapshot!("acme_first_plan_text", first_plan(&ws, "text"));
}

#[test]
fn first_plan_json_snapshot() {
    let ws = Workspace::acme();
    insta::assert_snapshot!("acme_first_plan_json", first_plan(&ws, "json"));
}

#[test]
fn first_plan_markdown_groups_by_kind() {
    let ws = Workspace::acme();
    let md = first_plan(&ws, "markdown");
    assert!(md.contains("<details><summary>user:"), "{md}");
    assert!(md.contains("<details><summary>group:"), "{md}");
}

#[test]
fn apply_twice_second_is_empty_and_detailed_exitcode_is_zero() {
    let ws = Workspace::acme();
    let first = ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        first.stdout.contains("Apply complete for account acme"),
        "{}",
        first.stdout
    );
    let second = ws.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        second
            .stdout
            .contains("No changes. The account matches the manifests."),
        "{}",
        second.stdout
    );
    ws.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn o2_uncommenting_the_globex_member_is_refused_before_anything_is_sent() {
    let ws = Workspace::acme();
    let org = std::fs::read_to_string(ws.manifests.join("organization.yaml")).expect("org");
    ws.write(
        "organization.yaml",
        &org.replace("  # - ceo@globex.example", "  - ceo@globex.example"),
    );
    let r = ws.run(&["plan"]).expect_code(1);
    assert!(
        r.stdout.contains("O2") && r.stdout.contains("Globex Holdings"),
        "{}",
        r.stdout
    );
}
