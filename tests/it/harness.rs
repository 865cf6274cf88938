//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh workspace: a manifest folder and a state folder in one temp dir.
pub struct Workspace {
    _tmp: tempfile::TempDir,
    pub manifests: PathBuf,
    pub state: PathBuf,
}

impl Workspace {
    /// An empty manifest folder.
    pub fn empty() -> Workspace {
        let tmp = tempfile::tempdir().expect("tempdir");
        let manifests = tmp.path().join("manifests");
        let state = tmp.path().join("state");
        std::fs::create_dir_all(&manifests).expect("mkdir manifests");
        Workspace {
            _tmp: tmp,
            manifests,
            state,
        }
    }

    /// A copy of `examples/acme`.
    pub fn acme() -> Workspace {
        let ws = Workspace::empty();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme"),
            &ws.manifests,
        );
        ws
    }

    /// Writes a manifest file (creating folders).
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.manifests.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write manifest");
    }

    /// `roster --state STATE ARGS…`
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_roster"));
        c.arg("--state")
            .arg(&self.state)
            .args(args)
            .env_remove("ROSTER_SIM_OP_DELAY_MS")
            .env("NO_COLOR", "1");
        c
    }

    /// Runs roster with the manifest folder as last argument.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut c = self.cmd(args);
        c.arg(&self.manifests);
        Run::from(c.output().expect("run roster"))
    }

    /// Runs roster without adding the manifest folder.
    pub fn run_plain(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().expect("run roster"))
    }

    /// `roster sim show` parsed.
    pub fn sim_show(&self) -> serde_json::Value {
        let r = self.run_plain(&["sim", "show"]);
        assert_eq!(r.code, 0, "sim show failed: {}", r.stderr);
        serde_json::from_str(&r.stdout).expect("sim show prints JSON")
    }
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Panics with the output unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read example") {
        let entry = entry.expect("entry");
        let p = entry.path();
        let dest = to.join(entry.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}
