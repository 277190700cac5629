# shellcheck shell=bash
# Endpoints of the test servers (see start.sh), for the test suite.
#   . scripts/servers/env.sh          # export them into this shell
#   scripts/servers/env.sh            # print them as `export NAME=value` lines
#   scripts/servers/env.sh --dotenv   # print them as NAME=value lines
_kots_env_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$_kots_env_dir/lib.sh"

export KOTS_CACHE KOTS_STATE
export KOTS_SERVERS_SCRIPTS="$_kots_env_dir"
export KOTS_KAFKA_HOME
export KOTS_TEST_KAFKA_BROKERS="$KOTS_HOST:$KOTS_KAFKA_PORT"
export KOTS_TEST_S3_ENDPOINT="http://$KOTS_HOST:$KOTS_MINIO_PORT"
export KOTS_TEST_S3_REGION="us-east-1"
export KOTS_TEST_S3_ACCESS_KEY="$KOTS_MINIO_USER"
export KOTS_TEST_S3_SECRET_KEY="$KOTS_MINIO_PASSWORD"
export KOTS_TEST_MQTT_URL="mqtt://$KOTS_HOST:$KOTS_MQTT_PORT"
export KOTS_TEST_VAULT_ADDR="http://$KOTS_HOST:$KOTS_BAO_PORT"
export KOTS_TEST_VAULT_TOKEN="$KOTS_BAO_TOKEN"
export KOTS_DUCKDB_EXTENSION_DIR

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  for _v in KOTS_CACHE KOTS_STATE KOTS_SERVERS_SCRIPTS KOTS_KAFKA_HOME KOTS_TEST_KAFKA_BROKERS \
    KOTS_TEST_S3_ENDPOINT KOTS_TEST_S3_REGION KOTS_TEST_S3_ACCESS_KEY KOTS_TEST_S3_SECRET_KEY \
    KOTS_TEST_MQTT_URL KOTS_TEST_VAULT_ADDR KOTS_TEST_VAULT_TOKEN KOTS_DUCKDB_EXTENSION_DIR; do
    if [ "${1:-}" = "--dotenv" ]; then
      printf '%s=%s\n' "$_v" "${!_v}"
    else
      printf 'export %s=%q\n' "$_v" "${!_v}"
    fi
  done
fi
unset _kots_env_dir _v
