//! On-demand pipeline: a challenge result from a rule and the athlete's workouts in the
//! challenge window, including the completion point.
//!
//! `completed_at` is the end time of the workout that completed the challenge: the earliest
//! workout (in `ended_at`, then session order) such that the rule holds over the workouts up to
//! and including it. It is a function of the set of workouts, not of their arrival order, so
//! replays in any order give the same value; with workouts arriving in time order it is set once
//! and never moves. The search is a binary search over prefixes, exact for rules whose truth only
//! grows with more workouts (counts, sums, maxima, streaks against lower bounds); for other rules
//! it returns a prefix at which the rule turns true, still deterministically.

use crate::error::FitResult;
use crate::rules::{evaluate, Evaluation, Rule, Workout};

/// A challenge result before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeResult {
    pub evaluation: Evaluation,
    /// `ended_at_us` of the completing workout when complete.
    pub completed_at_us: Option<i64>,
}

/// Evaluate `rule` over `workouts`, which must be sorted by (ended_at, session) and restricted to
/// the challenge window.
pub fn challenge_result(rule: &Rule, workouts: &[Workout]) -> FitResult<ChallengeResult> {
    let evaluation = evaluate(rule, workouts)?;
    let completed_at_us = if evaluation.complete { completion_point(rule, workouts)? } else { None };
    Ok(ChallengeResult { evaluation, completed_at_us })
}

fn complete_over(rule: &Rule, prefix: &[Workout]) -> FitResult<bool> {
    Ok(evaluate(rule, prefix)?.complete)
}

/// `ended_at_us` of the first workout whose prefix completes the rule (None if none does).
pub fn completion_point(rule: &Rule, workouts: &[Workout]) -> FitResult<Option<i64>> {
    if !complete_over(rule, workouts)? {
        return Ok(None);
    }
    if complete_over(rule, &[])? {
        // True without any workout (e.g. a rule with no workout aggregate): complete from the
        // first workout, or never attributable to one.
        return Ok(workouts.first().map(|w| w.ended_at_us));
    }
    // Invariant: prefix of length lo is not complete, prefix of length hi is.
    let (mut lo, mut hi) = (0usize, workouts.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if complete_over(rule, &workouts[..mid])? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some(workouts[hi - 1].ended_at_us))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{compile, field_index, WORKOUT_FIELDS};
    use serde_json::{json, Value};

    fn workout(day: i32, exercise: &str, duration_s: f64) -> Workout {
        let mut values = vec![Value::Null; WORKOUT_FIELDS.len()];
        values[field_index("exercise").unwrap()] = json!(exercise);
        values[field_index("duration_s").unwrap()] = json!(duration_s);
        Workout { ended_at_us: i64::from(day) * 86_400_000_000, day, values }
    }

    #[test]
    fn completion_is_the_workout_that_crossed_the_target() {
        // Three treadmill hours needed: 1800 + 1800 (day 2: 1 h) + 3600 (day 3: 2 h) + 7200
        // (day 4: 4 h). The target of 3 h (10800 s) is crossed by the workout of day 4.
        let rule = compile(&json!({">=": [{"sum": [{"workouts": [{"==": [{"var": "exercise"}, "treadmill"]}]}, "duration_s"]}, 10800]})).unwrap();
        let ws = vec![workout(1, "treadmill", 1800.0), workout(2, "treadmill", 1800.0), workout(3, "treadmill", 3600.0), workout(4, "treadmill", 7200.0), workout(5, "treadmill", 60.0)];
        let r = challenge_result(&rule, &ws).unwrap();
        assert!(r.evaluation.complete);
        assert_eq!(r.completed_at_us, Some(4 * 86_400_000_000));
        // Not complete: no completion time; progress 7200/10800.
        let r = challenge_result(&rule, &ws[..3]).unwrap();
        assert_eq!(r.completed_at_us, None);
        assert!((r.evaluation.progress - 7200.0 / 10800.0).abs() < 1e-12);
        // Exactly at the target on the last workout.
        let ws2 = vec![workout(1, "treadmill", 3600.0), workout(2, "treadmill", 7200.0)];
        assert_eq!(challenge_result(&rule, &ws2).unwrap().completed_at_us, Some(2 * 86_400_000_000));
        // A rule true with no workouts at all completes at the first workout.
        let always = compile(&json!({"<=": [{"count": [{"workouts": []}]}, 100]})).unwrap();
        assert_eq!(challenge_result(&always, &ws).unwrap().completed_at_us, Some(86_400_000_000));
    }
}
