//! The contact fields roster maps, as Graph's `microsoft.graph.contact` names them, and
//! their checked reading from a POST or PATCH body: a field of the wrong type is a 400, as
//! the contract's schema says; fields roster does not map are accepted and ignored.

use crate::sync::{Contact, Phone};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One `microsoft.graph.emailAddress`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphEmail {
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The address.
    #[serde(default)]
    pub address: Option<String>,
}

/// The mapped fields of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactFields {
    /// `displayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `givenName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// `surname`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// `emailAddresses`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email_addresses: Vec<GraphEmail>,
    /// `businessPhones`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub business_phones: Vec<String>,
    /// `homePhones`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub home_phones: Vec<String>,
    /// `mobilePhone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    /// `companyName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
}

/// A body field of the wrong type (400 `ErrorInvalidRequest`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid value for property '{0}': {1}")]
pub struct FieldError(pub String, pub &'static str);

/// How each contact property of the contract is typed, for the checks of a body.
enum Kind {
    Str,
    StrList,
    Emails,
    Address,
    Date,
    ReadOnly,
}

const KINDS: &[(&str, Kind)] = &[
    ("assistantName", Kind::Str),
    ("birthday", Kind::Date),
    ("businessAddress", Kind::Address),
    ("businessHomePage", Kind::Str),
    ("businessPhones", Kind::StrList),
    ("categories", Kind::StrList),
    ("changeKey", Kind::Str),
    ("children", Kind::StrList),
    ("companyName", Kind::Str),
    ("createdDateTime", Kind::Date),
    ("department", Kind::Str),
    ("displayName", Kind::Str),
    ("emailAddresses", Kind::Emails),
    ("fileAs", Kind::Str),
    ("generation", Kind::Str),
    ("givenName", Kind::Str),
    ("homeAddress", Kind::Address),
    ("homePhones", Kind::StrList),
    ("id", Kind::Str),
    ("imAddresses", Kind::StrList),
    ("initials", Kind::Str),
    ("jobTitle", Kind::Str),
    ("lastModifiedDateTime", Kind::Date),
    ("manager", Kind::Str),
    ("middleName", Kind::Str),
    ("mobilePhone", Kind::Str),
    ("nickName", Kind::Str),
    ("officeLocation", Kind::Str),
    ("otherAddress", Kind::Address),
    ("parentFolderId", Kind::Str),
    ("personalNotes", Kind::Str),
    ("profession", Kind::Str),
    ("spouseName", Kind::Str),
    ("surname", Kind::Str),
    ("title", Kind::Str),
    ("yomiCompanyName", Kind::Str),
    ("yomiGivenName", Kind::Str),
    ("yomiSurname", Kind::Str),
    ("extensions", Kind::ReadOnly),
    ("multiValueExtendedProperties", Kind::ReadOnly),
    ("photo", Kind::ReadOnly),
    ("singleValueExtendedProperties", Kind::ReadOnly),
];

fn is_str(v: &Value) -> bool {
    v.is_string() || v.is_null()
}

fn is_date(v: &Value) -> bool {
    v.is_null()
        || v.as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

fn check(name: &str, kind: &Kind, v: &Value) -> Result<(), FieldError> {
    let bad = |why| Err(FieldError(name.to_string(), why));
    let strs = |v: &Value| v.as_array().is_some_and(|a| a.iter().all(is_str));
    let fields_ok = |v: &Value, keys: &[&str]| {
        v.as_object().is_some_and(|o| {
            o.iter()
                .all(|(k, x)| !keys.contains(&k.as_str()) || is_str(x))
        })
    };
    match kind {
        Kind::Str if !is_str(v) => bad("a string is expected"),
        Kind::Date if !is_date(v) => bad("an ISO 8601 timestamp is expected"),
        Kind::StrList if !strs(v) => bad("a list of strings is expected"),
        Kind::Emails
            if !v
                .as_array()
                .is_some_and(|a| a.iter().all(|e| fields_ok(e, &["name", "address"]))) =>
        {
            bad("a list of emailAddress objects is expected")
        }
        Kind::Address
            if !(v.is_null()
                || fields_ok(
                    v,
                    &["city", "countryOrRegion", "postalCode", "state", "street"],
                )) =>
        {
            bad("a physicalAddress object is expected")
        }
        Kind::ReadOnly => bad("the property is read-only here"),
        _ => Ok(()),
    }
}

/// Checks a POST/PATCH body: an object whose contract properties have their types.
pub fn check_body(body: &Value) -> Result<&Map<String, Value>, FieldError> {
    let o = body
        .as_object()
        .ok_or_else(|| FieldError("(body)".into(), "a JSON object is expected"))?;
    for (name, kind) in KINDS {
        if let Some(v) = o.get(*name) {
            check(name, kind, v)?;
        }
    }
    Ok(o)
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(text).collect())
        .unwrap_or_default()
}

impl ContactFields {
    /// Applies the mapped properties a checked body names (`null` clears).
    pub fn apply(&mut self, o: &Map<String, Value>) {
        let set = |k: &str, f: &mut Option<String>| {
            if let Some(v) = o.get(k) {
                *f = text(v);
            }
        };
        set("displayName", &mut self.display_name);
        set("givenName", &mut self.given_name);
        set("surname", &mut self.surname);
        set("mobilePhone", &mut self.mobile_phone);
        set("companyName", &mut self.company_name);
        if let Some(v) = o.get("businessPhones") {
            self.business_phones = texts(v);
        }
        if let Some(v) = o.get("homePhones") {
            self.home_phones = texts(v);
        }
        if let Some(v) = o.get("emailAddresses") {
            self.email_addresses = v
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|e| GraphEmail {
                            name: e.get("name").and_then(text),
                            address: e.get("address").and_then(text),
                        })
                        .collect()
                })
                .unwrap_or_default();
        }
    }

    /// The normalised contact of these fields in `folder` (`None`: the default folder).
    /// Phones: `businessPhones` are `work`, `homePhones` `home`, `mobilePhone` `mobile`.
    pub fn to_contact(
        &self,
        folder: Option<String>,
        modified: Option<crate::model::Timestamp>,
    ) -> Contact {
        let name = self.display_name.clone().filter(|n| !n.trim().is_empty());
        let joined = [self.given_name.as_deref(), self.surname.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let phone = |label: &str, n: &String| Phone {
            label: label.into(),
            number: n.clone(),
        };
        let mut phones: Vec<Phone> = self
            .business_phones
            .iter()
            .map(|n| phone("work", n))
            .collect();
        phones.extend(self.home_phones.iter().map(|n| phone("home", n)));
        phones.extend(self.mobile_phone.iter().map(|n| phone("mobile", n)));
        Contact {
            name: name.unwrap_or(joined),
            emails: self
                .email_addresses
                .iter()
                .filter_map(|e| e.address.clone())
                .collect(),
            phones,
            company: self.company_name.clone(),
            folder,
            modified,
        }
    }

    /// The fields for a contact. Phones labelled other than `home` and `mobile` go to
    /// `businessPhones` (so they come back as `work`); a second mobile number goes to
    /// `homePhones`. `givenName`/`surname` are split from the name at its last space.
    pub fn from_contact(c: &Contact) -> ContactFields {
        let mut f = ContactFields {
            display_name: Some(c.name.clone()),
            company_name: c.company.clone(),
            ..ContactFields::default()
        };
        match c.name.trim().rsplit_once(' ') {
            Some((g, s)) => (f.given_name, f.surname) = (Some(g.trim().into()), Some(s.into())),
            None => f.given_name = Some(c.name.trim().into()).filter(|g: &String| !g.is_empty()),
        }
        f.email_addresses = c
            .emails
            .iter()
            .map(|e| GraphEmail {
                name: Some(c.name.clone()),
                address: Some(e.clone()),
            })
            .collect();
        for p in &c.phones {
            match p.label.as_str() {
                "mobile" if f.mobile_phone.is_none() => f.mobile_phone = Some(p.number.clone()),
                "home" | "mobile" => f.home_phones.push(p.number.clone()),
                _ => f.business_phones.push(p.number.clone()),
            }
        }
        f
    }

    /// The JSON of these fields, every mapped property present (`null` or `[]` when
    /// empty), as Graph answers them.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let s = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        m.insert("displayName".into(), s(&self.display_name));
        m.insert("givenName".into(), s(&self.given_name));
        m.insert("surname".into(), s(&self.surname));
        m.insert(
            "emailAddresses".into(),
            serde_json::to_value(&self.email_addresses).unwrap_or(Value::Null),
        );
        m.insert("businessPhones".into(), self.business_phones.clone().into());
        m.insert("homePhones".into(), self.home_phones.clone().into());
        m.insert("mobilePhone".into(), s(&self.mobile_phone));
        m.insert("companyName".into(), s(&self.company_name));
        m
    }
}
