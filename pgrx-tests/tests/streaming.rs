//! Streaming and save pipelines, driven through COPY and SQL as bridges and apps do.

use fitflow_tests::gym::{Day, Rng, COPY_READINGS};
use fitflow_tests::*;
use postgres::Client;
use std::io::Write;

fn copy(c: &mut Client, csv: &str) -> u64 {
    let mut w = c.copy_in(COPY_READINGS).unwrap();
    w.write_all(csv.as_bytes()).unwrap();
    w.finish().unwrap()
}

const SETUP: &str = "
    INSERT INTO fitflow.athletes (athlete_id, display_name, sex, body_mass_kg) VALUES (1, 'Ada', 'female', 70);
    INSERT INTO fitflow.devices VALUES ('cp-1', 'chest_press', 'north'), ('tm-1', 'treadmill', 'north');
    INSERT INTO fitflow.sessions VALUES
        (1, 1, 'cp-1', '2026-12-01 08:00:00+00', NULL),
        (2, 1, 'tm-1', '2026-12-01 09:00:00+00', NULL);";

/// Weights: set 1 = 4 reps at 60 kg (rom .95,.95,.85,.95) at 08:00:03,06,09,12;
/// set 2 = 3 reps at 70 kg (rom .9,.8,.9) at 08:02:00,04,08.
/// Cardio: 5 samples at 1 Hz from 09:00:01, distance 3,6,9,12,15 m, speed 10.8 km/h,
/// incline 0, heart rate 120,124,128,NULL,132.
fn fixture_lines() -> Vec<String> {
    let mut v = Vec::new();
    let weights = [
        (1, "08:00:03", 1, 60.0, 0.95),
        (2, "08:00:06", 1, 60.0, 0.95),
        (3, "08:00:09", 1, 60.0, 0.85),
        (4, "08:00:12", 1, 60.0, 0.95),
        (5, "08:02:00", 2, 70.0, 0.9),
        (6, "08:02:04", 2, 70.0, 0.8),
        (7, "08:02:08", 2, 70.0, 0.9),
    ];
    for (seq, t, set, load, rom) in weights {
        v.push(format!("1,{seq},2026-12-01 {t}+00,{set},1,{load},{rom},,,,,\n"));
    }
    let hr = ["120", "124", "128", "", "132"];
    for i in 0..5 {
        v.push(format!("2,{},2026-12-01 09:00:0{}+00,,,,,{},10.8,0,{},\n", i + 1, i + 1, 3 * (i + 1), hr[i]));
    }
    v
}

const LIVE: &str = "SELECT session_id, athlete_id, exercise, started_at, readings, last_seq, last_ts, sets, reps,
    full_range_reps, tonnage_kg, max_load_kg, distance_m, duration_s, avg_heart_rate, max_heart_rate, avg_speed_kmh,
    reps_per_min_max, state FROM fitflow.live_sessions ORDER BY session_id";
const WORKOUTS: &str = "SELECT * FROM fitflow.workouts ORDER BY session_id";

#[test]
fn hand_computed_aggregates_and_workouts() {
    let db = "fitflow_t_stream_fixture";
    let mut c = fresh_db(db, true);
    c.batch_execute(SETUP).unwrap();
    assert_eq!(copy(&mut c, &fixture_lines().concat()), 12);
    let r = c.query_one(
        "SELECT readings, last_seq, sets, reps, full_range_reps, tonnage_kg, max_load_kg, duration_s, reps_per_min_max
           FROM fitflow.live_sessions WHERE session_id = 1", &[]).unwrap();
    // 7 readings; 2 sets; 7 reps; rom >= 0.9: reps 1,2,4,5,7 = 5; tonnage 4*60 + 3*70 = 450;
    // max load 70; duration 08:00:03 -> 08:02:08 = 125 s; best 60-s window: 08:00:03..08:00:12 = 4
    // reps, 08:02:00..08:02:08 = 3 -> 4.
    assert_eq!(r.get::<_, i64>(0), 7);
    assert_eq!(r.get::<_, Option<i32>>(1), Some(7));
    assert_eq!(r.get::<_, i32>(2), 2);
    assert_eq!(r.get::<_, i64>(3), 7);
    assert_eq!(r.get::<_, i64>(4), 5);
    assert_eq!(r.get::<_, f64>(5), 450.0);
    assert_eq!(r.get::<_, Option<f64>>(6), Some(70.0));
    assert_eq!(r.get::<_, f64>(7), 125.0);
    assert_eq!(r.get::<_, i32>(8), 4);
    let r = c.query_one(
        "SELECT readings, distance_m, duration_s, avg_heart_rate, max_heart_rate, avg_speed_kmh, reps
           FROM fitflow.live_sessions WHERE session_id = 2", &[]).unwrap();
    // 5 samples, distance 15 m, 4 s, mean HR (120+124+128+132)/4 = 126, max 132, speed 10.8.
    assert_eq!(r.get::<_, i64>(0), 5);
    assert_eq!(r.get::<_, Option<f64>>(1), Some(15.0));
    assert_eq!(r.get::<_, f64>(2), 4.0);
    assert_eq!(r.get::<_, Option<f64>>(3), Some(126.0));
    assert_eq!(r.get::<_, Option<i32>>(4), Some(132));
    let speed: f64 = r.get::<_, Option<f64>>(5).unwrap();
    assert!((speed - 10.8).abs() < 1e-5, "{speed}");
    assert_eq!(r.get::<_, i64>(6), 0);

    // The SQL aggregate over stored readings gives the live buffer's numbers.
    let agg = digest(&mut c, "SELECT (fitflow.session_agg(r ORDER BY seq DESC)).* FROM fitflow.readings r WHERE session_id = 1");
    let live = digest(&mut c, "SELECT readings, last_seq, last_ts, sets, reps, full_range_reps, tonnage_kg, max_load_kg,
        distance_m, duration_s, avg_heart_rate, max_heart_rate, avg_speed_kmh, reps_per_min_max
        FROM fitflow.live_sessions WHERE session_id = 1");
    assert_eq!(agg, live);

    // Save: est 1RM = best Epley set: set 1 60*(1+4/30) = 68.0, set 2 70*(1+3/30) = 77.0 -> 77.
    let r = c.query_one("SELECT est_1rm_kg, vo2_ml_kg_min, kcal, readings FROM fitflow.end_session(1, '2026-12-01 08:05+00')", &[]).unwrap();
    assert!((r.get::<_, Option<f64>>(0).unwrap() - 77.0).abs() < 1e-9);
    assert_eq!(r.get::<_, Option<f64>>(1), None);
    assert_eq!(r.get::<_, i64>(3), 7);
    // Treadmill 10.8 km/h = 180 m/min, 0 %: ACSM running 0.2*180 + 3.5 = 39.5 ml/kg/min,
    // MET 11.2857; kcal = MET*3.5*70/200 per min * 4 s / 60 = 39.5*70/200*(4/60) = 0.92167.
    let r = c.query_one("SELECT vo2_ml_kg_min, met, kcal, distance_m FROM fitflow.end_session(2, '2026-12-01 09:10+00')", &[]).unwrap();
    let vo2: f64 = r.get::<_, Option<f64>>(0).unwrap();
    assert!((vo2 - 39.5).abs() < 1e-4, "{vo2}");
    assert!((r.get::<_, Option<f64>>(1).unwrap() - 39.5 / 3.5).abs() < 1e-4);
    assert!((r.get::<_, Option<f64>>(2).unwrap() - 39.5 * 70.0 / 200.0 * 4.0 / 60.0).abs() < 1e-4);
    assert_eq!(r.get::<_, Option<f64>>(3), Some(15.0));
    assert_eq!(c.query_one("SELECT count(*) FROM fitflow.live_sessions", &[]).unwrap().get::<_, i64>(0), 0);
    drop(c);
    drop_db(db);
}

/// Delivers the fixture in a given order and batching; returns digests of live_sessions,
/// rejected_readings (reason) and workouts after ending both sessions.
fn deliver(db: &str, batches: &[Vec<String>]) -> (String, String, String) {
    let mut c = fresh_db(db, true);
    c.batch_execute(SETUP).unwrap();
    for b in batches {
        copy(&mut c, &b.concat());
    }
    let live = digest(&mut c, LIVE);
    let rejected = digest(&mut c, "SELECT session_id, seq, reason FROM fitflow.rejected_readings ORDER BY 1, 2, 3");
    c.batch_execute("SELECT fitflow.end_session(1, '2026-12-01 08:05+00'); SELECT fitflow.end_session(2, '2026-12-01 09:10+00');").unwrap();
    let workouts = digest(&mut c, WORKOUTS);
    drop(c);
    drop_db(db);
    (live, rejected, workouts)
}

#[test]
fn in_order_shuffled_and_resent_deliveries_agree() {
    let lines = fixture_lines();
    let in_order = deliver("fitflow_t_order_a", &[lines.clone()]);
    let mut rng = Rng::new(7);
    for trial in 0..4 {
        let mut shuffled = lines.clone();
        for i in (1..shuffled.len()).rev() {
            let j = rng.range(0, i as i64) as usize;
            shuffled.swap(i, j);
        }
        // Cut into random batches; resend a random prefix of every batch afterwards, and a
        // duplicate inside one batch.
        let mut batches: Vec<Vec<String>> = Vec::new();
        let mut k = 0;
        while k < shuffled.len() {
            let n = rng.range(1, 4) as usize;
            batches.push(shuffled[k..(k + n).min(shuffled.len())].to_vec());
            k += n;
        }
        let resend: Vec<String> = batches.iter().flat_map(|b| b[..1].to_vec()).collect();
        batches.push(resend);
        let dup = batches[0][0].clone();
        batches[0].push(dup);
        let got = deliver(&format!("fitflow_t_order_{trial}"), &batches);
        assert_eq!(got, in_order, "trial {trial}: shuffled, batched and resent delivery differs");
    }
    assert!(in_order.1.starts_with("0:"), "no rejections: {}", in_order.1);
}

#[test]
fn every_rejection_reason_is_kept_and_good_rows_land() {
    let db = "fitflow_t_reject";
    let mut c = fresh_db(db, true);
    c.batch_execute(SETUP).unwrap();
    c.batch_execute("INSERT INTO fitflow.sessions VALUES (3, 1, 'tm-1', '2026-12-01 07:00+00', '2026-12-01 07:30+00')").unwrap();
    copy(&mut c, "2,1,2026-12-01 09:00:01+00,,,,,100,10,0,120,\n");
    let csv = "\
1,1,2026-12-01 08:00:03+00,1,1,60,0.95,,,,,
9,1,2026-12-01 08:00:03+00,1,1,60,0.95,,,,,
3,1,2026-12-01 07:10:00+00,,,,,10,10,0,120,
1,2,2026-12-01 07:59:59+00,1,1,60,0.95,,,,,
1,3,2026-12-01 08:00:09+00,1,1,1200,0.95,,,,,
1,4,2026-12-01 08:00:09+00,1,1,60,1.5,,,,,
2,2,2026-12-01 09:00:02+00,,,,,90,10,0,120,
2,3,2026-12-01 09:00:03+00,,,,,110,10,0,300,
2,4,2026-12-01 09:00:04+00,,,,,120,55,0,120,
2,1,2026-12-01 09:00:01+00,,,,,100,10,0,121,
1,1,2026-12-01 08:00:03+00,1,1,60,0.95,,,,,
,5,2026-12-01 08:00:09+00,1,1,60,0.95,,,,,
2,5,2026-12-01 09:00:05+00,,,,,130,10,0,125,
";
    assert_eq!(copy(&mut c, csv), 2, "only the two good new rows are stored; the resend is a no-op");
    let got: Vec<(Option<i64>, Option<i32>, String)> = c
        .query("SELECT session_id, seq, reason FROM fitflow.rejected_readings ORDER BY session_id NULLS FIRST, seq", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let want: Vec<(Option<i64>, Option<i32>, String)> = vec![
        (None, Some(5), "missing_key".into()),
        (Some(1), Some(2), "before_session_start".into()),
        (Some(1), Some(3), "invalid_value".into()),
        (Some(1), Some(4), "invalid_value".into()),
        (Some(2), Some(1), "conflict".into()),
        (Some(2), Some(2), "distance_backwards".into()),
        (Some(2), Some(3), "invalid_value".into()),
        (Some(2), Some(4), "invalid_value".into()),
        (Some(3), Some(1), "session_ended".into()),
        (Some(9), Some(1), "unknown_session".into()),
    ];
    assert_eq!(got, want);
    let detail: String = c
        .query_one("SELECT detail FROM fitflow.rejected_readings WHERE session_id = 1 AND seq = 3", &[])
        .unwrap()
        .get(0);
    assert!(detail.contains("load_kg") && detail.contains("1200"), "{detail}");
    assert_eq!(
        digest(&mut c, "SELECT session_id, seq FROM fitflow.readings ORDER BY 1, 2"),
        digest(&mut c, "VALUES (1::bigint, 1), (2, 1), (2, 5)")
    );
    let live: i64 = c.query_one("SELECT readings FROM fitflow.live_sessions WHERE session_id = 2", &[]).unwrap().get(0);
    assert_eq!(live, 2);
    // Direct INSERT goes through the same stage; UPDATE and DELETE are refused.
    let e = c.batch_execute("UPDATE fitflow.readings SET reps = 2").unwrap_err();
    assert_eq!(sqlstate(&e), "0A000", "{}", error_text(&e));
    assert!(error_text(&e).contains("append-only"));
    let e = c.batch_execute("DELETE FROM fitflow.readings").unwrap_err();
    assert_eq!(sqlstate(&e), "0A000");
    drop(c);
    drop_db(db);
}

#[test]
fn end_session_twice_and_bad_arguments() {
    let db = "fitflow_t_end_twice";
    let mut c = fresh_db(db, true);
    c.batch_execute(SETUP).unwrap();
    copy(&mut c, &fixture_lines().concat());
    let first = digest(&mut c, "SELECT * FROM fitflow.end_session(1, '2026-12-01 08:05+00')");
    let second = digest(&mut c, "SELECT * FROM fitflow.end_session(1, '2026-12-01 09:00+00')");
    assert_eq!(first, second, "a second call returns the same row");
    assert_eq!(digest(&mut c, WORKOUTS), first);
    let ended: String = c.query_one("SELECT ended_at::text FROM fitflow.sessions WHERE session_id = 1", &[]).unwrap().get(0);
    assert_eq!(ended, "2026-12-01 08:05:00+00");
    let e = c.batch_execute("SELECT fitflow.end_session(99, '2026-12-01 08:05+00')").unwrap_err();
    assert_eq!(sqlstate(&e), "42704");
    assert!(error_text(&e).contains("session 99 does not exist"));
    let e = c.batch_execute("SELECT fitflow.end_session(2, '2026-12-01 08:05+00')").unwrap_err();
    assert_eq!(sqlstate(&e), "22023");
    assert!(error_text(&e).contains("before the session start"), "{}", error_text(&e));
    // A reading for an ended session is rejected, and the workout is unchanged.
    copy(&mut c, "1,8,2026-12-01 08:04:00+00,2,1,70,0.9,,,,,\n");
    let reason: String = c.query_one("SELECT reason FROM fitflow.rejected_readings", &[]).unwrap().get(0);
    assert_eq!(reason, "session_ended");
    assert_eq!(digest(&mut c, WORKOUTS), first);
    drop(c);
    drop_db(db);
}

#[test]
fn compaction_then_rebuild_keeps_workouts() {
    let db = "fitflow_t_compact";
    let mut c = fresh_db(db, true);
    c.batch_execute(SETUP).unwrap();
    copy(&mut c, &fixture_lines().concat());
    c.batch_execute("SELECT fitflow.end_session(1, '2026-12-01 08:05+00')").unwrap();
    let before = digest(&mut c, "SELECT session_id, readings, tonnage_kg, est_1rm_kg FROM fitflow.workouts ORDER BY 1");
    let n: i64 = c.query_one("SELECT fitflow.compact_readings('0 seconds')", &[]).unwrap().get(0);
    assert_eq!(n, 7, "the 7 readings of the ended session are deleted; the open session keeps its 5");
    let left: i64 = c.query_one("SELECT count(*) FROM fitflow.readings", &[]).unwrap().get(0);
    assert_eq!(left, 5);
    let changed: i64 = c.query_one("SELECT fitflow.rebuild('workouts')", &[]).unwrap().get(0);
    assert_eq!(changed, 0, "rebuild keeps the compacted workout as it is");
    assert_eq!(digest(&mut c, "SELECT session_id, readings, tonnage_kg, est_1rm_kg FROM fitflow.workouts ORDER BY 1"), before);
    let changed: i64 = c.query_one("SELECT fitflow.rebuild('live_sessions')", &[]).unwrap().get(0);
    assert_eq!(changed, 0);
    let e = c.batch_execute("SELECT fitflow.compact_readings('-1 day')").unwrap_err();
    assert_eq!(sqlstate(&e), "22023");
    drop(c);
    drop_db(db);
}

#[test]
fn four_concurrent_copy_streams_lose_nothing() {
    let db = "fitflow_t_concurrent";
    let day = Day::generate(42, "2026-12-02", 60, 120);
    let mut c = fresh_db(db, true);
    c.batch_execute(&day.setup_sql()).unwrap();
    // Streams that share sessions (interleaved round-robin), so they contend on the same live rows.
    let lines: Vec<String> = day.rows.iter().map(|r| day.csv_line(r)).collect();
    let mut streams: Vec<Vec<String>> = vec![Vec::new(); 4];
    for (k, chunk) in lines.chunks(500).enumerate() {
        streams[k % 4].push(chunk.concat());
    }
    std::thread::scope(|scope| {
        for s in &streams {
            scope.spawn(move || {
                let mut c = connect(db);
                for b in s {
                    copy(&mut c, b);
                }
            });
        }
    });
    let stored: i64 = c.query_one("SELECT count(*) FROM fitflow.readings", &[]).unwrap().get(0);
    let rejected: i64 = c.query_one("SELECT count(*) FROM fitflow.rejected_readings", &[]).unwrap().get(0);
    assert_eq!((stored, rejected), (day.rows.len() as i64, 0));
    let live: i64 = c.query_one("SELECT sum(readings)::bigint FROM fitflow.live_sessions", &[]).unwrap().get(0);
    assert_eq!(live, stored);
    // The live buffers equal a rebuild from the stored readings.
    let before = digest(&mut c, LIVE);
    let changed: i64 = c.query_one("SELECT fitflow.rebuild('live_sessions')", &[]).unwrap().get(0);
    assert_eq!(changed, 0);
    assert_eq!(digest(&mut c, LIVE), before);
    // End every session; workouts equal a rebuild.
    for s in &day.sessions {
        c.execute("SELECT fitflow.end_session($1, $2::text::timestamptz)", &[&s.id, &day.end_ts(s)]).unwrap();
    }
    let w = digest(&mut c, WORKOUTS);
    let changed: i64 = c.query_one("SELECT fitflow.rebuild('workouts')", &[]).unwrap().get(0);
    assert_eq!(changed, 0);
    assert_eq!(digest(&mut c, WORKOUTS), w);
    drop(c);
    drop_db(db);
}

#[test]
fn a_bridge_role_with_the_documented_grants_can_copy() {
    let db = "fitflow_t_bridge_role";
    let mut c = fresh_db(db, true);
    c.batch_execute(SETUP).unwrap();
    c.batch_execute(
        "INSERT INTO fitflow.challenges VALUES (1, 'Any', '{\">=\":[{\"count\":[{\"workouts\":[]}]},3]}', now() - interval '1 day', now() + interval '1 day', NULL);
         SELECT fitflow.enroll(1, 1);
         DO $$ BEGIN
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fitflow_t_bridge') THEN CREATE ROLE fitflow_t_bridge LOGIN; END IF;
         END $$;
         GRANT USAGE ON SCHEMA fitflow TO fitflow_t_bridge;
         GRANT INSERT ON fitflow.readings, fitflow.rejected_readings TO fitflow_t_bridge;
         GRANT SELECT ON fitflow.sessions, fitflow.devices, fitflow.readings, fitflow.exercises,
                         fitflow.workouts, fitflow.enrollments, fitflow.challenges, fitflow.settings TO fitflow_t_bridge;
         GRANT SELECT, INSERT, UPDATE ON fitflow.live_sessions TO fitflow_t_bridge;
         GRANT UPDATE (session_id) ON fitflow.sessions TO fitflow_t_bridge;
         UPDATE fitflow.sessions SET started_at = now() - interval '1 hour';",
    )
    .unwrap();
    let conn = conninfo(db).replace("user=postgres", "user=fitflow_t_bridge");
    let mut b = postgres::Client::connect(&conn, postgres::NoTls).unwrap();
    let csv = "1,1,now,1,1,60,0.95,,,,,\n1,2,now,1,1,60,0.95,,,,,\n2,1,now,,,,,10,10,0,120,\n9,1,now,1,1,60,0.95,,,,,\n";
    // timestamptz input 'now' is the transaction start: after every session start.
    let mut w = b.copy_in(COPY_READINGS).unwrap();
    w.write_all(csv.as_bytes()).unwrap();
    assert_eq!(w.finish().unwrap(), 3);
    drop(b);
    let live: i64 = c.query_one("SELECT sum(readings)::bigint FROM fitflow.live_sessions", &[]).unwrap().get(0);
    let rejected: i64 = c.query_one("SELECT count(*) FROM fitflow.rejected_readings", &[]).unwrap().get(0);
    assert_eq!((live, rejected), (3, 1));
    // Without the grants, the bridge gets a clear privilege error rather than a silent loss.
    c.batch_execute("REVOKE SELECT ON fitflow.sessions FROM fitflow_t_bridge").unwrap();
    let mut b = postgres::Client::connect(&conn, postgres::NoTls).unwrap();
    let mut w = b.copy_in(COPY_READINGS).unwrap();
    w.write_all(b"1,3,now,1,1,60,0.95,,,,,\n").unwrap();
    let e = w.finish().unwrap_err();
    assert_eq!(sqlstate(&e), "42501", "{}", error_text(&e));
    drop(b);
    drop(c);
    drop_db(db);
    let _ = connect("postgres").batch_execute("DROP ROLE IF EXISTS fitflow_t_bridge");
}

/// end_session racing a bridge that is still streaming the same session: every reading ends up
/// either in the frozen workout or in rejected_readings as session_ended, never in both, never
/// lost, and no live row survives the end.
#[test]
fn end_session_racing_a_copy_loses_nothing() {
    let db = "fitflow_t_end_race";
    let mut c = fresh_db(db, true);
    c.batch_execute(SETUP).unwrap();
    let sent = 4000;
    let (halfway_tx, halfway_rx) = std::sync::mpsc::channel();
    let bridge = std::thread::spawn(move || {
        let mut b = connect(db);
        for chunk in 0..(sent / 50) {
            let mut csv = String::new();
            for k in 0..50 {
                let seq = chunk * 50 + k + 1;
                csv.push_str(&format!("2,{seq},2026-12-01 09:00:00+00,,,,,{},10,0,120,\n", seq));
            }
            copy(&mut b, &csv);
            if chunk == sent / 100 {
                let _ = halfway_tx.send(());
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    });
    halfway_rx.recv().unwrap();
    c.batch_execute("SELECT fitflow.end_session(2, '2026-12-01 10:00+00')").unwrap();
    bridge.join().unwrap();
    let in_workout: i64 = c.query_one("SELECT readings FROM fitflow.workouts WHERE session_id = 2", &[]).unwrap().get(0);
    let stored: i64 = c.query_one("SELECT count(*) FROM fitflow.readings WHERE session_id = 2", &[]).unwrap().get(0);
    let rejected: i64 = c
        .query_one("SELECT count(*) FROM fitflow.rejected_readings WHERE session_id = 2 AND reason = 'session_ended'", &[])
        .unwrap()
        .get(0);
    let live: i64 = c.query_one("SELECT count(*) FROM fitflow.live_sessions WHERE session_id = 2", &[]).unwrap().get(0);
    assert_eq!(in_workout, stored, "the workout holds exactly the stored readings");
    assert_eq!(stored + rejected, sent, "every reading is stored or rejected");
    assert_eq!(live, 0, "no live row after the end");
    assert!(stored > 0 && rejected > 0, "the race happened: stored {stored}, rejected {rejected}");
    drop(c);
    drop_db(db);
}
