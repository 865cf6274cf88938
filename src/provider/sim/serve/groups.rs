//! `/groups…`: user groups, their members (30 per call) and administrators (10 per call).

use super::extract::{Body, Params};
use super::paging::Listing;
use super::users::find;
use super::{AccountId, ApiError, ApiResult, Routes, Shared};
use crate::model::{Email, ObjectRef, Op};
use crate::provider::sim::cloud::{Cloud, SimAccount, SimGroup};
use crate::provider::wire::{
    Admins, Group, GroupAdmin, GroupAdminPage, GroupMember, GroupMemberAction, GroupMemberPage,
    GroupMembersAdded, GroupPage, MemberRef, Members, NewGroup,
};
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use std::collections::BTreeSet;

/// Zoom takes at most 30 members per group or role call.
pub const MAX_MEMBERS: usize = 30;
/// …and at most 10 group administrators per call.
const MAX_ADMINS: usize = 10;

/// The routes of this module.
pub fn routes() -> Routes {
    Routes::new()
        .route("/v2/groups", get(list).post(create))
        .route(
            "/v2/groups/{group_id}",
            get(detail).patch(rename).delete(remove),
        )
        .route(
            "/v2/groups/{group_id}/members",
            get(members).post(add_members),
        )
        .route(
            "/v2/groups/{group_id}/members/{member_id}",
            delete(remove_member).patch(update_member),
        )
        .route("/v2/groups/{group_id}/admins", get(admins).post(add_admins))
        .route(
            "/v2/groups/{group_id}/admins/{user_id}",
            delete(remove_admin),
        )
}

fn no_group(id: &str) -> ApiError {
    ApiError(404, 4130, format!("A group with this {id} does not exist."))
}

fn group_by_id<'a>(a: &'a SimAccount, id: &str) -> ApiResult<&'a SimGroup> {
    a.groups
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| no_group(id))
}

fn total(a: &SimAccount, name: &str) -> u32 {
    a.users.iter().filter(|u| u.groups.contains(name)).count() as u32
}

fn group_object(a: &SimAccount, g: &SimGroup) -> Group {
    Group {
        id: g.id.clone(),
        name: g.name.clone(),
        total_members: total(a, &g.name),
    }
}

/// The users of `acc` that `refs` name (by id, else email), with the id Zoom answers for
/// each (the email when the user has none); names that are no user are left out.
pub fn resolve_members(cloud: &Cloud, acc: &str, refs: &[MemberRef]) -> Vec<(Email, String)> {
    let mut seen = BTreeSet::new();
    refs.iter()
        .filter_map(|m| {
            let key =
                m.id.as_deref()
                    .filter(|s| !s.is_empty())
                    .or(m.email.as_deref())?;
            find(cloud, acc, key).ok()
        })
        .filter(|u| seen.insert(u.email.clone()))
        .map(|u| {
            (
                u.email.clone(),
                u.id.clone().unwrap_or_else(|| u.email.to_string()),
            )
        })
        .collect()
}

/// `GET /groups` (at most 300 per page).
pub async fn list(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    q: Params,
) -> ApiResult<Json<GroupPage>> {
    let listing = Listing {
        name: format!("groups:{acc}"),
        default_size: 30,
        max_size: 300,
    };
    let start = state.pager.open(&listing, &q)?;
    state.read_account(&acc, |_, a| {
        let slice = state.pager.page(&listing, start, || {
            a.groups.iter().map(|g| g.id.clone()).collect()
        });
        let groups = slice
            .keys
            .iter()
            .filter_map(|k| a.groups.iter().find(|g| &g.id == k))
            .map(|g| group_object(a, g))
            .collect();
        Ok(Json(GroupPage {
            groups,
            total_records: slice.total_records,
            next_page_token: slice.next_page_token,
        }))
    })
}

fn valid_name(name: &str) -> ApiResult<()> {
    if name.trim().is_empty() || name.chars().count() >= 128 {
        return Err(ApiError(
            400,
            300,
            format!("Invalid parameter: name {name:?} (1 to 127 characters)."),
        ));
    }
    Ok(())
}

/// `POST /groups {name}` → 201 `{id, name, total_members}`.
pub async fn create(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Body(body): Body<NewGroup>,
) -> ApiResult<(StatusCode, Json<Group>)> {
    valid_name(&body.name)?;
    state.run_ops(
        &acc,
        &[Op::CreateGroup {
            name: body.name.clone(),
            description: None,
        }],
    )?;
    let group = state.read_account(&acc, |_, a| {
        a.groups
            .iter()
            .find(|g| g.name == body.name)
            .map(|g| group_object(a, g))
            .ok_or_else(|| ApiError(500, 500, "created group vanished".into()))
    })?;
    Ok((StatusCode::CREATED, Json(group)))
}

/// `GET /groups/{groupId}`.
pub async fn detail(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<Json<Group>> {
    state.read_account(&acc, |_, a| {
        group_by_id(a, &id).map(|g| Json(group_object(a, g)))
    })
}

fn group_name(state: &Shared, acc: &str, id: &str) -> ApiResult<String> {
    state.read_account(acc, |_, a| group_by_id(a, id).map(|g| g.name.clone()))
}

/// `PATCH /groups/{groupId} {name}` → 204; 409/4132 when the name is taken.
pub async fn rename(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Body(body): Body<NewGroup>,
) -> ApiResult<StatusCode> {
    valid_name(&body.name)?;
    let from = group_name(&state, &acc, &id)?;
    if from == body.name {
        return Ok(StatusCode::NO_CONTENT);
    }
    state.transact(&acc, &[], |cloud, _| {
        let ai = cloud
            .account_index(&acc)
            .ok_or_else(|| super::no_account(&acc))?;
        let a = &mut cloud.accounts[ai];
        if a.groups.iter().any(|g| g.name == body.name) {
            return Err(ApiError(
                409,
                4132,
                format!("Group name {} is already in use.", body.name),
            ));
        }
        for g in a.groups.iter_mut().filter(|g| g.id == id) {
            g.name = body.name.clone();
        }
        for u in a.users.iter_mut() {
            if u.groups.remove(&from) {
                u.groups.insert(body.name.clone());
            }
        }
        cloud.record(
            &acc,
            "zoom-api",
            "rename_group",
            Some(ObjectRef::Group(from.clone())),
            Some(body.name.clone()),
        );
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /groups/{groupId}` → 204.
pub async fn remove(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let name = group_name(&state, &acc, &id)?;
    state.run_ops(&acc, &[Op::DeleteGroup { name }])?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /groups/{groupId}/members` (at most 2000 per page, `page_number` too).
pub async fn members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<Json<GroupMemberPage>> {
    let listing = Listing {
        name: format!("group-members:{acc}:{id}"),
        default_size: 30,
        max_size: 2000,
    };
    let start = state.pager.open(&listing, &q)?;
    state.read_account(&acc, |_, a| {
        let name = group_by_id(a, &id)?.name.clone();
        let holders = || a.users.iter().filter(|u| u.groups.contains(&name));
        let slice = state.pager.page(&listing, start, || {
            holders().map(|u| u.email.to_string()).collect()
        });
        let members = slice
            .keys
            .iter()
            .filter_map(|k| holders().find(|u| u.email.as_str() == k))
            .map(|u| GroupMember {
                id: u.id.clone(),
                email: u.email.to_string(),
                first_name: Some(u.first_name.clone().unwrap_or_default()),
                last_name: Some(u.last_name.clone().unwrap_or_default()),
                user_type: i64::from(u.user_type.zoom_code()),
            })
            .collect();
        Ok(Json(GroupMemberPage {
            members,
            next_page_token: slice.next_page_token,
            page_count: slice.page_count,
            page_number: slice.page_number,
            page_size: slice.page_size,
            total_records: slice.total_records,
        }))
    })
}

/// `POST /groups/{groupId}/members {members}` (at most 30) → 201 `{ids, added_at}`: the
/// ids of the users added, members given by email included; members that are no user of
/// the account are skipped.
pub async fn add_members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Body(body): Body<Members>,
) -> ApiResult<(StatusCode, Json<GroupMembersAdded>)> {
    if body.members.len() > MAX_MEMBERS {
        return Err(ApiError(
            400,
            300,
            format!("At most {MAX_MEMBERS} members per request."),
        ));
    }
    let name = group_name(&state, &acc, &id)?;
    let found = state.read(|c| resolve_members(c, &acc, &body.members));
    if found.is_empty() {
        return Err(ApiError(
            400,
            300,
            "Validation Failed: none of the members is a user of this account.".into(),
        ));
    }
    let ops: Vec<Op> = found
        .iter()
        .map(|(email, _)| Op::SetGroup {
            email: email.clone(),
            group: Some(name.clone()),
            remove_from: BTreeSet::new(),
        })
        .collect();
    state.run_ops(&acc, &ops)?;
    let clock = state.read(|c| c.clock);
    Ok((
        StatusCode::CREATED,
        Json(GroupMembersAdded {
            ids: found
                .iter()
                .map(|(_, id)| id.as_str())
                .collect::<Vec<_>>()
                .join(","),
            added_at: super::zoom_time(clock),
        }),
    ))
}

fn no_member(member: &str) -> ApiError {
    ApiError(404, 4131, format!("Group member does not exist: {member}."))
}

/// The member `member` of group `name`, by email; 404/4131 when it is none.
fn member_email(state: &Shared, acc: &str, name: &str, member: &str) -> ApiResult<Email> {
    state
        .read(|c| find(c, acc, member).map(|u| (u.email.clone(), u.groups.contains(name))))
        .ok()
        .filter(|(_, member)| *member)
        .map(|(e, _)| e)
        .ok_or_else(|| no_member(member))
}

/// `DELETE /groups/{groupId}/members/{memberId}` → 204.
pub async fn remove_member(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path((id, member)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let name = group_name(&state, &acc, &id)?;
    let email = member_email(&state, &acc, &name, &member)?;
    state.run_ops(
        &acc,
        &[Op::SetGroup {
            email,
            group: None,
            remove_from: BTreeSet::from([name]),
        }],
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PATCH /groups/{groupId}/members/{memberId}`: `move` to `target_group_id`, or
/// `set_primary` (the member must belong to the target; the simulator keeps no separate
/// primary group, so this changes nothing) → 204.
pub async fn update_member(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path((id, member)): Path<(String, String)>,
    Body(body): Body<GroupMemberAction>,
) -> ApiResult<StatusCode> {
    let name = group_name(&state, &acc, &id)?;
    let email = member_email(&state, &acc, &name, &member)?;
    let target_id = body
        .target_group_id
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError(400, 300, "The target_group_id can not be empty.".into()))?;
    let target = group_name(&state, &acc, &target_id)?;
    match body.action.as_str() {
        "move" => state.run_ops(
            &acc,
            &[Op::SetGroup {
                email,
                group: Some(target),
                remove_from: BTreeSet::from([name]),
            }],
        )?,
        "set_primary" => {
            let member_of_target = state.read(|c| {
                c.locate(&email)
                    .is_some_and(|(ai, ui)| c.accounts[ai].users[ui].groups.contains(&target))
            });
            if !member_of_target {
                return Err(no_member(&member));
            }
        }
        other => {
            return Err(ApiError(
                400,
                300,
                format!("Invalid field: action {other:?} (move, set_primary)."),
            ));
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /groups/{groupId}/admins` (at most 300 per page).
pub async fn admins(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<Json<GroupAdminPage>> {
    let listing = Listing {
        name: format!("group-admins:{acc}:{id}"),
        default_size: 30,
        max_size: 300,
    };
    let start = state.pager.open(&listing, &q)?;
    state.read_account(&acc, |_, a| {
        let g = group_by_id(a, &id)?;
        let slice = state.pager.page(&listing, start, || {
            g.admins
                .iter()
                .filter(|e| a.users.iter().any(|u| &u.email == *e))
                .map(|e| e.to_string())
                .collect()
        });
        let admins = slice
            .keys
            .iter()
            .filter_map(|k| a.users.iter().find(|u| u.email.as_str() == k))
            .filter(|u| g.admins.contains(&u.email))
            .map(|u| GroupAdmin {
                email: u.email.to_string(),
                name: super::view::display_name(u),
            })
            .collect();
        Ok(Json(GroupAdminPage {
            admins,
            next_page_token: slice.next_page_token,
            page_size: slice.page_size,
            total_records: slice.total_records,
        }))
    })
}

/// `POST /groups/{groupId}/admins {admins}` (at most 10) → 201 `{ids, added_at}`.
pub async fn add_admins(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Body(body): Body<Admins>,
) -> ApiResult<(StatusCode, Json<GroupMembersAdded>)> {
    if body.admins.len() > MAX_ADMINS {
        return Err(ApiError(
            400,
            300,
            format!("Validation Failed: at most {MAX_ADMINS} administrators per request."),
        ));
    }
    let gname = group_name(&state, &acc, &id)?;
    let found = state.read(|c| resolve_members(c, &acc, &body.admins));
    if found.is_empty() {
        return Err(ApiError(
            400,
            300,
            "Validation Failed: none of the administrators is a user of this account.".into(),
        ));
    }
    let clock = state.transact(&acc, &[], |cloud, _| {
        let ai = cloud
            .account_index(&acc)
            .ok_or_else(|| super::no_account(&acc))?;
        for g in cloud.accounts[ai].groups.iter_mut().filter(|g| g.id == id) {
            g.admins.extend(found.iter().map(|(e, _)| e.clone()));
        }
        let who = found
            .iter()
            .map(|(e, _)| e.as_str())
            .collect::<Vec<_>>()
            .join(",");
        cloud.record(
            &acc,
            "zoom-api",
            "add_group_admins",
            Some(ObjectRef::Group(gname.clone())),
            Some(who),
        );
        Ok(cloud.clock)
    })?;
    Ok((
        StatusCode::CREATED,
        Json(GroupMembersAdded {
            ids: found
                .iter()
                .map(|(_, id)| id.as_str())
                .collect::<Vec<_>>()
                .join(","),
            added_at: super::zoom_time(clock),
        }),
    ))
}

/// `DELETE /groups/{groupId}/admins/{userId}` → 204; 404 when the user is no admin.
pub async fn remove_admin(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let gname = group_name(&state, &acc, &id)?;
    let email = state.read(|c| find(c, &acc, &user).map(|u| u.email.clone()))?;
    state.transact(&acc, &[], |cloud, _| {
        let ai = cloud
            .account_index(&acc)
            .ok_or_else(|| super::no_account(&acc))?;
        let removed = cloud.accounts[ai]
            .groups
            .iter_mut()
            .filter(|g| g.id == id)
            .any(|g| g.admins.remove(&email));
        if !removed {
            return Err(ApiError(
                404,
                4131,
                format!("{user} is not an administrator of group {id}."),
            ));
        }
        cloud.record(
            &acc,
            "zoom-api",
            "remove_group_admin",
            Some(ObjectRef::Group(gname.clone())),
            Some(email.to_string()),
        );
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}
