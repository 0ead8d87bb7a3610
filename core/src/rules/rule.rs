//! Challenge rules: validation, the compiled form, canonical JSON, MessagePack and
//! template parameters.

use super::node::{Agg, Node, Op, Sel};
use super::value::num_f64;
use super::workout::{field_index, FieldType, WORKOUT_FIELDS};
use crate::error::{FitError, FitResult};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Deepest operator nesting a rule may have.
pub const MAX_RULE_DEPTH: usize = 64;

/// First byte of the binary form; bump when `Node` changes incompatibly.
const FORMAT_VERSION: u8 = 1;

/// MessagePack nesting allowed when decoding (a node is one array; selections and
/// literal lists add a level).
const MAX_MSGPACK_DEPTH: usize = 2 * MAX_RULE_DEPTH + 16;

/// Operators a rule accepts, for hints.
const RULE_OPERATORS: &str = "and, or, !, !!, if, ?:, ==, ===, !=, !==, <, <=, >, >=, +, -, *, /, %, \
min, max, cat, substr, in, var (inside a workouts predicate), workouts, count, sum, avg, \
distinct_days, streak_days, streak_weeks, param";

/// A compiled, validated challenge rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub(crate) root: Node,
}

/// Where a node sits: at the top level (aggregates) or inside a `workouts` predicate
/// (fields of one workout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    Pred,
}

/// The static type of an expression, for literal type checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Number,
    Text,
    Bool,
    Null,
    Array,
    Any,
}

impl Ty {
    fn of(v: &Value) -> Ty {
        match v {
            Value::Null => Ty::Null,
            Value::Bool(_) => Ty::Bool,
            Value::Number(_) => Ty::Number,
            Value::String(_) => Ty::Text,
            Value::Array(_) => Ty::Array,
            Value::Object(_) => Ty::Any,
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Ty::Number => "a number",
            Ty::Text => "a string",
            Ty::Bool => "a boolean",
            Ty::Null => "null",
            Ty::Array => "an array",
            Ty::Any => "a value",
        }
    }
}

/// A short description of a JSON value for error details.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            let ell = if short.len() < s.len() { "..." } else { "" };
            format!("the string \"{short}{ell}\"")
        }
        Value::Array(a) => format!("an array of {} element{}", a.len(), if a.len() == 1 { "" } else { "s" }),
        Value::Object(m) => match m.keys().next() {
            Some(k) if m.len() == 1 => format!("the operator \"{k}\""),
            _ => format!("an object with {} keys", m.len()),
        },
    }
}

/// Append an RFC 6901 reference token.
fn push_token(ptr: &mut String, token: &str) {
    ptr.push('/');
    for c in token.chars() {
        match c {
            '~' => ptr.push_str("~0"),
            '/' => ptr.push_str("~1"),
            c => ptr.push(c),
        }
    }
}

/// The JSON pointer of a child token below `base`.
pub(crate) fn child_pointer(base: &str, token: &str) -> String {
    let mut p = base.to_string();
    push_token(&mut p, token);
    p
}

fn field_names(filter: impl Fn(FieldType) -> bool) -> String {
    WORKOUT_FIELDS.iter().filter(|(_, t)| filter(*t)).map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

/// An operator's arguments: the array, or a single non-array value (which then
/// shares its pointer with the operator key).
struct Args<'v> {
    items: Vec<&'v Value>,
    wrapped: bool,
}

impl<'v> Args<'v> {
    fn of(raw: &'v Value) -> Self {
        match raw {
            Value::Array(a) => Args { items: a.iter().collect(), wrapped: true },
            other => Args { items: vec![other], wrapped: false },
        }
    }
}

struct Compiler {
    /// Pointer of the node being compiled.
    ptr: String,
    /// Parameters seen so far with their defaults.
    params: Vec<(String, Option<Value>)>,
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl Compiler {
    fn err(&self, what: impl std::fmt::Display, expected: &str, found: &str) -> FitError {
        FitError::invalid_text(format!("invalid rule: {what}"))
            .with_detail(format!("At JSON pointer \"{}\": expected {expected}, found {found}.", self.ptr))
    }

    /// Run `f` with the pointer extended by `token`.
    fn at<T>(&mut self, token: &str, f: impl FnOnce(&mut Self) -> FitResult<T>) -> FitResult<T> {
        let len = self.ptr.len();
        push_token(&mut self.ptr, token);
        let r = f(self);
        self.ptr.truncate(len);
        r
    }

    /// Run `f` at the pointer of argument `i`.
    fn at_arg<T>(&mut self, args: &Args, i: usize, f: impl FnOnce(&mut Self) -> FitResult<T>) -> FitResult<T> {
        if args.wrapped {
            self.at(&i.to_string(), f)
        } else {
            f(self)
        }
    }

    fn arity(&self, name: &str, args: &Args, min: usize, max: usize) -> FitResult<()> {
        let n = args.items.len();
        if n >= min && n <= max {
            return Ok(());
        }
        let want = if min == max {
            format!("{min} argument{}", plural(min))
        } else if max == usize::MAX {
            format!("at least {min} argument{}", plural(min))
        } else {
            format!("{min} to {max} arguments")
        };
        Err(self.err(format_args!("operator \"{name}\" takes {want}"), &want, &format!("{n} argument{}", plural(n))))
    }

    fn node(&mut self, v: &Value, ctx: Ctx, depth: usize) -> FitResult<(Node, Ty)> {
        if depth > MAX_RULE_DEPTH {
            return Err(self
                .err(
                    format_args!("nesting exceeds {MAX_RULE_DEPTH} levels"),
                    &format!("an operator nested at most {MAX_RULE_DEPTH} levels deep"),
                    "a deeper operator",
                )
                .with_hint("Split the rule into simpler requirements."));
        }
        match v {
            Value::Object(m) => {
                let mut it = m.iter();
                match (it.next(), it.next()) {
                    (Some((name, raw)), None) => {
                        self.check_operator(name, raw, ctx)?;
                        let name = name.clone();
                        self.at(&name, |c| c.op(&name, raw, ctx, depth))
                    }
                    _ => Err(self.err(
                        "expected an operator object",
                        "an object with exactly one key (the operator)",
                        &describe(v),
                    )),
                }
            }
            Value::Array(_) => Err(self
                .err("unexpected array", "a value or an operator object", &describe(v))
                .with_hint("Arrays are only accepted as the list searched by \"in\".")),
            scalar => Ok((Node::Lit(scalar.clone()), Ty::of(scalar))),
        }
    }

    /// Errors about the operator itself, reported at the pointer of its object.
    fn check_operator(&self, name: &str, raw: &Value, ctx: Ctx) -> FitResult<()> {
        let first = match raw {
            Value::Array(a) => a.first(),
            other => Some(other),
        };
        let aggregate = matches!(name, "count" | "distinct_days" | "streak_days" | "sum" | "avg" | "streak_weeks")
            || (matches!(name, "max" | "min") && is_selection(first));
        match name {
            "var" if ctx != Ctx::Pred => Err(self
                .err("\"var\" is only allowed inside a workouts predicate", "an aggregate, a parameter or a literal", "\"var\"")
                .with_hint("Read workout fields inside {\"workouts\": [PREDICATE]} and aggregate the selection.")),
            "workouts" => Err(self
                .err("a workouts selection must be aggregated", "an aggregate such as {\"count\": [{\"workouts\": [...]}]}", "a bare selection")
                .with_hint("Wrap the selection in count, sum, max, min, avg, distinct_days, streak_days or streak_weeks.")),
            _ if aggregate && ctx != Ctx::Top => Err(self.err(
                format_args!("aggregate \"{name}\" is not allowed inside a workouts predicate"),
                "an expression over one workout's fields",
                &format!("\"{name}\""),
            )),
            "var" | "param" => Ok(()),
            _ if aggregate => Ok(()),
            _ => match Op::from_name(name) {
                None => Err(self
                    .err(format_args!("unrecognized operator \"{name}\""), "a rule operator", &format!("\"{name}\""))
                    .with_hint(format!("Valid operators are: {RULE_OPERATORS}."))),
                Some(op) if !op.rule_supported() => Err(self
                    .err(format_args!("operator \"{name}\" is not supported in rules"), "a rule operator", &format!("\"{name}\""))
                    .with_hint(format!("Valid operators are: {RULE_OPERATORS}."))),
                Some(_) => Ok(()),
            },
        }
    }

    /// Compile an operator (already checked by `check_operator`) at the pointer of
    /// its arguments.
    fn op(&mut self, name: &str, raw: &Value, ctx: Ctx, depth: usize) -> FitResult<(Node, Ty)> {
        let args = Args::of(raw);
        match name {
            "var" => self.var(&args),
            "param" => self.param(&args),
            "count" | "distinct_days" | "streak_days" | "sum" | "avg" | "streak_weeks" => {
                self.aggregate(name, &args, depth)
            }
            "max" | "min" if is_selection(args.items.first().copied()) => self.aggregate(name, &args, depth),
            _ => match Op::from_name(name) {
                Some(op) => self.jsonlogic_op(op, &args, ctx, depth),
                None => Err(self.err(format_args!("unrecognized operator \"{name}\""), "a rule operator", &format!("\"{name}\""))),
            },
        }
    }

    fn var(&mut self, args: &Args) -> FitResult<(Node, Ty)> {
        self.arity("var", args, 1, 1)?;
        let all = field_names(|_| true);
        self.at_arg(args, 0, |c| match args.items[0] {
            Value::String(s) => match field_index(s) {
                Some(i) => {
                    let ty = match WORKOUT_FIELDS[i].1 {
                        FieldType::Number => Ty::Number,
                        FieldType::Text | FieldType::Timestamp => Ty::Text,
                    };
                    Ok((Node::Field(i as u16), ty))
                }
                None => Err(c
                    .err(format_args!("unrecognized workout field \"{s}\""), "the name of a workout field", &describe(args.items[0]))
                    .with_hint(format!("Valid fields are: {all}."))),
            },
            other => Err(c
                .err("expected a workout field name", "the name of a workout field", &describe(other))
                .with_hint(format!("Valid fields are: {all}."))),
        })
    }

    fn param(&mut self, args: &Args) -> FitResult<(Node, Ty)> {
        self.arity("param", args, 1, 2)?;
        let name = self.at_arg(args, 0, |c| match args.items[0] {
            Value::String(s) if !s.is_empty() => Ok(s.clone()),
            other => Err(c.err("invalid parameter name", "a non-empty string naming the parameter", &describe(other))),
        })?;
        let default = match args.items.get(1) {
            None => None,
            Some(d @ (Value::Number(_) | Value::String(_) | Value::Bool(_))) => Some((*d).clone()),
            Some(other) => {
                return self.at_arg(args, 1, |c| {
                    Err(c
                        .err(format_args!("invalid default for parameter \"{name}\""), "a number, string or boolean", &describe(other))
                        .with_hint("Omit the default to make the parameter required."))
                })
            }
        };
        if let Some((_, seen)) = self.params.iter().find(|(n, _)| *n == name) {
            if *seen != default {
                return Err(self.err(
                    format_args!("parameter \"{name}\" has conflicting defaults"),
                    "the same default at every use of the parameter",
                    &default.as_ref().map_or("no default".to_string(), describe),
                ));
            }
        } else {
            self.params.push((name.clone(), default.clone()));
        }
        let ty = default.as_ref().map_or(Ty::Any, Ty::of);
        Ok((Node::Param(name, default), ty))
    }

    /// `{"workouts": [PREDICATE]}` at the pointer of the current argument.
    fn selection(&mut self, op: &str, v: &Value, depth: usize) -> FitResult<Sel> {
        let Value::Object(m) = v else {
            return Err(self.err(
                format_args!("operator \"{op}\" needs a workouts selection"),
                "a selection such as {\"workouts\": [PREDICATE]}",
                &describe(v),
            ));
        };
        let raw = match (m.len(), m.get("workouts")) {
            (1, Some(raw)) => raw,
            _ => {
                return Err(self.err(
                    format_args!("operator \"{op}\" needs a workouts selection"),
                    "a selection such as {\"workouts\": [PREDICATE]}",
                    &describe(v),
                ))
            }
        };
        self.at("workouts", |c| {
            let args = Args::of(raw);
            c.arity("workouts", &args, 0, 1)?;
            match args.items.first() {
                None | Some(Value::Bool(true)) => Ok(None),
                Some(pred) => c.at_arg(&args, 0, |c| Ok(Some(c.node(pred, Ctx::Pred, depth + 2)?.0))),
            }
        })
    }

    fn numeric_field(&mut self, op: &str, v: &Value) -> FitResult<u16> {
        let numeric = field_names(|t| t == FieldType::Number);
        match v {
            Value::String(s) => match field_index(s) {
                Some(i) if WORKOUT_FIELDS[i].1 == FieldType::Number => Ok(i as u16),
                Some(_) => Err(self
                    .err(format_args!("field \"{s}\" of operator \"{op}\" is not numeric"), "the name of a numeric workout field", &describe(v))
                    .with_hint(format!("Numeric fields are: {numeric}."))),
                None => Err(self
                    .err(format_args!("unrecognized workout field \"{s}\""), "the name of a numeric workout field", &describe(v))
                    .with_hint(format!("Numeric fields are: {numeric}."))),
            },
            other => Err(self
                .err(format_args!("operator \"{op}\" needs a field name"), "the name of a numeric workout field", &describe(other))
                .with_hint(format!("Numeric fields are: {numeric}."))),
        }
    }

    fn aggregate(&mut self, name: &str, args: &Args, depth: usize) -> FitResult<(Node, Ty)> {
        let n = if matches!(name, "count" | "distinct_days" | "streak_days") { 1 } else { 2 };
        self.arity(name, args, n, n)?;
        let sel = self.at_arg(args, 0, |c| c.selection(name, args.items[0], depth))?;
        let agg = match name {
            "count" => Agg::Count(sel),
            "distinct_days" => Agg::DistinctDays(sel),
            "streak_days" => Agg::StreakDays(sel),
            "streak_weeks" => {
                let n = self.at_arg(args, 1, |c| c.weeks_min(args.items[1]))?;
                Agg::StreakWeeks(sel, Box::new(n))
            }
            _ => {
                let f = self.at_arg(args, 1, |c| c.numeric_field(name, args.items[1]))?;
                match name {
                    "sum" => Agg::Sum(sel, f),
                    "avg" => Agg::Avg(sel, f),
                    "max" => Agg::Max(sel, f),
                    _ => Agg::Min(sel, f),
                }
            }
        };
        Ok((Node::Agg(Box::new(agg)), Ty::Number))
    }

    /// The N of `streak_weeks`: a whole number >= 1, or a parameter whose default is.
    fn weeks_min(&mut self, v: &Value) -> FitResult<Node> {
        let ok = |x: &Value| matches!(x, Value::Number(n) if num_f64(n) >= 1.0 && num_f64(n).fract() == 0.0);
        let bad = |c: &Self, found: &Value| {
            Err(c.err(
                "operator \"streak_weeks\" needs a whole number of workouts per week",
                "a whole number of at least 1",
                &describe(found),
            ))
        };
        match v {
            x if ok(x) => Ok(Node::Lit(x.clone())),
            Value::Object(m) if m.contains_key("param") && m.len() == 1 => {
                let (node, _) = self.node(v, Ctx::Top, 1)?;
                match &node {
                    Node::Param(_, Some(d)) if !ok(d) => bad(self, d),
                    _ => Ok(node),
                }
            }
            other => bad(self, other),
        }
    }

    fn jsonlogic_op(&mut self, op: Op, args: &Args, ctx: Ctx, depth: usize) -> FitResult<(Node, Ty)> {
        let name = op.name();
        let (min, max) = match op {
            Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Gt | Op::Ge | Op::Div | Op::Mod | Op::In => (2, 2),
            Op::Lt | Op::Le => (2, 3),
            Op::Not | Op::NotNot => (1, 1),
            Op::Ternary => (3, 3),
            Op::Sub => (1, 2),
            Op::Substr => (2, 3),
            _ => (1, usize::MAX),
        };
        self.arity(name, args, min, max)?;
        let mut nodes = Vec::with_capacity(args.items.len());
        let mut tys = Vec::with_capacity(args.items.len());
        for (i, item) in args.items.iter().enumerate() {
            let (node, ty) = self.at_arg(args, i, |c| {
                if op == Op::In && i == 1 {
                    if let Value::Array(elems) = item {
                        for (j, e) in elems.iter().enumerate() {
                            if matches!(e, Value::Array(_) | Value::Object(_)) {
                                return c.at(&j.to_string(), |c| {
                                    Err(c.err("invalid list for \"in\"", "a number, string, boolean or null", &describe(e)))
                                });
                            }
                        }
                        return Ok((Node::Lit((*item).clone()), Ty::Array));
                    }
                }
                c.node(item, ctx, depth + 1)
            })?;
            nodes.push(node);
            tys.push(ty);
        }
        let literal_ty = |n: &Node| match n {
            Node::Lit(v) => Some(Ty::of(v)),
            Node::Param(_, Some(v)) => Some(Ty::of(v)),
            _ => None,
        };
        let mismatch = |c: &Self, i: usize, want: Ty, found: &Node| -> FitError {
            let found = match found {
                Node::Lit(v) | Node::Param(_, Some(v)) => describe(v),
                _ => "an expression of another type".into(),
            };
            let e = FitError::invalid_text(format!("invalid rule: type mismatch in operator \"{name}\""));
            let ptr = if args.wrapped { child_pointer(&c.ptr, &i.to_string()) } else { c.ptr.clone() };
            e.with_detail(format!("At JSON pointer \"{ptr}\": expected {}, found {found}.", want.expected()))
        };
        let ty = match op {
            Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                let equality = matches!(op, Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe);
                for i in 0..nodes.len() {
                    // Compare each literal with a typed neighbour.
                    let Some(lt) = literal_ty(&nodes[i]) else { continue };
                    let neighbour = [i.wrapping_sub(1), i + 1]
                        .into_iter()
                        .filter_map(|j| tys.get(j).copied().filter(|t| matches!(t, Ty::Number | Ty::Text)).filter(|_| literal_ty(&nodes[j]).is_none()))
                        .next();
                    if let Some(want) = neighbour {
                        if lt != want && !(equality && lt == Ty::Null) {
                            return Err(mismatch(self, i, want, &nodes[i]));
                        }
                    }
                }
                Ty::Bool
            }
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod | Op::Min | Op::Max => {
                for (i, n) in nodes.iter().enumerate() {
                    let bad = match literal_ty(n) {
                        Some(t) => t != Ty::Number,
                        None => tys[i] == Ty::Text || tys[i] == Ty::Bool,
                    };
                    if bad {
                        return Err(mismatch(self, i, Ty::Number, n));
                    }
                }
                Ty::Number
            }
            Op::Substr => {
                for (i, n) in nodes.iter().enumerate().skip(1) {
                    let whole = |v: &Value| matches!(v, Value::Number(x) if num_f64(x).fract() == 0.0);
                    if let Node::Lit(v) | Node::Param(_, Some(v)) = n {
                        if !whole(v) {
                            let e = mismatch(self, i, Ty::Number, n);
                            return Err(e.with_hint("substr takes whole-number positions."));
                        }
                    }
                }
                Ty::Text
            }
            Op::In => {
                if let Some(t) = literal_ty(&nodes[1]) {
                    if !matches!(t, Ty::Array | Ty::Text) {
                        return Err(mismatch(self, 1, Ty::Array, &nodes[1]));
                    }
                } else if tys[1] == Ty::Number || tys[1] == Ty::Bool {
                    return Err(mismatch(self, 1, Ty::Array, &nodes[1]));
                }
                Ty::Bool
            }
            Op::Cat => Ty::Text,
            Op::Not | Op::NotNot => Ty::Bool,
            _ => Ty::Any,
        };
        Ok((Node::Op(op, nodes), ty))
    }
}

fn is_selection(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Object(m)) if m.len() == 1 && m.contains_key("workouts"))
}

/// Compile and validate a challenge rule.
///
/// Errors are 22P02 `invalid rule: ...` with a DETAIL naming the JSON pointer
/// (RFC 6901) of the offending node and what was expected there.
pub fn compile(json: &Value) -> FitResult<Rule> {
    let mut c = Compiler { ptr: String::new(), params: Vec::new() };
    if !matches!(json, Value::Object(_)) {
        return Err(c.err("expected an operator object", "an operator object such as {\"and\": [...]}", &describe(json)));
    }
    let (root, _) = c.node(json, Ctx::Top, 1)?;
    Ok(Rule { root })
}

// ---------------------------------------------------------------------------------
// Canonical JSON

fn sel_json(sel: &Sel, subst: &mut Subst) -> FitResult<Value> {
    let args = match sel {
        None => Vec::new(),
        Some(p) => vec![node_json(p, subst)?],
    };
    Ok(single("workouts", Value::Array(args)))
}

fn single(key: &str, v: Value) -> Value {
    let mut m = Map::new();
    m.insert(key.to_string(), v);
    Value::Object(m)
}

/// How parameters are written out: kept as placeholders, or replaced by values.
enum Subst<'m> {
    Keep,
    Fill(&'m Map<String, Value>),
}

fn field_name(i: u16) -> &'static str {
    WORKOUT_FIELDS.get(usize::from(i)).map_or("", |(n, _)| *n)
}

fn node_json(node: &Node, subst: &mut Subst) -> FitResult<Value> {
    Ok(match node {
        Node::Lit(v) => v.clone(),
        Node::Field(i) => single("var", Value::String(field_name(*i).to_string())),
        Node::Op(op, args) => single(op.name(), Value::Array(args.iter().map(|n| node_json(n, subst)).collect::<FitResult<_>>()?)),
        Node::Param(name, default) => match subst {
            Subst::Keep => {
                let mut a = vec![Value::String(name.clone())];
                a.extend(default.clone());
                single("param", Value::Array(a))
            }
            Subst::Fill(values) => match values.get(name).or(default.as_ref()) {
                Some(v @ (Value::Number(_) | Value::String(_) | Value::Bool(_))) => v.clone(),
                Some(other) => {
                    return Err(FitError::invalid_param(format!("invalid value for rule parameter \"{name}\""))
                        .with_detail(format!("Parameter values must be numbers, strings or booleans, found {}.", describe(other))))
                }
                None => {
                    return Err(FitError::invalid_param(format!("missing value for rule parameter \"{name}\""))
                        .with_detail("The parameter has no default, so the template must supply a value."))
                }
            },
        },
        Node::Agg(agg) => {
            let mut args = vec![sel_json(agg.sel(), subst)?];
            match agg.as_ref() {
                Agg::Sum(_, f) | Agg::Max(_, f) | Agg::Min(_, f) | Agg::Avg(_, f) => {
                    args.push(Value::String(field_name(*f).to_string()))
                }
                Agg::StreakWeeks(_, n) => args.push(node_json(n, subst)?),
                Agg::Count(_) | Agg::DistinctDays(_) | Agg::StreakDays(_) => {}
            }
            single(agg.name(), Value::Array(args))
        }
    })
}

fn collect_params(node: &Node, out: &mut Vec<(String, Value)>) {
    let mut visit = |n: &Node| collect_params(n, out);
    match node {
        Node::Param(name, default) => {
            if !out.iter().any(|(n, _)| n == name) {
                out.push((name.clone(), default.clone().unwrap_or(Value::Null)));
            }
        }
        Node::Op(_, items) => items.iter().for_each(&mut visit),
        Node::Agg(agg) => {
            if let Some(p) = agg.sel() {
                visit(p);
            }
            if let Agg::StreakWeeks(_, n) = agg.as_ref() {
                visit(n);
            }
        }
        Node::Lit(_) | Node::Field(_) => {}
    }
}

fn corrupt(reason: impl std::fmt::Display) -> FitError {
    FitError::invalid_text("invalid rule: corrupt binary form").with_detail(format!("{reason}."))
}

impl Rule {
    /// The canonical JSON form: every operator's arguments as an array (`{"!": true}`
    /// becomes `{"!": [true]}`), `var` with a bare field name, an all-workouts
    /// selection as `{"workouts": []}`. `compile(&r.to_json()) == Ok(r)`.
    pub fn to_json(&self) -> Value {
        // Keep never fails: only filling parameters can.
        node_json(&self.root, &mut Subst::Keep).unwrap_or(Value::Null)
    }

    /// The compact binary form stored by the `fitflow.rule` type: a format version
    /// byte followed by the MessagePack (rmp-serde) encoding of the compiled tree.
    pub fn to_msgpack(&self) -> Vec<u8> {
        let mut out = vec![FORMAT_VERSION];
        // Encoding an in-memory tree into a Vec cannot fail.
        if let Ok(body) = rmp_serde::to_vec(&self.root) {
            out.extend(body);
        }
        out
    }

    /// Decode [`Rule::to_msgpack`] output; corrupt input is an error, never a panic.
    /// The decoded tree is re-validated, so every `Rule` is one `compile` accepts.
    pub fn from_msgpack(bytes: &[u8]) -> FitResult<Rule> {
        let Some((&version, body)) = bytes.split_first() else {
            return Err(corrupt("The value is empty"));
        };
        if version != FORMAT_VERSION {
            return Err(corrupt(format_args!("Unsupported format version {version}")));
        }
        let mut cursor = std::io::Cursor::new(body);
        let mut de = rmp_serde::Deserializer::new(&mut cursor);
        de.set_max_depth(MAX_MSGPACK_DEPTH);
        let root = Node::deserialize(&mut de).map_err(|e| corrupt(format_args!("Could not decode it: {e}")))?;
        if usize::try_from(cursor.position()).ok() != Some(body.len()) {
            return Err(corrupt("It has trailing bytes"));
        }
        let rule = compile(&node_json(&root, &mut Subst::Keep)?).map_err(|e| corrupt(e.message))?;
        if rule.root != root {
            return Err(corrupt("The decoded tree is not in compiled form"));
        }
        Ok(rule)
    }

    /// The template parameters in order of first appearance, with their defaults
    /// (`Value::Null` for a required parameter; explicit defaults are never null).
    pub fn params(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        collect_params(&self.root, &mut out);
        out
    }

    /// Replace every placeholder by `values[name]`, or by its default when no value is
    /// given. A parameter with neither, a value that is not a number, string or
    /// boolean, or a value for an unknown parameter is a 22023 error; the filled rule
    /// is validated again (a value of the wrong type gives the usual 22P02).
    pub fn with_params(&self, values: &Map<String, Value>) -> FitResult<Rule> {
        let known = self.params();
        for name in values.keys() {
            if !known.iter().any(|(n, _)| n == name) {
                let names = known.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
                let hint = if names.is_empty() { "The rule has no parameters.".to_string() } else { format!("The rule's parameters are: {names}.") };
                return Err(FitError::invalid_param(format!("unrecognized rule parameter \"{name}\"")).with_hint(hint));
            }
        }
        let json = node_json(&self.root, &mut Subst::Fill(values))?;
        compile(&json)
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_json())
    }
}
