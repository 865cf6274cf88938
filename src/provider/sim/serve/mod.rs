//! `roster sim serve`: the simulated cloud behind Zoom's REST paths and payloads, so the
//! `zoom` provider can be exercised end to end on loopback. Every request goes through one
//! front door ([`front_door`]) that logs it, adds the configured latency and faults,
//! checks the bearer token and applies Zoom's per-label rate limits; the handlers then map
//! the request onto the same rule engine as the embedded provider.

mod contacts;
mod faults;
mod groups;
mod roles;
#[cfg(test)]
mod tests;
mod users;

use super::CloudFile;
use super::cloud::{Cloud, SimAccount};
use super::engine::Actor;
use crate::model::Email;
use crate::model::Op;
use crate::provider::ProviderError;
use crate::provider::wire::{ErrorBody, TokenResponse};
use axum::Json;
use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use faults::{Faults, Label};
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
}

/// One request as the server saw it: what tests count.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path (without query).
    pub path: String,
    /// Route template (`/v2/users/{userId}`), when one matched.
    pub route: Option<String>,
    /// Query string.
    pub query: String,
    /// Status answered.
    pub status: u16,
    /// Why a fault was injected (`429-burst`, `rate-limit`, `fail-before`, `fail-after`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

struct Cursor {
    key: String,
    offset: usize,
    created: Instant,
}

/// Shared state of the server.
pub struct AppState {
    file: CloudFile,
    cloud: Mutex<Cloud>,
    cfg: ServeConfig,
    tokens: Mutex<HashMap<String, (String, Instant)>>,
    cursors: Mutex<HashMap<String, Cursor>>,
    log: Mutex<Vec<RequestRecord>>,
    faults: Faults,
}

type Shared = Arc<AppState>;

/// An answer in Zoom's error envelope.
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

/// The account a token was issued for. A token can outlive its account (an owner who
/// accepts an invitation elsewhere takes their emptied account with them, I3): such a
/// request is refused as Zoom refuses a bad token (401, code 124), never served from
/// another account.
pub fn account_of<'a>(cloud: &'a Cloud, id: &str) -> ApiResult<&'a SimAccount> {
    cloud
        .account_index(id)
        .map(|i| &cloud.accounts[i])
        .ok_or_else(|| no_account(id))
}

/// 401/124: the token's account is gone.
fn no_account(id: &str) -> ApiError {
    ApiError(
        401,
        124,
        format!("Invalid access token: its account {id} no longer exists."),
    )
}

type ApiResult<T> = Result<T, ApiError>;

impl AppState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Cloud> {
        self.cloud.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs operations as the account owner (the S2S token is the owner's), all or none,
    /// and saves the cloud.
    fn run_ops(&self, account: &str, ops: &[Op]) -> ApiResult<()> {
        let mut cloud = self.lock();
        let ai = cloud
            .account_index(account)
            .ok_or_else(|| no_account(account))?;
        let actor = Actor {
            email: cloud.accounts[ai].owner.clone(),
            out_of_band: false,
        };
        if let Some(refused) = ops.iter().find_map(|op| cloud.take_fault(op)) {
            self.file.save(&cloud).map_err(ApiError::from)?;
            return Err(refused.into());
        }
        let mut next = cloud.clone();
        for op in ops {
            next.execute(account, &actor, op)?;
        }
        self.file.save(&next).map_err(ApiError::from)?;
        *cloud = next;
        Ok(())
    }

    /// Reads the cloud.
    fn read<T>(&self, f: impl FnOnce(&Cloud) -> T) -> T {
        let mut cloud = self.lock();
        cloud.expire_invitations();
        f(&cloud)
    }

    /// Pages through `items` with expiring `next_page_token`s tied to `key` (the query).
    fn page<T: Clone>(
        &self,
        key: String,
        items: &[T],
        page_size: usize,
        token: Option<&str>,
    ) -> ApiResult<(Vec<T>, String)> {
        let mut cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
        let offset = match token.filter(|t| !t.is_empty()) {
            None => 0,
            Some(t) => match cursors.remove(t) {
                Some(c) if c.key == key && c.created.elapsed() < self.cfg.page_token_ttl => {
                    c.offset
                }
                _ => {
                    return Err(ApiError(
                        400,
                        300,
                        "The next page token is either invalid or has expired.".into(),
                    ));
                }
            },
        };
        let end = (offset + page_size).min(items.len());
        let page = items.get(offset..end).unwrap_or_default().to_vec();
        let next = if end < items.len() {
            let t = format!("npt{:016x}", fastrand::u64(..));
            cursors.insert(
                t.clone(),
                Cursor {
                    key,
                    offset: end,
                    created: Instant::now(),
                },
            );
            t
        } else {
            String::new()
        };
        Ok((page, next))
    }
}

/// Parses `size` within `1..=max`, defaulting to `default`.
fn page_size(raw: Option<&String>, default: usize, max: usize) -> ApiResult<usize> {
    match raw {
        None => Ok(default),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError(
                400,
                300,
                format!("Invalid field: page_size must be between 1 and {max}."),
            )),
        },
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

/// Builds the router over `cloud`, persisted to `file`.
pub fn router(file: CloudFile, cloud: Cloud, cfg: ServeConfig) -> (axum::Router, Shared) {
    let state = Arc::new(AppState {
        file,
        cloud: Mutex::new(cloud),
        faults: Faults::new(&cfg),
        cfg,
        tokens: Mutex::new(HashMap::new()),
        cursors: Mutex::new(HashMap::new()),
        log: Mutex::new(Vec::new()),
    });
    let api = axum::Router::new()
        .route("/v2/users", get(users::list).post(users::create))
        .route("/v2/users/email", get(users::email_exists))
        .route(
            "/v2/users/{user_id}",
            get(users::detail)
                .patch(users::update)
                .delete(users::remove),
        )
        .route("/v2/users/{user_id}/status", put(users::status))
        .route(
            "/v2/users/{user_id}/settings",
            get(users::settings).patch(users::update_settings),
        )
        .route("/v2/groups", get(groups::list).post(groups::create))
        .route(
            "/v2/groups/{group_id}",
            axum::routing::delete(groups::remove),
        )
        .route(
            "/v2/groups/{group_id}/members",
            get(groups::members).post(groups::add_members),
        )
        .route(
            "/v2/groups/{group_id}/members/{member_id}",
            axum::routing::delete(groups::remove_member),
        )
        .route(
            "/v2/contacts/groups",
            get(groups::chat_list).post(groups::chat_create),
        )
        .route(
            "/v2/contacts/groups/{group_id}",
            axum::routing::delete(groups::chat_remove),
        )
        .route(
            "/v2/contacts/groups/{group_id}/members",
            get(groups::chat_members)
                .post(groups::chat_add)
                .delete(groups::chat_remove_members),
        )
        .route(
            "/v2/contacts/user/{user_id}/personal",
            get(contacts::list).post(contacts::add),
        )
        .route(
            "/v2/contacts/user/{user_id}/personal/{contact_id}",
            axum::routing::patch(contacts::edit).delete(contacts::remove),
        )
        .route(
            "/v2/chat/users/{user_id}/invitations",
            post(contacts::invite),
        )
        .route("/v2/roles", get(roles::list).post(roles::create))
        .route(
            "/v2/roles/{role_id}",
            get(roles::detail)
                .patch(roles::update)
                .delete(roles::remove),
        )
        .route(
            "/v2/roles/{role_id}/members",
            get(roles::members).post(roles::add_members),
        )
        .route(
            "/v2/roles/{role_id}/members/{member_id}",
            axum::routing::delete(roles::remove_member),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            front_door,
        ));
    let app = axum::Router::new()
        .merge(api)
        .route("/oauth/token", post(token))
        .route("/_sim/requests", get(requests))
        .fallback(|| async { ApiError(404, 2300, "This API endpoint does not exist.".into()) })
        .with_state(state.clone());
    (app, state)
}

/// Serves until the process is stopped; prints `listening on ADDR` first (tests read it).
pub async fn serve(
    listen: &str,
    file: CloudFile,
    cloud: Cloud,
    cfg: ServeConfig,
) -> Result<(), ProviderError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| ProviderError::Config(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ProviderError::Config(e.to_string()))?;
    let (app, _) = router(file, cloud, cfg);
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

fn http_date(t: crate::model::Timestamp) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Logging, latency, faults, authentication and rate limits, in that order.
async fn front_door(State(state): State<Shared>, mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let clock = state.read(|c| c.clock);
    let record = |status: u16, fault: Option<&str>| {
        state
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(RequestRecord {
                method: method.to_string(),
                path: path.clone(),
                route: route.clone(),
                query: query.clone(),
                status,
                fault: fault.map(str::to_string),
            });
    };
    if !state.cfg.latency.is_zero() {
        tokio::time::sleep(state.cfg.latency).await;
    }
    // Authentication (code 124: invalid or expired token).
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let account = token.and_then(|t| {
        let tokens = state.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens
            .get(&t)
            .filter(|(_, exp)| Instant::now() < *exp)
            .map(|(a, _)| a.clone())
    });
    let Some(account) = account else {
        record(401, None);
        return ApiError(401, 124, "Invalid access token.".into()).into_response();
    };
    if let Err(e) = state.read(|c| account_of(c, &account).map(|_| ())) {
        record(401, None);
        return e.into_response();
    }
    let label = Label::of(&method, route.as_deref().unwrap_or(&path));
    let plan = state.read(|c| c.account_index(&account).map(|i| c.accounts[i].plan));
    if let Some(reason) = state.faults.throttle(&account, label, plan) {
        record(429, Some(reason));
        let retry = clock + chrono::Duration::seconds(1);
        let mut resp = ApiError(
            429,
            429,
            "You have reached the maximum per-second rate limit for this API. Try again later."
                .into(),
        )
        .into_response();
        let h = resp.headers_mut();
        h.insert(
            "X-RateLimit-Category",
            HeaderValue::from_static(label.as_str()),
        );
        h.insert("X-RateLimit-Type", HeaderValue::from_static("QPS"));
        if let Ok(v) =
            HeaderValue::from_str(&retry.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        {
            h.insert(header::RETRY_AFTER, v);
        }
        if let Ok(v) = HeaderValue::from_str(&http_date(clock)) {
            h.insert(header::DATE, v);
        }
        return resp;
    }
    let fault = state.faults.failure(&method);
    if fault == Some("fail-before") {
        record(500, fault);
        return ApiError(
            500,
            500,
            "Internal error (injected before the change).".into(),
        )
        .into_response();
    }
    req.extensions_mut().insert(AccountId(account));
    let mut resp = next.run(req).await;
    if fault == Some("fail-after") {
        record(500, fault);
        return ApiError(
            500,
            500,
            "Internal error (injected after the change).".into(),
        )
        .into_response();
    }
    record(resp.status().as_u16(), None);
    let date = state.read(|c| c.clock);
    if let Ok(v) = HeaderValue::from_str(&http_date(date)) {
        resp.headers_mut().insert(header::DATE, v);
    }
    resp
}

/// `POST /oauth/token?grant_type=account_credentials&account_id=…` with Basic credentials.
async fn token(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    use base64::Engine as _;
    let mut params: HashMap<String, String> = q;
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        if let Some((k, v)) = pair.split_once('=') {
            params.insert(k.to_string(), v.replace('+', " "));
        }
    }
    let log = |status: u16| {
        state
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(RequestRecord {
                method: Method::POST.to_string(),
                path: "/oauth/token".into(),
                route: Some("/oauth/token".into()),
                query: String::new(),
                status,
                fault: None,
            });
    };
    let creds = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let expected = format!("{}:{}", state.cfg.client_id, state.cfg.client_secret);
    if creds.as_deref() != Some(expected.as_str()) {
        log(401);
        return (StatusCode::UNAUTHORIZED, Json(serde_json::json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}))).into_response();
    }
    if params.get("grant_type").map(String::as_str) != Some("account_credentials") {
        log(400);
        return (StatusCode::BAD_REQUEST, Json(serde_json::json!({"reason": "Unsupported grant type", "error": "unsupported_grant_type"}))).into_response();
    }
    let account = params.get("account_id").cloned().unwrap_or_default();
    if state.read(|c| c.account_index(&account).is_none()) {
        log(400);
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"reason": "Invalid account_id", "error": "invalid_request"})),
        )
            .into_response();
    }
    let t = format!("sim.{:032x}", fastrand::u128(..));
    state
        .tokens
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(t.clone(), (account, Instant::now() + state.cfg.token_ttl));
    log(200);
    Json(TokenResponse {
        access_token: t,
        token_type: "bearer".into(),
        expires_in: state.cfg.token_ttl.as_secs(),
        scope: "user:read:admin user:write:admin group:read:admin group:write:admin role:read:admin role:write:admin contact_group:read:admin contact_group:write:admin".into(),
    })
    .into_response()
}

/// `GET /_sim/requests`: every request seen, for tests to count calls.
async fn requests(State(state): State<Shared>) -> Json<Vec<RequestRecord>> {
    Json(state.log.lock().unwrap_or_else(|p| p.into_inner()).clone())
}
