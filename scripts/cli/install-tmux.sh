#!/usr/bin/env bash
# tmux: the pseudo-terminal in which test/cli/up-screen.test.ts drives `kots up` at 100 columns.
set -euo pipefail
if command -v tmux >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-tmux.sh: run as root (apt-get install -y tmux)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends tmux >/dev/null
tmux -V
