#!/usr/bin/env bash
# Installs the OpenSSH server and client from Debian for test/provisioning (the `--ssh`
# delivery test starts its own sshd on a free loopback port; the system service is not used).
# Idempotent: does nothing when /usr/sbin/sshd, ssh, scp and ssh-keygen are present.
set -euo pipefail
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
if have /usr/sbin/sshd && have ssh && have scp && have ssh-keygen && [ -x /usr/lib/openssh/sftp-server ]; then
  echo "openssh-server already installed: $(/usr/sbin/sshd -V 2>&1 | head -1 || true)"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101 keeps Debian's maintainer scripts from starting the system sshd: tests run their own.
policy=/usr/sbin/policy-rc.d
created_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  created_policy=true
fi
trap '[ "$created_policy" = true ] && $SUDO rm -f "$policy"' EXIT
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends openssh-server openssh-client openssh-sftp-server >/dev/null
echo "installed: $(/usr/sbin/sshd -V 2>&1 | head -1 || true)"
