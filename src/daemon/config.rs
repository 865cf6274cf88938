//! `roster daemon` arguments and the validated configuration the daemon runs with.

use super::auth::{Access, OperatorToken};
use super::clock::{Clock, parse_cron};
use super::webhook::WebhookSecret;
use crate::apply::ApplyConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `roster daemon [DIR]`: watch the manifests and keep the accounts equal to them.
#[derive(Debug, Clone, clap::Args)]
pub struct DaemonArgs {
    /// Manifest folder (a git-sync symlink is followed across swaps).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Address for /healthz, /readyz, /metrics, /status, / and the webhooks.
    #[arg(long, env = "ROSTER_LISTEN", default_value = "127.0.0.1:9464")]
    pub listen: SocketAddr,
    /// Environment variable holding the operator token that /status, / and
    /// POST /reconcile require (`Authorization: Bearer TOKEN`). Without a token they are
    /// served only on a loopback --listen address.
    #[arg(long, default_value = "ROSTER_OPERATOR_TOKEN")]
    pub operator_token_env: String,
    /// File holding the operator token (a mounted Kubernetes Secret), instead of the
    /// environment variable.
    #[arg(long, env = "ROSTER_OPERATOR_TOKEN_FILE")]
    pub operator_token_file: Option<PathBuf>,
    /// Shortest time between the end of a run and the start of one woken only by
    /// POST /reconcile or webhooks (those arriving sooner wait and make one run).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub min_trigger_interval: Duration,
    /// Observe and report drift (log, metrics, /status) without applying anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Resync cron (seconds first, UTC) for accounts whose manifest sets no
    /// `schedule.resync`; `off` for none.
    #[arg(long, default_value = "0 */10 * * * *")]
    pub resync: String,
    /// Quiet time after a manifest change before reloading (`300ms`, `2s`).
    #[arg(long, default_value = "300ms", value_parser = parse_duration)]
    pub debounce: Duration,
    /// Environment variable holding the Zoom webhook secret token; without it,
    /// /webhooks/zoom answers 503.
    #[arg(long, default_value = "ZOOM_WEBHOOK_SECRET_TOKEN")]
    pub webhook_secret_env: String,
    /// Largest difference between a webhook's timestamp and now.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub webhook_tolerance: Duration,
    /// How long SIGTERM waits for the changes in flight before exiting anyway.
    #[arg(long, default_value = "25s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
    /// First retry delay after a failed run (doubles, with jitter).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub backoff_min: Duration,
    /// Longest retry delay after failed runs.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub backoff_max: Duration,
    /// Changes in flight at once per account.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}

/// Whether the daemon applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Observe, plan, apply.
    Apply,
    /// Observe and plan; report drift.
    DryRun,
}

/// The daemon's validated configuration.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// Manifest folder.
    pub dir: PathBuf,
    /// State folder (SQLite store, simulator).
    pub state: PathBuf,
    /// Shared store URL.
    pub store_url: Option<String>,
    /// HTTP address.
    pub listen: SocketAddr,
    /// Who may use /status, / and POST /reconcile.
    pub operator: Access,
    /// Where the operator token was looked for (for messages).
    pub operator_token_env: String,
    /// Shortest time between a run and the next one woken only from outside.
    pub min_trigger_interval: Duration,
    /// Apply or dry-run.
    pub mode: Mode,
    /// Default resync for accounts that set none (validated).
    pub resync: Option<String>,
    /// Manifest debounce.
    pub debounce: Duration,
    /// Webhook secret token, if configured.
    pub webhook_secret: Option<WebhookSecret>,
    /// Where the secret was looked for (for messages).
    pub webhook_secret_env: String,
    /// Webhook timestamp tolerance.
    pub webhook_tolerance: Duration,
    /// Shutdown grace.
    pub shutdown_grace: Duration,
    /// Backoff bounds.
    pub backoff_min: Duration,
    /// Backoff cap.
    pub backoff_max: Duration,
    /// Apply settings (the stop flag is the daemon's own).
    pub apply: ApplyConfig,
    /// Wall clock.
    pub clock: Clock,
}

impl DaemonArgs {
    /// Validates the arguments; reads the webhook secret from its environment variable.
    pub fn into_config(
        self,
        state: PathBuf,
        store_url: Option<String>,
    ) -> Result<DaemonConfig, String> {
        let resync = match self.resync.trim() {
            "off" | "" => None,
            expr => {
                parse_cron(expr).map_err(|e| format!("--resync: {e}"))?;
                Some(expr.to_string())
            }
        };
        if self.backoff_min.is_zero() || self.backoff_max < self.backoff_min {
            return Err("--backoff-min must be above zero and at most --backoff-max".into());
        }
        let token = operator_token(
            &self.operator_token_env,
            self.operator_token_file.as_deref(),
        )?;
        let webhook_secret = std::env::var(&self.webhook_secret_env)
            .ok()
            .filter(|s| !s.is_empty())
            .map(WebhookSecret::new);
        Ok(DaemonConfig {
            dir: self.dir,
            state,
            store_url,
            listen: self.listen,
            operator: Access::new(token, self.listen),
            operator_token_env: self.operator_token_env,
            min_trigger_interval: self.min_trigger_interval,
            mode: if self.dry_run {
                Mode::DryRun
            } else {
                Mode::Apply
            },
            resync,
            debounce: self.debounce,
            webhook_secret,
            webhook_secret_env: self.webhook_secret_env,
            webhook_tolerance: self.webhook_tolerance,
            shutdown_grace: self.shutdown_grace,
            backoff_min: self.backoff_min,
            backoff_max: self.backoff_max,
            apply: ApplyConfig {
                concurrency: self.concurrency.max(1),
                ..ApplyConfig::default()
            },
            clock: Clock::System,
        })
    }
}

/// The operator token from `file`, else from the variable `env`; both set is an error (which
/// one wins would be a guess).
fn operator_token(
    env: &str,
    file: Option<&std::path::Path>,
) -> Result<Option<OperatorToken>, String> {
    let from_env = std::env::var(env).ok().filter(|s| !s.trim().is_empty());
    match (file, from_env) {
        (Some(path), Some(_)) => Err(format!(
            "both {env} and --operator-token-file {} are set; keep one",
            path.display()
        )),
        (Some(path), None) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "--operator-token-file {}: cannot read it: {e}",
                    path.display()
                )
            })?;
            OperatorToken::new(&text, &path.display().to_string()).map(Some)
        }
        (None, Some(text)) => OperatorToken::new(&text, env).map(Some),
        (None, None) => Ok(None),
    }
}

/// `250ms`, `2s`, `5m`, `1h` (humantime; a bare number has no unit and is refused).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?}: {e}; write a number and a unit (ms, s, m, h), e.g. 300ms"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_their_unit() {
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("25s"), Ok(Duration::from_secs(25)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("fast").is_err());
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(2 * 86_400)));
    }
}
