#!/usr/bin/env bash
# Every fitflow benchmark, each printing its own baseline measured in the same run:
#   ingest (issue 3), science (issue 4), periodic (issue 5), rules (issue 6), on-demand (issue 7).
# Runs against the local cluster of scripts/lib.sh with a release build. Takes ~10 minutes.
#   bash benches/run.sh [ingest|science|periodic|rules|evaluate|ondemand ...]
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$FITFLOW_ROOT"
ensure_toolchain
install_extension
cluster_start
cargo build --release -q -p fitflow-tests --bin bench_ingest --bin bench_pipelines
what=("$@")
[ ${#what[@]} -gt 0 ] || what=(ingest science rules evaluate ondemand periodic)
for w in "${what[@]}"; do
    say "benchmark: $w"
    case "$w" in
        ingest)   ./target/release/bench_ingest ;;
        science)  fresh_db fitflow_bench_science && psql_db fitflow_bench_science -q -f benches/science.sql ;;
        rules)    bash benches/rules/run.sh ;;
        evaluate) ./target/release/bench_pipelines evaluate 1000 ;;
        ondemand) ./target/release/bench_pipelines ondemand 10000 100000 ;;
        periodic) ./target/release/bench_pipelines periodic 10000 1000000 ;;
        *) echo "unknown benchmark $w" >&2; exit 2 ;;
    esac
done
