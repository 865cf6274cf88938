//! `/contacts/groups…`: contact groups (roster's chat groups, the successor of the retired
//! IM groups) and their members. A missing group is 400/300 here, not 404, and a group
//! keeps at least one member, as users-api.json documents.

use super::extract::{Body, Params};
use super::paging::Listing;
use super::users::find;
use super::{AccountId, ApiError, ApiResult, Routes, Shared};
use crate::model::Email;
use crate::model::{ObjectRef, Op};
use crate::provider::sim::cloud::{Cloud, SimAccount, SimGroup};
use crate::provider::wire::{
    ContactGroup, ContactGroupMember, ContactGroupMembers, ContactGroupMembersAdded,
    ContactGroupPage, ContactGroupUpdate, NewContactGroup, NewContactGroupMembers,
};
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::routing::get;

/// At most this many users per call.
const MAX_USERS: usize = 50;
/// At most this many member ids per removal.
const MAX_REMOVALS: usize = 20;

/// The routes of this module.
pub fn routes() -> Routes {
    Routes::new()
        .route("/v2/contacts/groups", get(list).post(create))
        .route(
            "/v2/contacts/groups/{group_id}",
            get(detail).patch(update).delete(remove),
        )
        .route(
            "/v2/contacts/groups/{group_id}/members",
            get(members).post(add_members).delete(remove_members),
        )
}

fn no_group(id: &str) -> ApiError {
    ApiError(
        400,
        300,
        format!("A group with this groupId: {id} does not exist."),
    )
}

fn by_id<'a>(a: &'a SimAccount, id: &str) -> ApiResult<&'a SimGroup> {
    a.chat_groups
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| no_group(id))
}

fn total(a: &SimAccount, name: &str) -> u32 {
    a.users
        .iter()
        .filter(|u| u.chat_groups.contains(name))
        .count() as u32
}

fn object(a: &SimAccount, g: &SimGroup, with_total: bool) -> ContactGroup {
    ContactGroup {
        group_id: g.id.clone(),
        group_name: g.name.clone(),
        total_members: with_total.then(|| total(a, &g.name)),
        group_privacy: g.privacy.unwrap_or(1),
        description: g.description.clone(),
    }
}

fn privacy(p: Option<i64>) -> ApiResult<Option<i64>> {
    match p {
        None | Some(1..=3) => Ok(p),
        Some(other) => Err(ApiError(
            400,
            300,
            format!("Invalid field: privacy {other} (1, 2 or 3)."),
        )),
    }
}

/// The users that `members` name (type 1); user groups (type 2) are not simulated.
fn users_of(
    cloud: &Cloud,
    acc: &str,
    members: &[ContactGroupMember],
) -> ApiResult<Vec<(Email, String)>> {
    if members.iter().filter(|m| m.member_type == 1).count() > MAX_USERS {
        return Err(ApiError(
            400,
            300,
            format!("The maximum number of user member per request is {MAX_USERS}."),
        ));
    }
    if let Some(m) = members.iter().find(|m| m.member_type != 1) {
        return Err(ApiError(
            400,
            300,
            format!(
                "Member {} of type {}: the simulator's contact groups hold users (type 1) only.",
                m.id, m.member_type
            ),
        ));
    }
    Ok(members
        .iter()
        .filter_map(|m| find(cloud, acc, &m.id).ok())
        .map(|u| {
            (
                u.email.clone(),
                u.id.clone().unwrap_or_else(|| u.email.to_string()),
            )
        })
        .collect())
}

/// `GET /contacts/groups` (at most 50 per page, 10 by default).
pub async fn list(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    q: Params,
) -> ApiResult<Json<ContactGroupPage>> {
    let listing = Listing {
        name: format!("contact-groups:{acc}"),
        default_size: 10,
        max_size: 50,
    };
    let start = state.pager.open(&listing, &q)?;
    state.read_account(&acc, |_, a| {
        let slice = state.pager.page(&listing, start, || {
            a.chat_groups.iter().map(|g| g.id.clone()).collect()
        });
        let groups = slice
            .keys
            .iter()
            .filter_map(|k| a.chat_groups.iter().find(|g| &g.id == k))
            .map(|g| object(a, g, false))
            .collect();
        Ok(Json(ContactGroupPage {
            groups,
            next_page_token: slice.next_page_token,
            page_size: slice.page_size,
        }))
    })
}

/// `POST /contacts/groups` with its first members → 201.
pub async fn create(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Body(body): Body<NewContactGroup>,
) -> ApiResult<(StatusCode, Json<ContactGroup>)> {
    if body.group_name.trim().is_empty() {
        return Err(ApiError(
            400,
            300,
            "Invalid field: group_name is required.".into(),
        ));
    }
    privacy(Some(body.group_privacy))?;
    if state.read_account(&acc, |_, a| {
        Ok(a.chat_groups.iter().any(|g| g.name == body.group_name))
    })? {
        return Err(ApiError(
            400,
            300,
            format!("A contact group named {} already exists.", body.group_name),
        ));
    }
    let users = state.read(|c| users_of(c, &acc, &body.group_members))?;
    let create = Op::CreateChatGroup {
        name: body.group_name.clone(),
        description: body.description.clone(),
    };
    let group = state.transact(&acc, std::slice::from_ref(&create), |cloud, actor| {
        let name = body.group_name.clone();
        cloud.execute(&acc, actor, &create)?;
        for (email, _) in &users {
            cloud.execute(
                &acc,
                actor,
                &Op::AddChatGroup {
                    email: email.clone(),
                    group: name.clone(),
                },
            )?;
        }
        let ai = cloud
            .account_index(&acc)
            .ok_or_else(|| super::no_account(&acc))?;
        let a = &mut cloud.accounts[ai];
        let g = a
            .chat_groups
            .iter_mut()
            .find(|g| g.name == name)
            .ok_or_else(|| ApiError(500, 500, "created group vanished".into()))?;
        g.privacy = (body.group_privacy != 1).then_some(body.group_privacy);
        let g = g.clone();
        Ok(object(&cloud.accounts[ai], &g, true))
    })?;
    Ok((StatusCode::CREATED, Json(group)))
}

/// `GET /contacts/groups/{groupId}`.
pub async fn detail(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<Json<ContactGroup>> {
    state.read_account(&acc, |_, a| by_id(a, &id).map(|g| Json(object(a, g, true))))
}

fn name_of(state: &Shared, acc: &str, id: &str) -> ApiResult<String> {
    state.read_account(acc, |_, a| by_id(a, id).map(|g| g.name.clone()))
}

/// `PATCH /contacts/groups/{groupId} {name, privacy, description}` → 204.
pub async fn update(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Body(body): Body<ContactGroupUpdate>,
) -> ApiResult<StatusCode> {
    privacy(body.privacy)?;
    let from = name_of(&state, &acc, &id)?;
    state.transact(&acc, &[], |cloud, _| {
        let ai = cloud
            .account_index(&acc)
            .ok_or_else(|| super::no_account(&acc))?;
        let a = &mut cloud.accounts[ai];
        if let Some(n) = body.name.as_ref().filter(|n| **n != from) {
            if n.trim().is_empty() || a.chat_groups.iter().any(|g| &g.name == n) {
                return Err(ApiError(
                    400,
                    300,
                    format!("Invalid field: name {n:?} is empty or in use."),
                ));
            }
            for u in a.users.iter_mut() {
                if u.chat_groups.remove(&from) {
                    u.chat_groups.insert(n.clone());
                }
            }
        }
        for g in a.chat_groups.iter_mut().filter(|g| g.id == id) {
            if let Some(n) = &body.name {
                g.name = n.clone();
            }
            if let Some(p) = body.privacy {
                g.privacy = (p != 1).then_some(p);
            }
            if let Some(d) = &body.description {
                g.description = (!d.is_empty()).then(|| d.clone());
            }
        }
        let detail = serde_json::to_string(&body).ok();
        cloud.record(
            &acc,
            "zoom-api",
            "update_chat_group",
            Some(ObjectRef::ChatGroup(from.clone())),
            detail,
        );
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /contacts/groups/{groupId}` → 204.
pub async fn remove(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let name = name_of(&state, &acc, &id)?;
    state.run_ops(&acc, &[Op::DeleteChatGroup { name }])?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /contacts/groups/{groupId}/members` (at most 50 per page, 10 by default).
pub async fn members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<Json<ContactGroupMembers>> {
    let listing = Listing {
        name: format!("contact-group-members:{acc}:{id}"),
        default_size: 10,
        max_size: 50,
    };
    let start = state.pager.open(&listing, &q)?;
    state.read_account(&acc, |_, a| {
        let name = by_id(a, &id)?.name.clone();
        let holders = || {
            a.users
                .iter()
                .filter(|u| u.chat_groups.contains(&name) && u.id.is_some())
        };
        let slice = state.pager.page(&listing, start, || {
            holders().map(|u| u.email.to_string()).collect()
        });
        let group_members = slice
            .keys
            .iter()
            .filter_map(|k| holders().find(|u| u.email.as_str() == k))
            .filter_map(|u| {
                u.id.clone().map(|id| ContactGroupMember {
                    member_type: 1,
                    id,
                    name: Some(super::view::display_name(u)),
                })
            })
            .collect();
        Ok(Json(ContactGroupMembers {
            group_members,
            next_page_token: slice.next_page_token,
            page_size: slice.page_size,
        }))
    })
}

/// `POST /contacts/groups/{groupId}/members` (at most 50 users) → 201 `{member_ids}`: the
/// ids added; ids that are no user of the account are skipped.
pub async fn add_members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Body(body): Body<NewContactGroupMembers>,
) -> ApiResult<(StatusCode, Json<ContactGroupMembersAdded>)> {
    let name = name_of(&state, &acc, &id)?;
    let users = state.read(|c| users_of(c, &acc, &body.group_members))?;
    if users.is_empty() {
        return Err(ApiError(
            400,
            300,
            "Validation Failed: none of the members is a user of this account.".into(),
        ));
    }
    let ops: Vec<Op> = users
        .iter()
        .map(|(e, _)| Op::AddChatGroup {
            email: e.clone(),
            group: name.clone(),
        })
        .collect();
    state.run_ops(&acc, &ops)?;
    Ok((
        StatusCode::CREATED,
        Json(ContactGroupMembersAdded {
            member_ids: users.into_iter().map(|(_, id)| id).collect(),
        }),
    ))
}

/// `DELETE /contacts/groups/{groupId}/members?member_ids=a,b` (at most 20) → 204; 400/300
/// for an id that is no member, or when no member would be left.
pub async fn remove_members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<StatusCode> {
    let name = name_of(&state, &acc, &id)?;
    let mut ids: Vec<String> = q
        .get("member_ids")
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_REMOVALS {
        return Err(ApiError(
            400,
            300,
            format!(
                "The maximum number of memberId is {MAX_REMOVALS} (and at least one is needed)."
            ),
        ));
    }
    let emails = state.read(|c| {
        ids.iter()
            .map(|m| {
                find(c, &acc, m)
                    .ok()
                    .filter(|u| u.chat_groups.contains(&name))
                    .map(|u| u.email.clone())
                    .ok_or_else(|| {
                        ApiError(
                            400,
                            300,
                            format!("A member with this memberId: {m} does not exist."),
                        )
                    })
            })
            .collect::<ApiResult<Vec<_>>>()
    })?;
    let left = state.read_account(&acc, |_, a| Ok(total(a, &name)))? as usize;
    if emails.len() >= left {
        return Err(ApiError(
            400,
            300,
            "A group must have at least one member.".into(),
        ));
    }
    let ops: Vec<Op> = emails
        .into_iter()
        .map(|e| Op::RemoveChatGroup {
            email: e,
            group: name.clone(),
        })
        .collect();
    state.run_ops(&acc, &ops)?;
    Ok(StatusCode::NO_CONTENT)
}
