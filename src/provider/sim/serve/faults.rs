//! Zoom's rate limits by label (spec/zoom-api.md §8) and the faults tests ask for: a share
//! of failed requests (some after the change was made, as when a response is lost) and
//! periodic bursts of 429.

use super::ServeConfig;
use crate::model::AccountPlan;
use axum::http::Method;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Zoom's rate-limit label of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    /// Single-object reads and writes.
    Light,
    /// Lists and member batches.
    Medium,
    /// Contact groups.
    Heavy,
}

impl Label {
    /// The label of `method route` (route as the router's template).
    pub fn of(method: &Method, route: &str) -> Label {
        if route.starts_with("/v2/contacts/user") {
            return if *method == Method::GET {
                Label::Medium
            } else {
                Label::Light
            };
        }
        if route.starts_with("/v2/contacts/groups") {
            return if *method == Method::GET {
                Label::Medium
            } else {
                Label::Heavy
            };
        }
        let medium = matches!(
            (method.as_str(), route),
            ("GET", "/v2/users")
                | ("GET", "/v2/users/{user_id}/settings")
                | ("PATCH", "/v2/users/{user_id}/settings")
                | ("GET", "/v2/groups")
                | ("GET", "/v2/groups/{group_id}/members")
                | ("POST", "/v2/groups/{group_id}/members")
                | ("GET", "/v2/roles")
                | ("GET", "/v2/roles/{role_id}/members")
                | ("POST", "/v2/roles/{role_id}/members")
        );
        if medium { Label::Medium } else { Label::Light }
    }

    /// Header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Light => "Light",
            Label::Medium => "Medium",
            Label::Heavy => "Heavy",
        }
    }

    /// Requests per second by account plan (§8).
    pub fn per_second(self, plan: Option<AccountPlan>) -> u32 {
        match (plan, self) {
            (Some(AccountPlan::Free) | None, Label::Light) => 4,
            (Some(AccountPlan::Free) | None, Label::Medium) => 2,
            (Some(AccountPlan::Free) | None, Label::Heavy) => 1,
            (Some(AccountPlan::FreeWithCard | AccountPlan::Pro), Label::Light) => 30,
            (Some(AccountPlan::FreeWithCard | AccountPlan::Pro), Label::Medium) => 20,
            (Some(AccountPlan::FreeWithCard | AccountPlan::Pro), Label::Heavy) => 10,
            (Some(AccountPlan::Business), Label::Light) => 80,
            (Some(AccountPlan::Business), Label::Medium) => 60,
            (Some(AccountPlan::Business), Label::Heavy) => 40,
        }
    }
}

/// The fault and rate-limit state of the server.
pub struct Faults {
    fail_rate: f64,
    burst: u32,
    every: u32,
    seen: AtomicU64,
    rng: Mutex<fastrand::Rng>,
    windows: Mutex<HashMap<(String, Label), (Instant, u32)>>,
}

impl Faults {
    /// From the server configuration.
    pub fn new(cfg: &ServeConfig) -> Faults {
        Faults {
            fail_rate: cfg.fail_rate.clamp(0.0, 1.0),
            burst: cfg.burst_429,
            every: cfg.burst_every.max(1),
            seen: AtomicU64::new(0),
            rng: Mutex::new(fastrand::Rng::with_seed(cfg.seed)),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Whether to answer 429 now, and why.
    pub fn throttle(
        &self,
        account: &str,
        label: Label,
        plan: Option<AccountPlan>,
    ) -> Option<&'static str> {
        let n = self.seen.fetch_add(1, Ordering::Relaxed);
        if self.burst > 0 && n % u64::from(self.every + self.burst) >= u64::from(self.every) {
            return Some("429-burst");
        }
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let w = windows
            .entry((account.to_string(), label))
            .or_insert((Instant::now(), 0));
        if w.0.elapsed() >= Duration::from_secs(1) {
            *w = (Instant::now(), 0);
        }
        w.1 += 1;
        (w.1 > label.per_second(plan)).then_some("rate-limit")
    }

    /// Whether this request fails: `fail-before` (nothing done) or `fail-after` (done,
    /// answer lost; only for requests that change something).
    pub fn failure(&self, method: &Method) -> Option<&'static str> {
        if self.fail_rate <= 0.0 {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        if rng.f64() >= self.fail_rate {
            return None;
        }
        if *method != Method::GET && rng.bool() {
            Some("fail-after")
        } else {
            Some("fail-before")
        }
    }
}
