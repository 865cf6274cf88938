//! Calendly API v2's read endpoints over the simulated Calendly organizations, under
//! `/calendly` (C1, C6): a token endpoint, `GET /users/me`, `GET /organization_memberships`
//! and `GET /locations`, in Calendly's envelopes (`resource`, `collection` and
//! `pagination`), its error shape (`title`, `message`) and its rate limits (500 requests
//! per user per minute; 429 with `X-RateLimit-Limit`, `-Remaining`, `-Reset` in seconds).
//! Calendly has no endpoint for the organization's Zoom connection: none is served.

use super::{Routes, Shared};
use crate::model::{CalendlyConnectionKind, Email};
use crate::provider::sim::cloud::{Cloud, SimCalendly};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Calendly's paid-plan limit per user per minute.
pub const PER_MINUTE: u32 = 500;

/// What the Calendly side of the server remembers: tokens it issued (token → user) and
/// each user's rate-limit window.
#[derive(Default)]
pub struct CalendlyState {
    tokens: Mutex<HashMap<String, Email>>,
    windows: Mutex<HashMap<Email, (Instant, u32)>>,
}

/// The routes, nested under `/calendly`.
pub fn routes() -> Routes {
    axum::Router::new()
        .route("/oauth/token", post(token))
        .route("/users/me", get(me))
        .route("/organization_memberships", get(memberships))
        .route("/locations", get(locations))
        .fallback(|| async {
            error(
                404,
                "Resource Not Found",
                "The server could not find the requested resource.",
            )
        })
}

const BASE: &str = "https://api.calendly.com";

fn user_uri(e: &Email) -> String {
    format!("{BASE}/users/{}", id(e.as_str()))
}

fn org_uri(org: &SimCalendly) -> String {
    format!("{BASE}/organizations/{}", id(&org.organization))
}

/// A stable id from a name (Calendly's are opaque 16-character strings).
fn id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                'X'
            }
        })
        .collect()
}

/// Calendly's error envelope.
fn error(status: u16, title: &str, message: &str) -> Response {
    let code =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    (code, Json(json!({ "title": title, "message": message }))).into_response()
}

/// The organization `email` belongs to, with its Zoom account's id.
fn org_of<'c>(cloud: &'c Cloud, email: &Email) -> Option<&'c SimCalendly> {
    cloud
        .accounts
        .iter()
        .filter_map(|a| a.calendly.as_ref())
        .find(|o| o.members.contains_key(email))
}

/// `POST /calendly/oauth/token`: the simulated person's consent. `grant_type=password`
/// with `username=EMAIL` (a member of some simulated organization) stands for the OAuth
/// authorisation a real member gives; the answer has Calendly's fields.
async fn token(State(state): State<Shared>, body: String) -> Response {
    let mut params: HashMap<String, String> = HashMap::new();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        if let Some((k, v)) = pair.split_once('=') {
            params.insert(k.into(), super::extract::decode(v).unwrap_or_default());
        }
    }
    let Some(user) = params.get("username").and_then(|u| Email::parse(u).ok()) else {
        return error(
            400,
            "invalid_request",
            "username (a member's email) is required",
        );
    };
    let Some(org) = state.read(|c| org_of(c, &user).map(org_uri)) else {
        return error(
            400,
            "invalid_grant",
            "no simulated Calendly organization has this member",
        );
    };
    let token = format!("calendly-{}", uuid_like(&state, &user));
    if let Ok(mut t) = state.calendly.tokens.lock() {
        t.insert(token.clone(), user.clone());
    }
    Json(json!({
        "token_type": "Bearer",
        "access_token": token,
        "expires_in": 7200,
        "created_at": 0,
        "owner": user_uri(&user),
        "organization": org,
    }))
    .into_response()
}

fn uuid_like(state: &Shared, user: &Email) -> String {
    let n = state.calendly.tokens.lock().map_or(0, |t| t.len());
    format!("{n:04}-{}", id(user.as_str()).len())
}

/// Who the bearer token is, after the rate limit; or the answer to send.
fn authorise(state: &Shared, headers: &HeaderMap) -> Result<(Email, RateHeaders), Box<Response>> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let user = bearer.and_then(|t| state.calendly.tokens.lock().ok()?.get(t).cloned());
    let Some(user) = user else {
        return Err(Box::new(error(
            401,
            "Unauthenticated",
            "The access token is invalid",
        )));
    };
    let rate = limit(state, &user);
    // `--no-rate-limit` (fuzzers, load tests) stops the refusals; the headers stay.
    if rate.remaining == 0 && rate.over && state.cfg.rate_limits {
        let mut r = error(
            429,
            "Too Many Requests",
            "You have exceeded the rate limit. Try again later.",
        );
        rate.apply(&mut r);
        return Err(Box::new(r));
    }
    Ok((user, rate))
}

/// `X-RateLimit-*` of one request.
struct RateHeaders {
    remaining: u32,
    reset: u64,
    over: bool,
}

impl RateHeaders {
    fn apply(&self, r: &mut Response) {
        let h = r.headers_mut();
        let mut set = |k: &'static str, v: String| {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(k, v);
            }
        };
        set("x-ratelimit-limit", PER_MINUTE.to_string());
        set("x-ratelimit-remaining", self.remaining.to_string());
        set("x-ratelimit-reset", self.reset.to_string());
    }
}

/// Counts the request in the user's one-minute window.
fn limit(state: &Shared, user: &Email) -> RateHeaders {
    let now = Instant::now();
    let Ok(mut w) = state.calendly.windows.lock() else {
        return RateHeaders {
            remaining: PER_MINUTE,
            reset: 60,
            over: false,
        };
    };
    let (start, used) = w.entry(user.clone()).or_insert((now, 0));
    if now.duration_since(*start) >= Duration::from_secs(60) {
        (*start, *used) = (now, 0);
    }
    let over = *used >= PER_MINUTE;
    if !over {
        *used += 1;
    }
    let reset = 60u64.saturating_sub(now.duration_since(*start).as_secs());
    RateHeaders {
        remaining: PER_MINUTE - *used,
        reset,
        over,
    }
}

fn respond(rate: RateHeaders, body: Value) -> Response {
    let mut r = Json(body).into_response();
    rate.apply(&mut r);
    r
}

fn user_json(e: &Email, org: &SimCalendly, with_org: bool) -> Value {
    let slug = id(e.as_str()).to_lowercase();
    let mut u = json!({
        "uri": user_uri(e),
        "name": e.as_str(),
        "slug": slug,
        "email": e.as_str(),
        "scheduling_url": format!("https://calendly.com/{slug}"),
        "timezone": "UTC",
        "avatar_url": null,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "updated_at": "2026-01-01T00:00:00.000000Z",
    });
    if with_org {
        u["current_organization"] = json!(org_uri(org));
    }
    u
}

/// `GET /users/me`.
async fn me(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let (user, rate) = match authorise(&state, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match state.read(|c| org_of(c, &user).map(|o| user_json(&user, o, true))) {
        Some(u) => respond(rate, json!({ "resource": u })),
        None => error(404, "Resource Not Found", "The user is no longer a member"),
    }
}

/// `GET /organization_memberships?organization=URI` (or `?user=URI`, `&email=`): the
/// members with their roles (C1), `count` (1 to 100, 20 by default) at a time with
/// `page_token`, as Calendly's OpenAPI file says; invalid parameters are 400.
async fn memberships(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (user, rate) = match authorise(&state, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Some(query) = MembershipQuery::parse(&q) else {
        return error(
            400,
            "Invalid Argument",
            "The supplied parameters are invalid.",
        );
    };
    if query.organization.is_none() && query.user.is_none() {
        return error(400, "Invalid Argument", "organization or user is required");
    }
    let Some(org) = state.read(|c| org_of(c, &user).cloned()) else {
        return error(403, "Permission Denied", "The user is no longer a member");
    };
    if query
        .organization
        .as_ref()
        .is_some_and(|o| *o != org_uri(&org))
    {
        return error(
            403,
            "Permission Denied",
            "You do not have permission to access this resource.",
        );
    }
    let all: Vec<Value> = org
        .members
        .iter()
        .filter(|(e, _)| query.user.as_ref().is_none_or(|u| *u == user_uri(e)))
        .filter(|(e, _)| query.email.as_ref().is_none_or(|m| m == *e))
        .map(|(e, m)| membership_json(e, m.role, &org))
        .collect();
    let collection: Vec<Value> = all
        .iter()
        .skip(query.offset)
        .take(query.count)
        .cloned()
        .collect();
    let next = (query.offset + query.count < all.len()).then_some(query.offset + query.count);
    let prev = (query.offset > 0).then(|| query.offset.saturating_sub(query.count));
    let pagination = paged(collection.len(), query.count, next, prev);
    respond(
        rate,
        json!({ "collection": collection, "pagination": pagination }),
    )
}

fn membership_json(e: &Email, role: crate::model::CalendlyRole, org: &SimCalendly) -> Value {
    json!({
        "uri": format!("{BASE}/organization_memberships/{}", id(e.as_str())),
        "role": role.as_str(),
        "user": user_json(e, org, false),
        "organization": org_uri(org),
        "updated_at": "2026-01-01T00:00:00.000000Z",
        "created_at": "2026-01-01T00:00:00.000000Z",
    })
}

/// The query of `GET /organization_memberships`, checked against Calendly's file.
struct MembershipQuery {
    organization: Option<String>,
    user: Option<String>,
    email: Option<Email>,
    count: usize,
    offset: usize,
}

impl MembershipQuery {
    /// `None`: a parameter breaks the contract (URIs, email, `count` 1–100, a page token
    /// this server gave).
    fn parse(q: &HashMap<String, String>) -> Option<MembershipQuery> {
        let uri = |k: &str| match q.get(k) {
            Some(v) => reqwest::Url::parse(v).ok().map(|_| Some(v.clone())),
            None => Some(None),
        };
        let email = match q.get("email") {
            Some(v) => Some(Email::parse(v).ok()?),
            None => None,
        };
        let count = match q.get("count") {
            Some(v) => {
                let n: f64 = v.parse().ok()?;
                (1.0..=100.0).contains(&n).then_some(n as usize)?
            }
            None => 20,
        };
        let offset = match q.get("page_token") {
            Some(t) => t.strip_prefix('p')?.parse().ok()?,
            None => 0,
        };
        Some(MembershipQuery {
            organization: uri("organization")?,
            user: uri("user")?,
            email,
            count,
            offset,
        })
    }
}

/// Calendly's `pagination` of a page of `n` rows, with the next and previous offsets.
fn paged(n: usize, count: usize, next: Option<usize>, prev: Option<usize>) -> Value {
    let token = |o: Option<usize>| o.map(|o| format!("p{o}"));
    let link = |o: Option<usize>| {
        o.map(|o| format!("{BASE}/organization_memberships?count={count}&page_token=p{o}"))
    };
    json!({
        "count": n,
        "next_page": link(next),
        "previous_page": link(prev),
        "next_page_token": token(next),
        "previous_page_token": token(prev),
    })
}

/// One page holding everything (`/locations`).
fn page(n: usize) -> Value {
    paged(n, n.max(1), None, None)
}

/// `GET /locations?user=URI`: the user's configured meeting locations. Not in the April
/// 2023 OpenAPI file; the shape (`kind`) is UNCONFIRMED (integrations.md). A Zoom location
/// shows while the user has a personal or organization connection (C3, C4); Calendly does
/// not tell them apart here.
async fn locations(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (user, rate) = match authorise(&state, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Some(org) = state.read(|c| org_of(c, &user).cloned()) else {
        return error(403, "Permission Denied", "The user is no longer a member");
    };
    let Some(who) = q.get("user") else {
        return error(400, "Invalid Argument", "user is required");
    };
    let users = crate::provider::sim::calendly::connected_users(&org);
    let Some(member) = org.members.keys().find(|e| user_uri(e) == *who) else {
        return error(
            404,
            "Resource Not Found",
            "No such user in the organization",
        );
    };
    let zoom = users.get(member).map(|k| match k {
        CalendlyConnectionKind::Personal | CalendlyConnectionKind::Organization => {
            json!({ "kind": "zoom_conference", "location": null })
        }
    });
    let collection: Vec<Value> = zoom.into_iter().collect();
    respond(
        rate,
        json!({ "collection": collection, "pagination": page(collection.len()) }),
    )
}
