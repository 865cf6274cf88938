//! The invariants of ARCHITECTURE.md that an import can break, checked on the sources:
//! each module names only the modules it may depend on (`crate::x` paths), and the pure
//! core never reads a clock. A new arrow the wrong way fails here, not in review.

use std::path::{Path, PathBuf};

/// Module → the other top-level modules it may name. Modules not listed may name any.
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("plan", &["model"]),
    ("manifest", &["model"]),
    ("provider", &["model", "sync"]),
    ("store", &["model"]),
    ("sync", &["model"]),
    ("apply", &["model", "plan", "provider", "store"]),
    (
        "reconcile",
        &["model", "plan", "provider", "store", "apply", "manifest"],
    ),
    ("session", &["model", "manifest", "provider", "store"]),
    (
        "daemon",
        &[
            "model",
            "plan",
            "provider",
            "store",
            "apply",
            "reconcile",
            "session",
            "manifest",
            "sync",
        ],
    ),
];

/// Modules that must stay pure: no clock, no I/O.
const PURE: &[&str] = &["model", "plan"];
const CLOCKS: &[&str] = &[
    "Utc::now",
    "Local::now",
    "SystemTime::now",
    "Instant::now",
    "std::fs::",
    "tokio::",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file of a top-level module (`src/x.rs` and `src/x/**`).
fn files(module: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = src().join(format!("{module}.rs"));
    if file.is_file() {
        out.push(file);
    }
    let mut stack = vec![src().join(module)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// The top-level modules a source names through `crate::x`.
fn named(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

#[test]
fn imports_point_one_way() {
    let mut broken = Vec::new();
    for (module, allowed) in ALLOWED {
        for f in files(module) {
            let text = std::fs::read_to_string(&f).expect("read source");
            for n in named(&text) {
                if n != *module && !allowed.contains(&n.as_str()) {
                    broken.push(format!("{} names crate::{n}", f.display()));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports against ARCHITECTURE.md:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_pure_core_reads_no_clock_and_does_no_io() {
    let mut broken = Vec::new();
    for module in PURE {
        for f in files(module) {
            let text = std::fs::read_to_string(&f).expect("read source");
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for c in CLOCKS.iter().filter(|c| line.contains(**c)) {
                    broken.push(format!("{}:{}: {c}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "clock or I/O in the pure core:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_check_sees_the_modules_it_guards() {
    for (module, _) in ALLOWED.iter().filter(|(m, _)| *m != "sync") {
        assert!(!files(module).is_empty(), "no sources found for {module}");
    }
    assert_eq!(
        named("use crate::plan::Op; x(crate::model::Email)"),
        ["plan", "model"]
    );
}
