//! The diff of users: additions (U5), invitations (U8), field edits (U2, U3, U7, U9),
//! removals (U13), with waiting changes for pending and deactivated users.
//!
//! This module walks the declared and observed users and edits an active user by area:
//! `profile` (profile fields, U9, U11), `licence` (type and add-ons, U2, U3), `groups`,
//! `roles` (U7); `joining` adds users and handles pending and deactivated ones,
//! `removal` takes them out, `checks` holds the account-wide checks.

mod checks;
mod groups;
mod joining;
mod licence;
mod profile;
mod removal;
mod roles;

pub(crate) use checks::{
    AdminEffect, admin_effect, check_max_removals, check_min_admins, check_u1, check_u11,
};
use joining::{add_user, inactive_user, pending_user};
use removal::deactivate;
pub(crate) use removal::remove_user;

use super::context::Ctx;
use super::seats::Pools;
use crate::model::ObjectRef;
use crate::model::{
    DesiredStatus, DesiredUser, ObservedStatus, ObservedUser, Rule, UserField, UserSpec, UserType,
};

/// A user roster never set anything on.
static NOTHING_SET: UserSpec = UserSpec {
    first_name: None,
    last_name: None,
    user_type: None,
    addons: None,
    role: None,
    group: None,
    chat_groups: None,
    department: None,
    manager: None,
    job_title: None,
    location: None,
    custom_attributes: None,
};

/// U8: invitations expire this long after they were sent.
pub(crate) const INVITATION_LIFETIME_DAYS: i64 = 30;

pub(crate) fn plan_users(cx: &mut Ctx<'_>, pools: &mut Pools) {
    let d = cx.d;
    let o = cx.o;
    for du in d.users.values() {
        plan_declared(cx, pools, du, o.users.get(&du.email));
    }
    for ou in o.users.values() {
        if d.users.contains_key(&ou.email) || cx.is_ignored(&ou.email) {
            continue;
        }
        if ou.email == o.owner {
            continue; // U7: never removed, whatever the manifests say.
        }
        if cx.l.users.contains_key(&ou.email) {
            let reason =
                "roster managed this user and no manifest declares it any more".to_string();
            remove_user(cx, pools, ou, reason, None);
        } else if cx.d.account.policy.prune {
            let reason = "declared in no manifest and policy.prune is true".to_string();
            remove_user(cx, pools, ou, reason, None);
        } else {
            cx.unmanaged.push(ou.email.clone());
        }
    }
}

fn plan_declared(cx: &mut Ctx<'_>, pools: &mut Pools, du: &DesiredUser, ou: Option<&ObservedUser>) {
    let target = ObjectRef::User(du.email.clone());
    if cx.is_ignored(&du.email) {
        cx.warn(
            None,
            &target,
            format!(
                "declared in {} but matches policy.ignore: roster leaves it alone",
                du.source
            ),
        );
        return;
    }
    if du.email == cx.o.owner && du.status != DesiredStatus::Active {
        cx.error(
            Rule::U7,
            &target,
            Some(&du.source),
            "the account owner is never deactivated or removed".into(),
        );
        return;
    }
    let expired_on = du.expires.filter(|day| *day <= cx.today());
    if du.status == DesiredStatus::Absent || expired_on.is_some() {
        if let Some(ou) = ou {
            let reason = match expired_on {
                Some(day) => format!(
                    "expires on {day} (declared in {}), a date that has passed",
                    du.source
                ),
                None => format!("declared `status: absent` in {}", du.source),
            };
            remove_user(cx, pools, ou, reason, Some(&du.source));
        }
        return;
    }
    cx.next.users.insert(du.email.clone(), du.spec.clone());
    match ou {
        None => add_user(cx, pools, du, &target),
        Some(ou) => match ou.status {
            ObservedStatus::Pending => pending_user(cx, pools, du, ou, &target),
            ObservedStatus::Inactive => inactive_user(cx, pools, du, ou, &target),
            ObservedStatus::Active if du.status == DesiredStatus::Deactivated => {
                deactivate(
                    cx,
                    pools,
                    ou,
                    &target,
                    format!("declared `status: deactivated` in {}", du.source),
                    Some(&du.source),
                );
            }
            ObservedStatus::Active => edit_user(cx, pools, du, ou, &target),
        },
    }
}

fn desired_type(du: &DesiredUser) -> UserType {
    du.spec.user_type.unwrap_or(UserType::Basic)
}

fn check_on_prem(cx: &mut Ctx<'_>, du: &DesiredUser, target: &ObjectRef) -> bool {
    if desired_type(du) == UserType::OnPrem && !cx.o.on_prem_enabled {
        cx.error(
            Rule::U2,
            target,
            Some(&du.source),
            "type on-prem needs the meeting connector enabled on the account (and the current API no longer lists on-prem); use basic or licensed".into(),
        );
        return false;
    }
    true
}

fn editable(cx: &Ctx<'_>, f: UserField) -> bool {
    cx.d.account.policy.user_editable.contains(&f)
}

/// An active user the manifests declare: every field area, each with its own changes.
fn edit_user(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    du: &DesiredUser,
    ou: &ObservedUser,
    target: &ObjectRef,
) {
    let last = cx.l.users.get(&du.email).unwrap_or(&NOTHING_SET);
    let edit = Edit {
        du,
        ou,
        last,
        target,
        src: format!("declared in {}", du.source),
    };
    profile::edit_profile(cx, &edit);
    let type_change = licence::edit_type(cx, pools, &edit);
    roles::edit_role(cx, &edit);
    licence::edit_addons(cx, pools, &edit, type_change);
    groups::edit_group(cx, &edit);
    groups::edit_chat_groups(cx, &edit);
}

/// One active user being edited: what the manifest says, what the account holds, what
/// roster last set.
struct Edit<'a> {
    du: &'a DesiredUser,
    ou: &'a ObservedUser,
    last: &'a UserSpec,
    target: &'a ObjectRef,
    /// `declared in FILE:LINE`, the start of most reasons.
    src: String,
}
