//! Issue 17 part 4: bad input never panics and every refusal names a location.
//!
//! Property tests mutate the example manifests and CSV files (valid and broken) and load
//! them with the real loader; hostile files (alias bombs, a 50 MB file, deep nesting,
//! non-UTF-8, a byte-order mark) are refused with a located diagnostic. Cases:
//! `INPUT_CASES` (default 256).

use proptest::prelude::*;
use roster::manifest::{self, Diagnostics};
use std::path::{Path, PathBuf};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/acme");

/// Every file of the example, relative, with its text.
fn example_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(EXAMPLE)];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("example dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.ends_with("README.md") {
                let rel = p.strip_prefix(EXAMPLE).expect("relative").to_path_buf();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

/// Tokens that break YAML and CSV in interesting ways.
const NASTY: &[&[u8]] = &[
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\t",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"---\n",
    b"...\n",
    b": ",
    b"- ",
    b"!!binary ",
    b"!custom ",
    b"\"",
    b"'",
    b",",
    b"\n",
    b"\r\n",
    b"\0",
    b"#",
    b"|\n",
    b">-\n",
    b"? ",
    b"%YAML 1.1\n",
    b"kind: User\n",
    b"email: x\n",
    b"type: licensed\n",
    b"99999999999999999999",
    b"-1",
    b"~",
    b"null",
];

#[derive(Debug, Clone)]
enum Mutation {
    Insert { at: usize, token: usize },
    Delete { at: usize, len: usize },
    Truncate { at: usize },
    Duplicate { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 0..NASTY.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        2 => (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        1 => (any::<usize>(), 1usize..200).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len().max(1);
    match *m {
        Mutation::Insert { at, token } => {
            let at = at % n.min(bytes.len() + 1).max(1);
            let at = at.min(bytes.len());
            bytes.splice(at..at, NASTY[token].iter().copied());
        }
        Mutation::Delete { at, len } => {
            let at = (at % n).min(bytes.len());
            let end = (at + len).min(bytes.len());
            bytes.drain(at..end);
        }
        Mutation::Truncate { at } => bytes.truncate(at % n),
        Mutation::Duplicate { at, len } => {
            let at = (at % n).min(bytes.len());
            let end = (at + len).min(bytes.len());
            let copy = bytes[at..end].to_vec();
            bytes.splice(at..at, copy);
        }
    }
}

fn write_tree(root: &Path, files: &[(PathBuf, Vec<u8>)]) {
    for (rel, bytes) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
        std::fs::write(p, bytes).expect("write");
    }
}

/// Loads `dir` and checks the refusal: no panic, every diagnostic names a file, and one
/// in a file names its line.
fn load_checked(dir: &Path) -> Result<(), Diagnostics> {
    let result = std::panic::catch_unwind(|| manifest::load_dir(dir));
    let loaded = result.unwrap_or_else(|_| panic!("the loader panicked on {}", dir.display()));
    let Err(diags) = loaded else { return Ok(()) };
    for d in &diags.0 {
        // A refusal about the folder as a whole (no Account at all) names the folder.
        assert!(
            d.location.file.is_some() || d.message.contains("the manifest folder"),
            "a refusal names no location: {}",
            d.message
        );
    }
    Err(diags)
}

fn cases() -> u32 {
    std::env::var("INPUT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_manifests_and_csvs_never_panic_and_refusals_are_located(
        file in 0usize..64,
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let mut files = example_files();
        let i = file % files.len();
        for m in &mutations {
            mutate(&mut files[i].1, m);
        }
        let dir = tempfile::tempdir().expect("tmp");
        write_tree(dir.path(), &files);
        let _ = load_checked(dir.path());
    }
}

#[test]
fn the_example_itself_loads() {
    let dir = tempfile::tempdir().expect("tmp");
    write_tree(dir.path(), &example_files());
    load_checked(dir.path()).expect("the example loads");
}

/// One hostile file next to a valid Account: refused, located, in bounded time.
fn refuse(name: &str, bytes: &[u8]) -> Diagnostics {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("account.yaml"),
        "kind: Account\nname: acme\nowner: owner@acme.com\nprovider: { sim: {} }\n",
    )
    .expect("account");
    std::fs::write(dir.path().join(name), bytes).expect("hostile file");
    let started = std::time::Instant::now();
    let diags = load_checked(dir.path()).expect_err("refused");
    eprintln!(
        "{name}: {} bytes refused in {:?}: {}",
        bytes.len(),
        started.elapsed(),
        diags.0[0].message
    );
    assert!(
        diags
            .0
            .iter()
            .any(|d| d.location.file.as_deref() == Some(name)),
        "{name}: the refusal names the file: {diags:?}"
    );
    diags
}

#[test]
fn an_alias_bomb_is_refused_without_expanding_it() {
    let mut bomb = String::from(
        "kind: User\nemail: a@acme.com\njobTitle: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 0..9 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("l{}", i - 1)
        };
        bomb.push_str(&format!(
            "department: &l{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    refuse("bomb.yaml", bomb.as_bytes());
}

#[test]
fn a_50_mb_file_is_refused() {
    let mut big = b"kind: User\nemail: a@acme.com\njobTitle: \"".to_vec();
    big.resize(50 * 1024 * 1024, b'x');
    big.extend_from_slice(b"\"\n");
    refuse("big.yaml", &big);
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 100_000;
    let mut deep = b"kind: User\nemail: a@acme.com\ngroup: ".to_vec();
    deep.extend(std::iter::repeat_n(b'[', depth));
    deep.extend(std::iter::repeat_n(b']', depth));
    deep.push(b'\n');
    refuse("deep.yaml", &deep);
    let mut maps = b"kind: User\nemail: a@acme.com\ngroup: ".to_vec();
    for _ in 0..depth {
        maps.extend_from_slice(b"{a: ");
    }
    maps.extend(std::iter::repeat_n(b'}', depth));
    refuse("maps.yaml", &maps);
}

#[test]
fn non_utf8_is_refused() {
    refuse("latin1.yaml", b"kind: User\nemail: caf\xe9@acme.com\n");
    refuse("utf16.yaml", b"\xff\xfek\0i\0n\0d\0:\0 \0U\0s\0e\0r\0");
}

#[test]
fn a_byte_order_mark_is_refused_or_read_but_never_mistaken() {
    // A UTF-8 BOM before `kind:` must not turn the key into "\u{feff}kind".
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("account.yaml"),
        "\u{feff}kind: Account\nname: acme\nowner: owner@acme.com\nprovider: { sim: {} }\n",
    )
    .expect("account");
    match load_checked(dir.path()) {
        Ok(()) => {}
        Err(d) => assert!(
            d.0.iter()
                .all(|d| d.location.file.as_deref() == Some("account.yaml")),
            "{d:?}"
        ),
    }
}

#[path = "../../fuzz/common.rs"]
mod fuzz_common;

/// Every checked-in input of a fuzz target (its corpus and the crashes found), replayed
/// through the same body `cargo fuzz` runs.
fn replay_fuzz(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut inputs = Vec::new();
    for dir in [
        root.join("corpus").join(target),
        root.join("artifacts").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            inputs.push(e.expect("entry").path());
        }
    }
    assert!(!inputs.is_empty(), "fuzz/corpus/{target} has no input");
    for p in &inputs {
        let data = std::fs::read(p).expect("corpus file");
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} panics", p.display());
    }
    eprintln!("{target}: {} checked-in inputs replayed", inputs.len());
}

#[test]
fn the_fuzz_corpus_and_crashes_of_the_manifest_loader_replay() {
    replay_fuzz("manifest", fuzz_common::manifest);
}

#[test]
fn the_fuzz_corpus_and_crashes_of_the_csv_readers_replay() {
    replay_fuzz("csv", fuzz_common::csv);
}

#[test]
fn the_fuzz_corpus_and_crashes_of_the_webhook_handler_replay() {
    replay_fuzz("webhook", fuzz_common::webhook);
}

#[test]
fn the_fuzz_corpus_and_crashes_of_the_zoom_decoders_replay() {
    replay_fuzz("zoom_decode", fuzz_common::zoom_decode);
}
