#!/usr/bin/env bash
# Local PostgreSQL and nats-server (JetStream) for the event-stream auditor (`check`):
# its tests, and local use. Both listen on 127.0.0.1 only; their data lives under one run
# folder, so `stop` followed by `rm -rf` of that folder leaves nothing behind.
#
#   scripts/services.sh start    install what is missing (Debian packages), start both,
#                                create the `noetl` database, schema and `noetl.event` table,
#                                print the URLs; a no-op for a service already running
#   scripts/services.sh stop     stop both (a no-op for a service not running)
#   scripts/services.sh status   say what runs; exit 1 if either is down
#   scripts/services.sh env      print `export` lines: eval "$(scripts/services.sh env)"
#
# Settings (environment): NOETL_EVENTS_RUN_DIR (default ${TMPDIR:-/tmp}/noetl-events-services),
# NOETL_EVENTS_PG_PORT (default 55432), NOETL_EVENTS_NATS_PORT (default 54222).
# The tests read NOETL_EVENTS_TEST_PG and NOETL_EVENTS_TEST_NATS (what `env` prints).
# The table's definition: scripts/noetl-event.sql (wire contract section 7).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="${NOETL_EVENTS_RUN_DIR:-${TMPDIR:-/tmp}/noetl-events-services}"
PG_PORT="${NOETL_EVENTS_PG_PORT:-55432}"
NATS_PORT="${NOETL_EVENTS_NATS_PORT:-54222}"
PG_USER=noetl
PG_DB=noetl
STREAM=noetl_events

PG_DATA="$RUN_DIR/pg/data"
PG_SOCK="$RUN_DIR/pg/socket"
PG_LOG="$RUN_DIR/pg/server.log"
NATS_DIR="$RUN_DIR/nats"
NATS_PID="$NATS_DIR/nats-server.pid"
NATS_LOG="$NATS_DIR/nats-server.log"

PG_URL="postgresql://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB"
NATS_URL="nats://127.0.0.1:$NATS_PORT/$STREAM"

say() { printf 'services: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ---- packages ----------------------------------------------------------------------------

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root (or sudo) to run: $*"
    fi
}

apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* yourself"
    say "installing Debian packages: $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
        >&2 || { as_root apt-get update -q >&2 && as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "$@" >&2; }
}

pg_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
    done
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir)"; [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
    fi
    return 1
}

ensure_packages() {
    pg_bindir >/dev/null || apt_install postgresql
    pg_bindir >/dev/null || die "PostgreSQL server binaries not found after installing"
    command -v psql >/dev/null 2>&1 || apt_install postgresql-client
    command -v nats-server >/dev/null 2>&1 || apt_install nats-server
    command -v nats-server >/dev/null 2>&1 || die "nats-server not found after installing"
}

# ---- PostgreSQL --------------------------------------------------------------------------

# PostgreSQL refuses to run as root: then the server runs as the `postgres` account.
pg_run() {
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' account to run the server as"
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_running() {
    local bin; bin="$(pg_bindir)" || return 1
    [ -f "$PG_DATA/PG_VERSION" ] && pg_run "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

psql_noetl() {
    PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$@"
}

start_pg() {
    local bin; bin="$(pg_bindir)"
    mkdir -p "$RUN_DIR/pg" "$PG_SOCK"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$RUN_DIR/pg"
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
        say "initdb $PG_DATA"
        pg_run "$bin/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust --encoding=UTF8 \
            --locale=C >/dev/null
    fi
    if pg_running; then
        say "PostgreSQL already running ($PG_DATA)"
    else
        say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
        pg_run "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start -o \
            "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_SOCK -c fsync=off" \
            >/dev/null || { cat "$PG_LOG" >&2 || true; die "PostgreSQL did not start"; }
    fi
    if [ -z "$(psql_noetl -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" ]; then
        psql_noetl -d postgres -c "CREATE DATABASE $PG_DB"
    fi
    # The row of wire contract section 7 (server `normalize_event_to_row`).
    psql_noetl -d "$PG_DB" -f "$HERE/noetl-event.sql"
}

stop_pg() {
    local bin
    if bin="$(pg_bindir)" && pg_running; then
        say "stopping PostgreSQL"
        pg_run "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
    fi
}

# ---- nats-server -------------------------------------------------------------------------

nats_running() {
    [ -f "$NATS_PID" ] && kill -0 "$(cat "$NATS_PID")" 2>/dev/null
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_nats() {
    mkdir -p "$NATS_DIR/jetstream"
    if nats_running; then
        say "nats-server already running (pid $(cat "$NATS_PID"))"
        return
    fi
    say "starting nats-server (JetStream) on 127.0.0.1:$NATS_PORT"
    setsid nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$NATS_DIR/jetstream" \
        -P "$NATS_PID" -l "$NATS_LOG" </dev/null >/dev/null 2>&1 &
    local i
    for i in $(seq 1 100); do
        port_open "$NATS_PORT" && return
        sleep 0.1
    done
    cat "$NATS_LOG" >&2 || true
    die "nats-server did not start"
}

stop_nats() {
    if nats_running; then
        local pid; pid="$(cat "$NATS_PID")"
        say "stopping nats-server (pid $pid)"
        kill "$pid"
        local i
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$NATS_PID"
}

# ---- commands ----------------------------------------------------------------------------

print_env() {
    echo "export NOETL_EVENTS_TEST_PG=$PG_URL"
    echo "export NOETL_EVENTS_TEST_NATS=$NATS_URL"
}

case "${1:-}" in
    start)
        ensure_packages
        start_pg
        start_nats
        say "PostgreSQL: $PG_URL (table noetl.event)"
        say "NATS:       $NATS_URL (JetStream; the stream is created by whoever publishes)"
        print_env
        ;;
    stop)
        stop_nats
        stop_pg
        ;;
    status)
        rc=0
        if pg_running; then say "PostgreSQL running: $PG_URL"; else say "PostgreSQL down"; rc=1; fi
        if nats_running; then say "nats-server running: $NATS_URL"; else say "nats-server down"; rc=1; fi
        exit "$rc"
        ;;
    env)
        print_env
        ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac
