//! Max reps per minute: the most reps inside any 60-second window.
//!
//! A window is half-open, `[t, t + window)`: two reps exactly 60 s apart are never in the same
//! window. Only the window's length matters, so the answer depends on the multiset of rep
//! timestamps alone, not on the order they arrived in.

/// One minute in microseconds (PostgreSQL's timestamp resolution).
pub const MINUTE_US: i64 = 60_000_000;

/// The largest total of `reps` over events whose timestamps fit in a half-open window of
/// `window_us` microseconds. `events` are `(ts_us, reps)` pairs and must be sorted by timestamp
/// (use [`max_reps_in_window_unsorted`] otherwise). Events with non-positive reps count as zero.
pub fn max_reps_in_window(events: &[(i64, i64)], window_us: i64) -> i64 {
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
}
