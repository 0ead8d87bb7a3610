//! fitflow: the database as the dataflow engine of a connected gym.
//!
//! This file is the table of contents. Pure logic lives in the `fitflow-core` crate (`core/`);
//! the modules here are the thin SQL-facing layer.

pgrx::pg_module_magic!(name, version);

mod challenges;
mod error;
mod gucs;
mod periodic;
mod rules;
mod save;
mod science;
mod stream;

#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    gucs::init();
}

// Install script, in order: tables first, pgrx-generated functions next, then the SQL that
// needs those functions (triggers, aggregates, comments, grants).
pgrx::extension_sql_file!("../sql/schema.sql", name = "schema", bootstrap);
pgrx::extension_sql_file!(
    "../sql/science_comments.sql",
    name = "science_comments",
    requires = [
        science::one_rm, science::one_rm_all, science::vo2_walking, science::vo2_running, science::vo2_treadmill,
        science::treadmill_speed_for_vo2, science::vo2_leg_cycling, science::vo2_arm_cycling, science::vo2_stepping,
        science::vo2max_cooper, science::vo2max_uth, science::met, science::kcal_per_min, science::max_reps_per_min
    ]
);
pgrx::extension_sql_file!(
    "../sql/pipelines.sql",
    name = "pipelines",
    requires = [
        save::session_agg_step, save::session_agg_final, save::session_state_final, save::summarize_state,
        save::merge_states, save::workout_metrics
    ]
);
pgrx::extension_sql_file!(
    "../sql/periodic.sql",
    name = "periodic",
    requires = [
        "pipelines", science::vo2max_uth, periodic::strength_level, periodic::vo2max_level,
        periodic::overall_level, periodic::age_group
    ]
);
pgrx::extension_sql_file!("../sql/challenges_tables.sql", name = "challenges_tables", requires = ["rule_type", "periodic"]);
pgrx::extension_sql_file!(
    "../sql/challenges.sql",
    name = "challenges",
    requires = ["challenges_tables", challenges::evaluate_athlete, challenges::live_progress, rules::rule_with_params]
);
pgrx::extension_sql_file!("../sql/finalize.sql", name = "finalize", finalize);

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn catalog_is_seeded() {
        let n = Spi::get_one::<i64>("SELECT count(*) FROM fitflow.exercises WHERE builtin")
            .unwrap()
            .unwrap();
        assert_eq!(n, 14);
        let kind = Spi::get_one::<String>("SELECT kind FROM fitflow.exercises WHERE exercise = 'treadmill'")
            .unwrap()
            .unwrap();
        assert_eq!(kind, "cardio");
    }
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec!["shared_preload_libraries = 'pg_cron'", "cron.database_name = 'pgrx_tests'"]
    }
}
