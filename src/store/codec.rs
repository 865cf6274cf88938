//! LastApplied as rows `(object, field, value)`, the same for every backend: one row per
//! object roster manages and field it set, keyed by the object's [`ObjectRef`] text
//! (`user/alice@acme.com` × `jobTitle`). Decoding is total over the kinds of object, and a
//! row that makes no sense is an error naming it, never skipped.
//!
//! Invitation send times are not rows here: each backend keeps them in an `invitations`
//! table keyed by email.

use super::StoreError;
use crate::model::{Email, LastApplied, ObjectRef, UserSpec};
use serde_json::Value;
use std::collections::BTreeMap;

/// One stored LastApplied fact.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The object.
    pub object: ObjectRef,
    /// The field of it roster set (camelCase), or a marker field for membership rows.
    pub field: String,
    /// The value roster set, as JSON.
    pub value: Value,
}

/// Marker field of a managed user: remembered even with no managed field.
const USER_MARKER: &str = "_";
/// Field of membership rows (organization, external contact, personal contact group).
const MANAGED: &str = "managed";

fn row(object: ObjectRef, field: &str, value: Value) -> Row {
    Row {
        object,
        field: field.to_string(),
        value,
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Db(format!("cannot encode LastApplied: {e}")))
}

/// The rows that record `last` (without invitation send times).
pub fn encode(last: &LastApplied) -> Result<Vec<Row>, StoreError> {
    let mut out = Vec::new();
    for (email, spec) in &last.users {
        let object = ObjectRef::User(email.clone());
        out.push(row(object.clone(), USER_MARKER, Value::Null));
        if let Value::Object(fields) = json(spec)? {
            for (field, value) in fields {
                out.push(row(object.clone(), &field, value));
            }
        }
    }
    for (name, d) in &last.groups {
        out.push(row(ObjectRef::Group(name.clone()), "description", json(d)?));
    }
    for (name, d) in &last.chat_groups {
        out.push(row(
            ObjectRef::ChatGroup(name.clone()),
            "description",
            json(d)?,
        ));
    }
    for (name, p) in &last.roles {
        out.push(row(ObjectRef::Role(name.clone()), "privileges", json(p)?));
    }
    if let Some(name) = &last.organization {
        out.push(row(
            ObjectRef::Organization(name.clone()),
            MANAGED,
            Value::Bool(true),
        ));
    }
    for (user, contacts) in &last.external_contacts {
        for contact in contacts {
            let object = ObjectRef::ExternalContact {
                user: user.clone(),
                contact: contact.clone(),
            };
            out.push(row(object, MANAGED, Value::Bool(true)));
        }
    }
    for (user, groups) in &last.personal_contacts {
        for group in groups {
            let object = ObjectRef::PersonalContacts {
                user: user.clone(),
                group: group.clone(),
            };
            out.push(row(object, MANAGED, Value::Bool(true)));
        }
    }
    for (user, service) in &last.integrations {
        let object = ObjectRef::Integration(user.clone());
        out.push(row(object, "service", json(service)?));
    }
    Ok(out)
}

fn bad(object: &ObjectRef, field: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Db(format!(
        "stored LastApplied row {object} × {field} makes no sense: {why}"
    ))
}

fn value<T: serde::de::DeserializeOwned>(r: &Row) -> Result<T, StoreError> {
    serde_json::from_value(r.value.clone()).map_err(|e| bad(&r.object, &r.field, e))
}

/// LastApplied from its rows (invitation send times are added by the caller).
pub fn decode(rows: impl IntoIterator<Item = Row>) -> Result<LastApplied, StoreError> {
    let mut last = LastApplied::default();
    let mut users: BTreeMap<Email, serde_json::Map<String, Value>> = BTreeMap::new();
    for r in rows {
        match &r.object {
            ObjectRef::User(email) => {
                let entry = users.entry(email.clone()).or_default();
                if r.field != USER_MARKER {
                    entry.insert(r.field.clone(), r.value.clone());
                }
            }
            ObjectRef::Group(name) => {
                last.groups.insert(name.clone(), value(&r)?);
            }
            ObjectRef::ChatGroup(name) => {
                last.chat_groups.insert(name.clone(), value(&r)?);
            }
            ObjectRef::Role(name) => {
                last.roles.insert(name.clone(), value(&r)?);
            }
            ObjectRef::Organization(name) => last.organization = Some(name.clone()),
            ObjectRef::ExternalContact { user, contact } => {
                let set = last.external_contacts.entry(user.clone()).or_default();
                set.insert(contact.clone());
            }
            ObjectRef::PersonalContacts { user, group } => {
                let set = last.personal_contacts.entry(user.clone()).or_default();
                set.insert(group.clone());
            }
            ObjectRef::Integration(user) => {
                last.integrations.insert(user.clone(), value(&r)?);
            }
            ObjectRef::Account | ObjectRef::OrgMember { .. } | ObjectRef::Calendly(_) => {
                return Err(bad(
                    &r.object,
                    &r.field,
                    "roster keeps no LastApplied of this kind",
                ));
            }
        }
    }
    for (email, fields) in users {
        let spec: UserSpec = serde_json::from_value(Value::Object(fields))
            .map_err(|e| bad(&ObjectRef::User(email.clone()), "*", e))?;
        last.users.insert(email, spec);
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RoleName;

    fn e(s: &str) -> Email {
        Email::parse(s).expect("email")
    }

    #[test]
    fn every_kind_of_last_applied_round_trips() {
        let mut last = LastApplied::default();
        last.users.insert(
            e("a@x.com"),
            UserSpec {
                role: Some(RoleName::Admin),
                ..UserSpec::default()
            },
        );
        last.users.insert(e("bare@x.com"), UserSpec::default());
        last.groups.insert("eng".into(), Some("Engineering".into()));
        last.chat_groups.insert("general".into(), None);
        last.roles
            .insert("Help desk".into(), ["user:read".to_string()].into());
        last.organization = Some("Acme Group".into());
        last.external_contacts.insert(
            e("a@x.com"),
            [e("b@partner.com"), e("c@vendor.example")].into(),
        );
        last.personal_contacts
            .insert(e("a@x.com"), ["Clients".to_string()].into());
        let rows = encode(&last).expect("encode");
        assert_eq!(decode(rows).expect("decode"), last);
    }

    #[test]
    fn a_row_of_a_kind_roster_never_records_is_an_error() {
        let r = row(ObjectRef::Account, "x", Value::Null);
        let err = decode([r]).expect_err("refused");
        assert!(err.to_string().contains("account"), "{err}");
    }

    #[test]
    fn a_row_with_a_value_of_the_wrong_shape_is_an_error() {
        let r = row(ObjectRef::Role("r".into()), "privileges", Value::Bool(true));
        assert!(decode([r]).is_err());
    }
}
