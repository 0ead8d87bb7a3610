//! Fitness science: published formulas (1RM, ACSM metabolic equations, VO2max field tests, MET,
//! energy) and max reps per minute. Pure functions, no database access.

pub mod window;
pub use window::{max_reps_in_window, max_reps_in_window_unsorted, MINUTE_US};
