//! One reader per document kind: located YAML in, model values out (not yet tied to an
//! account: [`super::assemble`] does that once every file is read).

use super::fields::{self, Fields, Sink};
use super::format::{self, FieldDef, Kind, Support};
use super::raw::{FileCtx, Owned, Raw, RawUser, Reference, Target, UserFields};
use super::tree::{Node, Pos, Value};
use crate::model::{
    Addon, DesiredGroup, DesiredRole, DesiredStatus, RoleName, Rule, UserField, UserType,
};
use std::collections::{BTreeMap, BTreeSet};

/// The fields of `kind`'s documents.
fn fields_of(kind: Kind) -> &'static [FieldDef] {
    kind.def().fields
}

/// Reads one document into `raw`.
pub fn read_document(doc: &Node, file: &FileCtx<'_>, sink: &mut Sink<'_>, raw: &mut Raw) {
    if doc.is_null() {
        return; // an empty document (e.g. a trailing `---`)
    }
    let Value::Map(entries) = &doc.value else {
        sink.format(
            doc.pos,
            format!(
                "a document must be a mapping with a `kind`, found {}",
                doc.shape()
            ),
        );
        return;
    };
    let kind_node = entries
        .iter()
        .find(|(k, _)| k.scalar() == Some("kind"))
        .map(|(_, v)| v);
    let Some(kind_node) = kind_node else {
        let help = "a simulator seed says `kind: SimulatorSeed`".to_string();
        sink.error_help(
            entries.first().map_or(doc.pos, |(k, _)| k.pos),
            Rule::Manifest,
            format!(
                "a document needs a `kind` ({})",
                Kind::readable_names().join(", ")
            ),
            Some(help),
        );
        return;
    };
    let name = kind_node.scalar().unwrap_or_default();
    let Some(kind) = Kind::parse(name) else {
        unknown_kind(kind_node, name, sink);
        return;
    };
    sink.kind = Some(kind.name().to_string());
    match kind.def().support {
        Support::Read => read_kind(kind, doc, file, sink, raw),
        Support::Skipped => {}
        Support::Later => sink.format(
            kind_node.pos,
            format!("kind `{name}` is part of the manifest format but not supported by this version of roster yet"),
        ),
    }
}

/// Reports an unknown `kind:` with the closest kind as a hint.
fn unknown_kind(kind_node: &Node, name: &str, sink: &mut Sink<'_>) {
    let known = Kind::readable_names();
    let help = match format::did_you_mean(name, known.iter().copied()) {
        Some(k) => format!("did you mean `{k}`?"),
        None => format!("known kinds: {}", known.join(", ")),
    };
    sink.error_help(
        kind_node.pos,
        Rule::Manifest,
        format!("unknown kind `{name}`"),
        Some(help),
    );
}

/// Reads a document of a kind this version reads.
fn read_kind(kind: Kind, doc: &Node, file: &FileCtx<'_>, sink: &mut Sink<'_>, raw: &mut Raw) {
    match kind {
        Kind::Account => super::account::read_account(doc, file, sink, raw),
        Kind::User => read_user(doc, sink, raw),
        Kind::Users => read_users(doc, sink, raw),
        Kind::UserImport => super::csv_import::read_import(doc, file, sink, raw),
        Kind::Group => {
            if let Some((account, value)) = read_group(doc, sink, Kind::Group) {
                raw.groups.push(Owned {
                    account,
                    value,
                    kind: "Group",
                });
            }
        }
        Kind::ChatGroup => {
            if let Some((account, value)) = read_group(doc, sink, Kind::ChatGroup) {
                raw.chat_groups.push(Owned {
                    account,
                    value,
                    kind: "ChatGroup",
                });
            }
        }
        Kind::Role => read_role(doc, sink, raw),
        Kind::Organization => super::contacts::read_organization(doc, sink, raw),
        Kind::ExternalContacts => super::contacts::read_external(doc, sink, raw),
        Kind::PersonalContacts => super::contacts::read_personal(doc, file, sink, raw),
        Kind::CalendarContactIntegration => {
            super::integration::read_integration(doc, file, sink, raw)
        }
        Kind::CalendlyConnection => super::calendly::read_calendly(doc, file, sink, raw),
        Kind::SimulatorSeed => {}
    }
}

fn account_ref(f: &Fields<'_>, sink: &mut Sink<'_>) -> Option<(String, Pos)> {
    f.get("account")
        .and_then(|n| fields::text(sink, n, "account").map(|t| (t, n.pos)))
}

/// Reads the user fields present in `f`: every [`UserField`] plus `status` and `expires`.
pub fn read_user_fields(f: &Fields<'_>, sink: &mut Sink<'_>) -> UserFields {
    let mut out = UserFields::default();
    for field in UserField::ALL {
        if let Some(n) = f.get(field.as_str()) {
            read_user_field(&mut out, field, n, sink);
        }
    }
    if let Some(n) = f.get("status") {
        out.status = fields::text(sink, n, "status").and_then(|t| {
            let parsed = DesiredStatus::parse(&t);
            if parsed.is_none() {
                let help = fields::one_of_help(&t, &format::STATUSES);
                let msg = format!("`status`: {t:?} is not a status");
                sink.error_help(n.pos, Rule::U13, msg, Some(help));
            }
            parsed
        });
    }
    if let Some(n) = f.get("expires") {
        out.expires = fields::date(sink, n, "expires");
    }
    out
}

/// Reads one user field from its (non-null) node.
fn read_user_field(out: &mut UserFields, field: UserField, n: &Node, sink: &mut Sink<'_>) {
    let key = field.as_str();
    let s = &mut out.spec;
    match field {
        UserField::FirstName => s.first_name = fields::text(sink, n, key),
        UserField::LastName => s.last_name = fields::text(sink, n, key),
        UserField::Type => s.user_type = read_type(n, sink),
        UserField::Addons => s.addons = read_addons(n, sink),
        UserField::Role => {
            s.role = fields::text(sink, n, key).map(|r| RoleName::parse(&r));
            if let Some(RoleName::Custom(r)) = &s.role {
                out.refs.push(reference(Target::Role, r, key, sink, n.pos));
            }
        }
        UserField::Group => {
            s.group = fields::text(sink, n, key);
            if let Some(g) = &s.group {
                out.refs.push(reference(Target::Group, g, key, sink, n.pos));
            }
        }
        UserField::ChatGroups => {
            let items = fields::list(sink, n, key);
            for (g, pos) in items.iter().flatten() {
                out.refs
                    .push(reference(Target::ChatGroup, g, key, sink, *pos));
            }
            s.chat_groups = items.map(|v| v.into_iter().map(|(g, _)| g).collect::<BTreeSet<_>>());
        }
        UserField::Department => s.department = fields::text(sink, n, key),
        UserField::Manager => {
            s.manager = fields::email(sink, n, key);
            if let Some(m) = &s.manager {
                out.refs
                    .push(reference(Target::User, m.as_str(), key, sink, n.pos));
            }
        }
        UserField::JobTitle => s.job_title = fields::text(sink, n, key),
        UserField::Location => s.location = fields::text(sink, n, key),
        UserField::CustomAttributes => read_custom_attributes(out, n, sink),
    }
}

/// A reference written at `pos` of this document.
pub fn reference(
    target: Target,
    name: &str,
    field: &'static str,
    sink: &Sink<'_>,
    pos: Pos,
) -> Reference {
    Reference {
        target,
        name: name.to_string(),
        field,
        source: sink.source(pos),
        kind: sink
            .kind
            .as_deref()
            .and_then(Kind::parse)
            .map_or("", Kind::name),
    }
}

/// `type` (U2).
fn read_type(n: &Node, sink: &mut Sink<'_>) -> Option<UserType> {
    let t = fields::text(sink, n, "type")?;
    user_type(&t, "type", n.pos, sink)
}

/// A user type, or a U2 error with the closest type as a hint.
pub fn user_type(t: &str, key: &str, pos: Pos, sink: &mut Sink<'_>) -> Option<UserType> {
    let parsed = UserType::parse(t);
    if parsed.is_none() {
        let help = fields::one_of_help(t, &format::USER_TYPES);
        let msg = format!("`{key}`: {t:?} is not a user type");
        sink.error_help(pos, Rule::U2, msg, Some(help));
    }
    parsed
}

/// An add-on, or a U3 error with the closest add-on as a hint.
pub fn addon(a: &str, pos: Pos, sink: &mut Sink<'_>) -> Option<Addon> {
    let parsed = Addon::parse(a);
    if parsed.is_none() {
        let help = fields::one_of_help(a, &format::ADDONS);
        let msg = format!("`addons`: {a:?} is not an add-on");
        sink.error_help(pos, Rule::U3, msg, Some(help));
    }
    parsed
}

/// `addons` (U3): every item must be an add-on.
fn read_addons(n: &Node, sink: &mut Sink<'_>) -> Option<BTreeSet<Addon>> {
    fields::list(sink, n, "addons").map(|items| {
        items
            .into_iter()
            .filter_map(|(a, pos)| addon(&a, pos, sink))
            .collect()
    })
}

/// `customAttributes`: a mapping of attribute name to value, each key located (U11).
fn read_custom_attributes(out: &mut UserFields, n: &Node, sink: &mut Sink<'_>) {
    let Value::Map(entries) = &n.value else {
        sink.format(
            n.pos,
            "`customAttributes` must be a mapping of attribute name to value",
        );
        return;
    };
    let mut map = BTreeMap::new();
    for (k, v) in entries {
        let (Some(key), Some(value)) = (k.scalar(), fields::text(sink, v, "customAttributes"))
        else {
            continue;
        };
        out.attribute_pos.push((key.to_string(), k.pos));
        map.insert(key.to_string(), value);
    }
    out.spec.custom_attributes = Some(map);
}

fn read_user(doc: &Node, sink: &mut Sink<'_>, raw: &mut Raw) {
    let Some(f) = Fields::new(doc, sink, "a User", fields_of(Kind::User)) else {
        return;
    };
    let account = account_ref(&f, sink);
    let email = f
        .get("email")
        .and_then(|n| fields::email(sink, n, "email").map(|e| (e, n.pos)));
    let fields = read_user_fields(&f, sink);
    if let Some((email, pos)) = email {
        raw.users.push(RawUser {
            account,
            email,
            fields,
            source: sink.source(pos),
            kind: "User",
        });
    }
}

fn read_users(doc: &Node, sink: &mut Sink<'_>, raw: &mut Raw) {
    let Some(f) = Fields::new(doc, sink, "a Users list", fields_of(Kind::Users)) else {
        return;
    };
    let account = account_ref(&f, sink);
    let defaults = read_defaults(&f, sink, "Users", &account, raw);
    let Some(items) = f.get("items") else {
        return;
    };
    let Value::Seq(items) = &items.value else {
        sink.format(
            items.pos,
            format!("`items` must be a list of users, found {}", items.shape()),
        );
        return;
    };
    for item in items {
        let Some(fi) = Fields::new(item, sink, "a Users item", format::USER_ITEM) else {
            continue;
        };
        let email = fi
            .get("email")
            .and_then(|n| fields::email(sink, n, "email").map(|e| (e, n.pos)));
        let own = read_user_fields(&fi, sink);
        if let Some((email, pos)) = email {
            raw.users.push(RawUser {
                account: account.clone(),
                email,
                fields: own.over(&defaults),
                source: sink.source(pos),
                kind: "Users",
            });
        }
    }
}

/// Reads `defaults:` of a `Users` or `UserImport` document. The names the defaults
/// reference go to `raw.refs`, to be checked once where they are written, whether or not
/// an item takes them (a list whose every item overrides its default group, or that has
/// no item yet, still names that group).
pub fn read_defaults(
    f: &Fields<'_>,
    sink: &mut Sink<'_>,
    kind: &str,
    account: &Option<(String, Pos)>,
    raw: &mut Raw,
) -> UserFields {
    let Some(n) = f.get("defaults") else {
        return UserFields::default();
    };
    let Some(d) = Fields::new(n, sink, &format!("{kind} defaults"), format::USER_FIELDS) else {
        return UserFields::default();
    };
    let mut defaults = read_user_fields(&d, sink);
    let refs = std::mem::take(&mut defaults.refs);
    raw.refs
        .extend(refs.into_iter().map(|r| (account.clone(), r)));
    defaults
}

fn read_group(
    doc: &Node,
    sink: &mut Sink<'_>,
    kind: Kind,
) -> Option<(Option<(String, Pos)>, DesiredGroup)> {
    let what = format!("a {}", kind.name());
    let f = Fields::new(doc, sink, &what, fields_of(kind))?;
    let account = account_ref(&f, sink);
    let (name, pos) = f.required(sink, "name")?;
    let description = f.text(sink, "description");
    Some((
        account,
        DesiredGroup {
            name,
            description,
            source: sink.source(pos),
        },
    ))
}

fn read_role(doc: &Node, sink: &mut Sink<'_>, raw: &mut Raw) {
    let Some(f) = Fields::new(doc, sink, "a Role", fields_of(Kind::Role)) else {
        return;
    };
    let account = account_ref(&f, sink);
    let Some((name, pos)) = f.required(sink, "name") else {
        return;
    };
    if ["owner", "admin", "member"].contains(&name.to_ascii_lowercase().as_str()) {
        sink.error(
            pos,
            Rule::U7,
            format!("`{name}` is a built-in role: custom roles need another name"),
        );
    }
    let description = f.text(sink, "description");
    let privileges = f
        .get("privileges")
        .and_then(|n| fields::list(sink, n, "privileges"))
        .map(|v| v.into_iter().map(|(p, _)| p).collect())
        .unwrap_or_default();
    raw.roles.push(Owned {
        account,
        value: DesiredRole {
            name,
            description,
            privileges,
            source: sink.source(pos),
        },
        kind: "Role",
    });
}
