-- fitflow 0.1.0: periodic pipeline. fitness_metrics, fitness_profiles and leaderboards, refreshed
-- incrementally from the (athlete, month) pairs the save pipeline invalidated, rebuilt from scratch
-- on demand, and scheduled with pg_cron. Each view's rows come from exactly one function
-- (metrics_rows, profile_rows, leaderboard_entry_rows) used by both refresh and rebuild.

-------------------------------------------------------------------------------
-- Settings (DBA-owned, dumped). Absent keys take their defaults.
-------------------------------------------------------------------------------
CREATE TABLE fitflow.settings (
    key   text PRIMARY KEY CONSTRAINT settings_key_check CHECK (key IN ('timezone')),
    value text NOT NULL
);
SELECT pg_catalog.pg_extension_config_dump('fitflow.settings', '');
COMMENT ON TABLE fitflow.settings IS 'fitflow settings set by the DBA; use fitflow.set_timezone() for the time zone.';

-- No SET clause on these two: every name is qualified, and without it PostgreSQL inlines them
-- into the per-row expressions of the periodic queries (the zone becomes a one-time InitPlan).
CREATE FUNCTION fitflow.timezone() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((SELECT s.value FROM fitflow.settings s WHERE s.key OPERATOR(pg_catalog.=) 'timezone'), 'UTC')
$$;
COMMENT ON FUNCTION fitflow.timezone() IS 'The time zone calendar months (leaderboards) and days (challenge streaks) are counted in; UTC unless set.';

-------------------------------------------------------------------------------
-- Invalidations: written by the save pipeline, one row per view per changed workout (never per
-- reading), consumed by refresh. month NULL = every month of that athlete; athlete NULL = all.
-- No unique key on purpose: a refresh deletes exactly the rows its snapshot saw, so a concurrent
-- end_session never waits for a refresh.
-------------------------------------------------------------------------------
CREATE TABLE fitflow.pending (
    view_name  text        NOT NULL,
    athlete_id bigint,
    month      date,
    queued_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX pending_view_idx ON fitflow.pending (view_name);
SELECT pg_catalog.pg_extension_config_dump('fitflow.pending', '');
COMMENT ON TABLE fitflow.pending IS 'Invalidations of the periodic views waiting for fitflow.refresh(view).';

CREATE FUNCTION fitflow.local_month(ts timestamptz, tz text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.date_trunc('month', pg_catalog.timezone(tz, ts))::date
$$;

CREATE FUNCTION fitflow.local_month(ts timestamptz) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT fitflow.local_month(ts, fitflow.timezone())
$$;

CREATE FUNCTION fitflow.invalidate(p_athlete_id bigint, p_month date) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO fitflow.pending (view_name, athlete_id, month)
    SELECT v, p_athlete_id, p_month FROM pg_catalog.unnest(ARRAY['fitness_metrics', 'fitness_profiles', 'leaderboards']) v
$$;

-- Whether a workout changed in anything a derived view reads (everything but `compacted`,
-- which compaction flips without changing the workout).
CREATE FUNCTION fitflow.workout_differs(o fitflow.workouts, n fitflow.workouts) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ROW(o.session_id, o.athlete_id, o.exercise, o.kind, o.started_at, o.ended_at, o.readings, o.last_seq, o.last_ts, o.sets, o.reps, o.full_range_reps, o.tonnage_kg, o.max_load_kg, o.distance_m, o.duration_s, o.avg_heart_rate, o.max_heart_rate, o.avg_speed_kmh, o.reps_per_min_max, o.est_1rm_kg, o.vo2_ml_kg_min, o.met, o.kcal, o.state) IS DISTINCT FROM ROW(n.session_id, n.athlete_id, n.exercise, n.kind, n.started_at, n.ended_at, n.readings, n.last_seq, n.last_ts, n.sets, n.reps, n.full_range_reps, n.tonnage_kg, n.max_load_kg, n.distance_m, n.duration_s, n.avg_heart_rate, n.max_heart_rate, n.avg_speed_kmh, n.reps_per_min_max, n.est_1rm_kg, n.vo2_ml_kg_min, n.met, n.kcal, n.state)
$$;

CREATE FUNCTION fitflow.workouts_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NOT fitflow.workout_differs(OLD, NEW) THEN
        RETURN NULL;   -- e.g. compaction flipping `compacted`: nothing the periodic views read
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM fitflow.invalidate(OLD.athlete_id, fitflow.local_month(OLD.ended_at));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM fitflow.invalidate(NEW.athlete_id, fitflow.local_month(NEW.ended_at));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER workouts_changed AFTER INSERT OR UPDATE OR DELETE ON fitflow.workouts
    FOR EACH ROW WHEN (NOT fitflow.restoring()) EXECUTE FUNCTION fitflow.workouts_changed();

CREATE FUNCTION fitflow.athletes_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.sex, OLD.birth_date, OLD.body_mass_kg, OLD.hr_rest, OLD.hr_max, OLD.gym, OLD.leaderboard_opt_out)
                  IS NOT DISTINCT FROM (NEW.sex, NEW.birth_date, NEW.body_mass_kg, NEW.hr_rest, NEW.hr_max, NEW.gym, NEW.leaderboard_opt_out) THEN
        RETURN NULL;
    END IF;
    PERFORM fitflow.invalidate(CASE WHEN TG_OP = 'DELETE' THEN OLD.athlete_id ELSE NEW.athlete_id END, NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER athletes_changed AFTER INSERT OR UPDATE OR DELETE ON fitflow.athletes
    FOR EACH ROW WHEN (NOT fitflow.restoring()) EXECUTE FUNCTION fitflow.athletes_changed();

-- The time zone changes every month boundary: everything is invalidated.
CREATE FUNCTION fitflow.set_timezone(tz text) RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF tz IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name OPERATOR(pg_catalog.=) tz) THEN
        RAISE EXCEPTION 'invalid time zone "%"', tz
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use a name from pg_timezone_names, for example ''Europe/Berlin''.';
    END IF;
    INSERT INTO fitflow.settings (key, value) VALUES ('timezone', tz)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
    PERFORM fitflow.invalidate(NULL, NULL);
    RETURN tz;
END
$$;
COMMENT ON FUNCTION fitflow.set_timezone(text) IS 'Sets the time zone of calendar months and days and invalidates every periodic view.';

-------------------------------------------------------------------------------
-- fitness_metrics: long format, one row per (athlete, exercise, metric). Windows end at the
-- athlete's latest workout (window_end), so the rows are a pure function of the athlete's
-- workouts: no wall clock, and an athlete whose workouts did not change keeps identical rows.
-------------------------------------------------------------------------------
CREATE TABLE fitflow.fitness_metrics (
    athlete_id         bigint NOT NULL,
    exercise           text   NOT NULL,
    metric             text   NOT NULL,
    value              float8 NOT NULL,
    unit               text   NOT NULL,
    formula            text   NOT NULL,
    window_start       timestamptz,
    window_end         timestamptz,
    source_session_ids bigint[] NOT NULL,
    PRIMARY KEY (athlete_id, exercise, metric)
);
SELECT pg_catalog.pg_extension_config_dump('fitflow.fitness_metrics', '');
COMMENT ON TABLE fitflow.fitness_metrics IS 'Derived (periodic): per athlete and exercise the best estimated 1RM and max reps per minute (90 days), volume and sessions (7 and 30 days); per athlete (exercise ''all'') VO2max and the MET at it. Each row names its formula and source workouts.';

CREATE FUNCTION fitflow.metrics_rows(p_athletes bigint[])
RETURNS SETOF fitflow.fitness_metrics
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
WITH w AS (
    SELECT w.*, pg_catalog.max(w.ended_at) OVER (PARTITION BY w.athlete_id) AS anchor
      FROM fitflow.workouts w
     WHERE w.athlete_id OPERATOR(pg_catalog.=) ANY (coalesce(p_athletes, ARRAY(SELECT a0.athlete_id FROM fitflow.athletes a0)))
), x AS (
    SELECT w.*, w.ended_at > w.anchor - interval '90 days' AS in90,
           w.ended_at > w.anchor - interval '30 days' AS in30,
           w.ended_at > w.anchor - interval '7 days' AS in7
      FROM w
), per_ex AS (
    SELECT x.athlete_id, x.exercise, x.kind, x.anchor,
           pg_catalog.max(x.est_1rm_kg) FILTER (WHERE x.in90) AS best_1rm,
           (pg_catalog.array_agg(x.session_id ORDER BY x.est_1rm_kg DESC, x.session_id)
                FILTER (WHERE x.in90 AND x.est_1rm_kg IS NOT NULL))[1] AS best_1rm_sid,
           pg_catalog.max(x.reps_per_min_max) FILTER (WHERE x.in90 AND x.reps_per_min_max > 0) AS rpm,
           (pg_catalog.array_agg(x.session_id ORDER BY x.reps_per_min_max DESC, x.session_id)
                FILTER (WHERE x.in90 AND x.reps_per_min_max > 0))[1] AS rpm_sid,
           coalesce(pg_catalog.sum(x.tonnage_kg) FILTER (WHERE x.in7), 0) AS vol7,
           coalesce(pg_catalog.sum(x.tonnage_kg) FILTER (WHERE x.in30), 0) AS vol30,
           pg_catalog.count(*) FILTER (WHERE x.in7) AS n7,
           pg_catalog.count(*) FILTER (WHERE x.in30) AS n30,
           coalesce(pg_catalog.array_agg(x.session_id ORDER BY x.session_id) FILTER (WHERE x.in7), '{}') AS sids7,
           coalesce(pg_catalog.array_agg(x.session_id ORDER BY x.session_id) FILTER (WHERE x.in30), '{}') AS sids30
      FROM x GROUP BY x.athlete_id, x.exercise, x.kind, x.anchor
), cardio AS (
    SELECT x.athlete_id, pg_catalog.max(x.anchor) AS anchor,
           pg_catalog.max(x.vo2_ml_kg_min) FILTER (WHERE x.in90) AS vo2,
           (pg_catalog.array_agg(x.session_id ORDER BY x.vo2_ml_kg_min DESC, x.session_id)
                FILTER (WHERE x.in90 AND x.vo2_ml_kg_min IS NOT NULL))[1] AS vo2_sid
      FROM x WHERE x.kind OPERATOR(pg_catalog.=) 'cardio' GROUP BY x.athlete_id
), vo2max AS (
    SELECT a.athlete_id,
           CASE WHEN a.hr_rest IS NOT NULL AND a.hr_max IS NOT NULL
                THEN fitflow.vo2max_uth(a.hr_max, a.hr_rest) ELSE c.vo2 END AS value,
           CASE WHEN a.hr_rest IS NOT NULL AND a.hr_max IS NOT NULL
                THEN 'uth_2004: 15.3 * hr_max / hr_rest'
                ELSE 'acsm_steady_state: highest ACSM VO2 of a cardio workout in 90 days' END AS formula,
           CASE WHEN a.hr_rest IS NOT NULL AND a.hr_max IS NOT NULL THEN NULL ELSE c.anchor - interval '90 days' END AS wstart,
           CASE WHEN a.hr_rest IS NOT NULL AND a.hr_max IS NOT NULL THEN NULL ELSE c.anchor END AS wend,
           CASE WHEN a.hr_rest IS NOT NULL AND a.hr_max IS NOT NULL THEN '{}'::bigint[] ELSE ARRAY[c.vo2_sid] END AS sids
      FROM fitflow.athletes a
      LEFT JOIN cardio c ON c.athlete_id OPERATOR(pg_catalog.=) a.athlete_id
     WHERE a.athlete_id OPERATOR(pg_catalog.=) ANY (coalesce(p_athletes, ARRAY(SELECT a0.athlete_id FROM fitflow.athletes a0)))
)
SELECT p.athlete_id, p.exercise, m.metric, m.value, m.unit, m.formula, m.wstart, p.anchor, m.sids
  FROM per_ex p
 CROSS JOIN LATERAL (VALUES
        ('est_1rm_kg', p.best_1rm, 'kg', 'epley: best set of each workout, best workout in 90 days', p.anchor - interval '90 days', ARRAY[p.best_1rm_sid]),
        ('reps_per_min_max', p.rpm::float8, 'reps/min', 'most reps in a 60 s window, best workout in 90 days', p.anchor - interval '90 days', ARRAY[p.rpm_sid]),
        ('volume_7d_kg', p.vol7, 'kg', 'sum of tonnage_kg over 7 days', p.anchor - interval '7 days', p.sids7),
        ('volume_30d_kg', p.vol30, 'kg', 'sum of tonnage_kg over 30 days', p.anchor - interval '30 days', p.sids30),
        ('sessions_7d', p.n7::float8, 'workouts', 'count over 7 days', p.anchor - interval '7 days', p.sids7),
        ('sessions_30d', p.n30::float8, 'workouts', 'count over 30 days', p.anchor - interval '30 days', p.sids30)
       ) AS m(metric, value, unit, formula, wstart, sids)
 WHERE m.value IS NOT NULL
   AND NOT (p.kind OPERATOR(pg_catalog.=) 'cardio' AND m.metric IN ('volume_7d_kg', 'volume_30d_kg'))
UNION ALL
SELECT v.athlete_id, 'all', m.metric, m.value, m.unit, v.formula, v.wstart, v.wend, v.sids
  FROM vo2max v
 CROSS JOIN LATERAL (VALUES
        ('vo2max_ml_kg_min', v.value, 'ml/kg/min'),
        ('met_at_vo2max', v.value / 3.5, 'MET')
       ) AS m(metric, value, unit)
 WHERE v.value IS NOT NULL
$$;

-------------------------------------------------------------------------------
-- fitness_profiles: a fitness level per exercise kind from published norms (docs/periodic.md).
-------------------------------------------------------------------------------
CREATE TABLE fitflow.fitness_profiles (
    athlete_id        bigint PRIMARY KEY,
    as_of             timestamptz,
    sex               text,
    age               int,
    age_group         text,
    body_mass_kg      float8,
    vo2max_ml_kg_min  float8,
    strength_levels   jsonb NOT NULL,
    weight_level      text,
    cardio_level      text,
    bodyweight_level  text,
    overall_level     text
);
SELECT pg_catalog.pg_extension_config_dump('fitflow.fitness_profiles', '');
COMMENT ON TABLE fitflow.fitness_profiles IS 'Derived (periodic): per athlete the fitness level per exercise kind (beginner, novice, intermediate, advanced, elite) from 1RM relative to body mass and VO2max by sex and age; bodyweight_level stays NULL (no norms wired yet).';

CREATE FUNCTION fitflow.profile_rows(p_athletes bigint[])
RETURNS SETOF fitflow.fitness_profiles
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
WITH m AS (SELECT * FROM fitflow.metrics_rows(p_athletes)),
per_athlete AS (
    SELECT m.athlete_id, pg_catalog.max(m.window_end) AS as_of,
           pg_catalog.max(m.value) FILTER (WHERE m.metric OPERATOR(pg_catalog.=) 'vo2max_ml_kg_min') AS vo2max
      FROM m GROUP BY m.athlete_id
), aged AS (
    SELECT a.athlete_id, a.sex, a.body_mass_kg::float8 AS mass, p.as_of, p.vo2max,
           pg_catalog.date_part('year', pg_catalog.age((p.as_of AT TIME ZONE fitflow.timezone())::date, a.birth_date))::int AS age
      FROM fitflow.athletes a
      JOIN per_athlete p ON p.athlete_id OPERATOR(pg_catalog.=) a.athlete_id
), strength AS (
    SELECT g.athlete_id, m.exercise, fitflow.strength_level(m.exercise, g.sex, g.mass, m.value) AS level
      FROM aged g JOIN m ON m.athlete_id OPERATOR(pg_catalog.=) g.athlete_id
     WHERE m.metric OPERATOR(pg_catalog.=) 'est_1rm_kg'
), levels AS (
    SELECT s.athlete_id, pg_catalog.jsonb_object_agg(s.exercise, s.level) AS levels,
           fitflow.overall_level(pg_catalog.array_agg(s.level ORDER BY s.exercise)) AS weight
      FROM strength s WHERE s.level IS NOT NULL GROUP BY s.athlete_id
)
SELECT g.athlete_id, g.as_of, g.sex, g.age, CASE WHEN g.age IS NULL THEN NULL ELSE fitflow.age_group(g.age) END,
       g.mass, g.vo2max, coalesce(l.levels, '{}'::jsonb), l.weight,
       fitflow.vo2max_level(g.vo2max, g.sex, g.age), NULL::text,
       fitflow.overall_level(ARRAY[l.weight, fitflow.vo2max_level(g.vo2max, g.sex, g.age)])
  FROM aged g LEFT JOIN levels l ON l.athlete_id OPERATOR(pg_catalog.=) g.athlete_id
$$;

-------------------------------------------------------------------------------
-- leaderboards: per calendar month (fitflow.timezone()), board and scope. Ties share a rank
-- (1, 2, 2, 4: SQL rank()); list them by athlete_id. Opted-out athletes never appear; an athlete
-- appears on a board only with a value above zero.
--
-- What is stored is each athlete's own entries (month, board, scope, value): a function of that
-- athlete's workouts and attributes alone, so a refresh rewrites only the entries of athletes
-- with pending invalidations. The rank is a function of everybody's entries in a partition; the
-- view computes it when read, from an index in rank order, so new workouts of one athlete never
-- rewrite the stored rows of the athletes they overtake.
-------------------------------------------------------------------------------
CREATE TABLE fitflow.leaderboard_entries (
    athlete_id  bigint NOT NULL,
    month       date   NOT NULL,
    board       text   COLLATE "C" NOT NULL,
    scope       text   COLLATE "C" NOT NULL,
    scope_value text   COLLATE "C" NOT NULL,
    value       float8 NOT NULL CONSTRAINT leaderboard_entries_value_positive CHECK (value > 0),
    PRIMARY KEY (athlete_id, month, board, scope, scope_value)
);
-- Rank order: a partition is read from this index already sorted for rank(), without visiting
-- the table (index-only scan: athlete_id is carried in the index).
CREATE INDEX leaderboard_entries_rank_idx ON fitflow.leaderboard_entries (month, board, scope, scope_value, value DESC) INCLUDE (athlete_id);
SELECT pg_catalog.pg_extension_config_dump('fitflow.leaderboard_entries', '');
COMMENT ON TABLE fitflow.leaderboard_entries IS 'Derived (periodic): the stored part of fitflow.leaderboards, per athlete, month, board and scope the athlete''s value (read fitflow.leaderboards for ranks).';

CREATE VIEW fitflow.leaderboards AS
SELECT e.month, e.board, e.scope, e.scope_value, e.athlete_id, e.value,
       pg_catalog.rank() OVER (PARTITION BY e.month, e.board, e.scope, e.scope_value ORDER BY e.value DESC) AS rank
  FROM fitflow.leaderboard_entries e;
COMMENT ON VIEW fitflow.leaderboards IS 'Derived (periodic): per calendar month, board (distance_run_km, weight_lifted_kg, workouts, active_minutes) and scope (all, gym, sex, age_group): athlete, value and rank; ties share a rank (1, 2, 2, 4). Filter on month (and board, scope, scope_value) so only those partitions are ranked.';

-- One athlete's places without ranking whole months: each rank is 1 + the number of entries
-- of the partition with a greater value, counted on the rank-order index.
CREATE FUNCTION fitflow.athlete_ranks(p_athlete_id bigint, p_month date DEFAULT NULL)
RETURNS SETOF fitflow.leaderboards
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT e.month, e.board, e.scope, e.scope_value, e.athlete_id, e.value,
           1 OPERATOR(pg_catalog.+) (
               SELECT pg_catalog.count(*) FROM fitflow.leaderboard_entries o
                WHERE o.month OPERATOR(pg_catalog.=) e.month AND o.board OPERATOR(pg_catalog.=) e.board
                  AND o.scope OPERATOR(pg_catalog.=) e.scope AND o.scope_value OPERATOR(pg_catalog.=) e.scope_value
                  AND o.value OPERATOR(pg_catalog.>) e.value)
      FROM fitflow.leaderboard_entries e
     WHERE e.athlete_id OPERATOR(pg_catalog.=) p_athlete_id
       AND (p_month IS NULL OR e.month OPERATOR(pg_catalog.=) pg_catalog.date_trunc('month', p_month)::date)
     ORDER BY e.month, e.board, e.scope, e.scope_value
$$;

-- The entries of the given athletes (NULL = all) in the given months (NULL = all): the workouts
-- are read through workouts_athlete_idx, only in the time range of those months.
CREATE FUNCTION fitflow.leaderboard_entry_rows(p_athletes bigint[], p_months date[] DEFAULT NULL)
RETURNS SETOF fitflow.leaderboard_entries
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH z AS MATERIALIZED (
        SELECT fitflow.timezone() AS tz
    ), t AS (
        SELECT fitflow.local_month(w.ended_at, z.tz) AS month, w.athlete_id,
               coalesce(pg_catalog.sum(w.distance_m) FILTER (WHERE w.exercise OPERATOR(pg_catalog.=) 'treadmill'), 0) / 1000.0 AS distance_run_km,
               coalesce(pg_catalog.sum(w.tonnage_kg), 0) AS weight_lifted_kg,
               pg_catalog.count(*)::float8 AS workouts,
               coalesce(pg_catalog.sum(w.duration_s), 0) / 60.0 AS active_minutes
          FROM z, fitflow.workouts w
         WHERE w.athlete_id OPERATOR(pg_catalog.=) ANY (coalesce(p_athletes, ARRAY(SELECT a0.athlete_id FROM fitflow.athletes a0)))
           AND w.ended_at OPERATOR(pg_catalog.>=) coalesce(
                   (SELECT pg_catalog.timezone(fitflow.timezone(), pg_catalog.min(m)::timestamp) FROM pg_catalog.unnest(p_months) m),
                   '-infinity')
           AND w.ended_at OPERATOR(pg_catalog.<) coalesce(
                   (SELECT pg_catalog.timezone(fitflow.timezone(), (pg_catalog.max(m) OPERATOR(pg_catalog.+) interval '1 month')::timestamp)
                      FROM pg_catalog.unnest(p_months) m),
                   'infinity')
         GROUP BY 1, 2
    ), e AS (
        SELECT t.month, t.athlete_id, b.board, b.value, a.gym, a.sex,
               CASE WHEN a.birth_date IS NULL THEN NULL
                    ELSE fitflow.age_group(pg_catalog.date_part('year', pg_catalog.age(t.month, a.birth_date))::int) END AS age_group
          FROM t
          JOIN fitflow.athletes a ON a.athlete_id OPERATOR(pg_catalog.=) t.athlete_id AND NOT a.leaderboard_opt_out
         CROSS JOIN LATERAL (VALUES ('distance_run_km', t.distance_run_km), ('weight_lifted_kg', t.weight_lifted_kg),
                                    ('workouts', t.workouts), ('active_minutes', t.active_minutes)) AS b(board, value)
         WHERE b.value > 0 AND (p_months IS NULL OR t.month OPERATOR(pg_catalog.=) ANY (p_months))
    )
    SELECT e.athlete_id, e.month, e.board, x.scope, x.scope_value, e.value
      FROM e CROSS JOIN LATERAL (VALUES ('all', 'all'), ('gym', e.gym), ('sex', e.sex), ('age_group', e.age_group)) AS x(scope, scope_value)
     WHERE x.scope_value IS NOT NULL
$$;

-------------------------------------------------------------------------------
-- refresh / rebuild of the periodic views
-------------------------------------------------------------------------------

-- Takes this view's pending invalidations (exactly those visible now) and returns
-- (all: true when something asks for everything, athletes, months).
CREATE FUNCTION fitflow.take_pending(p_view text, OUT everything boolean, OUT athletes bigint[], OUT months date[], OUT all_months_of bigint[])
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    WITH taken AS (
        DELETE FROM fitflow.pending p WHERE p.view_name OPERATOR(pg_catalog.=) p_view RETURNING p.athlete_id, p.month
    )
    SELECT coalesce(pg_catalog.bool_or(t.athlete_id IS NULL), false),
           pg_catalog.array_agg(DISTINCT t.athlete_id) FILTER (WHERE t.athlete_id IS NOT NULL),
           pg_catalog.array_agg(DISTINCT t.month) FILTER (WHERE t.month IS NOT NULL),
           pg_catalog.array_agg(DISTINCT t.athlete_id) FILTER (WHERE t.athlete_id IS NOT NULL AND t.month IS NULL)
      INTO everything, athletes, months, all_months_of
      FROM taken t;
END
$$;

-- Views kept per athlete (metrics, profiles): refresh recomputes the invalidated athletes
-- with the view's rows function, rebuild (or an invalidation of everything) all of them.
CREATE FUNCTION fitflow.sync_athlete_view(p_view text, p_rows text, p_keys text[], p_rebuild boolean)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE p record;
BEGIN
    p := fitflow.take_pending(p_view);
    IF p_rebuild OR p.everything THEN
        EXECUTE pg_catalog.format('CREATE TEMP TABLE fresh ON COMMIT DROP AS SELECT * FROM fitflow.%I(NULL)', p_rows);
        RETURN fitflow.sync_rows(pg_catalog.format('fitflow.%I', p_view)::regclass, p_keys);
    END IF;
    IF p.athletes IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE pg_catalog.format('CREATE TEMP TABLE fresh ON COMMIT DROP AS SELECT * FROM fitflow.%I($1)', p_rows) USING p.athletes;
    RETURN fitflow.sync_rows(pg_catalog.format('fitflow.%I', p_view)::regclass, p_keys,
        pg_catalog.format('t.athlete_id OPERATOR(pg_catalog.=) ANY (%L::bigint[])', p.athletes));
END
$$;

CREATE FUNCTION fitflow.refresh_fitness_metrics() RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT fitflow.sync_athlete_view('fitness_metrics', 'metrics_rows', '{athlete_id,exercise,metric}', false)
$$;
CREATE FUNCTION fitflow.rebuild_fitness_metrics() RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT fitflow.sync_athlete_view('fitness_metrics', 'metrics_rows', '{athlete_id,exercise,metric}', true)
$$;
CREATE FUNCTION fitflow.refresh_fitness_profiles() RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT fitflow.sync_athlete_view('fitness_profiles', 'profile_rows', '{athlete_id}', false)
$$;
CREATE FUNCTION fitflow.rebuild_fitness_profiles() RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT fitflow.sync_athlete_view('fitness_profiles', 'profile_rows', '{athlete_id}', true)
$$;


-- Leaderboard entries are per athlete and month: a refresh recomputes the invalidated months of
-- athletes whose workouts changed, and every month of athletes whose attributes changed (gym,
-- sex, birth date and opt-out move them between scopes in all their months).
CREATE FUNCTION fitflow.sync_leaderboards(p_rebuild boolean) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p record;
    v_by_month bigint[];
BEGIN
    p := fitflow.take_pending('leaderboards');
    IF p_rebuild OR p.everything THEN
        CREATE TEMP TABLE fresh ON COMMIT DROP AS SELECT * FROM fitflow.leaderboard_entry_rows(NULL, NULL);
        RETURN fitflow.sync_rows('fitflow.leaderboard_entries', '{athlete_id,month,board,scope,scope_value}');
    END IF;
    IF p.athletes IS NULL THEN
        RETURN 0;
    END IF;
    v_by_month := ARRAY(SELECT a FROM pg_catalog.unnest(p.athletes) a
                         WHERE a OPERATOR(pg_catalog.<>) ALL (coalesce(p.all_months_of, '{}')));
    CREATE TEMP TABLE fresh ON COMMIT DROP AS
        SELECT * FROM fitflow.leaderboard_entry_rows(v_by_month, coalesce(p.months, '{}'));
    IF p.all_months_of IS NOT NULL THEN
        INSERT INTO pg_temp.fresh SELECT * FROM fitflow.leaderboard_entry_rows(p.all_months_of, NULL);
    END IF;
    RETURN fitflow.sync_rows('fitflow.leaderboard_entries', '{athlete_id,month,board,scope,scope_value}', pg_catalog.format(
        't.athlete_id OPERATOR(pg_catalog.=) ANY (%L::bigint[])
         OR (t.athlete_id OPERATOR(pg_catalog.=) ANY (%L::bigint[]) AND t.month OPERATOR(pg_catalog.=) ANY (%L::date[]))',
        coalesce(p.all_months_of, '{}'), v_by_month, coalesce(p.months, '{}')));
END
$$;

CREATE FUNCTION fitflow.rebuild_leaderboards() RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT fitflow.sync_leaderboards(true)
$$;

CREATE FUNCTION fitflow.refresh_leaderboards() RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT fitflow.sync_leaderboards(false)
$$;

INSERT INTO fitflow.view_state (view_name, pipeline, maintained_by) VALUES
    ('fitness_metrics',  'periodic', 'fitflow.refresh(''fitness_metrics''), pg_cron'),
    ('fitness_profiles', 'periodic', 'fitflow.refresh(''fitness_profiles''), pg_cron'),
    ('leaderboards',     'periodic', 'fitflow.refresh(''leaderboards''), pg_cron');

-------------------------------------------------------------------------------
-- pg_cron schedules
-------------------------------------------------------------------------------
CREATE FUNCTION fitflow.require_pg_cron() RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
                    WHERE n.nspname OPERATOR(pg_catalog.=) 'cron' AND p.proname OPERATOR(pg_catalog.=) 'schedule') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Install postgresql-15-cron, set shared_preload_libraries = ''pg_cron'' and cron.database_name to this database in postgresql.conf, restart, then run CREATE EXTENSION pg_cron. Without it, call fitflow.refresh(view) from any scheduler.';
    END IF;
END
$$;

CREATE FUNCTION fitflow.schedule(view text, cron text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_job bigint;
BEGIN
    PERFORM fitflow.require_pg_cron();
    IF view IS NULL OR NOT EXISTS (SELECT 1 FROM fitflow.view_state v WHERE v.view_name OPERATOR(pg_catalog.=) view) THEN
        RAISE EXCEPTION 'unrecognized view "%"', view
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Valid views are ' || fitflow.view_names() || '.';
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO v_job
        USING 'fitflow:' || view, cron, pg_catalog.format('SELECT fitflow.refresh(%L)', view);
    RETURN v_job;
END
$$;
COMMENT ON FUNCTION fitflow.schedule(text, text) IS 'Creates or updates the pg_cron job "fitflow:<view>" that runs fitflow.refresh(view) on the cron schedule; returns the job id. 55000 without pg_cron.';

CREATE FUNCTION fitflow.unschedule(view text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_ok boolean;
BEGIN
    PERFORM fitflow.require_pg_cron();
    IF NOT EXISTS (SELECT 1 FROM cron.job j WHERE j.jobname OPERATOR(pg_catalog.=) ('fitflow:' || view)) THEN
        RAISE EXCEPTION 'view "%" has no schedule', view
            USING ERRCODE = 'undefined_object', HINT = 'Schedules are created with fitflow.schedule(view, cron).';
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' INTO v_ok USING 'fitflow:' || view;
    RETURN v_ok;
END
$$;
COMMENT ON FUNCTION fitflow.unschedule(text) IS 'Removes the pg_cron job "fitflow:<view>". 55000 without pg_cron, 42704 when there is none.';

-------------------------------------------------------------------------------
-- fitflow.views: the catalog of derived views
-------------------------------------------------------------------------------
CREATE FUNCTION fitflow.view_status(
    OUT name text, OUT pipeline text, OUT maintained_by text, OUT schedule text,
    OUT last_refresh_start timestamptz, OUT last_refresh_end timestamptz, OUT rows_changed bigint,
    OUT pending_invalidations bigint, OUT lag interval, OUT row_count bigint, OUT last_error text)
RETURNS SETOF record
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE v record;
BEGIN
    FOR v IN SELECT * FROM fitflow.view_state ORDER BY view_name LOOP
        name := v.view_name;
        pipeline := v.pipeline;
        maintained_by := v.maintained_by;
        schedule := NULL;
        IF pg_catalog.to_regclass('cron.job') IS NOT NULL THEN
            EXECUTE 'SELECT schedule FROM cron.job WHERE jobname = $1' INTO schedule USING 'fitflow:' || v.view_name;
        END IF;
        last_refresh_start := v.last_refresh_start;
        last_refresh_end := v.last_refresh_end;
        rows_changed := v.last_rows_changed;
        SELECT pg_catalog.count(*), pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.min(p.queued_at)
          INTO pending_invalidations, lag
          FROM fitflow.pending p WHERE p.view_name OPERATOR(pg_catalog.=) v.view_name;
        lag := coalesce(lag, interval '0');
        EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM fitflow.%I', v.view_name) INTO row_count;
        last_error := v.last_error;
        RETURN NEXT;
    END LOOP;
END
$$;
CREATE VIEW fitflow.views AS SELECT * FROM fitflow.view_status();
COMMENT ON VIEW fitflow.views IS 'Derived views: pipeline, schedule, last refresh, rows changed, pending invalidations, lag (age of the oldest pending invalidation), row count, last error.';
