#!/usr/bin/env bash
# Installs what the single-binary tests need to run the arm64 and armv7l agent
# binaries on an x86-64 machine: qemu-user and the target C libraries (Debian
# packages). The armv7l Node binary also needs libatomic from the armhf cross
# libraries. Idempotent; run as root (CI runs as root).
set -euo pipefail

packages=(qemu-user libc6-arm64-cross libc6-armhf-cross libstdc++6-arm64-cross libstdc++6-armhf-cross libatomic1-armhf-cross)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-qemu: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-qemu: installed ${missing[*]}"
