//! `Organization`, `ExternalContacts` and `PersonalContacts` documents, and the personal
//! contacts CSV (K5: every bad row reported at once, with row, column, value and why).

use super::fields::{self, Fields, Sink};
use super::format::{self, Kind};
use super::kinds::reference;
use super::raw::{FileCtx, Owned, Raw, Target};
use super::tree::{Node, Pos, Value};
use crate::model::{
    DesiredContactGroup, DesiredExternalContacts, DesiredOrganization, Email, PersonalContact,
    Rule, is_e164,
};

/// K5: at most this many contacts per import.
pub const MAX_CONTACTS: usize = 1000;

/// Columns of a personal contacts CSV (K5), the contact fields of the format table with
/// a capital, as spreadsheets head them (read case-insensitively).
pub const COLUMNS: [&str; 8] = [
    "Name", "Email", "Office", "Home", "Mobile", "Fax", "Phone", "Company",
];

fn account_ref(f: &Fields<'_>, sink: &mut Sink<'_>) -> Option<(String, Pos)> {
    f.get("account")
        .and_then(|n| fields::text(sink, n, "account").map(|t| (t, n.pos)))
}

/// `kind: Organization` (owned, with `members`, or `join`).
pub fn read_organization(doc: &Node, sink: &mut Sink<'_>, raw: &mut Raw) {
    let Some(f) = Fields::new(
        doc,
        sink,
        "an Organization",
        Kind::Organization.def().fields,
    ) else {
        return;
    };
    let account = account_ref(&f, sink);
    let value = match (f.get("join"), f.get("name")) {
        (Some(_), Some(n)) => {
            sink.error(
                n.pos,
                Rule::O7,
                "an Organization either owns (`name`, `members`) or joins (`join`), not both",
            );
            return;
        }
        (Some(j), None) => {
            if let Some(m) = f.get("members") {
                sink.error(
                    m.pos,
                    Rule::O7,
                    "`members` is for the organization's owner; a joining account lists none",
                );
            }
            let Some(owner) = fields::email(sink, j, "join") else {
                return;
            };
            DesiredOrganization::Join {
                owner,
                source: sink.source(j.pos),
            }
        }
        (None, Some(_)) => {
            let Some((name, pos)) = f.required(sink, "name") else {
                return;
            };
            let mut members = Vec::new();
            if let Some(m) = f.get("members") {
                match &m.value {
                    Value::Seq(items) => {
                        for item in items {
                            if let Some(e) = fields::email(sink, item, "members") {
                                if members.iter().any(|(x, _): &(Email, _)| *x == e) {
                                    sink.error(item.pos, Rule::O6, format!("{e} is listed twice"));
                                    continue;
                                }
                                let r = reference(Target::OrgMember, e.as_str(), "members", sink, item.pos);
                                raw.refs.push((account.clone(), r));
                                members.push((e, sink.source(item.pos)));
                            }
                        }
                    }
                    _ => sink.format(m.pos, "`members` must be a list of emails (owners or chat admins of the accounts, O5)"),
                }
            }
            DesiredOrganization::Own {
                name,
                members,
                source: sink.source(pos),
            }
        }
        (None, None) => {
            sink.format(
                f.pos,
                "an Organization needs `name` (this account owns it) or `join` (the owner's email)",
            );
            return;
        }
    };
    raw.organizations.push(Owned {
        account,
        value,
        kind: "Organization",
    });
}

/// `kind: ExternalContacts`.
pub fn read_external(doc: &Node, sink: &mut Sink<'_>, raw: &mut Raw) {
    let Some(f) = Fields::new(
        doc,
        sink,
        "ExternalContacts",
        Kind::ExternalContacts.def().fields,
    ) else {
        return;
    };
    let account = account_ref(&f, sink);
    let Some(user_node) = f.get("user") else {
        return;
    };
    let user = fields::email(sink, user_node, "user");
    let mut contacts = std::collections::BTreeSet::new();
    if let Some(n) = f.get("contacts") {
        match &n.value {
            Value::Seq(items) => {
                for item in items {
                    if let Some(e) = fields::email(sink, item, "contacts") {
                        contacts.insert(e);
                    }
                }
            }
            _ => sink.format(n.pos, "`contacts` must be a list of emails"),
        }
    }
    let prune = f
        .get("prune")
        .and_then(|n| fields::boolean(sink, n, "prune"))
        .unwrap_or(false);
    if let Some(user) = user {
        if contacts.contains(&user) {
            sink.error(
                user_node.pos,
                Rule::K2,
                format!("{user} cannot be their own contact"),
            );
        }
        let r = reference(Target::User, user.as_str(), "user", sink, user_node.pos);
        raw.refs.push((account.clone(), r));
        raw.external.push(Owned {
            account,
            value: DesiredExternalContacts {
                user,
                contacts,
                prune,
                source: sink.source(user_node.pos),
            },
            kind: "ExternalContacts",
        });
    }
}

/// `kind: PersonalContacts` with `file:` (CSV) or inline `contacts:`.
pub fn read_personal(doc: &Node, file: &FileCtx<'_>, sink: &mut Sink<'_>, raw: &mut Raw) {
    let Some(f) = Fields::new(
        doc,
        sink,
        "PersonalContacts",
        Kind::PersonalContacts.def().fields,
    ) else {
        return;
    };
    let account = account_ref(&f, sink);
    let user_node = f.get("user");
    let user = user_node.and_then(|n| fields::email(sink, n, "user"));
    if let (Some(u), Some(n)) = (&user, user_node) {
        let r = reference(Target::User, u.as_str(), "user", sink, n.pos);
        raw.refs.push((account.clone(), r));
    }
    let name = f.required(sink, "name");
    let contacts = match (f.get("file"), f.get("contacts")) {
        (Some(n), None) => {
            let Some(rel) = fields::text(sink, n, "file") else {
                return;
            };
            let path = file.dir.join(&rel);
            let shown = path
                .strip_prefix(file.root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_else(|_| rel.clone());
            match super::read_text(&path) {
                Ok(text) => {
                    let mut csv_sink = sink.other_file(&shown, "PersonalContacts", &text);
                    parse_csv(&text, &mut csv_sink)
                }
                Err(e) => {
                    sink.format(n.pos, format!("cannot read {shown}: {e}"));
                    return;
                }
            }
        }
        (None, Some(n)) => read_inline(n, sink),
        _ => {
            sink.format(
                f.pos,
                "PersonalContacts takes exactly one of `file` (CSV) or `contacts` (inline)",
            );
            return;
        }
    };
    if let (Some(user), Some((name, pos)), Some(contacts)) = (user, name, contacts) {
        raw.personal.push(Owned {
            account,
            value: DesiredContactGroup {
                user,
                name,
                contacts,
                source: sink.source(pos),
            },
            kind: "PersonalContacts",
        });
    }
}

/// Checks one contact's cells; `at(col)` locates a column. Returns the contact if valid.
fn check(
    values: [Option<String>; 8],
    sink: &mut Sink<'_>,
    at: &dyn Fn(usize) -> Pos,
    what: &str,
) -> Option<PersonalContact> {
    let mut ok = true;
    let [name, email, office, home, mobile, fax, phone, company] = values;
    if name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        sink.error(at(0), Rule::K5, format!("{what}: Name is required"));
        ok = false;
    }
    if let Some(e) = &email
        && Email::parse(e).is_err()
    {
        sink.error(
            at(1),
            Rule::K5,
            format!("{what}: Email {e:?} is not an email address"),
        );
        ok = false;
    }
    let mut phones = [office, home, mobile, fax, phone];
    for (i, p) in phones.iter_mut().enumerate() {
        if let Some(v) = p {
            // Spreadsheets put an apostrophe before `+` to keep it text: not part of the number.
            let stripped = v.strip_prefix('\'').unwrap_or(v).trim().to_string();
            if !is_e164(&stripped) {
                sink.error(at(i + 2), Rule::K5, format!("{what}: {} {v:?} is not an E.164 phone number (+, country code, area code, number; one number per field)", COLUMNS[i + 2]));
                ok = false;
            }
            *p = Some(stripped);
        }
    }
    let [office, home, mobile, fax, phone] = phones;
    ok.then(|| PersonalContact {
        name: name.unwrap_or_default().trim().to_string(),
        email,
        office,
        home,
        mobile,
        fax,
        phone,
        company,
    })
}

/// Parses a personal contacts CSV, reporting every problem (K5).
pub fn parse_csv(text: &str, sink: &mut Sink<'_>) -> Option<Vec<PersonalContact>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let pos = |row: usize, col: usize| Pos {
        line: row as u32,
        column: col as u32 + 1,
    };
    let header = match records.next() {
        Some(Ok(h)) => h,
        _ => {
            sink.error(
                pos(1, 0),
                Rule::K5,
                "the CSV needs a header row: Name,Email,Office,Home,Mobile,Fax,Phone,Company",
            );
            return None;
        }
    };
    let mut index = [None; 8];
    let mut ok = true;
    for (i, h) in header.iter().enumerate() {
        let h = h.trim_start_matches('\u{feff}');
        match COLUMNS.iter().position(|c| c.eq_ignore_ascii_case(h)) {
            Some(c) => index[c] = Some(i),
            None => {
                sink.error(
                    pos(1, i),
                    Rule::K5,
                    format!("unknown column `{h}` (columns: {})", COLUMNS.join(",")),
                );
                ok = false;
            }
        }
    }
    if index[0].is_none() {
        sink.error(pos(1, 0), Rule::K5, "the header row needs a Name column");
        return None;
    }
    let mut out = Vec::new();
    let mut rows = 0;
    for (i, rec) in records.enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                sink.error(pos(row, 0), Rule::K5, format!("unreadable row: {e}"));
                ok = false;
                continue;
            }
        };
        if rec.iter().all(str::is_empty) {
            continue;
        }
        rows += 1;
        if rows == MAX_CONTACTS + 1 {
            sink.error(
                pos(row, 0),
                Rule::K5,
                format!(
                    "row {row} is contact number {}: a file holds at most {MAX_CONTACTS} contacts",
                    MAX_CONTACTS + 1
                ),
            );
            ok = false;
        }
        let values = index.map(|c| {
            c.and_then(|c| rec.get(c))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        });
        let at = |col: usize| pos(row, index[col].unwrap_or(0));
        match check(values, sink, &at, &format!("row {row}")) {
            Some(c) => out.push(c),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn read_inline(n: &Node, sink: &mut Sink<'_>) -> Option<Vec<PersonalContact>> {
    let Value::Seq(items) = &n.value else {
        sink.format(n.pos, "`contacts` must be a list of contacts");
        return None;
    };
    if items.len() > MAX_CONTACTS {
        sink.error(
            n.pos,
            Rule::K5,
            format!(
                "{} contacts: a contact group holds at most {MAX_CONTACTS}",
                items.len()
            ),
        );
    }
    let keys: [&str; 8] = std::array::from_fn(|i| format::CONTACT_FIELDS[i].name);
    let mut out = Vec::new();
    let mut ok = items.len() <= MAX_CONTACTS;
    for item in items {
        let Some(f) = Fields::new(item, sink, "a personal contact", format::CONTACT_FIELDS) else {
            ok = false;
            continue;
        };
        let values = keys.map(|k| f.text(sink, k));
        let positions: Vec<Pos> = keys
            .iter()
            .map(|k| f.get(k).map(|n| n.pos).unwrap_or(item.pos))
            .collect();
        let at = |col: usize| positions[col];
        match check(values, sink, &at, "contact") {
            Some(c) => out.push(c),
            None => ok = false,
        }
    }
    ok.then_some(out)
}
