//! fitflow-core: the pure logic of fitflow, with no database access.
//!
//! Everything here is deterministic and free of PostgreSQL: the fitness formulas
//! (`science`), the mergeable per-session aggregation state and reading validation
//! (`stream`), and the JsonLogic / challenge-rule engine (`rules`). The `fitflow`
//! extension crate wraps these in a thin pgrx layer; tests and benchmarks here run
//! in seconds with plain `cargo test -p fitflow-core`.

pub mod challenges;
pub mod error;
pub mod periodic;
pub mod rules;
pub mod save;
pub mod science;
pub mod stream;

#[cfg(test)]
mod testrng;
