//! K4: calendar and contact integrations in the plan.

use super::*;

fn alice() -> Email {
    email("alice@acme.com")
}

fn integration(service: IntegrationService) -> DesiredIntegration {
    DesiredIntegration {
        user: alice(),
        service,
        calendar: true,
        contacts: true,
        conflict: ConflictPolicy::Newest,
        schedule: None,
        credentials: None,
        source: src(7),
    }
}

fn with_integration(service: IntegrationService) -> Desired {
    let mut d = desired(vec![du("alice@acme.com", |_| {})]);
    d.integrations.insert(alice(), integration(service));
    d
}

fn observed_with(
    users: BTreeMap<Email, ObservedIntegration>,
    defaults: IntegrationDefaults,
) -> Observed {
    let mut o = observed(vec![ou("alice@acme.com", ObservedStatus::Active, |_| {})]);
    o.integrations = Some(IntegrationObservation { users, defaults });
    o
}

fn connected(
    service: IntegrationService,
    status: IntegrationStatus,
) -> BTreeMap<Email, ObservedIntegration> {
    let i = ObservedIntegration {
        service,
        calendar: true,
        contacts: true,
        status,
        last_sync: None,
    };
    [(alice(), i)].into_iter().collect()
}

fn connects(p: &Plan) -> Vec<&Change> {
    p.changes
        .iter()
        .filter(|c| c.action == Action::ConnectIntegration)
        .collect()
}

#[test]
fn k4_an_unconnected_integration_is_connected_and_a_connected_one_left_alone() {
    let d = with_integration(IntegrationService::Google);
    let none = observed_with(BTreeMap::new(), IntegrationDefaults::default());
    let p = run(&d, &none, &LastApplied::default());
    let c = connects(&p);
    assert_eq!(c.len(), 1, "{:?}", actions(&p));
    assert_eq!(c[0].id, "connect_integration:integration/alice@acme.com");
    assert_eq!(c[0].rule, Some(Rule::K4));
    assert!(
        c[0].reason.contains("connect Google (not connected)"),
        "{}",
        c[0].reason
    );
    assert_eq!(
        p.next_last_applied.integrations[&alice()],
        IntegrationService::Google
    );

    let done = observed_with(
        connected(IntegrationService::Google, IntegrationStatus::Connected),
        IntegrationDefaults::default(),
    );
    assert!(connects(&run(&d, &done, &LastApplied::default())).is_empty());
}

#[test]
fn k4_another_service_or_a_lost_authorisation_is_connected_again() {
    let d = with_integration(IntegrationService::Office365);
    for (current, status, says) in [
        (
            IntegrationService::Google,
            IntegrationStatus::Connected,
            "instead of Google (one service at a time)",
        ),
        (
            IntegrationService::Office365,
            IntegrationStatus::NeedsReauthorisation,
            "authorise Office365 again",
        ),
        (
            IntegrationService::Office365,
            IntegrationStatus::Disconnected,
            "(disconnected)",
        ),
    ] {
        let o = observed_with(connected(current, status), IntegrationDefaults::default());
        let p = run(&d, &o, &LastApplied::default());
        let c = connects(&p);
        assert_eq!(c.len(), 1, "{status:?}");
        assert!(c[0].reason.contains(says), "{}", c[0].reason);
    }
}

#[test]
fn k4_a_locked_default_of_another_service_is_a_plan_error() {
    let d = with_integration(IntegrationService::Google);
    let lock = IntegrationDefaults {
        service: Some(IntegrationService::Office365),
        locked: true,
    };
    let p = run(
        &d,
        &observed_with(BTreeMap::new(), lock),
        &LastApplied::default(),
    );
    assert!(connects(&p).is_empty());
    assert_eq!(rules(&p), vec![Rule::K4]);
    assert!(
        p.errors[0]
            .message
            .contains("locks the calendar and contact integration to Office365")
    );
    let unlocked = IntegrationDefaults {
        locked: false,
        ..lock
    };
    let p = run(
        &d,
        &observed_with(BTreeMap::new(), unlocked),
        &LastApplied::default(),
    );
    assert!(
        p.errors.is_empty() && connects(&p).len() == 1,
        "an unlocked default is only a default"
    );
}

#[test]
fn k4_personal_contacts_and_a_contacts_integration_warn() {
    let mut d = with_integration(IntegrationService::Google);
    d.personal_contacts.entry(alice()).or_default().insert(
        "Clients".into(),
        DesiredContactGroup {
            user: alice(),
            name: "Clients".into(),
            contacts: vec![],
            source: src(3),
        },
    );
    let o = observed_with(BTreeMap::new(), IntegrationDefaults::default());
    let p = run(&d, &o, &LastApplied::default());
    let w: Vec<&Warning> = p
        .warnings
        .iter()
        .filter(|w| w.rule == Some(Rule::K4))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", p.warnings);
    assert!(w[0].message.contains("alternatives"), "{}", w[0].message);
    d.integrations.get_mut(&alice()).expect("alice").contacts = false;
    let p = run(&d, &o, &LastApplied::default());
    assert!(
        p.warnings.iter().all(|w| w.rule != Some(Rule::K4)),
        "calendar only: no warning"
    );
}

#[test]
fn k4_an_integration_of_a_user_not_active_waits() {
    let d = with_integration(IntegrationService::Google);
    let mut o = observed_with(BTreeMap::new(), IntegrationDefaults::default());
    o.users.remove(&alice());
    let p = run(&d, &o, &LastApplied::default());
    assert!(connects(&p).is_empty());
    assert!(
        p.waiting
            .iter()
            .any(|w| w.target == "integration/alice@acme.com")
    );
}
