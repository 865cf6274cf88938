//! Manifest loading: YAML/CSV files → validated [`crate::model::Desired`] values, with
//! every error located (file:line:column, or file:row:column for CSV).

use crate::model::{Desired, Rule, Source};
use std::collections::BTreeMap;
use std::path::Path;

/// One problem found in the manifests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Where (file relative to the manifest folder, line/row and column).
    pub source: Source,
    /// The document's kind, when known (`User`, `UserImport`, …).
    pub kind: Option<String>,
    /// The rule broken (`Rule::Manifest` for format errors).
    pub rule: Rule,
    /// What is wrong and what to do.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: error[{}]", self.source, self.rule)?;
        if let Some(k) = &self.kind {
            write!(f, " in {k}")?;
        }
        write!(f, ": {}", self.message)
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

mod assemble;
pub mod contacts;
pub mod csv_import;
pub mod fields;
pub mod kinds;
pub mod raw;
pub mod tree;

/// Reads every `*.yaml` / `*.yml` file below `dir` (recursively, sorted, skipping names
/// that start with `.`), and returns the desired state of each account, or every problem
/// found, located.
pub fn load_dir(dir: &Path) -> Result<Manifests, Diagnostics> {
    let mut files = Vec::new();
    let mut out = Vec::new();
    collect_files(dir, &mut files, &mut out);
    files.sort();
    // Documents are read file by file so only one file's tree is held at a time. A
    // document without `kind` is held back: it may be the simulator seed an Account names
    // (`provider.sim.seed`), which is not a manifest; it is reported once every Account
    // has been seen.
    let mut seeds: Vec<std::path::PathBuf> = Vec::new();
    let mut kindless: Vec<(std::path::PathBuf, String, tree::Node)> = Vec::new();
    let mut raw = raw::Raw::default();
    for path in &files {
        let rel = path
            .strip_prefix(dir)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| path.display().to_string());
        let mut sink = fields::Sink {
            file: &rel,
            kind: None,
            out: &mut out,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                sink.format(
                    tree::Pos { line: 1, column: 1 },
                    format!("cannot read the file: {e}"),
                );
                continue;
            }
        };
        let docs = match tree::parse(&text) {
            Ok(docs) => docs,
            Err(e) => {
                sink.format(e.pos, format!("YAML syntax error: {}", e.message));
                continue;
            }
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
        };
        let file = raw::FileCtx {
            rel: &rel,
            dir: path.parent().unwrap_or(dir),
            root: dir,
        };
        kinds::read_document(&doc, &file, &mut sink, &mut raw);
    }
    let accounts = assemble::assemble(raw, &mut out);
    out.sort_by(|a, b| a.source.cmp(&b.source));
    if out.is_empty() {
        Ok(Manifests { accounts })
    } else {
        Err(Diagnostics(out))
    }
}

fn collect_files(dir: &Path, files: &mut Vec<std::path::PathBuf>, out: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.push(Diagnostic {
                source: Source::new(dir.display().to_string(), 1, 1),
                kind: None,
                rule: Rule::Manifest,
                message: format!("cannot read the folder: {e}"),
            });
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
