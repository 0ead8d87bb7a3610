//! Pure logic of the periodic pipeline (fitness metrics, profiles, leaderboards).
//!
//! Everything here is deterministic and clock-free; the SQL layer passes dates in as days since
//! 1970-01-01 (already converted to the local day in the DBA's time zone).
//!
//! - [`rank`]: standard competition ranking ("1224"), equal to SQL
//!   `rank() OVER (ORDER BY value DESC)`, ties listed by athlete_id.
//! - [`calendar`]: proleptic Gregorian day arithmetic (Howard Hinnant's algorithms), completed age in
//!   years with PostgreSQL `age()` semantics, age groups, calendar-month buckets.
//! - [`norms`]: fitness levels from published norms: strength relative to body mass and VO2max by sex
//!   and age band, plus the overall level.
//!
//! The tables, sources and rules are documented in `docs/periodic.md`.

pub mod calendar;
pub mod norms;
pub mod rank;

pub use calendar::{
    age_group, age_on, civil_from_days, days_from_civil, month_of, month_start_day, AGE_GROUPS,
};
pub use norms::{overall_level, strength_level, vo2max_level, Level, STRENGTH_EXERCISES};
pub use rank::competition_ranks;
