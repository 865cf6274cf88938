//! The simulated Zoom cloud as data: accounts, their users, groups and roles, the individual
//! Zoom users that belong to no account, a frozen clock and the log of every change.
//!
//! The same shape is the seed file (YAML, most fields optional) and the persisted state
//! (`state/sim.json`), so `roster sim show` prints exactly what a seed can say.

pub use super::log::LogEntry;
use crate::model::{AccountPlan, Addon, Email, RoleName, Seats, Timestamp, UserType};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The whole simulated cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cloud {
    /// The simulator's own clock: it only moves with `roster sim clock`.
    pub clock: Timestamp,
    /// Zoom accounts, by id.
    #[serde(default)]
    pub accounts: Vec<SimAccount>,
    /// Zoom users that belong to no account (free individual users).
    #[serde(default)]
    pub individuals: Vec<Individual>,
    /// Organizations of linked accounts (O1–O7).
    #[serde(default)]
    pub organizations: Vec<SimOrganization>,
    /// External contact requests waiting for the receiver (K2, K3).
    #[serde(default)]
    pub contact_requests: Vec<ContactRequest>,
    /// Next number for generated ids (users, groups, roles).
    #[serde(default)]
    pub next_id: u64,
    /// Every change made, in order: what tests count and users read.
    #[serde(default)]
    pub log: Vec<LogEntry>,
    /// Refusals injected with `roster sim fail`, consumed in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<SimFault>,
    /// Google address books per user (K4: the external side of a Google contact sync).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub google: BTreeMap<Email, super::google::GoogleBook>,
    /// Microsoft Graph mailboxes (Outlook contacts) of users with an Office 365
    /// integration (K4), by user: what `roster sim serve`'s `/graph` fake serves.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub graph: BTreeMap<Email, super::graph::GraphMailbox>,
}

/// A refusal injected with `roster sim fail`: the next `times` operations of `action` are
/// refused with Zoom's `{code, message}`, to try how plans cope with a failed change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimFault {
    /// The operation refused.
    pub action: crate::model::Action,
    /// How many more times.
    pub times: u32,
    /// HTTP status of the refusal.
    pub status: u16,
    /// Zoom error code.
    pub code: i64,
    /// The change is made, then the refusal is the answer: a reply lost after the send
    /// (issue 17, part 3).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after: bool,
}

/// An injected fault taken for one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct TakenFault {
    /// The error answered.
    pub error: crate::provider::ProviderError,
    /// Whether the change is made before the error is answered.
    pub after: bool,
}

/// One Zoom account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimAccount {
    /// Account id (the Account manifest's `provider.sim.accountId`, or its name).
    pub id: String,
    /// The owner's email (U7).
    pub owner: Email,
    /// Paid or free (U1).
    #[serde(default = "default_plan")]
    pub plan: AccountPlan,
    /// Purchased seats; a missing figure means unlimited (U2, U3).
    #[serde(default)]
    pub seats: Seats,
    /// Whether the meeting connector is enabled, which `on-prem` users need (U2).
    #[serde(default)]
    pub on_prem: bool,
    /// Custom user attributes defined on the account (U11: at most 5).
    #[serde(default)]
    pub custom_attributes: Vec<String>,
    /// Zoom Rooms in the account (they block I3 acceptance elsewhere).
    #[serde(default)]
    pub zoom_rooms: u32,
    /// User groups.
    #[serde(default)]
    pub groups: Vec<SimGroup>,
    /// Chat groups.
    #[serde(default)]
    pub chat_groups: Vec<SimGroup>,
    /// Custom roles (owner, admin and member are built in).
    #[serde(default)]
    pub roles: Vec<SimRole>,
    /// Users: active, deactivated and pending.
    #[serde(default)]
    pub users: Vec<SimUser>,
    /// Invitations that expired unanswered (U8): email and the time they were sent.
    #[serde(default)]
    pub expired_invitations: BTreeMap<Email, Timestamp>,
    /// Chat channels and group chats, with internal and external members (U12).
    #[serde(default)]
    pub channels: Vec<SimChannel>,
    /// Whether the admin lets users import personal contacts (K5).
    #[serde(default = "yes")]
    pub personal_contacts_enabled: bool,
    /// Personal contacts per user and contact group (K5–K7).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub personal_contacts: BTreeMap<Email, BTreeMap<String, Vec<crate::model::StoredContact>>>,
    /// Calendar and contact integrations per user (K4): service, status, last sync.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub integrations: BTreeMap<Email, crate::model::ObservedIntegration>,
    /// The account's default integration service and its lock (K4).
    #[serde(default)]
    pub integration_defaults: crate::model::IntegrationDefaults,
    /// The Calendly organization whose Zoom connection goes to this account (C1–C7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendly: Option<SimCalendly>,
}

/// A Calendly organization linked to a simulated Zoom account (seed 003).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimCalendly {
    /// The organization's name.
    pub organization: String,
    /// The member roster's Calendly token acts as (`GET /users/me`).
    pub token_user: Email,
    /// Members with their role and whether they connected a personal Zoom account (C4).
    #[serde(default)]
    pub members: BTreeMap<Email, SimCalendlyMember>,
    /// The organization-wide Zoom connection, if it was made (connected or broken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<crate::model::ObservedCalendlyConnection>,
}

/// One member of a simulated Calendly organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimCalendlyMember {
    /// Owner, admin or user (C1).
    pub role: crate::model::CalendlyRole,
    /// The member connected their own Zoom account (C4: it wins over the organization's).
    #[serde(default)]
    pub personal_zoom: bool,
}

fn yes() -> bool {
    true
}

/// A chat channel or group chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimChannel {
    /// Name.
    pub name: String,
    /// Members: internal users and external contacts.
    #[serde(default)]
    pub members: BTreeSet<Email>,
}

/// An organization of linked accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimOrganization {
    /// Name.
    pub name: String,
    /// The account that created it and owns it (O3).
    pub owner_account: String,
    /// Linked accounts (not the owner), with the email they were invited by.
    #[serde(default)]
    pub linked: Vec<SimLink>,
    /// Invitations not yet approved by the invited side (or, from a linked account, by the
    /// owner first, O4).
    #[serde(default)]
    pub invitations: Vec<SimOrgInvitation>,
    /// Accounts asking to join (O7), waiting for the owner.
    #[serde(default)]
    pub join_requests: Vec<String>,
}

/// A linked account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimLink {
    /// Account id.
    pub account: String,
    /// The email it was invited by (or its owner's, for a join request).
    pub via: Email,
}

/// An organization invitation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimOrgInvitation {
    /// Owner or chat admin of the invited account (O5).
    pub email: Email,
    /// The inviting account.
    pub from_account: String,
    /// Waiting for the organization owner (O4) or sent.
    pub state: crate::model::LinkState,
    /// When it was (last) sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
}

/// A contact request from an internal user to an external email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactRequest {
    /// Requesting user.
    pub from: Email,
    /// Receiver.
    pub to: Email,
    /// When.
    pub sent_at: Timestamp,
    /// The receiver had no Zoom account: they were invited to join Zoom first (K2).
    #[serde(default)]
    pub zoom_invitation: bool,
}

fn default_plan() -> AccountPlan {
    AccountPlan::Business
}

/// A user group or chat group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimGroup {
    /// Zoom id (generated when absent from a seed).
    #[serde(default)]
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Contact groups only: Zoom's `group_privacy` (1 visible to anyone, 2 members
    /// visible, 3 members only); absent means 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<i64>,
    /// User groups only: the group's administrators (`/groups/{groupId}/admins`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub admins: BTreeSet<Email>,
}

/// A custom role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimRole {
    /// Zoom id (generated when absent from a seed).
    #[serde(default)]
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Privileges (`role:edit` lets holders promote and demote admins, U7).
    #[serde(default)]
    pub privileges: BTreeSet<String>,
}

/// A user's status in an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SimStatus {
    /// Signed in and usable.
    #[default]
    Active,
    /// Deactivated (U13): kept, cannot sign in, holds no seat.
    Inactive,
    /// Invited, not yet accepted (U5, U8).
    Pending,
}

/// How a pending user was asked to join (U5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InviteKind {
    /// The email had no Zoom account: an activation email.
    Activation,
    /// The email had a Zoom account (individual or another account): an invitation to join.
    Join,
}

/// A user of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimUser {
    /// Email, the key.
    pub email: Email,
    /// Zoom id; pending users have none (zoom-api.md §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Status.
    #[serde(default)]
    pub status: SimStatus,
    /// Licence type (U2).
    #[serde(rename = "type", default = "basic")]
    pub user_type: UserType,
    /// The role (U7), written as its name: `owner`, `admin`, `member` or a custom role.
    #[serde(default = "member", with = "role_text")]
    pub role: RoleName,
    /// Add-ons held (U3).
    #[serde(default)]
    pub addons: BTreeSet<Addon>,
    /// User groups.
    #[serde(default)]
    pub groups: BTreeSet<String>,
    /// Chat groups.
    #[serde(default)]
    pub chat_groups: BTreeSet<String>,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Department (user-editable, U4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Manager's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Email>,
    /// Job title (user-editable, U4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Location (user-editable, U4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Custom attribute values (U11).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_attributes: BTreeMap<String, String>,
    /// When the user record was created (the seed's clock for seeded users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// When the pending invitation was (last) sent (U8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invited_at: Option<Timestamp>,
    /// Activation email or invitation to join (pending users only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<InviteKind>,
    /// External contacts (K2, K3, U12).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub external_contacts: BTreeMap<Email, crate::model::ContactState>,
    /// People with whom a 1:1 chat history exists (kept when a contact is removed, U12).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub chat_history: BTreeSet<Email>,
}

fn basic() -> UserType {
    UserType::Basic
}

fn member() -> RoleName {
    RoleName::Member
}

/// A role on disk is its name as text (`role: admin`, `role: Helpdesk`), as seeds write
/// it, not `RoleName`'s own serde form (`{custom: Helpdesk}`).
mod role_text {
    use crate::model::RoleName;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(role: &RoleName, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(role.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<RoleName, D::Error> {
        String::deserialize(d).map(|name| RoleName::parse(&name))
    }
}

impl SimUser {
    /// A fresh user with only an email.
    pub fn new(email: Email) -> SimUser {
        SimUser {
            email,
            id: None,
            status: SimStatus::Active,
            user_type: UserType::Basic,
            role: member(),
            addons: BTreeSet::new(),
            groups: BTreeSet::new(),
            chat_groups: BTreeSet::new(),
            first_name: None,
            last_name: None,
            department: None,
            manager: None,
            job_title: None,
            location: None,
            custom_attributes: BTreeMap::new(),
            created_at: None,
            invited_at: None,
            invite: None,
            external_contacts: BTreeMap::new(),
            chat_history: BTreeSet::new(),
        }
    }

    /// Owner or admin.
    pub fn is_admin_level(&self) -> bool {
        self.role.is_admin_level()
    }
}

/// A Zoom user outside any account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Individual {
    /// Email.
    pub email: Email,
    /// A licensed individual loses the licence on joining an account (I4, I6).
    #[serde(rename = "type", default = "basic")]
    pub user_type: UserType,
    /// Given name (moves with the user, I4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

impl Cloud {
    /// An empty cloud at `clock`.
    pub fn new(clock: Timestamp) -> Cloud {
        Cloud {
            clock,
            accounts: Vec::new(),
            individuals: Vec::new(),
            organizations: Vec::new(),
            contact_requests: Vec::new(),
            next_id: 1,
            log: Vec::new(),
            faults: Vec::new(),
            google: BTreeMap::new(),
            graph: BTreeMap::new(),
        }
    }

    /// Consumes the first injected fault that refuses `op`, as the error Zoom would give.
    pub fn take_fault(&mut self, op: &crate::model::Op) -> Option<TakenFault> {
        let action = op.action();
        let i = self
            .faults
            .iter()
            .position(|f| f.action == action && f.times > 0)?;
        let f = &mut self.faults[i];
        f.times -= 1;
        let error = crate::provider::ProviderError::api(
            f.status,
            f.code,
            format!("Refused by `roster sim fail {action}` (injected fault)."),
        );
        let after = f.after;
        if f.times == 0 {
            self.faults.remove(i);
        }
        Some(TakenFault { error, after })
    }

    /// Index of an account by id.
    pub fn account_index(&self, id: &str) -> Option<usize> {
        self.accounts.iter().position(|a| a.id == id)
    }

    /// A fresh id with a prefix (`u` users, `g` groups, `r` roles).
    pub fn fresh_id(&mut self, prefix: &str) -> String {
        self.next_id = self.next_id.max(1);
        let id = format!("{prefix}{:06}", self.next_id);
        self.next_id += 1;
        id
    }

    /// Gives ids to seeded objects that lack one, and makes sure every owner is a user
    /// with the owner role.
    pub fn normalize(&mut self) {
        super::google::normalize_all(&mut self.google, self.clock);
        let clock = self.clock;
        for m in self.graph.values_mut() {
            m.normalize(clock);
        }
        for ai in 0..self.accounts.len() {
            let owner = self.accounts[ai].owner.clone();
            if !self.accounts[ai].users.iter().any(|u| u.email == owner) {
                let mut u = SimUser::new(owner.clone());
                u.user_type = UserType::Licensed;
                self.accounts[ai].users.insert(0, u);
            }
            let n_groups = self.accounts[ai].groups.len();
            for gi in 0..n_groups {
                if self.accounts[ai].groups[gi].id.is_empty() {
                    self.accounts[ai].groups[gi].id = self.fresh_id("g");
                }
            }
            for gi in 0..self.accounts[ai].chat_groups.len() {
                if self.accounts[ai].chat_groups[gi].id.is_empty() {
                    self.accounts[ai].chat_groups[gi].id = self.fresh_id("c");
                }
            }
            for ri in 0..self.accounts[ai].roles.len() {
                if self.accounts[ai].roles[ri].id.is_empty() {
                    self.accounts[ai].roles[ri].id = self.fresh_id("r");
                }
            }
            for ui in 0..self.accounts[ai].users.len() {
                let u = &self.accounts[ai].users[ui];
                let is_owner = u.email == owner;
                let needs_id = u.status != SimStatus::Pending && u.id.is_none();
                let needs_sent = u.status == SimStatus::Pending && u.invited_at.is_none();
                let needs_kind = u.status == SimStatus::Pending && u.invite.is_none();
                let needs_created = u.created_at.is_none();
                if is_owner {
                    self.accounts[ai].users[ui].role = RoleName::Owner;
                }
                if needs_id {
                    let id = self.fresh_id("u");
                    self.accounts[ai].users[ui].id = Some(id);
                }
                if needs_sent {
                    self.accounts[ai].users[ui].invited_at = Some(self.clock);
                }
                if needs_created {
                    self.accounts[ai].users[ui].created_at = Some(self.clock);
                }
                if needs_kind {
                    self.accounts[ai].users[ui].invite = Some(InviteKind::Activation);
                }
            }
        }
    }
}
