//! `/users…`: list, create, read, update, remove, status and add-on settings.

use super::{AccountId, ApiError, ApiResult, Shared, account_of, email_of, page_size};
use crate::model::{Addon, Email, UserType};
use crate::model::{Op, ProfilePatch};
use crate::provider::sim::cloud::{Cloud, SimAccount, SimStatus, SimUser};
use crate::provider::wire::{
    CreateUser, CustomAttribute, EmailCheck, Features, ListedUser, StatusAction, UpdateUser,
    UserDetail, UserPage, UserSettings,
};
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use std::collections::{BTreeMap, HashMap};

/// The user `user_id` (an id or an email) of `account`; 1120 for an expired invitation.
pub fn find<'a>(cloud: &'a Cloud, account: &str, user_id: &str) -> ApiResult<&'a SimUser> {
    let a = account_of(cloud, account)?;
    let lower = user_id.to_ascii_lowercase();
    if let Some(u) = a
        .users
        .iter()
        .find(|u| u.id.as_deref() == Some(user_id) || u.email.as_str() == lower)
    {
        return Ok(u);
    }
    if a.expired_invitations.keys().any(|e| e.as_str() == lower) {
        return Err(ApiError(
            400,
            1120,
            format!("Invite expired: {user_id}. The invitation was never accepted."),
        ));
    }
    Err(ApiError(
        404,
        1001,
        format!("User does not exist: {user_id}."),
    ))
}

fn user_email(state: &Shared, account: &str, user_id: &str) -> ApiResult<Email> {
    state.read(|c| find(c, account, user_id).map(|u| u.email.clone()))
}

fn listed(a: &SimAccount, u: &SimUser, with_attributes: bool) -> ListedUser {
    ListedUser {
        id: u.id.clone(),
        email: u.email.to_string(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        user_type: i64::from(u.user_type.zoom_code()),
        status: match u.status {
            SimStatus::Active => "active",
            SimStatus::Inactive => "inactive",
            SimStatus::Pending => "pending",
        }
        .into(),
        role_id: super::roles::role_id(a, &u.role),
        dept: u.department.clone(),
        group_ids: u
            .groups
            .iter()
            .filter_map(|g| a.groups.iter().find(|x| &x.name == g).map(|x| x.id.clone()))
            .collect(),
        custom_attributes: if with_attributes {
            u.custom_attributes
                .iter()
                .map(|(k, v)| CustomAttribute {
                    key: format!("ca_{k}"),
                    name: k.clone(),
                    value: v.clone(),
                })
                .collect()
        } else {
            Vec::new()
        },
        user_created_at: u
            .invited_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    }
}

/// `GET /users?status=&page_size=&next_page_token=&include_fields=`.
pub async fn list(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<UserPage>> {
    let status = q
        .get("status")
        .map(String::as_str)
        .unwrap_or("active")
        .to_string();
    let wanted = match status.as_str() {
        "active" => SimStatus::Active,
        "inactive" => SimStatus::Inactive,
        "pending" => SimStatus::Pending,
        other => {
            return Err(ApiError(
                400,
                300,
                format!("Invalid field: status {other}."),
            ));
        }
    };
    let size = page_size(q.get("page_size"), 30, 2000)?;
    let with_attributes = q
        .get("include_fields")
        .is_some_and(|f| f.split(',').any(|x| x == "custom_attributes"));
    let all: Vec<ListedUser> = state.read(|c| {
        let a = account_of(c, &account)?;
        Ok::<_, ApiError>(
            a.users
                .iter()
                .filter(|u| u.status == wanted)
                .map(|u| listed(a, u, with_attributes))
                .collect(),
        )
    })?;
    let key = format!("users:{account}:{status}:{size}:{with_attributes}");
    let (users, next) = state.page(
        key,
        &all,
        size,
        q.get("next_page_token").map(String::as_str),
    )?;
    Ok(Json(UserPage {
        next_page_token: next,
        page_size: size as u32,
        total_records: all.len() as u32,
        users,
    }))
}

/// `POST /users` with `action=create`.
pub async fn create(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Json(body): Json<CreateUser>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    if body.action != "create" {
        return Err(ApiError(
            400,
            300,
            format!(
                "Invalid field: action {} (the simulator supports create).",
                body.action
            ),
        ));
    }
    let email = email_of(&body.user_info.email)?;
    let user_type = UserType::from_zoom_code(body.user_info.user_type)
        .ok_or_else(|| ApiError(400, 300, "Invalid field: user_info.type.".into()))?;
    state.run_ops(
        &account,
        &[Op::CreateUser {
            email: email.clone(),
            user_type,
            first_name: body.user_info.first_name.clone(),
            last_name: body.user_info.last_name.clone(),
        }],
    )?;
    Ok((
        StatusCode::CREATED,
        Json(
            serde_json::json!({"email": email.as_str(), "first_name": body.user_info.first_name, "last_name": body.user_info.last_name, "type": body.user_info.user_type}),
        ),
    ))
}

/// `GET /users/email?email=`: whether the email has a Zoom user anywhere.
pub async fn email_exists(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<EmailCheck>> {
    let email = email_of(q.get("email").map(String::as_str).unwrap_or_default())?;
    let existed = state.read(|c| {
        c.individuals.iter().any(|i| i.email == email)
            || c.accounts.iter().any(|a| {
                a.users
                    .iter()
                    .any(|u| u.email == email && u.status != SimStatus::Pending)
            })
    });
    Ok(Json(EmailCheck {
        existed_email: existed,
    }))
}

/// `GET /users/{userId}`.
pub async fn detail(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
) -> ApiResult<Json<UserDetail>> {
    state.read(|c| {
        let u = find(c, &account, &user_id)?;
        Ok(Json(UserDetail {
            id: u.id.clone(),
            email: u.email.to_string(),
            job_title: u.job_title.clone(),
            location: u.location.clone(),
            manager: u.manager.as_ref().map(|m| m.to_string()),
        }))
    })
}

/// `PATCH /users/{userId}`: profile fields and type, all or nothing.
pub async fn update(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
    Json(body): Json<UpdateUser>,
) -> ApiResult<StatusCode> {
    let email = user_email(&state, &account, &user_id)?;
    let mut ops = Vec::new();
    if let Some(code) = body.user_type {
        let to = UserType::from_zoom_code(code)
            .ok_or_else(|| ApiError(400, 300, "Invalid field: type.".into()))?;
        ops.push(Op::ChangeUserType {
            email: email.clone(),
            to,
        });
    }
    let manager = match &body.manager {
        None => None,
        Some(m) if m.is_empty() => Some(None),
        Some(m) => Some(Some(email_of(m)?)),
    };
    let patch = ProfilePatch {
        first_name: body.first_name.clone(),
        last_name: body.last_name.clone(),
        department: body.dept.clone(),
        manager,
        job_title: body.job_title.clone(),
        location: body.location.clone(),
        custom_attributes: body.custom_attributes.as_ref().map(|v| {
            v.iter()
                .map(|a| (a.name.clone(), a.value.clone()))
                .collect::<BTreeMap<_, _>>()
        }),
    };
    if patch != ProfilePatch::default() {
        ops.push(Op::UpdateProfile { email, patch });
    }
    state.run_ops(&account, &ops)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /users/{userId}?action=disassociate|delete` (disassociate is the default).
pub async fn remove(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<StatusCode> {
    let email = user_email(&state, &account, &user_id)?;
    let op = match q
        .get("action")
        .map(String::as_str)
        .unwrap_or("disassociate")
    {
        "disassociate" => Op::DisassociateUser { email },
        "delete" => Op::DeleteUser { email },
        other => {
            return Err(ApiError(
                400,
                300,
                format!("Invalid field: action {other}."),
            ));
        }
    };
    state.run_ops(&account, &[op])?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /users/{userId}/status` with `{action: activate|deactivate}`.
pub async fn status(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
    Json(body): Json<StatusAction>,
) -> ApiResult<StatusCode> {
    let email = user_email(&state, &account, &user_id)?;
    let op = match body.action.as_str() {
        "activate" => Op::ActivateUser { email },
        "deactivate" => Op::DeactivateUser { email },
        other => {
            return Err(ApiError(
                400,
                300,
                format!("Invalid field: action {other}."),
            ));
        }
    };
    state.run_ops(&account, &[op])?;
    Ok(StatusCode::OK)
}

/// `GET /users/{userId}/settings`: the add-on switches.
pub async fn settings(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
) -> ApiResult<Json<UserSettings>> {
    state.read(|c| {
        let u = find(c, &account, &user_id)?;
        Ok(Json(UserSettings {
            feature: Features {
                large_meeting: Some(u.addons.contains(&Addon::LargeMeeting)),
                webinar: Some(u.addons.contains(&Addon::Webinar)),
            },
        }))
    })
}

/// `PATCH /users/{userId}/settings` with `feature.large_meeting` / `feature.webinar` (U3).
pub async fn update_settings(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
    Json(body): Json<UserSettings>,
) -> ApiResult<StatusCode> {
    let email = user_email(&state, &account, &user_id)?;
    let mut ops = Vec::new();
    for (addon, on) in [
        (Addon::LargeMeeting, body.feature.large_meeting),
        (Addon::Webinar, body.feature.webinar),
    ] {
        match on {
            Some(true) => ops.push(Op::AssignAddon {
                email: email.clone(),
                addon,
            }),
            Some(false) => ops.push(Op::RemoveAddon {
                email: email.clone(),
                addon,
            }),
            None => {}
        }
    }
    state.run_ops(&account, &ops)?;
    Ok(StatusCode::NO_CONTENT)
}
