//! Zoom's JSON payloads for the REST subset roster uses (field names as in Zoom's OpenAPI
//! specs, `../shared/zoom-openapi/`). Both sides of the wire use these types: the `zoom`
//! provider sends and reads them, `roster sim serve` reads and answers them, so a field
//! renamed here is renamed on both sides and the contract tests keep them honest.

use serde::{Deserialize, Serialize};

/// Zoom's error envelope: HTTP status plus `{code, message}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Zoom's error code (1001, 1120, 2034, …).
    pub code: i64,
    /// Zoom's message.
    pub message: String,
}

/// `POST /oauth/token` answer (Server-to-Server OAuth).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// Bearer token.
    pub access_token: String,
    /// `bearer`.
    pub token_type: String,
    /// Lifetime in seconds (3600 on Zoom).
    pub expires_in: u64,
    /// Space-separated scopes.
    #[serde(default)]
    pub scope: String,
}

/// One custom attribute value on a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomAttribute {
    /// Attribute id.
    #[serde(default)]
    pub key: String,
    /// Attribute name (what manifests use).
    pub name: String,
    /// Value.
    pub value: String,
}

/// A user as `GET /users` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedUser {
    /// Absent for pending users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Email.
    pub email: String,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// 1 basic, 2 licensed, 3 on-prem (legacy), 4 unassigned.
    #[serde(rename = "type")]
    pub user_type: i64,
    /// `active`, `inactive` or `pending`.
    pub status: String,
    /// Role id (resolve names with `GET /roles`).
    #[serde(default)]
    pub role_id: String,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dept: Option<String>,
    /// User group ids.
    #[serde(default)]
    pub group_ids: Vec<String>,
    /// Custom attributes (only with `include_fields=custom_attributes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_attributes: Vec<CustomAttribute>,
    /// When the user record was created; for a pending user, when the invitation was
    /// sent (roster's reading, UNCONFIRMED on Zoom: see docs/zoom-provider.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_created_at: Option<String>,
}

/// `GET /users` page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPage {
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
    /// Page size used.
    #[serde(default)]
    pub page_size: u32,
    /// Users across all pages.
    #[serde(default)]
    pub total_records: u32,
    /// This page.
    #[serde(default)]
    pub users: Vec<ListedUser>,
}

/// `GET /users/{userId}`: the fields the list lacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UserDetail {
    /// Id.
    #[serde(default)]
    pub id: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: String,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Manager's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
}

/// `POST /users` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateUser {
    /// `create` (activation email or invitation).
    pub action: String,
    /// The user.
    pub user_info: CreateUserInfo,
}

/// `user_info` of `POST /users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateUserInfo {
    /// Email.
    pub email: String,
    /// 1 basic, 2 licensed, 3 on-prem.
    #[serde(rename = "type")]
    pub user_type: i64,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

/// `PATCH /users/{userId}` body (only the fields sent change; `""` clears).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UpdateUser {
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Licence type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<i64>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dept: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Manager's email (`""` clears).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// The whole set of custom attribute values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Vec<CustomAttribute>>,
}

/// `PUT /users/{userId}/status` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusAction {
    /// `activate` or `deactivate`.
    pub action: String,
}

/// `PATCH /users/{userId}/settings` body: the add-on switches (U3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UserSettings {
    /// Features.
    #[serde(default)]
    pub feature: Features,
}

/// `feature` of user settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Features {
    /// Large meeting add-on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_meeting: Option<bool>,
    /// Webinar add-on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webinar: Option<bool>,
}

/// `GET /users/email` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailCheck {
    /// Whether the email has a Zoom user anywhere.
    pub existed_email: bool,
}

/// A user group in `GET /groups`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Members.
    #[serde(default)]
    pub total_members: u32,
}

/// `GET /groups` page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPage {
    /// Groups.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Count.
    #[serde(default)]
    pub total_records: u32,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
}

/// `POST /groups` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewGroup {
    /// Name.
    pub name: String,
}

/// A member reference: `id` wins over `email`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRef {
    /// User id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `POST /groups/{id}/members` and `POST /roles/{id}/members` body (at most 30).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Members {
    /// Members.
    pub members: Vec<MemberRef>,
}

/// A contact group (the successor of IM groups; roster's chat groups).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactGroup {
    /// Id.
    pub group_id: String,
    /// Name.
    pub group_name: String,
    /// 1 visible to anyone, 2 members visible, 3 members only.
    #[serde(default)]
    pub group_privacy: i64,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `GET /contacts/groups` page (at most 50).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactGroupPage {
    /// Groups.
    #[serde(default)]
    pub groups: Vec<ContactGroup>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
}

/// `POST /contacts/groups` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewContactGroup {
    /// Name.
    pub group_name: String,
    /// Privacy (roster uses 1).
    pub group_privacy: i64,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A contact group member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactGroupMember {
    /// 1 user, 2 user group.
    #[serde(rename = "type")]
    pub member_type: i64,
    /// Id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `GET`/`POST /contacts/groups/{id}/members`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactGroupMembers {
    /// Members.
    #[serde(default)]
    pub group_members: Vec<ContactGroupMember>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
}

/// A role in `GET /roles`, or `GET /roles/{id}` with privileges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// Id.
    #[serde(default)]
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `common`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub role_type: Option<String>,
    /// Members.
    #[serde(default)]
    pub total_members: u32,
    /// Privileges (`GET /roles/{id}` and `POST`/`PATCH` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileges: Option<Vec<String>>,
}

/// `GET /roles` answer (not paginated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleList {
    /// Roles.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Count.
    #[serde(default)]
    pub total_records: u32,
}

/// Zoom's ids of the built-in roles (resolved by name from `GET /roles`).
pub const OWNER_ROLE: &str = "Owner";
/// Built-in admin role name.
pub const ADMIN_ROLE: &str = "Admin";
/// Built-in member role name.
pub const MEMBER_ROLE: &str = "Member";

/// A personal contact on `/contacts/user/{userId}/personal` (announced October 2026; the
/// field names are UNCONFIRMED, so this one type holds the whole mapping).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PersonalContactBody {
    /// Id (answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Contact group display name.
    #[serde(default)]
    pub group_name: String,
    /// Name.
    pub name: String,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Office phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_phone: Option<String>,
    /// Home phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_phone: Option<String>,
    /// Mobile phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    /// Fax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fax: Option<String>,
    /// Other phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
}

impl PersonalContactBody {
    /// From roster's value.
    pub fn from_contact(group: &str, c: &crate::model::PersonalContact) -> PersonalContactBody {
        PersonalContactBody {
            id: None,
            group_name: group.to_string(),
            name: c.name.clone(),
            email: c.email.clone(),
            office_phone: c.office.clone(),
            home_phone: c.home.clone(),
            mobile_phone: c.mobile.clone(),
            fax: c.fax.clone(),
            phone: c.phone.clone(),
            company: c.company.clone(),
        }
    }

    /// To roster's value.
    pub fn to_contact(&self) -> crate::model::PersonalContact {
        crate::model::PersonalContact {
            name: self.name.clone(),
            email: self.email.clone(),
            office: self.office_phone.clone(),
            home: self.home_phone.clone(),
            mobile: self.mobile_phone.clone(),
            fax: self.fax.clone(),
            phone: self.phone.clone(),
            company: self.company.clone(),
        }
    }
}

/// `GET /contacts/user/{userId}/personal` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PersonalContactList {
    /// Contacts.
    #[serde(default)]
    pub contacts: Vec<PersonalContactBody>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
}

/// `POST /chat/users/{userId}/invitations` body: a contact request (K2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactInvitation {
    /// The external email.
    pub email: String,
    /// A message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
