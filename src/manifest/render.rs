//! Diagnostics as a person reads them (annotate-snippets, rustc's layout): the rule id,
//! the message, the true location, the source line with a caret under the span, and the
//! hint. Pure: a diagnostic in, text out.

use super::Diagnostic;
use annotate_snippets::{Level, Renderer, Snippet};

/// Renders `d`; `color` styles it for a terminal.
pub fn render(d: &Diagnostic, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let rule = d.rule.to_string();
    let title = d.message.clone();
    let line = d.location.line.unwrap_or(1) as usize;
    let mut message = Level::Error.title(&title).id(&rule);
    if let Some(s) = &d.snippet {
        let label = d.help.as_deref().unwrap_or("");
        message = message.snippet(
            Snippet::source(&s.text)
                .line_start(line)
                .annotation(Level::Error.span(s.start..s.end.max(s.start)).label(label)),
        );
    } else if let Some(h) = &d.help {
        message = message.footer(Level::Help.title(h));
    }
    let rendered = renderer.render(message).to_string();
    with_location(&rendered, d, line)
}

/// Puts ` --> LOCATION` under the title: the loader's own location (a CSV column is the
/// cell, not the character), indented like the gutter below it.
fn with_location(rendered: &str, d: &Diagnostic, line: usize) -> String {
    let mut at = d.location.to_string();
    if let Some(k) = &d.kind {
        at = format!("{at} ({k})");
    }
    if d.location.file.is_none() {
        return format!("{rendered}\n");
    }
    let gutter = if d.snippet.is_some() {
        line.to_string().len()
    } else {
        0
    };
    let arrow = format!("{}--> {at}", " ".repeat(gutter));
    match rendered.split_once('\n') {
        Some((title, rest)) => format!("{title}\n{arrow}\n{rest}\n"),
        None => format!("{rendered}\n{arrow}\n"),
    }
}
