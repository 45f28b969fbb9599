#!/usr/bin/env bash
# add_phone load benchmark (run by `./x bench`, which builds the release binary first).
# wrk with bench/add_phone_new.lua (every request adds a new SIP phone) at 1, 8 and 32 connections:
#   * "empty": each run on a fresh database with no phones;
#   * "100k":  each run on a copy of a database holding 100,000+ phones, filled through the API itself.
# Prints one line per run (RESULT_JSON from the wrk script, plus the server's peak RSS).
#   bench/run.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bin=target/release/dialtone
port=${BENCH_PORT:-3200}
work=$(mktemp -d)
pid=""
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

fresh_db() { # path
  rm -f "$1" "$1-wal" "$1-shm"
  $bin --database "$1" server add --ip 10.10.10.15 --id TESTast >/dev/null
  $bin --database "$1" user add --user apiadmin --pass apipass1 --level 9 --api-access --ast-admin >/dev/null
}
start() { # db
  DIALTONE_LOG=warn $bin --database "$1" --conf-dir "$work/conf" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -fsS "http://127.0.0.1:$port/vicidial/non_agent_api.php?function=version" >/dev/null 2>&1 && return; sleep 0.05; done
  echo "server did not start" >&2; cat "$work/server.log" >&2; exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
peak() { grep VmHWM "/proc/$pid/status" | awk '{print $2 " kB"}'; }
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from phones').fetchone()[0])" "$1"; }
load() { # connections tag
  wrk -t1 -c"$1" -d"${secs}s" --timeout 30s -s bench/add_phone_new.lua "http://127.0.0.1:$port" -- "$2" | grep RESULT_JSON
}

for c in 1 8 32; do
  fresh_db "$work/run.db"; start "$work/run.db"
  out=$(load "$c" "e$c"); echo "empty c=$c phones_before=0 peak_rss=$(peak) $out"
  stop
done

fresh_db "$work/base.db"; start "$work/base.db"
i=0
while [ "$(count "$work/base.db")" -lt 100000 ]; do
  i=$((i + 1))
  wrk -t1 -c32 -d5s --timeout 30s -s bench/add_phone_new.lua "http://127.0.0.1:$port" -- "f$i" >/dev/null
done
stop
n=$(count "$work/base.db")
for c in 1 8 32; do
  cp "$work/base.db" "$work/run.db"; rm -f "$work/run.db-wal" "$work/run.db-shm"
  start "$work/run.db"
  out=$(load "$c" "h$c"); echo "100k c=$c phones_before=$n peak_rss=$(peak) $out"
  stop
done
