//! `/groups…` (user groups) and `/contacts/groups…` (contact groups: roster's chat groups,
//! the successor of the retired IM groups).

use super::users::find;
use super::{AccountId, ApiError, ApiResult, Shared, account_of, no_account, page_size};
use crate::model::Op;
use crate::provider::sim::cloud::{Cloud, SimAccount, SimGroup};
use crate::provider::wire::{
    ContactGroup, ContactGroupMember, ContactGroupMembers, ContactGroupPage, Group, GroupPage,
    Members, NewContactGroup, NewGroup,
};
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use std::collections::{BTreeSet, HashMap};

/// Zoom takes at most 30 members per group or role call.
pub const MAX_MEMBERS: usize = 30;
/// Contact groups take at most 50 users per call.
const MAX_CONTACT_MEMBERS: usize = 50;

fn account(cloud: &Cloud, id: &str) -> ApiResult<usize> {
    cloud.account_index(id).ok_or_else(|| no_account(id))
}

fn group_by_id<'a>(groups: &'a [SimGroup], id: &str) -> ApiResult<&'a SimGroup> {
    groups
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| ApiError(404, 4130, format!("A group with this {id} does not exist.")))
}

fn members_of(a: &SimAccount, name: &str, chat: bool) -> Vec<ContactGroupMember> {
    a.users
        .iter()
        .filter(|u| {
            if chat {
                u.chat_groups.contains(name)
            } else {
                u.groups.contains(name)
            }
        })
        .filter_map(|u| {
            u.id.clone().map(|id| ContactGroupMember {
                member_type: 1,
                id,
                name: u.first_name.clone(),
            })
        })
        .collect()
}

/// `GET /groups`.
pub async fn list(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<GroupPage>> {
    let size = page_size(q.get("page_size"), 30, 300)?;
    let all: Vec<Group> = state.read(|c| {
        let a = &c.accounts[account(c, &acc)?];
        Ok::<_, ApiError>(
            a.groups
                .iter()
                .map(|g| Group {
                    id: g.id.clone(),
                    name: g.name.clone(),
                    total_members: members_of(a, &g.name, false).len() as u32,
                })
                .collect(),
        )
    })?;
    let (groups, next) = state.page(
        format!("groups:{acc}:{size}"),
        &all,
        size,
        q.get("next_page_token").map(String::as_str),
    )?;
    Ok(Json(GroupPage {
        groups,
        total_records: all.len() as u32,
        next_page_token: next,
    }))
}

/// `POST /groups {name}` → 201.
pub async fn create(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Json(body): Json<NewGroup>,
) -> ApiResult<(StatusCode, Json<Group>)> {
    state.run_ops(
        &acc,
        &[Op::CreateGroup {
            name: body.name.clone(),
            description: None,
        }],
    )?;
    let id = state.read(|c| {
        Ok::<_, ApiError>(
            account_of(c, &acc)?
                .groups
                .iter()
                .find(|g| g.name == body.name)
                .map(|g| g.id.clone())
                .unwrap_or_default(),
        )
    })?;
    Ok((
        StatusCode::CREATED,
        Json(Group {
            id,
            name: body.name,
            total_members: 0,
        }),
    ))
}

fn group_name(state: &Shared, acc: &str, id: &str, chat: bool) -> ApiResult<String> {
    state.read(|c| {
        let a = &c.accounts[account(c, acc)?];
        group_by_id(if chat { &a.chat_groups } else { &a.groups }, id).map(|g| g.name.clone())
    })
}

/// `DELETE /groups/{groupId}`.
pub async fn remove(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let name = group_name(&state, &acc, &id, false)?;
    state.run_ops(&acc, &[Op::DeleteGroup { name }])?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /groups/{groupId}/members`.
pub async fn members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let name = group_name(&state, &acc, &id, false)?;
    let members: Vec<serde_json::Value> = state.read(|c| {
        let a = account_of(c, &acc)?;
        Ok::<_, ApiError>(a.users.iter().filter(|u| u.groups.contains(&name)).map(|u| serde_json::json!({"id": u.id, "email": u.email.as_str(), "first_name": u.first_name, "last_name": u.last_name, "type": u.user_type.zoom_code()})).collect())
    })?;
    Ok(Json(
        serde_json::json!({"members": members, "total_records": members.len(), "next_page_token": ""}),
    ))
}

fn emails_of(
    state: &Shared,
    acc: &str,
    refs: &[crate::provider::wire::MemberRef],
) -> ApiResult<Vec<crate::model::Email>> {
    state.read(|c| {
        refs.iter()
            .map(|m| {
                let key = m.id.as_deref().or(m.email.as_deref()).unwrap_or_default();
                find(c, acc, key).map(|u| u.email.clone())
            })
            .collect()
    })
}

/// `POST /groups/{groupId}/members {members}` (at most 30) → 201 `{ids, added_at}`.
pub async fn add_members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Json(body): Json<Members>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    if body.members.len() > MAX_MEMBERS {
        return Err(ApiError(
            400,
            300,
            format!("At most {MAX_MEMBERS} members per request."),
        ));
    }
    let name = group_name(&state, &acc, &id, false)?;
    let emails = emails_of(&state, &acc, &body.members)?;
    let ops: Vec<Op> = emails
        .iter()
        .map(|e| Op::SetGroup {
            email: e.clone(),
            group: Some(name.clone()),
            remove_from: BTreeSet::new(),
        })
        .collect();
    state.run_ops(&acc, &ops)?;
    let clock = state.read(|c| c.clock);
    Ok((
        StatusCode::CREATED,
        Json(
            serde_json::json!({"ids": body.members.iter().filter_map(|m| m.id.clone()).collect::<Vec<_>>().join(","), "added_at": clock.to_rfc3339()}),
        ),
    ))
}

/// `DELETE /groups/{groupId}/members/{memberId}`.
pub async fn remove_member(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path((id, member)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let name = group_name(&state, &acc, &id, false)?;
    let email = state
        .read(|c| find(c, &acc, &member).map(|u| (u.email.clone(), u.groups.contains(&name))))?;
    if !email.1 {
        return Err(ApiError(
            404,
            4131,
            format!("Group member does not exist: {member}."),
        ));
    }
    state.run_ops(
        &acc,
        &[Op::SetGroup {
            email: email.0,
            group: None,
            remove_from: BTreeSet::from([name]),
        }],
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /contacts/groups` (at most 50 per page).
pub async fn chat_list(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ContactGroupPage>> {
    let size = page_size(q.get("page_size"), 10, 50)?;
    let all: Vec<ContactGroup> = state.read(|c| {
        let a = &c.accounts[account(c, &acc)?];
        Ok::<_, ApiError>(
            a.chat_groups
                .iter()
                .map(|g| ContactGroup {
                    group_id: g.id.clone(),
                    group_name: g.name.clone(),
                    group_privacy: 1,
                    description: g.description.clone(),
                })
                .collect(),
        )
    })?;
    let (groups, next) = state.page(
        format!("contact-groups:{acc}:{size}"),
        &all,
        size,
        q.get("next_page_token").map(String::as_str),
    )?;
    Ok(Json(ContactGroupPage {
        groups,
        next_page_token: next,
    }))
}

/// `POST /contacts/groups` → 201.
pub async fn chat_create(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Json(body): Json<NewContactGroup>,
) -> ApiResult<(StatusCode, Json<ContactGroup>)> {
    state.run_ops(
        &acc,
        &[Op::CreateChatGroup {
            name: body.group_name.clone(),
            description: body.description.clone(),
        }],
    )?;
    let id = state.read(|c| {
        Ok::<_, ApiError>(
            account_of(c, &acc)?
                .chat_groups
                .iter()
                .find(|g| g.name == body.group_name)
                .map(|g| g.id.clone())
                .unwrap_or_default(),
        )
    })?;
    Ok((
        StatusCode::CREATED,
        Json(ContactGroup {
            group_id: id,
            group_name: body.group_name,
            group_privacy: body.group_privacy,
            description: body.description,
        }),
    ))
}

/// `DELETE /contacts/groups/{groupId}` (a missing group is 400/300 there, not 404).
pub async fn chat_remove(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let name = group_name(&state, &acc, &id, true)
        .map_err(|_| ApiError(400, 300, format!("Contact group does not exist: {id}.")))?;
    state.run_ops(&acc, &[Op::DeleteChatGroup { name }])?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /contacts/groups/{groupId}/members` (at most 50 per page).
pub async fn chat_members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ContactGroupMembers>> {
    let size = page_size(q.get("page_size"), 10, 50)?;
    let name = group_name(&state, &acc, &id, true)
        .map_err(|_| ApiError(400, 300, format!("Contact group does not exist: {id}.")))?;
    let all = state.read(|c| account_of(c, &acc).map(|a| members_of(a, &name, true)))?;
    let (group_members, next) = state.page(
        format!("contact-members:{acc}:{id}:{size}"),
        &all,
        size,
        q.get("next_page_token").map(String::as_str),
    )?;
    Ok(Json(ContactGroupMembers {
        group_members,
        next_page_token: next,
    }))
}

/// `POST /contacts/groups/{groupId}/members` (users only, at most 50).
pub async fn chat_add(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Json(body): Json<ContactGroupMembers>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    if body.group_members.len() > MAX_CONTACT_MEMBERS {
        return Err(ApiError(
            400,
            300,
            format!("At most {MAX_CONTACT_MEMBERS} users per request."),
        ));
    }
    let name = group_name(&state, &acc, &id, true)
        .map_err(|_| ApiError(400, 300, format!("Contact group does not exist: {id}.")))?;
    let emails = state.read(|c| {
        body.group_members
            .iter()
            .map(|m| find(c, &acc, &m.id).map(|u| u.email.clone()))
            .collect::<ApiResult<Vec<_>>>()
    })?;
    let ops: Vec<Op> = emails
        .iter()
        .map(|e| Op::AddChatGroup {
            email: e.clone(),
            group: name.clone(),
        })
        .collect();
    state.run_ops(&acc, &ops)?;
    Ok((
        StatusCode::CREATED,
        Json(
            serde_json::json!({"member_ids": body.group_members.iter().map(|m| m.id.clone()).collect::<Vec<_>>()}),
        ),
    ))
}

/// `DELETE /contacts/groups/{groupId}/members?member_ids=a,b` (at most 20).
pub async fn chat_remove_members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<StatusCode> {
    let name = group_name(&state, &acc, &id, true)
        .map_err(|_| ApiError(400, 300, format!("Contact group does not exist: {id}.")))?;
    let ids: Vec<String> = q
        .get("member_ids")
        .map(|s| {
            s.split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > 20 {
        return Err(ApiError(400, 300, "member_ids takes 1 to 20 ids.".into()));
    }
    let emails = state.read(|c| {
        ids.iter()
            .map(|m| find(c, &acc, m).map(|u| u.email.clone()))
            .collect::<ApiResult<Vec<_>>>()
    })?;
    let ops: Vec<Op> = emails
        .iter()
        .map(|e| Op::RemoveChatGroup {
            email: e.clone(),
            group: name.clone(),
        })
        .collect();
    state.run_ops(&acc, &ops)?;
    Ok(StatusCode::NO_CONTENT)
}
