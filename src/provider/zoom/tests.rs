//! The Zoom provider against a scripted stand-in for Zoom's API, for answers the
//! simulator never gives: data that makes no sense is refused, not defaulted.

use super::ZoomProvider;
use crate::model::{Email, Op, SecretRef, ZoomConfig};
use crate::provider::{Provider, ProviderError};
use axum::Json;
use axum::http::{Method, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// What the stand-in answers: method, path, query and how many times this method and
/// path were asked (1 for the first) in, status and JSON body out.
type Script = dyn Fn(&Method, &str, &str, usize) -> (u16, Value) + Send + Sync;

/// A running stand-in and the requests it saw (`METHOD /path`).
struct Fake {
    seen: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
    provider: ZoomProvider,
}

async fn fake(
    script: impl Fn(&Method, &str, &str, usize) -> (u16, Value) + Send + Sync + 'static,
) -> Fake {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let script: Arc<Script> = Arc::new(script);
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri| {
        let (log, script) = (log.clone(), script.clone());
        async move {
            let key = format!("{method} {}", uri.path());
            let n = {
                let mut seen = log.lock().expect("log");
                seen.push(key.clone());
                seen.iter().filter(|k| **k == key).count()
            };
            let (status, body) = if uri.path() == "/oauth/token" {
                (
                    200,
                    json!({"access_token": "t", "token_type": "bearer", "expires_in": 3600}),
                )
            } else {
                script(&method, uri.path(), uri.query().unwrap_or_default(), n)
            };
            let status = StatusCode::from_u16(status).expect("status");
            (status, Json(body)).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let dir = tempfile::tempdir().expect("tmp");
    let secret = |name: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, name).expect("secret");
        SecretRef::File(p)
    };
    let cfg = ZoomConfig {
        account_id: secret("account"),
        client_id: secret("client"),
        client_secret: secret("secret"),
        base_url: format!("{url}/v2"),
        token_url: format!("{url}/oauth/token"),
        plan: "business".into(),
        rate_share: 1.0,
        page_size: 300,
    };
    let provider = ZoomProvider::new(&cfg).expect("provider");
    Fake {
        seen,
        _dir: dir,
        provider,
    }
}

fn not_found() -> (u16, Value) {
    (404, json!({"code": 1001, "message": "not scripted"}))
}

fn user(email: &str, status: &str, role_id: &str) -> Value {
    json!({"id": format!("id-{email}"), "email": email, "type": 1, "status": status, "role_id": role_id})
}

#[tokio::test]
async fn a_user_status_zoom_lists_that_roster_does_not_know_is_refused() {
    let f = fake(|_, path, query, _| match path {
        "/v2/roles" => (200, json!({"roles": [{"id": "0", "name": "Owner"}], "total_records": 1})),
        "/v2/groups" | "/v2/contacts/groups" => (200, json!({"groups": []})),
        "/v2/users" if query.contains("status=active") => (
            200,
            json!({"users": [user("owner@acme.com", "active", "0"), user("odd@acme.com", "suspended", "2")]}),
        ),
        "/v2/users" => (200, json!({"users": []})),
        _ => not_found(),
    })
    .await;
    let err = f
        .provider
        .refresh()
        .await
        .expect_err("an unknown status is refused");
    let msg = err.to_string();
    assert!(
        matches!(err, ProviderError::State(_))
            && msg.contains("\"suspended\"")
            && msg.contains("odd@acme.com"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_and_id_is_not_listed_leaves_the_id_unknown() {
    // The create's answer is lost (500); the look-up sees the group, the id look-up
    // right after does not (Zoom's listing lags).
    let f = fake(|method, path, _, n| match (method.as_str(), path) {
        ("POST", "/v2/groups") => (500, json!({"code": 500, "message": "answer lost"})),
        ("GET", "/v2/groups") if n == 1 => (
            200,
            json!({"groups": [{"id": "g1", "name": "sales"}], "total_records": 1}),
        ),
        ("GET", "/v2/groups") => (200, json!({"groups": []})),
        _ => not_found(),
    })
    .await;
    f.provider
        .execute(&Op::CreateGroup {
            name: "sales".into(),
            description: None,
        })
        .await
        .expect("the group was created (once)");
    let join = Op::SetGroup {
        email: Email::parse("ann@acme.com").expect("email"),
        group: Some("sales".into()),
        remove_from: Default::default(),
    };
    let err = f
        .provider
        .execute(&join)
        .await
        .expect_err("the id is unknown");
    assert!(
        matches!(&err, ProviderError::State(m) if m.contains("group sales")),
        "{err}"
    );
    let seen = f.seen.lock().expect("log").clone();
    assert_eq!(
        seen.iter().filter(|r| *r == "POST /v2/groups").count(),
        1,
        "never created twice: {seen:?}"
    );
    assert!(
        !seen.iter().any(|r| r.contains("//")),
        "no request with an empty id: {seen:?}"
    );
}

#[tokio::test]
async fn issue10_item9_code_124_renews_the_token_whatever_the_status() {
    // users-api.json documents 124 (bad token) under 400: renewed once, then it works.
    let f = fake(|method, path, _, n| match (method.as_str(), path) {
        ("GET", "/v2/users/email") if n == 1 => (
            400,
            json!({"code": 124, "message": "Access token is expired."}),
        ),
        ("GET", "/v2/users/email") => (200, json!({"existed_email": false})),
        _ => not_found(),
    })
    .await;
    let found = f
        .provider
        .lookup_emails(&[Email::parse("new@acme.com").expect("email")])
        .await
        .expect("the token is renewed and the call repeated");
    assert!(found.is_empty());
    let seen = f.seen.lock().expect("log").clone();
    let tokens = seen.iter().filter(|k| *k == "POST /oauth/token").count();
    assert_eq!(tokens, 2, "a second token after code 124: {seen:?}");
}

#[tokio::test]
async fn issue10_item12_a_daily_limit_429_fails_at_once_saying_when_it_resets() {
    // A stand-in whose every API answer is Zoom's daily-limit 429.
    let hits = Arc::new(Mutex::new(0usize));
    let count = hits.clone();
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let count = count.clone();
        async move {
            if uri.path() == "/oauth/token" {
                return Json(json!({"access_token": "t", "token_type": "bearer", "expires_in": 3600}))
                    .into_response();
            }
            *count.lock().expect("count") += 1;
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({"code": 429, "message": "You have reached the maximum daily rate limit for this API."})),
            )
                .into_response();
            let h = r.headers_mut();
            h.insert("x-ratelimit-type", "Daily-limit".parse().expect("h"));
            h.insert("x-ratelimit-category", "Light".parse().expect("h"));
            h.insert("retry-after", "2026-11-02T00:00:00Z".parse().expect("h"));
            r
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let dir = tempfile::tempdir().expect("tmp");
    let secret = |name: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, name).expect("secret");
        SecretRef::File(p)
    };
    let provider = ZoomProvider::new(&ZoomConfig {
        account_id: secret("account"),
        client_id: secret("client"),
        client_secret: secret("secret"),
        base_url: format!("{url}/v2"),
        token_url: format!("{url}/oauth/token"),
        plan: "business".into(),
        rate_share: 1.0,
        page_size: 300,
    })
    .expect("provider");
    let started = std::time::Instant::now();
    let err = provider
        .lookup_emails(&[Email::parse("new@acme.com").expect("email")])
        .await
        .expect_err("a daily limit is not retried");
    let msg = err.to_string();
    assert_eq!(*hits.lock().expect("count"), 1, "one request, no retries");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        msg.contains("daily limit") && msg.contains("2026-11-02T00:00:00Z"),
        "{msg}"
    );
}
