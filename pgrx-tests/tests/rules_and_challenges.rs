//! Rule engine in SQL and the on-demand challenge pipeline.

use fitflow_tests::gym::Rng;
use fitflow_tests::*;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};
use serde_json::Value;

fn conformance_cases() -> Vec<(Value, Value, Value)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/conformance/jsonlogic-tests.json");
    let text = std::fs::read_to_string(path).unwrap();
    let all: Vec<Value> = serde_json::from_str(&text).unwrap();
    all.into_iter()
        .filter_map(|c| match c {
            Value::Array(v) if v.len() == 3 => Some((v[0].clone(), v[1].clone(), v[2].clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn jsonlogic_in_sql_passes_the_whole_conformance_suite() {
    let db = "fitflow_t_jsonlogic";
    let mut c = fresh_db(db, true);
    let cases = conformance_cases();
    assert_eq!(cases.len(), 277);
    let mut failures = Vec::new();
    for (rule, data, expected) in &cases {
        let got: Value = c
            .query_one("SELECT fitflow.jsonlogic($1::text::jsonb, $2::text::jsonb)::text", &[&rule.to_string(), &data.to_string()])
            .map(|r| serde_json::from_str(&r.get::<_, String>(0)).unwrap())
            .unwrap_or_else(|e| Value::String(format!("ERROR {}", error_text(&e))));
        let same = match (&got, expected) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            _ => &got == expected,
        };
        if !same {
            failures.push(format!("{rule} {data}: expected {expected}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{} of 277 failed:\n{}", failures.len(), failures.join("\n"));
    drop(c);
    drop_db(db);
}

#[test]
fn invalid_rules_report_sqlstate_and_json_pointer() {
    let db = "fitflow_t_rule_errors";
    let mut c = fresh_db(db, true);
    let cases = [
        (r#"{"and": [{">=": [{"count": [{"workouts": [{"==": [{"var": "exercize"}, "x"]}]}]}, 1]}]}"#, "/and/0/>=/0/count/0/workouts/0/==/0/var", "exercize"),
        (r#"{">=": [{"count": [{"workouts": []}]}, "ten"]}"#, "/>=/1", "ten"),
        (r#"{"sumx": [1]}"#, "\"\"", "sumx"),
        ("not json", "", "not valid JSON"),
    ];
    for (rule, pointer, word) in cases {
        let e = c.query_one("SELECT $1::text::fitflow.rule::text", &[&rule]).unwrap_err();
        assert_eq!(sqlstate(&e), "22P02", "{rule}: {}", error_text(&e));
        let t = error_text(&e);
        assert!(t.contains(pointer) && t.contains(word), "{rule}: {t}");
    }
    // Canonical output and the jsonb casts round-trip.
    let a: String = c.query_one(r#"SELECT '{"!": true}'::fitflow.rule::text"#, &[]).unwrap().get(0);
    let b: String = c.query_one(r#"SELECT ('{"!": [true]}'::jsonb::fitflow.rule)::jsonb::fitflow.rule::text"#, &[]).unwrap().get(0);
    assert_eq!(a, b);
    drop(c);
    drop_db(db);
}

const SETUP: &str = "
    INSERT INTO fitflow.athletes (athlete_id, display_name, sex, body_mass_kg, gym) VALUES
        (1, 'Ada', 'female', 60, 'north'), (2, 'Ben', 'male', 80, 'south');
    INSERT INTO fitflow.devices VALUES ('cp-1', 'chest_press', 'north'), ('tm-1', 'treadmill', 'north');
    -- Ten chest-press workouts of at least 10 reps and one hour on the treadmill.
    INSERT INTO fitflow.challenges VALUES (1, 'Press and run',
        '{\"and\":[{\">=\":[{\"count\":[{\"workouts\":[{\"and\":[{\"==\":[{\"var\":\"exercise\"},\"chest_press\"]},{\">=\":[{\"var\":\"reps\"},10]}]}]}]},10]},{\">=\":[{\"sum\":[{\"workouts\":[{\"==\":[{\"var\":\"exercise\"},\"treadmill\"]}]},\"duration_s\"]},3600]}]}',
        '2026-11-01', '2027-02-01', NULL),
        (2, 'North gym streak', '{\">=\":[{\"streak_days\":[{\"workouts\":[]}]},3]}', '2026-11-01', '2027-02-01', 'north');";

/// A chest-press workout of `reps` reps ending at `end` (session `sid`).
fn press(c: &mut Client, sid: i64, athlete: i64, end: &str, reps: i32) {
    c.execute(
        "INSERT INTO fitflow.sessions VALUES ($1, $2, 'cp-1', $3::text::timestamptz - make_interval(secs => 3 * $4::int + 3), NULL)",
        &[&sid, &athlete, &end, &reps],
    )
    .unwrap();
    c.execute(
        "INSERT INTO fitflow.readings (session_id, seq, ts, set_no, reps, load_kg, rom)
         SELECT $1, g, $2::text::timestamptz - make_interval(secs => 3 * ($3::int - g + 1)), 1, 1, 50, 0.95 FROM generate_series(1, $3::int) g",
        &[&sid, &end, &reps],
    )
    .unwrap();
    c.execute("SELECT fitflow.end_session($1, $2::text::timestamptz)", &[&sid, &end]).unwrap();
}

fn run(c: &mut Client, sid: i64, athlete: i64, end: &str, secs: i32) {
    c.execute(
        "INSERT INTO fitflow.sessions VALUES ($1, $2, 'tm-1', $3::text::timestamptz - make_interval(secs => $4::int), NULL)",
        &[&sid, &athlete, &end, &secs],
    )
    .unwrap();
    c.execute(
        "INSERT INTO fitflow.readings (session_id, seq, ts, distance_m, speed_kmh)
         SELECT $1, 1, started_at, 0, 10 FROM fitflow.sessions WHERE session_id = $1
         UNION ALL SELECT $1, 2, $2::text::timestamptz, 100, 10",
        &[&sid, &end],
    )
    .unwrap();
    c.execute("SELECT fitflow.end_session($1, $2::text::timestamptz)", &[&sid, &end]).unwrap();
}

fn result(c: &mut Client, challenge: i64, athlete: i64) -> (f64, bool, Option<String>) {
    let r = c
        .query_one(
            "SELECT progress, complete, completed_at::text FROM fitflow.challenge_results WHERE challenge_id = $1 AND athlete_id = $2",
            &[&challenge, &athlete],
        )
        .unwrap();
    (r.get(0), r.get(1), r.get(2))
}

#[test]
fn results_follow_a_scripted_history() {
    let db = "fitflow_t_challenge_script";
    let mut c = fresh_db(db, true);
    c.batch_execute("SET TimeZone = 'UTC'").unwrap();
    c.batch_execute(SETUP).unwrap();
    // A workout before enrollment counts: enrolling evaluates at once from the history.
    press(&mut c, 1, 1, "2026-11-02 08:00+00", 10);
    let r: f64 = c.query_one("SELECT progress FROM fitflow.enroll(1, 1)", &[]).unwrap().get(0);
    // and = mean of children: count 1/10 = 0.1, treadmill 0/3600 = 0 -> 0.05.
    assert!((r - 0.05).abs() < 1e-12, "{r}");
    press(&mut c, 2, 1, "2026-11-03 08:00+00", 9); // 9 reps: does not count
    assert!((result(&mut c, 1, 1).0 - 0.05).abs() < 1e-12);
    run(&mut c, 3, 1, "2026-11-04 08:00+00", 1800);
    // count 0.1, treadmill 1800/3600 = 0.5 -> 0.3.
    assert!((result(&mut c, 1, 1).0 - 0.3).abs() < 1e-12);
    for k in 0..9 {
        press(&mut c, 10 + k, 1, &format!("2026-11-{:02} 08:00+00", 5 + k), 12);
    }
    // count 10/10 = 1, treadmill 0.5 -> 0.75; not complete.
    let (p, done, at) = result(&mut c, 1, 1);
    assert!((p - 0.75).abs() < 1e-12 && !done && at.is_none(), "{p} {done} {at:?}");
    run(&mut c, 30, 1, "2026-11-20 08:00+00", 1800);
    let (p, done, at) = result(&mut c, 1, 1);
    assert_eq!((p, done, at.as_deref()), (1.0, true, Some("2026-11-20 08:00:00+00")));
    // A later workout does not move the completion time.
    run(&mut c, 31, 1, "2026-11-21 08:00+00", 600);
    assert_eq!(result(&mut c, 1, 1).2.as_deref(), Some("2026-11-20 08:00:00+00"));
    // Gym challenge: Ben (south) cannot enroll; Ada can; three consecutive days Nov 2, 3, 4.
    let e = c.batch_execute("SELECT fitflow.enroll(2, 2)").unwrap_err();
    assert_eq!(sqlstate(&e), "22023");
    let (p, done, at) = {
        let r = c.query_one("SELECT progress, complete, completed_at::text FROM fitflow.enroll(2, 1)", &[]).unwrap();
        (r.get::<_, f64>(0), r.get::<_, bool>(1), r.get::<_, Option<String>>(2))
    };
    assert_eq!((p, done, at.as_deref()), (1.0, true, Some("2026-11-04 08:00:00+00")));
    // Enrolling twice, in an unknown challenge, in an ended one, with a broken override.
    let e = c.batch_execute("SELECT fitflow.enroll(1, 1)").unwrap_err();
    assert_eq!(sqlstate(&e), "23505", "{}", error_text(&e));
    let e = c.batch_execute("SELECT fitflow.enroll(42, 1)").unwrap_err();
    assert_eq!(sqlstate(&e), "23503");
    c.batch_execute("INSERT INTO fitflow.challenges VALUES (3, 'Old', '{\">=\":[{\"count\":[{\"workouts\":[]}]},1]}', '2020-01-01', '2020-02-01', NULL)").unwrap();
    let e = c.batch_execute("SELECT fitflow.enroll(3, 1)").unwrap_err();
    assert_eq!(sqlstate(&e), "55000");
    let e = c.batch_execute("SELECT fitflow.enroll(1, 2, '{\"and\": [{\"count\": 3}]}')").unwrap_err();
    assert_eq!(sqlstate(&e), "22P02", "{}", error_text(&e));
    // Rebuild equals the on-demand rows.
    let before = digest(&mut c, "SELECT * FROM fitflow.challenge_results ORDER BY 1, 2");
    let n: i64 = c.query_one("SELECT fitflow.rebuild('challenge_results')", &[]).unwrap().get(0);
    assert_eq!(n, 0);
    assert_eq!(digest(&mut c, "SELECT * FROM fitflow.challenge_results ORDER BY 1, 2"), before);
    // Changing the rule re-evaluates at once (few enrollments) with a new rule version.
    c.batch_execute("UPDATE fitflow.challenges SET rule = '{\">=\":[{\"count\":[{\"workouts\":[]}]},100]}' WHERE challenge_id = 1").unwrap();
    let (p, done, _) = result(&mut c, 1, 1);
    let v: i32 = c.query_one("SELECT rule_version FROM fitflow.challenge_results WHERE challenge_id = 1 AND athlete_id = 1", &[]).unwrap().get(0);
    // 11 chest-press + 3 treadmill workouts = 14 of 100.
    assert_eq!((p, done, v), (14.0 / 100.0, false, 2));
    // Above the limit, the change is queued for refresh.
    c.batch_execute("INSERT INTO fitflow.settings VALUES ('challenge_sync_limit', '0');
                     UPDATE fitflow.challenges SET rule = '{\">=\":[{\"count\":[{\"workouts\":[]}]},10]}' WHERE challenge_id = 1").unwrap();
    assert!((result(&mut c, 1, 1).0 - 0.14).abs() < 1e-12, "not yet re-evaluated");
    let n: i64 = c.query_one("SELECT fitflow.refresh('challenge_results')", &[]).unwrap().get(0);
    assert_eq!(n, 1);
    assert_eq!(result(&mut c, 1, 1).1, true);
    drop(c);
    drop_db(db);
}

#[test]
fn shuffled_replays_are_monotonic_and_agree() {
    let ends: Vec<String> = (0..12).map(|k| format!("2026-11-{:02} 0{}:00+00", 2 + k, k % 9)).collect();
    let mut finals = Vec::new();
    for seed in 1..=3u64 {
        let db = format!("fitflow_t_challenge_replay_{seed}");
        let mut c = fresh_db(&db, true);
        c.batch_execute(SETUP).unwrap();
        c.batch_execute("SELECT fitflow.enroll(1, 1)").unwrap();
        let mut order: Vec<usize> = (0..12).collect();
        let mut rng = Rng::new(seed);
        for i in (1..order.len()).rev() {
            order.swap(i, rng.range(0, i as i64) as usize);
        }
        let mut last = 0.0;
        for k in order {
            if k < 10 {
                press(&mut c, 100 + k as i64, 1, &ends[k], 10);
            } else {
                run(&mut c, 100 + k as i64, 1, &ends[k], 1800);
            }
            let (p, _, _) = result(&mut c, 1, 1);
            assert!(p >= last, "seed {seed}: progress went from {last} to {p}");
            last = p;
        }
        finals.push(digest(&mut c, "SELECT challenge_id, athlete_id, progress, complete, completed_at, detail FROM fitflow.challenge_results"));
        drop(c);
        drop_db(&db);
    }
    assert!(finals.windows(2).all(|w| w[0] == w[1]), "replays in different orders disagree: {finals:?}");
}

#[test]
fn a_broken_challenge_never_blocks_end_session() {
    let db = "fitflow_t_challenge_broken";
    let mut c = fresh_db(db, true);
    c.batch_execute(SETUP).unwrap();
    // A template-style rule whose required parameter was never filled cannot be evaluated.
    c.batch_execute("INSERT INTO fitflow.challenges VALUES (9, 'Broken', '{\">=\":[{\"count\":[{\"workouts\":[]}]},{\"param\":[\"target\"]}]}', '2026-11-01', '2027-02-01', NULL);
                     SELECT fitflow.enroll(9, 1); SELECT fitflow.enroll(1, 1);").unwrap();
    press(&mut c, 1, 1, "2026-11-02 08:00+00", 10);
    let saved: i64 = c.query_one("SELECT count(*) FROM fitflow.workouts", &[]).unwrap().get(0);
    assert_eq!(saved, 1, "the workout is saved");
    let err: Option<String> = c.query_one("SELECT last_error FROM fitflow.challenge_results WHERE challenge_id = 9", &[]).unwrap().get(0);
    assert!(err.unwrap().contains("target"));
    assert!((result(&mut c, 1, 1).0 - 0.05).abs() < 1e-12, "the healthy challenge still updates");
    let view_err: Option<String> = c.query_one("SELECT last_error FROM fitflow.views WHERE name = 'challenge_results'", &[]).unwrap().get(0);
    assert!(view_err.is_some());
    drop(c);
    drop_db(db);
}

#[test]
fn listeners_receive_challenge_and_live_payloads() {
    let db = "fitflow_t_challenge_notify";
    let mut c = fresh_db(db, true);
    c.batch_execute(SETUP).unwrap();
    c.batch_execute("SELECT fitflow.enroll(1, 1)").unwrap();
    let mut listener = Client::connect(&conninfo(db), NoTls).unwrap();
    listener.batch_execute("LISTEN fitflow_challenge; LISTEN fitflow_live").unwrap();
    press(&mut c, 1, 1, "2026-11-02 08:00+00", 10);
    // A session streaming now: the live payload counts it as if it ended now.
    c.batch_execute("INSERT INTO fitflow.sessions VALUES (50, 1, 'tm-1', now() - interval '40 minutes', NULL);
                     INSERT INTO fitflow.readings (session_id, seq, ts, distance_m, speed_kmh)
                     VALUES (50, 1, now() - interval '39 minutes', 0, 10), (50, 2, now() - interval '1 minute', 6000, 10);").unwrap();
    // Streaming the press readings already announced live progress; then end_session
    // announced the saved result; then session 50 streamed.
    let mut got: Vec<(String, Value)> = Vec::new();
    let mut it = listener.notifications();
    let mut iter = it.timeout_iter(std::time::Duration::from_secs(3));
    while let Some(n) = iter.next().unwrap() {
        got.push((n.channel().to_string(), serde_json::from_str(n.payload()).unwrap()));
    }
    let channels: Vec<&str> = got.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(channels, ["fitflow_live", "fitflow_challenge", "fitflow_live"], "{got:?}");
    assert_eq!(got[0].1["session_id"].as_i64(), Some(1));
    let p = &got[1].1;
    assert_eq!((p["challenge_id"].as_i64(), p["athlete_id"].as_i64(), p["complete"].as_bool()), (Some(1), Some(1), Some(false)));
    assert!((p["progress"].as_f64().unwrap() - 0.05).abs() < 1e-12);
    let p = &got[2].1;
    assert_eq!((p["athlete_id"].as_i64(), p["session_id"].as_i64()), (Some(1), Some(50)));
    // Live: count 1/10 -> 0.1; treadmill 38 min = 2280 s of 3600 -> 0.6333; mean 0.3667.
    let live = p["challenges"][0]["progress"].as_f64().unwrap();
    assert!((live - (0.1 + 2280.0 / 3600.0) / 2.0).abs() < 1e-9, "{live}");
    drop(c);
    drop_db(db);
}
