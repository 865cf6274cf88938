#!/usr/bin/env bash
# The 722-change apply (gen_plan.py 400 100) through the `zoom` provider against
# `roster sim serve`, with the fault options given after the binary (for example
# `--fail-rate 0.2`). One whole run per call: time it from outside, twice side by side,
#   bench=benches/fault-apply.sh
#   <timer> --vs "$bench target/release/roster" -- "$bench" target/release/roster --fail-rate 0.2
# Exits with apply's code; the apply must converge (a second plan shows no changes).
set -euo pipefail
bin=$(realpath "$1"); shift
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
"$bin" apply --auto-approve --state "$work/state" "$work/m" >"$work/apply.out" 2>"$work/apply.err" || {
  code=$?; tail -5 "$work/apply.out" >&2; tail -5 "$work/apply.err" >&2; exit "$code"; }
"$bin" plan --detailed-exitcode --state "$work/state" "$work/m" >/dev/null 2>&1 || {
  echo "the apply did not converge" >&2; exit 3; }
