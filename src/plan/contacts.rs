//! The diff of external contacts (K2, K3, U12): requests for the declared ones missing,
//! removals of those outside `policy.externalContacts.allowDomains` or pruned.

use super::context::{Ctx, NewChange, Phase};
use super::{Action, Op};
use crate::model::{ContactState, DesiredExternalContacts, Email, ObjectRef, ObservedStatus, Rule};
use std::collections::{BTreeMap, BTreeSet};

/// Plans every user's external contacts, then the personal contacts.
pub(crate) fn plan_contacts(cx: &mut Ctx<'_>) {
    let allow = cx.d.account.policy.external_allow_domains.clone();
    let mut users: BTreeSet<Email> = cx.d.external_contacts.keys().cloned().collect();
    if allow.is_some() {
        users.extend(
            cx.o.external_contacts
                .iter()
                .flat_map(|m| m.keys().cloned()),
        );
    }
    for user in users {
        plan_user(cx, &user, allow.as_deref());
    }
    super::personal::plan_personal(cx);
}

fn key(user: &Email, contact: &Email) -> ObjectRef {
    ObjectRef::ExternalContact {
        user: user.clone(),
        contact: contact.clone(),
    }
}

fn allowed(allow: Option<&[String]>, c: &Email) -> bool {
    allow.is_none_or(|d| d.iter().any(|x| x == c.domain()))
}

fn plan_user(cx: &mut Ctx<'_>, user: &Email, allow: Option<&[String]>) {
    let empty = BTreeMap::new();
    let have =
        cx.o.external_contacts
            .as_ref()
            .and_then(|m| m.get(user))
            .unwrap_or(&empty)
            .clone();
    let decl = cx.d.external_contacts.get(user);
    if let Some(decl) = decl {
        let next = request_declared(cx, user, decl, &have, allow);
        cx.next.external_contacts.insert(user.clone(), next);
    }
    remove_undeclared(cx, user, decl, &have, allow);
}

/// Requests the declared contacts the user does not have (K2); returns the set roster
/// manages for the user.
fn request_declared(
    cx: &mut Ctx<'_>,
    user: &Email,
    decl: &DesiredExternalContacts,
    have: &BTreeMap<Email, ContactState>,
    allow: Option<&[String]>,
) -> BTreeSet<Email> {
    let before =
        cx.l.external_contacts
            .get(user)
            .cloned()
            .unwrap_or_default();
    let observable = cx.o.external_contacts.is_some();
    let active =
        cx.o.users
            .get(user)
            .is_some_and(|u| u.status == ObservedStatus::Active);
    let mut next = BTreeSet::new();
    for c in &decl.contacts {
        let t = key(user, c);
        if !allowed(allow, c) {
            let message = format!("{c} is outside policy.externalContacts.allowDomains");
            cx.error(Rule::U12, &t, Some(&decl.source), message);
            continue;
        }
        next.insert(c.clone());
        match have.get(c) {
            Some(ContactState::Accepted) => {}
            Some(ContactState::Requested) => cx.wait(
                &t,
                format!("the contact request waits for {c} to accept (K3)"),
            ),
            None if !observable && before.contains(c) => {}
            None if !active => cx.wait(
                &t,
                format!("{user} is not an active user yet: the contact request waits"),
            ),
            None => {
                let reason = format!(
                    "declared in {}; a request is sent, usable once {c} accepts (K2)",
                    decl.source
                );
                let op = Op::RequestExternalContact {
                    user: user.clone(),
                    contact: c.clone(),
                };
                cx.push(
                    NewChange::new(Phase::Add, Action::RequestExternalContact, &t, reason, op)
                        .rule(Rule::K2),
                );
            }
        }
    }
    next
}

/// Removes the contacts outside the allowed domains, or not listed under `prune` (U12).
fn remove_undeclared(
    cx: &mut Ctx<'_>,
    user: &Email,
    decl: Option<&DesiredExternalContacts>,
    have: &BTreeMap<Email, ContactState>,
    allow: Option<&[String]>,
) {
    for c in have.keys() {
        if decl.is_some_and(|d| d.contacts.contains(c)) {
            continue;
        }
        let reason = if !allowed(allow, c) {
            format!(
                "outside policy.externalContacts.allowDomains ({})",
                allow.map(|d| d.join(", ")).unwrap_or_default()
            )
        } else if decl.is_some_and(|d| d.prune) {
            "not listed and the ExternalContacts manifest prunes".to_string()
        } else {
            continue;
        };
        let op = Op::RemoveExternalContact {
            user: user.clone(),
            contact: c.clone(),
        };
        cx.push(
            NewChange::new(Phase::Remove, Action::RemoveExternalContact, &key(user, c), format!("{reason}; removed from the user's contacts and every internal channel, 1:1 history kept (U12)"), op)
                .rule(Rule::U12),
        );
    }
}
