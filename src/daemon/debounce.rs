//! Debouncing of file-system events: editors and git write several files, or one file
//! several times, for one logical change.

use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Waits for a burst of signals to settle: returns once no signal came for `quiet` after
/// the first one, or `max_wait` after it at the latest (a steady stream of writes still
/// gets reloaded). `None` once the channel is closed and empty.
pub async fn settle(
    rx: &mut mpsc::Receiver<()>,
    quiet: Duration,
    max_wait: Duration,
) -> Option<()> {
    rx.recv().await?;
    let cap = Instant::now() + max_wait;
    loop {
        let deadline = (Instant::now() + quiet).min(cap);
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(())) if Instant::now() < cap => continue,
            Ok(Some(())) | Ok(None) | Err(_) => return Some(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[tokio::test(start_paused = true)]
    async fn a_burst_settles_one_quiet_period_after_its_last_event() {
        let (tx, mut rx) = mpsc::channel(16);
        let start = Instant::now();
        tokio::spawn(async move {
            for _ in 0..4 {
                let _ = tx.send(()).await;
                tokio::time::sleep(MS(100)).await;
            }
            // Keep the channel open past the burst.
            tokio::time::sleep(MS(10_000)).await;
        });
        settle(&mut rx, MS(300), MS(5_000)).await.expect("event");
        // Events at 0, 100, 200, 300 ms; quiet for 300 ms after the last one.
        assert_eq!(start.elapsed(), MS(600));
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_stream_still_settles_at_max_wait() {
        let (tx, mut rx) = mpsc::channel(16);
        let start = Instant::now();
        tokio::spawn(async move {
            loop {
                if tx.send(()).await.is_err() {
                    return;
                }
                tokio::time::sleep(MS(50)).await;
            }
        });
        settle(&mut rx, MS(300), MS(2_000)).await.expect("event");
        let took = start.elapsed();
        assert!(took >= MS(2_000) && took <= MS(2_050), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_happens_until_the_first_event() {
        let (tx, mut rx) = mpsc::channel(16);
        let start = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(MS(60_000)).await;
            let _ = tx.send(()).await;
            tokio::time::sleep(MS(60_000)).await;
        });
        settle(&mut rx, MS(250), MS(2_000)).await.expect("event");
        assert_eq!(start.elapsed(), MS(60_250));
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_channel_ends_the_wait() {
        let (tx, mut rx) = mpsc::channel::<()>(1);
        drop(tx);
        assert_eq!(settle(&mut rx, MS(250), MS(2_000)).await, None);
    }
}
