# Peer services for tests and benchmarks, started on loopback in throwaway directories.
# Source this file, then call start_postgres; stop_services stops what was started.

PG_PORT=${GRENSELOS_PG_PORT:-55432}
PG_DIR=${GRENSELOS_PG_DIR:-/tmp/grenselos-pg-$PG_PORT}

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || { echo "services: PostgreSQL is not installed" >&2; return 1; }
  local run=()
  if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi
  if [ -n "$("${run[@]}" "$bin/pg_ctl" -D "$PG_DIR" status 2>/dev/null | grep 'server is running')" ]; then
    echo "services: PostgreSQL already running on 127.0.0.1:$PG_PORT"
  else
    rm -rf "$PG_DIR"
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
    "${run[@]}" "$bin/initdb" -D "$PG_DIR" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/log" -w \
      -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    echo "services: PostgreSQL started on 127.0.0.1:$PG_PORT"
  fi
  export GRENSELOS_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
  STARTED_PG=1
}

stop_services() {
  if [ "${STARTED_PG:-0}" = 1 ]; then
    local bin run=()
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi
    "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR" -m fast stop >/dev/null 2>&1 || true
  fi
}
