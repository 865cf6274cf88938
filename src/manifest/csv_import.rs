//! `UserImport`: users from a CSV file (U6). Errors name the CSV file, the row as a
//! spreadsheet shows it (the header is row 1) and the column.

use super::fields::{self, Fields, Sink};
use super::format::Kind;
use super::kinds::{addon, read_defaults, reference, user_type};
use super::raw::{FileCtx, Raw, RawUser, Target, UserFields};
use super::tree::{Node, Pos};
use crate::model::{Email, RoleName, Rule, UserField, UserSpec};

/// The user fields a CSV may carry, in the column order of the manifest format (after
/// `email`, the only required column): every [`UserField`] but `customAttributes`, which
/// has no one-cell form. The names are [`UserField::as_str`].
pub const FIELD_COLUMNS: [UserField; 11] = [
    UserField::FirstName,
    UserField::LastName,
    UserField::Type,
    UserField::Role,
    UserField::Group,
    UserField::ChatGroups,
    UserField::Department,
    UserField::Manager,
    UserField::JobTitle,
    UserField::Location,
    UserField::Addons,
];

/// A column of a user CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    /// `email`.
    Email,
    /// One of [`FIELD_COLUMNS`].
    Field(UserField),
}

impl Column {
    fn parse(name: &str) -> Option<Column> {
        if name == "email" {
            return Some(Column::Email);
        }
        UserField::parse(name)
            .filter(|f| FIELD_COLUMNS.contains(f))
            .map(Column::Field)
    }
}

/// The header row of a user CSV: `email`, then [`FIELD_COLUMNS`] (what `roster export
/// users` writes and what [`parse_csv`] accepts).
pub fn header() -> Vec<&'static str> {
    let mut v = vec!["email"];
    v.extend(FIELD_COLUMNS.map(UserField::as_str));
    v
}

/// The cell of `field` for a user with `spec`, as [`parse_csv`] reads it back (lists
/// joined with `;`, empty when not set).
pub fn cell(spec: &UserSpec, field: UserField) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    match field {
        UserField::FirstName => text(&spec.first_name),
        UserField::LastName => text(&spec.last_name),
        UserField::Type => spec
            .user_type
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        UserField::Role => spec
            .role
            .as_ref()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        UserField::Group => text(&spec.group),
        UserField::ChatGroups => spec
            .chat_groups
            .iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(";"),
        UserField::Department => text(&spec.department),
        UserField::Manager => spec
            .manager
            .as_ref()
            .map(|m| m.to_string())
            .unwrap_or_default(),
        UserField::JobTitle => text(&spec.job_title),
        UserField::Location => text(&spec.location),
        UserField::Addons => spec
            .addons
            .iter()
            .flatten()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(";"),
        // Not a column (see FIELD_COLUMNS).
        UserField::CustomAttributes => String::new(),
    }
}

/// Reads a `UserImport` document and the CSV it names.
pub fn read_import(doc: &Node, file: &FileCtx<'_>, sink: &mut Sink<'_>, raw: &mut Raw) {
    let Some(f) = Fields::new(doc, sink, "a UserImport", Kind::UserImport.def().fields) else {
        return;
    };
    let account = f
        .get("account")
        .and_then(|n| fields::text(sink, n, "account").map(|t| (t, n.pos)));
    let defaults = read_defaults(&f, sink, "UserImport", &account, raw);
    let Some((rel, pos)) = f.required(sink, "file") else {
        return;
    };
    let path = normalize(&file.dir.join(&rel));
    let shown = path
        .strip_prefix(normalize(file.root))
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| path.display().to_string());
    let text = match super::read_text(&path) {
        Ok(t) => t,
        Err(e) => {
            sink.format(pos, format!("cannot read {shown}: {e}"));
            return;
        }
    };
    let mut csv_sink = sink.other_file(&shown, "UserImport", &text);
    for (email, fields, at) in parse_csv(&text, &mut csv_sink) {
        raw.users.push(RawUser {
            account: account.clone(),
            email,
            fields: fields.over(&defaults),
            source: csv_sink.source(at),
            kind: "UserImport",
        });
    }
}

fn cell_pos(row: u32, col: usize) -> Pos {
    Pos {
        line: row,
        column: col as u32 + 1,
    }
}

/// The row of a record as a spreadsheet shows it: its line in the file (blank lines are
/// rows too).
fn row_of(rec: &csv::StringRecord, fallback: u32) -> u32 {
    rec.position()
        .and_then(|p| u32::try_from(p.line()).ok())
        .unwrap_or(fallback)
}

/// Parses the CSV text: one entry per valid row (email, fields, position of the email).
/// Every bad cell is reported; a row with any bad cell is left out.
pub fn parse_csv(text: &str, sink: &mut Sink<'_>) -> Vec<(Email, UserFields, Pos)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            sink.line_error(1, Rule::U6, format!("unreadable header row: {e}"));
            return Vec::new();
        }
        None => {
            sink.whole_file(
                "the CSV file is empty: it needs a header row with at least `email`".into(),
            );
            return Vec::new();
        }
    };
    let Some(header) = read_header(&header, sink) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, rec) in records.enumerate() {
        let fallback = u32::try_from(i + 2).unwrap_or(u32::MAX);
        match rec {
            Ok(rec) => out.extend(read_row(&rec, row_of(&rec, fallback), &header, sink)),
            Err(e) => {
                let row = e
                    .position()
                    .and_then(|p| u32::try_from(p.line()).ok())
                    .unwrap_or(fallback);
                sink.line_error(row, Rule::U6, format!("unreadable row: {e}"));
            }
        }
    }
    out
}

/// The header row, read: each column and its name as written.
struct Header {
    columns: Vec<Column>,
    names: Vec<String>,
    email: usize,
}

/// Checks the header row: known columns, none twice, `email` present. `None` (reported)
/// when the rows cannot be read.
fn read_header(header: &csv::StringRecord, sink: &mut Sink<'_>) -> Option<Header> {
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let known = self::header();
    let mut columns = Vec::new();
    for (i, c) in names.iter().enumerate() {
        match Column::parse(c) {
            Some(col) => columns.push(col),
            None => {
                let help = match super::format::did_you_mean(c, known.iter().copied()) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => format!("columns: {}", known.join(",")),
                };
                let msg = format!("unknown column `{c}`");
                sink.error_help(cell_pos(1, i), Rule::U6, msg, Some(help));
            }
        }
        if names[..i].contains(c) {
            sink.error(
                cell_pos(1, i),
                Rule::U6,
                format!("column `{c}` appears twice"),
            );
        }
    }
    let Some(email) = names.iter().position(|c| c == "email") else {
        sink.line_error(1, Rule::U6, "the header row needs an `email` column".into());
        return None;
    };
    let header_ok = columns.len() == names.len()
        && names
            .iter()
            .enumerate()
            .all(|(i, c)| !names[..i].contains(c));
    header_ok.then_some(Header {
        columns,
        names,
        email,
    })
}

/// Reads one data row; `None` when it is blank, has as many cells as the header names
/// columns (short and long rows alike), or has a bad cell (reported).
fn read_row(
    rec: &csv::StringRecord,
    row: u32,
    header: &Header,
    sink: &mut Sink<'_>,
) -> Option<(Email, UserFields, Pos)> {
    if rec.iter().all(str::is_empty) {
        return None;
    }
    if rec.len() != header.columns.len() {
        let msg = format!(
            "row has {} cells, the header has {} ({})",
            rec.len(),
            header.columns.len(),
            header.names.join(",")
        );
        sink.line_error(row, Rule::U6, msg);
        return None;
    }
    let before = sink.out.len();
    let mut fields = UserFields::default();
    let mut email = None;
    for (col, value) in rec.iter().enumerate() {
        if value.is_empty() {
            continue;
        }
        let at = cell_pos(row, col);
        match header.columns[col] {
            Column::Email => match Email::parse(value) {
                Ok(e) => email = Some(e),
                Err(e) => sink.format(
                    at,
                    format!("column `email`: {value:?} is not a valid email address ({e})"),
                ),
            },
            Column::Field(f) => read_cell(&mut fields, f, value, at, sink),
        }
    }
    if email.is_none() && rec.get(header.email).is_none_or(str::is_empty) {
        let msg = "column `email` is required on every row";
        sink.error(cell_pos(row, header.email), Rule::U6, msg);
    }
    if sink.out.len() != before {
        return None;
    }
    email.map(|e| (e, fields, cell_pos(row, header.email)))
}

/// Reads one non-empty cell of a user field (lists separated by `;`), noting the names
/// it references.
fn read_cell(out: &mut UserFields, field: UserField, value: &str, at: Pos, sink: &mut Sink<'_>) {
    let list = || {
        value
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let key = field.as_str();
    let text = || Some(value.to_string());
    let s = &mut out.spec;
    match field {
        UserField::FirstName => s.first_name = text(),
        UserField::LastName => s.last_name = text(),
        UserField::Type => s.user_type = user_type(value, "type", at, sink),
        UserField::Role => {
            s.role = Some(RoleName::parse(value));
            if let Some(RoleName::Custom(r)) = &s.role {
                out.refs.push(reference(Target::Role, r, key, sink, at));
            }
        }
        UserField::Group => {
            s.group = text();
            out.refs
                .push(reference(Target::Group, value, key, sink, at));
        }
        UserField::ChatGroups => {
            s.chat_groups = Some(list().collect());
            for g in list() {
                out.refs
                    .push(reference(Target::ChatGroup, &g, key, sink, at));
            }
        }
        UserField::Department => s.department = text(),
        UserField::Manager => match Email::parse(value) {
            Ok(e) => {
                out.refs
                    .push(reference(Target::User, e.as_str(), key, sink, at));
                s.manager = Some(e);
            }
            Err(e) => sink.format(
                at,
                format!("column `manager`: {value:?} is not a valid email address ({e})"),
            ),
        },
        UserField::JobTitle => s.job_title = text(),
        UserField::Location => s.location = text(),
        UserField::Addons => {
            s.addons = Some(list().filter_map(|a| addon(&a, at, sink)).collect());
        }
        // Never a column: Column::parse refuses it.
        UserField::CustomAttributes => {}
    }
}

/// Removes `.` and `..` components without touching the file system, so a CSV named
/// `../people/x.csv` shows as `people/x.csv` in messages.
fn normalize(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Addon, UserType};

    #[test]
    fn csv_columns_are_every_user_field_but_custom_attributes_once() {
        for f in UserField::ALL {
            let n = FIELD_COLUMNS.iter().filter(|c| **c == f).count();
            let expected = usize::from(f != UserField::CustomAttributes);
            assert_eq!(n, expected, "{} in FIELD_COLUMNS", f.as_str());
        }
    }

    #[test]
    fn exported_cells_read_back_as_the_same_user() {
        let spec = UserSpec {
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            user_type: Some(UserType::Licensed),
            addons: Some([Addon::Webinar, Addon::LargeMeeting].into()),
            role: Some(RoleName::Admin),
            group: Some("eng".into()),
            chat_groups: Some(["a".to_string(), "b".to_string()].into()),
            department: Some("R&D".into()),
            manager: Email::parse("boss@acme.com").ok(),
            job_title: Some("CTO".into()),
            location: Some("London".into()),
            custom_attributes: None,
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header()).unwrap();
        let mut row = vec!["ada@acme.com".to_string()];
        row.extend(FIELD_COLUMNS.iter().map(|f| cell(&spec, *f)));
        w.write_record(row).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let mut out = Vec::new();
        let mut texts = super::super::fields::Texts::new();
        let mut sink = Sink {
            file: "x.csv",
            kind: None,
            out: &mut out,
            texts: &mut texts,
        };
        let users = parse_csv(&text, &mut sink);
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].1.spec, spec);
    }
}
