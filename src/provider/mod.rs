//! Providers: where the account lives. The [`Provider`] trait is all the rest of roster
//! knows; `sim` is the embedded simulator (the default), `zoom` the REST API.
//!
//! Providers depend on `model` and on the [`Op`] values of a plan only: they know nothing
//! of manifests.

pub mod google;
pub mod sim;
pub mod wire;
pub mod zoom;

use crate::model::Op;
use crate::model::{Email, ExistingZoomUser, Observed, Rule, UserField, UserSpec};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// What a provider could read of personal contact groups (K5, K6).
#[derive(Debug, Clone, PartialEq)]
pub enum PersonalContactsRead {
    /// The refresh lists them already (the simulator).
    InRefresh,
    /// Listed, by user and group name.
    Listed(BTreeMap<Email, BTreeMap<String, Vec<crate::model::StoredContact>>>),
    /// The provider refused to list them, with why: the plan asks for the groups by hand
    /// rather than write blind (Zoom: 404/2300, the endpoint was never announced).
    Refused(String),
}

/// A provider failure, typed so apply can tell a rule breach from a transient fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Zoom (or the simulator) refused the request with its `{code, message}` envelope.
    #[error("Zoom refused the request: code {code}: {message}{}", rule.map(|r| format!(" ({r})")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: u16,
        /// Zoom's error code (1009, 1120, 2034, …).
        code: i64,
        /// Zoom's message.
        message: String,
        /// The account rule this code corresponds to.
        rule: Option<Rule>,
    },
    /// The network or the server failed; retrying may help.
    #[error("transport error: {0}")]
    Transport(String),
    /// Credentials were refused.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The provider is misconfigured (bad seed, unknown account, missing secret).
    #[error("provider configuration: {0}")]
    Config(String),
    /// Local state of the provider could not be read or written.
    #[error("provider state: {0}")]
    State(String),
}

impl ProviderError {
    /// Builds an API error, attaching the rule that Zoom's code corresponds to.
    pub fn api(status: u16, code: i64, message: impl Into<String>) -> ProviderError {
        ProviderError::Api {
            status,
            code,
            message: message.into(),
            rule: rule_for_code(code),
        }
    }

    /// The request may have been carried out although it failed: the answer was lost to
    /// the network or a server error (5xx), as opposed to a refusal (4xx, 429) or a
    /// failure before anything was sent (issue 17, part 3).
    pub fn maybe_applied(&self) -> bool {
        match self {
            ProviderError::Transport(_) => true,
            ProviderError::Api { status, .. } => *status >= 500,
            ProviderError::Auth(_) | ProviderError::Config(_) | ProviderError::State(_) => false,
        }
    }

    /// Worth retrying (transport faults, 429, 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            ProviderError::Transport(_) => true,
            ProviderError::Api { status, .. } => *status == 429 || *status >= 500,
            ProviderError::Auth(_) | ProviderError::Config(_) | ProviderError::State(_) => false,
        }
    }
}

/// The account rule behind a Zoom error code (spec/zoom-api.md §2, §10).
pub fn rule_for_code(code: i64) -> Option<Rule> {
    match code {
        2033 | 2034 | 2038 | 3412 => Some(Rule::U2),
        1009 => Some(Rule::I3),
        1120 => Some(Rule::U8),
        1117 | 1108 => Some(Rule::U7),
        1107 => Some(Rule::U13),
        200 => Some(Rule::U1),
        _ => None,
    }
}

/// The request timeout of a provider that does not say its own (the embedded simulator
/// answers at once; a test provider too).
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Where an account lives: observed with list calls, changed one [`Op`] at a time.
#[async_trait]
pub trait Provider: Send + Sync {
    /// Observes the whole account with list calls only (never one read per user).
    async fn refresh(&self) -> Result<Observed, ProviderError>;

    /// [`Provider::refresh`], telling `progress` of each list page read
    /// ([`Step::Refresh`](crate::model::progress::Step)). A provider that reads the account
    /// in one go keeps the default.
    async fn refresh_reporting(
        &self,
        _progress: &dyn crate::model::progress::Progress,
    ) -> Result<Observed, ProviderError> {
        self.refresh().await
    }

    /// For emails absent from the account: which already have a Zoom user elsewhere
    /// (U5 invite vs create, I6). Called only for users the plan would add.
    async fn lookup_emails(
        &self,
        emails: &[Email],
    ) -> Result<BTreeMap<Email, ExistingZoomUser>, ProviderError>;

    /// Executes one operation.
    async fn execute(&self, op: &Op) -> Result<(), ProviderError>;

    /// Executes operations that share a batch key (same role, same group) in as few calls
    /// as the provider allows. The default runs them one by one.
    async fn execute_batch(&self, ops: &[Op]) -> Vec<Result<(), ProviderError>> {
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            out.push(self.execute(op).await);
        }
        out
    }

    /// Lets go of what the provider keeps in memory only to answer reads (the simulator's
    /// copy of its cloud). `roster plan` calls it once the account is observed, so that
    /// copy is not alive beside the plan (issue 15: peak memory); a later read fetches
    /// it again.
    fn release_caches(&self) {}

    /// Portal steps when this provider has no API for `op` (a manual change); `None` when
    /// it executes `op` itself.
    fn manual_steps(&self, _op: &Op) -> Option<Vec<String>> {
        None
    }

    /// Personal contacts of some user groups, when `refresh` does not list them (one list
    /// call per group, every page).
    async fn personal_contacts(
        &self,
        _wanted: &[(Email, String)],
    ) -> Result<crate::provider::PersonalContactsRead, ProviderError> {
        Ok(PersonalContactsRead::InRefresh)
    }

    /// Of some emails absent from the account, those whose invitation expired (U8), with
    /// the send time when known. Providers that list expired invitations in `refresh`
    /// leave the default.
    async fn expired_invitations(
        &self,
        _emails: &[Email],
    ) -> Result<BTreeMap<Email, Option<crate::model::Timestamp>>, ProviderError> {
        Ok(BTreeMap::new())
    }

    /// User fields the refresh cannot see with list calls (Zoom's `GET /users` has no job
    /// title, location, manager or add-ons). `reconcile::observe` fills them from what
    /// roster last set, or, for a field roster never set, with [`Provider::read_details`].
    fn unobserved_fields(&self) -> &'static [UserField] {
        &[]
    }

    /// Reads the [`Provider::unobserved_fields`] of some users (one read per user: used
    /// once per user, the first time roster manages such a field).
    async fn read_details(
        &self,
        _emails: &[Email],
    ) -> Result<BTreeMap<Email, UserSpec>, ProviderError> {
        Ok(BTreeMap::new())
    }

    /// Caps the requests this provider has in flight at once at `n`, when it can, and says
    /// whether it does. The zoom provider does, and a request waiting for its retry holds
    /// no slot, so apply may run more changes at once than `n` without sending more than
    /// `n` requests (issue 19, item 8). The default cannot: apply then runs `n` changes.
    fn limit_in_flight(&self, _n: usize) -> bool {
        false
    }

    /// The longest one request to this provider may take (its client's timeout): apply
    /// sends only while the lease holds for that long plus a margin (issue 14).
    fn request_timeout(&self) -> std::time::Duration {
        DEFAULT_REQUEST_TIMEOUT
    }

    /// Number of provider calls made so far (API requests for `zoom`, operations for `sim`),
    /// for the plan's call count and metrics.
    fn calls(&self) -> u64;
}
