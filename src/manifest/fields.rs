//! Reading typed fields out of located YAML nodes. Every failure becomes a located
//! [`Diagnostic`] pushed to the document's sink, and the reader carries on, so all the
//! problems of a repository are reported together.

use super::Diagnostic;
use super::tree::{Node, Pos, Value};
use crate::model::{Email, Rule, Source};

/// Where diagnostics of one document go.
pub struct Sink<'a> {
    /// File, relative to the manifest folder.
    pub file: &'a str,
    /// The document's kind, once known.
    pub kind: Option<String>,
    /// Collected diagnostics.
    pub out: &'a mut Vec<Diagnostic>,
}

impl Sink<'_> {
    /// Records an error at `pos`.
    pub fn error(&mut self, pos: Pos, rule: Rule, message: impl Into<String>) {
        self.out.push(Diagnostic {
            source: self.source(pos),
            kind: self.kind.clone(),
            rule,
            message: message.into(),
        });
    }

    /// A format error at `pos`.
    pub fn format(&mut self, pos: Pos, message: impl Into<String>) {
        self.error(pos, Rule::Manifest, message)
    }

    /// The source of `pos` in this file.
    pub fn source(&self, pos: Pos) -> Source {
        Source::new(self.file, pos.line, pos.column)
    }
}

/// The entries of a mapping, checked against the fields its kind allows.
pub struct Fields<'n> {
    entries: &'n [(Node, Node)],
    /// Where the mapping starts.
    pub pos: Pos,
}

impl<'n> Fields<'n> {
    /// Reads `node` as a mapping whose keys must be in `allowed`; unknown and repeated
    /// keys are reported (a typo must never be silently ignored).
    pub fn new(
        node: &'n Node,
        sink: &mut Sink<'_>,
        what: &str,
        allowed: &[&str],
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            sink.format(
                node.pos,
                format!("{what} must be a mapping, found {}", node.shape()),
            );
            return None;
        };
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
            if !allowed.contains(&key) {
                let hint = allowed
                    .iter()
                    .find(|a| a.eq_ignore_ascii_case(key))
                    .map(|a| format!(" (did you mean `{a}`? field names are camelCase)"))
                    .unwrap_or_else(|| format!(" (known fields: {})", allowed.join(", ")));
                sink.format(k.pos, format!("unknown field `{key}` in {what}{hint}"));
            }
        }
        Some(Fields {
            entries,
            pos: node.pos,
        })
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

    /// A required text field.
    pub fn required(&self, sink: &mut Sink<'_>, key: &str, what: &str) -> Option<(String, Pos)> {
        match self.get(key) {
            Some(n) => text(sink, n, key).map(|t| (t, n.pos)),
            None => {
                sink.format(self.pos, format!("{what} needs `{key}`"));
                None
            }
        }
    }

    /// An optional text field.
    pub fn text(&self, sink: &mut Sink<'_>, key: &str) -> Option<String> {
        self.get(key).and_then(|n| text(sink, n, key))
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

/// A duration `25d`, `36h` or `90m`.
pub fn duration(raw: &str) -> Option<chrono::Duration> {
    let (n, unit) = raw.split_at(raw.len().checked_sub(1)?);
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    match unit {
        "d" => Some(chrono::Duration::days(n)),
        "h" => Some(chrono::Duration::hours(n)),
        "m" => Some(chrono::Duration::minutes(n)),
        _ => None,
    }
}
