//! SQL functions for fitness science: 1RM estimates, ACSM metabolic equations, VO2max field
//! tests, MET and energy, max reps per minute.
//!
//! Each function converts its arguments, calls the pure code in `fitflow_core::science` and maps
//! its errors (22023/22003 with DETAIL and HINT). An input outside the range an equation was
//! validated on is not an error: the value is returned and a NOTICE says so (silence it with
//! `SET client_min_messages = warning`). Formulas, units and sources: docs/science.md.
//! All functions are IMMUTABLE STRICT PARALLEL SAFE.

use crate::error::OrRaise;
use fitflow_core::science::{self, Estimate};
use pgrx::prelude::*;

/// The value of an estimate, after raising its out-of-range warning as a NOTICE.
fn noticed(e: Estimate) -> f64 {
    if let Some(w) = e.warning {
        notice!("{w}");
    }
    e.value
}

#[pg_extern(immutable, strict, parallel_safe)]
fn one_rm(load_kg: f64, reps: i32, formula: default!(&str, "'epley'")) -> f64 {
    science::one_rm(load_kg, reps, formula).or_raise()
}

#[pg_extern(immutable, strict, parallel_safe)]
fn one_rm_all(
    load_kg: f64,
    reps: i32,
) -> TableIterator<'static, (name!(formula, String), name!(est_1rm_kg, f64))> {
    let rows = science::one_rm_all(load_kg, reps).or_raise();
    TableIterator::new(rows.into_iter().map(|(f, v)| (f.to_string(), v)))
}

#[pg_extern(immutable, strict, parallel_safe)]
fn vo2_walking(speed_kmh: f64, grade_pct: f64) -> f64 {
    noticed(science::vo2_walking(speed_kmh, grade_pct).or_raise())
}

#[pg_extern(immutable, strict, parallel_safe)]
fn vo2_running(speed_kmh: f64, grade_pct: f64) -> f64 {
    noticed(science::vo2_running(speed_kmh, grade_pct).or_raise())
}

#[pg_extern(immutable, strict, parallel_safe)]
fn vo2_treadmill(speed_kmh: f64, grade_pct: f64) -> f64 {
    noticed(science::vo2_treadmill(speed_kmh, grade_pct).or_raise())
}

#[pg_extern(immutable, strict, parallel_safe)]
fn vo2_leg_cycling(power_w: f64, body_mass_kg: f64) -> f64 {
    noticed(science::vo2_leg_cycling(power_w, body_mass_kg).or_raise())
}

#[pg_extern(immutable, strict, parallel_safe)]
fn vo2_arm_cycling(power_w: f64, body_mass_kg: f64) -> f64 {
    noticed(science::vo2_arm_cycling(power_w, body_mass_kg).or_raise())
}

#[pg_extern(immutable, strict, parallel_safe)]
fn vo2_stepping(steps_per_min: f64, step_height_m: f64) -> f64 {
    noticed(science::vo2_stepping(steps_per_min, step_height_m).or_raise())
}

#[pg_extern(immutable, strict, parallel_safe)]
fn treadmill_speed_for_vo2(vo2_ml_kg_min: f64, grade_pct: f64) -> f64 {
    noticed(science::treadmill_speed_for_vo2(vo2_ml_kg_min, grade_pct).or_raise())
}

#[pg_extern(immutable, strict, parallel_safe)]
fn vo2max_cooper(distance_m: f64) -> f64 {
    science::vo2max_cooper(distance_m).or_raise()
}

#[pg_extern(immutable, strict, parallel_safe)]
fn vo2max_uth(hr_max: i32, hr_rest: i32) -> f64 {
    science::vo2max_uth(hr_max, hr_rest).or_raise()
}

#[pg_extern(immutable, strict, parallel_safe)]
fn met(vo2_ml_kg_min: f64) -> f64 {
    science::met(vo2_ml_kg_min).or_raise()
}

#[pg_extern(immutable, strict, parallel_safe)]
fn kcal_per_min(met: f64, body_mass_kg: f64) -> f64 {
    science::kcal_per_min(met, body_mass_kg).or_raise()
}

/// One rep per timestamp; NULL elements are ignored.
#[pg_extern(immutable, strict, parallel_safe)]
fn max_reps_per_min(ts: Vec<Option<TimestampWithTimeZone>>) -> i32 {
    let us: Vec<i64> = ts.into_iter().flatten().map(i64::from).collect();
    science::max_reps_per_min(&us).or_raise()
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn f64_of(sql: &str) -> f64 {
        match Spi::get_one::<f64>(sql) {
            Ok(Some(v)) => v,
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-4
    }

    #[pg_test]
    fn one_rm_formulas() {
        // Epley 1985: 100 * (1 + 10/30) = 133.333; Brzycki 1993: 80 * 36 / 32 = 90.
        assert!(close(f64_of("SELECT fitflow.one_rm(100, 10)"), 133.333));
        assert!(close(f64_of("SELECT fitflow.one_rm(80, 5, 'brzycki')"), 90.0));
        // Wathan 1994: 10000 / (48.8 + 53.8 e^-0.75) = 134.747; names are case-insensitive.
        assert!(close(f64_of("SELECT fitflow.one_rm(100, 10, 'Wathan')"), 134.747));
        // One rep returns the load for every formula.
        let n = Spi::get_one::<i64>(
            "SELECT count(*) FROM unnest(ARRAY['epley','brzycki','lander','lombardi','mayhew','oconner','wathan']) f \
             WHERE fitflow.one_rm(72.5, 1, f) = 72.5",
        );
        assert_eq!(n, Ok(Some(7)));
    }

    #[pg_test]
    fn one_rm_all_rows() {
        // 100 kg x 10: seven formulas plus the mean, (133.333 + 133.333 + 134.070 + 125.893 +
        // 130.934 + 125.000 + 134.747) / 7 = 131.044 (hand-computed).
        assert_eq!(Spi::get_one::<i64>("SELECT count(*) FROM fitflow.one_rm_all(100, 10)"), Ok(Some(8)));
        assert!(close(f64_of("SELECT est_1rm_kg FROM fitflow.one_rm_all(100, 10) WHERE formula = 'mean'"), 131.044));
        // 12 reps: only Mayhew and Wathan accept more than 10 reps.
        let names = Spi::get_one::<String>("SELECT string_agg(formula, ',') FROM fitflow.one_rm_all(60, 12)");
        assert_eq!(names, Ok(Some("mayhew,wathan,mean".to_string())));
    }

    #[pg_test(error = "unrecognized formula \"foo\"")]
    fn one_rm_rejects_unknown_formula() {
        let _ = Spi::get_one::<f64>("SELECT fitflow.one_rm(100, 5, 'foo')");
    }

    #[pg_test(error = "invalid reps \"11\" for formula \"brzycki\"")]
    fn one_rm_rejects_reps_out_of_range() {
        let _ = Spi::get_one::<f64>("SELECT fitflow.one_rm(100, 11, 'brzycki')");
    }

    #[pg_test]
    fn acsm_equations() {
        // ACSM GETP running equation, 6 mph level: 0.2 * 160.93 + 3.5 = 35.687 ml/kg/min.
        assert!(close(f64_of("SELECT fitflow.vo2_running(9.656, 0)"), 35.687));
        // Walking 4.8 km/h (80 m/min) at 5 %: 8 + 7.2 + 3.5 = 18.7.
        assert!(close(f64_of("SELECT fitflow.vo2_walking(4.8, 5)"), 18.7));
        // Leg cycling 150 W, 70 kg: 1.8 * 918 / 70 + 7 = 30.606; arm 50 W, 70 kg: 3 * 306 / 70 + 3.5.
        assert!(close(f64_of("SELECT fitflow.vo2_leg_cycling(150, 70)"), 30.606));
        assert!(close(f64_of("SELECT fitflow.vo2_arm_cycling(50, 70)"), 16.614));
        // Stepping 24 steps/min, 0.30 m: 4.8 + 1.33 * 1.8 * 0.3 * 24 + 3.5 = 25.537.
        assert!(close(f64_of("SELECT fitflow.vo2_stepping(24, 0.30)"), 25.537));
        // Treadmill: walking below 6.0 km/h, running from it; the inverse round-trips.
        assert!(close(f64_of("SELECT fitflow.vo2_treadmill(5, 0)"), 11.833));
        assert!(close(f64_of("SELECT fitflow.treadmill_speed_for_vo2(fitflow.vo2_treadmill(10, 3), 3)"), 10.0));
        // Out of the validated range: a value (and a NOTICE), not an error.
        assert!(close(f64_of("SELECT fitflow.vo2_walking(8, 0)"), 16.833));
    }

    #[pg_test(error = "invalid grade_pct \"-2\"")]
    fn acsm_rejects_downhill() {
        let _ = Spi::get_one::<f64>("SELECT fitflow.vo2_running(10, -2)");
    }

    #[pg_test]
    fn field_tests_and_energy() {
        // Cooper 1968: (2400 - 504.9) / 44.73 = 42.368; Uth 2004: 15.3 * 190 / 60 = 48.45.
        assert!(close(f64_of("SELECT fitflow.vo2max_cooper(2400)"), 42.368));
        assert!(close(f64_of("SELECT fitflow.vo2max_uth(190, 60)"), 48.45));
        // 35 ml/kg/min = 10 MET; 10 MET x 3.5 x 70 kg / 200 = 12.25 kcal/min (ACSM).
        assert!(close(f64_of("SELECT fitflow.met(35)"), 10.0));
        assert!(close(f64_of("SELECT fitflow.kcal_per_min(10, 70)"), 12.25));
    }

    #[pg_test(error = "hr_max \"60\" must be greater than hr_rest \"190\"")]
    fn uth_rejects_swapped_rates() {
        let _ = Spi::get_one::<f64>("SELECT fitflow.vo2max_uth(60, 190)");
    }

    #[pg_test]
    fn reps_per_minute() {
        // Hand-counted: reps at 0, 20, 40, 59, 61 s (and a NULL) -> 4 in [0, 60) or in [20, 80).
        let n = Spi::get_one::<i32>(
            "SELECT fitflow.max_reps_per_min(ARRAY[ \
               '2024-01-01 10:00:00+00', '2024-01-01 10:00:20+00', NULL, '2024-01-01 10:00:40+00', \
               '2024-01-01 10:00:59+00', '2024-01-01 10:01:01+00']::timestamptz[])",
        );
        assert_eq!(n, Ok(Some(4)));
        assert_eq!(Spi::get_one::<i32>("SELECT fitflow.max_reps_per_min('{}'::timestamptz[])"), Ok(Some(0)));
    }

    #[pg_test(error = "invalid rep timestamp \"infinity\"")]
    fn reps_per_minute_rejects_infinity() {
        let _ = Spi::get_one::<i32>("SELECT fitflow.max_reps_per_min(ARRAY['infinity']::timestamptz[])");
    }
}
