#!/usr/bin/env bash
# Issue 14's takeover figure: the crash test (two daemons on one PostgreSQL store, `zoom`
# against `roster sim serve` with 150 ms of latency, kill -9 of the leader mid-apply) run
# $1 times (default 10). Prints each takeover time (kill to the survivor holding the lease,
# read from the lease row) and then the median and the maximum. Needs ROSTER_TEST_POSTGRES
# (default postgres://postgres@127.0.0.1:5432/postgres).
#   benches/takeover.sh 10
set -euo pipefail
runs=${1:-10}
export ROSTER_TEST_POSTGRES=${ROSTER_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
cd "$(dirname "$(realpath "$0")")/.."
# The test binary is run directly, so that a build elsewhere in target/ does not hold it up.
it=$(cargo test --test it --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable") and m["target"]["name"] == "it"][0])')
times=()
for i in $(seq "$runs"); do
  line=$("$it" replicas::crash --nocapture 2>&1 | grep -m1 '^takeover:')
  echo "kill $i: $line"
  times+=("$(sed 's/^takeover: \([0-9.]*\)s.*/\1/' <<<"$line")")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{t[NR]=$1} END {
  m = (NR % 2) ? t[(NR+1)/2] : (t[NR/2] + t[NR/2+1]) / 2;
  printf "takeover over %d kills: median %.1f s, max %.1f s (bound 41 s = TTL 30 + renew 10 + 1)\n", NR, m, t[NR] }'
