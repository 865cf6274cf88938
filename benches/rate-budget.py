#!/usr/bin/env python3
"""How much of Zoom's rate budget an apply uses, and how many 429s roster caused itself
(issue 15): N user creates (default 1,000; benches/gen_plan.py N 1: one existing user, who gets a few edits) through `provider: zoom`
(Business plan, rateShare 1.0) against `roster sim serve` with no injected fault.

    python3 benches/rate-budget.py target/release/roster [N] [sim serve options...]

SERVE_WITH=OTHER_ROSTER runs `sim serve` from another build (say, to measure an older
roster's apply against a server that logs labels and arrival times).

From the server's request log (each request's label and arrival time) it prints, per label:
the requests, the span from the first to the last, the rate over that span as a share of the
plan's limit, and the 429s the server answered because the label's window was full (no
other application shares the account here, so every one is self-caused)."""
import json, os, subprocess, sys, tempfile, time, urllib.request

LIMITS = {"Light": 80, "Medium": 60, "Heavy": 40}  # Business, per second

roster = os.path.abspath(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
extra = sys.argv[3:]
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp(prefix="rate-budget-")
env = dict(os.environ, ZOOM_ACCOUNT_ID="big", ZOOM_CLIENT_ID="roster-sim", ZOOM_CLIENT_SECRET="bench-secret")
subprocess.run([sys.executable, os.path.join(here, "gen_plan.py"), work, str(n), "1", "--zoom", "http://PLACEHOLDER"],
               check=True, stdout=subprocess.DEVNULL)
serve_out = open(os.path.join(work, "serve.out"), "w+")
server = os.path.abspath(os.environ.get("SERVE_WITH", roster))
sim = subprocess.Popen([server, "sim", "serve", "--listen", "127.0.0.1:0", "--state", os.path.join(work, "cloud"),
                        "--seed", os.path.join(work, "seed.yaml"), "--client-secret", "bench-secret", *extra],
                       stdout=serve_out, stderr=subprocess.DEVNULL)
try:
    url = None
    for _ in range(200):
        serve_out.seek(0)
        for line in serve_out:
            if "listening on " in line:
                url = line.split("listening on ")[1].split()[0]
        if url:
            break
        time.sleep(0.05)
    account = os.path.join(work, "m", "account.yaml")
    text = open(account).read().replace("http://PLACEHOLDER", url)
    open(account, "w").write(text)
    t0 = time.monotonic()
    r = subprocess.run([roster, "apply", "--auto-approve", "--state", os.path.join(work, "state"), os.path.join(work, "m")],
                       env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(f"apply exited {r.returncode}:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    log = json.load(urllib.request.urlopen(f"{url}/_sim/requests"))
finally:
    sim.terminate()
    sim.wait()
creates = sum(1 for x in log if x["method"] == "POST" and x.get("route") == "/v2/users" and x["status"] == 201)
print(f"{creates} users created in {wall:.1f} s (apply, wall); {len(log)} requests")
routes = {}
for x in log:
    k = f"{x['method']} {x.get('route') or x['path']}"
    routes[k] = routes.get(k, 0) + 1
print("requests by route:", ", ".join(f"{k} {v}" for k, v in sorted(routes.items(), key=lambda kv: -kv[1])[:6]))
print("| label | requests | span s | rate /s | share of the limit | self-caused 429 |")
print("|---|---|---|---|---|---|")
for label, limit in LIMITS.items():
    rows = [x for x in log if x.get("label") == label]
    if not rows:
        continue
    span = (rows[-1]["at_ms"] - rows[0]["at_ms"]) / 1000 or 1e-3
    throttled = sum(1 for x in rows if x["status"] == 429 and x.get("fault") == "rate-limit")
    rate = len(rows) / span
    print(f"| {label} | {len(rows)} | {span:.1f} | {rate:.1f} | {100 * rate / limit:.0f}% of {limit}/s | {throttled} |")
