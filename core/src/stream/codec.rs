//! The compact binary form of [`SessionAgg`] (stored in a `bytea` column).
//!
//! Layout, version 1 (integers are LEB128 varints; `zz` = zigzag-encoded signed):
//! ```text
//! u8  version = 1
//! u8  presence flags: 1 max_seq, 2 min_ts, 4 max_ts, 8 hr_max, 16 max_load, 32 max_distance,
//!     64 last_distance (128 must be clear)
//! zz  readings, reps, full_range_reps, tonnage_ukg (i128), hr_sum, hr_count, speed_sum_u (i128),
//!     speed_count
//! zz  max_seq, min_ts, max_ts, hr_max        -- each only when its flag is set
//! f32 max_load, max_distance (little endian)  -- each only when its flag is set
//! zz  last_distance seq, f32 distance         -- only when its flag is set
//! var number of sets, then per set in ascending set_no: zz set_no, zz reps, u8 has_load, [f32]
//! var number of rep events, then the first as zz ts, zz reps and each next one as
//!     var (ts - previous ts, >= 1), zz reps
//! ```
//! The input must be consumed exactly. Sets must be strictly ascending and event timestamps
//! strictly increasing (the canonical form `add`/`merge` keep), so a decoded state behaves like
//! one that was built by folding readings. Counts are checked against the bytes left before
//! anything is allocated.

use super::agg::{SessionAgg, SetAgg};
use crate::error::{FitError, FitResult};

const VERSION: u8 = 1;
const F_MAX_SEQ: u8 = 1;
const F_MIN_TS: u8 = 2;
const F_MAX_TS: u8 = 4;
const F_HR_MAX: u8 = 8;
const F_MAX_LOAD: u8 = 16;
const F_MAX_DIST: u8 = 32;
const F_LAST_DIST: u8 = 64;

fn put_u(out: &mut Vec<u8>, mut v: u128) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_i(out: &mut Vec<u8>, v: i128) {
    put_u(out, ((v << 1) ^ (v >> 127)) as u128);
}

fn put_f32(out: &mut Vec<u8>, v: f32) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn encode(s: &SessionAgg) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + s.sets.len() * 8 + s.rep_events.len() * 5);
    out.push(VERSION);
    let mut flags = 0u8;
    for (present, f) in [
        (s.max_seq.is_some(), F_MAX_SEQ),
        (s.min_ts_us.is_some(), F_MIN_TS),
        (s.max_ts_us.is_some(), F_MAX_TS),
        (s.hr_max.is_some(), F_HR_MAX),
        (s.max_load_kg.is_some(), F_MAX_LOAD),
        (s.max_distance_m.is_some(), F_MAX_DIST),
        (s.last_distance.is_some(), F_LAST_DIST),
    ] {
        if present {
            flags |= f;
        }
    }
    out.push(flags);
    for v in [s.readings, s.reps, s.full_range_reps] {
        put_i(&mut out, v.into());
    }
    put_i(&mut out, s.tonnage_ukg);
    put_i(&mut out, s.hr_sum.into());
    put_i(&mut out, s.hr_count.into());
    put_i(&mut out, s.speed_sum_u);
    put_i(&mut out, s.speed_count.into());
    put_i(&mut out, s.incline_sum_u);
    put_i(&mut out, s.incline_count.into());
    put_i(&mut out, s.power_sum_u);
    put_i(&mut out, s.power_count.into());
    if let Some(v) = s.max_seq {
        put_i(&mut out, v.into());
    }
    if let Some(v) = s.min_ts_us {
        put_i(&mut out, v.into());
    }
    if let Some(v) = s.max_ts_us {
        put_i(&mut out, v.into());
    }
    if let Some(v) = s.hr_max {
        put_i(&mut out, v.into());
    }
    if let Some(v) = s.max_load_kg {
        put_f32(&mut out, v);
    }
    if let Some(v) = s.max_distance_m {
        put_f32(&mut out, v);
    }
    if let Some((seq, d)) = s.last_distance {
        put_i(&mut out, seq.into());
        put_f32(&mut out, d);
    }
    put_u(&mut out, s.sets.len() as u128);
    for (set_no, set) in &s.sets {
        put_i(&mut out, (*set_no).into());
        put_i(&mut out, set.reps.into());
        match set.max_load_kg {
            Some(l) => {
                out.push(1);
                put_f32(&mut out, l);
            }
            None => out.push(0),
        }
    }
    put_u(&mut out, s.rep_events.len() as u128);
    let mut prev: Option<i64> = None;
    for &(ts, reps) in &s.rep_events {
        match prev {
            None => put_i(&mut out, ts.into()),
            // Strictly increasing, so the difference is in 1..=u64::MAX.
            Some(p) => put_u(&mut out, u128::from((ts as u64).wrapping_sub(p as u64))),
        }
        put_i(&mut out, reps.into());
        prev = Some(ts);
    }
    out
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

fn corrupt(what: &str, at: usize, len: usize) -> FitError {
    FitError::invalid_text("invalid session aggregate state")
        .with_detail(format!("The state has {what} at byte {at} of {len}."))
        .with_hint("The bytes must come from fitflow's session aggregate; rebuild the live buffer from the readings.")
}

impl<'a> Reader<'a> {
    fn err(&self, what: &str) -> FitError {
        corrupt(what, self.pos, self.b.len())
    }

    fn left(&self) -> usize {
        self.b.len() - self.pos
    }

    fn byte(&mut self) -> FitResult<u8> {
        let v = *self.b.get(self.pos).ok_or_else(|| self.err("an unexpected end"))?;
        self.pos += 1;
        Ok(v)
    }

    /// A varint of at most `max_bits` significant bits (64 or 128).
    fn u(&mut self, max_bits: u32) -> FitResult<u128> {
        let start = self.pos;
        let mut v: u128 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            let part = u128::from(b & 0x7f);
            if shift >= max_bits || (max_bits - shift < 7 && part >> (max_bits - shift) != 0) {
                self.pos = start;
                return Err(self.err("an over-long integer"));
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    /// A zigzag varint.
    fn i(&mut self, max_bits: u32) -> FitResult<i128> {
        let z = self.u(max_bits)?;
        Ok((z >> 1) as i128 ^ -((z & 1) as i128))
    }

    fn i64(&mut self) -> FitResult<i64> {
        let start = self.pos;
        let v = self.i(64)?;
        i64::try_from(v).map_err(|_| {
            self.pos = start;
            self.err("an integer out of range")
        })
    }

    fn i32(&mut self) -> FitResult<i32> {
        let start = self.pos;
        let v = self.i(64)?;
        i32::try_from(v).map_err(|_| {
            self.pos = start;
            self.err("an integer out of range")
        })
    }

    fn i128(&mut self) -> FitResult<i128> {
        self.i(128)
    }

    fn count(&mut self, min_item_bytes: usize) -> FitResult<usize> {
        let start = self.pos;
        let n = self.u(64)?;
        match usize::try_from(n) {
            Ok(n) if n.checked_mul(min_item_bytes).is_some_and(|need| need <= self.left()) => Ok(n),
            _ => {
                self.pos = start;
                Err(self.err("a count larger than the bytes left"))
            }
        }
    }

    fn f32(&mut self) -> FitResult<f32> {
        let s = self.b.get(self.pos..self.pos + 4).ok_or_else(|| self.err("an unexpected end"))?;
        let v = f32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        self.pos += 4;
        Ok(v)
    }
}

pub(crate) fn decode(b: &[u8]) -> FitResult<SessionAgg> {
    let mut r = Reader { b, pos: 0 };
    let version = r.byte()?;
    if version != VERSION {
        r.pos = 0;
        return Err(r.err(&format!("the unsupported version {version}")));
    }
    let flags = r.byte()?;
    if flags & 0x80 != 0 {
        r.pos = 1;
        return Err(r.err("unrecognized flags"));
    }
    let mut s = SessionAgg {
        readings: r.i64()?,
        reps: r.i64()?,
        full_range_reps: r.i64()?,
        tonnage_ukg: r.i128()?,
        hr_sum: r.i64()?,
        hr_count: r.i64()?,
        speed_sum_u: r.i128()?,
        speed_count: r.i64()?,
        incline_sum_u: r.i128()?,
        incline_count: r.i64()?,
        power_sum_u: r.i128()?,
        power_count: r.i64()?,
        ..SessionAgg::default()
    };
    if flags & F_MAX_SEQ != 0 {
        s.max_seq = Some(r.i32()?);
    }
    if flags & F_MIN_TS != 0 {
        s.min_ts_us = Some(r.i64()?);
    }
    if flags & F_MAX_TS != 0 {
        s.max_ts_us = Some(r.i64()?);
    }
    if flags & F_HR_MAX != 0 {
        s.hr_max = Some(r.i32()?);
    }
    if flags & F_MAX_LOAD != 0 {
        s.max_load_kg = Some(r.f32()?);
    }
    if flags & F_MAX_DIST != 0 {
        s.max_distance_m = Some(r.f32()?);
    }
    if flags & F_LAST_DIST != 0 {
        let seq = r.i32()?;
        s.last_distance = Some((seq, r.f32()?));
    }
    let n_sets = r.count(3)?;
    let mut prev_set: Option<i32> = None;
    for _ in 0..n_sets {
        let at = r.pos;
        let set_no = r.i32()?;
        if prev_set.is_some_and(|p| set_no <= p) {
            r.pos = at;
            return Err(r.err("sets out of order"));
        }
        prev_set = Some(set_no);
        let reps = r.i64()?;
        let max_load_kg = match r.byte()? {
            0 => None,
            1 => Some(r.f32()?),
            _ => {
                r.pos -= 1;
                return Err(r.err("an invalid load marker"));
            }
        };
        s.sets.insert(set_no, SetAgg { max_load_kg, reps });
    }
    let n_events = r.count(2)?;
    let mut events = Vec::with_capacity(n_events);
    let mut prev: Option<i64> = None;
    for _ in 0..n_events {
        let at = r.pos;
        let ts = match prev {
            None => r.i64()?,
            Some(p) => {
                let d = r.u(64)? as u64; // at most 64 bits by construction
                match p.checked_add_unsigned(d) {
                    Some(ts) if d >= 1 => ts,
                    _ => {
                        r.pos = at;
                        return Err(r.err("rep timestamps out of order"));
                    }
                }
            }
        };
        events.push((ts, r.i64()?));
        prev = Some(ts);
    }
    s.rep_events = events;
    if r.left() != 0 {
        return Err(r.err("trailing bytes"));
    }
    Ok(s)
}
