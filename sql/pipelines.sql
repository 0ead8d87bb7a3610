-- fitflow 0.1.0: streaming and save pipelines (SQL side), rebuild/refresh, the views catalog.
-- Runs after the Rust functions exist. Every name is schema-qualified; every function pins
-- its search_path.

-------------------------------------------------------------------------------
-- Aggregates over readings (state = fitflow_core::stream::SessionAgg)
-------------------------------------------------------------------------------
CREATE AGGREGATE fitflow.session_agg(fitflow.readings) (
    SFUNC = fitflow.session_agg_step, STYPE = internal, FINALFUNC = fitflow.session_agg_final
);
COMMENT ON AGGREGATE fitflow.session_agg(fitflow.readings) IS
    'The live_sessions aggregates over any set of readings of one session: equal to the live buffer when taken over all its stored readings.';
CREATE AGGREGATE fitflow.session_state(fitflow.readings) (
    SFUNC = fitflow.session_agg_step, STYPE = internal, FINALFUNC = fitflow.session_state_final
);
COMMENT ON AGGREGATE fitflow.session_state(fitflow.readings) IS
    'The binary aggregation state over a set of readings (what live_sessions.state stores).';
COMMENT ON FUNCTION fitflow.summarize_state(bytea) IS 'The live_sessions columns of a binary aggregation state.';
COMMENT ON FUNCTION fitflow.merge_states(bytea, bytea) IS 'Merges two aggregation states: merge(state(a), state(b)) = state(a ++ b).';
COMMENT ON FUNCTION fitflow.workout_metrics(bytea, text, text, double precision) IS
    'est_1rm_kg (Epley, best set), and for treadmill and bike the ACSM VO2 (ml/kg/min), MET and kcal of a final session state.';

-- True while fitflow.restoring is on (pg_restore loading already-validated and derived rows):
-- every fitflow trigger is skipped then (`WHEN (NOT fitflow.restoring())`). Read as text so it
-- also works before the library has registered the setting in this backend.
CREATE FUNCTION fitflow.restoring() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.lower(coalesce(pg_catalog.current_setting('fitflow.restoring', true), 'off')) IN ('on', 'true', 'yes', '1')
$$;
COMMENT ON FUNCTION fitflow.restoring() IS 'Whether fitflow.restoring is on for this session (pg_restore mode): triggers are skipped.';

-------------------------------------------------------------------------------
-- Rows of the derived tables, each built by exactly one function so that the
-- pipeline and rebuild produce identical rows.
-------------------------------------------------------------------------------
CREATE FUNCTION fitflow.workout_row(
    p_session_id bigint, p_athlete_id bigint, p_exercise text, p_kind text, p_started_at timestamptz,
    p_ended_at timestamptz, p_body_mass_kg double precision, p_state bytea, p_compacted boolean)
RETURNS fitflow.workouts
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT p_session_id, p_athlete_id, p_exercise, p_kind, p_started_at, p_ended_at,
           s.readings, s.last_seq, s.last_ts, s.sets, s.reps, s.full_range_reps, s.tonnage_kg, s.max_load_kg,
           s.distance_m, s.duration_s, s.avg_heart_rate, s.max_heart_rate, s.avg_speed_kmh, s.reps_per_min_max,
           m.est_1rm_kg, m.vo2_ml_kg_min, m.met, m.kcal, p_compacted, p_state
      FROM fitflow.summarize_state(p_state) s,
           fitflow.workout_metrics(p_state, p_kind, p_exercise, p_body_mass_kg) m
$$;
COMMENT ON FUNCTION fitflow.workout_row(bigint, bigint, text, text, timestamptz, timestamptz, double precision, bytea, boolean) IS
    'The workouts row of a session from its final aggregation state (used by end_session and rebuild alike).';

CREATE FUNCTION fitflow.live_row(
    p_session_id bigint, p_athlete_id bigint, p_exercise text, p_started_at timestamptz, p_state bytea)
RETURNS fitflow.live_sessions
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT p_session_id, p_athlete_id, p_exercise, p_started_at,
           s.readings, s.last_seq, s.last_ts, s.sets, s.reps, s.full_range_reps, s.tonnage_kg, s.max_load_kg,
           s.distance_m, s.duration_s, s.avg_heart_rate, s.max_heart_rate, s.avg_speed_kmh, s.reps_per_min_max,
           p_state
      FROM fitflow.summarize_state(p_state) s
$$;
COMMENT ON FUNCTION fitflow.live_row(bigint, bigint, text, timestamptz, bytea) IS
    'The live_sessions row of a session from an aggregation state (what the streaming stage writes).';

-------------------------------------------------------------------------------
-- Save: end_session
-------------------------------------------------------------------------------
CREATE FUNCTION fitflow.end_session(session_id bigint, ended_at timestamptz DEFAULT pg_catalog.now())
RETURNS fitflow.workouts
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_sid ALIAS FOR $1;
    v_end timestamptz := $2;
    w fitflow.workouts;
    s record;
    v_state bytea;
BEGIN
    IF v_sid IS NULL OR v_end IS NULL THEN
        RAISE EXCEPTION 'session_id and ended_at must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO w FROM fitflow.workouts x WHERE x.session_id OPERATOR(pg_catalog.=) v_sid;
    IF FOUND THEN
        RETURN w;   -- idempotent: the saved workout, unchanged
    END IF;
    SELECT ss.session_id, ss.athlete_id, ss.started_at, ss.ended_at, d.exercise, e.kind,
           a.body_mass_kg::double precision AS body_mass_kg
      INTO s
      FROM fitflow.sessions ss
      JOIN fitflow.devices d ON d.device_id OPERATOR(pg_catalog.=) ss.device_id
      JOIN fitflow.exercises e ON e.exercise OPERATOR(pg_catalog.=) d.exercise
      JOIN fitflow.athletes a ON a.athlete_id OPERATOR(pg_catalog.=) ss.athlete_id
     WHERE ss.session_id OPERATOR(pg_catalog.=) v_sid
       FOR UPDATE OF ss;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'session % does not exist', v_sid
            USING ERRCODE = 'undefined_object', HINT = 'Create it in fitflow.sessions first.';
    END IF;
    -- A concurrent end_session may have saved it while we waited for the lock.
    SELECT * INTO w FROM fitflow.workouts x WHERE x.session_id OPERATOR(pg_catalog.=) v_sid;
    IF FOUND THEN
        RETURN w;
    END IF;
    -- The first recorded end wins: an app that already set sessions.ended_at keeps it.
    v_end := coalesce(s.ended_at, v_end);
    IF NOT pg_catalog.isfinite(v_end) OR v_end OPERATOR(pg_catalog.<) s.started_at THEN
        RAISE EXCEPTION 'invalid ended_at for session %', v_sid
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('ended_at %s is before the session start %s or not finite.', v_end, s.started_at);
    END IF;
    SELECT l.state INTO v_state FROM fitflow.live_sessions l
     WHERE l.session_id OPERATOR(pg_catalog.=) v_sid FOR UPDATE;
    IF v_state IS NULL THEN
        SELECT fitflow.session_state(r) INTO v_state FROM fitflow.readings r WHERE false;
    END IF;
    w := fitflow.workout_row(v_sid, s.athlete_id, s.exercise, s.kind, s.started_at, v_end, s.body_mass_kg, v_state, false);
    INSERT INTO fitflow.workouts SELECT (w).*;
    UPDATE fitflow.sessions x SET ended_at = v_end
     WHERE x.session_id OPERATOR(pg_catalog.=) v_sid AND x.ended_at IS NULL;
    DELETE FROM fitflow.live_sessions l WHERE l.session_id OPERATOR(pg_catalog.=) v_sid;
    RETURN w;
END
$$;
COMMENT ON FUNCTION fitflow.end_session(bigint, timestamptz) IS
    'Freezes a session into fitflow.workouts from its live buffer. Idempotent: a second call returns the saved row and writes nothing. Uses ended_at (or the end already recorded on the session), never the clock, inside the derivation.';

-------------------------------------------------------------------------------
-- Compaction: after it, the workout row is the authority for its session.
-------------------------------------------------------------------------------
CREATE FUNCTION fitflow.compact_readings(older_than interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_cutoff timestamptz;
    n bigint;
BEGIN
    IF older_than OPERATOR(pg_catalog.<) interval '0' THEN
        RAISE EXCEPTION 'invalid interval "%"', older_than
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass a non-negative age, for example interval ''30 days''.';
    END IF;
    v_cutoff := pg_catalog.now() OPERATOR(pg_catalog.-) older_than;
    PERFORM pg_catalog.set_config('fitflow.compacting', 'on', true);
    WITH victims AS (
        UPDATE fitflow.workouts w SET compacted = true
         WHERE NOT w.compacted AND w.ended_at OPERATOR(pg_catalog.<) v_cutoff
        RETURNING w.session_id
    )
    DELETE FROM fitflow.readings r USING victims v WHERE r.session_id OPERATOR(pg_catalog.=) v.session_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM pg_catalog.set_config('fitflow.compacting', 'off', true);
    RETURN n;
END
$$;
COMMENT ON FUNCTION fitflow.compact_readings(interval) IS
    'Deletes the readings of workouts that ended more than older_than ago and marks those workouts compacted; rebuild keeps them as they are. Returns the readings deleted.';

-------------------------------------------------------------------------------
-- Rebuild and refresh
-------------------------------------------------------------------------------

-- Make the rows of `target` within `scope` (a condition on alias t) equal to those of the temp
-- table pg_temp.fresh (same row type), touching only rows that differ: delete rows whose key is
-- gone, update rows whose other columns changed (HOT when no indexed column changes), insert new
-- keys. `keys` must be the target's primary key and every fresh row must fall within `scope`.
-- Returns the rows deleted + updated + inserted, so a view that was already right reports 0.
-- Joins here are between a fresh temp table without statistics and a table that may never have
-- been analyzed: nested loops would be chosen on wrong size guesses (quadratic at scale) and
-- merge joins sort text keys by collation, so both are off here and every join is hashed.
CREATE FUNCTION fitflow.sync_rows(target regclass, keys text[], scope text DEFAULT 'true')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp SET enable_nestloop = off SET enable_mergejoin = off AS $$
DECLARE
    v_cols text[];
    v_match text;
    v_set text;
    v_tcols text;
    v_fcols text;
    d bigint;
    u bigint;
BEGIN
    SELECT pg_catalog.array_agg(pg_catalog.quote_ident(a.attname) ORDER BY a.attnum) INTO v_cols
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) target AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
       AND NOT a.attname OPERATOR(pg_catalog.=) ANY (keys);
    SELECT pg_catalog.string_agg(pg_catalog.format('f.%1$I OPERATOR(pg_catalog.=) t.%1$I', k), ' AND ') INTO v_match
      FROM pg_catalog.unnest(keys) k;
    SELECT pg_catalog.string_agg(pg_catalog.format('%1$s = f.%1$s', c), ', '),
           pg_catalog.string_agg('t.' || c, ', '), pg_catalog.string_agg('f.' || c, ', ')
      INTO v_set, v_tcols, v_fcols
      FROM pg_catalog.unnest(v_cols) c;
    EXECUTE pg_catalog.format(
        'DELETE FROM %s t WHERE (%s) AND NOT EXISTS (SELECT 1 FROM pg_temp.fresh f WHERE %s)', target, scope, v_match);
    GET DIAGNOSTICS d = ROW_COUNT;
    -- One join of the new rows with the target rows in scope: update what differs, insert what
    -- is new (MERGE plans it as a single hash or merge join, whatever the sizes).
    EXECUTE pg_catalog.format(
        'MERGE INTO %s t USING pg_temp.fresh f ON %s AND (%s)
           WHEN MATCHED AND ROW(%s) IS DISTINCT FROM ROW(%s) THEN UPDATE SET %s
           WHEN NOT MATCHED THEN INSERT VALUES (f.*)',
        target, v_match, scope, v_tcols, v_fcols, v_set);
    GET DIAGNOSTICS u = ROW_COUNT;
    DROP TABLE pg_temp.fresh;
    RETURN d OPERATOR(pg_catalog.+) u;
END
$$;

-- live_sessions is maintained per statement: it is always current.
CREATE FUNCTION fitflow.refresh_live_sessions() RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$ SELECT 0::bigint $$;

CREATE FUNCTION fitflow.rebuild_live_sessions()
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    CREATE TEMP TABLE fresh ON COMMIT DROP AS
    SELECT (fitflow.live_row(s.session_id, s.athlete_id, d.exercise, s.started_at, g.state)).*
      FROM (SELECT r.session_id, fitflow.session_state(r) AS state
              FROM fitflow.readings r GROUP BY r.session_id) g
      JOIN fitflow.sessions s ON s.session_id OPERATOR(pg_catalog.=) g.session_id
      JOIN fitflow.devices d ON d.device_id OPERATOR(pg_catalog.=) s.device_id
     WHERE s.ended_at IS NULL;
    RETURN fitflow.sync_rows('fitflow.live_sessions', '{session_id}');
END
$$;

CREATE FUNCTION fitflow.rebuild_workouts()
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    CREATE TEMP TABLE fresh ON COMMIT DROP AS
    SELECT (fitflow.workout_row(s.session_id, s.athlete_id, d.exercise, e.kind, s.started_at, s.ended_at,
                                a.body_mass_kg::double precision, coalesce(g.state, x.empty), false)).*
      FROM fitflow.sessions s
      JOIN fitflow.devices d ON d.device_id OPERATOR(pg_catalog.=) s.device_id
      JOIN fitflow.exercises e ON e.exercise OPERATOR(pg_catalog.=) d.exercise
      JOIN fitflow.athletes a ON a.athlete_id OPERATOR(pg_catalog.=) s.athlete_id
      LEFT JOIN (SELECT r.session_id, fitflow.session_state(r) AS state
                   FROM fitflow.readings r GROUP BY r.session_id) g ON g.session_id OPERATOR(pg_catalog.=) s.session_id
      CROSS JOIN (SELECT fitflow.session_state(r) AS empty FROM fitflow.readings r WHERE false) x
     WHERE s.ended_at IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM fitflow.workouts w
                        WHERE w.session_id OPERATOR(pg_catalog.=) s.session_id AND w.compacted);
    -- Compacted workouts are the authority: carried over unchanged.
    INSERT INTO pg_temp.fresh SELECT w.* FROM fitflow.workouts w WHERE w.compacted;
    RETURN fitflow.sync_rows('fitflow.workouts', '{session_id}');
END
$$;

-- Incremental maintenance of the save view: ended sessions without a workout (for example
-- ended by setting sessions.ended_at directly) get one.
CREATE FUNCTION fitflow.refresh_workouts()
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint := 0;
    v_sid bigint;
BEGIN
    FOR v_sid IN SELECT s.session_id FROM fitflow.sessions s
                  WHERE s.ended_at IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM fitflow.workouts w WHERE w.session_id OPERATOR(pg_catalog.=) s.session_id)
                  ORDER BY s.session_id
    LOOP
        PERFORM fitflow.end_session(v_sid, 'infinity');
        n := n OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN n;
END
$$;

CREATE FUNCTION fitflow.view_names() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.string_agg(pg_catalog.quote_literal(view_name), ', ' ORDER BY view_name) FROM fitflow.view_state
$$;

-- Runs fitflow.<mode>_<view>() with the bookkeeping of fitflow.view_state. One refresh of a view
-- at a time: the view's view_state row is locked for the run, so a second refresh of the same view
-- waits for the first and then finds nothing pending. The work runs in a subtransaction: if it
-- fails, the previous rows and the pending invalidations stay, the error is recorded in
-- view_state (and fitflow.views) and reported as a WARNING, and the function returns NULL.
CREATE FUNCTION fitflow.run_maintenance(view text, mode text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_start timestamptz;
    n bigint;
    v_msg text;
    v_state text;
BEGIN
    PERFORM 1 FROM fitflow.view_state v WHERE v.view_name OPERATOR(pg_catalog.=) view FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unrecognized view "%"', view
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Valid views are ' || fitflow.view_names() || '.';
    END IF;
    v_start := pg_catalog.clock_timestamp();
    BEGIN
        EXECUTE pg_catalog.format('SELECT fitflow.%I()', mode || '_' || view) INTO n;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT, v_state = RETURNED_SQLSTATE;
        UPDATE fitflow.view_state v
           SET last_error = pg_catalog.format('%s of %s failed: %s (SQLSTATE %s)', mode, view, v_msg, v_state),
               last_error_at = pg_catalog.clock_timestamp()
         WHERE v.view_name OPERATOR(pg_catalog.=) view;
        RAISE WARNING '% of fitflow view "%" failed: %', mode, view, v_msg
            USING DETAIL = 'The previous rows were kept; the error is recorded in fitflow.views.', ERRCODE = v_state;
        RETURN NULL;
    END;
    UPDATE fitflow.view_state v
       SET last_refresh_start = v_start, last_refresh_end = pg_catalog.clock_timestamp(), last_rows_changed = n,
           last_error = NULL, last_error_at = NULL
     WHERE v.view_name OPERATOR(pg_catalog.=) view;
    RETURN n;
END
$$;

CREATE FUNCTION fitflow.rebuild(view text) RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$ SELECT fitflow.run_maintenance(view, 'rebuild') $$;
CREATE FUNCTION fitflow.refresh(view text) RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$ SELECT fitflow.run_maintenance(view, 'refresh') $$;
COMMENT ON FUNCTION fitflow.rebuild(text) IS
    'Recomputes a derived view from the sources of truth and returns the rows changed; gives the same rows as refresh. On failure the old rows stay, the error is recorded in fitflow.views and NULL is returned with a WARNING.';
COMMENT ON FUNCTION fitflow.refresh(text) IS
    'Brings a derived view up to date incrementally (everything pending since the last successful refresh) and returns the rows changed. On failure the old rows stay, the error is recorded in fitflow.views and NULL is returned with a WARNING.';
