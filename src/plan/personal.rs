//! The diff of personal contact groups (K5–K7): the declared list replaces the group (K6),
//! planned as a per-contact diff so unchanged contacts are not touched (K7 underneath).

use super::context::{Ctx, NewChange, Phase, json};
use super::{Action, Op};
use crate::model::{
    DesiredContactGroup, Email, ObjectRef, ObservedStatus, PersonalContact, Rule, StoredContact,
};
use serde_json::Value;
use std::collections::BTreeMap;

/// Plans every declared personal contact group of every active user.
pub(crate) fn plan_personal(cx: &mut Ctx<'_>) {
    for (user, groups) in &cx.d.personal_contacts {
        for (name, g) in groups {
            plan_group(cx, user, name, g);
        }
    }
}

fn plan_group(cx: &mut Ctx<'_>, user: &Email, name: &str, g: &DesiredContactGroup) {
    let t = ObjectRef::PersonalContacts {
        user: user.clone(),
        group: name.to_string(),
    };
    let active =
        cx.o.users
            .get(user)
            .is_some_and(|u| u.status == ObservedStatus::Active);
    if !active {
        cx.wait(
            &t,
            format!("{user} is not an active user yet: the contact group waits"),
        );
        return;
    }
    cx.next
        .personal_contacts
        .entry(user.clone())
        .or_default()
        .insert(name.to_string());
    let current =
        cx.o.personal_contacts
            .get(user)
            .and_then(|m| m.get(name))
            .map(Vec::as_slice)
            .unwrap_or_default();
    if let Some(why) = &cx.o.personal_contacts_refused {
        let why = why.clone();
        return by_hand(cx, &t, g, current, &why);
    }
    let d = diff(current, &g.contacts);
    if d.add.is_empty() && d.update.is_empty() && d.delete.is_empty() {
        return;
    }
    let unchanged = g.contacts.len() - d.add.len() - d.update.len();
    let reason = format!(
        "declared in {}: {} to add, {} to change, {} to delete, {unchanged} unchanged and left untouched (K6)",
        g.source,
        d.add.len(),
        d.update.len(),
        d.delete.len()
    );
    let op = Op::ReplacePersonalContacts {
        user: user.clone(),
        group: name.to_string(),
        add: d.add,
        update: d.update,
        delete: d.delete,
    };
    let mut c =
        NewChange::new(Phase::Edit, Action::ReplacePersonalContacts, &t, reason, op).rule(Rule::K6);
    for (k, (from, to)) in d.fields {
        c = c.field(&k, from, to);
    }
    cx.push(c);
}

/// The provider refused to list the group, so it cannot be diffed: unless the last
/// confirmed by-hand change left it as declared, a person makes it equal to the list
/// (K5, K6; issue 10, item 4). Nothing is written blind.
fn by_hand(
    cx: &mut Ctx<'_>,
    t: &ObjectRef,
    g: &DesiredContactGroup,
    current: &[StoredContact],
    why: &str,
) {
    let mut had: Vec<&PersonalContact> = current.iter().map(|s| &s.contact).collect();
    let mut want: Vec<&PersonalContact> = g.contacts.iter().collect();
    had.sort();
    want.sort();
    if had == want {
        return;
    }
    let reason = format!(
        "declared in {}: {} contact(s); {why}, so roster cannot tell what the group holds and does not write blind: make it hold exactly these by hand, then confirm (K6)",
        g.source,
        g.contacts.len()
    );
    let op = Op::ReplacePersonalContactsByHand {
        user: g.user.clone(),
        group: g.name.clone(),
        contacts: g.contacts.clone(),
    };
    let c = NewChange::new(
        Phase::Edit,
        Action::ReplacePersonalContactsByHand,
        t,
        reason,
        op,
    )
    .rule(Rule::K6);
    cx.push(c);
}

/// What makes a group's contacts equal to the declared list, matched by contact key.
struct Diff {
    add: Vec<PersonalContact>,
    update: Vec<StoredContact>,
    delete: Vec<String>,
    fields: BTreeMap<String, (Value, Value)>,
}

fn diff(current: &[StoredContact], declared: &[PersonalContact]) -> Diff {
    let mut by_key: BTreeMap<String, &StoredContact> =
        current.iter().map(|c| (c.contact.key(), c)).collect();
    let mut d = Diff {
        add: Vec::new(),
        update: Vec::new(),
        delete: Vec::new(),
        fields: BTreeMap::new(),
    };
    for c in declared {
        match by_key.remove(&c.key()) {
            Some(s) if s.contact == *c => {}
            Some(s) => {
                d.fields.insert(c.key(), (json(&s.contact), json(c)));
                d.update.push(StoredContact {
                    id: s.id.clone(),
                    contact: c.clone(),
                });
            }
            None => {
                d.fields.insert(c.key(), (Value::Null, json(c)));
                d.add.push(c.clone());
            }
        }
    }
    d.delete = by_key.values().map(|s| s.id.clone()).collect();
    for (k, s) in &by_key {
        d.fields.insert(k.clone(), (json(&s.contact), Value::Null));
    }
    d
}
