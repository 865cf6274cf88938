#!/usr/bin/env python3
"""Latency from saving a manifest to the change being applied in the simulator (20
edits of examples/acme), then the daemon's idle CPU (over IDLE_SECS, default 60) and RSS.

    cargo build --release
    python3 benches/daemon-latency.py target/release/roster [daemon flags, e.g. --debounce 50ms]

Linux only (reads /proc). Each edit is an in-place save of users/sales.yaml; the clock
stops when state/sim.json shows the new value."""
import json, os, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.request

roster = os.path.abspath(sys.argv[1])
extra = sys.argv[2:]
tmp = tempfile.mkdtemp()
m, state = os.path.join(tmp, "m"), os.path.join(tmp, "state")
here = os.path.dirname(os.path.abspath(__file__))
shutil.copytree(os.path.join(here, "..", "examples", "acme"), m)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
p = subprocess.Popen([roster, "--state", state, "--log-format", "json", "daemon", m,
                      "--listen", f"127.0.0.1:{port}", *extra],
                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "log"), "w"))
def status():
    return json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/status"))
def settled():
    try:
        s = status()
    except Exception:
        return False
    a = s["accounts"].get("acme", {})
    return s["ready"] and not a.get("running") and (a.get("last_run") or {}).get("result") in ("applied", "in_sync")
while not settled():
    time.sleep(0.05)
def dept(email):
    try:
        with open(os.path.join(state, "sim.json")) as f:
            cloud = json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    for a in cloud["accounts"]:
        for u in a["users"]:
            if u["email"] == email:
                return u.get("department")
path = os.path.join(m, "users", "sales.yaml")
orig = open(path).read()
assert "carol@acme.com" in orig
lat = []
for i in range(20):
    want = f"Dept-{i}"
    text = orig.replace("- { email: carol@acme.com", f"- {{ email: carol@acme.com, department: {want}", 1)
    assert text != orig
    t0 = time.monotonic()
    with open(path, "w") as f:        # an ordinary save, in place
        f.write(text)
    while dept("carol@acme.com") != want:
        time.sleep(0.002)
        if time.monotonic() - t0 > 30:
            sys.exit(f"edit {i}: not applied after 30 s")
    lat.append((time.monotonic() - t0) * 1000)
    time.sleep(1.0)
lat_sorted = sorted(lat)
print(f"edits: {len(lat)}  median: {statistics.median(lat):.0f} ms  min: {lat_sorted[0]:.0f} ms  max: {lat_sorted[-1]:.0f} ms")
print("all (ms):", " ".join(f"{x:.0f}" for x in lat))
# Idle: let it settle, then measure 60 s of CPU time and the RSS.
time.sleep(3)
tck = os.sysconf("SC_CLK_TCK")
def cpu():
    f = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tck
def rss():
    for line in open(f"/proc/{p.pid}/status"):
        if line.startswith(("VmRSS", "VmHWM")):
            print("  " + line.strip())
c0, w0 = cpu(), time.monotonic()
time.sleep(int(os.environ.get("IDLE_SECS", "60")))
c1, w1 = cpu(), time.monotonic()
print(f"idle CPU over {w1-w0:.0f} s: {c1-c0:.2f} s of CPU = {100*(c1-c0)/(w1-w0):.3f} %")
print(f"threads: {len(os.listdir(f'/proc/{p.pid}/task'))}")
rss()
p.terminate()
print("exit code after SIGTERM:", p.wait(timeout=30))
shutil.rmtree(tmp, ignore_errors=True)
