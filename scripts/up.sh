#!/usr/bin/env bash
# The main job on one machine: install what is missing, start PostgreSQL, Redis and the
# S3 server, apply migrations, seed the demo tenant, build and start the three apps, and
# wait until each one is ready, then upload two files through the real pre-signed flow and
# print the case's tree (scripts/demo.mjs). Idempotent: running it again restarts the apps.
# Usage: scripts/up.sh            (stop everything with scripts/down.sh)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/services/common.sh"
cd "$REPO_ROOT"

t0=$(now_s)
bash scripts/install.sh
bash scripts/services.sh start postgres redis s3

info "building the apps"
npx nx run-many -t build -p cli upload-api manifest-service workspace-manager --outputStyle=static >"$(log_file build)" 2>&1 ||
  { tail -n 40 "$(log_file build)" >&2; die "build failed (full log: $(log_file build))"; }

node dist/apps/cli/main.js migrate
node dist/apps/cli/main.js seed >"$(state_dir)/seed.txt"

declare -A PORTS=([upload-api]=3001 [manifest-service]=3002 [workspace-manager]=3003)
for app in upload-api manifest-service workspace-manager; do
  stop_daemon "$app" 10 >/dev/null 2>&1 || true
  : >"$(log_file "$app")"
  start_daemon "$app" "$(log_file "$app")" env NODE_ENV=development PORT="${PORTS[$app]}" node "dist/apps/$app/main.js"
done
for app in upload-api manifest-service workspace-manager; do
  wait_for_cmd 60 "$app readiness" curl -sf "http://127.0.0.1:${PORTS[$app]}/health/ready" ||
    { tail_log "$app"; die "$app did not become ready"; }
  info "$app ready on http://127.0.0.1:${PORTS[$app]} (log: $(log_file "$app"))"
done

cat "$(state_dir)/seed.txt"
echo
info "demo: uploading two files through the pre-signed flow and listing the case"
node scripts/demo.mjs
info "everything is up in $(since "$t0"); stop it with scripts/down.sh"
