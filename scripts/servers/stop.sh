#!/usr/bin/env bash
# Stop test servers started by start.sh (their data is kept; start.sh --fresh wipes it).
#   scripts/servers/stop.sh [kafka|minio|mosquitto|openbao|all] ...
# Sends SIGTERM (Kafka then shuts down cleanly, flushing its logs), waits, then SIGKILL.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${KOTS_STOP_TIMEOUT:=60}"

stop_one() {
  local name="$1" pidfile="$KOTS_STATE/$1/$1.pid" pid deadline
  if ! kots_pid_alive "$pidfile"; then
    rm -f "$pidfile"
    kots_log "$name: not running"
    return
  fi
  pid="$(cat "$pidfile")"
  kots_log "$name: stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(($(date +%s) + KOTS_STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      kots_log "$name: still running after ${KOTS_STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$pidfile"
  kots_log "$name: stopped"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(all)
for t in "${targets[@]}"; do
  case "$t" in
    all) for s in $KOTS_ALL_SERVERS; do stop_one "$s"; done ;;
    kafka | minio | mosquitto | openbao) stop_one "$t" ;;
    bao | vault) stop_one openbao ;;
    -h | --help) sed -n '2,4p' "$0"; exit 0 ;;
    *) kots_die "unknown server '$t' (kafka|minio|mosquitto|openbao|all)" ;;
  esac
done
