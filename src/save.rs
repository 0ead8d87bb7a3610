//! Save stage and the SQL face of the aggregation state: the `session_agg` / `session_state`
//! aggregates over readings, the summary of a stored state, and the derived workout metrics.
//! The orchestration (`end_session`, `compact_readings`, `rebuild`) is SQL in `sql/pipelines.sql`.

use fitflow_core::error::{FitError, Kind};
use fitflow_core::save::workout_metrics as core_workout_metrics;
use fitflow_core::stream::{Reading, SessionAgg, Summary};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;
use pgrx::{Internal, PgMemoryContexts};

use crate::error::{raise, OrRaise};
use crate::stream::tstz;

type Row = PgHeapTuple<'static, AllocatedByRust>;

macro_rules! field {
    ($row:expr, $name:literal, $t:ty) => {
        $row.get_by_name::<$t>($name).unwrap_or_else(|e| {
            raise(FitError::new(Kind::DataException, format!("could not read column \"{}\" of a reading: {e}", $name)))
        })
    };
}

fn reading_of(row: &PgHeapTuple<'_, AllocatedByRust>) -> Option<Reading> {
    let ts = field!(row, "ts", TimestampWithTimeZone)?;
    Some(Reading {
        session_id: field!(row, "session_id", i64)?,
        seq: field!(row, "seq", i32)?,
        ts_us: pg_sys::TimestampTz::from(ts),
        set_no: field!(row, "set_no", i32),
        reps: field!(row, "reps", i32),
        load_kg: field!(row, "load_kg", f32),
        rom: field!(row, "rom", f32),
        distance_m: field!(row, "distance_m", f32),
        speed_kmh: field!(row, "speed_kmh", f32),
        incline_pct: field!(row, "incline_pct", f32),
        heart_rate: field!(row, "heart_rate", i32),
        power_w: field!(row, "power_w", f32),
    })
}

/// Transition function of `session_agg` and `session_state`: folds one reading (rows with a
/// NULL key are skipped, as ingest never stores them).
#[pg_extern(immutable, parallel_safe)]
fn session_agg_step(
    mut state: Internal,
    reading: Option<pgrx::composite_type!("fitflow.readings")>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let Some(r) = reading.as_ref().and_then(reading_of) else { return state };
    // SAFETY: fcinfo is this call's; the state lives in the aggregate's memory context.
    unsafe {
        let mut aggctx: pg_sys::MemoryContext = std::ptr::null_mut();
        if pg_sys::AggCheckCallContext(fcinfo, &mut aggctx) == 0 {
            raise(FitError::new(Kind::FeatureNotSupported, "session_agg_step can only be called as an aggregate")
                .with_hint("Use fitflow.session_agg(readings) or fitflow.session_state(readings)."));
        }
        if !state.initialized() {
            PgMemoryContexts::For(aggctx).switch_to(|_| {
                state.insert(SessionAgg::default());
            });
        }
        if let Some(agg) = state.get_mut::<SessionAgg>() {
            agg.add(&r);
        }
    }
    state
}

fn state_of(state: &Internal) -> SessionAgg {
    // SAFETY: only session_agg_step creates this state, as a SessionAgg.
    unsafe { state.get::<SessionAgg>().cloned().unwrap_or_default() }
}

/// Final function of `session_state`: the binary state, as stored in live_sessions.state.
#[pg_extern(immutable, parallel_safe)]
fn session_state_final(state: Internal) -> Vec<u8> {
    state_of(&state).to_bytes()
}

/// Final function of `session_agg`: the live_sessions columns.
#[pg_extern(immutable, parallel_safe)]
fn session_agg_final(state: Internal) -> pgrx::composite_type!('static, "fitflow.session_summary") {
    summary_row(&state_of(&state).summary())
}

fn set<T: IntoDatum>(row: &mut PgHeapTuple<'static, AllocatedByRust>, name: &str, value: T) {
    if let Err(e) = row.set_by_name(name, value) {
        raise(FitError::new(Kind::DataException, format!("could not set \"{name}\": {e}")));
    }
}

fn summary_row(s: &Summary) -> Row {
    let mut row = PgHeapTuple::new_composite_type("fitflow.session_summary")
        .unwrap_or_else(|e| raise(FitError::new(Kind::UndefinedObject, format!("type fitflow.session_summary: {e}"))));
    set(&mut row, "readings", s.readings);
    set(&mut row, "last_seq", s.last_seq);
    set(&mut row, "last_ts", tstz(s.last_ts_us));
    set(&mut row, "sets", s.sets);
    set(&mut row, "reps", s.reps);
    set(&mut row, "full_range_reps", s.full_range_reps);
    set(&mut row, "tonnage_kg", s.tonnage_kg);
    set(&mut row, "max_load_kg", s.max_load_kg);
    set(&mut row, "distance_m", s.distance_m);
    set(&mut row, "duration_s", s.duration_s);
    set(&mut row, "avg_heart_rate", s.avg_heart_rate);
    set(&mut row, "max_heart_rate", s.max_heart_rate);
    set(&mut row, "avg_speed_kmh", s.avg_speed_kmh);
    set(&mut row, "reps_per_min_max", s.reps_per_min_max.clamp(0, i32::MAX as i64) as i32);
    row
}

fn decode(state: &[u8]) -> SessionAgg {
    SessionAgg::from_bytes(state).or_raise()
}

/// The live_sessions columns of a stored aggregation state.
#[pg_extern(immutable, strict, parallel_safe)]
fn summarize_state(state: &[u8]) -> pgrx::composite_type!('static, "fitflow.session_summary") {
    summary_row(&decode(state).summary())
}

/// Merge two stored aggregation states (the law: merge(state(a), state(b)) = state(a ++ b)).
#[pg_extern(immutable, strict, parallel_safe)]
fn merge_states(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut s = decode(a);
    s.merge(&decode(b));
    s.to_bytes()
}

/// The derived workout columns (est_1rm_kg, vo2_ml_kg_min, met, kcal) of a session's final state.
#[pg_extern(immutable, parallel_safe)]
fn workout_metrics(
    state: &[u8],
    kind: &str,
    exercise: &str,
    body_mass_kg: Option<f64>,
) -> pgrx::composite_type!('static, "fitflow.workout_metrics") {
    let m = core_workout_metrics(&decode(state), kind, exercise, body_mass_kg);
    let mut row = PgHeapTuple::new_composite_type("fitflow.workout_metrics")
        .unwrap_or_else(|e| raise(FitError::new(Kind::UndefinedObject, format!("type fitflow.workout_metrics: {e}"))));
    set(&mut row, "est_1rm_kg", m.est_1rm_kg);
    set(&mut row, "vo2_ml_kg_min", m.vo2_ml_kg_min);
    set(&mut row, "met", m.met);
    set(&mut row, "kcal", m.kcal);
    row
}
