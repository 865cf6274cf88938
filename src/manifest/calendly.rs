//! `kind: CalendlyConnection` (C1–C7, seed 003): the Calendly organization's Zoom
//! connection, the Zoom admin who completes it, the fallback admins to reconnect through
//! (C2), the C5 options and the token roster reads Calendly with.

use super::fields::{self, Fields, Sink};
use super::format::{self, Kind};
use super::kinds::reference;
use super::raw::{FileCtx, Owned, Raw, Target};
use super::tree::{Node, Value};
use crate::model::{DesiredCalendly, Email, Rule, SecretRef};

/// Reads one CalendlyConnection document; every problem is reported with its location.
pub fn read_calendly(doc: &Node, file: &FileCtx<'_>, sink: &mut Sink<'_>, raw: &mut Raw) {
    let defs = Kind::CalendlyConnection.def().fields;
    let Some(f) = Fields::new(doc, sink, "CalendlyConnection", defs) else {
        return;
    };
    let account = f
        .get("account")
        .and_then(|n| fields::text(sink, n, "account").map(|t| (t, n.pos)));
    let organization = f.required(sink, "organization").map(|(t, _)| t);
    // Fields::new reports a missing `zoomAdmin` (required, C2).
    let admin_node = f.get("zoomAdmin");
    let zoom_admin = admin_node.and_then(|n| fields::email(sink, n, "zoomAdmin"));
    let mut refs = Vec::new();
    if let (Some(e), Some(n)) = (&zoom_admin, admin_node) {
        refs.push(reference(
            Target::User,
            e.as_str(),
            "zoomAdmin",
            sink,
            n.pos,
        ));
    }
    let fallback_admins = fallbacks(&f, sink, &mut refs);
    let flag = |key: &str, sink: &mut Sink<'_>| match f.get(key) {
        Some(n) => fields::boolean(sink, n, key).map(Some),
        None => Some(None),
    };
    let meeting_summary = flag("meetingSummary", sink);
    let allow_user_disconnect = flag("allowUserDisconnect", sink);
    let api_url = f.get("apiUrl").map(|n| fields::text(sink, n, "apiUrl"));
    let token = match f.get("credentials") {
        Some(n) => token(sink, n, file).map(Some),
        None => Some(None),
    };
    raw.refs
        .extend(refs.into_iter().map(|r| (account.clone(), r)));
    let (
        Some(organization),
        Some(zoom_admin),
        Some(fallback_admins),
        Some(meeting_summary),
        Some(allow_user_disconnect),
        Some(token),
    ) = (
        organization,
        zoom_admin,
        fallback_admins,
        meeting_summary,
        allow_user_disconnect,
        token,
    )
    else {
        return;
    };
    let api_url = match api_url {
        Some(Some(u)) => Some(u),
        Some(None) => return,
        None => None,
    };
    let zoom_admin_source = sink.source(admin_node.map_or(f.pos, |n| n.pos));
    raw.calendly.push(Owned {
        account,
        value: DesiredCalendly {
            organization,
            zoom_admin,
            fallback_admins,
            meeting_summary,
            allow_user_disconnect,
            token,
            api_url,
            source: sink.source(f.pos),
            zoom_admin_source,
        },
        kind: "CalendlyConnection",
    });
}

/// `fallbackAdmins`: a list of emails, none of them twice (C2).
fn fallbacks(
    f: &Fields<'_>,
    sink: &mut Sink<'_>,
    refs: &mut Vec<super::raw::Reference>,
) -> Option<Vec<Email>> {
    let Some(n) = f.get("fallbackAdmins") else {
        return Some(Vec::new());
    };
    let Value::Seq(items) = &n.value else {
        sink.format(n.pos, "`fallbackAdmins` must be a list of emails");
        return None;
    };
    let mut out: Vec<Email> = Vec::new();
    let mut ok = true;
    for item in items {
        match fields::email(sink, item, "fallbackAdmins") {
            Some(e) if out.contains(&e) => {
                sink.error(
                    item.pos,
                    Rule::C2,
                    format!("{e} is listed twice in `fallbackAdmins`"),
                );
                ok = false;
            }
            Some(e) => {
                refs.push(reference(
                    Target::User,
                    e.as_str(),
                    "fallbackAdmins",
                    sink,
                    item.pos,
                ));
                out.push(e);
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `credentials: { token: { env: VAR } }`.
fn token(sink: &mut Sink<'_>, n: &Node, file: &FileCtx<'_>) -> Option<SecretRef> {
    let c = Fields::new(n, sink, "credentials", format::CALENDLY_CREDENTIALS)?;
    let Some(t) = c.get("token") else {
        sink.error(c.pos, Rule::C1, "credentials of a CalendlyConnection need `token` (a Calendly personal access token of an owner or admin, C1)".to_string());
        return None;
    };
    super::account::secret(sink, t, "token", file.dir)
}
