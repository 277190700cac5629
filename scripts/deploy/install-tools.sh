#!/usr/bin/env bash
# Installs the tools test/deploy needs, from the package registries only, into
# ${KOTS_CACHE:-~/.cache/kots}/deploy-tools (idempotent; .ci/run calls it):
#   venv/bin/checkov, venv/bin/python (+ python-hcl2)   PyPI
#   bin/composecheck                                     built from scripts/deploy/composecheck
#                                                        (compose-go, from the Go module proxy)
# Measured on 2 cores (cold caches): checkov + python-hcl2 about 5 min, composecheck about 2.5 min;
# warm: a few seconds. Versions are pinned below.
set -euo pipefail

CHECKOV_VERSION="${KOTS_CHECKOV_VERSION:-3.3.30}"
HCL2_VERSION="${KOTS_PYTHON_HCL2_VERSION:-8.1.4}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="${KOTS_CACHE:-$HOME/.cache/kots}/deploy-tools"
mkdir -p "$tools/bin"
log() { printf '[deploy-tools] %s\n' "$*" >&2; }

# ---- checkov + python-hcl2 in their own venv (checkov pins many libraries; keep them apart)
stamp="$tools/venv/.kots-installed"
want="checkov==$CHECKOV_VERSION python-hcl2==$HCL2_VERSION"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  log "checkov $CHECKOV_VERSION, python-hcl2 $HCL2_VERSION: already in $tools/venv"
else
  start=$(date +%s)
  log "pip install $want (a few minutes on a fresh machine)"
  rm -rf "$tools/venv"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install -q --disable-pip-version-check $want
  echo "$want" > "$stamp"
  log "checkov and python-hcl2 installed in $(( $(date +%s) - start )) s"
fi

# ---- composecheck: Compose file loading/validation with compose-go (what `docker compose config` uses)
src_hash="$(cat "$here/composecheck/go.mod" "$here/composecheck/go.sum" "$here/composecheck/main.go" | sha256sum | cut -c1-16)"
if [ -x "$tools/bin/composecheck" ] && [ "$(cat "$tools/bin/.composecheck-src" 2>/dev/null)" = "$src_hash" ]; then
  log "composecheck: already built"
else
  start=$(date +%s)
  log "building composecheck (go build; downloads compose-go from the Go module proxy)"
  (cd "$here/composecheck" && go build -trimpath -o "$tools/bin/composecheck" .)
  echo "$src_hash" > "$tools/bin/.composecheck-src"
  log "composecheck built in $(( $(date +%s) - start )) s"
fi

# ---- terraform (fmt only: providers come from the Terraform registry, which this workplace cannot reach)
if command -v terraform > /dev/null 2>&1; then
  log "terraform: $(terraform version 2>/dev/null | head -n1) at $(command -v terraform)"
else
  log "terraform: not on PATH; test/deploy/terraform.test.ts will say so (install it from your OS packages)"
fi
