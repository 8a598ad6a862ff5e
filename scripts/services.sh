# Peer services for tests and benchmarks, started on loopback in throwaway directories.
# Source this file, then call start_postgres (and start_solr); stop_services stops what was started.

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

# Solr 9 for the search tests: one standalone node and a 2-node SolrCloud (embedded ZooKeeper, a 2-shard
# collection), both from the launcher in index/solr/launcher (built with Maven from Maven Central jars).
SOLR_PORT=${GRENSELOS_SOLR_PORT:-18983}
SOLR_DIR=${GRENSELOS_SOLR_DIR:-/tmp/grenselos-solr-$SOLR_PORT}
SOLR_LAUNCHER=${GRENSELOS_SOLR_LAUNCHER:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/index/solr/launcher}

build_solr_launcher() {
  command -v java >/dev/null || { echo "services: java not found (apt-get install openjdk-17-jdk-headless)" >&2; return 1; }
  command -v mvn >/dev/null || { echo "services: mvn not found (apt-get install maven)" >&2; return 1; }
  local class="$SOLR_LAUNCHER/target/classes/no/grenselos/solr/Launcher.class"
  if [ ! -f "$class" ] || [ ! -d "$SOLR_LAUNCHER/lib" ] || [ "$SOLR_LAUNCHER/pom.xml" -nt "$class" ] \
     || [ -n "$(find "$SOLR_LAUNCHER/src" -newer "$class" -name '*.java')" ]; then
    echo "services: building the Solr launcher (Maven; the first run downloads Solr jars)"
    mkdir -p "$SOLR_DIR"
    mvn -q -B -f "$SOLR_LAUNCHER/pom.xml" package -DskipTests >"$SOLR_DIR/build.log" 2>&1 \
      || { cat "$SOLR_DIR/build.log" >&2; return 1; }
  fi
}

_solr_alive() {  # $1 = name (standalone|cloud): running and READY?
  local pidfile="$SOLR_DIR/$1.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && grep -q '^READY ' "$SOLR_DIR/$1.log"
}

_solr_launch() {  # $1 = mode, rest = launcher options
  local mode=$1; shift
  rm -rf "${SOLR_DIR:?}/$mode"    # a fresh node: never a core left over with an older configset
  (cd "$SOLR_LAUNCHER" && exec java -Xmx1g -Xss2m -cp "target/classes:lib/*" no.grenselos.solr.Launcher \
     "$mode" --work "$SOLR_DIR/$mode" --configset "$SOLR_LAUNCHER/../configset" "$@") \
     >"$SOLR_DIR/$mode.log" 2>&1 &
  echo $! >"$SOLR_DIR/$mode.pid"
}

start_solr() {
  build_solr_launcher || return 1
  mkdir -p "$SOLR_DIR"
  local mode started=()
  _solr_alive standalone || { _solr_launch standalone --port "$SOLR_PORT" --cores grenselos; started+=(standalone); }
  _solr_alive cloud || { _solr_launch cloud --nodes 2 --shards 2 --collection grenselos; started+=(cloud); }
  for mode in standalone cloud; do
    local waited=0
    until grep -q '^READY ' "$SOLR_DIR/$mode.log" 2>/dev/null; do
      if ! kill -0 "$(cat "$SOLR_DIR/$mode.pid")" 2>/dev/null || [ $waited -ge 240 ]; then
        echo "services: Solr $mode did not start; see $SOLR_DIR/$mode.log" >&2
        tail -n 20 "$SOLR_DIR/$mode.log" >&2
        return 1
      fi
      sleep 1; waited=$((waited + 1))
    done
  done
  export GRENSELOS_TEST_SOLR_URL="http://127.0.0.1:$SOLR_PORT/solr"
  GRENSELOS_TEST_SOLRCLOUD_URL=$(sed -n 's/^READY .*"nodes":\["\([^"]*\)".*/\1/p' "$SOLR_DIR/cloud.log" | head -n 1)
  export GRENSELOS_TEST_SOLRCLOUD_URL
  if [ ${#started[@]} -gt 0 ]; then
    echo "services: Solr started (${started[*]}): $GRENSELOS_TEST_SOLR_URL, cloud $GRENSELOS_TEST_SOLRCLOUD_URL"
    STARTED_SOLR=1
  else
    echo "services: Solr already running: $GRENSELOS_TEST_SOLR_URL, cloud $GRENSELOS_TEST_SOLRCLOUD_URL"
  fi
}

stop_solr() {
  local mode pid
  for mode in standalone cloud; do
    [ -f "$SOLR_DIR/$mode.pid" ] || continue
    pid=$(cat "$SOLR_DIR/$mode.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$SOLR_DIR/$mode.pid"
  done
}

stop_services() {
  if [ "${STARTED_SOLR:-0}" = 1 ]; then stop_solr; fi
  if [ "${STARTED_PG:-0}" = 1 ]; then
    local bin run=()
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi
    "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR" -m fast stop >/dev/null 2>&1 || true
  fi
}
