//! Zoom's rate limits by label and plan (spec/zoom-api.md §8): per second, and per day
//! where Zoom has a daily cap (every label on Free; Heavy on Pro and Business; user
//! creation on every plan). Plus the faults tests ask for: a share of failed requests
//! (some after the change was made, as when a response is lost) and periodic bursts of 429.

use super::ServeConfig;
use crate::model::AccountPlan;
use axum::http::Method;
use chrono::NaiveDate;
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
    /// The label of `method route` (route as the router's template), as each operation's
    /// "Rate Limit Label" in Zoom's specs states it.
    pub fn of(method: &Method, route: &str) -> Label {
        if route.starts_with("/v2/contacts/user") {
            return if *method == Method::GET {
                Label::Medium
            } else {
                Label::Light
            };
        }
        if route.starts_with("/v2/contacts/groups") {
            let one = route == "/v2/contacts/groups/{group_id}";
            return match *method {
                Method::GET if one => Label::Light,
                Method::GET => Label::Medium,
                _ => Label::Heavy,
            };
        }
        let medium = matches!(
            (method.as_str(), route),
            ("GET", "/v2/users")
                | ("GET", "/v2/users/summary")
                | ("GET", "/v2/users/{user_id}/settings")
                | ("PATCH", "/v2/users/{user_id}/settings")
                | ("GET", "/v2/groups")
                | ("GET", "/v2/groups/{group_id}/members")
                | ("POST", "/v2/groups/{group_id}/members")
                | ("PATCH", "/v2/groups/{group_id}/members/{member_id}")
                | ("GET", "/v2/groups/{group_id}/admins")
                | ("POST", "/v2/groups/{group_id}/admins")
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

    /// Requests per day by account plan, where Zoom caps them (§8: Free per label; Heavy
    /// and Resource-intensive share one cap on Pro and Business).
    pub fn per_day(self, plan: Option<AccountPlan>) -> Option<u32> {
        match (plan, self) {
            (Some(AccountPlan::Free) | None, Label::Light) => Some(6_000),
            (Some(AccountPlan::Free) | None, Label::Medium) => Some(2_000),
            (Some(AccountPlan::Free) | None, Label::Heavy) => Some(1_000),
            (Some(AccountPlan::FreeWithCard | AccountPlan::Pro), Label::Heavy) => Some(30_000),
            (Some(AccountPlan::Business), Label::Heavy) => Some(60_000),
            (
                Some(AccountPlan::FreeWithCard | AccountPlan::Pro | AccountPlan::Business),
                Label::Light | Label::Medium,
            ) => None,
        }
    }
}

/// `POST /users` with `action=create` per day by plan (§2: 50 Free, 1,500 Pro, 10,000
/// Business and up).
pub fn user_creations_per_day(plan: Option<AccountPlan>) -> u32 {
    match plan {
        Some(AccountPlan::Free) | None => 50,
        Some(AccountPlan::FreeWithCard | AccountPlan::Pro) => 1_500,
        Some(AccountPlan::Business) => 10_000,
    }
}

/// The daily counters a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Bucket {
    Label(Label),
    UserCreation,
}

/// What the rate limiter says about one request: whether it is refused, and the figures
/// of the `X-RateLimit-*` headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Why it is refused (`429-burst`, `rate-limit`, `daily-limit`), if it is.
    pub fault: Option<&'static str>,
    /// The figures are a daily cap (`X-RateLimit-Type: Daily-limit`), not per second.
    pub daily: bool,
    /// `X-RateLimit-Limit`.
    pub limit: u32,
    /// `X-RateLimit-Remaining`.
    pub remaining: u32,
}

/// One request, as the rate limiter needs to know it.
pub struct Call<'a> {
    /// The account the token belongs to.
    pub account: &'a str,
    /// Its label.
    pub label: Label,
    /// The account's plan.
    pub plan: Option<AccountPlan>,
    /// The simulator's day (its clock moves only when told).
    pub day: NaiveDate,
    /// A `POST /users` with `action=create`.
    pub creates_user: bool,
}

/// The fault and rate-limit state of the server.
pub struct Faults {
    fail_rate: f64,
    burst: u32,
    every: u32,
    enforce: bool,
    seen: AtomicU64,
    rng: Mutex<fastrand::Rng>,
    windows: Mutex<HashMap<(String, Label), (Instant, u32)>>,
    days: Mutex<HashMap<(String, Bucket, NaiveDate), u32>>,
}

impl Faults {
    /// From the server configuration.
    pub fn new(cfg: &ServeConfig) -> Faults {
        Faults {
            fail_rate: cfg.fail_rate.clamp(0.0, 1.0),
            burst: cfg.burst_429,
            every: cfg.burst_every.max(1),
            enforce: cfg.rate_limits,
            seen: AtomicU64::new(0),
            rng: Mutex::new(fastrand::Rng::with_seed(cfg.seed)),
            windows: Mutex::new(HashMap::new()),
            days: Mutex::new(HashMap::new()),
        }
    }

    /// Counts the request and says whether to answer 429, and why.
    pub fn throttle(&self, call: &Call<'_>) -> Verdict {
        let n = self.seen.fetch_add(1, Ordering::Relaxed);
        let per_second = self.second(call);
        let daily = self.day(call);
        let burst =
            self.burst > 0 && n % u64::from(self.every + self.burst) >= u64::from(self.every);
        if self.enforce && !burst {
            if let Some(d) = daily.clone().filter(|d| d.fault.is_some()) {
                return d;
            }
            if per_second.fault.is_some() {
                return per_second;
            }
        }
        Verdict {
            fault: burst.then_some("429-burst"),
            ..daily.unwrap_or(per_second)
        }
    }

    fn second(&self, call: &Call<'_>) -> Verdict {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let w = windows
            .entry((call.account.to_string(), call.label))
            .or_insert((Instant::now(), 0));
        if w.0.elapsed() >= Duration::from_secs(1) {
            *w = (Instant::now(), 0);
        }
        w.1 += 1;
        let limit = call.label.per_second(call.plan);
        Verdict {
            fault: (w.1 > limit).then_some("rate-limit"),
            daily: false,
            limit,
            remaining: limit.saturating_sub(w.1),
        }
    }

    /// The tightest daily cap the call draws on, after counting it.
    fn day(&self, call: &Call<'_>) -> Option<Verdict> {
        let mut caps: Vec<(Bucket, u32)> = Vec::new();
        if let Some(cap) = call.label.per_day(call.plan) {
            caps.push((Bucket::Label(call.label), cap));
        }
        if call.creates_user {
            caps.push((Bucket::UserCreation, user_creations_per_day(call.plan)));
        }
        let mut days = self.days.lock().unwrap_or_else(|p| p.into_inner());
        caps.into_iter()
            .map(|(bucket, cap)| {
                let used = days
                    .entry((call.account.to_string(), bucket, call.day))
                    .or_insert(0);
                *used += 1;
                Verdict {
                    fault: (*used > cap).then_some("daily-limit"),
                    daily: true,
                    limit: cap,
                    remaining: cap.saturating_sub(*used),
                }
            })
            .min_by_key(|v| (v.fault.is_none(), v.remaining))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(enforce: bool) -> Faults {
        Faults::new(&ServeConfig {
            client_id: String::new(),
            client_secret: String::new(),
            token_ttl: Duration::from_secs(1),
            page_token_ttl: Duration::from_secs(1),
            fail_rate: 0.0,
            latency: Duration::ZERO,
            burst_429: 0,
            burst_every: 40,
            seed: 1,
            rate_limits: enforce,
            personal_list: true,
        })
    }

    fn call(creates_user: bool, day: u32) -> Call<'static> {
        Call {
            account: "acme",
            label: Label::Light,
            plan: Some(AccountPlan::Business),
            day: NaiveDate::from_ymd_opt(2026, 11, day).expect("date"),
            creates_user,
        }
    }

    #[test]
    fn user_creation_stops_at_the_daily_cap_until_the_next_day() {
        let f = faults(true);
        for _ in 0..10_000 {
            let v = f.day(&call(true, 1)).expect("a daily cap applies");
            assert_eq!(v.fault, None);
        }
        let over = f.day(&call(true, 1)).expect("capped");
        assert_eq!(
            (over.fault, over.limit, over.remaining),
            (Some("daily-limit"), 10_000, 0)
        );
        assert_eq!(
            f.throttle(&call(true, 1)).fault,
            Some("daily-limit"),
            "the daily cap wins"
        );
        assert_eq!(
            f.day(&call(true, 2)).expect("capped").fault,
            None,
            "a new day"
        );
    }

    #[test]
    fn free_accounts_have_a_daily_cap_on_every_label() {
        assert_eq!(Label::Light.per_day(Some(AccountPlan::Free)), Some(6_000));
        assert_eq!(Label::Light.per_day(Some(AccountPlan::Business)), None);
        assert_eq!(Label::Heavy.per_day(Some(AccountPlan::Pro)), Some(30_000));
    }

    #[test]
    fn without_enforcement_the_figures_are_reported_but_nothing_is_refused() {
        let f = faults(false);
        let v = (0..200)
            .map(|_| f.throttle(&call(false, 1)))
            .last()
            .expect("some");
        assert_eq!(
            (v.fault, v.daily, v.limit, v.remaining),
            (None, false, 80, 0)
        );
    }
}
