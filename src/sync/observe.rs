//! Folding one side's listing into the status table (pure).
//!
//! A delta updates the pairs it names. A full listing (first run, or after a cursor
//! expired) is re-matched: by id first, then by hash for items whose id is new (an id that
//! changed), and a pair the listing lacks is a deletion, except one roster wrote and has
//! not yet seen listed (late writes). The status table is never wiped.

use super::contact::Contact;
use super::source::{Item, Listing};
use super::status::{Pair, PairId, Side, SideState, StatusTable};
use std::collections::BTreeSet;

/// What folding a listing found, for the run's report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// The listing was a full one (a cursor reset when a cursor was held).
    pub full: bool,
    /// Items re-matched to a pair by hash because their id was new.
    pub rematched: usize,
    /// Stale reads ignored (an etag from before roster's own write).
    pub stale: usize,
}

fn state_of(item: &Item) -> SideState {
    SideState {
        id: item.id.clone(),
        etag: item.etag.clone(),
        hash: item.contact.hash(),
        contact: item.contact.clone(),
        unconfirmed: false,
        misses: 0,
        stale_etag: None,
    }
}

/// Updates the pair at `key` with `item`; false when the read was stale.
fn update(table: &mut StatusTable, key: PairId, side: Side, item: &Item) -> bool {
    let Some(pair) = table.pairs.get_mut(&key) else {
        return true;
    };
    let slot = pair.side_mut(side);
    if let Some(old) = slot.as_ref()
        && old.stale_etag.is_some()
        && old.stale_etag == item.etag
    {
        return false;
    }
    *slot = Some(state_of(item));
    true
}

/// A pair the other side created that this side already holds identically (both sides
/// created the same contact, or roster's create whose answer was lost).
fn twin(table: &StatusTable, side: Side, item: &Item, taken: &BTreeSet<PairId>) -> Option<PairId> {
    let hash = item.contact.hash();
    let open = |(k, p): &(&PairId, &Pair)| {
        !taken.contains(*k)
            && p.side(side).is_none()
            && (p.base.is_none() || p.maybe_created == Some(side))
    };
    let same = table
        .pairs
        .iter()
        .filter(open)
        .find(|(_, p)| p.side(side.other()).is_some_and(|s| s.hash == hash));
    let lost = || {
        table
            .pairs
            .iter()
            .filter(open)
            .filter(|(_, p)| p.maybe_created == Some(side))
            .find(|(_, p)| {
                p.side(side.other())
                    .is_some_and(|s| alike(&s.contact, &item.contact))
            })
    };
    same.or_else(lost).map(|(k, _)| *k)
}

/// The same person, edited: a shared email, or the same name.
fn alike(a: &Contact, b: &Contact) -> bool {
    let (a, b) = (a.normalised(), b.normalised());
    a.name == b.name || a.emails.iter().any(|e| b.emails.contains(e))
}

fn attach_or_insert(
    table: &mut StatusTable,
    side: Side,
    item: &Item,
    taken: &mut BTreeSet<PairId>,
) {
    if let Some(key) = twin(table, side, item, taken) {
        update(table, key, side, item);
        if let Some(p) = table.pairs.get_mut(&key) {
            p.maybe_created = None;
        }
        taken.insert(key);
        return;
    }
    let mut pair = Pair {
        base: None,
        zoom: None,
        external: None,
        maybe_created: None,
    };
    *pair.side_mut(side) = Some(state_of(item));
    let key = table.insert(pair);
    taken.insert(key);
}

/// Folds `listing` of `side` into `table`, and stores the listing's cursor.
/// `grace` is how many full listings may lack a write roster made before it counts as
/// deleted (Google shows writes minutes late; Graph at once).
pub fn fold(
    table: &StatusTable,
    side: Side,
    listing: &Listing,
    grace: u32,
) -> (StatusTable, Observed) {
    let mut t = table.clone();
    let mut seen = Observed::default();
    match listing {
        Listing::Delta {
            changed,
            removed,
            cursor,
        } => {
            fold_delta(&mut t, side, changed, removed, &mut seen);
            t.set_cursor(side, Some(cursor.clone()));
        }
        Listing::Full { items, cursor } => {
            seen.full = true;
            fold_full(&mut t, side, items, grace, &mut seen);
            t.set_cursor(side, Some(cursor.clone()));
        }
    }
    (t, seen)
}

fn fold_delta(
    t: &mut StatusTable,
    side: Side,
    changed: &[Item],
    removed: &[String],
    seen: &mut Observed,
) {
    let mut taken = BTreeSet::new();
    for item in changed {
        match t.find(side, &item.id) {
            Some(key) => {
                if !update(t, key, side, item) {
                    seen.stale += 1;
                }
                taken.insert(key);
            }
            None => attach_or_insert(t, side, item, &mut taken),
        }
    }
    for id in removed {
        if let Some(key) = t.find(side, id)
            && let Some(pair) = t.pairs.get_mut(&key)
        {
            *pair.side_mut(side) = None;
        }
    }
}

fn fold_full(t: &mut StatusTable, side: Side, items: &[Item], grace: u32, seen: &mut Observed) {
    let mut taken = BTreeSet::new();
    let mut rest = Vec::new();
    for item in items {
        match t.find(side, &item.id) {
            Some(key) if !taken.contains(&key) => {
                if !update(t, key, side, item) {
                    seen.stale += 1;
                }
                taken.insert(key);
            }
            Some(_) | None => rest.push(item),
        }
    }
    // Ids that changed: re-match by hash to a pair whose id this listing lacks.
    let mut fresh = Vec::new();
    for item in rest {
        let hash = item.contact.hash();
        let old = t
            .pairs
            .iter()
            .find(|(k, p)| !taken.contains(k) && p.side(side).is_some_and(|s| s.hash == hash))
            .map(|(k, _)| *k);
        match old {
            Some(key) => {
                update(t, key, side, item);
                taken.insert(key);
                seen.rematched += 1;
            }
            None => fresh.push(item),
        }
    }
    // Absent from the listing: deleted, unless roster wrote it and has not seen it yet.
    for (key, pair) in t.pairs.iter_mut() {
        if taken.contains(key) {
            continue;
        }
        let slot = pair.side_mut(side);
        match slot {
            Some(s) if s.unconfirmed && s.misses < grace => s.misses += 1,
            Some(_) => *slot = None,
            None => {}
        }
    }
    for item in fresh {
        attach_or_insert(t, side, item, &mut taken);
    }
}
