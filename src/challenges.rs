//! On-demand pipeline, Rust side: evaluate every enrollment of one athlete in one pass (their
//! workouts are read once), and the live progress of a streaming session for NOTIFY. The table
//! maintenance, triggers and NOTIFY of results are SQL in `sql/challenges.sql`.

use fitflow_core::challenges::challenge_result;
use fitflow_core::rules::Workout;
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::{json, Value};

use crate::error::spi;
use crate::rules::{decode, load_workouts, workouts_of};

struct Enrollment {
    challenge_id: i64,
    rule: Vec<u8>,
    starts_us: i64,
    ends_us: i64,
    rule_version: i32,
}

const Q_ENROLLMENTS: &str = "SELECT e.challenge_id, (coalesce(e.rule_override, c.rule))::bytea, c.starts_at, c.ends_at, c.rule_version
      FROM fitflow.enrollments e JOIN fitflow.challenges c ON c.challenge_id OPERATOR(pg_catalog.=) e.challenge_id
     WHERE e.athlete_id OPERATOR(pg_catalog.=) $1
       AND ($2::bigint[] IS NULL OR e.challenge_id OPERATOR(pg_catalog.=) ANY ($2::bigint[]))
       AND (NOT $3 OR (c.starts_at OPERATOR(pg_catalog.<=) pg_catalog.now() AND c.ends_at OPERATOR(pg_catalog.>) pg_catalog.now()))
     ORDER BY e.challenge_id";

fn enrollments(athlete_id: i64, ids: Option<Vec<i64>>, active_now: bool) -> Vec<Enrollment> {
    Spi::connect(|client| {
        let rows = spi(client.select(Q_ENROLLMENTS, None, &[athlete_id.into(), ids.into(), active_now.into()]));
        rows.into_iter()
            .map(|row| Enrollment {
                challenge_id: spi(row.get::<i64>(1)).unwrap_or_default(),
                rule: spi(row.get::<Vec<u8>>(2)).unwrap_or_default(),
                starts_us: spi(row.get::<TimestampWithTimeZone>(3)).map(pg_sys::TimestampTz::from).unwrap_or(i64::MIN),
                ends_us: spi(row.get::<TimestampWithTimeZone>(4)).map(pg_sys::TimestampTz::from).unwrap_or(i64::MAX),
                rule_version: spi(row.get::<i32>(5)).unwrap_or_default(),
            })
            .collect()
    })
}

fn window(ws: &[Workout], starts_us: i64, ends_us: i64) -> &[Workout] {
    let lo = ws.partition_point(|w| w.ended_at_us <= starts_us);
    let hi = ws.partition_point(|w| w.ended_at_us <= ends_us);
    &ws[lo..hi.max(lo)]
}

/// Results of the athlete's enrollments (all, or those in `challenge_ids`): one row each, with
/// the error text instead of a result when the rule cannot be evaluated.
#[pg_extern(stable, parallel_safe, requires = ["rule_type", "challenges_tables"])]
fn evaluate_athlete(
    athlete_id: i64,
    challenge_ids: Option<Vec<i64>>,
) -> TableIterator<
    'static,
    (
        name!(challenge_id, i64),
        name!(progress, f64),
        name!(complete, bool),
        name!(completed_at, Option<TimestampWithTimeZone>),
        name!(detail, Option<JsonB>),
        name!(rule_version, i32),
        name!(error, Option<String>),
    ),
> {
    let list = enrollments(athlete_id, challenge_ids, false);
    if list.is_empty() {
        return TableIterator::new(Vec::new());
    }
    let from = list.iter().map(|e| e.starts_us).min().unwrap_or(i64::MIN);
    let to = list.iter().map(|e| e.ends_us).max().unwrap_or(i64::MAX);
    let ts = |us: i64| TimestampWithTimeZone::try_from(us).unwrap_or_else(|_| TimestampWithTimeZone::negative_infinity());
    let workouts = load_workouts(athlete_id, ts(from), ts(to));
    let rows: Vec<_> = list
        .into_iter()
        .map(|e| {
            let rule = fitflow_core::rules::Rule::from_msgpack(&e.rule);
            match rule.and_then(|r| challenge_result(&r, window(&workouts, e.starts_us, e.ends_us))) {
                Ok(r) => (
                    e.challenge_id,
                    r.evaluation.progress,
                    r.evaluation.complete,
                    r.completed_at_us.and_then(|us| TimestampWithTimeZone::try_from(us).ok()),
                    Some(JsonB(r.evaluation.to_json())),
                    e.rule_version,
                    None,
                ),
                Err(err) => (e.challenge_id, 0.0, false, None, None, e.rule_version, Some(err.to_string())),
            }
        })
        .collect();
    TableIterator::new(rows)
}

const Q_LIVE_WORKOUT: &str = "SELECT (pg_catalog.now() AT TIME ZONE fitflow.timezone())::date OPERATOR(pg_catalog.-) DATE '1970-01-01',
       pg_catalog.now(), l.session_id::float8, l.athlete_id::float8, l.exercise, x.kind,
       pg_catalog.to_char(l.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
       pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
       l.readings::float8, l.sets::float8, l.reps::float8, l.full_range_reps::float8, l.tonnage_kg, l.max_load_kg,
       l.distance_m, l.duration_s, l.avg_heart_rate, l.max_heart_rate::float8, l.avg_speed_kmh,
       l.reps_per_min_max::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8
  FROM fitflow.live_sessions l JOIN fitflow.exercises x ON x.exercise OPERATOR(pg_catalog.=) l.exercise
 WHERE l.session_id OPERATOR(pg_catalog.=) $1";

/// Live progress of the athlete's active challenges with the open session counted as if it
/// ended now: {"athlete_id", "session_id", "challenges": [{"challenge_id", "progress", "complete"}]}.
/// For display only (it reads the clock); the stored results never do.
#[pg_extern(stable, parallel_safe, requires = ["rule_type", "challenges_tables"])]
fn live_progress(athlete_id: i64, session_id: i64) -> Option<JsonB> {
    let list = enrollments(athlete_id, None, true);
    if list.is_empty() {
        return None;
    }
    let from = list.iter().map(|e| e.starts_us).min().unwrap_or(i64::MIN);
    let now = TimestampWithTimeZone::try_from(unsafe { pg_sys::GetCurrentTransactionStartTimestamp() })
        .unwrap_or_else(|_| TimestampWithTimeZone::positive_infinity());
    let since = TimestampWithTimeZone::try_from(from).unwrap_or_else(|_| TimestampWithTimeZone::negative_infinity());
    let mut workouts = load_workouts(athlete_id, since, now);
    let live = Spi::connect(|client| workouts_of(spi(client.select(Q_LIVE_WORKOUT, None, &[session_id.into()]))));
    workouts.extend(live);
    let challenges: Vec<Value> = list
        .iter()
        .filter_map(|e| {
            let r = challenge_result(&decode(&e.rule), window(&workouts, e.starts_us, i64::MAX)).ok()?;
            Some(json!({"challenge_id": e.challenge_id, "progress": r.evaluation.progress, "complete": r.evaluation.complete}))
        })
        .collect();
    Some(JsonB(json!({"athlete_id": athlete_id, "session_id": session_id, "challenges": challenges})))
}
