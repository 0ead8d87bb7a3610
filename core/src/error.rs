//! User-facing errors of the pure layer.
//!
//! A [`FitError`] carries the SQLSTATE class it must surface with, a primary message
//! in PostgreSQL's style (lower case, no period, values in double quotes) and an
//! optional DETAIL and HINT (full sentences). The extension turns it into an
//! `ereport(ERROR, ...)` with exactly that SQLSTATE; nothing here depends on pgrx.

use std::fmt;

/// The SQLSTATE a user mistake is reported with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 22023 invalid_parameter_value
    InvalidParameterValue,
    /// 22P02 invalid_text_representation
    InvalidTextRepresentation,
    /// 22003 numeric_value_out_of_range
    NumericValueOutOfRange,
    /// 22000 data_exception
    DataException,
    /// 23505 unique_violation
    UniqueViolation,
    /// 23503 foreign_key_violation
    ForeignKeyViolation,
    /// 23514 check_violation
    CheckViolation,
    /// 42704 undefined_object
    UndefinedObject,
    /// 0A000 feature_not_supported
    FeatureNotSupported,
    /// 55000 object_not_in_prerequisite_state
    ObjectNotInPrerequisiteState,
    /// 54000 program_limit_exceeded
    ProgramLimitExceeded,
}

impl Kind {
    /// The five-character SQLSTATE.
    pub fn sqlstate(self) -> &'static str {
        match self {
            Kind::InvalidParameterValue => "22023",
            Kind::InvalidTextRepresentation => "22P02",
            Kind::NumericValueOutOfRange => "22003",
            Kind::DataException => "22000",
            Kind::UniqueViolation => "23505",
            Kind::ForeignKeyViolation => "23503",
            Kind::CheckViolation => "23514",
            Kind::UndefinedObject => "42704",
            Kind::FeatureNotSupported => "0A000",
            Kind::ObjectNotInPrerequisiteState => "55000",
            Kind::ProgramLimitExceeded => "54000",
        }
    }
}

/// An error caused by the caller's input, reported to the user with a SQLSTATE.
#[derive(Debug, Clone, PartialEq)]
pub struct FitError {
    pub kind: Kind,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

pub type FitResult<T> = Result<T, FitError>;

impl FitError {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        FitError { kind, message: message.into(), detail: None, hint: None }
    }
    /// 22023 invalid_parameter_value.
    pub fn invalid_param(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidParameterValue, message)
    }
    /// 22P02 invalid_text_representation.
    pub fn invalid_text(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidTextRepresentation, message)
    }
    /// 22003 numeric_value_out_of_range.
    pub fn out_of_range(message: impl Into<String>) -> Self {
        Self::new(Kind::NumericValueOutOfRange, message)
    }
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn sqlstate(&self) -> &'static str {
        self.kind.sqlstate()
    }
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(d) = &self.detail {
            write!(f, " (DETAIL: {d})")?;
        }
        if let Some(h) = &self.hint {
            write!(f, " (HINT: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for FitError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_keeps_every_part() {
        let e = FitError::invalid_param("unrecognized formula \"x\"")
            .with_detail("d.")
            .with_hint("h.");
        assert_eq!(e.sqlstate(), "22023");
        assert_eq!(e.detail.as_deref(), Some("d."));
        assert_eq!(e.to_string(), "unrecognized formula \"x\" (DETAIL: d.) (HINT: h.)");
        assert_eq!(FitError::invalid_text("x").sqlstate(), "22P02");
        assert_eq!(FitError::out_of_range("x").sqlstate(), "22003");
    }
}
