//! Max reps per minute: the most reps inside any 60-second window.
//!
//! A window is half-open, `[t, t + window)`: two reps exactly 60 s apart are never in the same
//! window. Only the window's length matters, so the answer depends on the multiset of rep
//! timestamps alone, not on the order they arrived in.

use crate::error::{FitError, FitResult};

/// One minute in microseconds (PostgreSQL's timestamp resolution).
pub const MINUTE_US: i64 = 60_000_000;

/// The largest total of `reps` over events whose timestamps fit in a half-open window of
/// `window_us` microseconds. `events` are `(ts_us, reps)` pairs and must be sorted by timestamp
/// (use [`max_reps_in_window_unsorted`] otherwise). Events with non-positive reps count as zero.
pub fn max_reps_in_window(events: &[(i64, i64)], window_us: i64) -> i64 {
    if window_us <= 0 {
        // An empty window holds nothing (and the loop below needs window_us > 0 to keep lo <= hi).
        return 0;
    }
    let mut best = 0i64;
    let mut sum = 0i64;
    let mut lo = 0usize;
    for hi in 0..events.len() {
        sum += events[hi].1.max(0);
        while events[hi].0.saturating_sub(events[lo].0) >= window_us {
            sum -= events[lo].1.max(0);
            lo += 1;
        }
        best = best.max(sum);
    }
    best
}

/// Like [`max_reps_in_window`] but sorts a copy first.
pub fn max_reps_in_window_unsorted(events: &[(i64, i64)], window_us: i64) -> i64 {
    let mut v = events.to_vec();
    v.sort_unstable();
    max_reps_in_window(&v, window_us)
}

/// Max reps per minute of a set given one timestamp (microseconds since any epoch) per rep,
/// in any order: the most timestamps inside any half-open 60 s window.
///
/// Errors: 22023 if a timestamp is PostgreSQL's `-infinity`/`infinity` (`i64::MIN`/`i64::MAX`),
/// which is no instant a rep can happen at; 22003 if the count does not fit an `int`.
pub fn max_reps_per_min(ts_us: &[i64]) -> FitResult<i32> {
    let mut ev = Vec::with_capacity(ts_us.len());
    for &t in ts_us {
        if t == i64::MIN || t == i64::MAX {
            let which = if t == i64::MIN { "-infinity" } else { "infinity" };
            return Err(FitError::invalid_param(format!("invalid rep timestamp \"{which}\""))
                .with_hint("Rep timestamps must be finite."));
        }
        ev.push((t, 1i64));
    }
    ev.sort_unstable();
    i32::try_from(max_reps_in_window(&ev, MINUTE_US))
        .map_err(|_| FitError::out_of_range("max reps per minute is out of range for type integer"))
}

#[cfg(test)]
mod tests {
    use super::*;
    const S: i64 = 1_000_000;

    #[test]
    fn hand_counted_windows() {
        // Hand-counted: reps every 5 s from 0 to 55 s = 12 reps in [0, 60); the rep at 60 s starts a
        // new window, so the best is 12, not 13.
        let ev: Vec<(i64, i64)> = (0..=12).map(|i| (i * 5 * S, 1)).collect();
        assert_eq!(max_reps_in_window(&ev, MINUTE_US), 12);
        // Two bursts: 8 reps in 16 s, a pause of 5 minutes, then 10 reps in 20 s -> 10.
        let mut ev: Vec<(i64, i64)> = (0..8).map(|i| (i * 2 * S, 1)).collect();
        ev.extend((0..10).map(|i| (300 * S + i * 2 * S, 1)));
        assert_eq!(max_reps_in_window(&ev, MINUTE_US), 10);
        // Readings that carry several reps each.
        assert_eq!(max_reps_in_window(&[(0, 3), (59 * S, 4), (61 * S, 5)], MINUTE_US), 9);
        assert_eq!(max_reps_in_window(&[], MINUTE_US), 0);
        // Order does not matter.
        assert_eq!(max_reps_in_window_unsorted(&[(61 * S, 5), (0, 3), (59 * S, 4)], MINUTE_US), 9);
    }

    #[test]
    fn empty_or_negative_window_holds_nothing() {
        // Before the guard, window_us <= 0 indexed past the end of `events`.
        assert_eq!(max_reps_in_window(&[(0, 1), (0, 1), (5, 1)], 0), 0);
        assert_eq!(max_reps_in_window(&[(0, 1), (1, 1)], -10), 0);
    }

    #[test]
    fn reps_per_minute_from_timestamps() {
        // Hand-counted: one rep every 4 s from t = 0 to 116 s (30 reps); a 60 s window holds 15
        // (e.g. 0, 4, ..., 56), and 60 s itself falls in the next window.
        let ts: Vec<i64> = (0..30).rev().map(|i| 1_700_000_000 * S + i * 4 * S).collect();
        assert_eq!(max_reps_per_min(&ts), Ok(15));
        // Duplicates count (two reps logged in the same microsecond), unsorted input.
        assert_eq!(max_reps_per_min(&[10 * S, 0, 0, 70 * S]), Ok(3));
        assert_eq!(max_reps_per_min(&[]), Ok(0));
        // Negative epochs (before 2000-01-01 in PostgreSQL terms) are fine.
        assert_eq!(max_reps_per_min(&[-30 * S, -1, 29 * S]), Ok(3));
        let e = max_reps_per_min(&[0, i64::MAX]).unwrap_err();
        assert_eq!((e.sqlstate(), e.message.as_str()), ("22023", "invalid rep timestamp \"infinity\""));
        assert_eq!(max_reps_per_min(&[i64::MIN]).unwrap_err().message, "invalid rep timestamp \"-infinity\"");
    }
}
