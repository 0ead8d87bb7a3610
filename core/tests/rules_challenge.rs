//! Challenge rules on hand-built histories: progress, streaks, validation errors,
//! binary and canonical round trips, templates.
//!
//! Day numbers (days since 1970-01-01) and weekdays below come from Python's
//! `datetime.date` (independent of this code): 2026-10-31 Saturday = 20757,
//! 2026-11-01 Sunday = 20758, 2026-11-29 Sunday = 20786 (ISO week 48),
//! 2026-11-30 Monday = 20787 (ISO week 49), 2026-12-01 Tuesday = 20788 (week 49),
//! 2026-12-31 Thursday = 20818 (ISO 2026-W53), 2027-01-04 Monday = 20822 (ISO 2027-W01).

use fitflow_core::error::FitError;
use fitflow_core::rules::{compile, evaluate, field_index, Evaluation, Rule, Workout, WORKOUT_FIELDS};
use serde_json::{json, Map, Value};

const SAT_OCT_31: i32 = 20757;
const SUN_NOV_1: i32 = 20758;
const SUN_NOV_29: i32 = 20786;
const MON_NOV_30: i32 = 20787;
const TUE_DEC_1: i32 = 20788;
const THU_DEC_31: i32 = 20818;
const MON_JAN_4: i32 = 20822;

fn workout(day: i32, fields: Value) -> Workout {
    let mut values = vec![Value::Null; WORKOUT_FIELDS.len()];
    for (k, v) in fields.as_object().expect("object") {
        values[field_index(k).expect("known field")] = v.clone();
    }
    Workout { ended_at_us: i64::from(day) * 86_400_000_000 + 43_200_000_000, day, values }
}

fn chest(day: i32, reps: i64) -> Workout {
    workout(day, json!({"exercise": "chest_press", "kind": "weight", "reps": reps, "sets": 3}))
}

fn treadmill(day: i32, seconds: i64) -> Workout {
    workout(day, json!({"exercise": "treadmill", "kind": "cardio", "duration_s": seconds, "distance_m": seconds * 3}))
}

/// The example of issue 6: ten chest-press workouts of at least 10 reps and one hour
/// on the treadmill.
fn example() -> Value {
    json!({"and":[
        {">=":[{"count":[{"workouts":[{"and":[{"==":[{"var":"exercise"},"chest_press"]},{">=":[{"var":"reps"},10]}]}]}]},10]},
        {">=":[{"sum":[{"workouts":[{"==":[{"var":"exercise"},"treadmill"]}]},"duration_s"]},3600]}
    ]})
}

fn eval_json(rule: &Value, ws: &[Workout]) -> Evaluation {
    evaluate(&compile(rule).expect("valid rule"), ws).expect("evaluates")
}

fn err_of(rule: Value) -> FitError {
    compile(&rule).expect_err("rule must be rejected")
}

// ---------------------------------------------------------------------------------
// Progress

#[test]
fn example_partial_progress() {
    // 7 qualifying chest presses (2 more with only 8 reps do not count) and 1800 s
    // of treadmill: count 7/10 = 0.7, sum 1800/3600 = 0.5, and = mean = 0.6.
    let mut ws: Vec<Workout> = (0..7).map(|i| chest(20000 + i, 12)).collect();
    ws.push(chest(20010, 8));
    ws.push(chest(20011, 8));
    ws.push(treadmill(20012, 1200));
    ws.push(treadmill(20013, 600));
    let e = eval_json(&example(), &ws);
    assert!(!e.complete);
    assert!((e.progress - 0.6).abs() < 1e-12, "progress {}", e.progress);
    assert_eq!(
        e.to_json(),
        json!({"progress": 0.6, "complete": false, "nodes": [
            {"path": "", "op": "and", "value": false, "target": null, "progress": 0.6},
            {"path": "/and/0", "op": ">=", "value": 7, "target": 10, "progress": 0.7},
            {"path": "/and/0/>=/0", "op": "count", "value": 7, "target": null, "progress": 1},
            {"path": "/and/1", "op": ">=", "value": 1800, "target": 3600, "progress": 0.5},
            {"path": "/and/1/>=/0", "op": "sum", "value": 1800, "target": null, "progress": 1}
        ]})
    );
}

#[test]
fn example_complete() {
    let mut ws: Vec<Workout> = (0..10).map(|i| chest(20000 + i, 10)).collect();
    ws.push(treadmill(20020, 3600));
    let e = eval_json(&example(), &ws);
    assert!(e.complete);
    assert_eq!(e.progress, 1.0);
    assert!(e.nodes.iter().all(|n| n.progress == 1.0));
    // One chest press short: the count node is 9/10 and the rule is not complete.
    let e = eval_json(&example(), &ws[1..]);
    assert!(!e.complete);
    assert!((e.progress - 0.95).abs() < 1e-12);
}

#[test]
fn example_empty_history() {
    let e = eval_json(&example(), &[]);
    assert!(!e.complete);
    assert_eq!(e.progress, 0.0);
    assert_eq!(e.nodes[1].value, json!(0)); // count of nothing is 0
    assert_eq!(e.nodes[3].value, json!(0)); // sum of nothing is 0
}

#[test]
fn empty_selection_aggregates() {
    let w = [treadmill(20000, 100)];
    let none = json!({"workouts": [{"==": [{"var": "exercise"}, "rowing"]}]});
    for (op, expected) in [("max", Value::Null), ("min", Value::Null), ("avg", Value::Null), ("sum", json!(0))] {
        let rule = json!({"==": [{op: [none.clone(), "duration_s"]}, expected.clone()]});
        let e = eval_json(&rule, &w);
        assert_eq!(e.nodes[1].value, expected, "{op}");
    }
    let e = eval_json(&json!({"==": [{"count": [none]}, 0]}), &w);
    assert!(e.complete);
}

#[test]
fn aggregates_skip_null_fields() {
    // avg of 100, 300 and a workout without duration: (100 + 300) / 2 = 200.
    let ws = [treadmill(1, 100), treadmill(2, 300), chest(3, 10)];
    let all = json!({"workouts": []});
    let e = eval_json(&json!({"and": [
        {"==": [{"avg": [all.clone(), "duration_s"]}, 200]},
        {"==": [{"max": [all.clone(), "duration_s"]}, 300]},
        {"==": [{"min": [all.clone(), "duration_s"]}, 100]},
        {"==": [{"sum": [all.clone(), "duration_s"]}, 400]},
        {"==": [{"count": [all]}, 3]}
    ]}), &ws);
    assert!(e.complete, "{}", e.to_json());
}

#[test]
fn ordering_with_null_field_is_false_in_rules() {
    // JsonLogic alone would say null <= 150 (null becomes 0); in rules a workout
    // without heart rate does not count as "at most 150 bpm".
    let ws = [treadmill(1, 100)];
    let rule = json!({">=": [{"count": [{"workouts": [{"<=": [{"var": "avg_heart_rate"}, 150]}]}]}, 1]});
    assert!(!eval_json(&rule, &ws).complete);
    let rule = json!({">=": [{"count": [{"workouts": [{"==": [{"var": "avg_heart_rate"}, null]}]}]}, 1]});
    assert!(eval_json(&rule, &ws).complete);
}

#[test]
fn timestamps_compare_as_iso_text() {
    let mut w = treadmill(SUN_NOV_29, 60);
    w.values[field_index("started_at").unwrap()] = json!("2026-11-29T07:00:00Z");
    let rule = json!({"==": [{"count": [{"workouts": [{">=": [{"var": "started_at"}, "2026-11-29T06:00:00Z"]}]}]}, 1]});
    assert!(eval_json(&rule, &[w]).complete);
}

#[test]
fn progress_refinements() {
    let ws: Vec<Workout> = (0..3).map(|i| chest(100 + i, 10)).collect();
    let all = || json!({"count": [{"workouts": true}]});
    // ">" at exactly the target is false, so its progress stays below 1.
    let e = eval_json(&json!({">": [all(), 3]}), &ws);
    assert_eq!((e.complete, e.progress), (false, 0.99));
    // An upper bound that is exceeded has progress 0; a satisfied one 1.
    let e = eval_json(&json!({"<=": [all(), 2]}), &ws);
    assert_eq!((e.complete, e.progress), (false, 0.0));
    let e = eval_json(&json!({"<": [all(), 5]}), &ws);
    assert_eq!((e.complete, e.progress), (true, 1.0));
    // The measured side may be on the right: 10 <= count means count >= 10 (3/10).
    let e = eval_json(&json!({"<=": [10, all()]}), &ws);
    assert!((e.progress - 0.3).abs() < 1e-12);
    assert_eq!((e.nodes[0].value.clone(), e.nodes[0].target.clone()), (json!(3), Some(json!(10))));
    // or is the maximum of its arguments: max(3/4, 3/12) = 0.75.
    let e = eval_json(&json!({"or": [{">=": [all(), 4]}, {">=": [all(), 12]}]}), &ws);
    assert_eq!(e.progress, 0.75);
    // A target of 0 or less: 1 when true else 0; `!` is 1 when true else 0.
    let e = eval_json(&json!({">": [all(), 0]}), &[]);
    assert_eq!(e.progress, 0.0);
    let e = eval_json(&json!({"!": [{">=": [all(), 4]}]}), &ws);
    assert_eq!((e.complete, e.progress), (true, 1.0));
    // A null aggregate (max of nothing) gives progress 0 against a positive target.
    let e = eval_json(&json!({">=": [{"max": [{"workouts": []}, "tonnage_kg"]}, 100]}), &[]);
    assert_eq!((e.complete, e.progress), (false, 0.0));
}

#[test]
fn evaluation_is_deterministic_and_order_independent() {
    let mut ws: Vec<Workout> = (0..6).map(|i| chest(SUN_NOV_29 + (i % 3), 10 + i as i64)).collect();
    ws.push(treadmill(TUE_DEC_1, 2000));
    let rule = json!({"and": [example(), {">=": [{"streak_days": [{"workouts": []}]}, 3]}]});
    let a = eval_json(&rule, &ws).to_json();
    ws.reverse();
    let b = eval_json(&rule, &ws).to_json();
    assert_eq!(a, b);
    assert_eq!(a.to_string(), b.to_string());
}

// ---------------------------------------------------------------------------------
// Days and streaks

fn streaks(ws: &[Workout], n: u32) -> (Value, Value, Value) {
    let sel = json!({"workouts": []});
    let e = eval_json(
        &json!({"and": [{"distinct_days": [sel.clone()]}, {"streak_days": [sel.clone()]}, {"streak_weeks": [sel, n]}]}),
        ws,
    );
    (e.nodes[1].value.clone(), e.nodes[2].value.clone(), e.nodes[3].value.clone())
}

#[test]
fn distinct_days_count_days_not_workouts() {
    let ws = [chest(SUN_NOV_29, 10), treadmill(SUN_NOV_29, 60), chest(TUE_DEC_1, 10)];
    assert_eq!(streaks(&ws, 1).0, json!(2));
    assert_eq!(streaks(&[], 1), (json!(0), json!(0), json!(0)));
}

#[test]
fn day_streak_across_month_and_week_boundaries() {
    // Sun 29 Nov, Mon 30 Nov, Tue 1 Dec: three consecutive days spanning a month end
    // and an ISO week start; Sat 31 Oct and Sun 1 Nov are a separate run of two.
    let ws = [chest(SAT_OCT_31, 10), chest(SUN_NOV_1, 10), chest(SUN_NOV_29, 10), chest(MON_NOV_30, 10), chest(TUE_DEC_1, 10)];
    let (days, streak, _) = streaks(&ws, 1);
    assert_eq!(days, json!(5));
    assert_eq!(streak, json!(3));
    // Without Monday the longest run is 2 (Sat-Sun in October/November).
    let gap = [chest(SAT_OCT_31, 10), chest(SUN_NOV_1, 10), chest(SUN_NOV_29, 10), chest(TUE_DEC_1, 10)];
    assert_eq!(streaks(&gap, 1).1, json!(2));
}

#[test]
fn week_streaks_use_iso_weeks_starting_monday() {
    // Sun 29 Nov is ISO week 48; Mon 30 Nov and Tue 1 Dec are week 49.
    let ws = [chest(SUN_NOV_29, 10), chest(MON_NOV_30, 10), chest(TUE_DEC_1, 10)];
    assert_eq!(streaks(&ws, 1).2, json!(2)); // weeks 48 and 49 both have a workout
    assert_eq!(streaks(&ws, 2).2, json!(1)); // only week 49 has two
    assert_eq!(streaks(&ws, 3).2, json!(0));
    // Sat 31 Oct and Sun 1 Nov are the same ISO week (44): weeks 44 and 49 qualify
    // with N = 2 but are not consecutive, so the streak is 1.
    let ws = [chest(SAT_OCT_31, 10), chest(SUN_NOV_1, 10), chest(MON_NOV_30, 10), chest(TUE_DEC_1, 10)];
    assert_eq!(streaks(&ws, 2).2, json!(1));
    // Across the year end: 2026-W53 (Thu 31 Dec) then 2027-W01 (Mon 4 Jan).
    let ws = [chest(THU_DEC_31, 10), chest(MON_JAN_4, 10)];
    assert_eq!(streaks(&ws, 1), (json!(2), json!(1), json!(2)));
}

#[test]
fn streak_weeks_progress_toward_target() {
    // Four consecutive weeks of 3 workouts wanted; two weeks done: 2/4 = 0.5.
    let ws: Vec<Workout> = [0, 1, 2, 7, 8, 9].iter().map(|d| chest(MON_NOV_30 + d, 10)).collect();
    let e = eval_json(&json!({">=": [{"streak_weeks": [{"workouts": []}, 3]}, 4]}), &ws);
    assert_eq!(e.progress, 0.5);
}

// ---------------------------------------------------------------------------------
// Validation errors

fn assert_invalid(rule: Value, message: &str, pointer: &str) -> FitError {
    let e = err_of(rule);
    assert_eq!(e.sqlstate(), "22P02", "{e}");
    assert_eq!(e.message, message, "{e}");
    let detail = e.detail.clone().unwrap_or_default();
    assert!(detail.starts_with(&format!("At JSON pointer \"{pointer}\": expected ")), "detail: {detail}");
    assert!(detail.ends_with('.'), "detail: {detail}");
    e
}

#[test]
fn validation_errors_name_the_json_pointer() {
    let e = assert_invalid(
        json!({"and": [{">=": [{"count": [{"workouts": []}]}, 10]}, {">=": [{"count": [{"workouts": []}]}, "ten"]}]}),
        "invalid rule: type mismatch in operator \">=\"",
        "/and/1/>=/1",
    );
    assert_eq!(e.detail.as_deref(), Some("At JSON pointer \"/and/1/>=/1\": expected a number, found the string \"ten\"."));

    let e = assert_invalid(
        json!({">=": [{"count": [{"workouts": [{"==": [{"var": "exercize"}, "squat"]}]}]}, 1]}),
        "invalid rule: unrecognized workout field \"exercize\"",
        "/>=/0/count/0/workouts/0/==/0/var",
    );
    let hint = e.hint.unwrap_or_default();
    assert!(hint.starts_with("Valid fields are: session_id, athlete_id, exercise, kind,"), "{hint}");
    assert!(hint.ends_with("met, kcal."), "{hint}");

    let e = assert_invalid(json!({"and": [true, {"sumx": [1]}]}), "invalid rule: unrecognized operator \"sumx\"", "/and/1");
    assert!(e.hint.unwrap_or_default().starts_with("Valid operators are: and, or,"));

    assert_invalid(json!({"and": [{">=": [1, 2, 3]}]}), "invalid rule: operator \">=\" takes 2 arguments", "/and/0/>=");
    assert_invalid(json!({">=": [{"var": "reps"}, 1]}), "invalid rule: \"var\" is only allowed inside a workouts predicate", "/>=/0");
    assert_invalid(
        json!({"sum": [{"workouts": []}, "exercise"]}),
        "invalid rule: field \"exercise\" of operator \"sum\" is not numeric",
        "/sum/1",
    );
    assert_invalid(json!({">=": [{"workouts": []}, 1]}), "invalid rule: a workouts selection must be aggregated", "/>=/0");
    assert_invalid(
        json!({"count": [{"workouts": [{">": [{"count": [{"workouts": []}]}, 1]}]}]}),
        "invalid rule: aggregate \"count\" is not allowed inside a workouts predicate",
        "/count/0/workouts/0/>/0",
    );
    assert_invalid(json!({"count": [{"exercise": "x"}]}), "invalid rule: operator \"count\" needs a workouts selection", "/count/0");
    assert_invalid(json!({"map": [[1], true]}), "invalid rule: operator \"map\" is not supported in rules", "");
    assert_invalid(json!([1, 2]), "invalid rule: expected an operator object", "");
    assert_invalid(json!({"and": [{}]}), "invalid rule: expected an operator object", "/and/0");
    assert_invalid(json!({"and": [[1]]}), "invalid rule: unexpected array", "/and/0");
    // A bare (non-array) argument shares the operator's pointer.
    assert_invalid(json!({"!": {"xyz": 1}}), "invalid rule: unrecognized operator \"xyz\"", "/!");
    // Keys are escaped per RFC 6901: "/" becomes "~1".
    assert_invalid(
        json!({"/": [{"count": [{"workouts": []}]}, "x"]}),
        "invalid rule: type mismatch in operator \"/\"",
        "/~1/1",
    );
    assert_invalid(
        json!({"==": [{"count": [{"workouts": [{"==": [{"var": "exercise"}, 5]}]}]}, 1]}),
        "invalid rule: type mismatch in operator \"==\"",
        "/==/0/count/0/workouts/0/==/1",
    );
    assert_invalid(
        json!({">=": [{"streak_weeks": [{"workouts": []}, 0]}, 2]}),
        "invalid rule: operator \"streak_weeks\" needs a whole number of workouts per week",
        "/>=/0/streak_weeks/1",
    );
    assert_invalid(
        json!({"and": [{"param": ["n", 1]}, {"param": ["n", 2]}]}),
        "invalid rule: parameter \"n\" has conflicting defaults",
        "/and/1/param",
    );
}

#[test]
fn nesting_is_capped_at_64_operators() {
    let nest = |n: usize| {
        let mut r = json!({">=": [{"count": [{"workouts": []}]}, 1]});
        for _ in 1..n {
            r = json!({"!": [r]});
        }
        r
    };
    assert!(compile(&nest(63)).is_ok());
    let e = err_of(nest(70));
    assert_eq!(e.sqlstate(), "22P02");
    assert_eq!(e.message, "invalid rule: nesting exceeds 64 levels");
    // Far deeper input is refused just as cleanly (no recursion past the cap).
    // Built by hand: json!() would serialize (recurse into) the nested value.
    let mut deep = json!(1);
    for _ in 0..5000 {
        let mut m = Map::new();
        m.insert("!".into(), Value::Array(vec![deep]));
        deep = Value::Object(m);
    }
    assert_eq!(compile(&deep).unwrap_err().message, "invalid rule: nesting exceeds 64 levels");
    std::mem::forget(deep); // dropping 5000 nested values recursively is serde_json's problem, not ours
}

// ---------------------------------------------------------------------------------
// Binary and canonical forms

#[test]
fn msgpack_round_trip() {
    let rule = compile(&example()).unwrap();
    let bytes = rule.to_msgpack();
    assert_eq!(bytes[0], 1, "format version byte");
    assert!(bytes.len() < example().to_string().len() / 2, "{} bytes vs {} of JSON", bytes.len(), example().to_string().len());
    assert_eq!(Rule::from_msgpack(&bytes).unwrap(), rule);
    let template = compile(&json!({">=": [{"streak_weeks": [{"workouts": []}, {"param": ["per_week", 2]}]}, {"param": ["weeks"]}]})).unwrap();
    assert_eq!(Rule::from_msgpack(&template.to_msgpack()).unwrap(), template);
}

#[test]
fn corrupt_msgpack_is_an_error() {
    let bytes = compile(&example()).unwrap().to_msgpack();
    let mut trailing = bytes.clone();
    trailing.push(0);
    for bad in [&[][..], &[2u8, 0x90][..], &bytes[..bytes.len() - 1], &[1u8][..], &[1u8, 0xc1][..], &trailing[..]] {
        let e = Rule::from_msgpack(bad).unwrap_err();
        assert_eq!(e.sqlstate(), "22P02");
        assert_eq!(e.message, "invalid rule: corrupt binary form");
    }
    // Every single-byte corruption either fails cleanly or decodes to a valid rule.
    for i in 1..bytes.len() {
        for x in [0x00u8, 0x01, 0x7f, 0x80, 0xc0, 0xdd, 0xff] {
            let mut b = bytes.clone();
            b[i] = x;
            if let Ok(r) = Rule::from_msgpack(&b) {
                assert_eq!(compile(&r.to_json()).unwrap(), r);
            }
        }
    }
}

#[test]
fn canonical_json_normalizes_equivalent_rules() {
    let short = json!({"!": {">=": [{"count": {"workouts": true}}, 1]}});
    let long = json!({"!": [{">=": [{"count": [{"workouts": []}]}, 1]}]});
    let (a, b) = (compile(&short).unwrap(), compile(&long).unwrap());
    assert_eq!(a, b);
    assert_eq!(a.to_json(), long);
    assert_eq!(a.to_json().to_string(), r#"{"!":[{">=":[{"count":[{"workouts":[]}]},1]}]}"#);
    // var keeps its bare field name; a one-element var array is normalized to it.
    let r = compile(&json!({"count": [{"workouts": {"==": [{"var": ["kind"]}, "cardio"]}}]})).unwrap();
    assert_eq!(r.to_json(), json!({"count": [{"workouts": [{"==": [{"var": "kind"}, "cardio"]}]}]}));
    for rule in [example(), short, json!({"or": [{"<": [1, {"max": [{"workouts": []}, "kcal"]}, 900]}, {"param": ["x", true]}]})] {
        let r = compile(&rule).unwrap();
        assert_eq!(compile(&r.to_json()).unwrap(), r, "{rule}");
        assert_eq!(r.to_string(), r.to_json().to_string());
    }
}

// ---------------------------------------------------------------------------------
// Templates

fn template() -> Value {
    json!({"and": [
        {">=": [{"count": [{"workouts": [{"==": [{"var": "exercise"}, {"param": ["exercise"]}]}]}]}, {"param": ["times", 10]}]},
        {">=": [{"streak_weeks": [{"workouts": []}, {"param": ["per_week", 2]}]}, 3]}
    ]})
}

#[test]
fn params_are_listed_in_order_with_defaults() {
    let r = compile(&template()).unwrap();
    assert_eq!(
        r.params(),
        vec![("exercise".to_string(), Value::Null), ("times".to_string(), json!(10)), ("per_week".to_string(), json!(2))]
    );
}

#[test]
fn with_params_fills_placeholders() {
    let r = compile(&template()).unwrap();
    let mut values = Map::new();
    values.insert("exercise".into(), json!("squat"));
    values.insert("per_week".into(), json!(3));
    let filled = r.with_params(&values).unwrap();
    assert!(filled.params().is_empty());
    assert_eq!(
        filled.to_json(),
        json!({"and": [
            {">=": [{"count": [{"workouts": [{"==": [{"var": "exercise"}, "squat"]}]}]}, 10]},
            {">=": [{"streak_weeks": [{"workouts": []}, 3]}, 3]}
        ]})
    );
    // Ten squats fill the first requirement.
    let ws: Vec<Workout> = (0..10).map(|i| workout(20000 + i, json!({"exercise": "squat"}))).collect();
    assert_eq!(evaluate(&filled, &ws).unwrap().nodes[1].progress, 1.0);
}

#[test]
fn with_params_errors() {
    let r = compile(&template()).unwrap();
    let e = r.with_params(&Map::new()).unwrap_err();
    assert_eq!((e.sqlstate(), e.message.as_str()), ("22023", "missing value for rule parameter \"exercise\""));

    let mut values = Map::new();
    values.insert("exercise".into(), json!("squat"));
    values.insert("bogus".into(), json!(1));
    let e = r.with_params(&values).unwrap_err();
    assert_eq!((e.sqlstate(), e.message.as_str()), ("22023", "unrecognized rule parameter \"bogus\""));
    assert_eq!(e.hint.as_deref(), Some("The rule's parameters are: exercise, times, per_week."));

    let mut values = Map::new();
    values.insert("exercise".into(), json!({"var": "x"}));
    let e = r.with_params(&values).unwrap_err();
    assert_eq!((e.sqlstate(), e.message.as_str()), ("22023", "invalid value for rule parameter \"exercise\""));

    // A value of the wrong type fails validation of the filled rule, at its pointer.
    let mut values = Map::new();
    values.insert("exercise".into(), json!(5));
    let e = r.with_params(&values).unwrap_err();
    assert_eq!(e.sqlstate(), "22P02");
    assert_eq!(
        e.detail.as_deref(),
        Some("At JSON pointer \"/and/0/>=/0/count/0/workouts/0/==/1\": expected a string, found the number 5.")
    );
}

#[test]
fn unfilled_required_param_fails_evaluation() {
    let r = compile(&template()).unwrap();
    let e = evaluate(&r, &[chest(1, 10)]).unwrap_err();
    assert_eq!((e.sqlstate(), e.message.as_str()), ("22023", "rule parameter \"exercise\" has no value"));
    // Parameters with defaults evaluate to their default.
    let r = compile(&json!({">=": [{"count": [{"workouts": []}]}, {"param": ["times", 2]}]})).unwrap();
    let e = evaluate(&r, &[chest(1, 10)]).unwrap();
    assert_eq!((e.progress, e.nodes[0].target.clone()), (0.5, Some(json!(2))));
}
