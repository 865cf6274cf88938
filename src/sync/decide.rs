//! The decision table of one contact pair: Zoom's change × the external side's change.
//!
//! Every cell is written out; a new presence is a compile error here. Identical hashes are
//! never a conflict, and an edit beats a deletion (the contact is recreated where it was
//! deleted: losing an edit is worse than resurrecting a contact).

use super::contact::ContactHash;
use super::status::{Pair, Side, SideState};
use serde::Serialize;

/// How a contact changed on one side since the pair's base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Not there (deleted, or never there).
    Absent,
    /// There, with the base's hash.
    Unchanged,
    /// There, with another hash (or never synced).
    Changed,
}

impl Presence {
    /// The presence of one side against the base.
    pub fn of(base: Option<&ContactHash>, side: Option<&SideState>) -> Presence {
        match (side, base) {
            (None, _) => Presence::Absent,
            (Some(s), Some(b)) if &s.hash == b => Presence::Unchanged,
            (Some(_), _) => Presence::Changed,
        }
    }
}

pub use crate::model::ConflictPolicy;

/// Why a conflict went the way it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The policy names the side.
    Policy,
    /// `newest`: the winner's modification time is later.
    Newer,
    /// `newest` without comparable times: the fixed fallback (external).
    Fallback,
}

/// What to do with one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Both sides agree with the base (or the pair is gone on both).
    Nothing,
    /// Both sides hold the same content: record it as the base, write nothing.
    Adopt,
    /// Gone on both sides: drop the pair from the table.
    Forget,
    /// Copy `from`'s version to the other side (create there if absent).
    Copy {
        /// The side whose version is copied.
        from: Side,
    },
    /// Delete on `on` (the other side deleted it); subject to the guards.
    Delete {
        /// The side to delete on.
        on: Side,
    },
    /// Both changed differently: the winner's version is copied to the other side.
    Conflict {
        /// The winning side.
        winner: Side,
        /// How it was chosen.
        how: Resolution,
    },
}

fn resolve(pair: &Pair, policy: ConflictPolicy) -> Decision {
    let (winner, how) = match policy {
        ConflictPolicy::Zoom => (Side::Zoom, Resolution::Policy),
        ConflictPolicy::External => (Side::External, Resolution::Policy),
        ConflictPolicy::Newest => newest(pair),
    };
    Decision::Conflict { winner, how }
}

fn newest(pair: &Pair) -> (Side, Resolution) {
    let z = pair.zoom.as_ref().and_then(|s| s.contact.modified);
    let e = pair.external.as_ref().and_then(|s| s.contact.modified);
    match (z, e) {
        (Some(z), Some(e)) if z > e => (Side::Zoom, Resolution::Newer),
        (Some(z), Some(e)) if e > z => (Side::External, Resolution::Newer),
        (Some(_), Some(_)) | (None, _) | (_, None) => (Side::External, Resolution::Fallback),
    }
}

/// The decision for one pair.
pub fn decide(pair: &Pair, policy: ConflictPolicy) -> Decision {
    use Presence::{Absent, Changed, Unchanged};
    let base = pair.base.as_ref();
    let z = Presence::of(base, pair.zoom.as_ref());
    let e = Presence::of(base, pair.external.as_ref());
    match (z, e) {
        (Unchanged, Unchanged) => Decision::Nothing,
        (Changed, Unchanged) => Decision::Copy { from: Side::Zoom },
        (Unchanged, Changed) => Decision::Copy {
            from: Side::External,
        },
        (Changed, Changed) => {
            let same =
                pair.zoom.as_ref().map(|s| &s.hash) == pair.external.as_ref().map(|s| &s.hash);
            if same {
                Decision::Adopt
            } else {
                resolve(pair, policy)
            }
        }
        (Absent, Unchanged) => Decision::Delete { on: Side::External },
        (Unchanged, Absent) => Decision::Delete { on: Side::Zoom },
        (Absent, Absent) => Decision::Forget,
        (Absent, Changed) => Decision::Copy {
            from: Side::External,
        },
        (Changed, Absent) => Decision::Copy { from: Side::Zoom },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::contact::Contact;

    fn st(name: &str, at: Option<i64>) -> SideState {
        let contact = Contact {
            name: name.into(),
            modified: at.and_then(|s| chrono::DateTime::from_timestamp(s, 0)),
            ..Contact::default()
        };
        SideState {
            id: name.into(),
            etag: None,
            hash: contact.hash(),
            contact,
            unconfirmed: false,
            misses: 0,
            stale_etag: None,
        }
    }

    fn pair(base: Option<&str>, z: Option<SideState>, e: Option<SideState>) -> Pair {
        Pair {
            base: base.map(|b| st(b, None).hash),
            zoom: z,
            external: e,
            maybe_created: None,
        }
    }

    #[test]
    fn every_cell_of_the_table() {
        let p = ConflictPolicy::Zoom;
        let a = || Some(st("a", None));
        let b = || Some(st("b", None));
        let c = || Some(st("c", None));
        let cases = [
            (pair(Some("a"), a(), a()), Decision::Nothing),
            (
                pair(Some("a"), b(), a()),
                Decision::Copy { from: Side::Zoom },
            ),
            (
                pair(Some("a"), a(), b()),
                Decision::Copy {
                    from: Side::External,
                },
            ),
            (pair(Some("a"), b(), b()), Decision::Adopt),
            (
                pair(Some("a"), b(), c()),
                Decision::Conflict {
                    winner: Side::Zoom,
                    how: Resolution::Policy,
                },
            ),
            (
                pair(Some("a"), None, a()),
                Decision::Delete { on: Side::External },
            ),
            (
                pair(Some("a"), a(), None),
                Decision::Delete { on: Side::Zoom },
            ),
            (pair(Some("a"), None, None), Decision::Forget),
            (
                pair(Some("a"), None, b()),
                Decision::Copy {
                    from: Side::External,
                },
            ),
            (
                pair(Some("a"), b(), None),
                Decision::Copy { from: Side::Zoom },
            ),
            (pair(None, a(), None), Decision::Copy { from: Side::Zoom }),
            (
                pair(None, None, a()),
                Decision::Copy {
                    from: Side::External,
                },
            ),
            (pair(None, a(), a()), Decision::Adopt),
        ];
        for (p_, want) in cases {
            assert_eq!(decide(&p_, p), want, "{p_:?}");
        }
    }

    #[test]
    fn identical_hashes_never_conflict_whatever_the_policy() {
        for policy in [
            ConflictPolicy::Zoom,
            ConflictPolicy::External,
            ConflictPolicy::Newest,
        ] {
            let p = pair(Some("a"), Some(st("b", Some(1))), Some(st("b", Some(9))));
            assert_eq!(decide(&p, policy), Decision::Adopt);
        }
    }

    #[test]
    fn newest_takes_the_later_and_falls_back_to_external() {
        let p = pair(Some("a"), Some(st("b", Some(9))), Some(st("c", Some(1))));
        assert_eq!(
            decide(&p, ConflictPolicy::Newest),
            Decision::Conflict {
                winner: Side::Zoom,
                how: Resolution::Newer
            }
        );
        let p = pair(Some("a"), Some(st("b", Some(9))), Some(st("c", None)));
        assert_eq!(
            decide(&p, ConflictPolicy::Newest),
            Decision::Conflict {
                winner: Side::External,
                how: Resolution::Fallback
            }
        );
        let p = pair(Some("a"), Some(st("b", None)), Some(st("c", None)));
        assert_eq!(
            decide(&p, ConflictPolicy::External),
            Decision::Conflict {
                winner: Side::External,
                how: Resolution::Policy
            }
        );
    }
}
