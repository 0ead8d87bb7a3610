//! Plain JsonLogic: compiling a rule into a [`Node`] tree and evaluating trees.
//!
//! The evaluator is shared with challenge rules; a [`Scope`] says what `var` reads
//! (JSON data, the `reduce` pair, one workout, or nothing at a rule's top level).

use super::node::{Agg, Node, Op};
use super::value::{
    js_le, js_lt, loose_eq, num_f64, number_to_string, parse_float, push_cat, reduce_object,
    strict_eq, to_js_string, to_number, Val,
};
use super::workout::Workout;
use crate::error::{FitError, FitResult, Kind};
use serde_json::Value;
use std::borrow::Cow;

/// Deepest plain JsonLogic rule accepted (serde_json's parser stops at 128 too).
pub(crate) const MAX_PLAIN_DEPTH: usize = 128;

/// Largest array (elements) or string (bytes) `merge` and `cat` may build, so that a
/// rule doubling a value in `reduce` cannot exhaust the backend's memory.
pub(crate) const MAX_BUILT_LEN: usize = 16 * 1024 * 1024;

fn too_large(op: &str) -> FitError {
    FitError::new(Kind::ProgramLimitExceeded, format!("result of operator \"{op}\" is too large"))
        .with_detail(format!("JsonLogic values may hold at most {MAX_BUILT_LEN} elements or bytes."))
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
    fn is_rule(&self) -> bool {
        matches!(self, Scope::Workout(_) | Scope::Athlete(_))
    }
}

// ---------------------------------------------------------------------------------
// Compiling plain JsonLogic

/// Compile a plain JsonLogic rule. Never fails on content (unknown operators fail
/// when evaluated, like json-logic-js); only absurd nesting is refused.
pub(crate) fn compile_plain(rule: &Value) -> FitResult<Node> {
    compile_value(rule, 0)
}

fn too_deep() -> FitError {
    FitError::new(Kind::ProgramLimitExceeded, "jsonlogic rule is nested too deeply")
        .with_detail(format!("Rules may nest at most {MAX_PLAIN_DEPTH} levels."))
}

fn compile_value(v: &Value, depth: usize) -> FitResult<Node> {
    if depth > MAX_PLAIN_DEPTH {
        return Err(too_deep());
    }
    match v {
        Value::Array(items) => {
            let nodes = items.iter().map(|i| compile_value(i, depth + 1)).collect::<FitResult<Vec<_>>>()?;
            if nodes.iter().all(|n| matches!(n, Node::Lit(_))) {
                Ok(Node::Lit(v.clone()))
            } else {
                Ok(Node::List(nodes))
            }
        }
        Value::Object(m) if m.len() == 1 => {
            let Some((name, raw)) = m.iter().next() else { return Ok(Node::Lit(v.clone())) };
            let args: Vec<&Value> = match raw {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            if name == "var" {
                return compile_var(&args, depth);
            }
            let nodes = args.iter().map(|a| compile_value(a, depth + 1)).collect::<FitResult<Vec<_>>>()?;
            match Op::from_name(name) {
                Some(op) => Ok(Node::Op(op, nodes)),
                None => Ok(Node::Unknown(name.clone())),
            }
        }
        _ => Ok(Node::Lit(v.clone())),
    }
}

fn compile_var(args: &[&Value], depth: usize) -> FitResult<Node> {
    let path = match args.first() {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::String(s)) => Some(split_path(s)),
        Some(Value::Number(n)) => Some(split_path(&number_to_string(num_f64(n)))),
        _ => None,
    };
    match path {
        Some(path) if args.len() <= 2 => {
            let default = match args.get(1) {
                Some(d) => Some(Box::new(compile_value(d, depth + 1)?)),
                None => None,
            };
            Ok(Node::Var(path, default))
        }
        _ => Ok(Node::VarDyn(args.iter().map(|a| compile_value(a, depth + 1)).collect::<FitResult<_>>()?)),
    }
}

/// `String(a).split(".")`, with "" meaning the whole data.
fn split_path(s: &str) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split('.').map(str::to_string).collect()
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

/// `data[seg]` for a JSON value; `None` is JavaScript's undefined.
fn json_prop<'a>(v: &'a Value, seg: &str) -> Option<Val<'a>> {
    match v {
        Value::Object(m) => m.get(seg).map(Val::of),
        Value::Array(a) => {
            if seg == "length" {
                Some(Val::Num(a.len() as f64))
            } else {
                array_index(seg).and_then(|i| a.get(i)).map(Val::of)
            }
        }
        Value::String(s) => string_prop(s, seg).map(|c| Val::Str(Cow::Owned(c))),
        _ => None,
    }
}

fn string_prop(s: &str, seg: &str) -> Option<String> {
    if seg == "length" {
        return Some(number_to_string(s.encode_utf16().count() as f64));
    }
    array_index(seg).and_then(|i| s.chars().nth(i)).map(String::from)
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
        Val::Str(s) => {
            if seg == "length" {
                Some(Val::Num(s.encode_utf16().count() as f64))
            } else {
                array_index(seg).and_then(|i| s.chars().nth(i)).map(|c| Val::Str(Cow::Owned(c.to_string())))
            }
        }
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

/// Walk `segs` from `start` like json-logic-js: a null or missing step gives
/// undefined (`None`); a present null at the end is null.
fn walk<'a>(start: Val<'a>, segs: &[String]) -> Option<Val<'a>> {
    let mut cur = start;
    for seg in segs {
        if cur.is_null() {
            return None;
        }
        // Fast path: stay inside borrowed JSON without building intermediate values.
        cur = match cur {
            Val::Ref(r) => json_prop(r, seg)?,
            other => prop(&other, seg)?,
        };
    }
    Some(cur)
}

/// Resolve a `var` path in a scope; `None` is undefined.
fn resolve<'a>(scope: &Scope<'a, '_>, segs: &[String]) -> Option<Val<'a>> {
    match scope {
        Scope::Data(d) => {
            if segs.is_empty() {
                return Some((*d).clone());
            }
            if let Val::Ref(r) = d {
                // Avoid cloning the root value.
                if r.is_null() {
                    return None;
                }
                let first = json_prop(r, &segs[0])?;
                return walk(first, &segs[1..]);
            }
            walk((*d).clone(), segs)
        }
        Scope::Reduce(cur, acc) => {
            let Some(first) = segs.first() else {
                return Some(Val::Obj(Box::new(reduce_object(cur, acc))));
            };
            let base = match first.as_str() {
                "current" => (*cur).clone(),
                "accumulator" => (*acc).clone(),
                _ => return None,
            };
            walk(base, &segs[1..])
        }
        Scope::Workout(_) | Scope::Athlete(_) => None,
    }
}

// ---------------------------------------------------------------------------------
// Evaluation

fn unknown_op(name: &str) -> FitError {
    FitError::invalid_param(format!("unrecognized operation \"{name}\""))
}

/// Evaluate a compiled node. The recursive path (`eval` -> `eval_op` -> `eval`)
/// keeps its frames small; bulky cases live in separate non-inlined functions.
pub(crate) fn eval<'a>(node: &'a Node, scope: &Scope<'a, '_>) -> FitResult<Val<'a>> {
    match node {
        Node::Lit(v) => Ok(Val::of(v)),
        Node::Field(i) => Ok(match scope {
            Scope::Workout(w) => Val::of(w.get(usize::from(*i))),
            _ => Val::Null,
        }),
        Node::Op(op, args) => eval_op(*op, args, scope),
        _ => eval_other(node, scope),
    }
}

#[inline(never)]
fn eval_other<'a>(node: &'a Node, scope: &Scope<'a, '_>) -> FitResult<Val<'a>> {
    match node {
        Node::Var(path, default) => match resolve(scope, path) {
            Some(v) => Ok(v),
            None => match default {
                Some(d) => eval(d, scope),
                None => Ok(Val::Null),
            },
        },
        Node::VarDyn(args) => {
            let vals = eval_all(args, scope)?;
            let key = vals.first().cloned().unwrap_or(Val::Null);
            let path = match &key {
                Val::Null => Vec::new(),
                other => split_path(&to_js_string(other)),
            };
            match resolve(scope, &path) {
                Some(v) => Ok(v),
                None => Ok(vals.into_iter().nth(1).unwrap_or(Val::Null)),
            }
        }
        Node::List(items) => Ok(Val::Arr(eval_all(items, scope)?)),
        Node::Unknown(name) => Err(unknown_op(name)),
        Node::Param(name, default) => match default {
            Some(v) => Ok(Val::of(v)),
            None => Err(param_without_value(name)),
        },
        Node::Agg(agg) => match scope {
            Scope::Athlete(ws) => aggregate(agg, ws),
            _ => Err(FitError::invalid_param(format!(
                "aggregate \"{}\" cannot be evaluated here",
                agg.name()
            ))),
        },
        Node::Lit(_) | Node::Field(_) | Node::Op(..) => eval(node, scope),
    }
}

pub(crate) fn param_without_value(name: &str) -> FitError {
    FitError::invalid_param(format!("rule parameter \"{name}\" has no value"))
        .with_detail("The parameter has no default and no value was supplied.")
        .with_hint("Fill the template's parameters before evaluating it.")
}

fn eval_all<'a>(args: &'a [Node], scope: &Scope<'a, '_>) -> FitResult<Vec<Val<'a>>> {
    args.iter().map(|a| eval(a, scope)).collect()
}

/// Run `f` on every element of an array value (nothing for non-arrays).
fn for_each_elem<'a>(
    v: &Val<'a>,
    mut f: impl FnMut(&Val<'a>) -> FitResult<bool>,
) -> FitResult<()> {
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

fn eval_op<'a>(op: Op, args: &'a [Node], scope: &Scope<'a, '_>) -> FitResult<Val<'a>> {
    match op {
        // Binary comparisons without building a vector (the hot path of predicates).
        Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Gt | Op::Ge | Op::Lt | Op::Le if args.len() <= 2 => {
            let a = arg(args, 0, scope)?;
            let b = arg(args, 1, scope)?;
            Ok(Val::Bool(compare(op, &a, &b, scope.is_rule())))
        }
        Op::And | Op::Or => {
            let mut cur = Val::Null;
            for a in args {
                cur = eval(a, scope)?;
                if cur.truthy() == (op == Op::Or) {
                    return Ok(cur);
                }
            }
            Ok(cur)
        }
        Op::Not | Op::NotNot => {
            let truthy = arg(args, 0, scope)?.truthy();
            rest_only(args, scope)?;
            Ok(Val::Bool(truthy == (op == Op::NotNot)))
        }
        Op::If | Op::Ternary => eval_if(args, scope),
        Op::Filter | Op::Some | Op::None | Op::Map | Op::Reduce | Op::All => eval_scoped(op, args, scope),
        _ => eval_eager(op, args, scope),
    }
}

#[inline(never)]
fn eval_eager<'a>(op: Op, args: &'a [Node], scope: &Scope<'a, '_>) -> FitResult<Val<'a>> {
    let vals = eval_all(args, scope)?;
    apply_eager(op, vals, scope)
}

#[inline(never)]
fn eval_if<'a>(args: &'a [Node], scope: &Scope<'a, '_>) -> FitResult<Val<'a>> {
    let mut i = 0;
    while i + 1 < args.len() {
        if eval(&args[i], scope)?.truthy() {
            return eval(&args[i + 1], scope);
        }
        i += 2;
    }
    match args.get(i) {
        Some(last) => eval(last, scope),
        None => Ok(Val::Null),
    }
}

/// The operators that evaluate a sub-rule per array element.
#[inline(never)]
fn eval_scoped<'a>(op: Op, args: &'a [Node], scope: &Scope<'a, '_>) -> FitResult<Val<'a>> {
    match op {
        Op::Filter | Op::Some | Op::None => {
            let data = match args.first() {
                Some(a) => eval(a, scope)?,
                None => Val::Null,
            };
            let logic = args.get(1);
            let mut out = Vec::new();
            let stop_at_first = op != Op::Filter;
            for_each_elem(&data, |e| {
                let keep = match logic {
                    Some(l) => eval(l, &Scope::Data(e))?.truthy(),
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
            let data = match args.first() {
                Some(a) => eval(a, scope)?,
                None => Val::Null,
            };
            let mut out = Vec::new();
            for_each_elem(&data, |e| {
                out.push(match args.get(1) {
                    Some(l) => eval(l, &Scope::Data(e))?,
                    None => Val::Null,
                });
                Ok(true)
            })?;
            Ok(Val::Arr(out))
        }
        Op::Reduce => {
            let data = match args.first() {
                Some(a) => eval(a, scope)?,
                None => Val::Null,
            };
            let mut acc = match args.get(2) {
                Some(a) => eval(a, scope)?,
                None => Val::Null,
            };
            if data.array_len().is_none() {
                return Ok(acc);
            }
            for_each_elem(&data, |e| {
                acc = match args.get(1) {
                    Some(l) => eval(l, &Scope::Reduce(e, &acc))?,
                    None => Val::Null,
                };
                Ok(true)
            })?;
            Ok(acc)
        }
        Op::All => {
            let data = match args.first() {
                Some(a) => eval(a, scope)?,
                None => Val::Null,
            };
            if data.array_len().unwrap_or(0) == 0 {
                return Ok(Val::Bool(false));
            }
            let mut all = true;
            for_each_elem(&data, |e| {
                let ok = match args.get(1) {
                    Some(l) => eval(l, &Scope::Data(e))?.truthy(),
                    None => false,
                };
                all &= ok;
                Ok(ok)
            })?;
            Ok(Val::Bool(all))
        }
        _ => eval_eager(op, args, scope),
    }
}

/// Evaluate the arguments after the first for their errors only (json-logic-js
/// evaluates every argument of a non-lazy operator).
fn rest_only<'a>(args: &'a [Node], scope: &Scope<'a, '_>) -> FitResult<()> {
    for a in args.iter().skip(1) {
        eval(a, scope)?;
    }
    Ok(())
}

/// Evaluate argument `i` (undefined, i.e. null, when absent).
fn arg<'a>(args: &'a [Node], i: usize, scope: &Scope<'a, '_>) -> FitResult<Val<'a>> {
    match args.get(i) {
        Some(a) => eval(a, scope),
        None => Ok(Val::Null),
    }
}

/// A two-operand comparison. In rules, ordering comparisons with a null operand are
/// false (SQL-like; json-logic-js would coerce null to 0).
pub(crate) fn compare(op: Op, a: &Val, b: &Val, rule: bool) -> bool {
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

/// Numeric argument `i` with JavaScript's undefined (absent) as NaN.
fn num_arg(vals: &[Val], i: usize) -> f64 {
    vals.get(i).map_or(f64::NAN, to_number)
}

/// Apply an operator whose arguments are all evaluated first.
pub(crate) fn apply_eager<'a>(op: Op, vals: Vec<Val<'a>>, scope: &Scope<'a, '_>) -> FitResult<Val<'a>> {
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
        Op::Mod => Val::Num(num_arg(&vals, 0) % num_arg(&vals, 1)),
        Op::Div => Val::Num(num_arg(&vals, 0) / num_arg(&vals, 1)),
        Op::Sub => match vals.len() {
            0 => Val::Num(f64::NAN),
            1 => Val::Num(-to_number(&vals[0])),
            _ => Val::Num(to_number(&vals[0]) - to_number(&vals[1])),
        },
        Op::Add => Val::Num(vals.iter().fold(0.0, |acc, v| acc + parse_float(v))),
        Op::Mul => {
            let mut it = vals.into_iter();
            let Some(first) = it.next() else {
                return Err(FitError::invalid_param("operator \"*\" needs at least one argument"));
            };
            // Array.prototype.reduce without an initial value returns a single
            // element untouched, so {"*": ["2"]} is "2" in json-logic-js.
            let mut acc = first;
            for v in it {
                acc = Val::Num(parse_float(&acc) * parse_float(&v));
            }
            acc
        }
        Op::Min | Op::Max => {
            let mut acc = if op == Op::Min { f64::INFINITY } else { f64::NEG_INFINITY };
            for v in &vals {
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
            for v in &vals {
                push_cat(v, &mut out);
            }
            if out.len() > MAX_BUILT_LEN {
                return Err(too_large("cat"));
            }
            Val::Str(Cow::Owned(out))
        }
        Op::Substr => substr(&vals),
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
            for v in vals {
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
        Op::Missing => missing(vals, scope),
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
        // Lazy operators are handled by `eval_op`; reaching here means a bug-free no-op.
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
        let path = match &key {
            Val::Null => Vec::new(),
            other => split_path(&to_js_string(other)),
        };
        let absent = match resolve(scope, &path) {
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

// ---------------------------------------------------------------------------------
// Aggregates (rules)

/// Whether a workout is in the selection.
#[inline]
fn selected<'a>(sel: &'a Option<Node>, w: &'a Workout) -> FitResult<bool> {
    match sel {
        None => Ok(true),
        Some(pred) => Ok(eval(pred, &Scope::Workout(w))?.truthy()),
    }
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
fn selected_days(sel: &Option<Node>, ws: &[Workout]) -> FitResult<Vec<i32>> {
    let mut days = Vec::new();
    for w in ws {
        if selected(sel, w)? {
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

fn aggregate<'a>(agg: &'a Agg, ws: &'a [Workout]) -> FitResult<Val<'a>> {
    Ok(match agg {
        Agg::Count(sel) => {
            let mut n = 0usize;
            for w in ws {
                if selected(sel, w)? {
                    n += 1;
                }
            }
            Val::Num(n as f64)
        }
        Agg::Sum(sel, f) | Agg::Avg(sel, f) => {
            let (mut sum, mut n) = (0.0, 0usize);
            for w in ws {
                if selected(sel, w)? {
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
            let mut best: Option<f64> = None;
            for w in ws {
                if selected(sel, w)? {
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
            let need = to_number(&eval(n, &Scope::Athlete(ws))?);
            if !(need >= 1.0 && need == need.trunc()) {
                return Err(FitError::invalid_param(format!(
                    "operator \"streak_weeks\" needs a positive whole number of workouts per week, not \"{}\"",
                    number_to_string(need)
                )));
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
