//! Fitness science: published formulas (1RM, ACSM metabolic equations, VO2max field tests, MET,
//! energy) and max reps per minute. Pure functions, no database access.
//!
//! Every formula is written in its published form, with its units, its validity domain and its
//! source in the module that holds it (and in `docs/science.md`). Conventions:
//! - impossible inputs (NaN, infinities, negative speeds/loads/powers, non-positive body mass, an
//!   unrecognized formula) fail with 22023 invalid_parameter_value and a HINT giving the domain;
//! - inputs that are possible but outside the range an equation was validated on still give a
//!   value; the functions that can meet such inputs return an [`Estimate`] whose `warning` says so
//!   (the SQL layer raises it as a NOTICE);
//! - a result that overflows f64 fails with 22003 numeric_value_out_of_range.

pub mod acsm;
pub mod energy;
pub mod one_rm;
pub mod vo2max;
pub mod window;

use crate::error::{FitError, FitResult};
pub use acsm::{
    treadmill_speed_for_vo2, vo2_arm_cycling, vo2_leg_cycling, vo2_running, vo2_stepping, vo2_treadmill, vo2_walking,
    KGM_PER_MIN_PER_WATT, TREADMILL_RUN_FROM_KMH,
};
pub use energy::{kcal_per_min, met};
pub use one_rm::{one_rm, one_rm_all, FORMULAS};
pub use vo2max::{vo2max_cooper, vo2max_uth};
pub use window::{max_reps_in_window, max_reps_in_window_unsorted, max_reps_per_min, MINUTE_US};

/// Resting oxygen uptake, ml/kg/min: 1 MET by convention.
pub const REST_VO2: f64 = 3.5;

/// A value with an optional warning that an input lies outside the range the equation was
/// validated on (the equation is still applied).
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub warning: Option<String>,
}

/// A float as PostgreSQL prints it in a message: `NaN`, `Infinity`, `-Infinity`, otherwise the
/// shortest representation that reads back exactly (`100`, `2.5`).
pub(crate) fn num(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "Infinity".into()
    } else if v == f64::NEG_INFINITY {
        "-Infinity".into()
    } else if v != 0.0 && (v.abs() >= 1e15 || v.abs() < 1e-4) {
        // PostgreSQL's float8out switches to exponent form here: 1e+300, 1e-05.
        let e = format!("{v:e}");
        match e.split_once('e').and_then(|(m, x)| Some((m, x.parse::<i32>().ok()?))) {
            Some((m, x)) => format!("{m}e{}{:02}", if x < 0 { '-' } else { '+' }, x.abs()),
            None => e,
        }
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_print_like_postgres() {
        // Expected strings are what `SELECT x::float8` prints in psql (extra_float_digits = 1).
        let cases = [
            (100.0, "100"),
            (2.5, "2.5"),
            (-0.1, "-0.1"),
            (1e300, "1e+300"),
            (1e-5, "1e-05"),
            (-2.5e20, "-2.5e+20"),
            (0.0, "0"),
        ];
        for (v, want) in cases {
            assert_eq!(super::num(v), want);
        }
        assert_eq!(super::num(f64::NAN), "NaN");
        assert_eq!(super::num(f64::NEG_INFINITY), "-Infinity");
    }
}
