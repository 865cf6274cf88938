//! Loading rules that need no binary: defaults, secrets, cross-file checks.

use super::load_dir;
use crate::model::{Email, ProviderConfig, RoleName, SecretRef, UserType};

fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tmp");
    for (rel, text) in files {
        let p = d.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    d
}

fn errors(files: &[(&str, &str)]) -> Vec<String> {
    let d = dir(files);
    load_dir(d.path())
        .expect_err("errors expected")
        .0
        .iter()
        .map(|e| e.to_string())
        .collect()
}

const ACCOUNT: &str = "kind: Account\nname: acme\nowner: owner@acme.com\n";

fn e(s: &str) -> Email {
    Email::parse(s).expect("email")
}

#[test]
fn defaults_apply_own_then_list_then_domain_then_account() {
    let d = dir(&[
        (
            "account.yaml",
            "kind: Account\nname: acme\nowner: owner@acme.com\ndefaults:\n  userType: basic\n  group: all\n  chatGroup: general\n  domains:\n    eng.acme.com: { userType: licensed, group: eng }\nexisting: { groups: [all, eng, sales, own], chatGroups: [general] }\n",
        ),
        (
            "users.yaml",
            "kind: Users\ndefaults: { group: sales }\nitems:\n  - { email: a@acme.com }\n  - { email: b@eng.acme.com }\n  - { email: c@acme.com, group: own }\n---\nkind: User\nemail: d@eng.acme.com\n---\nkind: User\nemail: Owner@Acme.com\n",
        ),
    ]);
    let m = load_dir(d.path()).expect("valid");
    let acme = &m.accounts["acme"];
    let u = |s: &str| &acme.users[&e(s)].spec;
    assert_eq!(
        u("a@acme.com").group.as_deref(),
        Some("sales"),
        "list defaults beat account defaults"
    );
    assert_eq!(
        u("b@eng.acme.com").group.as_deref(),
        Some("sales"),
        "list defaults beat domain defaults"
    );
    assert_eq!(
        u("b@eng.acme.com").user_type,
        Some(UserType::Licensed),
        "domain type where the list says nothing"
    );
    assert_eq!(
        u("c@acme.com").group.as_deref(),
        Some("own"),
        "own field first"
    );
    assert_eq!(
        u("d@eng.acme.com").group.as_deref(),
        Some("eng"),
        "domain defaults beat account defaults"
    );
    assert_eq!(u("a@acme.com").user_type, Some(UserType::Basic));
    assert!(
        u("a@acme.com")
            .chat_groups
            .as_ref()
            .is_some_and(|g| g.contains("general"))
    );
    assert_eq!(u("a@acme.com").role, Some(RoleName::Member));
    assert_eq!(
        u("owner@acme.com").role,
        Some(RoleName::Owner),
        "emails are lower-cased and the owner keeps its role"
    );
}

#[test]
fn secrets_are_references_never_inline() {
    let bad = errors(&[(
        "account.yaml",
        "kind: Account\nname: acme\nowner: o@acme.com\nprovider:\n  zoom:\n    accountId: abc\n    clientId: { env: ID }\n    clientSecret: { env: SECRET }\n",
    )]);
    assert!(
        bad.iter()
            .any(|e| e.contains("account.yaml:6:16") && e.contains("never the secret itself")),
        "{bad:?}"
    );
    let d = dir(&[(
        "account.yaml",
        "kind: Account\nname: acme\nowner: o@acme.com\nprovider:\n  zoom:\n    accountId: { env: ACC }\n    clientId: { env: ID }\n    clientSecret: { file: secret.txt }\n",
    )]);
    let m = load_dir(d.path()).expect("valid");
    let ProviderConfig::Zoom(z) = &m.accounts["acme"].account.provider else {
        panic!("zoom")
    };
    assert_eq!(z.account_id, SecretRef::Env("ACC".into()));
    assert_eq!(
        z.client_secret,
        SecretRef::File(d.path().join("secret.txt"))
    );
}

#[test]
fn u8_resend_after_must_come_before_expiry() {
    let errs = errors(&[(
        "account.yaml",
        &format!("{ACCOUNT}policy:\n  invitations:\n    resendAfter: 30d\n"),
    )]);
    assert!(
        errs.iter()
            .any(|e| e.contains("error[U8]") && e.contains("account.yaml:6:18")),
        "{errs:?}"
    );
}

#[test]
fn c2_a_calendly_connection_is_read_with_its_fallbacks_options_and_token() {
    let d = dir(&[
        ("account.yaml", ACCOUNT),
        (
            "users.yaml",
            "kind: Users\nitems:\n  - { email: it@acme.com, role: admin }\n  - { email: ops@acme.com, role: admin }\n",
        ),
        (
            "calendly.yaml",
            "kind: CalendlyConnection\norganization: acme\nzoomAdmin: IT@acme.com\nfallbackAdmins: [ops@acme.com]\nmeetingSummary: true\ncredentials:\n  token: { env: CALENDLY_TOKEN }\n",
        ),
    ]);
    let m = load_dir(d.path()).expect("valid");
    let c = m.accounts["acme"].calendly.as_ref().expect("declared");
    assert_eq!(c.organization, "acme");
    assert_eq!(c.zoom_admin, e("it@acme.com"));
    assert_eq!(c.fallback_admins, vec![e("ops@acme.com")]);
    assert_eq!(
        (c.meeting_summary, c.allow_user_disconnect),
        (Some(true), None)
    );
    assert_eq!(c.token, Some(SecretRef::Env("CALENDLY_TOKEN".into())));
    assert_eq!(c.zoom_admin_source.to_string(), "calendly.yaml:3:12");
}

#[test]
fn c2_bad_calendly_connections_are_reported_with_their_location() {
    let errs = errors(&[
        ("account.yaml", ACCOUNT),
        (
            "users.yaml",
            "kind: User\nemail: it@acme.com\nrole: admin\n",
        ),
        (
            "calendly.yaml",
            "kind: CalendlyConnection\norganization: acme\nfallbackAdmins: [it@acme.com, it@acme.com, nobody@acme.com]\ncredentials: { token: abc }\n---\nkind: CalendlyConnection\norganization: acme\nzoomAdmin: it@acme.com\n---\nkind: CalendlyConnection\norganization: other\nzoomAdmin: it@acme.com\n",
        ),
    ]);
    let has = |what: &str, at: &str| errs.iter().any(|e| e.contains(what) && e.contains(at));
    assert!(has("needs `zoomAdmin`", "calendly.yaml:1:1"), "{errs:?}");
    assert!(has("listed twice", "calendly.yaml:3:31"), "{errs:?}");
    assert!(has("nobody@acme.com", "calendly.yaml:3:"), "{errs:?}");
    assert!(has("secret `token`", "calendly.yaml:4:"), "{errs:?}");
    assert!(
        has("a second CalendlyConnection", "calendly.yaml:"),
        "{errs:?}"
    );
}

#[test]
fn several_accounts_need_an_account_field() {
    let errs = errors(&[
        (
            "a.yaml",
            "kind: Account\nname: a\nowner: o@a.com\n---\nkind: Account\nname: b\nowner: o@b.com\n",
        ),
        (
            "u.yaml",
            "kind: User\nemail: x@a.com\n---\nkind: User\naccount: c\nemail: y@a.com\n",
        ),
    ]);
    assert!(
        errs.iter()
            .any(|e| e.contains("u.yaml:2:8") && e.contains("several accounts")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("u.yaml:5:10") && e.contains("no Account named `c`")),
        "{errs:?}"
    );
}

#[test]
fn u7_the_owner_cannot_be_declared_with_another_role_nor_others_as_owner() {
    let errs = errors(&[
        ("account.yaml", ACCOUNT),
        (
            "u.yaml",
            "kind: User\nemail: owner@acme.com\nrole: admin\n---\nkind: User\nemail: x@acme.com\nrole: owner\n",
        ),
    ]);
    assert_eq!(
        errs.iter().filter(|e| e.contains("error[U7]")).count(),
        2,
        "{errs:?}"
    );
}

#[test]
fn u11_user_attributes_must_be_declared_on_the_account() {
    let errs = errors(&[
        ("account.yaml", ACCOUNT),
        (
            "u.yaml",
            "kind: User\nemail: x@acme.com\ncustomAttributes: { site: Paris }\n",
        ),
    ]);
    assert!(
        errs.iter()
            .any(|e| e.contains("u.yaml:3:21") && e.contains("error[U11]")),
        "{errs:?}"
    );
}

#[test]
fn unknown_csv_columns_are_reported_on_row_1() {
    let errs = errors(&[
        ("account.yaml", ACCOUNT),
        ("i.yaml", "kind: UserImport\nfile: p.csv\n"),
        ("p.csv", "email,firstname\na@acme.com,A\n"),
    ]);
    assert!(
        errs.iter()
            .any(|e| e.contains("p.csv:1:2") && e.contains("did you mean `firstName`")),
        "{errs:?}"
    );
}

#[test]
fn hidden_files_are_skipped_and_seeds_are_not_manifests() {
    let d = dir(&[
        (
            "account.yaml",
            "kind: Account\nname: acme\nowner: o@acme.com\nprovider: { sim: { seed: seed.yaml } }\n",
        ),
        ("seed.yaml", "clock: 2026-11-01T09:00:00Z\n"),
        (".git/x.yaml", "not: a manifest\n"),
        (".hidden.yaml", "kind: Nope\n"),
    ]);
    let m = load_dir(d.path()).expect("valid");
    assert!(m.accounts.contains_key("acme"));
}

#[test]
fn an_empty_folder_needs_an_account() {
    let errs = errors(&[("notes.txt", "hello")]);
    assert!(errs[0].contains("no Account document"), "{errs:?}");
}

#[test]
fn bad_csv_cells_are_all_reported_with_row_and_column() {
    let errs = errors(&[
        ("account.yaml", ACCOUNT),
        ("i.yaml", "kind: UserImport\nfile: p.csv\n"),
        (
            "p.csv",
            "email,type,addons\nnope,basic,\nb@acme.com,gold,\nc@acme.com,basic,teleport\n",
        ),
    ]);
    for at in ["p.csv:2:1", "p.csv:3:2", "p.csv:4:3"] {
        assert!(
            errs.iter().any(|e| e.contains(at)),
            "missing {at}: {errs:?}"
        );
    }
    assert!(errs.iter().any(|e| e.contains("error[U2]")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("error[U3]")), "{errs:?}");
}

#[test]
fn resync_is_parsed_as_cron_with_its_location() {
    let errs = errors(&[(
        "account.yaml",
        "kind: Account\nname: acme\nowner: owner@acme.com\nschedule:\n  resync: \"0 */10 * * * mon-xyz\"\n",
    )]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("account.yaml:5:11:") && errs[0].contains("not a valid cron"),
        "{errs:?}"
    );
    let d = dir(&[(
        "account.yaml",
        "kind: Account\nname: acme\nowner: owner@acme.com\nschedule:\n  resync: \"*/5 * * * * *\"\n",
    )]);
    let m = load_dir(d.path()).expect("valid");
    assert_eq!(
        m.accounts["acme"].account.resync.as_deref(),
        Some("*/5 * * * * *")
    );
}

const ALICE: &str = "kind: User\nemail: alice@acme.com\n";

#[test]
fn k4_an_integration_is_read_with_its_defaults_and_secret_reference() {
    let d = dir(&[
        ("account.yaml", ACCOUNT),
        ("users.yaml", ALICE),
        (
            "alice.yaml",
            "kind: CalendarContactIntegration\nuser: alice@acme.com\nservice: google\nschedule: \"0 */15 * * * *\"\ncredentials:\n  refreshToken: { env: ALICE_GOOGLE_REFRESH_TOKEN }\n",
        ),
    ]);
    let m = load_dir(d.path()).expect("valid");
    let i = &m.accounts["acme"].integrations[&e("alice@acme.com")];
    assert_eq!(i.service, crate::model::IntegrationService::Google);
    assert!(i.calendar && i.contacts, "both on unless said otherwise");
    assert_eq!(i.conflict, crate::model::ConflictPolicy::Newest);
    assert_eq!(i.schedule.as_deref(), Some("0 */15 * * * *"));
    assert_eq!(
        i.credentials,
        Some(crate::model::IntegrationCredentials::OAuth {
            refresh_token: SecretRef::Env("ALICE_GOOGLE_REFRESH_TOKEN".into())
        })
    );
    assert_eq!(i.source.to_string(), "alice.yaml:2:7");
}

#[test]
fn k4_bad_integrations_are_reported_with_their_location() {
    let errs = errors(&[
        ("account.yaml", ACCOUNT),
        ("users.yaml", ALICE),
        (
            "a.yaml",
            "kind: CalendarContactIntegration\nuser: alice@acme.com\nservice: gogle\nconflict: latest\nschedule: every hour\n",
        ),
        (
            "b.yaml",
            "kind: CalendarContactIntegration\nuser: bob@acme.com\nservice: google\ncredentials:\n  password: { env: P }\n",
        ),
        (
            "c.yaml",
            "kind: CalendarContactIntegration\nuser: alice@acme.com\nservice: exchange\ncredentials:\n  username: alice\n",
        ),
    ]);
    let has = |at: &str, what: &str| errs.iter().any(|e| e.contains(at) && e.contains(what));
    assert!(has("a.yaml:3:10", "did you mean `google`?"), "{errs:?}");
    assert!(has("a.yaml:4:11", "not a conflict policy"), "{errs:?}");
    assert!(has("a.yaml:5:11", "not a cron expression"), "{errs:?}");
    assert!(
        has("b.yaml:5:3", "`password` is an Exchange credential"),
        "{errs:?}"
    );
    assert!(has("b.yaml", "need `refreshToken`"), "{errs:?}");
    assert!(has("c.yaml", "need `password`"), "{errs:?}");
    assert!(has("c.yaml", "need `ewsUrl`"), "{errs:?}");
}

#[test]
fn k4_a_user_has_one_integration_at_a_time() {
    let doc =
        |s: &str| format!("kind: CalendarContactIntegration\nuser: alice@acme.com\nservice: {s}\n");
    let errs = errors(&[
        ("account.yaml", ACCOUNT),
        ("users.yaml", ALICE),
        ("a.yaml", &doc("google")),
        ("b.yaml", &doc("office365")),
    ]);
    assert!(
        errs.iter().any(|e| e.contains("b.yaml:2:7")
            && e.contains("K4")
            && e.contains("the first is at a.yaml:2:7")),
        "{errs:?}"
    );
}

/// Issue 19 part 1: a list's defaults are references where they are written, checked
/// once, even when every item overrides them or the list has no item.
#[test]
fn list_defaults_are_checked_where_written_even_when_no_item_takes_them() {
    let errs = errors(&[
        ("account.yaml", ACCOUNT),
        ("groups.yaml", "kind: Group\nname: sales\n"),
        (
            "users.yaml",
            "kind: Users\ndefaults: { group: slaes, role: Helpdesk }\nitems:\n  - { email: a@acme.com, group: sales }\n  - { email: b@acme.com, group: sales }\n---\nkind: Users\ndefaults: { chatGroups: [general], manager: boss@acme.com }\nitems: []\n",
        ),
        (
            "import.yaml",
            "kind: UserImport\nfile: people.csv\ndefaults:\n  group: nosuch\n",
        ),
        ("people.csv", "email,group\nc@acme.com,sales\n"),
    ]);
    let at = |loc: &str, what: &str| {
        errs.iter()
            .filter(|e| e.starts_with(loc) && e.contains(what))
            .count()
    };
    assert_eq!(at("users.yaml:2:20", "group `slaes`"), 1, "{errs:#?}");
    assert_eq!(at("users.yaml:2:33", "role `Helpdesk`"), 1, "{errs:#?}");
    assert_eq!(
        at("users.yaml:8:26", "chat group `general`"),
        1,
        "{errs:#?}"
    );
    assert_eq!(at("users.yaml:8:45", "boss@acme.com"), 1, "{errs:#?}");
    assert_eq!(at("import.yaml:4:10", "group `nosuch`"), 1, "{errs:#?}");
    assert_eq!(errs.len(), 5, "each reference once: {errs:#?}");
}

#[test]
fn list_defaults_taken_by_several_users_are_reported_once() {
    let errs = errors(&[
        ("account.yaml", ACCOUNT),
        (
            "users.yaml",
            "kind: Users\ndefaults: { group: nosuch }\nitems:\n  - { email: a@acme.com }\n  - { email: b@acme.com }\n",
        ),
    ]);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0].starts_with("users.yaml:2:20") && errs[0].contains("group `nosuch`"),
        "{errs:#?}"
    );
}

#[test]
fn a_name_declared_in_another_account_says_which_one() {
    let errs = errors(&[
        (
            "accounts.yaml",
            "kind: Account\nname: acme\nowner: owner@acme.com\n---\nkind: Account\nname: beta\nowner: owner@beta.com\n",
        ),
        ("groups.yaml", "kind: Group\naccount: beta\nname: staff\n"),
        (
            "users.yaml",
            "kind: User\naccount: acme\nemail: mo@acme.com\ngroup: staff\n",
        ),
    ]);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0].starts_with("users.yaml:4:8")
            && errs[0].contains("group `staff` is not declared")
            && errs[0].contains(
                "account `beta` declares it, but this document belongs to account `acme`"
            ),
        "{errs:#?}"
    );
}

#[test]
fn a_user_hint_compares_addresses_of_one_domain_by_their_local_part() {
    let errs = errors(&[
        ("account.yaml", ACCOUNT),
        (
            "users.yaml",
            "kind: User\nemail: carol@acme.com\nmanager: noboss@acme.com\n---\nkind: User\nemail: bob@acme.com\nmanager: bobb@acme.com\n---\nkind: User\nemail: mo@acme.com\nmanager: mo@acme.co\n",
        ),
    ]);
    let at = |loc: &str| {
        errs.iter()
            .find(|e| e.starts_with(loc))
            .unwrap_or_else(|| panic!("no error at {loc}: {errs:#?}"))
    };
    assert!(!at("users.yaml:3:10").contains("did you mean"), "{errs:#?}");
    assert!(
        at("users.yaml:7:10").contains("did you mean `bob@acme.com`?"),
        "{errs:#?}"
    );
    assert!(
        at("users.yaml:11:10").contains("did you mean `mo@acme.com`?"),
        "{errs:#?}"
    );
}
