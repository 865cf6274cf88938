//! `roster sim serve` in process, for what the contract tests cannot reach.

use super::{ServeConfig, router};
use crate::provider::sim::cloud::Cloud;
use crate::provider::sim::{CloudFile, SyncedCloud};
use std::time::Duration;

const SEED: &str = r#"clock: 2026-11-01T09:00:00Z
accounts:
  - id: acme
    owner: owner@acme.com
  - id: solo
    owner: solo@solo.com
"#;

fn config() -> ServeConfig {
    ServeConfig {
        client_id: "id".into(),
        client_secret: "secret".into(),
        token_ttl: Duration::from_secs(3600),
        page_token_ttl: Duration::from_secs(900),
        fail_rate: 0.0,
        latency: Duration::ZERO,
        burst_429: 0,
        burst_every: 0,
        seed: 1,
        rate_limits: true,
        personal_list: true,
    }
}

#[tokio::test]
async fn a_token_whose_account_is_gone_is_refused_not_served_from_another_account() {
    let dir = tempfile::tempdir().expect("tmp");
    let seed = dir.path().join("seed.yaml");
    std::fs::write(&seed, SEED).expect("seed");
    let cloud: Cloud = crate::provider::sim::read_seed(&seed).expect("seed");
    let (app, state) = router(
        SyncedCloud::new(CloudFile::new(dir.path()), cloud),
        config(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{url}/oauth/token"))
        .query(&[
            ("grant_type", "account_credentials"),
            ("account_id", "solo"),
        ])
        .basic_auth("id", Some("secret"))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let token = token["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    // solo's account goes away (as when its owner joins another account, I3).
    state
        .cloud
        .update(|c| {
            c.accounts.retain(|a| a.id != "solo");
            Ok::<_, crate::provider::ProviderError>(())
        })
        .expect("remove solo");
    let resp = http
        .get(format!("{url}/v2/users"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("users");
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], 124, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("solo")),
        "{body}"
    );
    assert!(
        !body.to_string().contains("owner@acme.com"),
        "never another account's users: {body}"
    );
}

/// The Google People fake over HTTP (K4): the refresh grant, a contact created, then
/// listed with a sync token; a refresh token the user never granted is `invalid_grant`.
#[tokio::test]
async fn the_google_fake_grants_creates_and_lists_with_a_sync_token() {
    let dir = tempfile::tempdir().expect("tmp");
    let seed = dir.path().join("seed.yaml");
    let text = format!("{SEED}google:\n  owner@acme.com:\n    refreshTokens: [rt-owner]\n");
    std::fs::write(&seed, text).expect("seed");
    let cloud: Cloud = crate::provider::sim::read_seed(&seed).expect("seed");
    let (app, _) = router(
        SyncedCloud::new(CloudFile::new(dir.path()), cloud),
        config(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/google", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let http = reqwest::Client::new();
    let grant = |token: &'static str| {
        http.post(format!("{url}/token")).form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", "roster"),
            ("client_secret", "s"),
        ])
    };
    let refused = grant("rt-stolen").send().await.expect("token");
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(body["error"], "invalid_grant", "{body}");
    let ok: serde_json::Value = grant("rt-owner")
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let access = ok["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    let created = http
        .post(format!("{url}/v1/people:createContact"))
        .bearer_auth(&access)
        .json(&serde_json::json!({
            "names": [{"givenName": "Ada", "familyName": "Lovelace"}],
            "emailAddresses": [{"value": "ada@example.com"}]
        }))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 200, "{:?}", created.text().await);
    let listed: serde_json::Value = http
        .get(format!("{url}/v1/people/me/connections"))
        .bearer_auth(&access)
        .query(&[
            ("personFields", "names,emailAddresses"),
            ("requestSyncToken", "true"),
        ])
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert!(listed["nextSyncToken"].is_string(), "{listed}");
    let missing = http
        .get(format!("{url}/v1/people/me/connections"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("list");
    assert_eq!(missing.status(), 400, "personFields is required");
}
