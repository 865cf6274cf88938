//! The edges every run needs, shared by the CLI and the daemon: the manifests loaded, the
//! state store opened, the account's provider opened. `cli` and `daemon` both call these;
//! neither reaches into the other.

use crate::manifest::{self, Diagnostics, Manifests};
use crate::model::{Desired, ProviderConfig};
use crate::provider::{Provider, ProviderError, sim::SimProvider};
use crate::store::{Store, StoreError, postgres::PgStore, sqlite::SqliteStore};
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
    /// `--store URL` names a kind of store this build cannot open.
    #[error(
        "--store {url}: not a store roster can open; use postgres://USER@HOST/DB (PostgreSQL, shared by replicas), or leave --store unset to use {default}"
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

/// Opens the state store: PostgreSQL for `--store postgres://…`, else the SQLite file
/// under `--state`.
pub async fn open_store(state: &Path, url: Option<&str>) -> Result<Arc<dyn Store>, SessionError> {
    match url {
        None => Ok(Arc::new(SqliteStore::open(state)?)),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PgStore::connect(url).await?))
        }
        Some(url) => Err(SessionError::UnsupportedStore {
            url: crate::store::postgres::redact(url),
            default: state.join("roster.db").display().to_string(),
        }),
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
        ProviderConfig::Zoom(cfg) => Ok(Arc::new(
            crate::provider::zoom::ZoomProvider::new(cfg)?
                .with_calendly(desired.calendly.as_ref())?,
        )),
    }
}
