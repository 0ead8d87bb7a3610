//! Benchmarks of the periodic, rule and on-demand pipelines (issues 5, 6, 7), each against a
//! baseline measured in the same run:
//!
//!   bench_pipelines periodic [ATHLETES] [WORKOUTS]   refresh vs rebuild vs REFRESH MATERIALIZED VIEW
//!   bench_pipelines evaluate [WORKOUTS]              fitflow.evaluate p50/p99 for one athlete
//!   bench_pipelines ondemand [ATHLETES] [WORKOUTS]   end_session with and without the on-demand stage,
//!                                                    NOTIFY delay to a LISTENing client

use fitflow_tests::{connect, drop_db, fresh_db};
use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;
use std::time::{Duration, Instant};

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[((p / 100.0) * (v.len() - 1) as f64).round() as usize]
}

fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let r = f();
    (t.elapsed().as_secs_f64() * 1000.0, r)
}

fn one(c: &mut Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).unwrap().get::<_, Option<i64>>(0).unwrap_or(-1)
}

/// Bulk history with triggers off (superuser, session_replication_role = replica): athletes,
/// one device per exercise, and `workouts` workouts spread over the 12 months of 2026.
fn load_history(c: &mut Client, athletes: i64, workouts: i64) {
    c.batch_execute(&format!(
        "SET session_replication_role = replica;
         INSERT INTO fitflow.athletes (athlete_id, display_name, sex, birth_date, body_mass_kg, hr_rest, hr_max, gym)
         SELECT g, 'athlete ' || g, (ARRAY['female','male','other'])[1 + g % 3], DATE '1960-01-01' + (g * 37) % 18000,
                50 + g % 50, CASE WHEN g % 2 = 0 THEN 50 + g % 20 END, CASE WHEN g % 2 = 0 THEN 170 + g % 25 END,
                'gym-' || g % 5
           FROM generate_series(1, {athletes}) g;
         INSERT INTO fitflow.devices SELECT 'dev-' || exercise, exercise, 'gym-0' FROM fitflow.exercises;
         CREATE TEMP TABLE empty_state AS SELECT fitflow.session_state(r) AS s FROM fitflow.readings r WHERE false;
         INSERT INTO fitflow.sessions (session_id, athlete_id, device_id, started_at, ended_at)
         SELECT g, 1 + g % {athletes}, 'dev-' || (ARRAY['chest_press','squat','deadlift','treadmill','bike'])[1 + g % 5],
                TIMESTAMPTZ '2026-01-01' + (g::float8 / {workouts}) * interval '364 days',
                TIMESTAMPTZ '2026-01-01' + (g::float8 / {workouts}) * interval '364 days' + interval '30 minutes'
           FROM generate_series(1, {workouts}) g;
         INSERT INTO fitflow.workouts
         SELECT s.session_id, s.athlete_id, d.exercise, e.kind, s.started_at, s.ended_at,
                40, 40, s.ended_at, CASE WHEN e.kind = 'weight' THEN 4 ELSE 0 END,
                CASE WHEN e.kind = 'weight' THEN 40 ELSE 0 END, CASE WHEN e.kind = 'weight' THEN 35 ELSE 0 END,
                CASE WHEN e.kind = 'weight' THEN 40 * (40 + s.session_id % 60) ELSE 0 END,
                CASE WHEN e.kind = 'weight' THEN 40 + s.session_id % 60 END,
                CASE WHEN d.exercise = 'treadmill' THEN 3000 + s.session_id % 5000 END, 1800, 130, 170,
                CASE WHEN d.exercise = 'treadmill' THEN 9.5 END, CASE WHEN e.kind = 'weight' THEN 14 ELSE 0 END,
                CASE WHEN e.kind = 'weight' THEN (40 + s.session_id % 60) * (1 + 10 / 30.0) END,
                CASE WHEN e.kind = 'cardio' THEN 30 + s.session_id % 15 END,
                CASE WHEN e.kind = 'cardio' THEN (30 + s.session_id % 15) / 3.5 END, 300, false, (SELECT s FROM empty_state)
           FROM fitflow.sessions s JOIN fitflow.devices d USING (device_id) JOIN fitflow.exercises e USING (exercise);
         SET session_replication_role = DEFAULT;
         ANALYZE;"
    ))
    .unwrap();
}

/// 1% of the athletes get `per` new workouts each in December, through the normal triggers.
fn new_workouts(c: &mut Client, athletes: i64, per: i64, first_session: i64) {
    let n = (athletes / 100).max(1);
    c.batch_execute(&format!(
        "INSERT INTO fitflow.sessions (session_id, athlete_id, device_id, started_at, ended_at)
         SELECT {first_session} + a * {per} + k, a * 97 % {athletes} + 1, 'dev-squat',
                TIMESTAMPTZ '2026-12-20' + k * interval '1 hour', TIMESTAMPTZ '2026-12-20' + k * interval '1 hour' + interval '20 minutes'
           FROM generate_series(1, {n}) a, generate_series(0, {per} - 1) k;
         INSERT INTO fitflow.workouts
         SELECT s.session_id, s.athlete_id, 'squat', 'weight', s.started_at, s.ended_at, 30, 30, s.ended_at, 3, 30, 30, 3000,
                100, NULL, 1200, NULL, NULL, NULL, 15, 133.3, NULL, NULL, NULL, false, (SELECT s FROM empty_state)
           FROM fitflow.sessions s WHERE s.session_id > {first_session};"
    ))
    .unwrap();
}

fn periodic(athletes: i64, workouts: i64) {
    let db = "fitflow_bench_periodic";
    let mut c = fresh_db(db, true);
    println!("periodic: {athletes} athletes, {workouts} workouts over 2026");
    let (ms, _) = timed(|| load_history(&mut c, athletes, workouts));
    println!("  load history: {:.1} s", ms / 1000.0);
    c.batch_execute("SELECT fitflow.set_timezone('Europe/Berlin')").unwrap();
    // Equivalent plain materialized views (same queries, recomputed whole).
    c.batch_execute(
        "CREATE MATERIALIZED VIEW mv_metrics AS SELECT * FROM fitflow.metrics_rows(NULL);
         CREATE MATERIALIZED VIEW mv_profiles AS SELECT * FROM fitflow.profile_rows(NULL);
         CREATE MATERIALIZED VIEW mv_leaderboards AS
           SELECT e.month, e.board, e.scope, e.scope_value, e.athlete_id, e.value,
                  rank() OVER (PARTITION BY e.month, e.board, e.scope, e.scope_value ORDER BY e.value DESC)
             FROM fitflow.leaderboard_entry_rows(NULL) e;
         CREATE INDEX ON mv_leaderboards (month, board, scope, scope_value, rank);
         CREATE INDEX ON mv_leaderboards (athlete_id, month);",
    )
    .unwrap();
    let views = [("fitness_metrics", "mv_metrics"), ("fitness_profiles", "mv_profiles"), ("leaderboards", "mv_leaderboards")];
    for (v, _) in views {
        let (ms, n) = timed(|| one(&mut c, &format!("SELECT fitflow.rebuild('{v}')")));
        println!("  initial rebuild of {v}: {:.0} ms, {n} rows", ms);
    }
    new_workouts(&mut c, athletes, 5, 10_000_000);
    let pending = one(&mut c, "SELECT count(*) FROM fitflow.pending");
    println!("  1% of athletes got 5 new workouts each: {pending} pending invalidations");
    println!("  {:<17} {:>11} {:>11} {:>13} {:>15} {:>13}", "view", "refresh ms", "rebuild ms", "matview ms", "refresh/rebuild", "refresh/matview");
    for (v, mv) in views {
        let (r_ms, changed) = timed(|| one(&mut c, &format!("SELECT fitflow.refresh('{v}')")));
        let (b_ms, rb) = timed(|| one(&mut c, &format!("SELECT fitflow.rebuild('{v}')")));
        assert_eq!(rb, 0, "rebuild of {v} after refresh changed rows");
        let (m_ms, _) = timed(|| c.batch_execute(&format!("REFRESH MATERIALIZED VIEW {mv}")).unwrap());
        println!(
            "  {v:<17} {r_ms:>11.1} {b_ms:>11.1} {m_ms:>13.1} {:>14.1}% {:>12.1}%   ({changed} rows changed)",
            100.0 * r_ms / b_ms,
            100.0 * r_ms / m_ms
        );
        println!("RESULT periodic {v}: refresh {r_ms:.1} ms, rebuild {b_ms:.1} ms, matview {m_ms:.1} ms, refresh/rebuild {:.2}% (goal <= 5%)", 100.0 * r_ms / b_ms);
    }
    leaderboard_reads(&mut c);
    drop(c);
    if std::env::var("BENCH_KEEP").is_err() {
        drop_db(db);
    }
}

/// Reading leaderboards: fitflow ranks when read (the view over leaderboard_entries), the
/// materialized view has them stored and indexed. Median of 25 runs of each query.
fn leaderboard_reads(c: &mut Client) {
    c.batch_execute("VACUUM ANALYZE fitflow.leaderboard_entries").unwrap();
    c.batch_execute("VACUUM ANALYZE mv_leaderboards").unwrap();
    let athlete = one(c, "SELECT athlete_id FROM fitflow.leaderboard_entries WHERE month = '2026-12-01' ORDER BY athlete_id LIMIT 1 OFFSET 1000");
    let queries = [
        ("top 10, one board and scope", "SELECT athlete_id, value, rank FROM {t} WHERE month = '2026-12-01' AND board = 'distance_run_km' AND scope = 'all' AND scope_value = 'all' ORDER BY rank, athlete_id LIMIT 10".to_string()),
        ("a whole board and scope", "SELECT athlete_id, value, rank FROM {t} WHERE month = '2026-12-01' AND board = 'workouts' AND scope = 'all' AND scope_value = 'all' ORDER BY rank, athlete_id".to_string()),
        ("one athlete, one month, all boards", format!("SELECT board, scope, rank FROM {{t}} WHERE month = '2026-12-01' AND athlete_id = {athlete}")),
    ];
    println!("  reading leaderboards (median of 25): {:<36} {:>12} {:>14}", "query", "fitflow ms", "matview ms");
    for (label, q) in queries {
        let mut per = Vec::new();
        for t in ["fitflow.leaderboards", "mv_leaderboards"] {
            let sql = q.replace("{t}", t);
            let mut v: Vec<f64> = (0..25).map(|_| timed(|| c.query(&sql, &[]).unwrap().len()).0).collect();
            per.push(pct(&mut v, 50.0));
        }
        println!("  {:<72} {:>12.2} {:>14.2}", label, per[0], per[1]);
        println!("RESULT leaderboard read {label}: fitflow {:.2} ms, matview {:.2} ms", per[0], per[1]);
    }
    let sql = format!("SELECT board, scope, rank FROM fitflow.athlete_ranks({athlete}, '2026-12-01')");
    let mut v: Vec<f64> = (0..25).map(|_| timed(|| c.query(&sql, &[]).unwrap().len()).0).collect();
    println!("  {:<72} {:>12.2}", "the same athlete through fitflow.athlete_ranks", pct(&mut v, 50.0));
    println!("RESULT leaderboard read athlete_ranks: {:.2} ms", pct(&mut v, 50.0));
}

fn evaluate(workouts: i64) {
    let db = "fitflow_bench_evaluate";
    let mut c = fresh_db(db, true);
    load_history(&mut c, 1, workouts);
    let rule = r#"{"and":[{">=":[{"count":[{"workouts":[{"and":[{"==":[{"var":"exercise"},"chest_press"]},{">=":[{"var":"reps"},10]}]}]}]},10]},{">=":[{"sum":[{"workouts":[{"==":[{"var":"exercise"},"treadmill"]}]},"duration_s"]},3600]},{">=":[{"streak_days":[{"workouts":[]}]},5]}]}"#;
    let n = one(&mut c, "SELECT count(*) FROM fitflow.workouts WHERE athlete_id = 1");
    let stmt = c.prepare("SELECT fitflow.evaluate($1::text::fitflow.rule, 1, '2027-01-01')::text").unwrap();
    let mut lat = Vec::new();
    for i in 0..300 {
        let (ms, _) = timed(|| c.query_one(&stmt, &[&rule]).unwrap());
        if i >= 20 {
            lat.push(ms);
        }
    }
    println!("RESULT evaluate: athlete with {n} workouts, {} calls: p50 {:.2} ms, p99 {:.2} ms", lat.len(), pct(&mut lat, 50.0), pct(&mut lat, 99.0));
    drop(c);
    drop_db(db);
}

fn ondemand(athletes: i64, workouts: i64) {
    let db = "fitflow_bench_ondemand";
    let mut c = fresh_db(db, true);
    println!("on-demand: {athletes} athletes x 20 active challenges, {workouts} workouts of history");
    let (ms, _) = timed(|| load_history(&mut c, athletes, workouts));
    println!("  load history: {:.1} s", ms / 1000.0);
    let rules = [
        r#"{">=":[{"count":[{"workouts":[]}]},{"param":["n",30]}]}"#,
        r#"{">=":[{"sum":[{"workouts":[{"==":[{"var":"kind"},"weight"]}]},"tonnage_kg"]},50000]}"#,
        r#"{"and":[{">=":[{"count":[{"workouts":[{"==":[{"var":"exercise"},"squat"]}]}]},5]},{">=":[{"sum":[{"workouts":[{"==":[{"var":"kind"},"cardio"]}]},"duration_s"]},7200]}]}"#,
        r#"{">=":[{"streak_days":[{"workouts":[]}]},3]}"#,
        r#"{">=":[{"max":[{"workouts":[]},"est_1rm_kg"]},100]}"#,
    ];
    let mut sql = String::from("SET session_replication_role = replica; INSERT INTO fitflow.challenges VALUES ");
    for k in 0..20 {
        let rule = rules[k % rules.len()].replace("30]}", &format!("{}]}}", 10 + k));
        sql.push_str(&format!("{}({}, 'challenge {}', '{}', '2026-01-01', '2027-12-31', NULL)", if k > 0 { "," } else { "" }, k + 1, k + 1, rule));
    }
    sql.push_str(";
        INSERT INTO fitflow.enrollments (challenge_id, athlete_id) SELECT c, a FROM generate_series(1, 20) c, generate_series(1, ");
    sql.push_str(&format!("{athletes}) a;
        INSERT INTO fitflow.athlete_versions SELECT athlete_id, count(*) FROM fitflow.workouts GROUP BY athlete_id;
        SET session_replication_role = DEFAULT;"));
    c.batch_execute(&sql).unwrap();
    let (ms, n) = timed(|| one(&mut c, "SELECT fitflow.rebuild('challenge_results')"));
    println!("  rebuild of challenge_results: {:.1} s, {n} rows", ms / 1000.0);
    // Open sessions with 30 readings each, to be ended one by one.
    let sessions = 400i64;
    c.batch_execute(&format!(
        "INSERT INTO fitflow.sessions (session_id, athlete_id, device_id, started_at)
         SELECT 20000000 + g, 1 + (g * 37) % {athletes}, 'dev-chest_press', TIMESTAMPTZ '2026-12-10' + g * interval '1 minute'
           FROM generate_series(1, {sessions}) g;
         INSERT INTO fitflow.readings (session_id, seq, ts, set_no, reps, load_kg, rom)
         SELECT 20000000 + g, r, TIMESTAMPTZ '2026-12-10' + g * interval '1 minute' + r * interval '2 s', 1 + (r - 1) / 10, 1, 60, 0.95
           FROM generate_series(1, {sessions}) g, generate_series(1, 30) r;
         ANALYZE;"
    ))
    .unwrap();
    // A LISTENing client on its own connection records when each notification arrives.
    let (tx, rx) = std::sync::mpsc::channel::<(i64, Instant)>();
    let listener = std::thread::spawn(move || {
        let mut l = connect(db);
        l.batch_execute("LISTEN fitflow_challenge").unwrap();
        let mut n = l.notifications();
        let mut it = n.timeout_iter(Duration::from_secs(10));
        while let Ok(Some(note)) = it.next() {
            let v: serde_json::Value = serde_json::from_str(note.payload()).unwrap_or_default();
            if let Some(a) = v["athlete_id"].as_i64() {
                if tx.send((a, Instant::now())).is_err() {
                    break;
                }
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let (mut with, mut without) = (Vec::new(), Vec::new());
    let mut committed: Vec<(i64, Instant, Instant)> = Vec::new();
    let stmt = c.prepare("SELECT fitflow.end_session($1, $2::text::timestamptz)").unwrap();
    for g in 1..=sessions {
        let on = g % 2 == 0; // alternate, so both see the same conditions
        if !on {
            c.batch_execute("ALTER TABLE fitflow.workouts DISABLE TRIGGER workouts_to_challenges").unwrap();
        }
        let sid = 20_000_000 + g;
        let end = format!("2026-12-10 {:02}:{:02}:00+00", (g + 2) / 60 % 24, (g + 2) % 60);
        let sent = Instant::now();
        let (ms, _) = timed(|| c.execute(&stmt, &[&sid, &end]).unwrap());
        let done = Instant::now();
        if on {
            with.push(ms);
            let athlete = 1 + (g * 37) % athletes;
            committed.push((athlete, sent, done));
        } else {
            without.push(ms);
            c.batch_execute("ALTER TABLE fitflow.workouts ENABLE TRIGGER workouts_to_challenges").unwrap();
        }
    }
    let (w50, w99, o50, o99) = (pct(&mut with, 50.0), pct(&mut with, 99.0), pct(&mut without, 50.0), pct(&mut without, 99.0));
    println!("RESULT on-demand end_session: without stage p50 {o50:.2} ms p99 {o99:.2} ms; with stage p50 {w50:.2} ms p99 {w99:.2} ms; added p99 {:.2} ms (goal <= 3 ms)", w99 - o99);
    listener.join().unwrap();
    let arrivals: Vec<(i64, Instant)> = rx.try_iter().collect();
    // The commit happens inside the end_session round trip, so its instant lies between `sent`
    // and `done`: report the delay from `done` (a lower bound; the notification usually arrives
    // before the client has even read the reply) and from `sent` (an upper bound that includes
    // the whole end_session).
    let (mut after_done, mut after_sent) = (Vec::new(), Vec::new());
    for (athlete, sent, done) in &committed {
        if let Some((_, got)) = arrivals.iter().find(|(a, g)| a == athlete && *g >= *sent) {
            after_done.push(got.saturating_duration_since(*done).as_secs_f64() * 1000.0);
            after_sent.push(got.saturating_duration_since(*sent).as_secs_f64() * 1000.0);
        }
    }
    println!(
        "RESULT notify delay to a LISTEN client, {} notified commits: from the commit's reply p50 {:.2} ms p99 {:.2} ms; from sending end_session (upper bound) p50 {:.2} ms p99 {:.2} ms (goal <= 50 ms)",
        after_done.len(),
        pct(&mut after_done, 50.0),
        pct(&mut after_done, 99.0),
        pct(&mut after_sent, 50.0),
        pct(&mut after_sent, 99.0)
    );
    drop(c);
    drop_db(db);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |i: usize, d: i64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    match args.get(1).map(String::as_str) {
        Some("periodic") => periodic(num(2, 10_000), num(3, 1_000_000)),
        Some("evaluate") => evaluate(num(2, 1000)),
        Some("ondemand") => ondemand(num(2, 10_000), num(3, 100_000)),
        _ => {
            eprintln!("usage: bench_pipelines periodic|evaluate|ondemand [sizes]");
            std::process::exit(2);
        }
    }
}
