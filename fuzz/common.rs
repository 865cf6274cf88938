//! The fuzz targets' bodies, shared by `cargo fuzz` (fuzz/fuzz_targets/) and the replay of
//! the checked-in corpus and crashes in `cargo test` (tests/inputs/fuzz_replay.rs): the
//! same input goes through the same code in both.

use roster::daemon::webhook;
use roster::manifest;
use roster::provider::wire;
use std::time::Duration;

const ACCOUNT: &str = "kind: Account\nname: acme\nowner: owner@acme.com\nprovider: { sim: {} }\n";

/// Loads a folder whose one extra file is `name` holding `data`; refusals must be located.
fn load_with(name: &str, data: &[u8], extra: &[(&str, &str)]) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("account.yaml"), ACCOUNT).expect("account");
    for (n, text) in extra {
        std::fs::write(dir.path().join(n), text).expect("extra file");
    }
    std::fs::write(dir.path().join(name), data).expect("fuzzed file");
    if let Err(diags) = manifest::load_dir(dir.path()) {
        for d in &diags.0 {
            assert!(
                d.location.file.is_some() || d.message.contains("the manifest folder"),
                "a refusal names no location: {}",
                d.message
            );
        }
    }
}

/// The manifest loader on one fuzzed YAML file next to a valid Account.
pub fn manifest(data: &[u8]) {
    load_with("users.yaml", data, &[]);
}

/// The CSV readers: a UserImport's CSV and a PersonalContacts CSV.
pub fn csv(data: &[u8]) {
    load_with(
        "people.csv",
        data,
        &[("import.yaml", "kind: UserImport\nfile: people.csv\n")],
    );
    load_with(
        "contacts.csv",
        data,
        &[(
            "personal.yaml",
            "kind: PersonalContacts\nuser: owner@acme.com\nname: Clients\nfile: contacts.csv\n",
        )],
    );
}

/// The webhook handler's checks: signature and freshness over fuzzed headers and body,
/// then the event parser on a body signed correctly.
pub fn webhook(data: &[u8]) {
    let secret = webhook::WebhookSecret::new(b"fuzz-secret".to_vec());
    let (head, body) = data.split_at(data.len().min(48));
    let head = String::from_utf8_lossy(head);
    let (ts, sig) = head.split_once('|').unwrap_or((&head, ""));
    let tolerance = Duration::from_secs(300);
    let _ = webhook::verify(&secret, Some(ts), Some(sig), body, 1_700_000_000, tolerance);
    let _ = webhook::verify(&secret, None, Some(sig), body, 1_700_000_000, tolerance);
    let sig = webhook::sign(&secret, "1700000000", body);
    let v = webhook::verify(
        &secret,
        Some("1700000000"),
        Some(&sig),
        body,
        1_700_000_000,
        tolerance,
    )
    .expect("a correctly signed body verifies");
    let seen = webhook::SeenSignatures::default();
    assert!(seen.first_use(&v, 1_700_000_000, tolerance));
    assert!(
        !seen.first_use(&v, 1_700_000_000, tolerance),
        "a replay is refused"
    );
    let _ = webhook::parse(body);
}

/// Zoom's answers decoded as roster's wire types: refused or read, never a panic.
pub fn zoom_decode(data: &[u8]) {
    let _ = serde_json::from_slice::<wire::UserPage>(data);
    let _ = serde_json::from_slice::<wire::UserDetail>(data);
    let _ = serde_json::from_slice::<wire::CreatedUser>(data);
    let _ = serde_json::from_slice::<wire::ErrorBody>(data);
    let _ = serde_json::from_slice::<wire::TokenResponse>(data);
    let _ = serde_json::from_slice::<wire::GroupPage>(data);
    let _ = serde_json::from_slice::<wire::GroupMemberPage>(data);
    let _ = serde_json::from_slice::<wire::ContactGroupPage>(data);
    let _ = serde_json::from_slice::<wire::RoleList>(data);
    let _ = serde_json::from_slice::<wire::RoleMemberPage>(data);
    let _ = serde_json::from_slice::<wire::PersonalContactList>(data);
    let _ = serde_json::from_slice::<wire::UsersSummary>(data);
}
