//! Linked-account organizations (O1–O7), external contacts (U12, K2, K3) and personal
//! contacts (K5–K7): desired and observed values.

use super::{Email, Source, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What the manifests say about this account's organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DesiredOrganization {
    /// This account owns an organization and links `members` (by the email of their owner
    /// or chat-settings admin, O5).
    Own {
        /// Organization name.
        name: String,
        /// Accounts to link.
        members: Vec<(Email, Source)>,
        /// Where it was declared.
        source: Source,
    },
    /// This account joins an organization owned elsewhere (O7).
    Join {
        /// Email of the organization's owner.
        owner: Email,
        /// Where it was declared.
        source: Source,
    },
}

/// A user's declared external contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredExternalContacts {
    /// The internal user.
    pub user: Email,
    /// Contacts to have (a request is sent for missing ones, K2).
    pub contacts: BTreeSet<Email>,
    /// Remove the user's external contacts not listed (U12).
    pub prune: bool,
    /// Where it was declared.
    pub source: Source,
}

/// One personal contact (K5 columns).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PersonalContact {
    /// Display name (required).
    pub name: String,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Office phone (E.164).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    /// Home phone (E.164).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    /// Mobile phone (E.164).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// Fax (E.164).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fax: Option<String>,
    /// Other phone (E.164).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
}

impl PersonalContact {
    /// The key contacts are matched by across a replace (K6): email when present, else
    /// the name, lower-cased.
    pub fn key(&self) -> String {
        self.email
            .clone()
            .unwrap_or_else(|| self.name.clone())
            .to_lowercase()
    }

    /// The contact in one line, for the steps of a by-hand change: the name, then every
    /// field given (`Ada <ada@x.example>, mobile +33612345678`).
    pub fn describe(&self) -> String {
        let mut out = self.name.clone();
        if let Some(e) = &self.email {
            out.push_str(&format!(" <{e}>"));
        }
        let phones = [
            ("office", &self.office),
            ("home", &self.home),
            ("mobile", &self.mobile),
            ("fax", &self.fax),
            ("phone", &self.phone),
            ("company", &self.company),
        ];
        for (label, v) in phones {
            if let Some(v) = v {
                out.push_str(&format!(", {label} {v}"));
            }
        }
        out
    }
}

/// A declared personal contact group: replaces the group's contacts (K6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredContactGroup {
    /// The user owning the contacts.
    pub user: Email,
    /// The group's display name.
    pub name: String,
    /// The contacts.
    pub contacts: Vec<PersonalContact>,
    /// Where it was declared.
    pub source: Source,
}

/// An organization invitation's state as the inviting side sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkState {
    /// Sent by a linked account, waiting for the organization owner's approval (O4).
    AwaitingOwner,
    /// Sent, waiting for the invited owner or admin (O5).
    Sent,
    /// Linked.
    Linked,
}

/// One account in (or invited to) the organization, by the email it was invited with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgMember {
    /// State.
    pub state: LinkState,
    /// When the invitation was (last) sent.
    #[serde(default)]
    pub sent_at: Option<Timestamp>,
}

/// The organization this account belongs to, as observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedOrganization {
    /// Name.
    pub name: String,
    /// Whether this account owns it (O3).
    pub owned: bool,
    /// Email of the owning account's owner (what `join:` names).
    pub owner_email: Email,
    /// Invited and linked accounts, by invitation email.
    #[serde(default)]
    pub members: BTreeMap<Email, OrgMember>,
}

/// What the provider can tell about organizations. `known: false` (the zoom provider)
/// means nothing can be observed: roster's record of confirmed manual changes stands in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct OrgObservation {
    /// Whether the rest means anything.
    pub known: bool,
    /// The organization this account is in.
    pub organization: Option<ObservedOrganization>,
    /// This account's pending request to join an organization (O7): its owner's email.
    pub join_request: Option<Email>,
    /// Of the emails the manifests invite, those whose account already belongs to an
    /// organization, with its name (O2, "where known").
    pub elsewhere: BTreeMap<Email, String>,
}

/// A user's external contact, as observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContactState {
    /// Request sent, not yet accepted (K2, K3).
    Requested,
    /// Accepted: in the user's external contacts.
    Accepted,
}

/// A stored personal contact with the provider's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredContact {
    /// Provider id.
    pub id: String,
    /// Values.
    pub contact: PersonalContact,
}

/// K5: a phone number in E.164 (`+`, country code, number; digits only, at most 15) that
/// the phone-number library also finds valid for its country.
pub fn is_e164(raw: &str) -> bool {
    let digits = raw.strip_prefix('+').unwrap_or_default();
    if digits.is_empty()
        || digits.len() > 15
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || digits.starts_with('0')
    {
        return false;
    }
    phonenumber::parse(None, raw).is_ok_and(|n| phonenumber::is_valid(&n))
}

#[cfg(test)]
mod tests {
    use super::is_e164;

    #[test]
    fn k5_e164_numbers() {
        assert!(is_e164("+33142685300"));
        assert!(is_e164("+14155552671"));
        assert!(!is_e164("0142685300"), "no country code");
        assert!(!is_e164("+33 1 42 68 53 00"), "spaces");
        assert!(!is_e164("+1234"), "too short to be a real number");
        assert!(
            !is_e164("'+33142685300"),
            "the apostrophe is stripped by the loader, not here"
        );
    }
}
