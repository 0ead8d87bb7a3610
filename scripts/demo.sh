#!/usr/bin/env bash
# The main job: sets up everything a fresh machine lacks, builds and installs fitflow, starts a
# local PostgreSQL 15 cluster with pg_cron, and runs a simulated gym day through every pipeline.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$FITFLOW_ROOT"
ensure_toolchain
install_extension
cluster_start
say "building the gym simulator"
cargo build --release -q -p fitflow-tests --bin demo_sim
SIM="$FITFLOW_ROOT/target/release/demo_sim --db fitflow_demo"
fresh_db fitflow_demo
q() { psql_db fitflow_demo -P pager=off "$@"; }

say "a sample gym: athletes, devices, sessions (sources of truth)"
$SIM --setup
q <<'SQL'
SELECT gym, count(*) AS devices, string_agg(DISTINCT exercise, ', ' ORDER BY exercise) AS exercises
  FROM fitflow.devices GROUP BY gym ORDER BY gym;
SELECT sex, count(*) AS athletes, round(avg(body_mass_kg), 1) AS avg_mass_kg FROM fitflow.athletes GROUP BY sex ORDER BY sex;
SQL

say "a challenge for December; every athlete enrolls (results are evaluated at once)"
q -q <<'SQL'
SELECT fitflow.set_timezone('Europe/Berlin');
INSERT INTO fitflow.challenges (challenge_id, title, rule, starts_at, ends_at) VALUES
  (1, 'December: 2 strength workouts of 30+ reps and 45 minutes of cardio',
   '{"and": [{">=": [{"count": [{"workouts": [{"and": [{"==": [{"var": "kind"}, "weight"]},
                                                     {">=": [{"var": "reps"}, 30]}]}]}]}, 2]},
             {">=": [{"sum": [{"workouts": [{"==": [{"var": "kind"}, "cardio"]}]}, "duration_s"]}, 2700]}]}',
   '2026-12-01 00:00+01', greatest(timestamptz '2027-01-01 00:00+01', now() + interval '30 days'));
SQL
q -c "SELECT count(fitflow.enroll(1, athlete_id)) AS enrolled FROM fitflow.athletes"

say "streaming: sensor bridges COPY 06:00-07:00 from 4 connections, one batch a minute"
$SIM --from 06:00 --until 07:00
q <<'SQL'
SELECT session_id, athlete_id, exercise, readings, sets, reps, full_range_reps, tonnage_kg, round(distance_m) AS distance_m,
       round(avg_heart_rate) AS avg_hr, round(avg_speed_kmh::numeric, 1) AS kmh, reps_per_min_max AS rpm_max
  FROM fitflow.live_sessions ORDER BY last_ts DESC LIMIT 12;
SQL

say "save: the rest of the day streams in; sessions end and become workouts"
$SIM --from 07:00 --until 24:00
q <<'SQL'
SELECT exercise, count(*) AS workouts, sum(readings) AS readings, round(avg(est_1rm_kg)::numeric, 1) AS avg_1rm_kg,
       round(avg(vo2_ml_kg_min)::numeric, 1) AS avg_vo2, round(sum(kcal)::numeric) AS kcal
  FROM fitflow.workouts GROUP BY exercise ORDER BY exercise;
SELECT session_id, seq, reason, detail FROM fitflow.rejected_readings ORDER BY session_id, seq;
SELECT fitflow.rebuild('workouts') AS rows_changed_by_rebuild_of_workouts;
SQL

say "on-demand: challenge results, updated as each workout landed"
q <<'SQL'
SELECT r.athlete_id, a.display_name, round(r.progress::numeric, 3) AS progress, r.complete, r.completed_at,
       (SELECT string_agg((n->>'value') || '/' || (n->>'target'), ', ')
          FROM jsonb_array_elements(r.detail->'nodes') n WHERE n->>'op' = '>=') AS requirements
  FROM fitflow.challenge_results r JOIN fitflow.athletes a USING (athlete_id)
 ORDER BY r.progress DESC, r.athlete_id LIMIT 8;
SELECT count(*) FILTER (WHERE complete) AS completed, count(*) AS enrolled FROM fitflow.challenge_results;
SELECT fitflow.rebuild('challenge_results') AS rows_changed_by_rebuild_of_results;
SQL

say "periodic: refresh metrics, profiles and leaderboards (what pg_cron runs)"
q <<'SQL'
SELECT v AS view, fitflow.refresh(v) AS rows_changed FROM unnest(ARRAY['fitness_metrics', 'fitness_profiles', 'leaderboards']) v;
SELECT board, rank, athlete_id, round(value::numeric, 1) AS value FROM fitflow.leaderboards
 WHERE month = '2026-12-01' AND scope = 'all' AND rank <= 3 ORDER BY board, rank, athlete_id;
SELECT scope, scope_value, rank, athlete_id, round(value::numeric, 1) AS km FROM fitflow.leaderboards
 WHERE month = '2026-12-01' AND board = 'distance_run_km' AND scope <> 'all' AND rank = 1 ORDER BY scope, scope_value, athlete_id;
SELECT r.board, r.scope, r.scope_value, r.rank, round(r.value::numeric, 1) AS value
  FROM fitflow.athlete_ranks((SELECT athlete_id FROM fitflow.leaderboards WHERE month = '2026-12-01' AND board = 'workouts'
                               AND scope = 'all' ORDER BY rank, athlete_id LIMIT 1), '2026-12-01') r
 ORDER BY r.board, r.scope;
SELECT m.athlete_id, m.exercise, m.metric, round(m.value::numeric, 2) AS value, m.unit, m.formula, m.source_session_ids
  FROM fitflow.fitness_metrics m
 WHERE m.athlete_id = (SELECT athlete_id FROM fitflow.leaderboards WHERE month = '2026-12-01' AND board = 'workouts'
                        AND scope = 'all' ORDER BY rank, athlete_id LIMIT 1)
 ORDER BY m.exercise, m.metric;
SELECT athlete_id, sex, age, age_group, round(vo2max_ml_kg_min::numeric, 1) AS vo2max, strength_levels,
       weight_level, cardio_level, overall_level
  FROM fitflow.fitness_profiles ORDER BY athlete_id LIMIT 6;
SQL

say "personalized: one template, filled from each athlete's fitness level"
q -q <<'SQL'
INSERT INTO fitflow.challenge_templates VALUES (1, 'Cardio minutes by level',
   '{">=": [{"sum": [{"workouts": [{"==": [{"var": "kind"}, "cardio"]}]}, "duration_s"]}, {"param": ["seconds", 3600]}]}',
   '{"beginner": {"seconds": 1800}, "intermediate": {"seconds": 3600}, "elite": {"seconds": 7200}}');
SQL
q -c "SELECT p.athlete_id, p.overall_level, fitflow.personalize(1, p.athlete_id) AS personal_rule FROM fitflow.fitness_profiles p ORDER BY p.athlete_id LIMIT 4"

say "pg_cron: the periodic views refresh every 10 minutes; the catalog of derived views"
q <<'SQL'
SELECT v AS view, fitflow.schedule(v, '*/10 * * * *') AS cron_job FROM unnest(ARRAY['fitness_metrics', 'fitness_profiles', 'leaderboards']) v;
SELECT name, pipeline, schedule, rows_changed, pending_invalidations, lag, row_count, last_error FROM fitflow.views;
SQL

say "the demo gym day ran through every pipeline"
where_is_cluster fitflow_demo
