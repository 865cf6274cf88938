//! `/users…`: list, create, read, update, remove, status, settings (add-ons), permissions,
//! the summary and the email check.

use super::extract::{Body, Params};
use super::paging::Listing;
use super::view::{attribute_key, detail as detail_view, listed};
use super::{AccountId, ApiError, ApiResult, Routes, Shared, email_of};
use crate::model::{Addon, Email, UserType};
use crate::model::{Op, ProfilePatch};
use crate::provider::sim::cloud::{Cloud, SimAccount, SimStatus, SimUser};
use crate::provider::wire::{
    CreateUser, CreatedUser, EmailCheck, Features, Permissions, StatusAction, UpdateUser,
    UserDetail, UserPage, UserSettings, UsersSummary,
};
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use std::collections::BTreeMap;

/// The routes of this module.
pub fn routes() -> Routes {
    Routes::new()
        .route("/v2/users", get(list).post(create))
        .route("/v2/users/email", get(email_exists))
        .route("/v2/users/summary", get(summary))
        .route(
            "/v2/users/{user_id}",
            get(detail).patch(update).delete(remove),
        )
        .route("/v2/users/{user_id}/status", put(status))
        .route(
            "/v2/users/{user_id}/settings",
            get(settings).patch(update_settings),
        )
        .route("/v2/users/{user_id}/permissions", get(permissions))
}

/// The user `user_id` (an id, an email, or `me` for the owner) of `account`; 404/1001, or
/// 400/1120 for an invitation that expired unanswered.
pub fn find<'a>(cloud: &'a Cloud, account: &str, user_id: &str) -> ApiResult<&'a SimUser> {
    let ai = cloud
        .account_index(account)
        .ok_or_else(|| super::no_account(account))?;
    let a = &cloud.accounts[ai];
    let lower = if user_id == "me" {
        a.owner.to_string()
    } else {
        user_id.to_ascii_lowercase()
    };
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
            format!(
                "A valid invitation to join the Zoom account was not found for this user: {user_id} (the invitation expired unanswered)."
            ),
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

/// 400/300 when `value` is longer than the spec's `maxLength`.
pub fn max_len(field: &str, value: &Option<String>, max: usize) -> ApiResult<()> {
    match value {
        Some(v) if v.chars().count() > max => Err(ApiError(
            400,
            300,
            format!("Validation Failed: {field} is longer than {max} characters."),
        )),
        _ => Ok(()),
    }
}

/// A `type` a client may set: 1 basic, 2 licensed, 4 "unassigned" (held as basic).
fn settable_type(code: i64) -> ApiResult<UserType> {
    match code {
        1 | 4 => Ok(UserType::Basic),
        2 => Ok(UserType::Licensed),
        3 => Err(ApiError(
            400,
            300,
            "Your account can't set user type as On-prem (type 3 is no longer in Zoom's type enum).".into(),
        )),
        99 => Err(ApiError(
            400,
            300,
            "Invalid field: type 99 (None) can only be set with action ssoCreate.".into(),
        )),
        other => Err(ApiError(
            400,
            300,
            format!("Invalid field: type {other} (1 Basic, 2 Licensed, 4 Unassigned)."),
        )),
    }
}

/// `GET /users?status=&page_size=&page_number=&next_page_token=&role_id=&include_fields=`.
pub async fn list(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    q: Params,
) -> ApiResult<Json<UserPage>> {
    let listing = Listing {
        name: format!("users:{account}"),
        default_size: 30,
        max_size: 2000,
    };
    let start = state.pager.open(&listing, &q)?;
    let p = Params(start.params.clone());
    let wanted = match p.one_of("status", &["active", "inactive", "pending"])? {
        None | Some("active") => SimStatus::Active,
        Some("inactive") => SimStatus::Inactive,
        Some(_) => SimStatus::Pending,
    };
    p.one_of("include_fields", &["custom_attributes", "host_key"])?;
    p.one_of(
        "license",
        &["zoom_workforce_management", "zoom_compliance_management"],
    )?;
    let with_attributes = p
        .get("include_fields")
        .is_some_and(|f| f == "custom_attributes");
    let role = p.get("role_id").cloned();
    state.read_account(&account, |c, a| {
        let matches = |u: &&SimUser| {
            u.status == wanted
                && role
                    .as_ref()
                    .is_none_or(|r| super::roles::role_id(a, &u.role) == *r)
        };
        let slice = state.pager.page(&listing, start, || {
            a.users
                .iter()
                .filter(matches)
                .map(|u| u.email.to_string())
                .collect()
        });
        let users = slice
            .keys
            .iter()
            .filter_map(|k| {
                a.users
                    .iter()
                    .filter(matches)
                    .find(|u| u.email.as_str() == k)
            })
            .map(|u| listed(a, u, c.clock, with_attributes))
            .collect();
        Ok(Json(UserPage {
            next_page_token: slice.next_page_token,
            page_count: slice.page_count,
            page_number: slice.page_number,
            page_size: slice.page_size,
            total_records: slice.total_records,
            users,
        }))
    })
}

/// `POST /users` with `action=create` → 201 with the new (pending) user's id.
pub async fn create(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Body(body): Body<CreateUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    match body.action.as_str() {
        "create" => {}
        "autoCreate" | "custCreate" | "ssoCreate" => {
            return Err(ApiError(
                400,
                300,
                format!(
                    "action {} needs a managed domain, an ISV contract or SSO pre-provisioning, which this account has not: use create.",
                    body.action
                ),
            ));
        }
        other => {
            return Err(ApiError(
                400,
                300,
                format!(
                    "Invalid field: action {other:?} (create, autoCreate, custCreate, ssoCreate)."
                ),
            ));
        }
    }
    let info = &body.user_info;
    max_len("user_info.email", &Some(info.email.clone()), 128)?;
    max_len("user_info.first_name", &info.first_name, 64)?;
    max_len("user_info.last_name", &info.last_name, 64)?;
    max_len("user_info.display_name", &info.display_name, 128)?;
    let email = email_of(&info.email)?;
    let user_type = settable_type(info.user_type)?;
    let op = Op::CreateUser {
        email: email.clone(),
        user_type,
        first_name: info.first_name.clone().filter(|s| !s.is_empty()),
        last_name: info.last_name.clone().filter(|s| !s.is_empty()),
    };
    let id = state.transact(&account, std::slice::from_ref(&op), |cloud, actor| {
        cloud.execute(&account, actor, &op)?;
        let (ai, ui) = cloud
            .locate(&email)
            .ok_or_else(|| ApiError(500, 500, "created user vanished".into()))?;
        // Zoom gives the new user its id at once (the list hides it while pending).
        let id = match cloud.accounts[ai].users[ui].id.clone() {
            Some(id) => id,
            None => {
                let id = cloud.fresh_id("u");
                cloud.accounts[ai].users[ui].id = Some(id.clone());
                id
            }
        };
        Ok(id)
    })?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            id,
            email: email.to_string(),
            first_name: info.first_name.clone().unwrap_or_default(),
            last_name: info.last_name.clone().unwrap_or_default(),
            user_type: info.user_type,
        }),
    ))
}

/// `GET /users/email?email=`: whether the email has a Zoom user anywhere.
pub async fn email_exists(State(state): State<Shared>, q: Params) -> ApiResult<Json<EmailCheck>> {
    let raw = q
        .get("email")
        .ok_or_else(|| ApiError(400, 300, "Email is required.".into()))?;
    let email = email_of(raw)?;
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

/// `GET /users/summary`: users by kind.
pub async fn summary(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
) -> ApiResult<Json<UsersSummary>> {
    state.read_account(&account, |_, a| Ok(Json(summarize(a))))
}

fn summarize(a: &SimAccount) -> UsersSummary {
    let count = |f: &dyn Fn(&SimUser) -> bool| a.users.iter().filter(|u| f(u)).count() as u32;
    let settled = |u: &SimUser, t: UserType| u.status != SimStatus::Pending && u.user_type == t;
    let mut s = UsersSummary {
        licensed_users_count: count(&|u| settled(u, UserType::Licensed)),
        basic_users_count: count(&|u| settled(u, UserType::Basic)),
        on_prem_users_count: count(&|u| settled(u, UserType::OnPrem)),
        room_users_count: a.zoom_rooms,
        pending_users_count: count(&|u| u.status == SimStatus::Pending),
        join_only_users_count: 0,
        total_users_count: 0,
    };
    s.total_users_count = s.licensed_users_count
        + s.basic_users_count
        + s.on_prem_users_count
        + s.join_only_users_count
        + s.room_users_count;
    s
}

/// `GET /users/{userId}`: the whole user object (pending users included, by id or email).
pub async fn detail(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
    q: Params,
) -> ApiResult<Json<UserDetail>> {
    q.check(&["encrypted_email", "search_by_unique_id"], true)?;
    state.read_account(&account, |c, a| {
        let u = find(c, &account, &user_id)?;
        Ok(Json(detail_view(a, u, c.clock)))
    })
}

/// Custom attribute values by name, from the body's `key`s: Zoom's attribute ids, as
/// `GET /users?include_fields=custom_attributes` shows them (issue 10, item 1).
fn attributes_by_name(
    a: &SimAccount,
    given: &[crate::provider::wire::CustomAttribute],
) -> ApiResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for attr in given {
        let name = a
            .custom_attributes
            .iter()
            .find(|n| !attr.key.is_empty() && attribute_key(&a.id, n) == attr.key)
            .ok_or_else(|| {
                ApiError(
                    400,
                    300,
                    format!(
                        "Invalid custom attribute key {:?}: read the keys with GET /users?include_fields=custom_attributes.",
                        attr.key
                    ),
                )
            })?;
        out.insert(name.clone(), attr.value.clone());
    }
    Ok(out)
}

/// The manager field: an email or the display name of a user of the account.
/// A manager as `PATCH /users/{userId}` documents it: the email or display name of a user
/// of the account. An empty string is neither (`format: email`; Zoom documents no clear).
fn manager_of(a: &SimAccount, raw: &str) -> ApiResult<Option<Email>> {
    if let Ok(e) = Email::parse(raw) {
        return Ok(Some(e));
    }
    a.users
        .iter()
        .find(|u| super::view::display_name(u) == raw)
        .map(|u| Some(u.email.clone()))
        .ok_or_else(|| {
            ApiError(
                400,
                300,
                format!("Invalid field: manager {raw:?} is neither an email nor the display name of a user of the account."),
            )
        })
}

/// The operations of a `PATCH /users/{userId}`. `group_id` is documented for pending users
/// only: the simulator refuses it for them (a pending user holds no group, U8) and, as Zoom
/// documents nothing else, ignores it for the others.
fn update_ops(a: &SimAccount, u: &SimUser, body: &UpdateUser) -> ApiResult<Vec<Op>> {
    let email = &u.email;
    max_len("first_name", &body.first_name, 64)?;
    max_len("last_name", &body.last_name, 64)?;
    max_len("job_title", &body.job_title, 128)?;
    max_len("location", &body.location, 256)?;
    if body.group_id.is_some() && u.status == SimStatus::Pending {
        return Err(ApiError(
            400,
            300,
            format!(
                "group_id: {email} is pending and holds no group until the invitation is accepted (U8); add it with POST /groups/{{groupId}}/members afterwards."
            ),
        ));
    }
    let mut ops = Vec::new();
    if let Some(code) = body.user_type {
        ops.push(Op::ChangeUserType {
            email: email.clone(),
            to: settable_type(code)?,
        });
    }
    let patch = ProfilePatch {
        first_name: body.first_name.clone(),
        last_name: body.last_name.clone(),
        department: body.dept.clone(),
        manager: body
            .manager
            .as_deref()
            .map(|m| manager_of(a, m))
            .transpose()?,
        job_title: body.job_title.clone(),
        location: body.location.clone(),
        custom_attributes: body
            .custom_attributes
            .as_deref()
            .map(|v| attributes_by_name(a, v))
            .transpose()?,
    };
    if patch != ProfilePatch::default() {
        ops.push(Op::UpdateProfile {
            email: email.clone(),
            patch,
        });
    }
    Ok(ops)
}

/// `PATCH /users/{userId}`: profile fields and type, all or nothing → 204.
pub async fn update(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
    q: Params,
    Body(body): Body<UpdateUser>,
) -> ApiResult<StatusCode> {
    q.check(&["remove_tsp_credentials"], true)?;
    let ops = state.read_account(&account, |c, a| {
        update_ops(a, find(c, &account, &user_id)?, &body)
    })?;
    state.run_ops(&account, &ops)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /users/{userId}?action=disassociate|delete` (disassociate is the default) → 204.
pub async fn remove(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
    q: Params,
) -> ApiResult<StatusCode> {
    let action = q.one_of("action", &["disassociate", "delete"])?;
    q.check(
        &[
            "encrypted_email",
            "transfer_meeting",
            "transfer_webinar",
            "transfer_recording",
            "transfer_whiteboard",
            "transfer_clipfiles",
            "transfer_notes",
            "transfer_visitors",
            "transfer_docs",
        ],
        false,
    )?;
    let email = user_email(&state, &account, &user_id)?;
    let op = match action {
        Some("delete") => Op::DeleteUser { email },
        _ => Op::DisassociateUser { email },
    };
    state.run_ops(&account, &[op])?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /users/{userId}/status` with `{action: activate|deactivate}` → 200.
pub async fn status(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
    Body(body): Body<StatusAction>,
) -> ApiResult<StatusCode> {
    let email = user_email(&state, &account, &user_id)?;
    let op = match body.action.as_str() {
        "activate" => Op::ActivateUser { email },
        "deactivate" => Op::DeactivateUser { email },
        "clock_in" | "clock_out" => {
            return Err(ApiError(
                400,
                300,
                format!(
                    "{} needs Zoom Workforce Management, which the simulator does not hold.",
                    body.action
                ),
            ));
        }
        other => {
            return Err(ApiError(
                400,
                300,
                format!(
                    "Invalid field: action {other:?} (activate, deactivate, clock_in, clock_out)."
                ),
            ));
        }
    };
    state.run_ops(&account, &[op])?;
    Ok(StatusCode::OK)
}

/// `GET /users/{userId}/settings`: the `feature` section (capacities and add-ons); with
/// `option=…`, the (empty) authentication or security section asked for.
pub async fn settings(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
    q: Params,
) -> ApiResult<Json<serde_json::Value>> {
    q.check(&[], true)?;
    let option = q
        .one_of(
            "option",
            &[
                "meeting_authentication",
                "recording_authentication",
                "meeting_security",
            ],
        )?
        .map(str::to_string);
    state.read(|c| {
        let u = find(c, &account, &user_id)?;
        let value = match option.as_deref() {
            Some("meeting_security") => serde_json::json!({"meeting_security": {}}),
            Some(which) => serde_json::json!({"authentication_options": {which: {}}}),
            None => serde_json::to_value(user_settings(u))
                .map_err(|e| ApiError(500, 500, e.to_string()))?,
        };
        Ok(Json(value))
    })
}

fn user_settings(u: &SimUser) -> UserSettings {
    let large = u.addons.contains(&Addon::LargeMeeting);
    let webinar = u.addons.contains(&Addon::Webinar);
    UserSettings {
        feature: Features {
            meeting_capacity: Some(if u.user_type == UserType::Basic {
                100
            } else {
                300
            }),
            large_meeting: Some(large),
            large_meeting_capacity: large.then_some(500),
            webinar: Some(webinar),
            webinar_capacity: webinar.then_some(500),
        },
    }
}

/// `PATCH /users/{userId}/settings` with `feature.large_meeting` / `feature.webinar` (U3)
/// → 204. Other settings are accepted and not kept (the simulator holds only add-ons).
pub async fn update_settings(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
    q: Params,
    Body(body): Body<UserSettings>,
) -> ApiResult<StatusCode> {
    q.one_of(
        "option",
        &[
            "meeting_authentication",
            "recording_authentication",
            "meeting_security",
        ],
    )?;
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

/// `GET /users/{userId}/permissions`: the privileges of the user's role.
pub async fn permissions(
    State(state): State<Shared>,
    Extension(AccountId(account)): Extension<AccountId>,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Permissions>> {
    state.read_account(&account, |c, a| {
        let u = find(c, &account, &user_id)?;
        Ok(Json(Permissions {
            permissions: super::roles::privileges_of(a, &u.role),
        }))
    })
}
