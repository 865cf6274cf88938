//! The front door of every API request (log, latency, faults, token, rate limits with
//! Zoom's `X-RateLimit-*` headers), the token endpoint, the request log, and Zoom's
//! `{code, message}` answer for paths and methods the simulator does not serve.

use super::faults::{Call, Label, Verdict};
use super::{AccountId, ApiError, Issued, RequestRecord, Shared, zoom_time};
use crate::provider::wire::TokenResponse;
use axum::Json;
use axum::body::Body;
use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::time::Instant;

/// Largest body logged and passed on.
const MAX_BODY: usize = 1 << 20;

fn http_date(t: crate::model::Timestamp) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn set(resp: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

impl AppState {
    fn record(&self, r: RequestRecord) {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).push(r);
    }
}

use super::AppState;

/// The token a request carries, as this server issued it (expired or not).
fn issued_of(state: &AppState, headers: &HeaderMap) -> Option<Issued> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))?;
    let tokens = state.tokens.lock().unwrap_or_else(|p| p.into_inner());
    tokens.get(token).cloned()
}

/// A request as logged, before its answer.
fn describe(req: &Request, body: &[u8]) -> RequestRecord {
    let text = String::from_utf8_lossy(body);
    RequestRecord {
        method: req.method().to_string(),
        path: req.uri().path().to_string(),
        route: req
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_string()),
        query: req.uri().query().unwrap_or_default().to_string(),
        body: (!body.is_empty()).then(|| {
            serde_json::from_slice(body).unwrap_or(serde_json::Value::String(text.into_owned()))
        }),
        content_type: req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        status: 0,
        fault: None,
        client: None,
        label: None,
        at_ms: 0,
    }
}

/// Logging, latency, token, rate limits and faults, in that order.
pub async fn front_door(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return ApiError(400, 300, format!("Invalid request body: {e}.")).into_response(),
    };
    let mut req = Request::from_parts(parts, Body::from(bytes.clone()));
    let mut rec = describe(&req, &bytes);
    rec.at_ms = state.started.elapsed().as_millis() as u64;
    if !state.cfg.latency.is_zero() {
        tokio::time::sleep(state.cfg.latency).await;
    }
    let issued = issued_of(&state, req.headers());
    rec.client = issued.as_ref().map(|i| i.serial);
    let Some(account) = issued
        .filter(|i| Instant::now() < i.expires)
        .map(|i| i.account)
    else {
        rec.status = 401;
        state.record(rec);
        return ApiError(401, 124, "Invalid access token.".into()).into_response();
    };
    if state.read(|c| c.account_index(&account).is_none()) {
        rec.status = 401;
        state.record(rec);
        return super::no_account(&account).into_response();
    }
    let label = Label::of(req.method(), rec.route.as_deref().unwrap_or(&rec.path));
    rec.label = Some(label.as_str());
    let verdict = limit(&state, &account, label, &rec);
    let clock = state.read(|c| c.clock);
    if let Some(reason) = verdict.fault {
        rec.status = 429;
        rec.fault = Some(reason.into());
        state.record(rec);
        return too_many(label, &verdict, clock);
    }
    let fault = state.faults.failure(req.method());
    if fault == Some("fail-before") {
        rec.status = 500;
        rec.fault = fault.map(str::to_string);
        state.record(rec);
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
        rec.status = 500;
        rec.fault = fault.map(str::to_string);
        state.record(rec);
        return ApiError(
            500,
            500,
            "Internal error (injected after the change).".into(),
        )
        .into_response();
    }
    rec.status = resp.status().as_u16();
    state.record(rec);
    rate_headers(&mut resp, label, &verdict);
    let date = state.read(|c| c.clock);
    set(&mut resp, "date", &http_date(date));
    resp
}

/// Counts the request against the account's limits.
fn limit(state: &AppState, account: &str, label: Label, rec: &RequestRecord) -> Verdict {
    let (plan, day) = state.read(|c| {
        (
            c.account_index(account).map(|i| c.accounts[i].plan),
            c.clock.date_naive(),
        )
    });
    let creates_user = rec.method == "POST"
        && rec.route.as_deref() == Some("/v2/users")
        && rec.body.as_ref().is_some_and(|b| b["action"] == "create");
    state.faults.throttle(&Call {
        account,
        label,
        plan,
        day,
        creates_user,
    })
}

fn rate_headers(resp: &mut Response, label: Label, v: &Verdict) {
    set(resp, "x-ratelimit-category", label.as_str());
    set(resp, "x-ratelimit-limit", &v.limit.to_string());
    set(resp, "x-ratelimit-remaining", &v.remaining.to_string());
}

/// Zoom's 429: per second (`QPS`, retry in a second) or daily (`Daily-limit`, retry at
/// the next UTC midnight of the simulator's clock), `Retry-After` as an ISO date.
fn too_many(label: Label, v: &Verdict, clock: crate::model::Timestamp) -> Response {
    let (kind, message, retry) = if v.daily {
        let midnight = (clock.date_naive() + chrono::Days::new(1))
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or(clock);
        (
            "Daily-limit",
            "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.",
            midnight,
        )
    } else {
        (
            "QPS",
            "You have reached the maximum per-second rate limit for this API. Try again later.",
            clock + chrono::Duration::seconds(1),
        )
    };
    let mut resp = ApiError(429, 429, message.into()).into_response();
    rate_headers(&mut resp, label, v);
    set(&mut resp, "x-ratelimit-type", kind);
    set(&mut resp, "retry-after", &zoom_time(retry));
    set(&mut resp, "date", &http_date(clock));
    resp
}

/// Any path or method the simulator does not serve: Zoom's 400/2300, logged.
pub async fn unknown_endpoint(State(state): State<Shared>, method: Method, uri: Uri) -> Response {
    state.record(RequestRecord {
        method: method.to_string(),
        path: uri.path().to_string(),
        route: None,
        query: uri.query().unwrap_or_default().to_string(),
        body: None,
        content_type: None,
        status: 400,
        fault: None,
        client: None,
        label: None,
        at_ms: state.started.elapsed().as_millis() as u64,
    });
    ApiError(
        400,
        2300,
        format!(
            "This API endpoint is not recognized: {method} {} (roster sim serve implements Zoom's users, groups, contact groups and roles).",
            uri.path()
        ),
    )
    .into_response()
}

/// Drops one trailing `/` from the path (Zoom serves `/roles/2/` as `/roles/2`).
pub async fn strip_trailing_slash(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/').to_string();
        let pq = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed,
        };
        if let Ok(uri) = pq.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    next.run(req).await
}

fn oauth_error(status: StatusCode, reason: &str, error: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"reason": reason, "error": error})),
    )
        .into_response()
}

/// `POST /oauth/token?grant_type=account_credentials&account_id=…` (query or form body)
/// with Basic credentials.
pub async fn token(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    use base64::Engine as _;
    let mut params: HashMap<String, String> = q;
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        if let Some((k, v)) = pair.split_once('=') {
            let v = super::extract::decode(v).unwrap_or_default();
            params.insert(k.to_string(), v);
        }
    }
    let log = |status: u16| {
        state.record(RequestRecord {
            method: Method::POST.to_string(),
            path: "/oauth/token".into(),
            route: Some("/oauth/token".into()),
            query: String::new(),
            body: None,
            content_type: None,
            status,
            fault: None,
            client: None,
            label: None,
            at_ms: state.started.elapsed().as_millis() as u64,
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
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "Invalid client_id or client_secret",
            "invalid_client",
        );
    }
    if params.get("grant_type").map(String::as_str) != Some("account_credentials") {
        log(400);
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "Unsupported grant type",
            "unsupported_grant_type",
        );
    }
    let account = params.get("account_id").cloned().unwrap_or_default();
    if state.read(|c| c.account_index(&account).is_none()) {
        log(400);
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "Invalid account_id",
            "invalid_request",
        );
    }
    let t = format!("sim.{:032x}", fastrand::u128(..));
    {
        let mut tokens = state.tokens.lock().unwrap_or_else(|p| p.into_inner());
        let serial = tokens.len() as u64 + 1;
        let expires = Instant::now() + state.cfg.token_ttl;
        tokens.insert(
            t.clone(),
            Issued {
                account,
                expires,
                serial,
            },
        );
    }
    log(200);
    Json(TokenResponse {
        access_token: t,
        token_type: "bearer".into(),
        expires_in: state.cfg.token_ttl.as_secs(),
        scope: "user:read:admin user:write:admin group:read:admin group:write:admin role:read:admin role:write:admin contact_group:read:admin contact_group:write:admin".into(),
    })
    .into_response()
}

/// `GET /_sim/requests`: every request seen, for tests to count calls and check them.
pub async fn requests(State(state): State<Shared>) -> Json<Vec<RequestRecord>> {
    Json(state.log.lock().unwrap_or_else(|p| p.into_inner()).clone())
}
