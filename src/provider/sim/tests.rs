//! The simulator's account rules, one test per rule id, each checking the Zoom code.

use super::cloud::{Cloud, InviteKind, SimStatus};
use super::engine::Actor;
use super::{oob, read_seed};
use crate::model::{Addon, Email, RoleName, Rule, UserType};
use crate::model::{Op, ProfilePatch};
use crate::provider::ProviderError;
use std::collections::BTreeSet;

const SEED: &str = r#"clock: 2026-11-01T09:00:00Z
accounts:
  - id: acme
    owner: owner@acme.com
    seats: { licensed: 2, largeMeeting: 1 }
    customAttributes: [costCenter]
    groups: [ { name: staff } ]
    chatGroups: [ { name: general } ]
    roles: [ { name: Helpdesk, privileges: [user:read, user:edit] }, { name: RoleAdmin, privileges: [user:edit, role:edit] } ]
    users:
      - { email: owner@acme.com, type: licensed }
      - { email: admin@acme.com, role: admin }
      - { email: mem@acme.com }
      - { email: help@acme.com, role: Helpdesk }
      - { email: radm@acme.com, role: RoleAdmin }
      - { email: pend@acme.com, status: pending, invitedAt: 2026-10-20T09:00:00Z }
  - id: other
    owner: boss@other.com
    users:
      - { email: boss@other.com }
      - { email: staff@other.com }
  - id: solo
    owner: solo@solo.com
    zoomRooms: 1
  - id: free
    owner: cheap@free.com
    plan: free
individuals:
  - { email: indie@example.org, type: licensed, firstName: In, lastName: Die }
"#;

fn cloud() -> Cloud {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("seed.yaml");
    std::fs::write(&p, SEED).expect("seed");
    read_seed(&p).expect("seed parses")
}

fn e(s: &str) -> Email {
    Email::parse(s).expect("email")
}

fn as_(who: &str) -> Actor {
    Actor {
        email: e(who),
        out_of_band: false,
    }
}

fn owner() -> Actor {
    as_("owner@acme.com")
}

fn create(email: &str, t: UserType) -> Op {
    Op::CreateUser {
        email: e(email),
        user_type: t,
        first_name: None,
        last_name: None,
    }
}

fn code(r: Result<(), ProviderError>) -> (i64, Option<Rule>) {
    match r {
        Err(ProviderError::Api { code, rule, .. }) => (code, rule),
        other => panic!("expected a Zoom error, got {other:?}"),
    }
}

fn user<'a>(c: &'a Cloud, account: &str, email: &str) -> Option<&'a super::cloud::SimUser> {
    let a = &c.accounts[c.account_index(account).expect("account")];
    a.users.iter().find(|u| u.email.as_str() == email)
}

#[test]
fn u1_members_and_free_accounts_cannot_manage_users() {
    let mut c = cloud();
    let before = c.log.len();
    assert_eq!(
        code(c.execute(
            "acme",
            &as_("mem@acme.com"),
            &create("x@acme.com", UserType::Basic)
        )),
        (200, Some(Rule::U1))
    );
    assert_eq!(
        code(c.execute(
            "free",
            &as_("cheap@free.com"),
            &create("x@free.com", UserType::Basic)
        )),
        (200, Some(Rule::U1))
    );
    assert_eq!(c.log.len(), before, "refused calls change nothing");
    c.execute(
        "acme",
        &as_("admin@acme.com"),
        &create("x@acme.com", UserType::Basic),
    )
    .expect("an admin may");
    c.execute(
        "acme",
        &as_("help@acme.com"),
        &create("y@acme.com", UserType::Basic),
    )
    .expect("a custom role with user:edit may");
}

#[test]
fn u2_licensed_needs_a_free_seat_and_pending_users_count() {
    let mut c = cloud();
    // owner holds 1 of 2; a pending licensed invitation takes the second.
    c.execute(
        "acme",
        &owner(),
        &create("lic@acme.com", UserType::Licensed),
    )
    .expect("one seat left");
    let r = c.execute(
        "acme",
        &owner(),
        &Op::ChangeUserType {
            email: e("mem@acme.com"),
            to: UserType::Licensed,
        },
    );
    assert_eq!(code(r), (2034, Some(Rule::U2)));
    c.execute(
        "acme",
        &owner(),
        &Op::CancelInvitation {
            email: e("lic@acme.com"),
        },
    )
    .expect("cancel");
    c.execute(
        "acme",
        &owner(),
        &Op::ChangeUserType {
            email: e("mem@acme.com"),
            to: UserType::Licensed,
        },
    )
    .expect("seat freed");
}

#[test]
fn u2_on_prem_needs_the_meeting_connector() {
    let mut c = cloud();
    let r = c.execute("acme", &owner(), &create("op@acme.com", UserType::OnPrem));
    assert_eq!(code(r).1, Some(Rule::U2));
}

#[test]
fn u3_add_ons_need_free_add_on_seats_and_active_users() {
    let mut c = cloud();
    let add = |who: &str| Op::AssignAddon {
        email: e(who),
        addon: Addon::LargeMeeting,
    };
    assert_eq!(
        code(c.execute("acme", &owner(), &add("mem@acme.com"))),
        (1108, Some(Rule::U3)),
        "a basic user holds no add-on (issue 10, item 7)"
    );
    let ai = c.account_index("acme").expect("acme");
    for u in c.accounts[ai].users.iter_mut() {
        if u.email == e("mem@acme.com") || u.email == e("admin@acme.com") {
            u.user_type = UserType::Licensed;
        }
    }
    c.execute("acme", &owner(), &add("mem@acme.com"))
        .expect("one seat");
    assert_eq!(
        code(c.execute("acme", &owner(), &add("admin@acme.com"))),
        (2034, Some(Rule::U3))
    );
    assert_eq!(
        code(c.execute("acme", &owner(), &add("pend@acme.com"))).1,
        Some(Rule::U8),
        "pending users hold no add-on"
    );
}

#[test]
fn u5_activation_for_new_emails_invitation_for_existing_zoom_users() {
    let mut c = cloud();
    c.execute("acme", &owner(), &create("new@acme.com", UserType::Basic))
        .expect("create");
    c.execute(
        "acme",
        &owner(),
        &create("indie@example.org", UserType::Basic),
    )
    .expect("invite");
    assert_eq!(
        user(&c, "acme", "new@acme.com").expect("u").invite,
        Some(InviteKind::Activation)
    );
    assert_eq!(
        user(&c, "acme", "indie@example.org").expect("u").invite,
        Some(InviteKind::Join)
    );
    assert_eq!(c.log.last().expect("log").action, "invite_user");
    assert_eq!(
        user(&c, "acme", "new@acme.com").expect("u").status,
        SimStatus::Pending
    );
    assert!(
        user(&c, "acme", "new@acme.com").expect("u").id.is_none(),
        "pending users have no id"
    );
    assert_eq!(
        code(c.execute("acme", &owner(), &create("new@acme.com", UserType::Basic))).0,
        1005
    );
}

#[test]
fn pending_users_hold_no_group_or_role_until_they_accept() {
    let mut c = cloud();
    let g = Op::SetGroup {
        email: e("pend@acme.com"),
        group: Some("staff".into()),
        remove_from: BTreeSet::new(),
    };
    assert_eq!(code(c.execute("acme", &owner(), &g)).1, Some(Rule::U8));
    let r = Op::ChangeRole {
        email: e("pend@acme.com"),
        to: RoleName::Admin,
    };
    assert_eq!(code(c.execute("acme", &owner(), &r)).1, Some(Rule::U8));
    c.accept(&e("pend@acme.com")).expect("accept");
    c.execute("acme", &owner(), &g).expect("active now");
}

#[test]
fn u7_only_the_owner_or_role_edit_promotes_admins_and_the_owner_is_protected() {
    let mut c = cloud();
    let promote = Op::ChangeRole {
        email: e("mem@acme.com"),
        to: RoleName::Admin,
    };
    assert_eq!(
        code(c.execute("acme", &as_("admin@acme.com"), &promote)),
        (200, Some(Rule::U7))
    );
    c.execute("acme", &as_("radm@acme.com"), &promote)
        .expect("role:edit may promote");
    let demote_owner = Op::ChangeRole {
        email: e("owner@acme.com"),
        to: RoleName::Member,
    };
    assert_eq!(
        code(c.execute("acme", &owner(), &demote_owner)).1,
        Some(Rule::U7)
    );
    assert_eq!(
        code(c.execute(
            "acme",
            &owner(),
            &Op::DisassociateUser {
                email: e("admin@acme.com")
            }
        )),
        (1117, Some(Rule::U7))
    );
    assert_eq!(
        code(c.execute(
            "acme",
            &owner(),
            &Op::DeactivateUser {
                email: e("admin@acme.com")
            }
        )),
        (200, Some(Rule::U7))
    );
    assert_eq!(
        code(c.execute(
            "acme",
            &owner(),
            &Op::DeleteUser {
                email: e("owner@acme.com")
            }
        ))
        .1,
        Some(Rule::U7)
    );
}

#[test]
fn u8_invitations_expire_after_30_days_and_resend_resets_the_clock() {
    let mut c = cloud();
    oob::advance_clock(&mut c, "+10d").expect("clock");
    // pend was sent 2026-10-20: 30 days later is 2026-11-19, before 2026-11-11.
    assert!(user(&c, "acme", "pend@acme.com").is_some());
    let resend = Op::ResendInvitation {
        email: e("pend@acme.com"),
        user_type: UserType::Basic,
        first_name: None,
        last_name: None,
    };
    c.execute("acme", &owner(), &resend).expect("resend");
    oob::advance_clock(&mut c, "+20d").expect("clock");
    assert!(
        user(&c, "acme", "pend@acme.com").is_some(),
        "the resend restarted the 30 days"
    );
    oob::advance_clock(&mut c, "+10d").expect("clock");
    assert!(user(&c, "acme", "pend@acme.com").is_none(), "expired");
    let a = &c.accounts[c.account_index("acme").expect("acme")];
    assert!(a.expired_invitations.contains_key(&e("pend@acme.com")));
    assert!(
        c.accept(&e("pend@acme.com")).is_err(),
        "an expired invitation cannot be accepted"
    );
    c.execute("acme", &owner(), &resend)
        .expect("an expired invitation can be sent again");
    assert!(user(&c, "acme", "pend@acme.com").is_some());
}

#[test]
fn u9_deactivated_users_cannot_be_edited() {
    let mut c = cloud();
    c.execute(
        "acme",
        &owner(),
        &Op::DeactivateUser {
            email: e("mem@acme.com"),
        },
    )
    .expect("deactivate");
    let patch = Op::UpdateProfile {
        email: e("mem@acme.com"),
        patch: ProfilePatch {
            department: Some("X".into()),
            ..Default::default()
        },
    };
    assert_eq!(code(c.execute("acme", &owner(), &patch)).1, Some(Rule::U13));
    c.execute(
        "acme",
        &owner(),
        &Op::ActivateUser {
            email: e("mem@acme.com"),
        },
    )
    .expect("activate");
    c.execute("acme", &owner(), &patch).expect("editable again");
}

#[test]
fn u11_custom_attributes_must_be_defined_and_at_most_five() {
    let mut c = cloud();
    let mut attrs = std::collections::BTreeMap::new();
    attrs.insert("nope".to_string(), "1".to_string());
    let patch = Op::UpdateProfile {
        email: e("mem@acme.com"),
        patch: ProfilePatch {
            custom_attributes: Some(attrs),
            ..Default::default()
        },
    };
    assert_eq!(code(c.execute("acme", &owner(), &patch)).1, Some(Rule::U11));
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("seed.yaml");
    std::fs::write(&p, "clock: 2026-11-01T09:00:00Z\naccounts:\n  - { id: a, owner: o@a.com, customAttributes: [a, b, c, d, e, f] }\n").expect("w");
    assert!(matches!(read_seed(&p), Err(ProviderError::Config(m)) if m.contains("U11")));
}

#[test]
fn u13_disassociated_users_become_individuals_and_deleted_users_are_gone() {
    let mut c = cloud();
    c.execute(
        "acme",
        &owner(),
        &Op::DisassociateUser {
            email: e("mem@acme.com"),
        },
    )
    .expect("unlink");
    assert!(c.individuals.iter().any(|i| i.email == e("mem@acme.com")));
    c.execute(
        "acme",
        &owner(),
        &Op::DeleteUser {
            email: e("help@acme.com"),
        },
    )
    .expect("delete");
    assert!(c.locate(&e("help@acme.com")).is_none());
    assert!(!c.individuals.iter().any(|i| i.email == e("help@acme.com")));
}

#[test]
fn i3_an_owner_with_other_users_or_rooms_cannot_accept_1009() {
    let mut c = cloud();
    c.execute("acme", &owner(), &create("boss@other.com", UserType::Basic))
        .expect("invite");
    c.execute("acme", &owner(), &create("solo@solo.com", UserType::Basic))
        .expect("invite");
    let r = c.accept(&e("boss@other.com")).map(|_| ());
    assert_eq!(code(r), (1009, Some(Rule::I3)));
    assert_eq!(
        user(&c, "acme", "boss@other.com")
            .expect("still pending")
            .status,
        SimStatus::Pending
    );
    assert_eq!(
        code(c.accept(&e("solo@solo.com")).map(|_| ())),
        (1009, Some(Rule::I3)),
        "a Zoom Room blocks too"
    );
}

#[test]
fn i4_on_acceptance_the_profile_moves_but_licences_do_not() {
    let mut c = cloud();
    c.execute(
        "acme",
        &owner(),
        &create("indie@example.org", UserType::Basic),
    )
    .expect("invite");
    c.accept(&e("indie@example.org")).expect("accept");
    let u = user(&c, "acme", "indie@example.org").expect("joined");
    assert_eq!(u.status, SimStatus::Active);
    assert_eq!(
        u.user_type,
        UserType::Basic,
        "the individual's licence did not move"
    );
    assert_eq!(u.first_name.as_deref(), Some("In"), "the profile moved");
    assert!(c.individuals.is_empty());
}

#[test]
fn out_of_band_edits_are_all_or_nothing() {
    let mut c = cloud();
    let sets = vec![
        ("lastName".to_string(), "X".to_string()),
        ("type".to_string(), "platinum".to_string()),
    ];
    assert!(oob::edit_user(&mut c, &e("mem@acme.com"), &sets).is_err());
    assert_eq!(user(&c, "acme", "mem@acme.com").expect("u").last_name, None);
    let sets = vec![
        ("lastName".to_string(), "X".to_string()),
        ("group".to_string(), "staff".to_string()),
    ];
    oob::edit_user(&mut c, &e("mem@acme.com"), &sets).expect("edit");
    let u = user(&c, "acme", "mem@acme.com").expect("u");
    assert_eq!(u.last_name.as_deref(), Some("X"));
    assert!(u.groups.contains("staff"));
}

#[test]
fn observation_counts_list_calls_not_users() {
    let mut c = cloud();
    let a = c.account_index("acme").expect("acme");
    for i in 0..700 {
        let mut u = super::cloud::SimUser::new(e(&format!("bulk{i}@acme.com")));
        u.id = Some(format!("b{i}"));
        c.accounts[a].users.push(u);
    }
    let (o, calls) = super::observe::observe(&c, "acme", &e("owner@acme.com")).expect("observe");
    assert_eq!(o.users.len(), 706);
    // 705 active → 3 pages, 1 pending page, 1 inactive page; groups, chat groups,
    // roles, 2 role details, account.
    assert_eq!(calls, 3 + 1 + 1 + 1 + 1 + 1 + 2 + 1);
}

#[test]
fn roles_are_typed_in_memory_and_plain_names_on_disk() {
    let c = cloud();
    let acme = &c.accounts[0];
    let role = |who: &str| {
        acme.users
            .iter()
            .find(|u| u.email == e(who))
            .map(|u| u.role.clone())
    };
    assert_eq!(role("owner@acme.com"), Some(RoleName::Owner));
    assert_eq!(role("admin@acme.com"), Some(RoleName::Admin));
    assert_eq!(role("mem@acme.com"), Some(RoleName::Member));
    assert_eq!(
        role("help@acme.com"),
        Some(RoleName::Custom("Helpdesk".into()))
    );
    let json = serde_json::to_value(&c).expect("state");
    let users = json["accounts"][0]["users"].as_array().expect("users");
    let names: Vec<&str> = users.iter().filter_map(|u| u["role"].as_str()).collect();
    assert_eq!(
        names.len(),
        users.len(),
        "every role is a plain name: {users:?}"
    );
    assert!(names.contains(&"Helpdesk") && names.contains(&"admin"));
    let back: Cloud = serde_json::from_value(json).expect("state reloads");
    assert_eq!(back, c);
}

#[test]
fn u2_a_resend_refused_for_want_of_a_seat_keeps_the_pending_invitation() {
    let mut c = cloud();
    c.execute(
        "acme",
        &owner(),
        &create("lic@acme.com", UserType::Licensed),
    )
    .expect("the second licensed seat");
    let before = c.clone();
    let resend = Op::ResendInvitation {
        email: e("pend@acme.com"),
        user_type: UserType::Licensed,
        first_name: None,
        last_name: None,
    };
    assert_eq!(
        code(c.execute("acme", &owner(), &resend)),
        (2034, Some(Rule::U2))
    );
    assert_eq!(c, before, "a refused resend changes nothing");
    assert!(user(&c, "acme", "pend@acme.com").is_some());
}

#[test]
fn issue10_item2_u1_a_role_spelled_as_zoom_does_manages_users() {
    let mut c = cloud();
    let ai = c.account_index("acme").expect("acme");
    c.accounts[ai].roles[0].privileges = ["User:Read", "User:Edit"].map(String::from).into();
    c.execute(
        "acme",
        &as_("help@acme.com"),
        &create("z@acme.com", UserType::Basic),
    )
    .expect("User:Edit grants user management as user:edit does (U1)");
}

#[test]
fn issue10_item6_u13_a_deactivated_user_cannot_be_deleted() {
    let mut c = cloud();
    c.execute(
        "acme",
        &owner(),
        &Op::DeactivateUser {
            email: e("mem@acme.com"),
        },
    )
    .expect("deactivated");
    let del = Op::DeleteUser {
        email: e("mem@acme.com"),
    };
    assert_eq!(
        code(c.execute("acme", &owner(), &del)),
        (200, Some(Rule::U13))
    );
    c.execute(
        "acme",
        &owner(),
        &Op::ActivateUser {
            email: e("mem@acme.com"),
        },
    )
    .expect("activated");
    c.execute("acme", &owner(), &del).expect("then deleted");
}

/// The HTTP status and Zoom code of a refusal.
fn status(r: Result<(), ProviderError>) -> (u16, i64) {
    match r {
        Err(ProviderError::Api { status, code, .. }) => (status, code),
        other => panic!("expected a Zoom error, got {other:?}"),
    }
}

#[test]
fn issue10_item11_the_engine_answers_the_status_zoom_documents() {
    // accounts-api.json: an unknown role is 400/1034, a duplicate role name 400/1224;
    // users-api.json: "Only available for Paid account" and the other U1 refusals are
    // 400/200. The embedded provider and `sim serve` share these answers.
    let mut c = cloud();
    let unknown = Op::ChangeRole {
        email: e("mem@acme.com"),
        to: RoleName::parse("NoSuchRole"),
    };
    assert_eq!(status(c.execute("acme", &owner(), &unknown)), (400, 1034));
    let duplicate = Op::CreateRole {
        name: "Helpdesk".into(),
        description: None,
        privileges: BTreeSet::new(),
    };
    assert_eq!(status(c.execute("acme", &owner(), &duplicate)), (400, 1224));
    let free = create("x@free.com", UserType::Basic);
    assert_eq!(
        status(c.execute("free", &as_("cheap@free.com"), &free)),
        (400, 200)
    );
    let member = create("x@acme.com", UserType::Basic);
    assert_eq!(
        status(c.execute("acme", &as_("mem@acme.com"), &member)),
        (400, 200)
    );
    let promote = Op::ChangeRole {
        email: e("mem@acme.com"),
        to: RoleName::Admin,
    };
    assert_eq!(
        status(c.execute("acme", &as_("admin@acme.com"), &promote)),
        (400, 200)
    );
}
