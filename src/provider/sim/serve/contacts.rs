//! `/contacts/user/{userId}/personal…` (personal contacts, K5–K7: one by one) and
//! `/chat/users/{userId}/invitations` (a contact request, K2).

use super::extract::{Body, Params};
use super::paging::Listing;
use super::users::find;
use super::{AccountId, ApiError, ApiResult, Routes, Shared};
use crate::model::Op;
use crate::model::StoredContact;
use crate::provider::wire::{ContactInvitation, PersonalContactBody, PersonalContactList};
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};

/// The routes of this module (the personal-contact paths are in no published spec:
/// docs/zoom-provider.md).
pub fn routes() -> Routes {
    Routes::new()
        .route("/v2/contacts/user/{user_id}/personal", get(list).post(add))
        .route(
            "/v2/contacts/user/{user_id}/personal/{contact_id}",
            patch(edit).delete(remove),
        )
        .route("/v2/chat/users/{user_id}/invitations", post(invite))
}

fn email_and_group(
    state: &Shared,
    acc: &str,
    user_id: &str,
    id: &str,
) -> ApiResult<(crate::model::Email, String, StoredContact)> {
    state.read(|c| {
        let u = find(c, acc, user_id)?;
        let a = &c.accounts[c.account_index(acc).unwrap_or_default()];
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

/// `GET /contacts/user/{userId}/personal?group_name=&page_size=&next_page_token=` (at most
/// 300 per page, all by default: the list endpoint is UNCONFIRMED on Zoom).
pub async fn list(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(user_id): Path<String>,
    q: Params,
) -> ApiResult<Json<PersonalContactList>> {
    if !state.cfg.personal_list {
        return Err(ApiError(
            404,
            2300,
            "This API endpoint does not exist.".into(),
        ));
    }
    let listing = Listing {
        name: format!("personal-contacts:{acc}:{user_id}"),
        default_size: 300,
        max_size: 300,
    };
    let start = state.pager.open(&listing, &q)?;
    let group = start.params.get("group_name").cloned();
    state.read(|c| {
        let u = find(c, &acc, &user_id)?;
        let a = &c.accounts[c.account_index(&acc).unwrap_or_default()];
        let all: Vec<PersonalContactBody> = a
            .personal_contacts
            .get(&u.email)
            .into_iter()
            .flat_map(|groups| groups.iter())
            .filter(|(g, _)| group.as_ref().is_none_or(|want| want == *g))
            .flat_map(|(g, list)| {
                list.iter().map(move |s| PersonalContactBody {
                    id: Some(s.id.clone()),
                    ..PersonalContactBody::from_contact(g, &s.contact)
                })
            })
            .collect();
        let slice = state.pager.page(&listing, start, || {
            all.iter().filter_map(|b| b.id.clone()).collect()
        });
        let contacts = slice
            .keys
            .iter()
            .filter_map(|k| all.iter().find(|b| b.id.as_deref() == Some(k)).cloned())
            .collect();
        Ok(Json(PersonalContactList {
            contacts,
            next_page_token: slice.next_page_token,
        }))
    })
}

/// `POST /contacts/user/{userId}/personal` (K7 add).
pub async fn add(
    State(state): State<Shared>,
    Extension(AccountId(acc)): Extension<AccountId>,
    Path(user_id): Path<String>,
    Body(body): Body<PersonalContactBody>,
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
        let a = &c.accounts[c.account_index(&acc).unwrap_or_default()];
        a.personal_contacts
            .get(&email)
            .and_then(|g| g.get(&body.group_name))
            .and_then(|l| l.last())
            .map(|s| s.id.clone())
    });
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
    Body(body): Body<PersonalContactBody>,
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
    Body(body): Body<ContactInvitation>,
) -> ApiResult<StatusCode> {
    // team-chat-api.json documents 400 and 403 only: an unknown user is a 400 here.
    let user = state
        .read(|c| find(c, &acc, &user_id).map(|u| u.email.clone()))
        .map_err(|ApiError(_, code, message)| ApiError(400, code, message))?;
    let contact = super::email_of(&body.email)?;
    state.run_ops(&acc, &[Op::RequestExternalContact { user, contact }])?;
    Ok(StatusCode::NO_CONTENT)
}
