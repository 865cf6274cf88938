//! Google People API v1 and Google's OAuth token endpoint over the simulated address books
//! (`Cloud::google`), under `/google` (K4): `/google/token` stands for
//! `https://oauth2.googleapis.com/token`, `/google/v1/…` for `https://people.googleapis.com/v1/…`.
//! Paths, parameters, bodies and errors follow the discovery document in
//! `contracts/google/` (its contract check in CI is not built yet); the book's rules
//! (late writes, sync tokens, etags) are `provider::sim::google`'s.
//!
//! - `token`: the refresh grant; access tokens are bound to the user whose refresh token
//!   it was; an unknown or revoked refresh token is `invalid_grant`.
//! - `people`: `people/me/connections` (paged, sync tokens), `createContact`,
//!   `updateContact`, `deleteContact` and the three batch calls; `contactGroups` list and
//!   create (the folders).
//! - `view`: a book's person as Google's `Person`, and a request's `Person` as fields.
//!
//! Every call is counted in a per-user one-minute window (reads and writes apart); over the
//! quota, or while the book's `throttleNext` says so, the answer is 429
//! RESOURCE_EXHAUSTED with `Retry-After`. One user's mutations run one at a time (each is
//! one update of the cloud under its lock).

mod people;
mod view;

use super::{Routes, Shared};
use crate::model::Email;
use crate::provider::google::wire::{ErrorBody, ErrorEnvelope, TokenError, TokenResponse};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Calls per user per minute, reads and writes counted apart (Google's default quota for
/// critical reads and for writes per user; the figure is UNCONFIRMED, docs/integrations.md).
pub const PER_MINUTE: u32 = 90;

/// Seconds an injected 429 asks to wait.
pub const INJECTED_RETRY_AFTER: u64 = 30;

/// The scope the token endpoint grants.
pub const SCOPE: &str = "https://www.googleapis.com/auth/contacts";

/// What the Google side of the server remembers: access tokens (token → user, expiry) and
/// each user's quota windows.
#[derive(Default)]
pub struct GoogleState {
    tokens: Mutex<HashMap<String, (Email, Instant)>>,
    windows: Mutex<HashMap<(Email, bool), (Instant, u32)>>,
    issued: Mutex<u64>,
}

/// The routes, nested under `/google`.
pub fn routes() -> Routes {
    axum::Router::new()
        .route("/token", post(token))
        .route("/v1/people/{person}/connections", get(people::connections))
        .route("/v1/people:createContact", post(people::create))
        .route("/v1/people:batchCreateContacts", post(people::batch_create))
        .route("/v1/people:batchUpdateContacts", post(people::batch_update))
        .route("/v1/people:batchDeleteContacts", post(people::batch_delete))
        .route(
            "/v1/people/{call}",
            axum::routing::patch(people::update).delete(people::delete),
        )
        .route(
            "/v1/contactGroups",
            get(people::list_groups).post(people::create_group),
        )
        .method_not_allowed_fallback(|| async { not_found() })
        .fallback(|| async { not_found() })
}

/// Google's error envelope.
pub fn error(code: u16, status: &str, message: &str, details: Vec<Value>) -> Response {
    let http = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    let body = ErrorEnvelope {
        error: ErrorBody {
            code,
            message: message.to_string(),
            status: status.to_string(),
            details,
        },
    };
    (http, Json(body)).into_response()
}

fn not_found() -> Response {
    error(404, "NOT_FOUND", "Requested entity was not found.", vec![])
}

/// 400 INVALID_ARGUMENT.
pub fn invalid(message: &str) -> Response {
    error(400, "INVALID_ARGUMENT", message, vec![])
}

/// A `google.rpc.ErrorInfo` detail.
pub fn error_info(reason: &str, metadata: Value) -> Value {
    json!({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": metadata,
    })
}

fn token_error(status: u16, error: &str, description: &str) -> Response {
    let http = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = TokenError {
        error: error.into(),
        error_description: description.into(),
    };
    (http, Json(body)).into_response()
}

fn form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), super::extract::decode(v).unwrap_or_default()))
        .collect()
}

/// `POST /google/token`: the refresh grant (form body: `grant_type=refresh_token`,
/// `refresh_token`, `client_id`, `client_secret`). Any non-empty client is accepted (the
/// simulated user consented to it); the refresh token must be a live one of some book.
async fn token(State(state): State<Shared>, body: String) -> Response {
    let p = form(&body);
    let field = |k: &str| p.get(k).filter(|v| !v.is_empty());
    if field("grant_type").map(String::as_str) != Some("refresh_token") {
        return token_error(
            400,
            "unsupported_grant_type",
            "Invalid grant_type: only refresh_token is served.",
        );
    }
    if field("client_id").is_none() || field("client_secret").is_none() {
        return token_error(401, "invalid_client", "The OAuth client was not found.");
    }
    let Some(refresh) = field("refresh_token") else {
        return token_error(
            400,
            "invalid_request",
            "Missing required parameter: refresh_token",
        );
    };
    let user = state.read(|c| {
        c.google
            .iter()
            .find(|(_, b)| b.grants(refresh))
            .map(|(e, _)| e.clone())
    });
    let Some(user) = user else {
        return token_error(400, "invalid_grant", "Token has been expired or revoked.");
    };
    let serial = state.google.issued.lock().map_or(0, |mut n| {
        *n += 1;
        *n
    });
    let access = format!("ya29.sim{serial}.{:016x}", fastrand::u64(..));
    let expiry = Instant::now() + state.cfg.token_ttl;
    if let Ok(mut t) = state.google.tokens.lock() {
        t.insert(access.clone(), (user, expiry));
    }
    Json(TokenResponse {
        access_token: access,
        expires_in: state.cfg.token_ttl.as_secs(),
        token_type: "Bearer".into(),
        scope: SCOPE.into(),
    })
    .into_response()
}

fn unauthenticated() -> Response {
    error(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        vec![error_info(
            "ACCESS_TOKEN_EXPIRED",
            json!({"service": "people.googleapis.com"}),
        )],
    )
}

/// The user a request acts for, after its bearer token, the revoked flag and the quota
/// (`write`: the write quota); or the answer to send.
fn authorise(state: &Shared, headers: &HeaderMap, write: bool) -> Result<Email, Box<Response>> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let now = Instant::now();
    let user = bearer
        .and_then(|t| state.google.tokens.lock().ok()?.get(t).cloned())
        .filter(|(_, expiry)| *expiry > now)
        .map(|(u, _)| u);
    let Some(user) = user else {
        return Err(Box::new(unauthenticated()));
    };
    let (live, throttled) = state.read(|c| match c.google.get(&user) {
        Some(b) => (!b.revoked, b.throttle_next > 0),
        None => (false, false),
    });
    if !live {
        return Err(Box::new(unauthenticated()));
    }
    if throttled {
        let _ = state.cloud.update(|c| {
            if let Some(b) = c.google.get_mut(&user) {
                b.take_throttle();
            }
            Ok::<_, crate::provider::ProviderError>(())
        });
        return Err(Box::new(exhausted(write, INJECTED_RETRY_AFTER)));
    }
    match quota(state, &user, write) {
        Some(wait) if state.cfg.rate_limits => Err(Box::new(exhausted(write, wait))),
        Some(_) | None => Ok(user),
    }
}

/// Counts a call in the user's window; `Some(seconds to wait)` when over the quota.
fn quota(state: &Shared, user: &Email, write: bool) -> Option<u64> {
    let now = Instant::now();
    let mut w = state.google.windows.lock().ok()?;
    let (start, used) = w.entry((user.clone(), write)).or_insert((now, 0));
    if now.duration_since(*start) >= Duration::from_secs(60) {
        (*start, *used) = (now, 0);
    }
    if *used >= PER_MINUTE {
        let left = 60u64.saturating_sub(now.duration_since(*start).as_secs());
        return Some(left.max(1));
    }
    *used += 1;
    None
}

/// 429 RESOURCE_EXHAUSTED with `Retry-After`.
fn exhausted(write: bool, retry_after: u64) -> Response {
    let metric = if write {
        "Critical write requests (Contact and Profile Writes)"
    } else {
        "Critical read requests (Contact and Profile Reads)"
    };
    let mut r = error(
        429,
        "RESOURCE_EXHAUSTED",
        &format!(
            "Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' of service 'people.googleapis.com'."
        ),
        vec![error_info(
            "RATE_LIMIT_EXCEEDED",
            json!({"service": "people.googleapis.com", "quota_limit_value": PER_MINUTE.to_string()}),
        )],
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}
