//! Ties what the files declared to their accounts and checks what no single document can:
//! account references, duplicates across files (one error naming both places), custom
//! attributes against the account (U11), the owner's role (U7), and the precedence of
//! defaults: a user's own field, then its list's defaults, then the defaults of its email
//! domain, then the account's defaults, then `basic` / `member`.

use super::Diagnostic;
use super::raw::{Owned, Raw, RawUser};
use super::tree::Pos;
use crate::model::{
    AccountSpec, Desired, DesiredStatus, DesiredUser, Email, RoleName, Rule, Source, UserType,
};
use std::collections::{BTreeMap, BTreeSet};

fn diag(out: &mut Vec<Diagnostic>, source: Source, kind: &str, rule: Rule, message: String) {
    out.push(Diagnostic {
        source,
        kind: Some(kind.to_string()),
        rule,
        message,
    });
}

fn at(source: &Source, pos: Pos) -> Source {
    Source::new(source.file.clone(), pos.line, pos.column)
}

/// Builds one [`Desired`] per account, reporting every cross-file problem.
pub fn assemble(raw: Raw, out: &mut Vec<Diagnostic>) -> BTreeMap<String, Desired> {
    let mut accounts: BTreeMap<String, Desired> = BTreeMap::new();
    let mut attribute_pos: BTreeMap<String, Vec<Pos>> = BTreeMap::new();
    for (spec, pos) in raw.accounts {
        if let Some(first) = accounts.get(&spec.name) {
            let msg = format!(
                "account `{}` is declared twice: here and at {}",
                spec.name, first.account.source
            );
            diag(out, spec.source.clone(), "Account", Rule::Manifest, msg);
            continue;
        }
        attribute_pos.insert(spec.name.clone(), pos);
        accounts.insert(
            spec.name.clone(),
            Desired {
                account: spec,
                users: BTreeMap::new(),
                groups: BTreeMap::new(),
                chat_groups: BTreeMap::new(),
                roles: BTreeMap::new(),
                organization: None,
                external_contacts: BTreeMap::new(),
                personal_contacts: BTreeMap::new(),
            },
        );
    }
    if accounts.is_empty() {
        if out.is_empty() {
            out.push(Diagnostic {
                source: Source::new(".", 1, 1),
                kind: None,
                rule: Rule::Manifest,
                message: "no Account document found: a manifest folder needs one `kind: Account`"
                    .into(),
            });
        }
        return accounts;
    }
    let names: Vec<String> = accounts.keys().cloned().collect();
    let resolve = |account: &Option<(String, Pos)>,
                   source: &Source,
                   kind: &str,
                   out: &mut Vec<Diagnostic>|
     -> Option<String> {
        match account {
            Some((name, pos)) if names.contains(name) => Some(name.clone()),
            Some((name, pos)) => {
                let msg = format!("no Account named `{name}` (accounts: {})", names.join(", "));
                diag(out, at(source, *pos), kind, Rule::Manifest, msg);
                None
            }
            None if names.len() == 1 => Some(names[0].clone()),
            None => {
                let msg = format!(
                    "this repository describes several accounts ({}): say which with `account:`",
                    names.join(", ")
                );
                diag(out, source.clone(), kind, Rule::Manifest, msg);
                None
            }
        }
    };

    for (what, list) in [("group", raw.groups), ("chat group", raw.chat_groups)] {
        for Owned {
            account,
            value,
            kind,
        } in list
        {
            let Some(name) = resolve(&account, &value.source, kind, out) else {
                continue;
            };
            let d = accounts.get_mut(&name).expect("resolved account");
            let map = if what == "group" {
                &mut d.groups
            } else {
                &mut d.chat_groups
            };
            if let Some(first) = map.get(&value.name) {
                let msg = format!(
                    "{what} `{}` is declared twice: here and at {}",
                    value.name, first.source
                );
                diag(out, value.source.clone(), kind, Rule::Manifest, msg);
                continue;
            }
            map.insert(value.name.clone(), value);
        }
    }
    for Owned {
        account,
        value,
        kind,
    } in raw.roles
    {
        let Some(name) = resolve(&account, &value.source, kind, out) else {
            continue;
        };
        let d = accounts.get_mut(&name).expect("resolved account");
        if let Some(first) = d.roles.get(&value.name) {
            let msg = format!(
                "role `{}` is declared twice: here and at {}",
                value.name, first.source
            );
            diag(out, value.source.clone(), kind, Rule::Manifest, msg);
            continue;
        }
        d.roles.insert(value.name.clone(), value);
    }
    for Owned {
        account,
        value,
        kind,
    } in raw.organizations
    {
        let source = match &value {
            crate::model::DesiredOrganization::Own { source, .. }
            | crate::model::DesiredOrganization::Join { source, .. } => source.clone(),
        };
        let Some(name) = resolve(&account, &source, kind, out) else {
            continue;
        };
        let d = accounts.get_mut(&name).expect("resolved account");
        if d.organization.is_some() {
            diag(
                out,
                source,
                kind,
                Rule::O2,
                format!(
                    "account {name} declares a second Organization: an account belongs to at most one organization"
                ),
            );
            continue;
        }
        d.organization = Some(value);
    }
    for Owned {
        account,
        value,
        kind,
    } in raw.external
    {
        let Some(name) = resolve(&account, &value.source, kind, out) else {
            continue;
        };
        let d = accounts.get_mut(&name).expect("resolved account");
        if let Some(first) = d.external_contacts.get(&value.user) {
            let msg = format!(
                "external contacts of {} are declared twice: here and at {}",
                value.user, first.source
            );
            diag(out, value.source.clone(), kind, Rule::Manifest, msg);
            continue;
        }
        d.external_contacts.insert(value.user.clone(), value);
    }
    for Owned {
        account,
        value,
        kind,
    } in raw.personal
    {
        let Some(name) = resolve(&account, &value.source, kind, out) else {
            continue;
        };
        let d = accounts.get_mut(&name).expect("resolved account");
        let groups = d.personal_contacts.entry(value.user.clone()).or_default();
        if let Some(first) = groups.get(&value.name) {
            let msg = format!(
                "contact group {} of {} is declared twice: here and at {}",
                value.name, value.user, first.source
            );
            diag(out, value.source.clone(), kind, Rule::Manifest, msg);
            continue;
        }
        groups.insert(value.name.clone(), value);
    }
    for user in raw.users {
        let Some(name) = resolve(&user.account, &user.source, user.kind, out) else {
            continue;
        };
        let d = accounts.get_mut(&name).expect("resolved account");
        if let Some(first) = d.users.get(&user.email) {
            let msg = format!(
                "user {} is declared twice: here and at {}",
                user.email, first.source
            );
            diag(out, user.source.clone(), user.kind, Rule::Manifest, msg);
            continue;
        }
        if let Some(du) = desired_user(&d.account, user, out) {
            d.users.insert(du.email.clone(), du);
        }
    }
    accounts
}

fn desired_user(
    account: &AccountSpec,
    user: RawUser,
    out: &mut Vec<Diagnostic>,
) -> Option<DesiredUser> {
    let RawUser {
        email,
        fields,
        source,
        kind,
        ..
    } = user;
    let mut spec = fields.spec;
    let domain = account.defaults.domains.get(email.domain());
    spec.user_type = spec
        .user_type
        .or(domain.and_then(|d| d.user_type))
        .or(account.defaults.user_type)
        .or(Some(UserType::Basic));
    spec.group = spec
        .group
        .or_else(|| domain.and_then(|d| d.group.clone()))
        .or_else(|| account.defaults.group.clone());
    if spec.chat_groups.is_none() {
        spec.chat_groups = account
            .defaults
            .chat_group
            .clone()
            .map(|g| BTreeSet::from([g]));
    }
    let mut ok = true;
    if email == account.owner {
        match &spec.role {
            None | Some(RoleName::Owner) => spec.role = Some(RoleName::Owner),
            Some(r) => {
                ok = false;
                let msg = format!(
                    "{email} owns the account: its role stays owner, it cannot be `{}` (U7: the owner is never demoted)",
                    r.as_str()
                );
                diag(out, source.clone(), kind, Rule::U7, msg);
            }
        }
    } else {
        match &spec.role {
            Some(RoleName::Owner) => {
                ok = false;
                let msg = format!(
                    "{email} cannot be given the owner role: the account has one owner, {} (U7)",
                    account.owner
                );
                diag(out, source.clone(), kind, Rule::U7, msg);
            }
            None => spec.role = Some(RoleName::Member),
            Some(_) => {}
        }
    }
    if let Some(attrs) = &spec.custom_attributes {
        for key in attrs.keys() {
            if !account.custom_attributes.contains(key) {
                ok = false;
                let pos = fields
                    .attribute_pos
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, p)| at(&source, *p))
                    .unwrap_or_else(|| source.clone());
                let msg = format!(
                    "custom attribute `{key}` is not one of the account's customAttributes ({}) (U11)",
                    if account.custom_attributes.is_empty() {
                        "none declared".to_string()
                    } else {
                        account.custom_attributes.join(", ")
                    }
                );
                diag(out, pos, kind, Rule::U11, msg);
            }
        }
    }
    ok.then(|| DesiredUser {
        email: Email::clone(&email),
        spec,
        status: fields.status.unwrap_or(DesiredStatus::Active),
        expires: fields.expires,
        source,
    })
}
