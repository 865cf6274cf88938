//! The normalised contact: both sides are mapped to it, and two contacts are "the same"
//! exactly when their hashes are equal.

use crate::model::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One phone number with its label (`mobile`, `work`, …), as the sources name them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Phone {
    /// The source's label, lower-case.
    pub label: String,
    /// The number as written (E.164 on the Zoom side, K5).
    pub number: String,
}

/// A contact as the sync engine compares it. `modified` is not part of the content: it
/// only feeds the `newest` conflict policy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Contact {
    /// Display name.
    pub name: String,
    /// Email addresses.
    pub emails: Vec<String>,
    /// Phone numbers.
    pub phones: Vec<Phone>,
    /// Company.
    pub company: Option<String>,
    /// The folder it sits in on the external side (Graph contact folder, Google contact
    /// group chosen by docs/integrations.md's rule); `None` = the default folder.
    pub folder: Option<String>,
    /// When the side last changed it, if the side says.
    pub modified: Option<Timestamp>,
}

/// The hash of a normalised contact (hex of the first 16 bytes of SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ContactHash(pub String);

impl std::fmt::Display for ContactHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Contact {
    /// The normalised form: names' whitespace squashed, emails lower-cased, lists sorted
    /// and deduplicated, empty values dropped, `modified` cleared.
    pub fn normalised(&self) -> Contact {
        let mut emails: Vec<String> = self
            .emails
            .iter()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        emails.sort();
        emails.dedup();
        let mut phones: Vec<Phone> = self
            .phones
            .iter()
            .map(|p| Phone {
                label: p.label.trim().to_lowercase(),
                number: p.number.chars().filter(|c| !c.is_whitespace()).collect(),
            })
            .filter(|p| !p.number.is_empty())
            .collect();
        phones.sort();
        phones.dedup();
        let opt = |v: &Option<String>| v.as_deref().map(squash).filter(|s| !s.is_empty());
        Contact {
            name: squash(&self.name),
            emails,
            phones,
            company: opt(&self.company),
            folder: opt(&self.folder),
            modified: None,
        }
    }

    /// The hash of the normalised contact.
    pub fn hash(&self) -> ContactHash {
        let n = self.normalised();
        let mut h = Sha256::new();
        let mut put = |s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        put(&n.name);
        for e in &n.emails {
            put("e");
            put(e);
        }
        for p in &n.phones {
            put("p");
            put(&p.label);
            put(&p.number);
        }
        put(n.company.as_deref().unwrap_or("\u{0}"));
        put(n.folder.as_deref().unwrap_or("\u{0}"));
        ContactHash(hex::encode(&h.finalize()[..16]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_ignores_case_order_and_spacing() {
        let a = Contact {
            name: " Ada  Lovelace".into(),
            emails: vec!["ADA@x.org".into(), "b@x.org".into()],
            ..Contact::default()
        };
        let b = Contact {
            name: "Ada Lovelace".into(),
            emails: vec!["b@x.org".into(), "ada@x.org".into()],
            modified: Some(chrono::DateTime::UNIX_EPOCH),
            ..Contact::default()
        };
        assert_eq!(a.hash(), b.hash());
    }

    #[test]
    fn folder_and_company_are_content() {
        let a = Contact {
            name: "A".into(),
            ..Contact::default()
        };
        let mut b = a.clone();
        b.folder = Some("Work".into());
        let mut c = a.clone();
        c.company = Some("Work".into());
        assert_ne!(a.hash(), b.hash());
        assert_ne!(b.hash(), c.hash());
    }
}
