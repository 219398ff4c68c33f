#!/usr/bin/env bash
# Starts, stops or reports every backing service, in dependency order.
# Usage: scripts/services.sh start|stop|status [postgres redis s3 kube]   (default: all four)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/services/common.sh"

action="${1:-status}"
shift || true
services=("$@")
((${#services[@]})) || services=(postgres redis s3 kube)

rc=0
case "$action" in
  start)
    for s in "${services[@]}"; do bash "$SERVICES_DIR/$s.sh" start; done
    ;;
  stop)
    # Reverse order: the control plane before its store, and so on.
    for ((i = ${#services[@]} - 1; i >= 0; i--)); do bash "$SERVICES_DIR/${services[i]}.sh" stop || rc=1; done
    ;;
  status)
    for s in "${services[@]}"; do bash "$SERVICES_DIR/$s.sh" status || rc=3; done
    ;;
  *) die "usage: $0 start|stop|status [postgres redis s3 kube]" ;;
esac
exit $rc
