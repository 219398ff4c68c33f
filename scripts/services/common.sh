# shellcheck shell=bash
# Common helpers for the local-service scripts in scripts/services/.
# Source it from a script:   . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# It does not change shell options; callers use `set -euo pipefail` themselves.
#
# Layout (all under the repo, git-ignored):
#   $REPO/.local/<service>/   data of each service          (state_dir <service>)
#   $REPO/.local/run/<n>.pid  pid file of each daemon        (pid_file <n>)
#   $REPO/.local/log/<n>.log  log of each daemon             (log_file <n>)
#
# Functions:
#   repo_root                      absolute path of the repo (also exported as REPO_ROOT)
#   state_dir [sub...]             $REPO/.local[/sub...], created; prints the path
#   run_dir / log_dir              $REPO/.local/run, $REPO/.local/log, created
#   pid_file NAME / log_file NAME  .local/run/NAME.pid, .local/log/NAME.log
#   info MSG... / warn MSG... / die MSG...   messages on stderr, prefixed with the script name
#                                  (die exits 1)
#   now_s                          seconds since epoch, with fractions
#   since START                    seconds elapsed since START (from now_s), e.g. "3.4s"
#   read_pid NAME                  prints the pid in NAME's pid file (empty if none)
#   pid_alive NAME                 true if NAME's pid file names a live, non-zombie process
#   start_daemon NAME LOGFILE CMD...
#                                  starts CMD in the background in its own session (setsid,
#                                  stdin from /dev/null, stdout+stderr appended to LOGFILE),
#                                  writes the pid file; does nothing if NAME is alive already
#                                  (returns 0). The started process should be the daemon
#                                  itself (use `exec` in any wrapper) so the pid is the daemon.
#   stop_daemon NAME [TIMEOUT=15]  SIGTERM to NAME's process group, then SIGKILL after
#                                  TIMEOUT s; removes the pid file; fine if not running
#   wait_for_port HOST PORT [TIMEOUT=30] [NAME]
#                                  waits until a TCP connect succeeds; if NAME is given and
#                                  its daemon dies meanwhile, fails at once and prints the
#                                  tail of its log
#   wait_for_cmd TIMEOUT DESC CMD...  retries CMD (silently) every 0.2 s until it succeeds
#   tail_log NAME [LINES=30]       prints the last lines of NAME's log on stderr
#   tools_bin_dir                  bin dir of the Go tools built from tools/go (see
#                                  build-tools.sh): ${CASE_STORAGE_CACHE:-~/.cache/case-storage}
#                                  /tools/<hash of tools/go/go.mod+go.sum>/bin (not created)
#   require_tool NAME              prints the path of tool NAME in tools_bin_dir, building it
#                                  with build-tools.sh first if it is missing
#   require_cmd NAME...            dies with a clear message if a command is not on PATH

if [[ -z "${REPO_ROOT:-}" ]]; then
  REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  export REPO_ROOT
fi
SERVICES_DIR="$REPO_ROOT/scripts/services"

repo_root() { printf '%s\n' "$REPO_ROOT"; }

state_dir() {
  local d="$REPO_ROOT/.local"
  local part
  for part in "$@"; do d="$d/$part"; done
  mkdir -p "$d"
  printf '%s\n' "$d"
}
run_dir() { state_dir run; }
log_dir() { state_dir log; }
pid_file() { printf '%s/%s.pid\n' "$(run_dir)" "$1"; }
log_file() { printf '%s/%s.log\n' "$(log_dir)" "$1"; }

_cs_prog() { basename "${0:-services}"; }
info() { printf '[%s] %s\n' "$(_cs_prog)" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$(_cs_prog)" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$(_cs_prog)" "$*" >&2; exit 1; }

now_s() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1fs", e - s }'; }

require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "'$c' is required but not on PATH (Debian: apt-get install $c)"
  done
}

read_pid() {
  local f
  f="$(pid_file "$1")"
  [[ -s "$f" ]] && tr -dc '0-9' <"$f" || true
}

pid_alive() {
  local pid state
  pid="$(read_pid "$1")"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # A zombie still answers kill -0; treat it as dead.
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ "$state" != "Z" && -n "$state" ]]
}

tail_log() {
  local f
  f="$(log_file "$1")"
  [[ -f "$f" ]] || return 0
  printf -- '----- last lines of %s -----\n' "$f" >&2
  tail -n "${2:-30}" "$f" >&2 || true
  printf -- '-----\n' >&2
}

start_daemon() {
  local name="$1" logfile="$2"
  shift 2
  if pid_alive "$name"; then
    info "$name already running (pid $(read_pid "$name"))"
    return 0
  fi
  mkdir -p "$(dirname "$logfile")"
  printf '\n=== %s: starting %s: %s\n' "$(date -u +%FT%TZ)" "$name" "$*" >>"$logfile"
  setsid "$@" </dev/null >>"$logfile" 2>&1 &
  local pid=$!
  printf '%s\n' "$pid" >"$(pid_file "$name")"
  info "started $name (pid $pid, log $logfile)"
}

stop_daemon() {
  local name="$1" timeout="${2:-15}" pid i
  pid="$(read_pid "$name")"
  if [[ -z "$pid" ]] || ! pid_alive "$name"; then
    rm -f "$(pid_file "$name")"
    info "$name not running"
    return 0
  fi
  info "stopping $name (pid $pid)"
  # The daemon was started with setsid, so its pid is its process group id.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    pid_alive "$name" || break
    sleep 0.1
  done
  if pid_alive "$name"; then
    warn "$name did not stop in ${timeout}s; sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$(pid_file "$name")"
  info "$name stopped"
}

wait_for_port() {
  local host="$1" port="$2" timeout="${3:-30}" name="${4:-}" i
  for ((i = 0; i < timeout * 5; i++)); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      return 0
    fi
    if [[ -n "$name" ]] && ! pid_alive "$name"; then
      tail_log "$name"
      die "$name exited before listening on $host:$port"
    fi
    sleep 0.2
  done
  [[ -n "$name" ]] && tail_log "$name"
  die "timed out after ${timeout}s waiting for $host:$port${name:+ ($name)}"
}

wait_for_cmd() {
  local timeout="$1" desc="$2" i
  shift 2
  for ((i = 0; i < timeout * 5; i++)); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  die "timed out after ${timeout}s waiting for $desc"
}

tools_go_dir() { printf '%s/tools/go\n' "$REPO_ROOT"; }

tools_hash() {
  local d
  d="$(tools_go_dir)"
  cat "$d/go.mod" "$d/go.sum" | sha256sum | cut -c1-16
}

tools_bin_dir() {
  printf '%s/tools/%s/bin\n' "${CASE_STORAGE_CACHE:-$HOME/.cache/case-storage}" "$(tools_hash)"
}

require_tool() {
  local name="$1" bin
  bin="$(tools_bin_dir)/$name"
  if [[ ! -x "$bin" ]]; then
    info "$name not built yet; running build-tools.sh $name"
    "$SERVICES_DIR/build-tools.sh" "$name" >&2
  fi
  [[ -x "$bin" ]] || die "tool $name missing at $bin after build"
  printf '%s\n' "$bin"
}
