//! Hand-computed fixtures and property tests of the aggregation state.

use std::collections::BTreeMap;

use super::*;

const S: i64 = 1_000_000;
/// 2024-05-01 10:00:00 UTC in PostgreSQL microseconds (8887 days after 2000-01-01, + 10 h).
const T0: i64 = (8887 * 86_400 + 10 * 3600) * S;

fn rep(seq: i32, t_s: f64, set_no: i32, load: f32, rom: f32) -> Reading {
    let mut r = Reading::new(1, seq, T0 + (t_s * 1e6) as i64);
    r.set_no = Some(set_no);
    r.reps = Some(1);
    r.load_kg = Some(load);
    r.rom = Some(rom);
    r
}

/// 3 sets of 10 reps (one reading per rep) at 60 / 62.5 / 65 kg.
/// - set 1: reps at 0, 3, ..., 27 s; roms 1.0 except reps 4 and 9 at 0.8; hr 100 on its first rep.
/// - set 2: reps at 150, 153, ..., 177 s; reps 2, 5, 8 at rom 0.85, rep 10 at exactly 0.9; hr 110.
/// - set 3: reps at 200, 202, ..., 218 s; reps 6..10 at rom 0.7; hr 120.
fn weights_fixture() -> Vec<Reading> {
    let mut v = Vec::new();
    for i in 0..10 {
        let rom = if i == 3 || i == 8 { 0.8 } else { 1.0 };
        let mut r = rep(1 + i, 3.0 * i as f64, 1, 60.0, rom);
        if i == 0 {
            r.heart_rate = Some(100);
        }
        v.push(r);
    }
    for i in 0..10 {
        let rom = match i {
            1 | 4 | 7 => 0.85,
            9 => 0.9,
            _ => 0.95,
        };
        let mut r = rep(11 + i, 150.0 + 3.0 * i as f64, 2, 62.5, rom);
        if i == 0 {
            r.heart_rate = Some(110);
        }
        v.push(r);
    }
    for i in 0..10 {
        let rom = if i >= 5 { 0.7 } else { 1.0 };
        let mut r = rep(21 + i, 200.0 + 2.0 * i as f64, 3, 65.0, rom);
        if i == 0 {
            r.heart_rate = Some(120);
        }
        v.push(r);
    }
    v
}

#[test]
fn weights_fixture_hand_computed() {
    let s = replay(&weights_fixture()).summary();
    let expected = Summary {
        readings: 30,
        last_seq: Some(30),
        last_ts_us: Some(T0 + 218 * S), // last rep of set 3: 200 + 2*9 s
        first_ts_us: Some(T0),
        sets: 3,
        reps: 30,
        // 10 - 2 (set 1, rom 0.8) + 10 - 3 (set 2, rom 0.85; the 0.9 rep counts) + 10 - 5 (set 3).
        full_range_reps: 8 + 7 + 5,
        // 10*60 + 10*62.5 + 10*65 = 600 + 625 + 650.
        tonnage_kg: 1875.0,
        max_load_kg: Some(65.0),
        distance_m: None,
        duration_s: 218.0,
        // (100 + 110 + 120) / 3; max 120.
        avg_heart_rate: Some(110.0),
        max_heart_rate: Some(120),
        avg_speed_kmh: None,
        avg_incline_pct: None,
        avg_power_w: None,
        // Window [159 s, 219 s): set 2 reps at 159..177 (7) + all 10 of set 3 (200..218) = 17.
        // Any window holding 218 starts after 158 s, so it cannot hold set 2's 156 s rep.
        reps_per_min_max: 17,
        // Epley: 60*(1+10/30) = 80, 62.5*4/3 = 83.33, 65*4/3 = 86.67 -> set 3.
        best_set: Some(BestSet { set_no: 3, load_kg: 65.0, reps: 10 }),
    };
    assert_eq!(s, expected);
}

/// 10 treadmill samples at 1 Hz; the last one has no heart rate.
fn cardio_fixture() -> Vec<Reading> {
    let dist = [0.0, 3.0, 6.0, 9.0, 12.5, 16.0, 19.5, 23.0, 26.0, 29.0];
    let speed = [10.0, 10.0, 11.0, 11.0, 12.0, 12.0, 12.0, 11.5, 11.5, 10.5];
    let hr = [
        Some(120),
        Some(122),
        Some(125),
        Some(128),
        Some(130),
        Some(133),
        Some(135),
        Some(136),
        Some(138),
        None,
    ];
    (0..10)
        .map(|i| {
            let mut r = Reading::new(2, i as i32 + 1, T0 + i as i64 * S);
            r.distance_m = Some(dist[i]);
            r.speed_kmh = Some(speed[i]);
            r.incline_pct = Some(1.5);
            r.heart_rate = hr[i];
            r.power_w = Some(180.0);
            r
        })
        .collect()
}

#[test]
fn cardio_fixture_hand_computed() {
    let s = replay(&cardio_fixture()).summary();
    let expected = Summary {
        readings: 10,
        last_seq: Some(10),
        last_ts_us: Some(T0 + 9 * S),
        first_ts_us: Some(T0),
        sets: 0,
        reps: 0,
        full_range_reps: 0,
        tonnage_kg: 0.0,
        max_load_kg: None,
        distance_m: Some(29.0),
        duration_s: 9.0,
        // 120+122+125+128+130+133+135+136+138 = 1167 over 9 samples = 129.666...
        avg_heart_rate: Some(1167.0 / 9.0),
        max_heart_rate: Some(138),
        // 10+10+11+11+12+12+12+11.5+11.5+10.5 = 111.5 over 10 = 11.15
        avg_speed_kmh: Some(111.5 / 10.0),
        // every sample at 1.5 % and 180 W
        avg_incline_pct: Some(1.5),
        avg_power_w: Some(180.0),
        reps_per_min_max: 0,
        best_set: None,
    };
    assert_eq!(s, expected);
    assert_eq!(replay(&cardio_fixture()).last_distance(), Some((10, 29.0)));
}

#[test]
fn fixtures_are_order_and_batch_independent() {
    let mut all = weights_fixture();
    all.extend(cardio_fixture().into_iter().map(|mut r| {
        r.session_id = 1;
        r.seq += 100;
        r
    }));
    let whole = replay(&all);
    let mut rev = all.clone();
    rev.reverse();
    assert_eq!(replay(&rev), whole);
    let (a, b) = all.split_at(17);
    assert_eq!(replay(b).merged(&replay(a)), whole);
}

#[test]
fn empty_state() {
    let s = SessionAgg::default().summary();
    assert_eq!(s.readings, 0);
    assert_eq!(s.last_seq, None);
    assert_eq!(s.duration_s, 0.0);
    assert_eq!(s.avg_heart_rate, None);
    assert_eq!(s.best_set, None);
    assert_eq!(SessionAgg::from_bytes(&SessionAgg::default().to_bytes()), Ok(SessionAgg::default()));
    // One reading: duration 0.
    assert_eq!(replay(&[Reading::new(1, 1, T0)]).summary().duration_s, 0.0);
}

#[test]
fn rep_rules() {
    // reps = 0 with a heavy load: counted as a reading, nothing rep-related.
    let mut r0 = Reading::new(1, 1, T0);
    r0.set_no = Some(1);
    r0.reps = Some(0);
    r0.load_kg = Some(200.0);
    // reps > 0 without a set_no: counts in reps, tonnage and max load, but is no set.
    let mut r1 = Reading::new(1, 2, T0 + S);
    r1.reps = Some(2);
    r1.load_kg = Some(40.0);
    r1.rom = Some(0.89);
    let s = replay(&[r0, r1]).summary();
    assert_eq!((s.reps, s.full_range_reps, s.sets), (2, 0, 0));
    assert_eq!(s.tonnage_kg, 80.0);
    assert_eq!(s.max_load_kg, Some(40.0));
    assert_eq!(s.best_set, None);
    assert_eq!(s.reps_per_min_max, 2);
}

#[test]
fn best_set_rules() {
    let mk = |seq: i32, set_no: i32, load: f32, reps: i32| {
        let mut r = Reading::new(1, seq, T0 + i64::from(seq) * S);
        r.set_no = Some(set_no);
        r.reps = Some(reps);
        r.load_kg = Some(load);
        r
    };
    // Within a set: load = max load (60), reps = total (3). Epley 60*(1+3/30) = 66.
    let s = replay(&[mk(1, 4, 50.0, 1), mk(2, 4, 60.0, 1), mk(3, 4, 55.0, 1)]);
    assert_eq!(s.best_set(), Some(BestSet { set_no: 4, load_kg: 60.0, reps: 3 }));
    // One rep: the load itself (not 100*(1+1/30)).
    assert_eq!(epley(100.0, 1), 100.0);
    assert_eq!(epley(80.0, 15), 120.0);
    // Ties: set 1 = 80 kg x 15 -> 80*1.5 = 120; set 2 = 120 kg x 1 -> 120; set 3 = 120 kg x 1.
    // Equal estimates -> higher load (sets 2, 3) -> lower set_no -> set 2.
    let s = replay(&[mk(1, 1, 80.0, 15), mk(2, 3, 120.0, 1), mk(3, 2, 120.0, 1)]);
    assert_eq!(s.best_set(), Some(BestSet { set_no: 2, load_kg: 120.0, reps: 1 }));
    // A bodyweight set without load is skipped.
    let mut bw = mk(4, 9, 0.0, 20);
    bw.load_kg = None;
    let s = replay(&[bw]);
    assert_eq!(s.summary().sets, 1);
    assert_eq!(s.best_set(), None);
}

#[test]
fn reps_at_the_same_instant_are_one_event() {
    let mut a = Reading::new(1, 1, T0);
    a.reps = Some(2);
    let mut b = Reading::new(1, 2, T0);
    b.reps = Some(3);
    let s = replay(&[a, b]);
    assert_eq!(s.rep_events, vec![(T0, 5)]);
    assert_eq!(s.reps_per_min_max(), 5);
}

#[test]
fn memory_bound_cardio_hour_and_weight_session() {
    // 3600 samples at 1 Hz, realistic values.
    let cardio: Vec<Reading> = (0..3600)
        .map(|i| {
            let mut r = Reading::new(9, i + 1, T0 + i64::from(i) * S);
            r.distance_m = Some(i as f32 * 2.9);
            r.speed_kmh = Some(10.0 + (i % 7) as f32 * 0.3);
            r.incline_pct = Some(1.0);
            r.heart_rate = Some(120 + i % 40);
            r.power_w = Some(200.0 + (i % 11) as f32);
            r
        })
        .collect();
    let c = replay(&cardio);
    let bytes = c.to_bytes();
    println!("cardio 3600 samples: state {} bytes", bytes.len());
    assert!(bytes.len() < 512, "{} bytes", bytes.len());
    assert!(c.rep_events.is_empty() && c.sets.is_empty());
    assert_eq!(SessionAgg::from_bytes(&bytes).as_ref(), Ok(&c));
    // 4 sets of 10 reps, one reading per rep every 2.5 s, 90 s rest.
    let weights: Vec<Reading> = (0..40)
        .map(|i| {
            let set = i / 10;
            let t = f64::from(set) * 115.0 + f64::from(i % 10) * 2.5;
            rep(i + 1, t, set + 1, 50.0 + 2.5 * set as f32, 0.95)
        })
        .collect();
    let w = replay(&weights);
    let wb = w.to_bytes();
    println!("weights 40 reps: state {} bytes", wb.len());
    assert!(wb.len() < 512, "{} bytes", wb.len());
    assert_eq!(w.rep_events.len(), 40);
    assert_eq!(SessionAgg::from_bytes(&wb).as_ref(), Ok(&w));
}

// ------------------------------------------------------------------------------------------------
// Property tests with a deterministic xorshift PRNG.

use crate::testrng::Rng;

fn random_readings(rng: &mut Rng, n: usize) -> Vec<Reading> {
    (0..n)
        .map(|i| {
            // Timestamps in a 5-minute span at 0.5 s resolution: repeats happen.
            let mut r = Reading::new(3, i as i32 * 2 + 1, T0 + rng.below(600) as i64 * 500_000);
            if rng.chance(60) {
                r.reps = Some(rng.below(4) as i32);
                if rng.chance(85) {
                    r.set_no = Some(rng.below(6) as i32);
                }
                if rng.chance(80) {
                    // Loads with fractions that are not exact in binary.
                    r.load_kg = Some(rng.f32_in(0.0, 300.0));
                }
                if rng.chance(80) {
                    r.rom = Some(if rng.chance(10) { 0.9 } else { rng.f32_in(0.0, 1.0) });
                }
            }
            if rng.chance(40) {
                r.distance_m = Some(rng.f32_in(0.0, 20_000.0));
                r.speed_kmh = Some(rng.f32_in(0.0, 40.0));
            }
            if rng.chance(50) {
                r.heart_rate = Some(25 + rng.below(226) as i32);
            }
            if rng.chance(20) {
                r.speed_kmh = Some(rng.f32_in(0.0, 40.0));
            }
            assert_eq!(check_values(&r), Ok(()));
            r
        })
        .collect()
}

/// Folds a permutation of `rs` split into random batches, merged in a random tree order; some
/// batches are folded with `add` straight into an already-merged state.
fn random_fold(rng: &mut Rng, rs: &[Reading]) -> SessionAgg {
    let mut v = rs.to_vec();
    rng.shuffle(&mut v);
    let mut pool: Vec<SessionAgg> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let len = 1 + rng.below(12) as usize;
        let end = (i + len).min(v.len());
        pool.push(replay(&v[i..end]));
        i = end;
    }
    if rng.chance(30) {
        pool.push(SessionAgg::default()); // the identity
    }
    while pool.len() > 1 {
        let a = pool.swap_remove(rng.below(pool.len() as u64) as usize);
        let b = pool.swap_remove(rng.below(pool.len() as u64) as usize);
        // Through the bytes now and then, as the live buffer does.
        let a = if rng.chance(30) { SessionAgg::from_bytes(&a.to_bytes()).unwrap() } else { a };
        pool.push(a.merged(&b));
    }
    pool.pop().unwrap_or_default()
}

/// The summary computed directly from the readings, independently of SessionAgg.
fn oracle(rs: &[Reading]) -> Summary {
    let with_reps = || rs.iter().filter(|r| r.reps.is_some_and(|n| n > 0));
    let mut sets: BTreeMap<i32, (Option<f32>, i64)> = BTreeMap::new();
    for r in with_reps() {
        if let Some(sn) = r.set_no {
            let e = sets.entry(sn).or_insert((None, 0));
            e.1 += i64::from(r.reps.unwrap());
            if let Some(l) = r.load_kg {
                e.0 = Some(e.0.map_or(l, |m: f32| m.max(l)));
            }
        }
    }
    let mut best: Option<BestSet> = None;
    for (&sn, &(l, n)) in &sets {
        let Some(l) = l else { continue };
        let l = f64::from(l);
        let est = if n == 1 { l } else { l * (1.0 + n as f64 / 30.0) };
        let better = best.as_ref().is_none_or(|b| {
            let be = if b.reps == 1 { b.load_kg } else { b.load_kg * (1.0 + b.reps as f64 / 30.0) };
            est > be || (est == be && l > b.load_kg)
        });
        if better {
            best = Some(BestSet { set_no: sn, load_kg: l, reps: n });
        }
    }
    // Brute-force 60-s window: for each rep timestamp t, the reps in [t, t + 60 s).
    let reps_per_min_max = with_reps()
        .map(|a| {
            with_reps()
                .filter(|b| b.ts_us >= a.ts_us && b.ts_us < a.ts_us + 60 * S)
                .map(|b| i64::from(b.reps.unwrap()))
                .sum::<i64>()
        })
        .max()
        .unwrap_or(0);
    let hrs: Vec<i32> = rs.iter().filter_map(|r| r.heart_rate).collect();
    let speeds: Vec<f64> = rs.iter().filter_map(|r| r.speed_kmh.map(f64::from)).collect();
    let first = rs.iter().map(|r| r.ts_us).min();
    let last = rs.iter().map(|r| r.ts_us).max();
    Summary {
        readings: rs.len() as i64,
        last_seq: rs.iter().map(|r| r.seq).max(),
        last_ts_us: last,
        first_ts_us: first,
        sets: sets.len() as i32,
        reps: rs.iter().filter_map(|r| r.reps).map(i64::from).sum(),
        full_range_reps: rs
            .iter()
            .filter(|r| r.rom.is_some_and(|x| x >= 0.9))
            .filter_map(|r| r.reps)
            .map(i64::from)
            .sum(),
        tonnage_kg: rs
            .iter()
            .map(|r| f64::from(r.load_kg.unwrap_or(0.0)) * f64::from(r.reps.unwrap_or(0)))
            .sum(),
        max_load_kg: with_reps().filter_map(|r| r.load_kg).map(f64::from).reduce(f64::max),
        distance_m: rs.iter().filter_map(|r| r.distance_m).map(f64::from).reduce(f64::max),
        duration_s: match (first, last) {
            (Some(a), Some(b)) => (b - a) as f64 / 1e6,
            _ => 0.0,
        },
        avg_heart_rate: (!hrs.is_empty())
            .then(|| hrs.iter().map(|&h| f64::from(h)).sum::<f64>() / hrs.len() as f64),
        max_heart_rate: hrs.iter().copied().max(),
        avg_speed_kmh: (!speeds.is_empty()).then(|| speeds.iter().sum::<f64>() / speeds.len() as f64),
        avg_incline_pct: {
            let v: Vec<f64> = rs.iter().filter_map(|r| r.incline_pct).map(f64::from).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        },
        avg_power_w: {
            let v: Vec<f64> = rs.iter().filter_map(|r| r.power_w).map(f64::from).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        },
        reps_per_min_max,
        best_set: best,
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn property_any_order_and_batching_gives_the_same_state() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for case in 0..300 {
        let n = rng.below(80) as usize;
        let rs = random_readings(&mut rng, n);
        let reference = replay(&rs);
        let summary = reference.summary();
        for _ in 0..6 {
            let s = random_fold(&mut rng, &rs);
            assert_eq!(s, reference, "case {case}");
            assert_eq!(s.summary(), summary, "case {case}");
        }
        // Commutativity and associativity on three random parts, directly.
        let (a, rest) = rs.split_at(n / 3);
        let (b, c) = rest.split_at(rest.len() / 2);
        let (sa, sb, sc) = (replay(a), replay(b), replay(c));
        assert_eq!(sa.merged(&sb), sb.merged(&sa));
        assert_eq!(sa.merged(&sb).merged(&sc), sa.merged(&sb.merged(&sc)));
        assert_eq!(sa.merged(&sb).merged(&sc), reference);
        // Bytes round-trip.
        assert_eq!(SessionAgg::from_bytes(&reference.to_bytes()).as_ref(), Ok(&reference));
        // Against the independent oracle: integers exact, sums within the micro-unit rounding.
        let o = oracle(&rs);
        assert_eq!(
            (summary.readings, summary.last_seq, summary.last_ts_us, summary.first_ts_us, summary.sets),
            (o.readings, o.last_seq, o.last_ts_us, o.first_ts_us, o.sets),
            "case {case}"
        );
        assert_eq!(
            (summary.reps, summary.full_range_reps, summary.reps_per_min_max),
            (o.reps, o.full_range_reps, o.reps_per_min_max),
            "case {case}"
        );
        assert_eq!(
            (summary.max_load_kg, summary.distance_m, summary.max_heart_rate),
            (o.max_load_kg, o.distance_m, o.max_heart_rate)
        );
        assert_eq!(summary.duration_s, o.duration_s);
        assert_eq!(summary.best_set, o.best_set, "case {case}");
        assert!(close(summary.tonnage_kg, o.tonnage_kg, 1e-6 * 3.0 * n as f64 + 1e-9), "case {case}");
        assert_eq!(summary.avg_heart_rate.is_some(), o.avg_heart_rate.is_some());
        if let (Some(a), Some(b)) = (summary.avg_heart_rate, o.avg_heart_rate) {
            assert!(close(a, b, 1e-9));
        }
        assert_eq!(summary.avg_speed_kmh.is_some(), o.avg_speed_kmh.is_some());
        if let (Some(a), Some(b)) = (summary.avg_speed_kmh, o.avg_speed_kmh) {
            assert!(close(a, b, 1e-6));
        }
    }
}

#[test]
fn float_sums_do_not_depend_on_order() {
    // Plain f64 addition is not associative: (0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3). The state's
    // tonnage must be, so fold three loads of 0.1 / 0.2 / 0.3 kg x 1 rep in every order.
    let mk = |seq: i32, load: f32| {
        let mut r = Reading::new(1, seq, T0);
        r.reps = Some(1);
        r.load_kg = Some(load);
        r
    };
    assert_ne!((0.1f64 + 0.2) + 0.3, 0.1f64 + (0.2 + 0.3));
    let rs = [mk(1, 0.1), mk(2, 0.2), mk(3, 0.3)];
    let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    let first = replay(&rs);
    for o in orders {
        let s = replay(&[rs[o[0]].clone(), rs[o[1]].clone(), rs[o[2]].clone()]);
        assert_eq!(s, first);
    }
    // 0.1f32 = 0.100000001490116 -> 100000 micro-kg; same for 0.2, 0.3: exactly 0.6 kg.
    assert_eq!(first.tonnage_ukg, 600_000);
    assert_eq!(first.summary().tonnage_kg, 0.6);
}

#[test]
fn last_distance_is_at_the_highest_seq() {
    let mk = |seq: i32, d: f32| {
        let mut r = Reading::new(1, seq, T0 + i64::from(seq) * S);
        r.distance_m = Some(d);
        r
    };
    let rs = [mk(3, 10.0), mk(7, 25.0), mk(5, 30.0), mk(8, 0.0)];
    let mut no_dist = Reading::new(1, 9, T0);
    no_dist.heart_rate = Some(90);
    let mut all = rs.to_vec();
    all.push(no_dist);
    // Highest seq carrying a distance is 8 (seq 9 has none), whatever the max distance (30).
    assert_eq!(replay(&all).last_distance(), Some((8, 0.0)));
    assert_eq!(replay(&all).summary().distance_m, Some(30.0));
    all.reverse();
    assert_eq!(replay(&all).last_distance(), Some((8, 0.0)));
}

// ------------------------------------------------------------------------------------------------
// Decoding hostile bytes.

#[test]
fn corrupt_bytes_are_a_22p02_error() {
    let e = SessionAgg::from_bytes(&[]).unwrap_err();
    assert_eq!(e.sqlstate(), "22P02");
    assert_eq!(e.message, "invalid session aggregate state");
    assert_eq!(e.detail.as_deref(), Some("The state has an unexpected end at byte 0 of 0."));
    let e = SessionAgg::from_bytes(&[7, 0]).unwrap_err();
    assert_eq!(e.detail.as_deref(), Some("The state has the unsupported version 7 at byte 0 of 2."));
    let mut b = replay(&weights_fixture()).to_bytes();
    b.push(0);
    let e = SessionAgg::from_bytes(&b).unwrap_err();
    assert_eq!(
        e.detail.as_deref(),
        Some(format!("The state has trailing bytes at byte {} of {}.", b.len() - 1, b.len()).as_str())
    );
    // A huge count is refused before allocating.
    let mut b = SessionAgg::default().to_bytes();
    b.truncate(b.len() - 2); // drop the two zero counts
    b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    let e = SessionAgg::from_bytes(&b).unwrap_err();
    assert!(e.detail.unwrap().starts_with("The state has a count larger than the bytes left"));
    // Over-long varint (11 continuation bytes for an i64).
    let mut b = vec![1, 0];
    b.extend_from_slice(&[0x80; 11]);
    let e = SessionAgg::from_bytes(&b).unwrap_err();
    assert_eq!(e.detail.as_deref(), Some("The state has an over-long integer at byte 2 of 13."));
}

#[test]
fn every_truncation_fails_and_garbage_never_panics() {
    let mut rng = Rng(12345);
    let mut states = vec![replay(&weights_fixture()), replay(&cardio_fixture()), SessionAgg::default()];
    for _ in 0..20 {
        let n = rng.below(60) as usize;
        states.push(replay(&random_readings(&mut rng, n)));
    }
    for s in &states {
        let b = s.to_bytes();
        assert_eq!(SessionAgg::from_bytes(&b).as_ref(), Ok(s));
        for cut in 0..b.len() {
            assert!(SessionAgg::from_bytes(&b[..cut]).is_err(), "prefix {cut} of {}", b.len());
        }
        // Flipped bits and overwritten bytes: Ok or Err, never a panic; a decoded state must
        // still summarise, merge and re-encode without panicking.
        for _ in 0..300 {
            let mut m = b.clone();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(m.len() as u64) as usize;
                if rng.chance(50) {
                    m[i] ^= 1 << rng.below(8);
                } else {
                    m[i] = rng.next() as u8;
                }
            }
            if let Ok(d) = SessionAgg::from_bytes(&m) {
                let _ = d.summary();
                let _ = d.merged(s).summary();
                // NaN floats may appear, so compare the canonical bytes, not the structs.
                assert_eq!(SessionAgg::from_bytes(&d.to_bytes()).map(|x| x.to_bytes()), Ok(d.to_bytes()));
            }
        }
    }
    // Pure noise, all lengths up to 64, plus noise after a valid header.
    for len in 0..64 {
        for _ in 0..200 {
            let mut m: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if len >= 2 && rng.chance(50) {
                m[0] = 1;
                m[1] &= 0x7f;
            }
            if let Ok(d) = SessionAgg::from_bytes(&m) {
                let _ = d.summary();
                assert!(d.to_bytes().len() <= m.len());
            }
        }
    }
}
