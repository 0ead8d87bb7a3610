//! Foundation: install, drop and reinstall; constraints; pg_dump/restore round trip.

use fitflow_tests::*;

#[test]
fn create_drop_create_in_one_database() {
    let db = "fitflow_t_lifecycle";
    let mut c = fresh_db(db, false);
    c.batch_execute("CREATE EXTENSION fitflow CASCADE").unwrap();
    let n: i64 = c.query_one("SELECT count(*) FROM fitflow.exercises", &[]).unwrap().get(0);
    assert_eq!(n, 14, "the seeded catalog has 14 exercises");
    c.batch_execute("INSERT INTO fitflow.athletes (athlete_id, display_name) VALUES (1, 'A')").unwrap();
    c.batch_execute("DROP EXTENSION fitflow").unwrap();
    // PostgreSQL creates the schema named in the control file but does not make it a member,
    // so an empty schema stays behind; every object of the extension is gone.
    let left: i64 = c
        .query_one(
            "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'fitflow'::regnamespace)
                  + (SELECT count(*) FROM pg_proc WHERE pronamespace = 'fitflow'::regnamespace)
                  + (SELECT count(*) FROM pg_type WHERE typnamespace = 'fitflow'::regnamespace)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "DROP EXTENSION removes every fitflow object");
    c.batch_execute("CREATE EXTENSION fitflow").unwrap();
    let n: i64 = c.query_one("SELECT count(*) FROM fitflow.exercises", &[]).unwrap().get(0);
    assert_eq!(n, 14);
    let a: i64 = c.query_one("SELECT count(*) FROM fitflow.athletes", &[]).unwrap().get(0);
    assert_eq!(a, 0);
    let names: Vec<String> = c
        .query("SELECT exercise FROM fitflow.exercises ORDER BY exercise", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        names,
        [
            "bench_press", "bike", "chest_press", "deadlift", "elliptical", "lat_pulldown", "leg_press",
            "pull_up", "push_up", "rower", "shoulder_press", "sit_up", "squat", "treadmill"
        ]
    );
    drop(c);
    drop_db(db);
}

#[test]
fn constraints_reject_bad_rows_and_keep_good_ones() {
    let db = "fitflow_t_constraints";
    let mut c = fresh_db(db, true);
    c.batch_execute(
        "INSERT INTO fitflow.athletes (athlete_id, display_name, sex, body_mass_kg, hr_rest, hr_max)
              VALUES (1, 'Ada', 'female', 61.5, 55, 185);
         INSERT INTO fitflow.devices VALUES ('tm-1', 'treadmill', 'north');
         INSERT INTO fitflow.sessions VALUES (10, 1, 'tm-1', '2026-12-01 08:00+00', NULL);",
    )
    .unwrap();
    // (statement, expected SQLSTATE, expected constraint or text in the message)
    let cases: &[(&str, &str, &str)] = &[
        ("INSERT INTO fitflow.athletes (athlete_id, body_mass_kg) VALUES (2, -70)", "23514", "athletes_body_mass_kg_check"),
        ("INSERT INTO fitflow.athletes (athlete_id, hr_rest, hr_max) VALUES (2, 190, 180)", "23514", "athletes_hr_rest_below_max"),
        ("INSERT INTO fitflow.athletes (athlete_id, hr_rest, hr_max) VALUES (2, 60, 60)", "23514", "athletes_hr_rest_below_max"),
        ("INSERT INTO fitflow.athletes (athlete_id, sex) VALUES (2, 'robot')", "23514", "athletes_sex_check"),
        ("INSERT INTO fitflow.athletes (athlete_id, display_name) VALUES (1, 'dup')", "23505", "athletes_pkey"),
        ("INSERT INTO fitflow.exercises VALUES ('yoga', 'stretching', 'Yoga')", "23514", "exercises_kind_check"),
        ("INSERT INTO fitflow.exercises VALUES ('Bad Name', 'cardio', 'x')", "23514", "exercises_exercise_check"),
        ("INSERT INTO fitflow.devices VALUES ('x-1', 'juggling', 'north')", "23503", "devices_exercise_fkey"),
        ("INSERT INTO fitflow.sessions VALUES (11, 99, 'tm-1', '2026-12-01 08:00+00', NULL)", "23503", "sessions_athlete_id_fkey"),
        ("INSERT INTO fitflow.sessions VALUES (11, 1, 'tm-1', '2026-12-01 08:00+00', '2026-12-01 07:00+00')", "23514", "sessions_end_after_start"),
        ("UPDATE fitflow.sessions SET ended_at = '2026-11-30' WHERE session_id = 10", "23514", "sessions_end_after_start"),
        ("INSERT INTO fitflow.sessions VALUES (11, 1, 'tm-1', 'infinity', NULL)", "23514", "sessions_started_at_finite"),
    ];
    for (sql, state, constraint) in cases {
        let e = c.batch_execute(sql).expect_err(sql);
        assert_eq!(sqlstate(&e), *state, "{sql}: {}", error_text(&e));
        let db_err = e.as_db_error().unwrap();
        assert_eq!(db_err.constraint(), Some(*constraint), "{sql}");
    }
    // The good rows are all still there and unchanged.
    assert_eq!(
        digest(&mut c, "SELECT athlete_id, display_name, sex, body_mass_kg, hr_rest, hr_max FROM fitflow.athletes ORDER BY 1"),
        digest(&mut c, "VALUES (1::bigint, 'Ada'::text, 'female'::text, 61.5::numeric, 55, 185)")
    );
    let open: bool = c.query_one("SELECT ended_at IS NULL FROM fitflow.sessions WHERE session_id = 10", &[]).unwrap().get(0);
    assert!(open);
    assert_eq!(c.query_one("SELECT count(*) FROM fitflow.exercises", &[]).unwrap().get::<_, i64>(0), 14);
    drop(c);
    drop_db(db);
}

#[test]
fn pg_dump_and_restore_round_trip() {
    let src = "fitflow_t_dump_src";
    let dst = "fitflow_t_dump_dst";
    let mut c = fresh_db(src, true);
    c.batch_execute(
        "INSERT INTO fitflow.exercises VALUES ('kettlebell_swing', 'weight', 'Kettlebell swing');
         INSERT INTO fitflow.athletes (athlete_id, display_name, sex, birth_date, body_mass_kg, height_cm, hr_rest, hr_max, gym)
              SELECT g, 'athlete ' || g, (ARRAY['female','male','other'])[1 + g % 3], DATE '1980-01-01' + g * 100,
                     55 + g % 40, 160 + g % 30, 50 + g % 10, 180 + g % 15, 'gym-' || g % 2
                FROM generate_series(1, 50) g;
         INSERT INTO fitflow.devices VALUES ('cp-1', 'chest_press', 'gym-0'), ('tm-1', 'treadmill', 'gym-1');
         INSERT INTO fitflow.sessions
              SELECT g, 1 + g % 50, CASE WHEN g % 2 = 0 THEN 'cp-1' ELSE 'tm-1' END,
                     TIMESTAMPTZ '2026-12-01 06:00+00' + g * interval '10 min', NULL
                FROM generate_series(1, 20) g;
         INSERT INTO fitflow.readings (session_id, seq, ts, set_no, reps, load_kg, rom)
              SELECT s, r, TIMESTAMPTZ '2026-12-01 06:00+00' + s * interval '10 min' + r * interval '3 s',
                     1 + (r - 1) / 10, 1, 40 + s, 0.85 + (r % 3) * 0.05
                FROM generate_series(2, 20, 2) s, generate_series(1, 30) r;
         INSERT INTO fitflow.readings (session_id, seq, ts, distance_m, speed_kmh, heart_rate)
              SELECT s, r, TIMESTAMPTZ '2026-12-01 06:00+00' + s * interval '10 min' + r * interval '1 s',
                     r * 2.5, 9.0, 120 + r % 30
                FROM generate_series(1, 19, 2) s, generate_series(1, 60) r;
         SELECT fitflow.set_timezone('Europe/Paris');
         INSERT INTO fitflow.challenges VALUES (1, 'Ten workouts', '{\">=\": [{\"count\": [{\"workouts\": []}]}, 10]}',
                                                '2026-11-01', '2099-01-01', NULL);
         SELECT fitflow.enroll(1, a) FROM generate_series(1, 50) a;
         SELECT fitflow.end_session(s, TIMESTAMPTZ '2026-12-01 06:00+00' + s * interval '10 min' + interval '5 min')
           FROM generate_series(1, 12) s;
         SELECT fitflow.refresh(v) FROM unnest(ARRAY['fitness_metrics', 'fitness_profiles', 'leaderboards']) v;",
    )
    .unwrap();
    let queries = [
        "SELECT * FROM fitflow.athletes ORDER BY athlete_id",
        "SELECT * FROM fitflow.sessions ORDER BY session_id",
        "SELECT * FROM fitflow.readings ORDER BY session_id, seq",
        "SELECT * FROM fitflow.exercises ORDER BY exercise",
        "SELECT * FROM fitflow.devices ORDER BY device_id",
        "SELECT session_id, readings, reps, tonnage_kg, distance_m FROM fitflow.live_sessions ORDER BY session_id",
        "SELECT * FROM fitflow.workouts ORDER BY session_id",
        "SELECT challenge_id, title, rule::text, starts_at, ends_at, rule_version FROM fitflow.challenges ORDER BY 1",
        "SELECT challenge_id, athlete_id, rule_override::text FROM fitflow.enrollments ORDER BY 1, 2",
        "SELECT * FROM fitflow.challenge_results ORDER BY 1, 2",
        "SELECT * FROM fitflow.fitness_metrics ORDER BY 1, 2, 3",
        "SELECT * FROM fitflow.leaderboards ORDER BY 1, 2, 3, 4, 5",
        "SELECT * FROM fitflow.settings ORDER BY 1",
        "SELECT * FROM fitflow.athlete_versions ORDER BY 1",
        "SELECT count(*) FROM fitflow.pending",
    ];
    let before: Vec<String> = queries.iter().map(|q| digest(&mut c, q)).collect();
    assert!(before[2].starts_with("900:"), "900 readings stored: {}", before[2]);
    drop(c);

    let dump = std::env::temp_dir().join("fitflow_t_dump.pgdump");
    let dump_s = dump.to_str().unwrap();
    run_client("pg_dump", &["-Fc", "-f", dump_s, src]);
    drop_db(dst);
    let mut admin = connect("postgres");
    admin.batch_execute(&format!("CREATE DATABASE {dst}")).unwrap();
    // The documented restore procedure: restore mode on for the target database while loading.
    admin.batch_execute(&format!("ALTER DATABASE {dst} SET fitflow.restoring = on")).unwrap();
    run_client("pg_restore", &["--exit-on-error", "-d", dst, dump_s]);
    admin.batch_execute(&format!("ALTER DATABASE {dst} RESET fitflow.restoring")).unwrap();
    let mut d = connect(dst);
    let after: Vec<String> = queries.iter().map(|q| digest(&mut d, q)).collect();
    assert_eq!(before, after, "every source-of-truth row survives pg_dump and pg_restore");
    let n: i64 = d.query_one("SELECT count(*) FROM fitflow.exercises", &[]).unwrap().get(0);
    assert_eq!(n, 15, "14 seeded + 1 added, none duplicated");
    let rejected: i64 = d.query_one("SELECT count(*) FROM fitflow.rejected_readings", &[]).unwrap().get(0);
    assert_eq!(rejected, 0);
    // The restored derived views are exactly what a rebuild from the restored sources gives.
    for v in ["live_sessions", "workouts", "fitness_metrics", "fitness_profiles", "leaderboards", "challenge_results"] {
        let n: i64 = d.query_one("SELECT fitflow.rebuild($1)", &[&v]).unwrap().get(0);
        assert_eq!(n, 0, "rebuild of {v} after restore changed rows");
    }
    drop(d);
    drop_db(src);
    drop_db(dst);
    let _ = std::fs::remove_file(dump);
}
