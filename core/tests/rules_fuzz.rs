//! Fuzz / property test of the rule parsers: random JSON trees and mutations of valid
//! rules go through `compile` and plain `jsonlogic`; random bytes and mutated binary
//! rules go through `Rule::from_msgpack`. Nothing may panic, and the laws
//! compile(to_json(r)) == r, from_msgpack(to_msgpack(r)) == r, progress in [0, 1] and
//! complete <=> progress == 1 must hold for every rule that compiles.
//!
//! Debug builds run 20,000 inputs of each kind; `cargo test --release` runs 1,000,000
//! (override with FITFLOW_FUZZ_INPUTS=n). A deterministic xorshift PRNG makes every run
//! reproducible (FITFLOW_FUZZ_SEED=n picks another sequence).

use fitflow_core::rules::{compile, evaluate, jsonlogic, Rule, Workout, WORKOUT_FIELDS};
use serde_json::{json, Map, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// xorshift64* (Vigna), enough for test input generation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const OPS: &[&str] = &[
    "==", "===", "!=", "!==", ">", ">=", "<", "<=", "!", "!!", "and", "or", "if", "?:", "+", "-", "*", "/", "%",
    "min", "max", "cat", "substr", "in", "merge", "missing", "missing_some", "filter", "map", "reduce", "all",
    "some", "none", "var", "log", "workouts", "count", "sum", "avg", "distinct_days", "streak_days",
    "streak_weeks", "param", "xyz", "",
];

const STRINGS: &[&str] = &[
    "", "0", "1", "-1", "1e3", "0x10", " 12 ", "abc", "a.b", "a.b.c", "current", "accumulator", "current.reps",
    "integers", "length", "Infinity", "NaN", "ü𝄞", "~/", "chest_press", "treadmill", "exercise", "reps",
    "duration_s", "started_at", "kind", "x", "2026-11-30T00:00:00Z",
];

fn gen_number(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => json!(rng.below(5) as i64 - 1),
        1 => json!(rng.below(20_000) as i64 - 10_000),
        2 => json!((rng.below(2000) as f64 - 1000.0) / 7.0),
        3 => json!(*rng.pick(&[1e308, -1e308, 1e-300, 0.5, 9_007_199_254_740_993.0])),
        4 => json!(*rng.pick(&[u64::MAX, i64::MAX as u64, 4_294_967_295])),
        _ => json!(i64::MIN),
    }
}

fn gen_string(rng: &mut Rng) -> Value {
    if rng.chance(30) {
        Value::String(WORKOUT_FIELDS[rng.below(WORKOUT_FIELDS.len())].0.to_string())
    } else if rng.chance(20) {
        Value::String(rng.pick(OPS).to_string())
    } else {
        Value::String(rng.pick(STRINGS).to_string())
    }
}

fn gen_value(rng: &mut Rng, depth: usize) -> Value {
    let leaf = depth == 0 || rng.chance(35);
    if leaf {
        return match rng.below(6) {
            0 => Value::Null,
            1 => Value::Bool(rng.chance(50)),
            2 | 3 => gen_number(rng),
            _ => gen_string(rng),
        };
    }
    match rng.below(10) {
        0..=2 => Value::Array((0..rng.below(5)).map(|_| gen_value(rng, depth - 1)).collect()),
        3 => {
            let mut m = Map::new();
            for _ in 0..rng.below(3) * 2 {
                m.insert(gen_string(rng).as_str().unwrap_or("k").to_string(), gen_value(rng, depth - 1));
            }
            Value::Object(m)
        }
        _ => {
            // An operator object, usually with an argument array.
            let op = rng.pick(OPS).to_string();
            let args = if rng.chance(80) {
                Value::Array((0..rng.below(4)).map(|_| gen_value(rng, depth - 1)).collect())
            } else {
                gen_value(rng, depth - 1)
            };
            let mut m = Map::new();
            m.insert(op, args);
            Value::Object(m)
        }
    }
}

// Note: json!() with an interpolated Value serializes (deep-copies) it, so the
// mutations build arrays and objects by hand.

/// Number of nodes of a JSON tree.
fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(m) => m.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Apply `mutate_node` to the `k`-th node in pre-order.
fn mutate_at(v: &mut Value, k: &mut usize, rng: &mut Rng) -> bool {
    if *k == 0 {
        mutate_node(v, rng);
        return true;
    }
    *k -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|c| mutate_at(c, k, rng)),
        Value::Object(m) => m.values_mut().any(|c| mutate_at(c, k, rng)),
        _ => false,
    }
}

fn mutate(v: &mut Value, rng: &mut Rng) {
    let mut k = rng.below(count_nodes(v));
    mutate_at(v, &mut k, rng);
}

fn mutate_node(node: &mut Value, rng: &mut Rng) {
    match rng.below(9) {
        0 => *node = gen_value(rng, 3),
        1 => {
            // Rename the operator.
            if let Value::Object(m) = node {
                if let Some((_, val)) = m.iter().next().map(|(k, v)| (k.clone(), v.clone())) {
                    m.clear();
                    m.insert(rng.pick(OPS).to_string(), val);
                }
            }
        }
        2 => {
            if let Value::Array(a) = node {
                if !a.is_empty() {
                    let i = rng.below(a.len());
                    a.remove(i);
                }
            }
        }
        3 => {
            if let Value::Array(a) = node {
                if !a.is_empty() {
                    let i = rng.below(a.len());
                    let dup = a[i].clone();
                    a.insert(rng.below(a.len() + 1), dup);
                }
            }
        }
        4 => {
            // Wrap in an operator.
            let inner = std::mem::take(node);
            let mut m = Map::new();
            m.insert(rng.pick(OPS).to_string(), if rng.chance(70) { Value::Array(vec![inner]) } else { inner });
            *node = Value::Object(m);
        }
        5 => *node = gen_number(rng),
        6 => *node = gen_string(rng),
        7 => {
            // Unwrap an operator's argument list into a bare value or vice versa.
            if let Value::Object(m) = node {
                for val in m.values_mut() {
                    *val = match std::mem::take(val) {
                        Value::Array(mut a) if a.len() == 1 => a.pop().unwrap_or(Value::Null),
                        other => Value::Array(vec![other]),
                    };
                }
            }
        }
        _ => {
            // Deep nesting around the node (probes the depth caps).
            let mut inner = std::mem::take(node);
            for _ in 0..rng.below(80) {
                let mut m = Map::new();
                m.insert("!".to_string(), Value::Array(vec![inner]));
                inner = Value::Object(m);
            }
            *node = inner;
        }
    }
}

fn seeds() -> Vec<Value> {
    let mut s = vec![
        json!({"and":[{">=":[{"count":[{"workouts":[{"and":[{"==":[{"var":"exercise"},"chest_press"]},{">=":[{"var":"reps"},10]}]}]}]},10]},{">=":[{"sum":[{"workouts":[{"==":[{"var":"exercise"},"treadmill"]}]},"duration_s"]},3600]}]}),
        json!({"and": [{">=": [{"count": [{"workouts": [{"==": [{"var": "exercise"}, {"param": ["exercise"]}]}]}]}, {"param": ["times", 10]}]},
                       {">=": [{"streak_weeks": [{"workouts": []}, {"param": ["per_week", 2]}]}, 3]}]}),
        json!({"or": [{">=": [{"streak_days": [{"workouts": true}]}, 7]}, {">": [{"distinct_days": [{"workouts": []}]}, 20]}]}),
        json!({"<=": [1, {"max": [{"workouts": [{"in": [{"var": "kind"}, ["weight", "bodyweight"]]}]}, "max_load_kg"]}, 200]}),
        json!({"!": {">=": [{"avg": [{"workouts": {"<": [{"var": "avg_heart_rate"}, 150]}}, "kcal"]}, {"+": [100, 50]}]}}),
        json!({"if": [{">": [{"min": [{"workouts": []}, "duration_s"]}, 60]}, true, {"==": [{"cat": ["a", 1]}, "a1"]}]}),
    ];
    let suite: Value = serde_json::from_str(include_str!("conformance/jsonlogic-tests.json")).expect("suite");
    s.extend(suite.as_array().into_iter().flatten().filter_map(|c| c.get(0).cloned()));
    s
}

fn workouts(rng: &mut Rng) -> Vec<Workout> {
    (0..40)
        .map(|_| {
            let mut values = vec![Value::Null; WORKOUT_FIELDS.len()];
            for (i, (_, t)) in WORKOUT_FIELDS.iter().enumerate() {
                if rng.chance(20) {
                    continue; // SQL NULL
                }
                values[i] = match t {
                    fitflow_core::rules::FieldType::Number => json!(rng.below(5000) as f64 / 4.0),
                    fitflow_core::rules::FieldType::Text => json!(*rng.pick(&["chest_press", "treadmill", "squat", "cardio", "weight"])),
                    fitflow_core::rules::FieldType::Timestamp => json!("2026-11-30T07:00:00Z"),
                };
            }
            let day = 20_700 + rng.below(120) as i32;
            Workout { ended_at_us: i64::from(day) * 86_400_000_000, day, values }
        })
        .collect()
}

fn check_rule_laws(r: &Rule, ws: &[Workout], input: &Value) {
    let canon = r.to_json();
    assert_eq!(compile(&canon).as_ref(), Ok(r), "compile(to_json(r)) != r for {input}");
    assert_eq!(Rule::from_msgpack(&r.to_msgpack()).as_ref(), Ok(r), "msgpack round trip for {input}");
    if let Ok(e) = evaluate(r, ws) {
        assert!((0.0..=1.0).contains(&e.progress), "progress {} for {input}", e.progress);
        assert_eq!(e.complete, e.progress == 1.0, "complete <=> progress 1 for {input}: {}", e.to_json());
        for n in &e.nodes {
            assert!((0.0..=1.0).contains(&n.progress), "node progress {} for {input}", n.progress);
        }
    }
}

fn inputs() -> usize {
    let default = if cfg!(debug_assertions) { 20_000 } else { 1_000_000 };
    std::env::var("FITFLOW_FUZZ_INPUTS").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

#[test]
fn parsers_never_panic() {
    let n = inputs();
    let seed = std::env::var("FITFLOW_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x9E37_79B9_7F4A_7C15u64);
    let mut rng = Rng(seed | 1);
    let seeds = seeds();
    let ws = workouts(&mut rng);
    let data = json!({"a": {"b": [1, "2", null]}, "integers": [1, 2, 3], "exercise": "squat", "reps": 12, "x": ""});
    let mut binaries: Vec<Vec<u8>> = seeds.iter().filter_map(|s| compile(s).ok()).map(|r| r.to_msgpack()).collect();
    assert!(binaries.len() >= 6, "the rule seeds compile");
    let (mut compiled, mut json_inputs, mut byte_inputs, mut decoded) = (0usize, 0usize, 0usize, 0usize);
    let start = Instant::now();

    for i in 0..n {
        // JSON input: a random tree (1 in 3) or a mutated seed (1 to 3 mutations).
        let input = if i % 3 == 0 {
            gen_value(&mut rng, 6)
        } else {
            let mut v = rng.pick(&seeds).clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut v, &mut rng);
            }
            v
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let plain_data = if rng.chance(50) { data.clone() } else { gen_value(&mut rng, 3) };
            let _ = jsonlogic(&input, &plain_data);
            match compile(&input) {
                Ok(r) => {
                    // The laws are checked on a sample (they re-compile and evaluate).
                    if i % 8 == 0 {
                        check_rule_laws(&r, &ws, &input);
                    }
                    Some(r.to_msgpack())
                }
                Err(e) => {
                    assert_eq!(e.sqlstate(), "22P02", "{e} for {input}");
                    assert!(e.message.starts_with("invalid rule: "), "{e}");
                    assert!(e.detail.as_deref().is_some_and(|d| d.starts_with("At JSON pointer \"")), "{e}");
                    None
                }
            }
        }));
        json_inputs += 1;
        match outcome {
            Ok(Some(bin)) => {
                compiled += 1;
                if binaries.len() < 4096 {
                    binaries.push(bin);
                } else {
                    let k = rng.below(binaries.len());
                    binaries[k] = bin;
                }
            }
            Ok(None) => {}
            Err(_) => panic!("panic on JSON input #{i}: {input}"),
        }

        // Byte input: random bytes (1 in 4) or a corrupted valid binary rule.
        let bytes = if i % 4 == 0 {
            let mut b: Vec<u8> = (0..rng.below(48)).map(|_| rng.next() as u8).collect();
            if rng.chance(50) && !b.is_empty() {
                b[0] = 1; // the valid version byte, to reach the decoder
            }
            b
        } else {
            let mut b = rng.pick(&binaries).clone();
            for _ in 0..=rng.below(3) {
                match rng.below(4) {
                    0 if !b.is_empty() => {
                        let k = rng.below(b.len());
                        b[k] = rng.next() as u8;
                    }
                    1 if !b.is_empty() => b.truncate(rng.below(b.len())),
                    2 => {
                        let k = rng.below(b.len() + 1);
                        b.insert(k, rng.next() as u8);
                    }
                    _ if b.len() > 1 => {
                        let k = 1 + rng.below(b.len() - 1);
                        b[k] ^= 1 << rng.below(8);
                    }
                    _ => {}
                }
            }
            b
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| match Rule::from_msgpack(&bytes) {
            Ok(r) => {
                assert_eq!(compile(&r.to_json()).as_ref(), Ok(&r), "decoded rule is not in compiled form");
                true
            }
            Err(e) => {
                assert_eq!(e.sqlstate(), "22P02");
                false
            }
        }));
        byte_inputs += 1;
        match outcome {
            Ok(ok) => decoded += usize::from(ok),
            Err(_) => panic!("panic on binary input #{i}: {bytes:?}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "fuzz: {json_inputs} JSON inputs (each through compile and jsonlogic; {compiled} compiled) and \
         {byte_inputs} binary inputs ({decoded} decoded) in {secs:.1} s"
    );
    assert_eq!(json_inputs, n);
    assert_eq!(byte_inputs, n);
    assert!(compiled > n / 50, "too few mutated inputs are valid rules ({compiled}); the test would not exercise the laws");
}
