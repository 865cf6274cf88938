//! `roster sim serve`: the simulated cloud behind Zoom's REST paths and payloads, so the
//! `zoom` provider, and any script written for Zoom, can be run against it on loopback. Every
//! request goes through one front door ([`front::front_door`]) that logs it, adds the
//! configured latency and faults, checks the bearer token and applies Zoom's per-label rate
//! limits; the handlers then map the request onto the same rule engine as the embedded
//! provider and answer with the objects of Zoom's published specs (`contracts/zoom/`), which
//! the conformance suite (`tests/conformance/`) checks.

mod calendly;
mod contact_groups;
mod contacts;
mod extract;
mod faults;
mod front;
mod google;
mod groups;
mod paging;
mod roles;
#[cfg(test)]
mod tests;
mod users;
mod view;

use super::SyncedCloud;
use super::cloud::Cloud;
use super::engine::Actor;
use crate::model::Email;
use crate::model::Op;
use crate::provider::ProviderError;
use crate::provider::wire::ErrorBody;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use faults::Faults;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the server behaves: credentials it accepts, and the faults it injects.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// OAuth client id the token endpoint accepts.
    pub client_id: String,
    /// OAuth client secret the token endpoint accepts.
    pub client_secret: String,
    /// Access-token lifetime (Zoom: one hour).
    pub token_ttl: Duration,
    /// `next_page_token` lifetime (Zoom: 15 minutes).
    pub page_token_ttl: Duration,
    /// Share of requests answered 500 (half of them after the change was made, as when a
    /// response is lost), between 0 and 1.
    pub fail_rate: f64,
    /// Delay added to every request.
    pub latency: Duration,
    /// Every `burst_every` requests, the next `burst_429` are answered 429.
    pub burst_429: u32,
    /// Period of the 429 bursts.
    pub burst_every: u32,
    /// Seed of the fault generator, for repeatable runs.
    pub seed: u64,
    /// Whether Zoom's per-second and daily rate limits apply (fuzzers and load tests turn
    /// them off; the headers are sent either way).
    pub rate_limits: bool,
    /// Whether `GET /contacts/user/{userId}/personal` is served: Zoom announced POST,
    /// PATCH and DELETE on personal contacts but never a GET, so `--no-personal-list`
    /// answers it 404/2300 as Zoom would if it has none (issue 10, item 4).
    pub personal_list: bool,
}

/// One request as the server saw it: what tests count and the request check validates.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path (without query).
    pub path: String,
    /// Route template (`/v2/users/{user_id}`), when one matched.
    pub route: Option<String>,
    /// Query string.
    pub query: String,
    /// The body: JSON when it parses, else the text; absent when empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// The request's `Content-Type`, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Status answered.
    pub status: u16,
    /// Which access token the request carried: its serial number in the order this server
    /// issued them (1 = the first). Each process fetches its own token, so tests can tell
    /// two replicas' requests apart without the token itself being logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<u64>,
    /// The Zoom rate-limit label the request counted against (`Light`, `Medium`,
    /// `Heavy`), once its token was accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'static str>,
    /// When the request arrived, in milliseconds since the server started: benchmarks
    /// compute requests per second per label from it.
    pub at_ms: u64,
    /// Why a fault was injected (`429-burst`, `rate-limit`, `daily-limit`, `fail-before`,
    /// `fail-after`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// An access token this server issued: the account it stands for, until when, and its
/// serial number (logged as a request's `client`).
#[derive(Debug, Clone)]
struct Issued {
    account: String,
    expires: Instant,
    serial: u64,
}

/// Shared state of the server.
pub struct AppState {
    cloud: SyncedCloud,
    cfg: ServeConfig,
    tokens: Mutex<HashMap<String, Issued>>,
    pager: paging::Pager,
    log: Mutex<Vec<RequestRecord>>,
    faults: Faults,
    /// When the server started (`RequestRecord::at_ms`).
    started: Instant,
    /// Calendly's tokens and rate-limit windows (`/calendly`).
    calendly: calendly::CalendlyState,
    /// Google's access tokens and quota windows (`/google`).
    google: google::GoogleState,
}

type Shared = Arc<AppState>;

/// An answer in Zoom's error envelope: HTTP status, Zoom code, message.
#[derive(Debug)]
pub struct ApiError(pub u16, pub i64, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0).unwrap_or(StatusCode::BAD_REQUEST);
        (
            status,
            Json(ErrorBody {
                code: self.1,
                message: self.2,
            }),
        )
            .into_response()
    }
}

impl From<ProviderError> for ApiError {
    fn from(e: ProviderError) -> ApiError {
        match e {
            ProviderError::Api {
                status,
                code,
                message,
                ..
            } => ApiError(status, code, message),
            other => ApiError(500, 500, other.to_string()),
        }
    }
}

/// The account a request acts on (from its token).
#[derive(Debug, Clone)]
pub struct AccountId(pub String);

type ApiResult<T> = Result<T, ApiError>;

/// 401/124: the token's account is gone. A token can outlive its account (an owner who
/// accepts an invitation elsewhere takes their emptied account with them, I3): such a
/// request is refused as Zoom refuses a bad token, never served from another account.
fn no_account(account: &str) -> ApiError {
    ApiError(
        401,
        124,
        format!("Invalid access token: its account {account} no longer exists."),
    )
}

impl AppState {
    /// Runs operations as the account owner (the S2S token is the owner's), all or none,
    /// and saves the cloud.
    fn run_ops(&self, account: &str, ops: &[Op]) -> ApiResult<()> {
        self.transact(account, ops, |cloud, actor| {
            for op in ops {
                cloud.execute(account, actor, op)?;
            }
            Ok(())
        })
    }

    /// Runs `f` as the account owner on the cloud as the file holds it now, under the
    /// file lock (another process may share the state folder); saves only when `f`
    /// succeeds, so a refused request changes nothing. `ops` are the operations `f` runs:
    /// a refusal injected for one of them (`roster sim fail`) answers first.
    fn transact<T>(
        &self,
        account: &str,
        ops: &[Op],
        f: impl FnOnce(&mut Cloud, &Actor) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.cloud
            .update(|cloud| {
                let ai = cloud
                    .account_index(account)
                    .ok_or_else(|| no_account(account))?;
                let actor = Actor {
                    email: cloud.accounts[ai].owner.clone(),
                    out_of_band: false,
                };
                if let Some(fault) = ops.iter().find_map(|op| cloud.take_fault(op)) {
                    // The consumed fault is saved; the refusal is the answer, after the
                    // change when the fault says so (a lost reply).
                    if fault.after {
                        f(cloud, &actor)?;
                    }
                    return Ok(Err(fault.error.into()));
                }
                f(cloud, &actor).map(Ok)
            })
            .and_then(|answer| answer)
    }

    /// Reads the cloud as the file holds it now.
    fn read<T>(&self, f: impl FnOnce(&Cloud) -> T) -> T {
        self.cloud.peek(f)
    }

    /// Reads one account of the cloud.
    fn read_account<T>(
        &self,
        account: &str,
        f: impl FnOnce(&Cloud, &super::cloud::SimAccount) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.read(|c| match c.account_index(account) {
            Some(i) => f(c, &c.accounts[i]),
            None => Err(no_account(account)),
        })
    }
}

fn email_of(raw: &str) -> ApiResult<Email> {
    Email::parse(raw).map_err(|_| {
        ApiError(
            400,
            300,
            format!("Invalid field: {raw} is not an email address."),
        )
    })
}

/// Zoom's timestamp form (`2019-06-01T07:58:03Z`).
fn zoom_time(t: crate::model::Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Builds the router over `cloud`, kept in step with its file.
pub fn router(cloud: SyncedCloud, cfg: ServeConfig) -> (axum::Router, Shared) {
    let state = Arc::new(AppState {
        cloud,
        faults: Faults::new(&cfg),
        pager: paging::Pager::new(cfg.page_token_ttl),
        cfg,
        tokens: Mutex::new(HashMap::new()),
        log: Mutex::new(Vec::new()),
        started: Instant::now(),
        calendly: Default::default(),
        google: Default::default(),
    });
    let api = users::routes()
        .merge(groups::routes())
        .merge(contact_groups::routes())
        .merge(roles::routes())
        .merge(contacts::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            front::front_door,
        ))
        .nest("/calendly", calendly::routes())
        .nest("/google", google::routes())
        .route("/oauth/token", post(front::token))
        .route("/_sim/requests", get(front::requests))
        .method_not_allowed_fallback(front::unknown_endpoint)
        .fallback(front::unknown_endpoint)
        .with_state(state.clone());
    // Zoom ignores a trailing slash (`/roles/2/`, as zoomus sends it): strip it before
    // routing.
    let app = axum::Router::new()
        .fallback_service(api)
        .layer(axum::middleware::from_fn(front::strip_trailing_slash));
    (app, state)
}

/// Serves until the process is stopped; prints `listening on ADDR` first (tests read it).
pub async fn serve(
    listen: &str,
    cloud: SyncedCloud,
    cfg: ServeConfig,
) -> Result<(), ProviderError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| ProviderError::Config(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ProviderError::Config(e.to_string()))?;
    let (app, _) = router(cloud, cfg);
    println!("listening on http://{addr}");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| ProviderError::Transport(e.to_string()))
}

/// The routes of one module, typed over the shared state.
type Routes = axum::Router<Shared>;
