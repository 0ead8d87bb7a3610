//! The rule engine: plain JsonLogic and challenge rules.
//!
//! - [`jsonlogic`] evaluates a plain JsonLogic rule against JSON data, following the
//!   reference implementation json-logic-js (truthiness, `==` coercion, numbers in
//!   strings). [`JsonLogic`] is the same, compiled once for repeated evaluation.
//!   [`Evaluator`] runs either with reusable memory and returns a borrowed [`Output`]
//!   (serializable, comparable with a `serde_json::Value`) instead of an owned value.
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
use serde::{Serialize, Serializer};
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
    /// `unrecognized operation "xyz"`. ([`Evaluator::apply`] does the same without
    /// building an owned result.)
    pub fn apply(&self, data: &Value) -> FitResult<Value> {
        Evaluator::new().apply(self, data).map(|out| out.to_json())
    }
}

/// Evaluate a plain JsonLogic rule against `data` (json-logic-js semantics).
/// ([`Evaluator::eval`] does the same without building an owned result.)
pub fn jsonlogic(rule: &Value, data: &Value) -> FitResult<Value> {
    Evaluator::new().eval(rule, data).map(|out| out.to_json())
}

/// Memory for evaluating plain JsonLogic, reusable from one evaluation to the next.
///
/// The strings, arrays and objects an evaluation builds (its result included) live
/// in the evaluator's arena until its next evaluation, so with a reused evaluator a
/// typical evaluation allocates nothing; the result ([`Output`]) borrows from the
/// rule, the data and the evaluator. After an evaluation that built more than
/// 1 MiB, that memory is freed rather than kept.
pub struct Evaluator {
    arena: eval::Arena,
}

impl Default for Evaluator {
    fn default() -> Evaluator {
        Evaluator::new()
    }
}

impl Evaluator {
    pub fn new() -> Evaluator {
        Evaluator { arena: eval::Arena::new() }
    }

    /// [`jsonlogic`]: interpret `rule` against `data`.
    pub fn eval<'s>(&'s mut self, rule: &'s Value, data: &'s Value) -> FitResult<Output<'s>> {
        self.arena.reset();
        let cx = eval::Cx { ar: &self.arena, scope: eval::Scope::Data(value::Val::of(data)) };
        eval::eval_json(rule, &cx, 0).map(Output).map_err(|e| *e)
    }

    /// [`JsonLogic::apply`]: evaluate a compiled rule against `data`.
    #[inline]
    pub fn apply<'s>(&'s mut self, logic: &'s JsonLogic, data: &'s Value) -> FitResult<Output<'s>> {
        self.arena.reset();
        let cx = eval::Cx { ar: &self.arena, scope: eval::Scope::Data(value::Val::of(data)) };
        eval::Expr::eval(&logic.node, &cx, 0).map(Output).map_err(|e| *e)
    }
}

/// The result of a JsonLogic evaluation, borrowed from the rule, the data and the
/// [`Evaluator`]. It serializes (serde) and compares with a `serde_json::Value` as
/// its JSON form ([`Output::to_json`]) does: NaN and infinities are null, integral
/// numbers up to 2^53 are integers.
#[derive(Debug, Clone, Copy)]
pub struct Output<'s>(value::Val<'s>);

impl Output<'_> {
    /// The result as an owned JSON value.
    pub fn to_json(&self) -> Value {
        self.0.to_json()
    }
}

impl Serialize for Output<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl PartialEq<Value> for Output<'_> {
    fn eq(&self, other: &Value) -> bool {
        self.0.eq_json(other)
    }
}
