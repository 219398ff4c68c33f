#!/usr/bin/env bash
# Local S3-compatible server (versitygw, posix backend with versioning) for development/tests.
#
# Usage: s3.sh start|stop|restart|status|env
#   start    builds versitygw if needed, starts it, waits until it answers, then sets up the
#            bucket (created, versioning Enabled, CORS for browser uploads) via s3-bucket.mjs
#   stop     stops the server (data is kept under .local/s3/)
#   status   exit 0 if running and answering
#   env      prints the S3_* settings as shell exports
# Env overrides (defaults): S3_HOST (127.0.0.1) S3_PORT (57070) S3_ACCESS_KEY (casestorage)
#   S3_SECRET_KEY (casestorage-dev-secret) S3_REGION (us-east-1) S3_BUCKET (case-storage)
#   S3_CORS_ORIGINS (*) S3_SKIP_BUCKET=1 (don't set up the bucket)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

export S3_HOST="${S3_HOST:-127.0.0.1}"
export S3_PORT="${S3_PORT:-57070}"
export S3_ACCESS_KEY="${S3_ACCESS_KEY:-casestorage}"
export S3_SECRET_KEY="${S3_SECRET_KEY:-casestorage-dev-secret}"
export S3_REGION="${S3_REGION:-us-east-1}"
export S3_BUCKET="${S3_BUCKET:-case-storage}"
export S3_ENDPOINT="http://$S3_HOST:$S3_PORT"
NAME=s3

answering() { curl -s -o /dev/null --max-time 2 "$S3_ENDPOINT/"; }

setup_bucket() {
  [[ "${S3_SKIP_BUCKET:-0}" == 1 ]] && return 0
  require_cmd node
  if [[ ! -d "$REPO_ROOT/node_modules/@aws-sdk/client-s3" ]]; then
    die "@aws-sdk/client-s3 is not installed in $REPO_ROOT/node_modules; run 'npm ci' in the repo first (or S3_SKIP_BUCKET=1)"
  fi
  node "$SERVICES_DIR/s3-bucket.mjs"
}

start() {
  local t0 bin data versions
  t0="$(now_s)"
  if pid_alive "$NAME" && answering; then
    info "S3 already running at $S3_ENDPOINT (pid $(read_pid "$NAME"))"
  else
    pid_alive "$NAME" && stop_daemon "$NAME"
    require_cmd curl
    bin="$(require_tool versitygw)"
    data="$(state_dir s3 data)"
    versions="$(state_dir s3 versions)"
    # Credentials go through the environment, not argv.
    ROOT_ACCESS_KEY_ID="$S3_ACCESS_KEY" ROOT_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
      start_daemon "$NAME" "$(log_file "$NAME")" \
      "$bin" --port "$S3_HOST:$S3_PORT" --region "$S3_REGION" --quiet \
      posix --versioning-dir "$versions" "$data"
    wait_for_port "$S3_HOST" "$S3_PORT" 30 "$NAME"
    wait_for_cmd 30 "S3 at $S3_ENDPOINT to answer" answering
    info "S3 (versitygw) listening at $S3_ENDPOINT, data in $data"
  fi
  setup_bucket
  info "S3 ready in $(since "$t0"): endpoint $S3_ENDPOINT bucket $S3_BUCKET region $S3_REGION access key $S3_ACCESS_KEY"
}

status() {
  if pid_alive "$NAME" && answering; then
    info "S3 running at $S3_ENDPOINT (pid $(read_pid "$NAME"))"
  elif pid_alive "$NAME"; then
    info "S3 process alive (pid $(read_pid "$NAME")) but not answering at $S3_ENDPOINT"
    return 1
  else
    info "S3 not running"
    return 1
  fi
}

print_env() {
  local v
  for v in S3_ENDPOINT S3_HOST S3_PORT S3_REGION S3_BUCKET S3_ACCESS_KEY S3_SECRET_KEY; do
    printf 'export %s=%q\n' "$v" "${!v}"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop_daemon "$NAME" ;;
  restart) stop_daemon "$NAME" && start ;;
  status) status ;;
  env) print_env ;;
  *) die "usage: $0 start|stop|restart|status|env" ;;
esac
