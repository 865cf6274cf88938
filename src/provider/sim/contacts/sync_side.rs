//! The Zoom side of a contact sync (K4) on the simulator: a user's personal contacts
//! (K5–K7) as a [`ContactSource`]. Zoom has no cursor for personal contacts, so every
//! listing is full; ids are the simulator's, and a contact's content is its etag (Zoom
//! gives none). A folder is a personal contact group of the same name, the default
//! folder the group [`DEFAULT_GROUP`].

use crate::model::{Email, PersonalContact, StoredContact};
use crate::provider::ProviderError;
use crate::provider::sim::cloud::Cloud;
use crate::provider::sim::persist::SyncedCloud;
use crate::sync::{
    Contact, ContactSource, Cursor, Item, Listing, Phone, SourceError, WriteOp, Written,
};
use async_trait::async_trait;
use std::sync::Arc;

/// The personal contact group that holds contacts of the external default folder.
pub const DEFAULT_GROUP: &str = "Contacts";

/// Zoom's five phone kinds (K5) and the labels the sync engine gives them.
const KINDS: [&str; 5] = ["office", "home", "mobile", "fax", "other"];

/// One user's personal contacts in the simulator, as one side of a sync.
pub struct SimZoomContacts {
    cloud: Arc<SyncedCloud>,
    account: String,
    user: Email,
}

impl SimZoomContacts {
    /// The side of `user` in `account` of the simulated cloud.
    pub fn new(cloud: Arc<SyncedCloud>, account: &str, user: &Email) -> SimZoomContacts {
        SimZoomContacts {
            cloud,
            account: account.to_string(),
            user: user.clone(),
        }
    }
}

/// Maps a source label to one of Zoom's kinds (`work` is `office`, anything unknown
/// `other`).
fn kind_of(label: &str) -> &'static str {
    match label {
        "office" | "work" | "business" => "office",
        "home" => "home",
        "mobile" | "cell" => "mobile",
        "fax" | "workfax" | "homefax" | "businessfax" => "fax",
        _ => "other",
    }
}

/// What Zoom keeps of a contact: the first email, the first E.164 number of each kind.
pub fn fit(c: &Contact) -> Contact {
    let mut c = c.normalised();
    c.emails.truncate(1);
    let mut phones: Vec<Phone> = Vec::new();
    for p in &c.phones {
        let kind = kind_of(&p.label);
        if crate::model::is_e164(&p.number) && !phones.iter().any(|q| q.label == kind) {
            phones.push(Phone {
                label: kind.to_string(),
                number: p.number.clone(),
            });
        }
    }
    c.phones = phones;
    c.normalised()
}

fn to_personal(c: &Contact) -> PersonalContact {
    let c = fit(c);
    let phone = |kind: &str| {
        c.phones
            .iter()
            .find(|p| p.label == kind)
            .map(|p| p.number.clone())
    };
    PersonalContact {
        name: c.name.clone(),
        email: c.emails.first().cloned(),
        office: phone("office"),
        home: phone("home"),
        mobile: phone("mobile"),
        fax: phone("fax"),
        phone: phone("other"),
        company: c.company.clone(),
    }
}

fn to_contact(group: &str, p: &PersonalContact) -> Contact {
    let numbers = [&p.office, &p.home, &p.mobile, &p.fax, &p.phone];
    Contact {
        name: p.name.clone(),
        emails: p.email.iter().cloned().collect(),
        phones: KINDS
            .iter()
            .zip(numbers)
            .filter_map(|(k, n)| {
                n.as_ref().map(|n| Phone {
                    label: k.to_string(),
                    number: n.clone(),
                })
            })
            .collect(),
        company: p.company.clone(),
        folder: (group != DEFAULT_GROUP).then(|| group.to_string()),
        modified: None,
    }
    .normalised()
}

fn group_of(c: &Contact) -> String {
    c.folder
        .clone()
        .unwrap_or_else(|| DEFAULT_GROUP.to_string())
}

fn source_error(e: ProviderError) -> SourceError {
    match e {
        ProviderError::Api { status: 404, .. } => SourceError::NotFound,
        ProviderError::Api { status: 429, .. } => SourceError::Throttled { retry_after: 1 },
        other => SourceError::Other(other.to_string()),
    }
}

/// Where contact `id` sits: its group and value.
fn find(cloud: &Cloud, ai: usize, user: &Email, id: &str) -> Option<(String, StoredContact)> {
    let groups = cloud.accounts[ai].personal_contacts.get(user)?;
    groups.iter().find_map(|(g, list)| {
        list.iter()
            .find(|c| c.id == id)
            .map(|c| (g.clone(), c.clone()))
    })
}

impl SimZoomContacts {
    fn account_index(&self, cloud: &Cloud) -> Result<usize, ProviderError> {
        cloud
            .account_index(&self.account)
            .ok_or_else(|| ProviderError::Config(format!("no simulated account {}", self.account)))
    }

    fn apply(&self, op: &WriteOp) -> Result<Written, ProviderError> {
        self.cloud.update(|cloud| {
            let ai = self.account_index(cloud)?;
            let user = &self.user;
            let (delete_from, contact) = match op {
                WriteOp::Create { contact } => (None, Some(contact)),
                WriteOp::Update { id, contact, .. } => (Some(id), Some(contact)),
                WriteOp::Delete { id, .. } => (Some(id), None),
            };
            let old = match delete_from {
                Some(id) => Some(find(cloud, ai, user, id).ok_or_else(|| {
                    ProviderError::api(404, 300, format!("Personal contact {id} does not exist."))
                })?),
                None => None,
            };
            let Some(contact) = contact else {
                let (g, c) = old.expect("a delete names its contact");
                cloud.replace_personal_contacts(
                    ai,
                    user,
                    &g,
                    &[],
                    &[],
                    std::slice::from_ref(&c.id),
                )?;
                return Ok(Written {
                    id: c.id,
                    etag: None,
                });
            };
            let value = to_personal(contact);
            let group = group_of(contact);
            match old {
                Some((g, c)) if g == group => {
                    let stored = StoredContact {
                        id: c.id.clone(),
                        contact: value.clone(),
                    };
                    cloud.replace_personal_contacts(ai, user, &g, &[], &[stored], &[])?;
                    Ok(Written {
                        id: c.id,
                        etag: Some(etag(&value)),
                    })
                }
                moved => {
                    if let Some((g, c)) = moved {
                        cloud.replace_personal_contacts(ai, user, &g, &[], &[], &[c.id])?;
                    }
                    cloud.replace_personal_contacts(
                        ai,
                        user,
                        &group,
                        std::slice::from_ref(&value),
                        &[],
                        &[],
                    )?;
                    let id = cloud.accounts[ai].personal_contacts[user][&group]
                        .last()
                        .map(|c| c.id.clone())
                        .unwrap_or_default();
                    Ok(Written {
                        id,
                        etag: Some(etag(&value)),
                    })
                }
            }
        })
    }
}

/// The simulator's stand-in for an etag: the contact's content.
fn etag(p: &PersonalContact) -> String {
    serde_json::to_string(p).unwrap_or_default()
}

#[async_trait]
impl ContactSource for SimZoomContacts {
    async fn list(&mut self, _cursor: Option<&Cursor>) -> Result<Listing, SourceError> {
        let items = self
            .cloud
            .read(|cloud| -> Result<Vec<Item>, ProviderError> {
                let ai = self.account_index(cloud)?;
                let groups = cloud.accounts[ai].personal_contacts.get(&self.user);
                Ok(groups
                    .into_iter()
                    .flatten()
                    .flat_map(|(g, list)| {
                        list.iter().map(move |c| Item {
                            id: c.id.clone(),
                            etag: Some(etag(&c.contact)),
                            contact: to_contact(g, &c.contact),
                        })
                    })
                    .collect())
            })
            .and_then(|r| r)
            .map_err(source_error)?;
        Ok(Listing::Full {
            items,
            cursor: Cursor("full".into()),
        })
    }

    async fn write(&mut self, op: &WriteOp) -> Result<Written, SourceError> {
        self.apply(op).map_err(source_error)
    }

    fn fit(&self, contact: &Contact) -> Contact {
        fit(contact)
    }
}
