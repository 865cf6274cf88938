//! Prometheus metrics, kept as plain counters and rendered in the text exposition format
//! (version 0.0.4). No registry crate: a handful of families, all listed here.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Upper bounds (seconds) of the reconcile duration histogram.
const BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// A cumulative histogram.
#[derive(Debug, Clone, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, v: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += v;
    }
}

type Labels = Vec<(&'static str, String)>;

/// Every metric the daemon exports.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    runs: BTreeMap<(String, &'static str), u64>,
    duration: BTreeMap<String, Histogram>,
    applied: BTreeMap<(String, String), u64>,
    failed: BTreeMap<(String, String), u64>,
    drift: BTreeMap<String, u64>,
    plan_errors: BTreeMap<String, u64>,
    pending_invitations: BTreeMap<String, u64>,
    calls: BTreeMap<(String, String), u64>,
    last_success: BTreeMap<String, f64>,
    failures: BTreeMap<String, u64>,
    triggers: BTreeMap<(String, &'static str), u64>,
    manifest_loads: BTreeMap<&'static str, u64>,
    manifest_ok: Option<bool>,
    manifest_last_good: Option<f64>,
    webhooks: BTreeMap<&'static str, u64>,
    ready: bool,
}

impl Metrics {
    /// A finished run: its result and duration.
    pub fn run(&mut self, account: &str, result: &'static str, seconds: f64) {
        *self.runs.entry((account.into(), result)).or_default() += 1;
        self.duration
            .entry(account.into())
            .or_default()
            .observe(seconds);
    }

    /// A trigger that woke a run.
    pub fn trigger(&mut self, account: &str, trigger: &'static str) {
        *self.triggers.entry((account.into(), trigger)).or_default() += 1;
    }

    /// A change the provider accepted.
    pub fn applied(&mut self, account: &str, action: &str) {
        *self
            .applied
            .entry((account.into(), action.into()))
            .or_default() += 1;
    }

    /// A change the provider refused.
    pub fn failed(&mut self, account: &str, action: &str) {
        *self
            .failed
            .entry((account.into(), action.into()))
            .or_default() += 1;
    }

    /// What the last observation found: planned changes, rule breaches, pending invitations.
    pub fn observed(&mut self, account: &str, drift: u64, plan_errors: u64, pending: u64) {
        self.drift.insert(account.into(), drift);
        self.plan_errors.insert(account.into(), plan_errors);
        self.pending_invitations.insert(account.into(), pending);
    }

    /// Provider calls, by outcome (`ok`, an HTTP status, `transport`, …).
    pub fn calls(&mut self, account: &str, status: &str, n: u64) {
        *self
            .calls
            .entry((account.into(), status.into()))
            .or_default() += n;
    }

    /// A successful run ended at `unix` seconds.
    pub fn success(&mut self, account: &str, unix: f64) {
        self.last_success.insert(account.into(), unix);
    }

    /// Consecutive failed runs of an account.
    pub fn consecutive_failures(&mut self, account: &str, n: u64) {
        self.failures.insert(account.into(), n);
    }

    /// A manifest load; `ok` tells whether it was a good revision.
    pub fn manifest_load(&mut self, ok: bool, unix: f64) {
        *self
            .manifest_loads
            .entry(if ok { "ok" } else { "error" })
            .or_default() += 1;
        self.manifest_ok = Some(ok);
        if ok {
            self.manifest_last_good = Some(unix);
        }
    }

    /// A webhook request, by result.
    pub fn webhook(&mut self, result: &'static str) {
        *self.webhooks.entry(result).or_default() += 1;
    }

    /// Readiness.
    pub fn set_ready(&mut self, ready: bool) {
        self.ready = ready;
    }

    /// Drops the gauges of an account no longer declared (counters stay).
    pub fn forget(&mut self, account: &str) {
        self.drift.remove(account);
        self.plan_errors.remove(account);
        self.pending_invitations.remove(account);
        self.failures.remove(account);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let pair = |(a, b): &(String, &'static str),
                    n1: &'static str,
                    n2: &'static str|
         -> Labels { vec![(n1, a.clone()), (n2, (*b).to_string())] };
        family(
            &mut out,
            "roster_reconcile_runs_total",
            "counter",
            "Reconcile runs finished, by account and result.",
            self.runs
                .iter()
                .map(|(k, v)| (pair(k, "account", "result"), *v as f64)),
        );
        histogram(&mut out, &self.duration);
        family(
            &mut out,
            "roster_reconcile_triggers_total",
            "counter",
            "What woke reconcile runs, by account and trigger (several triggers can share one run).",
            self.triggers
                .iter()
                .map(|(k, v)| (pair(k, "account", "trigger"), *v as f64)),
        );
        let owned = |(a, b): &(String, String), n1: &'static str, n2: &'static str| -> Labels {
            vec![(n1, a.clone()), (n2, b.clone())]
        };
        family(
            &mut out,
            "roster_changes_applied_total",
            "counter",
            "Changes the provider accepted, by account and action.",
            self.applied
                .iter()
                .map(|(k, v)| (owned(k, "account", "action"), *v as f64)),
        );
        family(
            &mut out,
            "roster_changes_failed_total",
            "counter",
            "Changes the provider refused, by account and action.",
            self.failed
                .iter()
                .map(|(k, v)| (owned(k, "account", "action"), *v as f64)),
        );
        let per_account = |m: &BTreeMap<String, u64>| -> Vec<(Labels, f64)> {
            m.iter()
                .map(|(a, v)| (vec![("account", a.clone())], *v as f64))
                .collect()
        };
        family(
            &mut out,
            "roster_drift_changes",
            "gauge",
            "Changes the last observation planned (drift between manifests and account).",
            per_account(&self.drift),
        );
        family(
            &mut out,
            "roster_plan_errors",
            "gauge",
            "Rule breaches that blocked the last plan.",
            per_account(&self.plan_errors),
        );
        family(
            &mut out,
            "roster_pending_invitations",
            "gauge",
            "Users invited and not yet joined at the last observation (U5, U8).",
            per_account(&self.pending_invitations),
        );
        family(
            &mut out,
            "roster_consecutive_failures",
            "gauge",
            "Failed runs in a row (retried with backoff).",
            per_account(&self.failures),
        );
        family(
            &mut out,
            "roster_provider_calls_total",
            "counter",
            "Provider calls (Zoom API requests, or their simulator equivalent), by account and status.",
            self.calls
                .iter()
                .map(|(k, v)| (owned(k, "account", "status"), *v as f64)),
        );
        family(
            &mut out,
            "roster_last_success_timestamp_seconds",
            "gauge",
            "Unix time of the last successful run.",
            self.last_success
                .iter()
                .map(|(a, v)| (vec![("account", a.clone())], *v)),
        );
        let mut loads: BTreeMap<&'static str, u64> = [("ok", 0), ("error", 0)].into();
        loads.extend(self.manifest_loads.iter().map(|(k, v)| (*k, *v)));
        family(
            &mut out,
            "roster_manifest_loads_total",
            "counter",
            "Manifest loads, by result; a failed load leaves the last good revision in force.",
            loads
                .iter()
                .map(|(k, v)| (vec![("result", (*k).to_string())], *v as f64)),
        );
        family(
            &mut out,
            "roster_manifest_load_ok",
            "gauge",
            "1 if the last manifest load succeeded, 0 if the last revision failed to load.",
            self.manifest_ok
                .map(|ok| (Vec::new(), if ok { 1.0 } else { 0.0 })),
        );
        family(
            &mut out,
            "roster_manifest_last_good_timestamp_seconds",
            "gauge",
            "Unix time of the last successful manifest load.",
            self.manifest_last_good.map(|t| (Vec::new(), t)),
        );
        family(
            &mut out,
            "roster_webhooks_total",
            "counter",
            "Zoom webhook requests, by result.",
            self.webhooks
                .iter()
                .map(|(k, v)| (vec![("result", (*k).to_string())], *v as f64)),
        );
        family(
            &mut out,
            "roster_ready",
            "gauge",
            "1 once every declared account has been observed.",
            Some((Vec::new(), if self.ready { 1.0 } else { 0.0 })),
        );
        out
    }
}

fn family(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    samples: impl IntoIterator<Item = (Labels, f64)>,
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, v) in samples {
        sample(out, name, &labels, v);
    }
}

fn sample(out: &mut String, name: &str, labels: &[(&str, String)], v: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, val)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape(val));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {}", number(v));
}

fn histogram(out: &mut String, by_account: &BTreeMap<String, Histogram>) {
    let name = "roster_reconcile_duration_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Duration of reconcile runs (observe, plan, apply)."
    );
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (account, h) in by_account {
        for (b, c) in BUCKETS.iter().zip(h.counts) {
            sample(
                out,
                &format!("{name}_bucket"),
                &[("account", account.clone()), ("le", number(*b))],
                c as f64,
            );
        }
        sample(
            out,
            &format!("{name}_bucket"),
            &[("account", account.clone()), ("le", "+Inf".into())],
            h.count as f64,
        );
        sample(
            out,
            &format!("{name}_sum"),
            &[("account", account.clone())],
            h.sum,
        );
        sample(
            out,
            &format!("{name}_count"),
            &[("account", account.clone())],
            h.count as f64,
        );
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_help_type_and_escaped_labels() {
        let mut m = Metrics::default();
        m.run("acme", "applied", 0.3);
        m.run("acme", "in_sync", 0.02);
        m.applied("acme", "update_user");
        m.calls("we\"ird\\acc\nount", "ok", 3);
        m.manifest_load(false, 1.0);
        let text = m.render();
        assert!(
            text.contains("roster_reconcile_runs_total{account=\"acme\",result=\"applied\"} 1\n")
        );
        assert!(text.contains(
            "roster_reconcile_duration_seconds_bucket{account=\"acme\",le=\"0.05\"} 1\n"
        ));
        assert!(
            text.contains(
                "roster_reconcile_duration_seconds_bucket{account=\"acme\",le=\"0.5\"} 2\n"
            )
        );
        assert!(text.contains(
            "roster_reconcile_duration_seconds_bucket{account=\"acme\",le=\"+Inf\"} 2\n"
        ));
        assert!(text.contains("roster_reconcile_duration_seconds_count{account=\"acme\"} 2\n"));
        assert!(text.contains("account=\"we\\\"ird\\\\acc\\nount\""));
        assert!(text.contains("roster_manifest_load_ok 0\n"));
        assert!(text.contains("roster_manifest_loads_total{result=\"ok\"} 0\n"));
        assert!(text.contains("roster_manifest_loads_total{result=\"error\"} 1\n"));
        for line in text.lines().filter(|l| l.starts_with("# TYPE")) {
            let name = line.split_whitespace().nth(2).expect("name");
            assert_eq!(
                text.matches(&format!("# TYPE {name} ")).count(),
                1,
                "one TYPE line per family: {name}"
            );
        }
    }
}
