//! Manifest loading: YAML/CSV files → validated [`crate::model::Desired`] values, with
//! every error located (file:line:column, or file:row:column for CSV).

use crate::model::{Desired, Rule, Source};

pub use render::render;
use std::collections::BTreeMap;
use std::path::Path;

/// Where a diagnostic points: as precise as the loader knows, never more. A problem of
/// the whole folder has no file, one of a whole file or CSV row no column.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Location {
    /// File, relative to the manifest folder (`/` separators).
    pub file: Option<String>,
    /// 1-based line (for CSV: the row as a spreadsheet shows it, header = 1).
    pub line: Option<u32>,
    /// 1-based column (for CSV: the cell, first = 1).
    pub column: Option<u32>,
}

impl Location {
    /// A point in a file.
    pub fn at(file: &str, line: u32, column: u32) -> Location {
        Location {
            file: Some(file.to_string()),
            line: Some(line),
            column: Some(column),
        }
    }
    /// A whole line (a CSV row).
    pub fn line(file: &str, line: u32) -> Location {
        Location {
            file: Some(file.to_string()),
            line: Some(line),
            column: None,
        }
    }
    /// A whole file or folder.
    pub fn file(file: &str) -> Location {
        Location {
            file: Some(file.to_string()),
            ..Location::default()
        }
    }
}

impl From<&Source> for Location {
    fn from(s: &Source) -> Location {
        Location::at(&s.file, s.line, s.column)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts = [
            self.file.clone(),
            self.line.map(|l| l.to_string()),
            self.column.map(|c| c.to_string()),
        ];
        let parts: Vec<String> = parts.into_iter().flatten().collect();
        f.write_str(&parts.join(":"))
    }
}

/// The source line a diagnostic points into, and the span under its caret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Snippet {
    /// The whole line, as written.
    pub text: String,
    /// Byte offset in `text` where the span starts.
    pub start: usize,
    /// Byte offset in `text` where the span ends (after `start`, unless the line is empty).
    pub end: usize,
}

/// One problem found in the manifests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Where.
    pub location: Location,
    /// The document's kind, when known (`User`, `UserImport`, …).
    pub kind: Option<String>,
    /// The rule broken (`Rule::Manifest` for format errors).
    pub rule: Rule,
    /// What is wrong and what to do.
    pub message: String,
    /// A hint, such as "did you mean `email`?".
    pub help: Option<String>,
    /// The line it points into, when it points into one.
    pub snippet: Option<Snippet>,
}

impl Diagnostic {
    /// A diagnostic at `location`, with no hint and no snippet yet.
    pub fn new(location: Location, kind: Option<&str>, rule: Rule, message: String) -> Self {
        Diagnostic {
            location,
            kind: kind.map(str::to_string),
            rule,
            message,
            help: None,
            snippet: None,
        }
    }
}

/// One line: `file:line:column: error[RULE] in KIND: message (hint)`; the daemon's
/// status and logs show this form, the CLI [`render`]s the snippet.
impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = self.location.to_string();
        if !at.is_empty() {
            write!(f, "{at}: ")?;
        }
        write!(f, "error[{}]", self.rule)?;
        if let Some(k) = &self.kind {
            write!(f, " in {k}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

/// Every problem found, all at once: loading never stops at the first one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} error(s) in the manifests", .0.len())]
pub struct Diagnostics(pub Vec<Diagnostic>);

/// The manifests of a repository: one [`Desired`] per declared Account, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifests {
    /// Desired state per account name.
    pub accounts: BTreeMap<String, Desired>,
}

mod account;
mod assemble;
mod calendly;
pub mod contacts;
pub mod csv_import;
pub mod fields;
pub mod format;
pub mod import;
pub mod integration;
pub mod kinds;
pub mod raw;
mod references;
pub mod render;
pub mod schema;
mod snippet;
pub mod tree;

/// Reads every `*.yaml` / `*.yml` file below `dir` (recursively, sorted, skipping names
/// that start with `.`), and returns the desired state of each account, or every problem
/// found, located, each with the line it points into.
pub fn load_dir(dir: &Path) -> Result<Manifests, Diagnostics> {
    let mut files = Vec::new();
    let mut out = Vec::new();
    collect_files(dir, &mut files, &mut out);
    files.sort();
    let mut texts = fields::Texts::new();
    // Files are parsed a window at a time (`ReadAhead`), so only a few files' trees are
    // held at once. A
    // document without `kind` is held back: it may be a simulator seed written before
    // seeds said `kind: SimulatorSeed`, which an Account names (`provider.sim.seed`); it
    // is reported once every Account has been seen.
    let mut seeds: Vec<std::path::PathBuf> = Vec::new();
    let mut kindless: Vec<(std::path::PathBuf, String, tree::Node)> = Vec::new();
    let mut raw = raw::Raw::default();
    for (path, read) in files.iter().zip(ReadAhead::new(&files)) {
        let rel = relative(path, dir);
        let mut sink = fields::Sink {
            file: &rel,
            kind: None,
            out: &mut out,
            texts: &mut texts,
        };
        let Some(docs) = take_yaml(read, &mut sink) else {
            continue;
        };
        let file = raw::FileCtx {
            rel: &rel,
            dir: path.parent().unwrap_or(dir),
            root: dir,
        };
        for doc in docs {
            seeds.extend(seed_of(&doc, path).and_then(|p| p.canonicalize().ok()));
            if !doc.is_null() && get(&doc, "kind").is_none() {
                kindless.push((path.clone(), rel.clone(), doc));
                continue;
            }
            sink.kind = None;
            kinds::read_document(&doc, &file, &mut sink, &mut raw);
        }
    }
    for (path, rel, doc) in kindless {
        if path.canonicalize().is_ok_and(|p| seeds.contains(&p)) {
            continue;
        }
        let mut sink = fields::Sink {
            file: &rel,
            kind: None,
            out: &mut out,
            texts: &mut texts,
        };
        let file = raw::FileCtx {
            rel: &rel,
            dir: path.parent().unwrap_or(dir),
            root: dir,
        };
        kinds::read_document(&doc, &file, &mut sink, &mut raw);
    }
    let accounts = assemble::assemble(raw, &mut out);
    for d in &mut out {
        snippet::attach(d, &texts);
    }
    out.sort_by(|a, b| a.location.cmp(&b.location));
    out.dedup();
    if out.is_empty() {
        Ok(Manifests { accounts })
    } else {
        Err(Diagnostics(out))
    }
}

/// The largest manifest or CSV file read (16 MiB): a company of 100,000 users fits in a
/// few MiB, and a larger file is refused before it is read whole, so memory stays bounded.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a manifest or CSV file as UTF-8, refusing files over [`MAX_FILE_BYTES`] without
/// reading more than that.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the file is larger than {} MiB, the most roster reads from one manifest or CSV file",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// `path` relative to the manifest folder, with `/` separators.
fn relative(path: &Path, dir: &Path) -> String {
    path.strip_prefix(dir)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| path.display().to_string())
}

/// Reads and parses one YAML file, keeping its text for snippets; `None` (reported) when
/// it cannot be read or parsed.
/// One file read and parsed: its text and documents, or why not.
type Read = std::io::Result<(String, Result<Vec<tree::Node>, tree::SyntaxError>)>;

fn read_yaml(path: &Path) -> Read {
    let text = read_text(path)?;
    let parsed = tree::parse(&text);
    Ok((text, parsed))
}

/// Records a file's text for snippets and its problems in `sink`; its documents.
fn take_yaml(read: Read, sink: &mut fields::Sink<'_>) -> Option<Vec<tree::Node>> {
    let (text, parsed) = match read {
        Ok(r) => r,
        Err(e) => {
            sink.whole_file(format!("cannot read the file: {e}"));
            return None;
        }
    };
    sink.texts.insert(sink.file.to_string(), text);
    match parsed {
        Ok(docs) => Some(docs),
        Err(e) => {
            sink.format(e.pos, format!("YAML syntax error: {}", e.message));
            None
        }
    }
}

/// The files read and parsed ahead, in order, a window at a time on every core: parsing
/// is most of loading (issue 15), files are independent, and a window bounds how many
/// files' trees are held at once.
struct ReadAhead<'a> {
    files: &'a [std::path::PathBuf],
    window: usize,
    ready: std::collections::VecDeque<Read>,
}

impl<'a> ReadAhead<'a> {
    fn new(files: &'a [std::path::PathBuf]) -> ReadAhead<'a> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        ReadAhead {
            files,
            window: 2 * cores.min(8),
            ready: std::collections::VecDeque::new(),
        }
    }

    fn fill(&mut self) {
        let n = self.window.min(self.files.len());
        let (now, later) = self.files.split_at(n);
        self.files = later;
        self.ready = std::thread::scope(|s| {
            let parsing: Vec<_> = now.iter().map(|p| s.spawn(|| read_yaml(p))).collect();
            parsing
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
    }
}

impl Iterator for ReadAhead<'_> {
    type Item = Read;

    fn next(&mut self) -> Option<Read> {
        if self.ready.is_empty() {
            self.fill();
        }
        self.ready.pop_front()
    }
}

fn collect_files(dir: &Path, files: &mut Vec<std::path::PathBuf>, out: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.push(Diagnostic::new(
                Location::file(&dir.display().to_string()),
                None,
                Rule::Manifest,
                format!("cannot read the folder: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, files, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
}

/// The seed file an Account document names, resolved next to its manifest.
fn seed_of(doc: &tree::Node, path: &Path) -> Option<std::path::PathBuf> {
    if get(doc, "kind")?.scalar()? != "Account" {
        return None;
    }
    let seed = get(get(get(doc, "provider")?, "sim")?, "seed")?;
    Some(path.parent()?.join(seed.scalar()?))
}

/// The value of `key` in a mapping node.
fn get<'a>(node: &'a tree::Node, key: &str) -> Option<&'a tree::Node> {
    match &node.value {
        tree::Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.scalar() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}
#[cfg(test)]
mod tests;
