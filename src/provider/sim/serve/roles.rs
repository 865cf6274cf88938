//! `/roles…`: built-in roles (Owner `0`, Admin `1`, Member `2`) and custom roles; role
//! changes go through role membership, at most 30 users per call.

use super::groups::MAX_MEMBERS;
use super::users::find;
use super::{AccountId, ApiError, ApiResult, Shared, account_of};
use crate::model::Op;
use crate::model::RoleName;
use crate::provider::sim::cloud::SimAccount;
use crate::provider::wire::{Members, Role, RoleList};
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;

/// Zoom's built-in roles: id, display name, role.
const BUILT_IN: [(&str, &str, RoleName); 3] = [
    ("0", "Owner", RoleName::Owner),
    ("1", "Admin", RoleName::Admin),
    ("2", "Member", RoleName::Member),
];

/// The id of the role a user holds.
pub fn role_id(a: &SimAccount, role: &RoleName) -> String {
    BUILT_IN
        .iter()
        .find(|(_, _, r)| r == role)
        .map(|(id, _, _)| id.to_string())
        .or_else(|| {
            a.roles
                .iter()
                .find(|r| r.name == role.as_str())
                .map(|r| r.id.clone())
        })
        .unwrap_or_default()
}

/// The role of a role id.
fn role_name(a: &SimAccount, id: &str) -> ApiResult<RoleName> {
    BUILT_IN
        .iter()
        .find(|(i, _, _)| *i == id)
        .map(|(_, _, r)| r.clone())
        .or_else(|| {
            a.roles
                .iter()
                .find(|r| r.id == id)
                .map(|r| RoleName::Custom(r.name.clone()))
        })
        .ok_or_else(|| ApiError(404, 1034, format!("Role does not exist: {id}.")))
}

fn with_account<T>(
    state: &Shared,
    acc: &str,
    f: impl FnOnce(&SimAccount) -> ApiResult<T>,
) -> ApiResult<T> {
    state.read(|c| f(account_of(c, acc)?))
}

fn count(a: &SimAccount, role: &RoleName) -> u32 {
    a.users.iter().filter(|u| &u.role == role).count() as u32
}

/// `GET /roles` (not paginated).
pub async fn list(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
) -> ApiResult<Json<RoleList>> {
    with_account(&state, &acc, |a| {
        let mut roles: Vec<Role> = BUILT_IN
            .iter()
            .map(|(id, name, r)| Role {
                id: id.to_string(),
                name: name.to_string(),
                description: None,
                role_type: Some("common".into()),
                total_members: count(a, r),
                privileges: None,
            })
            .collect();
        roles.extend(a.roles.iter().map(|r| Role {
            id: r.id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            role_type: Some("common".into()),
            total_members: count(a, &RoleName::Custom(r.name.clone())),
            privileges: None,
        }));
        Ok(Json(RoleList {
            total_records: roles.len() as u32,
            roles,
        }))
    })
}

/// `GET /roles/{roleId}` with privileges.
pub async fn detail(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<Json<Role>> {
    with_account(&state, &acc, |a| {
        let name = role_name(a, &id)?;
        let custom = a.roles.iter().find(|r| r.name == name.as_str());
        Ok(Json(Role {
            id: id.clone(),
            name: custom.map(|r| r.name.clone()).unwrap_or_else(|| {
                BUILT_IN
                    .iter()
                    .find(|(i, _, _)| *i == id)
                    .map(|(_, n, _)| n.to_string())
                    .unwrap_or_default()
            }),
            description: custom.and_then(|r| r.description.clone()),
            role_type: Some("common".into()),
            total_members: count(a, &name),
            privileges: Some(
                custom
                    .map(|r| r.privileges.iter().cloned().collect())
                    .unwrap_or_default(),
            ),
        }))
    })
}

/// `POST /roles` → 201 (1224 on a duplicate name).
pub async fn create(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Json(body): Json<Role>,
) -> ApiResult<(StatusCode, Json<Role>)> {
    let privileges = body
        .privileges
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    state.run_ops(
        &acc,
        &[Op::CreateRole {
            name: body.name.clone(),
            description: body.description.clone(),
            privileges,
        }],
    )?;
    let id = with_account(&state, &acc, |a| {
        Ok(role_id(a, &RoleName::Custom(body.name.clone())))
    })?;
    Ok((StatusCode::CREATED, Json(Role { id, ..body })))
}

/// `PATCH /roles/{roleId}`.
pub async fn update(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Json(body): Json<Role>,
) -> ApiResult<StatusCode> {
    let name = with_account(&state, &acc, |a| role_name(a, &id))?;
    let privileges = body.privileges.unwrap_or_default().into_iter().collect();
    state.run_ops(
        &acc,
        &[Op::UpdateRole {
            name: name.as_str().to_string(),
            description: body.description,
            privileges,
        }],
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /roles/{roleId}`.
pub async fn remove(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let name = with_account(&state, &acc, |a| role_name(a, &id))?;
    state.run_ops(
        &acc,
        &[Op::DeleteRole {
            name: name.as_str().to_string(),
        }],
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /roles/{roleId}/members`.
pub async fn members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    with_account(&state, &acc, |a| {
        let name = role_name(a, &id)?;
        let members: Vec<serde_json::Value> = a.users.iter().filter(|u| u.role == name).map(|u| serde_json::json!({"id": u.id, "email": u.email.as_str(), "first_name": u.first_name, "last_name": u.last_name, "department": u.department, "type": u.user_type.zoom_code()})).collect();
        Ok(Json(
            serde_json::json!({"members": members, "total_records": members.len(), "next_page_token": ""}),
        ))
    })
}

/// `POST /roles/{roleId}/members {members}` (at most 30): assigns the role, replacing the
/// user's previous one. Owner and Member take no members here (code 300, as on Zoom).
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
    let name = with_account(&state, &acc, |a| role_name(a, &id))?;
    if matches!(name, RoleName::Owner | RoleName::Member) {
        return Err(ApiError(
            400,
            300,
            "Can't delete or add members for Normal/Owner roles.".into(),
        ));
    }
    let emails = state.read(|c| {
        body.members
            .iter()
            .map(|m| {
                find(
                    c,
                    &acc,
                    m.id.as_deref().or(m.email.as_deref()).unwrap_or_default(),
                )
                .map(|u| u.email.clone())
            })
            .collect::<ApiResult<Vec<_>>>()
    })?;
    let ops: Vec<Op> = emails
        .iter()
        .map(|e| Op::ChangeRole {
            email: e.clone(),
            to: name.clone(),
        })
        .collect();
    state.run_ops(&acc, &ops)?;
    let clock = state.read(|c| c.clock);
    Ok((
        StatusCode::CREATED,
        Json(
            serde_json::json!({"ids": body.members.iter().filter_map(|m| m.id.clone()).collect::<Vec<_>>().join(","), "add_at": clock.to_rfc3339()}),
        ),
    ))
}

/// `DELETE /roles/{roleId}/members/{memberId}`: the user falls back to Member.
pub async fn remove_member(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path((id, member)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let name = with_account(&state, &acc, |a| role_name(a, &id))?;
    if matches!(name, RoleName::Owner | RoleName::Member) {
        return Err(ApiError(
            400,
            300,
            "Can't delete or add members for Normal/Owner roles.".into(),
        ));
    }
    let email =
        state.read(|c| find(c, &acc, &member).map(|u| (u.email.clone(), u.role == name)))?;
    if !email.1 {
        return Err(ApiError(
            404,
            1001,
            format!("{member} does not hold role {id}."),
        ));
    }
    state.run_ops(
        &acc,
        &[Op::ChangeRole {
            email: email.0,
            to: RoleName::Member,
        }],
    )?;
    Ok(StatusCode::NO_CONTENT)
}
