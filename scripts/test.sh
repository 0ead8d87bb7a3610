#!/usr/bin/env bash
# Runs every fitflow test on this machine, installing whatever is missing first:
#   1. the pure crate (formulas, aggregation state, rule engine, JsonLogic conformance, fuzzing);
#   2. the pgrx #[pg_test]s inside a throwaway PostgreSQL that pgrx starts (as the postgres user);
#   3. the SQL-level tests (pgrx-tests/, crate fitflow-tests) against the installed extension on the
#      local cluster, the way users drive it: COPY, concurrent connections, LISTEN, pg_dump/restore.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FITFLOW_ROOT"
ensure_toolchain

bash scripts/check-frozen.sh

say "1/3 pure logic: cargo test -p fitflow-core --release"
cargo test -p fitflow-core --release

say "2/3 pgrx tests: cargo pgrx test pg15 --runas postgres"
as_root mkdir -p "$FITFLOW_HOME/pgrx"
as_root chown postgres:postgres "$FITFLOW_HOME" "$FITFLOW_HOME/pgrx"
cargo pgrx test pg15 --runas postgres --pgdata "$FITFLOW_HOME/pgrx/data" -p fitflow

say "3/3 SQL-level tests against the installed extension"
FITFLOW_PROFILE=debug install_extension
cluster_start
cluster_restart   # a fresh server: a live pg_cron scheduler and the extension library just installed
FITFLOW_PG_BIN="$PG_BIN" cargo test -p fitflow-tests -- --test-threads=4

say "all fitflow tests passed"
where_is_cluster postgres
