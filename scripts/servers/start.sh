#!/usr/bin/env bash
# Start the test servers on 127.0.0.1 and wait until each is really ready.
#   scripts/servers/start.sh [--fresh] [kafka|minio|mosquitto|openbao|all] ...
# Data, logs and pid files are in ${KOTS_STATE:-/tmp/kots-servers}/<name>/. Data is kept across
# stop/start (Kafka topics and offsets, MinIO objects) unless --fresh wipes it first (a running
# server is stopped first then). Without --fresh a server that is already running is left as it
# is. Install first with install.sh.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${KOTS_START_TIMEOUT:=120}"
FRESH=""

# http_ok URL -> 0 when the URL answers 200.
http_ok() {
  if command -v curl >/dev/null 2>&1; then
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null)" = 200 ]
  else
    local rest="${1#http://}" hostport path
    hostport="${rest%%/*}"
    path="/${rest#*/}"
    (
      exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}" || exit 1
      printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&3
      head -n1 <&3 | grep -q ' 200 '
    ) 2>/dev/null
  fi
}

# launch NAME LOGFILE CMD... : start CMD detached (own session, no tty, stdio to LOGFILE).
launch() {
  local name="$1" log="$2"
  shift 2
  local dir="$KOTS_STATE/$name"
  : >>"$log"
  if command -v setsid >/dev/null 2>&1; then
    setsid "$@" </dev/null >>"$log" 2>&1 &
  else
    nohup "$@" </dev/null >>"$log" 2>&1 &
  fi
  echo $! >"$dir/$name.pid"
}

# wait_ready NAME "LOG..." CHECK-FUNCTION : wait until CHECK succeeds, the process dies, or
# timeout; on failure the LOG files (space separated) are shown.
wait_ready() {
  local name="$1" logs="$2" check="$3" deadline log
  local pidfile="$KOTS_STATE/$name/$name.pid"
  deadline=$(($(date +%s) + KOTS_START_TIMEOUT))
  while :; do
    if "$check"; then
      return 0
    fi
    if ! kots_pid_alive "$pidfile"; then
      kots_log "$name: the process exited during start"
      for log in $logs; do kots_log_tail "$log"; done
      rm -f "$pidfile"
      exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      kots_log "$name: not ready after ${KOTS_START_TIMEOUT}s (pid $(cat "$pidfile"), still running; stop it with stop.sh $name)"
      for log in $logs; do kots_log_tail "$log"; done
      exit 1
    fi
    sleep 0.3
  done
}

# already_running NAME CHECK : 0 when our process runs (waits for it to be ready too).
already_running() {
  local name="$1" check="$2" log="$3"
  if [ -n "$FRESH" ] && kots_pid_alive "$KOTS_STATE/$name/$name.pid"; then
    kots_log "$name: --fresh, stopping the running server first"
    "$KOTS_SERVERS_DIR/stop.sh" "$name"
  fi
  if kots_pid_alive "$KOTS_STATE/$name/$name.pid"; then
    wait_ready "$name" "$log" "$check"
    kots_log "$name: already running (pid $(cat "$KOTS_STATE/$name/$name.pid"))"
    return 0
  fi
  rm -f "$KOTS_STATE/$name/$name.pid"
  return 1
}

port_free_or_die() {
  if kots_port_open "$KOTS_HOST" "$2"; then
    kots_die "$1: port $KOTS_HOST:$2 is already taken by another process (not started by these scripts)"
  fi
}

# ---------------------------------------------------------------- Kafka
# Ready = the port accepts connections and the server logged 'Kafka Server started' since the
# launch (server.log is appended to; logs/start-offset holds its size at launch).
kafka_ready() {
  local log="$KOTS_STATE/kafka/logs/server.log" mark=0
  kots_port_open "$KOTS_HOST" "$KOTS_KAFKA_PORT" || return 1
  [ -f "$log" ] || return 1
  mark="$(cat "$KOTS_STATE/kafka/logs/start-offset" 2>/dev/null || echo 0)"
  # no grep -q: it would close the pipe early and fail the pipeline under pipefail
  tail -c +"$((mark + 1))" "$log" | grep 'Kafka Server started' >/dev/null
}

start_kafka() {
  local dir="$KOTS_STATE/kafka" home="$KOTS_KAFKA_HOME"
  local data="${KOTS_KAFKA_DATA:-$dir/data}"
  [ -f "$home/.installed" ] || kots_die "kafka: not installed in $home (run scripts/servers/install.sh kafka)"
  mkdir -p "$dir/logs"
  if already_running kafka kafka_ready "$dir/logs/stdout.log $dir/logs/server.log"; then return; fi
  port_free_or_die kafka "$KOTS_KAFKA_PORT"
  port_free_or_die kafka-controller "$KOTS_KAFKA_CONTROLLER_PORT"
  if [ -n "$FRESH" ]; then
    kots_log "kafka: --fresh, wiping $data"
    rm -rf "$data"
  fi
  mkdir -p "$data"
  cat >"$dir/server.properties" <<EOF
# Written by scripts/servers/start.sh: a single Kafka node in KRaft mode (broker + controller).
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KOTS_HOST:$KOTS_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KOTS_HOST:$KOTS_KAFKA_PORT,CONTROLLER://$KOTS_HOST:$KOTS_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KOTS_HOST:$KOTS_KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data
num.partitions=$KOTS_KAFKA_PARTITIONS
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
EOF
  local java_log="-Dlog4j2.configurationFile=$KOTS_SERVERS_DIR/kafka/log4j2.xml"
  if [ ! -f "$data/meta.properties" ]; then
    local cluster_id
    # a Kafka cluster id is 16 random bytes in unpadded base64url (what 'random-uuid' prints);
    # one starting with '-' would be taken for an option by the storage tool: draw again
    cluster_id="-"
    while [[ "$cluster_id" != [A-Za-z0-9]* ]]; do
      cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    done
    kots_log "kafka: formatting $data (cluster id $cluster_id)"
    java -Dlog4j2.configurationFile="$KOTS_SERVERS_DIR/kafka/tools-log4j2.xml" -cp "$home/lib/*" \
      kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$dir/server.properties" \
      >>"$dir/logs/format.log" 2>&1 || {
      kots_log_tail "$dir/logs/format.log"
      kots_die "kafka: storage format failed"
    }
  fi
  # keep server.log small: roll it over at 20 MB
  if [ -f "$dir/logs/server.log" ] && [ "$(wc -c <"$dir/logs/server.log")" -gt 20000000 ]; then
    mv -f "$dir/logs/server.log" "$dir/logs/server.log.1"
  fi
  if [ -f "$dir/logs/server.log" ]; then wc -c <"$dir/logs/server.log" >"$dir/logs/start-offset"; else echo 0 >"$dir/logs/start-offset"; fi
  kots_log "kafka $KOTS_KAFKA_VERSION: starting on $KOTS_HOST:$KOTS_KAFKA_PORT (controller :$KOTS_KAFKA_CONTROLLER_PORT, data $data)"
  # shellcheck disable=SC2086
  launch kafka "$dir/logs/stdout.log" java $KOTS_KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dkafka.logs.dir="$dir/logs" "$java_log" \
    -cp "$home/lib/*" kafka.Kafka "$dir/server.properties"
  wait_ready kafka "$dir/logs/stdout.log $dir/logs/server.log" kafka_ready
  kots_log "kafka: ready (pid $(cat "$dir/kafka.pid"), log $dir/logs/server.log)"
}

# ---------------------------------------------------------------- MinIO
minio_ready() { http_ok "http://$KOTS_HOST:$KOTS_MINIO_PORT/minio/health/live"; }

start_minio() {
  local dir="$KOTS_STATE/minio"
  local data="${KOTS_MINIO_DATA:-$dir/data}"
  [ -x "$KOTS_MINIO_BIN" ] || kots_die "minio: not installed at $KOTS_MINIO_BIN (run scripts/servers/install.sh minio)"
  mkdir -p "$dir"
  if already_running minio minio_ready "$dir/minio.log"; then return; fi
  port_free_or_die minio "$KOTS_MINIO_PORT"
  port_free_or_die minio-console "$KOTS_MINIO_CONSOLE_PORT"
  if [ -n "$FRESH" ]; then
    kots_log "minio: --fresh, wiping $data"
    rm -rf "$data"
  fi
  mkdir -p "$data"
  kots_log "minio: starting on $KOTS_HOST:$KOTS_MINIO_PORT (console :$KOTS_MINIO_CONSOLE_PORT, data $data)"
  launch minio "$dir/minio.log" env \
    MINIO_ROOT_USER="$KOTS_MINIO_USER" MINIO_ROOT_PASSWORD="$KOTS_MINIO_PASSWORD" \
    MINIO_UPDATE=off MINIO_CI_CD=1 MINIO_BROWSER_REDIRECT=off \
    "$KOTS_MINIO_BIN" server --anonymous \
    --address "$KOTS_HOST:$KOTS_MINIO_PORT" --console-address "$KOTS_HOST:$KOTS_MINIO_CONSOLE_PORT" \
    "$data"
  wait_ready minio "$dir/minio.log" minio_ready
  kots_log "minio: ready (pid $(cat "$dir/minio.pid"), user $KOTS_MINIO_USER)"
}

# ---------------------------------------------------------------- Mosquitto
mosquitto_ready() { kots_port_open "$KOTS_HOST" "$KOTS_MQTT_PORT"; }

start_mosquitto() {
  local dir="$KOTS_STATE/mosquitto" bin
  bin="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
  [ -x "$bin" ] || kots_die "mosquitto: not installed (run scripts/servers/install.sh mosquitto)"
  mkdir -p "$dir"
  if already_running mosquitto mosquitto_ready "$dir/mosquitto.log"; then return; fi
  port_free_or_die mosquitto "$KOTS_MQTT_PORT"
  {
    echo "# Written by scripts/servers/start.sh"
    echo "listener $KOTS_MQTT_PORT $KOTS_HOST"
    echo "allow_anonymous true"
    # the default (1000) silently drops messages for a subscriber that falls behind
    echo "max_queued_messages 0"
    echo "persistence false"
    echo "log_dest stderr"
    echo "log_type error"
    echo "log_type warning"
    echo "log_type notice"
    echo "log_type information"
    echo "connection_messages true"
    echo "log_timestamp_format %Y-%m-%dT%H:%M:%S"
    # as root mosquitto drops privileges to the 'mosquitto' user; stay root if it is missing
    if [ "$(id -u)" = 0 ] && ! id mosquitto >/dev/null 2>&1; then echo "user root"; fi
  } >"$dir/mosquitto.conf"
  kots_log "mosquitto: starting on $KOTS_HOST:$KOTS_MQTT_PORT"
  launch mosquitto "$dir/mosquitto.log" "$bin" -c "$dir/mosquitto.conf"
  wait_ready mosquitto "$dir/mosquitto.log" mosquitto_ready
  kots_log "mosquitto: ready (pid $(cat "$dir/mosquitto.pid"))"
}

# ---------------------------------------------------------------- OpenBao (dev server, in memory)
openbao_ready() { http_ok "http://$KOTS_HOST:$KOTS_BAO_PORT/v1/sys/health"; }

start_openbao() {
  local dir="$KOTS_STATE/openbao"
  [ -x "$KOTS_BAO_BIN" ] || kots_die "openbao: not installed at $KOTS_BAO_BIN (run scripts/servers/install.sh openbao)"
  mkdir -p "$dir/home"
  if already_running openbao openbao_ready "$dir/openbao.log"; then return; fi
  port_free_or_die openbao "$KOTS_BAO_PORT"
  kots_log "openbao: starting a dev server on $KOTS_HOST:$KOTS_BAO_PORT (root token $KOTS_BAO_TOKEN; in memory)"
  # HOME is pointed at the state dir so the dev server's ~/.vault-token stays out of the user's home
  launch openbao "$dir/openbao.log" env HOME="$dir/home" \
    "$KOTS_BAO_BIN" server -dev -dev-root-token-id="$KOTS_BAO_TOKEN" \
    -dev-listen-address="$KOTS_HOST:$KOTS_BAO_PORT" -dev-no-store-token
  wait_ready openbao "$dir/openbao.log" openbao_ready
  kots_log "openbao: ready (pid $(cat "$dir/openbao.pid"))"
}

# ---------------------------------------------------------------- main
targets=()
for a in "$@"; do
  case "$a" in
    --fresh) FRESH=1 ;;
    -h | --help)
      sed -n "2,7p" "$0"
      exit 0
      ;;
    *) targets+=("$a") ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(all)
mkdir -p "$KOTS_STATE"
for t in "${targets[@]}"; do
  case "$t" in
    all) for s in $KOTS_ALL_SERVERS; do "start_$s"; done ;;
    kafka | minio | mosquitto | openbao) "start_$t" ;;
    bao | vault) start_openbao ;;
    *) kots_die "unknown server '$t' (kafka|minio|mosquitto|openbao|all)" ;;
  esac
done
