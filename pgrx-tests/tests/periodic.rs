//! Periodic pipeline: hand-computed metrics and ranks, refresh = rebuild over random histories,
//! failed refreshes, pg_cron schedules.

use fitflow_tests::gym::Rng;
use fitflow_tests::*;
use postgres::Client;

const VIEWS: [&str; 3] = ["fitness_metrics", "fitness_profiles", "leaderboards"];

fn setup(c: &mut Client) {
    c.batch_execute(
        "INSERT INTO fitflow.athletes (athlete_id, display_name, sex, birth_date, body_mass_kg, gym, leaderboard_opt_out) VALUES
            (1, 'Ada',   'female', '1990-06-01', 60,  'north', false),
            (2, 'Ben',   'male',   '1985-01-15', 80,  'north', false),
            (3, 'Cleo',  'female', '2000-03-10', 55,  'south', false),
            (4, 'Dan',   'male',   '1970-12-01', 90,  'south', true),
            (5, 'Eve',   'other',  NULL,         70,  NULL,    false);
         INSERT INTO fitflow.devices VALUES ('tm-1', 'treadmill', 'north'), ('cp-1', 'chest_press', 'north');",
    )
    .unwrap();
}

/// A treadmill workout: two samples, cumulative distance 0 then `meters`, `secs` apart.
fn treadmill(c: &mut Client, sid: i64, athlete: i64, end: &str, secs: i64, meters: f64) {
    c.execute(
        "WITH s AS (INSERT INTO fitflow.sessions VALUES ($1, $2, 'tm-1', $3::text::timestamptz - make_interval(secs => $4::float8), NULL) RETURNING started_at)
         SELECT 1 FROM s",
        &[&sid, &athlete, &end, &(secs as f64)],
    )
    .unwrap();
    c.execute(
        "INSERT INTO fitflow.readings (session_id, seq, ts, distance_m, speed_kmh)
         SELECT $1, 1, started_at, 0, 10 FROM fitflow.sessions WHERE session_id = $1
         UNION ALL SELECT $1, 2, $2::text::timestamptz, $3::real, 10",
        &[&sid, &end, &(meters as f32)],
    )
    .unwrap();
    c.execute("SELECT fitflow.end_session($1, $2::text::timestamptz)", &[&sid, &end]).unwrap();
}

/// A chest-press workout: one set of `reps` reps at `load` kg, 3 s apart, ending at `end`.
fn press(c: &mut Client, sid: i64, athlete: i64, end: &str, load: f64, reps: i32) {
    c.execute(
        "INSERT INTO fitflow.sessions VALUES ($1, $2, 'cp-1', $3::text::timestamptz - make_interval(secs => 3 * $4::float8 + 3), NULL)",
        &[&sid, &athlete, &end, &(reps as f64)],
    )
    .unwrap();
    c.execute(
        "INSERT INTO fitflow.readings (session_id, seq, ts, set_no, reps, load_kg, rom)
         SELECT $1, g, $2::text::timestamptz - make_interval(secs => 3 * ($3::int - g + 1)), 1, 1, $4::real, 0.95
           FROM generate_series(1, $3::int) g",
        &[&sid, &end, &reps, &(load as f32)],
    )
    .unwrap();
    c.execute("SELECT fitflow.end_session($1, $2::text::timestamptz)", &[&sid, &end]).unwrap();
}

fn refresh_all(c: &mut Client) {
    for v in VIEWS {
        let n: Option<i64> = c.query_one("SELECT fitflow.refresh($1)", &[&v]).unwrap().get(0);
        assert!(n.is_some(), "refresh of {v} failed");
    }
}

fn digests(c: &mut Client) -> Vec<String> {
    vec![
        digest(c, "SELECT * FROM fitflow.fitness_metrics ORDER BY athlete_id, exercise, metric"),
        digest(c, "SELECT * FROM fitflow.fitness_profiles ORDER BY athlete_id"),
        digest(c, "SELECT * FROM fitflow.leaderboards ORDER BY month, board, scope, scope_value, athlete_id"),
    ]
}

#[test]
fn hand_computed_metrics_and_ranks_with_ties_opt_outs_and_a_non_utc_month() {
    let db = "fitflow_t_periodic_fixture";
    let mut c = fresh_db(db, true);
    c.batch_execute("SELECT fitflow.set_timezone('America/New_York')").unwrap();
    setup(&mut c);
    // 2026-12-01 03:00 UTC is 2026-11-30 22:00 in New York: November.
    treadmill(&mut c, 11, 1, "2026-12-01 03:00+00", 1800, 5000.0);
    treadmill(&mut c, 12, 2, "2026-11-20 12:00+00", 1500, 5000.0);
    treadmill(&mut c, 13, 3, "2026-11-21 12:00+00", 1200, 3000.0);
    treadmill(&mut c, 14, 4, "2026-11-22 12:00+00", 3600, 10000.0); // opted out
    treadmill(&mut c, 15, 5, "2026-11-23 12:00+00", 600, 1000.0);
    // 2026-12-01 06:00 UTC is 01:00 in New York: December.
    treadmill(&mut c, 16, 1, "2026-12-01 06:00+00", 900, 2000.0);
    press(&mut c, 21, 2, "2026-11-25 18:00+00", 60.0, 10);
    press(&mut c, 22, 2, "2026-11-28 18:00+00", 70.0, 5);
    refresh_all(&mut c);

    let rows: Vec<(String, String, i64, f64, i64)> = c
        .query(
            "SELECT scope, scope_value, athlete_id, value, rank FROM fitflow.leaderboards
              WHERE month = '2026-11-01' AND board = 'distance_run_km' ORDER BY scope, scope_value, rank, athlete_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    let s = |a: &str| a.to_string();
    // November distance: Ada 5 km (ends 22:00 New York on Nov 30), Ben 5 km, Cleo 3 km, Eve 1 km;
    // Dan (10 km) opted out. Ties share rank 1; the next rank is 3. Ages on 2026-11-01: Ada 36,
    // Ben 41, Cleo 26; Eve has no birth date and no gym, so she is only in 'all' and 'sex'.
    let want = vec![
        (s("age_group"), s("20-29"), 3, 3.0, 1),
        (s("age_group"), s("30-39"), 1, 5.0, 1),
        (s("age_group"), s("40-49"), 2, 5.0, 1),
        (s("all"), s("all"), 1, 5.0, 1),
        (s("all"), s("all"), 2, 5.0, 1),
        (s("all"), s("all"), 3, 3.0, 3),
        (s("all"), s("all"), 5, 1.0, 4),
        (s("gym"), s("north"), 1, 5.0, 1),
        (s("gym"), s("north"), 2, 5.0, 1),
        (s("gym"), s("south"), 3, 3.0, 1),
        (s("sex"), s("female"), 1, 5.0, 1),
        (s("sex"), s("female"), 3, 3.0, 2),
        (s("sex"), s("male"), 2, 5.0, 1),
        (s("sex"), s("other"), 5, 1.0, 1),
    ];
    assert_eq!(rows, want);
    // athlete_ranks: Cleo's places on the same board, any day of the month names the month.
    let cleo: Vec<(String, String, f64, i64)> = c
        .query("SELECT scope, scope_value, value, rank FROM fitflow.athlete_ranks(3, '2026-11-17') WHERE board = 'distance_run_km'", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        cleo,
        vec![(s("age_group"), s("20-29"), 3.0, 1), (s("all"), s("all"), 3.0, 3), (s("gym"), s("south"), 3.0, 1), (s("sex"), s("female"), 3.0, 2)]
    );
    // December: only Ada's 2 km.
    let dec: Vec<(i64, f64, i64)> = c
        .query("SELECT athlete_id, value, rank FROM fitflow.leaderboards WHERE month = '2026-12-01' AND board = 'distance_run_km' AND scope = 'all'", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(dec, vec![(1, 2.0, 1)]);
    // Dan never appears anywhere.
    let dan: i64 = c.query_one("SELECT count(*) FROM fitflow.leaderboards WHERE athlete_id = 4", &[]).unwrap().get(0);
    assert_eq!(dan, 0);
    // Weight lifted in November: Ben 60*10 + 70*5 = 950 kg; workouts board: Ben 3 (1 run + 2 presses).
    let (w, n): (f64, f64) = {
        let r = c.query_one(
            "SELECT (SELECT value FROM fitflow.leaderboards WHERE month='2026-11-01' AND board='weight_lifted_kg' AND scope='all' AND athlete_id=2),
                    (SELECT value FROM fitflow.leaderboards WHERE month='2026-11-01' AND board='workouts' AND scope='all' AND athlete_id=2)", &[]).unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!((w, n), (950.0, 3.0));
    // Active minutes: Ben 1500 s run + presses (30 s and 15 s between first and last rep) = 25.75 min.
    let m: f64 = c.query_one("SELECT value FROM fitflow.leaderboards WHERE month='2026-11-01' AND board='active_minutes' AND scope='all' AND athlete_id=2", &[]).unwrap().get(0);
    assert!((m - (1500.0 + 27.0 + 12.0) / 60.0).abs() < 1e-9, "{m}");

    // Metrics: Ben's best chest-press 1RM: Epley 60*(1+10/30) = 80, 70*(1+5/30) = 81.667 -> 81.667
    // from session 22; 7-day volume (window ends at his last workout, Nov 28): both presses = 950.
    let r = c.query_one("SELECT value, source_session_ids, formula FROM fitflow.fitness_metrics WHERE athlete_id = 2 AND exercise = 'chest_press' AND metric = 'est_1rm_kg'", &[]).unwrap();
    assert!((r.get::<_, f64>(0) - 70.0 * (1.0 + 5.0 / 30.0)).abs() < 1e-9);
    assert_eq!(r.get::<_, Vec<i64>>(1), vec![22]);
    assert!(r.get::<_, String>(2).starts_with("epley"));
    let v7: f64 = c.query_one("SELECT value FROM fitflow.fitness_metrics WHERE athlete_id = 2 AND exercise = 'chest_press' AND metric = 'volume_7d_kg'", &[]).unwrap().get(0);
    assert_eq!(v7, 950.0);
    // VO2max from cardio workouts (no heart rates on file): Ada ran 5000 m in 1800 s at a logged
    // 10 km/h: ACSM running 0.2 * 166.67 + 3.5 = 36.83 ml/kg/min, MET 10.52.
    let r = c.query_one("SELECT value FROM fitflow.fitness_metrics WHERE athlete_id = 1 AND exercise = 'all' AND metric = 'vo2max_ml_kg_min'", &[]).unwrap();
    assert!((r.get::<_, f64>(0) - (0.2 * 10000.0 / 60.0 + 3.5)).abs() < 1e-4);
    // Profiles: Ada, female, 36 on her last workout day, VO2max 36.83 -> cardio level from the
    // Cooper Institute table for women 30-39 (docs/periodic.md).
    let r = c.query_one("SELECT age, age_group, cardio_level, overall_level FROM fitflow.fitness_profiles WHERE athlete_id = 1", &[]).unwrap();
    assert_eq!((r.get::<_, Option<i32>>(0), r.get::<_, Option<String>>(1)), (Some(36), Some("30-39".into())));
    assert!(r.get::<_, Option<String>>(2).is_some());
    // Rebuild agrees.
    let before = digests(&mut c);
    for v in VIEWS {
        let n: i64 = c.query_one("SELECT fitflow.rebuild($1)", &[&v]).unwrap().get(0);
        assert_eq!(n, 0, "rebuild of {v} changed rows");
    }
    assert_eq!(digests(&mut c), before);
    drop(c);
    drop_db(db);
}

#[test]
fn refresh_equals_rebuild_over_random_histories() {
    for seed in 1..=3u64 {
        let db = format!("fitflow_t_periodic_prop_{seed}");
        let mut c = fresh_db(&db, true);
        c.batch_execute("SELECT fitflow.set_timezone('Europe/Berlin')").unwrap();
        setup(&mut c);
        let mut rng = Rng::new(seed * 7919);
        let mut sid = 100;
        for step in 0..40 {
            let athlete = rng.range(1, 5);
            let day = rng.range(1, 60);
            let hour = rng.range(0, 23);
            let end = format!("2026-10-01 00:00+00");
            let end: String = c
                .query_one("SELECT ($1::text::timestamptz + make_interval(days => $2, hours => $3))::text", &[&end, &(day as i32), &(hour as i32)])
                .unwrap()
                .get(0);
            match rng.range(0, 9) {
                0..=3 => {
                    sid += 1;
                    treadmill(&mut c, sid, athlete, &end, rng.range(300, 3000), rng.range(500, 9000) as f64);
                }
                4..=6 => {
                    sid += 1;
                    press(&mut c, sid, athlete, &end, 20.0 + rng.range(0, 20) as f64 * 2.5, rng.range(1, 12) as i32);
                }
                7 => {
                    // Correct a workout (e.g. a mis-calibrated machine).
                    c.execute("UPDATE fitflow.workouts SET tonnage_kg = tonnage_kg * 0.5, distance_m = distance_m * 0.9
                               WHERE session_id = (SELECT session_id FROM fitflow.workouts ORDER BY md5(session_id::text || $1) LIMIT 1)",
                              &[&step.to_string()]).unwrap();
                }
                8 => {
                    c.execute("DELETE FROM fitflow.workouts
                               WHERE session_id = (SELECT session_id FROM fitflow.workouts ORDER BY md5(session_id::text || $1) LIMIT 1)",
                              &[&step.to_string()]).unwrap();
                }
                _ => {
                    c.execute("UPDATE fitflow.athletes SET gym = CASE WHEN gym = 'north' THEN 'south' ELSE 'north' END,
                                      leaderboard_opt_out = NOT leaderboard_opt_out WHERE athlete_id = $1", &[&athlete]).unwrap();
                }
            }
            if rng.range(0, 4) == 0 {
                refresh_all(&mut c);
            }
        }
        refresh_all(&mut c);
        let refreshed = digests(&mut c);
        assert_eq!(
            digest(&mut c, "SELECT r.* FROM fitflow.athletes a CROSS JOIN LATERAL fitflow.athlete_ranks(a.athlete_id) r
                            ORDER BY month, board, scope, scope_value, athlete_id"),
            refreshed[2],
            "seed {seed}: athlete_ranks agrees with the leaderboards view"
        );
        for v in VIEWS {
            let n: i64 = c.query_one("SELECT fitflow.rebuild($1)", &[&v]).unwrap().get(0);
            assert_eq!(n, 0, "seed {seed}: rebuild of {v} differs from refresh");
        }
        assert_eq!(digests(&mut c), refreshed, "seed {seed}");
        drop(c);
        drop_db(&db);
    }
}

#[test]
fn a_failed_refresh_keeps_the_old_rows_and_records_the_error() {
    let db = "fitflow_t_periodic_fail";
    let mut c = fresh_db(db, true);
    setup(&mut c);
    press(&mut c, 1, 2, "2026-11-25 18:00+00", 60.0, 10);
    refresh_all(&mut c);
    let before = digests(&mut c);
    press(&mut c, 2, 2, "2026-11-26 18:00+00", 100.0, 5);
    // Something in the database makes the refresh fail half-way.
    c.batch_execute("ALTER TABLE fitflow.fitness_metrics ADD CONSTRAINT test_cap CHECK (metric <> 'est_1rm_kg' OR value < 100) NOT VALID").unwrap();
    let n: Option<i64> = c.query_one("SELECT fitflow.refresh('fitness_metrics')", &[]).unwrap().get(0);
    assert_eq!(n, None);
    assert_eq!(digests(&mut c)[0], before[0], "old rows kept");
    let (err, pending): (Option<String>, i64) = {
        let r = c.query_one("SELECT last_error, pending_invalidations FROM fitflow.views WHERE name = 'fitness_metrics'", &[]).unwrap();
        (r.get(0), r.get(1))
    };
    let err = err.unwrap();
    assert!(err.contains("test_cap") && err.contains("23514"), "{err}");
    assert!(pending > 0, "invalidations kept for the next refresh");
    c.batch_execute("ALTER TABLE fitflow.fitness_metrics DROP CONSTRAINT test_cap").unwrap();
    let n: Option<i64> = c.query_one("SELECT fitflow.refresh('fitness_metrics')", &[]).unwrap().get(0);
    assert!(n.unwrap() > 0);
    let err: Option<String> = c.query_one("SELECT last_error FROM fitflow.views WHERE name = 'fitness_metrics'", &[]).unwrap().get(0);
    assert_eq!(err, None);
    let e = c.batch_execute("SELECT fitflow.refresh('leaderboard')").unwrap_err();
    assert_eq!(sqlstate(&e), "22023");
    assert!(error_text(&e).contains("unrecognized view \"leaderboard\"") && error_text(&e).contains("'leaderboards'"));
    // Without pg_cron in this database, schedule explains how to get it.
    let e = c.batch_execute("SELECT fitflow.schedule('leaderboards', '*/5 * * * *')").unwrap_err();
    assert_eq!(sqlstate(&e), "55000");
    assert!(error_text(&e).contains("shared_preload_libraries"));
    drop(c);
    drop_db(db);
}

/// pg_cron runs jobs only in its cron.database_name, which is fitflow_demo on the local cluster
/// (scripts/lib.sh); the test uses that database without dropping it.
#[test]
fn a_pg_cron_job_is_created_runs_and_is_unscheduled() {
    let db = "fitflow_demo";
    let mut admin = connect("postgres");
    let exists: i64 = admin.query_one("SELECT count(*) FROM pg_database WHERE datname = $1", &[&db]).unwrap().get(0);
    if exists == 0 {
        admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    }
    let mut c = connect(db);
    c.batch_execute("CREATE EXTENSION IF NOT EXISTS pg_cron; CREATE EXTENSION IF NOT EXISTS fitflow CASCADE").unwrap();
    // A demo database left by an older build of the same version lacks the function: recreate.
    let stale: bool = c.query_one("SELECT to_regprocedure('fitflow.schedule(text,text)') IS NULL", &[]).unwrap().get(0);
    if stale {
        c.batch_execute("DROP EXTENSION fitflow CASCADE; CREATE EXTENSION fitflow").unwrap();
    }
    let _ = c.batch_execute("SELECT cron.unschedule('fitflow:fitness_profiles')");
    let job: i64 = c.query_one("SELECT fitflow.schedule('fitness_profiles', '* * * * *')", &[]).unwrap().get(0);
    let again: i64 = c.query_one("SELECT fitflow.schedule('fitness_profiles', '* * * * *')", &[]).unwrap().get(0);
    assert_eq!(job, again, "scheduling twice updates the same job");
    let (name, cmd): (String, String) = {
        let r = c.query_one("SELECT jobname, command FROM cron.job WHERE jobid = $1", &[&job]).unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(name, "fitflow:fitness_profiles");
    assert_eq!(cmd, "SELECT fitflow.refresh('fitness_profiles')");
    let schedule: Option<String> = c.query_one("SELECT schedule FROM fitflow.views WHERE name = 'fitness_profiles'", &[]).unwrap().get(0);
    assert_eq!(schedule.as_deref(), Some("* * * * *"));
    // Wait for pg_cron (minute granularity in 1.4) to run it.
    let mut ran = false;
    for _ in 0..90 {
        let n: i64 = c
            .query_one("SELECT count(*) FROM cron.job_run_details WHERE jobid = $1 AND status = 'succeeded'", &[&job])
            .unwrap()
            .get(0);
        if n > 0 {
            ran = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    assert!(ran, "pg_cron ran fitflow:fitness_profiles within 90 s");
    let end: Option<String> = c.query_one("SELECT last_refresh_end::text FROM fitflow.views WHERE name = 'fitness_profiles'", &[]).unwrap().get(0);
    assert!(end.is_some());
    let ok: bool = c.query_one("SELECT fitflow.unschedule('fitness_profiles')", &[]).unwrap().get(0);
    assert!(ok);
    let e = c.batch_execute("SELECT fitflow.unschedule('fitness_profiles')").unwrap_err();
    assert_eq!(sqlstate(&e), "42704");
}
