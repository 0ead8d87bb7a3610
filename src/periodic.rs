//! SQL face of the periodic pipeline's pure logic: fitness levels from published norms and age
//! groups (fitflow_core::periodic). The refresh orchestration is SQL in `sql/periodic.sql`.

use fitflow_core::periodic::{self, Level};
use pgrx::prelude::*;

use crate::error::OrRaise;

/// Strength level from relative strength (1RM / body mass); NULL for an exercise without norms.
#[pg_extern(immutable, parallel_safe)]
fn strength_level(exercise: Option<&str>, sex: Option<&str>, body_mass_kg: Option<f64>, one_rm_kg: Option<f64>) -> Option<&'static str> {
    periodic::strength_level(exercise?, sex, body_mass_kg?, one_rm_kg?).map(Level::as_str)
}

/// Cardio level from VO2max by sex and age band (Cooper Institute norms); NULL without an age.
#[pg_extern(immutable, parallel_safe)]
fn vo2max_level(vo2max: Option<f64>, sex: Option<&str>, age: Option<i32>) -> Option<&'static str> {
    periodic::vo2max_level(vo2max?, sex, age).map(Level::as_str)
}

/// The overall level of several levels (the median, the lower one on an even count); NULLs skipped.
#[pg_extern(immutable, strict, parallel_safe)]
fn overall_level(levels: Vec<Option<String>>) -> Option<&'static str> {
    let parsed: Vec<Level> = levels.iter().flatten().map(|s| Level::parse(s).or_raise()).collect();
    periodic::overall_level(&parsed).map(Level::as_str)
}

/// Age band used by leaderboards and VO2max norms: '<20', '20-29', ..., '60+'.
#[pg_extern(immutable, strict, parallel_safe)]
fn age_group(age: i32) -> &'static str {
    periodic::age_group(age)
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn levels_from_sql() {
        let g = Spi::get_one::<&str>("SELECT fitflow.age_group(34)").unwrap();
        assert_eq!(g, Some("30-39"));
        let o = Spi::get_one::<&str>("SELECT fitflow.overall_level(ARRAY['elite','beginner','novice',NULL])").unwrap();
        assert_eq!(o, Some("novice"));
        let none = Spi::get_one::<&str>("SELECT fitflow.strength_level('rower', 'male', 80, 100)").unwrap();
        assert_eq!(none, None);
    }

    #[pg_test(error = "invalid fitness level \"superb\"")]
    fn bad_level_is_an_error() {
        let _ = Spi::get_one::<&str>("SELECT fitflow.overall_level(ARRAY['superb'])");
    }
}
