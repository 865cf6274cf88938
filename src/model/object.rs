//! Typed keys: [`ObjectRef`] names every object roster manages, [`ChangeId`] names one change
//! of a plan. Both have one text form (`user/alice@acme.com`,
//! `set_group:user/alice@acme.com`) shared by plan JSON, the journal, LastApplied rows,
//! manual changes and the simulator's log, and both parse back from it, so no module builds
//! or splits these strings by hand (in the manner of kube-runtime's `ObjectRef`).

use super::{Action, Email};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// One object of an account, by identity (manifests.md, Identity).
///
/// Every `match` over it is total: a new kind of object must be handled (or explicitly
/// refused) wherever keys are decoded, merged or folded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectRef {
    /// The account as a whole: account-wide rules (U1, U7 owner, U11, `maxRemovals`).
    Account,
    /// A user, by email.
    User(Email),
    /// A user group, by name.
    Group(String),
    /// A chat group, by name.
    ChatGroup(String),
    /// A custom role, by name.
    Role(String),
    /// The organization of linked accounts: by name when this account owns it, by the
    /// owner's email when it asks to join one (O1, O7).
    Organization(String),
    /// An account invited into the organization, by its owner's or chat admin's email (O5).
    OrgMember {
        /// The organization's name.
        organization: String,
        /// The invited email.
        email: Email,
    },
    /// One external contact of an internal user (K2, U12).
    ExternalContact {
        /// The internal user.
        user: Email,
        /// The external contact.
        contact: Email,
    },
    /// One personal contact group of a user (K5-K7).
    PersonalContacts {
        /// The user.
        user: Email,
        /// The group's display name.
        group: String,
    },
    /// A user's calendar and contact integration (K4): one per user.
    Integration(Email),
    /// Calendly's organization-wide Zoom connection, by organization name (C1–C7).
    Calendly(String),
}

/// The kind of an [`ObjectRef`], with its text prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// `account`.
    Account,
    /// `user/…`.
    User,
    /// `group/…`.
    Group,
    /// `chat_group/…`.
    ChatGroup,
    /// `role/…`.
    Role,
    /// `organization/…` (and `organization/NAME/EMAIL` for members).
    Organization,
    /// `organization/NAME/EMAIL`.
    OrgMember,
    /// `contact/USER/CONTACT`.
    ExternalContact,
    /// `contacts/USER/GROUP`.
    PersonalContacts,
    /// `integration/USER`.
    Integration,
    /// `calendly/ORGANIZATION`.
    Calendly,
}

impl ObjectKind {
    /// The text prefix of keys of this kind (`user`, `chat_group`, …): plan grouping.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Account => "account",
            ObjectKind::User => "user",
            ObjectKind::Group => "group",
            ObjectKind::ChatGroup => "chat_group",
            ObjectKind::Role => "role",
            ObjectKind::Organization | ObjectKind::OrgMember => "organization",
            ObjectKind::ExternalContact => "contact",
            ObjectKind::PersonalContacts => "contacts",
            ObjectKind::Integration => "integration",
            ObjectKind::Calendly => "calendly",
        }
    }
}

impl ObjectRef {
    /// Which kind of object this is.
    pub fn kind(&self) -> ObjectKind {
        match self {
            ObjectRef::Account => ObjectKind::Account,
            ObjectRef::User(_) => ObjectKind::User,
            ObjectRef::Group(_) => ObjectKind::Group,
            ObjectRef::ChatGroup(_) => ObjectKind::ChatGroup,
            ObjectRef::Role(_) => ObjectKind::Role,
            ObjectRef::Organization(_) => ObjectKind::Organization,
            ObjectRef::OrgMember { .. } => ObjectKind::OrgMember,
            ObjectRef::ExternalContact { .. } => ObjectKind::ExternalContact,
            ObjectRef::PersonalContacts { .. } => ObjectKind::PersonalContacts,
            ObjectRef::Integration(_) => ObjectKind::Integration,
            ObjectRef::Calendly(_) => ObjectKind::Calendly,
        }
    }

    /// The user this object belongs to, for per-user concurrency limits (Zoom answers 429
    /// to concurrent calls on one user) and summaries.
    pub fn user(&self) -> Option<&Email> {
        match self {
            ObjectRef::User(e) | ObjectRef::Integration(e) => Some(e),
            ObjectRef::ExternalContact { user, .. } | ObjectRef::PersonalContacts { user, .. } => {
                Some(user)
            }
            ObjectRef::Account
            | ObjectRef::Group(_)
            | ObjectRef::ChatGroup(_)
            | ObjectRef::Role(_)
            | ObjectRef::Organization(_)
            | ObjectRef::OrgMember { .. }
            | ObjectRef::Calendly(_) => None,
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRef::Account => f.write_str("account"),
            ObjectRef::User(e) => write!(f, "user/{e}"),
            ObjectRef::Group(n) => write!(f, "group/{n}"),
            ObjectRef::ChatGroup(n) => write!(f, "chat_group/{n}"),
            ObjectRef::Role(n) => write!(f, "role/{n}"),
            ObjectRef::Organization(n) => write!(f, "organization/{n}"),
            ObjectRef::OrgMember {
                organization,
                email,
            } => write!(f, "organization/{organization}/{email}"),
            ObjectRef::ExternalContact { user, contact } => write!(f, "contact/{user}/{contact}"),
            ObjectRef::PersonalContacts { user, group } => write!(f, "contacts/{user}/{group}"),
            ObjectRef::Integration(user) => write!(f, "integration/{user}"),
            ObjectRef::Calendly(org) => write!(f, "calendly/{org}"),
        }
    }
}

/// Why a text is not an [`ObjectRef`] or a [`ChangeId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a {what}: {why}")]
pub struct KeyError {
    text: String,
    what: &'static str,
    why: String,
}

impl KeyError {
    fn object(text: &str, why: impl Into<String>) -> KeyError {
        KeyError {
            text: text.to_string(),
            what: "object key (like user/alice@acme.com or group/sales)",
            why: why.into(),
        }
    }
}

fn email(text: &str, part: &str) -> Result<Email, KeyError> {
    Email::parse(part).map_err(|e| KeyError::object(text, e.to_string()))
}

fn name(text: &str, part: &str) -> Result<String, KeyError> {
    if part.is_empty() {
        return Err(KeyError::object(text, "the name is empty"));
    }
    Ok(part.to_string())
}

impl FromStr for ObjectRef {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<ObjectRef, KeyError> {
        if text == "account" {
            return Ok(ObjectRef::Account);
        }
        let Some((kind, rest)) = text.split_once('/') else {
            return Err(KeyError::object(text, "no `kind/` prefix"));
        };
        let pair = |what: &str| {
            rest.split_once('/')
                .ok_or_else(|| KeyError::object(text, format!("expected {kind}/USER/{what}")))
        };
        match kind {
            "user" => Ok(ObjectRef::User(email(text, rest)?)),
            "group" => Ok(ObjectRef::Group(name(text, rest)?)),
            "chat_group" => Ok(ObjectRef::ChatGroup(name(text, rest)?)),
            "role" => Ok(ObjectRef::Role(name(text, rest)?)),
            // An organization name may hold `/`; a member key ends in a valid email.
            "organization" => match rest.rsplit_once('/') {
                Some((org, member)) if !org.is_empty() && Email::parse(member).is_ok() => {
                    Ok(ObjectRef::OrgMember {
                        organization: org.to_string(),
                        email: email(text, member)?,
                    })
                }
                _ => Ok(ObjectRef::Organization(name(text, rest)?)),
            },
            "contact" => {
                let (user, contact) = pair("CONTACT")?;
                Ok(ObjectRef::ExternalContact {
                    user: email(text, user)?,
                    contact: email(text, contact)?,
                })
            }
            "contacts" => {
                let (user, group) = pair("GROUP")?;
                Ok(ObjectRef::PersonalContacts {
                    user: email(text, user)?,
                    group: name(text, group)?,
                })
            }
            "integration" => Ok(ObjectRef::Integration(email(text, rest)?)),
            "calendly" => Ok(ObjectRef::Calendly(name(text, rest)?)),
            other => Err(KeyError::object(text, format!("unknown kind `{other}`"))),
        }
    }
}

/// `key == "user/a@x.com"`: the text names this object (tests and lookups by text).
impl PartialEq<str> for ObjectRef {
    fn eq(&self, other: &str) -> bool {
        other.parse::<ObjectRef>().is_ok_and(|o| o == *self)
    }
}

impl PartialEq<&str> for ObjectRef {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl Serialize for ObjectRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ObjectRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ObjectRef, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The id of one change of a plan: `action:target`, plus a part when one target has several
/// changes of one action (`assign_addon:user/a@x.com:webinar`). Stable across runs, so that
/// the journal, manual changes and `roster confirm ID` refer to the same change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChangeId {
    /// The action.
    pub action: Action,
    /// The object changed.
    pub target: ObjectRef,
    /// Which one of several changes of `action` on `target` (an add-on, a chat group).
    pub part: Option<String>,
}

impl ChangeId {
    /// The id of the only change of `action` on `target`.
    pub fn new(action: Action, target: ObjectRef) -> ChangeId {
        ChangeId {
            action,
            target,
            part: None,
        }
    }

    /// The id of one of several changes of `action` on `target`.
    pub fn with_part(action: Action, target: ObjectRef, part: impl Into<String>) -> ChangeId {
        ChangeId {
            action,
            target,
            part: Some(part.into()),
        }
    }
}

impl fmt::Display for ChangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.action.as_str(), self.target)?;
        match &self.part {
            Some(p) => write!(f, ":{p}"),
            None => Ok(()),
        }
    }
}

impl FromStr for ChangeId {
    type Err = KeyError;

    /// The part follows the target after `:`; only user targets carry one (an email holds
    /// no `:`), so names of other objects may contain `:` freely.
    fn from_str(text: &str) -> Result<ChangeId, KeyError> {
        let bad = |why: String| KeyError {
            text: text.to_string(),
            what: "change id (like set_group:user/alice@acme.com)",
            why,
        };
        let (action, rest) = text
            .split_once(':')
            .ok_or_else(|| bad("no `action:` prefix".into()))?;
        let action =
            Action::parse(action).ok_or_else(|| bad(format!("unknown action `{action}`")))?;
        let (target, part) = match rest.strip_prefix("user/").and_then(|r| r.split_once(':')) {
            Some((email, part)) => (format!("user/{email}"), Some(part.to_string())),
            None => (rest.to_string(), None),
        };
        let target = target.parse().map_err(|e: KeyError| bad(e.why))?;
        Ok(ChangeId {
            action,
            target,
            part,
        })
    }
}

/// `id == "set_group:user/a@x.com"`: the text names this change.
impl PartialEq<str> for ChangeId {
    fn eq(&self, other: &str) -> bool {
        other.parse::<ChangeId>().is_ok_and(|o| o == *self)
    }
}

impl PartialEq<&str> for ChangeId {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl Serialize for ChangeId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChangeId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ChangeId, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> Email {
        Email::parse(s).expect("email")
    }

    fn every_kind() -> Vec<ObjectRef> {
        vec![
            ObjectRef::Account,
            ObjectRef::User(e("a@x.com")),
            ObjectRef::Group("eng/platform".into()),
            ObjectRef::ChatGroup("Team: ops".into()),
            ObjectRef::Role("Help desk".into()),
            ObjectRef::Organization("Acme Group".into()),
            ObjectRef::Organization("owner@parent.example".into()),
            ObjectRef::OrgMember {
                organization: "Acme/Group".into(),
                email: e("o@sub.example"),
            },
            ObjectRef::ExternalContact {
                user: e("a@x.com"),
                contact: e("b@partner.com"),
            },
            ObjectRef::PersonalContacts {
                user: e("a@x.com"),
                group: "Clients / EU".into(),
            },
            ObjectRef::Integration(e("a@x.com")),
            ObjectRef::Calendly("acme".into()),
        ]
    }

    #[test]
    fn every_object_key_round_trips_through_its_text() {
        for key in every_kind() {
            let text = key.to_string();
            assert_eq!(text.parse::<ObjectRef>(), Ok(key.clone()), "{text}");
            let json = serde_json::to_string(&key).expect("json");
            assert_eq!(serde_json::from_str::<ObjectRef>(&json).expect("back"), key);
        }
    }

    #[test]
    fn the_text_forms_are_the_stored_ones() {
        assert_eq!(ObjectRef::User(e("A@X.com")), "user/a@x.com");
        assert_eq!(ObjectRef::ChatGroup("general".into()), "chat_group/general");
        assert_eq!(
            ObjectRef::ExternalContact {
                user: e("a@x.com"),
                contact: e("b@y.com")
            },
            "contact/a@x.com/b@y.com"
        );
        assert_eq!(
            ObjectRef::PersonalContacts {
                user: e("a@x.com"),
                group: "Clients".into()
            },
            "contacts/a@x.com/Clients"
        );
    }

    #[test]
    fn change_ids_round_trip_with_and_without_a_part() {
        for key in every_kind() {
            for id in [
                ChangeId::new(Action::UpdateUser, key.clone()),
                ChangeId::with_part(Action::AddChatGroup, key.clone(), "Team: ops"),
            ] {
                if id.part.is_some() && key.kind() != ObjectKind::User {
                    continue;
                }
                assert_eq!(id.to_string().parse::<ChangeId>(), Ok(id.clone()), "{id}");
            }
        }
        assert_eq!(
            ChangeId::with_part(
                Action::AssignAddon,
                ObjectRef::User(e("a@x.com")),
                "webinar"
            ),
            "assign_addon:user/a@x.com:webinar"
        );
    }

    #[test]
    fn malformed_keys_are_errors_not_defaults() {
        for bad in [
            "",
            "user",
            "user/not-an-email",
            "widget/x",
            "group/",
            "contact/a@x.com",
            "contacts/a@x.com/",
            "integration/",
            "integration/nobody",
            "calendly/",
        ] {
            assert!(bad.parse::<ObjectRef>().is_err(), "{bad}");
        }
        for bad in ["user/a@x.com", "frobnicate:user/a@x.com", "create_group:"] {
            assert!(bad.parse::<ChangeId>().is_err(), "{bad}");
        }
    }
}
