#!/usr/bin/env bash
# Conf generation benchmark (run by `./x bench`, which builds the release binary first).
# One server holding N phones (default 10,000: 70% SIP, 15% IAX2, 10% PJSIP, 5% EXTERNAL, some with
# codecs, caller ids and a template). For each round one phone is changed, then
# `dialtone conf generate --server` rebuilds the server: read the phones from SQLite, build the four
# files, compare them with the files on disk and atomically replace the one(s) that changed.
# Prints the build time (read + generate) and write time the command reports, min/median/max, and the
# command's peak RSS (GNU time).
#   bench/conf_gen.sh [phones, default 10000] [rounds, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
rounds=${2:-20}
bin=target/release/dialtone
[ -x /usr/bin/time ] || { echo "installing GNU time" >&2; apt-get update -qq && apt-get install -y -qq time >/dev/null; }
command -v sqlite3 >/dev/null || { echo "installing sqlite3" >&2; apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/conf.db"
export DIALTONE_LOG=warn
$bin --database "$db" server add --ip 10.20.0.1 --id BENCH >/dev/null
python3 - "$db" "$n" <<'PY'
import sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
c.execute("INSERT INTO vicidial_conf_templates (template_id, template_contents) VALUES "
          "('webrtc', 'type=friend\nhost=dynamic\nencryption=yes\ntransport=wss\nrtcp_mux=yes')")
rows = []
for i in range(n):
    ext = str(100000 + i)
    r = i % 20
    proto = "SIP" if r < 14 else "IAX2" if r < 17 else "PJSIP" if r < 19 else "EXTERNAL"
    rows.append((ext, "9" + ext, ext, "10.20.0.1", "b" + ext, "pw", f"Agent {i}", "3125550100" if i % 3 else "",
                 proto, f"Reg{i:06d}secret", "ulaw,alaw" if i % 4 == 0 else "", "webrtc" if i % 50 == 0 else ""))
c.executemany("INSERT INTO phones (extension, dialplan_number, voicemail_id, server_ip, login, pass, fullname, "
              "outbound_cid, protocol, conf_secret, codecs_list, template_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
c.commit()
PY
gen() { /usr/bin/time -f "%M" -o "$work/rss" $bin --database "$db" --conf-dir "$work/conf" conf generate --server 10.20.0.1; cat "$work/rss" >>"$work/rss_all"; }
first=$(gen | head -1)
echo "first generation (no files yet): $first"
: >"$work/times"
for r in $(seq "$rounds"); do
  sqlite3 "$db" "UPDATE phones SET fullname = 'Agent renamed $r' WHERE extension = '100001'"
  gen | head -1 | sed -E 's/.*built in ([0-9.]+) ms, written in ([0-9.]+) ms.*/\1 \2/' >>"$work/times"
done
python3 - "$work/times" "$n" "$(du -b "$work/conf/10.20.0.1" | cut -f1)" "$(sort -n "$work/rss_all" | tail -1)" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
build = sorted(r[0] for r in rows); write = sorted(r[1] for r in rows); total = sorted(r[0] + r[1] for r in rows)
f = lambda v: f"min {v[0]:.1f} / median {statistics.median(v):.1f} / max {v[-1]:.1f} ms"
print(f"{sys.argv[2]} phones, {len(rows)} rounds, {int(sys.argv[3]) // 1024} KiB of conf files")
print(f"  build (read + generate): {f(build)}")
print(f"  write (compare + replace changed): {f(write)}")
print(f"  total: {f(total)}")
print(f"  peak RSS of the generating process: {int(sys.argv[4]) // 1024} MB")
PY
