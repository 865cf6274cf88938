//! Why a reconcile runs, and the per-account inbox that coalesces triggers.
//!
//! A [`Trigger`] is logged and counted, never branched on: every run works from the
//! current state (level-triggered), whatever woke it.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// What woke an account's worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The daemon started, or the account appeared in the manifests.
    Startup,
    /// A manifest revision changed this account's desired state.
    ManifestChanged,
    /// The `schedule.resync` cron fired.
    Schedule,
    /// A time-based event arrived (an invitation reaching `resendAfter`, an `expires` date).
    Due,
    /// A verified Zoom webhook.
    Webhook,
    /// `POST /reconcile`.
    Manual,
    /// The retry after a failed run (backoff elapsed).
    Retry,
}

impl Trigger {
    /// Every trigger, for metrics.
    pub const ALL: [Trigger; 7] = [
        Trigger::Startup,
        Trigger::ManifestChanged,
        Trigger::Schedule,
        Trigger::Due,
        Trigger::Webhook,
        Trigger::Manual,
        Trigger::Retry,
    ];

    /// The snake_case name used in logs, metrics and `/status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Startup => "startup",
            Trigger::ManifestChanged => "manifest_changed",
            Trigger::Schedule => "schedule",
            Trigger::Due => "due",
            Trigger::Webhook => "webhook",
            Trigger::Manual => "manual",
            Trigger::Retry => "retry",
        }
    }
}

/// Joins triggers for a log line: `schedule,webhook`.
pub fn names(triggers: &BTreeSet<Trigger>) -> String {
    triggers
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The triggers waiting for one account's worker. Triggers pushed while a run is in flight
/// wait here and are taken together afterwards: that is what makes them one more run.
#[derive(Debug, Default)]
pub struct Inbox {
    pending: Mutex<BTreeSet<Trigger>>,
    closed: AtomicBool,
    notify: Notify,
}

impl Inbox {
    /// Adds a trigger (a no-op for a trigger already waiting).
    pub fn push(&self, trigger: Trigger) {
        self.lock().insert(trigger);
        self.notify.notify_one();
    }

    /// Closes the inbox: the worker finishes its run, if any, and stops.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// Takes every waiting trigger without waiting.
    pub fn take(&self) -> BTreeSet<Trigger> {
        std::mem::take(&mut *self.lock())
    }

    /// Waits for at least one trigger and takes them all; `None` once closed.
    /// Cancel-safe: triggers are only taken on the way out.
    pub async fn recv(&self) -> Option<BTreeSet<Trigger>> {
        loop {
            if self.closed.load(Ordering::SeqCst) {
                return None;
            }
            let taken = self.take();
            if !taken.is_empty() {
                return Some(taken);
            }
            self.notify.notified().await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<Trigger>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn triggers_pushed_before_recv_come_out_together() {
        let inbox = Inbox::default();
        inbox.push(Trigger::Webhook);
        inbox.push(Trigger::Manual);
        inbox.push(Trigger::Webhook);
        let got = inbox.recv().await.expect("open");
        assert_eq!(got, [Trigger::Webhook, Trigger::Manual].into());
        assert!(inbox.take().is_empty());
    }

    #[tokio::test]
    async fn a_closed_inbox_ends_the_wait() {
        let inbox = std::sync::Arc::new(Inbox::default());
        let waiter = tokio::spawn({
            let inbox = inbox.clone();
            async move { inbox.recv().await }
        });
        tokio::task::yield_now().await;
        inbox.close();
        assert_eq!(waiter.await.expect("join"), None);
    }
}
