//! One-repetition maximum (1RM) estimated from a set of `reps` repetitions to failure with
//! `load_kg`.
//!
//! The seven equations are the ones compared by LeSuer, McCormick, Mayhew, Wasserstein and Arnold
//! (1997), "The accuracy of prediction equations for estimating 1-RM performance in the bench
//! press, squat, and deadlift", J Strength Cond Res 11(4):211-213, each written in its published
//! form (w = load, r = reps, result in the unit of the load, kg here):
//!
//! | name | equation | source | reps accepted |
//! |---|---|---|---|
//! | `epley` | w (1 + r / 30) | Epley 1985, *Boyd Epley Workout* | 1..=10 |
//! | `brzycki` | w * 36 / (37 - r) | Brzycki 1993, JOPERD 64(1):88-90 | 1..=10 |
//! | `lander` | 100 w / (101.3 - 2.67123 r) | Lander 1985, NSCA J 6:60-61 | 1..=10 |
//! | `lombardi` | w * r^0.10 | Lombardi 1989, *Beginning Weight Training* | 1..=10 |
//! | `mayhew` | 100 w / (52.2 + 41.9 e^(-0.055 r)) | Mayhew et al. 1992, J Appl Sport Sci Res 6(4):200-206 | 1..=15 |
//! | `oconner` | w (1 + 0.025 r) | O'Conner, Simmons, O'Shea 1989, *Weight Training Today* | 1..=10 |
//! | `wathan` | 100 w / (48.8 + 53.8 e^(-0.075 r)) | Wathan 1994, in Baechle (ed.), *Essentials of Strength Training and Conditioning* | 1..=15 |
//!
//! Rep ranges: the linear, rational and power forms are accepted up to 10 reps. Brzycki (1993)
//! states his equation for sets of 10 or fewer repetitions (it diverges at 37), LeSuer et al.
//! (1997) validated all seven on sets of at most 10, and Reynolds, Gordon and Robergs (2006, J
//! Strength Cond Res 20(3):584-592) conclude that no more than 10 repetitions should be used in
//! linear prediction equations. The exponential forms (Mayhew, Wathan) flatten out at high rep
//! counts by construction (they were fitted to reps-to-fatigue tests including light loads); we
//! accept them up to 15 reps, the last row of the NSCA %1RM-reps table. Outside these
//! ranges the call fails with 22023 and a HINT giving the range.
//!
//! One repetition returns the load exactly for every formula. Only Brzycki and Lombardi do this by
//! themselves; Epley (1.033 w), Lander (1.014 w), O'Conner (1.025 w), Mayhew (1.089 w) and Wathan
//! (1.013 w) do not, so `reps = 1` is special-cased: a single rep to failure *is* the 1RM.
//!
//! Formula names are matched ASCII case-insensitively (`'Epley'` = `'epley'`), without trimming.

use super::{num, FitError, FitResult};

/// The accepted formula names, in the order `one_rm_all` reports them.
pub const FORMULAS: &[&str] = &["epley", "brzycki", "lander", "lombardi", "mayhew", "oconner", "wathan"];

/// Highest rep count any formula accepts (Mayhew and Wathan).
pub const MAX_REPS_ANY: i32 = 15;

struct Formula {
    name: &'static str,
    max_reps: i32,
    eval: fn(f64, f64) -> f64,
}

const TABLE: &[Formula] = &[
    Formula { name: "epley", max_reps: 10, eval: |w, r| w * (1.0 + r / 30.0) },
    Formula { name: "brzycki", max_reps: 10, eval: |w, r| w * 36.0 / (37.0 - r) },
    Formula { name: "lander", max_reps: 10, eval: |w, r| 100.0 * w / (101.3 - 2.67123 * r) },
    Formula { name: "lombardi", max_reps: 10, eval: |w, r| w * r.powf(0.10) },
    Formula { name: "mayhew", max_reps: 15, eval: |w, r| 100.0 * w / (52.2 + 41.9 * (-0.055 * r).exp()) },
    Formula { name: "oconner", max_reps: 10, eval: |w, r| w * (1.0 + 0.025 * r) },
    Formula { name: "wathan", max_reps: 15, eval: |w, r| 100.0 * w / (48.8 + 53.8 * (-0.075 * r).exp()) },
];

fn lookup(formula: &str) -> FitResult<&'static Formula> {
    TABLE.iter().find(|f| f.name.eq_ignore_ascii_case(formula)).ok_or_else(|| {
        FitError::invalid_param(format!("unrecognized formula \"{formula}\""))
            .with_hint(format!("Valid formulas are: {}.", FORMULAS.join(", ")))
    })
}

fn check_load(load_kg: f64) -> FitResult<()> {
    if load_kg.is_finite() && load_kg >= 0.0 {
        Ok(())
    } else {
        Err(FitError::invalid_param(format!("invalid load_kg \"{}\"", num(load_kg)))
            .with_hint("The load must be a finite number of kilograms, zero or more."))
    }
}

fn estimate(f: &Formula, load_kg: f64, reps: i32) -> FitResult<f64> {
    if reps == 1 {
        return Ok(load_kg);
    }
    let v = (f.eval)(load_kg, f64::from(reps));
    if v.is_finite() {
        Ok(v)
    } else {
        Err(FitError::out_of_range(format!("estimated 1RM for load_kg \"{}\" is out of range", num(load_kg))))
    }
}

/// Estimated 1RM in the unit of `load_kg` (kg) from `reps` repetitions to failure.
///
/// Errors (22023): unrecognized `formula` (HINT lists [`FORMULAS`]), `load_kg` negative or not
/// finite, `reps` outside the formula's range (HINT gives it). 22003 if the result overflows.
pub fn one_rm(load_kg: f64, reps: i32, formula: &str) -> FitResult<f64> {
    let f = lookup(formula)?;
    check_load(load_kg)?;
    if !(1..=f.max_reps).contains(&reps) {
        return Err(FitError::invalid_param(format!("invalid reps \"{reps}\" for formula \"{}\"", f.name))
            .with_hint(format!("Formula \"{}\" accepts 1 to {} reps.", f.name, f.max_reps)));
    }
    estimate(f, load_kg, reps)
}

/// Every formula that accepts `reps`, in [`FORMULAS`] order, followed by `("mean", m)`, the
/// arithmetic mean of those estimates. Formulas whose range does not include `reps` are left out
/// (at 11..=15 reps only Mayhew and Wathan remain, and the mean is theirs).
///
/// Errors (22023): `load_kg` negative or not finite; `reps` outside 1..=15 (no formula accepts it).
pub fn one_rm_all(load_kg: f64, reps: i32) -> FitResult<Vec<(&'static str, f64)>> {
    check_load(load_kg)?;
    if !(1..=MAX_REPS_ANY).contains(&reps) {
        return Err(FitError::invalid_param(format!("invalid reps \"{reps}\""))
            .with_hint(format!("At least one formula accepts 1 to {MAX_REPS_ANY} reps.")));
    }
    let mut out = Vec::with_capacity(TABLE.len() + 1);
    for f in TABLE.iter().filter(|f| reps <= f.max_reps) {
        out.push((f.name, estimate(f, load_kg, reps)?));
    }
    // Non-empty: reps <= MAX_REPS_ANY, which Mayhew and Wathan accept.
    let mean = out.iter().map(|(_, v)| v).sum::<f64>() / out.len() as f64;
    if !mean.is_finite() {
        return Err(FitError::out_of_range(format!("estimated 1RM for load_kg \"{}\" is out of range", num(load_kg))));
    }
    out.push(("mean", mean));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// (formula, load, reps, expected, source). Expected values are hand-computed from the published
    /// equation (as tabulated by LeSuer et al. 1997), rounded to 3 decimals.
    const CASES: &[(&str, f64, i32, f64, &str)] = &[
        ("epley", 100.0, 10, 133.333, "Epley 1985: 100 * (1 + 10/30)"),
        ("epley", 80.0, 5, 93.333, "Epley 1985: 80 * (1 + 5/30)"),
        ("brzycki", 100.0, 10, 133.333, "Brzycki 1993: 100 * 36 / 27"),
        ("brzycki", 80.0, 5, 90.000, "Brzycki 1993: 80 * 36 / 32"),
        ("lander", 100.0, 10, 134.070, "Lander 1985: 10000 / (101.3 - 26.7123)"),
        ("lander", 80.0, 5, 90.967, "Lander 1985: 8000 / (101.3 - 13.35615)"),
        ("lombardi", 100.0, 10, 125.893, "Lombardi 1989: 100 * 10^0.1"),
        ("lombardi", 80.0, 5, 93.970, "Lombardi 1989: 80 * 5^0.1"),
        ("mayhew", 100.0, 10, 130.934, "Mayhew 1992: 10000 / (52.2 + 41.9 e^-0.55)"),
        ("mayhew", 60.0, 15, 85.032, "Mayhew 1992: 6000 / (52.2 + 41.9 e^-0.825)"),
        ("oconner", 100.0, 10, 125.000, "O'Conner 1989: 100 * 1.25"),
        ("oconner", 80.0, 5, 90.000, "O'Conner 1989: 80 * 1.125"),
        ("wathan", 100.0, 10, 134.747, "Wathan 1994: 10000 / (48.8 + 53.8 e^-0.75)"),
        ("wathan", 60.0, 15, 90.544, "Wathan 1994: 6000 / (48.8 + 53.8 e^-1.125)"),
        ("Epley", 100.0, 10, 133.333, "names are case-insensitive"),
        ("WATHAN", 0.0, 8, 0.0, "zero load gives zero"),
    ];

    #[test]
    fn published_equations() {
        for &(f, w, r, want, src) in CASES {
            let got = one_rm(w, r, f).unwrap();
            assert!(close(got, want, 0.0005), "{f}({w}, {r}) = {got}, want {want} ({src})");
        }
    }

    #[test]
    fn one_rep_is_the_load_for_every_formula() {
        // Definition of 1RM: a single rep to failure is the maximum.
        for f in FORMULAS {
            for w in [0.0, 1.0, 57.5, 142.25] {
                assert_eq!(one_rm(w, 1, f).unwrap(), w, "{f}");
            }
        }
        // Without the special case these would be above the load (hand-computed):
        assert!(close(100.0 * (1.0 + 1.0 / 30.0), 103.333, 0.001));
        assert!(close(10000.0 / (52.2 + 41.9 * (-0.055f64).exp()), 108.864, 0.001));
    }

    #[test]
    fn more_reps_mean_a_higher_estimate() {
        // Every equation is increasing in reps over its accepted range.
        for f in TABLE {
            let mut prev = 0.0;
            for r in 1..=f.max_reps {
                let v = one_rm(100.0, r, f.name).unwrap();
                assert!(v > prev || r == 1, "{} at {r}", f.name);
                prev = v;
            }
        }
    }

    #[test]
    fn errors_carry_sqlstate_message_and_hint() {
        let e = one_rm(100.0, 5, "foo").unwrap_err();
        assert_eq!(e.kind, Kind::InvalidParameterValue);
        assert_eq!(e.sqlstate(), "22023");
        assert_eq!(e.message, "unrecognized formula \"foo\"");
        assert_eq!(
            e.hint.as_deref(),
            Some("Valid formulas are: epley, brzycki, lander, lombardi, mayhew, oconner, wathan.")
        );

        let e = one_rm(100.0, 11, "brzycki").unwrap_err();
        assert_eq!(e.sqlstate(), "22023");
        assert_eq!(e.message, "invalid reps \"11\" for formula \"brzycki\"");
        assert_eq!(e.hint.as_deref(), Some("Formula \"brzycki\" accepts 1 to 10 reps."));

        let e = one_rm(100.0, 16, "Mayhew").unwrap_err();
        assert_eq!(e.message, "invalid reps \"16\" for formula \"mayhew\"");
        assert_eq!(e.hint.as_deref(), Some("Formula \"mayhew\" accepts 1 to 15 reps."));
        assert_eq!(one_rm(100.0, 0, "epley").unwrap_err().message, "invalid reps \"0\" for formula \"epley\"");
        assert_eq!(one_rm(100.0, -3, "epley").unwrap_err().sqlstate(), "22023");

        let e = one_rm(-1.0, 5, "epley").unwrap_err();
        assert_eq!(e.sqlstate(), "22023");
        assert_eq!(e.message, "invalid load_kg \"-1\"");
        assert_eq!(one_rm(f64::NAN, 5, "epley").unwrap_err().message, "invalid load_kg \"NaN\"");
        assert_eq!(one_rm(f64::INFINITY, 5, "epley").unwrap_err().message, "invalid load_kg \"Infinity\"");

        let e = one_rm(f64::MAX, 10, "epley").unwrap_err();
        assert_eq!(e.sqlstate(), "22003");
    }

    #[test]
    fn all_formulas_and_their_mean() {
        // 100 kg x 10: all seven (values from CASES above); mean hand-computed:
        // (133.333 + 133.333 + 134.070 + 125.893 + 130.934 + 125.000 + 134.747) / 7 = 131.044
        let rows = one_rm_all(100.0, 10).unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r.0).collect();
        assert_eq!(names, ["epley", "brzycki", "lander", "lombardi", "mayhew", "oconner", "wathan", "mean"]);
        assert!(close(rows[7].1, 131.044, 0.001), "{}", rows[7].1);
        for (name, v) in &rows[..7] {
            assert_eq!(*v, one_rm(100.0, 10, name).unwrap());
        }

        // 60 kg x 15: only Mayhew and Wathan accept 15 reps; mean (85.032 + 90.544) / 2 = 87.788.
        let rows = one_rm_all(60.0, 15).unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r.0).collect();
        assert_eq!(names, ["mayhew", "wathan", "mean"]);
        assert!(close(rows[2].1, 87.788, 0.001), "{}", rows[2].1);

        // One rep: every row is the load.
        assert!(one_rm_all(90.0, 1).unwrap().iter().all(|r| r.1 == 90.0));

        let e = one_rm_all(100.0, 16).unwrap_err();
        assert_eq!(e.sqlstate(), "22023");
        assert_eq!(e.message, "invalid reps \"16\"");
        assert_eq!(e.hint.as_deref(), Some("At least one formula accepts 1 to 15 reps."));
        assert_eq!(one_rm_all(-5.0, 3).unwrap_err().message, "invalid load_kg \"-5\"");
    }
}
