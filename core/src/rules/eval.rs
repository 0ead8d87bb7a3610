//! The evaluator: plain JsonLogic interpreted directly on the borrowed JSON rule or
//! prepared once ([`PNode`], see `plain.rs`), and compiled challenge-rule trees
//! ([`Node`]), sharing one implementation of every operator through the [`Expr`]
//! trait.
//!
//! A [`Scope`] says what `var` reads (JSON data, the `reduce` pair, one workout, or
//! nothing at a rule's top level). Errors are boxed inside the evaluator so the hot
//! `Result<Val>` stays small.

use super::node::{Agg, Node, Op};
use super::plain::PNode;
use super::value::{
    js_le, js_lt, loose_eq, num_f64, number_to_string, parse_float, push_cat, reduce_object,
    strict_eq, to_js_string, to_number, Val,
};
use super::workout::Workout;
use crate::error::{FitError, FitResult, Kind};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Evaluator result: the error is boxed to keep the `Ok` path small.
pub(crate) type R<T> = Result<T, Box<FitError>>;

/// Deepest plain JsonLogic rule accepted (serde_json's parser stops at 128 too).
pub(crate) const MAX_PLAIN_DEPTH: usize = 128;

/// Largest array (elements) or string (bytes) `merge` and `cat` may build, so that a
/// rule doubling a value in `reduce` cannot exhaust the backend's memory.
pub(crate) const MAX_BUILT_LEN: usize = 16 * 1024 * 1024;

fn too_large(op: &str) -> Box<FitError> {
    Box::new(
        FitError::new(Kind::ProgramLimitExceeded, format!("result of operator \"{op}\" is too large"))
            .with_detail(format!("JsonLogic values may hold at most {MAX_BUILT_LEN} elements or bytes.")),
    )
}

pub(crate) fn unknown_op(name: &str) -> Box<FitError> {
    Box::new(FitError::invalid_param(format!("unrecognized operation \"{name}\"")))
}

pub(crate) fn param_without_value(name: &str) -> Box<FitError> {
    Box::new(
        FitError::invalid_param(format!("rule parameter \"{name}\" has no value"))
            .with_detail("The parameter has no default and no value was supplied.")
            .with_hint("Fill the template's parameters before evaluating it."),
    )
}

/// What `var` reads.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'a, 'c> {
    /// Plain JsonLogic data (or the current element inside map/filter/all/...).
    Data(&'c Val<'a>),
    /// Inside `reduce`: `{"current": .., "accumulator": ..}`.
    Reduce(&'c Val<'a>, &'c Val<'a>),
    /// Inside a rule's `workouts` predicate.
    Workout(&'a Workout),
    /// The top level of a rule: aggregates read the athlete's workouts.
    Athlete(&'a [Workout]),
}

impl Scope<'_, '_> {
    /// Rules (not plain JsonLogic) make ordering comparisons with null false.
    #[inline]
    pub(crate) fn is_rule(&self) -> bool {
        matches!(self, Scope::Workout(_) | Scope::Athlete(_))
    }
}

/// Something the operators can evaluate: a JSON rule node or a compiled rule node.
pub(crate) trait Expr {
    /// `d` is the nesting depth of this node in a plain JsonLogic rule.
    fn eval<'a>(&'a self, scope: &Scope<'a, '_>, d: u32) -> R<Val<'a>>;

    /// This node prepared for evaluation per array element, when that is worth it
    /// (only JSON rule nodes, which are otherwise re-interpreted every time).
    fn prepare(&self, _d: u32) -> Option<PNode> {
        None
    }
}

impl Expr for Value {
    #[inline]
    fn eval<'a>(&'a self, scope: &Scope<'a, '_>, d: u32) -> R<Val<'a>> {
        eval_json(self, scope, d)
    }

    fn prepare(&self, d: u32) -> Option<PNode> {
        Some(super::plain::build(self, d))
    }
}

impl Expr for Node {
    #[inline]
    fn eval<'a>(&'a self, scope: &Scope<'a, '_>, _d: u32) -> R<Val<'a>> {
        eval_node(self, scope)
    }
}

// ---------------------------------------------------------------------------------
// Plain JsonLogic

pub(crate) fn too_deep_err() -> Box<FitError> {
    Box::new(too_deep())
}

fn too_deep() -> FitError {
    FitError::new(Kind::ProgramLimitExceeded, "jsonlogic rule is nested too deeply")
        .with_detail(format!("Rules may nest at most {MAX_PLAIN_DEPTH} levels."))
}

/// Refuse absurdly deep rules up front (`JsonLogic::compile`); evaluation checks the
/// depth of the nodes it reaches as it goes.
pub(crate) fn check_plain_depth(v: &Value, depth: usize) -> FitResult<()> {
    if depth > MAX_PLAIN_DEPTH {
        return Err(too_deep());
    }
    match v {
        Value::Array(items) => items.iter().try_for_each(|i| check_plain_depth(i, depth + 1)),
        Value::Object(m) if m.len() == 1 => m.values().try_for_each(|a| match a {
            Value::Array(args) => args.iter().try_for_each(|i| check_plain_depth(i, depth + 1)),
            other => check_plain_depth(other, depth + 1),
        }),
        _ => Ok(()),
    }
}

/// Evaluate a plain JsonLogic rule node, like json-logic-js's `apply`.
pub(crate) fn eval_json<'a>(v: &'a Value, scope: &Scope<'a, '_>, d: u32) -> R<Val<'a>> {
    match v {
        Value::Object(m) if m.len() == 1 => {
            if d >= MAX_PLAIN_DEPTH as u32 {
                return Err(Box::new(too_deep()));
            }
            let Some((name, raw)) = m.iter().next() else { return Ok(Val::Ref(v)) };
            let args: &'a [Value] = match raw {
                Value::Array(a) => a.as_slice(),
                other => std::slice::from_ref(other),
            };
            if name == "var" {
                return eval_var(args, scope, d + 1);
            }
            match Op::from_name(name) {
                Some(op) => eval_op(op, args, scope, d + 1),
                None => Err(unknown_op(name)),
            }
        }
        Value::Array(items) => {
            // An array of plain values evaluates to itself; otherwise element-wise.
            if items.iter().all(|i| !matches!(i, Value::Array(_) | Value::Object(_))) {
                return Ok(Val::Ref(v));
            }
            if d >= MAX_PLAIN_DEPTH as u32 {
                return Err(Box::new(too_deep()));
            }
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(eval_json(i, scope, d + 1)?);
            }
            Ok(Val::Arr(out))
        }
        other => Ok(Val::of(other)),
    }
}

/// `{"var": [path, default]}`.
fn eval_var<'a>(args: &'a [Value], scope: &Scope<'a, '_>, d: u32) -> R<Val<'a>> {
    let found = match args.first() {
        None | Some(Value::Null) => resolve(scope, ""),
        Some(Value::String(s)) => resolve(scope, s),
        Some(Value::Number(n)) => resolve(scope, &number_to_string(num_f64(n))),
        Some(other) => {
            let key = eval_json(other, scope, d)?;
            match key {
                Val::Null => resolve(scope, ""),
                k => resolve(scope, &to_js_string(&k)),
            }
        }
    };
    match found {
        Some(v) => Ok(v),
        None => match args.get(1) {
            Some(dflt) => eval_json(dflt, scope, d),
            None => Ok(Val::Null),
        },
    }
}

// ---------------------------------------------------------------------------------
// var

/// A canonical array index ("0", "17"; not "01" or "-1").
fn array_index(seg: &str) -> Option<usize> {
    let b = seg.as_bytes();
    if b.is_empty() || b.len() > 10 || (b.len() > 1 && b[0] == b'0') || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    seg.parse().ok()
}

/// Object member lookup: a linear scan beats hashing for the small objects rules
/// read (workouts have about twenty fields).
#[inline]
fn obj_get<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if m.len() <= 32 {
        m.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

/// `data[seg]` for a JSON value; `None` is JavaScript's undefined.
fn json_prop<'a>(v: &'a Value, seg: &str) -> Option<Val<'a>> {
    match v {
        Value::Object(m) => obj_get(m, seg).map(Val::of),
        Value::Array(a) => {
            if seg == "length" {
                Some(Val::Num(a.len() as f64))
            } else {
                array_index(seg).and_then(|i| a.get(i)).map(Val::of)
            }
        }
        Value::String(s) => string_prop(s, seg),
        _ => None,
    }
}

fn string_prop<'a>(s: &str, seg: &str) -> Option<Val<'a>> {
    if seg == "length" {
        return Some(Val::Num(s.encode_utf16().count() as f64));
    }
    array_index(seg).and_then(|i| s.chars().nth(i)).map(|c| Val::Str(Cow::Owned(c.to_string())))
}

/// `data[seg]` for an evaluated value.
fn prop<'a>(v: &Val<'a>, seg: &str) -> Option<Val<'a>> {
    match v {
        Val::Ref(r) => json_prop(r, seg),
        Val::Arr(a) => {
            if seg == "length" {
                Some(Val::Num(a.len() as f64))
            } else {
                array_index(seg).and_then(|i| a.get(i)).cloned()
            }
        }
        Val::Str(s) => string_prop(s, seg),
        Val::Obj(o) => o.get(seg).map(owned_val),
        _ => None,
    }
}

/// An owned copy of a JSON value (only for the rare object built by `reduce`).
fn owned_val(v: &Value) -> Val<'static> {
    match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => Val::Num(num_f64(n)),
        Value::String(s) => Val::Str(Cow::Owned(s.clone())),
        Value::Array(a) => Val::Arr(a.iter().map(owned_val).collect()),
        Value::Object(_) => Val::Obj(Box::new(v.clone())),
    }
}

/// Walk the remaining segments from `cur` like json-logic-js: a null or missing
/// step gives undefined (`None`); a present null at the end is null.
fn walk<'a, 's>(mut cur: Val<'a>, segs: impl Iterator<Item = &'s str>) -> Option<Val<'a>> {
    for seg in segs {
        if cur.is_null() {
            return None;
        }
        cur = match cur {
            Val::Ref(r) => json_prop(r, seg)?,
            other => prop(&other, seg)?,
        };
    }
    Some(cur)
}

/// Resolve a dotted `var` path in a scope ("" is the whole data); `None` is undefined.
pub(crate) fn resolve<'a>(scope: &Scope<'a, '_>, path: &str) -> Option<Val<'a>> {
    match scope {
        Scope::Data(d) => {
            if path.is_empty() {
                return Some((*d).clone());
            }
            // Fast path: a plain key (no dots) on borrowed JSON.
            if let Val::Ref(r) = d {
                if !path.as_bytes().contains(&b'.') {
                    return json_prop(r, path);
                }
            }
            let mut segs = path.split('.');
            let first = segs.next()?;
            let start = match d {
                Val::Ref(r) => json_prop(r, first)?,
                Val::Null => return None,
                other => prop(other, first)?,
            };
            walk(start, segs)
        }
        Scope::Reduce(cur, acc) => {
            if path.is_empty() {
                return Some(Val::Obj(Box::new(reduce_object(cur, acc))));
            }
            let (first, rest) = match path.split_once('.') {
                Some((f, r)) => (f, Some(r)),
                None => (path, None),
            };
            let base = match first {
                "current" => *cur,
                "accumulator" => *acc,
                _ => return None,
            };
            match rest {
                None => Some(base.clone()),
                Some(rest) => match base {
                    Val::Ref(r) if !rest.as_bytes().contains(&b'.') => json_prop(r, rest),
                    Val::Null => None,
                    other => walk(other.clone(), rest.split('.')),
                },
            }
        }
        Scope::Workout(_) | Scope::Athlete(_) => None,
    }
}

/// Walk a pre-split, non-empty path from `start`: the same steps as [`walk`] after
/// the first lookup of [`resolve`].
#[inline]
fn walk_from<'a>(start: &Val<'a>, segs: &[Box<str>]) -> Option<Val<'a>> {
    let Some((first, rest)) = segs.split_first() else { return Some(start.clone()) };
    let cur = match start {
        Val::Ref(r) => json_prop(r, first)?,
        s if s.is_null() => return None,
        other => prop(other, first)?,
    };
    walk(cur, rest.iter().map(|seg| &**seg))
}

/// [`resolve`] for a non-empty path already split at its dots.
#[inline]
pub(crate) fn resolve_segs<'a>(scope: &Scope<'a, '_>, segs: &[Box<str>]) -> Option<Val<'a>> {
    match scope {
        Scope::Data(d) => walk_from(d, segs),
        Scope::Reduce(cur, acc) => {
            let (first, rest) = segs.split_first()?;
            let base = match &**first {
                "current" => *cur,
                "accumulator" => *acc,
                _ => return None,
            };
            walk_from(base, rest)
        }
        Scope::Workout(_) | Scope::Athlete(_) => None,
    }
}

// ---------------------------------------------------------------------------------
// Compiled rule nodes

/// Evaluate a compiled rule node.
pub(crate) fn eval_node<'a>(node: &'a Node, scope: &Scope<'a, '_>) -> R<Val<'a>> {
    match node {
        Node::Field(i) => Ok(match scope {
            Scope::Workout(w) => Val::of(w.get(usize::from(*i))),
            _ => Val::Null,
        }),
        Node::Lit(v) => Ok(Val::of(v)),
        Node::Op(op, args) => eval_op(*op, args, scope, 0),
        Node::Param(name, default) => match default {
            Some(v) => Ok(Val::of(v)),
            None => Err(param_without_value(name)),
        },
        Node::Agg(agg) => match scope {
            Scope::Athlete(ws) => aggregate(agg, ws),
            _ => Err(Box::new(FitError::invalid_param(format!(
                "aggregate \"{}\" cannot be evaluated here",
                agg.name()
            )))),
        },
    }
}

// ---------------------------------------------------------------------------------
// Operators

/// Evaluate argument `i` (undefined, i.e. null, when absent).
#[inline]
fn arg<'a, E: Expr>(args: &'a [E], i: usize, scope: &Scope<'a, '_>, d: u32) -> R<Val<'a>> {
    match args.get(i) {
        Some(a) => a.eval(scope, d),
        None => Ok(Val::Null),
    }
}

/// Numeric argument `i` with JavaScript's undefined (absent) as NaN.
#[inline]
fn num<'a, E: Expr>(args: &'a [E], i: usize, scope: &Scope<'a, '_>, d: u32) -> R<f64> {
    match args.get(i) {
        Some(a) => Ok(to_number(&a.eval(scope, d)?)),
        None => Ok(f64::NAN),
    }
}

pub(crate) fn eval_op<'a, E: Expr>(op: Op, args: &'a [E], scope: &Scope<'a, '_>, d: u32) -> R<Val<'a>> {
    match op {
        // Binary comparisons without building a vector (the hot path of predicates).
        Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Gt | Op::Ge | Op::Lt | Op::Le if args.len() <= 2 => {
            let a = arg(args, 0, scope, d)?;
            let b = arg(args, 1, scope, d)?;
            Ok(Val::Bool(compare(op, &a, &b, scope.is_rule())))
        }
        Op::And | Op::Or => {
            let mut cur = Val::Null;
            for a in args {
                cur = a.eval(scope, d)?;
                if cur.truthy() == (op == Op::Or) {
                    return Ok(cur);
                }
            }
            Ok(cur)
        }
        Op::Not | Op::NotNot => {
            let truthy = arg(args, 0, scope, d)?.truthy();
            // json-logic-js evaluates every argument of a non-lazy operator.
            for a in args.iter().skip(1) {
                a.eval(scope, d)?;
            }
            Ok(Val::Bool(truthy == (op == Op::NotNot)))
        }
        Op::If | Op::Ternary => eval_if(args, scope, d),
        Op::Add => {
            let mut sum = 0.0;
            for a in args {
                sum += parse_float(&a.eval(scope, d)?);
            }
            Ok(Val::Num(sum))
        }
        Op::Sub => Ok(Val::Num(match args.len() {
            0 => f64::NAN,
            1 => -num(args, 0, scope, d)?,
            _ => {
                let x = num(args, 0, scope, d)?;
                let y = num(args, 1, scope, d)?;
                eval_rest(args, 2, scope, d)?;
                x - y
            }
        })),
        Op::Div | Op::Mod => {
            let x = num(args, 0, scope, d)?;
            let y = num(args, 1, scope, d)?;
            eval_rest(args, 2, scope, d)?;
            Ok(Val::Num(if op == Op::Div { x / y } else { x % y }))
        }
        Op::Filter | Op::Some | Op::None | Op::Map | Op::Reduce | Op::All => eval_scoped(op, args, scope, d),
        _ => eval_eager(op, args, scope, d),
    }
}

/// Evaluate arguments from `from` on for their errors only.
fn eval_rest<'a, E: Expr>(args: &'a [E], from: usize, scope: &Scope<'a, '_>, d: u32) -> R<()> {
    for a in args.iter().skip(from) {
        a.eval(scope, d)?;
    }
    Ok(())
}

#[inline(never)]
fn eval_eager<'a, E: Expr>(op: Op, args: &'a [E], scope: &Scope<'a, '_>, d: u32) -> R<Val<'a>> {
    // Up to four arguments are evaluated into a stack buffer (no allocation).
    if args.len() <= 4 {
        let mut buf = [Val::Null, Val::Null, Val::Null, Val::Null];
        for (slot, a) in buf.iter_mut().zip(args) {
            *slot = a.eval(scope, d)?;
        }
        return apply_eager(op, &mut buf[..args.len()], scope);
    }
    let mut vals = Vec::with_capacity(args.len());
    for a in args {
        vals.push(a.eval(scope, d)?);
    }
    apply_eager(op, &mut vals, scope)
}

#[inline(never)]
fn eval_if<'a, E: Expr>(args: &'a [E], scope: &Scope<'a, '_>, d: u32) -> R<Val<'a>> {
    let mut i = 0;
    while i + 1 < args.len() {
        if args[i].eval(scope, d)?.truthy() {
            return args[i + 1].eval(scope, d);
        }
        i += 2;
    }
    arg(args, i, scope, d)
}

/// Run `f` on every element of an array value (nothing for non-arrays) until it
/// returns false.
fn for_each_elem<'a>(v: &Val<'a>, mut f: impl FnMut(&Val<'a>) -> R<bool>) -> R<()> {
    match v {
        Val::Ref(Value::Array(a)) => {
            for e in a {
                if !f(&Val::of(e))? {
                    break;
                }
            }
        }
        Val::Arr(a) => {
            for e in a {
                if !f(e)? {
                    break;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// The operators that evaluate a sub-rule per array element.
#[inline(never)]
fn eval_scoped<'a, E: Expr>(op: Op, args: &'a [E], scope: &Scope<'a, '_>, d: u32) -> R<Val<'a>> {
    let data = arg(args, 0, scope, d)?;
    let logic = args.get(1);
    if matches!(op, Op::Filter | Op::Some | Op::None | Op::All) && data.array_len().unwrap_or(0) >= PREPARE_MIN_LEN {
        if let Some(prepared) = logic.and_then(|l| l.prepare(d)) {
            return scoped_prepared(op, &data, &prepared, d);
        }
    }
    match op {
        Op::Filter | Op::Some | Op::None => {
            let mut out = Vec::new();
            let stop_at_first = op != Op::Filter;
            for_each_elem(&data, |e| {
                let keep = match logic {
                    Some(l) => l.eval(&Scope::Data(e), d)?.truthy(),
                    None => false,
                };
                if keep {
                    out.push(e.clone());
                }
                Ok(!(keep && stop_at_first))
            })?;
            Ok(match op {
                Op::Some => Val::Bool(!out.is_empty()),
                Op::None => Val::Bool(out.is_empty()),
                _ => Val::Arr(out),
            })
        }
        Op::Map => {
            let mut out = Vec::with_capacity(data.array_len().unwrap_or(0));
            for_each_elem(&data, |e| {
                out.push(match logic {
                    Some(l) => l.eval(&Scope::Data(e), d)?,
                    None => Val::Null,
                });
                Ok(true)
            })?;
            Ok(Val::Arr(out))
        }
        Op::Reduce => {
            let mut acc = arg(args, 2, scope, d)?;
            if data.array_len().is_none() {
                return Ok(acc);
            }
            for_each_elem(&data, |e| {
                acc = match logic {
                    Some(l) => l.eval(&Scope::Reduce(e, &acc), d)?,
                    None => Val::Null,
                };
                Ok(true)
            })?;
            Ok(acc)
        }
        _ => {
            // all: false for an empty or non-array value.
            if data.array_len().unwrap_or(0) == 0 {
                return Ok(Val::Bool(false));
            }
            let mut all = true;
            for_each_elem(&data, |e| {
                let ok = match logic {
                    Some(l) => l.eval(&Scope::Data(e), d)?.truthy(),
                    None => false,
                };
                all &= ok;
                Ok(ok)
            })?;
            Ok(Val::Bool(all))
        }
    }
}

/// Arrays at least this long have the sub-rule of `filter`/`some`/`none`/`all`
/// prepared once ([`PNode`]) instead of re-interpreted for every element.
const PREPARE_MIN_LEN: usize = 8;

/// `filter`, `some`, `none` and `all` over a non-empty array with a prepared sub-rule:
/// the same loop as [`eval_scoped`]. Only the truthiness of the sub-rule's results
/// is used, so they may borrow from the short-lived prepared rule.
fn scoped_prepared<'a>(op: Op, data: &Val<'a>, logic: &PNode, d: u32) -> R<Val<'a>> {
    fn keep<'p>(logic: &'p PNode, e: &Val<'p>, d: u32) -> R<bool> {
        Ok(logic.eval(&Scope::Data(e), d)?.truthy())
    }
    match op {
        Op::Filter | Op::Some | Op::None => {
            let mut out = Vec::new();
            let stop_at_first = op != Op::Filter;
            for_each_elem(data, |e| {
                let k = keep(logic, e, d)?;
                if k {
                    out.push(e.clone());
                }
                Ok(!(k && stop_at_first))
            })?;
            Ok(match op {
                Op::Some => Val::Bool(!out.is_empty()),
                Op::None => Val::Bool(out.is_empty()),
                _ => Val::Arr(out),
            })
        }
        _ => {
            let mut all = true;
            for_each_elem(data, |e| {
                let ok = keep(logic, e, d)?;
                all &= ok;
                Ok(ok)
            })?;
            Ok(Val::Bool(all))
        }
    }
}

/// A two-operand comparison. In rules, ordering comparisons with a null operand are
/// false (SQL-like; json-logic-js would coerce null to 0).
#[inline]
pub(crate) fn compare(op: Op, a: &Val, b: &Val, rule: bool) -> bool {
    // Fast paths: same-type numbers and strings.
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => {
            return match op {
                Op::Eq | Op::StrictEq => x == y,
                Op::Ne | Op::StrictNe => x != y,
                Op::Gt => x > y,
                Op::Ge => x >= y,
                Op::Lt => x < y,
                Op::Le => x <= y,
                _ => false,
            }
        }
        (Val::Str(x), Val::Str(y)) if matches!(op, Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe) => {
            return (x == y) == matches!(op, Op::Eq | Op::StrictEq);
        }
        _ => {}
    }
    let ordering = matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le);
    if rule && ordering && (a.is_null() || b.is_null()) {
        return false;
    }
    match op {
        Op::Eq => loose_eq(a, b),
        Op::Ne => !loose_eq(a, b),
        Op::StrictEq => strict_eq(a, b),
        Op::StrictNe => !strict_eq(a, b),
        Op::Gt => js_lt(b, a),
        Op::Ge => js_le(b, a),
        Op::Lt => js_lt(a, b),
        Op::Le => js_le(a, b),
        _ => false,
    }
}

/// Numeric argument `i` of evaluated values, undefined (absent) as NaN.
fn num_arg(vals: &[Val], i: usize) -> f64 {
    vals.get(i).map_or(f64::NAN, to_number)
}

/// Apply an operator to its evaluated arguments.
pub(crate) fn apply_eager<'a>(op: Op, vals: &mut [Val<'a>], scope: &Scope<'a, '_>) -> R<Val<'a>> {
    let rule = scope.is_rule();
    let get = |i: usize| vals.get(i).cloned().unwrap_or(Val::Null);
    Ok(match op {
        Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Gt | Op::Ge => {
            Val::Bool(compare(op, &get(0), &get(1), rule))
        }
        Op::Lt | Op::Le => {
            let first = compare(op, &get(0), &get(1), rule);
            if vals.len() >= 3 {
                Val::Bool(first && compare(op, &get(1), &get(2), rule))
            } else {
                Val::Bool(first)
            }
        }
        Op::Not => Val::Bool(!get(0).truthy()),
        Op::NotNot => Val::Bool(get(0).truthy()),
        Op::Log => get(0),
        Op::Mod => Val::Num(num_arg(vals, 0) % num_arg(vals, 1)),
        Op::Div => Val::Num(num_arg(vals, 0) / num_arg(vals, 1)),
        Op::Sub => match vals.len() {
            0 => Val::Num(f64::NAN),
            1 => Val::Num(-to_number(&vals[0])),
            _ => Val::Num(to_number(&vals[0]) - to_number(&vals[1])),
        },
        Op::Add => Val::Num(vals.iter().fold(0.0, |acc, v| acc + parse_float(v))),
        Op::Mul => {
            let Some((first, rest)) = vals.split_first_mut() else {
                return Err(Box::new(FitError::invalid_param("operator \"*\" needs at least one argument")));
            };
            // Array.prototype.reduce without an initial value returns a single
            // element untouched, so {"*": ["2"]} is "2" in json-logic-js.
            let mut acc = std::mem::replace(first, Val::Null);
            for v in rest.iter() {
                acc = Val::Num(parse_float(&acc) * parse_float(v));
            }
            acc
        }
        Op::Min | Op::Max => {
            let mut acc = if op == Op::Min { f64::INFINITY } else { f64::NEG_INFINITY };
            for v in vals.iter() {
                let n = to_number(v);
                if n.is_nan() {
                    acc = f64::NAN;
                    break;
                }
                acc = if op == Op::Min { acc.min(n) } else { acc.max(n) };
            }
            Val::Num(acc)
        }
        Op::Cat => {
            let mut out = String::new();
            for v in vals.iter() {
                push_cat(v, &mut out);
            }
            if out.len() > MAX_BUILT_LEN {
                return Err(too_large("cat"));
            }
            Val::Str(Cow::Owned(out))
        }
        Op::Substr => substr(vals),
        Op::In => {
            let needle = get(0);
            match vals.get(1) {
                Some(Val::Str(hay)) => Val::Bool(hay.contains(to_js_string(&needle).as_ref())),
                Some(hay) if hay.array_len().is_some() => {
                    let mut found = false;
                    for_each_elem(hay, |e| {
                        found = strict_eq(e, &needle);
                        Ok(!found)
                    })?;
                    Val::Bool(found)
                }
                _ => Val::Bool(false),
            }
        }
        Op::Merge => {
            let mut out = Vec::new();
            for v in vals.iter_mut() {
                let v = std::mem::replace(v, Val::Null);
                if v.array_len().is_some() {
                    out.extend(v.elements());
                } else {
                    out.push(v);
                }
            }
            if out.len() > MAX_BUILT_LEN {
                return Err(too_large("merge"));
            }
            Val::Arr(out)
        }
        Op::Missing => missing(vals.to_vec(), scope),
        Op::MissingSome => {
            let need = get(0);
            let options = get(1);
            let keys = if options.array_len().is_some() { options.elements() } else { vec![options] };
            let total = keys.len();
            let Val::Arr(are_missing) = missing(keys, scope) else { return Ok(Val::Arr(Vec::new())) };
            let present = Val::Num((total - are_missing.len()) as f64);
            if js_le(&need, &present) {
                Val::Arr(Vec::new())
            } else {
                Val::Arr(are_missing)
            }
        }
        // The lazy operators never get here (`eval_op` and `progress::walk` handle them).
        Op::If | Op::Ternary | Op::And | Op::Or | Op::Filter | Op::Map | Op::Reduce | Op::All | Op::Some
        | Op::None => Val::Null,
    })
}

/// `missing`: the keys (the first argument when it is an array, else all arguments)
/// whose `var` is undefined, null or "".
fn missing<'a>(vals: Vec<Val<'a>>, scope: &Scope<'a, '_>) -> Val<'a> {
    let keys = match vals.first() {
        Some(first) if first.array_len().is_some() => first.elements(),
        _ => vals,
    };
    let mut out = Vec::new();
    for key in keys {
        let found = match &key {
            Val::Null => resolve(scope, ""),
            other => resolve(scope, &to_js_string(other)),
        };
        let absent = match found {
            None => true,
            Some(v) => v.is_null() || matches!(&v, Val::Str(s) if s.is_empty()),
        };
        if absent {
            out.push(key);
        }
    }
    Val::Arr(out)
}

/// ToIntegerOrInfinity.
fn to_integer(n: f64) -> f64 {
    if n.is_nan() {
        0.0
    } else {
        n.trunc()
    }
}

/// String.prototype.substr(start, length) on characters.
fn js_substr(chars: &[char], start: f64, length: Option<f64>) -> String {
    let size = chars.len() as f64;
    let mut s = to_integer(start);
    if s < 0.0 {
        s = (size + s).max(0.0);
    }
    let s = s.min(size);
    let len = match length {
        None => size - s,
        Some(l) => to_integer(l).clamp(0.0, size - s),
    };
    let (from, to) = (s as usize, (s + len) as usize);
    chars.get(from..to).map(|c| c.iter().collect()).unwrap_or_default()
}

/// json-logic-js `substr`: a negative end counts characters to drop from the end.
fn substr(vals: &[Val]) -> Val<'static> {
    let source = vals.first().map(to_js_string).unwrap_or(Cow::Borrowed("undefined"));
    let chars: Vec<char> = source.chars().collect();
    let start = num_arg(vals, 1);
    let out = match vals.get(2) {
        None => js_substr(&chars, start, None),
        Some(end) => {
            let end_n = to_number(end);
            if !end.is_null() && end_n < 0.0 {
                let temp: Vec<char> = js_substr(&chars, start, None).chars().collect();
                let keep = temp.len() as f64 + end_n;
                js_substr(&temp, 0.0, Some(keep))
            } else {
                js_substr(&chars, start, Some(end_n))
            }
        }
    };
    Val::Str(Cow::Owned(out))
}

// Aggregates (rules)

/// A selection predicate prepared for the per-workout loop: the common shapes
/// (a field compared with a literal, and/or/not of those) are tested directly on the
/// workout's JSON values; anything else, and any operand that is not of the fast
/// path's type, falls back to the general evaluator, so the result is always the
/// general evaluator's.
enum Pred<'a> {
    All,
    /// `field ==/===/!=/!== "text"`.
    StrEq { field: usize, lit: &'a str, equal: bool, node: &'a Node },
    /// `field <op> number` (operands swapped into that order, `op` adjusted).
    NumCmp { field: usize, op: Op, lit: f64, node: &'a Node },
    And(Vec<Pred<'a>>),
    Or(Vec<Pred<'a>>),
    Not(Box<Pred<'a>>, bool),
    General(&'a Node),
}

impl<'a> Pred<'a> {
    fn new(sel: &'a Option<Node>) -> Pred<'a> {
        match sel {
            None => Pred::All,
            Some(n) => Pred::plan(n),
        }
    }

    fn plan(node: &'a Node) -> Pred<'a> {
        let Node::Op(op, args) = node else { return Pred::General(node) };
        match (op, args.as_slice()) {
            (Op::And, [_, ..]) => Pred::And(args.iter().map(Pred::plan).collect()),
            (Op::Or, [_, ..]) => Pred::Or(args.iter().map(Pred::plan).collect()),
            (Op::Not, [a]) => Pred::Not(Box::new(Pred::plan(a)), false),
            (Op::NotNot, [a]) => Pred::Not(Box::new(Pred::plan(a)), true),
            (Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Lt | Op::Le | Op::Gt | Op::Ge, [a, b]) => {
                let (field, lit, op) = match (a, b) {
                    (Node::Field(f), Node::Lit(l)) => (*f, l, *op),
                    (Node::Lit(l), Node::Field(f)) => (
                        *f,
                        l,
                        match op {
                            Op::Lt => Op::Gt,
                            Op::Le => Op::Ge,
                            Op::Gt => Op::Lt,
                            Op::Ge => Op::Le,
                            other => *other,
                        },
                    ),
                    _ => return Pred::General(node),
                };
                let field = usize::from(field);
                let equality = matches!(op, Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe);
                match lit {
                    Value::String(s) if equality => {
                        Pred::StrEq { field, lit: s, equal: matches!(op, Op::Eq | Op::StrictEq), node }
                    }
                    Value::Number(n) => Pred::NumCmp { field, op, lit: num_f64(n), node },
                    _ => Pred::General(node),
                }
            }
            _ => Pred::General(node),
        }
    }

    fn test(&self, w: &'a Workout) -> R<bool> {
        match self {
            Pred::All => Ok(true),
            Pred::StrEq { field, lit, equal, node } => match w.get(*field) {
                Value::String(s) => Ok((s == lit) == *equal),
                _ => general(node, w),
            },
            Pred::NumCmp { field, op, lit, node } => match w.get(*field) {
                Value::Number(n) => {
                    let x = num_f64(n);
                    Ok(match op {
                        Op::Eq | Op::StrictEq => x == *lit,
                        Op::Ne | Op::StrictNe => x != *lit,
                        Op::Lt => x < *lit,
                        Op::Le => x <= *lit,
                        Op::Gt => x > *lit,
                        _ => x >= *lit,
                    })
                }
                _ => general(node, w),
            },
            Pred::And(ps) => {
                for p in ps {
                    if !p.test(w)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Pred::Or(ps) => {
                for p in ps {
                    if p.test(w)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Pred::Not(p, keep) => Ok(p.test(w)? == *keep),
            Pred::General(node) => general(node, w),
        }
    }
}

fn general<'a>(node: &'a Node, w: &'a Workout) -> R<bool> {
    Ok(eval_node(node, &Scope::Workout(w))?.truthy())
}

/// The numeric value of a field (None for null or non-numbers).
#[inline]
fn field_num(w: &Workout, field: u16) -> Option<f64> {
    match w.get(usize::from(field)) {
        Value::Number(n) => Some(num_f64(n)),
        Value::Null => None,
        other => {
            let n = to_number(&Val::of(other));
            (!n.is_nan()).then_some(n)
        }
    }
}

/// Sorted distinct days of the selected workouts.
fn selected_days(sel: &Option<Node>, ws: &[Workout]) -> R<Vec<i32>> {
    let pred = Pred::new(sel);
    let mut days = Vec::new();
    for w in ws {
        if pred.test(w)? {
            days.push(w.day);
        }
    }
    days.sort_unstable();
    Ok(days)
}

/// Length of the longest run of consecutive integers in a sorted, deduplicated list.
fn longest_run(sorted: &[i64]) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev: Option<i64> = None;
    for &d in sorted {
        run = match prev {
            Some(p) if d == p + 1 => run + 1,
            _ => 1,
        };
        best = best.max(run);
        prev = Some(d);
    }
    best
}

/// The ISO week (Monday start) of a day number: 1970-01-01 was a Thursday, so
/// Monday 1969-12-29 (day -3) starts week 0.
pub(crate) fn iso_week(day: i32) -> i64 {
    (i64::from(day) + 3).div_euclid(7)
}

fn aggregate<'a>(agg: &'a Agg, ws: &'a [Workout]) -> R<Val<'a>> {
    Ok(match agg {
        Agg::Count(sel) => {
            let pred = Pred::new(sel);
            let mut n = 0usize;
            for w in ws {
                if pred.test(w)? {
                    n += 1;
                }
            }
            Val::Num(n as f64)
        }
        Agg::Sum(sel, f) | Agg::Avg(sel, f) => {
            let pred = Pred::new(sel);
            let (mut sum, mut n) = (0.0, 0usize);
            for w in ws {
                if pred.test(w)? {
                    if let Some(x) = field_num(w, *f) {
                        sum += x;
                        n += 1;
                    }
                }
            }
            match agg {
                Agg::Sum(..) => Val::Num(sum),
                _ if n == 0 => Val::Null,
                _ => Val::Num(sum / n as f64),
            }
        }
        Agg::Max(sel, f) | Agg::Min(sel, f) => {
            let is_max = matches!(agg, Agg::Max(..));
            let pred = Pred::new(sel);
            let mut best: Option<f64> = None;
            for w in ws {
                if pred.test(w)? {
                    if let Some(x) = field_num(w, *f) {
                        best = Some(match best {
                            None => x,
                            Some(b) if is_max => b.max(x),
                            Some(b) => b.min(x),
                        });
                    }
                }
            }
            best.map_or(Val::Null, Val::Num)
        }
        Agg::DistinctDays(sel) => {
            let mut days = selected_days(sel, ws)?;
            days.dedup();
            Val::Num(days.len() as f64)
        }
        Agg::StreakDays(sel) => {
            let mut days: Vec<i64> = selected_days(sel, ws)?.into_iter().map(i64::from).collect();
            days.dedup();
            Val::Num(longest_run(&days) as f64)
        }
        Agg::StreakWeeks(sel, n) => {
            let need = to_number(&eval_node(n, &Scope::Athlete(ws))?);
            if !(need >= 1.0 && need == need.trunc()) {
                return Err(Box::new(FitError::invalid_param(format!(
                    "operator \"streak_weeks\" needs a positive whole number of workouts per week, not \"{}\"",
                    number_to_string(need)
                ))));
            }
            let weeks: Vec<i64> = selected_days(sel, ws)?.into_iter().map(iso_week).collect();
            let mut qualifying = Vec::new();
            let mut i = 0;
            while i < weeks.len() {
                let mut j = i;
                while j < weeks.len() && weeks[j] == weeks[i] {
                    j += 1;
                }
                if (j - i) as f64 >= need {
                    qualifying.push(weeks[i]);
                }
                i = j;
            }
            Val::Num(longest_run(&qualifying) as f64)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_start_on_monday() {
        // Day numbers and weekdays from Python's datetime.date (independent source):
        // 2026-11-29 Sunday = 20786, 2026-11-30 Monday = 20787, 2026-12-01 Tuesday = 20788.
        assert_eq!(iso_week(20787), iso_week(20788));
        assert_eq!(iso_week(20786) + 1, iso_week(20787));
        // 1970-01-01 (Thursday, day 0) shares its week with Monday 1969-12-29 (day -3).
        assert_eq!(iso_week(0), iso_week(-3));
        assert_eq!(iso_week(-4) + 1, iso_week(-3));
    }

    /// The per-workout fast paths must agree with the general evaluator on every
    /// combination of operator, operand order, literal and field value type.
    #[test]
    fn predicate_fast_paths_agree_with_the_evaluator() {
        use serde_json::json;
        let field_values = [json!(null), json!(5), json!(10), json!(10.5), json!("10"), json!("chest_press"), json!(""), json!(true)];
        let literals = [json!(10), json!("10"), json!("chest_press"), json!(0), json!(null), json!(true), json!(-1.5)];
        let ops = [Op::Eq, Op::StrictEq, Op::Ne, Op::StrictNe, Op::Lt, Op::Le, Op::Gt, Op::Ge];
        let mut checked = 0;
        for fv in &field_values {
            let w = Workout { ended_at_us: 0, day: 0, values: vec![fv.clone()] };
            for lit in &literals {
                for op in ops {
                    for swap in [false, true] {
                        let (a, b) = (Node::Field(0), Node::Lit(lit.clone()));
                        let node = Node::Op(op, if swap { vec![b, a] } else { vec![a, b] });
                        let fast = Pred::plan(&node).test(&w).unwrap();
                        assert_eq!(fast, general(&node, &w).unwrap(), "{op:?} swap={swap} field={fv} lit={lit}");
                        let not = Node::Op(Op::Not, vec![node.clone()]);
                        assert_eq!(Pred::plan(&not).test(&w).unwrap(), !fast);
                        let and = Node::Op(Op::And, vec![node.clone(), Node::Lit(json!(1))]);
                        assert_eq!(Pred::plan(&and).test(&w).unwrap(), general(&and, &w).unwrap());
                        let or = Node::Op(Op::Or, vec![Node::Lit(json!(0)), node]);
                        assert_eq!(Pred::plan(&or).test(&w).unwrap(), general(&or, &w).unwrap());
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 8 * 7 * 8 * 2);
    }

    #[test]
    fn longest_run_counts_consecutive_values() {
        assert_eq!(longest_run(&[]), 0);
        assert_eq!(longest_run(&[5]), 1);
        assert_eq!(longest_run(&[1, 2, 3, 5, 6]), 3);
        assert_eq!(longest_run(&[1, 3, 5]), 1);
    }

    #[test]
    fn substr_follows_json_logic_js() {
        // From json-logic-js: substr("jsonlogic", 1, -5) == "son".
        let v = |x: &str| Val::Str(Cow::Owned(x.to_string()));
        assert!(matches!(substr(&[v("jsonlogic"), Val::Num(1.0), Val::Num(-5.0)]), Val::Str(s) if s == "son"));
        assert!(matches!(substr(&[v("jsonlogic"), Val::Num(-100.0)]), Val::Str(s) if s == "jsonlogic"));
        assert!(matches!(substr(&[v("jsonlogic"), Val::Num(2.0), Val::Null]), Val::Str(s) if s.is_empty()));
    }
}
