#!/usr/bin/env bash
# Redis for the manifest cache and the BullMQ queues, on 127.0.0.1 only.
# Usage: scripts/services/redis.sh start|stop|status|cli [args...]
# Env: REDIS_PORT (default 56379). Data: .local/redis/ (AOF on, so queues survive a restart).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PORT="${REDIS_PORT:-56379}"

install_redis() {
  command -v redis-server >/dev/null 2>&1 && return 0
  info "installing redis-server from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
  # The Debian package may start a system instance on 6379; we never use it.
  service redis-server stop >/dev/null 2>&1 || true
}

ping() { redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; }

case "${1:-status}" in
  start)
    install_redis
    if pid_alive redis && ping; then info "redis already running on 127.0.0.1:$PORT"; exit 0; fi
    data="$(state_dir redis)"
    t0=$(now_s)
    # BullMQ requires noeviction: evicting a queue key would lose jobs.
    start_daemon redis "$(log_file redis)" redis-server \
      --bind 127.0.0.1 --port "$PORT" --protected-mode yes --daemonize no \
      --dir "$data" --appendonly yes --appendfsync everysec --save "" \
      --maxmemory-policy noeviction --loglevel warning
    wait_for_port 127.0.0.1 "$PORT" 20 redis
    wait_for_cmd 20 "redis ping" ping
    info "redis ready on 127.0.0.1:$PORT in $(since "$t0")"
    ;;
  stop) stop_daemon redis ;;
  status)
    if pid_alive redis && ping; then echo "redis: running on 127.0.0.1:$PORT (pid $(read_pid redis))"; else echo "redis: stopped"; exit 3; fi
    ;;
  cli) shift; exec redis-cli -h 127.0.0.1 -p "$PORT" "$@" ;;
  *) die "usage: $0 start|stop|status|cli" ;;
esac
