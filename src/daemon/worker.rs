//! One account's worker: single flight, coalescing, retry backoff and every timer that
//! wakes it (cron resync, the next time-based event, the retry).
//!
//! The loop is generic over [`Reconcile`] so that its timing is tested under a paused
//! tokio clock with a scripted reconcile; the daemon plugs in the real one.

use super::backoff::Backoff;
use super::clock::Clock;
use super::trigger::{Inbox, Trigger};
use crate::model::Timestamp;
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// What a run reports back to the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The run succeeded; otherwise it is retried after a backoff.
    pub ok: bool,
    /// The next time-based event (wall-clock time), if any.
    pub due: Option<Timestamp>,
    /// The desired-state revision the run used (see [`Reconcile::revision`]).
    pub revision: u64,
}

/// Why the worker will wake next, for `/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The cron resync.
    Schedule,
    /// A time-based event.
    Due,
    /// The retry of a failed run.
    Retry,
    /// Queued outside triggers, held until the minimum interval after the last run.
    MinInterval,
}

/// One account's reconcile, as the loop sees it.
pub trait Reconcile: Send {
    /// Runs one reconcile; `triggers` are what woke it (for logs only).
    fn run(&mut self, triggers: &BTreeSet<Trigger>) -> impl Future<Output = Outcome> + Send;
    /// The next resync strictly after `now`, if the account has a schedule.
    fn next_resync(&self, now: Timestamp) -> Option<Timestamp>;
    /// A number that changes whenever the account's desired state does: a failed run's
    /// backoff holds only while it is unchanged, so a fixed manifest is tried at once.
    fn revision(&self) -> u64;
    /// Tells when the worker will wake on its own next (for `/status`).
    fn scheduled(&mut self, next: Option<(Timestamp, Wake)>);
}

/// The worker's timing settings.
#[derive(Debug, Clone)]
pub struct Timing {
    /// First retry delay after a failure.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Shortest time between the end of a run and the start of one woken only by outside
    /// triggers (`POST /reconcile`, webhooks).
    pub min_interval: Duration,
    /// Wall clock for cron and events.
    pub clock: Clock,
}

/// What holds the queued run back: the backoff after a failure (while the revision that
/// failed is still in force), else the minimum interval when only outside triggers are
/// queued. `None`: nothing holds it.
fn hold(
    queued: &BTreeSet<Trigger>,
    retry: Option<(Instant, u64)>,
    revision: u64,
    last_end: Option<Instant>,
    min_interval: Duration,
) -> Option<(Instant, Wake)> {
    if let Some((at, rev)) = retry
        && rev == revision
    {
        return Some((at, Wake::Retry));
    }
    let outside_only = !queued.is_empty() && queued.iter().all(|t| t.is_external());
    match last_end {
        Some(end) if outside_only => Some((end + min_interval, Wake::MinInterval)),
        _ => None,
    }
}

/// Runs the account until `shutdown` turns true or the inbox closes. A run in flight is
/// never interrupted here: it finishes (apply has its own stop flag), then the loop ends.
pub async fn run<R: Reconcile>(
    mut r: R,
    inbox: Arc<Inbox>,
    timing: Timing,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new(timing.backoff_base, timing.backoff_max);
    inbox.push(Trigger::Startup);
    // After a failure: when to retry, and the revision that failed.
    let mut retry: Option<(Instant, u64)> = None;
    let mut due: Option<Timestamp> = None;
    let mut last_end: Option<Instant> = None;
    loop {
        if *shutdown.borrow() || inbox.is_closed() {
            return;
        }
        let queued = inbox.pending();
        let held = hold(&queued, retry, r.revision(), last_end, timing.min_interval);
        if !queued.is_empty() && held.is_none_or(|(at, _)| at <= Instant::now()) {
            let triggers = inbox.take();
            let out = r.run(&triggers).await;
            last_end = Some(Instant::now());
            due = out.due;
            if out.ok {
                backoff.reset();
                retry = None;
            } else {
                let delay = backoff.fail();
                tracing::info!(
                    retry_in_ms = delay.as_millis() as u64,
                    failures = backoff.failures(),
                    "run failed; retrying after a backoff"
                );
                retry = Some((Instant::now() + delay, out.revision));
                inbox.push(Trigger::Retry);
            }
            continue;
        }
        let now = timing.clock.now();
        let cron_at = r.next_resync(now);
        let gate = held.filter(|_| !queued.is_empty());
        let mut next: Option<(Timestamp, Wake)> = None;
        for (at, why) in [
            (cron_at, Wake::Schedule),
            (due, Wake::Due),
            (
                gate.map(|(g, _)| {
                    now + chrono::Duration::from_std(g - Instant::now()).unwrap_or_default()
                }),
                gate.map_or(Wake::Retry, |(_, why)| why),
            ),
        ] {
            if let Some(at) = at
                && next.is_none_or(|(n, _)| at < n)
            {
                next = Some((at, why));
            }
        }
        r.scheduled(next);
        let cron_wake = cron_at.map(|t| timing.clock.instant_of(t));
        let due_wake = due.map(|t| timing.clock.instant_of(t));
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = inbox.changed() => {}
            _ = sleep_until(cron_wake) => {
                // Re-read the schedule on the next turn: a wake before the slot (the sleep
                // is capped) computes the same slot again and sleeps on.
                if cron_at.is_some_and(|t| timing.clock.now() >= t) {
                    inbox.push(Trigger::Schedule);
                }
            }
            _ = sleep_until(due_wake) => {
                if due.is_some_and(|t| timing.clock.now() >= t) {
                    due = None;
                    inbox.push(Trigger::Due);
                }
            }
            _ = sleep_until(gate.map(|(g, _)| g)) => {}
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    const S: fn(u64) -> Duration = Duration::from_secs;

    /// When a run started (since the test began) and what woke it.
    type Run = (Duration, BTreeSet<Trigger>);

    /// A scripted reconcile: records when it ran and why; fails while `fail` says so.
    #[derive(Clone, Default)]
    struct Script {
        runs: Arc<Mutex<Vec<Run>>>,
        fail: Arc<Mutex<bool>>,
        revision: Arc<Mutex<u64>>,
        run_time: Duration,
        due_in: Option<Duration>,
        cron: Option<cron::Schedule>,
        clock: Option<Clock>,
        start: Option<Instant>,
        min_interval: Duration,
    }

    impl Script {
        fn new() -> Script {
            Script {
                start: Some(Instant::now()),
                clock: Some(Clock::anchored(t0())),
                ..Script::default()
            }
        }
        fn runs(&self) -> Vec<Run> {
            self.runs.lock().expect("runs").clone()
        }
        fn times(&self) -> Vec<Duration> {
            self.runs().into_iter().map(|(t, _)| t).collect()
        }
    }

    impl Reconcile for Script {
        async fn run(&mut self, triggers: &BTreeSet<Trigger>) -> Outcome {
            let started = self.start.map(|s| s.elapsed()).unwrap_or_default();
            self.runs
                .lock()
                .expect("runs")
                .push((started, triggers.clone()));
            tokio::time::sleep(self.run_time).await;
            let clock = self.clock.clone().unwrap_or(Clock::System);
            Outcome {
                ok: !*self.fail.lock().expect("fail"),
                due: self
                    .due_in
                    .map(|d| clock.now() + chrono::Duration::from_std(d).expect("d")),
                revision: self.revision(),
            }
        }
        fn next_resync(&self, now: Timestamp) -> Option<Timestamp> {
            self.cron
                .as_ref()
                .and_then(|c| super::super::clock::next_fire(c, now))
        }
        fn revision(&self) -> u64 {
            *self.revision.lock().expect("revision")
        }
        fn scheduled(&mut self, _: Option<(Timestamp, Wake)>) {}
    }

    fn t0() -> Timestamp {
        "2026-11-01T09:00:00Z".parse().expect("t0")
    }

    fn timing(clock: Clock) -> Timing {
        Timing {
            backoff_base: S(2),
            backoff_max: S(60),
            min_interval: Duration::ZERO,
            clock,
        }
    }

    struct Running {
        inbox: Arc<Inbox>,
        stop: watch::Sender<bool>,
        task: tokio::task::JoinHandle<()>,
    }

    fn start(script: &Script) -> Running {
        let inbox = Arc::new(Inbox::default());
        let (stop, rx) = watch::channel(false);
        let clock = script.clock.clone().unwrap_or(Clock::System);
        let timing = Timing {
            min_interval: script.min_interval,
            ..timing(clock)
        };
        let task = tokio::spawn(run(script.clone(), inbox.clone(), timing, rx));
        Running { inbox, stop, task }
    }

    async fn at(script: &Script, when: Duration) {
        let start = script.start.unwrap_or_else(Instant::now);
        tokio::time::sleep_until(start + when).await;
    }

    #[tokio::test(start_paused = true)]
    async fn triggers_during_a_run_coalesce_into_one_more_run() {
        let mut script = Script::new();
        script.run_time = S(10);
        let w = start(&script);
        at(&script, S(1)).await;
        w.inbox.push(Trigger::Webhook);
        w.inbox.push(Trigger::Manual);
        w.inbox.push(Trigger::Webhook);
        at(&script, S(3)).await;
        w.inbox.push(Trigger::ManifestChanged);
        at(&script, S(60)).await;
        let runs = script.runs();
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0], (S(0), [Trigger::Startup].into()));
        assert_eq!(
            runs[1],
            (
                S(10),
                [Trigger::ManifestChanged, Trigger::Webhook, Trigger::Manual].into()
            ),
            "the second run starts when the first ends, once for all three triggers"
        );
        let _ = w.stop.send(true);
        w.task.await.expect("worker");
    }

    #[tokio::test(start_paused = true)]
    async fn outside_triggers_keep_the_minimum_interval_and_a_storm_makes_one_run() {
        let mut script = Script::new();
        script.run_time = S(1);
        script.min_interval = S(30);
        let w = start(&script);
        // The startup run ends at 1 s; a storm of manual and webhook triggers at 5 s.
        at(&script, S(5)).await;
        for i in 0..100 {
            w.inbox.push(if i % 2 == 0 {
                Trigger::Manual
            } else {
                Trigger::Webhook
            });
        }
        at(&script, S(30)).await;
        assert_eq!(
            script.times(),
            vec![S(0)],
            "held until 30 s after the last run"
        );
        at(&script, S(60)).await;
        let runs = script.runs();
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[1], (S(31), [Trigger::Webhook, Trigger::Manual].into()));
        // A manifest change is not held: it comes from the repository, not from outside.
        // (The manual trigger at 60 s is held until 62 s; the change at 61 s takes it along.)
        w.inbox.push(Trigger::Manual);
        at(&script, S(61)).await;
        w.inbox.push(Trigger::ManifestChanged);
        tokio::time::sleep(Duration::from_millis(1)).await;
        let runs = script.runs();
        assert_eq!(runs.len(), 3, "{runs:?}");
        assert_eq!(
            runs[2],
            (S(61), [Trigger::ManifestChanged, Trigger::Manual].into())
        );
        let _ = w.stop.send(true);
        w.task.await.expect("worker");
    }

    #[tokio::test(start_paused = true)]
    async fn failures_retry_with_growing_jittered_delays_and_hold_other_triggers() {
        let script = Script::new();
        *script.fail.lock().expect("fail") = true;
        let w = start(&script);
        at(&script, S(1)).await;
        w.inbox.push(Trigger::Webhook); // held by the backoff
        at(&script, S(200)).await;
        let times = script.times();
        // Retries after 1-2 s, then 2-4 s, 4-8 s, 8-16 s, 16-32 s, 30-60 s…
        let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        let bands = [(1, 2), (2, 4), (4, 8), (8, 16), (16, 32), (30, 60)];
        for (gap, (lo, hi)) in gaps.iter().zip(bands) {
            assert!(
                *gap >= S(lo) && *gap <= S(hi),
                "gap {gap:?} outside [{lo}, {hi}] s: {times:?}"
            );
        }
        assert!(gaps.len() >= 6, "{times:?}");
        assert!(
            script.runs()[1].1.contains(&Trigger::Webhook)
                && script.runs()[1].1.contains(&Trigger::Retry),
            "the webhook waited for the retry"
        );
        // Success resets: the next failure starts from the base again.
        *script.fail.lock().expect("fail") = false;
        at(&script, S(300)).await;
        let n = script.runs().len();
        *script.fail.lock().expect("fail") = true;
        w.inbox.push(Trigger::Manual);
        // The retry comes within [1, 2] s; the one after it no sooner than 2 s later.
        at(&script, Duration::from_millis(302_500)).await;
        assert_eq!(
            script.runs().len(),
            n + 2,
            "failed at 300 s, retried within 2 s"
        );
        let _ = w.stop.send(true);
        w.task.await.expect("worker");
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_desired_revision_lifts_the_backoff() {
        let script = Script::new();
        *script.fail.lock().expect("fail") = true;
        let w = start(&script);
        // Let the backoff grow past a minute.
        at(&script, S(120)).await;
        let n = script.runs().len();
        *script.revision.lock().expect("rev") += 1;
        w.inbox.push(Trigger::ManifestChanged);
        tokio::time::sleep(Duration::from_millis(1)).await;
        let runs = script.runs();
        assert_eq!(runs.len(), n + 1, "a fixed manifest is tried at once");
        assert!(runs[n].1.contains(&Trigger::ManifestChanged));
        let _ = w.stop.send(true);
        w.task.await.expect("worker");
    }

    #[tokio::test(start_paused = true)]
    async fn the_cron_resync_fires_on_its_slots() {
        let mut script = Script::new();
        script.cron = Some(super::super::clock::parse_cron("*/15 * * * * *").expect("cron"));
        // Start at 09:00:00 + 0: the first slot after is 09:00:15.
        let w = start(&script);
        at(&script, S(50)).await;
        let runs = script.runs();
        let times: Vec<Duration> = runs.iter().map(|r| r.0).collect();
        assert_eq!(times, vec![S(0), S(15), S(30), S(45)]);
        assert!(runs[1..].iter().all(|r| r.1 == [Trigger::Schedule].into()));
        let _ = w.stop.send(true);
        w.task.await.expect("worker");
    }

    #[tokio::test(start_paused = true)]
    async fn the_next_time_based_event_wakes_the_worker_on_time() {
        let mut script = Script::new();
        script.due_in = Some(S(90));
        script.run_time = S(2);
        let w = start(&script);
        at(&script, S(200)).await;
        let runs = script.runs();
        // Due 90 s after the end of each run (which takes 2 s).
        let times: Vec<Duration> = runs.iter().map(|r| r.0).collect();
        assert_eq!(times, vec![S(0), S(92), S(184)]);
        assert_eq!(runs[1].1, [Trigger::Due].into());
        let _ = w.stop.send(true);
        w.task.await.expect("worker");
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_for_the_run_in_flight_and_starts_no_other() {
        let mut script = Script::new();
        script.run_time = S(5);
        let w = start(&script);
        at(&script, S(1)).await;
        w.inbox.push(Trigger::Manual);
        let _ = w.stop.send(true);
        w.task.await.expect("worker");
        assert_eq!(Instant::now() - script.start.expect("start"), S(5));
        assert_eq!(
            script.runs().len(),
            1,
            "the coalesced trigger did not start a run"
        );
    }
}
