//! The values a plan is made of: [`Change`]s carrying a typed [`Op`] for the provider.

use crate::model::{Addon, Email, RoleName, Rule, Source, UserType};
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
            | Action::RequestExternalContact => Sign::Add,
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
            | Action::ReplacePersonalContacts => Sign::Change,
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
        add: Vec<crate::model::PersonalContact>,
        /// Contacts to change: provider id and new values.
        update: Vec<crate::model::StoredContact>,
        /// Provider ids to delete.
        delete: Vec<String>,
    },
}

impl Op {
    /// Portal steps for operations Zoom exposes no API for (from the seeds); the zoom
    /// provider turns these into manual changes.
    pub fn manual_steps(&self) -> Option<Vec<String>> {
        let chat = "Sign in to the Zoom web portal as an admin allowed to edit chat settings; open Account Management > Chat Management > Chat Settings; find \"Link accounts to an organization\"".to_string();
        let steps = match self {
            Op::CreateOrganization { name } => vec![chat, "Click \"Create a new organization\"".into(), format!("Enter the organization name \"{name}\""), "Enter the email of the first account to invite (the next invite_account change), then click Create".into()],
            Op::InviteAccount { email } => vec![chat, "Click \"Invite accounts\"".into(), format!("Enter {email} (the account's owner, or an admin allowed to edit chat settings) and send")],
            Op::ResendAccountInvitation { email } => vec![chat, format!("In the pending invitations, click \"Resend request\" next to {email}")],
            Op::UnlinkAccount { email } => vec![chat, format!("Click \"Unlink\" next to the account invited as {email}")],
            Op::RequestLink { owner } => vec![chat, "Click \"Link to an existing organization\"".into(), format!("Enter the organization owner's email {owner}"), "Click \"Send link request\"".into()],
            Op::DeleteOrganization { name } => vec![chat, format!("Delete the organization \"{name}\" (only the owning account can)")],
            Op::RemoveExternalContact { user, contact } => vec![
                "Sign in to the Zoom web portal as an admin; open User Management > Users".into(),
                "Click the gear icon above the table, choose External contacts, and confirm".into(),
                format!("Click the number in the External contacts column of {user}"),
                format!("On the row of {contact}, click the ellipsis, then \"Remove from account\"" ),
            ],
            _ => return None,
        };
        Some(steps)
    }
}

impl Op {
    /// Operations with the same key can go to the provider in one call (Zoom takes up to
    /// 30 users per role assignment or group addition).
    pub fn batch_key(&self) -> Option<String> {
        match self {
            Op::ChangeRole { to, .. } => Some(format!("role:{}", to.as_str())),
            Op::SetGroup {
                group: Some(g),
                remove_from,
                ..
            } if remove_from.is_empty() => Some(format!("group:{g}")),
            _ => None,
        }
    }
}

/// A manual change: what a person does in the portal, and since when it is awaited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualInfo {
    /// Portal steps.
    pub steps: Vec<String>,
    /// When it was first recorded as pending (None: it will be recorded by this apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_since: Option<crate::model::Timestamp>,
}

/// One field's change, shown as `old -> new`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Value before (JSON null when absent).
    pub from: serde_json::Value,
    /// Value after.
    pub to: serde_json::Value,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Stable id within the plan: `action:target` (plus a suffix when one target has several
    /// changes of one action). Journals and dependencies refer to it.
    pub id: String,
    /// The action.
    pub action: Action,
    /// `user/alice@acme.com`, `group/engineering`, …
    pub target: String,
    /// Why, in words, citing where the manifest says so.
    pub reason: String,
    /// The account rule this change follows from, if any.
    pub rule: Option<Rule>,
    /// Field diffs, by camelCase field name.
    pub fields: BTreeMap<String, FieldChange>,
    /// Ids of changes that must succeed first.
    pub depends_on: Vec<String>,
    /// What the provider must do.
    pub op: Op,
    /// For a change with no API on this provider: the portal steps and since when it is
    /// pending (filled by `reconcile`, not by the pure planner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual: Option<ManualInfo>,
}

/// A plan-time problem: the plan cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanError {
    /// The rule broken.
    pub rule: Rule,
    /// The object concerned.
    pub target: String,
    /// What went wrong and what to do.
    pub message: String,
    /// Where the manifest asked for it.
    pub source: Option<Source>,
}

/// Something an admin should know that does not block the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The rule concerned, if any.
    pub rule: Option<Rule>,
    /// The object concerned.
    pub target: String,
    /// The message.
    pub message: String,
}

/// A change that cannot be made yet (pending or deactivated user): shown, not proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// The object concerned.
    pub target: String,
    /// What is waiting, and for what.
    pub message: String,
}

/// `Plan: N to add, N to change, N to remove.`
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// `+` changes.
    pub add: usize,
    /// `~` and `>` changes.
    pub change: usize,
    /// `-` changes.
    pub remove: usize,
}

/// The result of planning: ordered changes, and everything the admin must know.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Plan {
    /// Account name.
    pub account: String,
    /// Ordered changes (a valid topological order of `depends_on`).
    pub changes: Vec<Change>,
    /// Warnings.
    pub warnings: Vec<Warning>,
    /// Errors: when non-empty nothing is applied.
    pub errors: Vec<PlanError>,
    /// Changes waiting for a user to accept or be reactivated.
    pub waiting: Vec<Waiting>,
    /// Users in the account that no manifest declares and roster does not manage.
    pub unmanaged: Vec<Email>,
    /// The LastApplied to record once the changes succeed. Apply keeps the previous entry of
    /// any target (`user/…`, `group/…`) whose change failed or was skipped.
    pub next_last_applied: crate::model::LastApplied,
}

impl Plan {
    /// Counts changes by sign.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action.sign() {
                Sign::Add => s.add += 1,
                Sign::Change | Sign::Resend => s.change += 1,
                Sign::Remove => s.remove += 1,
            }
        }
        s
    }
}
