#!/usr/bin/env bash
# Shared steps of the fitflow scripts: install what is missing, build and install the extension,
# run a local PostgreSQL 15 cluster. Every step is idempotent. Source it; do not run it.
set -euo pipefail

FITFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN=/usr/lib/postgresql/15/bin
PG_CONFIG="$PG_BIN/pg_config"
FITFLOW_HOME="${FITFLOW_HOME:-/var/tmp/fitflow}"     # owned by the postgres user
FITFLOW_PORT="${FITFLOW_PORT:-5499}"
FITFLOW_DATA="$FITFLOW_HOME/data"
export PGHOST=127.0.0.1 PGPORT="$FITFLOW_PORT" PGUSER=postgres
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_packages() {
    local want=(postgresql-15 postgresql-server-dev-15 postgresql-15-cron libclang-dev clang sudo)
    local missing=()
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing Debian packages: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

ensure_cargo_pgrx() {
    if ! cargo pgrx --version 2>/dev/null | grep -q '0\.18\.0'; then
        say "installing cargo-pgrx 0.18.0 (a few minutes, once)"
        cargo install cargo-pgrx --version 0.18.0 --locked
    fi
    if ! grep -qs "pg15 *= *\"$PG_CONFIG\"" "${PGRX_HOME:-$HOME/.pgrx}/config.toml"; then
        say "pointing pgrx at the system PostgreSQL 15"
        cargo pgrx init --pg15 "$PG_CONFIG"
    fi
}

ensure_toolchain() { ensure_packages; ensure_cargo_pgrx; }

# Build fitflow and copy it into the system PostgreSQL 15 (release build unless FITFLOW_PROFILE=debug).
install_extension() {
    local flags=(--pg-config "$PG_CONFIG")
    [ "${FITFLOW_PROFILE:-release}" = release ] && flags+=(--release)
    [ "$(id -u)" -eq 0 ] || flags+=(--sudo)
    say "building and installing fitflow (${FITFLOW_PROFILE:-release})"
    local log="${TMPDIR:-/tmp}/fitflow-install.log"
    if ! (cd "$FITFLOW_ROOT" && RUST_BACKTRACE=0 NO_COLOR=1 cargo pgrx install "${flags[@]}" >"$log" 2>&1); then
        grep -v '^ *[0-9]*: \|^ *at ' "$log" | tail -40 >&2
        echo "fitflow did not build or install (full log: $log)" >&2
        exit 1
    fi
}

# Start (or reuse) the local cluster: own data directory, own port, pg_cron preloaded.
cluster_start() {
    as_root mkdir -p "$FITFLOW_HOME"
    as_root chown postgres:postgres "$FITFLOW_HOME"
    if [ ! -f "$FITFLOW_DATA/PG_VERSION" ]; then
        say "creating a PostgreSQL 15 cluster in $FITFLOW_DATA"
        as_root sudo -u postgres "$PG_BIN/initdb" -D "$FITFLOW_DATA" -U postgres --auth=trust >/dev/null
        as_root sudo -u postgres tee -a "$FITFLOW_DATA/postgresql.conf" >/dev/null <<CONF
# --- fitflow local cluster ---
listen_addresses = '127.0.0.1'
port = $FITFLOW_PORT
unix_socket_directories = '/tmp'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'fitflow_demo'
shared_buffers = '512MB'
max_wal_size = '4GB'
fsync = on
CONF
    fi
    if ! as_root sudo -u postgres "$PG_BIN/pg_ctl" -D "$FITFLOW_DATA" status >/dev/null 2>&1; then
        say "starting the cluster on port $FITFLOW_PORT"
        as_root sudo -u postgres "$PG_BIN/pg_ctl" -D "$FITFLOW_DATA" -l "$FITFLOW_HOME/server.log" -w start >/dev/null
    fi
}

# pg_cron's scheduler stops for good when its database is dropped (DROP DATABASE ... FORCE ends
# it cleanly, and a clean exit is not restarted): restart the server to get it back.
cluster_restart() {
    say "restarting the cluster (pg_cron scheduler for $(cron_db))"
    as_root sudo -u postgres "$PG_BIN/pg_ctl" -D "$FITFLOW_DATA" -l "$FITFLOW_HOME/server.log" -m fast -w restart >/dev/null
}

cron_db() { echo fitflow_demo; }

cluster_stop() {
    as_root sudo -u postgres "$PG_BIN/pg_ctl" -D "$FITFLOW_DATA" -m fast stop >/dev/null 2>&1 || true
}

psql_db() { local db="$1"; shift; "$PG_BIN/psql" -X -v ON_ERROR_STOP=1 -d "$db" "$@"; }

# A fresh database with fitflow (and pg_cron when it is the cron database).
fresh_db() {
    local db="$1"
    psql_db postgres -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    if [ "$db" = "$(cron_db)" ]; then
        psql_db "$db" -q -c "CREATE EXTENSION pg_cron"
        cluster_restart
    fi
    psql_db "$db" -q -c "CREATE EXTENSION fitflow CASCADE"
}

where_is_cluster() {
    cat <<MSG

The fitflow cluster is running: data directory $FITFLOW_DATA, port $FITFLOW_PORT, log $FITFLOW_HOME/server.log.
Connect with:  $PG_BIN/psql -h 127.0.0.1 -p $FITFLOW_PORT -U postgres -d ${1:-fitflow_demo}
Stop it with:  sudo -u postgres $PG_BIN/pg_ctl -D $FITFLOW_DATA stop
MSG
}
