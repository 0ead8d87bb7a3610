//! The mergeable per-session aggregation state behind `fitflow.live_sessions` and the
//! `fitflow.session_agg` SQL aggregate. See the module docs of [`crate::stream`] for the
//! definition of every summary column.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::reading::Reading;
use crate::error::FitResult;
use crate::science::{max_reps_in_window, MINUTE_US};

/// Fixed-point scale of the float sums: micro-units (1e-6 kg, 1e-6 km/h).
pub const MICRO: f64 = 1_000_000.0;

/// `rom` at or above this fraction counts as a full-range rep. Compared in single precision, so
/// a stored `real` 0.9 counts (in SQL write `rom >= 0.9::real`, not `rom >= 0.9`, which compares
/// in double precision and misses 0.9).
pub const FULL_RANGE_ROM: f32 = 0.9;

/// A float rounded to micro-units (`as` saturates, NaN -> 0): the per-item rounding that makes
/// the sums exact integers, hence independent of order and batching.
fn micro(v: f32) -> i64 {
    (f64::from(v) * MICRO).round() as i64
}

fn max_f32(a: Option<f32>, b: Option<f32>) -> Option<f32> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if x.total_cmp(&y) == Ordering::Less { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// The later of two (seq, distance) points; at the same seq the larger distance (total order),
/// so the choice never depends on the order of merging.
fn later_point(a: Option<(i32, f32)>, b: Option<(i32, f32)>) -> Option<(i32, f32)> {
    match (a, b) {
        (Some(x), Some(y)) => {
            let ord = x.0.cmp(&y.0).then(x.1.total_cmp(&y.1));
            Some(if ord == Ordering::Less { y } else { x })
        }
        (x, None) => x,
        (None, y) => y,
    }
}

/// Per-set state: the heaviest load and the rep total of the set's readings with reps > 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SetAgg {
    pub max_load_kg: Option<f32>,
    pub reps: i64,
}

/// The aggregation state of one session. Every field is a count, an exact integer sum, a max or
/// min under a total order, or a canonical (sorted, keyed) collection, so [`SessionAgg::merge`]
/// is commutative and associative and `state(a).merge(state(b)) == state(a ++ b)` exactly.
/// Integer sums wrap on overflow (never reached by validated readings), which keeps them
/// associative without panicking.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionAgg {
    /// Number of readings folded.
    pub readings: i64,
    /// Highest seq.
    pub max_seq: Option<i32>,
    /// Lowest and highest ts (PostgreSQL microseconds).
    pub min_ts_us: Option<i64>,
    pub max_ts_us: Option<i64>,
    /// Sum of `reps` (all readings carrying reps).
    pub reps: i64,
    /// Sum of `reps` where `rom >= 0.9`.
    pub full_range_reps: i64,
    /// Sum of `round(load_kg * 1e6) * reps`: tonnage in micro-kg.
    pub tonnage_ukg: i128,
    /// Max `load_kg` among readings with reps > 0.
    pub max_load_kg: Option<f32>,
    /// Max cumulative `distance_m`.
    pub max_distance_m: Option<f32>,
    /// (seq, distance_m) at the highest seq carrying a distance.
    pub last_distance: Option<(i32, f32)>,
    /// Heart rate: sum, count, max.
    pub hr_sum: i64,
    pub hr_count: i64,
    pub hr_max: Option<i32>,
    /// Speed: sum of `round(speed_kmh * 1e6)`, count.
    pub speed_sum_u: i128,
    pub speed_count: i64,
    /// Incline: sum of `round(incline_pct * 1e6)`, count (for the ACSM treadmill equations).
    pub incline_sum_u: i128,
    pub incline_count: i64,
    /// Power: sum of `round(power_w * 1e6)`, count (for the ACSM cycle ergometry equations).
    pub power_sum_u: i128,
    pub power_count: i64,
    /// set_no -> set state, for readings with reps > 0 and a set_no.
    pub sets: BTreeMap<i32, SetAgg>,
    /// (ts_us, reps) of readings with reps > 0, sorted by ts, one entry per distinct ts (reps at
    /// the same instant summed): the input of the 60-s window. Bounded by the session's reps;
    /// cardio sessions keep none.
    pub rep_events: Vec<(i64, i64)>,
}

/// The `live_sessions` columns of one session (and the inputs of `workouts`' est_1rm_kg).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub readings: i64,
    pub last_seq: Option<i32>,
    pub last_ts_us: Option<i64>,
    pub first_ts_us: Option<i64>,
    pub sets: i32,
    pub reps: i64,
    pub full_range_reps: i64,
    pub tonnage_kg: f64,
    pub max_load_kg: Option<f64>,
    pub distance_m: Option<f64>,
    pub duration_s: f64,
    pub avg_heart_rate: Option<f64>,
    pub max_heart_rate: Option<i32>,
    pub avg_speed_kmh: Option<f64>,
    pub avg_incline_pct: Option<f64>,
    pub avg_power_w: Option<f64>,
    pub reps_per_min_max: i64,
    pub best_set: Option<BestSet>,
}

/// The set with the highest Epley estimate, for `est_1rm_kg`.
#[derive(Debug, Clone, PartialEq)]
pub struct BestSet {
    pub set_no: i32,
    pub load_kg: f64,
    pub reps: i64,
}

/// Epley's one-rep max `load * (1 + reps / 30)`, with one rep returning the load itself.
pub fn epley(load_kg: f64, reps: i64) -> f64 {
    if reps == 1 {
        load_kg
    } else {
        load_kg * (1.0 + reps as f64 / 30.0)
    }
}

/// Adds (ts, reps) into a ts-sorted, ts-unique event list.
fn add_event(events: &mut Vec<(i64, i64)>, ts: i64, reps: i64) {
    match events.binary_search_by(|e| e.0.cmp(&ts)) {
        Ok(i) => events[i].1 = events[i].1.wrapping_add(reps),
        Err(i) => events.insert(i, (ts, reps)),
    }
}

fn merge_events(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            Ordering::Equal => {
                out.push((a[i].0, a[i].1.wrapping_add(b[j].1)));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

impl SessionAgg {
    /// Folds one accepted reading. It does not validate: run [`super::check_values`] (and the
    /// session and de-duplication checks) first; an exact resend must not be folded twice.
    pub fn add(&mut self, r: &Reading) {
        self.readings = self.readings.wrapping_add(1);
        self.max_seq = max_opt(self.max_seq, Some(r.seq));
        self.min_ts_us = min_opt(self.min_ts_us, Some(r.ts_us));
        self.max_ts_us = max_opt(self.max_ts_us, Some(r.ts_us));
        if let Some(reps) = r.reps {
            let reps = i64::from(reps);
            self.reps = self.reps.wrapping_add(reps);
            if r.rom.is_some_and(|rom| rom >= FULL_RANGE_ROM) {
                self.full_range_reps = self.full_range_reps.wrapping_add(reps);
            }
            if let Some(load) = r.load_kg {
                self.tonnage_ukg = self.tonnage_ukg.wrapping_add(i128::from(micro(load)) * i128::from(reps));
            }
            if reps > 0 {
                self.max_load_kg = max_f32(self.max_load_kg, r.load_kg);
                if let Some(set_no) = r.set_no {
                    let s = self.sets.entry(set_no).or_default();
                    s.max_load_kg = max_f32(s.max_load_kg, r.load_kg);
                    s.reps = s.reps.wrapping_add(reps);
                }
                add_event(&mut self.rep_events, r.ts_us, reps);
            }
        }
        if let Some(d) = r.distance_m {
            self.max_distance_m = max_f32(self.max_distance_m, Some(d));
            self.last_distance = later_point(self.last_distance, Some((r.seq, d)));
        }
        if let Some(hr) = r.heart_rate {
            self.hr_sum = self.hr_sum.wrapping_add(i64::from(hr));
            self.hr_count = self.hr_count.wrapping_add(1);
            self.hr_max = max_opt(self.hr_max, Some(hr));
        }
        if let Some(v) = r.speed_kmh {
            self.speed_sum_u = self.speed_sum_u.wrapping_add(i128::from(micro(v)));
            self.speed_count = self.speed_count.wrapping_add(1);
        }
        if let Some(v) = r.incline_pct {
            self.incline_sum_u = self.incline_sum_u.wrapping_add(i128::from(micro(v)));
            self.incline_count = self.incline_count.wrapping_add(1);
        }
        if let Some(v) = r.power_w {
            self.power_sum_u = self.power_sum_u.wrapping_add(i128::from(micro(v)));
            self.power_count = self.power_count.wrapping_add(1);
        }
    }

    /// Merges another state into this one: afterwards `self` is the state of both sets of
    /// readings (commutative and associative, exactly).
    pub fn merge(&mut self, o: &SessionAgg) {
        self.readings = self.readings.wrapping_add(o.readings);
        self.max_seq = max_opt(self.max_seq, o.max_seq);
        self.min_ts_us = min_opt(self.min_ts_us, o.min_ts_us);
        self.max_ts_us = max_opt(self.max_ts_us, o.max_ts_us);
        self.reps = self.reps.wrapping_add(o.reps);
        self.full_range_reps = self.full_range_reps.wrapping_add(o.full_range_reps);
        self.tonnage_ukg = self.tonnage_ukg.wrapping_add(o.tonnage_ukg);
        self.max_load_kg = max_f32(self.max_load_kg, o.max_load_kg);
        self.max_distance_m = max_f32(self.max_distance_m, o.max_distance_m);
        self.last_distance = later_point(self.last_distance, o.last_distance);
        self.hr_sum = self.hr_sum.wrapping_add(o.hr_sum);
        self.hr_count = self.hr_count.wrapping_add(o.hr_count);
        self.hr_max = max_opt(self.hr_max, o.hr_max);
        self.speed_sum_u = self.speed_sum_u.wrapping_add(o.speed_sum_u);
        self.speed_count = self.speed_count.wrapping_add(o.speed_count);
        self.incline_sum_u = self.incline_sum_u.wrapping_add(o.incline_sum_u);
        self.incline_count = self.incline_count.wrapping_add(o.incline_count);
        self.power_sum_u = self.power_sum_u.wrapping_add(o.power_sum_u);
        self.power_count = self.power_count.wrapping_add(o.power_count);
        for (set_no, s) in &o.sets {
            let mine = self.sets.entry(*set_no).or_default();
            mine.max_load_kg = max_f32(mine.max_load_kg, s.max_load_kg);
            mine.reps = mine.reps.wrapping_add(s.reps);
        }
        if !o.rep_events.is_empty() {
            self.rep_events = if self.rep_events.is_empty() {
                o.rep_events.clone()
            } else {
                merge_events(&self.rep_events, &o.rep_events)
            };
        }
    }

    /// The state of `self` merged with `other`, leaving both untouched.
    pub fn merged(&self, other: &SessionAgg) -> SessionAgg {
        let mut s = self.clone();
        s.merge(other);
        s
    }

    /// (seq, distance_m) at the highest seq carrying a distance, for the backwards check.
    pub fn last_distance(&self) -> Option<(i32, f32)> {
        self.last_distance
    }

    /// True when no reading has been folded.
    pub fn is_empty(&self) -> bool {
        self.readings == 0
    }

    /// The set with the highest Epley estimate among sets with a load; ties go to the higher
    /// load, then the lower set_no.
    pub fn best_set(&self) -> Option<BestSet> {
        let mut best: Option<(f64, f64, i32, i64)> = None; // (estimate, load, set_no, reps)
        for (set_no, s) in &self.sets {
            let Some(load) = s.max_load_kg else { continue };
            let load = f64::from(load);
            let est = epley(load, s.reps);
            let better = match best {
                None => true,
                // Sets are visited in ascending set_no, so an equal estimate and load keeps the
                // earlier (lower) set_no.
                Some((be, bl, _, _)) => est.total_cmp(&be).then(load.total_cmp(&bl)) == Ordering::Greater,
            };
            if better {
                best = Some((est, load, *set_no, s.reps));
            }
        }
        best.map(|(_, load_kg, set_no, reps)| BestSet { set_no, load_kg, reps })
    }

    /// The most reps in any half-open 60-second window of rep timestamps.
    pub fn reps_per_min_max(&self) -> i64 {
        // The window sums positive reps; refuse to let a corrupt state overflow it.
        let total = self.rep_events.iter().try_fold(0i64, |acc, e| acc.checked_add(e.1.max(0)));
        match total {
            Some(_) => max_reps_in_window(&self.rep_events, MINUTE_US),
            None => i64::MAX,
        }
    }

    /// The `live_sessions` columns.
    pub fn summary(&self) -> Summary {
        let duration_s = match (self.min_ts_us, self.max_ts_us) {
            (Some(a), Some(b)) => (i128::from(b) - i128::from(a)) as f64 / MICRO,
            _ => 0.0,
        };
        Summary {
            readings: self.readings,
            last_seq: self.max_seq,
            last_ts_us: self.max_ts_us,
            first_ts_us: self.min_ts_us,
            sets: i32::try_from(self.sets.len()).unwrap_or(i32::MAX),
            reps: self.reps,
            full_range_reps: self.full_range_reps,
            tonnage_kg: self.tonnage_ukg as f64 / MICRO,
            max_load_kg: self.max_load_kg.map(f64::from),
            distance_m: self.max_distance_m.map(f64::from),
            duration_s,
            avg_heart_rate: (self.hr_count != 0).then(|| self.hr_sum as f64 / self.hr_count as f64),
            max_heart_rate: self.hr_max,
            avg_speed_kmh: (self.speed_count != 0)
                .then(|| self.speed_sum_u as f64 / MICRO / self.speed_count as f64),
            avg_incline_pct: (self.incline_count != 0)
                .then(|| self.incline_sum_u as f64 / MICRO / self.incline_count as f64),
            avg_power_w: (self.power_count != 0)
                .then(|| self.power_sum_u as f64 / MICRO / self.power_count as f64),
            reps_per_min_max: self.reps_per_min_max(),
            best_set: self.best_set(),
        }
    }

    /// The compact binary form stored in a `bytea` column (format documented in `stream/codec.rs`).
    pub fn to_bytes(&self) -> Vec<u8> {
        super::codec::encode(self)
    }

    /// Decodes [`SessionAgg::to_bytes`]; corrupt or truncated bytes give a 22P02 error, never a
    /// panic.
    pub fn from_bytes(b: &[u8]) -> FitResult<SessionAgg> {
        super::codec::decode(b)
    }
}

/// Folds `readings` in the given order into a fresh state (tests and the SQL aggregate).
pub fn replay(readings: &[Reading]) -> SessionAgg {
    let mut s = SessionAgg::default();
    for r in readings {
        s.add(r);
    }
    s
}
