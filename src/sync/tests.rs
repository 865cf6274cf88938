//! Engine tests on the in-memory sources, and the state-machine property test (K4):
//! random edits on both sides, flaky etags, expired cursors, writes refused part-way,
//! lost answers and late writes; after a quiet sync both sides hold the same contacts,
//! nothing created and never deleted is lost, there are no duplicates, and the
//! emptied-side guard is never bypassed.

use super::*;
use crate::sync::memory::MemorySource;
use futures::executor::block_on;
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use std::collections::BTreeSet;

fn person(key: u32, version: u32) -> Contact {
    Contact {
        name: format!("Person {key} v{version}"),
        emails: vec![format!("p{key}@example.com")],
        phones: vec![Phone {
            label: "mobile".into(),
            number: format!("+1555{key:04}{version:03}"),
        }],
        ..Contact::default()
    }
}

fn key_of(c: &Contact) -> String {
    c.emails.first().cloned().unwrap_or_default()
}

fn opts(policy: ConflictPolicy) -> PlanOptions {
    PlanOptions {
        policy,
        allow_deletions: true,
        ..PlanOptions::default()
    }
}

struct World {
    zoom: MemorySource,
    ext: MemorySource,
    table: StatusTable,
    opts: PlanOptions,
    last: SyncReport,
}

impl World {
    fn new(policy: ConflictPolicy) -> World {
        World {
            zoom: MemorySource::new("z"),
            ext: MemorySource::new("e"),
            table: StatusTable::default(),
            opts: opts(policy),
            last: SyncReport::default(),
        }
    }

    fn sync(&mut self) -> &SyncReport {
        let (t, r) = block_on(run_once(
            &mut self.zoom,
            &mut self.ext,
            &self.table,
            &self.opts,
        ))
        .expect("listing works");
        self.table = t;
        self.last = r;
        &self.last
    }

    fn hashes(side: &MemorySource) -> Vec<ContactHash> {
        let mut v: Vec<_> = side.contacts().values().map(|(_, c)| c.hash()).collect();
        v.sort();
        v
    }

    fn keys(side: &MemorySource) -> Vec<String> {
        side.contacts().values().map(|(_, c)| key_of(c)).collect()
    }
}

#[test]
fn first_sync_merges_both_sides_without_duplicating_identical_contacts() {
    let mut w = World::new(ConflictPolicy::Zoom);
    w.zoom.user_create(person(1, 0));
    w.zoom.user_create(person(2, 0));
    w.ext.user_create(person(2, 0));
    w.ext.user_create(person(3, 0));
    let r = w.sync().clone();
    assert_eq!(r.done(), 2, "{r:?}");
    assert_eq!(World::hashes(&w.zoom), World::hashes(&w.ext));
    assert_eq!(w.zoom.contacts().len(), 3);
    let r = w.sync().clone();
    assert_eq!(r.items.len(), 0, "echoes are not changes: {r:?}");
}

#[test]
fn a_conflict_goes_the_policy_way_and_newest_falls_back_to_external() {
    for (policy, winner) in [
        (ConflictPolicy::Zoom, "zoom"),
        (ConflictPolicy::External, "ext"),
        (ConflictPolicy::Newest, "ext"),
    ] {
        let mut w = World::new(policy);
        let id = w.zoom.user_create(person(1, 0));
        w.sync();
        let eid = w.ext.contacts().keys().next().unwrap().clone();
        let mut z = person(1, 1);
        z.name = "zoom".into();
        let mut e = person(1, 2);
        e.name = "ext".into();
        w.zoom.user_edit(&id, z);
        w.ext.user_edit(&eid, e);
        let r = w.sync().clone();
        assert_eq!(r.items.len(), 1);
        assert!(r.items[0].conflict.is_some());
        for side in [&w.zoom, &w.ext] {
            let names: Vec<_> = side
                .contacts()
                .values()
                .map(|(_, c)| c.name.clone())
                .collect();
            assert_eq!(names, vec![winner.to_string()], "{policy:?}");
        }
    }
}

#[test]
fn an_emptied_side_does_not_delete_the_other() {
    let mut w = World::new(ConflictPolicy::Zoom);
    let ids: Vec<_> = (0..4).map(|k| w.zoom.user_create(person(k, 0))).collect();
    w.sync();
    for id in &ids {
        w.zoom.user_delete(id);
    }
    let r = w.sync().clone();
    assert_eq!(w.ext.contacts().len(), 4);
    assert!(r.items.iter().all(|i| matches!(
        i.result,
        ItemResult::Held(Guard::EmptiedSide { side: Side::Zoom })
    )));
    assert_eq!(r.items.len(), 4);
}

#[test]
fn the_deletion_cap_holds_a_large_run_unless_allowed() {
    let mut w = World::new(ConflictPolicy::Zoom);
    w.opts.allow_deletions = false;
    let ids: Vec<_> = (0..10).map(|k| w.zoom.user_create(person(k, 0))).collect();
    w.sync();
    for id in &ids[..6] {
        w.zoom.user_delete(id);
    }
    let r = w.sync().clone();
    assert_eq!(w.ext.contacts().len(), 10);
    assert!(r.items.iter().all(|i| matches!(
        i.result,
        ItemResult::Held(Guard::DeletionCap { deletions: 6, .. })
    )));
    w.opts.allow_deletions = true;
    w.sync();
    assert_eq!(w.ext.contacts().len(), 4);
}

#[test]
fn an_expired_cursor_relists_and_rematches_without_rewriting() {
    let mut w = World::new(ConflictPolicy::Zoom);
    for k in 0..5 {
        w.ext.user_create(person(k, 0));
    }
    w.sync();
    let writes = (w.zoom.writes, w.ext.writes);
    w.ext.expire_cursors();
    let id = w.ext.contacts().keys().next().unwrap().clone();
    w.ext.user_edit(&id, person(0, 7));
    let r = w.sync().clone();
    assert_eq!(r.cursor_resets, 1);
    assert_eq!(r.done(), 1, "only the edit moves: {r:?}");
    assert_eq!((w.zoom.writes, w.ext.writes), (writes.0 + 1, writes.1));
    assert_eq!(World::hashes(&w.zoom), World::hashes(&w.ext));
}

#[test]
fn a_late_write_is_neither_a_deletion_nor_a_revert() {
    let mut w = World::new(ConflictPolicy::Zoom);
    w.ext.late_lists = 3;
    let id = w.zoom.user_create(person(1, 0));
    w.sync();
    w.ext.expire_cursors();
    w.sync();
    assert_eq!(
        w.zoom.contacts().len(),
        1,
        "the unseen create is not a deletion"
    );
    w.zoom.user_edit(&id, person(1, 1));
    w.sync();
    w.ext.expire_cursors();
    let r = w.sync().clone();
    assert_eq!(r.items.len(), 0, "the stale read is not a revert: {r:?}");
    w.ext.land_all();
    w.sync();
    assert_eq!(World::hashes(&w.zoom), World::hashes(&w.ext));
}

#[test]
fn a_refused_write_is_planned_again_and_the_rest_go_through() {
    let mut w = World::new(ConflictPolicy::Zoom);
    for k in 0..4 {
        w.zoom.user_create(person(k, 0));
    }
    w.ext.fail_after = 1;
    w.ext.fail_next = 2;
    let r = w.sync().clone();
    assert_eq!((r.done(), r.pending()), (2, 2));
    let r = w.sync().clone();
    assert_eq!(r.done(), 2);
    assert_eq!(World::hashes(&w.zoom), World::hashes(&w.ext));
}

// ---- the state-machine property test ----

/// The reference only hands out fresh contact keys; the invariants are checked on the
/// real sides against what the transitions did.
#[derive(Debug, Clone)]
struct Ref {
    next_key: u32,
}

#[derive(Debug, Clone)]
enum Step {
    Create(Side, u32),
    Edit(Side, usize, u32),
    Delete(Side, usize),
    FlakeEtag(Side, usize),
    ExpireCursor(Side),
    RefuseWrites(Side, u32, u32),
    LoseAnswer(Side),
    LateWrites(Side, u32),
    Sync,
    QuietSync,
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Zoom), Just(Side::External)]
}

impl ReferenceStateMachine for Ref {
    type State = Ref;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Ref> {
        Just(Ref { next_key: 0 }).boxed()
    }

    fn transitions(state: &Ref) -> BoxedStrategy<Step> {
        let k = state.next_key;
        prop_oneof![
            4 => side().prop_map(move |s| Step::Create(s, k)),
            4 => (side(), any::<usize>(), 1..50u32).prop_map(|(s, i, v)| Step::Edit(s, i, v)),
            2 => (side(), any::<usize>()).prop_map(|(s, i)| Step::Delete(s, i)),
            1 => (side(), any::<usize>()).prop_map(|(s, i)| Step::FlakeEtag(s, i)),
            1 => side().prop_map(Step::ExpireCursor),
            1 => (side(), 0..3u32, 1..3u32).prop_map(|(s, a, n)| Step::RefuseWrites(s, a, n)),
            1 => side().prop_map(Step::LoseAnswer),
            1 => (side(), 0..3u32).prop_map(|(s, n)| Step::LateWrites(s, n)),
            3 => Just(Step::Sync),
            1 => Just(Step::QuietSync),
        ]
        .boxed()
    }

    fn preconditions(state: &Ref, t: &Step) -> bool {
        match t {
            Step::Create(_, k) => *k == state.next_key,
            _ => true,
        }
    }

    fn apply(mut state: Ref, t: &Step) -> Ref {
        if let Step::Create(_, k) = t {
            state.next_key = k + 1;
        }
        state
    }
}

struct Sut {
    w: World,
    created: BTreeSet<String>,
    deleted: BTreeSet<String>,
    quiet_checks: u32,
}

impl Sut {
    fn side(&mut self, s: Side) -> &mut MemorySource {
        match s {
            Side::Zoom => &mut self.w.zoom,
            Side::External => &mut self.w.ext,
        }
    }

    fn pick(&mut self, s: Side, i: usize) -> Option<(String, Contact)> {
        let side = self.side(s);
        let n = side.contacts().len();
        (n > 0).then(|| {
            let (id, (_, c)) = side.contacts().iter().nth(i % n).unwrap();
            (id.clone(), c.clone())
        })
    }

    fn sync_checked(&mut self) {
        let before_zoom = self.w.zoom.contacts().len();
        let before_ext = self.w.ext.contacts().len();
        let r = self.w.sync().clone();
        // The emptied-side guard: a side that lists nothing never causes deletions.
        for (from, before_other, other_len) in [
            (Side::Zoom, before_ext, self.w.ext.contacts().len()),
            (Side::External, before_zoom, self.w.zoom.contacts().len()),
        ] {
            let emptied = r.items.iter().any(|i| matches!(i.result, ItemResult::Held(Guard::EmptiedSide { side }) if side == from));
            if emptied {
                assert!(other_len >= before_other, "guard bypassed: {r:?}");
                assert!(!r.items.iter().any(|i| i.kind == WriteKind::Delete
                    && i.target == from.other()
                    && i.result == ItemResult::Done));
            }
        }
        for s in [&self.w.zoom, &self.w.ext] {
            let keys = World::keys(s);
            let set: BTreeSet<_> = keys.iter().collect();
            assert_eq!(keys.len(), set.len(), "duplicate contacts: {keys:?}");
        }
    }

    fn quiet(&mut self) {
        for s in [Side::Zoom, Side::External] {
            let m = self.side(s);
            m.fail_next = 0;
            m.fail_after = 0;
            m.lose_answer = false;
            m.late_lists = 0;
            m.land_all();
        }
        // Enough runs for every refused write to go through and every unseen write to
        // pass its grace; the last must do nothing.
        for _ in 0..(self.w.opts.late_grace + 4) {
            self.sync_checked();
        }
        let held = self
            .w
            .last
            .items
            .iter()
            .any(|i| matches!(i.result, ItemResult::Held(_)));
        assert!(
            held || self.w.last.items.is_empty(),
            "a quiet sync settles: {:?}",
            self.w.last
        );
        if held {
            return;
        }
        self.quiet_checks += 1;
        assert_eq!(World::hashes(&self.w.zoom), World::hashes(&self.w.ext));
        let present: BTreeSet<String> = World::keys(&self.w.zoom).into_iter().collect();
        for k in self.created.difference(&self.deleted) {
            assert!(present.contains(k), "contact {k} lost");
        }
    }
}

impl StateMachineTest for Sut {
    type SystemUnderTest = Sut;
    type Reference = Ref;

    fn init_test(_: &Ref) -> Sut {
        Sut {
            w: World::new(ConflictPolicy::Newest),
            created: BTreeSet::new(),
            deleted: BTreeSet::new(),
            quiet_checks: 0,
        }
    }

    fn apply(mut sut: Sut, _: &Ref, t: Step) -> Sut {
        match t {
            Step::Create(s, k) => {
                let c = person(k, 0);
                sut.created.insert(key_of(&c));
                sut.side(s).user_create(c);
            }
            Step::Edit(s, i, v) => {
                if let Some((id, c)) = sut.pick(s, i) {
                    let k: u32 = key_of(&c)[1..].split('@').next().unwrap().parse().unwrap();
                    sut.side(s).user_edit(&id, person(k, v));
                }
            }
            Step::Delete(s, i) => {
                if let Some((id, c)) = sut.pick(s, i) {
                    sut.deleted.insert(key_of(&c));
                    sut.side(s).user_delete(&id);
                }
            }
            Step::FlakeEtag(s, i) => {
                if let Some((id, _)) = sut.pick(s, i) {
                    sut.side(s).flake_etag(&id);
                }
            }
            Step::ExpireCursor(s) => sut.side(s).expire_cursors(),
            Step::RefuseWrites(s, after, n) => {
                let m = sut.side(s);
                m.fail_after = after;
                m.fail_next = n;
            }
            Step::LoseAnswer(s) => sut.side(s).lose_answer = true,
            Step::LateWrites(s, n) => sut.side(s).late_lists = n,
            Step::Sync => sut.sync_checked(),
            Step::QuietSync => sut.quiet(),
        }
        sut
    }

    fn teardown(mut sut: Sut, _: Ref) {
        sut.quiet();
    }
}

/// Cases per run: `PROPTEST_CASES` overrides (CI prints it).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
    #[test]
    fn sync_engine_state_machine(sequential 1..40 => Sut);
}
