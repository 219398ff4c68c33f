#!/usr/bin/env bash
# PostgreSQL 15 for development and the integration tests, on 127.0.0.1 only.
#
# Usage: scripts/services/postgres.sh start|stop|restart|status|psql [args...]|env
#   start    initdb on first use, start the server, then (idempotently) create the roles and
#            the database; a second start of a running server only re-checks roles (fast)
#   stop     fast shutdown (open sessions are disconnected); data is kept
#   status   exit 0 if running and accepting connections, 3 if not
#   psql     psql as the bootstrap superuser over the unix socket, on the app database;
#            extra args go to psql (e.g. `psql -c 'table schema_migrations'`)
#   env      prints the DB_* settings (as read by @case-storage/config) as shell exports
#
# Layout: data in .local/postgres/data, unix socket in .local/postgres/run, log in
# .local/log/postgres.log (all git-ignored). Postgres refuses to run as root, so the data
# directory belongs to the `postgres` OS user and every server binary runs as that user.
#
# Roles (the migration and the RLS policies depend on this shape):
#   case_storage_owner  LOGIN; owns the database, the schema objects; runs migrations
#   case_storage_rw     NOLOGIN group; the migrations grant table privileges to it
#   case_storage_app    LOGIN; member of case_storage_rw; not owner, not superuser,
#                       NOBYPASSRLS, so row-level security always applies to it
#
# Env overrides (defaults); each also falls back to the DB_* name the apps read, so one
# set of variables configures both:
#   PG_PORT (DB_PORT, 55432)  PG_DATABASE (DB_NAME, case_storage)
#   PG_OWNER_USER (DB_MIGRATION_USER, case_storage_owner)
#   PG_OWNER_PASSWORD (DB_MIGRATION_PASSWORD, case-storage-owner-dev)
#   PG_APP_USER (DB_USER, case_storage_app)  PG_APP_PASSWORD (DB_PASSWORD, case-storage-app-dev)
#   PG_BIN (/usr/lib/postgresql/15/bin)  PG_OS_USER (postgres)  PG_MAX_CONNECTIONS (300)
# The group role name is fixed: the migration grants to `case_storage_rw` by name.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME=postgres
PG_HOST=127.0.0.1
PG_PORT="${PG_PORT:-${DB_PORT:-55432}}"
PG_DATABASE="${PG_DATABASE:-${DB_NAME:-case_storage}}"
PG_OWNER_USER="${PG_OWNER_USER:-${DB_MIGRATION_USER:-case_storage_owner}}"
PG_OWNER_PASSWORD="${PG_OWNER_PASSWORD:-${DB_MIGRATION_PASSWORD:-case-storage-owner-dev}}"
PG_APP_USER="${PG_APP_USER:-${DB_USER:-case_storage_app}}"
PG_APP_PASSWORD="${PG_APP_PASSWORD:-${DB_PASSWORD:-case-storage-app-dev}}"
PG_RW_ROLE=case_storage_rw
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_OS_USER="${PG_OS_USER:-postgres}"
PG_MAX_CONNECTIONS="${PG_MAX_CONNECTIONS:-300}"
PG_SUPERUSER=postgres

# Runs a command as the postgres OS user. setpriv execs (no extra process), so a daemon
# started through it keeps its own pid.
as_pg() { setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups -- env -C / "$@"; }

# Data and socket live in .local/postgres unless the postgres OS user cannot reach the
# checkout (a clone under a 0700 directory, as mktemp makes them): then in a folder of
# this checkout's own under /var/lib/case-storage, named by a hash of the checkout path.
set_pg_paths() {
  PG_ROOT="$(state_dir postgres)"
  if id "$PG_OS_USER" >/dev/null 2>&1 && ! as_pg test -x "$PG_ROOT"; then
    PG_ROOT="/var/lib/case-storage/pg-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-16)"
    mkdir -p "$PG_ROOT"
    chmod 0755 /var/lib/case-storage "$PG_ROOT"
  fi
  PG_DATA="$PG_ROOT/data"
  PG_SOCKET_DIR="$PG_ROOT/run"
}
set_pg_paths

install_postgres() {
  [[ -x "$PG_BIN/postgres" && -x "$PG_BIN/initdb" ]] && return 0
  [[ "$(id -u)" == 0 ]] || die "PostgreSQL 15 is missing at $PG_BIN and only root can apt-get install it"
  info "installing postgresql-15 from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null; }
  # The package may start its own cluster on 5432; we never use it.
  service postgresql stop >/dev/null 2>&1 || true
  [[ -x "$PG_BIN/postgres" ]] || die "postgresql-15 installed but $PG_BIN/postgres is missing (set PG_BIN)"
}

check_prereqs() {
  [[ "$(id -u)" == 0 ]] || die "run as root: the script switches to the '$PG_OS_USER' OS user for the server"
  require_cmd setpriv flock
  id "$PG_OS_USER" >/dev/null 2>&1 || die "OS user '$PG_OS_USER' does not exist (it comes with the postgresql package)"
}

init_cluster() {
  mkdir -p "$PG_SOCKET_DIR"
  chown "$PG_OS_USER:" "$PG_SOCKET_DIR"
  chmod 0700 "$PG_SOCKET_DIR"
  [[ -s "$PG_DATA/PG_VERSION" ]] && return 0
  info "initdb into $PG_DATA"
  rm -rf "$PG_DATA"
  mkdir -p "$PG_DATA"
  chown "$PG_OS_USER:" "$PG_DATA"
  chmod 0700 "$PG_DATA"
  # C collation: byte order, so path listings sort the same everywhere. Local (socket)
  # connections use peer auth (only the postgres OS user gets in, as the superuser); TCP
  # needs a SCRAM password.
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_SUPERUSER" -E UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 --no-sync >>"$(log_file "$NAME")" 2>&1 ||
    { tail_log "$NAME"; die "initdb failed"; }
}

accepting() { as_pg "$PG_BIN/pg_isready" -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" -d postgres -U "$PG_SUPERUSER" >/dev/null 2>&1; }

superuser_psql() {
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" "$@"
}

# Idempotent: safe on every start. Passwords are passed as psql variables, never on argv
# of a long-lived process, and are (re)set each time so env overrides take effect.
bootstrap() {
  superuser_psql -d postgres \
    -v owner="$PG_OWNER_USER" -v owner_pw="$PG_OWNER_PASSWORD" \
    -v app="$PG_APP_USER" -v app_pw="$PG_APP_PASSWORD" \
    -v rw="$PG_RW_ROLE" -v db="$PG_DATABASE" <<'SQL'
SET client_min_messages = warning;
SELECT format('CREATE ROLE %I', r) FROM unnest(ARRAY[:'owner', :'rw', :'app']) AS r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'owner_pw';
ALTER ROLE :"rw" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE :"app" LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_pw';
GRANT :"rw" TO :"app";
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'db', :'owner', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"rw";
SQL
  # In PG 15 `public` belongs to pg_database_owner (the owner role) and PUBLIC may not
  # create in it; the app only gets USAGE, and table privileges come from the migration.
  superuser_psql -d "$PG_DATABASE" -v rw="$PG_RW_ROLE" <<'SQL'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"rw";
SQL
}

start() {
  local t0
  t0="$(now_s)"
  check_prereqs
  install_postgres
  set_pg_paths # the postgres OS user may only exist now
  init_cluster
  if pid_alive "$NAME" && accepting; then
    info "postgres already running on $PG_HOST:$PG_PORT (pid $(read_pid "$NAME"))"
  else
    if pid_alive "$NAME"; then
      stop
    elif as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; then
      # Running, but not started by us (pid file lost): adopt it rather than fight over the data dir.
      head -n1 "$PG_DATA/postmaster.pid" >"$(pid_file "$NAME")"
      info "adopted running postgres (pid $(read_pid "$NAME"))"
    fi
    if ! pid_alive "$NAME"; then
      # synchronous_commit=off: a crash may lose the last few commits but never corrupts;
      # fine for a disposable dev/test database and much faster for the test suites.
      # The subshell drops fd 9 (the start/stop lock) so the server does not inherit it.
      (exec 9>&-; start_daemon "$NAME" "$(log_file "$NAME")" \
        setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups -- \
        "$PG_BIN/postgres" -D "$PG_DATA" \
        -c listen_addresses="$PG_HOST" -c port="$PG_PORT" \
        -c unix_socket_directories="$PG_SOCKET_DIR" -c unix_socket_permissions=0700 \
        -c max_connections="$PG_MAX_CONNECTIONS" -c synchronous_commit=off \
        -c log_min_messages=warning -c log_min_error_statement=panic)
    fi
    wait_for_port "$PG_HOST" "$PG_PORT" 60 "$NAME"
    wait_for_cmd 60 "postgres to accept connections" accepting
  fi
  bootstrap
  info "postgres ready on $PG_HOST:$PG_PORT in $(since "$t0"): database $PG_DATABASE, owner $PG_OWNER_USER, app $PG_APP_USER"
}

stop() {
  if as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; then
    # Fast shutdown: SIGTERM (what stop_daemon sends) is postgres's "smart" mode, which
    # waits for every pooled client to disconnect.
    info "stopping postgres (fast shutdown)"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 30 >/dev/null 2>&1 || warn "pg_ctl stop failed"
  fi
  if pid_alive "$NAME"; then
    stop_daemon "$NAME" 10
  fi
  rm -f "$(pid_file "$NAME")"
  info "postgres stopped"
}

status() {
  if pid_alive "$NAME" && accepting; then
    echo "postgres: running on $PG_HOST:$PG_PORT (pid $(read_pid "$NAME")), data $PG_DATA"
  else
    echo "postgres: stopped"
    return 3
  fi
}

print_env() {
  printf 'export DB_HOST=%q DB_PORT=%q DB_NAME=%q\n' "$PG_HOST" "$PG_PORT" "$PG_DATABASE"
  printf 'export DB_USER=%q DB_PASSWORD=%q\n' "$PG_APP_USER" "$PG_APP_PASSWORD"
  printf 'export DB_MIGRATION_USER=%q DB_MIGRATION_PASSWORD=%q\n' "$PG_OWNER_USER" "$PG_OWNER_PASSWORD"
}

# Serialise start/stop: several people (and test runs) share this checkout.
with_lock() {
  exec 9>"$PG_ROOT/.lock"
  flock -w 120 9 || die "another postgres.sh holds $PG_ROOT/.lock"
  "$@"
}

case "${1:-}" in
  start) with_lock start ;;
  stop) check_prereqs; with_lock stop ;;
  restart) check_prereqs; with_lock stop; with_lock start ;;
  status) status ;;
  psql)
    shift
    check_prereqs
    accepting || die "postgres is not running (scripts/services/postgres.sh start)"
    # exec through setpriv keeps stdin/tty, so interactive use works.
    exec setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups -- \
      "$PG_BIN/psql" -X -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d "$PG_DATABASE" "$@"
    ;;
  env) print_env ;;
  *) die "usage: $0 start|stop|restart|status|psql [args...]|env" ;;
esac
