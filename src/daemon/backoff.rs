//! Exponential backoff with jitter for failed runs, built on `backon`'s exponential policy.

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use std::time::Duration;

/// Delays between retries of a failing account: `base`, doubling up to `max`, each drawn
/// at random from the upper half of its step ("equal jitter"), so that replicas or
/// accounts failing together do not retry in lockstep, while the delay never drops below
/// half of its step. backon's jitter adds up to one delay again, so its steps are half of
/// ours: `[step/2, step)`.
#[derive(Debug)]
pub struct Backoff {
    policy: ExponentialBuilder,
    delays: ExponentialBackoff,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// A backoff starting at `base`, capped at `max`.
    pub fn new(base: Duration, max: Duration) -> Backoff {
        let base = base.max(Duration::from_millis(1));
        let max = max.max(base);
        let policy = ExponentialBuilder::default()
            .with_min_delay(base / 2)
            .with_max_delay(max / 2)
            .with_jitter()
            .without_max_times();
        Backoff {
            policy,
            delays: policy.build(),
            max,
            failures: 0,
        }
    }

    /// Records a failure and returns how long to wait before the retry.
    pub fn fail(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        self.delays.next().unwrap_or(self.max).min(self.max)
    }

    /// Records a success: the next failure starts from `base` again.
    pub fn reset(&mut self) {
        self.failures = 0;
        self.delays = self.policy.build();
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_their_jitter_band_and_stop_at_the_cap() {
        let s = Duration::from_secs;
        let mut b = Backoff::new(s(2), s(60));
        let bands = [
            (1, 2),
            (2, 4),
            (4, 8),
            (8, 16),
            (16, 32),
            (30, 60),
            (30, 60),
        ];
        for (lo, hi) in bands {
            let d = b.fail();
            assert!(d >= s(lo) && d <= s(hi), "{d:?} outside [{lo}s, {hi}s]");
        }
        assert_eq!(b.failures(), 7);
        for _ in 0..100 {
            assert!(b.fail() <= s(60), "never above the cap");
        }
    }

    #[test]
    fn a_success_starts_over_from_the_base() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
        for _ in 0..6 {
            b.fail();
        }
        b.reset();
        assert_eq!(b.failures(), 0);
        assert!(b.fail() <= Duration::from_secs(1));
    }

    #[test]
    fn jitter_spreads_retries() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..20 {
            seen.insert(Backoff::new(Duration::from_secs(10), Duration::from_secs(10)).fail());
        }
        assert!(seen.len() > 1, "twenty draws were all equal: no jitter");
    }
}
