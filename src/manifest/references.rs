//! The names manifests reference, checked offline once every file is read: each group,
//! chat group, custom role, manager and contact owner is declared in the account, or
//! listed in its `existing:` (then `plan` checks it against the refresh). An error points
//! at the reference and offers the closest declared name.

use super::Diagnostic;
use super::format::did_you_mean;
use super::raw::{Reference, Target};
use crate::model::{Desired, DesiredStatus, Email, Rule, Source};
use std::collections::BTreeMap;

/// A reference with the account it was resolved to.
pub type Scoped = (String, Reference);

/// Checks every reference against its account; pushes one error per broken reference.
pub fn check(accounts: &BTreeMap<String, Desired>, refs: &[Scoped], out: &mut Vec<Diagnostic>) {
    for (account, r) in refs {
        let Some(d) = accounts.get(account) else {
            continue;
        };
        if let Some(mut diag) = broken(d, r) {
            diag.kind = (!r.kind.is_empty()).then(|| r.kind.to_string());
            if let Some(other) = declared_elsewhere(accounts, account, r) {
                diag.message.push_str(&format!(
                    " (account `{other}` declares it, but this document belongs to account `{account}`)"
                ));
            }
            out.push(diag);
        }
    }
    for d in accounts.values() {
        existing_and_declared(d, out);
    }
}

/// Another account of the repository that declares what `r` names, for the message: a
/// document filed under the wrong `account:` is a likelier mistake than a typo.
fn declared_elsewhere<'a>(
    accounts: &'a BTreeMap<String, Desired>,
    account: &str,
    r: &Reference,
) -> Option<&'a str> {
    let declares = |d: &Desired| match r.target {
        Target::Group => d.groups.contains_key(&r.name),
        Target::ChatGroup => d.chat_groups.contains_key(&r.name),
        Target::Role => d.roles.contains_key(&r.name),
        Target::User => Email::parse(&r.name).is_ok_and(|e| d.users.contains_key(&e)),
        Target::OrgMember => false,
    };
    accounts
        .iter()
        .find(|(name, d)| name.as_str() != account && declares(d))
        .map(|(name, _)| name.as_str())
}

/// The error for `r`, if it names nothing the account declares or lists as existing.
fn broken(d: &Desired, r: &Reference) -> Option<Diagnostic> {
    let e = &d.account.existing;
    let (what, kind, existing_key, declared): (&str, &str, &str, Vec<&str>) = match r.target {
        Target::Group => {
            if d.groups.contains_key(&r.name) || e.groups.contains_key(&r.name) {
                return None;
            }
            ("group", "Group", "groups", names(&d.groups, &e.groups))
        }
        Target::ChatGroup => {
            if d.chat_groups.contains_key(&r.name) || e.chat_groups.contains_key(&r.name) {
                return None;
            }
            let declared = names(&d.chat_groups, &e.chat_groups);
            ("chat group", "ChatGroup", "chatGroups", declared)
        }
        Target::Role => {
            if d.roles.contains_key(&r.name) || e.roles.contains_key(&r.name) {
                return None;
            }
            ("role", "Role", "roles", names(&d.roles, &e.roles))
        }
        Target::User => return user(d, r),
        Target::OrgMember => return org_member(d, r),
    };
    let message = format!(
        "{what} `{}` is not declared: declare it with `kind: {kind}`, or list it in the Account's `existing.{existing_key}` if it is already on the account",
        r.name
    );
    let help = did_you_mean(&r.name, declared).filter(|m| *m != r.name);
    Some(located(r, Rule::Manifest, message, help))
}

/// A manager or contact owner: a declared user who stays, the owner, or an existing one.
fn user(d: &Desired, r: &Reference) -> Option<Diagnostic> {
    let email = Email::parse(&r.name).ok()?;
    if email == d.account.owner || d.account.existing.users.contains_key(&email) {
        return None;
    }
    let message = match d.users.get(&email) {
        Some(u) if u.status == DesiredStatus::Absent => format!(
            "{email} (`{}`) is declared `status: absent` at {}: a user leaving the account cannot be referenced",
            r.field, u.source
        ),
        Some(_) => return None,
        None => format!(
            "{email} (`{}`) is not a declared user: declare them with `kind: User`, or list them in the Account's `existing.users` if they are already on the account",
            r.field
        ),
    };
    let help = closest_user(&email, d.users.keys());
    Some(located(r, Rule::Manifest, message, help))
}

/// The declared user closest to `email`. A shared domain says nothing about a typo, so
/// addresses of its domain are compared by their local part (`noboss@acme.com` is not
/// "close" to `carol@acme.com`); other domains by the whole address (`mo@acme.co`).
fn closest_user<'a>(email: &Email, declared: impl Iterator<Item = &'a Email>) -> Option<&'a str> {
    let (same, other): (Vec<&Email>, Vec<&Email>) =
        declared.partition(|e| e.domain() == email.domain());
    did_you_mean(local_part(email), same.iter().map(|e| local_part(e)))
        .and_then(|l| same.iter().find(|e| local_part(e) == l))
        .or_else(|| {
            did_you_mean(email.as_str(), other.iter().map(|e| e.as_str()))
                .and_then(|a| other.iter().find(|e| e.as_str() == a))
        })
        .map(|e| e.as_str())
}

fn local_part(e: &Email) -> &str {
    e.as_str().split('@').next().unwrap_or_default()
}

/// O5: an organization member is another account's owner or chat admin, never a user of
/// this account.
fn org_member(d: &Desired, r: &Reference) -> Option<Diagnostic> {
    let email = Email::parse(&r.name).ok()?;
    if email != d.account.owner && !d.users.contains_key(&email) {
        return None;
    }
    let message = format!(
        "{email} is a user of account {} itself: organization members are other accounts, named by the email of their owner or chat admin (O5)",
        d.account.name
    );
    Some(located(r, Rule::O5, message, None))
}

fn names<'a, V>(
    declared: &'a BTreeMap<String, V>,
    existing: &'a BTreeMap<String, Source>,
) -> Vec<&'a str> {
    declared
        .keys()
        .chain(existing.keys())
        .map(String::as_str)
        .collect()
}

/// A diagnostic at the reference, with the closest declared name as a hint.
fn located(r: &Reference, rule: Rule, message: String, closest: Option<&str>) -> Diagnostic {
    let mut d = Diagnostic::new((&r.source).into(), None, rule, message);
    d.help = closest.map(|m| format!("did you mean `{m}`?"));
    d
}

/// A name both declared and listed in `existing`: roster would create it and leave it
/// alone at once.
fn existing_and_declared(d: &Desired, out: &mut Vec<Diagnostic>) {
    let e = &d.account.existing;
    let pairs = [
        ("groups", "Group", keys_in(&e.groups, &d.groups)),
        (
            "chatGroups",
            "ChatGroup",
            keys_in(&e.chat_groups, &d.chat_groups),
        ),
        ("roles", "Role", keys_in(&e.roles, &d.roles)),
    ];
    for (key, kind, both) in pairs {
        for (name, at) in both {
            let message = format!(
                "`{name}` is listed in `existing.{key}` and declared with `kind: {kind}`: keep one (declared: roster manages it; existing: roster only checks it is there)"
            );
            out.push(Diagnostic::new(
                at.into(),
                Some("Account"),
                Rule::Manifest,
                message,
            ));
        }
    }
    for (email, at) in &e.users {
        if d.users.contains_key(email) {
            let message =
                format!("{email} is listed in `existing.users` and declared as a user: keep one");
            out.push(Diagnostic::new(
                at.into(),
                Some("Account"),
                Rule::Manifest,
                message,
            ));
        }
    }
}

fn keys_in<'a, V>(
    existing: &'a BTreeMap<String, Source>,
    declared: &BTreeMap<String, V>,
) -> Vec<(&'a String, &'a Source)> {
    existing
        .iter()
        .filter(|(k, _)| declared.contains_key(*k))
        .collect()
}
