//! Issue 17 part 5: the `zoom` provider against a hostile server (malformed JSON, wrong
//! types, endless `next_page_token` loops, huge pages, slow answers, 5xx and 429 storms).
//! Each case ends in a clear error within a bounded time (measured on tokio's paused
//! clock, so the figures are what a real run waits, without waiting), sends no create
//! twice, and never panics.

use super::ZoomProvider;
use crate::model::{Email, Op, SecretRef, UserType, ZoomConfig};
use crate::provider::{Provider, ProviderError};
use axum::body::Body;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One answer: status, extra headers, body, and how long the server takes to send it.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

fn reply(status: u16, body: impl Into<Vec<u8>>) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: body.into(),
        delay: Duration::ZERO,
    }
}

type Script = dyn Fn(&Method, &str, &str, usize) -> Reply + Send + Sync;

struct Hostile {
    seen: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
    provider: ZoomProvider,
}

impl Hostile {
    fn count(&self, key: &str) -> usize {
        self.seen
            .lock()
            .expect("seen")
            .iter()
            .filter(|k| *k == key)
            .count()
    }
}

async fn hostile(
    script: impl Fn(&Method, &str, &str, usize) -> Reply + Send + Sync + 'static,
) -> Hostile {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let script: Arc<Script> = Arc::new(script);
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri| {
        let (log, script) = (log.clone(), script.clone());
        async move { answer(&log, script.as_ref(), method, uri).await }
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
    Hostile {
        seen,
        _dir: dir,
        provider,
    }
}

async fn answer(log: &Mutex<Vec<String>>, script: &Script, method: Method, uri: Uri) -> Response {
    let key = format!("{method} {}", uri.path());
    let n = {
        let mut seen = log.lock().expect("log");
        seen.push(key.clone());
        seen.iter().filter(|k| **k == key).count()
    };
    let r = if uri.path() == "/oauth/token" {
        reply(
            200,
            r#"{"access_token":"t","token_type":"bearer","expires_in":3600}"#,
        )
    } else {
        script(&method, uri.path(), uri.query().unwrap_or_default(), n)
    };
    if !r.delay.is_zero() {
        tokio::time::sleep(r.delay).await;
    }
    let mut resp = Response::builder()
        .status(StatusCode::from_u16(r.status).expect("status"))
        .header("content-type", "application/json");
    for (k, v) in r.headers {
        resp = resp.header(k, v);
    }
    resp.body(Body::from(r.body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Answers that make a refresh work, but for `users`.
fn listing(path: &str, users: impl Fn() -> Reply) -> Reply {
    match path {
        "/v2/roles" => reply(
            200,
            r#"{"roles":[{"id":"0","name":"Owner"}],"total_records":1}"#,
        ),
        "/v2/groups" | "/v2/contacts/groups" => reply(200, r#"{"groups":[]}"#),
        "/v2/users" => users(),
        _ => reply(404, r#"{"code":1001,"message":"not scripted"}"#),
    }
}

/// Runs `f` on tokio's paused clock; returns its result and the virtual time it took.
async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let start = tokio::time::Instant::now();
    let out = f.await;
    (out, start.elapsed())
}

/// The longest a hostile case may take before its clear error.
const BOUND: Duration = Duration::from_secs(600);

fn assert_clear(case: &str, r: Result<impl std::fmt::Debug, ProviderError>, took: Duration) {
    let err = r.expect_err(case);
    assert!(took <= BOUND, "{case}: {took:?} before the error");
    let msg = err.to_string();
    assert!(msg.len() < 2_000, "{case}: the error is short: {msg}");
    eprintln!("hostile {case}: {took:?}: {msg}");
}

#[tokio::test(start_paused = true)]
async fn malformed_json_is_a_clear_error() {
    let h = hostile(|_, path, _, _| listing(path, || reply(200, r#"{"users": [{"id": "#))).await;
    let (r, took) = timed(h.provider.refresh()).await;
    assert_clear("malformed JSON", r, took);
}

#[tokio::test(start_paused = true)]
async fn wrong_types_are_a_clear_error() {
    for body in [
        r#"{"users": "everyone"}"#,
        r#"{"users": [{"id": 7, "email": ["a@acme.com"], "type": "one", "status": 1}]}"#,
        r#"{"users": [{"id": "o", "email": "owner@acme.com", "type": "licensed", "status": "active", "role_id": "0"}]}"#,
        r#"{"users": [{"id": "o", "email": "owner@acme.com", "type": 1, "status": "active", "role_id": "0"}], "next_page_token": 5}"#,
        r#"[1, 2, 3]"#,
        r#""#,
    ] {
        let h = hostile(move |_, path, _, _| listing(path, || reply(200, body))).await;
        let (r, took) = timed(h.provider.refresh()).await;
        assert_clear(&format!("wrong types {body}"), r, took);
    }
}

#[tokio::test(start_paused = true)]
async fn a_next_page_token_that_never_ends_is_a_clear_error() {
    // The same token again and again.
    let same = hostile(|_, path, _, _| {
        listing(path, || {
            reply(200, r#"{"users": [], "next_page_token": "again"}"#)
        })
    })
    .await;
    let (r, took) = timed(same.provider.refresh()).await;
    assert_clear("the same next_page_token forever", r, took);
    // A new token every time.
    let fresh = hostile(|_, path, _, n| {
        listing(path, || {
            reply(
                200,
                format!(r#"{{"users": [], "next_page_token": "t{n}"}}"#),
            )
        })
    })
    .await;
    let (r, took) = timed(fresh.provider.refresh()).await;
    assert_clear("a new next_page_token forever", r, took);
    assert!(fresh.count("GET /v2/users") <= 20_000);
}

#[tokio::test(start_paused = true)]
async fn a_huge_page_is_a_clear_error() {
    let h = hostile(|_, path, _, _| {
        listing(path, || {
            let mut body = br#"{"users": [], "pad": ""#.to_vec();
            body.resize(80 * 1024 * 1024, b'x');
            body.extend_from_slice(b"\"}");
            reply(200, body)
        })
    })
    .await;
    let (r, took) = timed(h.provider.refresh()).await;
    assert_clear("an 80 MB page", r, took);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_is_a_clear_error() {
    let h = hostile(|_, path, _, _| {
        listing(path, || Reply {
            delay: Duration::from_secs(24 * 3600),
            ..reply(200, r#"{"users": []}"#)
        })
    })
    .await;
    let (r, took) = timed(h.provider.refresh()).await;
    assert_clear("no answer", r, took);
}

#[tokio::test(start_paused = true)]
async fn a_5xx_storm_is_a_clear_error_and_a_create_is_not_repeated_blindly() {
    let h = hostile(|method, path, _, _| match (method.as_str(), path) {
        ("GET", "/v2/users/new@acme.com") => reply(404, r#"{"code":1001,"message":"no user"}"#),
        _ => reply(503, "<html>Service Unavailable</html>"),
    })
    .await;
    let (r, took) = timed(h.provider.refresh()).await;
    assert_clear("503 on every list call", r, took);
    let op = Op::CreateUser {
        email: Email::parse("new@acme.com").expect("email"),
        user_type: UserType::Basic,
        first_name: None,
        last_name: None,
    };
    let (r, took) = timed(h.provider.execute(&op)).await;
    assert_clear("503 on a create", r, took);
    let posts = h.count("POST /v2/users");
    let lookups = h.count("GET /v2/users/new@acme.com");
    assert!(
        posts >= 1 && lookups + 1 >= posts,
        "every repeated create was preceded by a look-up: {posts} creates, {lookups} look-ups"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_storm_is_a_clear_error() {
    let h = hostile(|_, path, _, _| {
        listing(path, || Reply {
            headers: vec![("retry-after", "1".into())],
            ..reply(429, r#"{"code":429,"message":"Too many requests"}"#)
        })
    })
    .await;
    let (r, took) = timed(h.provider.refresh()).await;
    assert_clear("429 forever", r, took);
}
