//! Save stage: the derived columns of a workout, from a session's final aggregation state.
//!
//! Everything here is a pure function of the session summary, the exercise and the athlete's
//! body mass, so `end_session` and `rebuild('workouts')` compute identical rows.
//!
//! - `est_1rm_kg`: the highest Epley estimate over the session's sets (a set's load is its
//!   heaviest rep, its reps the set's rep count) among the sets within Epley's validity range
//!   (1 to 10 reps, `science::one_rm`); NULL when no loaded set qualifies.
//! - `vo2_ml_kg_min` (cardio only): treadmill, the ACSM walking or running equation at the mean
//!   speed and mean incline (`science::vo2_treadmill`); bike, the ACSM leg-cycling equation at the
//!   mean power and the athlete's body mass. Other cardio machines (rower, elliptical) have no
//!   ACSM equation: NULL.
//! - `met` = VO2 / 3.5; `kcal` = `kcal_per_min(met, body mass)` x duration in minutes.

use crate::science;
use crate::stream::{SessionAgg, Summary};

/// The computed columns of a workout.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkoutMetrics {
    pub est_1rm_kg: Option<f64>,
    pub vo2_ml_kg_min: Option<f64>,
    pub met: Option<f64>,
    pub kcal: Option<f64>,
}

/// The best Epley estimate over the sets within Epley's rep range.
pub fn best_epley(state: &SessionAgg) -> Option<f64> {
    state
        .sets
        .values()
        .filter_map(|set| {
            let load = f64::from(set.max_load_kg?);
            let reps = i32::try_from(set.reps).ok()?;
            if load <= 0.0 {
                return None;
            }
            science::one_rm(load, reps, "epley").ok()
        })
        .reduce(f64::max)
}

/// Derive the workout's metrics from the final state. `kind` is the exercise kind ('weight',
/// 'bodyweight', 'cardio').
pub fn workout_metrics(state: &SessionAgg, kind: &str, exercise: &str, body_mass_kg: Option<f64>) -> WorkoutMetrics {
    let s = state.summary();
    let s = &s;
    let est_1rm_kg = best_epley(state);
    let mass = body_mass_kg.filter(|m| m.is_finite() && *m > 0.0);
    let vo2 = if kind == "cardio" { cardio_vo2(s, exercise, mass) } else { None };
    let met = vo2.and_then(|v| science::met(v).ok());
    let kcal = match (met, mass) {
        (Some(m), Some(bm)) => science::kcal_per_min(m, bm).ok().map(|per_min| per_min * s.duration_s / 60.0),
        _ => None,
    };
    WorkoutMetrics { est_1rm_kg, vo2_ml_kg_min: vo2, met, kcal }
}

fn cardio_vo2(s: &Summary, exercise: &str, mass: Option<f64>) -> Option<f64> {
    match exercise {
        "treadmill" => {
            let speed = s.avg_speed_kmh.filter(|v| *v > 0.0)?;
            science::vo2_treadmill(speed, s.avg_incline_pct.unwrap_or(0.0)).ok().map(|e| e.value)
        }
        "bike" => {
            let power = s.avg_power_w.filter(|v| *v > 0.0)?;
            science::vo2_leg_cycling(power, mass?).ok().map(|e| e.value)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::{replay, Reading};

    const S: i64 = 1_000_000;

    fn treadmill(speed: f32, incline: f32, n: i64) -> Vec<Reading> {
        (0..n)
            .map(|i| {
                let mut r = Reading::new(1, i as i32 + 1, i * S);
                r.speed_kmh = Some(speed);
                r.incline_pct = Some(incline);
                r.distance_m = Some(i as f32 * speed / 3.6);
                r
            })
            .collect()
    }

    #[test]
    fn treadmill_run_hand_computed() {
        // 10 km/h = 166.67 m/min at 0 %: ACSM running VO2 = 0.2 * 166.67 + 3.5 = 36.83 ml/kg/min;
        // MET = 36.83 / 3.5 = 10.52; kcal/min = MET * 3.5 * 70 / 200 = 12.89; 1200 readings at 1 Hz
        // last 1199 s = 19.983 min -> 257.6 kcal.
        let m = workout_metrics(&replay(&treadmill(10.0, 0.0, 1200)), "cardio", "treadmill", Some(70.0));
        let vo2 = 0.2 * (10.0 * 1000.0 / 60.0) + 3.5;
        assert!((m.vo2_ml_kg_min.unwrap() - vo2).abs() < 1e-9);
        assert!((m.met.unwrap() - vo2 / 3.5).abs() < 1e-9);
        let kcal = vo2 / 3.5 * 3.5 * 70.0 / 200.0 * (1199.0 / 60.0);
        assert!((m.kcal.unwrap() - kcal).abs() < 1e-6, "{:?} vs {kcal}", m.kcal);
        assert_eq!(m.est_1rm_kg, None);
    }

    #[test]
    fn bike_and_weights_hand_computed() {
        // Bike at 150 W, 75 kg: ACSM leg cycling VO2 = 1.8 * (150 * 6.12) / 75 + 7 = 29.032.
        let rs: Vec<Reading> = (0..60)
            .map(|i| {
                let mut r = Reading::new(2, i + 1, i as i64 * S);
                r.power_w = Some(150.0);
                r
            })
            .collect();
        let m = workout_metrics(&replay(&rs), "cardio", "bike", Some(75.0));
        assert!((m.vo2_ml_kg_min.unwrap() - (1.8 * 150.0 * 6.12 / 75.0 + 7.0)).abs() < 1e-9);
        // Without a body mass there is no leg-cycling VO2 and no kcal.
        let m = workout_metrics(&replay(&rs), "cardio", "bike", None);
        assert_eq!((m.vo2_ml_kg_min, m.kcal), (None, None));
        // Weights: best set 8 reps at 80 kg -> Epley 80 * (1 + 8/30) = 101.33.
        let mut rs = Vec::new();
        for (set, load, reps) in [(1, 70.0f32, 10), (2, 80.0, 8), (3, 60.0, 12)] {
            for k in 0..reps {
                let mut r = Reading::new(3, set * 100 + k, (set * 100 + k) as i64 * S);
                r.set_no = Some(set);
                r.reps = Some(1);
                r.load_kg = Some(load);
                rs.push(r);
            }
        }
        let m = workout_metrics(&replay(&rs), "weight", "chest_press", Some(70.0));
        assert!((m.est_1rm_kg.unwrap() - 80.0 * (1.0 + 8.0 / 30.0)).abs() < 1e-9);
        // A 12-rep set at 90 kg would be the best Epley set (126) but is outside Epley's 1..10
        // range; the best qualifying set (80 kg x 8) is used.
        for k in 0..12 {
            let mut r = Reading::new(3, 400 + k, (400 + k) as i64 * S);
            r.set_no = Some(4);
            r.reps = Some(1);
            r.load_kg = Some(90.0);
            rs.push(r);
        }
        let m = workout_metrics(&replay(&rs), "weight", "chest_press", Some(70.0));
        assert!((m.est_1rm_kg.unwrap() - 80.0 * (1.0 + 8.0 / 30.0)).abs() < 1e-9);
        assert_eq!((m.vo2_ml_kg_min, m.met, m.kcal), (None, None, None));
    }
}
