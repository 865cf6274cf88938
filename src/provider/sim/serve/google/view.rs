//! A book's person as Google's `Person` (only the fields `personFields` asks for), and a
//! request's `Person` as a book's fields.

use crate::provider::google::wire::{
    ContactGroupMembership, EmailAddress, FieldMetadata, Membership, Name, Organization, Person,
    PersonMetadata, PhoneNumber, Source,
};
use crate::provider::sim::google::{
    GoogleBook, GoogleFields, GooglePerson, GooglePhone, MY_CONTACTS, resource_name,
};

/// Every `personFields` value the discovery document lists.
pub const PERSON_FIELDS: &[&str] = &[
    "addresses",
    "ageRanges",
    "biographies",
    "birthdays",
    "calendarUrls",
    "clientData",
    "coverPhotos",
    "emailAddresses",
    "events",
    "externalIds",
    "genders",
    "imClients",
    "interests",
    "locales",
    "locations",
    "memberships",
    "metadata",
    "miscKeywords",
    "names",
    "nicknames",
    "occupations",
    "organizations",
    "phoneNumbers",
    "photos",
    "relations",
    "sipAddresses",
    "skills",
    "urls",
    "userDefined",
];

/// Every `updatePersonFields` value the discovery document lists.
pub const UPDATE_FIELDS: &[&str] = &[
    "addresses",
    "biographies",
    "birthdays",
    "calendarUrls",
    "clientData",
    "emailAddresses",
    "events",
    "externalIds",
    "genders",
    "imClients",
    "interests",
    "locales",
    "locations",
    "memberships",
    "miscKeywords",
    "names",
    "nicknames",
    "occupations",
    "organizations",
    "phoneNumbers",
    "relations",
    "sipAddresses",
    "urls",
    "userDefined",
];

/// A parsed field mask: the paths it names, or the first invalid one.
pub fn mask<'a>(raw: &'a str, valid: &[&str]) -> Result<Vec<&'a str>, String> {
    let paths: Vec<&str> = raw
        .split(',')
        .map(|p| p.trim().trim_start_matches("person."))
        .filter(|p| !p.is_empty())
        .collect();
    match paths.iter().find(|p| !valid.contains(p)) {
        Some(bad) => Err(format!("Invalid field mask path: \"{bad}\".")),
        None if paths.is_empty() => Err("The field mask is empty.".into()),
        None => Ok(paths),
    }
}

fn source(p: &GooglePerson, full: bool) -> Source {
    Source {
        kind: Some("CONTACT".into()),
        id: Some(format!("{:x}", p.id)),
        etag: full.then(|| p.source_etag()),
        update_time: p
            .updated
            .filter(|_| full)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    }
}

fn field_meta(p: &GooglePerson) -> Option<FieldMetadata> {
    Some(FieldMetadata {
        primary: Some(true),
        source: Some(source(p, false)),
    })
}

fn name(p: &GooglePerson) -> Name {
    let full = p.fields.name.trim();
    let (given, family) = match full.split_once(' ') {
        Some((g, f)) => (g.to_string(), Some(f.trim().to_string())),
        None => (full.to_string(), None),
    };
    let last_first = match &family {
        Some(f) => format!("{f}, {given}"),
        None => given.clone(),
    };
    Name {
        display_name: Some(full.to_string()),
        display_name_last_first: Some(last_first),
        unstructured_name: Some(full.to_string()),
        given_name: Some(given),
        family_name: family,
        metadata: field_meta(p),
    }
}

fn formatted(kind: &str) -> Option<String> {
    let mut c = kind.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect::<String>())
}

fn membership(group: &str, p: &GooglePerson) -> Membership {
    Membership {
        contact_group_membership: Some(ContactGroupMembership {
            contact_group_id: Some(group.to_string()),
            contact_group_resource_name: Some(format!("contactGroups/{group}")),
        }),
        metadata: Some(FieldMetadata {
            primary: None,
            source: Some(source(p, false)),
        }),
    }
}

/// A person as Google shows it, with the fields in `fields`.
pub fn person(p: &GooglePerson, fields: &[&str]) -> Person {
    let has = |f: &str| fields.contains(&f);
    let meta = field_meta(p);
    Person {
        resource_name: Some(resource_name(p.id)),
        etag: Some(p.etag()),
        metadata: has("metadata").then(|| PersonMetadata {
            sources: vec![source(p, true)],
            deleted: None,
            object_type: Some("PERSON".into()),
        }),
        names: if has("names") && !p.fields.name.trim().is_empty() {
            vec![name(p)]
        } else {
            vec![]
        },
        email_addresses: if has("emailAddresses") {
            p.fields
                .emails
                .iter()
                .map(|e| EmailAddress {
                    value: Some(e.clone()),
                    kind: None,
                    metadata: meta.clone(),
                })
                .collect()
        } else {
            vec![]
        },
        phone_numbers: if has("phoneNumbers") {
            p.fields
                .phones
                .iter()
                .map(|ph| PhoneNumber {
                    value: Some(ph.value.clone()),
                    kind: Some(ph.kind.clone()).filter(|k| !k.is_empty()),
                    formatted_type: formatted(&ph.kind),
                    metadata: meta.clone(),
                })
                .collect()
        } else {
            vec![]
        },
        organizations: match (&p.fields.company, has("organizations")) {
            (Some(c), true) => vec![Organization {
                name: Some(c.clone()),
                metadata: meta.clone(),
            }],
            (Some(_), false) | (None, _) => vec![],
        },
        memberships: if has("memberships") {
            std::iter::once(MY_CONTACTS)
                .chain(p.fields.groups.iter().map(String::as_str))
                .map(|g| membership(g, p))
                .collect()
        } else {
            vec![]
        },
    }
}

/// A person deleted since the sync token: its resource name and `metadata.deleted`.
pub fn deleted(id: u64) -> Person {
    Person {
        resource_name: Some(resource_name(id)),
        etag: Some(format!("%c{id}d")),
        metadata: Some(PersonMetadata {
            sources: vec![Source {
                kind: Some("CONTACT".into()),
                id: Some(format!("{id:x}")),
                etag: None,
                update_time: None,
            }],
            deleted: Some(true),
            object_type: Some("PERSON".into()),
        }),
        ..Person::default()
    }
}

/// A request's person as a book's fields; group resource names must exist in `book`.
pub fn fields(book: &GoogleBook, p: &Person) -> Result<GoogleFields, String> {
    if p.names.len() > 1 {
        return Err("Invalid person: names is a singleton field; only one may be set.".into());
    }
    let name = p
        .names
        .first()
        .map(
            |n| match (&n.unstructured_name, &n.given_name, &n.family_name) {
                (Some(u), _, _) => u.clone(),
                (None, g, f) => [g.as_deref(), f.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
            },
        )
        .unwrap_or_default();
    let mut groups = std::collections::BTreeSet::new();
    for m in &p.memberships {
        let Some(g) = &m.contact_group_membership else {
            continue;
        };
        let id = g
            .contact_group_resource_name
            .as_deref()
            .and_then(|r| r.strip_prefix("contactGroups/"))
            .or(g.contact_group_id.as_deref())
            .ok_or("Invalid contactGroupMembership: contactGroupResourceName is required.")?;
        if id != MY_CONTACTS && book.group_name(id).is_none() {
            return Err(format!(
                "Contact group resource name \"contactGroups/{id}\" is not valid."
            ));
        }
        groups.insert(id.to_string());
    }
    Ok(GoogleFields {
        name,
        emails: p
            .email_addresses
            .iter()
            .filter_map(|e| e.value.clone())
            .collect(),
        phones: p
            .phone_numbers
            .iter()
            .filter_map(|ph| {
                ph.value.clone().map(|value| GooglePhone {
                    kind: ph.kind.clone().unwrap_or_default(),
                    value,
                })
            })
            .collect(),
        company: p.organizations.first().and_then(|o| o.name.clone()),
        groups,
    })
}
