//! Fitness levels from published norms.
//!
//! Five levels, lowest first: beginner, novice, intermediate, advanced, elite. A measure reaches a
//! level when it is at or above that level's threshold; below the first threshold it is still
//! beginner (the floor), above the last it is elite.
//!
//! Strength (1RM / body mass). Men: the bodyweight-multiple table of arvo.guru, "Strength
//! Standards: Complete Charts by Level" (<https://arvo.guru/it/resources/strength-standards>,
//! Male Standards (1RM / Bodyweight): bench press, squat, deadlift, overhead press, leg press).
//! Women: that page says female standards are "approximately 60-70% of male values" without a
//! retrievable table, so we apply the fixed ratios of Kennedy & Weis, "Mass" (1986), as quoted in
//! misc.fitness (1991, <http://staff.washington.edu/griffin/maxweight.txt>): "Women have 56 percent
//! of the strength of a man in their upper torso. Women have 72 percent of the strength of a man in
//! their lower torso." Upper torso: bench, chest and shoulder press (x 0.56); lower: squat, leg press,
//! deadlift (x 0.72). These are popular training standards, not a peer-reviewed population study.
//!
//! VO2max: The Cooper Institute for Aerobics Research, "The Physical Fitness Specialist
//! Certification Manual", revised 1997, cardiorespiratory fitness categories by sex and age, as
//! reproduced in the Precor 5.23/5.33 owner's manual, Tables 6 (females) and 7 (males)
//! (<https://manualsdump.com/en/manuals/precor-5.33-5.23/230423/39>). Its five categories map one
//! to one onto the five levels, lowest to highest.
//!
//! Sex NULL or 'other' (or any value but 'male'/'female') uses the female thresholds, the lower of
//! the two published tables, so nobody is rated below what either table would give them.

use std::fmt;

use crate::error::{FitError, FitResult};

/// A fitness level, lowest first; `Ord` follows the order of the levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Beginner,
    Novice,
    Intermediate,
    Advanced,
    Elite,
}

impl Level {
    /// All levels, lowest first.
    pub const ALL: [Level; 5] =
        [Level::Beginner, Level::Novice, Level::Intermediate, Level::Advanced, Level::Elite];

    /// The lower-case name: "beginner", "novice", "intermediate", "advanced", "elite".
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Beginner => "beginner",
            Level::Novice => "novice",
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
            Level::Elite => "elite",
        }
    }

    /// Parses a lower-case level name. Error 22P02 for anything else.
    pub fn parse(s: &str) -> FitResult<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s).ok_or_else(|| {
            FitError::invalid_text(format!("invalid fitness level \"{s}\""))
                .with_hint("A fitness level is one of beginner, novice, intermediate, advanced, elite.")
        })
    }

    /// 0 for beginner .. 4 for elite.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The level reached by `value` given ascending thresholds for novice, intermediate, advanced
    /// and elite: the number of thresholds at or below `value`.
    fn from_thresholds(value: f64, thresholds: &[f64; 4]) -> Level {
        Level::ALL[thresholds.iter().filter(|&&t| value >= t).count()]
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// True when `sex` selects the male tables; everything else (female, other, NULL) the female ones.
fn is_male(sex: Option<&str>) -> bool {
    sex == Some("male")
}

/// The exercises [`strength_level`] rates, in the order of `MALE_STRENGTH`.
pub const STRENGTH_EXERCISES: [&str; 6] =
    ["bench_press", "chest_press", "squat", "leg_press", "deadlift", "shoulder_press"];

/// Men, 1RM / body mass reaching beginner, novice, intermediate, advanced, elite.
/// Source: arvo.guru "Male Standards (1RM / Bodyweight)". chest_press uses the bench press row;
/// shoulder_press uses the overhead press row; leg_press uses the page's own leg press row.
const MALE_STRENGTH: [[f64; 5]; 6] = [
    [0.5, 0.75, 1.25, 1.75, 2.0],   // bench_press
    [0.5, 0.75, 1.25, 1.75, 2.0],   // chest_press = bench_press
    [0.75, 1.0, 1.75, 2.25, 2.5],   // squat
    [1.5, 2.0, 2.5, 3.5, 4.5],      // leg_press
    [1.0, 1.25, 2.0, 2.5, 3.0],     // deadlift
    [0.35, 0.5, 0.75, 1.0, 1.2],    // shoulder_press = overhead press
];

/// Women: the male row times 0.56 (upper torso) or 0.72 (lower torso), Kennedy & Weis "Mass"
/// (1986). Written out so the numbers can be read; the test `female_table_is_scaled_male` checks
/// each against the rule.
const FEMALE_STRENGTH: [[f64; 5]; 6] = [
    [0.28, 0.42, 0.70, 0.98, 1.12],    // bench_press    x 0.56
    [0.28, 0.42, 0.70, 0.98, 1.12],    // chest_press    x 0.56
    [0.54, 0.72, 1.26, 1.62, 1.80],    // squat          x 0.72
    [1.08, 1.44, 1.80, 2.52, 3.24],    // leg_press      x 0.72
    [0.72, 0.90, 1.44, 1.80, 2.16],    // deadlift       x 0.72
    [0.196, 0.28, 0.42, 0.56, 0.672], // shoulder_press x 0.56
];

/// The strength level of a 1RM relative to body mass, or None when the exercise is not one of
/// [`STRENGTH_EXERCISES`] or the inputs cannot be rated (body mass not a positive finite number,
/// 1RM negative or not finite).
///
/// `sex`: 'male' uses the men's table; 'female', 'other' and NULL the women's (see module docs).
pub fn strength_level(exercise: &str, sex: Option<&str>, body_mass_kg: f64, one_rm_kg: f64) -> Option<Level> {
    let i = STRENGTH_EXERCISES.iter().position(|&e| e == exercise)?;
    if !(body_mass_kg.is_finite() && body_mass_kg > 0.0 && one_rm_kg.is_finite() && one_rm_kg >= 0.0) {
        return None;
    }
    let row = if is_male(sex) { &MALE_STRENGTH[i] } else { &FEMALE_STRENGTH[i] };
    let ratio = one_rm_kg / body_mass_kg;
    // Column 0 is the beginner standard; below it the athlete is still beginner (the floor).
    Some(Level::from_thresholds(ratio, &[row[1], row[2], row[3], row[4]]))
}

/// Cooper Institute (1997) VO2max categories, ml/kg/min: the lowest value of the second to fifth
/// category for the age bands under 30, 30-39, 40-49, 50-59, 60 and over. A value below the first
/// number is the lowest category. The reproduction prints the lowest category as "N (or below)"
/// next to a second category "N-..."; a value equal to N is put in the second category, and a value
/// between two printed integer ranges (34.5 between "32-34" and "35-37") in the lower one.
const FEMALE_VO2MAX: [[f64; 4]; 5] = [
    [32.0, 35.0, 38.0, 42.0], // under 30: <32 | 32-34 | 35-37 | 38-41 | 42+
    [30.0, 33.0, 36.0, 40.0], // 30-39:    <30 | 30-32 | 33-35 | 36-39 | 40+
    [28.0, 31.0, 33.0, 37.0], // 40-49:    <28 | 28-30 | 31-32 | 33-36 | 37+
    [25.0, 28.0, 30.0, 33.0], // 50-59:    <25 | 25-27 | 28-29 | 30-32 | 33+
    [24.0, 26.0, 28.0, 32.0], // 60+:      <24 | 24-25 | 26-27 | 28-31 | 32+
];
const MALE_VO2MAX: [[f64; 4]; 5] = [
    [38.0, 42.0, 45.0, 49.0], // under 30: <38 | 38-41 | 42-44 | 45-48 | 49+
    [36.0, 40.0, 43.0, 48.0], // 30-39:    <36 | 36-39 | 40-42 | 43-47 | 48+
    [34.0, 38.0, 41.0, 45.0], // 40-49:    <34 | 34-37 | 38-40 | 41-44 | 45+
    [31.0, 35.0, 38.0, 42.0], // 50-59:    <31 | 31-34 | 35-37 | 38-41 | 42+
    [27.0, 31.0, 35.0, 39.0], // 60+:      <27 | 27-30 | 31-34 | 35-38 | 39+
];

/// The VO2max level (ml/kg/min) for sex and age in completed years.
///
/// None when the age is unknown (the norms differ by up to 10 ml/kg/min between bands, so no band
/// is a safe guess) or negative, or when `vo2max` is not a positive finite number. Ages under 20
/// use the youngest band (under 30); the table has no youth norms. `sex` as in [`strength_level`].
pub fn vo2max_level(vo2max: f64, sex: Option<&str>, age: Option<i32>) -> Option<Level> {
    let age = age.filter(|&a| a >= 0)?;
    if !(vo2max.is_finite() && vo2max > 0.0) {
        return None;
    }
    let band = match age {
        0..=29 => 0,
        30..=39 => 1,
        40..=49 => 2,
        50..=59 => 3,
        _ => 4,
    };
    let table = if is_male(sex) { &MALE_VO2MAX } else { &FEMALE_VO2MAX };
    Some(Level::from_thresholds(vo2max, &table[band]))
}

/// The overall level of several per-exercise levels: the median, and for an even count the lower
/// of the two middle levels (a profile is never rated above half of its parts). None when empty.
pub fn overall_level(levels: &[Level]) -> Option<Level> {
    if levels.is_empty() {
        return None;
    }
    let mut v = levels.to_vec();
    v.sort_unstable();
    Some(v[(v.len() - 1) / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use Level::*;

    #[test]
    fn level_names() {
        let names: Vec<&str> = Level::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(names, ["beginner", "novice", "intermediate", "advanced", "elite"]);
        for l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Ok(l));
            assert_eq!(l.to_string(), l.as_str());
        }
        assert!(Beginner < Novice && Advanced < Elite);
        let e = Level::parse("Elite").unwrap_err();
        assert_eq!((e.sqlstate(), e.message.as_str()), ("22P02", "invalid fitness level \"Elite\""));
    }

    #[test]
    fn female_table_is_scaled_male() {
        // Kennedy & Weis: women 56 % of men upper torso, 72 % lower torso.
        let factor = [0.56, 0.56, 0.72, 0.72, 0.72, 0.56];
        for (i, ex) in STRENGTH_EXERCISES.iter().enumerate() {
            for j in 0..5 {
                let want = MALE_STRENGTH[i][j] * factor[i];
                assert!((FEMALE_STRENGTH[i][j] - want).abs() < 1e-12, "{ex} column {j}");
            }
        }
        // Thresholds ascend in every row of every table.
        for row in MALE_STRENGTH.iter().chain(FEMALE_STRENGTH.iter()) {
            assert!(row.windows(2).all(|w| w[0] < w[1]), "{row:?}");
        }
        for row in MALE_VO2MAX.iter().chain(FEMALE_VO2MAX.iter()) {
            assert!(row.windows(2).all(|w| w[0] < w[1]), "{row:?}");
        }
    }

    #[test]
    fn strength() {
        // (exercise, sex, body mass kg, 1RM kg, expected, source: the table row and ratio)
        let cases = [
            ("bench_press", Some("male"), 80.0, 100.0, Some(Intermediate), "1.25 = intermediate (arvo.guru male)"),
            ("bench_press", Some("male"), 80.0, 99.0, Some(Novice), "1.2375 < 1.25, >= 0.75"),
            ("bench_press", Some("male"), 80.0, 160.0, Some(Elite), "2.0 = elite"),
            ("bench_press", Some("male"), 80.0, 30.0, Some(Beginner), "0.375 below the beginner standard 0.5: floor"),
            ("bench_press", Some("male"), 80.0, 0.0, Some(Beginner), "no lift at all is still beginner"),
            ("chest_press", Some("male"), 80.0, 140.0, Some(Advanced), "1.75 = advanced, bench row"),
            ("squat", Some("male"), 100.0, 175.0, Some(Intermediate), "1.75 = intermediate"),
            ("squat", Some("male"), 100.0, 249.0, Some(Advanced), "2.49 < elite 2.5"),
            ("leg_press", Some("male"), 80.0, 200.0, Some(Intermediate), "2.5 = intermediate (leg press row)"),
            ("leg_press", Some("male"), 80.0, 360.0, Some(Elite), "4.5 = elite"),
            ("deadlift", Some("male"), 90.0, 112.5, Some(Novice), "1.25 = novice"),
            ("shoulder_press", Some("male"), 80.0, 60.0, Some(Intermediate), "0.75 = intermediate (overhead press)"),
            ("bench_press", Some("female"), 50.0, 35.0, Some(Intermediate), "0.70 = 1.25 x 0.56"),
            ("bench_press", Some("female"), 50.0, 34.5, Some(Novice), "0.69 < 0.70"),
            ("squat", Some("female"), 50.0, 90.0, Some(Elite), "1.80 = 2.5 x 0.72"),
            ("deadlift", Some("female"), 50.0, 72.0, Some(Intermediate), "1.44 = 2.0 x 0.72"),
            ("shoulder_press", Some("female"), 50.0, 28.0, Some(Advanced), "0.56 = 1.0 x 0.56"),
            ("leg_press", Some("female"), 50.0, 126.0, Some(Advanced), "2.52 = 3.5 x 0.72"),
            ("bench_press", Some("other"), 50.0, 35.0, Some(Intermediate), "'other' uses the female table"),
            ("bench_press", None, 80.0, 80.0, Some(Advanced), "NULL sex: female table, 0.98 <= 1.0 < 1.12"),
            ("bench_press", None, 80.0, 100.0, Some(Elite), "NULL sex: female table, 1.25 >= 1.12 (male: intermediate)"),
            ("lat_pulldown", Some("male"), 80.0, 100.0, None, "no published standard used for this exercise"),
            ("Bench_Press", Some("male"), 80.0, 100.0, None, "names are the catalog's exact keys"),
            ("bench_press", Some("male"), 0.0, 100.0, None, "zero body mass"),
            ("bench_press", Some("male"), f64::NAN, 100.0, None, "unknown body mass"),
            ("bench_press", Some("male"), 80.0, -1.0, None, "negative 1RM"),
            ("bench_press", Some("male"), 80.0, f64::INFINITY, None, "infinite 1RM"),
        ];
        for (ex, sex, bm, orm, want, src) in cases {
            assert_eq!(strength_level(ex, sex, bm, orm), want, "{ex} {sex:?} {bm} {orm}: {src}");
        }
    }

    #[test]
    fn vo2max() {
        // (vo2max, sex, age, expected, source: Cooper Institute 1997 via Precor Tables 6 and 7)
        let cases = [
            (37.9, Some("male"), Some(25), Some(Beginner), "men under 30: below 38 is the lowest category"),
            (38.0, Some("male"), Some(25), Some(Novice), "men under 30: 38-41"),
            (44.0, Some("male"), Some(29), Some(Intermediate), "men under 30: 42-44"),
            (48.9, Some("male"), Some(29), Some(Advanced), "men under 30: 45-48"),
            (49.0, Some("male"), Some(29), Some(Elite), "men under 30: 49 or above"),
            (49.0, Some("male"), Some(30), Some(Elite), "men 30-39: 48 or above"),
            (47.0, Some("male"), Some(30), Some(Advanced), "men 30-39: 43-47"),
            (40.0, Some("male"), Some(45), Some(Intermediate), "men 40-49: 38-40"),
            (30.0, Some("male"), Some(55), Some(Beginner), "men 50-59: below 31"),
            (39.0, Some("male"), Some(72), Some(Elite), "men 60 and over: 39 or above"),
            (30.0, Some("male"), Some(60), Some(Novice), "men 60 and over: 27-30"),
            (42.0, Some("female"), Some(22), Some(Elite), "women under 30: 42 or above"),
            (34.5, Some("female"), Some(22), Some(Novice), "women under 30: between 32-34 and 35-37, lower"),
            (32.0, Some("female"), Some(22), Some(Novice), "women under 30: 32 is the first of 32-34"),
            (33.0, Some("female"), Some(35), Some(Intermediate), "women 30-39: 33-35"),
            (33.0, Some("female"), Some(45), Some(Advanced), "women 40-49: 33-36"),
            (29.0, Some("female"), Some(58), Some(Intermediate), "women 50-59: 28-29"),
            (23.0, Some("female"), Some(65), Some(Beginner), "women 60 and over: below 24"),
            (35.0, Some("female"), Some(17), Some(Intermediate), "under 20 uses the under-30 band"),
            (40.0, Some("other"), Some(35), Some(Elite), "'other' uses the female table: women 30-39 40+"),
            (40.0, None, Some(35), Some(Elite), "NULL sex uses the female table"),
            (40.0, Some("male"), None, None, "unknown age"),
            (40.0, Some("male"), Some(-1), None, "negative age"),
            (0.0, Some("male"), Some(30), None, "VO2max must be positive"),
            (f64::NAN, Some("male"), Some(30), None, "unknown VO2max"),
        ];
        for (v, sex, age, want, src) in cases {
            assert_eq!(vo2max_level(v, sex, age), want, "{v} {sex:?} {age:?}: {src}");
        }
    }

    #[test]
    fn overall() {
        // (levels, expected, reasoning: median, lower middle on an even count)
        let cases: [(&[Level], Option<Level>, &str); 6] = [
            (&[], None, "nothing to rate"),
            (&[Advanced], Some(Advanced), "one level"),
            (&[Elite, Beginner, Intermediate], Some(Intermediate), "sorted B I E, middle I"),
            (&[Novice, Elite], Some(Novice), "even count: lower of N, E"),
            (&[Elite, Advanced, Novice, Advanced], Some(Advanced), "sorted N A A E: middles A, A"),
            (&[Beginner, Intermediate, Elite, Advanced], Some(Intermediate), "sorted B I A E: lower middle I"),
        ];
        for (ls, want, src) in cases {
            assert_eq!(overall_level(ls), want, "{src}");
        }
    }
}
