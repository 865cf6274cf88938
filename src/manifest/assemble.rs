//! Ties what the files declared to their accounts and checks what no single document can:
//! account references, duplicates across files (one error naming both places), custom
//! attributes against the account (U11), the owner's role (U7), the names documents
//! reference ([`super::references`]), and the precedence of defaults: a user's own
//! field, then its list's defaults, then the defaults of its email domain, then the
//! account's defaults, then `basic` / `member`.

use super::raw::{Owned, Raw, RawAccount, RawUser, Reference};
use super::references::{self, Scoped};
use super::tree::Pos;
use super::{Diagnostic, Location};
use crate::model::{
    AccountSpec, Desired, DesiredOrganization, DesiredStatus, DesiredUser, Email, RoleName, Rule,
    Source, UserType,
};
use std::collections::{BTreeMap, BTreeSet};

fn diag(out: &mut Vec<Diagnostic>, source: &Source, kind: &str, rule: Rule, message: String) {
    out.push(Diagnostic::new(source.into(), Some(kind), rule, message));
}

fn at(source: &Source, pos: Pos) -> Source {
    Source::new(source.file.clone(), pos.line, pos.column)
}

/// The accounts by name, and how an `account:` resolves against them.
struct Accounts {
    map: BTreeMap<String, Desired>,
}

impl Accounts {
    /// The account a document belongs to: its `account:`, or the only one.
    fn resolve(
        &self,
        account: &Option<(String, Pos)>,
        source: &Source,
        kind: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        let names: Vec<&str> = self.map.keys().map(String::as_str).collect();
        match account {
            Some((name, _)) if self.map.contains_key(name) => Some(name.clone()),
            Some((name, pos)) => {
                let mut d = Diagnostic::new(
                    (&at(source, *pos)).into(),
                    Some(kind),
                    Rule::Manifest,
                    format!("no Account named `{name}` (accounts: {})", names.join(", ")),
                );
                d.help = super::format::did_you_mean(name, names.iter().copied())
                    .map(|n| format!("did you mean `{n}`?"));
                out.push(d);
                None
            }
            None if names.len() == 1 => Some(names[0].to_string()),
            None => {
                let msg = format!(
                    "this repository describes several accounts ({}): say which with `account:`",
                    names.join(", ")
                );
                diag(out, source, kind, Rule::Manifest, msg);
                None
            }
        }
    }

    fn get(&mut self, name: &str) -> &mut Desired {
        self.map.get_mut(name).expect("resolved account")
    }
}

/// Builds one [`Desired`] per account, reporting every cross-file problem.
pub fn assemble(raw: Raw, out: &mut Vec<Diagnostic>) -> BTreeMap<String, Desired> {
    let mut refs: Vec<Scoped> = Vec::new();
    let Some(mut accounts) = declare_accounts(raw.accounts, &mut refs, out) else {
        return BTreeMap::new();
    };
    add_containers(&mut accounts, raw.groups, raw.chat_groups, out);
    for Owned {
        account,
        value,
        kind,
    } in raw.roles
    {
        let Some(name) = accounts.resolve(&account, &value.source, kind, out) else {
            continue;
        };
        let d = accounts.get(&name);
        if let Some(first) = d.roles.get(&value.name) {
            let msg = format!(
                "role `{}` is declared twice: here and at {}",
                value.name, first.source
            );
            diag(out, &value.source, kind, Rule::Manifest, msg);
            continue;
        }
        d.roles.insert(value.name.clone(), value);
    }
    add_organizations(&mut accounts, raw.organizations, out);
    add_contacts(&mut accounts, raw.external, raw.personal, out);
    add_integrations(&mut accounts, raw.integrations, out);
    add_calendly(&mut accounts, raw.calendly, out);
    for (account, r) in raw.refs {
        if let Some(name) = accounts.resolve(&account, &r.source, r.kind, &mut Vec::new()) {
            refs.push((name, r));
        }
    }
    add_users(&mut accounts, raw.users, &mut refs, out);
    references::check(&accounts.map, &refs, out);
    accounts.map
}

/// The declared accounts (each name once), or `None` when there is none (reported: with
/// no account nothing else can be tied to one).
fn declare_accounts(
    raw: Vec<RawAccount>,
    refs: &mut Vec<Scoped>,
    out: &mut Vec<Diagnostic>,
) -> Option<Accounts> {
    let mut map: BTreeMap<String, Desired> = BTreeMap::new();
    for RawAccount {
        spec,
        attribute_pos: _,
        refs: own,
    } in raw
    {
        if let Some(first) = map.get(&spec.name) {
            let msg = format!(
                "account `{}` is declared twice: here and at {}",
                spec.name, first.account.source
            );
            diag(out, &spec.source, "Account", Rule::Manifest, msg);
            continue;
        }
        refs.extend(own.into_iter().map(|r| (spec.name.clone(), r)));
        map.insert(spec.name.clone(), empty_desired(spec));
    }
    if map.is_empty() {
        if out.is_empty() {
            out.push(Diagnostic::new(
                Location::default(),
                None,
                Rule::Manifest,
                "no Account document found in the manifest folder: it needs one document with `kind: Account` (name, owner)".into(),
            ));
        }
        return None;
    }
    Some(Accounts { map })
}

fn empty_desired(spec: AccountSpec) -> Desired {
    Desired {
        account: spec,
        users: BTreeMap::new(),
        groups: BTreeMap::new(),
        chat_groups: BTreeMap::new(),
        roles: BTreeMap::new(),
        organization: None,
        external_contacts: BTreeMap::new(),
        personal_contacts: BTreeMap::new(),
        integrations: BTreeMap::new(),
        calendly: None,
    }
}

fn add_containers(
    accounts: &mut Accounts,
    groups: Vec<Owned<crate::model::DesiredGroup>>,
    chat_groups: Vec<Owned<crate::model::DesiredGroup>>,
    out: &mut Vec<Diagnostic>,
) {
    for (what, list) in [("group", groups), ("chat group", chat_groups)] {
        for Owned {
            account,
            value,
            kind,
        } in list
        {
            let Some(name) = accounts.resolve(&account, &value.source, kind, out) else {
                continue;
            };
            let d = accounts.get(&name);
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
                diag(out, &value.source, kind, Rule::Manifest, msg);
                continue;
            }
            map.insert(value.name.clone(), value);
        }
    }
}

fn add_organizations(
    accounts: &mut Accounts,
    organizations: Vec<Owned<DesiredOrganization>>,
    out: &mut Vec<Diagnostic>,
) {
    for Owned {
        account,
        value,
        kind,
    } in organizations
    {
        let source = match &value {
            DesiredOrganization::Own { source, .. } | DesiredOrganization::Join { source, .. } => {
                source.clone()
            }
        };
        let Some(name) = accounts.resolve(&account, &source, kind, out) else {
            continue;
        };
        let d = accounts.get(&name);
        if d.organization.is_some() {
            let msg = format!(
                "account {name} declares a second Organization: an account belongs to at most one organization"
            );
            diag(out, &source, kind, Rule::O2, msg);
            continue;
        }
        d.organization = Some(value);
    }
}

fn add_contacts(
    accounts: &mut Accounts,
    external: Vec<Owned<crate::model::DesiredExternalContacts>>,
    personal: Vec<Owned<crate::model::DesiredContactGroup>>,
    out: &mut Vec<Diagnostic>,
) {
    for Owned {
        account,
        value,
        kind,
    } in external
    {
        let Some(name) = accounts.resolve(&account, &value.source, kind, out) else {
            continue;
        };
        let d = accounts.get(&name);
        if let Some(first) = d.external_contacts.get(&value.user) {
            let msg = format!(
                "external contacts of {} are declared twice: here and at {}",
                value.user, first.source
            );
            diag(out, &value.source, kind, Rule::Manifest, msg);
            continue;
        }
        d.external_contacts.insert(value.user.clone(), value);
    }
    for Owned {
        account,
        value,
        kind,
    } in personal
    {
        let Some(name) = accounts.resolve(&account, &value.source, kind, out) else {
            continue;
        };
        let d = accounts.get(&name);
        let groups = d.personal_contacts.entry(value.user.clone()).or_default();
        if let Some(first) = groups.get(&value.name) {
            let msg = format!(
                "contact group {} of {} is declared twice: here and at {}",
                value.name, value.user, first.source
            );
            diag(out, &value.source, kind, Rule::Manifest, msg);
            continue;
        }
        groups.insert(value.name.clone(), value);
    }
}

/// K4: one integration per user (a user has one service at a time).
fn add_integrations(
    accounts: &mut Accounts,
    integrations: Vec<Owned<crate::model::DesiredIntegration>>,
    out: &mut Vec<Diagnostic>,
) {
    for Owned {
        account,
        value,
        kind,
    } in integrations
    {
        let Some(name) = accounts.resolve(&account, &value.source, kind, out) else {
            continue;
        };
        let d = accounts.get(&name);
        if let Some(first) = d.integrations.get(&value.user) {
            let msg = format!(
                "{} has a second calendar and contact integration here; the first is at {} (a user integrates with one service at a time)",
                value.user, first.source
            );
            diag(out, &value.source, kind, Rule::K4, msg);
            continue;
        }
        d.integrations.insert(value.user.clone(), value);
    }
}

/// One Calendly connection per account: the organization connects to one Zoom account.
fn add_calendly(
    accounts: &mut Accounts,
    connections: Vec<Owned<crate::model::DesiredCalendly>>,
    out: &mut Vec<Diagnostic>,
) {
    for Owned {
        account,
        value,
        kind,
    } in connections
    {
        let Some(name) = accounts.resolve(&account, &value.source, kind, out) else {
            continue;
        };
        let d = accounts.get(&name);
        if let Some(first) = &d.calendly {
            let msg = format!(
                "a second CalendlyConnection for this account; the first is at {} (one Calendly organization connects to one Zoom account)",
                first.source
            );
            diag(out, &value.source, kind, Rule::C1, msg);
            continue;
        }
        d.calendly = Some(value);
    }
}

fn add_users(
    accounts: &mut Accounts,
    users: Vec<RawUser>,
    refs: &mut Vec<Scoped>,
    out: &mut Vec<Diagnostic>,
) {
    for mut user in users {
        let Some(name) = accounts.resolve(&user.account, &user.source, user.kind, out) else {
            continue;
        };
        let d = accounts.get(&name);
        if let Some(first) = d.users.get(&user.email) {
            let msg = format!(
                "user {} is declared twice: here and at {}",
                user.email, first.source
            );
            diag(out, &user.source, user.kind, Rule::Manifest, msg);
            continue;
        }
        let own: Vec<Reference> = std::mem::take(&mut user.fields.refs);
        refs.extend(own.into_iter().map(|r| (name.clone(), r)));
        if let Some(du) = desired_user(&d.account, user, out) {
            d.users.insert(du.email.clone(), du);
        }
    }
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
    let mut ok = check_role(account, &email, &mut spec.role, &source, kind, out);
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
                diag(out, &pos, kind, Rule::U11, msg);
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

/// U7: the owner's role stays owner, nobody else gets it; `member` by default.
fn check_role(
    account: &AccountSpec,
    email: &Email,
    role: &mut Option<RoleName>,
    source: &Source,
    kind: &str,
    out: &mut Vec<Diagnostic>,
) -> bool {
    if *email == account.owner {
        return match role {
            None | Some(RoleName::Owner) => {
                *role = Some(RoleName::Owner);
                true
            }
            Some(r) => {
                let msg = format!(
                    "{email} owns the account: its role stays owner, it cannot be `{}` (U7: the owner is never demoted)",
                    r.as_str()
                );
                diag(out, source, kind, Rule::U7, msg);
                false
            }
        };
    }
    match role {
        Some(RoleName::Owner) => {
            let msg = format!(
                "{email} cannot be given the owner role: the account has one owner, {} (U7)",
                account.owner
            );
            diag(out, source, kind, Rule::U7, msg);
            false
        }
        None => {
            *role = Some(RoleName::Member);
            true
        }
        Some(_) => true,
    }
}
