//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

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

    /// Gives the simulated account declared in `file` a latency per operation
    /// (`provider.sim.latencyMs`): tests act while an apply is under way.
    pub fn sim_latency(&self, file: &str, ms: u64) {
        let p = self.manifests.join(file);
        let text = std::fs::read_to_string(&p).expect("read manifest");
        let slow = text.replace(
            "seed: seed.yaml }",
            &format!("seed: seed.yaml, latencyMs: {ms} }}"),
        );
        assert_ne!(
            slow, text,
            "{file} declares no `provider: {{ sim: {{ seed: seed.yaml }} }}`"
        );
        std::fs::write(p, slow).expect("write manifest");
    }

    /// `roster --state STATE ARGS…`
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_roster"));
        c.arg("--state")
            .arg(&self.state)
            .args(args)
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

/// A `roster daemon` process on an ephemeral port, its stderr collected (JSON logs).
/// Killed when dropped, unless it already exited.
pub struct Daemon {
    child: std::process::Child,
    pub addr: std::net::SocketAddr,
    logs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// `Authorization` sent by `get`, `post` and `status` (the operator token).
    auth: Option<String>,
}

impl Workspace {
    /// Starts `roster daemon MANIFESTS --listen 127.0.0.1:0 ARGS…` with `env` set.
    pub fn daemon(&self, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        self.daemon_on(&self.manifests, args, env)
    }

    /// Starts the daemon on another manifest folder (a symlink, say).
    pub fn daemon_on(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let mut c = self.cmd(&["--log-format", "json", "daemon"]);
        c.arg(dir)
            .args(["--listen", "127.0.0.1:0", "--debounce", "100ms"])
            .args(args)
            // Tests trigger runs back to back; the interval is tested where it is set.
            .args(if args.contains(&"--min-trigger-interval") {
                &[][..]
            } else {
                &["--min-trigger-interval", "0s"][..]
            })
            .env("RUST_LOG", "info")
            .env_remove("ZOOM_WEBHOOK_SECRET_TOKEN")
            .env_remove("ROSTER_OPERATOR_TOKEN")
            .env_remove("ROSTER_OPERATOR_TOKEN_FILE")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().expect("start roster daemon");
        let stderr = child.stderr.take().expect("stderr");
        let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let logs = logs.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                        && v["fields"]["message"] == "listening"
                        && let Some(a) = v["fields"]["addr"].as_str()
                    {
                        let _ = tx.send(a.to_string());
                    }
                    logs.lock().expect("logs").push(line);
                }
            });
        }
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(a) => a.parse().expect("socket address"),
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the daemon did not start listening:\n{}",
                    logs.lock().expect("logs").join("\n")
                );
            }
        };
        Daemon {
            child,
            addr,
            logs,
            auth: None,
        }
    }

    /// The simulated cloud as the daemon left it (`state/sim.json`, written atomically).
    /// `Null` before the daemon created it.
    pub fn sim_state(&self) -> serde_json::Value {
        match std::fs::read_to_string(self.state.join("sim.json")) {
            Ok(text) => serde_json::from_str(&text).expect("sim.json is JSON"),
            Err(_) => serde_json::Value::Null,
        }
    }
}

impl Daemon {
    /// Sends `Authorization: Bearer TOKEN` with every `get`, `post` and `status`.
    pub fn with_token(mut self, token: &str) -> Daemon {
        self.auth = Some(format!("Bearer {token}"));
        self
    }

    fn with_auth<'a>(&'a self, headers: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut h = headers.to_vec();
        if let Some(a) = &self.auth {
            h.push(("authorization", a.as_str()));
        }
        h
    }

    /// `GET path` → (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        http(self.addr, "GET", path, &self.with_auth(&[]), b"")
    }

    /// `POST path` with headers and a body → (status, body).
    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
        http(self.addr, "POST", path, &self.with_auth(headers), body)
    }

    /// `/status` parsed.
    pub fn status(&self) -> serde_json::Value {
        let (code, body) = self.get("/status");
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).expect("/status is JSON")
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every log line so far.
    pub fn logs(&self) -> String {
        self.logs.lock().expect("logs").join("\n")
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill -TERM failed");
    }

    /// Waits for the process to exit; its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let until = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < until {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Waits until `cond` holds, or panics with `what` and the daemon's logs.
    pub fn wait_for(&self, what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
        let until = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < until {
            if cond() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!(
            "timed out waiting for {what}\n--- daemon logs\n{}",
            self.logs()
        );
    }

    /// Waits until the daemon is ready and the account has settled: no run in flight, the
    /// last one in sync or applied.
    pub fn wait_in_sync(&self, account: &str) {
        self.wait_for(
            &format!("{account} in sync"),
            Duration::from_secs(20),
            || {
                let s = self.status();
                let a = &s["accounts"][account];
                let r = &a["last_run"]["result"];
                s["ready"] == true && a["running"] == false && (r == "in_sync" || r == "applied")
            },
        );
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A response as the tests read it.
#[derive(Debug)]
pub struct Reply {
    pub code: u16,
    /// Header names in lower case, in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// Every value of header `name` (lower case).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A minimal HTTP/1.1 client (one request per connection): (status, body).
pub fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let r = request(addr, method, path, headers, body);
    (r.code, r.body)
}

/// The same, with the response headers; a `host` among `headers` replaces the default.
pub fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    use std::io::{Read, Write};
    let mut s =
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    req.push_str(&format!(
        "Connection: close\r\nContent-Length: {}\r\n",
        body.len()
    ));
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("send");
    s.write_all(body).expect("send body");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    parse_reply(&String::from_utf8_lossy(&raw))
}

/// Reads a raw HTTP/1.1 response.
pub fn parse_reply(text: &str) -> Reply {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let code = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        code,
        headers,
        body: body.to_string(),
    }
}
