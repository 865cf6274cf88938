//! The diff of the organization of linked accounts (O1–O7), external contacts (K2, U12)
//! and personal contacts (K5–K7).

use super::context::{Ctx, NewChange, Phase, json};
use super::{Action, Op};
use crate::model::ObjectRef;
use crate::model::{ContactState, DesiredOrganization, Email, LinkState, Rule, StoredContact};
use std::collections::{BTreeMap, BTreeSet};

/// Organization invitations: resent after this long without an answer (O6), unless
/// `invitations.resendAfter` says otherwise.
const LINK_RESEND_DAYS: i64 = 25;

pub(crate) fn plan_organization(cx: &mut Ctx<'_>) {
    let obs = &cx.o.organization;
    if !obs.known {
        // Nothing observable (zoom): roster's record of confirmed manual changes is folded
        // into the observation by reconcile; with no record, plan from nothing.
    }
    let current = obs.organization.as_ref();
    match &cx.d.organization {
        Some(DesiredOrganization::Own {
            name,
            members,
            source,
        }) => {
            let target = ObjectRef::Organization(name.clone());
            cx.next.organization = Some(name.clone());
            let mut create_id = None;
            match current {
                None => {
                    if let Some(owner) = &obs.join_request {
                        cx.error(Rule::O2, &target, Some(source), format!("this account asked to join the organization owned by {owner}; an account belongs to at most one organization"));
                        return;
                    }
                    create_id = Some(
                        cx.push(
                            NewChange::new(
                                Phase::Containers,
                                Action::CreateOrganization,
                                &target,
                                format!("declared in {source}; this account will own it (O3)"),
                                Op::CreateOrganization { name: name.clone() },
                            )
                            .rule(Rule::O1)
                            .field(
                                "name",
                                serde_json::Value::Null,
                                json(name),
                            ),
                        ),
                    );
                }
                Some(o) if o.name != *name => {
                    cx.error(Rule::O2, &target, Some(source), format!("this account already belongs to organization \"{}\"; an account belongs to at most one organization", o.name));
                    return;
                }
                Some(_) => {}
            }
            let owned = current.is_none_or(|o| o.owned);
            let resend_after =
                cx.d.account
                    .policy
                    .resend_after
                    .unwrap_or(chrono::Duration::days(LINK_RESEND_DAYS));
            let mut declared = BTreeSet::new();
            for (email, at) in members {
                declared.insert(email.clone());
                let t = ObjectRef::OrgMember {
                    organization: name.clone(),
                    email: email.clone(),
                };
                match current.and_then(|o| o.members.get(email)) {
                    None => {
                        if let Some(other) = obs.elsewhere.get(email) {
                            cx.error(Rule::O2, &t, Some(at), format!("the account of {email} already belongs to organization \"{other}\": the invitation would be rejected"));
                            continue;
                        }
                        let why = if owned {
                            "Zoom emails the invitation; it stays pending until they approve (O5)"
                                .to_string()
                        } else {
                            "this account is a linked member: the organization owner must approve before the invitation is sent (O4)".to_string()
                        };
                        cx.push(
                            NewChange::new(
                                Phase::Add,
                                Action::InviteAccount,
                                &t,
                                format!("declared in {at}; {why}"),
                                Op::InviteAccount {
                                    email: email.clone(),
                                },
                            )
                            .rule(if owned { Rule::O5 } else { Rule::O4 })
                            .after(create_id.clone()),
                        );
                    }
                    Some(m) => {
                        match m.state {
                            LinkState::Linked => {}
                            LinkState::AwaitingOwner => cx.wait(
                                &t,
                                "the invitation waits for the organization owner's approval (O4)"
                                    .into(),
                            ),
                            LinkState::Sent => {
                                let sent = m.sent_at.unwrap_or(cx.now);
                                if owned && sent + resend_after <= cx.now {
                                    cx.push(
                                    NewChange::new(Phase::Add, Action::ResendAccountInvitation, &t, format!("pending since {} ({} days), longer than {} days (O6)", sent.format("%Y-%m-%d"), (cx.now - sent).num_days(), resend_after.num_days()), Op::ResendAccountInvitation { email: email.clone() })
                                        .rule(Rule::O6)
                                        .field("sentAt", json(sent), json(cx.now)),
                                );
                                } else {
                                    cx.wait(
                                        &t,
                                        format!(
                                            "invited on {}; pending until {email} approves (O5)",
                                            sent.format("%Y-%m-%d")
                                        ),
                                    );
                                }
                            }
                        }
                    }
                }
            }
            if let Some(o) = current {
                for (email, m) in &o.members {
                    if declared.contains(email) {
                        continue;
                    }
                    let t = ObjectRef::OrgMember {
                        organization: name.clone(),
                        email: email.clone(),
                    };
                    if !o.owned {
                        cx.warn(Some(Rule::O6), &t, format!("linked or invited but not declared; only the organization owner can unlink it ({})", o.owner_email));
                        continue;
                    }
                    let what = if m.state == LinkState::Linked {
                        "linked"
                    } else {
                        "invited"
                    };
                    cx.push(
                        NewChange::new(
                            Phase::Remove,
                            Action::UnlinkAccount,
                            &t,
                            format!("{what} but no longer declared in {source} (O6)"),
                            Op::UnlinkAccount {
                                email: email.clone(),
                            },
                        )
                        .rule(Rule::O6),
                    );
                }
            }
        }
        Some(DesiredOrganization::Join { owner, source }) => {
            let target = ObjectRef::Organization(owner.to_string());
            cx.next.organization = Some(format!("join:{owner}"));
            match current {
                Some(o) if &o.owner_email == owner => {}
                Some(o) => cx.error(Rule::O2, &target, Some(source), format!("this account already belongs to organization \"{}\" (owned by {}); it must leave it before joining another", o.name, o.owner_email)),
                None if obs.join_request.as_ref() == Some(owner) => cx.wait(&target, format!("the request to join is pending until {owner} approves (O7)")),
                None => {
                    cx.push(NewChange::new(Phase::Add, Action::RequestLink, &target, format!("declared in {source}; the request stays pending until {owner} approves (O7)"), Op::RequestLink { owner: owner.clone() }).rule(Rule::O7));
                }
            }
        }
        None => {
            let Some(was) = cx.l.organization.clone() else {
                return;
            };
            let Some(o) = current else { return };
            if was.starts_with("join:") || o.name != was {
                return;
            }
            let target = ObjectRef::Organization(o.name.clone());
            if o.owned {
                cx.push(
                    NewChange::new(
                        Phase::Remove,
                        Action::DeleteOrganization,
                        &target,
                        "no longer declared; this account owns it (O3)".into(),
                        Op::DeleteOrganization {
                            name: o.name.clone(),
                        },
                    )
                    .rule(Rule::O3),
                );
            } else {
                cx.error(Rule::O3, &target, None, format!("the Organization manifest was removed but this account does not own \"{}\": only the owning account ({}) can delete it", o.name, o.owner_email));
            }
        }
    }
}

pub(crate) fn plan_contacts(cx: &mut Ctx<'_>) {
    let allow = cx.d.account.policy.external_allow_domains.clone();
    let observed = cx.o.external_contacts.as_ref();
    let empty = BTreeMap::new();
    let mut users: BTreeSet<Email> = cx.d.external_contacts.keys().cloned().collect();
    if allow.is_some() {
        users.extend(observed.iter().flat_map(|m| m.keys().cloned()));
    }
    for user in users {
        let decl = cx.d.external_contacts.get(&user);
        let have = observed.and_then(|m| m.get(&user)).unwrap_or(&empty);
        let before =
            cx.l.external_contacts
                .get(&user)
                .cloned()
                .unwrap_or_default();
        let mut next = BTreeSet::new();
        let allowed = |c: &Email| {
            allow
                .as_ref()
                .is_none_or(|d| d.iter().any(|x| x == c.domain()))
        };
        if let Some(decl) = decl {
            for c in &decl.contacts {
                let t = ObjectRef::ExternalContact {
                    user: user.clone(),
                    contact: c.clone(),
                };
                if !allowed(c) {
                    cx.error(
                        Rule::U12,
                        &t,
                        Some(&decl.source),
                        format!("{c} is outside policy.externalContacts.allowDomains"),
                    );
                    continue;
                }
                next.insert(c.clone());
                match have.get(c) {
                    Some(ContactState::Accepted) => {}
                    Some(ContactState::Requested) => cx.wait(
                        &t,
                        format!("the contact request waits for {c} to accept (K3)"),
                    ),
                    None if observed.is_none() && before.contains(c) => {}
                    None if cx
                        .o
                        .users
                        .get(&user)
                        .is_none_or(|u| u.status != crate::model::ObservedStatus::Active) =>
                    {
                        cx.wait(
                            &t,
                            format!("{user} is not an active user yet: the contact request waits"),
                        );
                    }
                    None => {
                        cx.push(NewChange::new(Phase::Add, Action::RequestExternalContact, &t, format!("declared in {}; a request is sent, usable once {c} accepts (K2)", decl.source), Op::RequestExternalContact { user: user.clone(), contact: c.clone() }).rule(Rule::K2));
                    }
                }
            }
        }
        for (c, _) in have.iter() {
            if decl.is_some_and(|d| d.contacts.contains(c)) {
                continue;
            }
            let t = ObjectRef::ExternalContact {
                user: user.clone(),
                contact: c.clone(),
            };
            let reason = if !allowed(c) {
                Some(format!(
                    "outside policy.externalContacts.allowDomains ({})",
                    allow.as_ref().map(|d| d.join(", ")).unwrap_or_default()
                ))
            } else if decl.is_some_and(|d| d.prune) {
                Some("not listed and the ExternalContacts manifest prunes".to_string())
            } else {
                None
            };
            if let Some(reason) = reason {
                cx.push(NewChange::new(Phase::Remove, Action::RemoveExternalContact, &t, format!("{reason}; removed from the user's contacts and every internal channel, 1:1 history kept (U12)"), Op::RemoveExternalContact { user: user.clone(), contact: c.clone() }).rule(Rule::U12));
            }
        }
        if decl.is_some() {
            cx.next.external_contacts.insert(user, next);
        }
    }
    plan_personal(cx);
}

fn plan_personal(cx: &mut Ctx<'_>) {
    for (user, groups) in &cx.d.personal_contacts {
        for (name, g) in groups {
            let t = ObjectRef::PersonalContacts {
                user: user.clone(),
                group: name.clone(),
            };
            if cx
                .o
                .users
                .get(user)
                .is_none_or(|u| u.status != crate::model::ObservedStatus::Active)
            {
                cx.wait(
                    &t,
                    format!("{user} is not an active user yet: the contact group waits"),
                );
                continue;
            }
            cx.next
                .personal_contacts
                .entry(user.clone())
                .or_default()
                .insert(name.clone());
            let current: Vec<StoredContact> =
                cx.o.personal_contacts
                    .get(user)
                    .and_then(|m| m.get(name))
                    .cloned()
                    .unwrap_or_default();
            let mut by_key: BTreeMap<String, &StoredContact> =
                current.iter().map(|c| (c.contact.key(), c)).collect();
            let mut add = Vec::new();
            let mut update = Vec::new();
            let mut fields = BTreeMap::new();
            for c in &g.contacts {
                match by_key.remove(&c.key()) {
                    Some(s) if s.contact == *c => {}
                    Some(s) => {
                        fields.insert(c.key(), (json(&s.contact), json(c)));
                        update.push(StoredContact {
                            id: s.id.clone(),
                            contact: c.clone(),
                        });
                    }
                    None => {
                        fields.insert(c.key(), (serde_json::Value::Null, json(c)));
                        add.push(c.clone());
                    }
                }
            }
            let delete: Vec<String> = by_key.values().map(|s| s.id.clone()).collect();
            for (k, s) in &by_key {
                fields.insert(k.clone(), (json(&s.contact), serde_json::Value::Null));
            }
            if add.is_empty() && update.is_empty() && delete.is_empty() {
                continue;
            }
            let unchanged = g.contacts.len() - add.len() - update.len();
            let mut c = NewChange::new(
                Phase::Edit,
                Action::ReplacePersonalContacts,
                &t,
                format!("declared in {}: {} to add, {} to change, {} to delete, {unchanged} unchanged and left untouched (K6)", g.source, add.len(), update.len(), delete.len()),
                Op::ReplacePersonalContacts { user: user.clone(), group: name.clone(), add, update, delete },
            )
            .rule(Rule::K6);
            for (k, (from, to)) in fields {
                c = c.field(&k, from, to);
            }
            cx.push(c);
        }
    }
}
