#!/usr/bin/env bash
# Item 9 of issue 19: progress under heavy faults. The 722-change apply (gen_plan.py 400 100)
# through `zoom` against `roster sim serve` with the fault options given after the binary
# (default `--fail-rate 0.4 --burst-429 5 --burst-every 20`), applied again and again until
# a plan shows no changes (at most $RUNS runs, default 8). Prints one line per run: its exit
# code, the changes the plan proposed before it and the changes left after it; then how many
# users the simulator created or invited more than once (must be 0).
#   benches/fault-progress.sh target/release/roster
set -euo pipefail
bin=$(realpath "$1"); shift
[ $# -gt 0 ] || set -- --fail-rate 0.4 --burst-429 5 --burst-every 20
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d)
trap 'kill "$sim" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
export ZOOM_ACCOUNT_ID=big ZOOM_CLIENT_ID=roster-sim ZOOM_CLIENT_SECRET=bench-secret
python3 "$here/gen_plan.py" "$work" 400 100 --zoom http://PLACEHOLDER >/dev/null
"$bin" sim serve --listen 127.0.0.1:0 --state "$work/cloud" --seed "$work/seed.yaml" \
  --client-secret bench-secret "$@" >"$work/serve.out" 2>"$work/serve.err" &
sim=$!
for _ in $(seq 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.out" | head -1)
sed -i "s#http://PLACEHOLDER#$url#" "$work/m/account.yaml"
# The changes a plan proposes (the sum of its summary line), 0 for "No changes"; plans
# run against the same faults, so one that fails is retried.
left() {
  for _ in 1 2 3 4 5; do
    out=$("$bin" plan --state "$work/state" "$work/m" 2>/dev/null || true)
    if grep -q "No changes" <<<"$out"; then echo 0; return; fi
    line=$(grep -m1 "^Plan:" <<<"$out" || true)
    if [ -n "$line" ]; then grep -o '[0-9]\+' <<<"$line" | awk '{s+=$1} END {print s}'; return; fi
  done
  echo "?"
}
before=$(left)
echo "faults: $*"
for run in $(seq "${RUNS:-8}"); do
  [ "$before" = 0 ] && break
  set +e
  "$bin" apply --auto-approve --state "$work/state" "$work/m" >"$work/apply.out" 2>"$work/apply.err"
  code=$?
  set -e
  summary=$(grep -m1 "^Apply complete\|^Apply" "$work/apply.out" || tail -1 "$work/apply.err")
  after=$(left)
  echo "run $run: exit $code, $before changes before, $after left; $summary"
  before=$after
done
kill "$sim"; wait "$sim" 2>/dev/null || true
"$bin" --state "$work/cloud" sim show >"$work/sim.json"
python3 - "$work/sim.json" <<'PY'
import json, sys, collections, re
sim = json.load(open(sys.argv[1]))
sends = collections.Counter()
for e in sim["log"]:
    a = str(e.get("action", ""))
    if "create_user" in a or "invite" in a:
        for m in set(re.findall(r"new\d+@[a-z.]+", json.dumps(e))):
            sends[m] += 1
dups = {k: v for k, v in sends.items() if v > 1}
print(f"users created or invited: {len(sends)}; more than once: {len(dups)} {dups if dups else ''}")
PY
