#!/usr/bin/env bash
# Stops the three apps and every backing service that scripts/up.sh or scripts/test.sh
# started. Data stays under .local/ for the next start.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/services/common.sh"
for app in workspace-manager manifest-service upload-api; do stop_daemon "$app" 10; done
bash "$REPO_ROOT/scripts/services.sh" stop
