//! One reader per document kind: located YAML in, model values out (not yet tied to an
//! account: [`super::assemble`] does that once every file is read).

use super::fields::{self, Fields, Sink};
use super::raw::{FileCtx, Owned, Raw, RawUser, UserFields};
use super::tree::{Node, Pos, Value};
use crate::model::{
    AccountDefaults, AccountSpec, Addon, DesiredGroup, DesiredRole, DesiredStatus, DomainDefaults,
    Policy, ProviderConfig, RemoveAction, RoleName, Rule, Seats, SecretRef, SimConfig, UserField,
    UserType, ZoomConfig,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// U11: at most this many custom attributes per account.
pub const MAX_CUSTOM_ATTRIBUTES: usize = 5;

/// U8: invitations expire 30 days after they were sent.
const INVITATION_DAYS: i64 = 30;

/// Kinds that later versions will read; today they are refused with a clear message.
const LATER_KINDS: [&str; 2] = ["CalendarContactIntegration", "CalendlyConnection"];

/// Lifecycle fields accepted beside the [`UserField`]s wherever a user is declared.
const LIFECYCLE_FIELDS: [&str; 2] = ["status", "expires"];

/// Reads one document into `raw`.
pub fn read_document(doc: &Node, file: &FileCtx<'_>, sink: &mut Sink<'_>, raw: &mut Raw) {
    if doc.is_null() {
        return; // an empty document (e.g. a trailing `---`)
    }
    let Value::Map(entries) = &doc.value else {
        sink.format(
            doc.pos,
            format!(
                "a document must be a mapping with a `kind`, found {}",
                doc.shape()
            ),
        );
        return;
    };
    let kind_node = entries
        .iter()
        .find(|(k, _)| k.scalar() == Some("kind"))
        .map(|(_, v)| v);
    let Some(kind_node) = kind_node else {
        sink.format(
            doc.pos,
            "a document needs a `kind` (Account, User, Users, UserImport, Group, ChatGroup, Role)",
        );
        return;
    };
    let kind = kind_node.scalar().unwrap_or_default().to_string();
    sink.kind = Some(kind.clone());
    match kind.as_str() {
        "Account" => read_account(doc, file, sink, raw),
        "User" => read_user(doc, sink, raw),
        "Users" => read_users(doc, sink, raw),
        "UserImport" => super::csv_import::read_import(doc, file, sink, raw),
        "Group" => {
            if let Some((account, value)) = read_group(doc, sink, "group") {
                raw.groups.push(Owned {
                    account,
                    value,
                    kind: "Group",
                });
            }
        }
        "ChatGroup" => {
            if let Some((account, value)) = read_group(doc, sink, "chat group") {
                raw.chat_groups.push(Owned {
                    account,
                    value,
                    kind: "ChatGroup",
                });
            }
        }
        "Role" => read_role(doc, sink, raw),
        "Organization" => super::contacts::read_organization(doc, sink, raw),
        "ExternalContacts" => super::contacts::read_external(doc, sink, raw),
        "PersonalContacts" => super::contacts::read_personal(doc, file, sink, raw),
        k if LATER_KINDS.contains(&k) => {
            sink.format(kind_node.pos, format!("kind `{k}` is part of the manifest format but not supported by this version of roster yet"));
        }
        other => {
            sink.kind = None;
            sink.format(
                kind_node.pos,
                format!("unknown kind `{other}` (known kinds: Account, User, Users, UserImport, Group, ChatGroup, Role, Organization, ExternalContacts, PersonalContacts)"),
            );
        }
    }
}

fn account_ref(f: &Fields<'_>, sink: &mut Sink<'_>) -> Option<(String, Pos)> {
    f.get("account")
        .and_then(|n| fields::text(sink, n, "account").map(|t| (t, n.pos)))
}

/// Reads the user fields present in `f`: every [`UserField`] plus `status` and `expires`.
pub fn read_user_fields(f: &Fields<'_>, sink: &mut Sink<'_>) -> UserFields {
    let mut out = UserFields::default();
    for field in UserField::ALL {
        if let Some(n) = f.get(field.as_str()) {
            read_user_field(&mut out, field, n, sink);
        }
    }
    if let Some(n) = f.get("status") {
        out.status = fields::text(sink, n, "status").and_then(|t| match t.as_str() {
            "active" => Some(DesiredStatus::Active),
            "deactivated" => Some(DesiredStatus::Deactivated),
            "absent" => Some(DesiredStatus::Absent),
            _ => {
                sink.error(
                    n.pos,
                    Rule::U13,
                    format!("`status`: {t:?} is not active, deactivated or absent"),
                );
                None
            }
        });
    }
    if let Some(n) = f.get("expires") {
        out.expires = fields::date(sink, n, "expires");
    }
    out
}

/// Reads one user field from its (non-null) node.
fn read_user_field(out: &mut UserFields, field: UserField, n: &Node, sink: &mut Sink<'_>) {
    let key = field.as_str();
    let s = &mut out.spec;
    match field {
        UserField::FirstName => s.first_name = fields::text(sink, n, key),
        UserField::LastName => s.last_name = fields::text(sink, n, key),
        UserField::Type => s.user_type = read_type(n, sink),
        UserField::Addons => s.addons = read_addons(n, sink),
        UserField::Role => s.role = fields::text(sink, n, key).map(|r| RoleName::parse(&r)),
        UserField::Group => s.group = fields::text(sink, n, key),
        UserField::ChatGroups => {
            s.chat_groups = fields::list(sink, n, key)
                .map(|v| v.into_iter().map(|(g, _)| g).collect::<BTreeSet<_>>());
        }
        UserField::Department => s.department = fields::text(sink, n, key),
        UserField::Manager => s.manager = fields::email(sink, n, key),
        UserField::JobTitle => s.job_title = fields::text(sink, n, key),
        UserField::Location => s.location = fields::text(sink, n, key),
        UserField::CustomAttributes => read_custom_attributes(out, n, sink),
    }
}

/// `type` (U2).
fn read_type(n: &Node, sink: &mut Sink<'_>) -> Option<UserType> {
    let t = fields::text(sink, n, "type")?;
    let parsed = UserType::parse(&t);
    if parsed.is_none() {
        sink.error(
            n.pos,
            Rule::U2,
            format!("`type`: {t:?} is not a user type (basic, licensed, on-prem)"),
        );
    }
    parsed
}

/// `addons` (U3): every item must be an add-on.
fn read_addons(n: &Node, sink: &mut Sink<'_>) -> Option<BTreeSet<Addon>> {
    fields::list(sink, n, "addons").map(|items| {
        items
            .into_iter()
            .filter_map(|(a, pos)| match Addon::parse(&a) {
                Some(a) => Some(a),
                None => {
                    sink.error(
                        pos,
                        Rule::U3,
                        format!("`addons`: {a:?} is not an add-on (large-meeting, webinar)"),
                    );
                    None
                }
            })
            .collect()
    })
}

/// `customAttributes`: a mapping of attribute name to value, each key located (U11).
fn read_custom_attributes(out: &mut UserFields, n: &Node, sink: &mut Sink<'_>) {
    let Value::Map(entries) = &n.value else {
        sink.format(
            n.pos,
            "`customAttributes` must be a mapping of attribute name to value",
        );
        return;
    };
    let mut map = BTreeMap::new();
    for (k, v) in entries {
        let (Some(key), Some(value)) = (k.scalar(), fields::text(sink, v, "customAttributes"))
        else {
            continue;
        };
        out.attribute_pos.push((key.to_string(), k.pos));
        map.insert(key.to_string(), value);
    }
    out.spec.custom_attributes = Some(map);
}

/// The keys a user declaration accepts: `extra`, then every [`UserField`], then the
/// lifecycle fields.
fn with_user_fields(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = extra.to_vec();
    v.extend(UserField::ALL.map(UserField::as_str));
    v.extend(LIFECYCLE_FIELDS);
    v
}

fn read_user(doc: &Node, sink: &mut Sink<'_>, raw: &mut Raw) {
    let allowed = with_user_fields(&["kind", "account", "email"]);
    let Some(f) = Fields::new(doc, sink, "User", &allowed) else {
        return;
    };
    let account = account_ref(&f, sink);
    let email = match f.get("email") {
        Some(n) => fields::email(sink, n, "email").map(|e| (e, n.pos)),
        None => {
            sink.format(f.pos, "a User needs `email`");
            None
        }
    };
    let fields = read_user_fields(&f, sink);
    if let Some((email, pos)) = email {
        raw.users.push(RawUser {
            account,
            email,
            fields,
            source: sink.source(pos),
            kind: "User",
        });
    }
}

fn read_users(doc: &Node, sink: &mut Sink<'_>, raw: &mut Raw) {
    let Some(f) = Fields::new(
        doc,
        sink,
        "Users",
        &["kind", "account", "defaults", "items"],
    ) else {
        return;
    };
    let account = account_ref(&f, sink);
    let defaults = read_defaults(&f, sink, "Users");
    let Some(items) = f.get("items") else {
        sink.format(f.pos, "a Users list needs `items`");
        return;
    };
    let Value::Seq(items) = &items.value else {
        sink.format(
            items.pos,
            format!("`items` must be a list of users, found {}", items.shape()),
        );
        return;
    };
    let allowed = with_user_fields(&["email"]);
    for item in items {
        let Some(fi) = Fields::new(item, sink, "a Users item", &allowed) else {
            continue;
        };
        let email = match fi.get("email") {
            Some(n) => fields::email(sink, n, "email").map(|e| (e, n.pos)),
            None => {
                sink.format(item.pos, "every Users item needs `email`");
                None
            }
        };
        let own = read_user_fields(&fi, sink);
        if let Some((email, pos)) = email {
            raw.users.push(RawUser {
                account: account.clone(),
                email,
                fields: own.over(&defaults),
                source: sink.source(pos),
                kind: "Users",
            });
        }
    }
}

/// Reads `defaults:` of a `Users` or `UserImport` document.
pub fn read_defaults(f: &Fields<'_>, sink: &mut Sink<'_>, kind: &str) -> UserFields {
    match f.get("defaults") {
        Some(n) => {
            match Fields::new(n, sink, &format!("{kind} defaults"), &with_user_fields(&[])) {
                Some(d) => read_user_fields(&d, sink),
                None => UserFields::default(),
            }
        }
        None => UserFields::default(),
    }
}

fn read_group(
    doc: &Node,
    sink: &mut Sink<'_>,
    what: &str,
) -> Option<(Option<(String, Pos)>, DesiredGroup)> {
    let f = Fields::new(doc, sink, what, &["kind", "account", "name", "description"])?;
    let account = account_ref(&f, sink);
    let (name, pos) = f.required(sink, "name", what)?;
    let description = f.text(sink, "description");
    Some((
        account,
        DesiredGroup {
            name,
            description,
            source: sink.source(pos),
        },
    ))
}

fn read_role(doc: &Node, sink: &mut Sink<'_>, raw: &mut Raw) {
    let Some(f) = Fields::new(
        doc,
        sink,
        "Role",
        &["kind", "account", "name", "description", "privileges"],
    ) else {
        return;
    };
    let account = account_ref(&f, sink);
    let Some((name, pos)) = f.required(sink, "name", "a Role") else {
        return;
    };
    if ["owner", "admin", "member"].contains(&name.to_ascii_lowercase().as_str()) {
        sink.error(
            pos,
            Rule::U7,
            format!("`{name}` is a built-in role: custom roles need another name"),
        );
    }
    let description = f.text(sink, "description");
    let privileges = f
        .get("privileges")
        .and_then(|n| fields::list(sink, n, "privileges"))
        .map(|v| v.into_iter().map(|(p, _)| p).collect())
        .unwrap_or_default();
    raw.roles.push(Owned {
        account,
        value: DesiredRole {
            name,
            description,
            privileges,
            source: sink.source(pos),
        },
        kind: "Role",
    });
}

fn secret(sink: &mut Sink<'_>, node: &Node, key: &str, dir: &Path) -> Option<SecretRef> {
    let f = Fields::new(
        node,
        sink,
        &format!(
            "secret `{key}` (write {{ env: VAR }} or {{ file: path }}, never the secret itself)"
        ),
        &["env", "file"],
    )?;
    match (f.text(sink, "env"), f.text(sink, "file")) {
        (Some(v), None) => Some(SecretRef::Env(v)),
        (None, Some(p)) => Some(SecretRef::File(dir.join(p))),
        _ => {
            sink.format(
                node.pos,
                format!("secret `{key}` takes exactly one of `env` or `file`"),
            );
            None
        }
    }
}

fn read_provider(f: &Fields<'_>, file: &FileCtx<'_>, sink: &mut Sink<'_>) -> ProviderConfig {
    let Some(n) = f.get("provider") else {
        return ProviderConfig::Sim(SimConfig::default());
    };
    let Some(p) = Fields::new(n, sink, "provider", &["sim", "zoom"]) else {
        return ProviderConfig::Sim(SimConfig::default());
    };
    match (p.get("sim"), p.get("zoom")) {
        (Some(_), Some(_)) => {
            sink.format(n.pos, "provider takes exactly one of `sim` or `zoom`");
            ProviderConfig::Sim(SimConfig::default())
        }
        (None, Some(z)) => {
            let Some(z) = Fields::new(
                z,
                sink,
                "provider.zoom",
                &[
                    "accountId",
                    "clientId",
                    "clientSecret",
                    "baseUrl",
                    "tokenUrl",
                    "plan",
                    "rateShare",
                    "pageSize",
                ],
            ) else {
                return ProviderConfig::Sim(SimConfig::default());
            };
            let need = |key: &str, sink: &mut Sink<'_>| match z.get(key) {
                Some(v) => secret(sink, v, key, file.dir),
                None => {
                    sink.format(
                        z.pos,
                        format!(
                            "provider.zoom needs `{key}` as {{ env: VAR }} or {{ file: path }}"
                        ),
                    );
                    None
                }
            };
            let account_id = need("accountId", sink);
            let client_id = need("clientId", sink);
            let client_secret = need("clientSecret", sink);
            let plan = z.text(sink, "plan").unwrap_or_else(|| "business".into());
            if !["pro", "business"].contains(&plan.as_str()) {
                sink.format(
                    z.get("plan").map(|n| n.pos).unwrap_or(z.pos),
                    format!("provider.zoom.plan: {plan:?} is not pro or business"),
                );
            }
            let rate_share = z
                .get("rateShare")
                .and_then(|n| fields::number(sink, n, "rateShare"))
                .unwrap_or(0.5);
            if !(rate_share > 0.0 && rate_share <= 1.0) {
                sink.format(
                    z.get("rateShare").map(|n| n.pos).unwrap_or(z.pos),
                    "provider.zoom.rateShare must be above 0 and at most 1",
                );
            }
            let page_size = z
                .get("pageSize")
                .and_then(|n| fields::number(sink, n, "pageSize"))
                .unwrap_or(300.0);
            if !(page_size.fract() == 0.0 && (1.0..=2000.0).contains(&page_size)) {
                sink.format(
                    z.get("pageSize").map(|n| n.pos).unwrap_or(z.pos),
                    "provider.zoom.pageSize must be a whole number from 1 to 2000 (Zoom's page_size)",
                );
            }
            match (account_id, client_id, client_secret) {
                (Some(account_id), Some(client_id), Some(client_secret)) => {
                    ProviderConfig::Zoom(ZoomConfig {
                        account_id,
                        client_id,
                        client_secret,
                        base_url: z
                            .text(sink, "baseUrl")
                            .unwrap_or_else(|| "https://api.zoom.us/v2".into()),
                        token_url: z
                            .text(sink, "tokenUrl")
                            .unwrap_or_else(|| "https://zoom.us/oauth/token".into()),
                        plan,
                        rate_share,
                        page_size: page_size.clamp(1.0, 2000.0) as u32,
                    })
                }
                _ => ProviderConfig::Sim(SimConfig::default()),
            }
        }
        (Some(s), None) => {
            let Some(s) = Fields::new(
                s,
                sink,
                "provider.sim",
                &["seed", "accountId", "actAs", "latencyMs"],
            ) else {
                return ProviderConfig::Sim(SimConfig::default());
            };
            let seed = s.text(sink, "seed").map(|p| file.dir.join(p));
            if let (Some(path), Some(n)) = (&seed, s.get("seed"))
                && !path.is_file()
            {
                sink.format(
                    n.pos,
                    format!("provider.sim.seed: no file at {}", path.display()),
                );
            }
            ProviderConfig::Sim(SimConfig {
                seed,
                account_id: s.text(sink, "accountId"),
                act_as: s.get("actAs").and_then(|n| fields::email(sink, n, "actAs")),
                latency: sim_latency(sink, s.get("latencyMs")),
            })
        }
        (None, None) => ProviderConfig::Sim(SimConfig::default()),
    }
}

fn user_type_field(f: &Fields<'_>, sink: &mut Sink<'_>, key: &str) -> Option<UserType> {
    let n = f.get(key)?;
    let t = fields::text(sink, n, key)?;
    let parsed = UserType::parse(&t);
    if parsed.is_none() {
        sink.error(
            n.pos,
            Rule::U2,
            format!("`{key}`: {t:?} is not a user type (basic, licensed, on-prem)"),
        );
    }
    parsed
}

fn read_account_defaults(f: &Fields<'_>, sink: &mut Sink<'_>) -> AccountDefaults {
    let Some(n) = f.get("defaults") else {
        return AccountDefaults::default();
    };
    let Some(d) = Fields::new(
        n,
        sink,
        "Account defaults",
        &["userType", "group", "chatGroup", "domains"],
    ) else {
        return AccountDefaults::default();
    };
    let mut out = AccountDefaults {
        user_type: user_type_field(&d, sink, "userType"),
        group: d.text(sink, "group"),
        chat_group: d.text(sink, "chatGroup"),
        domains: BTreeMap::new(),
    };
    if let Some(domains) = d.get("domains") {
        match &domains.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let Some(domain) = k.scalar() else { continue };
                    if let Some(dd) = Fields::new(
                        v,
                        sink,
                        &format!("defaults for domain {domain}"),
                        &["userType", "group"],
                    ) {
                        out.domains.insert(
                            domain.to_ascii_lowercase(),
                            DomainDefaults {
                                user_type: user_type_field(&dd, sink, "userType"),
                                group: dd.text(sink, "group"),
                            },
                        );
                    }
                }
            }
            _ => sink.format(domains.pos, "`domains` must map a domain to its defaults"),
        }
    }
    out
}

fn read_policy(f: &Fields<'_>, sink: &mut Sink<'_>) -> Policy {
    let mut p = Policy::default();
    let Some(n) = f.get("policy") else { return p };
    let Some(pf) = Fields::new(
        n,
        sink,
        "policy",
        &[
            "prune",
            "removeAction",
            "maxRemovals",
            "minAdmins",
            "ignore",
            "invitations",
            "externalContacts",
            "userEditable",
        ],
    ) else {
        return p;
    };
    if let Some(n) = pf.get("prune") {
        p.prune = fields::boolean(sink, n, "prune").unwrap_or(false);
    }
    if let Some(n) = pf.get("removeAction") {
        match fields::text(sink, n, "removeAction").as_deref() {
            Some("disassociate") => p.remove_action = RemoveAction::Disassociate,
            Some("deactivate") => p.remove_action = RemoveAction::Deactivate,
            Some("delete") => p.remove_action = RemoveAction::Delete,
            Some(other) => sink.error(
                n.pos,
                Rule::U13,
                format!("`removeAction`: {other:?} is not disassociate, deactivate or delete"),
            ),
            None => {}
        }
    }
    p.max_removals = pf
        .get("maxRemovals")
        .and_then(|n| fields::count(sink, n, "maxRemovals"));
    p.min_admins = pf
        .get("minAdmins")
        .and_then(|n| fields::count(sink, n, "minAdmins"));
    if let Some(n) = pf.get("ignore") {
        for (glob, pos) in fields::list(sink, n, "ignore").unwrap_or_default() {
            match globset::Glob::new(&glob.to_ascii_lowercase()) {
                Ok(_) => p.ignore.push(glob.to_ascii_lowercase()),
                Err(e) => sink.format(pos, format!("`ignore`: {glob:?} is not a valid glob ({e})")),
            }
        }
    }
    if let Some(n) = pf.get("invitations")
        && let Some(inv) = Fields::new(n, sink, "policy.invitations", &["resendAfter"])
        && let Some(r) = inv.get("resendAfter")
    {
        let raw = fields::text(sink, r, "resendAfter").unwrap_or_default();
        match fields::duration(&raw) {
                    Some(d) if d >= chrono::Duration::days(INVITATION_DAYS) => sink.error(
                        r.pos,
                        Rule::U8,
                        format!("`resendAfter: {raw}` is not shorter than the 30 days after which invitations expire: the resend would come too late"),
                    ),
                    Some(d) => p.resend_after = Some(d),
                    None => sink.format(r.pos, format!("`resendAfter`: {raw:?} is not a duration like 25d, 36h or 90m")),
                }
    }
    if let Some(n) = pf.get("externalContacts")
        && let Some(ec) = Fields::new(n, sink, "policy.externalContacts", &["allowDomains"])
    {
        p.external_allow_domains = ec
            .get("allowDomains")
            .and_then(|n| fields::list(sink, n, "allowDomains"))
            .map(|v| v.into_iter().map(|(d, _)| d.to_ascii_lowercase()).collect());
    }
    if let Some(n) = pf.get("userEditable") {
        for (name, pos) in fields::list(sink, n, "userEditable").unwrap_or_default() {
            match UserField::parse(&name) {
                Some(field) => {
                    p.user_editable.insert(field);
                }
                None => sink.error(
                    pos,
                    Rule::U4,
                    format!("`userEditable`: {name:?} is not a user field"),
                ),
            }
        }
    }
    p
}

fn read_account(doc: &Node, file: &FileCtx<'_>, sink: &mut Sink<'_>, raw: &mut Raw) {
    let allowed = [
        "kind",
        "name",
        "owner",
        "provider",
        "defaults",
        "customAttributes",
        "seats",
        "policy",
        "schedule",
    ];
    let Some(f) = Fields::new(doc, sink, "Account", &allowed) else {
        return;
    };
    let name = f.required(sink, "name", "an Account");
    let owner = match f.get("owner") {
        Some(n) => fields::email(sink, n, "owner"),
        None => {
            sink.error(
                f.pos,
                Rule::U7,
                "an Account needs `owner` (the account owner is never demoted or removed, U7)",
            );
            None
        }
    };
    let provider = read_provider(&f, file, sink);
    let defaults = read_account_defaults(&f, sink);
    let mut custom_attributes = Vec::new();
    let mut attribute_pos = Vec::new();
    if let Some(n) = f.get("customAttributes") {
        for (i, (a, pos)) in fields::list(sink, n, "customAttributes")
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            if i == MAX_CUSTOM_ATTRIBUTES {
                sink.error(pos, Rule::U11, format!("custom attribute `{a}` is one too many: an account has at most {MAX_CUSTOM_ATTRIBUTES} custom user attributes"));
            }
            if custom_attributes.contains(&a) {
                sink.format(pos, format!("custom attribute `{a}` is listed twice"));
            }
            custom_attributes.push(a);
            attribute_pos.push(pos);
        }
    }
    let mut seats = Seats::default();
    if let Some(n) = f.get("seats")
        && let Some(s) = Fields::new(n, sink, "seats", &["licensed", "largeMeeting", "webinar"])
    {
        seats.licensed = s
            .get("licensed")
            .and_then(|n| fields::count(sink, n, "licensed"));
        seats.large_meeting = s
            .get("largeMeeting")
            .and_then(|n| fields::count(sink, n, "largeMeeting"));
        seats.webinar = s
            .get("webinar")
            .and_then(|n| fields::count(sink, n, "webinar"));
    }
    let policy = read_policy(&f, sink);
    let mut resync = None;
    if let Some(n) = f.get("schedule")
        && let Some(s) = Fields::new(n, sink, "schedule", &["resync"])
        && let Some(r) = s.get("resync")
    {
        let expr = fields::text(sink, r, "resync").unwrap_or_default();
        let parts = expr.split_whitespace().count();
        if !(6..=7).contains(&parts) {
            sink.format(r.pos, format!("`resync`: {expr:?} is not a cron expression with seconds (6 or 7 fields, e.g. \"0 */10 * * * *\")"));
        } else if let Err(e) = expr.parse::<cron::Schedule>() {
            sink.format(r.pos, format!("`resync`: {expr:?} is not a valid cron expression ({e}); fields are sec min hour day-of-month month day-of-week [year], e.g. \"0 */10 * * * *\""));
        } else {
            resync = Some(expr);
        }
    }
    let (Some((name, pos)), Some(owner)) = (name, owner) else {
        return;
    };
    raw.accounts.push((
        AccountSpec {
            name,
            owner,
            provider,
            defaults,
            custom_attributes,
            seats,
            policy,
            resync,
            source: sink.source(pos),
        },
        attribute_pos,
    ));
}

/// `provider.sim.latencyMs`: how long each simulated operation takes (Zoom's latency; tests
/// use it to act while an apply is under way).
fn sim_latency(sink: &mut Sink<'_>, n: Option<&Node>) -> Option<std::time::Duration> {
    let n = n?;
    let ms = fields::number(sink, n, "latencyMs")?;
    if !(ms.fract() == 0.0 && (0.0..=600_000.0).contains(&ms)) {
        sink.format(
            n.pos,
            "provider.sim.latencyMs must be a whole number of milliseconds from 0 to 600000",
        );
        return None;
    }
    Some(std::time::Duration::from_millis(ms as u64)).filter(|d| !d.is_zero())
}
