//! The People API handlers: connections (paged, with sync tokens), contact writes one at a
//! time and in batches, contact groups.
//!
//! Helpers answer `Result<_, Response>`: the refusal is the HTTP answer itself, built once
//! per request, so its size does not matter.
#![allow(clippy::result_large_err)]

use super::view::{self, PERSON_FIELDS, UPDATE_FIELDS};
use super::{authorise, error, error_info, invalid, not_found};
use crate::model::Email;
use crate::provider::ProviderError;
use crate::provider::google::wire::{
    BatchCreateContactsRequest, BatchCreateContactsResponse, BatchDeleteContactsRequest,
    BatchUpdateContactsRequest, BatchUpdateContactsResponse, ContactGroup,
    CreateContactGroupRequest, ListConnectionsResponse, ListContactGroupsResponse, Person,
    PersonResponse, Status,
};
use crate::provider::sim::cloud::Cloud;
use crate::provider::sim::google::{
    FieldMask, GoogleBook, GoogleError, MAX_BATCH_DELETE, MAX_BATCH_WRITE, MY_CONTACTS,
    parse_resource_name, resource_name,
};
use crate::provider::sim::serve::Shared;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;
use std::collections::HashMap;

type Q = Query<HashMap<String, String>>;

/// A book error as Google answers it.
fn refusal(e: &GoogleError) -> Response {
    let m = e.to_string();
    match e {
        GoogleError::ExpiredSyncToken => error(
            400,
            "FAILED_PRECONDITION",
            &m,
            vec![error_info(
                "EXPIRED_SYNC_TOKEN",
                json!({"service": "people.googleapis.com", "methodName": "google.people.v1.PeopleService.ListConnections"}),
            )],
        ),
        GoogleError::EtagMismatch => error(400, "FAILED_PRECONDITION", &m, vec![]),
        GoogleError::InvalidArgument(_) => invalid(&m),
        GoogleError::NotFound => not_found(),
        GoogleError::AlreadyExists(_) => error(409, "ALREADY_EXISTS", &m, vec![]),
    }
}

/// The item status of a batch answer (`google.rpc.Code` numbers).
fn item_status(e: &GoogleError) -> (i64, Status) {
    let (http, code) = match e {
        GoogleError::ExpiredSyncToken | GoogleError::EtagMismatch => (400, 9),
        GoogleError::InvalidArgument(_) => (400, 3),
        GoogleError::NotFound => (404, 5),
        GoogleError::AlreadyExists(_) => (409, 6),
    };
    (
        http,
        Status {
            code,
            message: Some(e.to_string()),
        },
    )
}

fn internal(e: ProviderError) -> Response {
    error(500, "INTERNAL", &e.to_string(), vec![])
}

/// Runs `f` on the user's book under the cloud's lock (the book is saved even when `f`
/// answers a refusal: `f` changes nothing before it has checked everything).
fn with_book<T>(
    state: &Shared,
    user: &Email,
    f: impl FnOnce(&mut GoogleBook, crate::model::Timestamp) -> Result<T, Response>,
) -> Result<T, Response> {
    state
        .cloud
        .update(|c: &mut Cloud| {
            let now = c.clock;
            Ok::<_, ProviderError>(match c.google.get_mut(user) {
                Some(b) => f(b, now),
                None => Err(not_found()),
            })
        })
        .map_err(internal)?
}

fn read_book<T>(
    state: &Shared,
    user: &Email,
    f: impl FnOnce(&GoogleBook, crate::model::Timestamp) -> Result<T, Response>,
) -> Result<T, Response> {
    state
        .cloud
        .read(|c| match c.google.get(user) {
            Some(b) => f(b, c.clock),
            None => Err(not_found()),
        })
        .map_err(internal)?
}

fn answer<T: serde::Serialize>(r: Result<T, Response>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(r) => r,
    }
}

/// The query of `people.connections.list`, checked against the discovery document.
struct ListQuery {
    fields: Vec<String>,
    page_size: usize,
    page_token: Option<String>,
    request_sync_token: bool,
    sync_token: Option<String>,
    fingerprint: String,
}

impl ListQuery {
    fn parse(q: &HashMap<String, String>) -> Result<ListQuery, Response> {
        let raw = q
            .get("personFields")
            .or(q.get("requestMask.includeField"))
            .ok_or_else(|| invalid("personFields mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people.connections/list."))?;
        let fields = view::mask(raw, PERSON_FIELDS).map_err(|m| invalid(&m))?;
        let page_size = match q.get("pageSize").map(|s| s.parse::<i64>()) {
            None => 100,
            Some(Ok(0)) => 100,
            Some(Ok(n)) if (1..=1000).contains(&n) => n as usize,
            Some(Ok(_)) | Some(Err(_)) => {
                return Err(invalid(
                    "Invalid pageSize: valid values are between 1 and 1000, inclusive.",
                ));
            }
        };
        let request_sync_token = match q.get("requestSyncToken").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(v) => return Err(invalid(&format!("Invalid value for requestSyncToken: {v}"))),
        };
        if let Some(s) = q.get("sortOrder")
            && ![
                "LAST_MODIFIED_ASCENDING",
                "LAST_MODIFIED_DESCENDING",
                "FIRST_NAME_ASCENDING",
                "LAST_NAME_ASCENDING",
            ]
            .contains(&s.as_str())
        {
            return Err(invalid(&format!("Invalid value for sortOrder: {s}")));
        }
        if let Some(s) = q.get("sources")
            && !s.starts_with("READ_SOURCE_TYPE_")
        {
            return Err(invalid(&format!("Invalid value for sources: {s}")));
        }
        let fingerprint = format!(
            "{raw}|{}|{request_sync_token}|{}|{}",
            q.get("syncToken").map_or("", String::as_str),
            q.get("sortOrder").map_or("", String::as_str),
            q.get("sources").map_or("", String::as_str),
        );
        Ok(ListQuery {
            fields: fields.into_iter().map(str::to_string).collect(),
            page_size,
            page_token: q.get("pageToken").cloned(),
            request_sync_token,
            sync_token: q.get("syncToken").cloned(),
            fingerprint: short_hash(&fingerprint),
        })
    }
}

fn short_hash(s: &str) -> String {
    use sha2::Digest as _;
    hex::encode(&sha2::Sha256::digest(s.as_bytes())[..6])
}

/// A page token: the last resource number returned, the query's fingerprint, and the sync
/// token computed on the first page (so changes made while paging come again next time).
fn page_token(after: u64, fingerprint: &str, next_sync: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{after}|{fingerprint}|{next_sync}"))
}

fn parse_page_token(raw: &str, fingerprint: &str) -> Result<(u64, String), Response> {
    let bad = || {
        invalid(
            "Request contains an invalid argument: the page token is not valid for this request; all other parameters must match the first call.",
        )
    };
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let mut p = text.splitn(3, '|');
    let after = p.next().and_then(|a| a.parse().ok()).ok_or_else(bad)?;
    if p.next() != Some(fingerprint) {
        return Err(bad());
    }
    Ok((after, p.next().unwrap_or_default().to_string()))
}

/// `GET /google/v1/people/me/connections`.
pub async fn connections(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(person): Path<String>,
    Query(q): Q,
) -> Response {
    let user = match authorise(&state, &headers, false) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    if person != "me" {
        return invalid("Only people/me is valid for people.connections.list.");
    }
    let query = match ListQuery::parse(&q) {
        Ok(q) => q,
        Err(r) => return r,
    };
    answer(read_book(&state, &user, |b, now| list_page(b, now, &query)))
}

fn list_page(
    b: &GoogleBook,
    now: crate::model::Timestamp,
    q: &ListQuery,
) -> Result<ListConnectionsResponse, Response> {
    let listing = match &q.sync_token {
        Some(t) => b.list_since(t, now),
        None => Ok(b.list_full(now)),
    }
    .map_err(|e| refusal(&e))?;
    let (after, first_sync) = match &q.page_token {
        Some(t) => parse_page_token(t, &q.fingerprint)?,
        None => (0, listing.next_sync_token.clone()),
    };
    let fields: Vec<&str> = q.fields.iter().map(String::as_str).collect();
    let mut rows: Vec<(u64, Person)> = listing
        .people
        .iter()
        .map(|p| (p.id, view::person(p, &fields)))
        .chain(listing.deleted.iter().map(|id| (*id, view::deleted(*id))))
        .filter(|(id, _)| *id > after)
        .collect();
    rows.sort_by_key(|(id, _)| *id);
    let total = (listing.people.len() + listing.deleted.len()) as i64;
    let more = rows.len() > q.page_size;
    rows.truncate(q.page_size);
    let last = rows.last().map_or(after, |(id, _)| *id);
    Ok(ListConnectionsResponse {
        connections: rows.into_iter().map(|(_, p)| p).collect(),
        next_page_token: more.then(|| page_token(last, &q.fingerprint, &first_sync)),
        next_sync_token: (!more && q.request_sync_token).then_some(first_sync),
        total_people: Some(total),
        total_items: Some(total),
    })
}

/// The `personFields` of a write's answer (all fields when absent).
fn read_fields(raw: Option<&String>) -> Result<Vec<String>, Response> {
    match raw {
        None => Ok(PERSON_FIELDS.iter().map(|s| s.to_string()).collect()),
        Some(r) => view::mask(r, PERSON_FIELDS)
            .map(|v| v.into_iter().map(str::to_string).collect())
            .map_err(|m| invalid(&m)),
    }
}

fn body<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, Response> {
    serde_json::from_str(if raw.trim().is_empty() { "{}" } else { raw })
        .map_err(|e| invalid(&format!("Invalid JSON payload received. {e}")))
}

/// `POST /google/v1/people:createContact`.
pub async fn create(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Q,
    raw: String,
) -> Response {
    let user = match authorise(&state, &headers, true) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let run = || {
        let fields = read_fields(q.get("personFields"))?;
        let person: Person = body(&raw)?;
        with_book(&state, &user, |b, now| {
            let f = view::fields(b, &person).map_err(|m| invalid(&m))?;
            let p = b.create(f, now).map_err(|e| refusal(&e))?;
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            Ok(view::person(&p, &fields))
        })
    };
    answer(run())
}

/// `people/c12:updateContact` → (12, "updateContact").
fn split_call(call: &str) -> Option<(u64, &str)> {
    let (id, verb) = call.split_once(':')?;
    Some((parse_resource_name(&format!("people/{id}"))?, verb))
}

/// The update mask of `updatePersonFields` / `updateMask`.
fn update_mask(raw: Option<&String>) -> Result<FieldMask, Response> {
    let raw = raw.ok_or_else(|| invalid("updatePersonFields mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/updateContact."))?;
    let paths = view::mask(raw, UPDATE_FIELDS).map_err(|m| invalid(&m))?;
    let has = |f: &str| paths.contains(&f);
    Ok(FieldMask {
        names: has("names"),
        emails: has("emailAddresses"),
        phones: has("phoneNumbers"),
        organizations: has("organizations"),
        memberships: has("memberships"),
    })
}

/// The CONTACT source's etag a request carries.
fn contact_etag(p: &Person) -> Result<String, GoogleError> {
    p.metadata
        .as_ref()
        .and_then(|m| {
            m.sources
                .iter()
                .find(|s| s.kind.as_deref() == Some("CONTACT"))
        })
        .and_then(|s| s.etag.clone())
        .ok_or_else(|| {
            GoogleError::InvalidArgument(
                "Request must set person.metadata.sources.etag for the source that is being updated.".into(),
            )
        })
}

fn update_one(
    b: &mut GoogleBook,
    id: u64,
    p: &Person,
    mask: &FieldMask,
    now: crate::model::Timestamp,
) -> Result<crate::provider::sim::google::GooglePerson, GoogleError> {
    if p.resource_name
        .as_deref()
        .is_some_and(|r| r != resource_name(id))
    {
        return Err(GoogleError::InvalidArgument(
            "person.resourceName does not match the resource name in the URL.".into(),
        ));
    }
    let etag = contact_etag(p)?;
    let f = view::fields(b, p).map_err(GoogleError::InvalidArgument)?;
    b.update(id, &etag, f, mask, now)
}

/// `PATCH /google/v1/people/{id}:updateContact?updatePersonFields=…`.
pub async fn update(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(call): Path<String>,
    Query(q): Q,
    raw: String,
) -> Response {
    let user = match authorise(&state, &headers, true) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let Some((id, "updateContact")) = split_call(&call) else {
        return not_found();
    };
    let run = || {
        let mask = update_mask(q.get("updatePersonFields"))?;
        let fields = read_fields(q.get("personFields"))?;
        let person: Person = body(&raw)?;
        with_book(&state, &user, |b, now| {
            let p = update_one(b, id, &person, &mask, now).map_err(|e| refusal(&e))?;
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            Ok(view::person(&p, &fields))
        })
    };
    answer(run())
}

/// `DELETE /google/v1/people/{id}:deleteContact`.
pub async fn delete(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(call): Path<String>,
) -> Response {
    let user = match authorise(&state, &headers, true) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let Some((id, "deleteContact")) = split_call(&call) else {
        return not_found();
    };
    answer(with_book(&state, &user, |b, now| {
        b.delete(id, now).map_err(|e| refusal(&e))?;
        Ok(json!({}))
    }))
}

fn required_mask(raw: &Option<String>, what: &str) -> Result<Vec<String>, Response> {
    let raw = raw
        .as_ref()
        .ok_or_else(|| invalid(&format!("{what} is required.")))?;
    view::mask(raw, PERSON_FIELDS)
        .map(|v| v.into_iter().map(str::to_string).collect())
        .map_err(|m| invalid(&m))
}

/// `POST /google/v1/people:batchCreateContacts` (at most 200).
pub async fn batch_create(
    State(state): State<Shared>,
    headers: HeaderMap,
    raw: String,
) -> Response {
    let user = match authorise(&state, &headers, true) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let run = || {
        let req: BatchCreateContactsRequest = body(&raw)?;
        let fields = required_mask(&req.read_mask, "readMask")?;
        if req.contacts.is_empty() || req.contacts.len() > MAX_BATCH_WRITE {
            return Err(invalid(&format!(
                "contacts must hold between 1 and {MAX_BATCH_WRITE} contacts."
            )));
        }
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        with_book(&state, &user, |b, now| {
            let created_people = req
                .contacts
                .iter()
                .map(|c| {
                    let made = view::fields(b, &c.contact_person)
                        .map_err(GoogleError::InvalidArgument)
                        .and_then(|f| b.create(f, now));
                    person_response(made.map(|p| view::person(&p, &fields)), None)
                })
                .collect();
            Ok(BatchCreateContactsResponse { created_people })
        })
    };
    answer(run())
}

fn person_response(r: Result<Person, GoogleError>, asked: Option<String>) -> PersonResponse {
    match r {
        Ok(p) => PersonResponse {
            http_status_code: Some(200),
            person: Some(p),
            requested_resource_name: asked,
            status: None,
        },
        Err(e) => {
            let (http, status) = item_status(&e);
            PersonResponse {
                http_status_code: Some(http),
                person: None,
                requested_resource_name: asked,
                status: Some(status),
            }
        }
    }
}

/// `POST /google/v1/people:batchUpdateContacts` (at most 200; one answer per contact: a
/// stale etag fails only its own contact, UNCONFIRMED, docs/integrations.md).
pub async fn batch_update(
    State(state): State<Shared>,
    headers: HeaderMap,
    raw: String,
) -> Response {
    let user = match authorise(&state, &headers, true) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let run = || {
        let req: BatchUpdateContactsRequest = body(&raw)?;
        let mask = update_mask(req.update_mask.as_ref())?;
        let fields = required_mask(&req.read_mask, "readMask")?;
        if req.contacts.is_empty() || req.contacts.len() > MAX_BATCH_WRITE {
            return Err(invalid(&format!(
                "contacts must hold between 1 and {MAX_BATCH_WRITE} contacts."
            )));
        }
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        with_book(&state, &user, |b, now| {
            let update_result = req
                .contacts
                .iter()
                .map(|(name, p)| {
                    let r = parse_resource_name(name)
                        .ok_or(GoogleError::NotFound)
                        .and_then(|id| update_one(b, id, p, &mask, now))
                        .map(|p| view::person(&p, &fields));
                    (name.clone(), person_response(r, Some(name.clone())))
                })
                .collect();
            Ok(BatchUpdateContactsResponse { update_result })
        })
    };
    answer(run())
}

/// `POST /google/v1/people:batchDeleteContacts` (at most 500; all or nothing: a name that
/// is not a contact fails the call and deletes nothing, UNCONFIRMED).
pub async fn batch_delete(
    State(state): State<Shared>,
    headers: HeaderMap,
    raw: String,
) -> Response {
    let user = match authorise(&state, &headers, true) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let run = || {
        let req: BatchDeleteContactsRequest = body(&raw)?;
        if req.resource_names.is_empty() || req.resource_names.len() > MAX_BATCH_DELETE {
            return Err(invalid(&format!(
                "resourceNames must hold between 1 and {MAX_BATCH_DELETE} names."
            )));
        }
        with_book(&state, &user, |b, now| {
            let ids: Vec<u64> = req
                .resource_names
                .iter()
                .map(|n| parse_resource_name(n).filter(|id| b.person(*id).is_some()))
                .collect::<Option<_>>()
                .ok_or_else(not_found)?;
            for id in ids {
                b.delete(id, now).map_err(|e| refusal(&e))?;
            }
            Ok(json!({}))
        })
    };
    answer(run())
}

fn group_json(b: &GoogleBook, id: &str, name: &str, user: bool) -> ContactGroup {
    let members = b
        .people
        .iter()
        .filter(|p| !user || p.fields.groups.contains(id))
        .count();
    ContactGroup {
        resource_name: Some(format!("contactGroups/{id}")),
        etag: Some(format!("g{}", short_hash(&format!("{id}{name}{members}")))),
        name: Some(name.to_string()),
        formatted_name: Some(if user {
            name.into()
        } else {
            "My Contacts".into()
        }),
        group_type: Some(if user {
            "USER_CONTACT_GROUP".into()
        } else {
            "SYSTEM_CONTACT_GROUP".into()
        }),
        member_count: Some(members as i64),
    }
}

/// `GET /google/v1/contactGroups`: the system group `myContacts` and the user's groups
/// (one page).
pub async fn list_groups(State(state): State<Shared>, headers: HeaderMap, Query(q): Q) -> Response {
    let user = match authorise(&state, &headers, false) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    if let Some(n) = q.get("pageSize")
        && !n.parse::<i64>().is_ok_and(|n| (1..=1000).contains(&n))
    {
        return invalid("Invalid pageSize: valid values are between 1 and 1000, inclusive.");
    }
    answer(read_book(&state, &user, |b, _| {
        let groups: Vec<ContactGroup> =
            std::iter::once(group_json(b, MY_CONTACTS, MY_CONTACTS, false))
                .chain(b.groups.iter().map(|g| group_json(b, &g.id, &g.name, true)))
                .collect();
        Ok(ListContactGroupsResponse {
            total_items: Some(groups.len() as i64),
            contact_groups: groups,
            next_page_token: None,
            next_sync_token: None,
        })
    }))
}

/// `POST /google/v1/contactGroups`: a new user group (409 when the name is taken).
pub async fn create_group(
    State(state): State<Shared>,
    headers: HeaderMap,
    raw: String,
) -> Response {
    let user = match authorise(&state, &headers, true) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let run = || {
        let req: CreateContactGroupRequest = body(&raw)?;
        let name = req
            .contact_group
            .name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| invalid("contactGroup.name is required."))?;
        with_book(&state, &user, |b, _| {
            if b.group_named(&name).is_some() || name == MY_CONTACTS {
                return Err(refusal(&GoogleError::AlreadyExists(
                    "Cannot create a contact group with the same name as an existing one.".into(),
                )));
            }
            let id = b.create_group(&name);
            Ok(group_json(b, &id, &name, true))
        })
    };
    answer(run())
}
