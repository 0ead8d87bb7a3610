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
q -c "SELECT gym, count(*) AS devices, string_agg(DISTINCT exercise, ', ' ORDER BY exercise) AS exercises FROM fitflow.devices GROUP BY gym ORDER BY gym"
q -c "SELECT sex, count(*) AS athletes, round(avg(body_mass_kg), 1) AS avg_mass_kg FROM fitflow.athletes GROUP BY sex ORDER BY sex"

say "streaming: sensor bridges COPY 06:00-07:00 from 4 connections, one batch a minute"
$SIM --from 06:00 --until 07:00
q -c "SELECT session_id, athlete_id, exercise, readings, sets, reps, full_range_reps, tonnage_kg, round(distance_m) AS distance_m,
             round(avg_heart_rate) AS avg_hr, round(avg_speed_kmh::numeric, 1) AS kmh, reps_per_min_max AS rpm_max
        FROM fitflow.live_sessions ORDER BY last_ts DESC LIMIT 12"

say "save: the rest of the day streams in; sessions end and become workouts"
$SIM --from 07:00 --until 24:00
q -c "SELECT exercise, count(*) AS workouts, sum(readings) AS readings, round(avg(est_1rm_kg)::numeric, 1) AS avg_1rm_kg,
             round(avg(vo2_ml_kg_min)::numeric, 1) AS avg_vo2, round(sum(kcal)::numeric) AS kcal
        FROM fitflow.workouts GROUP BY exercise ORDER BY exercise"
q -c "SELECT session_id, seq, reason, detail FROM fitflow.rejected_readings ORDER BY session_id, seq"
q -c "SELECT fitflow.rebuild('workouts') AS rows_changed_by_rebuild_of_workouts"


say "the demo gym day ran through the pipelines"
where_is_cluster fitflow_demo
