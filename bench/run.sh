#!/usr/bin/env bash
# add_phone load benchmark (run by `./x bench`): the release server on a fresh SQLite file, then wrk with
# bench/add_phone_new.lua (every request adds a new SIP phone) at 1, 8 and 32 connections, first with an
# empty table, then again once at least 100,000 phones are stored (filled through the API itself).
# Prints one RESULT_JSON line per run and the server's peak memory.
#   bench/run.sh [seconds per run, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
dir=$(mktemp -d)
db="$dir/bench.db"
bin=target/release/dialtone
port=${BENCH_PORT:-3200}
$bin --database "$db" server add --ip 10.10.10.15 --id TESTast >/dev/null
$bin --database "$db" user add --user apiadmin --pass apipass1 --level 9 --api-access --ast-admin --delete-phones >/dev/null
LEPTOS_SITE_ROOT="$PWD/target/site" DIALTONE_LOG=warn $bin --database "$db" serve --listen "127.0.0.1:$port" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/vicidial/non_agent_api.php?function=version" >/dev/null 2>&1 && break; sleep 0.1; done
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from phones').fetchone()[0])" "$db"; }
run() { # label connections tag
  local out
  out=$(wrk -t1 -c"$2" -d"${secs}s" --timeout 30s -s bench/add_phone_new.lua "http://127.0.0.1:$port" -- "$3" | grep RESULT_JSON)
  echo "$1 c=$2 phones_before=$4 $out"
}
n=$(count); run empty 1 a "$n"
n=$(count); run empty 8 b "$n"
n=$(count); run empty 32 c "$n"
i=0
while [ "$(count)" -lt 100000 ]; do
  i=$((i + 1))
  wrk -t1 -c32 -d10s --timeout 30s -s bench/add_phone_new.lua "http://127.0.0.1:$port" -- "f$i" >/dev/null
done
n=$(count); run 100k 1 x "$n"
n=$(count); run 100k 8 y "$n"
n=$(count); run 100k 32 z "$n"
echo "phones stored at the end: $(count)"
grep -E 'VmHWM|VmRSS' "/proc/$pid/status" | tr -s ' \t' ' ' | sed 's/^/server /'
