//! Streaming stage: every statement that writes `fitflow.readings` (COPY or INSERT) keeps
//! `fitflow.live_sessions` up to date in the same transaction.
//!
//! How it works, and why it is cheap:
//! - A BEFORE INSERT row trigger (`readings_ingest`) deforms the row once, checks its values with
//!   the pure rules of `fitflow_core::stream`, checks it against its session (looked up once per
//!   session per statement), drops exact resends and turns everything invalid into a rejection
//!   kept in memory. It returns NULL for those, so the COPY goes on with the good rows. Accepted
//!   rows are folded into a per-session [`SessionAgg`] for this statement only: the memory is
//!   bounded by the batch, never by the table.
//! - An AFTER INSERT statement trigger (`readings_flush`) writes the rejections, then merges every
//!   touched session's batch state into its live row with one upsert (`INSERT ... ON CONFLICT DO
//!   UPDATE`, the merge of stored and new state in SQL under the row lock), fed in session_id
//!   order so that concurrent statements lock in the same order and never deadlock. Finally it
//!   sends `NOTIFY fitflow_live` once per session whose athlete has an active challenge (one
//!   query for the whole batch decides which).
//! - No query ever reads the transition table together with another table (see DESIGN.md on
//!   Citus), and no row is written per reading besides the reading itself.
//! - The fast path needs no index probe: a seq above the session's stored `max_seq` cannot be a
//!   resend. Late readings (seq at or below it) are probed by primary key.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use fitflow_core::stream::{self, Reading, Reason, Rejection, SessionAgg};
use pgrx::datum::{DatumWithOid, TimestampWithTimeZone};
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiClient};

use crate::error::{raise, spi};
use fitflow_core::error::FitError;

/// What a session looks like to the ingest trigger.
struct SessionMeta {
    athlete_id: i64,
    exercise: String,
    started_at_us: i64,
    ended_at_us: Option<i64>,
    /// `max_seq` and the last distance of what is already stored (from the live row).
    stored_max_seq: Option<i32>,
    stored_last_distance: Option<(i32, f32)>,
}

/// One session's share of the current statement.
struct SessionBatch {
    meta: Option<SessionMeta>,
    /// Readings accepted in this statement, sorted by seq (bridges send in order, so this is
    /// almost always an append).
    accepted: Vec<Reading>,
    agg: SessionAgg,
}

/// A row refused by ingest; key columns may be NULL (reason `missing_key`).
struct RejectRow {
    session_id: Option<i64>,
    seq: Option<i32>,
    ts_us: Option<i64>,
    reading: Reading,
    rejection: Rejection,
}

/// Identity of a statement: (local transaction, subtransaction, statement start). A statement
/// that failed half-way leaves a batch whose key no later statement can have: a new transaction
/// has a new local id, and a statement after an error in the same transaction runs in a new
/// subtransaction (savepoint or exception block) or a new top-level statement. (The command id
/// cannot serve: SPI queries inside the trigger advance it.)
type StatementKey = (u32, u32, i64);

struct Batch {
    key: StatementKey,
    restoring: bool,
    sessions: HashMap<i64, SessionBatch, BuildHasherDefault<SessionIdHasher>>,
    rejects: Vec<RejectRow>,
}

/// The per-row session lookup hashes one i64 key it controls (no untrusted keys, no DoS
/// concern): a multiplicative hash instead of SipHash.
#[derive(Default)]
struct SessionIdHasher(u64);

impl Hasher for SessionIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_i64(&mut self, v: i64) {
        self.0 = (v as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

thread_local! {
    static BATCH: RefCell<Option<Batch>> = const { RefCell::new(None) };
    static PLANS: RefCell<HashMap<&'static str, std::rc::Rc<OwnedPreparedStatement>>> = RefCell::new(HashMap::new());
}

fn statement_key() -> StatementKey {
    // SAFETY: MyProc is set for every backend that runs queries; these are plain reads.
    unsafe {
        (
            (*pg_sys::MyProc).lxid,
            pg_sys::GetCurrentSubTransactionId(),
            pg_sys::GetCurrentStatementStartTimestamp(),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Prepared statements, planned once per backend.

const Q_SESSION: &str = "SELECT s.athlete_id, s.started_at, s.ended_at, d.exercise, ls.state
      FROM fitflow.sessions s
      JOIN fitflow.devices d ON d.device_id OPERATOR(pg_catalog.=) s.device_id
      LEFT JOIN fitflow.live_sessions ls ON ls.session_id OPERATOR(pg_catalog.=) s.session_id
     WHERE s.session_id OPERATOR(pg_catalog.=) $1
       FOR KEY SHARE OF s";

const Q_PROBE: &str = "SELECT ts, set_no, reps, load_kg, rom, distance_m, speed_kmh, incline_pct, heart_rate, power_w
      FROM fitflow.readings
     WHERE session_id OPERATOR(pg_catalog.=) $1 AND seq OPERATOR(pg_catalog.=) $2";

const Q_NEIGHBOURS: &str = "SELECT p.seq, p.distance_m, n.seq, n.distance_m
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (SELECT seq, distance_m FROM fitflow.readings
             WHERE session_id OPERATOR(pg_catalog.=) $1 AND seq OPERATOR(pg_catalog.<) $2 AND distance_m IS NOT NULL
             ORDER BY seq DESC LIMIT 1) AS p ON true
      LEFT JOIN LATERAL (SELECT seq, distance_m FROM fitflow.readings
             WHERE session_id OPERATOR(pg_catalog.=) $1 AND seq OPERATOR(pg_catalog.>) $2 AND distance_m IS NOT NULL
             ORDER BY seq LIMIT 1) AS n ON true";

/// One statement merges the batch into every live row it touches. New sessions are inserted
/// with the batch state; existing ones merge in SQL under the row lock ON CONFLICT takes. Rows are
/// fed in session_id order, so concurrent statements lock in the same order and cannot deadlock.
const Q_UPSERT_LIVE: &str = "INSERT INTO fitflow.live_sessions AS l
       (session_id, athlete_id, exercise, started_at, readings, last_seq, last_ts, sets, reps,
        full_range_reps, tonnage_kg, max_load_kg, distance_m, duration_s, avg_heart_rate, max_heart_rate,
        avg_speed_kmh, reps_per_min_max, state)
     SELECT * FROM ROWS FROM (pg_catalog.unnest($1::bigint[]), pg_catalog.unnest($2::bigint[]), pg_catalog.unnest($3::text[]), pg_catalog.unnest($4::timestamptz[]), pg_catalog.unnest($5::bigint[]), pg_catalog.unnest($6::int[]), pg_catalog.unnest($7::timestamptz[]), pg_catalog.unnest($8::int[]), pg_catalog.unnest($9::bigint[]), pg_catalog.unnest($10::bigint[]), pg_catalog.unnest($11::float8[]), pg_catalog.unnest($12::float8[]), pg_catalog.unnest($13::float8[]), pg_catalog.unnest($14::float8[]), pg_catalog.unnest($15::float8[]), pg_catalog.unnest($16::int[]), pg_catalog.unnest($17::float8[]), pg_catalog.unnest($18::int[]), pg_catalog.unnest($19::bytea[]))
      ORDER BY 1
     ON CONFLICT (session_id) DO UPDATE SET
       (readings, last_seq, last_ts, sets, reps, full_range_reps, tonnage_kg, max_load_kg, distance_m,
        duration_s, avg_heart_rate, max_heart_rate, avg_speed_kmh, reps_per_min_max, state) =
       (SELECT s.readings, s.last_seq, s.last_ts, s.sets, s.reps, s.full_range_reps, s.tonnage_kg, s.max_load_kg,
               s.distance_m, s.duration_s, s.avg_heart_rate, s.max_heart_rate, s.avg_speed_kmh, s.reps_per_min_max, m.state
          FROM (SELECT fitflow.merge_states(l.state, EXCLUDED.state) AS state) m,
               fitflow.summarize_state(m.state) s)";

const Q_REJECT: &str = "INSERT INTO fitflow.rejected_readings
       (session_id, seq, ts, set_no, reps, load_kg, rom, distance_m, speed_kmh, incline_pct, heart_rate, power_w, reason, detail)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)";

fn upsert_arg_types() -> Vec<PgOid> {
    use pg_sys::*;
    [
        INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID, INT4ARRAYOID, TIMESTAMPTZARRAYOID,
        INT4ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID,
        FLOAT8ARRAYOID, INT4ARRAYOID, FLOAT8ARRAYOID, INT4ARRAYOID, BYTEAARRAYOID,
    ]
    .into_iter()
    .map(PgOid::from)
    .collect()
}

fn reject_arg_types() -> Vec<PgOid> {
    use pg_sys::*;
    [
        INT8OID, INT4OID, TIMESTAMPTZOID, INT4OID, INT4OID, FLOAT4OID, FLOAT4OID, FLOAT4OID, FLOAT4OID, FLOAT4OID,
        INT4OID, FLOAT4OID, TEXTOID, TEXTOID,
    ]
    .into_iter()
    .map(PgOid::from)
    .collect()
}

/// The kept plan for `name`, prepared on first use.
fn plan_for(
    client: &SpiClient<'_>,
    name: &'static str,
    mutating: bool,
    sql: impl FnOnce() -> (String, Vec<PgOid>),
) -> std::rc::Rc<OwnedPreparedStatement> {
    PLANS.with(|plans| {
        let mut plans = plans.borrow_mut();
        if let Some(p) = plans.get(name) {
            return p.clone();
        }
        let (text, types) = sql();
        let prepared = if mutating {
            client.prepare_mut(text.as_str(), &types)
        } else {
            client.prepare(text.as_str(), &types)
        };
        let plan = std::rc::Rc::new(spi(prepared).keep());
        plans.insert(name, plan.clone());
        plan
    })
}

fn ts_us(v: Option<pgrx::datum::TimestampWithTimeZone>) -> Option<i64> {
    v.map(pg_sys::TimestampTz::from)
}

// ---------------------------------------------------------------------------------------------
// Row trigger

/// The twelve columns of a readings row, in table order, as the trigger sees them.
struct RawRow {
    session_id: Option<i64>,
    seq: Option<i32>,
    ts_us: Option<i64>,
    reading: Reading,
}

/// Column types of fitflow.readings 1..=12, checked once per statement.
const READING_TYPES: [pg_sys::Oid; 12] = [
    pg_sys::INT8OID,
    pg_sys::INT4OID,
    pg_sys::TIMESTAMPTZOID,
    pg_sys::INT4OID,
    pg_sys::INT4OID,
    pg_sys::FLOAT4OID,
    pg_sys::FLOAT4OID,
    pg_sys::FLOAT4OID,
    pg_sys::FLOAT4OID,
    pg_sys::FLOAT4OID,
    pg_sys::INT4OID,
    pg_sys::FLOAT4OID,
];

/// SAFETY: `desc` must be the tuple descriptor of fitflow.readings.
unsafe fn check_layout(desc: pg_sys::TupleDesc) {
    let natts = (*desc).natts as usize;
    let attrs = (*desc).attrs.as_slice(natts);
    let ok = natts >= 12 && attrs.iter().take(12).zip(READING_TYPES).all(|(a, t)| a.atttypid == t && !a.attisdropped);
    if !ok {
        raise(FitError::new(
            fitflow_core::error::Kind::ObjectNotInPrerequisiteState,
            "fitflow.readings does not have the layout fitflow expects",
        ).with_hint("Columns 1 to 12 must be session_id bigint, seq int, ts timestamptz, set_no int, reps int, load_kg real, rom real, distance_m real, speed_kmh real, incline_pct real, heart_rate int, power_w real."));
    }
}

/// SAFETY: `tuple` and `desc` come from a BEFORE INSERT trigger on fitflow.readings whose layout
/// passed [`check_layout`].
unsafe fn deform(tuple: pg_sys::HeapTuple, desc: pg_sys::TupleDesc) -> RawRow {
    // Only the first 12 attributes are read: heap_deform_tuple needs room for all of them, so
    // use the stack unless the table grew columns.
    let natts = (*desc).natts as usize;
    let mut stack_values = [pg_sys::Datum::from(0usize); 16];
    let mut stack_nulls = [true; 16];
    let (mut heap_values, mut heap_nulls);
    let (values, nulls): (&mut [pg_sys::Datum], &mut [bool]) = if natts <= 16 {
        (&mut stack_values[..], &mut stack_nulls[..])
    } else {
        heap_values = vec![pg_sys::Datum::from(0usize); natts];
        heap_nulls = vec![true; natts];
        (&mut heap_values[..], &mut heap_nulls[..])
    };
    pg_sys::heap_deform_tuple(tuple, desc, values.as_mut_ptr(), nulls.as_mut_ptr());
    let int8 = |i: usize| (!nulls[i]).then(|| values[i].value() as i64);
    let int4 = |i: usize| (!nulls[i]).then(|| values[i].value() as i32);
    let real = |i: usize| (!nulls[i]).then(|| f32::from_bits(values[i].value() as u32));
    let session_id = int8(0);
    let seq = int4(1);
    let ts_us = int8(2);
    let reading = Reading {
        session_id: session_id.unwrap_or(0),
        seq: seq.unwrap_or(0),
        ts_us: ts_us.unwrap_or(0),
        set_no: int4(3),
        reps: int4(4),
        load_kg: real(5),
        rom: real(6),
        distance_m: real(7),
        speed_kmh: real(8),
        incline_pct: real(9),
        heart_rate: int4(10),
        power_w: real(11),
    };
    RawRow { session_id, seq, ts_us, reading }
}

#[pg_trigger]
fn readings_ingest<'a>(
    trigger: &'a pgrx::PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
    let td = trigger.trigger_data();
    let key = statement_key();
    let keep = BATCH.with(|cell| {
        let mut slot = cell.borrow_mut();
        let batch = match &mut *slot {
            Some(b) if b.key == key => b,
            stale => {
                // SAFETY: the relation of a trigger on fitflow.readings.
                unsafe { check_layout((*td.tg_relation).rd_att) };
                stale.insert(Batch {
                    key,
                    restoring: crate::gucs::RESTORING.get(),
                    sessions: HashMap::default(),
                    rejects: Vec::new(),
                })
            }
        };
        if batch.restoring {
            return true;
        }
        // SAFETY: tg_trigtuple and rd_att of a BEFORE INSERT row trigger on fitflow.readings.
        let row = unsafe { deform(td.tg_trigtuple, (*td.tg_relation).rd_att) };
        ingest(batch, row)
    });
    Ok(if keep { trigger.new() } else { None })
}

fn reject(batch: &mut Batch, row: RawRow, rejection: Rejection) -> bool {
    batch.rejects.push(RejectRow {
        session_id: row.session_id,
        seq: row.seq,
        ts_us: row.ts_us,
        reading: row.reading,
        rejection,
    });
    false
}

/// Decide one row: true to store it, false when it was a resend (no-op) or was rejected.
fn ingest(batch: &mut Batch, row: RawRow) -> bool {
    let (Some(sid), Some(seq), Some(_)) = (row.session_id, row.seq, row.ts_us) else {
        let missing: Vec<&str> = [("session_id", row.session_id.is_none()), ("seq", row.seq.is_none()), ("ts", row.ts_us.is_none())]
            .into_iter()
            .filter_map(|(n, m)| m.then_some(n))
            .collect();
        let detail = format!("{} is NULL", missing.join(", "));
        return reject(batch, row, Rejection::new(Reason::MissingKey, detail));
    };
    if let Err(rej) = stream::check_values(&row.reading) {
        return reject(batch, row, rej);
    }
    let sb = batch.sessions.entry(sid).or_insert_with(|| SessionBatch {
        meta: load_session(sid),
        accepted: Vec::new(),
        agg: SessionAgg::default(),
    });
    let Some(meta) = &sb.meta else {
        let rej = Rejection::new(Reason::UnknownSession, format!("session {sid} does not exist"));
        return reject(batch, row, rej);
    };
    if let Err(rej) = stream::check_against_session(&row.reading, meta.started_at_us, meta.ended_at_us) {
        return reject(batch, row, rej);
    }
    // Resend or conflict within this statement.
    // Where this seq is, or would go, among the statement's accepted readings (Err = not there).
    let slot: Result<usize, usize> = match sb.accepted.last() {
        None => Err(0),
        Some(last) if last.seq < seq => Err(sb.accepted.len()),
        _ => sb.accepted.binary_search_by_key(&seq, |r| r.seq),
    };
    if let Ok(i) = slot {
        let prev = &sb.accepted[i];
        if prev.same_payload(&row.reading) {
            return false;
        }
        let rej = Rejection::new(
            Reason::Conflict,
            format!("seq {seq} of session {sid} was received earlier in this statement with a different payload"),
        );
        return reject(batch, row, rej);
    }
    let late = meta.stored_max_seq.is_some_and(|m| seq <= m);
    let (mut prev_d, mut next_d) = (None, None);
    if late {
        // Resend or conflict with a stored reading.
        if let Some(stored) = probe(sid, seq) {
            if stored.same_payload(&row.reading) {
                return false;
            }
            let rej = Rejection::new(
                Reason::Conflict,
                format!("seq {seq} of session {sid} is already stored with a different payload"),
            );
            return reject(batch, row, rej);
        }
        if row.reading.distance_m.is_some() {
            (prev_d, next_d) = stored_neighbours(sid, seq);
        }
    } else {
        prev_d = meta.stored_last_distance;
    }
    if row.reading.distance_m.is_some() {
        let at = slot.unwrap_or_else(|i| i);
        let batch_prev = sb.accepted[..at].iter().rev().find_map(|r| r.distance_m.map(|d| (r.seq, d)));
        let batch_next = sb.accepted[at..].iter().find_map(|r| r.distance_m.map(|d| (r.seq, d)));
        let prev = closest(prev_d, batch_prev, |a, b| a.0 >= b.0);
        let next = closest(next_d, batch_next, |a, b| a.0 <= b.0);
        if let Err(rej) = stream::check_distance_between(&row.reading, prev, next) {
            return reject(batch, row, rej);
        }
    }
    sb.agg.add(&row.reading);
    sb.accepted.insert(slot.unwrap_or_else(|i| i), row.reading);
    true
}

fn closest(a: Option<(i32, f32)>, b: Option<(i32, f32)>, a_wins: impl Fn(&(i32, f32), &(i32, f32)) -> bool) -> Option<(i32, f32)> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if a_wins(&x, &y) { x } else { y }),
        (x, None) => x,
        (None, y) => y,
    }
}

fn load_session(sid: i64) -> Option<SessionMeta> {
    // FOR KEY SHARE: a concurrent end_session (FOR UPDATE of the session) waits for this
    // statement, or this statement sees the session ended.
    Spi::connect_mut(|client| {
        let plan = plan_for(client, "session", true, || (Q_SESSION.into(), vec![PgOid::from(pg_sys::INT8OID)]));
        {
            let table = spi(client.update(&*plan, Some(1), &[sid.into()]));
            let row = table.into_iter().next()?;
            let state = spi(row.get::<&[u8]>(5)).map(SessionAgg::from_bytes).transpose();
            let stored = match state {
                Ok(s) => s.unwrap_or_default(),
                Err(e) => raise(e.with_hint(format!("The live buffer of session {sid} is corrupt; run SELECT fitflow.rebuild('live_sessions')."))),
            };
            Some(SessionMeta {
                athlete_id: spi(row.get::<i64>(1)).unwrap_or_default(),
                started_at_us: ts_us(spi(row.get(2))).unwrap_or(i64::MIN),
                ended_at_us: ts_us(spi(row.get(3))),
                exercise: spi(row.get::<String>(4)).unwrap_or_default(),
                stored_max_seq: stored.max_seq,
                stored_last_distance: stored.last_distance,
            })
        }
    })
}

fn probe(sid: i64, seq: i32) -> Option<Reading> {
    Spi::connect(|client| {
        let types = vec![PgOid::from(pg_sys::INT8OID), PgOid::from(pg_sys::INT4OID)];
        let plan = plan_for(client, "probe", false, || (Q_PROBE.into(), types));
        let table = spi(client.select(&*plan, Some(1), &[sid.into(), seq.into()]));
        let row = table.into_iter().next()?;
        Some(Reading {
            session_id: sid,
            seq,
            ts_us: ts_us(spi(row.get(1))).unwrap_or_default(),
            set_no: spi(row.get(2)),
            reps: spi(row.get(3)),
            load_kg: spi(row.get(4)),
            rom: spi(row.get(5)),
            distance_m: spi(row.get(6)),
            speed_kmh: spi(row.get(7)),
            incline_pct: spi(row.get(8)),
            heart_rate: spi(row.get(9)),
            power_w: spi(row.get(10)),
        })
    })
}

/// (seq, cumulative distance) of a reading, when it has one.
type SeqDistance = Option<(i32, f32)>;

/// Stored readings with a distance just below and just above `seq`.
fn stored_neighbours(sid: i64, seq: i32) -> (SeqDistance, SeqDistance) {
    Spi::connect(|client| {
        let types = vec![PgOid::from(pg_sys::INT8OID), PgOid::from(pg_sys::INT4OID)];
        let plan = plan_for(client, "neighbours", false, || (Q_NEIGHBOURS.into(), types));
        let table = spi(client.select(&*plan, Some(1), &[sid.into(), seq.into()]));
        match table.into_iter().next() {
            Some(row) => {
                let pair = |a: usize| -> SeqDistance { Some((spi(row.get::<i32>(a))?, spi(row.get::<f32>(a + 1))?)) };
                (pair(1), pair(3))
            }
            None => (None, None),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Statement trigger

#[pg_trigger]
fn readings_flush<'a>(
    _trigger: &'a pgrx::PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
    let key = statement_key();
    let Some(batch) = BATCH.with(|cell| cell.borrow_mut().take()) else {
        return Ok(None);
    };
    if batch.key != key || batch.restoring {
        return Ok(None);
    }
    flush(batch);
    Ok(None)
}

fn flush(batch: Batch) {
    let mut sessions: Vec<(i64, SessionBatch)> =
        batch.sessions.into_iter().filter(|(_, s)| s.agg.readings > 0).collect();
    sessions.sort_unstable_by_key(|(sid, _)| *sid);
    Spi::connect_mut(|client| {
        for r in &batch.rejects {
            write_reject(client, r);
        }
        upsert_live(client, &sessions);
        notify_live(client, &sessions);
    });
}

const Q_ACTIVE_ATHLETES: &str = "SELECT DISTINCT e.athlete_id FROM fitflow.enrollments e
      JOIN fitflow.challenges c ON c.challenge_id OPERATOR(pg_catalog.=) e.challenge_id
     WHERE e.athlete_id OPERATOR(pg_catalog.=) ANY ($1)
       AND c.starts_at OPERATOR(pg_catalog.<=) pg_catalog.now() AND c.ends_at OPERATOR(pg_catalog.>) pg_catalog.now()";

const Q_NOTIFY_LIVE: &str = "SELECT pg_catalog.pg_notify('fitflow_live', p::text)
      FROM fitflow.live_progress($1, $2) p WHERE p IS NOT NULL";

/// NOTIFY fitflow_live once per streamed session of this statement whose athlete has an active
/// challenge: one query for the whole batch decides which sessions qualify.
fn notify_live(client: &mut SpiClient<'_>, sessions: &[(i64, SessionBatch)]) {
    let athletes: Vec<i64> = sessions.iter().filter_map(|(_, sb)| sb.meta.as_ref().map(|m| m.athlete_id)).collect();
    if athletes.is_empty() {
        return;
    }
    let plan = plan_for(client, "active_athletes", false, || (Q_ACTIVE_ATHLETES.into(), vec![PgOid::from(pg_sys::INT8ARRAYOID)]));
    let active: Vec<i64> = spi(client.select(&*plan, None, &[athletes.into()]))
        .filter_map(|row| spi(row.get::<i64>(1)))
        .collect();
    if active.is_empty() {
        return;
    }
    let plan = plan_for(client, "notify_live", true, || {
        (Q_NOTIFY_LIVE.into(), vec![PgOid::from(pg_sys::INT8OID), PgOid::from(pg_sys::INT8OID)])
    });
    for (sid, sb) in sessions {
        let Some(meta) = &sb.meta else { continue };
        if active.contains(&meta.athlete_id) {
            spi(client.update(&*plan, None, &[meta.athlete_id.into(), (*sid).into()]));
        }
    }
}

fn write_reject(client: &mut SpiClient<'_>, r: &RejectRow) {
    let x = &r.reading;
    let args: Vec<DatumWithOid> = vec![
        r.session_id.into(),
        r.seq.into(),
        tstz(r.ts_us).into(),
        x.set_no.into(),
        x.reps.into(),
        x.load_kg.into(),
        x.rom.into(),
        x.distance_m.into(),
        x.speed_kmh.into(),
        x.incline_pct.into(),
        x.heart_rate.into(),
        x.power_w.into(),
        r.rejection.reason.as_str().into(),
        r.rejection.detail.as_str().into(),
    ];
    let plan = plan_for(client, "reject", true, || (Q_REJECT.into(), reject_arg_types()));
    spi(client.update(&*plan, None, &args));
}

/// Column arrays of the batch's live rows (sessions in session_id order).
#[derive(Default)]
struct LiveColumns {
    sid: Vec<i64>,
    athlete: Vec<i64>,
    exercise: Vec<String>,
    started: Vec<Option<TimestampWithTimeZone>>,
    readings: Vec<i64>,
    last_seq: Vec<Option<i32>>,
    last_ts: Vec<Option<TimestampWithTimeZone>>,
    sets: Vec<i32>,
    reps: Vec<i64>,
    full_range: Vec<i64>,
    tonnage: Vec<f64>,
    max_load: Vec<Option<f64>>,
    distance: Vec<Option<f64>>,
    duration: Vec<f64>,
    avg_hr: Vec<Option<f64>>,
    max_hr: Vec<Option<i32>>,
    avg_speed: Vec<Option<f64>>,
    rpm: Vec<i32>,
    state: Vec<Vec<u8>>,
}

/// PostgreSQL microseconds as a timestamptz value (NULL stays NULL).
pub(crate) fn tstz(us: Option<i64>) -> Option<TimestampWithTimeZone> {
    us.and_then(|v| TimestampWithTimeZone::try_from(v).ok())
}

fn upsert_live(client: &mut SpiClient<'_>, sessions: &[(i64, SessionBatch)]) {
    let mut c = LiveColumns::default();
    for (sid, sb) in sessions {
        let Some(meta) = &sb.meta else { continue };
        let s = sb.agg.summary();
        c.sid.push(*sid);
        c.athlete.push(meta.athlete_id);
        c.exercise.push(meta.exercise.clone());
        c.started.push(tstz(Some(meta.started_at_us)));
        c.readings.push(s.readings);
        c.last_seq.push(s.last_seq);
        c.last_ts.push(tstz(s.last_ts_us));
        c.sets.push(s.sets);
        c.reps.push(s.reps);
        c.full_range.push(s.full_range_reps);
        c.tonnage.push(s.tonnage_kg);
        c.max_load.push(s.max_load_kg);
        c.distance.push(s.distance_m);
        c.duration.push(s.duration_s);
        c.avg_hr.push(s.avg_heart_rate);
        c.max_hr.push(s.max_heart_rate);
        c.avg_speed.push(s.avg_speed_kmh);
        c.rpm.push(s.reps_per_min_max.clamp(0, i32::MAX as i64) as i32);
        c.state.push(sb.agg.to_bytes());
    }
    if c.sid.is_empty() {
        return;
    }
    let args: Vec<DatumWithOid> = vec![
        c.sid.into(),
        c.athlete.into(),
        c.exercise.into(),
        c.started.into(),
        c.readings.into(),
        c.last_seq.into(),
        c.last_ts.into(),
        c.sets.into(),
        c.reps.into(),
        c.full_range.into(),
        c.tonnage.into(),
        c.max_load.into(),
        c.distance.into(),
        c.duration.into(),
        c.avg_hr.into(),
        c.max_hr.into(),
        c.avg_speed.into(),
        c.rpm.into(),
        c.state.into(),
    ];
    let plan = plan_for(client, "upsert_live", true, || (Q_UPSERT_LIVE.into(), upsert_arg_types()));
    spi(client.update(&*plan, None, &args));
}
