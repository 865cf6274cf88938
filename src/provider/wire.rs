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

/// A user as `GET /users` lists it (and the common part of `GET /users/{userId}`). Every
/// field Zoom may leave out is optional: the provider reads real answers leniently, the
/// simulator leaves out what it has no value for (never `null`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ListedUser {
    /// Absent for pending users in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Email.
    pub email: String,
    /// Given name (`""` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name (`""` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// 1 basic, 2 licensed, 4 unassigned without Meetings Basic, 99 none (3 on-prem is
    /// no longer in the spec's enum).
    #[serde(rename = "type")]
    pub user_type: i64,
    /// `active`, `inactive` or `pending`.
    #[serde(default)]
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
    /// Custom attributes (only with `include_fields=custom_attributes`, and only when the
    /// user has some).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_attributes: Vec<CustomAttribute>,
    /// Personal meeting id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmi: Option<i64>,
    /// IANA time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// 1 when the email is verified (the user activated their account), else 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<i64>,
    /// Language of the user's portal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Deprecated twin of `user_created_at` (for a pending user, the time of the call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When the user record was created; for a pending user, when the invitation was
    /// sent (roster's reading, UNCONFIRMED on Zoom: see docs/zoom-provider.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_created_at: Option<String>,
}

/// `GET /users` page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UserPage {
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
    /// Pages in the listing.
    #[serde(default)]
    pub page_count: u32,
    /// 1-based number of this page (`page_number` is deprecated but served).
    #[serde(default)]
    pub page_number: u32,
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

/// `GET /users/{userId}`: the listed fields plus the profile fields the list lacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UserDetail {
    /// What the list shows.
    #[serde(flatten)]
    pub user: ListedUser,
    /// Role name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Manager's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// The account the user belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Login types (100: Zoom Work email).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub login_types: Vec<i64>,
    /// Whether the PMI is used for instant meetings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_pmi: Option<bool>,
    /// Personal meeting link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_meeting_url: Option<String>,
}

/// `POST /users` answer (201): the new user, with its id even while it is pending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedUser {
    /// The new user's id.
    #[serde(default)]
    pub id: String,
    /// Email.
    pub email: String,
    /// Given name (`""` when not sent).
    #[serde(default)]
    pub first_name: String,
    /// Family name (`""` when not sent).
    #[serde(default)]
    pub last_name: String,
    /// Type.
    #[serde(rename = "type")]
    pub user_type: i64,
}

/// `POST /users` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateUser {
    /// `create` (activation email or invitation); `autoCreate`, `custCreate`, `ssoCreate`.
    pub action: String,
    /// The user.
    pub user_info: CreateUserInfo,
}

/// `user_info` of `POST /users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateUserInfo {
    /// Email.
    pub email: String,
    /// 1 basic, 2 licensed, 4 unassigned, 99 none (SSO pre-provisioning only).
    #[serde(rename = "type")]
    pub user_type: i64,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `PATCH /users/{userId}` body (only the fields sent change).
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
    /// Manager: email or display name of a user of the same account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// Custom attribute values, by attribute `key` (its id, from
    /// `GET /users?include_fields=custom_attributes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Vec<CustomAttribute>>,
    /// Group for a pending user (Zoom's only way to place one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
}

/// `PUT /users/{userId}/status` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusAction {
    /// `activate` or `deactivate` (`clock_in`/`clock_out` are Workforce Management's).
    pub action: String,
}

/// `GET`/`PATCH /users/{userId}/settings`: the add-on switches (U3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UserSettings {
    /// Features.
    #[serde(default)]
    pub feature: Features,
}

/// `feature` of user settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Features {
    /// Meeting capacity of the user's plan (answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_capacity: Option<i64>,
    /// Large meeting add-on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_meeting: Option<bool>,
    /// Large meeting capacity, when the add-on is held (answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_meeting_capacity: Option<i64>,
    /// Webinar add-on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webinar: Option<bool>,
    /// Webinar capacity, when the add-on is held (answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webinar_capacity: Option<i64>,
}

/// `GET /users/email` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailCheck {
    /// Whether the email has a Zoom user anywhere.
    pub existed_email: bool,
}

/// `GET /users/summary` answer: users by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UsersSummary {
    /// Licensed users (active and pending).
    pub licensed_users_count: u32,
    /// Basic users.
    pub basic_users_count: u32,
    /// On-prem users.
    pub on_prem_users_count: u32,
    /// Zoom Rooms.
    pub room_users_count: u32,
    /// Pending users.
    pub pending_users_count: u32,
    /// Users without licence.
    pub join_only_users_count: u32,
    /// Licensed, basic, on-prem, join-only and room users.
    pub total_users_count: u32,
}

/// `GET /users/{userId}/permissions` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Permissions {
    /// Privileges of the user's role (`User:Read`, …).
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// A user group in `GET /groups`, `GET /groups/{groupId}` and the `POST /groups` answer.
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
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

/// `POST /groups` and `PATCH /groups/{groupId}` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewGroup {
    /// Name.
    pub name: String,
}

/// A member of a user group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GroupMember {
    /// User id.
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
    /// User type.
    #[serde(rename = "type", default)]
    pub user_type: i64,
}

/// `GET /groups/{groupId}/members` page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GroupMemberPage {
    /// Members.
    #[serde(default)]
    pub members: Vec<GroupMember>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
    /// Pages.
    #[serde(default)]
    pub page_count: u32,
    /// This page's number.
    #[serde(default)]
    pub page_number: u32,
    /// Page size used.
    #[serde(default)]
    pub page_size: u32,
    /// Members across pages.
    #[serde(default)]
    pub total_records: u32,
}

/// An administrator of a user group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupAdmin {
    /// Email.
    pub email: String,
    /// Display name.
    pub name: String,
}

/// `GET /groups/{groupId}/admins` page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GroupAdminPage {
    /// Administrators.
    #[serde(default)]
    pub admins: Vec<GroupAdmin>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
    /// Page size used.
    #[serde(default)]
    pub page_size: u32,
    /// Administrators across pages.
    #[serde(default)]
    pub total_records: u32,
}

/// `POST /groups/{groupId}/admins` body (at most 10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Admins {
    /// Administrators to add.
    pub admins: Vec<MemberRef>,
}

/// `PATCH /groups/{groupId}/members/{memberId}` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMemberAction {
    /// `move` or `set_primary`.
    pub action: String,
    /// The group to move to, or the new primary group.
    #[serde(default)]
    pub target_group_id: Option<String>,
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

/// `POST /groups/{groupId}/members` and `…/admins` answer (201).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GroupMembersAdded {
    /// Ids of the users added, comma-separated (members given by email included).
    #[serde(default)]
    pub ids: String,
    /// When.
    #[serde(default)]
    pub added_at: String,
}

/// `POST /roles/{roleId}/members` answer (201; Zoom spells the time `add_at` here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RoleMembersAdded {
    /// Ids of the users assigned, comma-separated.
    #[serde(default)]
    pub ids: String,
    /// When.
    #[serde(default)]
    pub add_at: String,
}

/// A contact group (the successor of IM groups; roster's chat groups).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactGroup {
    /// Id.
    pub group_id: String,
    /// Name.
    pub group_name: String,
    /// Members (`GET /contacts/groups/{groupId}` and the create answer only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_members: Option<u32>,
    /// 1 visible to anyone, 2 members visible, 3 members only.
    #[serde(default)]
    pub group_privacy: i64,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `GET /contacts/groups` page (at most 50).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContactGroupPage {
    /// Groups.
    #[serde(default)]
    pub groups: Vec<ContactGroup>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
    /// Page size used.
    #[serde(default)]
    pub page_size: u32,
}

/// `POST /contacts/groups` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewContactGroup {
    /// Name.
    pub group_name: String,
    /// Privacy (roster uses 1).
    #[serde(default = "visible")]
    pub group_privacy: i64,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// First members (at most 50 users and 3 user groups).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_members: Vec<ContactGroupMember>,
}

fn visible() -> i64 {
    1
}

/// `PATCH /contacts/groups/{groupId}` body (Zoom's names differ from the create's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContactGroupUpdate {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New privacy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<i64>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A contact group member: a user (type 1) or a user group (type 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactGroupMember {
    /// 1 user, 2 user group.
    #[serde(rename = "type")]
    pub member_type: i64,
    /// Id.
    pub id: String,
    /// Display name (answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `GET /contacts/groups/{id}/members` page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContactGroupMembers {
    /// Members.
    #[serde(default)]
    pub group_members: Vec<ContactGroupMember>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
    /// Page size used.
    #[serde(default)]
    pub page_size: u32,
}

/// `POST /contacts/groups/{id}/members` body (no paging fields: item 13 of the fidelity
/// review).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewContactGroupMembers {
    /// Members to add (at most 50 users, 3 user groups).
    pub group_members: Vec<ContactGroupMember>,
}

/// `POST /contacts/groups/{id}/members` answer (201).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContactGroupMembersAdded {
    /// Ids of the members added.
    #[serde(default)]
    pub member_ids: Vec<String>,
}

/// A role in `GET /roles`, or `GET /roles/{id}` with privileges (answers only).
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
    /// `common` or `iq`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub role_type: Option<String>,
    /// Members.
    #[serde(default)]
    pub total_members: u32,
    /// Privileges in Zoom's form (`User:Read`; `GET /roles/{id}` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileges: Option<Vec<String>>,
}

/// `POST /roles` body: only the fields the spec documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRole {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `common` (the default) or `iq`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub role_type: Option<String>,
    /// Privileges in Zoom's form (`User:Read`).
    #[serde(default)]
    pub privileges: Vec<String>,
}

/// `PATCH /roles/{roleId}` body: only the fields sent change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RoleUpdate {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The whole new set of privileges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileges: Option<Vec<String>>,
    /// Partner plans only (master and sub-accounts): read for its shape, not simulated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_account_privileges: Option<SubAccountPrivileges>,
}

/// `sub_account_privileges` of a role (partner plans).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SubAccountPrivileges {
    /// 1 owner, 2 same privileges, 3 specified privileges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_level: Option<i64>,
}

/// `GET /roles` answer (not paginated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RoleList {
    /// Roles.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Count.
    #[serde(default)]
    pub total_records: u32,
}

/// A member of a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RoleMember {
    /// User id (absent for a pending user).
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
    /// Department (absent when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// User type.
    #[serde(rename = "type", default)]
    pub user_type: i64,
}

/// `GET /roles/{roleId}/members` page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RoleMemberPage {
    /// Members.
    #[serde(default)]
    pub members: Vec<RoleMember>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
    /// Pages.
    #[serde(default)]
    pub page_count: u32,
    /// This page's number.
    #[serde(default)]
    pub page_number: u32,
    /// Page size used.
    #[serde(default)]
    pub page_size: u32,
    /// Members across pages.
    #[serde(default)]
    pub total_records: u32,
}

/// A privilege in Zoom's form (`User:Read`, accounts-api.json): a spelling with capitals is
/// taken as Zoom's already (`CallQueue:Edit`); a lower-case one (`user:read`, the manifests'
/// friendly form) gets each part capitalised.
pub fn privilege_wire_form(p: &str) -> String {
    if p.chars().any(|c| c.is_ascii_uppercase()) {
        return p.to_string();
    }
    p.split(':')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(":")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(v: serde_json::Value) -> Vec<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    #[test]
    fn issue10_item2_privileges_go_out_in_zoom_form() {
        assert_eq!(privilege_wire_form("user:read"), "User:Read");
        assert_eq!(privilege_wire_form("role:edit"), "Role:Edit");
        assert_eq!(privilege_wire_form("CallQueue:Edit"), "CallQueue:Edit");
    }

    #[test]
    fn issue10_item13_request_bodies_hold_only_fields_the_spec_documents() {
        let role = NewRole {
            name: "Helpdesk".into(),
            description: None,
            role_type: Some("common".into()),
            privileges: vec!["User:Read".into()],
        };
        let v = serde_json::to_value(&role).expect("json");
        assert_eq!(keys(v), ["name", "privileges", "type"]);
        let update = RoleUpdate {
            privileges: Some(vec![]),
            ..RoleUpdate::default()
        };
        assert_eq!(
            keys(serde_json::to_value(&update).expect("json")),
            ["privileges"]
        );
        let members = NewContactGroupMembers {
            group_members: vec![ContactGroupMember {
                member_type: 1,
                id: "u1".into(),
                name: None,
            }],
        };
        assert_eq!(
            serde_json::to_value(&members).expect("json"),
            serde_json::json!({"group_members": [{"type": 1, "id": "u1"}]})
        );
    }
}
