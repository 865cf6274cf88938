//! The edges every run needs, shared by the CLI and the daemon: the manifests loaded, the
//! state store opened, the account's provider opened. `cli` and `daemon` both call these;
//! neither reaches into the other.

use crate::manifest::{self, Diagnostics, Manifests};
use crate::model::{Desired, ProviderConfig};
use crate::provider::{Provider, ProviderError, sim::SimProvider};
use crate::store::{Store, StoreError, sqlite::SqliteStore};
use std::path::Path;
use std::sync::Arc;

/// Why the edges of a run could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The manifest folder is not a folder.
    #[error("{0}: not a folder of manifests")]
    NotAFolder(String),
    /// The manifests have errors (every diagnostic, with its location).
    #[error("{0}")]
    Manifest(Diagnostics),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `--store URL` names a store this build cannot open.
    #[error(
        "--store {url}: only the embedded SQLite store is available in this version; leave --store unset to use {default}"
    )]
    UnsupportedStore {
        /// The URL with any credentials redacted.
        url: String,
        /// Where the embedded store lives.
        default: String,
    },
    /// The provider could not be opened.
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

/// Loads the manifests, or fails with every diagnostic.
pub fn load(dir: &Path) -> Result<Manifests, SessionError> {
    if !dir.is_dir() {
        return Err(SessionError::NotAFolder(dir.display().to_string()));
    }
    manifest::load_dir(dir).map_err(SessionError::Manifest)
}

/// Opens the state store (`--store` URL or the SQLite file under `--state`).
pub fn open_store(state: &Path, url: Option<&str>) -> Result<Arc<dyn Store>, SessionError> {
    if let Some(url) = url {
        return Err(SessionError::UnsupportedStore {
            url: redact_url(url),
            default: state.join("roster.db").display().to_string(),
        });
    }
    Ok(Arc::new(SqliteStore::open(state)?))
}

/// A store URL with its user and password left out, for messages.
fn redact_url(url: &str) -> String {
    match url.split_once('@') {
        Some((_, host)) => format!("…@{host}"),
        None => url.to_string(),
    }
}

/// Opens the account's provider.
pub fn open_provider(desired: &Desired, state: &Path) -> Result<Arc<dyn Provider>, SessionError> {
    match &desired.account.provider {
        ProviderConfig::Sim(cfg) => {
            let id = cfg
                .account_id
                .clone()
                .unwrap_or_else(|| desired.account.name.clone());
            let p = SimProvider::open(
                state,
                &id,
                &desired.account.owner,
                cfg.seed.as_deref(),
                cfg.act_as.clone(),
                cfg.latency,
            )?;
            Ok(Arc::new(p))
        }
        ProviderConfig::Zoom(cfg) => Ok(Arc::new(crate::provider::zoom::ZoomProvider::new(cfg)?)),
    }
}
