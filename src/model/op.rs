//! The vocabulary shared by plan, providers and store: the plan's [`Action`] names, the
//! typed [`Op`] a provider executes, and the [`ProfilePatch`] of a user edit. A provider
//! receives only `Op`s and a store journals them; neither needs the planner.

use super::{Addon, Email, RoleName, UserType};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The plan action names of `spec/cli.md` (snake_case in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Action {
    CreateUser,
    InviteUser,
    ResendInvitation,
    CancelInvitation,
    UpdateUser,
    ChangeUserType,
    ChangeRole,
    AssignAddon,
    RemoveAddon,
    SetGroup,
    AddChatGroup,
    RemoveChatGroup,
    DeactivateUser,
    ActivateUser,
    DisassociateUser,
    DeleteUser,
    CreateGroup,
    DeleteGroup,
    CreateChatGroup,
    DeleteChatGroup,
    CreateRole,
    UpdateRole,
    DeleteRole,
    CreateOrganization,
    InviteAccount,
    ResendAccountInvitation,
    UnlinkAccount,
    RequestLink,
    DeleteOrganization,
    RequestExternalContact,
    RemoveExternalContact,
    ReplacePersonalContacts,
    ReplacePersonalContactsByHand,
    ConnectIntegration,
    ConnectCalendly,
    ReconnectCalendly,
    SetCalendlyOptions,
}

/// The terraform-like sign of an action in the text plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sign {
    /// `+` create.
    Add,
    /// `~` change.
    Change,
    /// `-` remove.
    Remove,
    /// `>` resend or retry (counted as a change in the summary).
    Resend,
}

impl Action {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::CreateUser => "create_user",
            Action::InviteUser => "invite_user",
            Action::ResendInvitation => "resend_invitation",
            Action::CancelInvitation => "cancel_invitation",
            Action::UpdateUser => "update_user",
            Action::ChangeUserType => "change_user_type",
            Action::ChangeRole => "change_role",
            Action::AssignAddon => "assign_addon",
            Action::RemoveAddon => "remove_addon",
            Action::SetGroup => "set_group",
            Action::AddChatGroup => "add_chat_group",
            Action::RemoveChatGroup => "remove_chat_group",
            Action::DeactivateUser => "deactivate_user",
            Action::ActivateUser => "activate_user",
            Action::DisassociateUser => "disassociate_user",
            Action::DeleteUser => "delete_user",
            Action::CreateGroup => "create_group",
            Action::DeleteGroup => "delete_group",
            Action::CreateChatGroup => "create_chat_group",
            Action::DeleteChatGroup => "delete_chat_group",
            Action::CreateRole => "create_role",
            Action::UpdateRole => "update_role",
            Action::DeleteRole => "delete_role",
            Action::CreateOrganization => "create_organization",
            Action::InviteAccount => "invite_account",
            Action::ResendAccountInvitation => "resend_account_invitation",
            Action::UnlinkAccount => "unlink_account",
            Action::RequestLink => "request_link",
            Action::DeleteOrganization => "delete_organization",
            Action::RequestExternalContact => "request_external_contact",
            Action::RemoveExternalContact => "remove_external_contact",
            Action::ReplacePersonalContacts => "replace_personal_contacts",
            Action::ReplacePersonalContactsByHand => "replace_personal_contacts_by_hand",
            Action::ConnectIntegration => "connect_integration",
            Action::ConnectCalendly => "connect_calendly",
            Action::ReconnectCalendly => "reconnect_calendly",
            Action::SetCalendlyOptions => "set_calendly_options",
        }
    }

    /// How the action is counted and signed.
    pub fn sign(self) -> Sign {
        match self {
            Action::CreateUser
            | Action::InviteUser
            | Action::CreateGroup
            | Action::CreateChatGroup
            | Action::CreateRole
            | Action::CreateOrganization
            | Action::InviteAccount
            | Action::RequestLink
            | Action::RequestExternalContact
            | Action::ConnectIntegration
            | Action::ConnectCalendly => Sign::Add,
            Action::ResendInvitation | Action::ResendAccountInvitation => Sign::Resend,
            Action::CancelInvitation
            | Action::DisassociateUser
            | Action::DeleteUser
            | Action::DeleteGroup
            | Action::DeleteChatGroup
            | Action::DeleteRole
            | Action::UnlinkAccount
            | Action::DeleteOrganization
            | Action::RemoveExternalContact => Sign::Remove,
            Action::UpdateUser
            | Action::ChangeUserType
            | Action::ChangeRole
            | Action::AssignAddon
            | Action::RemoveAddon
            | Action::SetGroup
            | Action::AddChatGroup
            | Action::RemoveChatGroup
            | Action::DeactivateUser
            | Action::ActivateUser
            | Action::UpdateRole
            | Action::ReplacePersonalContacts
            | Action::ReplacePersonalContactsByHand
            | Action::ReconnectCalendly
            | Action::SetCalendlyOptions => Sign::Change,
        }
    }

    /// Removes a user from the account (counted against `policy.maxRemovals`).
    pub fn is_user_removal(self) -> bool {
        matches!(
            self,
            Action::CancelInvitation
                | Action::DisassociateUser
                | Action::DeleteUser
                | Action::DeactivateUser
        )
    }
}

/// Profile fields of `PATCH /users/{id}`: only the ones to change are `Some`; `Some("")`
/// clears a field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProfilePatch {
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Manager email; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<Option<Email>>,
    /// Job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Custom attributes to set (the whole map after the change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<BTreeMap<String, String>>,
}

/// The typed operation a provider executes: everything it needs, nothing about manifests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// `POST /users action=create`: activation email (new) or invitation (existing Zoom user), U5.
    CreateUser {
        /// Email.
        email: Email,
        /// Type at creation (U2: takes a seat while pending).
        user_type: UserType,
        /// Given name.
        first_name: Option<String>,
        /// Family name.
        last_name: Option<String>,
    },
    /// Disassociate the pending (or expired) invitation, then create again: resets U8's 30 days.
    ResendInvitation {
        /// Email.
        email: Email,
        /// Type.
        user_type: UserType,
        /// Given name.
        first_name: Option<String>,
        /// Family name.
        last_name: Option<String>,
    },
    /// `DELETE /users/{email}?action=disassociate` on a pending user (U8).
    CancelInvitation {
        /// Email.
        email: Email,
    },
    /// `PATCH /users/{id}` profile fields.
    UpdateProfile {
        /// Email.
        email: Email,
        /// Fields to change.
        patch: ProfilePatch,
    },
    /// `PATCH /users/{id}` with `type` (U2).
    ChangeUserType {
        /// Email.
        email: Email,
        /// New type.
        to: UserType,
    },
    /// `POST /roles/{id}/members` (U7); batchable by target role.
    ChangeRole {
        /// Email.
        email: Email,
        /// Role to assign.
        to: RoleName,
    },
    /// Assign an add-on licence (U3).
    AssignAddon {
        /// Email.
        email: Email,
        /// Add-on.
        addon: Addon,
    },
    /// Remove an add-on licence (frees a seat).
    RemoveAddon {
        /// Email.
        email: Email,
        /// Add-on.
        addon: Addon,
    },
    /// Put the user in `group` and take them out of `remove_from`.
    SetGroup {
        /// Email.
        email: Email,
        /// Group to join, if any.
        group: Option<String>,
        /// Groups to leave.
        remove_from: BTreeSet<String>,
    },
    /// Add to a chat group.
    AddChatGroup {
        /// Email.
        email: Email,
        /// Chat group.
        group: String,
    },
    /// Remove from a chat group.
    RemoveChatGroup {
        /// Email.
        email: Email,
        /// Chat group.
        group: String,
    },
    /// `PUT /users/{id}/status deactivate` (U13).
    DeactivateUser {
        /// Email.
        email: Email,
    },
    /// `PUT /users/{id}/status activate`.
    ActivateUser {
        /// Email.
        email: Email,
    },
    /// `DELETE /users/{id}?action=disassociate` (U13).
    DisassociateUser {
        /// Email.
        email: Email,
    },
    /// `DELETE /users/{id}?action=delete` (U13).
    DeleteUser {
        /// Email.
        email: Email,
    },
    /// `POST /groups`.
    CreateGroup {
        /// Name.
        name: String,
        /// Description.
        description: Option<String>,
    },
    /// `DELETE /groups/{id}`.
    DeleteGroup {
        /// Name.
        name: String,
    },
    /// Create a chat group.
    CreateChatGroup {
        /// Name.
        name: String,
        /// Description.
        description: Option<String>,
    },
    /// Delete a chat group.
    DeleteChatGroup {
        /// Name.
        name: String,
    },
    /// `POST /roles`.
    CreateRole {
        /// Name.
        name: String,
        /// Description.
        description: Option<String>,
        /// Privileges.
        privileges: BTreeSet<String>,
    },
    /// `PATCH /roles/{id}`.
    UpdateRole {
        /// Name.
        name: String,
        /// Description.
        description: Option<String>,
        /// Privileges.
        privileges: BTreeSet<String>,
    },
    /// `DELETE /roles/{id}`.
    DeleteRole {
        /// Name.
        name: String,
    },
    /// Create the organization this account will own (O1, O3). No API: manual on Zoom.
    CreateOrganization {
        /// Name.
        name: String,
    },
    /// Invite an account by its owner's or chat admin's email (O5; from a linked account it
    /// waits for the owner's approval, O4). No API: manual on Zoom.
    InviteAccount {
        /// Owner or admin email of the invited account.
        email: Email,
    },
    /// Resend a pending organization invitation (O6). No API: manual on Zoom.
    ResendAccountInvitation {
        /// Invited email.
        email: Email,
    },
    /// Unlink an account, or withdraw its invitation (O6). No API: manual on Zoom.
    UnlinkAccount {
        /// Invited email.
        email: Email,
    },
    /// Ask to join the organization owned by `owner` (O7). No API: manual on Zoom.
    RequestLink {
        /// The organization owner's email.
        owner: Email,
    },
    /// Delete the organization (owner only, O3). No API: manual on Zoom.
    DeleteOrganization {
        /// Name.
        name: String,
    },
    /// Send a contact request from an internal user to an external email (K2).
    RequestExternalContact {
        /// Internal user.
        user: Email,
        /// External contact.
        contact: Email,
    },
    /// Remove an external contact from the account (U12). No API: manual on Zoom.
    RemoveExternalContact {
        /// Internal user.
        user: Email,
        /// External contact.
        contact: Email,
    },
    /// Make a personal contact group equal to the declared list (K6), as a per-contact
    /// diff so unchanged contacts are not touched (K7 operations underneath).
    ReplacePersonalContacts {
        /// The user.
        user: Email,
        /// Group display name.
        group: String,
        /// Contacts to add.
        add: Vec<super::PersonalContact>,
        /// Contacts to change: provider id and new values.
        update: Vec<super::StoredContact>,
        /// Provider ids to delete.
        delete: Vec<String>,
    },
    /// Make a personal contact group equal to the declared list by hand (K5, K6): the
    /// provider refused to list personal contacts (Zoom: 404/2300, the list endpoint was
    /// never announced), so roster cannot diff the group and does not write blind (issue
    /// 10, item 4). A manual change on Zoom; the simulator replaces the group.
    ReplacePersonalContactsByHand {
        /// The user.
        user: Email,
        /// Group display name.
        group: String,
        /// Every contact the group must hold.
        contacts: Vec<super::PersonalContact>,
    },
    /// Connect a user's calendar and contact integration (K4). Zoom has no API for it
    /// (the OAuth consent is the user's): a manual change on Zoom, done by the simulator.
    ConnectIntegration {
        /// The user.
        user: Email,
        /// The service.
        service: super::IntegrationService,
        /// Calendar integration on.
        calendar: bool,
        /// Contact integration on.
        contacts: bool,
    },
    /// Start Calendly's organization-wide Zoom connection as a Calendly owner or admin and
    /// complete it as the Zoom admin `zoom_admin` (C1). No API exists for it: a manual
    /// change on real Calendly, done by the simulator.
    ConnectCalendly {
        /// The Calendly organization.
        organization: String,
        /// The Zoom admin who completes it.
        zoom_admin: Email,
        /// C5 meeting summaries.
        meeting_summary: bool,
        /// C5 users may disconnect.
        allow_user_disconnect: bool,
    },
    /// Redo the connection through another Zoom admin (C2), before the one that completed
    /// it loses the role, or after the connection broke.
    ReconnectCalendly {
        /// The Calendly organization.
        organization: String,
        /// The Zoom admin who completes it now.
        zoom_admin: Email,
        /// The Zoom user it went through until now.
        previous: Email,
    },
    /// Change the connection's C5 options on Calendly's Zoom integration page.
    SetCalendlyOptions {
        /// The Calendly organization.
        organization: String,
        /// Meeting summaries on for every meeting.
        meeting_summary: bool,
        /// Users may disconnect the integration.
        allow_user_disconnect: bool,
    },
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Action {
    /// Parses the snake_case name (journal rows, change ids, `--format json` plans).
    pub fn parse(s: &str) -> Option<Action> {
        use serde::de::IntoDeserializer;
        let d: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            s.into_deserializer();
        Action::deserialize(d).ok()
    }
}

impl Op {
    /// The plan action this operation carries out (the simulator's injected faults and
    /// logs name operations by it).
    pub fn action(&self) -> Action {
        match self {
            Op::CreateUser { .. } => Action::CreateUser,
            Op::ResendInvitation { .. } => Action::ResendInvitation,
            Op::CancelInvitation { .. } => Action::CancelInvitation,
            Op::UpdateProfile { .. } => Action::UpdateUser,
            Op::ChangeUserType { .. } => Action::ChangeUserType,
            Op::ChangeRole { .. } => Action::ChangeRole,
            Op::AssignAddon { .. } => Action::AssignAddon,
            Op::RemoveAddon { .. } => Action::RemoveAddon,
            Op::SetGroup { .. } => Action::SetGroup,
            Op::AddChatGroup { .. } => Action::AddChatGroup,
            Op::RemoveChatGroup { .. } => Action::RemoveChatGroup,
            Op::DeactivateUser { .. } => Action::DeactivateUser,
            Op::ActivateUser { .. } => Action::ActivateUser,
            Op::DisassociateUser { .. } => Action::DisassociateUser,
            Op::DeleteUser { .. } => Action::DeleteUser,
            Op::CreateGroup { .. } => Action::CreateGroup,
            Op::DeleteGroup { .. } => Action::DeleteGroup,
            Op::CreateChatGroup { .. } => Action::CreateChatGroup,
            Op::DeleteChatGroup { .. } => Action::DeleteChatGroup,
            Op::CreateRole { .. } => Action::CreateRole,
            Op::UpdateRole { .. } => Action::UpdateRole,
            Op::DeleteRole { .. } => Action::DeleteRole,
            Op::CreateOrganization { .. } => Action::CreateOrganization,
            Op::InviteAccount { .. } => Action::InviteAccount,
            Op::ResendAccountInvitation { .. } => Action::ResendAccountInvitation,
            Op::UnlinkAccount { .. } => Action::UnlinkAccount,
            Op::RequestLink { .. } => Action::RequestLink,
            Op::DeleteOrganization { .. } => Action::DeleteOrganization,
            Op::RequestExternalContact { .. } => Action::RequestExternalContact,
            Op::RemoveExternalContact { .. } => Action::RemoveExternalContact,
            Op::ReplacePersonalContacts { .. } => Action::ReplacePersonalContacts,
            Op::ReplacePersonalContactsByHand { .. } => Action::ReplacePersonalContactsByHand,
            Op::ConnectIntegration { .. } => Action::ConnectIntegration,
            Op::ConnectCalendly { .. } => Action::ConnectCalendly,
            Op::ReconnectCalendly { .. } => Action::ReconnectCalendly,
            Op::SetCalendlyOptions { .. } => Action::SetCalendlyOptions,
        }
    }
}

/// Operations that go to the provider in one call: Zoom takes up to 30 users per role
/// assignment or group addition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BatchKey {
    /// `POST /roles/{roleId}/members`.
    Role(RoleName),
    /// `POST /groups/{groupId}/members`.
    Group(String),
}

impl Op {
    /// The batch this operation can join, if any.
    pub fn batch_key(&self) -> Option<BatchKey> {
        match self {
            Op::ChangeRole { to, .. } => Some(BatchKey::Role(to.clone())),
            Op::SetGroup {
                group: Some(g),
                remove_from,
                ..
            } if remove_from.is_empty() => Some(BatchKey::Group(g.clone())),
            Op::SetGroup { .. }
            | Op::CreateUser { .. }
            | Op::ResendInvitation { .. }
            | Op::CancelInvitation { .. }
            | Op::UpdateProfile { .. }
            | Op::ChangeUserType { .. }
            | Op::AssignAddon { .. }
            | Op::RemoveAddon { .. }
            | Op::AddChatGroup { .. }
            | Op::RemoveChatGroup { .. }
            | Op::DeactivateUser { .. }
            | Op::ActivateUser { .. }
            | Op::DisassociateUser { .. }
            | Op::DeleteUser { .. }
            | Op::CreateGroup { .. }
            | Op::DeleteGroup { .. }
            | Op::CreateChatGroup { .. }
            | Op::DeleteChatGroup { .. }
            | Op::CreateRole { .. }
            | Op::UpdateRole { .. }
            | Op::DeleteRole { .. }
            | Op::CreateOrganization { .. }
            | Op::InviteAccount { .. }
            | Op::ResendAccountInvitation { .. }
            | Op::UnlinkAccount { .. }
            | Op::RequestLink { .. }
            | Op::DeleteOrganization { .. }
            | Op::RequestExternalContact { .. }
            | Op::RemoveExternalContact { .. }
            | Op::ReplacePersonalContacts { .. }
            | Op::ReplacePersonalContactsByHand { .. }
            | Op::ConnectIntegration { .. }
            | Op::ConnectCalendly { .. }
            | Op::ReconnectCalendly { .. }
            | Op::SetCalendlyOptions { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_name_parses_back() {
        for name in [
            "create_user",
            "set_group",
            "replace_personal_contacts_by_hand",
            "replace_personal_contacts",
            "connect_integration",
            "reconnect_calendly",
            "delete_organization",
        ] {
            assert_eq!(Action::parse(name).map(Action::as_str), Some(name));
        }
        assert_eq!(Action::parse("frobnicate"), None);
    }
}
