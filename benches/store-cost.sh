#!/usr/bin/env bash
# Issue 14's store cost: one apply of a USERS-user account with CHANGED profile edits on
# the embedded simulator, with the state in SQLite (the default) or PostgreSQL; the two
# differ only in the store. Each run starts from a fresh state folder and, for PostgreSQL,
# a fresh database (createdb is inside the timed command).
#   benches/store-cost.sh prepare DIR 10000 100
#   farm-bench -n 3 --vs "benches/store-cost.sh run DIR postgres BIN" -- benches/store-cost.sh run DIR sqlite BIN
set -euo pipefail
case "$1" in
  prepare)
    rm -rf "$2"; mkdir -p "$2"
    python3 "$(dirname "$(realpath "$0")")/gen_account.py" "$2" "$3" "$4" ;;
  run)
    dir=$2 store=$3 bin=$4
    state=$(mktemp -d "$dir/state.XXXXXX")
    trap 'rm -rf "$state"' EXIT
    args=()
    if [ "$store" = postgres ]; then
      admin=${ROSTER_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
      db=bench_$(basename "$state" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
      psql -q "$admin" -c "CREATE DATABASE $db"
      trap 'rm -rf "$state"; psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
      args=(--store "${admin%/*}/$db")
    fi
    "$bin" --state "$state" apply "${args[@]}" --auto-approve "$dir/m" >/dev/null ;;
  *) echo "usage: $0 prepare DIR USERS CHANGED | run DIR sqlite|postgres BIN" >&2; exit 2 ;;
esac
