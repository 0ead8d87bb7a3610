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
