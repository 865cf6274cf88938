//! The status page (`/`): the same facts as `/status`, for people.
//!
//! Rendered by `maud`, which escapes every value it interpolates (no hand-written
//! escaping). The page has no script at all and its style sheet is a separate file
//! ([`STYLE`], served at [`STYLE_PATH`]), so it is served under a Content-Security-Policy
//! that allows nothing inline ([`CSP`]).

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
            td { (name) }
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
}
