-- fitflow 0.1.0: on-demand pipeline. Results are recomputed for one athlete in the transaction
-- that changes their workouts or enrollments, and announced after commit with NOTIFY.

ALTER TABLE fitflow.settings DROP CONSTRAINT settings_key_check;
ALTER TABLE fitflow.settings ADD CONSTRAINT settings_key_check CHECK (key IN ('timezone', 'challenge_sync_limit'));

-- Above this many enrollments, a rule or window change is queued for fitflow.refresh('challenge_results').
CREATE FUNCTION fitflow.challenge_sync_limit() RETURNS int
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT s.value::int FROM fitflow.settings s WHERE s.key OPERATOR(pg_catalog.=) 'challenge_sync_limit'), 200)
$$;

CREATE FUNCTION fitflow.athlete_version(p_athlete_id bigint) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT v.version FROM fitflow.athlete_versions v WHERE v.athlete_id OPERATOR(pg_catalog.=) p_athlete_id), 0)
$$;

-- The rows of challenge_results for one athlete, as the evaluator computes them now. Used by
-- the on-demand path and by rebuild alike.
CREATE FUNCTION fitflow.result_rows(p_athlete_id bigint, p_challenge_ids bigint[])
RETURNS SETOF fitflow.challenge_results
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT e.challenge_id, p_athlete_id, e.progress, e.complete, e.completed_at, e.detail,
           fitflow.athlete_version(p_athlete_id), e.rule_version, e.error
      FROM fitflow.evaluate_athlete(p_athlete_id, p_challenge_ids) e
$$;

-- Evaluate and store the athlete's results (all enrollments, or those listed); NOTIFY
-- fitflow_challenge for every result whose progress, completion or error changed. Returns the
-- rows written.
CREATE FUNCTION fitflow.apply_results(p_athlete_id bigint, p_challenge_ids bigint[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
    v_err text;
BEGIN
    WITH fresh AS (
        SELECT * FROM fitflow.result_rows(p_athlete_id, p_challenge_ids)
    ), old AS (
        SELECT r.challenge_id, r.progress, r.complete, r.last_error FROM fitflow.challenge_results r
         WHERE r.athlete_id OPERATOR(pg_catalog.=) p_athlete_id
    ), up AS (
        INSERT INTO fitflow.challenge_results AS r SELECT * FROM fresh
        ON CONFLICT (challenge_id, athlete_id) DO UPDATE
           SET progress = EXCLUDED.progress, complete = EXCLUDED.complete, completed_at = EXCLUDED.completed_at,
               detail = EXCLUDED.detail, watermark = EXCLUDED.watermark, rule_version = EXCLUDED.rule_version,
               last_error = EXCLUDED.last_error
         WHERE (r.watermark, r.rule_version) OPERATOR(pg_catalog.<=) (EXCLUDED.watermark, EXCLUDED.rule_version)
           AND (r.progress, r.complete, r.completed_at, r.detail, r.watermark, r.rule_version, r.last_error)
               IS DISTINCT FROM
               (EXCLUDED.progress, EXCLUDED.complete, EXCLUDED.completed_at, EXCLUDED.detail, EXCLUDED.watermark,
                EXCLUDED.rule_version, EXCLUDED.last_error)
        RETURNING r.*
    ), told AS (
        SELECT pg_catalog.pg_notify('fitflow_challenge', pg_catalog.json_build_object(
                   'challenge_id', up.challenge_id, 'athlete_id', up.athlete_id, 'progress', up.progress,
                   'complete', up.complete, 'completed_at', up.completed_at, 'error', up.last_error)::text)
          FROM up LEFT JOIN old ON old.challenge_id OPERATOR(pg_catalog.=) up.challenge_id
         WHERE (old.progress, old.complete, old.last_error) IS DISTINCT FROM (up.progress, up.complete, up.last_error)
    )
    SELECT (SELECT pg_catalog.count(*) FROM up), (SELECT pg_catalog.string_agg(up.last_error, '; ') FROM up)
      INTO n, v_err
      FROM (SELECT pg_catalog.count(*) FROM told) t;
    IF v_err IS NOT NULL THEN
        UPDATE fitflow.view_state v SET last_error = v_err, last_error_at = pg_catalog.clock_timestamp()
         WHERE v.view_name OPERATOR(pg_catalog.=) 'challenge_results';
    END IF;
    RETURN n;
END
$$;

-- Workouts saved, corrected or deleted: bump the athlete's version, recompute their results.
CREATE FUNCTION fitflow.workouts_to_challenges() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_athlete bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND NOT fitflow.workout_differs(OLD, NEW) THEN
        RETURN NULL;
    END IF;
    FOR v_athlete IN SELECT DISTINCT a FROM (VALUES (CASE WHEN TG_OP <> 'INSERT' THEN OLD.athlete_id END),
                                                   (CASE WHEN TG_OP <> 'DELETE' THEN NEW.athlete_id END)) x(a)
                     WHERE a IS NOT NULL LOOP
        INSERT INTO fitflow.athlete_versions AS v (athlete_id, version) VALUES (v_athlete, 1)
            ON CONFLICT (athlete_id) DO UPDATE SET version = v.version OPERATOR(pg_catalog.+) 1;
        IF EXISTS (SELECT 1 FROM fitflow.enrollments e WHERE e.athlete_id OPERATOR(pg_catalog.=) v_athlete) THEN
            PERFORM fitflow.apply_results(v_athlete);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER workouts_to_challenges AFTER INSERT OR UPDATE OR DELETE ON fitflow.workouts
    FOR EACH ROW WHEN (NOT fitflow.restoring()) EXECUTE FUNCTION fitflow.workouts_to_challenges();

-- Enrollment: refuse ended challenges and other gyms; evaluate at once from the history.
CREATE FUNCTION fitflow.enrollments_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE c record;
BEGIN
    SELECT ch.challenge_id, ch.ends_at, ch.gym INTO c FROM fitflow.challenges ch
     WHERE ch.challenge_id OPERATOR(pg_catalog.=) NEW.challenge_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'challenge % does not exist', NEW.challenge_id
            USING ERRCODE = 'foreign_key_violation', HINT = 'Create it in fitflow.challenges first.';
    END IF;
    IF TG_OP = 'INSERT' AND c.ends_at OPERATOR(pg_catalog.<=) pg_catalog.now() THEN
        RAISE EXCEPTION 'challenge % has ended', NEW.challenge_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('It ended at %s.', c.ends_at);
    END IF;
    IF c.gym IS NOT NULL AND NOT EXISTS (SELECT 1 FROM fitflow.athletes a WHERE a.athlete_id OPERATOR(pg_catalog.=) NEW.athlete_id
                                                                           AND a.gym OPERATOR(pg_catalog.=) c.gym) THEN
        RAISE EXCEPTION 'athlete % cannot enroll in challenge % of gym "%"', NEW.athlete_id, NEW.challenge_id, c.gym
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Only athletes of that gym can enroll.';
    END IF;
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM fitflow.enrollments e WHERE e.challenge_id OPERATOR(pg_catalog.=) NEW.challenge_id
                                                                      AND e.athlete_id OPERATOR(pg_catalog.=) NEW.athlete_id) THEN
        RAISE EXCEPTION 'athlete % is already enrolled in challenge %', NEW.athlete_id, NEW.challenge_id
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER enrollments_check BEFORE INSERT OR UPDATE ON fitflow.enrollments
    FOR EACH ROW WHEN (NOT fitflow.restoring()) EXECUTE FUNCTION fitflow.enrollments_check();

CREATE FUNCTION fitflow.enrollments_evaluate() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.rule_override::bytea IS NOT DISTINCT FROM NEW.rule_override::bytea THEN
        RETURN NULL;
    END IF;
    PERFORM fitflow.apply_results(NEW.athlete_id, ARRAY[NEW.challenge_id]);
    RETURN NULL;
END
$$;
CREATE TRIGGER enrollments_evaluate AFTER INSERT OR UPDATE ON fitflow.enrollments
    FOR EACH ROW WHEN (NOT fitflow.restoring()) EXECUTE FUNCTION fitflow.enrollments_evaluate();

CREATE FUNCTION fitflow.enroll(challenge_id bigint, athlete_id bigint, rule_override fitflow.rule DEFAULT NULL)
RETURNS fitflow.challenge_results
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE r fitflow.challenge_results;
BEGIN
    INSERT INTO fitflow.enrollments (challenge_id, athlete_id, rule_override) VALUES ($1, $2, $3);
    SELECT * INTO r FROM fitflow.challenge_results x
     WHERE x.challenge_id OPERATOR(pg_catalog.=) $1 AND x.athlete_id OPERATOR(pg_catalog.=) $2;
    RETURN r;
END
$$;
COMMENT ON FUNCTION fitflow.enroll(bigint, bigint, fitflow.rule) IS
    'Enrolls an athlete (optionally with a personal rule) and returns the result evaluated at once from their history. 23503 unknown challenge, 55000 ended, 23505 already enrolled, 22P02 a rule override that does not parse.';

-- Rule or window changed: new rule_version; re-evaluate now, or queue above the limit.
CREATE FUNCTION fitflow.challenges_version() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF (OLD.rule::bytea, OLD.starts_at, OLD.ends_at) IS DISTINCT FROM (NEW.rule::bytea, NEW.starts_at, NEW.ends_at) THEN
        NEW.rule_version := OLD.rule_version OPERATOR(pg_catalog.+) 1;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER challenges_version BEFORE UPDATE ON fitflow.challenges
    FOR EACH ROW WHEN (NOT fitflow.restoring()) EXECUTE FUNCTION fitflow.challenges_version();

CREATE FUNCTION fitflow.challenges_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_athlete bigint;
BEGIN
    IF OLD.rule_version OPERATOR(pg_catalog.=) NEW.rule_version THEN
        RETURN NULL;
    END IF;
    IF (SELECT pg_catalog.count(*) FROM fitflow.enrollments e WHERE e.challenge_id OPERATOR(pg_catalog.=) NEW.challenge_id)
       OPERATOR(pg_catalog.>) fitflow.challenge_sync_limit() THEN
        INSERT INTO fitflow.challenge_queue (challenge_id) VALUES (NEW.challenge_id);
        RETURN NULL;
    END IF;
    FOR v_athlete IN SELECT e.athlete_id FROM fitflow.enrollments e
                      WHERE e.challenge_id OPERATOR(pg_catalog.=) NEW.challenge_id ORDER BY e.athlete_id LOOP
        PERFORM fitflow.apply_results(v_athlete, ARRAY[NEW.challenge_id]);
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER challenges_changed AFTER UPDATE ON fitflow.challenges
    FOR EACH ROW WHEN (NOT fitflow.restoring()) EXECUTE FUNCTION fitflow.challenges_changed();

CREATE FUNCTION fitflow.refresh_challenge_results() RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_challenge bigint;
    v_athlete bigint;
    n bigint := 0;
BEGIN
    FOR v_challenge IN WITH q AS (DELETE FROM fitflow.challenge_queue RETURNING challenge_id)
                       SELECT DISTINCT q.challenge_id FROM q ORDER BY 1 LOOP
        FOR v_athlete IN SELECT e.athlete_id FROM fitflow.enrollments e
                          WHERE e.challenge_id OPERATOR(pg_catalog.=) v_challenge ORDER BY e.athlete_id LOOP
            n := n OPERATOR(pg_catalog.+) fitflow.apply_results(v_athlete, ARRAY[v_challenge]);
        END LOOP;
    END LOOP;
    RETURN n;
END
$$;

CREATE FUNCTION fitflow.rebuild_challenge_results() RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM fitflow.challenge_queue;
    CREATE TEMP TABLE fresh ON COMMIT DROP AS
    SELECT r.* FROM (SELECT DISTINCT e.athlete_id FROM fitflow.enrollments e) a,
           LATERAL fitflow.result_rows(a.athlete_id, NULL) r;
    RETURN fitflow.sync_rows('fitflow.challenge_results', '{challenge_id,athlete_id}');
END
$$;

INSERT INTO fitflow.view_state (view_name, pipeline, maintained_by) VALUES
    ('challenge_results', 'on-demand', 'triggers on workouts, enrollments and challenges; refresh for queued rule changes');

-------------------------------------------------------------------------------
-- Personalized challenges: a template rule with {"param": [...]} placeholders and, per fitness
-- level, the values to fill them with.
-------------------------------------------------------------------------------
CREATE TABLE fitflow.challenge_templates (
    template_id bigint       PRIMARY KEY,
    title       text         NOT NULL,
    rule        fitflow.rule NOT NULL,
    params_by_level jsonb    NOT NULL,
    CONSTRAINT challenge_templates_levels_check CHECK (
        pg_catalog.jsonb_typeof(params_by_level) OPERATOR(pg_catalog.=) 'object'
        AND params_by_level ?| ARRAY['beginner', 'novice', 'intermediate', 'advanced', 'elite'])
);
SELECT pg_catalog.pg_extension_config_dump('fitflow.challenge_templates', '');
COMMENT ON TABLE fitflow.challenge_templates IS 'Challenge templates: rule placeholders filled per athlete from params_by_level (level -> {param: value}), keyed by the athlete''s overall level in fitflow.fitness_profiles.';

CREATE FUNCTION fitflow.personalize(template_id bigint, athlete_id bigint) RETURNS fitflow.rule
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t record;
    v_level text;
    v_params jsonb;
BEGIN
    SELECT * INTO t FROM fitflow.challenge_templates x WHERE x.template_id OPERATOR(pg_catalog.=) $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'challenge template % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM fitflow.athletes a WHERE a.athlete_id OPERATOR(pg_catalog.=) $2) THEN
        RAISE EXCEPTION 'athlete % does not exist', $2 USING ERRCODE = 'undefined_object';
    END IF;
    SELECT coalesce(p.overall_level, 'beginner') INTO v_level FROM fitflow.fitness_profiles p
     WHERE p.athlete_id OPERATOR(pg_catalog.=) $2;
    v_level := coalesce(v_level, 'beginner');
    -- The athlete's level, or the nearest level below it that the template defines.
    SELECT t.params_by_level -> l INTO v_params
      FROM pg_catalog.unnest(ARRAY['beginner', 'novice', 'intermediate', 'advanced', 'elite']) WITH ORDINALITY AS x(l, i)
     WHERE t.params_by_level ? l
       AND i OPERATOR(pg_catalog.<=) (SELECT y.i FROM pg_catalog.unnest(ARRAY['beginner', 'novice', 'intermediate', 'advanced', 'elite'])
                                        WITH ORDINALITY AS y(l, i) WHERE y.l OPERATOR(pg_catalog.=) v_level)
     ORDER BY i DESC LIMIT 1;
    IF v_params IS NULL THEN
        SELECT t.params_by_level -> l INTO v_params
          FROM pg_catalog.unnest(ARRAY['beginner', 'novice', 'intermediate', 'advanced', 'elite']) WITH ORDINALITY AS x(l, i)
         WHERE t.params_by_level ? l ORDER BY i LIMIT 1;
    END IF;
    RETURN fitflow.rule_with_params(t.rule, v_params);
END
$$;
COMMENT ON FUNCTION fitflow.personalize(bigint, bigint) IS
    'The template''s rule with its placeholders filled for the athlete''s overall fitness level (fitness_profiles; beginner without a profile), using the nearest defined level at or below it.';
