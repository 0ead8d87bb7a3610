//! ACSM metabolic equations: gross oxygen uptake (VO2, ml/kg/min) of steady-state submaximal
//! walking, running, leg and arm cycling and stepping.
//!
//! Source: American College of Sports Medicine, *ACSM's Guidelines for Exercise Testing and
//! Prescription*, 10th ed. (Riebe, Ehrman, Liguori, Magal eds.), Wolters Kluwer, 2018, table
//! "ACSM metabolic calculations for the estimation of energy expenditure"; the same
//! equations and validity ranges appear in earlier editions.
//!
//! | equation | VO2 (ml/kg/min) | stated range |
//! |---|---|---|
//! | walking | 0.1 S + 1.8 S G + 3.5 | 50-100 m/min (1.9-3.7 mph, 3.0-6.0 km/h) |
//! | running | 0.2 S + 0.9 S G + 3.5 | > 134 m/min (5 mph, 8.04 km/h); from 80 m/min (3 mph) if truly jogging |
//! | leg cycling | 1.8 WR / BM + 3.5 + 3.5 | 50-200 W (300-1200 kg·m/min) |
//! | arm cycling | 3 WR / BM + 3.5 | 25-125 W (150-750 kg·m/min) |
//! | stepping | 0.2 f + 1.33 x 1.8 H f + 3.5 | 12-30 steps/min, H 0.04-0.40 m |
//!
//! S = speed in m/min (km/h x 1000 / 60), G = grade as a fraction (percent / 100), WR = work rate in
//! kg·m/min (W x 6.12), BM = body mass in kg, f = steps/min, H = step height in m.
//!
//! Inputs outside the stated range are not errors: the equation is still evaluated and the
//! [`Estimate`] carries a warning (the SQL layer raises it as a NOTICE). Impossible inputs
//! (negative or non-finite speed, power, rate or height; non-positive body mass) fail with 22023.
//! Negative grades also fail with 22023: the equations were derived for level and uphill
//! locomotion and give meaningless values downhill (below resting VO2, even negative).

use super::{num, Estimate, FitError, FitResult, REST_VO2};

/// 1 W = 6.12 kg·m/min (ACSM's conversion; 1 kg·m/min = 9.80665 J / 60 s).
pub const KGM_PER_MIN_PER_WATT: f64 = 6.12;

/// `vo2_treadmill` uses the running equation from this speed on, the walking equation below it.
pub const TREADMILL_RUN_FROM_KMH: f64 = 6.0;

fn m_per_min(kmh: f64) -> f64 {
    kmh * 1000.0 / 60.0
}

fn kmh(m_per_min: f64) -> f64 {
    m_per_min * 60.0 / 1000.0
}

fn non_negative(name: &str, v: f64, what: &str) -> FitResult<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(FitError::invalid_param(format!("invalid {name} \"{}\"", num(v)))
            .with_hint(format!("{what} must be a finite number, zero or more.")))
    }
}

fn positive(name: &str, v: f64, what: &str) -> FitResult<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(FitError::invalid_param(format!("invalid {name} \"{}\"", num(v)))
            .with_hint(format!("{what} must be a finite number greater than zero.")))
    }
}

fn grade(grade_pct: f64) -> FitResult<f64> {
    if grade_pct.is_finite() && grade_pct >= 0.0 {
        Ok(grade_pct / 100.0)
    } else {
        Err(FitError::invalid_param(format!("invalid grade_pct \"{}\"", num(grade_pct))).with_hint(
            "The ACSM walking and running equations are defined for level and uphill grades: give a finite percent, zero or more.",
        ))
    }
}

fn finished(value: f64, warnings: Vec<String>) -> FitResult<Estimate> {
    if !value.is_finite() {
        return Err(FitError::out_of_range("estimated VO2 is out of range"));
    }
    let warning = if warnings.is_empty() { None } else { Some(warnings.join("; ")) };
    Ok(Estimate { value, warning })
}

fn walking_warning(speed_kmh: f64) -> Option<String> {
    let s = m_per_min(speed_kmh);
    (!(50.0..=100.0).contains(&s)).then(|| {
        format!(
            "speed_kmh \"{}\" is outside the range of the ACSM walking equation (3.0 to 6.0 km/h, 50 to 100 m/min)",
            num(speed_kmh)
        )
    })
}

fn running_warning(speed_kmh: f64) -> Option<String> {
    let s = m_per_min(speed_kmh);
    if s < 80.0 {
        Some(format!(
            "speed_kmh \"{}\" is below the range of the ACSM running equation (from 4.8 km/h when jogging, most accurate above 8.04 km/h)",
            num(speed_kmh)
        ))
    } else if s < 134.0 {
        Some(format!(
            "speed_kmh \"{}\" is in the jogging range of the ACSM running equation (4.8 to 8.04 km/h), valid only if the athlete truly jogs",
            num(speed_kmh)
        ))
    } else {
        None
    }
}

/// ACSM walking equation: VO2 = 0.1 S + 1.8 S G + 3.5 ml/kg/min (S m/min, G fraction).
/// Warns outside 3.0-6.0 km/h (50-100 m/min).
pub fn vo2_walking(speed_kmh: f64, grade_pct: f64) -> FitResult<Estimate> {
    let speed_kmh = non_negative("speed_kmh", speed_kmh, "The speed in km/h")?;
    let g = grade(grade_pct)?;
    let s = m_per_min(speed_kmh);
    finished(0.1 * s + 1.8 * s * g + REST_VO2, walking_warning(speed_kmh).into_iter().collect())
}

/// ACSM running equation: VO2 = 0.2 S + 0.9 S G + 3.5 ml/kg/min (S m/min, G fraction).
/// Warns below 8.04 km/h (134 m/min, 5 mph): from 4.8 km/h it holds only for jogging.
pub fn vo2_running(speed_kmh: f64, grade_pct: f64) -> FitResult<Estimate> {
    let speed_kmh = non_negative("speed_kmh", speed_kmh, "The speed in km/h")?;
    let g = grade(grade_pct)?;
    let s = m_per_min(speed_kmh);
    finished(0.2 * s + 0.9 * s * g + REST_VO2, running_warning(speed_kmh).into_iter().collect())
}

/// Treadmill VO2 from speed and grade alone: the walking equation below
/// [`TREADMILL_RUN_FROM_KMH`] (6.0 km/h = 100 m/min, the top of the walking equation's range),
/// the running equation from it on. Between 6.0 and 8.04 km/h ACSM leaves the choice to the gait
/// (running equation if the athlete jogs); a treadmill does not report the gait, and we never
/// apply the walking equation above its validated range, so the running equation is used there
/// and the estimate carries the running equation's jogging-range warning.
pub fn vo2_treadmill(speed_kmh: f64, grade_pct: f64) -> FitResult<Estimate> {
    let speed_kmh = non_negative("speed_kmh", speed_kmh, "The speed in km/h")?;
    if speed_kmh < TREADMILL_RUN_FROM_KMH {
        vo2_walking(speed_kmh, grade_pct)
    } else {
        vo2_running(speed_kmh, grade_pct)
    }
}

/// The treadmill speed (km/h) at which [`vo2_treadmill`] gives `vo2` ml/kg/min at `grade_pct`.
///
/// Solves the walking equation first; if that speed is below 6.0 km/h it is the answer. Otherwise
/// solves the running equation; if that speed is 6.0 km/h or more it is the answer. So
/// `vo2_treadmill(treadmill_speed_for_vo2(v, g), g) == v` for every `v` that `vo2_treadmill` can
/// produce at grade `g`. Two cases follow from the jump at 6.0 km/h:
/// - above 11.1 % grade walking costs more per m/min than running, so some VO2 values are reached
///   both walking below 6.0 km/h and running above it: the walking speed is returned;
/// - below 11.1 % grade the VO2 values between walking at 6.0 km/h and running at 6.0 km/h
///   (13.5 to 23.5 ml/kg/min on the level) are reached by neither rule: the running equation's
///   (jogging) speed, below 6.0 km/h, is returned with a warning saying so.
///
/// Errors (22023): `vo2` not finite or below resting (3.5 ml/kg/min), negative or non-finite grade.
pub fn treadmill_speed_for_vo2(vo2: f64, grade_pct: f64) -> FitResult<Estimate> {
    if !(vo2.is_finite() && vo2 >= REST_VO2) {
        return Err(FitError::invalid_param(format!("invalid vo2 \"{}\"", num(vo2)))
            .with_hint("The target VO2 must be a finite number of ml/kg/min, at least the resting 3.5."));
    }
    let g = grade(grade_pct)?;
    let net = vo2 - REST_VO2;
    // The branch is chosen on VO2, against the forward equations at the switch speed, so that a
    // speed that rounds onto the wrong side of 6.0 km/h is clamped back to its own side.
    let at_switch = m_per_min(TREADMILL_RUN_FROM_KMH);
    if vo2 < 0.1 * at_switch + 1.8 * at_switch * g + REST_VO2 {
        let walk = kmh(net / (0.1 + 1.8 * g)).min(f64::from_bits(TREADMILL_RUN_FROM_KMH.to_bits() - 1));
        return finished(walk, walking_warning(walk).into_iter().collect());
    }
    let run = kmh(net / (0.2 + 0.9 * g));
    if vo2 >= 0.2 * at_switch + 0.9 * at_switch * g + REST_VO2 {
        let run = run.max(TREADMILL_RUN_FROM_KMH);
        return finished(run, running_warning(run).into_iter().collect());
    }
    let mut w = vec![format!(
        "no treadmill speed gives vo2 \"{}\" at grade_pct \"{}\" under the 6.0 km/h walking/running rule; returning the jogging speed of the ACSM running equation",
        num(vo2),
        num(grade_pct)
    )];
    w.extend(running_warning(run));
    finished(run, w)
}

/// ACSM leg cycling equation: VO2 = 1.8 WR / BM + 7 ml/kg/min, WR = power x 6.12 kg·m/min.
/// Warns outside 50-200 W.
pub fn vo2_leg_cycling(power_w: f64, body_mass_kg: f64) -> FitResult<Estimate> {
    let power_w = non_negative("power_w", power_w, "The power in watts")?;
    let bm = positive("body_mass_kg", body_mass_kg, "The body mass in kg")?;
    let wr = power_w * KGM_PER_MIN_PER_WATT;
    let warn = (!(50.0..=200.0).contains(&power_w)).then(|| {
        format!("power_w \"{}\" is outside the range of the ACSM leg cycling equation (50 to 200 W)", num(power_w))
    });
    finished(1.8 * wr / bm + REST_VO2 + REST_VO2, warn.into_iter().collect())
}

/// ACSM arm cycling (arm ergometry) equation: VO2 = 3 WR / BM + 3.5 ml/kg/min,
/// WR = power x 6.12 kg·m/min. Warns outside 25-125 W.
pub fn vo2_arm_cycling(power_w: f64, body_mass_kg: f64) -> FitResult<Estimate> {
    let power_w = non_negative("power_w", power_w, "The power in watts")?;
    let bm = positive("body_mass_kg", body_mass_kg, "The body mass in kg")?;
    let wr = power_w * KGM_PER_MIN_PER_WATT;
    let warn = (!(25.0..=125.0).contains(&power_w)).then(|| {
        format!("power_w \"{}\" is outside the range of the ACSM arm cycling equation (25 to 125 W)", num(power_w))
    });
    finished(3.0 * wr / bm + REST_VO2, warn.into_iter().collect())
}

/// ACSM stepping equation: VO2 = 0.2 f + 1.33 x 1.8 H f + 3.5 ml/kg/min (f steps/min, H m; 1.33
/// adds the cost of stepping down, 1.8 is the cost of stepping up per m). Warns outside 12-30
/// steps/min or 0.04-0.40 m.
pub fn vo2_stepping(steps_per_min: f64, step_height_m: f64) -> FitResult<Estimate> {
    let f = non_negative("steps_per_min", steps_per_min, "The stepping rate in steps/min")?;
    let h = non_negative("step_height_m", step_height_m, "The step height in metres")?;
    let mut warnings = Vec::new();
    if !(12.0..=30.0).contains(&f) {
        warnings.push(format!(
            "steps_per_min \"{}\" is outside the range of the ACSM stepping equation (12 to 30 steps/min)",
            num(f)
        ));
    }
    if !(0.04..=0.40).contains(&h) {
        warnings.push(format!(
            "step_height_m \"{}\" is outside the range of the ACSM stepping equation (0.04 to 0.40 m)",
            num(h)
        ));
    }
    finished(0.2 * f + 1.33 * 1.8 * h * f + REST_VO2, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    type Eq = fn(f64, f64) -> FitResult<Estimate>;

    /// (equation, name, x, y, expected ml/kg/min, warns?, source). Expected values hand-computed
    /// from the ACSM equations (GETP 10th ed.), rounded to 3 decimals.
    const CASES: &[(Eq, &str, f64, f64, f64, bool, &str)] = &[
        (vo2_walking, "walking", 4.8, 5.0, 18.7, false, "S=80: 8 + 1.8*80*0.05 + 3.5"),
        (vo2_walking, "walking", 5.0, 0.0, 11.833, false, "S=83.333: 8.333 + 3.5"),
        (vo2_walking, "walking", 4.828, 10.0, 26.031, false, "3 mph, 10%: S=80.467: 8.047 + 14.484 + 3.5"),
        (vo2_walking, "walking", 0.0, 0.0, 3.5, true, "standing still: resting VO2, below range"),
        (vo2_walking, "walking", 7.0, 0.0, 15.167, true, "S=116.667, above the 100 m/min limit"),
        (vo2_running, "running", 9.656, 0.0, 35.687, false, "6 mph level: S=160.933: 32.187 + 3.5 (~35.7)"),
        (vo2_running, "running", 12.0, 2.0, 47.1, false, "S=200: 40 + 0.9*200*0.02 + 3.5"),
        (vo2_running, "running", 10.0, 5.0, 44.333, false, "S=166.667: 33.333 + 7.5 + 3.5"),
        (vo2_running, "running", 7.0, 0.0, 26.833, true, "S=116.667: jogging range, warns"),
        (vo2_running, "running", 4.0, 0.0, 16.833, true, "S=66.667: below 80 m/min, warns"),
        (vo2_leg_cycling, "leg cycling", 150.0, 70.0, 30.606, false, "WR=918: 1.8*918/70 + 7"),
        (vo2_leg_cycling, "leg cycling", 100.0, 80.0, 20.77, false, "WR=612: 1.8*612/80 + 7"),
        (vo2_leg_cycling, "leg cycling", 250.0, 75.0, 43.72, true, "WR=1530: 36.72 + 7, above 200 W"),
        (vo2_arm_cycling, "arm cycling", 50.0, 70.0, 16.614, false, "WR=306: 3*306/70 + 3.5"),
        (vo2_arm_cycling, "arm cycling", 150.0, 60.0, 49.4, true, "WR=918: 45.9 + 3.5, above 125 W"),
        (vo2_stepping, "stepping", 24.0, 0.30, 25.537, false, "4.8 + 1.33*1.8*0.3*24 + 3.5"),
        (vo2_stepping, "stepping", 20.0, 0.20, 17.076, false, "4 + 1.33*1.8*0.2*20 + 3.5"),
        (vo2_stepping, "stepping", 40.0, 0.50, 59.38, true, "8 + 47.88 + 3.5, both out of range"),
        (vo2_treadmill, "treadmill", 5.0, 0.0, 11.833, false, "below 6.0 km/h: walking equation"),
        (vo2_treadmill, "treadmill", 6.0, 0.0, 23.5, true, "6.0 km/h: running equation (jogging range)"),
        (vo2_treadmill, "treadmill", 9.656, 0.0, 35.687, false, "running equation"),
    ];

    #[test]
    fn acsm_equations() {
        for &(f, name, x, y, want, warns, src) in CASES {
            let e = f(x, y).unwrap();
            assert!(close(e.value, want, 0.0005), "{name}({x}, {y}) = {}, want {want} ({src})", e.value);
            assert_eq!(e.warning.is_some(), warns, "{name}({x}, {y}): {:?} ({src})", e.warning);
        }
    }

    #[test]
    fn warning_texts() {
        assert_eq!(
            vo2_walking(7.0, 0.0).unwrap().warning.as_deref(),
            Some(
                "speed_kmh \"7\" is outside the range of the ACSM walking equation (3.0 to 6.0 km/h, 50 to 100 m/min)"
            )
        );
        assert_eq!(
            vo2_running(7.0, 0.0).unwrap().warning.as_deref(),
            Some("speed_kmh \"7\" is in the jogging range of the ACSM running equation (4.8 to 8.04 km/h), valid only if the athlete truly jogs")
        );
        assert_eq!(
            vo2_stepping(40.0, 0.5).unwrap().warning.as_deref(),
            Some("steps_per_min \"40\" is outside the range of the ACSM stepping equation (12 to 30 steps/min); step_height_m \"0.5\" is outside the range of the ACSM stepping equation (0.04 to 0.40 m)")
        );
        assert_eq!(
            vo2_arm_cycling(10.0, 70.0).unwrap().warning.as_deref(),
            Some("power_w \"10\" is outside the range of the ACSM arm cycling equation (25 to 125 W)")
        );
        // Range ends are inside: 3.0 and 6.0 km/h are exactly 50 and 100 m/min.
        assert!(vo2_walking(3.0, 0.0).unwrap().warning.is_none());
        assert!(vo2_walking(6.0, 0.0).unwrap().warning.is_none());
        assert!(vo2_leg_cycling(50.0, 70.0).unwrap().warning.is_none());
        assert!(vo2_leg_cycling(200.0, 70.0).unwrap().warning.is_none());
    }

    #[test]
    fn treadmill_switches_at_six_kmh() {
        // Just below 6.0: walking (0.1 S); at 6.0: running (0.2 S). Hand-computed at S ~= 100.
        assert!(close(vo2_treadmill(5.999, 0.0).unwrap().value, 3.5 + 0.1 * 5.999 * 1000.0 / 60.0, 1e-9));
        assert!(close(vo2_treadmill(6.0, 0.0).unwrap().value, 23.5, 1e-9));
    }

    #[test]
    fn inverse_round_trips_on_every_reachable_vo2() {
        // vo2 -> speed -> vo2 is exact (to rounding) for every vo2 the forward rule produces.
        for g10 in 0..=250 {
            let g = f64::from(g10) / 10.0; // 0 .. 25 %
            for s100 in 0..=2000 {
                let s = f64::from(s100) / 100.0; // 0 .. 20 km/h
                let v = vo2_treadmill(s, g).unwrap().value;
                let back = treadmill_speed_for_vo2(v, g).unwrap().value;
                let v2 = vo2_treadmill(back, g).unwrap().value;
                assert!(close(v, v2, 1e-9), "g={g} s={s}: {v} -> {back} -> {v2}");
                // speed -> vo2 -> speed is exact where the speed is unique: up to 11.1 % grade
                // (1.8 G <= 0.1 + 0.9 G, i.e. G <= 1/9), walking never costs more than running.
                if g <= 100.0 / 9.0 {
                    assert!(close(back, s, 1e-9), "g={g} s={s}: back {back}");
                }
            }
        }
    }

    #[test]
    fn inverse_cases() {
        // Hand-computed: 11.833 at 0 % -> walking S = 8.333/0.1 = 83.33 m/min = 5.0 km/h.
        let e = treadmill_speed_for_vo2(11.0 + 5.0 / 6.0, 0.0).unwrap();
        assert!(close(e.value, 5.0, 1e-9) && e.warning.is_none());
        // 35.687 at 0 %: walking would need 19.3 km/h; running S = 32.187/0.2 = 160.93 m/min = 9.656 km/h.
        let e = treadmill_speed_for_vo2(35.687, 0.0).unwrap();
        assert!(close(e.value, 9.6561, 1e-4) && e.warning.is_none(), "{e:?}");
        // 20 at 0 % is in the gap (13.5 .. 23.5): running S = 16.5/0.2 = 82.5 m/min = 4.95 km/h, warned.
        let e = treadmill_speed_for_vo2(20.0, 0.0).unwrap();
        assert!(close(e.value, 4.95, 1e-9));
        let w = e.warning.unwrap_or_default();
        assert!(w.starts_with("no treadmill speed gives vo2 \"20\" at grade_pct \"0\""), "{w}");
        // 15 % grade, 25 ml/kg/min: walking S = 21.5/(0.1+0.27) = 58.11 m/min = 3.486 km/h (the overlap
        // rule picks walking when its speed is below 6.0 km/h).
        let e = treadmill_speed_for_vo2(25.0, 15.0).unwrap();
        assert!(close(e.value, 21.5 / 0.37 * 0.06, 1e-9), "{e:?}");
        // Resting VO2 -> standing still.
        assert_eq!(treadmill_speed_for_vo2(3.5, 0.0).unwrap().value, 0.0);
    }

    #[test]
    fn impossible_inputs_are_22023() {
        let cases: &[(FitResult<Estimate>, &str)] = &[
            (vo2_walking(-1.0, 0.0), "invalid speed_kmh \"-1\""),
            (vo2_running(f64::NAN, 0.0), "invalid speed_kmh \"NaN\""),
            (vo2_running(10.0, -2.0), "invalid grade_pct \"-2\""),
            (vo2_treadmill(10.0, f64::INFINITY), "invalid grade_pct \"Infinity\""),
            (vo2_leg_cycling(100.0, 0.0), "invalid body_mass_kg \"0\""),
            (vo2_arm_cycling(-5.0, 70.0), "invalid power_w \"-5\""),
            (vo2_stepping(20.0, -0.1), "invalid step_height_m \"-0.1\""),
            (vo2_stepping(f64::NEG_INFINITY, 0.2), "invalid steps_per_min \"-Infinity\""),
            (treadmill_speed_for_vo2(3.0, 0.0), "invalid vo2 \"3\""),
            (treadmill_speed_for_vo2(20.0, -1.0), "invalid grade_pct \"-1\""),
        ];
        for (r, msg) in cases {
            let e = r.clone().unwrap_err();
            assert_eq!(e.sqlstate(), "22023", "{msg}");
            assert_eq!(e.message, *msg);
            assert!(e.hint.as_deref().is_some_and(|h| h.ends_with('.')), "{msg}: {:?}", e.hint);
        }
        assert_eq!(
            vo2_leg_cycling(100.0, -70.0).unwrap_err().hint.as_deref(),
            Some("The body mass in kg must be a finite number greater than zero.")
        );
        assert_eq!(vo2_leg_cycling(f64::MAX, 1e-300).unwrap_err().sqlstate(), "22003");
    }
}
