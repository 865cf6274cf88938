//! The HTTP edge of the `zoom` provider: Server-to-Server OAuth tokens, a client-side rate
//! limiter per Zoom label, and retries (429 with `Retry-After`, 5xx and timeouts with
//! bounded exponential backoff, one token renewal on 401). Secrets and tokens are never
//! logged.

use super::limiter::{Label, Limiter};
use crate::provider::ProviderError;
use crate::provider::wire::{ErrorBody, TokenResponse};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Most attempts for one request (the first included).
const MAX_ATTEMPTS: u32 = 7;
/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

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
}

/// How a request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Safe to repeat as is (reads, PATCH, PUT, DELETE, member additions).
    Safe,
    /// A create: never repeated blindly; the caller re-reads first.
    Once,
}

fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(200u64.saturating_mul(1 << attempt.min(6)));
    let jitter = Duration::from_millis(fastrand::u64(0..=base.as_millis() as u64 / 2 + 50));
    (base + jitter).min(MAX_BACKOFF)
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
            .timeout(Duration::from_secs(30))
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

    async fn fetch_token(&self) -> Result<Token, ProviderError> {
        for attempt in 0..MAX_ATTEMPTS {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .client
                .post(&self.token_url)
                .query(&[
                    ("grant_type", "account_credentials"),
                    ("account_id", self.creds.account_id.as_str()),
                ])
                .basic_auth(&self.creds.client_id, Some(&self.creds.client_secret))
                .send()
                .await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) if attempt + 1 < MAX_ATTEMPTS => {
                    tracing::warn!(attempt, error = %e, "token request failed; retrying");
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(backoff(attempt)).await;
                    continue;
                }
                Err(e) => {
                    return Err(ProviderError::Transport(format!(
                        "token endpoint {}: {e}",
                        self.token_url
                    )));
                }
            };
            let status = resp.status();
            if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                self.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(attempt, %status, "token endpoint busy; retrying");
                tokio::time::sleep(backoff(attempt)).await;
                continue;
            }
            if !status.is_success() {
                return Err(ProviderError::Auth(format!(
                    "the token endpoint refused the app's credentials (HTTP {status}): check provider.zoom.clientId, clientSecret and accountId; nothing was changed"
                )));
            }
            let t: TokenResponse = resp
                .json()
                .await
                .map_err(|e| ProviderError::Auth(format!("unexpected token answer: {e}")))?;
            let life = Duration::from_secs(t.expires_in);
            // Renew about a minute before expiry (as Zoom's own SDK does).
            let renew_in = life.saturating_sub(Duration::from_secs(60)).max(life / 2);
            tracing::debug!(expires_in = t.expires_in, "got an access token");
            return Ok(Token {
                value: t.access_token,
                renew_at: Instant::now() + renew_in,
            });
        }
        Err(ProviderError::Transport(
            "token endpoint kept failing".into(),
        ))
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
    /// re-read); an invalid or expired token is renewed once.
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
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            self.limiter.acquire(label).await;
            let token = self.bearer(false).await?;
            let mut req = self
                .client
                .request(method.clone(), &url)
                .bearer_auth(&token)
                .query(query);
            if let Some(b) = body {
                req = req.json(b);
            }
            self.calls.fetch_add(1, Ordering::Relaxed);
            let transient = match req.send().await {
                Err(e) => format!("{e}"),
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    let date = headers
                        .get(reqwest::header::DATE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_date);
                    let bytes = resp
                        .bytes()
                        .await
                        .map_err(|e| ProviderError::Transport(e.to_string()))?;
                    if status.is_success() {
                        return Ok(Answer {
                            date,
                            body: bytes.to_vec(),
                        });
                    }
                    let err: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
                    let code = err
                        .as_ref()
                        .map(|e| e.code)
                        .unwrap_or(i64::from(status.as_u16()));
                    let message = err.map(|e| e.message).unwrap_or_else(|| {
                        String::from_utf8_lossy(&bytes).chars().take(200).collect()
                    });
                    // Code 124 is a bad token whatever the status: users-api.json documents
                    // it under 400, Zoom's Errors page under 401 (issue 10, item 9).
                    let bad_token = status == StatusCode::UNAUTHORIZED || code == 124;
                    if bad_token && !renewed {
                        renewed = true;
                        tracing::info!(%method, path, "access token refused (code {code}); renewing it once");
                        self.bearer(true).await?;
                        continue;
                    }
                    if bad_token {
                        return Err(ProviderError::Auth(format!(
                            "Zoom refused a fresh access token: {message}"
                        )));
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS
                        && let Some(e) = daily_limit(&headers, code, &method, path)
                    {
                        return Err(e);
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        if attempt + 1 >= MAX_ATTEMPTS * 2 {
                            return Err(ProviderError::api(429, code, message));
                        }
                        let wait = retry_after(&headers);
                        tracing::warn!(%method, path, wait_ms = wait.as_millis() as u64, category = headers.get("x-ratelimit-category").and_then(|v| v.to_str().ok()).unwrap_or("?"), "rate limited (429); retrying");
                        self.retries.fetch_add(1, Ordering::Relaxed);
                        attempt += 1;
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    if code == 4700 {
                        return Err(ProviderError::Auth(format!(
                            "the app's token lacks a scope that {method} {path} needs ({message}): add the scopes listed in docs/zoom-provider.md"
                        )));
                    }
                    if !status.is_server_error() {
                        return Err(ProviderError::api(status.as_u16(), code, message));
                    }
                    format!("HTTP {status}: {message}")
                }
            };
            if retry == Retry::Once || attempt + 1 >= MAX_ATTEMPTS {
                return Err(ProviderError::Transport(format!(
                    "{method} {path}: {transient}"
                )));
            }
            let wait = backoff(attempt);
            tracing::warn!(%method, path, attempt, wait_ms = wait.as_millis() as u64, error = %transient, "request failed; retrying");
            self.retries.fetch_add(1, Ordering::Relaxed);
            attempt += 1;
            tokio::time::sleep(wait).await;
        }
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
    fn backoff_grows_and_is_bounded() {
        assert!(backoff(0) < Duration::from_secs(1));
        assert!(backoff(3) >= Duration::from_millis(1600));
        assert!(backoff(30) <= MAX_BACKOFF);
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
