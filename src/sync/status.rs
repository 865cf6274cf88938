//! The status table of one integration: what roster knows of each contact pair, kept in
//! the store between runs and committed together with the cursors.

use super::contact::{Contact, ContactHash};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One of the two sides of a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The user's contacts on Zoom (personal contacts, K5–K7).
    Zoom,
    /// The external service (Google, Office 365, Exchange).
    External,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Zoom => Side::External,
            Side::External => Side::Zoom,
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Zoom => "zoom",
            Side::External => "external",
        })
    }
}

/// roster's own number for a pair; stable for the life of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PairId(pub u64);

/// What roster last saw (or wrote) of a contact on one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideState {
    /// The side's id of the contact.
    pub id: String,
    /// The side's etag / change key, if it has one (writes must send it back).
    pub etag: Option<String>,
    /// Hash of the contact as last seen there.
    pub hash: ContactHash,
    /// The contact as last seen there (the content to copy to the other side).
    pub contact: Contact,
    /// roster wrote this version and has not yet seen it in a listing (Google shows writes
    /// minutes late): a full listing that lacks it does not mean it was deleted.
    pub unconfirmed: bool,
    /// Full listings in a row that lacked this unconfirmed write; past the grace it is
    /// taken as deleted (a late write cannot be told from a deletion forever).
    #[serde(default)]
    pub misses: u32,
    /// The etag the contact had before roster's write: a listing that still shows it is a
    /// late (stale) read, not a change.
    pub stale_etag: Option<String>,
}

/// One contact pair: its state on each side and the hash both sides last agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// The hash both sides held after the last sync of this pair (`None`: never synced).
    pub base: Option<ContactHash>,
    /// State on Zoom (`None`: absent there).
    pub zoom: Option<SideState>,
    /// State on the external side (`None`: absent there).
    pub external: Option<SideState>,
    /// roster sent a create to this side and got no answer (it may have been made): the
    /// next new item there that looks like this contact (same email or name) is taken as
    /// it, not as a new contact.
    #[serde(default)]
    pub maybe_created: Option<Side>,
}

impl Pair {
    /// The state of one side.
    pub fn side(&self, side: Side) -> Option<&SideState> {
        match side {
            Side::Zoom => self.zoom.as_ref(),
            Side::External => self.external.as_ref(),
        }
    }

    /// The state of one side, mutably.
    pub fn side_mut(&mut self, side: Side) -> &mut Option<SideState> {
        match side {
            Side::Zoom => &mut self.zoom,
            Side::External => &mut self.external,
        }
    }
}

/// A side's opaque position in its change feed (Google `syncToken`, Graph `deltaLink`,
/// EWS `SyncState`); the source alone reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor(pub String);

/// The status table of one integration (one user, one service).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatusTable {
    /// Every known pair.
    pub pairs: BTreeMap<PairId, Pair>,
    /// The next pair number.
    pub next_id: u64,
    /// Zoom's cursor, if it has one.
    pub zoom_cursor: Option<Cursor>,
    /// The external side's cursor.
    pub external_cursor: Option<Cursor>,
}

impl StatusTable {
    /// Adds a pair and returns its id.
    pub fn insert(&mut self, pair: Pair) -> PairId {
        let id = PairId(self.next_id);
        self.next_id += 1;
        self.pairs.insert(id, pair);
        id
    }

    /// The pair holding a side's id.
    pub fn find(&self, side: Side, id: &str) -> Option<PairId> {
        self.pairs
            .iter()
            .find(|(_, p)| p.side(side).is_some_and(|s| s.id == id))
            .map(|(k, _)| *k)
    }

    /// A side's cursor.
    pub fn cursor(&self, side: Side) -> Option<&Cursor> {
        match side {
            Side::Zoom => self.zoom_cursor.as_ref(),
            Side::External => self.external_cursor.as_ref(),
        }
    }

    /// Sets a side's cursor.
    pub fn set_cursor(&mut self, side: Side, cursor: Option<Cursor>) {
        match side {
            Side::Zoom => self.zoom_cursor = cursor,
            Side::External => self.external_cursor = cursor,
        }
    }

    /// How many pairs are present on a side.
    pub fn present(&self, side: Side) -> usize {
        self.pairs
            .values()
            .filter(|p| p.side(side).is_some())
            .count()
    }
}
