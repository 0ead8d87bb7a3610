//! Ingest benchmark (issue 3): a simulated gym day COPYed in 5,000-row batches from 4
//! connections, into fitflow.readings (full streaming stage) and, in the same run, into a bare
//! table with the same primary key and no triggers. Prints rows/s of both and their ratio, the
//! backends' peak memory, and end_session p50/p99 for ~1,800-reading cardio sessions.
//!
//!   cargo run --release -p fitflow-tests --bin bench_ingest [-- SESSIONS]

use fitflow_tests::gym::{Day, COPY_READINGS};
use fitflow_tests::{connect, drop_db, fresh_db};
use std::io::Write;
use std::time::Instant;

const STREAMS: usize = 4;
const BATCH: usize = 5000;

fn vm_hwm_kb(pid: i32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// COPY every batch of every stream, one connection per stream; returns (seconds, peak KB of
/// the busiest backend).
fn copy_all(db: &str, copy_sql: &str, batches: &[Vec<String>]) -> (f64, u64) {
    let start = Instant::now();
    let hwm: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = batches
            .iter()
            .map(|stream| {
                scope.spawn(move || {
                    let mut c = connect(db);
                    let pid: i32 = c.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
                    for b in stream {
                        let mut w = c.copy_in(copy_sql).unwrap();
                        w.write_all(b.as_bytes()).unwrap();
                        w.finish().unwrap();
                    }
                    vm_hwm_kb(pid).unwrap_or(0)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    (start.elapsed().as_secs_f64(), hwm.into_iter().max().unwrap_or(0))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[idx]
}

fn main() {
    let sessions: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let rounds: usize = std::env::var("BENCH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    let day = Day::generate(20261204, "2026-11-30", 600, sessions);
    let batches = day.batches(STREAMS, BATCH);
    let rows = day.rows.len();
    let nbatches: usize = batches.iter().map(|b| b.len()).sum();
    println!("gym day: {sessions} sessions, {rows} readings, {nbatches} batches of <= {BATCH} rows over {STREAMS} connections");

    let db = "fitflow_bench_ingest";
    let bare_copy = COPY_READINGS.replace("fitflow.readings", "bench.readings_bare");
    let mut best_bare = f64::MAX;
    let mut best_ff = f64::MAX;
    let (mut hwm_bare, mut hwm_ff) = (0, 0);
    for round in 1..=rounds {
        let mut c = fresh_db(db, true);
        c.batch_execute(&day.setup_sql()).unwrap();
        c.batch_execute(
            "CREATE SCHEMA bench;
             CREATE TABLE bench.readings_bare (LIKE fitflow.readings INCLUDING DEFAULTS);
             ALTER TABLE bench.readings_bare ADD PRIMARY KEY (session_id, seq);
             CHECKPOINT;",
        )
        .unwrap();
        // Alternate the order so neither side always runs on a warmer cache.
        let order = if round % 2 == 1 { [false, true] } else { [true, false] };
        for fitflow in order {
            let (secs, hwm) = if fitflow { copy_all(db, COPY_READINGS, &batches) } else { copy_all(db, &bare_copy, &batches) };
            let what = if fitflow { "fitflow.readings (streaming stage)" } else { "bare table, same PK, no triggers" };
            println!("  round {round}: {what:<36} {secs:7.2} s  {:>9.0} rows/s  peak backend RSS {} MB", rows as f64 / secs, hwm / 1024);
            if fitflow {
                best_ff = best_ff.min(secs);
                hwm_ff = hwm_ff.max(hwm);
            } else {
                best_bare = best_bare.min(secs);
                hwm_bare = hwm_bare.max(hwm);
            }
            c.batch_execute("CHECKPOINT").unwrap();
        }
        let stored: i64 = c.query_one("SELECT count(*) FROM fitflow.readings", &[]).unwrap().get(0);
        let rejected: i64 = c.query_one("SELECT count(*) FROM fitflow.rejected_readings", &[]).unwrap().get(0);
        let live: i64 = c.query_one("SELECT sum(readings)::bigint FROM fitflow.live_sessions", &[]).unwrap().get(0);
        assert_eq!((stored, rejected, live), (rows as i64, 0, rows as i64), "every reading stored once and counted live");
        if round < rounds {
            drop(c);
            drop_db(db);
        }
    }
    let ratio = best_bare / best_ff;
    println!("RESULT ingest: bare {:.0} rows/s, fitflow {:.0} rows/s, ratio {:.2} (goal >= 0.70); peak backend RSS bare {} MB, fitflow {} MB",
        rows as f64 / best_bare, rows as f64 / best_ff, ratio, hwm_bare / 1024, hwm_ff / 1024);

    // end_session latency for cardio sessions of 1,500 to 2,100 readings.
    let mut c = connect(db);
    let mut lat = Vec::new();
    for s in day.sessions.iter().filter(|s| s.cardio) {
        let n = (s.end_s - s.start_s) as usize;
        if !(1500..=2100).contains(&n) {
            continue;
        }
        let t = Instant::now();
        c.execute("SELECT fitflow.end_session($1, $2::text::timestamptz)", &[&s.id, &day.end_ts(s)]).unwrap();
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "RESULT end_session ({} cardio sessions of 1,500-2,100 readings): p50 {:.2} ms, p99 {:.2} ms",
        lat.len(),
        percentile(&lat, 50.0),
        percentile(&lat, 99.0)
    );
    // Compaction: end every session, then remove all their readings; baseline: a plain DELETE
    // of the same rows from the bare table with the same primary key, in the same run.
    for s in day.sessions.iter() {
        c.execute("SELECT fitflow.end_session($1, $2::text::timestamptz)", &[&s.id, &day.end_ts(s)]).unwrap();
    }
    let t = Instant::now();
    let bare: u64 = c.execute("DELETE FROM bench.readings_bare", &[]).unwrap();
    let bare_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let n: i64 = c.query_one("SELECT fitflow.compact_readings('0 seconds')", &[]).unwrap().get(0);
    let ff_s = t.elapsed().as_secs_f64();
    println!(
        "RESULT compaction: compact_readings removed {n} readings of {} workouts in {ff_s:.2} s; plain DELETE of {bare} rows from the bare table {bare_s:.2} s (ratio {:.2})",
        day.sessions.len(),
        bare_s / ff_s
    );
    drop(c);
    drop_db(db);
}
