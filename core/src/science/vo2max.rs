//! Maximal oxygen uptake (VO2max, ml/kg/min) from field tests.
//!
//! - Cooper, K. H. (1968). "A means of assessing maximal oxygen intake: correlation between field
//!   and treadmill testing." JAMA 203(3):201-204. VO2max = (d - 504.9) / 44.73, d = metres covered
//!   in 12 minutes of running.
//! - Uth, N., Sørensen, H., Overgaard, K., Pedersen, P. K. (2004). "Estimation of VO2max from the
//!   ratio between HRmax and HRrest - the Heart Rate Ratio Method." Eur J Appl Physiol
//!   91(1):111-115. VO2max = 15.3 x HRmax / HRrest (beats/min). Derived on well-trained men aged
//!   21-51; the inputs cannot tell that, so the docs state it and no warning is raised.

use super::{num, FitError, FitResult, REST_VO2};

/// Cooper's 12-minute run: VO2max = (distance_m - 504.9) / 44.73 ml/kg/min.
///
/// Errors (22023): `distance_m` negative or not finite, or so short (under 661.455 m) that the
/// equation gives a VO2max below resting VO2 (3.5 ml/kg/min), which no one can have.
pub fn vo2max_cooper(distance_m: f64) -> FitResult<f64> {
    if !(distance_m.is_finite() && distance_m >= 0.0) {
        return Err(FitError::invalid_param(format!("invalid distance_m \"{}\"", num(distance_m)))
            .with_hint("The distance covered in 12 minutes must be a finite number of metres, zero or more."));
    }
    let v = (distance_m - 504.9) / 44.73;
    if v < REST_VO2 {
        return Err(FitError::invalid_param(format!(
            "distance_m \"{}\" is too short for the Cooper 12-minute test",
            num(distance_m)
        ))
        .with_detail(format!("The Cooper equation gives {v:.1} ml/kg/min, below resting VO2 (3.5 ml/kg/min)."))
        .with_hint("The Cooper equation needs at least 661.455 m covered in 12 minutes."));
    }
    Ok(v)
}

/// Highest heart rate accepted, beats/min: anything above is a sensor fault, not physiology.
pub const HR_LIMIT: i32 = 300;

/// Uth heart rate ratio method: VO2max = 15.3 x hr_max / hr_rest ml/kg/min.
///
/// Errors (22023): `hr_rest` not positive, `hr_max` not above `hr_rest`, either above 300 bpm.
pub fn vo2max_uth(hr_max: i32, hr_rest: i32) -> FitResult<f64> {
    for (name, v) in [("hr_max", hr_max), ("hr_rest", hr_rest)] {
        if !(1..=HR_LIMIT).contains(&v) {
            return Err(FitError::invalid_param(format!("invalid {name} \"{v}\""))
                .with_hint(format!("Heart rates must be between 1 and {HR_LIMIT} beats per minute.")));
        }
    }
    if hr_max <= hr_rest {
        return Err(FitError::invalid_param(format!("hr_max \"{hr_max}\" must be greater than hr_rest \"{hr_rest}\""))
            .with_hint("Give the maximal heart rate first and the resting heart rate second."));
    }
    Ok(15.3 * f64::from(hr_max) / f64::from(hr_rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooper() {
        // (distance m, expected ml/kg/min, source): hand-computed from Cooper 1968.
        let cases = [
            (2400.0, 42.3675, "(2400 - 504.9) / 44.73"),
            (3000.0, 55.7813, "(3000 - 504.9) / 44.73"),
            (1609.344, 24.6914, "one mile: (1609.344 - 504.9) / 44.73"),
            (661.455, 3.5, "the shortest distance accepted gives resting VO2"),
        ];
        for (d, want, src) in cases {
            let got = vo2max_cooper(d).unwrap();
            assert!((got - want).abs() < 1e-4, "{d}: {got} vs {want} ({src})");
        }
        let e = vo2max_cooper(600.0).unwrap_err();
        assert_eq!(e.sqlstate(), "22023");
        assert_eq!(e.message, "distance_m \"600\" is too short for the Cooper 12-minute test");
        assert_eq!(
            e.detail.as_deref(),
            Some("The Cooper equation gives 2.1 ml/kg/min, below resting VO2 (3.5 ml/kg/min).")
        );
        let e = vo2max_cooper(-1.0).unwrap_err();
        assert_eq!((e.sqlstate(), e.message.as_str()), ("22023", "invalid distance_m \"-1\""));
        assert_eq!(vo2max_cooper(f64::NAN).unwrap_err().message, "invalid distance_m \"NaN\"");
    }

    #[test]
    fn uth() {
        // Hand-computed from Uth et al. 2004: 15.3 x HRmax / HRrest.
        let cases = [(190, 60, 48.45), (200, 50, 61.2), (180, 72, 38.25)];
        for (hmax, hrest, want) in cases {
            let got = vo2max_uth(hmax, hrest).unwrap();
            assert!((got - want).abs() < 1e-9, "{hmax}/{hrest}: {got} vs {want}");
        }
        let e = vo2max_uth(60, 190).unwrap_err();
        assert_eq!(e.sqlstate(), "22023");
        assert_eq!(e.message, "hr_max \"60\" must be greater than hr_rest \"190\"");
        assert_eq!(vo2max_uth(190, 0).unwrap_err().message, "invalid hr_rest \"0\"");
        let e = vo2max_uth(301, 60).unwrap_err();
        assert_eq!(e.message, "invalid hr_max \"301\"");
        assert_eq!(e.hint.as_deref(), Some("Heart rates must be between 1 and 300 beats per minute."));
        assert_eq!(vo2max_uth(70, 70).unwrap_err().sqlstate(), "22023");
    }
}
