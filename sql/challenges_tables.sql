-- fitflow 0.1.0: on-demand pipeline tables. Challenge definitions and enrollments are sources
-- of truth; challenge_results is derived and maintained in the transaction that changes a
-- workout, an enrollment or a challenge.

CREATE TABLE fitflow.challenges (
    challenge_id bigint       PRIMARY KEY,
    title        text         NOT NULL,
    rule         fitflow.rule NOT NULL,
    starts_at    timestamptz  NOT NULL,
    ends_at      timestamptz  NOT NULL,
    gym          text,
    rule_version int          NOT NULL DEFAULT 1,
    CONSTRAINT challenges_window_check CHECK (ends_at > starts_at)
);
SELECT pg_catalog.pg_extension_config_dump('fitflow.challenges', '');
COMMENT ON TABLE fitflow.challenges IS 'Source of truth: fitness challenges. Only workouts ended in (starts_at, ends_at] count. rule_version goes up whenever the rule or the window changes.';

CREATE TABLE fitflow.enrollments (
    challenge_id  bigint       NOT NULL REFERENCES fitflow.challenges (challenge_id) ON DELETE CASCADE,
    athlete_id    bigint       NOT NULL REFERENCES fitflow.athletes (athlete_id) ON DELETE CASCADE,
    rule_override fitflow.rule,
    enrolled_at   timestamptz  NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (challenge_id, athlete_id)
);
CREATE INDEX enrollments_athlete_idx ON fitflow.enrollments (athlete_id);
SELECT pg_catalog.pg_extension_config_dump('fitflow.enrollments', '');
COMMENT ON TABLE fitflow.enrollments IS 'Source of truth: athletes enrolled in challenges, with an optional personal rule replacing the challenge rule.';

CREATE TABLE fitflow.challenge_results (
    challenge_id bigint      NOT NULL,
    athlete_id   bigint      NOT NULL,
    progress     float8      NOT NULL CHECK (progress >= 0 AND progress <= 1),
    complete     boolean     NOT NULL,
    completed_at timestamptz,
    detail       jsonb,
    watermark    bigint      NOT NULL,
    rule_version int         NOT NULL,
    last_error   text,
    PRIMARY KEY (challenge_id, athlete_id),
    FOREIGN KEY (challenge_id, athlete_id) REFERENCES fitflow.enrollments (challenge_id, athlete_id) ON DELETE CASCADE
);
CREATE INDEX challenge_results_athlete_idx ON fitflow.challenge_results (athlete_id);
SELECT pg_catalog.pg_extension_config_dump('fitflow.challenge_results', '');
COMMENT ON TABLE fitflow.challenge_results IS 'Derived (on-demand): progress of each enrollment. watermark = the athlete''s workout version it reflects; an evaluation never overwrites one with a higher (watermark, rule_version). completed_at = end of the workout that completed the challenge.';

-- Per-athlete workout version: goes up with every saved, corrected or deleted workout.
CREATE TABLE fitflow.athlete_versions (
    athlete_id bigint PRIMARY KEY,
    version    bigint NOT NULL
);
SELECT pg_catalog.pg_extension_config_dump('fitflow.athlete_versions', '');

-- Challenges whose rule or window changed with too many enrollments to re-evaluate at once.
CREATE TABLE fitflow.challenge_queue (
    challenge_id bigint      NOT NULL,
    queued_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
SELECT pg_catalog.pg_extension_config_dump('fitflow.challenge_queue', '');
