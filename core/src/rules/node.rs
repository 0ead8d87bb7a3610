//! The compiled tree shared by plain JsonLogic and challenge rules.
//!
//! The same enum is what [`super::Rule`] stores in MessagePack (rmp-serde, variants by
//! index), so variants and their order are part of the stored format: append new
//! variants at the end and bump `FORMAT_VERSION` in `rule.rs` when changing one.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A compiled expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Node {
    /// A literal JSON value (scalars, and arrays or objects that contain no logic).
    Lit(Value),
    /// An array whose elements are evaluated one by one.
    List(Vec<Node>),
    /// `var` with a path known at compile time (split on "."; empty = the whole data)
    /// and an optional default.
    Var(Vec<String>, Option<Box<Node>>),
    /// `var` whose path is computed at evaluation time (the evaluated arguments).
    VarDyn(Vec<Node>),
    /// A workout field by index into `WORKOUT_FIELDS` (rules only).
    Field(u16),
    /// A JsonLogic operator with its argument expressions.
    Op(Op, Vec<Node>),
    /// An operator json-logic-js does not know: an error once evaluated (plain only).
    Unknown(String),
    /// A template placeholder with its default (rules only).
    Param(String, Option<Value>),
    /// A fitness aggregate over a workouts selection (rules only).
    Agg(Box<Agg>),
}

/// A selection of workouts: the predicate a workout must satisfy, `None` for all.
pub(crate) type Sel = Option<Node>;

/// Fitness aggregates. Field numbers index `WORKOUT_FIELDS` and are numeric fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Agg {
    Count(Sel),
    Sum(Sel, u16),
    Max(Sel, u16),
    Min(Sel, u16),
    Avg(Sel, u16),
    DistinctDays(Sel),
    StreakDays(Sel),
    /// Longest run of consecutive ISO weeks with at least N (a literal or param) workouts.
    StreakWeeks(Sel, Box<Node>),
}

impl Agg {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Agg::Count(_) => "count",
            Agg::Sum(..) => "sum",
            Agg::Max(..) => "max",
            Agg::Min(..) => "min",
            Agg::Avg(..) => "avg",
            Agg::DistinctDays(_) => "distinct_days",
            Agg::StreakDays(_) => "streak_days",
            Agg::StreakWeeks(..) => "streak_weeks",
        }
    }

    pub(crate) fn sel(&self) -> &Sel {
        match self {
            Agg::Count(s)
            | Agg::Sum(s, _)
            | Agg::Max(s, _)
            | Agg::Min(s, _)
            | Agg::Avg(s, _)
            | Agg::DistinctDays(s)
            | Agg::StreakDays(s)
            | Agg::StreakWeeks(s, _) => s,
        }
    }
}

macro_rules! ops {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// The JsonLogic operators of json-logic-js.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub(crate) enum Op { $($variant),* }

        impl Op {
            pub(crate) fn name(self) -> &'static str {
                match self { $(Op::$variant => $name),* }
            }

            pub(crate) fn from_name(name: &str) -> Option<Op> {
                match name { $($name => Some(Op::$variant),)* _ => None }
            }
        }
    };
}

ops! {
    Eq = "==",
    StrictEq = "===",
    Ne = "!=",
    StrictNe = "!==",
    Gt = ">",
    Ge = ">=",
    Lt = "<",
    Le = "<=",
    Not = "!",
    NotNot = "!!",
    And = "and",
    Or = "or",
    If = "if",
    Ternary = "?:",
    Add = "+",
    Sub = "-",
    Mul = "*",
    Div = "/",
    Mod = "%",
    Min = "min",
    Max = "max",
    Cat = "cat",
    Substr = "substr",
    In = "in",
    Merge = "merge",
    Missing = "missing",
    MissingSome = "missing_some",
    Filter = "filter",
    Map = "map",
    Reduce = "reduce",
    All = "all",
    Some = "some",
    None = "none",
    Log = "log",
}

impl Op {
    /// Operators that take a scoped sub-rule or read the data as a whole; challenge
    /// rules do not accept them (there is no array data to iterate in a rule).
    pub(crate) fn rule_supported(self) -> bool {
        !matches!(
            self,
            Op::Merge
                | Op::Missing
                | Op::MissingSome
                | Op::Filter
                | Op::Map
                | Op::Reduce
                | Op::All
                | Op::Some
                | Op::None
                | Op::Log
        )
    }
}
