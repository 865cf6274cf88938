//! Seat accounting through the ordered plan (U2 licences, U3 add-ons): a plan that would
//! run out of seats is an error before anything is sent, and a change that needs a seat
//! waits for the changes that free one.

use super::context::Ctx;
use crate::model::{Addon, ChangeId, ObjectRef, ObservedStatus, Rule, Source};
use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
pub(crate) struct Pool {
    capacity: Option<u32>,
    used: u32,
    consumers: Vec<(ChangeId, Source, ObjectRef)>,
    freers: Vec<ChangeId>,
}

pub(crate) struct Pools {
    licence: Pool,
    addons: BTreeMap<Addon, Pool>,
}

impl Pools {
    /// Seats in use now: licensed users that are active or pending (pending invitations
    /// count against the caps, zoom-api.md §2); deactivated users hold no licence.
    pub fn new(cx: &Ctx<'_>) -> Pools {
        let seats = cx.o.seats;
        let declared = cx.d.account.seats;
        let mut licence = Pool {
            capacity: seats.licensed.or(declared.licensed),
            ..Pool::default()
        };
        let mut addons: BTreeMap<Addon, Pool> = BTreeMap::new();
        addons.insert(
            Addon::LargeMeeting,
            Pool {
                capacity: seats.large_meeting.or(declared.large_meeting),
                ..Pool::default()
            },
        );
        addons.insert(
            Addon::Webinar,
            Pool {
                capacity: seats.webinar.or(declared.webinar),
                ..Pool::default()
            },
        );
        for u in cx.o.users.values() {
            if u.status == ObservedStatus::Inactive {
                continue;
            }
            if u.spec.user_type == Some(crate::model::UserType::Licensed) {
                licence.used += 1;
            }
            for a in u.spec.addons.iter().flatten() {
                if let Some(p) = addons.get_mut(a) {
                    p.used += 1;
                }
            }
        }
        Pools { licence, addons }
    }

    pub fn consume_licence(&mut self, id: ChangeId, source: Source, target: &ObjectRef) {
        self.licence.consumers.push((id, source, target.clone()));
    }
    pub fn free_licence(&mut self, id: ChangeId) {
        self.licence.freers.push(id);
    }
    pub fn consume_addon(&mut self, a: Addon, id: ChangeId, source: Source, target: &ObjectRef) {
        if let Some(p) = self.addons.get_mut(&a) {
            p.consumers.push((id, source, target.clone()));
        }
    }
    pub fn free_addon(&mut self, a: Addon, id: ChangeId) {
        if let Some(p) = self.addons.get_mut(&a) {
            p.freers.push(id);
        }
    }

    /// Adds seat dependencies and reports shortages.
    pub fn finish(self, cx: &mut Ctx<'_>) {
        let index: HashMap<ChangeId, usize> = cx
            .changes
            .iter()
            .enumerate()
            .map(|(i, (_, c))| (c.id.clone(), i))
            .collect();
        check(cx, &index, self.licence, Rule::U2, "licence");
        for (a, p) in self.addons {
            check(cx, &index, p, Rule::U3, a.as_str());
        }
    }
}

fn check(cx: &mut Ctx<'_>, index: &HashMap<ChangeId, usize>, p: Pool, rule: Rule, what: &str) {
    let Some(capacity) = p.capacity else { return };
    if p.consumers.is_empty() {
        return;
    }
    // The seats the consumers need only exist once the freers ran: order them.
    if p.used + p.consumers.len() as u32 > capacity {
        for (id, _, _) in &p.consumers {
            if let Some(&i) = index.get(id) {
                let deps = &mut cx.changes[i].1.depends_on;
                for f in &p.freers {
                    if !deps.contains(f) {
                        deps.push(f.clone());
                    }
                }
            }
        }
    }
    let available = (capacity + p.freers.len() as u32).saturating_sub(p.used) as usize;
    for (_, source, target) in p.consumers.iter().skip(available) {
        cx.error(
            rule,
            target,
            Some(source),
            format!(
                "no {what} seat left: {capacity} purchased, {} in use, {} freed and {} needed by this plan; downgrade or remove a user, or buy more seats",
                p.used,
                p.freers.len(),
                p.consumers.len()
            ),
        );
    }
}
