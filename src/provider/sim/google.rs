//! Google People in the simulator (K4): one address book per user, kept in the cloud's
//! `google` map, with what the real service does that a sync must survive
//! (docs/integrations.md, "Google People"):
//!
//! - every person has a resource name `people/c<N>`, a CONTACT source whose etag changes
//!   on every write (and may move with no content change), names, email addresses, typed phone numbers, an organization and
//!   memberships of contact groups;
//! - a change log feeds sync tokens; a token carries the time of the full sync it descends
//!   from and expires 7 days after it (`EXPIRED_SYNC_TOKEN`), or at once when the book's
//!   cursors are expired (`GoogleBook::expire_tokens`; the `roster sim google` verbs are
//!   not built yet);
//! - roster's own writes show in listings only `lateMinutes` minutes of sim clock after
//!   they were made (Google: "writes may have a propagation delay of several minutes");
//!   until then a listing shows the version before the write. A person's edits land at
//!   once (and land a pending write of the same person first);
//! - the user's refresh tokens, and a revoked flag (`invalid_grant`).
//!
//! The functions here are the service's semantics over plain values; `serve::google`
//! puts them behind Google's HTTP paths and `provider::google::SimGoogleSource` calls them
//! in process.

use crate::model::{Email, Timestamp};
use crate::sync::{Contact, Phone};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A sync token lives this long after the full sync it descends from.
pub const SYNC_TOKEN_DAYS: i64 = 7;
/// Creates and updates per batch call.
pub const MAX_BATCH_WRITE: usize = 200;
/// Deletes per batch call.
pub const MAX_BATCH_DELETE: usize = 500;
/// The system group every contact is in.
pub const MY_CONTACTS: &str = "myContacts";

fn default_late() -> u32 {
    3
}

fn is_default_late(n: &u32) -> bool {
    *n == default_late()
}

/// One user's Google address book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoogleBook {
    /// The people (contacts), in resource-name order.
    #[serde(default)]
    pub people: Vec<GooglePerson>,
    /// The user's contact groups (labels); the system groups are not listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GoogleGroup>,
    /// Refresh tokens the user granted roster (the token endpoint accepts them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refresh_tokens: Vec<String>,
    /// The user revoked roster's access: every refresh token answers `invalid_grant`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revoked: bool,
    /// Minutes of sim clock before roster's writes show in listings.
    #[serde(default = "default_late", skip_serializing_if = "is_default_late")]
    pub late_minutes: u32,
    /// The next this-many API calls are answered 429 (set in the seed or state; no verb yet).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub throttle_next: u32,
    /// Bumped by `expire-cursor`: every sync token issued before is expired.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub epoch: u32,
    /// Last number used for people, groups and etags.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub serial: u64,
    /// Sequence number of the last change.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub seq: u64,
    /// The change log sync tokens read (pruned after 8 days).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<GoogleChange>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

impl Default for GoogleBook {
    fn default() -> Self {
        GoogleBook {
            people: Vec::new(),
            groups: Vec::new(),
            refresh_tokens: Vec::new(),
            revoked: false,
            late_minutes: default_late(),
            throttle_next: 0,
            epoch: 0,
            serial: 0,
            seq: 0,
            changes: Vec::new(),
        }
    }
}

/// A contact group (Google's `contactGroups/{id}`, a label).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoogleGroup {
    /// The id (`contactGroups/{id}`); generated when a seed leaves it out.
    #[serde(default)]
    pub id: String,
    /// The name the user gave it.
    pub name: String,
}

/// One phone number with Google's type (`mobile`, `work`, `home`, … or a custom one).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GooglePhone {
    /// The type.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The number.
    pub value: String,
}

/// The content of a person that roster reads and writes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoogleFields {
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Email addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    /// Phone numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<GooglePhone>,
    /// The organization's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Contact groups by id (a seed may name them by name; `normalize` turns names into
    /// ids). `myContacts` is implied.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub groups: BTreeSet<String>,
}

/// One person of a book (its fields are flattened, so unknown keys cannot be refused).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GooglePerson {
    /// `N` of `people/cN` (0 in a seed: one is given).
    #[serde(default)]
    pub id: u64,
    /// The etag's serial: it changes on every write.
    #[serde(default)]
    pub rev: u64,
    /// The CONTACT source's `updateTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Timestamp>,
    /// The content.
    #[serde(flatten)]
    pub fields: GoogleFields,
    /// A write of roster's not yet visible in listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<Box<LateWrite>>,
}

/// roster's write that listings do not show yet: when it shows, and what they show until.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LateWrite {
    /// When listings start showing the write.
    pub visible_at: Timestamp,
    /// The version listings show until then (`None`: the person is not listed yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<GooglePerson>,
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoogleChange {
    /// The change's sequence number.
    pub seq: u64,
    /// The person changed.
    pub id: u64,
    /// When listings show the change.
    pub visible_at: Timestamp,
}

/// What the service refuses, in Google's terms (`serve::google` gives each its HTTP shape).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoogleError {
    /// 400 FAILED_PRECONDITION with ErrorInfo reason `EXPIRED_SYNC_TOKEN`.
    #[error("Sync token is expired. Clear local cache and retry call without the sync token.")]
    ExpiredSyncToken,
    /// 400 FAILED_PRECONDITION (`failedPrecondition`: the etag is not the contact's).
    #[error(
        "Request person.etag is different than the current person.etag. Clear local cache and get the latest person."
    )]
    EtagMismatch,
    /// 400 INVALID_ARGUMENT.
    #[error("{0}")]
    InvalidArgument(String),
    /// 404 NOT_FOUND.
    #[error("Requested entity was not found.")]
    NotFound,
    /// 409 ALREADY_EXISTS.
    #[error("{0}")]
    AlreadyExists(String),
}

/// A listing: the people to return and the sync token to hand out on its last page.
#[derive(Debug, Clone, PartialEq)]
pub struct BookListing {
    /// Visible people (for a delta: the changed ones), in resource-name order.
    pub people: Vec<GooglePerson>,
    /// Resource-name numbers of people deleted since the token (delta only).
    pub deleted: Vec<u64>,
    /// The token to hand out.
    pub next_sync_token: String,
}

/// The resource name of person `id`.
pub fn resource_name(id: u64) -> String {
    format!("people/c{id}")
}

/// The number of a resource name (`people/c12` → 12).
pub fn parse_resource_name(name: &str) -> Option<u64> {
    name.strip_prefix("people/c")?.parse().ok()
}

impl GooglePerson {
    /// The CONTACT source's etag (what `updateContact` checks).
    pub fn source_etag(&self) -> String {
        format!("#c{}r{}", self.id, self.rev)
    }

    /// The person's etag.
    pub fn etag(&self) -> String {
        format!("%c{}r{}", self.id, self.rev)
    }

    /// The version listings show at `now`.
    pub fn visible(&self, now: Timestamp) -> Option<&GooglePerson> {
        match &self.late {
            Some(l) if l.visible_at > now => l.before.as_ref(),
            Some(_) | None => Some(self),
        }
    }
}

/// A sync token's parts: epoch, the full sync's time, and when and at which change it
/// was issued.
struct Token {
    epoch: u32,
    full_at: i64,
    issued_at: i64,
    seq: u64,
}

impl Token {
    fn text(&self) -> String {
        format!(
            "st{}.{}.{}.{}",
            self.epoch, self.full_at, self.issued_at, self.seq
        )
    }

    fn parse(s: &str) -> Option<Token> {
        let mut p = s.strip_prefix("st")?.split('.');
        let t = Token {
            epoch: p.next()?.parse().ok()?,
            full_at: p.next()?.parse().ok()?,
            issued_at: p.next()?.parse().ok()?,
            seq: p.next()?.parse().ok()?,
        };
        p.next().is_none().then_some(t)
    }
}

fn secs(t: Timestamp) -> i64 {
    t.timestamp()
}

impl GoogleBook {
    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    fn log(&mut self, id: u64, visible_at: Timestamp, now: Timestamp) {
        self.seq += 1;
        let seq = self.seq;
        self.changes.push(GoogleChange {
            seq,
            id,
            visible_at,
        });
        // No live token is older than 7 days, so older entries can never be read.
        let horizon = now - chrono::Duration::days(SYNC_TOKEN_DAYS + 1);
        self.changes.retain(|c| c.visible_at >= horizon);
    }

    fn index(&self, id: u64) -> Option<usize> {
        self.people.binary_search_by_key(&id, |p| p.id).ok()
    }

    /// The person `id` as stored (with roster's latest write).
    pub fn person(&self, id: u64) -> Option<&GooglePerson> {
        self.index(id).map(|i| &self.people[i])
    }

    /// Gives ids to seeded people and groups, turns group names into ids and creates the
    /// groups a seed names only in a person's memberships.
    pub fn normalize(&mut self, now: Timestamp) {
        for g in 0..self.groups.len() {
            if self.groups[g].id.is_empty() {
                let n = self.next_serial();
                self.groups[g].id = format!("{n:08x}");
            }
        }
        let max = self.people.iter().map(|p| p.id).max().unwrap_or(0);
        self.serial = self.serial.max(max);
        for i in 0..self.people.len() {
            if self.people[i].id == 0 {
                self.people[i].id = self.next_serial();
            }
            if self.people[i].rev == 0 {
                self.people[i].rev = self.next_serial();
            }
            self.people[i].updated.get_or_insert(now);
            let named: Vec<String> = self.people[i].fields.groups.iter().cloned().collect();
            let ids = named.iter().map(|g| self.group_id(g)).collect();
            self.people[i].fields.groups = ids;
        }
        self.people.sort_by_key(|p| p.id);
    }

    /// The id of the group `id_or_name` (created when no group has that id or name).
    fn group_id(&mut self, id_or_name: &str) -> String {
        if let Some(g) = self
            .groups
            .iter()
            .find(|g| g.id == id_or_name || g.name == id_or_name)
        {
            return g.id.clone();
        }
        self.create_group(id_or_name)
    }

    /// Creates a contact group; returns its id.
    pub fn create_group(&mut self, name: &str) -> String {
        let n = self.next_serial();
        let id = format!("{n:08x}");
        self.groups.push(GoogleGroup {
            id: id.clone(),
            name: name.to_string(),
        });
        id
    }

    /// A group by name.
    pub fn group_named(&self, name: &str) -> Option<&GoogleGroup> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Whether `token` is one of this book's live refresh tokens.
    pub fn grants(&self, token: &str) -> bool {
        !self.revoked && self.refresh_tokens.iter().any(|t| t == token)
    }

    /// Consumes one injected 429, if any.
    pub fn take_throttle(&mut self) -> bool {
        if self.throttle_next == 0 {
            return false;
        }
        self.throttle_next -= 1;
        true
    }

    fn token(&self, full_at: i64, now: Timestamp) -> String {
        Token {
            epoch: self.epoch,
            full_at,
            issued_at: secs(now),
            seq: self.seq,
        }
        .text()
    }

    /// Every person visible at `now`, and a token for the changes after it.
    pub fn list_full(&self, now: Timestamp) -> BookListing {
        BookListing {
            people: self
                .people
                .iter()
                .filter_map(|p| p.visible(now).cloned())
                .collect(),
            deleted: Vec::new(),
            next_sync_token: self.token(secs(now), now),
        }
    }

    /// What became visible since `token`: changed people and deleted ones. An expired or
    /// foreign token is `ExpiredSyncToken`, a malformed one `InvalidArgument`.
    pub fn list_since(&self, token: &str, now: Timestamp) -> Result<BookListing, GoogleError> {
        let t = Token::parse(token)
            .ok_or_else(|| GoogleError::InvalidArgument("Invalid sync token.".into()))?;
        let expiry = t.full_at + chrono::Duration::days(SYNC_TOKEN_DAYS).num_seconds();
        if t.epoch != self.epoch || secs(now) > expiry {
            return Err(GoogleError::ExpiredSyncToken);
        }
        let now_s = secs(now);
        let ids: BTreeSet<u64> = self
            .changes
            .iter()
            .filter(|c| {
                let v = secs(c.visible_at);
                v <= now_s && !(v <= t.issued_at && c.seq <= t.seq)
            })
            .map(|c| c.id)
            .collect();
        let mut people = Vec::new();
        let mut deleted = Vec::new();
        for id in ids {
            match self.person(id) {
                Some(p) => people.extend(p.visible(now).cloned()),
                None => deleted.push(id),
            }
        }
        Ok(BookListing {
            people,
            deleted,
            next_sync_token: self.token(t.full_at, now),
        })
    }

    /// Checks that every group id exists.
    fn check_groups(&self, fields: &GoogleFields) -> Result<(), GoogleError> {
        match fields
            .groups
            .iter()
            .find(|g| g.as_str() != MY_CONTACTS && !self.groups.iter().any(|x| &x.id == *g))
        {
            Some(g) => Err(GoogleError::InvalidArgument(format!(
                "Contact group resource name \"contactGroups/{g}\" is not valid."
            ))),
            None => Ok(()),
        }
    }

    /// roster creates a contact (`createContact`); listings show it `late_minutes` later.
    pub fn create(
        &mut self,
        mut fields: GoogleFields,
        now: Timestamp,
    ) -> Result<GooglePerson, GoogleError> {
        self.check_groups(&fields)?;
        fields.groups.remove(MY_CONTACTS);
        let id = self.next_serial();
        let rev = self.next_serial();
        let visible_at = now + chrono::Duration::minutes(i64::from(self.late_minutes));
        let person = GooglePerson {
            id,
            rev,
            updated: Some(now),
            fields,
            late: (visible_at > now).then(|| {
                Box::new(LateWrite {
                    visible_at,
                    before: None,
                })
            }),
        };
        self.people.push(person.clone());
        self.log(id, visible_at, now);
        Ok(person)
    }

    /// roster updates a contact (`updateContact`): `etag` must be the CONTACT source's
    /// etag; only the fields `mask` names are replaced.
    pub fn update(
        &mut self,
        id: u64,
        etag: &str,
        mut fields: GoogleFields,
        mask: &FieldMask,
        now: Timestamp,
    ) -> Result<GooglePerson, GoogleError> {
        let i = self.index(id).ok_or(GoogleError::NotFound)?;
        if self.people[i].source_etag() != etag {
            return Err(GoogleError::EtagMismatch);
        }
        self.check_groups(&fields)?;
        fields.groups.remove(MY_CONTACTS);
        let rev = self.next_serial();
        let visible_at = now + chrono::Duration::minutes(i64::from(self.late_minutes));
        let p = &mut self.people[i];
        let before = match p.late.take() {
            Some(l) if l.visible_at > now => l.before,
            Some(_) | None => Some(p.clone()),
        };
        mask.apply(&mut p.fields, fields);
        p.rev = rev;
        p.updated = Some(now);
        p.late = (visible_at > now).then(|| Box::new(LateWrite { visible_at, before }));
        let out = p.clone();
        self.log(id, visible_at, now);
        Ok(out)
    }

    /// Deletes a contact (roster's `deleteContact` or the user): seen at once.
    pub fn delete(&mut self, id: u64, now: Timestamp) -> Result<(), GoogleError> {
        let i = self.index(id).ok_or(GoogleError::NotFound)?;
        self.people.remove(i);
        self.log(id, now, now);
        Ok(())
    }

    /// The user adds a contact in Google Contacts (seen at once); returns its number.
    pub fn user_create(&mut self, fields: GoogleFields, now: Timestamp) -> u64 {
        let id = self.next_serial();
        let rev = self.next_serial();
        self.people.push(GooglePerson {
            id,
            rev,
            updated: Some(now),
            fields,
            late: None,
        });
        self.log(id, now, now);
        id
    }

    /// The user edits a contact (seen at once; a pending write of roster's lands first).
    /// `None` fields are kept; with no field at all only the etag moves.
    pub fn user_edit(
        &mut self,
        id: u64,
        edit: impl FnOnce(&mut GoogleFields),
        now: Timestamp,
    ) -> Result<(), GoogleError> {
        let i = self.index(id).ok_or(GoogleError::NotFound)?;
        let rev = self.next_serial();
        let p = &mut self.people[i];
        p.late = None;
        edit(&mut p.fields);
        p.rev = rev;
        p.updated = Some(now);
        self.log(id, now, now);
        Ok(())
    }

    /// Every sync token handed out so far expires.
    pub fn expire_tokens(&mut self) {
        self.epoch += 1;
    }

    /// The name of the group `id`, when it is a user group.
    pub fn group_name(&self, id: &str) -> Option<&str> {
        self.groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.name.as_str())
    }
}

/// Which of roster's fields an `updateContact` replaces (`updatePersonFields`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldMask {
    /// `names`.
    pub names: bool,
    /// `emailAddresses`.
    pub emails: bool,
    /// `phoneNumbers`.
    pub phones: bool,
    /// `organizations`.
    pub organizations: bool,
    /// `memberships`.
    pub memberships: bool,
}

impl FieldMask {
    /// Every field roster writes.
    pub const ALL: FieldMask = FieldMask {
        names: true,
        emails: true,
        phones: true,
        organizations: true,
        memberships: true,
    };

    fn apply(&self, to: &mut GoogleFields, from: GoogleFields) {
        if self.names {
            to.name = from.name;
        }
        if self.emails {
            to.emails = from.emails;
        }
        if self.phones {
            to.phones = from.phones;
        }
        if self.organizations {
            to.company = from.company;
        }
        if self.memberships {
            to.groups = from.groups;
        }
    }
}

/// The folder rule (docs/decisions.md): of the user contact groups a person is in, the one
/// whose name sorts first; system groups are no folder, and none means the default folder.
pub fn folder_of<'a>(groups: impl IntoIterator<Item = &'a str>) -> Option<String> {
    groups.into_iter().min().map(str::to_string)
}

/// A person of `book` as the sync engine's contact.
pub fn to_contact(book: &GoogleBook, p: &GooglePerson) -> Contact {
    Contact {
        name: p.fields.name.clone(),
        emails: p.fields.emails.clone(),
        phones: p
            .fields
            .phones
            .iter()
            .map(|ph| Phone {
                label: ph.kind.to_lowercase(),
                number: ph.value.clone(),
            })
            .collect(),
        company: p.fields.company.clone(),
        folder: folder_of(p.fields.groups.iter().filter_map(|g| book.group_name(g))),
        modified: p.updated,
    }
}

/// A contact as a person's fields; its folder becomes a membership of the group of that
/// name, created when the user has none.
pub fn from_contact(book: &mut GoogleBook, c: &Contact) -> GoogleFields {
    let groups = c
        .folder
        .iter()
        .map(|f| match book.group_named(f) {
            Some(g) => g.id.clone(),
            None => book.create_group(f),
        })
        .collect();
    GoogleFields {
        name: c.name.clone(),
        emails: c.emails.clone(),
        phones: c
            .phones
            .iter()
            .map(|p| GooglePhone {
                kind: p.label.clone(),
                value: p.number.clone(),
            })
            .collect(),
        company: c.company.clone(),
        groups,
    }
}

/// The books of the cloud, by user (for seeds: every book normalised).
pub fn normalize_all(books: &mut BTreeMap<Email, GoogleBook>, now: Timestamp) {
    for b in books.values_mut() {
        b.normalize(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-11-01T09:00:00Z".parse().expect("time")
    }

    fn ada() -> GoogleFields {
        GoogleFields {
            name: "Ada".into(),
            emails: vec!["ada@x.org".into()],
            ..GoogleFields::default()
        }
    }

    #[test]
    fn rosters_writes_show_late_and_a_token_expires_seven_days_after_its_full_sync() {
        let mut b = GoogleBook::default();
        let full = b.list_full(t0());
        let p = b.create(ada(), t0()).expect("create");
        let now = b.list_since(&full.next_sync_token, t0()).expect("delta");
        assert!(now.people.is_empty(), "not yet visible");
        let later = t0() + chrono::Duration::minutes(3);
        let d = b.list_since(&now.next_sync_token, later).expect("delta");
        assert_eq!(d.people.len(), 1);
        assert_eq!(d.people[0].id, p.id);
        let week = t0() + chrono::Duration::days(7) + chrono::Duration::seconds(1);
        assert_eq!(
            b.list_since(&d.next_sync_token, week),
            Err(GoogleError::ExpiredSyncToken),
            "a delta's token keeps its full sync's age"
        );
    }

    #[test]
    fn an_update_needs_the_current_source_etag_and_a_deletion_shows_in_the_delta() {
        let mut b = GoogleBook::default();
        let id = b.user_create(ada(), t0());
        let tok = b.list_full(t0()).next_sync_token;
        let etag = b.person(id).expect("p").source_etag();
        b.user_edit(id, |_| {}, t0()).expect("flake");
        assert_eq!(
            b.update(id, &etag, ada(), &FieldMask::ALL, t0()),
            Err(GoogleError::EtagMismatch)
        );
        b.delete(id, t0()).expect("delete");
        let d = b.list_since(&tok, t0()).expect("delta");
        assert_eq!(d.deleted, vec![id]);
    }

    #[test]
    fn the_folder_is_the_first_user_group_by_name() {
        let mut b = GoogleBook::default();
        let mut f = ada();
        f.groups = ["Work".to_string(), "Friends".to_string()].into();
        b.people.push(GooglePerson {
            id: 0,
            rev: 0,
            updated: None,
            fields: f,
            late: None,
        });
        b.normalize(t0());
        let c = to_contact(&b, &b.people[0]);
        assert_eq!(c.folder.as_deref(), Some("Friends"));
    }
}
