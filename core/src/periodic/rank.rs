//! Standard competition ranking ("1224") for leaderboards.
//!
//! Higher values rank first. Equal values share a rank, and the next distinct value gets
//! 1 + the number of entries strictly greater than it, so ranks run 1, 2, 2, 4. This is exactly
//! SQL `rank() OVER (ORDER BY value DESC)`.
//!
//! Tie rule: tied entries share the rank; within a tie they are listed by athlete_id ascending, so
//! the output order is deterministic: sorted by (rank, athlete_id).
//!
//! Float details, chosen to match PostgreSQL `float8` comparison: `-0.0` and `0.0` are equal (they
//! tie); `+inf`/`-inf` are ordinary values. NaN is excluded here; PostgreSQL sorts NaN above every
//! other value, so the SQL side must filter it (`WHERE value <> 'NaN'`) for the two to agree.

use std::cmp::Ordering;

/// Ranks `(athlete_id, value)` pairs, highest value first, ties sharing a rank (1, 2, 2, 4).
///
/// Returns `(athlete_id, value, rank)` sorted by (rank, athlete_id); NaN values are dropped. An
/// athlete_id that appears twice is ranked twice, as SQL would rank two rows.
pub fn competition_ranks(values: &[(i64, f64)]) -> Vec<(i64, f64, i64)> {
    let mut v: Vec<(i64, f64)> = values.iter().copied().filter(|(_, x)| !x.is_nan()).collect();
    // Value descending (IEEE comparison: -0.0 == 0.0), then athlete_id ascending, then the bit
    // pattern so that even duplicate athlete_ids come out in one deterministic order.
    v.sort_by(|a, b| {
        b.1.partial_cmp(&a.1)
            .unwrap_or(Ordering::Equal)
            .then(a.0.cmp(&b.0))
            .then(a.1.total_cmp(&b.1))
    });
    let mut out = Vec::with_capacity(v.len());
    let mut rank = 0i64;
    for (i, &(id, x)) in v.iter().enumerate() {
        // A new rank starts whenever the value differs from the previous one (NaN is gone, so
        // `!=` is a true inequality and -0.0 != 0.0 is false).
        if i == 0 || v[i - 1].1 != x {
            rank = i as i64 + 1;
        }
        out.push((id, x, rank));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testrng::Rng;

    /// The definition: rank = 1 + number of (non-NaN) values strictly greater; listed by
    /// (rank, athlete_id), duplicates of one athlete by value bits.
    fn brute_force(values: &[(i64, f64)]) -> Vec<(i64, f64, i64)> {
        let kept: Vec<(i64, f64)> = values.iter().copied().filter(|(_, x)| !x.is_nan()).collect();
        let mut out: Vec<(i64, f64, i64)> = kept
            .iter()
            .map(|&(id, x)| (id, x, 1 + kept.iter().filter(|(_, y)| *y > x).count() as i64))
            .collect();
        out.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.cmp(&b.0)).then(a.1.total_cmp(&b.1)));
        out
    }

    fn ranks_of(values: &[(i64, f64)]) -> Vec<(i64, i64)> {
        competition_ranks(values).into_iter().map(|(id, _, r)| (id, r)).collect()
    }

    #[test]
    fn hand_computed() {
        // (input, expected (athlete_id, rank) in output order, source): ranks worked out by hand
        // from the definition of rank() in the PostgreSQL manual, 9.22 "Window Functions": "rank
        // of the current row with gaps; same as row_number of its first peer".
        type Case = (Vec<(i64, f64)>, Vec<(i64, i64)>, &'static str);
        let cases: Vec<Case> = vec![
            (vec![], vec![], "empty input"),
            (vec![(7, 3.0)], vec![(7, 1)], "single row"),
            (
                vec![(1, 10.0), (2, 20.0), (3, 20.0), (4, 5.0)],
                vec![(2, 1), (3, 1), (1, 3), (4, 4)],
                "tie at the top: 1, 1, 3, 4",
            ),
            (
                vec![(40, 5.0), (30, 7.5), (20, 7.5), (10, 9.0)],
                vec![(10, 1), (20, 2), (30, 2), (40, 4)],
                "the issue's 1, 2, 2, 4; the tie listed by athlete_id, not input order",
            ),
            (
                vec![(5, 1.0), (4, 1.0), (3, 1.0)],
                vec![(3, 1), (4, 1), (5, 1)],
                "all tied: everyone rank 1",
            ),
            (
                vec![(1, 3.0), (2, 2.0), (3, 2.0), (4, 2.0), (5, 1.0), (6, 1.0), (7, 0.5)],
                vec![(1, 1), (2, 2), (3, 2), (4, 2), (5, 5), (6, 5), (7, 7)],
                "1, 2, 2, 2, 5, 5, 7",
            ),
            (
                vec![(1, f64::NAN), (2, 4.0), (3, f64::NAN), (4, 4.0), (5, 2.0)],
                vec![(2, 1), (4, 1), (5, 3)],
                "NaN rows are dropped before ranking",
            ),
            (
                vec![(1, -0.0), (2, 0.0), (3, -1.0), (4, f64::INFINITY), (5, f64::NEG_INFINITY)],
                vec![(4, 1), (1, 2), (2, 2), (3, 4), (5, 5)],
                "float8: -0 = 0 tie; infinities are ordinary extremes",
            ),
            (
                vec![(9, 100.0), (9, 50.0), (1, 50.0)],
                vec![(9, 1), (1, 2), (9, 2)],
                "one athlete twice is ranked twice, like two SQL rows",
            ),
        ];
        for (input, want, src) in cases {
            assert_eq!(ranks_of(&input), want, "{src}");
        }
        // The value is carried through untouched.
        let got = competition_ranks(&[(1, 2.5), (2, 7.25)]);
        assert_eq!(got, vec![(2, 7.25, 1), (1, 2.5, 2)]);
    }

    #[test]
    fn property_matches_brute_force() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let specials = [f64::NAN, -0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY];
        for round in 0..2000 {
            let n = rng.below(40) as usize;
            // Few distinct values so ties are common; ids from a small range so they repeat too.
            let distinct = 1 + rng.below(8);
            let values: Vec<(i64, f64)> = (0..n)
                .map(|_| {
                    let id = rng.below(30) as i64 - 5;
                    let x = match rng.below(10) {
                        0 => specials[rng.below(specials.len() as u64) as usize],
                        1 => (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * 1e6 - 5e5,
                        _ => rng.below(distinct) as f64 * 2.5,
                    };
                    (id, x)
                })
                .collect();
            let got = competition_ranks(&values);
            let want = brute_force(&values);
            // Compare value bits so that -0.0 vs 0.0 differences would show.
            let bits = |v: &Vec<(i64, f64, i64)>| -> Vec<(i64, u64, i64)> {
                v.iter().map(|&(a, x, r)| (a, x.to_bits(), r)).collect()
            };
            assert_eq!(bits(&got), bits(&want), "round {round}: {values:?}");
            // Laws of "1224" ranking: the first rank is 1, ranks never decrease, and a rank jump
            // equals the size of the tie group before it.
            if let Some(first) = got.first() {
                assert_eq!(first.2, 1);
            }
            for (i, w) in got.windows(2).enumerate() {
                assert!(w[1].2 >= w[0].2);
                if w[1].2 != w[0].2 {
                    assert_eq!(w[1].2, i as i64 + 2, "round {round}");
                }
            }
        }
    }
}
