//! `/roles…`: built-in roles (Owner `0`, Admin `1`, Member `2`) and custom roles; role
//! changes go through role membership, at most 30 users per call. An unknown role is
//! 400/1034 and a duplicate name 400/1224, as accounts-api.json documents.

use super::extract::{Body, Params};
use super::groups::{MAX_MEMBERS, resolve_members};
use super::paging::Listing;
use super::users::find;
use super::{AccountId, ApiError, ApiResult, Routes, Shared};
use crate::model::Op;
use crate::model::{ObjectRef, RoleName};
use crate::provider::sim::cloud::SimAccount;
use crate::provider::wire::{
    Members, NewRole, Role, RoleList, RoleMember, RoleMemberPage, RoleMembersAdded, RoleUpdate,
};
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};

/// The routes of this module.
pub fn routes() -> Routes {
    Routes::new()
        .route("/v2/roles", get(list).post(create))
        .route(
            "/v2/roles/{role_id}",
            get(detail).patch(update).delete(remove),
        )
        .route(
            "/v2/roles/{role_id}/members",
            get(members).post(add_members),
        )
        .route(
            "/v2/roles/{role_id}/members/{member_id}",
            delete(remove_member),
        )
}

/// Built-in roles: id, Zoom's name, the role.
const BUILT_IN: [(&str, &str, RoleName); 3] = [
    ("0", "Owner", RoleName::Owner),
    ("1", "Admin", RoleName::Admin),
    ("2", "Member", RoleName::Member),
];

/// Privileges of the built-in admin role (Zoom's form); the owner holds these and
/// `Account:Edit`, members a few reads.
const ADMIN_PRIVILEGES: [&str; 10] = [
    "User:Read",
    "User:Edit",
    "Group:Read",
    "Group:Edit",
    "Role:Read",
    "Role:Edit",
    "Account:Read",
    "Dashboard:Read",
    "Report:Read",
    "ChatGroup:Edit",
];

/// The privileges a role grants.
pub fn privileges_of(a: &SimAccount, role: &RoleName) -> Vec<String> {
    match role {
        RoleName::Owner => ADMIN_PRIVILEGES
            .iter()
            .chain(&["Account:Edit"])
            .map(|p| p.to_string())
            .collect(),
        RoleName::Admin => ADMIN_PRIVILEGES.iter().map(|p| p.to_string()).collect(),
        RoleName::Member => vec!["User:Read".into()],
        RoleName::Custom(custom) => a
            .roles
            .iter()
            .find(|r| &r.name == custom)
            .map(|r| r.privileges.iter().cloned().collect())
            .unwrap_or_default(),
    }
}

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

/// Zoom's name of a role (`Owner`, `Admin`, `Member`, or the custom name).
pub fn role_display_name(role: &RoleName) -> String {
    BUILT_IN
        .iter()
        .find(|(_, _, r)| r == role)
        .map(|(_, n, _)| n.to_string())
        .unwrap_or_else(|| role.as_str().to_string())
}

fn unknown_role(id: &str) -> ApiError {
    ApiError(400, 1034, format!("Provided role_id does not exist: {id}."))
}

/// The role with id `id`; 400/1034 when there is none.
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
        .ok_or_else(|| unknown_role(id))
}

fn count(a: &SimAccount, role: &RoleName) -> u32 {
    a.users.iter().filter(|u| &u.role == role).count() as u32
}

fn role_object(a: &SimAccount, id: &str, privileges: bool) -> ApiResult<Role> {
    let name = role_name(a, id)?;
    let custom = a.roles.iter().find(|r| r.name == name.as_str());
    Ok(Role {
        id: id.to_string(),
        name: role_display_name(&name),
        description: custom.and_then(|r| r.description.clone()),
        role_type: Some("common".into()),
        total_members: count(a, &name),
        privileges: privileges.then(|| privileges_of(a, &name)),
    })
}

/// `GET /roles?type=common|iq` (not paginated; the simulator's roles are all `common`).
pub async fn list(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    q: Params,
) -> ApiResult<Json<RoleList>> {
    let iq = q.one_of("type", &["common", "iq"])? == Some("iq");
    state.read_account(&acc, |_, a| {
        let ids = BUILT_IN
            .iter()
            .map(|(id, _, _)| id.to_string())
            .chain(a.roles.iter().map(|r| r.id.clone()));
        let roles = if iq {
            Vec::new()
        } else {
            ids.map(|id| role_object(a, &id, false))
                .collect::<ApiResult<Vec<_>>>()?
        };
        Ok(Json(RoleList {
            total_records: roles.len() as u32,
            roles,
        }))
    })
}

/// `GET /roles/{roleId}` with its privileges.
pub async fn detail(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<Json<Role>> {
    state.read_account(&acc, |_, a| role_object(a, &id, true).map(Json))
}

fn taken(a: &SimAccount, name: &str) -> bool {
    a.roles.iter().any(|r| r.name == name)
        || BUILT_IN
            .iter()
            .any(|(_, n, r)| n.eq_ignore_ascii_case(name) || r.as_str() == name)
}

fn duplicate(name: &str) -> ApiError {
    ApiError(
        400,
        1224,
        format!("Role name {name} has already been used."),
    )
}

/// `POST /roles` → 200 `{}`: the only success accounts-api.json documents, with an object
/// of no properties. Clients read the new role back by name (`GET /roles`).
pub async fn create(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Body(body): Body<NewRole>,
) -> ApiResult<Json<serde_json::Value>> {
    if body.name.trim().is_empty() {
        return Err(ApiError(
            400,
            300,
            "Invalid field: name is required.".into(),
        ));
    }
    if let Some(t) = body.role_type.as_deref().filter(|t| *t != "common") {
        return Err(ApiError(
            400,
            300,
            format!("Invalid field: type {t:?} (the simulator holds common roles)."),
        ));
    }
    if state.read_account(&acc, |_, a| Ok(taken(a, &body.name)))? {
        return Err(duplicate(&body.name));
    }
    state.run_ops(
        &acc,
        &[Op::CreateRole {
            name: body.name.clone(),
            description: body.description.clone(),
            privileges: body.privileges.iter().cloned().collect(),
        }],
    )?;
    Ok(Json(serde_json::json!({})))
}

/// `PATCH /roles/{roleId}`: name, description, privileges (built-in roles are fixed) →
/// 200 `{}` (the only success the spec documents).
pub async fn update(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Body(body): Body<RoleUpdate>,
) -> ApiResult<Json<serde_json::Value>> {
    let (name, current) = state.read_account(&acc, |_, a| {
        let RoleName::Custom(name) = role_name(a, &id)? else {
            return Err(ApiError(
                400,
                300,
                format!("The built-in role {id} cannot be changed."),
            ));
        };
        let current = a
            .roles
            .iter()
            .find(|r| r.name == name)
            .cloned()
            .ok_or_else(|| unknown_role(&id))?;
        if let Some(n) = body.name.as_ref().filter(|n| **n != name)
            && taken(a, n)
        {
            return Err(duplicate(n));
        }
        Ok((name, current))
    })?;
    let privileges = body
        .privileges
        .map(|p| p.into_iter().collect())
        .unwrap_or(current.privileges);
    let description = body.description.or(current.description);
    let op = Op::UpdateRole {
        name: name.clone(),
        description,
        privileges,
    };
    state.transact(&acc, std::slice::from_ref(&op), |cloud, actor| {
        cloud.execute(&acc, actor, &op)?;
        if let Some(new) = body.name.filter(|n| *n != name) {
            rename_role(cloud, &acc, &name, &new);
        }
        Ok(())
    })?;
    Ok(Json(serde_json::json!({})))
}

/// Renames a custom role and moves its holders along (roster never renames roles; Zoom
/// clients may).
fn rename_role(cloud: &mut crate::provider::sim::cloud::Cloud, acc: &str, from: &str, to: &str) {
    if let Some(ai) = cloud.account_index(acc) {
        let a = &mut cloud.accounts[ai];
        for r in a.roles.iter_mut().filter(|r| r.name == from) {
            r.name = to.to_string();
        }
        let old = RoleName::Custom(from.to_string());
        for u in a.users.iter_mut().filter(|u| u.role == old) {
            u.role = RoleName::Custom(to.to_string());
        }
        cloud.record(
            acc,
            "zoom-api",
            "rename_role",
            Some(ObjectRef::Role(from.to_string())),
            Some(to.to_string()),
        );
    }
}

/// `DELETE /roles/{roleId}` → 204.
pub async fn remove(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let RoleName::Custom(name) = state.read_account(&acc, |_, a| role_name(a, &id))? else {
        return Err(ApiError(
            400,
            300,
            format!("The built-in role {id} cannot be deleted."),
        ));
    };
    state.run_ops(&acc, &[Op::DeleteRole { name }])?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /roles/{roleId}/members` (at most 300 per page).
pub async fn members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<Json<RoleMemberPage>> {
    let listing = Listing {
        name: format!("role-members:{acc}:{id}"),
        default_size: 30,
        max_size: 300,
    };
    let start = state.pager.open(&listing, &q)?;
    state.read_account(&acc, |_, a| {
        let name = role_name(a, &id)?;
        let holders = || a.users.iter().filter(|u| u.role == name);
        let slice = state.pager.page(&listing, start, || {
            holders().map(|u| u.email.to_string()).collect()
        });
        let members = slice
            .keys
            .iter()
            .filter_map(|k| holders().find(|u| u.email.as_str() == k))
            .map(|u| RoleMember {
                id: u
                    .id
                    .clone()
                    .filter(|_| u.status != crate::provider::sim::cloud::SimStatus::Pending),
                email: u.email.to_string(),
                first_name: Some(u.first_name.clone().unwrap_or_default()),
                last_name: Some(u.last_name.clone().unwrap_or_default()),
                department: u.department.clone().filter(|d| !d.is_empty()),
                user_type: i64::from(u.user_type.zoom_code()),
            })
            .collect();
        Ok(Json(RoleMemberPage {
            members,
            next_page_token: slice.next_page_token,
            page_count: slice.page_count,
            page_number: slice.page_number,
            page_size: slice.page_size,
            total_records: slice.total_records,
        }))
    })
}

fn fixed_membership() -> ApiError {
    ApiError(
        400,
        300,
        "Can't delete or add members for Normal/Owner roles.".into(),
    )
}

/// `POST /roles/{roleId}/members {members}` (at most 30): assigns the role, replacing the
/// user's previous one. Members that are not users of the account are skipped; `ids`
/// lists the users assigned. Owner and Member take no members here (code 300, as on Zoom).
pub async fn add_members(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(id): Path<String>,
    Body(body): Body<Members>,
) -> ApiResult<(StatusCode, Json<RoleMembersAdded>)> {
    if body.members.len() > MAX_MEMBERS {
        return Err(ApiError(
            400,
            300,
            format!("At most {MAX_MEMBERS} members per request."),
        ));
    }
    let name = state.read_account(&acc, |_, a| role_name(a, &id))?;
    if matches!(name, RoleName::Owner | RoleName::Member) {
        return Err(fixed_membership());
    }
    let found = state.read(|c| resolve_members(c, &acc, &body.members));
    let ops: Vec<Op> = found
        .iter()
        .map(|(email, _)| Op::ChangeRole {
            email: email.clone(),
            to: name.clone(),
        })
        .collect();
    let (ids, clock) = state.transact(&acc, &ops, |cloud, actor| {
        for op in &ops {
            cloud.execute(&acc, actor, op)?;
        }
        let ids: Vec<String> = found.iter().map(|(_, uid)| uid.clone()).collect();
        Ok((ids, cloud.clock))
    })?;
    if ids.is_empty() {
        return Err(ApiError(
            400,
            300,
            "Validation Failed: none of the members is a user of this account.".into(),
        ));
    }
    Ok((
        StatusCode::CREATED,
        Json(RoleMembersAdded {
            ids: ids.join(","),
            add_at: super::zoom_time(clock),
        }),
    ))
}

/// `DELETE /roles/{roleId}/members/{memberId}`: the user falls back to Member → 204.
pub async fn remove_member(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path((id, member)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let name = state.read_account(&acc, |_, a| role_name(a, &id))?;
    if matches!(name, RoleName::Owner | RoleName::Member) {
        return Err(fixed_membership());
    }
    let (email, holds) =
        state.read(|c| find(c, &acc, &member).map(|u| (u.email.clone(), u.role == name)))?;
    if !holds {
        return Err(ApiError(
            404,
            1001,
            format!("{member} does not hold role {id}."),
        ));
    }
    state.run_ops(
        &acc,
        &[Op::ChangeRole {
            email,
            to: RoleName::Member,
        }],
    )?;
    Ok(StatusCode::NO_CONTENT)
}
