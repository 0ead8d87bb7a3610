-- fitflow 0.1.0: comments and privileges, run last in the install script.

COMMENT ON SCHEMA fitflow IS 'fitflow: the database as the dataflow engine of a connected gym';
COMMENT ON TABLE fitflow.athletes IS 'Source of truth: athletes (app CRUD).';
COMMENT ON COLUMN fitflow.athletes.leaderboard_opt_out IS 'True when the athlete never appears on leaderboards.';
COMMENT ON TABLE fitflow.exercises IS 'Source of truth: the exercise catalog; builtin rows are seeded by CREATE EXTENSION and not dumped.';
COMMENT ON COLUMN fitflow.exercises.builtin IS 'Seeded by the extension. pg_dump keeps only rows where this is false.';
COMMENT ON TABLE fitflow.devices IS 'Source of truth: gym machines and the exercise each one records.';
COMMENT ON TABLE fitflow.sessions IS 'Source of truth: one athlete on one device from started_at to ended_at (NULL while open).';
COMMENT ON TABLE fitflow.readings IS 'Source of truth, append-only: raw sensor readings, the COPY target of sensor bridges.';
COMMENT ON COLUMN fitflow.readings.rom IS 'Fraction of the full range of motion of the rep, 0..1.';
COMMENT ON COLUMN fitflow.readings.distance_m IS 'Cumulative distance since the session started, metres.';
COMMENT ON TABLE fitflow.rejected_readings IS 'Readings refused by ingest, kept with the reason; never silently dropped.';
COMMENT ON TABLE fitflow.live_sessions IS 'Derived (streaming): running aggregates per session, updated by every statement that writes readings.';
COMMENT ON COLUMN fitflow.live_sessions.state IS 'Internal mergeable aggregation state (binary).';
COMMENT ON TABLE fitflow.workouts IS 'Derived (save): a session frozen by fitflow.end_session(); the authority once its readings are compacted.';
COMMENT ON COLUMN fitflow.workouts.compacted IS 'True once the readings of this session were removed by fitflow.compact_readings().';

GRANT USAGE ON SCHEMA fitflow TO PUBLIC;

-------------------------------------------------------------------------------
-- Streaming stage: per-statement maintenance of live_sessions (src/stream.rs)
-------------------------------------------------------------------------------
CREATE TRIGGER readings_ingest BEFORE INSERT ON fitflow.readings
    FOR EACH ROW EXECUTE FUNCTION fitflow.readings_ingest();
CREATE TRIGGER readings_flush AFTER INSERT ON fitflow.readings
    FOR EACH STATEMENT EXECUTE FUNCTION fitflow.readings_flush();

-- Readings are append-only: a correction is a new reading. Only fitflow.compact_readings() deletes.
CREATE FUNCTION fitflow.readings_append_only() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' AND pg_catalog.current_setting('fitflow.compacting', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'cannot % fitflow.readings', pg_catalog.lower(TG_OP)
        USING ERRCODE = 'feature_not_supported',
              DETAIL = 'Readings are an append-only source of truth.',
              HINT = 'Send a corrected reading with a new seq, or remove old readings with fitflow.compact_readings().';
END $$;
CREATE TRIGGER readings_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON fitflow.readings
    FOR EACH STATEMENT EXECUTE FUNCTION fitflow.readings_append_only();
COMMENT ON FUNCTION fitflow.readings_ingest() IS 'Row trigger: validates, de-duplicates and folds each reading into the statement''s batch state.';
COMMENT ON FUNCTION fitflow.readings_flush() IS 'Statement trigger: stores rejected readings and merges the batch state into fitflow.live_sessions.';

-------------------------------------------------------------------------------
-- Comments on the remaining functions (public API first, then internals)
-------------------------------------------------------------------------------
COMMENT ON FUNCTION fitflow.jsonlogic(jsonb, jsonb) IS 'Plain JsonLogic (json-logic-js semantics; passes the 277 cases of the shared suite). See docs/rules.md.';
COMMENT ON FUNCTION fitflow.evaluate(fitflow.rule, bigint, timestamptz, timestamptz) IS 'Evaluates a challenge rule over the athlete''s workouts ended in (since, as_of]: {"progress", "complete", "nodes": [{"path", "op", "value", "target", "progress"}]}. Deterministic for given rows and arguments.';
COMMENT ON FUNCTION fitflow.rule_in(cstring) IS 'Input of fitflow.rule: parses and validates the JSON once (22P02 with the JSON pointer of a bad node).';
COMMENT ON FUNCTION fitflow.rule_out(fitflow.rule) IS 'Output of fitflow.rule: canonical JSON.';
COMMENT ON FUNCTION fitflow.rule_from_jsonb(jsonb) IS 'Cast jsonb -> fitflow.rule (validates).';
COMMENT ON FUNCTION fitflow.rule_to_jsonb(fitflow.rule) IS 'Cast fitflow.rule -> jsonb (canonical JSON).';
COMMENT ON FUNCTION fitflow.rule_params(fitflow.rule) IS 'The {"param": [name, default]} placeholders of a rule as {name: default} (null = required).';
COMMENT ON FUNCTION fitflow.rule_with_params(fitflow.rule, jsonb) IS 'The rule with its placeholders filled from a {name: value} object.';
COMMENT ON FUNCTION fitflow.strength_level(text, text, double precision, double precision) IS 'Strength level (beginner..elite) from 1RM relative to body mass for an exercise and sex; NULL without norms. Sources in docs/periodic.md.';
COMMENT ON FUNCTION fitflow.vo2max_level(double precision, text, integer) IS 'Cardio level (beginner..elite) from VO2max by sex and age (Cooper Institute norms); NULL without an age.';
COMMENT ON FUNCTION fitflow.overall_level(text[]) IS 'Median of fitness levels (the lower middle one on an even count); NULLs skipped; 22P02 for an unknown level.';
COMMENT ON FUNCTION fitflow.age_group(integer) IS 'Age band of leaderboards and VO2max norms: <20, 20-29, 30-39, 40-49, 50-59, 60+.';
COMMENT ON FUNCTION fitflow.evaluate_athlete(bigint, bigint[]) IS 'Results of one athlete''s enrollments (all or the listed challenges), with the error text where a rule cannot be evaluated. Used by the on-demand pipeline and rebuild.';
COMMENT ON FUNCTION fitflow.live_progress(bigint, bigint) IS 'The fitflow_live NOTIFY payload: progress of the athlete''s active challenges with the open session counted as if it ended now (display only).';
COMMENT ON FUNCTION fitflow.session_agg_step(internal, fitflow.readings) IS 'Internal: transition function of session_agg and session_state.';
COMMENT ON FUNCTION fitflow.session_agg_final(internal) IS 'Internal: final function of session_agg.';
COMMENT ON FUNCTION fitflow.session_state_final(internal) IS 'Internal: final function of session_state.';
COMMENT ON FUNCTION fitflow.readings_append_only() IS 'Internal trigger: readings are append-only.';
COMMENT ON FUNCTION fitflow.sync_rows(regclass, text[], text) IS 'Internal: makes a view''s rows in scope equal to pg_temp.fresh, touching only differing rows.';
COMMENT ON FUNCTION fitflow.run_maintenance(text, text) IS 'Internal: runs refresh/rebuild of a view with locking and bookkeeping.';
COMMENT ON FUNCTION fitflow.view_names() IS 'Internal: the list of view names for hints.';
COMMENT ON FUNCTION fitflow.view_status() IS 'Internal: rows of fitflow.views.';
COMMENT ON FUNCTION fitflow.local_month(timestamptz) IS 'The first day of the calendar month of a timestamp in fitflow.timezone().';
COMMENT ON FUNCTION fitflow.local_month(timestamptz, text) IS 'The first day of the calendar month of a timestamp in the given time zone.';
COMMENT ON FUNCTION fitflow.invalidate(bigint, date) IS 'Internal: queues an (athlete, month) invalidation for every periodic view.';
COMMENT ON FUNCTION fitflow.take_pending(text) IS 'Internal: consumes the pending invalidations of a view.';
COMMENT ON FUNCTION fitflow.metrics_rows(bigint[]) IS 'The fitness_metrics rows of the given athletes (NULL = all), computed from workouts.';
COMMENT ON FUNCTION fitflow.profile_rows(bigint[]) IS 'The fitness_profiles rows of the given athletes (NULL = all).';
COMMENT ON FUNCTION fitflow.athlete_ranks(bigint, date) IS 'One athlete''s leaderboards rows (value and rank on every board and scope) in the month of p_month, or in every month when NULL; the same rows as fitflow.leaderboards, without ranking whole months.';
COMMENT ON FUNCTION fitflow.leaderboard_entry_rows(bigint[], date[]) IS 'The leaderboard_entries rows of the given athletes in the given months (NULL = all), computed from workouts and athletes.';
COMMENT ON FUNCTION fitflow.require_pg_cron() IS 'Internal: 55000 with a HINT when pg_cron is missing.';
COMMENT ON FUNCTION fitflow.challenge_sync_limit() IS 'Enrollments above which a challenge rule change is queued for refresh (setting challenge_sync_limit, default 200).';
COMMENT ON FUNCTION fitflow.athlete_version(bigint) IS 'The athlete''s workout version (the watermark of challenge results).';
COMMENT ON FUNCTION fitflow.result_rows(bigint, bigint[]) IS 'The challenge_results rows of one athlete as evaluated now.';
COMMENT ON FUNCTION fitflow.apply_results(bigint, bigint[]) IS 'Internal: evaluates and stores one athlete''s results and NOTIFYs fitflow_challenge for changed ones.';
COMMENT ON FUNCTION fitflow.workout_differs(fitflow.workouts, fitflow.workouts) IS 'Whether a workout changed in anything a derived view reads (all but compacted).';
COMMENT ON FUNCTION fitflow.sync_athlete_view(text, text, text[], boolean) IS 'Internal: refresh or rebuild of a view kept per athlete.';
COMMENT ON FUNCTION fitflow.sync_leaderboards(boolean) IS 'Internal: refresh or rebuild of leaderboard_entries (the invalidated months of changed athletes).';
COMMENT ON FUNCTION fitflow.workouts_changed() IS 'Internal trigger: queues periodic invalidations for a changed workout.';
COMMENT ON FUNCTION fitflow.athletes_changed() IS 'Internal trigger: queues periodic invalidations for a changed athlete.';
COMMENT ON FUNCTION fitflow.workouts_to_challenges() IS 'Internal trigger: bumps the athlete version and recomputes the athlete''s challenge results.';
COMMENT ON FUNCTION fitflow.enrollments_check() IS 'Internal trigger: refuses unknown, ended and other-gym challenges and double enrollment.';
COMMENT ON FUNCTION fitflow.enrollments_evaluate() IS 'Internal trigger: evaluates a new or changed enrollment at once.';
COMMENT ON FUNCTION fitflow.challenges_version() IS 'Internal trigger: bumps rule_version when the rule or window changes.';
COMMENT ON FUNCTION fitflow.challenges_changed() IS 'Internal trigger: re-evaluates or queues the enrollments of a changed challenge.';
DO $$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['refresh_live_sessions', 'rebuild_live_sessions', 'refresh_workouts', 'rebuild_workouts',
                             'refresh_fitness_metrics', 'rebuild_fitness_metrics', 'refresh_fitness_profiles', 'rebuild_fitness_profiles',
                             'refresh_leaderboards', 'rebuild_leaderboards', 'refresh_challenge_results', 'rebuild_challenge_results'] LOOP
        EXECUTE pg_catalog.format('COMMENT ON FUNCTION fitflow.%I() IS %L', f,
                                  'Internal: ' || pg_catalog.replace(f, '_', ' ') || ' (call fitflow.refresh/rebuild(view) instead).');
    END LOOP;
END $$;
COMMENT ON TABLE fitflow.view_state IS 'Refresh bookkeeping of the derived views (read fitflow.views).';
COMMENT ON TABLE fitflow.athlete_versions IS 'Internal: per-athlete workout version, the watermark of challenge results.';
COMMENT ON TABLE fitflow.challenge_queue IS 'Internal: challenges whose re-evaluation waits for fitflow.refresh(''challenge_results'').';

-- The derived views' maintenance functions plan for millions of rows but usually touch a few:
-- JIT compilation would cost more than the work (and differ between refresh and rebuild). Their
-- aggregates and hash joins get enough memory not to spill to disk.
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'fitflow'::regnamespace
                AND (p.proname ~ '^(refresh|rebuild)_' OR p.proname IN ('sync_rows', 'metrics_rows', 'profile_rows',
                     'leaderboard_entry_rows', 'result_rows', 'apply_results', 'run_maintenance', 'end_session',
                     'sync_athlete_view', 'sync_leaderboards'))
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET jit = off', f);
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET work_mem = %L', f, '64MB');
    END LOOP;
END $$;

-- Derived tables are mostly rewritten in place (live buffers grow, metrics change value): leave
-- room on each page so those updates stay HOT (no index insertions).
ALTER TABLE fitflow.live_sessions SET (fillfactor = 70);
ALTER TABLE fitflow.fitness_metrics SET (fillfactor = 80);
ALTER TABLE fitflow.fitness_profiles SET (fillfactor = 80);
ALTER TABLE fitflow.challenge_results SET (fillfactor = 80);
