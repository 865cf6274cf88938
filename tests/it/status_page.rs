//! Issue 16, part 9: the daemon's status page (`/`) as a browser shows it. The daemon runs
//! `examples/acme` through `provider: zoom` against `roster sim serve` (so the page has
//! manual changes with portal steps, waiting changes and an integration to show), and
//! headless Chromium (Debian's `chromium`) renders it: a screenshot, the DOM, the console.
//!
//! In CI (`CI=true`) a missing Chromium fails the test (`.ci/run` installs it); elsewhere
//! the test is skipped with a notice.

use crate::contract::{Server, ZOOM_ENV, zoom_acme_with_manual_changes};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `chromium` package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";

/// A Chromium run that takes longer is taken as hung.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

/// The browser, or `None` when it is missing outside CI.
fn chromium() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("chromium"));
    let found = std::iter::once(PathBuf::from(CHROMIUM))
        .chain(on_path)
        .find(|p| p.is_file());
    if found.is_none() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "chromium is missing: .ci/run installs Debian's `chromium` package"
        );
        eprintln!("NOTICE: chromium not found; skipping the status page browser test");
    }
    found
}

/// What one headless Chromium run printed.
struct BrowserRun {
    stdout: String,
    stderr: String,
}

impl BrowserRun {
    /// The page's console messages (errors included) and uncaught exceptions, as
    /// `--enable-logging=stderr` reports them.
    fn console(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
            .collect()
    }
}

/// Runs headless Chromium on `url` with `args`, in a profile of its own, and waits for it.
fn browse(exe: &Path, args: &[&str], url: &str) -> BrowserRun {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut child = Command::new(exe)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .args(["--enable-logging=stderr", "--v=0"])
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        .spawn()
        .expect("start chromium");
    let until = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for chromium") {
            break s;
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish in {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let run = BrowserRun {
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
    };
    assert!(
        status.success(),
        "chromium failed: {status}\n{}",
        run.stderr
    );
    run
}

/// Text as Chromium's DOM serializer writes it in an element.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn text<'a>(v: &'a serde_json::Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("/status has no {what}: {v}"))
}

#[test]
fn issue16_part9_the_status_page_renders_in_chromium_with_what_needs_a_person() {
    let Some(exe) = chromium() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme/sim-seed.yaml");
    let server = Server::start(&tmp.path().join("server"), &seed, &[]);
    let ws = zoom_acme_with_manual_changes(&server.url);
    ws.write(
        "integrations.yaml",
        "kind: CalendarContactIntegration\nuser: dave@acme.com\nservice: google\n",
    );
    let d = ws.daemon(&[], &ZOOM_ENV);
    d.wait_in_sync("acme");
    let a = d.status()["accounts"]["acme"].clone();
    let o = &a["observation"];
    let manual = o["pending_manual"]
        .as_array()
        .and_then(|m| {
            m.iter().find(|m| {
                m["change"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("connect_integration"))
            })
        })
        .unwrap_or_else(|| panic!("no pending connect_integration: {o}"));
    let step = text(&manual["steps"][0], "portal step");
    let waiting = text(&o["waiting_changes"][0]["message"], "waiting change");
    let event = text(&a["due"]["what"], "next event");
    let url = format!("http://{}/", d.addr);

    let png = tmp.path().join("page.png");
    let shot = format!("--screenshot={}", png.display());
    browse(&exe, &[&shot, "--window-size=1280,2000"], &url);
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert!(
        bytes.len() > 1000 && bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a rendered PNG: {} bytes",
        bytes.len()
    );

    let run = browse(&exe, &["--dump-dom"], &url);
    for want in [
        "Account acme",
        step,
        waiting,
        &format!("Next event: {event}"),
        "not_connected",
    ] {
        assert!(
            run.stdout.contains(&escaped(want)),
            "the page lacks {want:?}:\n{}",
            run.stdout
        );
    }
    assert!(
        run.console().is_empty(),
        "console messages: {:?}",
        run.console()
    );

    // The same check sees a console error when there is one.
    let control = browse(
        &exe,
        &["--dump-dom"],
        "data:text/html,<script>console.error('control-error')</script>",
    );
    assert!(
        control
            .console()
            .iter()
            .any(|l| l.contains("control-error")),
        "the console check saw nothing in the control page:\n{}",
        control.stderr
    );
}
