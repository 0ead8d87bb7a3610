//! Turns the pure layer's [`FitError`] into a PostgreSQL ERROR with the right SQLSTATE,
//! DETAIL and HINT. Every user mistake goes through here; `error!`/`panic!` are kept for
//! true invariants only (they surface as XX000).

use fitflow_core::error::{FitError, FitResult, Kind};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

fn sqlerrcode(kind: Kind) -> PgSqlErrorCode {
    use PgSqlErrorCode::*;
    match kind {
        Kind::InvalidParameterValue => ERRCODE_INVALID_PARAMETER_VALUE,
        Kind::InvalidTextRepresentation => ERRCODE_INVALID_TEXT_REPRESENTATION,
        Kind::NumericValueOutOfRange => ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        Kind::DataException => ERRCODE_DATA_EXCEPTION,
        Kind::UniqueViolation => ERRCODE_UNIQUE_VIOLATION,
        Kind::ForeignKeyViolation => ERRCODE_FOREIGN_KEY_VIOLATION,
        Kind::CheckViolation => ERRCODE_CHECK_VIOLATION,
        Kind::UndefinedObject => ERRCODE_UNDEFINED_OBJECT,
        Kind::FeatureNotSupported => ERRCODE_FEATURE_NOT_SUPPORTED,
        Kind::ObjectNotInPrerequisiteState => ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        Kind::ProgramLimitExceeded => ERRCODE_PROGRAM_LIMIT_EXCEEDED,
    }
}

/// Raise `e` as an ERROR. Never returns.
#[track_caller]
pub fn raise(e: FitError) -> ! {
    let mut report = ErrorReport::new(sqlerrcode(e.kind), e.message, "fitflow");
    if let Some(d) = e.detail {
        report = report.set_detail(d);
    }
    if let Some(h) = e.hint {
        report = report.set_hint(h);
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("ereport(ERROR) returned") // invariant: ERROR level never returns
}

/// `result.or_raise()` returns the value or raises the error with its SQLSTATE.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for FitResult<T> {
    #[track_caller]
    fn or_raise(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => raise(e),
        }
    }
}

/// Raise an SPI failure, which is an internal fault rather than a user mistake.
#[track_caller]
pub fn spi<T>(r: Result<T, pgrx::spi::SpiError>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => raise(FitError::new(Kind::DataException, format!("could not run an internal query: {e}"))),
    }
}
