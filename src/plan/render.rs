//! Plan rendering: text (like `terraform plan`), JSON (the stable contract of
//! `spec/cli.md`) and markdown (for pull-request comments). Pure: strings in, strings out.

use super::{Plan, Sign};
use serde_json::{Value, json};
use std::fmt::Write;

/// The sign character of an action.
fn sign_char(s: Sign) -> char {
    match s {
        Sign::Add => '+',
        Sign::Change => '~',
        Sign::Remove => '-',
        Sign::Resend => '>',
    }
}

/// The sign and action of a change line, coloured by sign when `color` (owo-colors).
fn styled_head(s: Sign, head: &str, color: bool) -> String {
    use owo_colors::OwoColorize;
    if !color {
        return head.to_string();
    }
    match s {
        Sign::Add => head.green().to_string(),
        Sign::Change => head.yellow().to_string(),
        Sign::Remove => head.red().to_string(),
        Sign::Resend => head.cyan().to_string(),
    }
}

fn value(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        other => other.to_string(),
    }
}

/// The summary line. A plan with errors applies nothing, so it never says "No changes"
/// nor counts changes as if they would be made.
pub fn summary_line(plan: &Plan) -> String {
    if !plan.errors.is_empty() {
        let s = plan.summary();
        let pending = if plan.changes.is_empty() {
            String::new()
        } else {
            format!(
                " Once they are fixed it would add {}, change {}, remove {}.",
                s.add, s.change, s.remove
            )
        };
        format!(
            "Plan refused: {} error(s), nothing will be applied.{pending}",
            plan.errors.len()
        )
    } else if plan.changes.is_empty() {
        "No changes. The account matches the manifests.".into()
    } else {
        let s = plan.summary();
        format!(
            "Plan: {} to add, {} to change, {} to remove.",
            s.add, s.change, s.remove
        )
    }
}

/// The text form. `color` adds ANSI colours (only on a terminal, never with NO_COLOR).
pub fn text(plan: &Plan, color: bool) -> String {
    let mut out = String::new();
    if !plan.changes.is_empty() {
        let _ = writeln!(
            out,
            "roster will perform these changes on account {}:\n",
            plan.account
        );
    }
    for c in &plan.changes {
        let sign = c.action.sign();
        let rule = c.rule.map(|r| format!(" [{r}]")).unwrap_or_default();
        let head = format!("{} {} {}", sign_char(sign), c.action.as_str(), c.target);
        let _ = writeln!(out, "  {}{rule}", styled_head(sign, &head, color));
        let _ = writeln!(out, "      {}", c.reason);
        for (name, f) in &c.fields {
            let _ = writeln!(out, "      {name}: {} -> {}", value(&f.from), value(&f.to));
        }
        if let Some(m) = &c.manual {
            let state = match m.pending_since {
                Some(t) => format!(
                    "MANUAL change, pending since {}",
                    t.format("%Y-%m-%d %H:%M UTC")
                ),
                None => {
                    "MANUAL change: Zoom has no API for it; apply records it as pending".to_string()
                }
            };
            let _ = writeln!(out, "      {state}. In the portal:");
            for (i, step) in m.steps.iter().enumerate() {
                let _ = writeln!(out, "        {}. {step}", i + 1);
            }
            let _ = writeln!(out, "      then run: roster confirm {} DIR", c.id);
        }
    }
    if !plan.waiting.is_empty() {
        let _ = writeln!(
            out,
            "\nWaiting (not proposed until the user can take them):"
        );
        for w in &plan.waiting {
            let _ = writeln!(out, "  … {}: {}", w.target, w.message);
        }
    }
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "\nUnmanaged users (in the account, in no manifest; left alone because policy.prune is false):"
        );
        for e in &plan.unmanaged {
            let _ = writeln!(out, "  ? user/{e}");
        }
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings:");
        for w in &plan.warnings {
            let _ = writeln!(out, "  ! {}: {}", w.target, w.message);
        }
    }
    if !plan.errors.is_empty() {
        let _ = writeln!(out, "\nErrors (nothing will be applied):");
        for e in &plan.errors {
            let at = e
                .source
                .as_ref()
                .map(|s| format!("{s}: "))
                .unwrap_or_default();
            let _ = writeln!(out, "  {at}{}: {}", e.target, e.message);
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary_line(plan));
    out.push('\n');
    out
}

/// The JSON form: the stable contract of `spec/cli.md` (extra keys may be added, never
/// renamed or removed).
pub fn json_value(plan: &Plan) -> Value {
    let s = plan.summary();
    json!({
        "account": plan.account,
        "changes": plan.changes.iter().map(|c| {
            let mut v = json!({
                "id": c.id,
                "action": c.action,
                "target": c.target,
                "reason": c.reason,
                "rule": c.rule,
                "fields": c.fields,
                "dependsOn": c.depends_on,
            });
            if let Some(m) = &c.manual {
                v["manual"] = json!(m);
            }
            v
        }).collect::<Vec<_>>(),
        "waiting": plan.waiting,
        "unmanaged": plan.unmanaged,
        "warnings": plan.warnings.iter().map(|w| json!({"rule": w.rule, "target": w.target, "message": w.message})).collect::<Vec<_>>(),
        "errors": plan.errors.iter().map(|e| json!({
            "rule": e.rule,
            "target": e.target,
            "message": e.message,
            "file": e.source.as_ref().map(|s| s.file.clone()),
            "line": e.source.as_ref().map(|s| s.line),
            "column": e.source.as_ref().map(|s| s.column),
        })).collect::<Vec<_>>(),
        "summary": { "add": s.add, "change": s.change, "remove": s.remove },
    })
}

/// The JSON form, pretty-printed.
pub fn json_text(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(&json_value(plan)).unwrap_or_default();
    s.push('\n');
    s
}

/// The markdown form, for a pull-request comment: grouped by kind, one collapsible block
/// per group.
pub fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### roster plan for `{}`\n", plan.account);
    let _ = writeln!(out, "**{}**\n", summary_line(plan));
    let mut groups: std::collections::BTreeMap<&str, Vec<&super::Change>> = Default::default();
    for c in &plan.changes {
        let kind = c.target.kind().as_str();
        groups.entry(kind).or_default().push(c);
    }
    for (kind, changes) in groups {
        let _ = writeln!(
            out,
            "<details><summary>{kind}: {} change(s)</summary>\n",
            changes.len()
        );
        let _ = writeln!(
            out,
            "| | action | target | rule | reason |\n|---|---|---|---|---|"
        );
        for c in changes {
            let rule = c.rule.map(|r| r.to_string()).unwrap_or_default();
            let mut reason = c.reason.replace('|', "\\|");
            for (name, f) in &c.fields {
                let _ = write!(
                    reason,
                    "<br>`{name}`: {} → {}",
                    value(&f.from).replace('|', "\\|"),
                    value(&f.to).replace('|', "\\|")
                );
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | {rule} | {reason} |",
                sign_char(c.action.sign()),
                c.action.as_str(),
                c.target
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    for (title, items) in [
        (
            "Waiting",
            plan.waiting
                .iter()
                .map(|w| format!("`{}`: {}", w.target, w.message))
                .collect::<Vec<_>>(),
        ),
        (
            "Unmanaged users",
            plan.unmanaged
                .iter()
                .map(|e| format!("`user/{e}`"))
                .collect(),
        ),
        (
            "Warnings",
            plan.warnings
                .iter()
                .map(|w| format!("`{}`: {}", w.target, w.message))
                .collect(),
        ),
        (
            "Errors",
            plan.errors
                .iter()
                .map(|e| {
                    format!(
                        "{}`{}`: {}",
                        e.source
                            .as_ref()
                            .map(|s| format!("`{s}` "))
                            .unwrap_or_default(),
                        e.target,
                        e.message
                    )
                })
                .collect(),
        ),
    ] {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<details><summary>{title} ({})</summary>\n",
            items.len()
        );
        for i in items {
            let _ = writeln!(out, "- {i}");
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    out
}
