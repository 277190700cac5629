#!/usr/bin/env bash
# Debian's Chromium for the dashboard's browser test (test/dashboard/*.test.ts).
# Playwright drives it through playwright-core with executablePath /usr/bin/chromium;
# `npx playwright install` is never used (it downloads a browser build of its own).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium.sh: run as root (apt-get install -y chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
