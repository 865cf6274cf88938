//! The runner over in-memory sides and a real SQLite store: credentials kept sealed and
//! rotated, `invalid_grant` remembered (no retry loop), the table committed per run.

use super::oauth::{Grant, OAuthError};
use super::run::{OpenSides, RunError, Runner, Sides, scope};
use super::vault::Vault;
use crate::model::{
    ConflictPolicy, DesiredIntegration, Email, IntegrationCredentials, IntegrationService,
    SecretRef, Source,
};
use crate::store::Store;
use crate::store::sqlite::SqliteStore;
use crate::sync::memory::MemorySource;
use crate::sync::{
    Contact, ContactSource, Cursor, Listing, PlanOptions, SourceError, WriteOp, Written,
};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};

/// A side shared between runs (each run opens it again).
#[derive(Clone)]
struct Shared(Arc<Mutex<MemorySource>>);

#[async_trait]
impl ContactSource for Shared {
    async fn list(&mut self, cursor: Option<&Cursor>) -> Result<Listing, SourceError> {
        let mut s = self.0.lock().expect("side").clone();
        let out = s.list(cursor).await;
        *self.0.lock().expect("side") = s;
        out
    }

    async fn write(&mut self, op: &WriteOp) -> Result<Written, SourceError> {
        let mut s = self.0.lock().expect("side").clone();
        let out = s.write(op).await;
        *self.0.lock().expect("side") = s;
        out
    }
}

/// A token endpoint that rotates refresh tokens like Microsoft: each use answers a new
/// one and the used one stops working.
struct Fake {
    zoom: Shared,
    external: Shared,
    valid: Mutex<Vec<String>>,
    rotate: bool,
    refreshes: Mutex<u32>,
}

impl Fake {
    fn new(token: &str, rotate: bool) -> Fake {
        Fake {
            zoom: Shared(Arc::new(Mutex::new(MemorySource::new("z")))),
            external: Shared(Arc::new(Mutex::new(MemorySource::new("e")))),
            valid: Mutex::new(vec![token.to_string()]),
            rotate,
            refreshes: Mutex::new(0),
        }
    }
}

#[async_trait]
impl Sides for Fake {
    async fn refresh(&self, _: &DesiredIntegration, token: &str) -> Result<Grant, OAuthError> {
        *self.refreshes.lock().expect("count") += 1;
        let mut valid = self.valid.lock().expect("tokens");
        if !valid.iter().any(|t| t == token) {
            return Err(OAuthError::InvalidGrant(Some("revoked".into())));
        }
        let next = self.rotate.then(|| format!("{token}+"));
        if let Some(n) = &next {
            *valid = vec![n.clone()];
        }
        Ok(Grant {
            access_token: "access".into(),
            refresh_token: next,
        })
    }

    fn open(&self, _: &DesiredIntegration, access: &str) -> Result<OpenSides, RunError> {
        assert_eq!(access, "access");
        Ok(OpenSides {
            zoom: Box::new(self.zoom.clone()),
            external: Box::new(self.external.clone()),
        })
    }

    fn two_way(&self) -> bool {
        true
    }
}

fn integration(var: &str) -> DesiredIntegration {
    DesiredIntegration {
        user: Email::parse("alice@acme.com").expect("email"),
        service: IntegrationService::Office365,
        calendar: true,
        contacts: true,
        conflict: ConflictPolicy::Newest,
        schedule: None,
        credentials: Some(IntegrationCredentials::OAuth {
            refresh_token: SecretRef::Env(var.into()),
        }),
        source: Source::new("integrations.yaml", 1, 1),
    }
}

fn ada() -> Contact {
    Contact {
        name: "Ada Lovelace".into(),
        emails: vec!["ada@example.com".into()],
        ..Contact::default()
    }
}

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#[tokio::test]
async fn rotated_tokens_are_kept_sealed_and_the_table_is_committed() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SqliteStore::open(dir.path()).expect("store");
    // SAFETY: tests of this module use their own variable names.
    unsafe { std::env::set_var("ROSTER_TEST_RT_ROTATE", "rt-1") };
    let i = integration("ROSTER_TEST_RT_ROTATE");
    let fake = Fake::new("rt-1", true);
    fake.external.0.lock().expect("side").user_create(ada());
    let runner = Runner {
        store: &store,
        vault: Some(Vault::from_key_text(KEY).expect("key")),
        holder: "test".into(),
    };
    let opts = PlanOptions::default();
    let first = runner
        .run("acme", &i, &fake, &opts)
        .await
        .expect("first run");
    assert_eq!(first.done(), 1, "{first:?}");
    let sealed = store
        .load_credential(&scope("acme", &i))
        .await
        .expect("load")
        .expect("the rotated token is kept");
    assert!(
        !String::from_utf8_lossy(&sealed).contains("rt-1+"),
        "sealed, not clear"
    );
    // The second run uses the kept token (rt-1 no longer works) and finds nothing to do.
    let second = runner
        .run("acme", &i, &fake, &opts)
        .await
        .expect("second run");
    assert_eq!(second.items.len(), 0, "{second:?}");
    assert_eq!(fake.zoom.0.lock().expect("side").contacts().len(), 1);
    assert!(
        store
            .load_sync_state(&scope("acme", &i))
            .await
            .expect("state")
            .is_some()
    );
}

#[tokio::test]
async fn a_rotated_token_is_not_kept_in_clear_without_a_key() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SqliteStore::open(dir.path()).expect("store");
    // SAFETY: tests of this module use their own variable names.
    unsafe { std::env::set_var("ROSTER_TEST_RT_NOKEY", "rt-1") };
    let i = integration("ROSTER_TEST_RT_NOKEY");
    let fake = Fake::new("rt-1", true);
    let runner = Runner {
        store: &store,
        vault: None,
        holder: "test".into(),
    };
    let err = runner
        .run("acme", &i, &fake, &PlanOptions::default())
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("ROSTER_TOKEN_KEY"), "{err}");
    assert_eq!(
        store
            .load_credential(&scope("acme", &i))
            .await
            .expect("load"),
        None
    );
}

#[tokio::test]
async fn invalid_grant_needs_reauthorisation_and_is_not_asked_again() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SqliteStore::open(dir.path()).expect("store");
    // SAFETY: tests of this module use their own variable names.
    unsafe { std::env::set_var("ROSTER_TEST_RT_REVOKED", "revoked") };
    let i = integration("ROSTER_TEST_RT_REVOKED");
    let fake = Fake::new("rt-ok", false);
    let runner = Runner {
        store: &store,
        vault: Some(Vault::from_key_text(KEY).expect("key")),
        holder: "test".into(),
    };
    let opts = PlanOptions::default();
    for _ in 0..3 {
        let err = runner
            .run("acme", &i, &fake, &opts)
            .await
            .expect_err("refused");
        assert!(matches!(err, RunError::NeedsReauth { .. }), "{err}");
    }
    assert_eq!(
        *fake.refreshes.lock().expect("count"),
        1,
        "asked once, never again"
    );
    // A new manifest token is a re-authorisation: it is used.
    // SAFETY: as above.
    unsafe { std::env::set_var("ROSTER_TEST_RT_REVOKED", "rt-ok") };
    runner
        .run("acme", &i, &fake, &opts)
        .await
        .expect("re-authorised");
}
