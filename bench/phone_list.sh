#!/usr/bin/env bash
# Phones list benchmark (run by `./x bench`, which builds the release binary first).
# A database with N phones (default 100,000) on three servers: mixed protocols, statuses, registration
# states, names and groups. The release server runs on it; a signed-in client asks for list views
# (search, filters, sorts, deep pages), each R times (default 200) over one keep-alive connection, both
# as the whole server-rendered page (GET /phones?...) and as the server function the hydrated page
# calls on navigation (POST /serverfn/get_phone_list). Prints the server time per request
# (curl: total minus connection set-up) min / p50 / p95 / max in ms, and the server's peak RSS.
#   bench/phone_list.sh [phones, default 100000] [requests per view, default 200]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
reps=${2:-200}
bin=target/release/dialtone
port=${BENCH_PORT:-3190}
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
db="$work/list.db"
export DIALTONE_LOG=warn
for s in 1 2 3; do $bin --database "$db" server add --ip "10.30.0.$s" --id "LIST$s" >/dev/null; done
$bin --database "$db" user add --user bench --pass benchpass1 --level 9 --ast-admin >/dev/null
python3 - "$db" "$n" <<'PY'
import random, sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
first = ["Ana", "Ben", "Carla", "Dmitri", "Eve", "Farah", "Gus", "Hana", "Ivan", "Jo", "Kofi", "Lena", "Mateo", "Nia"]
last = ["Smith", "Garcia", "Okafor", "Nguyen", "Kowalski", "Haddad", "Silva", "Tanaka", "Murphy", "Rossi", "Berg"]
protos = ["SIP"] * 14 + ["IAX2"] * 3 + ["PJSIP"] * 2 + ["EXTERNAL"]
statuses = ["ACTIVE"] * 16 + ["SUSPENDED", "CLOSED", "PENDING", "ADMIN"]
regs = ["REGISTERED"] * 5 + ["UNREGISTERED", "UNKNOWN", "UNKNOWN", "LAGGED", "REACHABLE", "UNREACHABLE"]
rows = []
for i in range(n):
    ext = str(100000 + i)
    rows.append((ext, "9" + ext, ext, f"10.30.0.{1 + i % 3}", "L" + ext, "pw",
                 f"{rnd.choice(first)} {rnd.choice(last)} {i}", "3125550100", rnd.choice(protos),
                 rnd.choice(statuses), f"TEAM{i % 40}", rnd.choice(regs), "Y" if i % 25 == 0 else "N"))
c = sqlite3.connect(db)
c.executemany("INSERT INTO phones (extension, dialplan_number, voicemail_id, server_ip, login, pass, fullname, "
              "outbound_cid, protocol, status, user_group, peer_status, is_webphone) "
              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
c.commit()
PY
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then echo "port $port is in use (BENCH_PORT=... to choose another)" >&2; exit 1; fi
env LEPTOS_SITE_ROOT="$PWD/target/site" \
  $bin --database "$db" --conf-dir "$work/conf" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -s -o /dev/null "$base/sign-in" && break; sleep 0.1; done
curl -s -o /dev/null -c "$work/jar" -H "Origin: $base" --data "user=bench&pass=benchpass1&next=/" "$base/auth/sign-in"
grep -q dialtone_session "$work/jar" || { echo "sign-in failed" >&2; exit 1; }
# Let the conf generator finish its first pass over the three servers before measuring.
sleep 3
# Peak resident memory split by kind, sampled every 100 ms: anonymous (heap, SQLite's page caches, the
# verdict cache, the list's index) and file-backed (the binary's pages, and any mapped file: the
# kernel's page cache, shared and reclaimable).
( a=0; f=0; while kill -0 "$pid" 2>/dev/null; do
    read -r ca cf < <(awk '/^RssAnon/{a=$2} /^RssFile/{f=$2} END{print a, f}' "/proc/$pid/status" 2>/dev/null || echo "0 0")
    [ "${ca:-0}" -gt "$a" ] && a=$ca; [ "${cf:-0}" -gt "$f" ] && f=$cf
    { echo "$a $f" >"$work/rss"; } 2>/dev/null; sleep 0.1
  done ) &

views=(
  ""
  "q=smith"
  "q=12"
  "q=Garcia&proto=SIP"
  "proto=IAX2&server=10.30.0.2&page=5"
  "status=SUSPENDED&sort=name"
  "reg=REGISTERED&sort=name&dir=desc&page=20"
  "sort=group&page=1000&per=100"
  "sort=proto&dir=desc&page=2000"
  "sort=status&page=3000&per=25"
  "sort=reg&page=1500&per=50"
  "sort=server&dir=desc&page=999&per=100"
  "sort=dialplan&page=2500"
  "sort=vmail&dir=desc&page=2000"
  "q=smith&sort=group&page=200"
  "status=ACTIVE&proto=SIP&sort=group&page=1500"
  "reg=REGISTERED&page=1000"
  "sort=verdict"
  "verdict=silence"
  "sort=verdict&dir=desc&page=1000"
  "verdict=ready&proto=SIP&page=3"
)
report() { # label file
  python3 - "$1" "$2" <<'PY'
import statistics, sys
v = sorted(float(x) * 1000 for x in open(sys.argv[2]) if x.strip())
p95 = v[min(len(v) - 1, int(len(v) * 0.95))]
print(f"  {sys.argv[1]:<52} min {v[0]:6.2f}  p50 {statistics.median(v):6.2f}  p95 {p95:6.2f}  max {v[-1]:6.2f} ms")
PY
}
echo "$n phones on 3 servers, $reps requests per view (server time: curl total minus connect)"
for view in "${views[@]}"; do
  url="$base/phones${view:+?$view}"
  # Page: GET, one connection, $reps requests.
  args=(); for _ in $(seq "$reps"); do args+=(-o /dev/null "$url"); done
  curl -s -b "$work/jar" -w '%{time_total} %{time_pretransfer}\n' "$url" -o /dev/null >/dev/null # warm-up
  curl -s -b "$work/jar" -w '%{time_total} %{time_pretransfer}\n' "${args[@]}" |
    awk '{printf "%.6f\n", $1 - $2}' >"$work/page"
  report "page  /phones${view:+?$view}" "$work/page"
  # Server function: POST JSON as the hydrated page does.
  json=$(python3 -c 'import json,sys,urllib.parse as u; print(json.dumps({"params": u.parse_qsl(sys.argv[1])}))' "$view")
  # --next gives each request its own headers and body while keeping the one connection.
  args=(); for r in $(seq "$reps"); do
    [ "$r" = 1 ] || args+=(--next)
    args+=(-s -b "$work/jar" -w '%{time_total} %{time_pretransfer} %{http_code}\n' -o /dev/null -H "Origin: $base"
      -H "Content-Type: application/json" -H "Accept: application/json" --data "$json" "$base/serverfn/get_phone_list")
  done
  curl "${args[@]}" >"$work/fn_raw"
  if grep -qv " 200$" "$work/fn_raw"; then echo "server function failed: $(grep -v " 200$" "$work/fn_raw" | head -1)" >&2; tail -5 "$work/server.log" >&2; exit 1; fi
  awk '{printf "%.6f\n", $1 - $2}' "$work/fn_raw" >"$work/fn"
  report "fn    ${view:-(default view)}" "$work/fn"
done
echo "peak RSS of the server: $(grep VmHWM "/proc/$pid/status" | awk '{print int($2 / 1024)}') MB" \
  "(peaks by kind: anonymous $(awk '{print int($1 / 1024)}' "$work/rss") MB, file-backed $(awk '{print int($2 / 1024)}' "$work/rss") MB)"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
