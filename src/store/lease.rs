//! Holding a lease for the length of a run: [`Keeper`] renews it in the background and
//! keeps a local [`Deadline`] on the monotonic clock, so that a holder whose renewals stop
//! (the database is cut off, the process was paused) stops sending before another replica
//! can take over.
//!
//! The fencing token protects only roster's own store: Zoom cannot check it. Outbound
//! writes are safe because each is journaled (fenced) before it is sent, and because
//! `apply` asks the [`Deadline`] before each send whether the lease will still be valid
//! for the whole request (`valid_until − now > request timeout + margin`, issue 14).

use super::{Lease, Store, StoreError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How long a lease lasts after each acquire or renew (issue 14's default).
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);
/// How often a held lease is renewed (a third of the TTL: two renewals may fail before it
/// lapses).
pub const DEFAULT_RENEW_EVERY: Duration = Duration::from_secs(10);
/// Kept free beyond a request's timeout before each send (journal write, clock skew
/// between the renew's start and the database's `now()`).
pub const DEFAULT_SEND_MARGIN: Duration = Duration::from_secs(5);

/// How a lease is timed: its TTL and how often it is renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Lifetime granted by each acquire or renew.
    pub ttl: Duration,
    /// Interval between renewals.
    pub renew_every: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            ttl: DEFAULT_TTL,
            renew_every: DEFAULT_RENEW_EVERY,
        }
    }
}

#[derive(Debug)]
struct DeadlineState {
    valid_until: Instant,
    lost: bool,
}

/// Until when this process may take its lease as held, on the monotonic clock: the start
/// of the last successful acquire or renew plus the TTL. The start (not the end) is used
/// because the database may have set `expires_at` at any moment of the round trip.
/// Shared between the renew task and the senders.
#[derive(Debug, Clone)]
pub struct Deadline(Arc<Mutex<DeadlineState>>);

impl Deadline {
    /// A deadline `ttl` after `started` (the moment the acquire or renew was sent).
    pub fn new(started: Instant, ttl: Duration) -> Deadline {
        Deadline(Arc::new(Mutex::new(DeadlineState {
            valid_until: started + ttl,
            lost: false,
        })))
    }

    fn with<T>(&self, f: impl FnOnce(&mut DeadlineState) -> T) -> T {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// A renew sent at `started` succeeded.
    pub fn renewed(&self, started: Instant, ttl: Duration) {
        self.with(|s| {
            if !s.lost {
                s.valid_until = s.valid_until.max(started + ttl);
            }
        });
    }

    /// The store said the lease is gone (taken over or released): never valid again.
    pub fn lose(&self) {
        self.with(|s| s.lost = true);
    }

    /// Whether a send that may take up to `budget` still ends inside the lease.
    pub fn allows(&self, budget: Duration) -> bool {
        self.with(|s| !s.lost && s.valid_until.saturating_duration_since(Instant::now()) > budget)
    }

    /// Whether the store has said the lease is gone.
    pub fn is_lost(&self) -> bool {
        self.with(|s| s.lost)
    }
}

/// A held lease with its renew task: renews every `renew_every` until released or
/// dropped, and keeps the [`Deadline`] the senders check.
pub struct Keeper {
    store: Arc<dyn Store>,
    lease: Lease,
    deadline: Deadline,
    renewer: tokio::task::JoinHandle<()>,
}

impl Keeper {
    /// Acquires `account`'s lease (or fails with [`StoreError::Locked`]) and starts
    /// renewing it.
    pub async fn acquire(
        store: Arc<dyn Store>,
        account: &str,
        holder: &str,
        timing: Timing,
    ) -> Result<Keeper, StoreError> {
        let started = Instant::now();
        let lease = store.acquire(account, holder, timing.ttl).await?;
        let deadline = Deadline::new(started, timing.ttl);
        let renewer = tokio::spawn(renew_loop(
            store.clone(),
            lease.clone(),
            deadline.clone(),
            timing,
        ));
        Ok(Keeper {
            store,
            lease,
            deadline,
            renewer,
        })
    }

    /// The lease, for fenced writes.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// The deadline the senders check.
    pub fn deadline(&self) -> Deadline {
        self.deadline.clone()
    }

    /// Stops renewing and releases the lease (clean exit: the next holder need not wait
    /// for the TTL).
    pub async fn release(self) -> Result<(), StoreError> {
        self.renewer.abort();
        self.store.release(&self.lease).await
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}

/// Renews until the lease is lost. A renewal that fails for another reason (the database
/// is unreachable) is tried again sooner; the deadline runs out by itself meanwhile.
async fn renew_loop(store: Arc<dyn Store>, lease: Lease, deadline: Deadline, timing: Timing) {
    let retry = (timing.renew_every / 5).max(Duration::from_millis(100));
    let mut wait = timing.renew_every;
    loop {
        tokio::time::sleep(wait).await;
        let started = Instant::now();
        let renewed = tokio::time::timeout(timing.renew_every, store.renew(&lease, timing.ttl));
        match renewed.await {
            Ok(Ok(())) => {
                deadline.renewed(started, timing.ttl);
                wait = timing.renew_every;
            }
            Ok(Err(StoreError::LeaseLost(_))) => {
                tracing::warn!(account = %lease.account, token = lease.token, "lease lost: another holder took it over; no further change is sent");
                deadline.lose();
                return;
            }
            Ok(Err(e)) => {
                tracing::warn!(account = %lease.account, error = %e, "could not renew the lease; trying again");
                wait = retry;
            }
            Err(_) => {
                tracing::warn!(account = %lease.account, "renewing the lease timed out; trying again");
                wait = retry;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    const T: Timing = Timing {
        ttl: Duration::from_secs(30),
        renew_every: Duration::from_secs(10),
    };

    #[tokio::test(start_paused = true)]
    async fn the_deadline_refuses_a_send_that_would_outlive_the_lease() {
        let d = Deadline::new(Instant::now(), T.ttl);
        assert!(d.allows(Duration::from_secs(15)));
        tokio::time::advance(Duration::from_secs(16)).await;
        assert!(!d.allows(Duration::from_secs(15)), "14 s left < 15 s");
        d.renewed(Instant::now(), T.ttl);
        assert!(d.allows(Duration::from_secs(15)));
        d.lose();
        assert!(!d.allows(Duration::ZERO));
        d.renewed(Instant::now(), T.ttl);
        assert!(d.is_lost(), "a lost lease is never valid again");
    }

    #[tokio::test(start_paused = true)]
    async fn renewals_keep_the_deadline_ahead() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().expect("open"));
        let k = Keeper::acquire(store, "acme", "t", T).await.expect("lease");
        for _ in 0..6 {
            tokio::time::sleep(T.renew_every).await;
            tokio::task::yield_now().await;
        }
        assert!(
            k.deadline().allows(Duration::from_secs(15)),
            "60 s later the renewals keep it valid"
        );
        k.release().await.expect("release");
    }

    #[tokio::test(start_paused = true)]
    async fn a_takeover_is_seen_at_the_next_renew() {
        let store = Arc::new(SqliteStore::open_in_memory().expect("open"));
        let dyn_store: Arc<dyn Store> = store.clone();
        let k = Keeper::acquire(dyn_store, "acme", "t", T)
            .await
            .expect("lease");
        store.release(k.lease()).await.expect("gone");
        let _other = store.acquire("acme", "other", T.ttl).await.expect("other");
        tokio::time::sleep(T.renew_every + Duration::from_millis(1)).await;
        tokio::task::yield_now().await;
        assert!(k.deadline().is_lost());
        assert!(!k.deadline().allows(Duration::ZERO));
    }
}
