//! `cargo bench --bench plan`: generates manifest repositories of 1k, 10k and 100k users
//! and reports the time to load them, to plan with no changes and with 1% of users
//! changed, and the process's peak memory (VmHWM) after each size.
//!
//! Sizes can be chosen with `ROSTER_BENCH_SIZES=1000,10000`.

use roster::manifest;
use roster::model::{
    AccountPlan, Desired, LastApplied, Observed, ObservedRole, ObservedStatus, ObservedUser, Seats,
    UserSpec,
};
use roster::plan::{PlanOptions, plan};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

fn write_repo(dir: &std::path::Path, n: usize) {
    let account = "kind: Account\nname: bench\nowner: owner@bench.example\ndefaults: { userType: basic, group: staff }\ncustomAttributes: [costCenter]\npolicy: { prune: false, userEditable: [jobTitle] }\n---\nkind: Group\nname: staff\n---\nkind: Group\nname: eng\n";
    std::fs::write(dir.join("account.yaml"), account).expect("write account");
    std::fs::create_dir_all(dir.join("users")).expect("mkdir");
    for (file, chunk) in (0..n).collect::<Vec<_>>().chunks(5000).enumerate() {
        let mut s = String::from("kind: Users\ndefaults: { department: R&D }\nitems:\n");
        for i in chunk {
            let group = if i % 3 == 0 { "eng" } else { "staff" };
            let _ = writeln!(
                s,
                "  - {{ email: user{i}@bench.example, firstName: First{i}, lastName: Last{i}, group: {group}, jobTitle: Engineer, customAttributes: {{ costCenter: \"{}\" }} }}",
                i % 97
            );
        }
        std::fs::write(dir.join(format!("users/part{file:03}.yaml")), s).expect("write users");
    }
}

fn observed_from(d: &Desired, changed_every: Option<usize>) -> Observed {
    let owner = d.account.owner.clone();
    let mut users = BTreeMap::new();
    for (i, u) in d.users.values().enumerate() {
        let s = &u.spec;
        let mut spec = UserSpec {
            first_name: Some(s.first_name.clone().unwrap_or_default()),
            last_name: Some(s.last_name.clone().unwrap_or_default()),
            user_type: s.user_type,
            addons: Some(s.addons.clone().unwrap_or_default()),
            role: s.role.clone(),
            group: s.group.clone(),
            chat_groups: Some(s.chat_groups.clone().unwrap_or_default()),
            department: Some(s.department.clone().unwrap_or_default()),
            manager: s.manager.clone(),
            job_title: Some(s.job_title.clone().unwrap_or_default()),
            location: Some(s.location.clone().unwrap_or_default()),
            custom_attributes: Some(s.custom_attributes.clone().unwrap_or_default()),
        };
        if changed_every.is_some_and(|k| i % k == 0) {
            spec.department = Some("Drifted".into());
        }
        let groups: BTreeSet<String> = spec.group.iter().cloned().collect();
        users.insert(
            u.email.clone(),
            ObservedUser {
                email: u.email.clone(),
                id: Some(format!("id{i}")),
                status: ObservedStatus::Active,
                spec,
                groups,
                invited_at: None,
            },
        );
    }
    let group = |n: &str| {
        (
            n.to_string(),
            roster::model::ObservedGroup {
                id: n.into(),
                name: n.into(),
                description: None,
            },
        )
    };
    let role = |id: &str, n: &str| {
        (
            n.to_string(),
            ObservedRole {
                id: id.into(),
                name: n.into(),
                description: None,
                privileges: BTreeSet::new(),
            },
        )
    };
    Observed {
        account_id: "bench".into(),
        observed_at: "2026-11-01T09:00:00Z".parse().expect("time"),
        plan: AccountPlan::Business,
        owner: owner.clone(),
        actor: owner,
        on_prem_enabled: false,
        seats: Seats {
            licensed: Some(1_000_000),
            large_meeting: Some(0),
            webinar: Some(0),
        },
        users,
        groups: [group("staff"), group("eng")].into_iter().collect(),
        chat_groups: BTreeMap::new(),
        roles: [role("0", "owner"), role("1", "admin"), role("2", "member")]
            .into_iter()
            .collect(),
        expired_invitations: BTreeMap::new(),
        existing_elsewhere: BTreeMap::new(),
        unread_lookups: BTreeMap::new(),
        organization: Default::default(),
        external_contacts: None,
        personal_contacts: BTreeMap::new(),
        personal_contacts_refused: None,
        integrations: None,
        calendly: None,
    }
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

fn main() {
    let sizes: Vec<usize> = std::env::var("ROSTER_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    println!(
        "{:>8} {:>12} {:>16} {:>18} {:>10} {:>14}",
        "users", "load", "plan (no change)", "plan (1% changed)", "changes", "peak RSS"
    );
    for n in sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        write_repo(dir.path(), n);
        let (load, manifests) = best_of(1, || {
            manifest::load_dir(dir.path()).expect("bench manifests load")
        });
        let desired = manifests
            .accounts
            .values()
            .next()
            .expect("one account")
            .clone();
        drop(manifests);
        let observed = observed_from(&desired, None);
        let mut last = LastApplied::default();
        for u in desired.users.values() {
            last.users.insert(u.email.clone(), u.spec.clone());
        }
        let now = observed.observed_at;
        let opts = PlanOptions::default();
        let runs = if n >= 100_000 { 3 } else { 5 };
        let (clean, p) = best_of(runs, || plan(&desired, &observed, &last, now, &opts));
        assert!(
            p.changes.is_empty() && p.errors.is_empty(),
            "a matching account must plan no change: {:?}",
            p.errors.first()
        );
        let drifted = observed_from(&desired, Some(100));
        let (dirty, p) = best_of(runs, || plan(&desired, &drifted, &last, now, &opts));
        println!(
            "{n:>8} {:>10.1}ms {:>14.1}ms {:>16.1}ms {:>10} {:>11.0} MiB",
            load.as_secs_f64() * 1e3,
            clean.as_secs_f64() * 1e3,
            dirty.as_secs_f64() * 1e3,
            p.changes.len(),
            peak_rss_mib()
        );
    }
}
