//! SQL face of the rule engine: `fitflow.jsonlogic`, the `fitflow.rule` type (validated once,
//! stored as MessagePack of the compiled tree, printed as canonical JSON), `fitflow.evaluate`.

use fitflow_core::error::{FitError, Kind};
use fitflow_core::rules::{self, FieldType, Rule, Workout, WORKOUT_FIELDS};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;
use std::ffi::{CStr, CString};

use crate::error::{raise, spi, OrRaise};

/// Plain JsonLogic (json-logic-js semantics; docs/rules.md).
#[pg_extern(immutable, strict, parallel_safe)]
fn jsonlogic(rule: JsonB, data: JsonB) -> JsonB {
    JsonB(rules::jsonlogic(&rule.0, &data.0).or_raise())
}

fn parse_rule_text(text: &str) -> Rule {
    let json: Value = serde_json::from_str(text).unwrap_or_else(|e| {
        raise(
            FitError::invalid_text("invalid rule: not valid JSON")
                .with_detail(format!("{e} (line {}, column {}).", e.line(), e.column())),
        )
    });
    rules::compile(&json).or_raise()
}

pub(crate) fn decode(bytes: &[u8]) -> Rule {
    Rule::from_msgpack(bytes).or_raise()
}

pgrx::extension_sql!(
    "CREATE TYPE fitflow.rule;",
    name = "rule_shell"
);

/// Input function of fitflow.rule: parse and validate JSON once, store the compiled tree.
#[pg_extern(immutable, strict, parallel_safe, requires = ["rule_shell"],
    sql = "CREATE FUNCTION fitflow.rule_in(cstring) RETURNS fitflow.rule
           IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'rule_in_wrapper';"
)]
fn rule_in(input: &CStr) -> Vec<u8> {
    let text = input.to_str().unwrap_or_else(|_| raise(FitError::invalid_text("invalid rule: input is not valid UTF-8")));
    parse_rule_text(text).to_msgpack()
}

/// Output function of fitflow.rule: canonical JSON.
#[pg_extern(immutable, strict, parallel_safe, requires = ["rule_shell"],
    sql = "CREATE FUNCTION fitflow.rule_out(fitflow.rule) RETURNS cstring
           IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'rule_out_wrapper';"
)]
fn rule_out(rule: &[u8]) -> CString {
    CString::new(decode(rule).to_json().to_string())
        .unwrap_or_else(|_| raise(FitError::new(Kind::DataException, "rule text contains a NUL byte")))
}

#[pg_extern(immutable, strict, parallel_safe, requires = ["rule_shell"],
    sql = "CREATE FUNCTION fitflow.rule_from_jsonb(jsonb) RETURNS fitflow.rule
           IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'rule_from_jsonb_wrapper';"
)]
fn rule_from_jsonb(json: JsonB) -> Vec<u8> {
    rules::compile(&json.0).or_raise().to_msgpack()
}

#[pg_extern(immutable, strict, parallel_safe, requires = ["rule_shell"],
    sql = "CREATE FUNCTION fitflow.rule_to_jsonb(fitflow.rule) RETURNS jsonb
           IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'rule_to_jsonb_wrapper';"
)]
fn rule_to_jsonb(rule: &[u8]) -> JsonB {
    JsonB(decode(rule).to_json())
}

/// The placeholders of a rule: {"name": default, ...} (null = required).
#[pg_extern(immutable, strict, parallel_safe, requires = ["rule_shell"],
    sql = "CREATE FUNCTION fitflow.rule_params(fitflow.rule) RETURNS jsonb
           IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'rule_params_wrapper';"
)]
fn rule_params(rule: &[u8]) -> JsonB {
    JsonB(Value::Object(decode(rule).params().into_iter().collect()))
}

/// The rule with its {"param": [name, default]} placeholders filled from `params`.
#[pg_extern(immutable, strict, parallel_safe, requires = ["rule_shell"],
    sql = "CREATE FUNCTION fitflow.rule_with_params(fitflow.rule, jsonb) RETURNS fitflow.rule
           IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'rule_with_params_wrapper';"
)]
fn rule_with_params(rule: &[u8], params: JsonB) -> Vec<u8> {
    let Value::Object(map) = params.0 else {
        raise(FitError::invalid_param("invalid rule parameters").with_detail("Parameters must be a JSON object of name: value."));
    };
    decode(rule).with_params(&map).or_raise().to_msgpack()
}

const Q_WORKOUTS: &str = "SELECT (w.ended_at AT TIME ZONE fitflow.timezone())::date OPERATOR(pg_catalog.-) DATE '1970-01-01',
       w.ended_at, w.session_id::float8, w.athlete_id::float8, w.exercise, w.kind,
       pg_catalog.to_char(w.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
       pg_catalog.to_char(w.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
       w.readings::float8, w.sets::float8, w.reps::float8, w.full_range_reps::float8, w.tonnage_kg, w.max_load_kg,
       w.distance_m, w.duration_s, w.avg_heart_rate, w.max_heart_rate::float8, w.avg_speed_kmh,
       w.reps_per_min_max::float8, w.est_1rm_kg, w.vo2_ml_kg_min, w.met, w.kcal
  FROM fitflow.workouts w
 WHERE w.athlete_id OPERATOR(pg_catalog.=) $1
   AND w.ended_at OPERATOR(pg_catalog.>) $2 AND w.ended_at OPERATOR(pg_catalog.<=) $3
 ORDER BY w.ended_at, w.session_id";

/// Convert rows shaped like Q_WORKOUTS (local day, ended_at, then WORKOUT_FIELDS) to workouts.
/// `ended_at_us` holds PostgreSQL microseconds (since 2000-01-01).
pub(crate) fn workouts_of(rows: pgrx::spi::SpiTupleTable<'_>) -> Vec<Workout> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let day = spi(row.get::<i32>(1)).unwrap_or_default();
        let ended: Option<TimestampWithTimeZone> = spi(row.get(2));
        let mut values = Vec::with_capacity(WORKOUT_FIELDS.len());
        for (k, (_, ty)) in WORKOUT_FIELDS.iter().enumerate() {
            let col = k + 3;
            let v = match ty {
                FieldType::Number => spi(row.get::<f64>(col))
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
                FieldType::Text | FieldType::Timestamp => spi(row.get::<String>(col)).map(Value::String).unwrap_or(Value::Null),
            };
            values.push(v);
        }
        out.push(Workout { ended_at_us: ended.map(pg_sys::TimestampTz::from).unwrap_or_default(), day, values });
    }
    out
}

/// The athlete's workouts ended in (since, as_of], sorted by (ended_at, session_id).
pub(crate) fn load_workouts(athlete_id: i64, since: TimestampWithTimeZone, as_of: TimestampWithTimeZone) -> Vec<Workout> {
    Spi::connect(|client| {
        workouts_of(spi(client.select(Q_WORKOUTS, None, &[athlete_id.into(), since.into(), as_of.into()])))
    })
}

/// Evaluate a challenge rule over the athlete's workouts ended in (since, as_of]:
/// {"progress", "complete", "nodes": [{"path", "op", "value", "target", "progress"}]}.
#[pg_extern(stable, parallel_safe, requires = ["rule_shell", "rule_type"],
    sql = "CREATE FUNCTION fitflow.evaluate(rule fitflow.rule, athlete_id bigint,
               as_of timestamptz DEFAULT pg_catalog.now(), since timestamptz DEFAULT '-infinity')
           RETURNS jsonb STABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'evaluate_wrapper';"
)]
fn evaluate(
    rule: Option<&[u8]>,
    athlete_id: Option<i64>,
    as_of: Option<TimestampWithTimeZone>,
    since: Option<TimestampWithTimeZone>,
) -> Option<JsonB> {
    let (rule, athlete_id) = (rule?, athlete_id?);
    let as_of = as_of.unwrap_or_else(|| raise(FitError::invalid_param("as_of must not be NULL")));
    let since = since.unwrap_or_else(TimestampWithTimeZone::negative_infinity);
    let rule = decode(rule);
    let workouts = load_workouts(athlete_id, since, as_of);
    Some(JsonB(rules::evaluate(&rule, &workouts).or_raise().to_json()))
}

pgrx::extension_sql!(
    r#"
CREATE TYPE fitflow.rule (
    INPUT = fitflow.rule_in,
    OUTPUT = fitflow.rule_out,
    INTERNALLENGTH = VARIABLE,
    STORAGE = extended
);
CREATE CAST (jsonb AS fitflow.rule) WITH FUNCTION fitflow.rule_from_jsonb(jsonb) AS ASSIGNMENT;
CREATE CAST (fitflow.rule AS jsonb) WITH FUNCTION fitflow.rule_to_jsonb(fitflow.rule) AS ASSIGNMENT;
-- Internal: the stored form is a varlena of MessagePack bytes, binary-compatible with bytea.
CREATE CAST (fitflow.rule AS bytea) WITHOUT FUNCTION;
COMMENT ON TYPE fitflow.rule IS 'A validated challenge rule tree: JSON in and out (canonical), stored as MessagePack of the compiled tree. Invalid rules raise 22P02 with the JSON pointer of the bad node.';
"#,
    name = "rule_type",
    requires = [rule_in, rule_out, rule_from_jsonb, rule_to_jsonb]
);

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn rule_round_trips_as_canonical_json() {
        let out = Spi::get_one::<String>(r#"SELECT '{"!": true}'::fitflow.rule::text"#).unwrap().unwrap();
        let again = Spi::get_one::<String>(&format!("SELECT '{out}'::fitflow.rule::text")).unwrap().unwrap();
        assert_eq!(out, again);
        let j = Spi::get_one::<pgrx::JsonB>(r#"SELECT ('{"jsonlogic":1}'::jsonb)"#).unwrap();
        assert!(j.is_some());
        let v = Spi::get_one::<pgrx::JsonB>(r#"SELECT fitflow.jsonlogic('{"+": [1, "2"]}', '{}')"#).unwrap().unwrap();
        assert_eq!(v.0, serde_json::json!(3));
    }

    #[pg_test(error = "invalid rule: not valid JSON")]
    fn non_json_rule_is_22p02() {
        let _ = Spi::get_one::<String>("SELECT 'nope'::fitflow.rule::text");
    }
}
