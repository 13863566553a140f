#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL cluster for the test suite.
#   .ci/postgres.sh start   -> prints the URL to export as OGI_TEST_POSTGRES_URL
#   .ci/postgres.sh stop
# initdb/pg_ctl refuse to run as root, so they run as the 'postgres' user (Debian's
# postgresql package creates it); the cluster lives in a temporary directory.
set -euo pipefail
PORT="${OGI_PG_PORT:-54329}"
DATA="${OGI_PG_DATA:-/tmp/ogi-workflow-pg}"

bin_dir() {
  local pg_config
  for pg_config in /usr/lib/postgresql/*/bin/pg_ctl; do
    [ -x "$pg_config" ] && { dirname "$pg_config"; return; }
  done
  return 1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "${1:-}" in
  start)
    if ! BIN=$(bin_dir); then
      echo "installing PostgreSQL (Debian package 'postgresql')" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq postgresql >&2
      BIN=$(bin_dir)
    fi
    "$0" stop  # a cluster left over from an interrupted run
    mkdir -p "$DATA"
    chown postgres:postgres "$DATA" 2>/dev/null || true
    as_postgres "'$BIN/initdb' -D '$DATA' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null"
    as_postgres "'$BIN/pg_ctl' -D '$DATA' -l '$DATA/server.log' -w -o \"-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100\" start >/dev/null"
    as_postgres "'$BIN/psql' -h 127.0.0.1 -p $PORT -U postgres -qc 'CREATE DATABASE ogi_test' >/dev/null"
    echo "postgresql://postgres@127.0.0.1:$PORT/ogi_test"
    ;;
  stop)
    if BIN=$(bin_dir) && [ -f "$DATA/postmaster.pid" ]; then
      as_postgres "'$BIN/pg_ctl' -D '$DATA' -m fast -w stop >/dev/null" || true
    fi
    rm -rf "$DATA"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
