//! C1, C2, C5: Calendly's organization-wide Zoom connection in the plan.

use super::*;

const IT: &str = "it@acme.com";
const OPS: &str = "ops@acme.com";

fn connection(fallbacks: &[&str]) -> DesiredCalendly {
    DesiredCalendly {
        organization: "acme".into(),
        zoom_admin: email(IT),
        fallback_admins: fallbacks.iter().map(|e| email(e)).collect(),
        meeting_summary: Some(true),
        allow_user_disconnect: Some(false),
        token: None,
        api_url: None,
        source: Source::new("calendly.yaml", 1, 1),
        zoom_admin_source: Source::new("calendly.yaml", 3, 12),
    }
}

fn admin(e: &str) -> DesiredUser {
    du(e, |s| s.role = Some(RoleName::Admin))
}

fn member(e: &str) -> DesiredUser {
    du(e, |_| {})
}

fn o_admin(e: &str) -> ObservedUser {
    ou(e, ObservedStatus::Active, |s| {
        s.role = Some(RoleName::Admin)
    })
}

fn o_member(e: &str) -> ObservedUser {
    ou(e, ObservedStatus::Active, |_| {})
}

fn calendly(token_role: CalendlyRole, through: Option<&str>) -> CalendlyObservation {
    CalendlyObservation {
        organization: "acme".into(),
        actor: email("boss@acme.com"),
        members: [(email("boss@acme.com"), token_role)].into_iter().collect(),
        connection: through.map(|z| ObservedCalendlyConnection {
            zoom_user: email(z),
            status: CalendlyConnectionStatus::Connected,
            meeting_summary: true,
            allow_user_disconnect: false,
        }),
        connected_users: BTreeMap::new(),
        connection_read: true,
    }
}

fn setup(
    users: Vec<DesiredUser>,
    fallbacks: &[&str],
    observed_users: Vec<ObservedUser>,
    c: CalendlyObservation,
) -> Plan {
    let mut d = desired(users);
    d.calendly = Some(connection(fallbacks));
    let mut o = observed(observed_users);
    o.calendly = Some(c);
    run(&d, &o, &LastApplied::default())
}

fn position(p: &Plan, action: Action) -> usize {
    p.changes
        .iter()
        .position(|c| c.action == action)
        .unwrap_or_else(|| panic!("no {action} in {:?}", actions(p)))
}

#[test]
fn c1_a_calendly_member_token_is_an_error() {
    let p = setup(
        vec![admin(IT)],
        &[],
        vec![o_admin(IT)],
        calendly(CalendlyRole::User, None),
    );
    assert_eq!(rules(&p), vec![Rule::C1], "{:?}", p.errors);
    assert!(
        p.errors[0].message.contains("a Calendly user"),
        "{}",
        p.errors[0].message
    );
    assert!(p.changes.is_empty(), "{:?}", actions(&p));
}

#[test]
fn c1_no_calendly_organization_seen_is_an_error() {
    let mut d = desired(vec![admin(IT)]);
    d.calendly = Some(connection(&[]));
    let p = run(&d, &observed(vec![o_admin(IT)]), &LastApplied::default());
    assert_eq!(rules(&p), vec![Rule::C1], "{:?}", p.errors);
}

#[test]
fn c1_connects_through_the_zoom_admin_after_promoting_them() {
    let p = setup(
        vec![admin(IT)],
        &[],
        vec![o_member(IT)],
        calendly(CalendlyRole::Admin, None),
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let connect = &p.changes[position(&p, Action::ConnectCalendly)];
    assert_eq!(connect.id, "connect_calendly:calendly/acme");
    assert_eq!(connect.rule, Some(Rule::C1));
    assert_eq!(
        connect.op,
        Op::ConnectCalendly {
            organization: "acme".into(),
            zoom_admin: email(IT),
            meeting_summary: true,
            allow_user_disconnect: false,
        }
    );
    let promote = position(&p, Action::ChangeRole);
    assert!(promote < position(&p, Action::ConnectCalendly));
    assert!(connect.depends_on.contains(&p.changes[promote].id));
}

#[test]
fn c1_a_zoom_admin_who_is_not_an_admin_in_the_desired_state_is_an_error() {
    let p = setup(
        vec![member(IT)],
        &[],
        vec![o_member(IT)],
        calendly(CalendlyRole::Owner, None),
    );
    assert_eq!(rules(&p), vec![Rule::C1], "{:?}", p.errors);
    let e = &p.errors[0];
    assert_eq!(e.source, Some(Source::new("calendly.yaml", 3, 12)));
    assert!(
        e.message.contains("not a Zoom admin in the desired state"),
        "{}",
        e.message
    );
}

#[test]
fn c2_demoting_the_zoom_admin_without_a_fallback_is_an_error_naming_the_line() {
    let p = setup(
        vec![member(IT)],
        &[],
        vec![o_admin(IT)],
        calendly(CalendlyRole::Admin, Some(IT)),
    );
    assert_eq!(rules(&p), vec![Rule::C2], "{:?}", p.errors);
    let e = &p.errors[0];
    assert_eq!(e.source, Some(Source::new("calendly.yaml", 3, 12)));
    assert_eq!(e.target, ObjectRef::Calendly("acme".into()));
    assert!(
        e.message
            .starts_with("C2: change_role:user/it@acme.com would break"),
        "{}",
        e.message
    );
}

#[test]
fn c2_removing_the_zoom_admin_without_a_fallback_admin_is_an_error() {
    let mut gone = admin(IT);
    gone.status = DesiredStatus::Absent;
    // ops is listed as a fallback but is only a member: no help (C2).
    let p = setup(
        vec![gone, member(OPS)],
        &[OPS],
        vec![o_admin(IT), o_member(OPS)],
        calendly(CalendlyRole::Admin, Some(IT)),
    );
    assert!(rules(&p).contains(&Rule::C2), "{:?}", p.errors);
}

#[test]
fn c2_with_a_fallback_admin_the_reconnection_comes_before_the_demotion() {
    let p = setup(
        vec![member(IT), admin(OPS)],
        &[OPS],
        vec![o_admin(IT), o_admin(OPS)],
        calendly(CalendlyRole::Admin, Some(IT)),
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let r = position(&p, Action::ReconnectCalendly);
    let demote = position(&p, Action::ChangeRole);
    assert!(r < demote, "{:?}", actions(&p));
    let reconnect = &p.changes[r];
    assert_eq!(reconnect.rule, Some(Rule::C2));
    assert_eq!(
        reconnect.op,
        Op::ReconnectCalendly {
            organization: "acme".into(),
            zoom_admin: email(OPS),
            previous: email(IT),
        }
    );
    assert!(p.changes[demote].depends_on.contains(&reconnect.id));
}

#[test]
fn c2_a_fallback_promoted_in_the_same_plan_is_promoted_first() {
    let mut gone = admin(IT);
    gone.status = DesiredStatus::Absent;
    let p = setup(
        vec![gone, admin(OPS)],
        &[OPS],
        vec![o_admin(IT), o_member(OPS)],
        calendly(CalendlyRole::Admin, Some(IT)),
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let order = actions(&p);
    let at = |s: &str| {
        order
            .iter()
            .position(|a| a == s)
            .unwrap_or_else(|| panic!("{s} in {order:?}"))
    };
    let promote = at("change_role user/ops@acme.com");
    let reconnect = at("reconnect_calendly calendly/acme");
    let demote = at("change_role user/it@acme.com");
    let leave = at("disassociate_user user/it@acme.com");
    assert!(
        promote < reconnect && reconnect < demote && demote < leave,
        "{order:?}"
    );
    assert!(
        p.changes[reconnect]
            .depends_on
            .contains(&p.changes[promote].id)
    );
    for c in [&p.changes[demote], &p.changes[leave]] {
        assert!(c.depends_on.contains(&p.changes[reconnect].id), "{c:?}");
    }
}

#[test]
fn c2_a_connection_broken_by_drift_is_reconnected_through_the_fallback() {
    // it@ was demoted out of band: the connection is broken (C7).
    let mut c = calendly(CalendlyRole::Admin, Some(IT));
    if let Some(conn) = c.connection.as_mut() {
        conn.status = CalendlyConnectionStatus::Broken;
    }
    let mut d = desired(vec![admin(OPS)]);
    d.calendly = Some(connection(&[OPS]));
    let mut o = observed(vec![o_member(IT), o_admin(OPS)]);
    o.calendly = Some(c);
    let p = run(&d, &o, &LastApplied::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let r = &p.changes[position(&p, Action::ReconnectCalendly)];
    assert!(r.reason.contains("no longer a Zoom admin"), "{}", r.reason);
}

#[test]
fn c2_a_broken_connection_with_no_admin_to_reconnect_through_is_an_error() {
    let p = setup(
        vec![],
        &[],
        vec![o_member(IT)],
        calendly(CalendlyRole::Admin, Some(IT)),
    );
    assert_eq!(rules(&p), vec![Rule::C2], "{:?}", p.errors);
}

#[test]
fn c5_options_that_differ_are_set_and_equal_ones_left() {
    let mut c = calendly(CalendlyRole::Admin, Some(IT));
    let p = setup(vec![admin(IT)], &[], vec![o_admin(IT)], c.clone());
    assert!(
        p.changes.is_empty() && p.errors.is_empty(),
        "{:?} {:?}",
        actions(&p),
        p.errors
    );
    if let Some(conn) = c.connection.as_mut() {
        conn.meeting_summary = false;
    }
    let p = setup(vec![admin(IT)], &[], vec![o_admin(IT)], c);
    assert_eq!(actions(&p), vec!["set_calendly_options calendly/acme"]);
    assert_eq!(p.changes[0].rule, Some(Rule::C5));
    assert!(p.changes[0].fields.contains_key("meetingSummary"));
}
