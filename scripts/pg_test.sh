#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster, e.g.
#   scripts/pg_test.sh .venv/bin/python -m pytest -n 2 -m "not browser"
# initdb in a mktemp folder (owned by `postgres` when run as root, since initdb refuses root), listen on
# 127.0.0.1:<free port> only (socket in the same folder), create database dangyuan_test, export
#   TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:<port>/dangyuan_test
# (PG_DRIVER=psycopg2 for the older driver, e.g. to compare the two),
# run the command, then stop the cluster and delete the folder whatever happens (trap on EXIT/INT/TERM).
# Exits with the command's status. Durability is switched off (fsync, synchronous_commit): test data only.
# PG_DURABLE=1 keeps PostgreSQL's defaults instead (fsync, synchronous_commit, full_page_writes on), as in
# production: bench/throughput.py sets it.
# Without PostgreSQL binaries it prints a loud warning and exits 0 (1 when STRICT=1).
# PG_BINDIR overrides where initdb/pg_ctl are looked up.
set -euo pipefail

bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    {
        echo
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo "!!  scripts/pg_test.sh: no PostgreSQL server binaries (apt-get install postgresql)"
        echo "!!  The PostgreSQL test run is SKIPPED."
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo
    } >&2
    [ "${STRICT:-0}" = 1 ] && { echo "STRICT=1: failing instead of skipping." >&2; exit 1; }
    exit 0
fi
[ $# -gt 0 ] || { echo "usage: $0 command [args...]" >&2; exit 2; }

tmp=$(mktemp -d /tmp/pgtest.XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$tmp"
    as_pg=(runuser -u postgres --)
fi
# Run a PostgreSQL program as the cluster owner, from a folder it can read.
pg() { (cd "$tmp" && "${as_pg[@]}" "$bindir/$1" "${@:2}"); }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -f "$tmp/data/postmaster.pid" ]; then
        pg pg_ctl -D "$tmp/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
    exit "$rc"
}
child=
# On INT/TERM: stop the command first (it runs in the background so that `wait` returns at once), then clean up.
on_signal() {
    [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
    exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg initdb -D "$tmp/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$tmp/initdb.log" 2>&1 \
    || { cat "$tmp/initdb.log" >&2; echo "pg_test.sh: initdb failed" >&2; exit 1; }

started=
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${PG_DURABLE:-0}" = 1 ] && durability=""
for attempt in 1 2 3; do
    port=$(free_port)
    if pg pg_ctl -D "$tmp/data" -l "$tmp/server.log" -w -t 60 -s \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp $durability -c max_connections=60" \
        start; then
        started=1
        break
    fi
    echo "pg_test.sh: start on port $port failed (attempt $attempt)" >&2
done
if [ -z "$started" ]; then
    tail -n 30 "$tmp/server.log" >&2 || true
    echo "pg_test.sh: could not start PostgreSQL" >&2
    exit 1
fi

pg createdb -h 127.0.0.1 -p "$port" -U postgres dangyuan_test
export TEST_DATABASE_URL="postgresql+${PG_DRIVER:-psycopg}://postgres@127.0.0.1:$port/dangyuan_test"
echo "pg_test.sh: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($tmp)" >&2

set +e
"$@" &
child=$!
wait "$child"
rc=$?
child=
set -e
exit "$rc"
