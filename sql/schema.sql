-- fitflow 0.1.0: sources of truth and derived views (tables).
-- This file runs first in the install script (bootstrap). Every name is schema-qualified.

-------------------------------------------------------------------------------
-- Sources of truth
-------------------------------------------------------------------------------

CREATE TABLE fitflow.athletes (
    athlete_id          bigint  PRIMARY KEY,
    display_name        text,
    sex                 text    CONSTRAINT athletes_sex_check
                                CHECK (sex IN ('female', 'male', 'other')),
    birth_date          date    CONSTRAINT athletes_birth_date_check
                                CHECK (birth_date >= DATE '1900-01-01'),
    body_mass_kg        numeric CONSTRAINT athletes_body_mass_kg_check
                                CHECK (body_mass_kg > 0 AND body_mass_kg <= 400),
    height_cm           numeric CONSTRAINT athletes_height_cm_check
                                CHECK (height_cm > 0 AND height_cm <= 275),
    hr_rest             int     CONSTRAINT athletes_hr_rest_check
                                CHECK (hr_rest BETWEEN 20 AND 150),
    hr_max              int     CONSTRAINT athletes_hr_max_check
                                CHECK (hr_max BETWEEN 60 AND 250),
    gym                 text,
    leaderboard_opt_out boolean NOT NULL DEFAULT false,
    CONSTRAINT athletes_hr_rest_below_max CHECK (hr_rest < hr_max)
);
CREATE INDEX athletes_gym_idx ON fitflow.athletes (gym);

CREATE TABLE fitflow.exercises (
    exercise     text    PRIMARY KEY
                         CONSTRAINT exercises_exercise_check CHECK (exercise ~ '^[a-z][a-z0-9_]{0,62}$'),
    kind         text    NOT NULL
                         CONSTRAINT exercises_kind_check CHECK (kind IN ('weight', 'bodyweight', 'cardio')),
    display_name text    NOT NULL,
    builtin      boolean NOT NULL DEFAULT false
);

INSERT INTO fitflow.exercises (exercise, kind, display_name, builtin) VALUES
    ('chest_press',    'weight',     'Chest press',    true),
    ('leg_press',      'weight',     'Leg press',      true),
    ('shoulder_press', 'weight',     'Shoulder press', true),
    ('lat_pulldown',   'weight',     'Lat pulldown',   true),
    ('squat',          'weight',     'Squat',          true),
    ('bench_press',    'weight',     'Bench press',    true),
    ('deadlift',       'weight',     'Deadlift',       true),
    ('push_up',        'bodyweight', 'Push-up',        true),
    ('pull_up',        'bodyweight', 'Pull-up',        true),
    ('sit_up',         'bodyweight', 'Sit-up',         true),
    ('treadmill',      'cardio',     'Treadmill',      true),
    ('bike',           'cardio',     'Bike',           true),
    ('rower',          'cardio',     'Rower',          true),
    ('elliptical',     'cardio',     'Elliptical',     true);

CREATE TABLE fitflow.devices (
    device_id text PRIMARY KEY,
    exercise  text NOT NULL REFERENCES fitflow.exercises (exercise) ON UPDATE CASCADE,
    gym       text
);
CREATE INDEX devices_exercise_idx ON fitflow.devices (exercise);

CREATE TABLE fitflow.sessions (
    session_id bigint      PRIMARY KEY,
    athlete_id bigint      NOT NULL REFERENCES fitflow.athletes (athlete_id),
    device_id  text        NOT NULL REFERENCES fitflow.devices (device_id),
    started_at timestamptz NOT NULL
               CONSTRAINT sessions_started_at_finite CHECK (isfinite(started_at)),
    ended_at   timestamptz,
    CONSTRAINT sessions_end_after_start CHECK (ended_at >= started_at AND isfinite(ended_at))
);
CREATE INDEX sessions_athlete_idx ON fitflow.sessions (athlete_id, started_at);
CREATE INDEX sessions_device_idx ON fitflow.sessions (device_id);
CREATE INDEX sessions_open_idx ON fitflow.sessions (session_id) WHERE ended_at IS NULL;

-- Readings: append-only, one row per rep (weight machines) or per sample (cardio machines).
-- No foreign key on purpose: a per-row RI check would double the cost of COPY. The ingest trigger
-- (see pipelines.sql) checks every reading against its session instead, and moves invalid ones to
-- fitflow.rejected_readings.
CREATE TABLE fitflow.readings (
    session_id  bigint      NOT NULL,
    seq         int         NOT NULL,
    ts          timestamptz NOT NULL,
    set_no      int,
    reps        int,
    load_kg     real,
    rom         real,
    distance_m  real,
    speed_kmh   real,
    incline_pct real,
    heart_rate  int,
    power_w     real,
    PRIMARY KEY (session_id, seq)
);

CREATE TABLE fitflow.rejected_readings (
    session_id  bigint,
    seq         int,
    ts          timestamptz,
    set_no      int,
    reps        int,
    load_kg     real,
    rom         real,
    distance_m  real,
    speed_kmh   real,
    incline_pct real,
    heart_rate  int,
    power_w     real,
    reason      text        NOT NULL CONSTRAINT rejected_readings_reason_check CHECK (reason IN (
                    'unknown_session', 'session_ended', 'before_session_start', 'invalid_value',
                    'distance_backwards', 'conflict', 'missing_key')),
    detail      text,
    rejected_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX rejected_readings_session_idx ON fitflow.rejected_readings (session_id, seq);
CREATE INDEX rejected_readings_time_idx ON fitflow.rejected_readings (rejected_at);

-------------------------------------------------------------------------------
-- Derived views
-------------------------------------------------------------------------------

-- The columns fitflow.session_agg() returns, the same as the aggregates of live_sessions.
CREATE TYPE fitflow.session_summary AS (
    readings         bigint,
    last_seq         int,
    last_ts          timestamptz,
    sets             int,
    reps             bigint,
    full_range_reps  bigint,
    tonnage_kg       float8,
    max_load_kg      float8,
    distance_m       float8,
    duration_s       float8,
    avg_heart_rate   float8,
    max_heart_rate   int,
    avg_speed_kmh    float8,
    reps_per_min_max int
);

-- The computed columns of a workout.
CREATE TYPE fitflow.workout_metrics AS (
    est_1rm_kg    float8,
    vo2_ml_kg_min float8,
    met           float8,
    kcal          float8
);

-- Streaming: one row per session that has readings, maintained per statement.
CREATE TABLE fitflow.live_sessions (
    session_id       bigint      PRIMARY KEY,
    athlete_id       bigint      NOT NULL,
    exercise         text        NOT NULL,
    started_at       timestamptz NOT NULL,
    readings         bigint      NOT NULL,
    last_seq         int,
    last_ts          timestamptz,
    sets             int         NOT NULL,
    reps             bigint      NOT NULL,
    full_range_reps  bigint      NOT NULL,
    tonnage_kg       float8      NOT NULL,
    max_load_kg      float8,
    distance_m       float8,
    duration_s       float8      NOT NULL,
    avg_heart_rate   float8,
    max_heart_rate   int,
    avg_speed_kmh    float8,
    reps_per_min_max int         NOT NULL,
    state            bytea       NOT NULL
);
CREATE INDEX live_sessions_athlete_idx ON fitflow.live_sessions (athlete_id);

-- Save: one row per ended session.
CREATE TABLE fitflow.workouts (
    session_id       bigint      PRIMARY KEY,
    athlete_id       bigint      NOT NULL,
    exercise         text        NOT NULL,
    kind             text        NOT NULL,
    started_at       timestamptz NOT NULL,
    ended_at         timestamptz NOT NULL,
    readings         bigint      NOT NULL,
    last_seq         int,
    last_ts          timestamptz,
    sets             int         NOT NULL,
    reps             bigint      NOT NULL,
    full_range_reps  bigint      NOT NULL,
    tonnage_kg       float8      NOT NULL,
    max_load_kg      float8,
    distance_m       float8,
    duration_s       float8      NOT NULL,
    avg_heart_rate   float8,
    max_heart_rate   int,
    avg_speed_kmh    float8,
    reps_per_min_max int         NOT NULL,
    est_1rm_kg       float8,
    vo2_ml_kg_min    float8,
    met              float8,
    kcal             float8,
    compacted        boolean     NOT NULL DEFAULT false,
    state            bytea       NOT NULL
);
CREATE INDEX workouts_athlete_idx ON fitflow.workouts (athlete_id, ended_at);
CREATE INDEX workouts_ended_idx ON fitflow.workouts (ended_at);

-- Catalog of derived views: refresh bookkeeping (shown through the fitflow.views view).
CREATE TABLE fitflow.view_state (
    view_name          text PRIMARY KEY,
    pipeline           text NOT NULL CHECK (pipeline IN ('streaming', 'save', 'periodic', 'on-demand')),
    maintained_by      text NOT NULL,
    last_refresh_start timestamptz,
    last_refresh_end   timestamptz,
    last_rows_changed  bigint,
    last_error         text,
    last_error_at      timestamptz
);
INSERT INTO fitflow.view_state (view_name, pipeline, maintained_by) VALUES
    ('live_sessions', 'streaming', 'statement triggers on fitflow.readings'),
    ('workouts',      'save',      'fitflow.end_session()');

-------------------------------------------------------------------------------
-- pg_dump keeps user data. The seeded catalog rows are recreated by CREATE EXTENSION,
-- so only rows a DBA added are dumped (restoring never duplicates them).
-------------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('fitflow.athletes', '');
SELECT pg_catalog.pg_extension_config_dump('fitflow.exercises', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('fitflow.devices', '');
SELECT pg_catalog.pg_extension_config_dump('fitflow.sessions', '');
SELECT pg_catalog.pg_extension_config_dump('fitflow.readings', '');
SELECT pg_catalog.pg_extension_config_dump('fitflow.rejected_readings', '');
SELECT pg_catalog.pg_extension_config_dump('fitflow.live_sessions', '');
SELECT pg_catalog.pg_extension_config_dump('fitflow.workouts', '');
