use super::{DesiredUser, Email, ExistingZoomUser, ObservedUser, Source, Timestamp, UserSpec};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How a user leaves the account (U13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RemoveAction {
    /// Unlink: the user becomes an individual Zoom user again and keeps their data.
    #[default]
    Disassociate,
    /// Keep in the account, unable to sign in.
    Deactivate,
    /// Gone for good.
    Delete,
}

impl RemoveAction {
    /// Every way of leaving (the one list of them).
    pub const ALL: [RemoveAction; 3] = [
        RemoveAction::Disassociate,
        RemoveAction::Deactivate,
        RemoveAction::Delete,
    ];
    /// The manifest spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            RemoveAction::Disassociate => "disassociate",
            RemoveAction::Deactivate => "deactivate",
            RemoveAction::Delete => "delete",
        }
    }
    /// Parses the manifest spelling.
    pub fn parse(s: &str) -> Option<RemoveAction> {
        RemoveAction::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A user field, as named in `policy.userEditable` and in plan field diffs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum UserField {
    FirstName,
    LastName,
    Type,
    Addons,
    Role,
    Group,
    ChatGroups,
    Department,
    Manager,
    JobTitle,
    Location,
    CustomAttributes,
}

impl UserField {
    /// The camelCase name used in manifests and plan JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            UserField::FirstName => "firstName",
            UserField::LastName => "lastName",
            UserField::Type => "type",
            UserField::Addons => "addons",
            UserField::Role => "role",
            UserField::Group => "group",
            UserField::ChatGroups => "chatGroups",
            UserField::Department => "department",
            UserField::Manager => "manager",
            UserField::JobTitle => "jobTitle",
            UserField::Location => "location",
            UserField::CustomAttributes => "customAttributes",
        }
    }
    /// Parses the camelCase name.
    pub fn parse(s: &str) -> Option<UserField> {
        UserField::ALL.iter().copied().find(|f| f.as_str() == s)
    }
    /// Every field, in plan display order.
    pub const ALL: [UserField; 12] = [
        UserField::FirstName,
        UserField::LastName,
        UserField::Type,
        UserField::Addons,
        UserField::Role,
        UserField::Group,
        UserField::ChatGroups,
        UserField::Department,
        UserField::Manager,
        UserField::JobTitle,
        UserField::Location,
        UserField::CustomAttributes,
    ];
}

/// The `policy` block of an Account: how far roster may go on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Remove users that are in the account but in no manifest.
    pub prune: bool,
    /// How users leave (U13).
    pub remove_action: RemoveAction,
    /// A plan removing more users refuses to apply without `--allow-removals N`.
    pub max_removals: Option<u32>,
    /// A plan leaving fewer admins (owner included) is an error.
    pub min_admins: Option<u32>,
    /// Email globs roster never touches, even under prune.
    pub ignore: Vec<String>,
    /// Resend a pending invitation older than this (U8: before the 30-day expiry).
    pub resend_after: Option<chrono::Duration>,
    /// External contacts outside these domains are removed (U12); used by later kinds.
    pub external_allow_domains: Option<Vec<String>>,
    /// Fields a user may change themself (U4): drift on them is reported, not reverted.
    pub user_editable: BTreeSet<UserField>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            prune: false,
            remove_action: RemoveAction::Disassociate,
            max_removals: None,
            min_admins: None,
            ignore: Vec::new(),
            resend_after: None,
            external_allow_domains: None,
            user_editable: BTreeSet::new(),
        }
    }
}

/// Purchased seats (U2, U3). `None` = unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seats {
    /// Licence seats.
    pub licensed: Option<u32>,
    /// Large-meeting add-on seats.
    pub large_meeting: Option<u32>,
    /// Webinar add-on seats.
    pub webinar: Option<u32>,
}

/// Which provider an account is reconciled against.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderConfig {
    /// The embedded simulator (default).
    Sim(SimConfig),
    /// The real Zoom REST API.
    Zoom(ZoomConfig),
}

/// `provider.sim` settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimConfig {
    /// Seed file (absolute path) used when the simulator holds no state yet.
    pub seed: Option<std::path::PathBuf>,
    /// The sim account id (defaults to the Account's name).
    pub account_id: Option<String>,
    /// Who roster acts as in the simulator (defaults to the owner): U1/U7 checks.
    pub act_as: Option<Email>,
    /// How long each operation takes (`latencyMs`), standing for Zoom's latency.
    pub latency: Option<std::time::Duration>,
}

/// A secret reference: never an inline value (manifests.md, Secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// Read from this environment variable at apply time.
    Env(String),
    /// Read from this file (absolute path) at apply time.
    File(std::path::PathBuf),
}

/// `provider.zoom` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoomConfig {
    /// Zoom account id.
    pub account_id: SecretRef,
    /// S2S OAuth client id.
    pub client_id: SecretRef,
    /// S2S OAuth client secret.
    pub client_secret: SecretRef,
    /// API base, e.g. `https://api.zoom.us/v2`.
    pub base_url: String,
    /// Token endpoint, e.g. `https://zoom.us/oauth/token`.
    pub token_url: String,
    /// `pro` or `business`: sizes the rate limiter.
    pub plan: String,
    /// Share of the account's rate limits roster may use (0 < share ≤ 1).
    pub rate_share: f64,
    /// `page_size` of list calls (`pageSize`, 1..=2000; default 300).
    pub page_size: u32,
}

/// Defaults applied to users that do not say (U2, U10).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountDefaults {
    /// Type for users that do not say.
    pub user_type: Option<super::UserType>,
    /// Default user group for new users.
    pub group: Option<String>,
    /// Default chat group for new users.
    pub chat_group: Option<String>,
    /// Per associated domain defaults.
    pub domains: BTreeMap<String, DomainDefaults>,
}

/// Defaults for users of one associated domain (U10).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DomainDefaults {
    /// User type.
    pub user_type: Option<super::UserType>,
    /// User group.
    pub group: Option<String>,
}

/// The Account manifest, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSpec {
    /// Local handle, unique in the repository.
    pub name: String,
    /// The owner: never demoted, deactivated or removed (U7).
    pub owner: Email,
    /// Where to reconcile.
    pub provider: ProviderConfig,
    /// Defaults for users.
    pub defaults: AccountDefaults,
    /// Declared custom attribute keys (U11: at most 5).
    pub custom_attributes: Vec<String>,
    /// Declared seats, used where the provider cannot report them.
    pub seats: Seats,
    /// Policy.
    pub policy: Policy,
    /// Daemon resync cron (with seconds).
    pub resync: Option<String>,
    /// What the manifests reference but roster does not manage (`existing:`).
    pub existing: Existing,
    /// Where the Account was declared.
    pub source: Source,
}

/// `existing:` of an Account: groups, chat groups, roles and users that manifests
/// reference (a user's group, a manager, a contact owner) but roster does not manage.
/// The loader accepts a reference to them without a declaration; `plan` checks against
/// the refresh that each is on the account, before any change waits on it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Existing {
    /// User groups, by name, with where each was listed.
    pub groups: BTreeMap<String, Source>,
    /// Chat groups, by name.
    pub chat_groups: BTreeMap<String, Source>,
    /// Custom roles, by name.
    pub roles: BTreeMap<String, Source>,
    /// Users (managers, contact owners), by email.
    pub users: BTreeMap<Email, Source>,
}

/// A user group declared in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredGroup {
    /// Name (identity).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Where declared.
    pub source: Source,
}

/// A custom role declared in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredRole {
    /// Name (identity).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Privileges, e.g. `user:read`, `role:edit` (U7).
    pub privileges: BTreeSet<String>,
    /// Where declared.
    pub source: Source,
}

/// Whether two sets of role privileges grant the same: privileges are compared without
/// case, since manifests may keep a friendly spelling (`user:read`) of Zoom's form
/// (`User:Read`, what Zoom answers) (issue 10, item 2).
pub fn same_privileges(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    let lower = |s: &BTreeSet<String>| -> BTreeSet<String> {
        s.iter().map(|p| p.to_ascii_lowercase()).collect()
    };
    lower(a) == lower(b)
}

/// Whether a set of role privileges holds `privilege`, compared without case (Zoom answers
/// `Role:Edit` where manifests say `role:edit`).
pub fn grants(privileges: &BTreeSet<String>, privilege: &str) -> bool {
    privileges.iter().any(|p| p.eq_ignore_ascii_case(privilege))
}

/// Everything the manifests ask for one account.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// The Account manifest.
    pub account: AccountSpec,
    /// Users by email.
    pub users: BTreeMap<Email, DesiredUser>,
    /// User groups by name.
    pub groups: BTreeMap<String, DesiredGroup>,
    /// Chat groups by name (same shape as groups).
    pub chat_groups: BTreeMap<String, DesiredGroup>,
    /// Custom roles by name.
    pub roles: BTreeMap<String, DesiredRole>,
    /// The organization of linked accounts (O1–O7), if the manifests declare one.
    pub organization: Option<super::DesiredOrganization>,
    /// External contacts per user (U12, K2).
    pub external_contacts: BTreeMap<Email, super::DesiredExternalContacts>,
    /// Personal contact groups per user and group name (K5–K7).
    pub personal_contacts: BTreeMap<Email, BTreeMap<String, super::DesiredContactGroup>>,
    /// Calendar and contact integrations per user (K4; one service per user).
    pub integrations: BTreeMap<Email, super::DesiredIntegration>,
    /// Calendly's organization-wide Zoom connection (C1–C7), if declared.
    pub calendly: Option<super::DesiredCalendly>,
}

/// The account's plan tier, as far as U1 and rate limits care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountPlan {
    /// Free, no credit card: user management unavailable (U1).
    Free,
    /// Free with a credit card on file (U1 allows it).
    FreeWithCard,
    /// Pro.
    Pro,
    /// Business, Education, Enterprise.
    Business,
}

impl AccountPlan {
    /// U1: user management is available.
    pub fn is_paid(self) -> bool {
        !matches!(self, AccountPlan::Free)
    }
}

/// A user group (or chat group) on the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedGroup {
    /// Provider id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description, when the provider reports it.
    #[serde(default)]
    pub description: Option<String>,
}

/// A role on the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedRole {
    /// Provider id.
    pub id: String,
    /// Name (`owner`, `admin`, `member` for built-ins).
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Privileges.
    #[serde(default)]
    pub privileges: BTreeSet<String>,
}

/// The account as last observed through the provider's list calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observed {
    /// Provider account id.
    pub account_id: String,
    /// When the observation was made, on the provider's clock (the simulator has its own):
    /// the planner's `now`.
    pub observed_at: Timestamp,
    /// Plan tier (U1).
    pub plan: AccountPlan,
    /// The account owner.
    pub owner: Email,
    /// Who roster's credentials act as (U1, U7).
    pub actor: Email,
    /// Meeting connector enabled (U2: on-prem users).
    pub on_prem_enabled: bool,
    /// Purchased seats as the provider reports them (wins over declared ones).
    pub seats: Seats,
    /// Users (active, inactive and pending) by email.
    pub users: BTreeMap<Email, ObservedUser>,
    /// User groups by name.
    pub groups: BTreeMap<String, ObservedGroup>,
    /// Chat groups by name.
    pub chat_groups: BTreeMap<String, ObservedGroup>,
    /// Roles by name (built-ins included).
    pub roles: BTreeMap<String, ObservedRole>,
    /// Invitations the provider knows expired (U8), by email, with when they were sent
    /// when the provider can tell (the simulator can; Zoom only answers 1120).
    #[serde(default)]
    pub expired_invitations: BTreeMap<Email, Option<Timestamp>>,
    /// Emails outside the account that already have a Zoom user (U5, I6): only looked up for
    /// the desired users absent from the account.
    #[serde(default)]
    pub existing_elsewhere: BTreeMap<Email, ExistingZoomUser>,
    /// Emails whose look-ups (U5 elsewhere, U8 expired) failed after their retries, with
    /// why: the plan neither creates nor invites them this run, and the rest goes on
    /// (issue 19, item 9). The next run looks them up again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unread_lookups: BTreeMap<Email, String>,
    /// Organizations (O1–O7).
    #[serde(default)]
    pub organization: super::OrgObservation,
    /// External contacts per user; `None` when the provider cannot list them (zoom).
    #[serde(default)]
    pub external_contacts: Option<BTreeMap<Email, BTreeMap<Email, super::ContactState>>>,
    /// Personal contacts per user and group name.
    #[serde(default)]
    pub personal_contacts: BTreeMap<Email, BTreeMap<String, Vec<super::StoredContact>>>,
    /// Why the provider refused to list personal contacts (Zoom: 404/2300, the list
    /// endpoint was never announced): the plan cannot diff a group, so it asks for it by
    /// hand instead of writing blind (K5, K6). `None`: listed, or listed by the refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_contacts_refused: Option<String>,
    /// Calendar and contact integrations (K4); `None` when the provider cannot read them
    /// (Zoom has no API for them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrations: Option<super::IntegrationObservation>,
    /// The Calendly organization linked to the account (C1–C7); `None` when no connection
    /// is declared or the provider reads no Calendly organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendly: Option<super::CalendlyObservation>,
}

/// What roster itself last set, per object and field: the third side of the diff.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LastApplied {
    /// Users roster manages, with the fields it set.
    pub users: BTreeMap<Email, UserSpec>,
    /// User groups roster created (name → description it set).
    pub groups: BTreeMap<String, Option<String>>,
    /// Chat groups roster created.
    pub chat_groups: BTreeMap<String, Option<String>>,
    /// Custom roles roster created (name → privileges it set).
    pub roles: BTreeMap<String, BTreeSet<String>>,
    /// When roster last sent (or first saw) each pending invitation (U8).
    pub invitations: BTreeMap<Email, Timestamp>,
    /// The organization roster created or joined (its name, or the owner's email for a
    /// join), so that removing the manifest can delete it (O3).
    pub organization: Option<String>,
    /// External contacts roster requested, per user (prune removes only what is not listed).
    pub external_contacts: BTreeMap<Email, BTreeSet<Email>>,
    /// Personal contact groups roster set, per user.
    pub personal_contacts: BTreeMap<Email, BTreeSet<String>>,
    /// Integrations roster asked to connect, per user, with the service (K4).
    pub integrations: BTreeMap<Email, super::IntegrationService>,
}
