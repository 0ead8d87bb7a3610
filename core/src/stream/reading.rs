//! One row of `fitflow.readings`, the rejection reasons, and the checks that decide whether a
//! reading is accepted into the live buffer or kept in `fitflow.rejected_readings`.

use std::fmt;

/// One row of `fitflow.readings`. Timestamps are PostgreSQL microseconds (`i64`, since
/// 2000-01-01 00:00:00 UTC), exactly what a `timestamptz` datum holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub session_id: i64,
    pub seq: i32,
    pub ts_us: i64,
    pub set_no: Option<i32>,
    pub reps: Option<i32>,
    pub load_kg: Option<f32>,
    pub rom: Option<f32>,
    pub distance_m: Option<f32>,
    pub speed_kmh: Option<f32>,
    pub incline_pct: Option<f32>,
    pub heart_rate: Option<i32>,
    pub power_w: Option<f32>,
}

fn same_f32(a: Option<f32>, b: Option<f32>) -> bool {
    a.map(f32::to_bits) == b.map(f32::to_bits)
}

impl Reading {
    /// A reading of `session_id` / `seq` / `ts_us` with every value column NULL.
    pub fn new(session_id: i64, seq: i32, ts_us: i64) -> Reading {
        Reading {
            session_id,
            seq,
            ts_us,
            set_no: None,
            reps: None,
            load_kg: None,
            rom: None,
            distance_m: None,
            speed_kmh: None,
            incline_pct: None,
            heart_rate: None,
            power_w: None,
        }
    }

    /// True when every column (key, ts and all values) is equal. Floats are compared bit for
    /// bit, so a resent NaN equals itself and `0.0` differs from `-0.0`: the test for "exact
    /// resend" (a no-op) versus "same key, different payload" (reason `conflict`).
    pub fn same_payload(&self, other: &Reading) -> bool {
        self.session_id == other.session_id
            && self.seq == other.seq
            && self.ts_us == other.ts_us
            && self.set_no == other.set_no
            && self.reps == other.reps
            && same_f32(self.load_kg, other.load_kg)
            && same_f32(self.rom, other.rom)
            && same_f32(self.distance_m, other.distance_m)
            && same_f32(self.speed_kmh, other.speed_kmh)
            && same_f32(self.incline_pct, other.incline_pct)
            && self.heart_rate == other.heart_rate
            && same_f32(self.power_w, other.power_w)
    }
}

/// Why a reading went to `fitflow.rejected_readings`; [`Reason::as_str`] is the `reason` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// `unknown_session`: no row in `fitflow.sessions` (decided by the caller).
    UnknownSession,
    /// `session_ended`: the session has an `ended_at`; its workout is frozen, whatever the ts.
    SessionEnded,
    /// `before_session_start`: `ts < sessions.started_at`.
    BeforeSessionStart,
    /// `invalid_value`: a value column outside its range, or a NaN / infinite float.
    InvalidValue,
    /// `distance_backwards`: cumulative distance lower than at an earlier seq.
    DistanceBackwards,
    /// `conflict`: the same (session_id, seq) already stored with a different payload (caller).
    Conflict,
    /// `missing_key`: session_id, seq or ts is NULL (caller; [`Reading`] cannot hold it).
    MissingKey,
}

impl Reason {
    /// Every reason, in declaration order (e.g. for a CHECK constraint on the `reason` column).
    pub const ALL: [Reason; 7] = [
        Reason::UnknownSession,
        Reason::SessionEnded,
        Reason::BeforeSessionStart,
        Reason::InvalidValue,
        Reason::DistanceBackwards,
        Reason::Conflict,
        Reason::MissingKey,
    ];

    /// The text stored in `fitflow.rejected_readings.reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::UnknownSession => "unknown_session",
            Reason::SessionEnded => "session_ended",
            Reason::BeforeSessionStart => "before_session_start",
            Reason::InvalidValue => "invalid_value",
            Reason::DistanceBackwards => "distance_backwards",
            Reason::Conflict => "conflict",
            Reason::MissingKey => "missing_key",
        }
    }

    /// The inverse of [`Reason::as_str`].
    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rejected reading's reason and a detail that names the column and the offending value.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub reason: Reason,
    pub detail: String,
}

impl Rejection {
    pub fn new(reason: Reason, detail: impl Into<String>) -> Rejection {
        Rejection { reason, detail: detail.into() }
    }
}

// ---------------------------------------------------------------------------------------------
// Value limits. Bounds are inclusive. NULL is allowed in every value column (each machine sends
// its own columns); a float that is NaN or infinite is always invalid.

/// `reps`: 0..=1000 per reading (machines send 1 per rep; 1000 leaves room for batched counts).
pub const REPS_MIN: i32 = 0;
pub const REPS_MAX: i32 = 1000;
/// `set_no`: >= 0 (no upper bound).
pub const SET_NO_MIN: i32 = 0;
/// `load_kg`: 0..=1000 kg (the issue: "load over 1000 kg" is absurd).
pub const LOAD_KG_MIN: f32 = 0.0;
pub const LOAD_KG_MAX: f32 = 1000.0;
/// `rom`: fraction of the full range of motion, 0..=1.
pub const ROM_MIN: f32 = 0.0;
pub const ROM_MAX: f32 = 1.0;
/// `distance_m`: cumulative distance, 0..=1,000,000 m (1000 km; no gym session goes further).
pub const DISTANCE_M_MIN: f32 = 0.0;
pub const DISTANCE_M_MAX: f32 = 1_000_000.0;
/// `speed_kmh`: 0..=40 km/h (the issue: "speed over 40 km/h" is absurd for a treadmill or bike
/// computer reading).
pub const SPEED_KMH_MIN: f32 = 0.0;
pub const SPEED_KMH_MAX: f32 = 40.0;
/// `incline_pct`: -30..=40 %. Commercial treadmills go from about -6 % (decline) to +40 %
/// (incline trainers); -30 leaves room for decline machines and outdoor-style simulators.
pub const INCLINE_PCT_MIN: f32 = -30.0;
pub const INCLINE_PCT_MAX: f32 = 40.0;
/// `heart_rate`: 25..=250 bpm (the range).
pub const HEART_RATE_MIN: i32 = 25;
pub const HEART_RATE_MAX: i32 = 250;
/// `power_w`: 0..=3000 W (elite sprint peaks are about 2,500 W).
pub const POWER_W_MIN: f32 = 0.0;
pub const POWER_W_MAX: f32 = 3000.0;

fn check_int(col: &str, v: Option<i32>, lo: i32, hi: Option<i32>, unit: &str) -> Result<(), Rejection> {
    let Some(v) = v else { return Ok(()) };
    let ok = v >= lo && hi.is_none_or(|h| v <= h);
    if ok {
        return Ok(());
    }
    let detail = match hi {
        Some(h) => format!("{col} {v} is outside {lo}..{h}{unit}"),
        None => format!("{col} {v} is below {lo}"),
    };
    Err(Rejection::new(Reason::InvalidValue, detail))
}

fn check_float(col: &str, v: Option<f32>, lo: f32, hi: f32, unit: &str) -> Result<(), Rejection> {
    let Some(v) = v else { return Ok(()) };
    if !v.is_finite() {
        return Err(Rejection::new(Reason::InvalidValue, format!("{col} {v} is not a finite number")));
    }
    if v >= lo && v <= hi {
        return Ok(());
    }
    Err(Rejection::new(Reason::InvalidValue, format!("{col} {v} is outside {lo}..{hi}{unit}")))
}

/// Per-row value checks that need no database: the ranges above, in column order; the first
/// failing column is reported with reason `invalid_value`, e.g. `load_kg 1200 is outside 0..1000
/// kg`. Comparisons are done in the column's own type (`real` columns in `f32`).
pub fn check_values(r: &Reading) -> Result<(), Rejection> {
    check_int("set_no", r.set_no, SET_NO_MIN, None, "")?;
    check_int("reps", r.reps, REPS_MIN, Some(REPS_MAX), "")?;
    check_float("load_kg", r.load_kg, LOAD_KG_MIN, LOAD_KG_MAX, " kg")?;
    check_float("rom", r.rom, ROM_MIN, ROM_MAX, "")?;
    check_float("distance_m", r.distance_m, DISTANCE_M_MIN, DISTANCE_M_MAX, " m")?;
    check_float("speed_kmh", r.speed_kmh, SPEED_KMH_MIN, SPEED_KMH_MAX, " km/h")?;
    check_float("incline_pct", r.incline_pct, INCLINE_PCT_MIN, INCLINE_PCT_MAX, " %")?;
    check_int("heart_rate", r.heart_rate, HEART_RATE_MIN, Some(HEART_RATE_MAX), " bpm")?;
    check_float("power_w", r.power_w, POWER_W_MIN, POWER_W_MAX, " W")?;
    Ok(())
}

/// Session-level checks, given the session's `started_at` and `ended_at` (None = still open; an
/// unknown session is the caller's `unknown_session`). A session with an `ended_at` rejects every
/// reading with `session_ended`, whatever its ts, because its workout is frozen; otherwise a ts
/// strictly before `started_at` is `before_session_start` (ts == started_at is accepted).
pub fn check_against_session(
    r: &Reading,
    started_at_us: i64,
    ended_at_us: Option<i64>,
) -> Result<(), Rejection> {
    if let Some(end) = ended_at_us {
        return Err(Rejection::new(
            Reason::SessionEnded,
            format!(
                "session {} ended at {}; reading seq {} at {} cannot change its frozen workout",
                r.session_id,
                format_ts_us(end),
                r.seq,
                format_ts_us(r.ts_us)
            ),
        ));
    }
    if r.ts_us < started_at_us {
        return Err(Rejection::new(
            Reason::BeforeSessionStart,
            format!(
                "ts {} is before the session start {}",
                format_ts_us(r.ts_us),
                format_ts_us(started_at_us)
            ),
        ));
    }
    Ok(())
}

/// Cumulative-distance check for a reading that carries `distance_m`, against the distance at
/// the highest seq seen so far (`SessionAgg::last_distance`). Only a reading with a higher seq is
/// checked (`distance_m` must not be below the earlier one); a late reading (lower seq) cannot be
/// judged from the last value alone and passes. Use [`check_distance_between`] when the caller
/// also knows the neighbouring readings by seq.
pub fn check_distance(r: &Reading, last: Option<(i32, f32)>) -> Result<(), Rejection> {
    check_distance_between(r, last.filter(|(s, _)| *s < r.seq), None)
}

/// Cumulative-distance check against the nearest stored readings carrying a distance: `prev`
/// (highest seq below `r.seq`) and `next` (lowest seq above it). Rejects with
/// `distance_backwards` when the distance is below `prev`'s or above `next`'s.
pub fn check_distance_between(
    r: &Reading,
    prev: Option<(i32, f32)>,
    next: Option<(i32, f32)>,
) -> Result<(), Rejection> {
    let Some(d) = r.distance_m else { return Ok(()) };
    if let Some((ps, pd)) = prev {
        if ps < r.seq && d < pd {
            return Err(Rejection::new(
                Reason::DistanceBackwards,
                format!("distance_m {d} at seq {} is below {pd} at seq {ps}", r.seq),
            ));
        }
    }
    if let Some((ns, nd)) = next {
        if ns > r.seq && d > nd {
            return Err(Rejection::new(
                Reason::DistanceBackwards,
                format!("distance_m {d} at seq {} is above {nd} at the later seq {ns}", r.seq),
            ));
        }
    }
    Ok(())
}

/// Microseconds between 1970-01-01 and 2000-01-01 (PostgreSQL's epoch).
pub const PG_EPOCH_UNIX_US: i64 = 946_684_800_000_000;

/// Formats PostgreSQL microseconds as `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (UTC, trailing zeros of
/// the fraction dropped), the way `timestamptz` prints with `TimeZone = UTC`.
pub fn format_ts_us(ts_us: i64) -> String {
    let secs = ts_us.div_euclid(1_000_000);
    let frac = ts_us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400) + 10_957; // days since 1970-01-01
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let mut s = format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", sod / 3600, sod / 60 % 60, sod % 60);
    if frac != 0 {
        let f = format!("{frac:06}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s.push_str("+00");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rd() -> Reading {
        Reading::new(7, 1, 0)
    }

    #[test]
    fn reason_text_round_trips() {
        // Texts fixed by the brief / issue 3 (the `reason` column's contract).
        let expected = [
            "unknown_session",
            "session_ended",
            "before_session_start",
            "invalid_value",
            "distance_backwards",
            "conflict",
            "missing_key",
        ];
        for (r, e) in Reason::ALL.iter().zip(expected) {
            assert_eq!(r.as_str(), e);
            assert_eq!(r.to_string(), e);
            assert_eq!(Reason::parse(e), Some(*r));
        }
        assert_eq!(Reason::parse("Conflict"), None);
    }

    #[test]
    fn null_values_are_accepted() {
        assert_eq!(check_values(&rd()), Ok(()));
    }

    #[test]
    fn bounds_are_inclusive() {
        let mut r = rd();
        r.set_no = Some(0);
        r.reps = Some(1000);
        r.load_kg = Some(1000.0);
        r.rom = Some(1.0);
        r.distance_m = Some(1_000_000.0);
        r.speed_kmh = Some(40.0);
        r.incline_pct = Some(-30.0);
        r.heart_rate = Some(250);
        r.power_w = Some(3000.0);
        assert_eq!(check_values(&r), Ok(()));
        r.reps = Some(0);
        r.load_kg = Some(0.0);
        r.rom = Some(0.0);
        r.distance_m = Some(0.0);
        r.speed_kmh = Some(0.0);
        r.incline_pct = Some(40.0);
        r.heart_rate = Some(25);
        r.power_w = Some(0.0);
        assert_eq!(check_values(&r), Ok(()));
    }

    #[test]
    fn every_out_of_range_column_is_invalid_value() {
        // (mutation, expected detail) -- the details name the column and the value.
        type Case = (fn(&mut Reading), &'static str);
        let cases: [Case; 19] = [
            (|r| r.set_no = Some(-1), "set_no -1 is below 0"),
            (|r| r.reps = Some(-1), "reps -1 is outside 0..1000"),
            (|r| r.reps = Some(1001), "reps 1001 is outside 0..1000"),
            (|r| r.load_kg = Some(1200.0), "load_kg 1200 is outside 0..1000 kg"),
            (|r| r.load_kg = Some(-2.5), "load_kg -2.5 is outside 0..1000 kg"),
            (|r| r.load_kg = Some(f32::NAN), "load_kg NaN is not a finite number"),
            (|r| r.rom = Some(1.5), "rom 1.5 is outside 0..1"),
            (|r| r.rom = Some(-0.25), "rom -0.25 is outside 0..1"),
            (|r| r.distance_m = Some(-5.0), "distance_m -5 is outside 0..1000000 m"),
            (|r| r.distance_m = Some(2e6), "distance_m 2000000 is outside 0..1000000 m"),
            (|r| r.speed_kmh = Some(45.0), "speed_kmh 45 is outside 0..40 km/h"),
            (|r| r.speed_kmh = Some(f32::INFINITY), "speed_kmh inf is not a finite number"),
            (|r| r.incline_pct = Some(-31.0), "incline_pct -31 is outside -30..40 %"),
            (|r| r.incline_pct = Some(41.0), "incline_pct 41 is outside -30..40 %"),
            (|r| r.heart_rate = Some(24), "heart_rate 24 is outside 25..250 bpm"),
            (|r| r.heart_rate = Some(251), "heart_rate 251 is outside 25..250 bpm"),
            (|r| r.power_w = Some(3000.5), "power_w 3000.5 is outside 0..3000 W"),
            (|r| r.power_w = Some(-1.0), "power_w -1 is outside 0..3000 W"),
            (|r| r.power_w = Some(f32::NEG_INFINITY), "power_w -inf is not a finite number"),
        ];
        for (mutate, detail) in cases {
            let mut r = rd();
            mutate(&mut r);
            assert_eq!(check_values(&r), Err(Rejection::new(Reason::InvalidValue, detail)), "{detail}");
        }
    }

    #[test]
    fn first_bad_column_in_table_order_is_reported() {
        let mut r = rd();
        r.heart_rate = Some(300);
        r.load_kg = Some(5000.0);
        assert_eq!(check_values(&r).map_err(|e| e.detail), Err("load_kg 5000 is outside 0..1000 kg".into()));
    }

    #[test]
    fn session_checks() {
        // 2024-05-01 10:00:00 UTC = 8887 days after 2000-01-01 (24 years incl. 6 leap days:
        // 24*365 + 6 = 8766 to 2024-01-01, + 31+29+31+30 = 121 -> 8887) + 10 h.
        let start = (8887 * 86_400 + 10 * 3600) * 1_000_000i64;
        assert_eq!(format_ts_us(start), "2024-05-01 10:00:00+00");
        let mut r = Reading::new(7, 3, start);
        assert_eq!(check_against_session(&r, start, None), Ok(()));
        r.ts_us = start - 1;
        let e = check_against_session(&r, start, None).unwrap_err();
        assert_eq!(e.reason, Reason::BeforeSessionStart);
        assert_eq!(
            e.detail,
            "ts 2024-05-01 09:59:59.999999+00 is before the session start 2024-05-01 10:00:00+00"
        );
        // Ended: rejected whatever the ts, even inside [start, end].
        r.ts_us = start + 60_000_000;
        let end = start + 3_600_000_000;
        let e = check_against_session(&r, start, Some(end)).unwrap_err();
        assert_eq!(e.reason, Reason::SessionEnded);
        assert_eq!(
            e.detail,
            "session 7 ended at 2024-05-01 11:00:00+00; reading seq 3 at 2024-05-01 10:01:00+00 cannot change its frozen workout"
        );
        // Ended wins over before-start.
        r.ts_us = start - 1;
        assert_eq!(check_against_session(&r, start, Some(end)).unwrap_err().reason, Reason::SessionEnded);
    }

    #[test]
    fn distance_checks() {
        let mut r = Reading::new(1, 5, 0);
        r.distance_m = Some(100.0);
        assert_eq!(check_distance(&r, None), Ok(()));
        assert_eq!(check_distance(&r, Some((4, 100.0))), Ok(())); // equal is not backwards
        let e = check_distance(&r, Some((4, 100.5))).unwrap_err();
        assert_eq!(e.reason, Reason::DistanceBackwards);
        assert_eq!(e.detail, "distance_m 100 at seq 5 is below 100.5 at seq 4");
        // A late reading (seq below the last one) is not judged against the last value.
        assert_eq!(check_distance(&r, Some((9, 500.0))), Ok(()));
        // With both neighbours: above the next one is backwards too.
        let e = check_distance_between(&r, Some((4, 90.0)), Some((6, 99.0))).unwrap_err();
        assert_eq!(e.detail, "distance_m 100 at seq 5 is above 99 at the later seq 6");
        assert_eq!(check_distance_between(&r, Some((4, 90.0)), Some((6, 101.0))), Ok(()));
        // No distance -> nothing to check.
        r.distance_m = None;
        assert_eq!(check_distance(&r, Some((4, 1e5))), Ok(()));
    }

    #[test]
    fn same_payload_is_bitwise() {
        let mut a = rd();
        a.load_kg = Some(f32::NAN);
        let b = a.clone();
        assert!(a.same_payload(&b));
        assert_ne!(a, b); // PartialEq says NaN != NaN; same_payload does not
        let mut c = a.clone();
        c.load_kg = Some(60.0);
        assert!(!a.same_payload(&c));
        let mut d = rd();
        d.rom = Some(0.0);
        let mut e = rd();
        e.rom = Some(-0.0);
        assert!(!d.same_payload(&e));
        let mut f = rd();
        f.ts_us += 1;
        assert!(!rd().same_payload(&f));
        let mut g = rd();
        g.heart_rate = Some(120);
        assert!(!rd().same_payload(&g));
        assert!(rd().same_payload(&rd()));
    }

    #[test]
    fn timestamps_format_like_postgres_utc() {
        assert_eq!(format_ts_us(0), "2000-01-01 00:00:00+00");
        assert_eq!(format_ts_us(-1), "1999-12-31 23:59:59.999999+00");
        // 2000-03-01: 31 + 29 (2000 is a leap year) = 60 days.
        assert_eq!(format_ts_us(60 * 86_400_000_000 + 500_000), "2000-03-01 00:00:00.5+00");
        // Unix epoch = -946684800 s relative to 2000.
        assert_eq!(format_ts_us(-PG_EPOCH_UNIX_US), "1970-01-01 00:00:00+00");
        // Extremes do not panic.
        let _ = format_ts_us(i64::MIN);
        let _ = format_ts_us(i64::MAX);
    }
}
