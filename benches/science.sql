-- Benchmark: fitflow's Rust formulas against the same formula written in SQL and in PL/pgSQL.
--
-- Run against a database where fitflow is installed:
--     psql -X -q -f benches/science.sql
--
-- For each of fitflow.one_rm (Epley) and fitflow.vo2_running (ACSM), one million calls in one
-- SELECT sum(...) FROM generate_series(1, 1000000) g, with inputs varying with g so nothing is
-- constant-folded, compared with:
--   * "inlined SQL": a LANGUAGE sql IMMUTABLE function whose body is a single SELECT expression;
--     it is not STRICT, so the planner inlines it (the EXPLAIN below shows no function call left):
--     this is the cost of the bare arithmetic, with no argument checking;
--   * "PL/pgSQL": the same formula with the same argument checks as the Rust function.
-- Runs are interleaved (Rust, SQL, PL/pgSQL, then again) three times; the best of 3 is reported,
-- with the ratio to the inlined SQL time, and the sum of the last run so you can see that the
-- three implementations compute the same thing. JIT is switched off so that its compile time,
-- which depends on the expression and not on the function, does not blur a per-call comparison.
-- The schema fitflow_bench is created and dropped by this script.

\set ON_ERROR_STOP on
SET jit = off;
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;

DROP SCHEMA IF EXISTS fitflow_bench CASCADE;
CREATE SCHEMA fitflow_bench;

-- Epley (1985), with fitflow's rule that one rep returns the load.
CREATE FUNCTION fitflow_bench.one_rm_sql(load_kg float8, reps int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN reps = 1 THEN load_kg ELSE load_kg * (1.0::float8 + reps::float8 / 30.0::float8) END $$;

CREATE FUNCTION fitflow_bench.one_rm_plpgsql(load_kg float8, reps int) RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    IF NOT (load_kg >= 0 AND load_kg < 'Infinity'::float8) THEN
        RAISE EXCEPTION 'invalid load_kg "%"', load_kg USING ERRCODE = '22023';
    END IF;
    IF reps < 1 OR reps > 10 THEN
        RAISE EXCEPTION 'invalid reps "%" for formula "epley"', reps USING ERRCODE = '22023';
    END IF;
    IF reps = 1 THEN
        RETURN load_kg;
    END IF;
    RETURN load_kg * (1.0 + reps / 30.0::float8);
END
$$;

-- ACSM running equation: 0.2 S + 0.9 S G + 3.5, S in m/min, G a fraction.
CREATE FUNCTION fitflow_bench.vo2_running_sql(speed_kmh float8, grade_pct float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 0.2::float8 * (speed_kmh * 1000.0::float8 / 60.0::float8)
           + 0.9::float8 * (speed_kmh * 1000.0::float8 / 60.0::float8) * (grade_pct / 100.0::float8)
           + 3.5::float8 $$;

CREATE FUNCTION fitflow_bench.vo2_running_plpgsql(speed_kmh float8, grade_pct float8) RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    s float8;
BEGIN
    IF NOT (speed_kmh >= 0 AND speed_kmh < 'Infinity'::float8) THEN
        RAISE EXCEPTION 'invalid speed_kmh "%"', speed_kmh USING ERRCODE = '22023';
    END IF;
    IF NOT (grade_pct >= 0 AND grade_pct < 'Infinity'::float8) THEN
        RAISE EXCEPTION 'invalid grade_pct "%"', grade_pct USING ERRCODE = '22023';
    END IF;
    s := speed_kmh * 1000.0 / 60.0;
    IF s < 134 THEN
        RAISE NOTICE 'speed_kmh "%" is in the jogging range of the ACSM running equation', speed_kmh;
    END IF;
    RETURN 0.2 * s + 0.9 * s * (grade_pct / 100.0) + 3.5;
END
$$;

\echo 'The inlined SQL functions leave no function call in the plan:'
EXPLAIN (VERBOSE, COSTS OFF)
SELECT sum(fitflow_bench.one_rm_sql((40 + g % 100)::float8, 1 + g % 10)) FROM generate_series(1, 10) g;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT sum(fitflow_bench.vo2_running_sql(8.1 + (g % 120) / 10.0::float8, (g % 16)::float8))
FROM generate_series(1, 10) g;

CREATE TABLE fitflow_bench.results (fn text, impl text, run int, ms float8, total float8);

-- Inputs: load 41..139 kg, reps 1..10 (all valid for Epley); speed 8.1..20.0 km/h (all in the
-- running equation's range, so no NOTICE), grade 0..15 %.
DO $bench$
DECLARE
    q record;
    t0 timestamptz;
    total float8;
BEGIN
    FOR run IN 1..3 LOOP
        FOR q IN
            SELECT * FROM (VALUES
                (1, 'one_rm', 'fitflow (Rust)',
                 'SELECT sum(fitflow.one_rm((40 + g % 100)::float8, 1 + g % 10)) FROM generate_series(1, 1000000) g'),
                (2, 'one_rm', 'inlined SQL',
                 'SELECT sum(fitflow_bench.one_rm_sql((40 + g % 100)::float8, 1 + g % 10)) FROM generate_series(1, 1000000) g'),
                (3, 'one_rm', 'PL/pgSQL',
                 'SELECT sum(fitflow_bench.one_rm_plpgsql((40 + g % 100)::float8, 1 + g % 10)) FROM generate_series(1, 1000000) g'),
                (4, 'vo2_running', 'fitflow (Rust)',
                 'SELECT sum(fitflow.vo2_running(8.1 + (g % 120) / 10.0::float8, (g % 16)::float8)) FROM generate_series(1, 1000000) g'),
                (5, 'vo2_running', 'inlined SQL',
                 'SELECT sum(fitflow_bench.vo2_running_sql(8.1 + (g % 120) / 10.0::float8, (g % 16)::float8)) FROM generate_series(1, 1000000) g'),
                (6, 'vo2_running', 'PL/pgSQL',
                 'SELECT sum(fitflow_bench.vo2_running_plpgsql(8.1 + (g % 120) / 10.0::float8, (g % 16)::float8)) FROM generate_series(1, 1000000) g')
            ) AS v(ord, fn, impl, sql)
            ORDER BY ord
        LOOP
            t0 := clock_timestamp();
            EXECUTE q.sql INTO total;
            INSERT INTO fitflow_bench.results
            VALUES (q.fn, q.impl, run, extract(epoch FROM clock_timestamp() - t0) * 1000, total);
        END LOOP;
    END LOOP;
END
$bench$;

\echo 'One million calls each, best of 3 runs:'
SELECT fn AS function,
       impl AS implementation,
       round(min(ms)::numeric, 1) AS ms,
       round((min(ms) / min(min(ms)) FILTER (WHERE impl = 'inlined SQL') OVER (PARTITION BY fn))::numeric, 2)
           AS ratio_vs_inlined_sql,
       round((array_agg(total ORDER BY run DESC))[1]::numeric, 3) AS checksum
FROM fitflow_bench.results
GROUP BY fn, impl
ORDER BY fn, min(ms);

DROP SCHEMA fitflow_bench CASCADE;
