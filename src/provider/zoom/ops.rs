//! Each planned [`Op`] as Zoom's documented request(s) (spec/zoom-api.md §2–4).
//! Creates are sent once; after a transient failure the object is looked up before any
//! second attempt, so a lost answer never makes a duplicate invitation.

use super::Ids;
use super::http::{Http, Retry};
use super::limiter::Label;
use crate::model::{Addon, Email, RoleName, UserType};
use crate::model::{Op, ProfilePatch};
use crate::provider::ProviderError;
use crate::provider::wire::{
    ContactGroupMember, ContactGroupPage, CreateUser, CreateUserInfo, CustomAttribute, Features,
    GroupPage, MemberRef, Members, NewContactGroup, NewContactGroupMembers, NewGroup, NewRole,
    RoleList, RoleUpdate, StatusAction, UpdateUser, UserSettings,
};
use reqwest::Method;

/// Zoom takes at most this many users per role or group call.
pub const BATCH: usize = 30;
/// How many times a create is attempted (each after a look-up).
const CREATE_ATTEMPTS: u32 = 5;

/// A new id learnt from a create, to remember for later operations.
pub enum Learnt {
    /// A user group.
    Group,
    /// A contact group.
    ChatGroup,
    /// A role.
    Role,
}

fn user_key(ids: &Ids, email: &Email) -> String {
    ids.users
        .get(email)
        .cloned()
        .unwrap_or_else(|| email.to_string())
}

fn missing(what: &str, name: &str) -> ProviderError {
    ProviderError::State(format!("{what} {name} was not seen by the last refresh"))
}

fn gone(e: &ProviderError) -> bool {
    matches!(
        e,
        ProviderError::Api {
            code: 1001 | 1120 | 4131,
            ..
        }
    )
}

/// A create that must not be repeated blindly: send once, and after a transient failure
/// check with `exists` before trying again.
async fn create_once<F, Fut>(
    http: &Http,
    path: &str,
    body: &serde_json::Value,
    label: Label,
    exists: F,
) -> Result<Option<crate::provider::zoom::http::Answer>, ProviderError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<bool, ProviderError>>,
{
    let mut attempt = 0;
    loop {
        match http
            .send(Method::POST, path, &[], Some(body), label, Retry::Once)
            .await
        {
            Ok(a) => return Ok(Some(a)),
            Err(e) if e.is_transient() && attempt + 1 < CREATE_ATTEMPTS => {
                attempt += 1;
                if exists().await? {
                    tracing::info!(
                        path,
                        "the create went through before its answer was lost; not repeating it"
                    );
                    return Ok(None);
                }
                tracing::warn!(path, attempt, error = %e, "create failed before reaching Zoom; sending it again");
                tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)))
                    .await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn create_user(
    http: &Http,
    email: &Email,
    user_type: UserType,
    first_name: &Option<String>,
    last_name: &Option<String>,
) -> Result<(), ProviderError> {
    let body = serde_json::to_value(CreateUser {
        action: "create".into(),
        user_info: CreateUserInfo {
            email: email.to_string(),
            user_type: i64::from(user_type.zoom_code()),
            first_name: first_name.clone(),
            last_name: last_name.clone(),
            display_name: None,
        },
    })
    .map_err(|e| ProviderError::State(e.to_string()))?;
    create_once(http, "/users", &body, Label::Light, || async {
        match http
            .send::<()>(
                Method::GET,
                &format!("/users/{email}"),
                &[],
                None,
                Label::Light,
                Retry::Safe,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if gone(&e) => Ok(false),
            Err(e) => Err(e),
        }
    })
    .await
    .map(|_| ())
}

async fn delete(
    http: &Http,
    path: &str,
    query: &[(&str, String)],
    label: Label,
) -> Result<(), ProviderError> {
    http.send::<()>(Method::DELETE, path, query, None, label, Retry::Safe)
        .await
        .map(|_| ())
}

fn update_body(p: &ProfilePatch) -> UpdateUser {
    UpdateUser {
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        user_type: None,
        dept: p.department.clone(),
        job_title: p.job_title.clone(),
        location: p.location.clone(),
        manager: p
            .manager
            .as_ref()
            .map(|m| m.as_ref().map(|e| e.to_string()).unwrap_or_default()),
        custom_attributes: p.custom_attributes.as_ref().map(|m| {
            m.iter()
                .map(|(k, v)| CustomAttribute {
                    key: String::new(),
                    name: k.clone(),
                    value: v.clone(),
                })
                .collect()
        }),
        group_id: None,
    }
}

/// Executes one operation; returns an id learnt from a create.
pub async fn execute(
    http: &Http,
    ids: &Ids,
    op: &Op,
) -> Result<Option<(Learnt, String, String)>, ProviderError> {
    match op {
        Op::CreateUser {
            email,
            user_type,
            first_name,
            last_name,
        } => create_user(http, email, *user_type, first_name, last_name)
            .await
            .map(|_| None),
        Op::ResendInvitation {
            email,
            user_type,
            first_name,
            last_name,
        } => {
            // No resend endpoint: disassociate the pending user, then create again (U8).
            match delete(
                http,
                &format!("/users/{email}"),
                &[("action", "disassociate".into())],
                Label::Light,
            )
            .await
            {
                Ok(()) => {}
                Err(e) if gone(&e) => {}
                Err(e) => return Err(e),
            }
            create_user(http, email, *user_type, first_name, last_name)
                .await
                .map(|_| None)
        }
        Op::CancelInvitation { email } => delete(
            http,
            &format!("/users/{email}"),
            &[("action", "disassociate".into())],
            Label::Light,
        )
        .await
        .map(|_| None),
        Op::UpdateProfile { email, patch } => {
            http.send(
                Method::PATCH,
                &format!("/users/{}", user_key(ids, email)),
                &[],
                Some(&update_body(patch)),
                Label::Light,
                Retry::Safe,
            )
            .await?;
            Ok(None)
        }
        Op::ChangeUserType { email, to } => {
            let body = UpdateUser {
                user_type: Some(i64::from(to.zoom_code())),
                ..UpdateUser::default()
            };
            http.send(
                Method::PATCH,
                &format!("/users/{}", user_key(ids, email)),
                &[],
                Some(&body),
                Label::Light,
                Retry::Safe,
            )
            .await?;
            Ok(None)
        }
        Op::ChangeRole { .. } => Box::pin(execute_batch(http, ids, std::slice::from_ref(op)))
            .await
            .pop()
            .unwrap_or(Ok(()))
            .map(|_| None),
        Op::AssignAddon { email, addon } | Op::RemoveAddon { email, addon } => {
            let on = matches!(op, Op::AssignAddon { .. });
            let feature = match addon {
                Addon::LargeMeeting => Features {
                    large_meeting: Some(on),
                    ..Features::default()
                },
                Addon::Webinar => Features {
                    webinar: Some(on),
                    ..Features::default()
                },
            };
            http.send(
                Method::PATCH,
                &format!("/users/{}/settings", user_key(ids, email)),
                &[],
                Some(&UserSettings { feature }),
                Label::Medium,
                Retry::Safe,
            )
            .await?;
            Ok(None)
        }
        Op::SetGroup {
            email,
            group,
            remove_from,
        } => {
            let user = user_key(ids, email);
            for g in remove_from {
                let gid = ids.groups.get(g).ok_or_else(|| missing("group", g))?;
                match delete(
                    http,
                    &format!("/groups/{gid}/members/{user}"),
                    &[],
                    Label::Light,
                )
                .await
                {
                    Ok(()) => {}
                    Err(e) if gone(&e) => {}
                    Err(e) => return Err(e),
                }
            }
            if let Some(g) = group {
                let gid = ids.groups.get(g).ok_or_else(|| missing("group", g))?;
                let body = Members {
                    members: vec![MemberRef {
                        id: ids.users.get(email).cloned(),
                        email: Some(email.to_string()),
                    }],
                };
                http.send(
                    Method::POST,
                    &format!("/groups/{gid}/members"),
                    &[],
                    Some(&body),
                    Label::Medium,
                    Retry::Safe,
                )
                .await?;
            }
            Ok(None)
        }
        Op::AddChatGroup { email, group } => {
            let gid = ids
                .chat_groups
                .get(group)
                .ok_or_else(|| missing("chat group", group))?;
            let body = NewContactGroupMembers {
                group_members: vec![ContactGroupMember {
                    member_type: 1,
                    id: user_key(ids, email),
                    name: None,
                }],
            };
            http.send(
                Method::POST,
                &format!("/contacts/groups/{gid}/members"),
                &[],
                Some(&body),
                Label::Heavy,
                Retry::Safe,
            )
            .await?;
            Ok(None)
        }
        Op::RemoveChatGroup { email, group } => {
            let gid = ids
                .chat_groups
                .get(group)
                .ok_or_else(|| missing("chat group", group))?;
            delete(
                http,
                &format!("/contacts/groups/{gid}/members"),
                &[("member_ids", user_key(ids, email))],
                Label::Heavy,
            )
            .await
            .map(|_| None)
        }
        Op::DeactivateUser { email } | Op::ActivateUser { email } => {
            let action = if matches!(op, Op::ActivateUser { .. }) {
                "activate"
            } else {
                "deactivate"
            };
            http.send(
                Method::PUT,
                &format!("/users/{}/status", user_key(ids, email)),
                &[],
                Some(&StatusAction {
                    action: action.into(),
                }),
                Label::Light,
                Retry::Safe,
            )
            .await?;
            Ok(None)
        }
        Op::DisassociateUser { email } => delete(
            http,
            &format!("/users/{}", user_key(ids, email)),
            &[("action", "disassociate".into())],
            Label::Light,
        )
        .await
        .map(|_| None),
        Op::DeleteUser { email } => delete(
            http,
            &format!("/users/{}", user_key(ids, email)),
            &[("action", "delete".into())],
            Label::Light,
        )
        .await
        .map(|_| None),
        Op::CreateGroup { name, .. } => {
            let body = serde_json::to_value(NewGroup { name: name.clone() })
                .map_err(|e| ProviderError::State(e.to_string()))?;
            let answer = create_once(http, "/groups", &body, Label::Light, || {
                find_group(http, name)
            })
            .await?;
            let id = match answer {
                Some(a) => a.json::<crate::provider::wire::Group>()?.id,
                None => find_group_id(http, name).await?.unwrap_or_default(),
            };
            Ok(Some((Learnt::Group, name.clone(), id)))
        }
        Op::DeleteGroup { name } => {
            let gid = ids.groups.get(name).ok_or_else(|| missing("group", name))?;
            delete(http, &format!("/groups/{gid}"), &[], Label::Light)
                .await
                .map(|_| None)
        }
        Op::CreateChatGroup { name, description } => {
            let body = serde_json::to_value(NewContactGroup {
                group_name: name.clone(),
                group_privacy: 1,
                description: description.clone(),
                group_members: Vec::new(),
            })
            .map_err(|e| ProviderError::State(e.to_string()))?;
            let answer = create_once(http, "/contacts/groups", &body, Label::Heavy, || async {
                Ok(find_chat_group_id(http, name).await?.is_some())
            })
            .await?;
            let id = match answer {
                Some(a) => a.json::<crate::provider::wire::ContactGroup>()?.group_id,
                None => find_chat_group_id(http, name).await?.unwrap_or_default(),
            };
            Ok(Some((Learnt::ChatGroup, name.clone(), id)))
        }
        Op::DeleteChatGroup { name } => {
            let gid = ids
                .chat_groups
                .get(name)
                .ok_or_else(|| missing("chat group", name))?;
            delete(http, &format!("/contacts/groups/{gid}"), &[], Label::Heavy)
                .await
                .map(|_| None)
        }
        Op::CreateRole {
            name,
            description,
            privileges,
        } => {
            let role = NewRole {
                name: name.clone(),
                description: description.clone(),
                role_type: Some("common".into()),
                privileges: privileges.iter().cloned().collect(),
            };
            let body =
                serde_json::to_value(role).map_err(|e| ProviderError::State(e.to_string()))?;
            let answer = create_once(http, "/roles", &body, Label::Light, || async {
                Ok(find_role_id(http, name).await?.is_some())
            })
            .await?;
            // accounts-api.json documents `200 {}` for POST /roles: the id is read back by
            // name when the answer has none (issue 10, item 5).
            let given = answer
                .and_then(|a| a.json::<serde_json::Value>().ok())
                .and_then(|v| v["id"].as_str().map(str::to_string))
                .filter(|id| !id.is_empty());
            let id = match given {
                Some(id) => id,
                None => find_role_id(http, name).await?.ok_or_else(|| {
                    ProviderError::State(format!(
                        "role {name} was created but GET /roles does not list it; run the plan again"
                    ))
                })?,
            };
            Ok(Some((Learnt::Role, name.clone(), id)))
        }
        Op::UpdateRole {
            name,
            description,
            privileges,
        } => {
            let rid = ids.roles.get(name).ok_or_else(|| missing("role", name))?;
            let role = RoleUpdate {
                description: description.clone(),
                privileges: Some(privileges.iter().cloned().collect()),
                ..RoleUpdate::default()
            };
            http.send(
                Method::PATCH,
                &format!("/roles/{rid}"),
                &[],
                Some(&role),
                Label::Light,
                Retry::Safe,
            )
            .await?;
            Ok(None)
        }
        Op::RequestExternalContact { user, contact } => {
            let body = crate::provider::wire::ContactInvitation {
                email: contact.to_string(),
                message: None,
            };
            http.send(
                Method::POST,
                &format!("/chat/users/{}/invitations", user_key(ids, user)),
                &[],
                Some(&body),
                Label::Light,
                Retry::Safe,
            )
            .await?;
            Ok(None)
        }
        Op::ReplacePersonalContacts {
            user,
            group,
            add,
            update,
            delete: gone_ids,
        } => {
            // K6 as K7 calls: unchanged contacts are not touched.
            let key = user_key(ids, user);
            for id in gone_ids {
                match delete(
                    http,
                    &format!("/contacts/user/{key}/personal/{id}"),
                    &[],
                    Label::Light,
                )
                .await
                {
                    Ok(()) => {}
                    Err(e) if gone(&e) => {}
                    Err(e) => return Err(e),
                }
            }
            for s in update {
                let body =
                    crate::provider::wire::PersonalContactBody::from_contact(group, &s.contact);
                http.send(
                    Method::PATCH,
                    &format!("/contacts/user/{key}/personal/{}", s.id),
                    &[],
                    Some(&body),
                    Label::Light,
                    Retry::Safe,
                )
                .await?;
            }
            for c in add {
                let body = crate::provider::wire::PersonalContactBody::from_contact(group, c);
                // A create: sent once; a lost answer is found by the next refresh's listing.
                http.send(
                    Method::POST,
                    &format!("/contacts/user/{key}/personal"),
                    &[],
                    Some(&body),
                    Label::Light,
                    Retry::Once,
                )
                .await?;
            }
            Ok(None)
        }
        Op::CreateOrganization { .. }
        | Op::InviteAccount { .. }
        | Op::ResendAccountInvitation { .. }
        | Op::UnlinkAccount { .. }
        | Op::RequestLink { .. }
        | Op::DeleteOrganization { .. }
        | Op::RemoveExternalContact { .. } => Err(ProviderError::State(format!(
            "{op:?} has no Zoom API: it is a manual change (roster confirm)"
        ))),
        Op::DeleteRole { name } => {
            let rid = ids.roles.get(name).ok_or_else(|| missing("role", name))?;
            delete(http, &format!("/roles/{rid}"), &[], Label::Light)
                .await
                .map(|_| None)
        }
    }
}

async fn find_group(http: &Http, name: &str) -> Result<bool, ProviderError> {
    Ok(find_group_id(http, name).await?.is_some())
}

async fn find_group_id(http: &Http, name: &str) -> Result<Option<String>, ProviderError> {
    let (p, _): (GroupPage, _) = http
        .get("/groups", &[("page_size", "300".into())], Label::Medium)
        .await?;
    Ok(p.groups.into_iter().find(|g| g.name == name).map(|g| g.id))
}

async fn find_chat_group_id(http: &Http, name: &str) -> Result<Option<String>, ProviderError> {
    let mut token = String::new();
    loop {
        let mut q = vec![("page_size", "50".to_string())];
        if !token.is_empty() {
            q.push(("next_page_token", token.clone()));
        }
        let (p, _): (ContactGroupPage, _) = http.get("/contacts/groups", &q, Label::Medium).await?;
        if let Some(g) = p.groups.into_iter().find(|g| g.group_name == name) {
            return Ok(Some(g.group_id));
        }
        if p.next_page_token.is_empty() {
            return Ok(None);
        }
        token = p.next_page_token;
    }
}

async fn find_role_id(http: &Http, name: &str) -> Result<Option<String>, ProviderError> {
    let (p, _): (RoleList, _) = http.get("/roles", &[], Label::Medium).await?;
    Ok(p.roles.into_iter().find(|r| r.name == name).map(|r| r.id))
}

/// Role changes to one role, or additions to one group, 30 users per call. A demotion to
/// member removes the user from their current role instead (Zoom refuses members on the
/// Member role).
pub async fn execute_batch(http: &Http, ids: &Ids, ops: &[Op]) -> Vec<Result<(), ProviderError>> {
    let mut out: Vec<Option<Result<(), ProviderError>>> = vec![None; ops.len()];
    let mut role_batches: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    let mut group_batches: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::ChangeRole {
                email,
                to: RoleName::Member,
            } => {
                let r = match ids.user_role.get(email) {
                    Some(current) => delete(
                        http,
                        &format!("/roles/{current}/members/{}", user_key(ids, email)),
                        &[],
                        Label::Light,
                    )
                    .await
                    .or_else(|e| if gone(&e) { Ok(()) } else { Err(e) }),
                    None => Err(missing("role of", email.as_str())),
                };
                out[i] = Some(r);
            }
            Op::ChangeRole { to, .. } => role_batches
                .entry(to.as_str().to_string())
                .or_default()
                .push(i),
            Op::SetGroup {
                group: Some(g),
                remove_from,
                ..
            } if remove_from.is_empty() => group_batches.entry(g.clone()).or_default().push(i),
            other => out[i] = Some(execute(http, ids, other).await.map(|_| ())),
        }
    }
    let batches = [
        ("role", "roles", role_batches, &ids.roles),
        ("group", "groups", group_batches, &ids.groups),
    ];
    for (what, path, batch, known) in batches {
        for (name, idx) in batch {
            let Some(id) = known.get(&name) else {
                for i in idx {
                    out[i] = Some(Err(missing(what, &name)));
                }
                continue;
            };
            for chunk in idx.chunks(BATCH) {
                let members = chunk.iter().map(|i| member_ref(ids, &ops[*i])).collect();
                let r = http
                    .send(
                        Method::POST,
                        &format!("/{path}/{id}/members"),
                        &[],
                        Some(&Members { members }),
                        Label::Medium,
                        Retry::Safe,
                    )
                    .await
                    .map(|_| ());
                for i in chunk {
                    out[*i] = Some(r.clone());
                }
            }
        }
    }
    out.into_iter().map(|r| r.unwrap_or(Ok(()))).collect()
}

fn member_ref(ids: &Ids, op: &Op) -> MemberRef {
    match op {
        Op::ChangeRole { email, .. } | Op::SetGroup { email, .. } => MemberRef {
            id: ids.users.get(email).cloned(),
            email: Some(email.to_string()),
        },
        _ => MemberRef {
            id: None,
            email: None,
        },
    }
}
