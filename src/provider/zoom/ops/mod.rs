//! Each planned [`Op`] as Zoom's documented request(s) (spec/zoom-api.md §2–4).
//! Creates are sent once; after a transient failure the object is looked up before any
//! second attempt, so a lost answer never makes a duplicate invitation.
//!
//! This module holds the dispatch, the batches and the shared request helpers; `users`
//! maps the operations on users, `containers` groups, chat groups and roles, `contacts`
//! external and personal contacts.

mod contacts;
mod containers;
mod users;

use super::Ids;
use super::http::{Http, Retry};
use super::limiter::Label;
use crate::model::{Email, Op, RoleName};
use crate::provider::ProviderError;
use crate::provider::wire::{MemberRef, Members};
use backon::Retryable;
use reqwest::Method;
use std::collections::BTreeMap;

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

/// What an operation learnt: the kind and name of what it created, and its id (`None`:
/// created, but the id is unknown until the next refresh).
pub type LearntId = Option<(Learnt, String, Option<String>)>;

fn user_key(ids: &Ids, email: &Email) -> String {
    ids.users
        .get(email)
        .cloned()
        .unwrap_or_else(|| email.to_string())
}

fn missing(what: &str, name: &str) -> ProviderError {
    ProviderError::State(format!("{what} {name} was not seen by the last refresh"))
}

/// Zoom's answer that the object is not there (any more).
fn gone(e: &ProviderError) -> bool {
    matches!(
        e,
        ProviderError::Api {
            code: 1001 | 1120 | 4131,
            ..
        }
    )
}

/// A removal whose object is already gone has done its job.
fn ok_if_gone(r: Result<(), ProviderError>) -> Result<(), ProviderError> {
    match r {
        Err(e) if gone(&e) => Ok(()),
        other => other,
    }
}

fn to_json<T: serde::Serialize>(body: T) -> Result<serde_json::Value, ProviderError> {
    serde_json::to_value(body).map_err(|e| ProviderError::State(e.to_string()))
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
    let sent_before = std::sync::atomic::AtomicBool::new(false);
    let policy = backon::ExponentialBuilder::default()
        .with_min_delay(std::time::Duration::from_millis(200))
        .with_jitter()
        .with_max_times(CREATE_ATTEMPTS as usize - 1);
    (|| async {
        if sent_before.swap(true, std::sync::atomic::Ordering::Relaxed) && exists().await? {
            tracing::info!(
                path,
                "the create went through before its answer was lost; not repeating it"
            );
            return Ok(None);
        }
        http.send(Method::POST, path, &[], Some(body), label, Retry::Once)
            .await
            .map(Some)
    })
    .retry(policy)
    .sleep(tokio::time::sleep)
    .when(ProviderError::is_transient)
    .notify(|e: &ProviderError, _| {
        tracing::warn!(path, error = %e, "create failed before reaching Zoom; checking, then sending it again");
    })
    .await
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

/// A request whose answer roster does not read.
async fn send<B: serde::Serialize>(
    http: &Http,
    method: Method,
    path: &str,
    body: &B,
    label: Label,
) -> Result<(), ProviderError> {
    http.send(method, path, &[], Some(body), label, Retry::Safe)
        .await
        .map(|_| ())
}

/// Executes one operation; returns an id learnt from a create. One arm per operation.
pub async fn execute(http: &Http, ids: &Ids, op: &Op) -> Result<LearntId, ProviderError> {
    let none = |r: Result<(), ProviderError>| r.map(|()| None);
    match op {
        Op::CreateUser {
            email,
            user_type,
            first_name,
            last_name,
        } => none(users::create_user(http, email, *user_type, first_name, last_name).await),
        Op::ResendInvitation {
            email,
            user_type,
            first_name,
            last_name,
        } => none(users::resend(http, email, *user_type, first_name, last_name).await),
        Op::CancelInvitation { email } => none(users::cancel_invitation(http, email).await),
        Op::UpdateProfile { email, patch } => none(users::update(http, ids, email, patch).await),
        Op::ChangeUserType { email, to } => none(users::change_type(http, ids, email, *to).await),
        Op::ChangeRole { .. } => Box::pin(execute_batch(http, ids, std::slice::from_ref(op)))
            .await
            .pop()
            .unwrap_or(Ok(()))
            .map(|_| None),
        Op::AssignAddon { email, addon } => {
            none(users::set_addon(http, ids, email, *addon, true).await)
        }
        Op::RemoveAddon { email, addon } => {
            none(users::set_addon(http, ids, email, *addon, false).await)
        }
        Op::SetGroup {
            email,
            group,
            remove_from,
        } => none(users::set_group(http, ids, email, group.as_ref(), remove_from).await),
        Op::AddChatGroup { email, group } => {
            none(users::add_chat_group(http, ids, email, group).await)
        }
        Op::RemoveChatGroup { email, group } => {
            none(users::remove_chat_group(http, ids, email, group).await)
        }
        Op::DeactivateUser { email } => none(users::set_status(http, ids, email, false).await),
        Op::ActivateUser { email } => none(users::set_status(http, ids, email, true).await),
        Op::DisassociateUser { email } => {
            none(users::remove(http, ids, email, "disassociate").await)
        }
        Op::DeleteUser { email } => none(users::remove(http, ids, email, "delete").await),
        Op::CreateGroup { name, .. } => containers::create_group(http, name).await,
        Op::DeleteGroup { name } => none(containers::delete_group(http, ids, name).await),
        Op::CreateChatGroup { name, description } => {
            containers::create_chat_group(http, name, description).await
        }
        Op::DeleteChatGroup { name } => none(containers::delete_chat_group(http, ids, name).await),
        Op::CreateRole {
            name,
            description,
            privileges,
        } => containers::create_role(http, name, description, privileges).await,
        Op::UpdateRole {
            name,
            description,
            privileges,
        } => none(containers::update_role(http, ids, name, description, privileges).await),
        Op::DeleteRole { name } => none(containers::delete_role(http, ids, name).await),
        Op::RequestExternalContact { user, contact } => {
            none(contacts::request_external(http, ids, user, contact).await)
        }
        Op::ReplacePersonalContacts {
            user,
            group,
            add,
            update,
            delete,
        } => none(contacts::replace_personal(http, ids, user, group, add, update, delete).await),
        Op::CreateOrganization { .. }
        | Op::InviteAccount { .. }
        | Op::ResendAccountInvitation { .. }
        | Op::UnlinkAccount { .. }
        | Op::RequestLink { .. }
        | Op::DeleteOrganization { .. }
        | Op::RemoveExternalContact { .. }
        | Op::ReplacePersonalContactsByHand { .. }
        | Op::ConnectIntegration { .. }
        | Op::ConnectCalendly { .. }
        | Op::ReconnectCalendly { .. }
        | Op::SetCalendlyOptions { .. } => Err(ProviderError::State(format!(
            "{op:?} has no Zoom API: it is a manual change (roster confirm)"
        ))),
    }
}

/// Operations sent together: the indexes of the batch's ops per role and per group.
#[derive(Default)]
struct Batches {
    roles: BTreeMap<String, Vec<usize>>,
    groups: BTreeMap<String, Vec<usize>>,
}

/// Role changes to one role, or additions to one group, 30 users per call. A demotion to
/// member removes the user from their current role instead (Zoom refuses members on the
/// Member role).
pub async fn execute_batch(http: &Http, ids: &Ids, ops: &[Op]) -> Vec<Result<(), ProviderError>> {
    let mut out: Vec<Option<Result<(), ProviderError>>> = vec![None; ops.len()];
    let mut batches = Batches::default();
    let mut members: Vec<Option<&Email>> = vec![None; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::ChangeRole {
                email,
                to: RoleName::Member,
            } => out[i] = Some(demote(http, ids, email).await),
            Op::ChangeRole { email, to } => {
                members[i] = Some(email);
                batches
                    .roles
                    .entry(to.as_str().to_string())
                    .or_default()
                    .push(i);
            }
            Op::SetGroup {
                email,
                group: Some(g),
                remove_from,
            } if remove_from.is_empty() => {
                members[i] = Some(email);
                batches.groups.entry(g.clone()).or_default().push(i);
            }
            other => out[i] = Some(execute(http, ids, other).await.map(|_| ())),
        }
    }
    let kinds = [
        ("role", "roles", batches.roles, &ids.roles),
        ("group", "groups", batches.groups, &ids.groups),
    ];
    for (what, path, batch, known) in kinds {
        for (name, idx) in batch {
            let Some(id) = known.get(&name) else {
                for i in idx {
                    out[i] = Some(Err(missing(what, &name)));
                }
                continue;
            };
            for chunk in idx.chunks(BATCH) {
                let refs = chunk.iter().filter_map(|i| members[*i]);
                let r = add_members(http, ids, &format!("/{path}/{id}/members"), refs).await;
                for i in chunk {
                    out[*i] = Some(r.clone());
                }
            }
        }
    }
    out.into_iter().map(|r| r.unwrap_or(Ok(()))).collect()
}

/// A demotion to member: the user leaves their current role.
async fn demote(http: &Http, ids: &Ids, email: &Email) -> Result<(), ProviderError> {
    let current = ids
        .user_role
        .get(email)
        .ok_or_else(|| missing("role of", email.as_str()))?;
    let path = format!("/roles/{current}/members/{}", user_key(ids, email));
    ok_if_gone(delete(http, &path, &[], Label::Light).await)
}

/// One `POST …/members` call for up to [`BATCH`] users.
async fn add_members(
    http: &Http,
    ids: &Ids,
    path: &str,
    emails: impl Iterator<Item = &Email>,
) -> Result<(), ProviderError> {
    let members = emails.map(|e| member_ref(ids, e)).collect();
    send(
        http,
        Method::POST,
        path,
        &Members { members },
        Label::Medium,
    )
    .await
}

/// A user in a members list: by id when known, and by email.
fn member_ref(ids: &Ids, email: &Email) -> MemberRef {
    MemberRef {
        id: ids.users.get(email).cloned(),
        email: Some(email.to_string()),
    }
}
