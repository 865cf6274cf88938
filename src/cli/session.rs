//! The edges a command needs: manifests loaded, store opened, provider opened, the
//! account observed. Every I/O of `plan` and `apply` goes through here.

use super::report::Failure;
use crate::manifest::{self, Manifests};
use crate::model::{Desired, Observed, ProviderConfig};
use crate::provider::{Provider, sim::SimProvider};
use crate::store::{Store, sqlite::SqliteStore};
use std::path::Path;
use std::sync::Arc;

/// Loads the manifests, or fails with every diagnostic.
pub fn load(dir: &Path) -> Result<Manifests, Failure> {
    if !dir.is_dir() {
        return Err(Failure::msg(format!(
            "{}: not a folder of manifests",
            dir.display()
        )));
    }
    manifest::load_dir(dir).map_err(Failure::Manifest)
}

/// Opens the state store (`--store` URL or the SQLite file under `--state`).
pub fn open_store(state: &Path, url: Option<&str>) -> Result<Arc<dyn Store>, Failure> {
    if let Some(url) = url {
        return Err(Failure::msg(format!(
            "--store {}: only the embedded SQLite store is available in this version; leave --store unset to use {}",
            redact_url(url),
            state.join("roster.db").display()
        )));
    }
    Ok(Arc::new(SqliteStore::open(state)?))
}

fn redact_url(url: &str) -> String {
    match url.split_once('@') {
        Some((_, host)) => format!("…@{host}"),
        None => url.to_string(),
    }
}

/// Opens the account's provider.
pub fn open_provider(desired: &Desired, state: &Path) -> Result<Arc<dyn Provider>, Failure> {
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
            )?;
            Ok(Arc::new(p))
        }
        ProviderConfig::Zoom(cfg) => Ok(Arc::new(crate::provider::zoom::ZoomProvider::new(cfg)?)),
    }
}

/// Observes the account and stores the snapshot (see [`crate::reconcile::observe`]).
pub async fn observe(
    desired: &Desired,
    provider: &dyn Provider,
    store: &dyn Store,
) -> Result<Observed, Failure> {
    Ok(crate::reconcile::observe(desired, provider, store).await?.0)
}
