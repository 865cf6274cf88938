//! What a refresh sees of one simulated account, and how many Zoom list calls the same
//! observation costs on the real API (so plans report comparable call counts).

use super::cloud::{Cloud, SimStatus, SimUser};
use crate::model::{
    Email, Observed, ObservedGroup, ObservedRole, ObservedStatus, ObservedUser, UserSpec,
};
use crate::provider::ProviderError;

/// Zoom's list page size roster uses (zoom-api.md: default 300).
pub const PAGE_SIZE: usize = 300;

/// Observes `account` as `actor` sees it; returns the observation and the number of
/// list calls Zoom would need: `GET /users` per status and page, `GET /groups`,
/// chat groups, `GET /roles`, one `GET /roles/{id}` per custom role for its privileges,
/// and the account's plan and seats.
pub fn observe(
    cloud: &Cloud,
    account: &str,
    actor: &Email,
) -> Result<(Observed, u64), ProviderError> {
    let a = cloud
        .accounts
        .iter()
        .find(|a| a.id == account)
        .ok_or_else(|| ProviderError::Config(format!("the simulator has no account {account}")))?;
    let mut per_status = [0usize; 3];
    let users = a
        .users
        .iter()
        .map(|u| {
            per_status[match u.status {
                SimStatus::Active => 0,
                SimStatus::Inactive => 1,
                SimStatus::Pending => 2,
            }] += 1;
            (u.email.clone(), observed_user(u))
        })
        .collect();
    let pages: u64 = per_status
        .iter()
        .map(|n| n.div_ceil(PAGE_SIZE).max(1) as u64)
        .sum();
    let calls = pages + 1 + 1 + 1 + a.roles.len() as u64 + 1;
    let group = |g: &super::cloud::SimGroup| {
        (
            g.name.clone(),
            ObservedGroup {
                id: g.id.clone(),
                name: g.name.clone(),
                description: g.description.clone(),
            },
        )
    };
    Ok((
        Observed {
            account_id: a.id.clone(),
            observed_at: cloud.clock,
            plan: a.plan,
            owner: a.owner.clone(),
            actor: actor.clone(),
            on_prem_enabled: a.on_prem,
            seats: a.seats,
            users,
            groups: a.groups.iter().map(group).collect(),
            chat_groups: a.chat_groups.iter().map(group).collect(),
            roles: a
                .roles
                .iter()
                .map(|r| {
                    (
                        r.name.clone(),
                        ObservedRole {
                            id: r.id.clone(),
                            name: r.name.clone(),
                            description: r.description.clone(),
                            privileges: r.privileges.clone(),
                        },
                    )
                })
                .collect(),
            expired_invitations: a
                .expired_invitations
                .iter()
                .map(|(e, sent)| (e.clone(), Some(*sent)))
                .collect(),
            existing_elsewhere: Default::default(),
            unread_lookups: Default::default(),
            organization: super::contacts::observe_organization(cloud, a),
            external_contacts: Some(super::contacts::observe_external(a)),
            personal_contacts: super::contacts::observe_personal(a),
            personal_contacts_refused: None,
            integrations: Some(super::contacts::integration::observe_integrations(a)),
            calendly: super::contacts::calendly::observe(a),
        },
        calls,
    ))
}

fn observed_user(u: &SimUser) -> ObservedUser {
    ObservedUser {
        email: u.email.clone(),
        id: u.id.clone(),
        status: match u.status {
            SimStatus::Active => ObservedStatus::Active,
            SimStatus::Inactive => ObservedStatus::Inactive,
            SimStatus::Pending => ObservedStatus::Pending,
        },
        spec: UserSpec {
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            user_type: Some(u.user_type),
            addons: Some(u.addons.clone()),
            role: Some(u.role.clone()),
            group: u.groups.iter().next().cloned(),
            chat_groups: Some(u.chat_groups.clone()),
            department: u.department.clone(),
            manager: u.manager.clone(),
            job_title: u.job_title.clone(),
            location: u.location.clone(),
            custom_attributes: if u.custom_attributes.is_empty() {
                None
            } else {
                Some(u.custom_attributes.clone())
            },
        },
        groups: u.groups.clone(),
        invited_at: u.invited_at,
    }
}
