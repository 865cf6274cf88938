//! The floor the performance goals of issue 15 are measured against: the time to read
//! every YAML file of a manifest folder and parse each document with serde into a
//! `serde_yaml::Value`, one file after the other, and nothing else. `roster validate` and
//! `roster plan` on the same folder are reported as multiples of it (`benches/scale.py`).
//!
//!     cargo build --release --example parse-floor
//!     target/release/examples/parse-floor DIR

use serde::Deserialize;
use std::path::Path;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: parse-floor DIR");
        std::process::exit(2);
    };
    let mut docs = 0usize;
    if let Err(e) = walk(Path::new(&dir), &mut docs) {
        eprintln!("parse-floor: {e}");
        std::process::exit(1);
    }
    println!("{docs} documents");
}

/// Parses every `.yaml`/`.yml` file under `dir` (sorted, recursively), counting documents.
fn walk(dir: &Path, docs: &mut usize) -> Result<(), String> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, docs)?;
        } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            for doc in serde_yaml::Deserializer::from_str(&text) {
                serde_yaml::Value::deserialize(doc)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                *docs += 1;
            }
        }
    }
    Ok(())
}
