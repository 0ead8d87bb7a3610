//! Shared helpers for the SQL-level tests live in tests/common.
