//! Microsoft Graph in the simulator (K4, service `office365`): each user's Outlook
//! mailbox as data (contact folders, contacts, the change log the delta links read, the
//! user's refresh tokens), and the operations on it that `roster sim serve`'s `/graph`
//! fake, `roster sim graph …` and the in-process [`crate::provider::graph::SimGraphSource`]
//! share, so the three cannot disagree.
//!
//! Rules the fake follows (docs/integrations.md, "Microsoft Graph"):
//! - A contact has an immutable id (stable across folder moves) and a REST id that changes
//!   each time it moves; its `changeKey` (and `@odata.etag`) changes on every write.
//! - The default folder is `Contacts` ([`DEFAULT_FOLDER`]); other folders sit under it.
//! - A delta link stops working ([`GraphError::Gone`], HTTP 410) once it is older than
//!   [`DELTA_TTL_DAYS`] days of simulator clock, or after `roster sim graph expire-cursor`.
//! - Refresh tokens rotate ([`tokens`]).

mod delta;
pub mod tokens;
mod wire;

pub use delta::{DeltaPage, DeltaRow, Scope};
pub use wire::{ContactFields, FieldError, GraphEmail, check_body};

use crate::model::{Email, Timestamp};
use serde::{Deserialize, Serialize};

/// The id of the default contact folder (`Contacts`) in every simulated mailbox.
pub const DEFAULT_FOLDER: &str = "AQMkADContacts";
/// The display name of the default folder.
pub const DEFAULT_FOLDER_NAME: &str = "Contacts";
/// Age (simulator clock) after which a delta link answers 410. Graph documents no fixed
/// figure for contacts; seven days is the fake's choice, the same as Google's sync token.
pub const DELTA_TTL_DAYS: i64 = 7;

/// One user's Outlook mailbox, as far as contacts go.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GraphMailbox {
    /// Contact folders other than the default one.
    #[serde(default)]
    pub folders: Vec<GraphFolder>,
    /// Every contact, whatever its folder.
    #[serde(default)]
    pub contacts: Vec<GraphContact>,
    /// What changed, in order: the delta links read it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<GraphChange>,
    /// The last change's number.
    #[serde(default)]
    pub seq: u64,
    /// Next number for ids.
    #[serde(default)]
    pub next_id: u64,
    /// Bumped by `roster sim graph expire-cursor`: every older delta link answers 410.
    #[serde(default)]
    pub epoch: u64,
    /// The user's OAuth grant (refresh tokens with rotation).
    #[serde(default)]
    pub grant: tokens::Grant,
    /// Injected throttling: the next requests answer 429 with `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<GraphThrottle>,
}

/// A contact folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GraphFolder {
    /// The folder's id (given when a seed leaves it out).
    #[serde(default)]
    pub id: String,
    /// Its display name.
    pub display_name: String,
    /// The parent folder's id (`None`: under the default folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// A contact, with the fields of Graph's `microsoft.graph.contact` roster maps.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GraphContact {
    /// The immutable id (given when a seed leaves it out).
    #[serde(default)]
    pub id: String,
    /// How many times it moved: the REST id changes with each move.
    #[serde(default)]
    pub moves: u64,
    /// Its version: the change key changes on every write.
    #[serde(default)]
    pub version: u64,
    /// The folder's id (`None`: the default folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// The content.
    #[serde(flatten)]
    pub fields: ContactFields,
    /// Created (simulator clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// Last changed (simulator clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<Timestamp>,
}

/// One entry of the change log: `item` changed in `scope` at `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GraphChange {
    /// The change's number.
    pub seq: u64,
    /// Where: a folder's contacts, or the folder hierarchy.
    pub scope: Scope,
    /// The contact's immutable id, or the folder's id.
    pub item: String,
}

/// Throttling injected with `roster sim graph throttle`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GraphThrottle {
    /// Requests still answered 429.
    pub times: u32,
    /// The `Retry-After` seconds.
    pub retry_after: u64,
}

/// Why a Graph operation was refused; `serve` maps each to Graph's HTTP status and error
/// JSON, the in-process source to a [`crate::sync::SourceError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// 404 `ErrorItemNotFound`.
    #[error("The specified object was not found in the store. ({0})")]
    NotFound(String),
    /// 412 `ErrorIrresolvableConflict`: the `If-Match` etag is stale.
    #[error(
        "The change key passed in the request does not match the current change key for the item."
    )]
    Precondition,
    /// 410 `SyncStateNotFound`: the delta link expired.
    #[error(
        "The sync state is expired or not found; restart the synchronization without a delta token."
    )]
    Gone,
    /// 400 `ErrorInvalidRequest` (a field of the wrong type, a malformed token).
    #[error("{0}")]
    BadRequest(String),
    /// 429: throttled for this many seconds.
    #[error("Application is over its MailboxConcurrency limit.")]
    Throttled(u64),
    /// 400 `invalid_grant` at the token endpoint (AADSTS70000 / AADSTS50173).
    #[error("{0}")]
    InvalidGrant(String),
}

impl GraphContact {
    fn number(&self) -> &str {
        self.id.strip_prefix("AAkALgC").unwrap_or(&self.id)
    }

    /// The REST id (without `Prefer: IdType="ImmutableId"`): it changes on every move.
    pub fn rest_id(&self) -> String {
        format!("AAMkAGC{}M{}", self.number(), self.moves)
    }

    /// The change key (changes on every write).
    pub fn change_key(&self) -> String {
        format!("EQAAABYAAAC{}V{}", self.number(), self.version)
    }

    /// The `@odata.etag`.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.change_key())
    }

    /// The folder's id, the default folder spelt out.
    pub fn folder_id(&self) -> &str {
        self.folder.as_deref().unwrap_or(DEFAULT_FOLDER)
    }

    /// Whether `id` names this contact (either id form, as Graph accepts both).
    pub fn answers_to(&self, id: &str) -> bool {
        self.id == id || self.rest_id() == id
    }
}

impl GraphMailbox {
    fn fresh(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    fn log(&mut self, scope: Scope, item: &str) {
        self.seq += 1;
        self.changes.push(GraphChange {
            seq: self.seq,
            scope,
            item: item.to_string(),
        });
    }

    /// Gives ids to seeded folders and contacts that lack one.
    pub fn normalize(&mut self, now: Timestamp) {
        for i in 0..self.folders.len() {
            if self.folders[i].id.is_empty() {
                self.folders[i].id = self.fresh("AQMkADF");
            }
        }
        for i in 0..self.contacts.len() {
            if self.contacts[i].id.is_empty() {
                self.contacts[i].id = self.fresh("AAkALgC");
            }
            let c = &mut self.contacts[i];
            c.created.get_or_insert(now);
            c.modified.get_or_insert(now);
        }
    }

    /// Whether `id` is a folder of this mailbox (the default one included).
    pub fn has_folder(&self, id: &str) -> bool {
        id == DEFAULT_FOLDER || self.folders.iter().any(|f| f.id == id)
    }

    /// A folder by id (`None` for the default one, which has no entry).
    pub fn folder(&self, id: &str) -> Option<&GraphFolder> {
        self.folders.iter().find(|f| f.id == id)
    }

    /// The id of the folder with display name `name`.
    pub fn folder_named(&self, name: &str) -> Option<String> {
        if name == DEFAULT_FOLDER_NAME {
            return Some(DEFAULT_FOLDER.into());
        }
        self.folders
            .iter()
            .find(|f| f.display_name == name)
            .map(|f| f.id.clone())
    }

    /// The display name of folder `id`.
    pub fn folder_name(&self, id: &str) -> Option<&str> {
        if id == DEFAULT_FOLDER {
            return Some(DEFAULT_FOLDER_NAME);
        }
        self.folder(id).map(|f| f.display_name.as_str())
    }

    /// Folder `id`'s parent (the default folder's is none).
    pub fn parent_of(&self, id: &str) -> Option<&str> {
        self.folder(id)
            .map(|f| f.parent.as_deref().unwrap_or(DEFAULT_FOLDER))
    }

    /// Adds a folder under `parent` (`None`: the default folder); Graph refuses a second
    /// folder of the same name under one parent.
    pub fn add_folder(&mut self, name: &str, parent: Option<&str>) -> Result<String, GraphError> {
        let parent = parent.filter(|p| *p != DEFAULT_FOLDER);
        if let Some(p) = parent
            && !self.has_folder(p)
        {
            return Err(GraphError::NotFound(format!("folder {p}")));
        }
        if name.trim().is_empty() {
            return Err(GraphError::BadRequest("displayName is required".into()));
        }
        if self
            .folders
            .iter()
            .any(|f| f.display_name == name && f.parent.as_deref() == parent)
        {
            return Err(GraphError::BadRequest(format!(
                "A folder with the specified name already exists: {name}"
            )));
        }
        let id = self.fresh("AQMkADF");
        self.folders.push(GraphFolder {
            id: id.clone(),
            display_name: name.to_string(),
            parent: parent.map(str::to_string),
        });
        self.log(Scope::Folders, &id);
        Ok(id)
    }

    /// Renames folder `id`.
    pub fn rename_folder(&mut self, id: &str, name: &str) -> Result<(), GraphError> {
        let f = self
            .folders
            .iter_mut()
            .find(|f| f.id == id)
            .ok_or_else(|| GraphError::NotFound(format!("folder {id}")))?;
        f.display_name = name.to_string();
        self.log(Scope::Folders, id);
        Ok(())
    }

    /// Deletes folder `id` with its child folders and their contacts.
    pub fn delete_folder(&mut self, id: &str) -> Result<(), GraphError> {
        if id == DEFAULT_FOLDER || self.folder(id).is_none() {
            return Err(GraphError::NotFound(format!("folder {id}")));
        }
        let children: Vec<String> = self
            .folders
            .iter()
            .filter(|f| f.parent.as_deref() == Some(id))
            .map(|f| f.id.clone())
            .collect();
        for c in children {
            self.delete_folder(&c)?;
        }
        let gone: Vec<String> = self
            .contacts
            .iter()
            .filter(|c| c.folder.as_deref() == Some(id))
            .map(|c| c.id.clone())
            .collect();
        for c in gone {
            self.contacts.retain(|x| x.id != c);
            self.log(Scope::Contacts(id.to_string()), &c);
        }
        self.folders.retain(|f| f.id != id);
        self.log(Scope::Folders, id);
        Ok(())
    }

    /// The contact `id` names (either id form).
    pub fn contact(&self, id: &str) -> Option<&GraphContact> {
        self.contacts.iter().find(|c| c.answers_to(id))
    }

    fn index(&self, id: &str) -> Result<usize, GraphError> {
        self.contacts
            .iter()
            .position(|c| c.answers_to(id))
            .ok_or_else(|| GraphError::NotFound(format!("contact {id}")))
    }

    fn check_etag(&self, i: usize, if_match: Option<&str>) -> Result<(), GraphError> {
        match if_match {
            Some(m) if m != "*" && m != self.contacts[i].etag() => Err(GraphError::Precondition),
            _ => Ok(()),
        }
    }

    /// Creates a contact in `folder` (`None`: the default folder); returns its index.
    pub fn create_contact(
        &mut self,
        folder: Option<&str>,
        fields: ContactFields,
        now: Timestamp,
    ) -> Result<usize, GraphError> {
        let folder = folder.filter(|f| *f != DEFAULT_FOLDER);
        if let Some(f) = folder
            && !self.has_folder(f)
        {
            return Err(GraphError::NotFound(format!("folder {f}")));
        }
        let id = self.fresh("AAkALgC");
        self.contacts.push(GraphContact {
            id: id.clone(),
            moves: 0,
            version: 1,
            folder: folder.map(str::to_string),
            fields,
            created: Some(now),
            modified: Some(now),
        });
        let scope = Scope::Contacts(folder.unwrap_or(DEFAULT_FOLDER).to_string());
        self.log(scope, &id);
        Ok(self.contacts.len() - 1)
    }

    /// Changes a contact: `patch` applies the fields a PATCH body named; `to_folder`
    /// moves it. `If-Match` (when given) must be the current etag. Returns its index.
    pub fn update_contact(
        &mut self,
        id: &str,
        if_match: Option<&str>,
        patch: impl FnOnce(&mut ContactFields),
        to_folder: Option<&str>,
        now: Timestamp,
    ) -> Result<usize, GraphError> {
        let i = self.index(id)?;
        self.check_etag(i, if_match)?;
        if let Some(f) = to_folder
            && !self.has_folder(f)
        {
            return Err(GraphError::NotFound(format!("folder {f}")));
        }
        let from = self.contacts[i].folder_id().to_string();
        let c = &mut self.contacts[i];
        patch(&mut c.fields);
        c.version += 1;
        c.modified = Some(now);
        if let Some(to) = to_folder
            && to != from
        {
            c.folder = Some(to.to_string()).filter(|t| t != DEFAULT_FOLDER);
            c.moves += 1;
            let imm = c.id.clone();
            self.log(Scope::Contacts(from), &imm);
        }
        let (imm, scope) = (self.contacts[i].id.clone(), self.contacts[i].folder_id());
        self.log(Scope::Contacts(scope.to_string()), &imm);
        Ok(i)
    }

    /// Deletes a contact; `If-Match` (when given) must be the current etag.
    pub fn delete_contact(&mut self, id: &str, if_match: Option<&str>) -> Result<(), GraphError> {
        let i = self.index(id)?;
        self.check_etag(i, if_match)?;
        let c = self.contacts.remove(i);
        self.log(Scope::Contacts(c.folder_id().to_string()), &c.id);
        Ok(())
    }

    /// Every delta link handed out so far answers 410 (`roster sim graph expire-cursor`).
    pub fn expire_cursors(&mut self) {
        self.epoch += 1;
    }

    /// Takes one injected 429, if any: its `Retry-After` seconds.
    pub fn take_throttle(&mut self) -> Option<u64> {
        let t = self.throttle.as_mut()?;
        let secs = t.retry_after;
        t.times = t.times.saturating_sub(1);
        if t.times == 0 {
            self.throttle = None;
        }
        Some(secs)
    }
}

/// The mailbox of `user`, if the simulator has one.
pub fn mailbox<'c>(cloud: &'c super::cloud::Cloud, user: &Email) -> Option<&'c GraphMailbox> {
    cloud.graph.get(user)
}

#[cfg(test)]
mod tests;
