//! Observing a Zoom account with list calls: `GET /roles` (+ `GET /roles/{id}` per custom
//! role for its privileges), `GET /groups`, `GET /contacts/groups` with their members, and
//! `GET /users` per status, page by page. Fields that `GET /users` does not list (job
//! title, location, manager, add-ons) are reported as unobserved; see
//! `reconcile::observe` for how they are filled.

use super::Ids;
use super::http::Http;
use super::limiter::Label;
use crate::model::progress::{Progress, Silent, Step};
use crate::model::{
    AccountPlan, Addon, Email, Observed, ObservedGroup, ObservedRole, ObservedStatus, ObservedUser,
    RoleName, Seats, UserField, UserSpec, UserType,
};
use crate::provider::ProviderError;
use crate::provider::wire::{
    self, ContactGroupMembers, ContactGroupPage, GroupPage, RoleList, UserDetail, UserPage,
    UserSettings,
};
use std::collections::{BTreeMap, BTreeSet};

/// User fields `GET /users` does not return.
pub const UNLISTED: &[UserField] = &[
    UserField::JobTitle,
    UserField::Location,
    UserField::Manager,
    UserField::Addons,
];

fn role_name(zoom_name: &str) -> String {
    match zoom_name {
        wire::OWNER_ROLE => "owner".into(),
        wire::ADMIN_ROLE => "admin".into(),
        wire::MEMBER_ROLE => "member".into(),
        other => other.to_string(),
    }
}

/// Most pages of one listing (600,000 users at the default page size): a server whose
/// `next_page_token` never ends is refused (issue 17, hostile servers).
const MAX_PAGES: usize = 2_000;

/// Pages through a list endpoint; a token given twice, or more than [`MAX_PAGES`] pages,
/// is an error rather than a loop.
pub(super) async fn pages<T: serde::de::DeserializeOwned>(
    http: &Http,
    path: &str,
    query: &[(&str, String)],
    label: Label,
    next_of: impl Fn(&T) -> String,
    mut each: impl FnMut(T),
    progress: &dyn Progress,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ProviderError> {
    let mut token = String::new();
    let mut first_date = None;
    let mut seen = std::collections::HashSet::new();
    loop {
        if seen.len() >= MAX_PAGES {
            return Err(ProviderError::Transport(format!(
                "GET {path}: Zoom answered more than {MAX_PAGES} pages; the listing never ends, nothing was planned"
            )));
        }
        let mut q: Vec<(&str, String)> = query.to_vec();
        if !token.is_empty() {
            q.push(("next_page_token", token.clone()));
        }
        let (page, date): (T, _) = http.get(path, &q, label).await?;
        first_date = first_date.or(date);
        progress.advance(Step::Refresh, 1);
        token = next_of(&page);
        each(page);
        if token.is_empty() {
            return Ok(first_date);
        }
        if !seen.insert(token.clone()) {
            return Err(ProviderError::Transport(format!(
                "GET {path}: Zoom answered a next_page_token it had already given; the listing never ends, nothing was planned"
            )));
        }
    }
}

/// Observes the account; returns the observation and the ids operations need.
pub async fn refresh(
    http: &Http,
    plan: AccountPlan,
    page_size: u32,
    progress: &dyn Progress,
) -> Result<(Observed, Ids), ProviderError> {
    let mut ids = Ids::default();
    let (roles, _): (RoleList, _) = http.get("/roles", &[], Label::Medium).await?;
    let mut role_by_id = BTreeMap::new();
    let mut observed_roles = BTreeMap::new();
    for r in roles.roles {
        let name = role_name(&r.name);
        if ![wire::OWNER_ROLE, wire::ADMIN_ROLE, wire::MEMBER_ROLE].contains(&r.name.as_str()) {
            let (detail, _): (wire::Role, _) = http
                .get(&format!("/roles/{}", r.id), &[], Label::Light)
                .await?;
            observed_roles.insert(
                name.clone(),
                ObservedRole {
                    id: r.id.clone(),
                    name: name.clone(),
                    description: detail.description,
                    privileges: detail.privileges.unwrap_or_default().into_iter().collect(),
                },
            );
        }
        role_by_id.insert(r.id.clone(), name.clone());
        ids.roles.insert(name, r.id);
    }
    let mut groups = BTreeMap::new();
    let mut group_by_id = BTreeMap::new();
    pages(
        http,
        "/groups",
        &[("page_size", "300".into())],
        Label::Medium,
        |p: &GroupPage| p.next_page_token.clone(),
        |p| {
            for g in p.groups {
                group_by_id.insert(g.id.clone(), g.name.clone());
                ids.groups.insert(g.name.clone(), g.id.clone());
                groups.insert(
                    g.name.clone(),
                    ObservedGroup {
                        id: g.id,
                        name: g.name,
                        description: None,
                    },
                );
            }
        },
        progress,
    )
    .await?;
    let mut chat_groups = BTreeMap::new();
    pages(
        http,
        "/contacts/groups",
        &[("page_size", "50".into())],
        Label::Medium,
        |p: &ContactGroupPage| p.next_page_token.clone(),
        |p| {
            for g in p.groups {
                ids.chat_groups
                    .insert(g.group_name.clone(), g.group_id.clone());
                chat_groups.insert(
                    g.group_name.clone(),
                    ObservedGroup {
                        id: g.group_id,
                        name: g.group_name,
                        description: g.description,
                    },
                );
            }
        },
        progress,
    )
    .await?;
    let mut chat_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, g) in &chat_groups {
        pages(
            http,
            &format!("/contacts/groups/{}/members", g.id),
            &[("page_size", "50".into())],
            Label::Medium,
            |p: &ContactGroupMembers| p.next_page_token.clone(),
            |p| {
                for m in p.group_members.into_iter().filter(|m| m.member_type == 1) {
                    chat_of.entry(m.id).or_default().insert(name.clone());
                }
            },
            progress,
        )
        .await?;
    }
    let mut users = BTreeMap::new();
    let mut observed_at = None;
    for status in ["active", "inactive", "pending"] {
        let q = [
            ("status", status.to_string()),
            ("page_size", page_size.to_string()),
            ("include_fields", "custom_attributes".to_string()),
        ];
        let mut bad = None;
        let mut refused = None;
        let date = pages(
            http,
            "/users",
            &q,
            Label::Medium,
            |p: &UserPage| p.next_page_token.clone(),
            |p| {
                for u in p.users {
                    for a in u.custom_attributes.iter().filter(|a| !a.key.is_empty()) {
                        ids.attribute_keys.insert(a.name.clone(), a.key.clone());
                    }
                    match Email::parse(&u.email) {
                        Ok(email) => {
                            match observed_user(email, u, &role_by_id, &group_by_id, &chat_of) {
                                Ok(o) => {
                                    if let Some(id) = &o.id {
                                        ids.users.insert(o.email.clone(), id.clone());
                                    }
                                    users.insert(o.email.clone(), o);
                                }
                                Err(e) => {
                                    refused.get_or_insert(e);
                                }
                            }
                        }
                        Err(e) => {
                            bad = Some(format!("Zoom listed an invalid email {:?}: {e}", u.email))
                        }
                    }
                }
            },
            progress,
        )
        .await?;
        if let Some(e) = refused {
            return Err(e);
        }
        if let Some(b) = bad {
            tracing::warn!("{b}");
        }
        observed_at = observed_at.or(date);
    }
    for (email, u) in &users {
        if let Some(role) = u.spec.role.as_ref()
            && let Some(id) = ids.roles.get(role.as_str())
        {
            ids.user_role.insert(email.clone(), id.clone());
        }
    }
    let owner = users
        .values()
        .find(|u| u.spec.role == Some(RoleName::Owner))
        .map(|u| u.email.clone())
        .ok_or_else(|| ProviderError::State("Zoom listed no user with the Owner role".into()))?;
    Ok((
        Observed {
            account_id: String::new(),
            // The account's clock is the server's: Zoom's `Date`, or the simulator's.
            observed_at: observed_at.unwrap_or_else(chrono::Utc::now),
            plan,
            // The Server-to-Server token acts as the account owner.
            actor: owner.clone(),
            owner,
            on_prem_enabled: false,
            seats: Seats::default(),
            users,
            groups,
            chat_groups,
            roles: observed_roles,
            expired_invitations: BTreeMap::new(),
            existing_elsewhere: BTreeMap::new(),
            unread_lookups: Default::default(),
            // No API lists organizations or external contacts (zoom-api.md §5, §6).
            organization: Default::default(),
            external_contacts: None,
            personal_contacts: BTreeMap::new(),
            personal_contacts_refused: None,
            // Zoom has no API that reads a user's integration (integrations.md).
            integrations: None,
            calendly: None,
        },
        ids,
    ))
}

fn observed_user(
    email: Email,
    u: wire::ListedUser,
    roles: &BTreeMap<String, String>,
    groups: &BTreeMap<String, String>,
    chat_of: &BTreeMap<String, BTreeSet<String>>,
) -> Result<ObservedUser, ProviderError> {
    let status = match u.status.as_str() {
        "active" => ObservedStatus::Active,
        "inactive" => ObservedStatus::Inactive,
        "pending" => ObservedStatus::Pending,
        other => {
            return Err(ProviderError::State(format!(
                "Zoom lists {email} with status {other:?}, which roster does not know (active, inactive or pending): nothing was planned; report it with the Zoom API version"
            )));
        }
    };
    let group_names: BTreeSet<String> = u
        .group_ids
        .iter()
        .filter_map(|g| groups.get(g).cloned())
        .collect();
    let chat =
        u.id.as_ref()
            .and_then(|id| chat_of.get(id))
            .cloned()
            .unwrap_or_default();
    let attrs: BTreeMap<String, String> = u
        .custom_attributes
        .into_iter()
        .map(|a| (a.name, a.value))
        .collect();
    Ok(ObservedUser {
        email,
        status,
        spec: UserSpec {
            first_name: u.first_name.filter(|s| !s.is_empty()),
            last_name: u.last_name.filter(|s| !s.is_empty()),
            user_type: UserType::from_zoom_code(u.user_type),
            addons: None,
            role: roles.get(&u.role_id).map(|r| RoleName::parse(r)),
            group: group_names.iter().next().cloned(),
            chat_groups: Some(chat),
            department: u.dept.filter(|s| !s.is_empty()),
            manager: None,
            job_title: None,
            location: None,
            custom_attributes: (!attrs.is_empty()).then_some(attrs),
        },
        groups: group_names,
        invited_at: if status == ObservedStatus::Pending {
            u.user_created_at
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&chrono::Utc))
        } else {
            None
        },
        id: u.id,
    })
}

/// Reads the unlisted fields of some users (`GET /users/{id}` and
/// `GET /users/{id}/settings`): used once per user, for fields roster has no record of.
pub async fn details(
    http: &Http,
    ids: &Ids,
    emails: &[Email],
) -> Result<BTreeMap<Email, UserSpec>, ProviderError> {
    let mut out = BTreeMap::new();
    for e in emails {
        let key = ids.users.get(e).cloned().unwrap_or_else(|| e.to_string());
        let (d, _): (UserDetail, _) = http
            .get(&format!("/users/{key}"), &[], Label::Light)
            .await?;
        let (s, _): (UserSettings, _) = http
            .get(&format!("/users/{key}/settings"), &[], Label::Medium)
            .await?;
        let mut addons = BTreeSet::new();
        if s.feature.large_meeting == Some(true) {
            addons.insert(Addon::LargeMeeting);
        }
        if s.feature.webinar == Some(true) {
            addons.insert(Addon::Webinar);
        }
        out.insert(
            e.clone(),
            UserSpec {
                job_title: d.job_title.filter(|s| !s.is_empty()),
                location: d.location.filter(|s| !s.is_empty()),
                manager: d.manager.and_then(|m| Email::parse(&m).ok()),
                addons: Some(addons),
                ..UserSpec::default()
            },
        );
    }
    Ok(out)
}

/// Page size of the personal-contact list (the simulator's maximum; Zoom's is unknown).
const PERSONAL_PAGE: usize = 300;

/// Every contact of `user_id`'s personal group `group`, following `next_page_token`
/// (K5, K6). The endpoint is in no published spec (docs/zoom-provider.md).
pub(super) async fn personal_group(
    http: &Http,
    user_id: &str,
    group: &str,
) -> Result<Vec<crate::model::StoredContact>, ProviderError> {
    let q = [
        ("group_name", group.to_string()),
        ("page_size", PERSONAL_PAGE.to_string()),
    ];
    let mut out = Vec::new();
    pages(
        http,
        &format!("/contacts/user/{user_id}/personal"),
        &q,
        Label::Medium,
        |p: &crate::provider::wire::PersonalContactList| p.next_page_token.clone(),
        |p| {
            out.extend(
                p.contacts
                    .into_iter()
                    .filter(|c| c.group_name == group)
                    .map(|c| crate::model::StoredContact {
                        id: c.id.clone().unwrap_or_default(),
                        contact: c.to_contact(),
                    }),
            )
        },
        &Silent,
    )
    .await?;
    Ok(out)
}
