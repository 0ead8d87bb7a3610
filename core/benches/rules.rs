//! Rule engine throughput (plain std::time, no criterion).
//!
//! (a) every case of the JsonLogic conformance suite:
//!     - one-shot: `Evaluator::eval(rule, data)` interprets the JSON rule and produces
//!       the complete result, like json-logic-js's `apply(rule, data)`. The evaluator
//!       is reused across evaluations (its arena is reset at the start of each) and
//!       the result borrows from the rule, the data and that arena, as a JavaScript
//!       result lives in V8's heap; nothing is cached between evaluations;
//!     - one-shot to an owned `serde_json::Value`: `jsonlogic(rule, data)`, the same
//!       plus a fresh evaluator per call and the copy of the result into a `Value`;
//!     - compiled once (`JsonLogic::compile`), then `Evaluator::apply` per case.
//! (b) the issue-6 example challenge over 1,000 synthetic workouts, as a fitflow rule
//!     (`evaluate`, with per-node progress) and as the equivalent plain JsonLogic rule
//!     over `{"workouts": [...]}` (the like-for-like comparison with json-logic-js),
//!     one-shot (`Evaluator::eval`) and compiled once (`Evaluator::apply`), on the same
//!     reused evaluator as (a).
//!
//! benches/rules/bench.js does the same work in json-logic-js with the same inputs
//! (the synthetic workouts come from the same formula) and benches/rules/run.sh
//! prints both and the ratio. Output lines `RESULT name value` are for that script.
//!
//! Run: `cargo bench -p fitflow-core --bench rules` (BENCH_SECONDS=n per measurement,
//! BENCH_ONLY=substring to run only the matching measurements, e.g. for perf).

use fitflow_core::rules::{compile, evaluate, jsonlogic, Evaluator, JsonLogic, Workout, WORKOUT_FIELDS};
use serde_json::{json, Map, Value};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The issue-6 example: ten chest-press workouts of at least 10 reps and one hour on
/// the treadmill.
fn challenge_rule() -> Value {
    json!({"and":[
        {">=":[{"count":[{"workouts":[{"and":[{"==":[{"var":"exercise"},"chest_press"]},{">=":[{"var":"reps"},10]}]}]}]},10]},
        {">=":[{"sum":[{"workouts":[{"==":[{"var":"exercise"},"treadmill"]}]},"duration_s"]},3600]}
    ]})
}

/// The same challenge in plain JsonLogic over `{"workouts": [...]}` (json-logic-js has
/// no fitness operators): count = reduce(filter(..), acc + 1), sum = reduce(filter(..),
/// acc + current.duration_s). Identical text in bench.js.
fn challenge_plain() -> Value {
    json!({"and":[
        {">=":[{"reduce":[{"filter":[{"var":"workouts"},{"and":[{"==":[{"var":"exercise"},"chest_press"]},{">=":[{"var":"reps"},10]}]}]},{"+":[{"var":"accumulator"},1]},0]},10]},
        {">=":[{"reduce":[{"filter":[{"var":"workouts"},{"==":[{"var":"exercise"},"treadmill"]}]},{"+":[{"var":"accumulator"},{"var":"current.duration_s"}]},0]},3600]}
    ]})
}

/// Synthetic workout `i` (the formula bench.js repeats).
fn synthetic(i: i64) -> (i32, Map<String, Value>) {
    let exercises = ["chest_press", "treadmill", "squat", "rowing"];
    let exercise = exercises[(i % 4) as usize];
    let cardio = exercise == "treadmill" || exercise == "rowing";
    let mut m = Map::new();
    m.insert("session_id".into(), json!(i + 1));
    m.insert("athlete_id".into(), json!(7));
    m.insert("exercise".into(), json!(exercise));
    m.insert("kind".into(), json!(if cardio { "cardio" } else { "weight" }));
    m.insert("reps".into(), if cardio { Value::Null } else { json!((i * 7) % 15 + 1) });
    m.insert("duration_s".into(), json!(if cardio { 600 + (i * 37) % 1800 } else { 300 + (i % 5) * 60 }));
    m.insert("kcal".into(), json!((i * 13) % 400 + 50));
    (20_700 + (i / 3) as i32, m)
}

fn workouts(n: i64) -> (Vec<Workout>, Value) {
    let mut ws = Vec::new();
    let mut objs = Vec::new();
    for i in 0..n {
        let (day, m) = synthetic(i);
        let values = WORKOUT_FIELDS.iter().map(|(name, _)| m.get(*name).cloned().unwrap_or(Value::Null)).collect();
        ws.push(Workout { ended_at_us: i64::from(day) * 86_400_000_000, day, values });
        objs.push(Value::Object(m));
    }
    let mut data = Map::new();
    data.insert("workouts".into(), Value::Array(objs));
    (ws, Value::Object(data))
}

/// Run `f` (which performs `per_call` evaluations) repeatedly for the measurement
/// time; returns evaluations per second.
fn measure(name: &str, per_call: usize, mut f: impl FnMut()) -> f64 {
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        if !name.contains(&only) {
            return 0.0;
        }
    }
    let secs: f64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(200) {
        f();
    }
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        f();
        calls += 1;
    }
    let rate = (calls as f64 * per_call as f64) / start.elapsed().as_secs_f64();
    println!("RESULT {name} {rate:.0}");
    rate
}

fn main() {
    let suite: Value =
        serde_json::from_str(include_str!("../tests/conformance/jsonlogic-tests.json")).expect("suite parses");
    let cases: Vec<(Value, Value)> = suite
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c.as_array().filter(|t| t.len() == 3).map(|t| (t[0].clone(), t[1].clone())))
        .collect();
    assert_eq!(cases.len(), 277);

    println!("(a) JsonLogic conformance suite: {} cases per round", cases.len());
    let mut ev = Evaluator::new();
    measure("conformance_oneshot_evals_per_s", cases.len(), || {
        for (r, d) in &cases {
            black_box(&ev.eval(black_box(r), black_box(d)));
        }
    });
    measure("conformance_oneshot_owned_evals_per_s", cases.len(), || {
        for (r, d) in &cases {
            let _ = black_box(jsonlogic(black_box(r), black_box(d)));
        }
    });
    let compiled: Vec<(JsonLogic, &Value)> =
        cases.iter().map(|(r, d)| (JsonLogic::compile(r).expect("compiles"), d)).collect();
    measure("conformance_compiled_evals_per_s", cases.len(), || {
        for (c, d) in &compiled {
            black_box(&ev.apply(black_box(c), black_box(d)));
        }
    });

    let (ws, data) = workouts(1000);
    let rule = compile(&challenge_rule()).expect("challenge compiles");
    let plain = challenge_plain();
    let plain_compiled = JsonLogic::compile(&plain).expect("compiles");
    let e = evaluate(&rule, &ws).expect("evaluates");
    let p = plain_compiled.apply(&data).expect("evaluates");
    println!(
        "(b) challenge over {} workouts: rule {} (progress {:.4}); plain JsonLogic result {}",
        ws.len(),
        if e.complete { "complete" } else { "incomplete" },
        e.progress,
        p
    );
    // The two formulations must agree on the outcome.
    assert_eq!(Value::Bool(e.complete), p);
    println!("RESULT challenge_complete {}", e.complete);
    println!("RESULT challenge_count {}", e.nodes[1].value);
    println!("RESULT challenge_sum {}", e.nodes[3].value);
    measure("challenge_rule_evals_per_s", 1, || {
        let _ = black_box(evaluate(black_box(&rule), black_box(&ws)));
    });
    measure("challenge_plain_compiled_evals_per_s", 1, || {
        let _ = black_box(ev.apply(black_box(&plain_compiled), black_box(&data)));
    });
    measure("challenge_plain_oneshot_evals_per_s", 1, || {
        let _ = black_box(ev.eval(black_box(&plain), black_box(&data)));
    });
}
