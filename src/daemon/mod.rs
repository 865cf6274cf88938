//! `roster daemon DIR`: the long-running reconciler.
//!
//! Triggers (manifest changes seen by `notify`, the `schedule.resync` cron, the next
//! time-based event, `POST /reconcile`, verified Zoom webhooks) all feed one
//! level-triggered reconcile per account. Each account has a worker ([`worker`]) that
//! runs one reconcile at a time, coalesces what arrives meanwhile into one more run, and
//! backs off with jitter after failures. The desired state in force is the last
//! manifest revision that loaded ([`desired`]). HTTP ([`http`]) serves health,
//! readiness, metrics and the webhooks openly, and the status and manual trigger behind
//! the operator token ([`auth`]). SIGTERM stops the triggers, lets the
//! changes in flight finish and be journaled, and exits.
//!
//! Shaped like mini-redis: [`run`] takes a configuration and a shutdown future.

pub mod auth;
pub mod backoff;
pub mod calendly;
pub mod clock;
pub mod config;
pub mod debounce;
pub mod desired;
pub mod findings;
pub mod http;
pub mod metrics;
pub mod page;
mod runner;
pub mod status;
pub mod trigger;
pub mod watch;
pub mod webhook;
pub mod worker;

pub use config::{DaemonArgs, DaemonConfig, Mode};

use crate::store::Store;
use desired::{DesiredSource, Reload};
use metrics::Metrics;
use status::{Board, Status};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch as tokio_watch};
use trigger::{Inbox, Trigger};

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// Bad arguments.
    #[error("{0}")]
    Config(String),
    /// The store could not be opened.
    #[error("{0}")]
    Store(String),
    /// The HTTP address could not be bound.
    #[error("cannot listen on {addr}: {source}; pick another address with --listen")]
    Listen {
        /// Address.
        addr: std::net::SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// The file watcher could not start.
    #[error("cannot watch {dir}: {source}")]
    Watch {
        /// Folder.
        dir: PathBuf,
        /// Cause.
        source: notify::Error,
    },
}

/// How the daemon ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every run in flight finished within the grace period.
    Clean,
    /// The grace period ran out with a run still in flight: its `started` journal rows
    /// are reported by the next run, which re-reads the account.
    GraceExceeded,
}

struct Worker {
    inbox: Arc<Inbox>,
    task: tokio::task::JoinHandle<()>,
}

/// What the workers, the watcher and the HTTP handlers share.
pub struct Shared {
    config: DaemonConfig,
    store: Arc<dyn Store>,
    desired: DesiredSource,
    board: Mutex<Board>,
    /// Counters, and the gauges recomputed from the board at each scrape.
    metrics: Metrics,
    /// Webhook signatures accepted within the tolerance window (replays are refused).
    seen_signatures: webhook::SeenSignatures,
    workers: Mutex<BTreeMap<String, Worker>>,
    stop: Arc<AtomicBool>,
    /// Held by the run of a simulated account (see `runner`).
    sim_turn: tokio::sync::Mutex<()>,
    shutdown: tokio_watch::Receiver<bool>,
}

impl Shared {
    fn board(&self) -> std::sync::MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn workers(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Worker>> {
        self.workers.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// What `/status` and `/` show: the board, with each account's queued triggers.
    fn snapshot(&self) -> Status {
        let mut st = self.board().status.clone();
        for (name, w) in self.workers().iter() {
            if let Some(a) = st.accounts.get_mut(name) {
                a.queued = w.inbox.pending().into_iter().collect();
            }
        }
        st
    }

    /// Pushes `t` to one account (or all); returns the accounts reached.
    fn trigger(&self, account: Option<&str>, t: Trigger) -> Vec<String> {
        let workers = self.workers();
        workers
            .iter()
            .filter(|(name, _)| account.is_none_or(|a| a == name.as_str()))
            .map(|(name, w)| {
                w.inbox.push(t);
                name.clone()
            })
            .collect()
    }

    /// The accounts a webhook concerns: those whose provider account id matches, or
    /// every account when none does (an id not observed yet must not be dropped).
    fn accounts_for_provider_id(&self, id: Option<&str>) -> Vec<String> {
        let all: Vec<String> = self.workers().keys().cloned().collect();
        let Some(id) = id else { return all };
        let b = self.board();
        let matching: Vec<String> = all
            .iter()
            .filter(|n| {
                b.status
                    .accounts
                    .get(n.as_str())
                    .and_then(|a| a.provider_account_id.as_deref())
                    == Some(id)
            })
            .cloned()
            .collect();
        if matching.is_empty() { all } else { matching }
    }

    /// Applies a manifest load: reports it, starts workers for new accounts, wakes those
    /// whose desired state changed (but `from`, the run that loaded it), retires the
    /// accounts no longer declared.
    fn on_reload(self: &Arc<Self>, reload: Reload, from: Option<&str>) {
        let now = self.config.clock.now();
        {
            let mut b = self.board();
            let m = &mut b.status.manifests;
            m.loads += 1;
            m.last_load_at = Some(now);
            m.ok = reload.error.is_none();
            m.resolved = self
                .config
                .dir
                .canonicalize()
                .ok()
                .map(|p| p.display().to_string());
            if reload.error.is_none() {
                m.last_good_at = Some(now);
            }
            m.error = reload.error.clone();
        }
        self.metrics
            .counters()
            .manifest_load(reload.error.is_none());
        if let Some(e) = &reload.error {
            tracing::error!(
                diagnostics = ?e.diagnostics,
                "the manifests failed to load: {}; the last good revision stays in force",
                e.message
            );
        }
        if self.stopping() {
            self.board().update_ready();
            return;
        }
        for name in &reload.changed {
            let mut workers = self.workers();
            match workers.get(name) {
                Some(w) => {
                    if from != Some(name.as_str()) {
                        w.inbox.push(Trigger::ManifestChanged);
                    }
                }
                None => {
                    tracing::info!(account = %name, "account declared: starting its worker");
                    self.board().account(name);
                    let counters = self.metrics.counters().clone();
                    let account = name.clone();
                    let inbox = Arc::new(Inbox::with_hook(Box::new(move |t| {
                        counters.coalesced(&account, t)
                    })));
                    let runner = runner::AccountRunner::new(self.clone(), name.clone());
                    let timing = worker::Timing {
                        backoff_base: self.config.backoff_min,
                        backoff_max: self.config.backoff_max,
                        min_interval: self.config.min_trigger_interval,
                        clock: self.config.clock.clone(),
                    };
                    let task = tokio::spawn(worker::run(
                        runner,
                        inbox.clone(),
                        timing,
                        self.shutdown.clone(),
                    ));
                    workers.insert(name.clone(), Worker { inbox, task });
                }
            }
        }
        for name in &reload.removed {
            tracing::warn!(account = %name, "account no longer declared: its worker stops; nothing is removed from Zoom");
            if let Some(w) = self.workers().remove(name) {
                w.inbox.close();
            }
            self.board().remove_account(name);
        }
        self.board().update_ready();
    }
}

/// Runs the daemon on `store` until `shutdown` completes, then stops taking triggers, lets
/// the changes in flight finish (within `shutdown_grace`) and returns.
pub async fn run(
    config: DaemonConfig,
    store: Arc<dyn crate::store::Store>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<Exit, DaemonError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| DaemonError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().unwrap_or(config.listen);
    let (stop_tx, stop_rx) = tokio_watch::channel(false);
    let board = Board::new(
        &config.dir.display().to_string(),
        config.mode == Mode::DryRun,
        config.clock.now(),
    );
    let shared = Arc::new(Shared {
        desired: DesiredSource::new(&config.dir),
        store,
        board: Mutex::new(board),
        metrics: Metrics::new(),
        seen_signatures: webhook::SeenSignatures::default(),
        workers: Mutex::new(BTreeMap::new()),
        stop: Arc::new(AtomicBool::new(false)),
        sim_turn: tokio::sync::Mutex::new(()),
        shutdown: stop_rx.clone(),
        config,
    });

    let (tx, mut rx) = mpsc::channel(16);
    let mut watch = watch::ManifestWatch::new(
        &shared.config.dir,
        std::slice::from_ref(&shared.config.state),
        tx,
    )
    .map_err(|source| DaemonError::Watch {
        dir: shared.config.dir.clone(),
        source,
    })?;

    let server = {
        let app = http::router(shared.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let graceful = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(graceful)
                .await
            {
                tracing::error!(error = %e, "the HTTP server stopped");
            }
        })
    };
    tracing::info!(
        addr = %addr,
        dir = %shared.config.dir.display(),
        mode = if shared.config.mode == Mode::DryRun { "dry-run" } else { "apply" },
        "listening"
    );

    let first = shared.desired.reload().await;
    shared.on_reload(first, None);

    let watcher_task = {
        let shared = shared.clone();
        let debounce = shared.config.debounce;
        tokio::spawn(async move {
            while debounce::settle(&mut rx, debounce, debounce * 10)
                .await
                .is_some()
            {
                if watch.rearm() {
                    tracing::info!(target = ?watch.target(), "the manifest folder moved");
                }
                let reload = shared.desired.reload().await;
                shared.on_reload(reload, None);
            }
        })
    };

    shutdown.await;
    tracing::info!("shutdown requested: no new triggers; letting changes in flight finish");
    shared.stop.store(true, Ordering::SeqCst);
    {
        let mut b = shared.board();
        b.status.stopping = true;
        b.update_ready();
    }
    let _ = stop_tx.send(true);
    watcher_task.abort();
    let workers: Vec<(String, Worker)> =
        std::mem::take(&mut *shared.workers()).into_iter().collect();
    let deadline = tokio::time::Instant::now() + shared.config.shutdown_grace;
    let mut exit = Exit::Clean;
    for (name, w) in workers {
        w.inbox.close();
        let mut task = w.task;
        if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
            tracing::error!(account = %name, "the run in flight did not finish within the shutdown grace; stopping anyway (the next run re-reads the account)");
            task.abort();
            exit = Exit::GraceExceeded;
        }
    }
    if tokio::time::timeout(Duration::from_secs(2), server)
        .await
        .is_err()
    {
        tracing::warn!("the HTTP server did not stop in time");
    }
    tracing::info!(clean = exit == Exit::Clean, "stopped");
    Ok(exit)
}

/// `roster daemon`: builds the configuration, runs until SIGTERM or SIGINT, returns the
/// exit code (0 after a clean stop).
pub async fn main(
    args: DaemonArgs,
    state: PathBuf,
    store_url: Option<String>,
) -> Result<u8, DaemonError> {
    let config = args
        .into_config(state, store_url)
        .map_err(DaemonError::Config)?;
    if config.webhook_secret.is_none() {
        tracing::info!(
            env = %config.webhook_secret_env,
            "no webhook secret in the environment: /webhooks/zoom answers 503"
        );
    }
    match &config.operator {
        auth::Access::Token(_) => {
            tracing::info!("/status, / and POST /reconcile require the operator token")
        }
        auth::Access::Loopback => tracing::info!(
            env = %config.operator_token_env,
            "no operator token: /status, / and POST /reconcile are served on loopback only"
        ),
        auth::Access::Closed => tracing::warn!(
            env = %config.operator_token_env,
            "no operator token and a listen address beyond loopback: /status, / and POST /reconcile answer 401"
        ),
    }
    let store = crate::session::open_store(&config.state, config.store_url.as_deref())
        .await
        .map_err(|e| DaemonError::Store(e.to_string()))?;
    match run(config, store, shutdown_signal()).await? {
        Exit::Clean => Ok(0),
        Exit::GraceExceeded => Ok(1),
    }
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the daemon");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
