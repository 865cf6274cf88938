//! `roster import` (issue 16, part 1): manifests that describe an account as it is, so an
//! existing account is adopted with an empty first plan. Pure: an observation and the
//! Account's defaults in, file texts out; the CLI reads the account and writes the files.
//!
//! Files are grouped the way a person keeps them: `groups.yaml` (groups, chat groups,
//! custom roles), `users/<group>.yaml` (one `Users` list per group, `users/invited.yaml`
//! for pending invitations, `users/no-group.yaml`), `organization.yaml`, `contacts.yaml`
//! and `integrations.yaml` when the provider can see them.

use crate::model::{
    AccountSpec, ContactState, Email, Observed, ObservedStatus, ObservedUser, PersonalContact,
    RoleName,
};
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;

/// What `import` produced: the files, by path relative to the manifest folder, and what a
/// person should know (what the provider could not show, what the first plan will do).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Imported {
    /// File path (`/` separators) → its text.
    pub files: BTreeMap<String, String>,
    /// Notes for the person importing.
    pub notes: Vec<String>,
}

/// What the provider can list besides users and containers (Zoom lists none of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visible {
    /// Personal contact groups can be listed (Zoom reads a group only by its name).
    pub personal_contacts: bool,
}

/// The path of the schema from a file at `path` (for the modeline).
fn modeline(path: &str) -> String {
    let up = "../".repeat(path.matches('/').count());
    format!("# yaml-language-server: $schema={up}{SCHEMA_FILE}\n")
}

/// The manifests describing `o`, for the account `account` (whose defaults decide what a
/// user must spell out) and `ignore` (users roster never touches).
pub fn import(
    o: &Observed,
    account: &AccountSpec,
    ignore: &globset::GlobSet,
    visible: Visible,
) -> Imported {
    let mut out = Imported::default();
    containers(o, &mut out);
    users(o, account, ignore, &mut out);
    organization(o, &mut out);
    contacts(o, visible, &mut out);
    integrations(o, &mut out);
    let schema = serde_json::to_string_pretty(&super::schema::json_schema()).unwrap_or_default();
    out.files.insert(SCHEMA_FILE.into(), schema + "\n");
    out
}

/// The JSON Schema written beside the manifests, which their modelines name.
pub const SCHEMA_FILE: &str = "manifests.schema.json";

/// Writes `docs` (one YAML document each) as the file `path`, with a header.
fn file(out: &mut Imported, path: &str, what: &str, docs: Vec<Mapping>) {
    if docs.is_empty() {
        return;
    }
    let mut text = modeline(path);
    text.push_str(&format!("# {what}: written by `roster import`.\n"));
    for (n, d) in docs.into_iter().enumerate() {
        if n > 0 {
            text.push_str("---\n");
        }
        text.push_str(&serde_yaml::to_string(&Value::Mapping(d)).unwrap_or_default());
    }
    out.files.insert(path.to_string(), text);
}

/// A mapping from `(key, value)` pairs, in order, leaving out `None`.
fn map(entries: Vec<(&str, Option<Value>)>) -> Mapping {
    let mut m = Mapping::new();
    for (k, v) in entries {
        if let Some(v) = v {
            m.insert(Value::from(k), v);
        }
    }
    m
}

fn s(v: &str) -> Option<Value> {
    Some(Value::from(v))
}

/// A non-empty text, as a value.
fn text(v: &Option<String>) -> Option<Value> {
    v.as_deref().filter(|t| !t.is_empty()).map(Value::from)
}

fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> Value {
    Value::Sequence(
        items
            .into_iter()
            .map(|i| Value::from(i.to_string()))
            .collect(),
    )
}

fn containers(o: &Observed, out: &mut Imported) {
    let mut docs = Vec::new();
    for (kind, groups) in [("Group", &o.groups), ("ChatGroup", &o.chat_groups)] {
        for g in groups.values() {
            docs.push(map(vec![
                ("kind", s(kind)),
                ("name", s(&g.name)),
                ("description", text(&g.description)),
            ]));
        }
    }
    for r in o.roles.values() {
        let custom = matches!(RoleName::parse(&r.name), RoleName::Custom(_));
        if custom {
            docs.push(map(vec![
                ("kind", s("Role")),
                ("name", s(&r.name)),
                ("description", text(&r.description)),
                ("privileges", Some(list(&r.privileges))),
            ]));
        }
    }
    file(
        out,
        "groups.yaml",
        "groups, chat groups and custom roles",
        docs,
    );
}

/// Where a user goes: their group's file, `invited` or `no-group`.
fn user_file(u: &ObservedUser) -> String {
    match (&u.status, &u.spec.group) {
        (ObservedStatus::Pending, _) => "invited".into(),
        (_, Some(g)) => g.clone(),
        (_, None) => "no-group".into(),
    }
}

fn users(o: &Observed, account: &AccountSpec, ignore: &globset::GlobSet, out: &mut Imported) {
    let mut by_file: BTreeMap<String, Vec<&ObservedUser>> = BTreeMap::new();
    for u in o.users.values() {
        if ignore.is_match(u.email.as_str()) {
            continue;
        }
        by_file.entry(user_file(u)).or_default().push(u);
    }
    for (name, list) in by_file {
        let group = list[0].spec.group.clone().filter(|_| name != "invited");
        let items: Vec<Value> = list
            .iter()
            .map(|u| Value::Mapping(user_item(u, account, out)))
            .collect();
        let doc = map(vec![
            ("kind", s("Users")),
            (
                "defaults",
                group.map(|g| Value::Mapping(map(vec![("group", s(&g))]))),
            ),
            ("items", Some(Value::Sequence(items))),
        ]);
        let what = match name.as_str() {
            "invited" => "pending invitations".to_string(),
            "no-group" => "users in no group".to_string(),
            g => format!("the users of group {g}"),
        };
        file(out, &format!("users/{name}.yaml"), &what, vec![doc]);
    }
}

/// One user, every field spelled out (so the Account's defaults change nothing), except
/// what a pending user cannot hold yet (group, chat groups, role, add-ons: U5).
fn user_item(u: &ObservedUser, account: &AccountSpec, out: &mut Imported) -> Mapping {
    let sp = &u.spec;
    let pending = u.status == ObservedStatus::Pending;
    let defaults_group = account
        .defaults
        .domains
        .get(u.email.domain())
        .and_then(|d| d.group.clone())
        .or_else(|| account.defaults.group.clone());
    if !pending && sp.group.is_none() && defaults_group.is_some() {
        out.notes.push(format!(
            "{} is in no group, but the Account's defaults place users in {} (U10): the first plan will add them; name a group for them or drop the default",
            u.email,
            defaults_group.unwrap_or_default()
        ));
    }
    let role = sp
        .role
        .as_ref()
        .filter(|r| !pending && !matches!(r, RoleName::Owner | RoleName::Member))
        .map(|r| Value::from(r.as_str()));
    let keep = |set: bool| !pending && set;
    map(vec![
        ("email", s(u.email.as_str())),
        ("firstName", text(&sp.first_name)),
        ("lastName", text(&sp.last_name)),
        ("type", sp.user_type.map(|t| Value::from(t.as_str()))),
        ("role", role),
        (
            "chatGroups",
            sp.chat_groups
                .as_ref()
                .filter(|_| keep(true))
                .map(|g| list(g.iter())),
        ),
        ("department", text(&sp.department)),
        ("jobTitle", text(&sp.job_title)),
        ("location", text(&sp.location)),
        (
            "manager",
            sp.manager.as_ref().map(|m| Value::from(m.as_str())),
        ),
        (
            "addons",
            sp.addons
                .as_ref()
                .filter(|a| keep(!a.is_empty()))
                .map(|a| list(a.iter().map(|x| x.as_str()))),
        ),
        (
            "customAttributes",
            attributes(sp.custom_attributes.as_ref()),
        ),
        (
            "status",
            (u.status == ObservedStatus::Inactive).then(|| Value::from("deactivated")),
        ),
    ])
}

fn attributes(a: Option<&BTreeMap<String, String>>) -> Option<Value> {
    let m: Mapping = a?
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (Value::from(k.as_str()), Value::from(v.as_str())))
        .collect();
    (!m.is_empty()).then_some(Value::Mapping(m))
}

fn organization(o: &Observed, out: &mut Imported) {
    if !o.organization.known {
        out.notes.push(
            "the provider cannot show the organization (Zoom has no API for it): organization.yaml is not written; declare it by hand".into(),
        );
        return;
    }
    let doc = match (&o.organization.organization, &o.organization.join_request) {
        (Some(org), _) if org.owned => map(vec![
            ("kind", s("Organization")),
            ("name", s(&org.name)),
            ("members", Some(list(org.members.keys()))),
        ]),
        (Some(org), _) => map(vec![
            ("kind", s("Organization")),
            ("join", s(org.owner_email.as_str())),
        ]),
        (None, Some(owner)) => map(vec![
            ("kind", s("Organization")),
            ("join", s(owner.as_str())),
        ]),
        (None, None) => return,
    };
    file(out, "organization.yaml", "the organization", vec![doc]);
}

fn contacts(o: &Observed, visible: Visible, out: &mut Imported) {
    let mut docs = Vec::new();
    match &o.external_contacts {
        Some(all) => {
            for (user, contacts) in all {
                let listed: Vec<&Email> = contacts
                    .iter()
                    .filter(|(_, st)| matches!(st, ContactState::Accepted | ContactState::Requested))
                    .map(|(c, _)| c)
                    .collect();
                if !listed.is_empty() {
                    docs.push(map(vec![
                        ("kind", s("ExternalContacts")),
                        ("user", s(user.as_str())),
                        ("contacts", Some(list(listed))),
                    ]));
                }
            }
        }
        None => out.notes.push(
            "the provider cannot list external contacts (Zoom has no API for it): declare them by hand".into(),
        ),
    }
    if !visible.personal_contacts {
        out.notes.push(
            "the provider cannot list personal contact groups (Zoom reads a group only by its name): declare them by hand".into(),
        );
    }
    for (user, groups) in &o.personal_contacts {
        for (name, list) in groups {
            let items: Vec<Value> = list
                .iter()
                .map(|c| Value::Mapping(contact(&c.contact)))
                .collect();
            docs.push(map(vec![
                ("kind", s("PersonalContacts")),
                ("user", s(user.as_str())),
                ("name", s(name)),
                ("contacts", Some(Value::Sequence(items))),
            ]));
        }
    }
    file(out, "contacts.yaml", "external and personal contacts", docs);
}

fn contact(c: &PersonalContact) -> Mapping {
    map(vec![
        ("name", s(&c.name)),
        ("email", text(&c.email)),
        ("office", text(&c.office)),
        ("home", text(&c.home)),
        ("mobile", text(&c.mobile)),
        ("fax", text(&c.fax)),
        ("phone", text(&c.phone)),
        ("company", text(&c.company)),
    ])
}

fn integrations(o: &Observed, out: &mut Imported) {
    let Some(all) = &o.integrations else {
        out.notes.push(
            "the provider cannot show calendar and contact integrations (Zoom has no API for them): declare them by hand".into(),
        );
        return;
    };
    let docs = all
        .users
        .iter()
        .map(|(user, i)| {
            map(vec![
                ("kind", s("CalendarContactIntegration")),
                ("user", s(user.as_str())),
                ("service", s(i.service.as_str())),
                ("calendar", Some(Value::Bool(i.calendar))),
                ("contacts", Some(Value::Bool(i.contacts))),
            ])
        })
        .collect();
    file(
        out,
        "integrations.yaml",
        "calendar and contact integrations",
        docs,
    );
}
