//! `kind: CalendarContactIntegration` (K4): a user's calendar and contact integration with
//! Google, Office 365 or Exchange, and how roster syncs its contacts.

use super::fields::{self, Fields, Sink};
use super::format::{self, Kind};
use super::kinds::reference;
use super::raw::{FileCtx, Owned, Raw, Target};
use super::tree::{Node, Pos};
use crate::model::{
    ConflictPolicy, DesiredIntegration, IntegrationCredentials, IntegrationService, Rule,
};

/// Reads one integration document; every problem is reported with its location.
pub fn read_integration(doc: &Node, file: &FileCtx<'_>, sink: &mut Sink<'_>, raw: &mut Raw) {
    let what = "CalendarContactIntegration";
    let defs = Kind::CalendarContactIntegration.def().fields;
    let Some(f) = Fields::new(doc, sink, what, defs) else {
        return;
    };
    let account = f
        .get("account")
        .and_then(|n| fields::text(sink, n, "account").map(|t| (t, n.pos)));
    let user_node = f.get("user");
    let user = user_node.and_then(|n| fields::email(sink, n, "user"));
    if let (Some(u), Some(n)) = (&user, user_node) {
        let r = reference(Target::User, u.as_str(), "user", sink, n.pos);
        raw.refs.push((account.clone(), r));
    }
    let service = f.get("service").and_then(|n| service(sink, n));
    let flag = |key: &str, sink: &mut Sink<'_>| {
        f.get(key)
            .map_or(Some(true), |n| fields::boolean(sink, n, key))
    };
    let calendar = flag("calendar", sink);
    let contacts = flag("contacts", sink);
    let conflict = f
        .get("conflict")
        .map_or(Some(ConflictPolicy::Newest), |n| conflict(sink, n));
    let schedule = match f.get("schedule") {
        Some(n) => fields::cron(sink, n, "schedule").map(Some),
        None => Some(None),
    };
    let credentials = match (f.get("credentials"), service) {
        (Some(n), Some(s)) => credentials(sink, n, s, file).map(Some),
        (None, _) => Some(None),
        (Some(_), None) => None,
    };
    let (
        Some(user),
        Some(service),
        Some(calendar),
        Some(contacts),
        Some(conflict),
        Some(schedule),
        Some(credentials),
    ) = (
        user,
        service,
        calendar,
        contacts,
        conflict,
        schedule,
        credentials,
    )
    else {
        return;
    };
    let source = sink.source(user_node.map_or(f.pos, |n| n.pos));
    raw.integrations.push(Owned {
        account,
        value: DesiredIntegration {
            user,
            service,
            calendar,
            contacts,
            conflict,
            schedule,
            credentials,
            source,
        },
        kind: "CalendarContactIntegration",
    });
}

fn service(sink: &mut Sink<'_>, n: &Node) -> Option<IntegrationService> {
    let t = fields::text(sink, n, "service")?;
    let s = IntegrationService::parse(&t);
    if s.is_none() {
        let help = fields::one_of_help(&t, &format::SERVICES);
        sink.error_help(
            n.pos,
            Rule::K4,
            format!("`service`: {t:?} is not a service Zoom integrates with"),
            Some(help),
        );
    }
    s
}

fn conflict(sink: &mut Sink<'_>, n: &Node) -> Option<ConflictPolicy> {
    let t = fields::text(sink, n, "conflict")?;
    let p = ConflictPolicy::parse(&t);
    if p.is_none() {
        let help = fields::one_of_help(&t, &format::CONFLICT_POLICIES);
        sink.error_help(
            n.pos,
            Rule::Manifest,
            format!("`conflict`: {t:?} is not a conflict policy"),
            Some(help),
        );
    }
    p
}

/// OAuth services take `refreshToken` only; Exchange takes its four fields (seed 004).
fn credentials(
    sink: &mut Sink<'_>,
    n: &Node,
    service: IntegrationService,
    file: &FileCtx<'_>,
) -> Option<IntegrationCredentials> {
    let c = Fields::new(n, sink, "credentials", format::INTEGRATION_CREDENTIALS)?;
    let (wanted, unwanted): (&[&str], &[&str]) = match service {
        IntegrationService::Google | IntegrationService::Office365 => (
            &["refreshToken"],
            &["username", "password", "version", "ewsUrl"],
        ),
        IntegrationService::Exchange => (
            &["username", "password", "version", "ewsUrl"],
            &["refreshToken"],
        ),
    };
    let mut ok = true;
    for key in unwanted {
        if let Some(pos) = c.key_pos(key) {
            misplaced(sink, pos, key, service);
            ok = false;
        }
    }
    for key in wanted {
        if c.get(key).is_none() {
            let msg = format!("credentials of a {service} integration need `{key}`");
            sink.error(c.pos, Rule::K4, msg);
            ok = false;
        }
    }
    let secret = |key: &str, sink: &mut Sink<'_>| {
        c.get(key)
            .and_then(|n| super::account::secret(sink, n, key, file.dir))
    };
    let out = match service {
        IntegrationService::Google | IntegrationService::Office365 => {
            IntegrationCredentials::OAuth {
                refresh_token: secret("refreshToken", sink)?,
            }
        }
        IntegrationService::Exchange => IntegrationCredentials::Exchange {
            username: c.text(sink, "username")?,
            password: secret("password", sink)?,
            version: c.text(sink, "version")?,
            ews_url: c.text(sink, "ewsUrl")?,
        },
    };
    ok.then_some(out)
}

fn misplaced(sink: &mut Sink<'_>, pos: Pos, key: &str, service: IntegrationService) {
    let msg = match service {
        IntegrationService::Google | IntegrationService::Office365 => format!(
            "`{key}` is an Exchange credential; a {service} integration authorises with OAuth 2 (`refreshToken`)"
        ),
        IntegrationService::Exchange => format!(
            "`{key}` is an OAuth 2 credential; an exchange integration takes username, password, version and ewsUrl (seed 004)"
        ),
    };
    sink.error(pos, Rule::K4, msg);
}
