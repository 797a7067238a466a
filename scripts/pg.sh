#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests, as the `postgres` user in a temporary directory,
# listening only on a Unix socket there.
#   dir=$(bash scripts/pg.sh start)   # prints the socket directory (use as PGHOST)
#   bash scripts/pg.sh stop "$dir"    # stops the server and removes the directory
# Installs Debian's PostgreSQL server packages when no server binaries are present.
set -euo pipefail
port=${QUERYSIGHT_PG_PORT:-54329}

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_postgres() {
  if [[ $(id -un) == postgres ]]; then bash -c "$1"; else su postgres -s /bin/bash -c "$1"; fi
}

case "${1:-}" in
  start)
    bin=$(pg_bin)
    if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
      echo "installing PostgreSQL server packages" >&2
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
      bin=$(pg_bin)
    fi
    id postgres >/dev/null 2>&1 || { echo "no postgres user" >&2; exit 1; }
    dir=$(mktemp -d /tmp/querysight-pg.XXXXXX)
    chown postgres "$dir"
    chmod 700 "$dir"
    as_postgres "'$bin/initdb' -D '$dir/data' -A trust -U postgres --no-sync -E UTF8 >'$dir/initdb.log' 2>&1"
    as_postgres "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"-k '$dir' -p $port -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start >'$dir/pg_ctl.log' 2>&1" \
      || { cat "$dir/server.log" >&2; exit 1; }
    chmod 755 "$dir"
    echo "$dir"
    ;;
  stop)
    dir=${2:?usage: pg.sh stop DIR}
    bin=$(pg_bin)
    [[ -d "$dir/data" ]] && as_postgres "'$bin/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1" || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg.sh start | stop DIR" >&2; exit 2 ;;
esac
