#!/usr/bin/env bash
# Starts the built Dialtone for the e2e run on a fresh SQLite file with one server and one API user
# (who may also manage servers in the web admin).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-3100}
dir=$(mktemp -d)
db="$dir/e2e.db"
bin=${DIALTONE_BIN:-target/debug/dialtone}
"$bin" --database "$db" server add --ip 10.10.10.15 --id e2east --description "e2e server" >/dev/null
"$bin" --database "$db" user add --user e2eview --pass e2eviewpass --level 7 >/dev/null
"$bin" --database "$db" user add --user e2eapi --pass e2eapipass --level 9 --api-access --ast-admin --delete-phones --modify-servers >/dev/null
# A second admin: login checks are limited per user (5 a minute), and both projects check logins.
"$bin" --database "$db" user add --user e2eapi2 --pass e2eapi2pass --level 9 --api-access --ast-admin --delete-phones --modify-servers >/dev/null
exec env LEPTOS_SITE_ROOT="$PWD/target/site" DIALTONE_ADMIN_PASSWORD=e2e-admin-pass \
  "$bin" --database "$db" --conf-dir "$dir/asterisk-conf" serve --listen "127.0.0.1:$port"
