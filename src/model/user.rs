use super::{Email, Source, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A Zoom user type (U2). `on-prem` is kept although the current API no longer lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UserType {
    /// Free user (Zoom type 1).
    Basic,
    /// Needs a licence seat (Zoom type 2).
    Licensed,
    /// Needs the meeting connector (Zoom type 3, retired from the API).
    OnPrem,
}

impl UserType {
    /// Every user type, in the order messages list them (the one list of them).
    pub const ALL: [UserType; 3] = [UserType::Basic, UserType::Licensed, UserType::OnPrem];
    /// The manifest spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            UserType::Basic => "basic",
            UserType::Licensed => "licensed",
            UserType::OnPrem => "on-prem",
        }
    }
    /// Parses the manifest spelling.
    pub fn parse(s: &str) -> Option<UserType> {
        UserType::ALL.into_iter().find(|t| t.as_str() == s)
    }
    /// Zoom's numeric `type`.
    pub fn zoom_code(self) -> u8 {
        match self {
            UserType::Basic => 1,
            UserType::Licensed => 2,
            UserType::OnPrem => 3,
        }
    }
    /// From Zoom's numeric `type` (4 "unassigned" is read as basic).
    pub fn from_zoom_code(code: i64) -> Option<UserType> {
        match code {
            1 | 4 => Some(UserType::Basic),
            2 => Some(UserType::Licensed),
            3 => Some(UserType::OnPrem),
            _ => None,
        }
    }
}

/// A per-user add-on licence that needs a purchased seat (U3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Addon {
    /// Large meetings.
    LargeMeeting,
    /// Webinars.
    Webinar,
}

impl Addon {
    /// Every add-on (the one list of them).
    pub const ALL: [Addon; 2] = [Addon::LargeMeeting, Addon::Webinar];
    /// The manifest spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Addon::LargeMeeting => "large-meeting",
            Addon::Webinar => "webinar",
        }
    }
    /// Parses the manifest spelling.
    pub fn parse(s: &str) -> Option<Addon> {
        Addon::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A user's role: the built-in ones or a custom role by name (U7).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleName {
    /// The account owner (built in; never assigned by roster).
    Owner,
    /// Built-in admin.
    Admin,
    /// Built-in member (the default).
    Member,
    /// A custom role declared with `kind: Role` or existing on the account.
    Custom(String),
}

impl RoleName {
    /// Parses the manifest spelling: `owner`, `admin`, `member` or a custom role name.
    pub fn parse(s: &str) -> RoleName {
        match s {
            "owner" => RoleName::Owner,
            "admin" => RoleName::Admin,
            "member" => RoleName::Member,
            other => RoleName::Custom(other.to_string()),
        }
    }
    /// The display name.
    pub fn as_str(&self) -> &str {
        match self {
            RoleName::Owner => "owner",
            RoleName::Admin => "admin",
            RoleName::Member => "member",
            RoleName::Custom(s) => s,
        }
    }
    /// Owner and admin count towards `policy.minAdmins`; promotions to them are U7-guarded.
    pub fn is_admin_level(&self) -> bool {
        matches!(self, RoleName::Owner | RoleName::Admin)
    }
}

/// The status a manifest asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesiredStatus {
    /// In the account and able to sign in.
    Active,
    /// In the account but unable to sign in (U13).
    Deactivated,
    /// Must not be in the account: removed with `policy.removeAction`.
    Absent,
}

impl DesiredStatus {
    /// Every status a manifest may ask for (the one list of them).
    pub const ALL: [DesiredStatus; 3] = [
        DesiredStatus::Active,
        DesiredStatus::Deactivated,
        DesiredStatus::Absent,
    ];
    /// The manifest spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            DesiredStatus::Active => "active",
            DesiredStatus::Deactivated => "deactivated",
            DesiredStatus::Absent => "absent",
        }
    }
    /// Parses the manifest spelling.
    pub fn parse(s: &str) -> Option<DesiredStatus> {
        DesiredStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A user's status as the account reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObservedStatus {
    /// Active user.
    Active,
    /// Deactivated user (Zoom `inactive`).
    Inactive,
    /// Invited, not yet accepted (U5); has no id on Zoom.
    Pending,
}

/// The fields of a user that roster manages, all optional: `None` means "not named".
///
/// The same struct describes what the manifest asks for ([`DesiredUser::spec`]), what
/// roster last set ([`super::LastApplied`]) and (with every field filled) what the account
/// holds ([`ObservedUser::spec`]). A three-way diff is then a field-by-field comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserSpec {
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// User type (U2).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    /// Add-on licences (U3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addons: Option<BTreeSet<Addon>>,
    /// Role (U7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleName>,
    /// User group, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Chat groups, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_groups: Option<BTreeSet<String>>,
    /// Department (user-editable, U4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Manager's email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<Email>,
    /// Job title (user-editable, U4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Location (user-editable, U4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Custom attributes (U11); keys must be declared on the Account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<BTreeMap<String, String>>,
}

/// A user as the manifests declare it, after defaults were resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredUser {
    /// Identity.
    pub email: Email,
    /// Managed fields. `user_type` and `role` are always `Some` after defaults.
    pub spec: UserSpec,
    /// Active, deactivated or absent.
    pub status: DesiredStatus,
    /// On this date the user is removed with `policy.removeAction`.
    pub expires: Option<chrono::NaiveDate>,
    /// Where the user was declared.
    pub source: Source,
}

/// A user as the account reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedUser {
    /// Identity.
    pub email: Email,
    /// Zoom's user id; `None` for pending users.
    pub id: Option<String>,
    /// Active, inactive or pending.
    pub status: ObservedStatus,
    /// Current values. Every field is `Some` (empty values as empty strings/sets), except
    /// `group` (None = in no group) and `manager` (None = no manager).
    pub spec: UserSpec,
    /// Every user group the user is in (Zoom allows several; `spec.group` is the primary).
    #[serde(default)]
    pub groups: BTreeSet<String>,
    /// For pending users: when the current invitation was sent, when the provider knows it.
    #[serde(default)]
    pub invited_at: Option<Timestamp>,
}

/// What a provider knows of an email outside the account: decides `create_user` vs
/// `invite_user` (U5) and the I6 warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExistingZoomUser {
    /// The email.
    pub email: Email,
    /// The user is licensed where they are now (I6: joining as basic loses features).
    pub licensed: bool,
}
