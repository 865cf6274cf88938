//! What roster reads of real Calendly (API v2, seed 003) with the CalendlyConnection's
//! token: `GET /users/me` (who the token is, and its organization), `GET
//! /organization_memberships?organization=` (every member's role: C1) and `GET
//! /locations?user=` per member (who has Zoom among their meeting locations: C6, kind
//! unknown). Calendly shows nothing of the organization's Zoom connection itself: that
//! is rebuilt from confirmed manual changes (`reconcile::fold`).

use crate::model::{
    CalendlyConnectionKind, CalendlyObservation, CalendlyRole, DesiredCalendly, Email,
};
use crate::provider::ProviderError;
use serde_json::Value;
use std::collections::BTreeMap;

/// Calendly's API, unless the manifest says otherwise.
pub const DEFAULT_API: &str = "https://api.calendly.com";

/// A reader of one Calendly organization.
#[derive(Debug, Clone)]
pub struct CalendlyReader {
    client: reqwest::Client,
    base: String,
    token: String,
    organization: String,
}

impl CalendlyReader {
    /// A reader for the declared connection; `None` without `credentials.token`.
    pub fn new(d: &DesiredCalendly) -> Result<Option<CalendlyReader>, ProviderError> {
        let Some(t) = &d.token else {
            return Ok(None);
        };
        let token = super::resolve_secret("CalendlyConnection credentials.token", t)?;
        let client = reqwest::Client::builder()
            .timeout(crate::provider::DEFAULT_REQUEST_TIMEOUT)
            .build()
            .map_err(|e| ProviderError::Config(format!("Calendly client: {e}")))?;
        Ok(Some(CalendlyReader {
            client,
            base: d.api_url.clone().unwrap_or_else(|| DEFAULT_API.to_string()),
            token,
            organization: d.organization.clone(),
        }))
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, ProviderError> {
        let url = format!("{}{path}", self.base.trim_end_matches('/'));
        let r = self
            .client
            .get(&url)
            .query(query)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| ProviderError::Transport(format!("Calendly GET {path}: {e}")))?;
        let status = r.status().as_u16();
        let reset = r
            .headers()
            .get("x-ratelimit-reset")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body: Value = r
            .json()
            .await
            .map_err(|e| ProviderError::Transport(format!("Calendly GET {path}: {e}")))?;
        if status >= 400 {
            let msg = body["message"].as_str().unwrap_or("no message");
            let retry = reset.map_or(String::new(), |s| format!(" (retry in {s} s)"));
            return Err(ProviderError::api(
                status,
                i64::from(status),
                format!("Calendly GET {path}: {msg}{retry}"),
            ));
        }
        Ok(body)
    }

    /// Reads the organization: the token's user, members and roles, Zoom locations.
    pub async fn observe(&self) -> Result<CalendlyObservation, ProviderError> {
        let me = self.get("/users/me", &[]).await?;
        let bad = |what: &str| ProviderError::State(format!("Calendly /users/me: no {what}"));
        let actor = email(&me["resource"]["email"]).ok_or_else(|| bad("email"))?;
        let org = me["resource"]["current_organization"]
            .as_str()
            .ok_or_else(|| bad("current_organization"))?
            .to_string();
        let mut members = BTreeMap::new();
        let mut uris = BTreeMap::new();
        let mut page: Option<String> = None;
        loop {
            let mut q = vec![("organization", org.as_str()), ("count", "100")];
            if let Some(t) = &page {
                q.push(("page_token", t.as_str()));
            }
            let body = self.get("/organization_memberships", &q).await?;
            for m in body["collection"].as_array().into_iter().flatten() {
                let (Some(e), Some(role)) = (
                    email(&m["user"]["email"]),
                    m["role"].as_str().and_then(CalendlyRole::parse),
                ) else {
                    continue;
                };
                if let Some(u) = m["user"]["uri"].as_str() {
                    uris.insert(e.clone(), u.to_string());
                }
                members.insert(e, role);
            }
            page = body["pagination"]["next_page_token"]
                .as_str()
                .map(str::to_string);
            if page.is_none() {
                break;
            }
        }
        let connected_users = self.zoom_locations(&uris).await?;
        Ok(CalendlyObservation {
            organization: self.organization.clone(),
            actor,
            members,
            connection: None,
            connected_users,
            connection_read: false,
        })
    }

    /// C6 as far as Calendly shows it: members with a Zoom meeting location. Personal or
    /// organization is not shown (UNCONFIRMED); they are counted as organization.
    async fn zoom_locations(
        &self,
        uris: &BTreeMap<Email, String>,
    ) -> Result<BTreeMap<Email, CalendlyConnectionKind>, ProviderError> {
        let mut out = BTreeMap::new();
        for (e, uri) in uris {
            let body = self.get("/locations", &[("user", uri.as_str())]).await?;
            let zoom = body["collection"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|l| l["kind"].as_str().is_some_and(|k| k.starts_with("zoom")));
            if zoom {
                out.insert(e.clone(), CalendlyConnectionKind::Organization);
            }
        }
        Ok(out)
    }
}

fn email(v: &Value) -> Option<Email> {
    v.as_str().and_then(|s| Email::parse(s).ok())
}
