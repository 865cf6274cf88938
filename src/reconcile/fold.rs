//! What a provider cannot observe (Zoom: organizations, external contacts) rebuilt from
//! roster's own records: confirmed manual changes, pending ones, and LastApplied.
//!
//! Pure: the records are loaded up front by `reconcile::observe`, and these functions only
//! fold them into the observation, so every case is unit-tested.

use crate::model::{ContactState, LastApplied, LinkState, Observed, ObservedOrganization, Op};
use crate::model::{Email, OrgMember};
use crate::model::{IntegrationObservation, IntegrationStatus, ObservedIntegration};
use crate::store::ManualChange;
use std::collections::BTreeMap;

/// Folds roster's records into the parts of `observed` the provider could not see.
pub fn fold_manual(observed: &mut Observed, manual: &[ManualChange], last: &LastApplied) {
    if !observed.organization.known {
        fold_organization(observed, manual);
    }
    if observed.external_contacts.is_none() {
        observed.external_contacts = Some(external_contacts(manual, last));
    }
    if observed.integrations.is_none() {
        observed.integrations = Some(integrations(manual));
    }
    if observed.personal_contacts_refused.is_some() {
        fold_personal_contacts(observed, manual);
    }
    if let Some(c) = observed.calendly.as_mut().filter(|c| !c.connection_read) {
        fold_calendly(c, manual);
    }
}

/// Calendly's organization connection (C1, C2, C5), which Calendly shows to no API: as the
/// confirmed manual changes left it, in the order they were confirmed. Whether its Zoom
/// user is still an admin the plan checks against the observed users.
fn fold_calendly(c: &mut crate::model::CalendlyObservation, manual: &[ManualChange]) {
    let mut confirmed: Vec<&ManualChange> =
        manual.iter().filter(|m| m.confirmed_at.is_some()).collect();
    confirmed.sort_by_key(|m| m.confirmed_at);
    for m in confirmed {
        fold_calendly_change(c, &m.op);
    }
}

/// One confirmed change of the connection of `c`'s organization; other operations are
/// not the connection's.
fn fold_calendly_change(c: &mut crate::model::CalendlyObservation, op: &Op) {
    use crate::model::{CalendlyConnectionStatus, ObservedCalendlyConnection};
    if let Op::ConnectCalendly {
        organization,
        zoom_admin,
        meeting_summary,
        allow_user_disconnect,
    } = op
        && *organization == c.organization
    {
        c.connection = Some(ObservedCalendlyConnection {
            zoom_user: zoom_admin.clone(),
            status: CalendlyConnectionStatus::Connected,
            meeting_summary: *meeting_summary,
            allow_user_disconnect: *allow_user_disconnect,
        });
    }
    let Some(conn) = c.connection.as_mut() else {
        return;
    };
    if let Op::ReconnectCalendly {
        organization,
        zoom_admin,
        ..
    } = op
        && *organization == c.organization
    {
        conn.zoom_user = zoom_admin.clone();
        conn.status = CalendlyConnectionStatus::Connected;
    }
    if let Op::SetCalendlyOptions {
        organization,
        meeting_summary,
        allow_user_disconnect,
    } = op
        && *organization == c.organization
    {
        conn.meeting_summary = *meeting_summary;
        conn.allow_user_disconnect = *allow_user_disconnect;
    }
}

/// Personal contact groups the provider refused to list (K5, K6): as the last confirmed
/// by-hand change of each left them. Their ids are unknown: only the contacts are.
fn fold_personal_contacts(observed: &mut Observed, manual: &[ManualChange]) {
    for m in manual.iter().filter(|m| m.confirmed_at.is_some()) {
        if let Op::ReplacePersonalContactsByHand {
            user,
            group,
            contacts,
        } = &m.op
        {
            let stored = contacts
                .iter()
                .map(|c| crate::model::StoredContact {
                    id: String::new(),
                    contact: c.clone(),
                })
                .collect();
            observed
                .personal_contacts
                .entry(user.clone())
                .or_default()
                .insert(group.clone(), stored);
        }
    }
}

/// Integrations (K4): those whose connection the user made and someone confirmed. Zoom
/// shows neither the status nor the last sync to an API, so neither is known here.
fn integrations(manual: &[ManualChange]) -> IntegrationObservation {
    let mut out = IntegrationObservation::default();
    for m in manual.iter().filter(|m| m.confirmed_at.is_some()) {
        if let Op::ConnectIntegration {
            user,
            service,
            calendar,
            contacts,
        } = &m.op
        {
            let connected = ObservedIntegration {
                service: *service,
                calendar: *calendar,
                contacts: *contacts,
                status: IntegrationStatus::Connected,
                last_sync: None,
            };
            out.users.insert(user.clone(), connected);
        }
    }
    out
}

/// The organization as the confirmed manual changes made it (O1, O5, O6, O7).
fn fold_organization(observed: &mut Observed, manual: &[ManualChange]) {
    let owner = observed.owner.clone();
    let org = &mut observed.organization;
    for m in manual.iter().filter(|m| m.confirmed_at.is_some()) {
        let at = m.confirmed_at;
        match &m.op {
            Op::CreateOrganization { name } => {
                org.organization = Some(ObservedOrganization {
                    name: name.clone(),
                    owned: true,
                    owner_email: owner.clone(),
                    members: Default::default(),
                });
            }
            Op::InviteAccount { email } | Op::ResendAccountInvitation { email } => {
                if let Some(o) = org.organization.as_mut() {
                    let sent = OrgMember {
                        state: LinkState::Sent,
                        sent_at: at,
                    };
                    o.members.insert(email.clone(), sent);
                }
            }
            Op::UnlinkAccount { email } => {
                if let Some(o) = org.organization.as_mut() {
                    o.members.remove(email);
                }
            }
            Op::RequestLink { owner } => org.join_request = Some(owner.clone()),
            Op::DeleteOrganization { .. } => org.organization = None,
            // Folded into the external contacts, below.
            Op::RemoveExternalContact { .. } => {}
            // Folded into the integrations, above.
            Op::ConnectIntegration { .. } => {}
            // Folded into the Calendly organization, in `fold_calendly`.
            Op::ConnectCalendly { .. }
            | Op::ReconnectCalendly { .. }
            | Op::SetCalendlyOptions { .. } => {}
            // Zoom has an API for these: they are never manual changes.
            Op::CreateUser { .. }
            | Op::ResendInvitation { .. }
            | Op::CancelInvitation { .. }
            | Op::UpdateProfile { .. }
            | Op::ChangeUserType { .. }
            | Op::ChangeRole { .. }
            | Op::AssignAddon { .. }
            | Op::RemoveAddon { .. }
            | Op::SetGroup { .. }
            | Op::AddChatGroup { .. }
            | Op::RemoveChatGroup { .. }
            | Op::DeactivateUser { .. }
            | Op::ActivateUser { .. }
            | Op::DisassociateUser { .. }
            | Op::DeleteUser { .. }
            | Op::CreateGroup { .. }
            | Op::DeleteGroup { .. }
            | Op::CreateChatGroup { .. }
            | Op::DeleteChatGroup { .. }
            | Op::CreateRole { .. }
            | Op::UpdateRole { .. }
            | Op::DeleteRole { .. }
            | Op::RequestExternalContact { .. }
            | Op::ReplacePersonalContacts { .. } => {}
            // Folded into the personal contacts, below.
            Op::ReplacePersonalContactsByHand { .. } => {}
        }
    }
}

/// External contacts: those roster requested successfully (LastApplied keeps only those
/// whose request went through), minus the removals a person confirmed; a removal still
/// pending leaves the contact in place (U12).
fn external_contacts(
    manual: &[ManualChange],
    last: &LastApplied,
) -> BTreeMap<Email, BTreeMap<Email, ContactState>> {
    let mut map: BTreeMap<Email, BTreeMap<Email, ContactState>> = last
        .external_contacts
        .iter()
        .map(|(u, cs)| {
            let accepted = cs.iter().map(|c| (c.clone(), ContactState::Accepted));
            (u.clone(), accepted.collect())
        })
        .collect();
    for m in manual {
        if let Op::RemoveExternalContact { user, contact } = &m.op {
            let entry = map.entry(user.clone()).or_default();
            if m.confirmed_at.is_none() {
                entry.insert(contact.clone(), ContactState::Accepted);
            } else {
                entry.remove(contact);
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountPlan, Action, ChangeId, ObjectRef, Seats, Timestamp};

    fn e(s: &str) -> Email {
        Email::parse(s).expect("email")
    }

    fn t() -> Timestamp {
        "2026-11-01T00:00:00Z".parse().expect("time")
    }

    fn unobservable() -> Observed {
        Observed {
            account_id: "acme".into(),
            observed_at: t(),
            plan: AccountPlan::Business,
            owner: e("owner@acme.com"),
            actor: e("owner@acme.com"),
            on_prem_enabled: false,
            seats: Seats::default(),
            users: Default::default(),
            groups: Default::default(),
            chat_groups: Default::default(),
            roles: Default::default(),
            expired_invitations: Default::default(),
            existing_elsewhere: Default::default(),
            unread_lookups: Default::default(),
            organization: Default::default(),
            external_contacts: None,
            personal_contacts: Default::default(),
            personal_contacts_refused: None,
            integrations: None,
            calendly: None,
        }
    }

    fn manual(action: Action, target: ObjectRef, op: Op, confirmed: bool) -> ManualChange {
        ManualChange {
            change_id: ChangeId::new(action, target.clone()),
            target,
            op,
            steps: vec![],
            recorded_at: t(),
            confirmed_at: confirmed.then(t),
        }
    }

    fn org_manual(op: Op, confirmed: bool) -> ManualChange {
        manual(
            Action::CreateOrganization,
            ObjectRef::Organization("Acme Group".into()),
            op,
            confirmed,
        )
    }

    #[test]
    fn confirmed_organization_changes_are_folded_pending_ones_are_not() {
        let mut o = unobservable();
        let ms = [
            org_manual(
                Op::CreateOrganization {
                    name: "Acme Group".into(),
                },
                true,
            ),
            org_manual(
                Op::InviteAccount {
                    email: e("a@sub.example"),
                },
                true,
            ),
            org_manual(
                Op::InviteAccount {
                    email: e("b@sub.example"),
                },
                false,
            ),
        ];
        fold_manual(&mut o, &ms, &LastApplied::default());
        let org = o.organization.organization.expect("organization");
        assert_eq!(org.name, "Acme Group");
        assert!(org.members.contains_key(&e("a@sub.example")));
        assert!(
            !org.members.contains_key(&e("b@sub.example")),
            "O5: pending"
        );
    }

    #[test]
    fn unlink_delete_and_join_requests_are_folded() {
        let mut o = unobservable();
        let ms = [
            org_manual(
                Op::CreateOrganization {
                    name: "Acme Group".into(),
                },
                true,
            ),
            org_manual(
                Op::InviteAccount {
                    email: e("a@sub.example"),
                },
                true,
            ),
            org_manual(
                Op::UnlinkAccount {
                    email: e("a@sub.example"),
                },
                true,
            ),
        ];
        fold_manual(&mut o, &ms, &LastApplied::default());
        let org = o.organization.organization.as_ref().expect("organization");
        assert!(org.members.is_empty(), "O6: unlinked");
        let mut o = unobservable();
        let ms = [
            org_manual(
                Op::CreateOrganization {
                    name: "Acme Group".into(),
                },
                true,
            ),
            org_manual(
                Op::DeleteOrganization {
                    name: "Acme Group".into(),
                },
                true,
            ),
            org_manual(
                Op::RequestLink {
                    owner: e("boss@parent.example"),
                },
                true,
            ),
        ];
        fold_manual(&mut o, &ms, &LastApplied::default());
        assert!(o.organization.organization.is_none(), "O3: deleted");
        assert_eq!(
            o.organization.join_request,
            Some(e("boss@parent.example")),
            "O7"
        );
    }

    #[test]
    fn an_observable_organization_is_left_as_observed() {
        let mut o = unobservable();
        o.organization.known = true;
        let ms = [org_manual(
            Op::CreateOrganization { name: "X".into() },
            true,
        )];
        fold_manual(&mut o, &ms, &LastApplied::default());
        assert!(o.organization.organization.is_none());
    }

    #[test]
    fn external_contacts_come_from_last_applied_and_confirmed_removals() {
        let mut last = LastApplied::default();
        last.external_contacts.insert(
            e("alice@acme.com"),
            [
                e("kept@partner.com"),
                e("gone@partner.com"),
                e("asked@partner.com"),
            ]
            .into(),
        );
        let removal = |c: &str, confirmed| {
            let target = ObjectRef::ExternalContact {
                user: e("alice@acme.com"),
                contact: e(c),
            };
            let op = Op::RemoveExternalContact {
                user: e("alice@acme.com"),
                contact: e(c),
            };
            manual(Action::RemoveExternalContact, target, op, confirmed)
        };
        let mut o = unobservable();
        fold_manual(
            &mut o,
            &[
                removal("gone@partner.com", true),
                removal("asked@partner.com", false),
            ],
            &last,
        );
        let contacts = &o.external_contacts.expect("folded")[&e("alice@acme.com")];
        assert!(contacts.contains_key(&e("kept@partner.com")));
        assert!(
            !contacts.contains_key(&e("gone@partner.com")),
            "U12: confirmed"
        );
        assert!(
            contacts.contains_key(&e("asked@partner.com")),
            "U12: still pending"
        );
    }

    #[test]
    fn a_contact_request_missing_from_last_applied_is_not_taken_as_accepted() {
        // A failed request_external_contact keeps its previous (absent) LastApplied entry,
        // so the fold does not see it and the next plan asks again (K2).
        let mut o = unobservable();
        fold_manual(&mut o, &[], &LastApplied::default());
        assert!(o.external_contacts.expect("folded").is_empty());
    }
}
