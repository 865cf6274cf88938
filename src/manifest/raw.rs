//! The raw manifest values shared by the readers of every kind ([`super::kinds`],
//! [`super::csv_import`], [`super::contacts`]) and [`super::assemble`]: what was read from
//! the files, located, before it is tied to an account and checked across files.

use super::tree::Pos;
use crate::model::{
    AccountSpec, DesiredContactGroup, DesiredExternalContacts, DesiredGroup, DesiredOrganization,
    DesiredRole, DesiredStatus, Email, Source, UserSpec,
};
use std::path::Path;

/// A user's own fields plus its lifecycle, before defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFields {
    /// Profile and membership.
    pub spec: UserSpec,
    /// `status`, when given.
    pub status: Option<DesiredStatus>,
    /// `expires`, when given.
    pub expires: Option<chrono::NaiveDate>,
    /// Where each custom attribute key was written (for U11 errors).
    pub attribute_pos: Vec<(String, Pos)>,
    /// The names these fields reference (group, chat groups, custom role, manager).
    pub refs: Vec<Reference>,
}

/// What a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A user group (`group:`, `defaults.group`).
    Group,
    /// A chat group (`chatGroups:`, `defaults.chatGroup`).
    ChatGroup,
    /// A custom role (`role:`).
    Role,
    /// A user of the account (`manager:`, a contact owner's `user:`).
    User,
    /// An account to link, by its owner's or chat admin's email (O5).
    OrgMember,
}

/// A name one manifest references and another must declare, located at the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// What it names.
    pub target: Target,
    /// The name (an email, lower-cased, for users).
    pub name: String,
    /// The field it was written in, for messages.
    pub field: &'static str,
    /// Where it was written.
    pub source: Source,
    /// The kind of the document holding it.
    pub kind: &'static str,
}

impl UserFields {
    /// Fields of `self`, falling back to `under` where `self` says nothing.
    pub fn over(self, under: &UserFields) -> UserFields {
        let s = self.spec;
        let u = &under.spec;
        UserFields {
            spec: UserSpec {
                first_name: s.first_name.or_else(|| u.first_name.clone()),
                last_name: s.last_name.or_else(|| u.last_name.clone()),
                user_type: s.user_type.or(u.user_type),
                addons: s.addons.or_else(|| u.addons.clone()),
                role: s.role.or_else(|| u.role.clone()),
                group: s.group.or_else(|| u.group.clone()),
                chat_groups: s.chat_groups.or_else(|| u.chat_groups.clone()),
                department: s.department.or_else(|| u.department.clone()),
                manager: s.manager.or_else(|| u.manager.clone()),
                job_title: s.job_title.or_else(|| u.job_title.clone()),
                location: s.location.or_else(|| u.location.clone()),
                custom_attributes: s.custom_attributes.or_else(|| u.custom_attributes.clone()),
            },
            status: self.status.or(under.status),
            expires: self.expires.or(under.expires),
            attribute_pos: if self.attribute_pos.is_empty() {
                under.attribute_pos.clone()
            } else {
                self.attribute_pos
            },
            // The defaults' own references are checked where the defaults are written
            // (`read_defaults`), once, not once per user taking them.
            refs: self.refs,
        }
    }
}

/// A user as declared, with the defaults of its list.
#[derive(Debug, Clone)]
pub struct RawUser {
    /// `account:` when given, with its position.
    pub account: Option<(String, Pos)>,
    /// Email.
    pub email: Email,
    /// Own fields over the list's defaults.
    pub fields: UserFields,
    /// Where the user was declared (its email).
    pub source: Source,
    /// The kind that declared it.
    pub kind: &'static str,
}

/// A named object (group, chat group, role) with its account.
#[derive(Debug, Clone)]
pub struct Owned<T> {
    /// `account:` when given.
    pub account: Option<(String, Pos)>,
    /// The object.
    pub value: T,
    /// Kind, for messages.
    pub kind: &'static str,
}

/// An Account as read, with what [`super::assemble`] checks across files.
#[derive(Debug)]
pub struct RawAccount {
    /// The Account.
    pub spec: AccountSpec,
    /// Where each declared custom attribute was written.
    pub attribute_pos: Vec<Pos>,
    /// The names its defaults reference (`defaults.group`, `chatGroup`, per domain).
    pub refs: Vec<Reference>,
}

/// Everything read from the files, not yet checked across files.
#[derive(Debug, Default)]
pub struct Raw {
    /// Accounts.
    pub accounts: Vec<RawAccount>,
    /// Names referenced outside user fields (contact owners, organization members), with
    /// the `account:` of their document.
    pub refs: Vec<(Option<(String, Pos)>, Reference)>,
    /// Users from `User`, `Users` and `UserImport`.
    pub users: Vec<RawUser>,
    /// Groups.
    pub groups: Vec<Owned<DesiredGroup>>,
    /// Chat groups.
    pub chat_groups: Vec<Owned<DesiredGroup>>,
    /// Roles.
    pub roles: Vec<Owned<DesiredRole>>,
    /// Organizations (at most one per account, O2).
    pub organizations: Vec<Owned<DesiredOrganization>>,
    /// External contacts per user.
    pub external: Vec<Owned<DesiredExternalContacts>>,
    /// Personal contact groups.
    pub personal: Vec<Owned<DesiredContactGroup>>,
    /// Calendar and contact integrations (K4).
    pub integrations: Vec<Owned<crate::model::DesiredIntegration>>,
    /// Calendly connections (at most one per account).
    pub calendly: Vec<Owned<crate::model::DesiredCalendly>>,
}

/// Where the file is: its path relative to the manifest folder (for messages) and its
/// folder on disk (for relative `file:` and `seed:` references).
pub struct FileCtx<'a> {
    /// Relative path, as shown in messages.
    pub rel: &'a str,
    /// Folder holding the file on disk.
    pub dir: &'a Path,
    /// The manifest root folder (CSV files are named relative to it in messages).
    pub root: &'a Path,
}
