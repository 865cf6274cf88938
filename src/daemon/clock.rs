//! Wall-clock time for the daemon's timers, and cron schedules.
//!
//! Timers sleep on tokio's clock; cron and the provider's events are wall-clock times.
//! [`Clock`] converts between the two so that tests can run every timer under
//! `tokio::time::pause()` with a wall clock that moves with tokio's.

use crate::model::Timestamp;
use std::time::Duration;
use tokio::time::Instant;

/// Longest single sleep: a far-away time is re-computed after waking (the wall clock may
/// have been adjusted meanwhile).
const MAX_SLEEP: Duration = Duration::from_secs(24 * 3600);

/// Where the wall-clock time comes from.
#[derive(Debug, Clone)]
pub enum Clock {
    /// The system clock.
    System,
    /// `at` was wall-clock time `utc`; time moves with tokio's clock (paused in tests).
    Anchored {
        /// Wall-clock time at `at`.
        utc: Timestamp,
        /// The tokio instant of `utc`.
        at: Instant,
    },
}

impl Clock {
    /// A clock that reads `utc` now and then moves with tokio's clock.
    pub fn anchored(utc: Timestamp) -> Clock {
        Clock::Anchored {
            utc,
            at: Instant::now(),
        }
    }

    /// The wall-clock time now.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => chrono::Utc::now(),
            Clock::Anchored { utc, at } => {
                let since =
                    chrono::Duration::from_std(at.elapsed()).unwrap_or(chrono::TimeDelta::MAX);
                *utc + since
            }
        }
    }

    /// The tokio instant at which to wake for wall-clock time `t` (now, if it has passed;
    /// at most a day ahead).
    pub fn instant_of(&self, t: Timestamp) -> Instant {
        let ahead = (t - self.now()).to_std().unwrap_or(Duration::ZERO);
        Instant::now() + ahead.min(MAX_SLEEP)
    }
}

/// A parsed `schedule.resync` (seconds first; UTC).
pub fn parse_cron(expr: &str) -> Result<cron::Schedule, String> {
    expr.parse::<cron::Schedule>()
        .map_err(|e| format!("{expr:?} is not a valid cron expression: {e}"))
}

/// The first time strictly after `now` at which `schedule` fires.
pub fn next_fire(schedule: &cron::Schedule, now: Timestamp) -> Option<Timestamp> {
    schedule.after(&now).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn next_fire_is_the_next_slot_after_now() {
        let every_ten_minutes = parse_cron("0 */10 * * * *").expect("cron");
        assert_eq!(
            next_fire(&every_ten_minutes, t("2026-11-01T09:03:12Z")),
            Some(t("2026-11-01T09:10:00Z"))
        );
        assert_eq!(
            next_fire(&every_ten_minutes, t("2026-11-01T09:10:00Z")),
            Some(t("2026-11-01T09:20:00Z")),
            "strictly after: a run at the slot does not fire it again"
        );
        assert!(
            parse_cron("0 */10 * * *").is_err(),
            "five fields: no seconds"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_anchored_clock_moves_with_tokio_time() {
        let clock = Clock::anchored(t("2026-11-01T09:00:00Z"));
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(clock.now(), t("2026-11-01T09:01:30Z"));
        let wake = clock.instant_of(t("2026-11-01T09:02:00Z"));
        assert_eq!(wake - Instant::now(), Duration::from_secs(30));
        assert_eq!(
            clock.instant_of(t("2026-11-01T08:00:00Z")),
            Instant::now(),
            "a past time is now"
        );
        assert_eq!(
            clock.instant_of(t("2027-11-01T08:00:00Z")) - Instant::now(),
            MAX_SLEEP
        );
    }
}
