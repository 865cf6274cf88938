//! The HTTP edge of the `zoom` provider: Server-to-Server OAuth tokens, a client-side rate
//! limiter per Zoom label, and retries (429 with `Retry-After`, 5xx and timeouts with
//! bounded exponential backoff, one token renewal on 401). Secrets and tokens are never
//! logged.

use super::limiter::{Label, Limiter};
use crate::provider::ProviderError;
use crate::provider::wire::{ErrorBody, TokenResponse};
use backon::{ExponentialBuilder, Retryable};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// Most attempts for one request (the first included).
const MAX_ATTEMPTS: u32 = 7;
/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Requests in flight at once until [`Http::limit_in_flight`] says otherwise.
const DEFAULT_IN_FLIGHT: usize = 4;

/// Resolved credentials of a Server-to-Server OAuth app.
#[derive(Clone)]
pub struct Credentials {
    /// Zoom account id.
    pub account_id: String,
    /// Client id.
    pub client_id: String,
    /// Client secret (never printed: `Debug` hides it).
    pub client_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("account_id", &self.account_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

struct Token {
    value: String,
    renew_at: Instant,
}

/// An answer: status, the server's `Date` and the body.
pub struct Answer {
    /// The server's clock (`Date` header), when sent.
    pub date: Option<chrono::DateTime<chrono::Utc>>,
    /// Body.
    pub body: Vec<u8>,
}

impl Answer {
    /// Parses the body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ProviderError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ProviderError::Transport(format!("unexpected answer from Zoom: {e}")))
    }
}

/// One Zoom API client for one account.
pub struct Http {
    client: reqwest::Client,
    base_url: String,
    token_url: String,
    creds: Credentials,
    token: Mutex<Option<Token>>,
    limiter: Limiter,
    calls: AtomicU64,
    retries: AtomicU64,
    in_flight: std::sync::Mutex<Arc<Semaphore>>,
}

/// How a request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Safe to repeat as is (reads, PATCH, PUT, DELETE, member additions).
    Safe,
    /// A create: never repeated blindly; the caller re-reads first.
    Once,
}

/// The retry policy (backon): from 100 ms doubling up to [`MAX_BACKOFF`], each delay
/// stretched by a random share of itself so that concurrent requests do not retry in
/// lockstep. 429s may use more attempts than transient failures ([`MAX_ATTEMPTS`]); a
/// 429's own `Retry-After` replaces the delay.
fn policy() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(MAX_BACKOFF)
        .with_jitter()
        .with_max_times(MAX_ATTEMPTS as usize * 2 - 1)
}

/// The parts of a request that stay the same across its attempts.
struct Request<'a> {
    method: &'a Method,
    url: &'a str,
    path: &'a str,
    query: &'a [(&'a str, String)],
    label: Label,
}

/// The largest answer read (32 MiB): a page of 2,000 users is a few MiB, and a server
/// sending more is refused before it fills the memory (issue 17, hostile servers).
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// Reads a body, refusing one over [`MAX_ANSWER_BYTES`] without reading the rest.
async fn read_capped(
    mut resp: reqwest::Response,
    method: &Method,
    path: &str,
) -> Result<Vec<u8>, Failed> {
    let too_large = || {
        Failed::Fatal(ProviderError::Transport(format!(
            "{method} {path}: the answer is larger than {} MiB; roster reads no more",
            MAX_ANSWER_BYTES / (1024 * 1024)
        )))
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| Failed::Transient(cause_chain(&e)))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Why one attempt failed, and so whether another may follow.
#[derive(Debug)]
enum Failed {
    /// A 5xx, a timeout or a connection failure: retried with backoff when safe.
    Transient(String),
    /// A 429: retried after the wait it asks for.
    Limited {
        wait: Duration,
        error: ProviderError,
    },
    /// The token was renewed: tried again at once.
    Renewed,
    /// Final.
    Fatal(ProviderError),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Transient(m) => f.write_str(m),
            Failed::Limited { error, .. } | Failed::Fatal(error) => write!(f, "{error}"),
            Failed::Renewed => f.write_str("access token renewed"),
        }
    }
}

impl Failed {
    /// Whether to try again; `transient_left` counts down the transient failures allowed.
    fn worth_retrying(&self, retry: Retry, transient_left: &mut u32) -> bool {
        match self {
            Failed::Transient(_) => {
                let again = retry == Retry::Safe && *transient_left > 0;
                *transient_left = transient_left.saturating_sub(1);
                again
            }
            Failed::Limited { .. } | Failed::Renewed => true,
            Failed::Fatal(_) => false,
        }
    }

    /// The delay before the next attempt: the policy's, a 429's own, or none after a
    /// renewed token; `None` once the policy's attempts are used up.
    fn adjust(&self, next: Option<Duration>) -> Option<Duration> {
        next.map(|d| match self {
            Failed::Limited { wait, .. } => *wait,
            Failed::Renewed => Duration::ZERO,
            Failed::Transient(_) | Failed::Fatal(_) => d,
        })
    }

    /// The error the caller sees once no attempt is left.
    fn into_error(self, what: &str) -> ProviderError {
        match self {
            Failed::Transient(m) => ProviderError::Transport(format!("{what}: {m}")),
            Failed::Limited { error, .. } | Failed::Fatal(error) => error,
            Failed::Renewed => {
                ProviderError::Auth(format!("{what}: the access token kept being refused"))
            }
        }
    }
}

/// An error with its causes, outermost first (`error sending request …: client error
/// (Connect): tcp connect error: Connection refused (os error 111)`).
fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

fn parse_date(raw: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc2822(raw)
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(raw))
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// How long a 429 asks to wait: `Retry-After` as a date (Zoom's form, compared with the
/// answer's own `Date` so clock skew does not matter) or as seconds; else a jittered second.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    let header = |name: reqwest::header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let server_now = header(reqwest::header::DATE)
        .and_then(|d| parse_date(&d))
        .unwrap_or_else(chrono::Utc::now);
    let wait = header(reqwest::header::RETRY_AFTER).and_then(|v| match v.trim().parse::<u64>() {
        Ok(secs) => Some(Duration::from_secs(secs)),
        Err(_) => parse_date(&v).map(|at| (at - server_now).to_std().unwrap_or_default()),
    });
    wait.unwrap_or_else(|| Duration::from_millis(1000 + fastrand::u64(0..500)))
        .min(Duration::from_secs(60))
}

/// A 429 for a daily limit (`X-RateLimit-Type: Daily-limit`, or Zoom's daily message):
/// retrying cannot help before the reset, so the request fails at once, saying when the
/// limit resets (issue 10, item 12).
fn daily_limit(
    headers: &reqwest::header::HeaderMap,
    code: i64,
    method: &Method,
    path: &str,
) -> Option<ProviderError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if !header("x-ratelimit-type").is_some_and(|t| t.eq_ignore_ascii_case("daily-limit")) {
        return None;
    }
    let category = header("x-ratelimit-category").unwrap_or_else(|| "this".into());
    let reset = header("retry-after").unwrap_or_else(|| "the next day (UTC)".into());
    Some(ProviderError::api(
        429,
        code,
        format!(
            "{method} {path}: Zoom's daily limit of {category} requests for this account is used up; it resets at {reset}. roster does not retry until then: apply again after the reset."
        ),
    ))
}

/// The longest one request may take. Shorter than the lease TTL less its renew interval
/// (30 s − 10 s) with the send margin, so that a lease renewed on time always covers a
/// request (issue 14); Zoom answers in well under a second, and a timed-out request is
/// retried like a 5xx.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

impl Http {
    /// A client for `base_url` (e.g. `https://api.zoom.us/v2`) that takes tokens from
    /// `token_url`, limited to `share` of the account plan's rate limits.
    pub fn new(
        base_url: &str,
        token_url: &str,
        creds: Credentials,
        plan_business: bool,
        share: f64,
    ) -> Result<Http, ProviderError> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("roster/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Config(format!("HTTP client: {e}")))?;
        Ok(Http {
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            token_url: token_url.to_string(),
            creds,
            token: Mutex::new(None),
            limiter: Limiter::new(plan_business, share),
            calls: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            in_flight: std::sync::Mutex::new(Arc::new(Semaphore::new(DEFAULT_IN_FLIGHT))),
        })
    }

    /// Requests sent so far (token requests and retries included).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Attempts repeated so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Caps the requests in flight at once at `n` (a request waiting for its retry holds
    /// none of them).
    pub fn limit_in_flight(&self, n: usize) {
        if let Ok(mut gate) = self.in_flight.lock() {
            *gate = Arc::new(Semaphore::new(n.max(1)));
        }
    }

    fn gate(&self) -> Arc<Semaphore> {
        self.in_flight
            .lock()
            .map(|g| Arc::clone(&g))
            .unwrap_or_else(|_| Arc::new(Semaphore::new(DEFAULT_IN_FLIGHT)))
    }

    async fn fetch_token(&self) -> Result<Token, ProviderError> {
        let mut busy_left = MAX_ATTEMPTS - 1;
        (|| self.token_once())
            .retry(policy())
            .sleep(tokio::time::sleep)
            .when(|f: &Failed| f.worth_retrying(Retry::Safe, &mut busy_left))
            .adjust(Failed::adjust)
            .notify(|f: &Failed, wait: Duration| {
                self.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(wait_ms = wait.as_millis() as u64, error = %f, "token request failed; retrying");
            })
            .await
            .map_err(|f| f.into_error(&format!("token endpoint {}", self.token_url)))
    }

    /// One token request.
    async fn token_once(&self) -> Result<Token, Failed> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .client
            .post(&self.token_url)
            .query(&[
                ("grant_type", "account_credentials"),
                ("account_id", self.creds.account_id.as_str()),
            ])
            .basic_auth(&self.creds.client_id, Some(&self.creds.client_secret))
            .send()
            .await
            .map_err(|e| Failed::Transient(cause_chain(&e)))?;
        let status = resp.status();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Failed::Transient(format!("HTTP {status}")));
        }
        if !status.is_success() {
            return Err(Failed::Fatal(ProviderError::Auth(format!(
                "the token endpoint refused the app's credentials (HTTP {status}): check provider.zoom.clientId, clientSecret and accountId; nothing was changed"
            ))));
        }
        let t: TokenResponse = resp.json().await.map_err(|e| {
            Failed::Fatal(ProviderError::Auth(format!(
                "unexpected token answer: {}",
                cause_chain(&e)
            )))
        })?;
        let life = Duration::from_secs(t.expires_in);
        // Renew about a minute before expiry (as Zoom's own SDK does).
        let renew_in = life.saturating_sub(Duration::from_secs(60)).max(life / 2);
        tracing::debug!(expires_in = t.expires_in, "got an access token");
        Ok(Token {
            value: t.access_token,
            renew_at: Instant::now() + renew_in,
        })
    }

    async fn bearer(&self, force: bool) -> Result<String, ProviderError> {
        let mut slot = self.token.lock().await;
        let fresh = slot.as_ref().is_some_and(|t| Instant::now() < t.renew_at);
        if force || !fresh {
            *slot = Some(self.fetch_token().await?);
        }
        Ok(slot.as_ref().map(|t| t.value.clone()).unwrap_or_default())
    }

    /// Sends one request. Transient failures are retried when `retry` allows (a `Once`
    /// request is sent a single time and its transient failure returned, for the caller to
    /// re-read); an invalid or expired token is renewed once. Between attempts the request
    /// holds no in-flight slot.
    pub async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        label: Label,
        retry: Retry,
    ) -> Result<Answer, ProviderError> {
        let url = format!("{}{}", self.base_url, path);
        let renewed = AtomicBool::new(false);
        let mut transient_left = MAX_ATTEMPTS - 1;
        let what = format!("{method} {path}");
        let request = Request {
            method: &method,
            url: &url,
            path,
            query,
            label,
        };
        (|| self.attempt(&request, body, &renewed))
            .retry(policy())
            .sleep(tokio::time::sleep)
            .when(|f: &Failed| f.worth_retrying(retry, &mut transient_left))
            .adjust(Failed::adjust)
            .notify(|f: &Failed, wait: Duration| {
                self.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%method, path, wait_ms = wait.as_millis() as u64, error = %f, "request failed; retrying");
            })
            .await
            .map_err(|f| f.into_error(&what))
    }

    /// One attempt of a request, holding an in-flight slot until its answer is read.
    async fn attempt<B: Serialize>(
        &self,
        r: &Request<'_>,
        body: Option<&B>,
        renewed: &AtomicBool,
    ) -> Result<Answer, Failed> {
        let gate = self.gate();
        let _slot = gate
            .acquire()
            .await
            .map_err(|e| Failed::Fatal(ProviderError::Transport(e.to_string())))?;
        self.limiter.acquire(r.label).await;
        let token = self.bearer(false).await.map_err(Failed::Fatal)?;
        let mut req = self
            .client
            .request(r.method.clone(), r.url)
            .bearer_auth(&token)
            .query(r.query);
        if let Some(b) = body {
            req = req.json(b);
        }
        self.calls.fetch_add(1, Ordering::Relaxed);
        let resp = req
            .send()
            .await
            .map_err(|e| Failed::Transient(cause_chain(&e)))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let date = headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_date);
        let bytes = read_capped(resp, r.method, r.path).await?;
        if status.is_success() {
            return Ok(Answer { date, body: bytes });
        }
        Err(self.refused(r, status, &headers, &bytes, renewed).await)
    }

    /// What a non-2xx answer means for the retry.
    async fn refused(
        &self,
        r: &Request<'_>,
        status: StatusCode,
        headers: &reqwest::header::HeaderMap,
        bytes: &[u8],
        renewed: &AtomicBool,
    ) -> Failed {
        let (method, path) = (r.method, r.path);
        let err: Option<ErrorBody> = serde_json::from_slice(bytes).ok();
        let code = err
            .as_ref()
            .map(|e| e.code)
            .unwrap_or(i64::from(status.as_u16()));
        let message = err
            .map(|e| e.message)
            .unwrap_or_else(|| String::from_utf8_lossy(bytes).chars().take(200).collect());
        // Code 124 is a bad token whatever the status: users-api.json documents it under
        // 400, Zoom's Errors page under 401 (issue 10, item 9).
        let bad_token = status == StatusCode::UNAUTHORIZED || code == 124;
        if bad_token && !renewed.swap(true, Ordering::Relaxed) {
            tracing::info!(%method, path, "access token refused (code {code}); renewing it once");
            return match self.bearer(true).await {
                Ok(_) => Failed::Renewed,
                Err(e) => Failed::Fatal(e),
            };
        }
        if bad_token {
            return Failed::Fatal(ProviderError::Auth(format!(
                "Zoom refused a fresh access token: {message}"
            )));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            if let Some(e) = daily_limit(headers, code, method, path) {
                return Failed::Fatal(e);
            }
            let wait = retry_after(headers);
            tracing::debug!(%method, path, category = headers.get("x-ratelimit-category").and_then(|v| v.to_str().ok()).unwrap_or("?"), "rate limited (429)");
            return Failed::Limited {
                wait,
                error: ProviderError::api(429, code, message),
            };
        }
        if code == 4700 {
            return Failed::Fatal(ProviderError::Auth(format!(
                "the app's token lacks a scope that {method} {path} needs ({message}): add the scopes listed in docs/zoom-provider.md"
            )));
        }
        if !status.is_server_error() {
            return Failed::Fatal(ProviderError::api(status.as_u16(), code, message));
        }
        Failed::Transient(format!("HTTP {status}: {message}"))
    }

    /// `GET` as JSON, with retries.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        label: Label,
    ) -> Result<(T, Option<chrono::DateTime<chrono::Utc>>), ProviderError> {
        let a = self
            .send::<()>(Method::GET, path, query, None, label, Retry::Safe)
            .await?;
        Ok((a.json()?, a.date))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_as_a_date_is_measured_against_the_servers_clock() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            reqwest::header::DATE,
            "Sun, 01 Nov 2026 09:00:00 GMT".parse().expect("h"),
        );
        h.insert(
            reqwest::header::RETRY_AFTER,
            "2026-11-01T09:00:03Z".parse().expect("h"),
        );
        assert_eq!(retry_after(&h), Duration::from_secs(3));
        h.insert(reqwest::header::RETRY_AFTER, "2".parse().expect("h"));
        assert_eq!(retry_after(&h), Duration::from_secs(2));
    }

    #[test]
    fn the_policy_grows_and_is_bounded() {
        let delays: Vec<Duration> = backon::BackoffBuilder::build(policy()).collect();
        assert_eq!(delays.len(), MAX_ATTEMPTS as usize * 2 - 1);
        assert!(delays[0] < Duration::from_millis(200));
        assert!(delays[3] >= Duration::from_millis(800));
        assert!(delays.iter().all(|d| *d <= MAX_BACKOFF * 2));
    }

    #[test]
    fn a_transient_failure_is_retried_only_when_safe_and_within_its_budget() {
        let t = || Failed::Transient("HTTP 500".into());
        let mut left = 1;
        assert!(!t().worth_retrying(Retry::Once, &mut 5));
        assert!(t().worth_retrying(Retry::Safe, &mut left));
        assert!(!t().worth_retrying(Retry::Safe, &mut left));
        let limited = Failed::Limited {
            wait: Duration::from_secs(2),
            error: ProviderError::api(429, 429, "busy"),
        };
        assert!(limited.worth_retrying(Retry::Once, &mut 0));
        assert_eq!(
            limited.adjust(Some(Duration::from_millis(1))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(limited.adjust(None), None);
    }

    #[test]
    fn credentials_never_print_the_secret() {
        let c = Credentials {
            account_id: "a".into(),
            client_id: "b".into(),
            client_secret: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
