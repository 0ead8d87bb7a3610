//! Metabolic equivalents and energy expenditure.
//!
//! - 1 MET = 3.5 ml O2/kg/min, the conventional resting oxygen uptake (Jetté, Sidney, Blümchen
//!   1990, "Metabolic equivalents (METS) in exercise testing, exercise prescription, and evaluation
//!   of functional capacity", Clin Cardiol 13(8):555-565; ACSM GETP).
//! - kcal/min = MET x 3.5 x body mass (kg) / 200 (ACSM, *Guidelines for Exercise Testing and
//!   Prescription*, 10th ed., 2018): ml O2/min / 1000 x ~5 kcal per litre of O2.

use super::{num, FitError, FitResult, REST_VO2};

/// METs from oxygen uptake: vo2 (ml/kg/min) / 3.5.
/// Errors (22023): `vo2` negative or not finite.
pub fn met(vo2_ml_kg_min: f64) -> FitResult<f64> {
    if !(vo2_ml_kg_min.is_finite() && vo2_ml_kg_min >= 0.0) {
        return Err(FitError::invalid_param(format!("invalid vo2_ml_kg_min \"{}\"", num(vo2_ml_kg_min)))
            .with_hint("The oxygen uptake must be a finite number of ml/kg/min, zero or more."));
    }
    Ok(vo2_ml_kg_min / REST_VO2)
}

/// Energy expenditure in kcal/min: met x 3.5 x body_mass_kg / 200 (ACSM).
/// Errors (22023): `met` negative or not finite, `body_mass_kg` not a finite positive number.
/// 22003 if the product overflows.
pub fn kcal_per_min(met: f64, body_mass_kg: f64) -> FitResult<f64> {
    if !(met.is_finite() && met >= 0.0) {
        return Err(FitError::invalid_param(format!("invalid met \"{}\"", num(met)))
            .with_hint("The MET value must be a finite number, zero or more."));
    }
    if !(body_mass_kg.is_finite() && body_mass_kg > 0.0) {
        return Err(FitError::invalid_param(format!("invalid body_mass_kg \"{}\"", num(body_mass_kg)))
            .with_hint("The body mass in kg must be a finite number greater than zero."));
    }
    let v = met * REST_VO2 * body_mass_kg / 200.0;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(FitError::out_of_range("energy expenditure is out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn met_and_kcal() {
        // Hand-computed from the definitions above.
        assert!((met(35.0).unwrap() - 10.0).abs() < 1e-12); // 35 / 3.5
        assert!((met(3.5).unwrap() - 1.0).abs() < 1e-12); // resting = 1 MET by definition
        assert!((met(35.687).unwrap() - 10.196).abs() < 1e-3); // 6 mph running (ACSM) / 3.5
        assert!((kcal_per_min(10.0, 70.0).unwrap() - 12.25).abs() < 1e-12); // 10*3.5*70/200
        assert!((kcal_per_min(1.0, 80.0).unwrap() - 1.4).abs() < 1e-12); // 3.5*80/200
        assert!((kcal_per_min(6.0, 55.5).unwrap() - 5.8275).abs() < 1e-12); // 6*3.5*55.5/200

        let e = met(-1.0).unwrap_err();
        assert_eq!((e.sqlstate(), e.message.as_str()), ("22023", "invalid vo2_ml_kg_min \"-1\""));
        let e = kcal_per_min(5.0, 0.0).unwrap_err();
        assert_eq!((e.sqlstate(), e.message.as_str()), ("22023", "invalid body_mass_kg \"0\""));
        assert_eq!(kcal_per_min(f64::NAN, 70.0).unwrap_err().message, "invalid met \"NaN\"");
        assert_eq!(kcal_per_min(f64::MAX, f64::MAX).unwrap_err().sqlstate(), "22003");
    }
}
