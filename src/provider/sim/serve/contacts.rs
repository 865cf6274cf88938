//! `/contacts/user/{userId}/personal…` (personal contacts, K5–K7: one by one) and
//! `/chat/users/{userId}/invitations` (a contact request, K2).

use super::users::find;
use super::{AccountId, ApiError, ApiResult, Shared, account_of};
use crate::model::Op;
use crate::model::StoredContact;
use crate::provider::wire::{ContactInvitation, PersonalContactBody, PersonalContactList};
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use std::collections::HashMap;

fn email_and_group(
    state: &Shared,
    acc: &str,
    user_id: &str,
    id: &str,
) -> ApiResult<(crate::model::Email, String, StoredContact)> {
    state.read(|c| {
        let u = find(c, acc, user_id)?;
        let a = account_of(c, acc)?;
        a.personal_contacts
            .get(&u.email)
            .and_then(|groups| {
                groups.iter().find_map(|(g, list)| {
                    list.iter()
                        .find(|x| x.id == id)
                        .map(|x| (g.clone(), x.clone()))
                })
            })
            .map(|(g, x)| (u.email.clone(), g, x))
            .ok_or_else(|| ApiError(404, 1001, format!("Personal contact does not exist: {id}.")))
    })
}

/// `GET /contacts/user/{userId}/personal?group_name=`.
pub async fn list(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(user_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<PersonalContactList>> {
    state.read(|c| {
        let u = find(c, &acc, &user_id)?;
        let a = account_of(c, &acc)?;
        let contacts = a
            .personal_contacts
            .get(&u.email)
            .into_iter()
            .flat_map(|groups| groups.iter())
            .filter(|(g, _)| q.get("group_name").is_none_or(|want| want == *g))
            .flat_map(|(g, list)| {
                list.iter().map(move |s| PersonalContactBody {
                    id: Some(s.id.clone()),
                    ..PersonalContactBody::from_contact(g, &s.contact)
                })
            })
            .collect();
        Ok(Json(PersonalContactList {
            contacts,
            next_page_token: String::new(),
        }))
    })
}

/// `POST /contacts/user/{userId}/personal` (K7 add).
pub async fn add(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(user_id): Path<String>,
    Json(body): Json<PersonalContactBody>,
) -> ApiResult<(StatusCode, Json<PersonalContactBody>)> {
    let email = state.read(|c| find(c, &acc, &user_id).map(|u| u.email.clone()))?;
    state.run_ops(
        &acc,
        &[Op::ReplacePersonalContacts {
            user: email.clone(),
            group: body.group_name.clone(),
            add: vec![body.to_contact()],
            update: vec![],
            delete: vec![],
        }],
    )?;
    let id = state.read(|c| {
        Ok::<_, ApiError>(
            account_of(c, &acc)?
                .personal_contacts
                .get(&email)
                .and_then(|g| g.get(&body.group_name))
                .and_then(|l| l.last())
                .map(|s| s.id.clone()),
        )
    })?;
    Ok((
        StatusCode::CREATED,
        Json(PersonalContactBody { id, ..body }),
    ))
}

/// `PATCH /contacts/user/{userId}/personal/{contactId}` (K7 edit).
pub async fn edit(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path((user_id, id)): Path<(String, String)>,
    Json(body): Json<PersonalContactBody>,
) -> ApiResult<StatusCode> {
    let (email, group, _) = email_and_group(&state, &acc, &user_id, &id)?;
    state.run_ops(
        &acc,
        &[Op::ReplacePersonalContacts {
            user: email,
            group,
            add: vec![],
            update: vec![StoredContact {
                id,
                contact: body.to_contact(),
            }],
            delete: vec![],
        }],
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /contacts/user/{userId}/personal/{contactId}` (K7 delete).
pub async fn remove(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path((user_id, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (email, group, _) = email_and_group(&state, &acc, &user_id, &id)?;
    state.run_ops(
        &acc,
        &[Op::ReplacePersonalContacts {
            user: email,
            group,
            add: vec![],
            update: vec![],
            delete: vec![id],
        }],
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /chat/users/{userId}/invitations {email}`: a contact request (K2) → 204.
pub async fn invite(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(user_id): Path<String>,
    Json(body): Json<ContactInvitation>,
) -> ApiResult<StatusCode> {
    let user = state.read(|c| find(c, &acc, &user_id).map(|u| u.email.clone()))?;
    let contact = super::email_of(&body.email)?;
    state.run_ops(&acc, &[Op::RequestExternalContact { user, contact }])?;
    Ok(StatusCode::NO_CONTENT)
}
