//! The compiled tree of a challenge rule.
//!
//! The same tree is what [`super::Rule`] stores in MessagePack. Its serde form is
//! hand-written to be compact: every node is one array whose first element is a
//! small integer tag (see `TAG_*`; an operator is `[32 + op code, args...]`), so the
//! tags and `Op` codes are part of the stored format: only append, and bump
//! `FORMAT_VERSION` in `rule.rs` on any incompatible change.

use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// A compiled expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// A literal: a number, string, boolean or null (or the scalar list of `in`).
    Lit(Value),
    /// A workout field (`{"var": "name"}` in a predicate), by index into `WORKOUT_FIELDS`.
    Field(u16),
    /// A JsonLogic operator with its argument expressions.
    Op(Op, Vec<Node>),
    /// A template placeholder with its default.
    Param(String, Option<Value>),
    /// A fitness aggregate over a workouts selection.
    Agg(Box<Agg>),
}

/// A selection of workouts: the predicate a workout must satisfy, `None` for all.
pub(crate) type Sel = Option<Node>;

/// Fitness aggregates. Field numbers index `WORKOUT_FIELDS` and are numeric fields.
#[derive(Debug, Clone, PartialEq)]
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
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Op { $($variant),* }

        impl Op {
            /// Every operator, in code order (the stored code is the position).
            const ALL: &'static [Op] = &[$(Op::$variant),*];

            /// Every operator's name, in code order.
            const NAMES: &'static [&'static str] = &[$($name),*];

            pub(crate) fn name(self) -> &'static str {
                match self { $(Op::$variant => $name),* }
            }
        }
    };
}

/// Slot of a name in [`OP_TABLE`]: a hash of its first and last bytes and its length,
/// chosen to be collision-free for the operator names (checked when the table is
/// built), so a lookup is one table read and one comparison instead of a decision
/// tree of comparisons.
const fn op_slot(first: u8, last: u8, len: usize) -> usize {
    (first as usize * 3 + last as usize * 10 + len) % 128
}

/// Operator codes by [`op_slot`] of their names (`u8::MAX`: none).
const OP_TABLE: [u8; 128] = {
    let mut table = [u8::MAX; 128];
    let mut code = 0;
    while code < Op::NAMES.len() {
        let b = Op::NAMES[code].as_bytes();
        let slot = op_slot(b[0], b[b.len() - 1], b.len());
        assert!(table[slot] == u8::MAX, "operator names collide in OP_TABLE");
        table[slot] = code as u8;
        code += 1;
    }
    table
};

impl Op {
    pub(crate) fn from_name(name: &str) -> Option<Op> {
        let b = name.as_bytes();
        let (first, last) = (*b.first()?, *b.last()?);
        let code = usize::from(OP_TABLE[op_slot(first, last, b.len())]);
        let candidate = Op::NAMES.get(code)?;
        if crate::rules::value::bytes_eq(candidate.as_bytes(), b) {
            Op::ALL.get(code).copied()
        } else {
            None
        }
    }
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

impl Op {
    /// The stored code of an operator.
    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> Option<Op> {
        Op::ALL.get(usize::from(code)).copied()
    }
}

// ---------------------------------------------------------------------------------
// Compact serde form

const TAG_LIT: u8 = 0;
const TAG_FIELD: u8 = 1;
const TAG_PARAM: u8 = 2;
/// Aggregates are 8 + kind: count, sum, max, min, avg, distinct_days, streak_days,
/// streak_weeks.
const TAG_AGG: u8 = 8;
/// Operators are 32 + op code, followed by their arguments.
const TAG_OP: u8 = 32;

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Lit(v) => (TAG_LIT, v).serialize(s),
            Node::Field(i) => (TAG_FIELD, i).serialize(s),
            Node::Param(name, default) => (TAG_PARAM, name, default).serialize(s),
            Node::Op(op, args) => {
                let mut seq = s.serialize_seq(Some(args.len() + 1))?;
                seq.serialize_element(&(TAG_OP + op.code()))?;
                for a in args {
                    seq.serialize_element(a)?;
                }
                seq.end()
            }
            Node::Agg(agg) => match agg.as_ref() {
                Agg::Count(sel) => (TAG_AGG, sel).serialize(s),
                Agg::Sum(sel, f) => (TAG_AGG + 1, sel, f).serialize(s),
                Agg::Max(sel, f) => (TAG_AGG + 2, sel, f).serialize(s),
                Agg::Min(sel, f) => (TAG_AGG + 3, sel, f).serialize(s),
                Agg::Avg(sel, f) => (TAG_AGG + 4, sel, f).serialize(s),
                Agg::DistinctDays(sel) => (TAG_AGG + 5, sel).serialize(s),
                Agg::StreakDays(sel) => (TAG_AGG + 6, sel).serialize(s),
                Agg::StreakWeeks(sel, n) => (TAG_AGG + 7, sel, n).serialize(s),
            },
        }
    }
}

struct NodeVisitor;

fn next<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(seq: &mut A) -> Result<T, A::Error> {
    seq.next_element()?.ok_or_else(|| de::Error::custom("truncated node"))
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a compiled rule node")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let tag: u8 = next(&mut seq)?;
        let node = match tag {
            TAG_LIT => Node::Lit(next(&mut seq)?),
            TAG_FIELD => Node::Field(next(&mut seq)?),
            TAG_PARAM => Node::Param(next(&mut seq)?, next(&mut seq)?),
            t if (TAG_AGG..TAG_AGG + 8).contains(&t) => {
                let sel: Sel = next(&mut seq)?;
                let agg = match t - TAG_AGG {
                    0 => Agg::Count(sel),
                    1 => Agg::Sum(sel, next(&mut seq)?),
                    2 => Agg::Max(sel, next(&mut seq)?),
                    3 => Agg::Min(sel, next(&mut seq)?),
                    4 => Agg::Avg(sel, next(&mut seq)?),
                    5 => Agg::DistinctDays(sel),
                    6 => Agg::StreakDays(sel),
                    _ => Agg::StreakWeeks(sel, next(&mut seq)?),
                };
                Node::Agg(Box::new(agg))
            }
            t if t >= TAG_OP => {
                let op = Op::from_code(t - TAG_OP).ok_or_else(|| de::Error::custom("unknown operator code"))?;
                let mut args = Vec::new();
                while let Some(a) = seq.next_element()? {
                    args.push(a);
                }
                return Ok(Node::Op(op, args));
            }
            _ => return Err(de::Error::custom("unknown node tag")),
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("unexpected extra element in node"));
        }
        Ok(node)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_seq(NodeVisitor)
    }
}
