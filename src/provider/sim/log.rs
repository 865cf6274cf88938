//! The simulator's log: every change made in the cloud, in order, with the object it
//! changed as an [`ObjectRef`].
//!
//! On disk (`state/sim.json`, `roster sim show`) an entry keeps the `target` text it has
//! always had (an email for a user, a name for a group, `user->contact` for an external
//! contact, …), which is what people and tests read, and adds `object`, the object's key
//! in its one text form (`user/ann@acme.com`), which is what is read back. Entries written
//! before `object` existed are typed from their action and `target` when those name one
//! kind of object; otherwise their `target` text is kept in `detail`.

use crate::model::{Email, ObjectRef, Timestamp};
use serde::{Deserialize, Serialize};

/// One change made in the cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Disk", into = "Disk")]
pub struct LogEntry {
    /// Simulated time.
    pub at: Timestamp,
    /// Account id (empty for individuals).
    pub account: String,
    /// Who acted (roster's actor, or the user themself out of band).
    pub actor: String,
    /// What was done (`create_user`, `invite_user`, `resend_invitation`, …).
    pub action: String,
    /// On what; `None` for entries about no object (the seed, the clock, a channel).
    pub target: Option<ObjectRef>,
    /// Details (fields changed, new values).
    pub detail: Option<String>,
}

/// The on-disk form of a [`LogEntry`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Disk {
    at: Timestamp,
    account: String,
    actor: String,
    action: String,
    /// The target as people read it (see [`display`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    target: String,
    /// The target's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    object: Option<ObjectRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl From<LogEntry> for Disk {
    fn from(e: LogEntry) -> Disk {
        Disk {
            at: e.at,
            account: e.account,
            actor: e.actor,
            action: e.action,
            target: e.target.as_ref().map(display).unwrap_or_default(),
            object: e.target,
            detail: e.detail,
        }
    }
}

impl From<Disk> for LogEntry {
    fn from(d: Disk) -> LogEntry {
        let (target, detail) = match (d.object, d.target.is_empty()) {
            (Some(object), _) => (Some(object), d.detail),
            (None, true) => (None, d.detail),
            (None, false) => match legacy(&d.action, &d.target) {
                Some(object) => (Some(object), d.detail),
                None => (
                    None,
                    Some(match d.detail {
                        Some(detail) => format!("{}: {detail}", d.target),
                        None => d.target,
                    }),
                ),
            },
        };
        LogEntry {
            at: d.at,
            account: d.account,
            actor: d.actor,
            action: d.action,
            target,
            detail,
        }
    }
}

/// The target as the log has always written it: the email of a user or of an invited
/// account, the name of a group, role or organization, `user->contact`, `user/group`.
pub fn display(target: &ObjectRef) -> String {
    match target {
        ObjectRef::Account => "account".to_string(),
        ObjectRef::User(email) | ObjectRef::Integration(email) => email.to_string(),
        ObjectRef::Group(name)
        | ObjectRef::ChatGroup(name)
        | ObjectRef::Role(name)
        | ObjectRef::Organization(name)
        | ObjectRef::Calendly(name) => name.clone(),
        ObjectRef::OrgMember { email, .. } => email.to_string(),
        ObjectRef::ExternalContact { user, contact } => format!("{user}->{contact}"),
        ObjectRef::PersonalContacts { user, group } => format!("{user}/{group}"),
    }
}

/// The object of an entry written before `object` existed, from its action and target
/// text; `None` when they do not name one object (an organization member's entry does
/// not say which organization).
fn legacy(action: &str, text: &str) -> Option<ObjectRef> {
    let email = || Email::parse(text).ok();
    let name = || Some(text.to_string());
    match action {
        "create_user" | "invite_user" | "resend_invitation" | "cancel_invitation"
        | "update_user" | "change_user_type" | "change_role" | "assign_addon" | "remove_addon"
        | "set_group" | "add_chat_group" | "remove_chat_group" | "deactivate_user"
        | "activate_user" | "disassociate_user" | "delete_user" | "invitation_expired"
        | "accept_invitation" | "decline_invitation" | "sign_up" => email().map(ObjectRef::User),
        "create_group" | "delete_group" => name().map(ObjectRef::Group),
        "create_chat_group" | "delete_chat_group" => name().map(ObjectRef::ChatGroup),
        "create_role" | "update_role" | "delete_role" => name().map(ObjectRef::Role),
        "create_organization"
        | "delete_organization"
        | "request_link"
        | "approve_link"
        | "decline_link"
        | "approve_join" => name().map(ObjectRef::Organization),
        "request_external_contact" | "remove_external_contact" => {
            let (user, contact) = text.split_once("->")?;
            Some(ObjectRef::ExternalContact {
                user: Email::parse(user).ok()?,
                contact: Email::parse(contact).ok()?,
            })
        }
        "replace_personal_contacts" => {
            let (user, group) = text.split_once('/')?;
            Some(ObjectRef::PersonalContacts {
                user: Email::parse(user).ok()?,
                group: group.to_string(),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(json: &str) -> LogEntry {
        serde_json::from_str(json).expect("entry")
    }

    #[test]
    fn an_entry_keeps_its_target_text_and_reads_back_its_object() {
        let e = LogEntry {
            at: "2026-11-01T09:00:00Z".parse().expect("time"),
            account: "acme".into(),
            actor: "owner@acme.com".into(),
            action: "invite_account".into(),
            target: Some(ObjectRef::OrgMember {
                organization: "Acme Group".into(),
                email: Email::parse("boss@other.com").expect("email"),
            }),
            detail: Some("sent".into()),
        };
        let v = serde_json::to_value(&e).expect("json");
        assert_eq!(v["target"], "boss@other.com");
        assert_eq!(v["object"], "organization/Acme Group/boss@other.com");
        assert_eq!(serde_json::from_value::<LogEntry>(v).expect("back"), e);
        let none = LogEntry { target: None, ..e };
        let v = serde_json::to_value(&none).expect("json");
        assert!(
            v.get("target").is_none() && v.get("object").is_none(),
            "{v}"
        );
        assert_eq!(serde_json::from_value::<LogEntry>(v).expect("back"), none);
    }

    #[test]
    fn entries_written_before_object_existed_still_load() {
        let at = r#""at":"2026-11-01T09:00:00Z","account":"acme","actor":"owner@acme.com""#;
        let user = entry(&format!(
            r#"{{{at},"action":"update_user","target":"ann@acme.com"}}"#
        ));
        assert_eq!(
            user.target,
            Some(ObjectRef::User(
                Email::parse("ann@acme.com").expect("email")
            ))
        );
        let contact = entry(&format!(
            r#"{{{at},"action":"request_external_contact","target":"ann@acme.com->x@y.org"}}"#
        ));
        assert!(matches!(
            contact.target,
            Some(ObjectRef::ExternalContact { .. })
        ));
        let member = entry(&format!(
            r#"{{{at},"action":"invite_account","target":"boss@other.com","detail":"sent"}}"#
        ));
        assert_eq!(member.target, None);
        assert_eq!(member.detail.as_deref(), Some("boss@other.com: sent"));
    }
}
