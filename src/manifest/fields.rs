//! Reading typed fields out of located YAML nodes. Every failure becomes a located
//! [`Diagnostic`] pushed to the document's sink, and the reader carries on, so all the
//! problems of a repository are reported together.

use super::format::{self, FieldDef};
use super::tree::{Node, Pos, Value};
use super::{Diagnostic, Location};
use crate::model::{Email, Rule, Source};
use std::collections::BTreeMap;

/// The text of every file read, by path relative to the manifest folder: diagnostics
/// show the line they point into.
pub type Texts = BTreeMap<String, String>;

/// Where diagnostics of one document go.
pub struct Sink<'a> {
    /// File, relative to the manifest folder.
    pub file: &'a str,
    /// The document's kind, once known.
    pub kind: Option<String>,
    /// Collected diagnostics.
    pub out: &'a mut Vec<Diagnostic>,
    /// The text of every file read so far (CSV files add theirs).
    pub texts: &'a mut Texts,
}

impl Sink<'_> {
    /// Records an error at `pos`.
    pub fn error(&mut self, pos: Pos, rule: Rule, message: impl Into<String>) {
        self.push(self.location(pos), rule, message.into(), None);
    }

    /// Records an error at `pos` with a hint ("did you mean …?").
    pub fn error_help(&mut self, pos: Pos, rule: Rule, message: String, help: Option<String>) {
        self.push(self.location(pos), rule, message, help);
    }

    /// A format error at `pos`.
    pub fn format(&mut self, pos: Pos, message: impl Into<String>) {
        self.error(pos, Rule::Manifest, message)
    }

    /// An error about a whole line (a CSV row), with no column.
    pub fn line_error(&mut self, line: u32, rule: Rule, message: String) {
        let at = Location::line(self.file, line);
        self.push(at, rule, message, None);
    }

    /// A format error about the whole file.
    pub fn whole_file(&mut self, message: String) {
        let at = Location::file(self.file);
        self.push(at, Rule::Manifest, message, None);
    }

    fn push(&mut self, location: Location, rule: Rule, message: String, help: Option<String>) {
        let mut d = Diagnostic::new(location, self.kind.as_deref(), rule, message);
        d.help = help;
        self.out.push(d);
    }

    fn location(&self, pos: Pos) -> Location {
        Location::at(self.file, pos.line, pos.column)
    }

    /// The source of `pos` in this file.
    pub fn source(&self, pos: Pos) -> Source {
        Source::new(self.file, pos.line, pos.column)
    }

    /// A sink for another file read on behalf of this document (a CSV), keeping its
    /// text for snippets.
    pub fn other_file<'b>(&'b mut self, file: &'b str, kind: &str, text: &str) -> Sink<'b> {
        self.texts.insert(file.to_string(), text.to_string());
        Sink {
            file,
            kind: Some(kind.to_string()),
            out: &mut *self.out,
            texts: &mut *self.texts,
        }
    }
}

/// The entries of a mapping, checked against the fields its kind allows.
pub struct Fields<'n> {
    entries: &'n [(Node, Node)],
    /// Where the mapping starts.
    pub pos: Pos,
}

impl<'n> Fields<'n> {
    /// Reads `node` as a mapping with the fields `defs` of the format table: unknown and
    /// repeated keys are reported, with the closest known field as a hint (a typo must
    /// never be silently ignored), and so are required fields left out.
    pub fn new(
        node: &'n Node,
        sink: &mut Sink<'_>,
        what: &str,
        defs: &'static [FieldDef],
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            sink.format(
                node.pos,
                format!("{what} must be a mapping, found {}", node.shape()),
            );
            return None;
        };
        let known = format::keys(defs);
        let mut seen: Vec<&str> = Vec::new();
        for (k, _) in entries {
            let Some(key) = k.scalar() else {
                sink.format(k.pos, format!("{what}: keys must be plain names"));
                continue;
            };
            if seen.contains(&key) {
                sink.format(k.pos, format!("{what}: field `{key}` is given twice"));
            }
            seen.push(key);
            if !known.iter().any(|f| f.name == key) {
                unknown_field(sink, k.pos, key, what, &known);
            }
        }
        // A block mapping's start marker is not where a reader looks: its first key is.
        let pos = entries.first().map_or(node.pos, |(k, _)| k.pos);
        let f = Fields { entries, pos };
        for d in known.iter().filter(|d| d.required) {
            if f.get(d.name).is_none() {
                let rule = d.rule.unwrap_or(Rule::Manifest);
                sink.error(pos, rule, format!("{what} needs `{}`", d.name));
            }
        }
        Some(f)
    }

    /// The value of `key`, unless absent or null.
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.scalar() == Some(key))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    /// The position of `key` itself (for errors about a missing or whole field).
    pub fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries
            .iter()
            .find(|(k, _)| k.scalar() == Some(key))
            .map(|(k, _)| k.pos)
    }

    /// A required text field with its position (a missing one was reported by
    /// [`Fields::new`]).
    pub fn required(&self, sink: &mut Sink<'_>, key: &str) -> Option<(String, Pos)> {
        self.get(key)
            .and_then(|n| text(sink, n, key).map(|t| (t, n.pos)))
    }

    /// An optional text field.
    pub fn text(&self, sink: &mut Sink<'_>, key: &str) -> Option<String> {
        self.get(key).and_then(|n| text(sink, n, key))
    }
}

/// Reports `key`, which `what` does not have, with the closest field as a hint.
fn unknown_field(sink: &mut Sink<'_>, pos: Pos, key: &str, what: &str, known: &[&FieldDef]) {
    let names = known.iter().map(|f| f.name);
    let help = match format::did_you_mean(key, names.clone()) {
        Some(m) => format!("did you mean `{m}`?"),
        None => format!("known fields: {}", names.collect::<Vec<_>>().join(", ")),
    };
    sink.error_help(
        pos,
        Rule::Manifest,
        format!("unknown field `{key}` in {what}"),
        Some(help),
    );
}

/// The hint for a value that is not one of `allowed`: the closest, or the list.
pub fn one_of_help(value: &str, allowed: &[&str]) -> String {
    match format::did_you_mean(value, allowed.iter().copied()) {
        Some(m) => format!("did you mean `{m}`?"),
        None => format!("one of: {}", allowed.join(", ")),
    }
}

/// A scalar as text.
pub fn text(sink: &mut Sink<'_>, node: &Node, key: &str) -> Option<String> {
    match &node.value {
        Value::Scalar { text, .. } => Some(text.clone()),
        _ => {
            sink.format(
                node.pos,
                format!("`{key}` must be a value, found {}", node.shape()),
            );
            None
        }
    }
}

/// A validated, lower-cased email.
pub fn email(sink: &mut Sink<'_>, node: &Node, key: &str) -> Option<Email> {
    let raw = text(sink, node, key)?;
    match Email::parse(&raw) {
        Ok(e) => Some(e),
        Err(e) => {
            sink.format(
                node.pos,
                format!("`{key}`: {raw:?} is not a valid email address ({e})"),
            );
            None
        }
    }
}

/// `true` or `false`.
pub fn boolean(sink: &mut Sink<'_>, node: &Node, key: &str) -> Option<bool> {
    match &node.value {
        Value::Scalar { text, plain: true } if text == "true" => Some(true),
        Value::Scalar { text, plain: true } if text == "false" => Some(false),
        _ => {
            sink.format(node.pos, format!("`{key}` must be true or false"));
            None
        }
    }
}

/// A cron expression with seconds (6 or 7 fields), checked by the `cron` crate.
pub fn cron(sink: &mut Sink<'_>, node: &Node, key: &str) -> Option<String> {
    let expr = text(sink, node, key)?;
    let parts = expr.split_whitespace().count();
    if !(6..=7).contains(&parts) {
        sink.format(node.pos, format!("`{key}`: {expr:?} is not a cron expression with seconds (6 or 7 fields, e.g. \"0 */10 * * * *\")"));
        return None;
    }
    if let Err(e) = expr.parse::<cron::Schedule>() {
        sink.format(node.pos, format!("`{key}`: {expr:?} is not a valid cron expression ({e}); fields are sec min hour day-of-month month day-of-week [year], e.g. \"0 */10 * * * *\""));
        return None;
    }
    Some(expr)
}

/// A whole number ≥ 0.
pub fn count(sink: &mut Sink<'_>, node: &Node, key: &str) -> Option<u32> {
    match &node.value {
        Value::Scalar { text, plain: true } => match text.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                sink.format(
                    node.pos,
                    format!("`{key}` must be a whole number ≥ 0, found {text:?}"),
                );
                None
            }
        },
        _ => {
            sink.format(node.pos, format!("`{key}` must be a whole number ≥ 0"));
            None
        }
    }
}

/// A number (for shares such as `rateShare`).
pub fn number(sink: &mut Sink<'_>, node: &Node, key: &str) -> Option<f64> {
    match node.scalar().map(str::parse::<f64>) {
        Some(Ok(n)) if n.is_finite() => Some(n),
        _ => {
            sink.format(node.pos, format!("`{key}` must be a number"));
            None
        }
    }
}

/// A list of values, each with its position.
pub fn list(sink: &mut Sink<'_>, node: &Node, key: &str) -> Option<Vec<(String, Pos)>> {
    let Value::Seq(items) = &node.value else {
        sink.format(
            node.pos,
            format!("`{key}` must be a list, found {}", node.shape()),
        );
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for item in items {
        match text(sink, item, key) {
            Some(t) => out.push((t, item.pos)),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// A date `YYYY-MM-DD`.
pub fn date(sink: &mut Sink<'_>, node: &Node, key: &str) -> Option<chrono::NaiveDate> {
    let raw = text(sink, node, key)?;
    match chrono::NaiveDate::parse_from_str(&raw, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            sink.format(
                node.pos,
                format!("`{key}` must be a date like 2027-03-31, found {raw:?}"),
            );
            None
        }
    }
}

/// A duration such as `25d`, `36h` or `90m` (humantime's units).
pub fn duration(raw: &str) -> Option<chrono::Duration> {
    let d = humantime::parse_duration(raw.trim()).ok()?;
    chrono::Duration::from_std(d)
        .ok()
        .filter(|d| *d > chrono::Duration::zero())
}
