//! `provider: zoom`: the real Zoom REST API (docs/zoom-provider.md). Refresh is list calls
//! only; every planned operation maps to Zoom's documented path and payload; role changes
//! and group additions go 30 users per call; a create is never repeated blindly (the
//! user, group or role is looked up first).

pub mod calendly;
#[cfg(test)]
mod hostile;
mod http;
pub mod limiter;
pub mod manual;
mod ops;
mod refresh;
#[cfg(test)]
mod tests;

use crate::model::Op;
use crate::model::{
    AccountPlan, Email, ExistingZoomUser, Observed, SecretRef, UserField, UserSpec, ZoomConfig,
};
use crate::provider::{Provider, ProviderError};
use async_trait::async_trait;
pub use http::Credentials;
use http::Http;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Resolves a secret reference (`{env}` or `{file}`); the value is never logged.
pub fn resolve_secret(what: &str, s: &SecretRef) -> Result<String, ProviderError> {
    match s {
        SecretRef::Env(var) => std::env::var(var)
            .map(|v| v.trim().to_string())
            .map_err(|_| {
                ProviderError::Config(format!("{what}: environment variable {var} is not set"))
            }),
        SecretRef::File(path) => std::fs::read_to_string(path)
            .map(|v| v.trim().to_string())
            .map_err(|e| {
                ProviderError::Config(format!("{what}: cannot read {}: {e}", path.display()))
            }),
    }
}

/// What the last refresh learnt that operations need: ids by name and email.
#[derive(Debug, Default, Clone)]
pub struct Ids {
    /// User ids by email (active and deactivated users).
    pub users: BTreeMap<Email, String>,
    /// The role each user holds (role id).
    pub user_role: BTreeMap<Email, String>,
    /// User group ids by name.
    pub groups: BTreeMap<String, String>,
    /// Contact group ids by name (roster's chat groups).
    pub chat_groups: BTreeMap<String, String>,
    /// Role ids by roster's role name (`owner`, `admin`, `member` or custom).
    pub roles: BTreeMap<String, String>,
    /// Custom attribute keys (Zoom's attribute ids) by name, as the user listing shows them
    /// on users holding a value (the only place Zoom's API shows them).
    pub attribute_keys: BTreeMap<String, String>,
}

/// The Zoom provider for one account.
pub struct ZoomProvider {
    http: Http,
    account_id: String,
    plan: AccountPlan,
    page_size: u32,
    ids: Mutex<Arc<Ids>>,
    /// The Calendly organization to read beside the account (C1, C6), when declared.
    calendly: Option<calendly::CalendlyReader>,
}

impl ZoomProvider {
    /// Builds the provider from the Account's `provider.zoom`, resolving its secrets.
    pub fn new(cfg: &ZoomConfig) -> Result<ZoomProvider, ProviderError> {
        let creds = Credentials {
            account_id: resolve_secret("provider.zoom.accountId", &cfg.account_id)?,
            client_id: resolve_secret("provider.zoom.clientId", &cfg.client_id)?,
            client_secret: resolve_secret("provider.zoom.clientSecret", &cfg.client_secret)?,
        };
        let business = cfg.plan == "business";
        let page_size = cfg.page_size;
        Ok(ZoomProvider {
            account_id: creds.account_id.clone(),
            http: Http::new(
                &cfg.base_url,
                &cfg.token_url,
                creds,
                business,
                cfg.rate_share,
            )?,
            plan: if business {
                AccountPlan::Business
            } else {
                AccountPlan::Pro
            },
            page_size,
            ids: Mutex::new(Arc::default()),
            calendly: None,
        })
    }

    /// Reads the declared Calendly organization beside the account (with its token).
    pub fn with_calendly(
        mut self,
        d: Option<&crate::model::DesiredCalendly>,
    ) -> Result<ZoomProvider, ProviderError> {
        self.calendly = match d {
            Some(d) => calendly::CalendlyReader::new(d)?,
            None => None,
        };
        Ok(self)
    }

    /// The ids known now, shared with the caller: a request holds a snapshot for its
    /// length without copying the map (issue 15: it was copied, O(N), on every request).
    async fn snapshot(&self) -> Arc<Ids> {
        self.ids.lock().await.clone()
    }

    /// Attempts repeated so far (429s, 5xx, timeouts).
    pub fn retries(&self) -> u64 {
        self.http.retries()
    }
}

use crate::model::progress::{Progress, Silent};

#[async_trait]
impl Provider for ZoomProvider {
    async fn refresh(&self) -> Result<Observed, ProviderError> {
        self.refresh_reporting(&Silent).await
    }

    async fn refresh_reporting(&self, progress: &dyn Progress) -> Result<Observed, ProviderError> {
        let (mut observed, ids) =
            refresh::refresh(&self.http, self.plan, self.page_size, progress).await?;
        observed.account_id = self.account_id.clone();
        if let Some(c) = &self.calendly {
            observed.calendly = Some(c.observe().await?);
        }
        *self.ids.lock().await = Arc::new(ids);
        Ok(observed)
    }

    async fn lookup_emails(
        &self,
        emails: &[Email],
    ) -> Result<BTreeMap<Email, ExistingZoomUser>, ProviderError> {
        let mut out = BTreeMap::new();
        for e in emails {
            let (check, _): (crate::provider::wire::EmailCheck, _) = self
                .http
                .get(
                    "/users/email",
                    &[("email", e.to_string())],
                    limiter::Label::Light,
                )
                .await?;
            if check.existed_email {
                // Zoom does not say whether the existing user is licensed (I6 cannot warn).
                out.insert(
                    e.clone(),
                    ExistingZoomUser {
                        email: e.clone(),
                        licensed: false,
                    },
                );
            }
        }
        Ok(out)
    }

    async fn expired_invitations(
        &self,
        emails: &[Email],
    ) -> Result<BTreeMap<Email, Option<crate::model::Timestamp>>, ProviderError> {
        // `GET /users/{email}` answers 1120 for an invitation that expired unanswered.
        let mut out = BTreeMap::new();
        for e in emails {
            match self
                .http
                .send::<()>(
                    reqwest::Method::GET,
                    &format!("/users/{e}"),
                    &[],
                    None,
                    limiter::Label::Light,
                    http::Retry::Safe,
                )
                .await
            {
                Err(ProviderError::Api { code: 1120, .. }) => {
                    out.insert(e.clone(), None);
                }
                Ok(_) | Err(ProviderError::Api { code: 1001, .. }) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(out)
    }

    async fn execute(&self, op: &Op) -> Result<(), ProviderError> {
        let ids = self.snapshot().await;
        let learnt = ops::execute(&self.http, &ids, op).await?;
        if let Some((kind, name, id)) = learnt {
            let mut guard = self.ids.lock().await;
            // Copy on write: requests in flight keep the snapshot they started with.
            let ids = Arc::make_mut(&mut guard);
            let known = match kind {
                ops::Learnt::Group => &mut ids.groups,
                ops::Learnt::ChatGroup => &mut ids.chat_groups,
                ops::Learnt::Role => &mut ids.roles,
            };
            // An unknown id is no id: operations that need it fail until a refresh.
            match id {
                Some(id) => known.insert(name, id),
                None => known.remove(&name),
            };
        }
        Ok(())
    }

    async fn execute_batch(&self, batch: &[Op]) -> Vec<Result<(), ProviderError>> {
        let ids = self.snapshot().await;
        ops::execute_batch(&self.http, &ids, batch).await
    }

    fn manual_steps(&self, op: &Op) -> Option<Vec<String>> {
        manual::manual_steps(op)
    }

    async fn personal_contacts(
        &self,
        wanted: &[(Email, String)],
    ) -> Result<crate::provider::PersonalContactsRead, ProviderError> {
        let ids = self.snapshot().await;
        let mut out: BTreeMap<Email, BTreeMap<String, Vec<crate::model::StoredContact>>> =
            BTreeMap::new();
        for (user, group) in wanted {
            let Some(uid) = ids.users.get(user) else {
                continue;
            };
            // The list endpoint is UNCONFIRMED (never announced): an unknown endpoint
            // means "cannot tell", never "empty" (issue 10, item 4).
            match refresh::personal_group(&self.http, uid, group).await {
                Ok(contacts) => {
                    out.entry(user.clone())
                        .or_default()
                        .insert(group.clone(), contacts);
                }
                Err(ProviderError::Api {
                    status: 404,
                    code: 2300,
                    message,
                    ..
                }) => {
                    return Ok(crate::provider::PersonalContactsRead::Refused(format!(
                        "GET /contacts/user/{{userId}}/personal answered 404/2300 ({message}): Zoom does not list personal contacts"
                    )));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(crate::provider::PersonalContactsRead::Listed(out))
    }

    fn unobserved_fields(&self) -> &'static [UserField] {
        refresh::UNLISTED
    }

    async fn read_details(
        &self,
        emails: &[Email],
    ) -> Result<BTreeMap<Email, UserSpec>, ProviderError> {
        let ids = self.snapshot().await;
        refresh::details(&self.http, &ids, emails).await
    }

    fn limit_in_flight(&self, n: usize) -> bool {
        self.http.limit_in_flight(n);
        true
    }

    fn request_timeout(&self) -> std::time::Duration {
        http::REQUEST_TIMEOUT
    }

    fn calls(&self) -> u64 {
        self.http.calls()
    }
}
