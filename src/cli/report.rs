//! How a command fails: one error type for the edge, rendered for people on stderr.

use crate::apply::ApplyError;
use crate::provider::ProviderError;
use crate::store::StoreError;

/// A command's failure. Exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The manifests could not be loaded, or the store or provider opened.
    #[error(transparent)]
    Session(#[from] crate::session::SessionError),
    /// The provider failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Apply could not run.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// A reconcile failed.
    #[error(transparent)]
    Reconcile(#[from] crate::reconcile::ReconcileError),
    /// Anything else, already worded for the user.
    #[error("{0}")]
    Message(String),
}

impl Failure {
    /// A plain message.
    pub fn msg(m: impl Into<String>) -> Failure {
        Failure::Message(m.into())
    }

    /// Prints the failure on stderr: each manifest diagnostic with its snippet (styled
    /// when `color`), then the count.
    pub fn print(&self, color: bool) {
        match self {
            Failure::Session(crate::session::SessionError::Manifest(d)) => {
                print_diagnostics(d, color);
                eprintln!("error: {d}; nothing was planned or applied");
            }
            other => eprintln!("error: {other}"),
        }
    }
}

/// Every diagnostic rendered with its snippet, one blank line apart.
pub fn print_diagnostics(d: &crate::manifest::Diagnostics, color: bool) {
    for diag in &d.0 {
        eprintln!("{}", crate::manifest::render(diag, color));
    }
}
