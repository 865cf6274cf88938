//! docs/cli.md, the completions and the man page against the real binary (issue 16, part
//! 3): every command `--help` lists has its section in docs/cli.md naming each of its
//! options, and the generated completions and man pages know every command.

use std::path::Path;
use std::process::Command;

fn help(path: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(path)
        .arg("--help")
        .output()
        .expect("run roster --help");
    assert!(out.status.success(), "roster {path:?} --help failed");
    String::from_utf8(out.stdout).expect("utf-8 help")
}

/// The subcommands a `--help` lists under `Commands:` (without `help`).
fn subcommands(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// The long options a `--help` lists (without those of every command).
fn options(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let t = l.trim_start();
            let t = t
                .strip_prefix("-h, ")
                .or(t.strip_prefix("-V, "))
                .unwrap_or(t);
            let rest = t.strip_prefix("--")?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty() && l.starts_with("  ")).then_some(name)
        })
        .filter(|o| !matches!(o.as_str(), "help" | "version" | "log-format"))
        .collect()
}

/// The text of the section of docs/cli.md headed "`roster PATH`".
fn section<'a>(doc: &'a str, path: &str) -> Option<&'a str> {
    let heading = format!("`roster {path}`");
    let start = doc
        .lines()
        .position(|l| l.starts_with('#') && l.trim_start_matches('#').trim() == heading)?;
    let lines: Vec<&str> = doc.lines().collect();
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with('#'))
        .map_or(lines.len(), |n| start + 1 + n);
    let first = lines[start].as_ptr() as usize - doc.as_ptr() as usize;
    let last = lines
        .get(end)
        .map_or(doc.len(), |l| l.as_ptr() as usize - doc.as_ptr() as usize);
    Some(&doc[first..last])
}

fn names_option(section: &str, option: &str) -> bool {
    let needle = format!("--{option}");
    section.match_indices(&needle).any(|(i, _)| {
        section[i + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-'))
    })
}

#[test]
fn every_command_and_option_of_the_help_is_in_docs_cli_md() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md"))
        .expect("docs/cli.md");
    let mut missing = Vec::new();
    let mut todo: Vec<Vec<String>> = subcommands(&help(&[]))
        .into_iter()
        .map(|c| vec![c])
        .collect();
    let mut seen = 0;
    while let Some(path) = todo.pop() {
        seen += 1;
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&args);
        let name = path.join(" ");
        let Some(sec) = section(&doc, &name) else {
            missing.push(format!("no section `roster {name}`"));
            continue;
        };
        for o in options(&text) {
            // `roster sim` documents the `--state` all its commands take once.
            let inherited = path.len() > 1 && path[0] == "sim" && o == "state";
            if !inherited && !names_option(sec, &o) {
                missing.push(format!("`roster {name}`: --{o}"));
            }
        }
        for c in subcommands(&text) {
            let mut child = path.clone();
            child.push(c);
            todo.push(child);
        }
    }
    assert!(seen > 20, "only {seen} commands found in the help");
    assert!(
        missing.is_empty(),
        "docs/cli.md lacks:\n{}",
        missing.join("\n")
    );
}

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(args)
        .output()
        .expect("run roster");
    assert!(
        out.status.success(),
        "roster {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn completions_and_man_pages_know_every_command() {
    let commands = subcommands(&help(&[]));
    let bash = run(&["completions", "bash"]);
    assert!(bash.contains("complete -F _roster"), "{bash}");
    let fish = run(&["completions", "fish"]);
    let man = run(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH roster 1"),
        "{man}"
    );
    for c in &commands {
        assert!(bash.contains(&format!("roster,{}", c)), "bash lacks {c}");
        assert!(fish.contains(&format!("-a \"{c}\"")), "fish lacks {c}");
        assert!(man.contains(c.as_str()), "the man page lacks {c}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    run(&["man", "--out", dir.path().to_str().expect("utf-8 path")]);
    for page in ["roster.1", "roster-plan.1", "roster-sim-serve.1"] {
        let text = std::fs::read_to_string(dir.path().join(page)).expect(page);
        assert!(text.contains(".TH"), "{page}: {text}");
    }
}
