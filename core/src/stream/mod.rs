//! The pure part of the streaming stage: reading validation and the mergeable per-session
//! aggregation state behind `fitflow.live_sessions` and the `fitflow.session_agg` aggregate.
//!
//! # Validation
//! A reading is accepted or kept in `fitflow.rejected_readings` with a [`Reason`]:
//! - [`check_values`]: value ranges ([`reading`]'s `*_MIN`/`*_MAX` constants, inclusive; NULL is
//!   allowed in every value column; NaN and infinite floats are invalid) -> `invalid_value`.
//! - [`check_against_session`]: an ended session rejects everything (`session_ended`, its workout
//!   is frozen); otherwise `ts < started_at` -> `before_session_start`.
//! - [`check_distance`] / [`check_distance_between`]: cumulative distance lower than at an earlier
//!   seq -> `distance_backwards` (uses [`SessionAgg::last_distance`] or the neighbours by seq).
//! - `unknown_session`, `conflict` (same key, different payload, see [`Reading::same_payload`])
//!   and `missing_key` (NULL session_id, seq or ts) are decided by the caller.
//!
//! # Aggregation
//! [`SessionAgg`] folds accepted readings ([`SessionAgg::add`]) and merges with another state
//! ([`SessionAgg::merge`]). Merge is commutative and associative *exactly* (`==` on the struct),
//! so the state of the stored rows merged with the state of a new batch equals the state of all
//! rows, whatever the arrival order and batching: float sums are made of values rounded to
//! micro-units first (exact integer sums), maxima use a total order, and the collections are kept
//! canonical (sets keyed by set_no, rep events sorted by ts with one entry per ts).
//!
//! [`SessionAgg::summary`] gives the `live_sessions` columns ([`Summary`]):
//!
//! | column | definition |
//! |---|---|
//! | readings | number of readings |
//! | last_seq | max seq |
//! | last_ts / first_ts | max / min ts |
//! | sets | number of distinct set_no among readings with reps > 0 |
//! | reps | sum of reps |
//! | full_range_reps | sum of reps where rom >= 0.9 (compared as `real`: a stored 0.9 counts) |
//! | tonnage_kg | sum of load_kg x reps (each load rounded to 1e-6 kg first) |
//! | max_load_kg | max load_kg among readings with reps > 0 (NULL if none) |
//! | distance_m | max cumulative distance_m (NULL if none) |
//! | duration_s | (max ts - min ts) in seconds; 0 for one reading or none |
//! | avg_heart_rate / max_heart_rate | over readings with a heart_rate (NULL if none) |
//! | avg_speed_kmh | mean speed_kmh over readings with one (each rounded to 1e-6 km/h; NULL if none) |
//! | reps_per_min_max | most reps in any half-open 60-s window `[t, t+60 s)` of rep timestamps (`crate::science::max_reps_in_window`) |
//! | best_set | for est_1rm_kg: per set_no, load = max load_kg of the set's readings with reps > 0 and reps = the set's rep total; the set with the highest Epley estimate `load x (1 + reps/30)` (1 rep -> load); ties -> higher load, then lower set_no; sets without any load are skipped |
//!
//! Readings with reps > 0 but no set_no count in reps, tonnage, max_load and the 60-s window but
//! belong to no set. Readings with reps = 0 count in nothing rep-related.
//!
//! Memory: the state is a fixed set of scalars plus one entry per set and one (ts, reps) pair
//! per distinct rep timestamp, so a weight session keeps tens to hundreds of entries and a cardio
//! session none: [`SessionAgg::to_bytes`] is about 50 bytes for an hour of 1 Hz cardio and
//! about 270 bytes for a 40-rep weight session (see `codec` for the format).

pub mod agg;
mod codec;
pub mod reading;

pub use agg::{epley, replay, BestSet, SessionAgg, SetAgg, Summary, FULL_RANGE_ROM, MICRO};
pub use reading::{
    check_against_session, check_distance, check_distance_between, check_values, format_ts_us, Reading,
    Reason, Rejection,
};

#[cfg(test)]
mod tests;
