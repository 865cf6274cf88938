//! `UserImport`: users from a CSV file (U6). Errors name the CSV file, the row as a
//! spreadsheet shows it (the header is row 1) and the column.

use super::fields::{self, Fields, Sink};
use super::kinds::read_defaults;
use super::raw::{FileCtx, Raw, RawUser, UserFields};
use super::tree::{Node, Pos};
use crate::model::{Addon, Email, RoleName, Rule, UserType};

/// The columns a user CSV may have; only `email` is required.
pub const COLUMNS: [&str; 12] = [
    "email",
    "firstName",
    "lastName",
    "type",
    "role",
    "group",
    "chatGroups",
    "department",
    "manager",
    "jobTitle",
    "location",
    "addons",
];

/// Reads a `UserImport` document and the CSV it names.
pub fn read_import(doc: &Node, file: &FileCtx<'_>, sink: &mut Sink<'_>, raw: &mut Raw) {
    let Some(f) = Fields::new(
        doc,
        sink,
        "UserImport",
        &["kind", "account", "file", "defaults"],
    ) else {
        return;
    };
    let account = f
        .get("account")
        .and_then(|n| fields::text(sink, n, "account").map(|t| (t, n.pos)));
    let defaults = read_defaults(&f, sink, "UserImport");
    let Some((rel, pos)) = f.required(sink, "file", "a UserImport") else {
        return;
    };
    let path = normalize(&file.dir.join(&rel));
    let shown = path
        .strip_prefix(normalize(file.root))
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| path.display().to_string());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            sink.format(pos, format!("cannot read {shown}: {e}"));
            return;
        }
    };
    let mut csv_sink = Sink {
        file: &shown,
        kind: Some("UserImport".into()),
        out: &mut *sink.out,
    };
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

fn cell_pos(row: usize, col: usize) -> Pos {
    Pos {
        line: row as u32,
        column: col as u32 + 1,
    }
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
            sink.format(cell_pos(1, 0), format!("unreadable header row: {e}"));
            return Vec::new();
        }
        None => {
            sink.format(
                cell_pos(1, 0),
                "the CSV file is empty: it needs a header row with at least `email`",
            );
            return Vec::new();
        }
    };
    let columns: Vec<String> = header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let mut header_ok = true;
    for (i, c) in columns.iter().enumerate() {
        if !COLUMNS.contains(&c.as_str()) {
            header_ok = false;
            let hint = COLUMNS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(c))
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_else(|| format!(" (columns: {})", COLUMNS.join(",")));
            sink.format(cell_pos(1, i), format!("unknown column `{c}`{hint}"));
        }
        if columns[..i].contains(c) {
            header_ok = false;
            sink.format(cell_pos(1, i), format!("column `{c}` appears twice"));
        }
    }
    let Some(email_col) = columns.iter().position(|c| c == "email") else {
        sink.format(cell_pos(1, 0), "the header row needs an `email` column");
        return Vec::new();
    };
    if !header_ok {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, rec) in records.enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                sink.format(cell_pos(row, 0), format!("unreadable row: {e}"));
                continue;
            }
        };
        if rec.iter().all(str::is_empty) {
            continue;
        }
        if rec.len() > columns.len() {
            sink.format(
                cell_pos(row, columns.len()),
                format!(
                    "row has {} cells but the header names {} columns",
                    rec.len(),
                    columns.len()
                ),
            );
            continue;
        }
        let before = sink.out.len();
        let mut fields = UserFields::default();
        let mut email = None;
        for (col, value) in rec.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            let at = cell_pos(row, col);
            let list = || {
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let s = &mut fields.spec;
            match columns[col].as_str() {
                "email" => match Email::parse(value) {
                    Ok(e) => email = Some(e),
                    Err(e) => sink.format(
                        at,
                        format!("`email`: {value:?} is not a valid email address ({e})"),
                    ),
                },
                "firstName" => s.first_name = Some(value.to_string()),
                "lastName" => s.last_name = Some(value.to_string()),
                "type" => match UserType::parse(value) {
                    Some(t) => s.user_type = Some(t),
                    None => sink.error(
                        at,
                        Rule::U2,
                        format!("`type`: {value:?} is not a user type (basic, licensed, on-prem)"),
                    ),
                },
                "role" => s.role = Some(RoleName::parse(value)),
                "group" => s.group = Some(value.to_string()),
                "chatGroups" => s.chat_groups = Some(list().collect()),
                "department" => s.department = Some(value.to_string()),
                "manager" => match Email::parse(value) {
                    Ok(e) => s.manager = Some(e),
                    Err(e) => sink.format(
                        at,
                        format!("`manager`: {value:?} is not a valid email address ({e})"),
                    ),
                },
                "jobTitle" => s.job_title = Some(value.to_string()),
                "location" => s.location = Some(value.to_string()),
                "addons" => {
                    let mut set = std::collections::BTreeSet::new();
                    for a in list() {
                        match Addon::parse(&a) {
                            Some(a) => {
                                set.insert(a);
                            }
                            None => sink.error(
                                at,
                                Rule::U3,
                                format!(
                                    "`addons`: {a:?} is not an add-on (large-meeting, webinar)"
                                ),
                            ),
                        }
                    }
                    s.addons = Some(set);
                }
                _ => {}
            }
        }
        if email.is_none() && rec.get(email_col).is_none_or(str::is_empty) {
            sink.format(cell_pos(row, email_col), "`email` is required on every row");
        }
        if sink.out.len() == before
            && let Some(e) = email
        {
            out.push((e, fields, cell_pos(row, email_col)));
        }
    }
    out
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
