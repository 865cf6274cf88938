//! The HTTP side (axum), in two surfaces (issue 22, see [`super::auth`]):
//! - open: `/healthz`, `/readyz`, `/metrics` (no personal data in any of them) and
//!   `POST /webhooks/zoom` (its own signature);
//! - operator: `/`, its style sheet, `/status` and `POST /reconcile`, behind the operator
//!   token.
//!
//! Every refusal (401, 403, 413, 400, 503) is counted by endpoint and reason in
//! `roster_http_refusals_total`. Every response carries a strict Content-Security-Policy
//! and `nosniff`; no route answers CORS preflights or sets `Access-Control-*` headers, so
//! no other origin can read anything.

use super::Shared;
use super::auth::{self, Refusal};
use super::page;
use super::trigger::Trigger;
use super::webhook;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use serde::Deserialize;
use std::sync::Arc;

/// Webhook bodies are small JSON envelopes.
pub const MAX_BODY: usize = 256 * 1024;

/// The daemon's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    let open = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(WEBHOOK, post(zoom_webhook));
    let operator = Router::new()
        .route("/", get(page))
        .route(page::STYLE_PATH, get(style))
        .route("/status", get(status))
        .route("/reconcile", post(reconcile))
        .route_layer(middleware::from_fn_with_state(shared.clone(), authorise));
    open.merge(operator)
        .layer(middleware::map_response(security_headers))
        .with_state(shared)
}

const WEBHOOK: &str = "/webhooks/zoom";

/// The route as a metric label (a closed set, never the raw path).
fn endpoint(path: &str) -> &'static str {
    match path {
        "/" => "/",
        "/status" => "/status",
        "/reconcile" => "/reconcile",
        page::STYLE_PATH => page::STYLE_PATH,
        _ => "other",
    }
}

async fn authorise(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let read_only = req.method() == Method::GET || req.method() == Method::HEAD;
    match auth::check(&s.config.operator, read_only, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(r) => {
            let at = endpoint(req.uri().path());
            s.metrics.counters().refused(at, r.as_str());
            tracing::warn!(
                endpoint = at,
                reason = r.as_str(),
                "operator request refused"
            );
            refusal_response(r, read_only, &s.config.operator_token_env)
        }
    }
}

fn refusal_response(r: Refusal, read_only: bool, token_env: &str) -> Response {
    let mut res = (
        r.status(),
        axum::Json(serde_json::json!({ "error": r.message(token_env) })),
    )
        .into_response();
    if r.status() == StatusCode::UNAUTHORIZED {
        let h = res.headers_mut();
        h.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"roster\""),
        );
        if read_only {
            // Lets a browser ask for the token (as the password) to show the page.
            h.append(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"roster\", charset=\"UTF-8\""),
            );
        }
    }
    res
}

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, page::CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    res
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(s): State<Arc<Shared>>) -> Response {
    let (ready, text) = s.board().readiness();
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, text).into_response()
}

async fn metrics(State(s): State<Arc<Shared>>) -> Response {
    // The board's lock is held while the gauges are set and encoded: one scrape at a time.
    let text = {
        let b = s.board();
        s.metrics.render(&b.status)
    };
    ([(header::CONTENT_TYPE, super::metrics::CONTENT_TYPE)], text).into_response()
}

async fn status(State(s): State<Arc<Shared>>) -> Response {
    axum::Json(s.snapshot()).into_response()
}

async fn page(State(s): State<Arc<Shared>>) -> Html<String> {
    Html(page::html(&s.snapshot()))
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        page::STYLE,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct ReconcileQuery {
    account: Option<String>,
}

async fn reconcile(State(s): State<Arc<Shared>>, Query(q): Query<ReconcileQuery>) -> Response {
    if s.stopping() {
        s.metrics.counters().refused("/reconcile", "stopping");
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    let triggered = s.trigger(q.account.as_deref(), Trigger::Manual);
    if triggered.is_empty() {
        let msg = match &q.account {
            Some(a) => format!("no account named {a:?} in the manifests in force"),
            None => "no account in the manifests in force".into(),
        };
        return (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({ "error": msg })),
        )
            .into_response();
    }
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({ "triggered": triggered })),
    )
        .into_response()
}

/// Why a webhook request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WebhookRefusal {
    /// No secret configured (503).
    Disabled,
    /// The body is over [`MAX_BODY`] (413).
    TooLarge,
    /// The body could not be read (400).
    Unreadable,
    /// Signature or timestamp refused (401).
    Signature(&'static str),
    /// A signature already accepted within the window (401).
    Replayed,
    /// Signed, but not an event envelope (400).
    BadRequest,
    /// Shutting down (503: Zoom retries).
    Stopping,
}

impl WebhookRefusal {
    fn reason(self) -> &'static str {
        match self {
            WebhookRefusal::Disabled => "disabled",
            WebhookRefusal::TooLarge => "body_too_large",
            WebhookRefusal::Unreadable => "body_unreadable",
            WebhookRefusal::Signature(r) => r,
            WebhookRefusal::Replayed => "replayed",
            WebhookRefusal::BadRequest => "bad_request",
            WebhookRefusal::Stopping => "stopping",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            WebhookRefusal::Disabled | WebhookRefusal::Stopping => StatusCode::SERVICE_UNAVAILABLE,
            WebhookRefusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebhookRefusal::Unreadable | WebhookRefusal::BadRequest => StatusCode::BAD_REQUEST,
            WebhookRefusal::Signature(_) | WebhookRefusal::Replayed => StatusCode::UNAUTHORIZED,
        }
    }
}

fn refuse(s: &Shared, r: WebhookRefusal, msg: String) -> Response {
    let c = s.metrics.counters();
    c.webhook("refused");
    c.refused(WEBHOOK, r.reason());
    tracing::warn!(reason = r.reason(), "webhook refused: {msg}");
    (r.status(), axum::Json(serde_json::json!({ "error": msg }))).into_response()
}

/// Reads at most [`MAX_BODY`] bytes: a declared length above it is refused before
/// anything is read (a client that sent `Expect: 100-continue` never sends the body).
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, WebhookRefusal> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(WebhookRefusal::TooLarge);
    }
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| WebhookRefusal::Unreadable)?;
        if out.len() + chunk.len() > MAX_BODY {
            return Err(WebhookRefusal::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

async fn zoom_webhook(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let Some(secret) = s.config.webhook_secret.clone() else {
        let msg = format!(
            "webhooks are disabled: set {} to the app's secret token",
            s.config.webhook_secret_env
        );
        return refuse(&s, WebhookRefusal::Disabled, msg);
    };
    let body = match read_body(&headers, body).await {
        Ok(b) => b,
        Err(r) => {
            let msg = format!("the body must be at most {MAX_BODY} bytes of JSON");
            return refuse(&s, r, msg);
        }
    };
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = s.config.clock.now().timestamp();
    let tolerance = s.config.webhook_tolerance;
    let verified = match webhook::verify(
        &secret,
        header_text("x-zm-request-timestamp"),
        header_text("x-zm-signature"),
        &body,
        now,
        tolerance,
    ) {
        Ok(v) => v,
        Err(r) => return refuse(&s, WebhookRefusal::Signature(r.as_str()), r.to_string()),
    };
    if !s.seen_signatures.first_use(&verified, now, tolerance) {
        let msg = "this signature was already accepted: a replayed request".to_string();
        return refuse(&s, WebhookRefusal::Replayed, msg);
    }
    accept_event(&s, &secret, &body)
}

fn accept_event(s: &Shared, secret: &webhook::WebhookSecret, body: &[u8]) -> Response {
    let event = match webhook::parse(body) {
        Ok(e) => e,
        Err(e) => return refuse(s, WebhookRefusal::BadRequest, e),
    };
    if event.name == "endpoint.url_validation" {
        let Some(token) = event.plain_token else {
            let msg = "endpoint.url_validation without payload.plainToken".to_string();
            return refuse(s, WebhookRefusal::BadRequest, msg);
        };
        s.metrics.counters().webhook("url_validation");
        return axum::Json(webhook::url_validation(secret, &token)).into_response();
    }
    if s.stopping() {
        // Zoom retries on 5xx: the next replica (or this one, restarted) gets it.
        return refuse(s, WebhookRefusal::Stopping, "shutting down".into());
    }
    let accounts = s.accounts_for_provider_id(event.account_id.as_deref());
    for a in &accounts {
        s.trigger(Some(a), Trigger::Webhook);
    }
    s.metrics.counters().webhook("accepted");
    tracing::info!(event = %event.name, accounts = ?accounts, "webhook accepted");
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({ "triggered": accounts })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused_declared_or_not() {
        let mut declared = HeaderMap::new();
        declared.insert(header::CONTENT_LENGTH, HeaderValue::from_static("52428800"));
        assert_eq!(
            read_body(&declared, Body::empty()).await,
            Err(WebhookRefusal::TooLarge),
            "refused on the declared length, before reading"
        );
        // A chunked body declares nothing: the limit holds while reading.
        let chunks = futures::stream::iter(
            (0..5).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; MAX_BODY / 4]))),
        );
        let body = Body::from_stream(chunks);
        assert_eq!(
            read_body(&HeaderMap::new(), body).await,
            Err(WebhookRefusal::TooLarge)
        );
        let ok = read_body(&HeaderMap::new(), Body::from(vec![b'x'; MAX_BODY])).await;
        assert_eq!(ok.map(|b| b.len()), Ok(MAX_BODY));
    }

    #[test]
    fn every_refusal_has_its_status() {
        use WebhookRefusal as R;
        for (r, code) in [
            (R::Disabled, 503),
            (R::TooLarge, 413),
            (R::Unreadable, 400),
            (R::Signature("stale"), 401),
            (R::Replayed, 401),
            (R::BadRequest, 400),
            (R::Stopping, 503),
        ] {
            assert_eq!(r.status().as_u16(), code, "{r:?}");
        }
    }
}
