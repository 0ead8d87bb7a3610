#!/usr/bin/env bash
# Rule-engine benchmark: fitflow's pure Rust evaluator (core/benches/rules.rs) against
# json-logic-js on Node (bench.js), same inputs, same run. Prints both throughputs and
# the ratio. Goal: fitflow >= 10x json-logic-js.
#
# Both sides evaluate every conformance case in a loop and produce the complete result
# each time: json-logic-js's apply(rule, data) returns a value in V8's heap; fitflow's
# one-shot row is Evaluator::eval(rule, data) on one reused evaluator, whose result lives
# in the evaluator's arena (reset per evaluation). The "owned Value" row is the plain
# jsonlogic() function, which also copies the result into a serde_json::Value. See the
# comments at the top of core/benches/rules.rs.
#
#   benches/rules/run.sh              # 2 s per measurement
#   BENCH_SECONDS=5 benches/rules/run.sh
#
# Needs cargo and node/npm; installs json-logic-js from the npm registry on first run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export BENCH_SECONDS="${BENCH_SECONDS:-2}"

if [ ! -d "$here/node_modules/json-logic-js" ]; then
  echo "installing json-logic-js (npm install)..." >&2
  (cd "$here" && npm install --no-audit --no-fund --silent)
fi

rust_out="$(mktemp)"
node_out="$(mktemp)"
trap 'rm -f "$rust_out" "$node_out"' EXIT

echo "== fitflow (Rust, cargo bench -p fitflow-core --bench rules)"
(cd "$root" && cargo bench --quiet -p fitflow-core --bench rules) | tee "$rust_out"
echo
echo "== json-logic-js $(node -p "require('$here/node_modules/json-logic-js/package.json').version") (node $(node --version))"
node "$here/bench.js" | tee "$node_out"
echo

get() { awk -v k="$2" '$1 == "RESULT" && $2 == k { print $3 }' "$1"; }

# Both sides must have computed the same challenge outcome.
for k in challenge_complete challenge_count challenge_sum; do
  if [ "$(get "$rust_out" "$k")" != "$(get "$node_out" "$k")" ]; then
    echo "MISMATCH: $k differs (fitflow $(get "$rust_out" "$k"), json-logic-js $(get "$node_out" "$k"))" >&2
    exit 1
  fi
done

row() { # label fitflow-rate js-rate
  awk -v l="$1" -v f="$2" -v j="$3" 'BEGIN { printf "%-58s %14.0f %14.0f %8.1fx\n", l, f, j, f / j }'
}
printf "%-58s %14s %14s %9s\n" "evaluations per second" "fitflow" "json-logic-js" "ratio"
js_conf="$(get "$node_out" conformance_evals_per_s)"
js_chal="$(get "$node_out" challenge_evals_per_s)"
row "(a) conformance cases, one-shot Evaluator::eval" "$(get "$rust_out" conformance_oneshot_evals_per_s)" "$js_conf"
row "(a) conformance cases, one-shot jsonlogic(), owned Value" "$(get "$rust_out" conformance_oneshot_owned_evals_per_s)" "$js_conf"
row "(a) conformance cases, compiled once" "$(get "$rust_out" conformance_compiled_evals_per_s)" "$js_conf"
row "(b) challenge, plain JsonLogic, one-shot" "$(get "$rust_out" challenge_plain_oneshot_evals_per_s)" "$js_chal"
row "(b) challenge, plain JsonLogic, compiled once" "$(get "$rust_out" challenge_plain_compiled_evals_per_s)" "$js_chal"
row "(b) challenge, fitflow rule + progress report" "$(get "$rust_out" challenge_rule_evals_per_s)" "$js_chal"
