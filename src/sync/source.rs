//! The trait each side of a sync implements (Google People, Microsoft Graph, Exchange,
//! the simulator's fakes, Zoom personal contacts), and what it answers.
//!
//! A source is an edge: it does the I/O, maps the service's records to [`Contact`]s and
//! its errors to [`SourceError`]. It keeps no sync state of its own: the cursor it returns
//! is stored by the caller with the status table, in one transaction.

use super::contact::Contact;
use super::status::Cursor;
use async_trait::async_trait;

/// A contact as a side lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The side's id (with Graph: the immutable id).
    pub id: String,
    /// The side's etag / change key.
    pub etag: Option<String>,
    /// The contact, mapped to the normalised shape.
    pub contact: Contact,
}

/// What a side answers to "what changed since this cursor".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Changes since the cursor: items created or changed, ids removed.
    Delta {
        /// Created or changed items.
        changed: Vec<Item>,
        /// Ids removed (Graph `@removed`, Google `metadata.deleted`).
        removed: Vec<String>,
        /// The next cursor.
        cursor: Cursor,
    },
    /// Everything the side holds (first run, or the cursor expired).
    Full {
        /// Every item.
        items: Vec<Item>,
        /// The next cursor.
        cursor: Cursor,
    },
}

/// One write to a side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// Create a contact.
    Create {
        /// The content.
        contact: Contact,
    },
    /// Replace a contact's content; `etag` is the precondition.
    Update {
        /// The side's id.
        id: String,
        /// The etag last seen.
        etag: Option<String>,
        /// The new content.
        contact: Contact,
    },
    /// Delete a contact.
    Delete {
        /// The side's id.
        id: String,
        /// The etag last seen.
        etag: Option<String>,
    },
}

/// What a successful write returns: the id and etag to remember (Google: reuse the etag
/// the write returned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The id (new for a create).
    pub id: String,
    /// The new etag.
    pub etag: Option<String>,
}

/// Why a source call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The cursor expired (Google `EXPIRED_SYNC_TOKEN`, Graph 410): list everything.
    #[error("the sync cursor expired")]
    CursorExpired,
    /// The etag did not match (Google 400 failedPrecondition, Graph 412): the item changed;
    /// it is re-planned on the next run.
    #[error("the contact changed since it was read (precondition failed)")]
    PreconditionFailed,
    /// The contact is gone on that side.
    #[error("the contact no longer exists")]
    NotFound,
    /// The refresh token was refused (`invalid_grant`): the user must re-authorise; never
    /// retried.
    #[error("the authorisation was refused (invalid_grant): the user must re-authorise")]
    NeedsReauth,
    /// Throttled (429); `retry_after` in seconds.
    #[error("throttled; retry after {retry_after} s")]
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// Anything else, with the service's words.
    #[error("{0}")]
    Other(String),
}

/// One side of a sync.
#[async_trait]
pub trait ContactSource: Send {
    /// Changes since `cursor` (`None`: list everything). Answers
    /// [`SourceError::CursorExpired`] when the cursor is too old; the engine then calls
    /// again with `None`.
    async fn list(&mut self, cursor: Option<&Cursor>) -> Result<Listing, SourceError>;

    /// One write. Writes of one user are sent one at a time, in order.
    async fn write(&mut self, op: &WriteOp) -> Result<Written, SourceError>;

    /// What this side keeps of `contact` (Zoom's personal contact holds one email and
    /// one number per kind, in E.164, K5). The engine compares both sides in what both
    /// keep, so a detail one side cannot hold is never seen as a change to copy back
    /// (which would loop, or erase it on the side that has it). Default: everything.
    fn fit(&self, contact: &Contact) -> Contact {
        contact.clone()
    }
}
