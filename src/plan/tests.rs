//! Unit tests of the planner, one or more per `[plan]` rule, named after the rule id.

use super::*;
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};

fn now() -> Timestamp {
    "2026-11-01T09:00:00Z".parse().expect("valid timestamp")
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("valid email")
}

fn src(line: u32) -> Source {
    Source::new("users.yaml", line, 3)
}

fn account() -> AccountSpec {
    AccountSpec {
        name: "acme".into(),
        owner: email("owner@acme.com"),
        provider: ProviderConfig::Sim(SimConfig::default()),
        defaults: AccountDefaults::default(),
        custom_attributes: vec!["costCenter".into()],
        seats: Seats::default(),
        policy: Policy::default(),
        resync: None,
        existing: Default::default(),
        source: Source::new("account.yaml", 1, 1),
    }
}

fn du(e: &str, f: impl FnOnce(&mut UserSpec)) -> DesiredUser {
    let mut spec = UserSpec {
        user_type: Some(UserType::Basic),
        role: Some(RoleName::Member),
        ..UserSpec::default()
    };
    f(&mut spec);
    DesiredUser {
        email: email(e),
        spec,
        status: DesiredStatus::Active,
        expires: None,
        source: src(1),
    }
}

fn desired(users: Vec<DesiredUser>) -> Desired {
    let mut d = Desired {
        account: account(),
        users: BTreeMap::new(),
        groups: BTreeMap::new(),
        chat_groups: BTreeMap::new(),
        roles: BTreeMap::new(),
        organization: None,
        external_contacts: BTreeMap::new(),
        personal_contacts: BTreeMap::new(),
        integrations: BTreeMap::new(),
        calendly: None,
    };
    let mut owner = du("owner@acme.com", |s| {
        s.role = Some(RoleName::Owner);
        s.user_type = Some(UserType::Licensed);
    });
    owner.source = src(100);
    d.users.insert(owner.email.clone(), owner);
    for u in users {
        d.users.insert(u.email.clone(), u);
    }
    d
}

fn ou(e: &str, status: ObservedStatus, f: impl FnOnce(&mut UserSpec)) -> ObservedUser {
    let mut spec = UserSpec {
        first_name: Some(String::new()),
        last_name: Some(String::new()),
        user_type: Some(UserType::Basic),
        addons: Some(BTreeSet::new()),
        role: Some(RoleName::Member),
        group: None,
        chat_groups: Some(BTreeSet::new()),
        department: Some(String::new()),
        manager: None,
        job_title: Some(String::new()),
        location: Some(String::new()),
        custom_attributes: Some(BTreeMap::new()),
    };
    f(&mut spec);
    let groups = spec.group.iter().cloned().collect();
    ObservedUser {
        email: email(e),
        id: None,
        status,
        spec,
        groups,
        invited_at: None,
    }
}

fn role(id: &str, name: &str, privileges: &[&str]) -> (String, ObservedRole) {
    (
        name.to_string(),
        ObservedRole {
            id: id.into(),
            name: name.into(),
            description: None,
            privileges: privileges.iter().map(|p| p.to_string()).collect(),
        },
    )
}

fn observed(users: Vec<ObservedUser>) -> Observed {
    let mut o = Observed {
        account_id: "acme".into(),
        observed_at: now(),
        plan: AccountPlan::Business,
        owner: email("owner@acme.com"),
        actor: email("owner@acme.com"),
        on_prem_enabled: false,
        seats: Seats {
            licensed: Some(10),
            large_meeting: Some(1),
            webinar: Some(1),
        },
        users: BTreeMap::new(),
        groups: BTreeMap::new(),
        chat_groups: BTreeMap::new(),
        roles: [
            role("0", "owner", &[]),
            role("1", "admin", &[]),
            role("2", "member", &[]),
        ]
        .into_iter()
        .collect(),
        expired_invitations: BTreeMap::new(),
        existing_elsewhere: BTreeMap::new(),
        unread_lookups: Default::default(),
        organization: Default::default(),
        external_contacts: None,
        personal_contacts: BTreeMap::new(),
        personal_contacts_refused: None,
        integrations: None,
        calendly: None,
    };
    let owner = ou("owner@acme.com", ObservedStatus::Active, |s| {
        s.role = Some(RoleName::Owner);
        s.user_type = Some(UserType::Licensed);
    });
    o.users.insert(owner.email.clone(), owner);
    for u in users {
        o.users.insert(u.email.clone(), u);
    }
    o
}

fn run(d: &Desired, o: &Observed, l: &LastApplied) -> Plan {
    plan(d, o, l, now(), &PlanOptions::default())
}

fn actions(p: &Plan) -> Vec<String> {
    p.changes
        .iter()
        .map(|c| format!("{} {}", c.action.as_str(), c.target))
        .collect()
}

fn rules(p: &Plan) -> Vec<Rule> {
    p.errors.iter().map(|e| e.rule).collect()
}

#[test]
fn no_changes_when_account_matches() {
    let d = desired(vec![du("a@acme.com", |_| {})]);
    let o = observed(vec![ou("a@acme.com", ObservedStatus::Active, |_| {})]);
    let p = run(&d, &o, &LastApplied::default());
    assert!(p.changes.is_empty(), "{:?}", actions(&p));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(
        render::summary_line(&p),
        "No changes. The account matches the manifests."
    );
}

#[test]
fn u1_free_account_cannot_manage_users() {
    let d = desired(vec![du("a@acme.com", |_| {})]);
    let mut o = observed(vec![]);
    o.plan = AccountPlan::Free;
    assert_eq!(rules(&run(&d, &o, &LastApplied::default())), vec![Rule::U1]);
    o.plan = AccountPlan::FreeWithCard;
    assert!(run(&d, &o, &LastApplied::default()).errors.is_empty());
}

#[test]
fn u1_member_actor_cannot_manage_users() {
    let d = desired(vec![du("a@acme.com", |_| {}), du("m@acme.com", |_| {})]);
    let mut o = observed(vec![ou("m@acme.com", ObservedStatus::Active, |_| {})]);
    o.actor = email("m@acme.com");
    assert_eq!(rules(&run(&d, &o, &LastApplied::default())), vec![Rule::U1]);
}

#[test]
fn u2_licensed_needs_a_free_seat() {
    let d = desired(vec![du("a@acme.com", |s| {
        s.user_type = Some(UserType::Licensed)
    })]);
    let mut o = observed(vec![]);
    o.seats.licensed = Some(1); // the owner holds it
    let p = run(&d, &o, &LastApplied::default());
    assert_eq!(rules(&p), vec![Rule::U2]);
    assert_eq!(p.errors[0].source, Some(src(1)));
    o.seats.licensed = Some(2);
    assert!(run(&d, &o, &LastApplied::default()).errors.is_empty());
}

#[test]
fn u2_pending_invitations_hold_seats() {
    let d = desired(vec![
        du("p@acme.com", |s| s.user_type = Some(UserType::Licensed)),
        du("a@acme.com", |s| s.user_type = Some(UserType::Licensed)),
    ]);
    let mut o = observed(vec![ou("p@acme.com", ObservedStatus::Pending, |s| {
        s.user_type = Some(UserType::Licensed)
    })]);
    o.seats.licensed = Some(2);
    assert_eq!(rules(&run(&d, &o, &LastApplied::default())), vec![Rule::U2]);
}

#[test]
fn u2_downgrade_frees_the_seat_an_upgrade_needs_and_runs_first() {
    let d = desired(vec![
        du("down@acme.com", |_| {}),
        du("up@acme.com", |s| s.user_type = Some(UserType::Licensed)),
    ]);
    let mut o = observed(vec![
        ou("down@acme.com", ObservedStatus::Active, |s| {
            s.user_type = Some(UserType::Licensed)
        }),
        ou("up@acme.com", ObservedStatus::Active, |_| {}),
    ]);
    o.seats.licensed = Some(2);
    let p = run(&d, &o, &LastApplied::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(
        actions(&p),
        vec![
            "change_user_type user/down@acme.com",
            "change_user_type user/up@acme.com"
        ]
    );
    assert_eq!(p.changes[1].depends_on, vec![p.changes[0].id.clone()]);
}

#[test]
fn u2_on_prem_needs_the_meeting_connector() {
    let d = desired(vec![du("a@acme.com", |s| {
        s.user_type = Some(UserType::OnPrem)
    })]);
    let mut o = observed(vec![]);
    assert_eq!(rules(&run(&d, &o, &LastApplied::default())), vec![Rule::U2]);
    o.on_prem_enabled = true;
    assert!(run(&d, &o, &LastApplied::default()).errors.is_empty());
}

#[test]
fn u3_addon_needs_a_free_seat() {
    let licensed_with_webinar = |s: &mut UserSpec| {
        s.user_type = Some(UserType::Licensed);
        s.addons = Some([Addon::Webinar].into());
    };
    let d = desired(vec![
        du("a@acme.com", licensed_with_webinar),
        du("b@acme.com", licensed_with_webinar),
    ]);
    let licensed = |s: &mut UserSpec| s.user_type = Some(UserType::Licensed);
    let o = observed(vec![
        ou("a@acme.com", ObservedStatus::Active, licensed),
        ou("b@acme.com", ObservedStatus::Active, licensed),
    ]);
    let p = run(&d, &o, &LastApplied::default());
    assert_eq!(rules(&p), vec![Rule::U3], "one webinar seat for two users");
}

#[test]
fn issue10_item7_u3_basic_users_hold_no_add_on_and_an_upgrade_comes_first() {
    let d = desired(vec![du("a@acme.com", |s| {
        s.addons = Some([Addon::LargeMeeting].into())
    })]);
    let o = observed(vec![ou("a@acme.com", ObservedStatus::Active, |_| {})]);
    let p = run(&d, &o, &LastApplied::default());
    assert_eq!(
        rules(&p),
        vec![Rule::U3],
        "a basic user: refused at plan time"
    );
    assert!(p.errors[0].message.contains("1108"), "{:?}", p.errors);
    let d = desired(vec![du("a@acme.com", |s| {
        s.user_type = Some(UserType::Licensed);
        s.addons = Some([Addon::LargeMeeting].into());
    })]);
    let p = run(&d, &o, &LastApplied::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let upgrade = p
        .changes
        .iter()
        .find(|c| c.action == Action::ChangeUserType)
        .expect("upgrade");
    let addon = p
        .changes
        .iter()
        .find(|c| c.action == Action::AssignAddon)
        .expect("add-on");
    assert!(addon.depends_on.contains(&upgrade.id), "{addon:?}");
}

#[test]
fn u5_unknown_email_is_created_known_one_invited() {
    let d = desired(vec![
        du("new@acme.com", |_| {}),
        du("ivan@gmail.com", |_| {}),
    ]);
    let mut o = observed(vec![]);
    o.existing_elsewhere.insert(
        email("ivan@gmail.com"),
        ExistingZoomUser {
            email: email("ivan@gmail.com"),
            licensed: false,
        },
    );
    let p = run(&d, &o, &LastApplied::default());
    assert_eq!(
        actions(&p),
        vec![
            "invite_user user/ivan@gmail.com",
            "create_user user/new@acme.com"
        ]
    );
    assert!(p.changes.iter().all(|c| c.rule == Some(Rule::U5)));
}

#[test]
fn i6_licensed_individual_invited_as_basic_warns() {
    let d = desired(vec![du("ivan@gmail.com", |_| {})]);
    let mut o = observed(vec![]);
    o.existing_elsewhere.insert(
        email("ivan@gmail.com"),
        ExistingZoomUser {
            email: email("ivan@gmail.com"),
            licensed: true,
        },
    );
    let p = run(&d, &o, &LastApplied::default());
    assert_eq!(
        p.warnings.iter().map(|w| w.rule).collect::<Vec<_>>(),
        vec![Some(Rule::I6)]
    );
}

#[test]
fn u7_only_the_owner_or_role_edit_promotes_admins() {
    let d = desired(vec![
        du("a@acme.com", |s| s.role = Some(RoleName::Admin)),
        du("boss@acme.com", |s| s.role = Some(RoleName::Admin)),
    ]);
    let mut o = observed(vec![
        ou("a@acme.com", ObservedStatus::Active, |_| {}),
        ou("boss@acme.com", ObservedStatus::Active, |s| {
            s.role = Some(RoleName::Admin)
        }),
    ]);
    assert_eq!(
        actions(&run(&d, &o, &LastApplied::default())),
        vec!["change_role user/a@acme.com"]
    );
    o.actor = email("boss@acme.com");
    assert_eq!(
        rules(&run(&d, &o, &LastApplied::default())),
        vec![Rule::U7],
        "an admin cannot promote"
    );
    // A custom role with role:edit may.
    let d2 = desired(vec![
        du("a@acme.com", |s| s.role = Some(RoleName::Admin)),
        du("boss@acme.com", |s| {
            s.role = Some(RoleName::Custom("Helpdesk".into()))
        }),
    ]);
    o.users
        .get_mut(&email("boss@acme.com"))
        .expect("boss")
        .spec
        .role = Some(RoleName::Custom("Helpdesk".into()));
    o.roles
        .extend([role("9", "Helpdesk", &["role:edit", "user:edit"])]);
    let p = run(&d2, &o, &LastApplied::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
}

#[test]
fn u7_owner_is_never_removed_or_demoted() {
    let mut d = desired(vec![]);
    d.users
        .get_mut(&email("owner@acme.com"))
        .expect("owner")
        .spec
        .role = Some(RoleName::Admin);
    let o = observed(vec![]);
    assert_eq!(rules(&run(&d, &o, &LastApplied::default())), vec![Rule::U7]);
    let mut d = desired(vec![]);
    d.users
        .get_mut(&email("owner@acme.com"))
        .expect("owner")
        .status = DesiredStatus::Absent;
    assert_eq!(rules(&run(&d, &o, &LastApplied::default())), vec![Rule::U7]);
}

#[test]
fn u7_admin_is_demoted_before_disassociation() {
    let d = desired(vec![]);
    let o = observed(vec![ou("adm@acme.com", ObservedStatus::Active, |s| {
        s.role = Some(RoleName::Admin)
    })]);
    let mut l = LastApplied::default();
    l.users.insert(email("adm@acme.com"), UserSpec::default());
    let p = run(&d, &o, &l);
    assert_eq!(
        actions(&p),
        vec![
            "change_role user/adm@acme.com",
            "disassociate_user user/adm@acme.com"
        ]
    );
    assert_eq!(p.changes[1].depends_on, vec![p.changes[0].id.clone()]);
}

#[test]
fn u8_pending_invitation_older_than_resend_after_is_resent() {
    let mut d = desired(vec![du("p@acme.com", |_| {})]);
    d.account.policy.resend_after = Some(chrono::Duration::days(25));
    let mut pending = ou("p@acme.com", ObservedStatus::Pending, |_| {});
    pending.invited_at = Some(now() - chrono::Duration::days(27));
    let o = observed(vec![pending.clone()]);
    let p = run(&d, &o, &LastApplied::default());
    assert_eq!(actions(&p), vec!["resend_invitation user/p@acme.com"]);
    assert_eq!(p.changes[0].rule, Some(Rule::U8));
    assert_eq!(p.next_last_applied.invitations[&email("p@acme.com")], now());
    pending.invited_at = Some(now() - chrono::Duration::days(3));
    assert!(
        run(&d, &observed(vec![pending]), &LastApplied::default())
            .changes
            .is_empty()
    );
}

#[test]
fn u8_expired_invitation_is_sent_again() {
    let d = desired(vec![du("late@acme.com", |_| {})]);
    let mut o = observed(vec![]);
    o.expired_invitations.insert(
        email("late@acme.com"),
        Some(now() - chrono::Duration::days(40)),
    );
    let p = run(&d, &o, &LastApplied::default());
    assert_eq!(actions(&p), vec!["resend_invitation user/late@acme.com"]);
    assert!(
        p.changes[0].reason.contains("expired"),
        "{}",
        p.changes[0].reason
    );
    // Known only from roster's own record of the send (the zoom provider cannot list them).
    let mut l = LastApplied::default();
    l.invitations
        .insert(email("late@acme.com"), now() - chrono::Duration::days(31));
    let p = run(&d, &observed(vec![]), &l);
    assert_eq!(actions(&p), vec!["resend_invitation user/late@acme.com"]);
}

#[test]
fn pending_user_changes_wait_for_acceptance() {
    let d = desired(vec![du("p@acme.com", |s| {
        s.role = Some(RoleName::Admin);
        s.group = Some("eng".into());
    })]);
    let mut o = observed(vec![ou("p@acme.com", ObservedStatus::Pending, |_| {})]);
    o.groups.insert(
        "eng".into(),
        ObservedGroup {
            id: "g1".into(),
            name: "eng".into(),
            description: None,
        },
    );
    let p = run(&d, &o, &LastApplied::default());
    assert!(p.changes.is_empty(), "{:?}", actions(&p));
    assert_eq!(p.waiting.len(), 1);
    assert!(
        p.waiting[0].message.contains("role admin"),
        "{}",
        p.waiting[0].message
    );
}

#[test]
fn deactivated_user_changes_wait_for_reactivation() {
    let mut u = du("d@acme.com", |s| s.job_title = Some("CTO".into()));
    u.status = DesiredStatus::Deactivated;
    let d = desired(vec![u]);
    let o = observed(vec![ou("d@acme.com", ObservedStatus::Inactive, |_| {})]);
    let p = run(&d, &o, &LastApplied::default());
    assert!(p.changes.is_empty());
    assert_eq!(p.waiting.len(), 1);
}

#[test]
fn u11_custom_attribute_keys_are_declared() {
    let d = desired(vec![du("a@acme.com", |s| {
        s.custom_attributes = Some([("costCenter".to_string(), "42".to_string())].into())
    })]);
    let o = observed(vec![ou("a@acme.com", ObservedStatus::Active, |_| {})]);
    let p = run(&d, &o, &LastApplied::default());
    assert_eq!(actions(&p), vec!["update_user user/a@acme.com"]);
    let mut d = d;
    d.account.custom_attributes = (0..6).map(|i| format!("k{i}")).collect();
    assert!(rules(&run(&d, &o, &LastApplied::default())).contains(&Rule::U11));
}

#[test]
fn unmanaged_user_is_listed_not_removed_without_prune() {
    let d = desired(vec![]);
    let o = observed(vec![ou("stray@acme.com", ObservedStatus::Active, |_| {})]);
    let p = run(&d, &o, &LastApplied::default());
    assert!(p.changes.is_empty());
    assert_eq!(p.unmanaged, vec![email("stray@acme.com")]);
    let mut d = d;
    d.account.policy.prune = true;
    assert_eq!(
        actions(&run(&d, &o, &LastApplied::default())),
        vec!["disassociate_user user/stray@acme.com"]
    );
}

#[test]
fn ignored_users_are_never_touched_even_under_prune() {
    let mut d = desired(vec![]);
    d.account.policy.prune = true;
    d.account.policy.ignore = vec!["*@rooms.acme.com".into()];
    let o = observed(vec![ou(
        "r1@rooms.acme.com",
        ObservedStatus::Active,
        |_| {},
    )]);
    let p = run(&d, &o, &LastApplied::default());
    assert!(p.changes.is_empty() && p.unmanaged.is_empty());
}

#[test]
fn remove_action_is_honoured() {
    for (action, expected) in [
        (RemoveAction::Disassociate, "disassociate_user"),
        (RemoveAction::Deactivate, "deactivate_user"),
        (RemoveAction::Delete, "delete_user"),
    ] {
        let mut u = du("gone@acme.com", |_| {});
        u.status = DesiredStatus::Absent;
        let mut d = desired(vec![u]);
        d.account.policy.remove_action = action;
        let o = observed(vec![ou("gone@acme.com", ObservedStatus::Active, |_| {})]);
        assert_eq!(
            actions(&run(&d, &o, &LastApplied::default())),
            vec![format!("{expected} user/gone@acme.com")]
        );
    }
}

#[test]
fn expires_in_the_past_removes_the_user() {
    let mut u = du("temp@acme.com", |_| {});
    u.expires = Some(chrono::NaiveDate::from_ymd_opt(2026, 10, 15).expect("date"));
    let d = desired(vec![u.clone()]);
    let o = observed(vec![ou("temp@acme.com", ObservedStatus::Active, |_| {})]);
    assert_eq!(
        actions(&run(&d, &o, &LastApplied::default())),
        vec!["disassociate_user user/temp@acme.com"]
    );
    u.expires = Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 15).expect("date"));
    assert!(
        run(&desired(vec![u]), &o, &LastApplied::default())
            .changes
            .is_empty()
    );
}

#[test]
fn max_removals_refuses_without_allow_removals() {
    let mut d = desired(vec![]);
    d.account.policy.prune = true;
    d.account.policy.max_removals = Some(1);
    let o = observed(vec![
        ou("x@acme.com", ObservedStatus::Active, |_| {}),
        ou("y@acme.com", ObservedStatus::Active, |_| {}),
    ]);
    assert_eq!(
        rules(&run(&d, &o, &LastApplied::default())),
        vec![Rule::Policy]
    );
    let p = plan(
        &d,
        &o,
        &LastApplied::default(),
        now(),
        &PlanOptions {
            allow_removals: Some(2),
        },
    );
    assert!(p.errors.is_empty());
}

#[test]
fn min_admins_refuses_a_plan_leaving_too_few() {
    let mut d = desired(vec![du("adm@acme.com", |_| {})]);
    d.account.policy.min_admins = Some(2);
    let o = observed(vec![ou("adm@acme.com", ObservedStatus::Active, |s| {
        s.role = Some(RoleName::Admin)
    })]);
    let mut l = LastApplied::default();
    l.users.insert(
        email("adm@acme.com"),
        UserSpec {
            role: Some(RoleName::Admin),
            ..UserSpec::default()
        },
    );
    assert_eq!(rules(&run(&d, &o, &l)), vec![Rule::Policy]);
}

#[test]
fn field_removed_from_manifest_after_apply_is_cleared() {
    let d = desired(vec![du("a@acme.com", |_| {})]);
    let o = observed(vec![ou("a@acme.com", ObservedStatus::Active, |s| {
        s.department = Some("R&D".into())
    })]);
    let mut l = LastApplied::default();
    l.users.insert(
        email("a@acme.com"),
        UserSpec {
            department: Some("R&D".into()),
            ..UserSpec::default()
        },
    );
    let p = run(&d, &o, &l);
    assert_eq!(actions(&p), vec!["update_user user/a@acme.com"]);
    assert_eq!(
        p.changes[0].fields["department"].to,
        serde_json::Value::Null
    );
    // Never set by roster: left alone.
    assert!(run(&d, &o, &LastApplied::default()).changes.is_empty());
}

/// Issue 10, item 8: Zoom cannot clear a manager (`format: email`, no documented clear),
/// so a manager the manifest drops is said in the plan and no longer managed, never sent
/// as `""`.
#[test]
fn issue10_item8_a_dropped_manager_is_left_and_said_not_cleared() {
    let d = desired(vec![du("a@acme.com", |_| {})]);
    let o = observed(vec![ou("a@acme.com", ObservedStatus::Active, |s| {
        s.manager = Some(email("boss@acme.com"))
    })]);
    let mut l = LastApplied::default();
    l.users.insert(
        email("a@acme.com"),
        UserSpec {
            manager: Some(email("boss@acme.com")),
            ..UserSpec::default()
        },
    );
    let p = run(&d, &o, &l);
    assert!(p.changes.is_empty(), "{:?}", actions(&p));
    let w: Vec<_> = p.warnings.iter().map(|w| (w.rule, &w.message)).collect();
    assert!(
        matches!(w.as_slice(), [(Some(Rule::U9), m)] if m.contains("cannot clear a manager") && m.contains("boss@acme.com")),
        "{w:?}"
    );
    assert_eq!(
        p.next_last_applied.users[&email("a@acme.com")].manager,
        None,
        "no longer managed: the next plan says nothing more"
    );
}

#[test]
fn u4_user_editable_drift_is_reported_and_kept() {
    let mut d = desired(vec![du("a@acme.com", |s| {
        s.job_title = Some("Engineer".into())
    })]);
    d.account.policy.user_editable = [UserField::JobTitle].into();
    let o = observed(vec![ou("a@acme.com", ObservedStatus::Active, |s| {
        s.job_title = Some("Staff engineer".into())
    })]);
    let mut l = LastApplied::default();
    l.users.insert(
        email("a@acme.com"),
        UserSpec {
            job_title: Some("Engineer".into()),
            ..UserSpec::default()
        },
    );
    let p = run(&d, &o, &l);
    assert!(p.changes.is_empty(), "{:?}", actions(&p));
    assert_eq!(
        p.warnings.iter().map(|w| w.rule).collect::<Vec<_>>(),
        vec![Some(Rule::U4)]
    );
    d.account.policy.user_editable.clear();
    assert_eq!(
        actions(&run(&d, &o, &l)),
        vec!["update_user user/a@acme.com"]
    );
}

#[test]
fn group_is_created_before_members_are_placed() {
    let mut d = desired(vec![du("a@acme.com", |s| s.group = Some("eng".into()))]);
    d.groups.insert(
        "eng".into(),
        DesiredGroup {
            name: "eng".into(),
            description: None,
            source: src(9),
        },
    );
    let o = observed(vec![ou("a@acme.com", ObservedStatus::Active, |_| {})]);
    let p = run(&d, &o, &LastApplied::default());
    assert_eq!(
        actions(&p),
        vec!["create_group group/eng", "set_group user/a@acme.com"]
    );
    assert_eq!(p.changes[1].depends_on, vec![p.changes[0].id.clone()]);
}

#[test]
fn undeclared_group_is_an_error() {
    let d = desired(vec![du("a@acme.com", |s| s.group = Some("nope".into()))]);
    let o = observed(vec![ou("a@acme.com", ObservedStatus::Active, |_| {})]);
    assert_eq!(
        rules(&run(&d, &o, &LastApplied::default())),
        vec![Rule::Manifest]
    );
}

#[test]
fn plan_is_deterministic() {
    let d = desired(
        (0..50)
            .map(|i| du(&format!("u{i}@acme.com"), |_| {}))
            .collect(),
    );
    let o = observed(
        (0..50)
            .rev()
            .map(|i| {
                ou(&format!("u{i}@acme.com"), ObservedStatus::Active, |s| {
                    s.job_title = Some("x".into())
                })
            })
            .collect(),
    );
    assert_eq!(
        run(&d, &o, &LastApplied::default()),
        run(&d, &o, &LastApplied::default())
    );
}

#[test]
fn issue10_item2_u7_privileges_read_back_in_zoom_form_converge() {
    // Manifests say user:read; Zoom answers User:Read: the role is the same (no change),
    // and a holder of Zoom's `Role:Edit` may still promote admins.
    let mut d = desired(vec![
        du("a@acme.com", |s| s.role = Some(RoleName::Admin)),
        du("boss@acme.com", |s| {
            s.role = Some(RoleName::Custom("Helpdesk".into()))
        }),
    ]);
    d.roles.insert(
        "Helpdesk".into(),
        DesiredRole {
            name: "Helpdesk".into(),
            description: None,
            privileges: ["role:edit", "user:edit"].map(String::from).into(),
            source: d.account.source.clone(),
        },
    );
    let mut o = observed(vec![
        ou("a@acme.com", ObservedStatus::Active, |_| {}),
        ou("boss@acme.com", ObservedStatus::Active, |s| {
            s.role = Some(RoleName::Custom("Helpdesk".into()))
        }),
    ]);
    o.actor = email("boss@acme.com");
    o.roles
        .extend([role("9", "Helpdesk", &["Role:Edit", "User:Edit"])]);
    let p = run(&d, &o, &LastApplied::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(
        actions(&p),
        vec!["change_role user/a@acme.com"],
        "no update_role"
    );
}

#[test]
fn issue10_item6_u13_a_deactivated_user_is_activated_before_it_is_deleted() {
    let mut d = desired(vec![]);
    d.account.policy.prune = true;
    d.account.policy.remove_action = RemoveAction::Delete;
    let o = observed(vec![ou("off@acme.com", ObservedStatus::Inactive, |_| {})]);
    let p = run(&d, &o, &LastApplied::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let activate = p
        .changes
        .iter()
        .find(|c| c.action == Action::ActivateUser)
        .expect("activated first");
    let delete = p
        .changes
        .iter()
        .find(|c| c.action == Action::DeleteUser)
        .expect("deleted");
    assert!(delete.depends_on.contains(&activate.id), "{delete:?}");
    assert_eq!(activate.rule, Some(Rule::U13));
}

mod calendly;
mod integrations;
