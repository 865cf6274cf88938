//! The simulator behind two faults it cannot inject itself: an answer lost after the
//! change was made (a timeout after send), and the process dying at the n-th send, before
//! or after the request reached the simulator.

use async_trait::async_trait;
use roster::model::{Action, Email, ExistingZoomUser, Observed, Op};
use roster::provider::sim::SimProvider;
use roster::provider::{Provider, ProviderError};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Answers lost after the change was made, per action, consumed in order. It outlives a
/// crash: the network is not part of the process.
pub type LostAnswers = Arc<Mutex<Vec<(Action, u32)>>>;

/// When the process dies: before the `sends`-th send from now, with that send reaching the
/// simulator (`after`) or not.
#[derive(Debug, Clone, Copy)]
pub struct Crash {
    /// Sends that go through before the crash.
    pub sends: u32,
    /// Whether the crashing send was made before the process died.
    pub after: bool,
}

/// [`SimProvider`] with lost answers and a crash point.
pub struct Chaos {
    inner: SimProvider,
    lost: LostAnswers,
    crash: Mutex<Option<Crash>>,
    /// Notified once the process is dead: the caller drops the apply.
    pub crashed: Arc<Notify>,
    /// Every operation the simulator was sent, in order.
    pub sent: Mutex<Vec<Op>>,
}

impl Chaos {
    /// Wraps `inner`.
    pub fn new(inner: SimProvider, lost: LostAnswers, crash: Option<Crash>) -> Chaos {
        Chaos {
            inner,
            lost,
            crash: Mutex::new(crash),
            crashed: Arc::new(Notify::new()),
            sent: Mutex::new(Vec::new()),
        }
    }

    /// `Some(after)` when this send is the one the process dies at.
    fn dies_now(&self) -> Option<bool> {
        let mut crash = self.crash.lock().expect("crash lock");
        let c = crash.as_mut()?;
        if c.sends == 0 {
            return Some(c.after);
        }
        c.sends -= 1;
        None
    }

    fn answer_lost(&self, action: Action) -> bool {
        let mut lost = self.lost.lock().expect("lost lock");
        let Some(i) = lost.iter().position(|(a, n)| *a == action && *n > 0) else {
            return false;
        };
        lost[i].1 -= 1;
        if lost[i].1 == 0 {
            lost.remove(i);
        }
        true
    }

    async fn die(&self) -> Result<(), ProviderError> {
        self.crashed.notify_one();
        std::future::pending().await
    }
}

#[async_trait]
impl Provider for Chaos {
    async fn refresh(&self) -> Result<Observed, ProviderError> {
        self.inner.refresh().await
    }

    async fn lookup_emails(
        &self,
        emails: &[Email],
    ) -> Result<BTreeMap<Email, ExistingZoomUser>, ProviderError> {
        self.inner.lookup_emails(emails).await
    }

    async fn execute(&self, op: &Op) -> Result<(), ProviderError> {
        match self.dies_now() {
            Some(true) => {
                self.sent.lock().expect("sent lock").push(op.clone());
                let _ = self.inner.execute(op).await;
                return self.die().await;
            }
            Some(false) => return self.die().await,
            None => {}
        }
        self.sent.lock().expect("sent lock").push(op.clone());
        let result = self.inner.execute(op).await;
        if result.is_ok() && self.answer_lost(op.action()) {
            return Err(ProviderError::Transport(
                "timed out after the request was sent (injected: answer lost)".into(),
            ));
        }
        result
    }

    fn calls(&self) -> u64 {
        self.inner.calls()
    }
}
