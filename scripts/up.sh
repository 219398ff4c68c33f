#!/usr/bin/env bash
# The main job on one machine: install what is missing, start PostgreSQL, Redis and the
# S3 server, apply migrations, seed the demo tenant, build and start the three apps (the
# workspace manager with its workspaces under .local/ai-workspaces and the Markdown agent
# built next to it), wait until each one is ready, then run scripts/demo.mjs: sample
# documents uploaded through the pre-signed flow, a workspace that converts them to
# Markdown and syncs back, the case's tree. Idempotent: running it again restarts the apps.
# Usage: scripts/up.sh            (stop everything with scripts/down.sh)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/services/common.sh"
cd "$REPO_ROOT"

t0=$(now_s)
bash scripts/install.sh
bash scripts/services.sh start postgres redis s3

info "building the apps"
# markdown-agent: the workspace manager's default agent (dist/apps/markdown-agent/main.js).
npx nx run-many -t build -p cli upload-api manifest-service workspace-manager markdown-agent --outputStyle=static >"$(log_file build)" 2>&1 ||
  { tail -n 40 "$(log_file build)" >&2; die "build failed (full log: $(log_file build))"; }

node dist/apps/cli/main.js migrate
node dist/apps/cli/main.js seed >"$(state_dir)/seed.txt"

declare -A PORTS=([upload-api]=3001 [manifest-service]=3002 [workspace-manager]=3003)
for app in upload-api manifest-service workspace-manager; do
  stop_daemon "$app" 10 >/dev/null 2>&1 || true
  : >"$(log_file "$app")"
  extra_env=()
  # Workspaces (with the node's content cache and agent logs) under the checkout, not /var/ai-workspaces.
  if [[ "$app" == workspace-manager ]]; then extra_env=(WORKSPACE_ROOT="$(state_dir ai-workspaces)"); fi
  start_daemon "$app" "$(log_file "$app")" env NODE_ENV=development PORT="${PORTS[$app]}" "${extra_env[@]}" node "dist/apps/$app/main.js"
done
for app in upload-api manifest-service workspace-manager; do
  wait_for_cmd 60 "$app readiness" curl -sf "http://127.0.0.1:${PORTS[$app]}/health/ready" ||
    { tail_log "$app"; die "$app did not become ready"; }
  info "$app ready on http://127.0.0.1:${PORTS[$app]} (log: $(log_file "$app"))"
done

cat "$(state_dir)/seed.txt"
echo
info "demo: sample documents through the pre-signed upload, a workspace that converts them to Markdown, the case's tree"
node scripts/demo.mjs || die "the demo failed (app logs: $(log_dir))"
info "everything is up in $(since "$t0"); stop it with scripts/down.sh"
