//! `kind: Account`: owner, provider, defaults, custom attributes, seats, policy,
//! schedule and `existing`, each block read against its fields in [`super::format`].

use super::fields::{self, Fields, Sink};
use super::format::{self, FieldDef, Kind};
use super::kinds::{reference, user_type};
use super::raw::{FileCtx, Raw, RawAccount, Reference, Target};
use super::tree::{Node, Pos, Value};
use crate::model::{
    AccountDefaults, AccountSpec, DomainDefaults, Existing, Policy, ProviderConfig, RemoveAction,
    Rule, Seats, SecretRef, SimConfig, Source, UserField, UserType, ZoomConfig,
};
use std::collections::BTreeMap;
use std::path::Path;

/// U11: at most this many custom attributes per account.
pub const MAX_CUSTOM_ATTRIBUTES: usize = 5;

/// U8: invitations expire 30 days after they were sent.
const INVITATION_DAYS: i64 = 30;

/// The fields of the Account's block `name` (`provider`, `policy`, …).
fn block(name: &str) -> &'static [FieldDef] {
    format::nested(Kind::Account.def().fields, name)
}

/// Reads an Account document into `raw`.
pub fn read_account(doc: &Node, file: &FileCtx<'_>, sink: &mut Sink<'_>, raw: &mut Raw) {
    let Some(f) = Fields::new(doc, sink, "an Account", Kind::Account.def().fields) else {
        return;
    };
    let name = f.required(sink, "name");
    let owner = f.get("owner").and_then(|n| fields::email(sink, n, "owner"));
    let provider = read_provider(&f, file, sink);
    let mut refs = Vec::new();
    let defaults = read_account_defaults(&f, sink, &mut refs);
    let (custom_attributes, attribute_pos) = read_custom_attributes(&f, sink);
    let seats = read_seats(&f, sink);
    let policy = read_policy(&f, sink);
    let resync = read_schedule(&f, sink);
    let existing = read_existing(&f, sink);
    let (Some((name, pos)), Some(owner)) = (name, owner) else {
        return;
    };
    let spec = AccountSpec {
        name,
        owner,
        provider,
        defaults,
        custom_attributes,
        seats,
        policy,
        resync,
        existing,
        source: sink.source(pos),
    };
    raw.accounts.push(RawAccount {
        spec,
        attribute_pos,
        refs,
    });
}

/// `customAttributes` (U11: at most five, none twice), with where each was written.
fn read_custom_attributes(f: &Fields<'_>, sink: &mut Sink<'_>) -> (Vec<String>, Vec<Pos>) {
    let mut names = Vec::new();
    let mut positions = Vec::new();
    let Some(n) = f.get("customAttributes") else {
        return (names, positions);
    };
    let items = fields::list(sink, n, "customAttributes").unwrap_or_default();
    for (i, (a, pos)) in items.into_iter().enumerate() {
        if i == MAX_CUSTOM_ATTRIBUTES {
            sink.error(pos, Rule::U11, format!("custom attribute `{a}` is one too many: an account has at most {MAX_CUSTOM_ATTRIBUTES} custom user attributes"));
        }
        if names.contains(&a) {
            sink.format(pos, format!("custom attribute `{a}` is listed twice"));
        }
        names.push(a);
        positions.push(pos);
    }
    (names, positions)
}

/// `seats` (U2, U3).
fn read_seats(f: &Fields<'_>, sink: &mut Sink<'_>) -> Seats {
    let mut seats = Seats::default();
    let Some(s) = f
        .get("seats")
        .and_then(|n| Fields::new(n, sink, "seats", block("seats")))
    else {
        return seats;
    };
    let count =
        |key: &str, sink: &mut Sink<'_>| s.get(key).and_then(|n| fields::count(sink, n, key));
    seats.licensed = count("licensed", sink);
    seats.large_meeting = count("largeMeeting", sink);
    seats.webinar = count("webinar", sink);
    seats
}

/// `schedule.resync`: a cron expression with seconds.
fn read_schedule(f: &Fields<'_>, sink: &mut Sink<'_>) -> Option<String> {
    let s = Fields::new(f.get("schedule")?, sink, "schedule", block("schedule"))?;
    fields::cron(sink, s.get("resync")?, "resync")
}

/// `existing`: what manifests may reference without declaring it.
fn read_existing(f: &Fields<'_>, sink: &mut Sink<'_>) -> Existing {
    let mut out = Existing::default();
    let Some(e) = f
        .get("existing")
        .and_then(|n| Fields::new(n, sink, "existing", format::EXISTING))
    else {
        return out;
    };
    let names = |key: &str, sink: &mut Sink<'_>| -> BTreeMap<String, Source> {
        let items = e.get(key).and_then(|n| fields::list(sink, n, key));
        items
            .into_iter()
            .flatten()
            .map(|(name, pos)| (name, sink.source(pos)))
            .collect()
    };
    out.groups = names("groups", sink);
    out.chat_groups = names("chatGroups", sink);
    out.roles = names("roles", sink);
    if let Some(Value::Seq(items)) = e.get("users").map(|n| &n.value) {
        for item in items {
            if let Some(email) = fields::email(sink, item, "users") {
                out.users.insert(email, sink.source(item.pos));
            }
        }
    } else if let Some(n) = e.get("users") {
        sink.format(n.pos, "`existing.users` must be a list of emails");
    }
    out
}

/// The two forms of a secret reference.
const SECRET: &[FieldDef] = &[
    FieldDef {
        name: "env",
        shape: format::Shape::Text,
        required: false,
        rule: None,
    },
    FieldDef {
        name: "file",
        shape: format::Shape::Text,
        required: false,
        rule: None,
    },
];

/// A `{ env: VAR }` or `{ file: path }` secret reference (`file` relative to `dir`).
pub(super) fn secret(sink: &mut Sink<'_>, node: &Node, key: &str, dir: &Path) -> Option<SecretRef> {
    let what = format!(
        "secret `{key}` (write {{ env: VAR }} or {{ file: path }}, never the secret itself)"
    );
    let f = Fields::new(node, sink, &what, SECRET)?;
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
    let fallback = ProviderConfig::Sim(SimConfig::default());
    let Some(n) = f.get("provider") else {
        return fallback;
    };
    let Some(p) = Fields::new(n, sink, "provider", block("provider")) else {
        return fallback;
    };
    let blocks = format::nested(Kind::Account.def().fields, "provider");
    match (p.get("sim"), p.get("zoom")) {
        (Some(_), Some(_)) => {
            sink.format(n.pos, "provider takes exactly one of `sim` or `zoom`");
            fallback
        }
        (None, Some(z)) => Fields::new(z, sink, "provider.zoom", format::nested(blocks, "zoom"))
            .and_then(|z| read_zoom(&z, file, sink))
            .map_or(fallback, ProviderConfig::Zoom),
        (Some(s), None) => Fields::new(s, sink, "provider.sim", format::nested(blocks, "sim"))
            .map_or(fallback, |s| ProviderConfig::Sim(read_sim(&s, file, sink))),
        (None, None) => fallback,
    }
}

/// `provider.zoom`: the secrets, the endpoints, the plan and the rate share.
fn read_zoom(z: &Fields<'_>, file: &FileCtx<'_>, sink: &mut Sink<'_>) -> Option<ZoomConfig> {
    let need =
        |key: &str, sink: &mut Sink<'_>| z.get(key).and_then(|v| secret(sink, v, key, file.dir));
    let account_id = need("accountId", sink);
    let client_id = need("clientId", sink);
    let client_secret = need("clientSecret", sink);
    let plan = z.text(sink, "plan").unwrap_or_else(|| "business".into());
    if !["pro", "business"].contains(&plan.as_str()) {
        let at = z.get("plan").map_or(z.pos, |n| n.pos);
        let help = fields::one_of_help(&plan, &["pro", "business"]);
        let msg = format!("provider.zoom.plan: {plan:?} is not a Zoom plan roster sizes for");
        sink.error_help(at, Rule::Manifest, msg, Some(help));
    }
    let rate_share = bounded(
        z,
        sink,
        "rateShare",
        0.5,
        |v| v > 0.0 && v <= 1.0,
        "provider.zoom.rateShare must be above 0 and at most 1",
    );
    let page_size = bounded(
        z,
        sink,
        "pageSize",
        300.0,
        |v| v.fract() == 0.0 && (1.0..=2000.0).contains(&v),
        "provider.zoom.pageSize must be a whole number from 1 to 2000 (Zoom's page_size)",
    );
    Some(ZoomConfig {
        account_id: account_id?,
        client_id: client_id?,
        client_secret: client_secret?,
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

/// A number field with a default, reported with `message` when `ok` refuses it.
fn bounded(
    f: &Fields<'_>,
    sink: &mut Sink<'_>,
    key: &str,
    default: f64,
    ok: impl Fn(f64) -> bool,
    message: &str,
) -> f64 {
    let Some(n) = f.get(key) else {
        return default;
    };
    let value = fields::number(sink, n, key).unwrap_or(default);
    if !ok(value) {
        sink.format(n.pos, message);
    }
    value
}

/// `provider.sim`: the seed, the simulated account and who roster acts as.
fn read_sim(s: &Fields<'_>, file: &FileCtx<'_>, sink: &mut Sink<'_>) -> SimConfig {
    let seed = s.text(sink, "seed").map(|p| file.dir.join(p));
    if let (Some(path), Some(n)) = (&seed, s.get("seed"))
        && !path.is_file()
    {
        sink.format(
            n.pos,
            format!("provider.sim.seed: no file at {}", path.display()),
        );
    }
    SimConfig {
        seed,
        account_id: s.text(sink, "accountId"),
        act_as: s.get("actAs").and_then(|n| fields::email(sink, n, "actAs")),
        latency: sim_latency(sink, s.get("latencyMs")),
    }
}

fn user_type_field(f: &Fields<'_>, sink: &mut Sink<'_>, key: &str) -> Option<UserType> {
    let n = f.get(key)?;
    let t = fields::text(sink, n, key)?;
    user_type(&t, key, n.pos, sink)
}

/// A `group` or `chatGroup` default: its value and the reference it makes.
fn default_ref(
    f: &Fields<'_>,
    sink: &mut Sink<'_>,
    key: &'static str,
    target: Target,
    refs: &mut Vec<Reference>,
) -> Option<String> {
    let n = f.get(key)?;
    let name = fields::text(sink, n, key)?;
    refs.push(reference(target, &name, key, sink, n.pos));
    Some(name)
}

fn read_account_defaults(
    f: &Fields<'_>,
    sink: &mut Sink<'_>,
    refs: &mut Vec<Reference>,
) -> AccountDefaults {
    let defs = block("defaults");
    let Some(d) = f
        .get("defaults")
        .and_then(|n| Fields::new(n, sink, "Account defaults", defs))
    else {
        return AccountDefaults::default();
    };
    let mut out = AccountDefaults {
        user_type: user_type_field(&d, sink, "userType"),
        group: default_ref(&d, sink, "group", Target::Group, refs),
        chat_group: default_ref(&d, sink, "chatGroup", Target::ChatGroup, refs),
        domains: BTreeMap::new(),
    };
    let Some(domains) = d.get("domains") else {
        return out;
    };
    let Value::Map(entries) = &domains.value else {
        sink.format(domains.pos, "`domains` must map a domain to its defaults");
        return out;
    };
    let domain_defs = format::nested(defs, "domains");
    for (k, v) in entries {
        let Some(domain) = k.scalar() else { continue };
        let what = format!("defaults for domain {domain}");
        if let Some(dd) = Fields::new(v, sink, &what, domain_defs) {
            let defaults = DomainDefaults {
                user_type: user_type_field(&dd, sink, "userType"),
                group: default_ref(&dd, sink, "group", Target::Group, refs),
            };
            out.domains.insert(domain.to_ascii_lowercase(), defaults);
        }
    }
    out
}

fn read_policy(f: &Fields<'_>, sink: &mut Sink<'_>) -> Policy {
    let mut p = Policy::default();
    let defs = block("policy");
    let Some(pf) = f
        .get("policy")
        .and_then(|n| Fields::new(n, sink, "policy", defs))
    else {
        return p;
    };
    if let Some(n) = pf.get("prune") {
        p.prune = fields::boolean(sink, n, "prune").unwrap_or(false);
    }
    if let Some(n) = pf.get("removeAction")
        && let Some(t) = fields::text(sink, n, "removeAction")
    {
        match RemoveAction::parse(&t) {
            Some(a) => p.remove_action = a,
            None => {
                let help = fields::one_of_help(&t, &format::REMOVE_ACTIONS);
                let msg = format!("`removeAction`: {t:?} is not a way for a user to leave");
                sink.error_help(n.pos, Rule::U13, msg, Some(help));
            }
        }
    }
    let count =
        |key: &str, sink: &mut Sink<'_>| pf.get(key).and_then(|n| fields::count(sink, n, key));
    p.max_removals = count("maxRemovals", sink);
    p.min_admins = count("minAdmins", sink);
    p.ignore = read_ignore(&pf, sink);
    p.resend_after = read_resend_after(&pf, sink, defs);
    if let Some(n) = pf.get("externalContacts")
        && let Some(ec) = Fields::new(
            n,
            sink,
            "policy.externalContacts",
            format::nested(defs, "externalContacts"),
        )
    {
        p.external_allow_domains = ec
            .get("allowDomains")
            .and_then(|n| fields::list(sink, n, "allowDomains"))
            .map(|v| v.into_iter().map(|(d, _)| d.to_ascii_lowercase()).collect());
    }
    p.user_editable = read_user_editable(&pf, sink);
    p
}

/// `policy.ignore`: email globs, lower-cased.
fn read_ignore(pf: &Fields<'_>, sink: &mut Sink<'_>) -> Vec<String> {
    let Some(n) = pf.get("ignore") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (glob, pos) in fields::list(sink, n, "ignore").unwrap_or_default() {
        match globset::Glob::new(&glob.to_ascii_lowercase()) {
            Ok(_) => out.push(glob.to_ascii_lowercase()),
            Err(e) => sink.format(pos, format!("`ignore`: {glob:?} is not a valid glob ({e})")),
        }
    }
    out
}

/// `policy.invitations.resendAfter` (U8: shorter than the 30-day expiry).
fn read_resend_after(
    pf: &Fields<'_>,
    sink: &mut Sink<'_>,
    defs: &'static [FieldDef],
) -> Option<chrono::Duration> {
    let inv = Fields::new(
        pf.get("invitations")?,
        sink,
        "policy.invitations",
        format::nested(defs, "invitations"),
    )?;
    let r = inv.get("resendAfter")?;
    let raw = fields::text(sink, r, "resendAfter")?;
    match fields::duration(&raw) {
        Some(d) if d >= chrono::Duration::days(INVITATION_DAYS) => {
            sink.error(r.pos, Rule::U8, format!("`resendAfter: {raw}` is not shorter than the 30 days after which invitations expire: the resend would come too late"));
            None
        }
        Some(d) => Some(d),
        None => {
            sink.format(
                r.pos,
                format!("`resendAfter`: {raw:?} is not a duration like 25d, 36h or 90m"),
            );
            None
        }
    }
}

/// `policy.userEditable` (U4): user field names.
fn read_user_editable(
    pf: &Fields<'_>,
    sink: &mut Sink<'_>,
) -> std::collections::BTreeSet<UserField> {
    let mut out = std::collections::BTreeSet::new();
    let Some(n) = pf.get("userEditable") else {
        return out;
    };
    for (name, pos) in fields::list(sink, n, "userEditable").unwrap_or_default() {
        match UserField::parse(&name) {
            Some(field) => {
                out.insert(field);
            }
            None => {
                let help = fields::one_of_help(&name, &format::USER_FIELD_NAMES);
                let msg = format!("`userEditable`: {name:?} is not a user field");
                sink.error_help(pos, Rule::U4, msg, Some(help));
            }
        }
    }
    out
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
