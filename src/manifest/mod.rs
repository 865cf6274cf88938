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
