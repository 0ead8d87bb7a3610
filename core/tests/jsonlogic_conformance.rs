//! Every case of the shared JsonLogic suite (tests/conformance/jsonlogic-tests.json,
//! from jwadhams/json-logic, MIT) must give the expected value.

use fitflow_core::rules::{jsonlogic, JsonLogic};
use serde_json::Value;

fn cases() -> Vec<(Value, Value, Value)> {
    let text = include_str!("conformance/jsonlogic-tests.json");
    let all: Value = serde_json::from_str(text).expect("suite parses");
    all.as_array()
        .expect("suite is an array")
        .iter()
        .filter_map(|c| match c {
            Value::Array(t) if t.len() == 3 => Some((t[0].clone(), t[1].clone(), t[2].clone())),
            Value::String(_) => None,
            other => panic!("unexpected entry {other}"),
        })
        .collect()
}

/// JSON equality where 1 and 1.0 are the same number (the suite writes integers,
/// JavaScript has only doubles).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn all_277_cases_pass() {
    let cases = cases();
    assert_eq!(cases.len(), 277, "the suite has 277 cases");
    let mut failures = Vec::new();
    for (i, (rule, data, expected)) in cases.iter().enumerate() {
        let got = jsonlogic(rule, data);
        let ok = matches!(&got, Ok(v) if same(v, expected));
        // The compiled-once path must agree with the one-shot function.
        let compiled = JsonLogic::compile(rule).and_then(|c| c.apply(data));
        if !ok || compiled != got {
            failures.push(format!("case {i}: {rule} with {data}: expected {expected}, got {got:?} / {compiled:?}"));
        }
    }
    let passed = cases.len() - failures.len();
    println!("jsonlogic conformance: {passed}/{} cases pass", cases.len());
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert_eq!(passed, 277);
}

/// Edge cases beyond the suite; expected values produced by json-logic-js 2.0.5
/// itself (benches/rules/edge-cases.js regenerates the file).
#[test]
fn json_logic_js_edge_cases() {
    let text = include_str!("conformance/json-logic-js-edge-cases.json");
    let all: Value = serde_json::from_str(text).expect("edge cases parse");
    let cases: Vec<&Value> = all.as_array().expect("array").iter().filter(|c| c.is_array()).collect();
    assert_eq!(cases.len(), 72);
    let mut failures = Vec::new();
    for c in &cases {
        let (rule, data, expected) = (&c[0], &c[1], &c[2]);
        let got = jsonlogic(rule, data);
        if !matches!(&got, Ok(v) if same(v, expected)) {
            failures.push(format!("{rule} with {data}: expected {expected}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{} edge cases differ from json-logic-js:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn unknown_operator_is_22023_when_reached() {
    // json-logic-js throws "Unrecognized operation xyz" only when it evaluates the node.
    let rule: Value = serde_json::json!({"if": [true, 1, {"xyz": [1]}]});
    assert_eq!(jsonlogic(&rule, &Value::Null), Ok(serde_json::json!(1)));
    let rule: Value = serde_json::json!({"and": [true, {"xyz": [1]}]});
    let err = jsonlogic(&rule, &Value::Null).unwrap_err();
    assert_eq!(err.sqlstate(), "22023");
    assert_eq!(err.message, "unrecognized operation \"xyz\"");
}

#[test]
fn absurd_nesting_is_refused_not_a_stack_overflow() {
    let mut rule = serde_json::json!(1);
    for _ in 0..129 {
        rule = serde_json::json!({"!": [rule]});
    }
    let err = jsonlogic(&rule, &Value::Null).unwrap_err();
    assert_eq!(err.sqlstate(), "54000");
    assert_eq!(err.message, "jsonlogic rule is nested too deeply");
    // 128 levels are fine: an even number of negations of 1 is true.
    let mut rule = serde_json::json!(1);
    for _ in 0..128 {
        rule = serde_json::json!({"!": [rule]});
    }
    assert_eq!(jsonlogic(&rule, &Value::Null), Ok(Value::Bool(true)));
}

#[test]
fn runaway_growth_is_refused() {
    // Doubling a string 30 times in reduce would build 1 GiB; the cap (16 MiB) stops it.
    let rule = serde_json::json!({"reduce": [
        {"merge": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]},
        {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]},
        "x"
    ]});
    let err = jsonlogic(&rule, &Value::Null).unwrap_err();
    assert_eq!((err.sqlstate(), err.message.as_str()), ("54000", "result of operator \"cat\" is too large"));
    // Ten doublings (1 KiB) are fine.
    let rule = serde_json::json!({"reduce": [[1,2,3,4,5,6,7,8,9,10], {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]}, "x"]});
    assert_eq!(jsonlogic(&rule, &Value::Null).unwrap().as_str().map(str::len), Some(1024));
}
