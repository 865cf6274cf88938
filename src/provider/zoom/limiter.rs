//! Client-side rate limiting per Zoom label (spec/zoom-api.md §8). Zoom's limits are per
//! account and shared with every other app on it, so roster spaces its own requests to a
//! configurable share (`provider.zoom.rateShare`) of the plan's per-second rate.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// A Zoom rate-limit label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Single-object reads and writes.
    Light,
    /// Lists and member batches.
    Medium,
    /// Contact groups.
    Heavy,
}

/// Per-second rates of a plan: (Light, Medium, Heavy).
fn rates(business: bool) -> [f64; 3] {
    if business {
        [80.0, 60.0, 40.0]
    } else {
        [30.0, 20.0, 10.0]
    }
}

/// The part of its share roster spends: requests spaced at exactly the plan's rate still
/// reach Zoom bunched (latency varies), and a one-second window then counts one request
/// too many: a 429 roster caused itself (issue 15 measured 20 in 1,000 creates at
/// `rateShare: 1.0`). At 95% the window never fills.
pub const HEADROOM: f64 = 0.95;

/// Spaces requests of each label evenly at `share` × [`HEADROOM`] of the plan's rate.
pub struct Limiter {
    interval: [Duration; 3],
    next: [Mutex<Option<Instant>>; 3],
}

impl Limiter {
    /// A limiter for a Pro (`business = false`) or Business plan, at `share` (0–1] of it.
    pub fn new(business: bool, share: f64) -> Limiter {
        let share = if share > 0.0 && share <= 1.0 {
            share
        } else {
            0.5
        };
        let interval =
            rates(business).map(|r| Duration::from_secs_f64(1.0 / (r * share * HEADROOM)));
        Limiter {
            interval,
            next: [Mutex::new(None), Mutex::new(None), Mutex::new(None)],
        }
    }

    /// Waits for this label's next slot.
    pub async fn acquire(&self, label: Label) {
        let i = label as usize;
        let slot = {
            let mut next = self.next[i].lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval[i]);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_at_the_share_of_the_plan_rate_less_the_headroom() {
        // Pro Medium is 20/s; half of it, at 95%, is one request every 105.26 ms.
        let l = Limiter::new(false, 0.5);
        let start = Instant::now();
        for _ in 0..11 {
            l.acquire(Label::Medium).await;
        }
        let ten = Duration::from_secs_f64(10.0 / (20.0 * 0.5 * HEADROOM));
        assert!(
            start.elapsed().abs_diff(ten) < Duration::from_millis(1),
            "{:?}",
            start.elapsed()
        );
        // At full share, a one-second window never holds more than 95% of the rate.
        let full = Limiter::new(true, 1.0);
        let start = Instant::now();
        let mut in_first_second = 0;
        while start.elapsed() < Duration::from_secs(1) {
            full.acquire(Label::Light).await;
            in_first_second += u32::from(start.elapsed() < Duration::from_secs(1));
        }
        assert_eq!(in_first_second, 76, "80/s at 95%");
        // Labels do not share a budget.
        let t = Instant::now();
        l.acquire(Label::Light).await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }
}
