//! The desired state in force: the last manifest revision that loaded.
//!
//! A revision that fails to load changes nothing here: the previous good one stays in
//! force and the failure is reported. Each account carries a revision number that moves
//! only when its own desired state changed, so the workers of other accounts are not
//! woken and a failing account's backoff is lifted only by a change that concerns it.

use super::status::LoadError;
use crate::model::Desired;
use crate::session::SessionError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::time::Instant;

/// One account's desired state with its revision number.
pub type Versioned = (Arc<Desired>, u64);

/// What a load changed.
#[derive(Debug, Clone, Default)]
pub struct Reload {
    /// Accounts whose desired state changed (new ones included).
    pub changed: Vec<String>,
    /// Accounts no longer declared.
    pub removed: Vec<String>,
    /// Why the revision failed to load (nothing changed then).
    pub error: Option<LoadError>,
}

/// The manifest folder and the last good desired state loaded from it.
pub struct DesiredSource {
    dir: PathBuf,
    current: RwLock<BTreeMap<String, Versioned>>,
    /// Serialises loads; holds when the last one finished and the next revision number.
    loads: tokio::sync::Mutex<(Option<Instant>, u64)>,
}

impl DesiredSource {
    /// A source with nothing loaded yet.
    pub fn new(dir: &Path) -> DesiredSource {
        DesiredSource {
            dir: dir.to_path_buf(),
            current: RwLock::new(BTreeMap::new()),
            loads: tokio::sync::Mutex::new((None, 0)),
        }
    }

    /// The account's desired state in force.
    pub fn account(&self, name: &str) -> Option<Versioned> {
        self.read().get(name).cloned()
    }

    /// The accounts in force.
    pub fn names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// Loads the folder now.
    pub async fn reload(&self) -> Reload {
        let mut guard = self.loads.lock().await;
        self.load_locked(&mut guard).await
    }

    /// Loads the folder unless a load finished less than `max_age` ago (then `None`).
    pub async fn reload_if_older(&self, max_age: Duration) -> Option<Reload> {
        let mut guard = self.loads.lock().await;
        if guard.0.is_some_and(|at| at.elapsed() < max_age) {
            return None;
        }
        Some(self.load_locked(&mut guard).await)
    }

    async fn load_locked(&self, guard: &mut (Option<Instant>, u64)) -> Reload {
        let dir = self.dir.clone();
        let loaded = tokio::task::spawn_blocking(move || crate::session::load(&dir))
            .await
            .map_err(|e| LoadFailure::Task(format!("the manifest loader failed: {e}")))
            .and_then(|r| r.map_err(LoadFailure::Session));
        guard.0 = Some(Instant::now());
        let manifests = match loaded {
            Ok(m) => m,
            Err(f) => {
                return Reload {
                    error: Some(load_error(&f)),
                    ..Reload::default()
                };
            }
        };
        let mut current = self.write();
        let mut out = Reload::default();
        let mut next = BTreeMap::new();
        for (name, desired) in manifests.accounts {
            match current.remove(&name) {
                Some((old, rev)) if *old == desired => {
                    next.insert(name, (old, rev));
                }
                _ => {
                    guard.1 += 1;
                    next.insert(name.clone(), (Arc::new(desired), guard.1));
                    out.changed.push(name);
                }
            }
        }
        out.removed = current.keys().cloned().collect();
        *current = next;
        out
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Versioned>> {
        self.current.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Versioned>> {
        self.current.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Why a load failed: the loader's error, or the loader task itself failing.
enum LoadFailure {
    Session(SessionError),
    Task(String),
}

fn load_error(f: &LoadFailure) -> LoadError {
    let (message, diagnostics) = match f {
        LoadFailure::Session(SessionError::Manifest(d)) => {
            (d.to_string(), d.0.iter().map(|x| x.to_string()).collect())
        }
        LoadFailure::Session(other) => (other.to_string(), Vec::new()),
        LoadFailure::Task(m) => (m.clone(), Vec::new()),
    };
    LoadError {
        at: chrono::Utc::now(),
        message,
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACME: &str = "kind: Account\nname: acme\nowner: owner@acme.com\n";
    const BETA: &str = "kind: Account\nname: beta\nowner: owner@beta.com\n";

    #[tokio::test]
    async fn a_bad_revision_keeps_the_last_good_one_and_only_changed_accounts_move() {
        let tmp = tempfile::tempdir().expect("tmp");
        let d = tmp.path();
        std::fs::write(d.join("acme.yaml"), ACME).expect("write");
        std::fs::write(d.join("beta.yaml"), BETA).expect("write");
        let src = DesiredSource::new(d);
        let r = src.reload().await;
        assert!(r.error.is_none());
        assert_eq!(r.changed, vec!["acme", "beta"]);
        let (_, acme_rev) = src.account("acme").expect("acme");

        std::fs::write(d.join("acme.yaml"), format!("{ACME}unknownField: 1\n")).expect("write");
        let r = src.reload().await;
        let e = r.error.expect("the revision fails");
        assert!(
            e.diagnostics[0].starts_with("acme.yaml:4:1:"),
            "{:?}",
            e.diagnostics
        );
        assert!(r.changed.is_empty() && r.removed.is_empty());
        assert_eq!(src.account("acme").expect("still there").1, acme_rev);

        std::fs::write(
            d.join("acme.yaml"),
            format!("{ACME}---\nkind: User\naccount: acme\nemail: ann@acme.com\n"),
        )
        .expect("write");
        let r = src.reload().await;
        assert_eq!(r.changed, vec!["acme"], "beta did not change");
        assert!(src.account("acme").expect("acme").1 > acme_rev);
        assert_eq!(src.account("acme").expect("acme").0.users.len(), 1);

        std::fs::remove_file(d.join("beta.yaml")).expect("rm");
        let r = src.reload().await;
        assert_eq!(r.removed, vec!["beta"]);
        assert_eq!(src.names(), vec!["acme"]);
    }

    #[tokio::test]
    async fn recent_loads_are_reused() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(tmp.path().join("acme.yaml"), ACME).expect("write");
        let src = DesiredSource::new(tmp.path());
        src.reload().await;
        assert!(src.reload_if_older(Duration::from_secs(60)).await.is_none());
        assert!(src.reload_if_older(Duration::ZERO).await.is_some());
    }
}
