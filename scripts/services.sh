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

# Solr 9 for the search tests: one standalone node, and a SolrCloud of a ZooKeeper and two nodes, each its
# own process on a fixed port with its data kept in $SOLR_DIR (a node killed and started again on the same
# port and folder rejoins the cluster: `start_solr_node N`). All from the launcher in index/solr/launcher
# (built with Maven from Maven Central jars). Tests make their own cores and collections.
SOLR_PORT=${GRENSELOS_SOLR_PORT:-18983}
SOLR_ZK_PORT=${GRENSELOS_SOLR_ZK_PORT:-$((SOLR_PORT + 1))}
SOLR_NODE_PORTS=${GRENSELOS_SOLR_NODE_PORTS:-"$((SOLR_PORT + 2)) $((SOLR_PORT + 3))"}
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

# The W3C Nu HTML Checker for the browser tests (tests/browser/test_html_validity.py): its jars from Maven
# Central, copied by Maven into tests/browser/nu/lib and run as `java -cp 'lib/*' ...SimpleCommandLineValidator`.
NU_CHECKER=${GRENSELOS_NU_CHECKER:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/browser/nu}

build_nu_checker() {
  command -v java >/dev/null || { echo "services: java not found (apt-get install openjdk-17-jdk-headless)" >&2; return 1; }
  command -v mvn >/dev/null || { echo "services: mvn not found (apt-get install maven)" >&2; return 1; }
  if [ ! -d "$NU_CHECKER/lib" ] || [ "$NU_CHECKER/pom.xml" -nt "$NU_CHECKER/lib" ]; then
    echo "services: fetching the Nu HTML Checker (Maven Central)"
    rm -rf "$NU_CHECKER/lib"
    mvn -q -B -f "$NU_CHECKER/pom.xml" package >"$NU_CHECKER/build.log" 2>&1 \
      || { cat "$NU_CHECKER/build.log" >&2; return 1; }
    touch "$NU_CHECKER/lib"
  fi
}

_running() {  # $1 = pid: a live process (a killed one that nobody reaped yet is a zombie: not running)
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

_solr_alive() {  # $1 = process name (standalone|zookeeper|node1|node2...): running and READY?
  local pidfile="$SOLR_DIR/$1.pid"
  [ -f "$pidfile" ] && _running "$(cat "$pidfile")" && grep -q '^READY ' "$SOLR_DIR/$1.log" 2>/dev/null
}

_solr_launch() {  # $1 = process name, $2 = heap, $3 = launcher mode, rest = launcher options
  local name=$1 heap=$2 mode=$3; shift 3
  (cd "$SOLR_LAUNCHER" && exec java "-Xmx$heap" -Xss2m -cp "target/classes:lib/*" no.grenselos.solr.Launcher \
     "$mode" --work "$SOLR_DIR/$name" --configset "$SOLR_LAUNCHER/../configset" "$@") \
     >"$SOLR_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$SOLR_DIR/$name.pid"
  disown $! 2>/dev/null || true    # a node a test kills is no job of this shell's to report as "Killed"
}

_solr_wait() {  # $@ = process names: wait until each printed READY (or died)
  local name waited
  for name in "$@"; do
    waited=0
    until grep -q '^READY ' "$SOLR_DIR/$name.log" 2>/dev/null; do
      if ! _running "$(cat "$SOLR_DIR/$name.pid")" || [ $waited -ge 240 ]; then
        echo "services: Solr $name did not start; see $SOLR_DIR/$name.log" >&2
        tail -n 20 "$SOLR_DIR/$name.log" >&2
        return 1
      fi
      sleep 1; waited=$((waited + 1))
    done
  done
}

_solr_node_port() {  # $1 = node number (1-based)
  local ports=($SOLR_NODE_PORTS)
  echo "${ports[$(($1 - 1))]}"
}

# Start SolrCloud node N (1-based) unless it runs, keeping its data: how a test brings a killed node back.
start_solr_node() {
  local n=$1 port
  port=$(_solr_node_port "$n")
  [ -n "$port" ] || { echo "services: no SolrCloud node $n (ports: $SOLR_NODE_PORTS)" >&2; return 1; }
  mkdir -p "$SOLR_DIR"
  _solr_alive "node$n" || _solr_launch "node$n" 512m node --port "$port" --zk "127.0.0.1:$SOLR_ZK_PORT"
  _solr_wait "node$n"
}

start_solr() {
  build_solr_launcher || return 1
  mkdir -p "$SOLR_DIR"
  local name n started=() nodes=()
  if ! _solr_alive standalone; then
    rm -rf "${SOLR_DIR:?}/standalone"    # a fresh node: never a core left over with an older configset
    _solr_launch standalone 1g standalone --port "$SOLR_PORT" --cores grenselos; started+=(standalone)
  fi
  if ! _solr_alive zookeeper; then
    _solr_launch zookeeper 128m zookeeper --port "$SOLR_ZK_PORT"; started+=(zookeeper)
  fi
  _solr_wait zookeeper || return 1
  n=0
  for _ in $SOLR_NODE_PORTS; do
    n=$((n + 1))
    if ! _solr_alive "node$n"; then
      _solr_launch "node$n" 512m node --port "$(_solr_node_port $n)" --zk "127.0.0.1:$SOLR_ZK_PORT"
      started+=("node$n")
    fi
    nodes+=("http://127.0.0.1:$(_solr_node_port $n)/solr")
  done
  for name in standalone $(seq -f 'node%g' 1 "$n"); do _solr_wait "$name" || return 1; done
  # What tests read; exporting the ports and folder lets a child shell `start_solr_node` the same node.
  export GRENSELOS_SOLR_PORT=$SOLR_PORT GRENSELOS_SOLR_ZK_PORT=$SOLR_ZK_PORT
  export GRENSELOS_SOLR_NODE_PORTS=$SOLR_NODE_PORTS GRENSELOS_SOLR_DIR=$SOLR_DIR
  export GRENSELOS_TEST_SOLR_URL="http://127.0.0.1:$SOLR_PORT/solr"
  export GRENSELOS_TEST_SOLRCLOUD_URL=${nodes[0]}
  GRENSELOS_TEST_SOLRCLOUD_NODES=$(IFS=,; echo "${nodes[*]}")
  export GRENSELOS_TEST_SOLRCLOUD_NODES GRENSELOS_TEST_SOLRCLOUD_ZK="127.0.0.1:$SOLR_ZK_PORT"
  if [ ${#started[@]} -gt 0 ]; then
    echo "services: Solr started (${started[*]}): $GRENSELOS_TEST_SOLR_URL, cloud $GRENSELOS_TEST_SOLRCLOUD_NODES (ZooKeeper $GRENSELOS_TEST_SOLRCLOUD_ZK)"
    STARTED_SOLR=1
  else
    echo "services: Solr already running: $GRENSELOS_TEST_SOLR_URL, cloud $GRENSELOS_TEST_SOLRCLOUD_NODES (ZooKeeper $GRENSELOS_TEST_SOLRCLOUD_ZK)"
  fi
}

stop_solr() {
  local pidfile pid
  for pidfile in "$SOLR_DIR"/node*.pid "$SOLR_DIR/zookeeper.pid" "$SOLR_DIR/standalone.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if _running "$pid"; then
      kill "$pid" 2>/dev/null
      for _ in $(seq 1 30); do _running "$pid" || break; sleep 1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
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
