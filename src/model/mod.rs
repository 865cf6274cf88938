//! Canonical domain types shared by every module.
//!
//! `model` does no I/O. Values here are already validated: an [`Email`] is lower-case and
//! well-formed, a [`UserType`] is one of the known kinds. Loading (`manifest`) and
//! observation (`provider`) both produce these types, and `plan` compares them.

mod account;
mod calendly;
mod contacts;
mod email;
mod integration;
mod object;
mod op;
pub mod progress;
mod rules;
mod user;

pub use account::*;
pub use calendly::*;
pub use contacts::*;
pub use email::*;
pub use integration::*;
pub use object::*;
pub use op::*;
pub use rules::*;
pub use user::*;

/// A point in time, always UTC. `plan` receives it as an argument; it never reads a clock.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Where a value was declared: shown in plan reasons and diagnostics (`file:line:column`).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Source {
    /// Path relative to the manifest folder, with `/` separators.
    pub file: String,
    /// 1-based line (for CSV: the row as a spreadsheet shows it, header = 1).
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Source {
    /// Builds a source location.
    pub fn new(file: impl Into<String>, line: u32, column: u32) -> Self {
        Source {
            file: file.into(),
            line,
            column,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}
