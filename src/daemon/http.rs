//! The HTTP side (axum): health, readiness, metrics, status, manual trigger, webhooks.

use super::Shared;
use super::trigger::Trigger;
use super::webhook;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;

/// Webhook bodies are small JSON envelopes.
const MAX_BODY: usize = 256 * 1024;

/// The daemon's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .route("/reconcile", post(reconcile))
        .route("/webhooks/zoom", post(zoom_webhook))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(s): State<Arc<Shared>>) -> Response {
    match s.board().not_ready_reason() {
        None => (StatusCode::OK, "ready\n").into_response(),
        Some(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        )
            .into_response(),
    }
}

async fn metrics(State(s): State<Arc<Shared>>) -> Response {
    let text = s.board().metrics.render();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn status(State(s): State<Arc<Shared>>) -> Response {
    let st = s.board().status.clone();
    axum::Json(st).into_response()
}

async fn page(State(s): State<Arc<Shared>>) -> Html<String> {
    let st = s.board().status.clone();
    Html(super::status::html(&st))
}

#[derive(Debug, Deserialize)]
struct ReconcileQuery {
    account: Option<String>,
}

async fn reconcile(State(s): State<Arc<Shared>>, Query(q): Query<ReconcileQuery>) -> Response {
    if s.stopping() {
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

fn refuse(s: &Shared, code: StatusCode, result: &'static str, msg: String) -> Response {
    s.board().metrics.webhook(result);
    tracing::warn!(result, "webhook refused: {msg}");
    (code, axum::Json(serde_json::json!({ "error": msg }))).into_response()
}

async fn zoom_webhook(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = s.config.webhook_secret.clone() else {
        return refuse(
            &s,
            StatusCode::SERVICE_UNAVAILABLE,
            "disabled",
            format!(
                "webhooks are disabled: set {} to the app's secret token",
                s.config.webhook_secret_env
            ),
        );
    };
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = s.config.clock.now().timestamp();
    if let Err(r) = webhook::verify(
        &secret,
        header_text("x-zm-request-timestamp"),
        header_text("x-zm-signature"),
        &body,
        now,
        s.config.webhook_tolerance,
    ) {
        return refuse(&s, StatusCode::UNAUTHORIZED, "unauthorized", r.to_string());
    }
    let event = match webhook::parse(&body) {
        Ok(e) => e,
        Err(e) => return refuse(&s, StatusCode::BAD_REQUEST, "bad_request", e),
    };
    if event.name == "endpoint.url_validation" {
        let Some(token) = event.plain_token else {
            return refuse(
                &s,
                StatusCode::BAD_REQUEST,
                "bad_request",
                "endpoint.url_validation without payload.plainToken".into(),
            );
        };
        s.board().metrics.webhook("url_validation");
        return axum::Json(webhook::url_validation(&secret, &token)).into_response();
    }
    if s.stopping() {
        // Zoom retries on 5xx: the next replica (or this one, restarted) gets it.
        return refuse(
            &s,
            StatusCode::SERVICE_UNAVAILABLE,
            "stopping",
            "shutting down".into(),
        );
    }
    let accounts = s.accounts_for_provider_id(event.account_id.as_deref());
    for a in &accounts {
        s.trigger(Some(a), Trigger::Webhook);
    }
    s.board().metrics.webhook("accepted");
    tracing::info!(event = %event.name, accounts = ?accounts, "webhook accepted");
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({ "triggered": accounts })),
    )
        .into_response()
}
