//! The demo's simulated gym day (see scripts/demo.sh): streams the readings whose time falls in
//! [--from, --until) through COPY from 4 bridge connections in one-minute batches, and ends the
//! sessions whose end falls in that window with fitflow.end_session. The day is deterministic,
//! so calling it for consecutive windows plays the whole day once.
//!
//!   demo_sim --db fitflow_demo --setup            create athletes, devices and sessions
//!   demo_sim --db fitflow_demo --from 06:00 --until 07:00

use fitflow_tests::connect;
use fitflow_tests::gym::{Day, COPY_READINGS};
use std::io::Write;

fn minutes(hhmm: &str) -> i64 {
    let (h, m) = hhmm.split_once(':').unwrap_or((hhmm, "0"));
    h.parse::<i64>().unwrap_or(0) * 60 + m.parse::<i64>().unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let db = opt("--db").unwrap_or_else(|| "fitflow_demo".into());
    let date = opt("--date").unwrap_or_else(|| "2026-12-04".into());
    let day = Day::generate(4242, &date, 40, 160);
    let mut c = connect(&db);
    if args.iter().any(|a| a == "--setup") {
        c.batch_execute(&day.setup_sql()).unwrap();
        println!("created {} athletes, {} devices, {} sessions for {date}", day.athletes.len(), day.devices.len(), day.sessions.len());
        return;
    }
    let from_ms = minutes(&opt("--from").unwrap_or_else(|| "00:00".into())) * 60_000;
    let until_ms = minutes(&opt("--until").unwrap_or_else(|| "24:00".into())) * 60_000;
    let mut copies = 0u64;
    let mut stored = 0u64;
    let mut conns: Vec<_> = (0..4).map(|_| connect(&db)).collect();
    let mut minute = from_ms;
    while minute < until_ms {
        let end = (minute + 60_000).min(until_ms);
        // One COPY per bridge per minute with that minute's readings.
        for (k, conn) in conns.iter_mut().enumerate() {
            let mut csv = String::new();
            for r in day.rows.iter().filter(|r| r.t_ms >= minute && r.t_ms < end && (r.session as usize) % 4 == k) {
                csv.push_str(&day.csv_line(r));
            }
            // Bridges resend on reconnect: replay the first line of the batch (a no-op).
            if let Some(first) = csv.lines().next().map(|l| format!("{l}\n")) {
                csv.push_str(&first);
            }
            if csv.is_empty() {
                continue;
            }
            let mut w = conn.copy_in(COPY_READINGS).unwrap();
            w.write_all(csv.as_bytes()).unwrap();
            stored += w.finish().unwrap();
            copies += 1;
        }
        for s in day.sessions.iter().filter(|s| s.end_s * 1000 >= minute && s.end_s * 1000 < end) {
            c.execute("SELECT fitflow.end_session($1, $2::text::timestamptz)", &[&s.id, &day.end_ts(s)]).unwrap();
        }
        minute = end;
    }
    // A faulty bridge sends a few bad readings: they are kept in rejected_readings, never lost.
    if until_ms >= 24 * 60 * 60_000 {
        let bad = format!(
            "999999,1,{date} 12:00:00+00,1,1,50,0.9,,,,,\n1,1,{date} 05:00:00+00,1,1,50,0.9,,,,,\n2,100000,{date} 23:00:00+00,1,1,5000,0.9,,,,,\n"
        );
        let mut w = c.copy_in(COPY_READINGS).unwrap();
        w.write_all(bad.as_bytes()).unwrap();
        w.finish().unwrap();
    }
    println!("streamed {stored} readings in {copies} COPY statements ({} to {})", opt("--from").unwrap_or_default(), opt("--until").unwrap_or_default());
}
