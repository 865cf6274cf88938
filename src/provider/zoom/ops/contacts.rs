//! External contact requests (K2) and personal contacts (K5–K7). Organizations and the
//! removal of an external contact have no API: they are manual changes.

use super::{delete, ok_if_gone, send, user_key};
use crate::model::{Email, PersonalContact, StoredContact};
use crate::provider::ProviderError;
use crate::provider::wire::{ContactInvitation, PersonalContactBody};
use crate::provider::zoom::Ids;
use crate::provider::zoom::http::{Http, Retry};
use crate::provider::zoom::limiter::Label;
use reqwest::Method;

/// K2: `POST /chat/users/{id}/invitations`.
pub(super) async fn request_external(
    http: &Http,
    ids: &Ids,
    user: &Email,
    contact: &Email,
) -> Result<(), ProviderError> {
    let body = ContactInvitation {
        email: contact.to_string(),
        message: None,
    };
    let path = format!("/chat/users/{}/invitations", user_key(ids, user));
    send(http, Method::POST, &path, &body, Label::Light).await
}

/// K6 as K7 calls: deletes, updates and adds one contact each; unchanged contacts are not
/// touched.
pub(super) async fn replace_personal(
    http: &Http,
    ids: &Ids,
    user: &Email,
    group: &str,
    add: &[PersonalContact],
    update: &[StoredContact],
    gone_ids: &[String],
) -> Result<(), ProviderError> {
    let base = format!("/contacts/user/{}/personal", user_key(ids, user));
    for id in gone_ids {
        ok_if_gone(delete(http, &format!("{base}/{id}"), &[], Label::Light).await)?;
    }
    for s in update {
        let body = PersonalContactBody::from_contact(group, &s.contact);
        send(
            http,
            Method::PATCH,
            &format!("{base}/{}", s.id),
            &body,
            Label::Light,
        )
        .await?;
    }
    for c in add {
        let body = PersonalContactBody::from_contact(group, c);
        // A create: sent once; a lost answer is found by the next refresh's listing.
        http.send(
            Method::POST,
            &base,
            &[],
            Some(&body),
            Label::Light,
            Retry::Once,
        )
        .await?;
    }
    Ok(())
}
