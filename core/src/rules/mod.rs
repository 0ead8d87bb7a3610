//! The rule engine: plain JsonLogic and challenge rules.
//!
//! - [`jsonlogic`] evaluates a plain JsonLogic rule against JSON data, following the
//!   reference implementation json-logic-js (truthiness, `==` coercion, numbers in
//!   strings). [`JsonLogic`] is the same, compiled once for repeated evaluation.
//! - [`compile`] validates a challenge rule into a [`Rule`]: JsonLogic plus the
//!   fitness operators `workouts`, `count`, `sum`, `max`, `min`, `avg`,
//!   `distinct_days`, `streak_days`, `streak_weeks` and `param`. A `Rule` has a
//!   canonical JSON form ([`Rule::to_json`]) and a compact binary form
//!   ([`Rule::to_msgpack`]).
//! - [`evaluate`] runs a rule over an athlete's [`Workout`]s and reports progress per
//!   node ([`Evaluation`]).
//!
//! docs/rules.md documents the operators, the progress semantics and where fitflow
//! chose among diverging JsonLogic behaviours.

mod eval;
mod node;
mod plain;
mod progress;
mod rule;
mod value;
mod workout;

pub use progress::{evaluate, Evaluation, NodeReport, MAX_FALSE_PROGRESS};
pub use rule::{compile, Rule, MAX_RULE_DEPTH};
pub use workout::{field_index, FieldType, Workout, WORKOUT_FIELDS};

use crate::error::FitResult;
use serde_json::Value;

/// A plain JsonLogic rule checked once for repeated evaluation.
///
/// `compile` resolves operator names, splits `var` paths and converts literals once,
/// so `apply` skips that work; results (and errors) are exactly those of
/// [`jsonlogic`], which interprets the JSON rule directly like json-logic-js.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonLogic {
    node: plain::PNode,
}

impl JsonLogic {
    /// Check a plain JsonLogic rule. Unknown operators are accepted here and fail
    /// when (and only if) evaluation reaches them, as in json-logic-js; only a rule
    /// nested deeper than 128 levels is refused (54000).
    pub fn compile(rule: &Value) -> FitResult<JsonLogic> {
        eval::check_plain_depth(rule, 0)?;
        Ok(JsonLogic { node: plain::build(rule, 0) })
    }

    /// Evaluate against `data`. An unknown operator reached is a 22023 error
    /// `unrecognized operation "xyz"`.
    pub fn apply(&self, data: &Value) -> FitResult<Value> {
        let d = value::Val::of(data);
        match eval::Expr::eval(&self.node, &eval::Scope::Data(&d), 0) {
            Ok(v) => Ok(v.into_json()),
            Err(e) => Err(*e),
        }
    }
}

fn apply_unchecked(rule: &Value, data: &Value) -> FitResult<Value> {
    let d = value::Val::of(data);
    match eval::eval_json(rule, &eval::Scope::Data(&d), 0) {
        Ok(v) => Ok(v.into_json()),
        Err(e) => Err(*e),
    }
}

/// Evaluate a plain JsonLogic rule against `data` (json-logic-js semantics).
pub fn jsonlogic(rule: &Value, data: &Value) -> FitResult<Value> {
    apply_unchecked(rule, data)
}

