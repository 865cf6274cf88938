//! The status page (`/`): the same facts as `/status`, for people.
//!
//! Rendered by `maud`, which escapes every value it interpolates (no hand-written
//! escaping). The page has no script at all and its style sheet is a separate file
//! ([`STYLE`], served at [`STYLE_PATH`]), so it is served under a Content-Security-Policy
//! that allows nothing inline ([`CSP`]).

use super::calendly::{CalendlyHealth, CalendlyMember, kind_str};
use super::findings::{IntegrationHealth, IntegrationsHealth, PendingManual};
use super::status::{AccountStatus, DaemonState, Observation, RunStatus, Status};
use crate::model::Timestamp;
use maud::{DOCTYPE, Markup, html};

/// Where the page's style sheet is served.
pub const STYLE_PATH: &str = "/status.css";

/// The page's style sheet.
pub const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:80em}\
table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}\
.bad{color:#b00}.warn{color:#a60}.good{color:#070}\
code,pre{font:12px ui-monospace,monospace}\n";

/// The page's Content-Security-Policy: nothing but its own style sheet; no script, no
/// inline style, no frames, no forms, no base-uri games.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'none'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn time(t: &Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn state_class(s: DaemonState) -> &'static str {
    match s {
        DaemonState::Ready => "good",
        DaemonState::Degraded => "warn",
        DaemonState::Starting | DaemonState::Stopping => "bad",
    }
}

/// The whole page.
pub fn html(s: &Status) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="refresh" content="10";
                title { "roster daemon" }
                link rel="stylesheet" href=(STYLE_PATH);
            }
            body {
                h1 { "roster daemon" }
                p {
                    "version " (s.version) " · mode " b { (s.mode) }
                    " · started " (time(&s.started_at)) " · "
                    span class=(state_class(s.state)) { (s.state.as_str()) }
                }
                (manifests(s))
                h2 { "Accounts" }
                table {
                    tr {
                        th { "account" } th { "state" } th { "last run" } th { "result" }
                        th { "planned" } th { "after the run" } th { "errors" } th { "next run" }
                    }
                    @for (name, a) in &s.accounts { (account_row(name, a)) }
                }
                @for (name, a) in &s.accounts { (account_section(name, a)) }
                p {
                    a href="/status" { "/status" } " · "
                    a href="/metrics" { "/metrics" } " · "
                    a href="/readyz" { "/readyz" }
                }
            }
        }
    };
    page.into_string()
}
fn manifests(s: &Status) -> Markup {
    let m = &s.manifests;
    html! {
        h2 { "Manifests" }
        p {
            code { (m.dir) }
            @if let Some(r) = &m.resolved { " → " code { (r) } }
            " · " (m.loads) " load(s) · last good "
            (m.last_good_at.as_ref().map(time).unwrap_or_else(|| "never".into()))
        }
        @if let Some(e) = &m.error {
            p class="bad" {
                "The last revision failed to load at " (time(&e.at))
                "; the last good one stays in force: " (e.message)
            }
            pre { (e.diagnostics.join("\n")) }
        }
    }
}

fn account_row(name: &str, a: &AccountStatus) -> Markup {
    html! {
        tr {
            td { a href=(format!("#account-{name}")) { (name) } }
            td {
                @if a.degraded.is_empty() {
                    span class="good" { "ok" }
                } @else {
                    @for d in &a.degraded { span class="warn" { (d.as_str()) } br; }
                }
            }
            @match &a.last_run {
                Some(r) => (run_cells(r, a.observation.as_ref())),
                None => {
                    td { @if a.running { "running…" } @else { "—" } }
                    td {} td {} td {} td {}
                }
            }
            td {
                @if let Some(n) = &a.next_run { (time(&n.at)) " (" (n.reason) ")" }
            }
        }
    }
}

fn run_cells(r: &RunStatus, after: Option<&Observation>) -> Markup {
    html! {
        td { (time(&r.finished_at)) " (" (r.duration_ms) " ms)" }
        td {
            span class=(if r.result.is_ok() { "good" } else { "bad" }) { (r.result.as_str()) }
        }
        td {
            @if let Some(p) = &r.plan {
                "+" (p.add) " ~" (p.change) " -" (p.remove) " · " (p.waiting) " waiting · "
                (p.unmanaged) " unmanaged"
            }
        }
        td {
            @if let Some(o) = after {
                (o.changes) " to do · " (o.waiting) " waiting · " (o.pending_invitations)
                " pending · " (o.manual_changes) " manual"
            }
        }
        td { @for e in &r.errors { (e) br; } }
    }
}

/// One account in detail: what a person needs to know and do.
fn account_section(name: &str, a: &AccountStatus) -> Markup {
    html! {
        section id=(format!("account-{name}")) {
            h2 { "Account " (name) }
            h3 { "Last run" }
            (last_run(a))
            h3 { "Next" }
            (next_event(a))
            @match &a.observation {
                Some(o) => (findings(o)),
                None => p class="warn" {
                    "The last run could not read the account: what it needs now is unknown."
                },
            }
        }
    }
}

fn last_run(a: &AccountStatus) -> Markup {
    let Some(r) = &a.last_run else {
        return html! { p { @if a.running { "The first run is under way." } @else { "No run yet." } } };
    };
    let ok = r.result.is_ok();
    html! {
        p {
            "Finished " (time(&r.finished_at)) " after " (r.duration_ms) " ms: "
            span class=(if ok { "good" } else { "bad" }) { (r.result.as_str()) }
            " · " (r.applied) " change(s) done · "
            @if r.failed.is_empty() { "0 failed" } @else { span class="bad" { (r.failed.len()) " failed" } }
            " · " (r.not_attempted.len()) " not attempted"
            @if a.running { " · a run is under way" }
        }
        @if !r.failed.is_empty() || !r.not_attempted.is_empty() {
            ul {
                @for f in &r.failed {
                    li class="bad" { "failed: " (f.action.as_str()) " " (f.target.to_string()) ": " (f.message) }
                }
                @for f in &r.not_attempted {
                    li class="warn" { "not attempted: " (f.action.as_str()) " " (f.target.to_string()) ": " (f.message) }
                }
            }
        }
        @if let Some(note) = &a.interrupted_before { p class="warn" { (note) } }
    }
}

fn next_event(a: &AccountStatus) -> Markup {
    html! {
        ul {
            li {
                "Next run: "
                @match &a.next_run {
                    Some(n) => { (time(&n.at)) " (" (n.reason) ")" },
                    None => "none scheduled; manifest changes, webhooks and POST /reconcile still trigger a run",
                }
            }
            li {
                "Next event: "
                @match &a.due {
                    Some(d) => { (d.what) " at " (time(&d.provider_at)) " (provider's clock)" },
                    None => "none",
                }
            }
        }
    }
}

fn findings(o: &Observation) -> Markup {
    html! {
        h3 { "Manual changes pending (" (o.manual_changes) ")" }
        @if o.pending_manual.is_empty() {
            p { "None." }
        } @else {
            p { "No API does these: make them in the portal, then run " code { "roster confirm" } "." }
            @for m in &o.pending_manual { (manual(m)) }
        }
        h3 { "Waiting (" (o.waiting) ")" }
        @if o.waiting_changes.is_empty() {
            p { "Nothing is waiting." }
        } @else {
            ul { @for w in &o.waiting_changes { li { code { (w.target) } ": " (w.message) } } }
        }
        h3 { "Integrations" }
        @match &o.integrations {
            Some(i) => (integrations(i)),
            None => p { "None declared or seen." },
        }
        h3 { "Calendly connection" }
        @match &o.calendly {
            Some(c) => (calendly(c)),
            None => p { "None declared or seen." },
        }
    }
}

/// C1–C7: the connection's state and Zoom user, the members' roles, who schedules with Zoom.
fn calendly(c: &CalendlyHealth) -> Markup {
    html! {
        p {
            "Organization " b { (c.organization) } ": "
            span class=(if c.state.is_ok() { "good" } else { "bad" }) { (c.state.as_str()) }
            @if let Some(u) = &c.zoom_user { " through Zoom user " (u.as_str()) }
            @if let Some(t) = &c.token_user { " · token of " (t.email.as_str()) " (" (t.role.as_str()) ")" }
            @if !c.read_from_provider {
                " · Calendly has no API for the connection: it is what "
                code { "roster confirm" } " recorded, checked against the Zoom account's admins."
            }
        }
        @if !c.members.is_empty() {
            table {
                tr { th { "member" } th { "Calendly role" } th { "schedules with Zoom" } }
                @for m in &c.members { (calendly_row(c, m)) }
            }
        }
    }
}

fn calendly_row(c: &CalendlyHealth, m: &CalendlyMember) -> Markup {
    let zoom = c.connected_users.iter().find(|u| u.email == m.email);
    html! {
        tr {
            td { (m.email.as_str()) }
            td { (m.role.as_str()) }
            td { (zoom.map_or("—", |u| match u.kind {
                Some(_) => kind_str(u.kind),
                None => "zoom location",
            })) }
        }
    }
}

fn manual(m: &PendingManual) -> Markup {
    html! {
        div class="manual" {
            p {
                b { (m.change) } " — " (m.reason) " · "
                @match &m.pending_since {
                    Some(t) => { "pending since " (time(t)) },
                    None => "recorded by the last run",
                }
            }
            ol { @for step in &m.steps { li { (step) } } }
        }
    }
}

fn integrations(i: &IntegrationsHealth) -> Markup {
    html! {
        p {
            "Default service: " (i.default_service.map_or("none", |s| s.as_str()))
            @if i.locked { " (locked)" }
            @if !i.read_from_provider {
                " · Zoom has no API for integrations: these are the connections "
                code { "roster confirm" } " recorded."
            }
        }
        @if !i.users.is_empty() {
            table {
                tr { th { "user" } th { "declared" } th { "seen" } th { "health" } th { "last sync" } }
                @for u in &i.users { (integration_row(u)) }
            }
        }
    }
}

fn integration_row(u: &IntegrationHealth) -> Markup {
    html! {
        tr {
            td { (u.user.as_str()) }
            td { (u.declared.map_or("—", |s| s.as_str())) }
            td { (u.observed.map_or("—", |s| s.as_str())) }
            td { span class=(if u.health.is_ok() { "good" } else { "bad" }) { (u.health.as_str()) } }
            td { (u.last_sync.as_ref().map(time).unwrap_or_else(|| "—".into())) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::status::{Board, LoadError};

    #[test]
    fn the_page_escapes_what_came_from_outside_and_has_no_script() {
        let now: Timestamp = "2026-11-01T09:00:00Z".parse().expect("t");
        let mut b = Board::new("<dir>", true, now);
        b.status.manifests.error = Some(LoadError {
            at: now,
            message: "1 error(s)".into(),
            diagnostics: vec!["a.yaml:1:1: error[manifest]: <script>alert(1)</script>".into()],
        });
        b.account("<img src=x onerror=alert(1)>");
        let page = html(&b.status);
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script"));
        assert!(page.contains("&lt;dir&gt;"));
        assert!(page.contains("&lt;img src=x") && !page.contains("<img"));
        assert!(
            !page.contains("<style") && !page.contains(" style="),
            "{page}"
        );
        assert!(page.contains("<link rel=\"stylesheet\" href=\"/status.css\">"));
    }

    fn account_with_findings() -> AccountStatus {
        use crate::daemon::findings::{IntegrationHealthState, WaitingChange};
        use crate::daemon::status::{DueStatus, NextRun, RunResult};
        use crate::model::{Email, IntegrationService};
        let t: Timestamp = "2026-11-01T09:00:00Z".parse().expect("t");
        let ann = Email::parse("ann@acme.com").expect("email");
        AccountStatus {
            observed: true,
            next_run: Some(NextRun {
                at: t,
                reason: "schedule",
            }),
            due: Some(DueStatus {
                provider_at: t,
                what: "resend erin's invitation (U8)".into(),
            }),
            last_run: Some(RunStatus {
                started_at: t,
                finished_at: t,
                duration_ms: 12,
                triggers: Vec::new(),
                result: RunResult::Partial,
                plan: None,
                changes: Vec::new(),
                errors: Vec::new(),
                applied: 3,
                failed: Vec::new(),
                not_attempted: Vec::new(),
            }),
            observation: Some(Observation {
                at: t,
                changes: 1,
                waiting: 1,
                plan_errors: 0,
                pending_invitations: 0,
                manual_changes: 1,
                pending_manual: vec![PendingManual {
                    change: "create_organization organization/Acme".into(),
                    reason: "organization.yaml:1".into(),
                    pending_since: None,
                    steps: vec!["Open <Chat Settings>".into(), "Click Create".into()],
                }],
                waiting_changes: vec![WaitingChange {
                    target: "user/henry@acme.com".into(),
                    message: "set_group waits for henry to accept".into(),
                }],
                integrations: Some(IntegrationsHealth {
                    read_from_provider: false,
                    default_service: Some(IntegrationService::Google),
                    locked: true,
                    users: vec![IntegrationHealth {
                        user: ann,
                        declared: Some(IntegrationService::Google),
                        observed: None,
                        health: IntegrationHealthState::NotConnected,
                        last_sync: None,
                    }],
                }),
                calendly: None,
            }),
            ..AccountStatus::default()
        }
    }

    #[test]
    fn each_account_shows_its_last_run_next_event_manual_steps_waiting_and_integrations() {
        let now: Timestamp = "2026-11-01T09:00:00Z".parse().expect("t");
        let mut b = Board::new("m", false, now);
        *b.account("acme") = account_with_findings();
        let page = html(&b.status);
        for text in [
            "<section id=\"account-acme\"><h2>Account acme</h2>",
            "3 change(s) done",
            "0 failed",
            "Next run: 2026-11-01T09:00:00Z (schedule)",
            "Next event: resend erin's invitation (U8) at 2026-11-01T09:00:00Z",
            "Manual changes pending (1)",
            "<ol><li>Open &lt;Chat Settings&gt;</li><li>Click Create</li></ol>",
            "recorded by the last run",
            "Waiting (1)",
            "<code>user/henry@acme.com</code>: set_group waits for henry to accept",
            "Default service: google (locked)",
            "Zoom has no API for integrations",
            "<td>ann@acme.com</td><td>google</td><td>—</td><td><span class=\"bad\">not_connected</span>",
        ] {
            assert!(page.contains(text), "missing {text:?} in\n{page}");
        }
    }

    #[test]
    fn an_account_that_could_not_be_read_says_so_instead_of_listing_nothing() {
        let now: Timestamp = "2026-11-01T09:00:00Z".parse().expect("t");
        let mut b = Board::new("m", false, now);
        let a = b.account("acme");
        *a = account_with_findings();
        a.observation = None;
        a.due = None;
        let page = html(&b.status);
        assert!(page.contains("could not read the account"), "{page}");
        assert!(!page.contains("Manual changes pending"), "{page}");
        assert!(page.contains("Next event: none"), "{page}");
    }
}
