#!/usr/bin/env bash
# Headless Chromium for the browser end-to-end tests (driven by playwright-core, which
# never downloads a browser of its own): Debian's `chromium` package at /usr/bin/chromium.
#
# Usage: chromium.sh ensure|status|path
#   ensure   installs Debian's chromium with apt-get if /usr/bin/chromium is missing
#            (idempotent: a second run only checks), then prints the version
#   status   exit 0 if /usr/bin/chromium exists and runs
#   path     prints the executable path the tests use
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CHROMIUM_BIN=/usr/bin/chromium

version() { "$CHROMIUM_BIN" --headless --no-sandbox --version 2>/dev/null | head -n1; }

ensure() {
  local t0
  t0="$(now_s)"
  if [[ -x "$CHROMIUM_BIN" ]]; then
    info "chromium present: $(version)"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "$CHROMIUM_BIN is missing and apt-get is not available; install Debian's chromium package"
  info "installing Debian's chromium package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends keeps it lean; fonts-liberation gives pages a real font.
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
  [[ -x "$CHROMIUM_BIN" ]] || die "chromium installed but $CHROMIUM_BIN is missing"
  info "chromium installed in $(since "$t0"): $(version)"
}

status() {
  if [[ -x "$CHROMIUM_BIN" ]] && version >/dev/null; then
    info "chromium: $(version)"
  else
    info "chromium missing at $CHROMIUM_BIN (run $0 ensure)"
    return 1
  fi
}

case "${1:-}" in
  ensure) ensure ;;
  status) status ;;
  path) printf '%s\n' "$CHROMIUM_BIN" ;;
  *) die "usage: $0 ensure|status|path" ;;
esac
