//! Why a reconcile runs, and the per-account inbox that coalesces triggers.
//!
//! A [`Trigger`] is logged and counted, never branched on: every run works from the
//! current state (level-triggered), whatever woke it.

use std::collections::BTreeSet;
use std::sync::Mutex;
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

impl Trigger {
    /// Whether the trigger comes from outside the daemon's own schedule and the
    /// repository (`POST /reconcile`, webhooks): runs woken only by such triggers keep
    /// `--min-trigger-interval` after the previous run, so that nobody can spend the
    /// account's API budget by calling often.
    pub fn is_external(self) -> bool {
        match self {
            Trigger::Webhook | Trigger::Manual => true,
            Trigger::Startup
            | Trigger::ManifestChanged
            | Trigger::Schedule
            | Trigger::Due
            | Trigger::Retry => false,
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

/// What [`Inbox::push`] did with a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Nothing was queued: this trigger queues the account's next run.
    Queued,
    /// A run was already queued: the trigger joins it (counted as coalesced).
    Coalesced,
    /// The inbox is closed (the account is retired or the daemon stops).
    Closed,
}

/// Called with each trigger that joins a run already queued (for the metric).
pub type CoalescedHook = Box<dyn Fn(Trigger) + Send + Sync>;

/// The queue of one account's worker: the triggers of its next run. Whatever arrives
/// while a run is queued joins it, and whatever arrives while a run is in flight queues
/// one more run: so any number of triggers during a run make at most one more run.
/// Triggers stay here until the run that takes them starts (also while the worker holds
/// them for a backoff or the minimum interval).
#[derive(Default)]
pub struct Inbox {
    queue: Mutex<Queue>,
    notify: Notify,
    on_coalesced: Option<CoalescedHook>,
}

#[derive(Debug, Default)]
struct Queue {
    pending: BTreeSet<Trigger>,
    closed: bool,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("queue", &*self.lock())
            .finish()
    }
}

impl Inbox {
    /// An inbox that reports every coalesced trigger to `hook`.
    pub fn with_hook(hook: CoalescedHook) -> Inbox {
        Inbox {
            on_coalesced: Some(hook),
            ..Inbox::default()
        }
    }

    /// Queues a trigger for the next run, or merges it into the run already queued.
    pub fn push(&self, trigger: Trigger) -> Pushed {
        let pushed = {
            let mut q = self.lock();
            if q.closed {
                return Pushed::Closed;
            }
            let was_empty = q.pending.is_empty();
            q.pending.insert(trigger);
            if was_empty {
                Pushed::Queued
            } else {
                Pushed::Coalesced
            }
        };
        self.notify.notify_one();
        if let (Pushed::Coalesced, Some(hook)) = (pushed, &self.on_coalesced) {
            hook(trigger);
        }
        pushed
    }

    /// Closes the inbox: the worker finishes its run, if any, and stops.
    pub fn close(&self) {
        self.lock().closed = true;
        self.notify.notify_one();
    }

    /// Whether [`Inbox::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// The triggers queued now (for `/status` and the worker's decision).
    pub fn pending(&self) -> BTreeSet<Trigger> {
        self.lock().pending.clone()
    }

    /// Takes every queued trigger: the run that starts now is theirs.
    pub fn take(&self) -> BTreeSet<Trigger> {
        std::mem::take(&mut self.lock().pending)
    }

    /// Completes after the next push or close (at once if one came since the last wait).
    /// Cancel-safe: it takes nothing.
    pub async fn changed(&self) {
        self.notify.notified().await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn triggers_queued_together_come_out_together_and_the_extra_ones_are_coalesced() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let inbox = Inbox::with_hook({
            let seen = seen.clone();
            Box::new(move |t| seen.lock().expect("seen").push(t))
        });
        assert_eq!(inbox.push(Trigger::Webhook), Pushed::Queued);
        assert_eq!(inbox.push(Trigger::Manual), Pushed::Coalesced);
        assert_eq!(inbox.push(Trigger::Webhook), Pushed::Coalesced);
        assert_eq!(inbox.take(), [Trigger::Webhook, Trigger::Manual].into());
        assert!(inbox.take().is_empty());
        assert_eq!(inbox.push(Trigger::Manual), Pushed::Queued, "the next run");
        assert_eq!(
            *seen.lock().expect("seen"),
            vec![Trigger::Manual, Trigger::Webhook]
        );
    }

    #[tokio::test]
    async fn a_closed_inbox_wakes_the_waiter_and_takes_nothing_more() {
        let inbox = Arc::new(Inbox::default());
        let waiter = tokio::spawn({
            let inbox = inbox.clone();
            async move {
                inbox.changed().await;
                inbox.is_closed()
            }
        });
        tokio::task::yield_now().await;
        inbox.close();
        assert!(waiter.await.expect("join"));
        assert_eq!(inbox.push(Trigger::Manual), Pushed::Closed);
        assert!(inbox.pending().is_empty());
    }
}
