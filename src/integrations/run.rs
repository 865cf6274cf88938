//! One sync run of one integration (K4): lease, credentials, the two sides, the engine,
//! one commit of the status table with its cursors.

use super::oauth::{Grant, OAuthError};
use super::vault::{Vault, VaultError};
use crate::model::{DesiredIntegration, IntegrationCredentials, SecretRef};
use crate::store::{Store, StoreError};
use crate::sync::{ContactSource, ListError, PlanOptions, StatusTable, SyncReport, run_once};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a sync run holds its integration's lease without renewing it.
const LEASE_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// The two sides of one integration, opened for one run.
pub struct OpenSides {
    /// The user's Zoom personal contacts.
    pub zoom: Box<dyn ContactSource>,
    /// The external service's contacts.
    pub external: Box<dyn ContactSource>,
}

/// Where a provider's sync sides come from: the simulator's in-process fakes, or the
/// real services over HTTP. The runner is the same for both.
#[async_trait]
pub trait Sides: Send + Sync {
    /// Exchanges the user's refresh token for an access token (and maybe a new refresh
    /// token) at the service's token endpoint.
    async fn refresh(
        &self,
        integration: &DesiredIntegration,
        refresh_token: &str,
    ) -> Result<Grant, OAuthError>;
    /// Opens both sides with the access token of this run.
    fn open(
        &self,
        integration: &DesiredIntegration,
        access_token: &str,
    ) -> Result<OpenSides, RunError>;
    /// Whether the Zoom side can be read (the simulator) or is write-only (real Zoom has
    /// no documented read of personal contacts: the sync is then one-way, external →
    /// Zoom).
    fn two_way(&self) -> bool;
}

/// Why a run did not happen (a failed write is not one: it is an item's result).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The integration has no credentials: Zoom syncs it alone.
    #[error("{0} has no credentials: roster is not its sync engine")]
    NoCredentials(crate::model::Email),
    /// The user must authorise again (`invalid_grant`, now or on an earlier run).
    #[error(
        "{user}'s {service} authorisation was refused (invalid_grant): {user} must re-authorise (Zoom app > Settings > Calendar and Contacts Integration), then update the manifest's refresh token"
    )]
    NeedsReauth {
        /// The user.
        user: crate::model::Email,
        /// The service.
        service: crate::model::IntegrationService,
    },
    /// The credentials could not be read or kept.
    #[error("{0}")]
    Credentials(String),
    /// Sealing the refresh token failed (no key, wrong key).
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The token endpoint failed otherwise.
    #[error(transparent)]
    OAuth(OAuthError),
    /// The store failed (a lease held elsewhere included).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A side's listing failed: nothing was written.
    #[error(transparent)]
    List(#[from] ListError),
    /// The saved status table is unreadable.
    #[error("the saved sync state of {scope} is unreadable: {error}")]
    State {
        /// The scope.
        scope: String,
        /// Why.
        error: String,
    },
}

/// The lease and row name of one integration's sync.
pub fn scope(account: &str, integration: &DesiredIntegration) -> String {
    format!("{account}/integration/{}", integration.user)
}

/// What the store keeps of an integration's refresh token, sealed as a whole: the newest
/// token, and a fingerprint of the manifest's token it descends from (a new manifest
/// token is a re-authorisation and wins). `token: None` records an `invalid_grant`, so
/// the next run does not ask again with the same refused token (no retry loop).
#[derive(Serialize, Deserialize)]
struct KeptToken {
    bootstrap: String,
    token: Option<String>,
}

fn fingerprint(token: &str) -> String {
    hex::encode(&Sha256::digest(token.as_bytes())[..12])
}

fn resolve(what: &str, s: &SecretRef) -> Result<String, RunError> {
    crate::provider::zoom::resolve_secret(what, s).map_err(|e| RunError::Credentials(e.to_string()))
}

/// The runs of one sync, with the store and the vault they keep state in.
pub struct Runner<'a> {
    /// The store (status tables, sealed tokens, leases).
    pub store: &'a dyn Store,
    /// The operator's key, if given (needed once a refresh token must be kept).
    pub vault: Option<Vault>,
    /// Who runs (the lease holder's name).
    pub holder: String,
}

impl Runner<'_> {
    /// Runs `integration`'s sync once through `sides`.
    pub async fn run(
        &self,
        account: &str,
        integration: &DesiredIntegration,
        sides: &dyn Sides,
        opts: &PlanOptions,
    ) -> Result<SyncReport, RunError> {
        let scope = scope(account, integration);
        let lease = self.store.acquire(&scope, &self.holder, LEASE_TTL).await?;
        let out = self.run_held(&lease, integration, sides, opts).await;
        let released = self.store.release(&lease).await;
        let report = out?;
        released?;
        Ok(report)
    }

    async fn run_held(
        &self,
        lease: &crate::store::Lease,
        integration: &DesiredIntegration,
        sides: &dyn Sides,
        opts: &PlanOptions,
    ) -> Result<SyncReport, RunError> {
        let access = self.access_token(lease, integration, sides).await?;
        let mut open = sides.open(integration, &access)?;
        let table = self.load_table(&lease.account).await?;
        let (table, report) =
            run_once(open.zoom.as_mut(), open.external.as_mut(), &table, opts).await?;
        let text = serde_json::to_string(&table).map_err(|e| RunError::State {
            scope: lease.account.clone(),
            error: e.to_string(),
        })?;
        self.store.save_sync_state(lease, &text).await?;
        Ok(report)
    }

    async fn load_table(&self, scope: &str) -> Result<StatusTable, RunError> {
        match self.store.load_sync_state(scope).await? {
            None => Ok(StatusTable::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| RunError::State {
                scope: scope.to_string(),
                error: e.to_string(),
            }),
        }
    }

    /// The access token of this run: the newest kept refresh token (or the manifest's),
    /// exchanged; a replaced refresh token is sealed and saved before anything else.
    async fn access_token(
        &self,
        lease: &crate::store::Lease,
        integration: &DesiredIntegration,
        sides: &dyn Sides,
    ) -> Result<String, RunError> {
        let what = format!(
            "CalendarContactIntegration {} credentials",
            integration.user
        );
        let bootstrap = match &integration.credentials {
            Some(IntegrationCredentials::OAuth { refresh_token }) => resolve(&what, refresh_token)?,
            Some(IntegrationCredentials::Exchange { password, .. }) => {
                return resolve(&what, password);
            }
            None => return Err(RunError::NoCredentials(integration.user.clone())),
        };
        let print = fingerprint(&bootstrap);
        let kept = self.kept(lease, &print).await?;
        let refused = || RunError::NeedsReauth {
            user: integration.user.clone(),
            service: integration.service,
        };
        let token = match kept {
            Some(KeptToken { token: None, .. }) => return Err(refused()),
            Some(KeptToken { token: Some(t), .. }) => t,
            None => bootstrap,
        };
        match sides.refresh(integration, &token).await {
            Ok(grant) => {
                if let Some(new) = grant.refresh_token.as_ref().filter(|n| **n != token) {
                    self.keep(lease, &print, Some(new)).await?;
                }
                Ok(grant.access_token)
            }
            Err(OAuthError::InvalidGrant(_)) => {
                // Recorded so that the same refused token is not sent again; without a
                // key nothing can be recorded and the next run is refused again, once.
                if self.vault.is_some() {
                    self.keep(lease, &print, None).await?;
                }
                Err(refused())
            }
            Err(e) => Err(RunError::OAuth(e)),
        }
    }

    async fn kept(
        &self,
        lease: &crate::store::Lease,
        print: &str,
    ) -> Result<Option<KeptToken>, RunError> {
        let Some(sealed) = self.store.load_credential(&lease.account).await? else {
            return Ok(None);
        };
        let vault = self.vault.as_ref().ok_or(VaultError::NoKey)?;
        let clear = vault.open(&lease.account, &sealed)?;
        let kept: KeptToken =
            serde_json::from_str(&clear).map_err(|_| VaultError::Undecryptable {
                scope: lease.account.clone(),
            })?;
        Ok((kept.bootstrap == print).then_some(kept))
    }

    async fn keep(
        &self,
        lease: &crate::store::Lease,
        print: &str,
        token: Option<&String>,
    ) -> Result<(), RunError> {
        let vault = self.vault.as_ref().ok_or(VaultError::NoKey)?;
        let kept = KeptToken {
            bootstrap: print.to_string(),
            token: token.cloned(),
        };
        let clear = serde_json::to_string(&kept).expect("two strings serialise");
        let sealed = vault.seal(&lease.account, &clear);
        Ok(self.store.save_credential(lease, &sealed).await?)
    }
}
