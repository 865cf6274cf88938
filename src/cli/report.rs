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

    /// Prints the failure on stderr, every manifest diagnostic on its own line.
    pub fn print(&self) {
        match self {
            Failure::Session(crate::session::SessionError::Manifest(d)) => {
                for diag in &d.0 {
                    eprintln!("{diag}");
                }
                eprintln!("error: {d}; nothing was planned or applied");
            }
            other => eprintln!("error: {other}"),
        }
    }
}
