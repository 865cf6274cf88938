//! The simulator's users as Zoom's user objects (users-api.json): every field Zoom always
//! returns (`type`, names as strings, `status`, `role_id`, `group_ids`, `pmi`, `verified`,
//! creation times), the ones the simulator holds when set, and nothing as `null`.
//! Pending users are listed without `id`, as Zoom lists them, but are created with one
//! (`POST /users` answers it) and can be read by it.

use super::roles::{role_display_name, role_id};
use crate::model::Timestamp;
use crate::provider::sim::cloud::{SimAccount, SimStatus, SimUser};
use crate::provider::wire::{CustomAttribute, ListedUser, UserDetail};
use sha2::Digest as _;

/// Zoom's status word.
pub fn status_word(s: SimStatus) -> &'static str {
    match s {
        SimStatus::Active => "active",
        SimStatus::Inactive => "inactive",
        SimStatus::Pending => "pending",
    }
}

fn digest(parts: &[&str]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().into()
}

/// The id of a custom attribute of `account` (Zoom's `key`): stable, derived from its name.
pub fn attribute_key(account: &str, name: &str) -> String {
    format!("cbf_{}", &hex::encode(digest(&[account, name]))[..22])
}

/// A user's personal meeting id: ten digits, stable, derived from the user id.
fn pmi(id: &str) -> i64 {
    let d = digest(&[id]);
    let n = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    1_000_000_000 + (n % 9_000_000_000) as i64
}

/// `First Last`, or the email's local part when the user has no name.
pub fn display_name(u: &SimUser) -> String {
    let name = [u.first_name.as_deref(), u.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        u.email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string()
    } else {
        name
    }
}

fn custom_attributes(a: &SimAccount, u: &SimUser) -> Vec<CustomAttribute> {
    u.custom_attributes
        .iter()
        .map(|(k, v)| CustomAttribute {
            key: attribute_key(&a.id, k),
            name: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// A user as `GET /users` lists it; `with_attributes` for `include_fields=custom_attributes`.
pub fn listed(a: &SimAccount, u: &SimUser, clock: Timestamp, with_attributes: bool) -> ListedUser {
    let pending = u.status == SimStatus::Pending;
    let created = u.created_at.or(u.invited_at).unwrap_or(clock);
    ListedUser {
        id: u.id.clone().filter(|_| !pending),
        email: u.email.to_string(),
        first_name: Some(u.first_name.clone().unwrap_or_default()),
        last_name: Some(u.last_name.clone().unwrap_or_default()),
        display_name: Some(display_name(u)),
        user_type: i64::from(zoom_type(u)),
        status: status_word(u.status).into(),
        role_id: role_id(a, &u.role),
        dept: u.department.clone().filter(|d| !d.is_empty()),
        group_ids: a
            .groups
            .iter()
            .filter(|g| u.groups.contains(&g.name))
            .map(|g| g.id.clone())
            .collect(),
        custom_attributes: if with_attributes {
            custom_attributes(a, u)
        } else {
            Vec::new()
        },
        pmi: u.id.as_deref().filter(|_| !pending).map(pmi),
        timezone: None,
        verified: Some(i64::from(u.status == SimStatus::Active)),
        language: None,
        created_at: Some(super::zoom_time(if pending { clock } else { created })),
        user_created_at: Some(super::zoom_time(
            u.invited_at.filter(|_| pending).unwrap_or(created),
        )),
    }
}

/// Zoom's `type` of a user. On-prem (3) left Zoom's enum; the simulator still holds such
/// users from old seeds and reports them as 3 (a deviation the conformance seed avoids).
pub fn zoom_type(u: &SimUser) -> u8 {
    u.user_type.zoom_code()
}

/// A user as `GET /users/{userId}` shows it: the listed fields (custom attributes
/// included, and the id even while pending, since it was asked for) plus the profile.
pub fn detail(a: &SimAccount, u: &SimUser, clock: Timestamp) -> UserDetail {
    let mut user = listed(a, u, clock, true);
    user.id = u.id.clone();
    user.pmi = u.id.as_deref().map(pmi);
    let pmi = user.pmi;
    UserDetail {
        user,
        role_name: Some(role_display_name(&u.role)),
        job_title: u.job_title.clone(),
        location: u.location.clone(),
        manager: u.manager.as_ref().map(|m| m.to_string()),
        account_id: Some(a.id.clone()),
        login_types: if u.status == SimStatus::Pending {
            Vec::new()
        } else {
            vec![100]
        },
        use_pmi: Some(false),
        personal_meeting_url: pmi.map(|n| format!("https://zoom.us/j/{n}")),
    }
}
