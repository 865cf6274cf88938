//! LastApplied after a run (issue 10, item 3): the plan's next state, except for what did
//! not go through. A failed change restores only what it would have set: a failed chat
//! group removal keeps the user's chat-group membership as it was, not the user's whole
//! entry, so a partly failed apply never re-proposes (or re-sends an invitation for) what
//! succeeded.
//!
//! Pure, and total over [`Op`] and [`ObjectRef`]: a new operation or kind of object must
//! say here what it restores.

use crate::model::{LastApplied, ObjectRef, Op, UserSpec};
use crate::plan::Change;
use std::collections::{BTreeMap, BTreeSet};

/// LastApplied after a run: `next` (the plan's), with what each change in `not_applied`
/// (failed, or skipped because a change it depends on failed) would have set taken back
/// from `previous` (the LastApplied the plan was made with).
pub fn merge_last_applied(
    next: &LastApplied,
    previous: &LastApplied,
    not_applied: &[&Change],
) -> LastApplied {
    let mut out = next.clone();
    for c in not_applied {
        restore_change(&mut out, previous, c);
    }
    out
}

/// Takes back what one change would have recorded.
fn restore_change(out: &mut LastApplied, previous: &LastApplied, c: &Change) {
    match what_it_sets(&c.op) {
        Sets::Entry => restore_target(out, previous, &c.target),
        Sets::UserParts(email, parts) => {
            for part in parts {
                restore_user_part(out, previous, email, part);
            }
        }
    }
}

/// What a change records in LastApplied when it goes through.
enum Sets<'a> {
    /// The whole entry of its target.
    Entry,
    /// These parts of one user's entry.
    UserParts(&'a crate::model::Email, Vec<UserPart<'a>>),
}

fn what_it_sets(op: &Op) -> Sets<'_> {
    let one = |email, part| Sets::UserParts(email, vec![part]);
    match op {
        // These decide whether (and how) roster manages the user at all, and U8's clock.
        Op::CreateUser { .. }
        | Op::ResendInvitation { .. }
        | Op::CancelInvitation { .. }
        | Op::DeactivateUser { .. }
        | Op::ActivateUser { .. }
        | Op::DisassociateUser { .. }
        | Op::DeleteUser { .. } => Sets::Entry,
        Op::UpdateProfile { email, patch } => Sets::UserParts(email, profile_parts(patch)),
        Op::ChangeUserType { email, .. } => one(email, UserPart::Type),
        Op::ChangeRole { email, .. } => one(email, UserPart::Role),
        Op::SetGroup { email, .. } => one(email, UserPart::Group),
        Op::AssignAddon { email, addon } | Op::RemoveAddon { email, addon } => {
            one(email, UserPart::Addon(*addon))
        }
        Op::AddChatGroup { email, group } | Op::RemoveChatGroup { email, group } => {
            one(email, UserPart::ChatGroup(group))
        }
        // Containers, the organization, contacts and integrations: one entry per target.
        Op::CreateGroup { .. }
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
        | Op::SetCalendlyOptions { .. } => Sets::Entry,
    }
}

/// One part of a user's LastApplied entry that a single change sets.
#[derive(Debug, Clone, Copy)]
enum UserPart<'a> {
    FirstName,
    LastName,
    Type,
    Role,
    Group,
    Department,
    Manager,
    JobTitle,
    Location,
    CustomAttributes,
    Addon(crate::model::Addon),
    ChatGroup(&'a str),
}

/// The parts a profile patch sets (a field left out of the patch was not sent).
fn profile_parts(p: &crate::model::ProfilePatch) -> Vec<UserPart<'static>> {
    let sent = [
        (p.first_name.is_some(), UserPart::FirstName),
        (p.last_name.is_some(), UserPart::LastName),
        (p.department.is_some(), UserPart::Department),
        (p.manager.is_some(), UserPart::Manager),
        (p.job_title.is_some(), UserPart::JobTitle),
        (p.location.is_some(), UserPart::Location),
        (p.custom_attributes.is_some(), UserPart::CustomAttributes),
    ];
    sent.into_iter()
        .filter(|(s, _)| *s)
        .map(|(_, p)| p)
        .collect()
}

/// Restores one part of `email`'s entry. When the plan dropped the entry altogether, the
/// whole previous entry comes back (the part cannot be restored on its own).
fn restore_user_part(
    out: &mut LastApplied,
    previous: &LastApplied,
    email: &crate::model::Email,
    part: UserPart<'_>,
) {
    let Some(entry) = out.users.get_mut(email) else {
        restore_target(out, previous, &ObjectRef::User(email.clone()));
        return;
    };
    let was = previous.users.get(email).cloned().unwrap_or_default();
    copy_part(entry, &was, part);
}

/// Copies `part` from `was` into `entry`.
fn copy_part(entry: &mut UserSpec, was: &UserSpec, part: UserPart<'_>) {
    match part {
        UserPart::FirstName => entry.first_name.clone_from(&was.first_name),
        UserPart::LastName => entry.last_name.clone_from(&was.last_name),
        UserPart::Type => entry.user_type = was.user_type,
        UserPart::Role => entry.role.clone_from(&was.role),
        UserPart::Group => entry.group.clone_from(&was.group),
        UserPart::Department => entry.department.clone_from(&was.department),
        UserPart::Manager => entry.manager.clone_from(&was.manager),
        UserPart::JobTitle => entry.job_title.clone_from(&was.job_title),
        UserPart::Location => entry.location.clone_from(&was.location),
        UserPart::CustomAttributes => entry.custom_attributes.clone_from(&was.custom_attributes),
        UserPart::Addon(a) => restore_in_set(&mut entry.addons, was.addons.as_ref(), &a),
        UserPart::ChatGroup(g) => restore_in_set(
            &mut entry.chat_groups,
            was.chat_groups.as_ref(),
            &g.to_string(),
        ),
    }
}

/// Restores whether `item` was in an optional set, leaving the rest as planned.
fn restore_in_set<T: Ord + Clone>(
    set: &mut Option<BTreeSet<T>>,
    was: Option<&BTreeSet<T>>,
    item: &T,
) {
    let had = was.is_some_and(|s| s.contains(item));
    let s = set.get_or_insert_with(BTreeSet::new);
    if had {
        s.insert(item.clone());
    } else {
        s.remove(item);
    }
    if s.is_empty() && was.is_none() {
        *set = None;
    }
}

/// Restores the whole previous entry of `target`.
fn restore_target(out: &mut LastApplied, previous: &LastApplied, target: &ObjectRef) {
    match target {
        // Account-wide rules hold no entry of their own.
        ObjectRef::Account => {}
        ObjectRef::User(email) => {
            restore(&mut out.users, &previous.users, email);
            restore(&mut out.invitations, &previous.invitations, email);
        }
        ObjectRef::Group(name) => restore(&mut out.groups, &previous.groups, name),
        ObjectRef::ChatGroup(name) => restore(&mut out.chat_groups, &previous.chat_groups, name),
        ObjectRef::Role(name) => restore(&mut out.roles, &previous.roles, name),
        ObjectRef::Organization(_) => out.organization.clone_from(&previous.organization),
        // Members are not recorded in LastApplied: the observation (or, on Zoom, the
        // record of confirmed manual changes) says who is linked.
        ObjectRef::OrgMember { .. } => {}
        ObjectRef::ExternalContact { user, contact } => restore_member(
            &mut out.external_contacts,
            &previous.external_contacts,
            user,
            contact,
        ),
        ObjectRef::PersonalContacts { user, group } => restore_member(
            &mut out.personal_contacts,
            &previous.personal_contacts,
            user,
            group,
        ),
        ObjectRef::Integration(user) => {
            restore(&mut out.integrations, &previous.integrations, user)
        }
        // The connection is not recorded in LastApplied: the observation (or, on real
        // Calendly, the record of confirmed manual changes) says how it stands (C2).
        ObjectRef::Calendly(_) => {}
    }
}

fn restore<K: Ord + Clone, V: Clone>(out: &mut BTreeMap<K, V>, previous: &BTreeMap<K, V>, key: &K) {
    match previous.get(key) {
        Some(v) => {
            out.insert(key.clone(), v.clone());
        }
        None => {
            out.remove(key);
        }
    }
}

/// Restores whether `member` was in `owner`'s set, leaving the rest of the set as planned.
fn restore_member<K: Ord + Clone, M: Ord + Clone>(
    out: &mut BTreeMap<K, BTreeSet<M>>,
    previous: &BTreeMap<K, BTreeSet<M>>,
    owner: &K,
    member: &M,
) {
    let was = previous.get(owner).is_some_and(|s| s.contains(member));
    let set = out.entry(owner.clone()).or_default();
    if was {
        set.insert(member.clone());
    } else {
        set.remove(member);
    }
    if set.is_empty() {
        out.remove(owner);
    }
}
