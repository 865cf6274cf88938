//! The embedded simulator: a Zoom cloud of several accounts and individual users, kept in
//! `state/sim.json`, with its own clock. It is the default provider, so roster runs and is
//! tested without credentials or network. It enforces the `[sim]` rules of
//! `spec/domain-rules.md` and answers with Zoom's error codes; see docs/simulator.md.

pub mod cloud;
mod contacts;
pub use contacts::calendly;
pub use contacts::integration;
pub use contacts::sync_side::{self as contact_side, SimZoomContacts};
pub mod engine;
pub mod google;
pub mod graph;
pub mod log;
mod observe;
pub mod oob;
mod persist;
pub use persist::{CloudFile, LOCK_FILE, STATE_FILE, SyncedCloud};
pub mod serve;
#[cfg(test)]
mod tests;

use crate::model::Op;
use crate::model::{Email, ExistingZoomUser, Observed};
use crate::provider::{Provider, ProviderError};
use async_trait::async_trait;
use cloud::{Cloud, SimAccount, SimUser};
use engine::Actor;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The `kind` a seed file may carry (docs/simulator.md): the manifest loader skips
/// documents of this kind whatever the provider.
pub const SEED_KIND: &str = "SimulatorSeed";

/// Reads a seed file (YAML, the shape of [`Cloud`] with most fields optional).
pub fn read_seed(path: &Path) -> Result<Cloud, ProviderError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ProviderError::Config(format!("seed {}: {e}", path.display())))?;
    let bad = |e: String| ProviderError::Config(format!("seed {}: {e}", path.display()));
    let mut value: serde_yaml::Value =
        serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    // A seed kept beside the manifests says `kind: SimulatorSeed`, so that the manifest
    // loader never reads it as a manifest; the simulator needs no kind.
    if let Some(map) = value.as_mapping_mut()
        && let Some(kind) = map.remove("kind")
        && kind.as_str() != Some(SEED_KIND)
    {
        return Err(bad(format!(
            "`kind: {}` is not a simulator seed (`kind: {SEED_KIND}`)",
            kind.as_str().unwrap_or("?")
        )));
    }
    let mut cloud: Cloud = serde_yaml::from_value(value).map_err(|e| bad(e.to_string()))?;
    for a in &cloud.accounts {
        if a.custom_attributes.len() > engine::MAX_CUSTOM_ATTRIBUTES {
            return Err(ProviderError::Config(format!(
                "seed {}: account {} defines {} custom attributes; U11 allows at most {}",
                path.display(),
                a.id,
                a.custom_attributes.len(),
                engine::MAX_CUSTOM_ATTRIBUTES
            )));
        }
    }
    cloud.normalize();
    cloud.record("", "seed", "seed", None, Some(path.display().to_string()));
    Ok(cloud)
}

/// The simulator as a [`Provider`] for one account, acting as one user.
#[derive(Debug)]
pub struct SimProvider {
    cloud: std::sync::Arc<SyncedCloud>,
    account: String,
    actor: Email,
    delay: Option<std::time::Duration>,
    calls: AtomicU64,
}

impl SimProvider {
    /// Opens the simulated cloud under `state_dir`. The first time, it is created from
    /// `seed` (or, without one, holds just this account with its owner). An account
    /// missing from an existing cloud is added the same way. roster acts as `act_as`, or
    /// the account owner; each operation takes `latency` (`provider.sim.latencyMs`).
    pub fn open(
        state_dir: &Path,
        account_id: &str,
        owner: &Email,
        seed: Option<&Path>,
        act_as: Option<Email>,
        latency: Option<std::time::Duration>,
    ) -> Result<SimProvider, ProviderError> {
        let init = || match seed {
            Some(seed) => read_seed(seed),
            None => Ok(Cloud::new(chrono::Utc::now())),
        };
        let (cloud, account_owner) = SyncedCloud::open(CloudFile::new(state_dir), init, |cloud| {
            let added = cloud.account_index(account_id).is_none();
            if added {
                cloud.accounts.push(empty_account(account_id, owner));
                cloud.normalize();
            }
            let i = cloud.account_index(account_id).unwrap_or_default();
            (cloud.accounts[i].owner.clone(), added)
        })?;
        Ok(SimProvider {
            cloud: std::sync::Arc::new(cloud),
            account: account_id.to_string(),
            actor: act_as.unwrap_or(account_owner),
            delay: latency,
            calls: AtomicU64::new(0),
        })
    }

    /// The simulated cloud this provider acts on, shared with the in-process sides of a
    /// contact sync (K4), which read and change the same state as the provider.
    pub fn cloud_handle(&self) -> std::sync::Arc<SyncedCloud> {
        self.cloud.clone()
    }

    /// The simulated account's id.
    pub fn account_id(&self) -> &str {
        &self.account
    }

    fn count(&self, n: u64) {
        self.calls.fetch_add(n, Ordering::Relaxed);
    }
}

fn empty_account(id: &str, owner: &Email) -> SimAccount {
    let mut u = SimUser::new(owner.clone());
    u.user_type = crate::model::UserType::Licensed;
    u.role = crate::model::RoleName::Owner;
    SimAccount {
        id: id.to_string(),
        owner: owner.clone(),
        plan: crate::model::AccountPlan::Business,
        seats: Default::default(),
        on_prem: false,
        custom_attributes: Vec::new(),
        zoom_rooms: 0,
        groups: Vec::new(),
        chat_groups: Vec::new(),
        roles: Vec::new(),
        users: vec![u],
        expired_invitations: BTreeMap::new(),
        channels: Vec::new(),
        personal_contacts_enabled: true,
        personal_contacts: BTreeMap::new(),
        integrations: BTreeMap::new(),
        integration_defaults: Default::default(),
        calendly: None,
    }
}

#[async_trait]
impl Provider for SimProvider {
    fn release_caches(&self) {
        self.cloud.evict();
    }

    async fn refresh(&self) -> Result<Observed, ProviderError> {
        // Read the file as it is now: people may have acted through `roster sim` since.
        let (observed, calls) = self
            .cloud
            .read(|cloud| observe::observe(cloud, &self.account, &self.actor))??;
        self.count(calls);
        Ok(observed)
    }

    async fn lookup_emails(
        &self,
        emails: &[Email],
    ) -> Result<BTreeMap<Email, ExistingZoomUser>, ProviderError> {
        // One `GET /users/email?email=` per address the plan would add (zoom-api.md §2).
        self.count(emails.len() as u64);
        self.cloud.read(|cloud| {
            emails
                .iter()
                .filter_map(|e| {
                    cloud.existing_elsewhere(&self.account, e).map(|licensed| {
                        (
                            e.clone(),
                            ExistingZoomUser {
                                email: e.clone(),
                                licensed,
                            },
                        )
                    })
                })
                .collect()
        })
    }

    async fn execute(&self, op: &Op) -> Result<(), ProviderError> {
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        self.count(1);
        let actor = Actor {
            email: self.actor.clone(),
            out_of_band: false,
        };
        // On the cloud as the file holds it now, under the file lock: another process
        // (another account's apply, `roster sim`) may have changed it since.
        self.cloud
            .update(|cloud| {
                if let Some(fault) = cloud.take_fault(op) {
                    // The consumed fault is saved; the refusal is the answer, after the
                    // change when the fault says so (a lost reply).
                    if fault.after {
                        cloud.execute(&self.account, &actor, op)?;
                    }
                    return Ok(Err(fault.error));
                }
                // The engine checks every rule before it changes anything; a refusal
                // saves nothing either way.
                cloud.execute(&self.account, &actor, op).map(Ok)
            })
            .and_then(|answer| answer)
    }

    fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}
