//! The evaluator: plain JsonLogic interpreted directly on the borrowed JSON rule or
//! prepared once ([`PNode`], see `plain.rs`), and compiled challenge-rule trees
//! ([`Node`]), sharing one implementation of every operator through the [`Expr`]
//! trait.
//!
//! A [`Cx`] carries what `var` reads (a [`Scope`]: JSON data, the `reduce` pair, one
//! workout, or nothing at a rule's top level) and the [`Arena`] that strings, arrays
//! and objects built during the evaluation are allocated in. Values are `Copy` and
//! borrow from the rule, the data or the arena, so the only allocation of a typical
//! evaluation is the arena's first chunk (none when the arena is reused, see
//! `rules::Evaluator`). Errors are boxed so the hot `Result<Val>` stays small.

use super::node::{Agg, Node, Op};
use super::plain::PNode;
use super::value::{
    bytes_eq, js_le, js_lt, loose_eq, num_f64, number_to_string, parse_float, push_cat, small_integer,
    str_eq, strict_eq, to_js_string, to_number, Val, MAX_SAFE,
};
use super::workout::Workout;
use crate::error::{FitError, FitResult, Kind};
use bumpalo::Bump;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

/// Evaluator result: the error is boxed to keep the `Ok` path small.
pub(crate) type R<T> = Result<T, Box<FitError>>;

/// Deepest plain JsonLogic rule accepted (serde_json's parser stops at 128 too).
pub(crate) const MAX_PLAIN_DEPTH: usize = 128;

/// Largest array (elements) or string (bytes) `merge` and `cat` may build, so that a
/// rule doubling a value in `reduce` cannot exhaust the backend's memory.
pub(crate) const MAX_BUILT_LEN: usize = 16 * 1024 * 1024;

/// Most memory one evaluation may build values in. The arena frees nothing until the
/// evaluation ends, so this bounds the sum of all intermediate values (a `reduce`
/// that grows a string keeps every step), not only the live ones.
pub(crate) const MAX_ARENA_BYTES: usize = 1 << 30;

fn too_large(op: &str) -> Box<FitError> {
    Box::new(
        FitError::new(Kind::ProgramLimitExceeded, format!("result of operator \"{op}\" is too large"))
            .with_detail(format!("JsonLogic values may hold at most {MAX_BUILT_LEN} elements or bytes.")),
    )
}

#[cold]
fn out_of_arena() -> Box<FitError> {
    Box::new(
        FitError::new(Kind::ProgramLimitExceeded, "jsonlogic evaluation needs too much memory").with_detail(
            format!("An evaluation may build at most {} MiB of intermediate values.", MAX_ARENA_BYTES >> 20),
        ),
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

/// Memory for the values one evaluation builds: a bump arena (freed, or reset for
/// reuse, as a whole), a scratch buffer for assembling strings, and the owned JSON
/// values `reduce` builds ([`Arena::keep`]).
pub(crate) struct Arena {
    bump: Bump,
    scratch: Cell<String>,
    kept: Kept,
    /// Whether anything was allocated since the last reset (most evaluations
    /// allocate nothing, and then resetting is this test).
    used: Cell<bool>,
}

/// Owned JSON values kept at stable addresses until the arena is reset: chunks of
/// write-once cells, each chunk twice as long as the one before.
#[derive(Default)]
struct Kept {
    first: OnceCell<Box<KeptChunk>>,
    len: Cell<usize>,
    /// JSON nodes kept, counted against [`MAX_ARENA_BYTES`].
    nodes: Cell<usize>,
}

struct KeptChunk {
    cells: Box<[OnceCell<Value>]>,
    next: OnceCell<Box<KeptChunk>>,
}

impl KeptChunk {
    fn new(len: usize) -> Box<KeptChunk> {
        Box::new(KeptChunk { cells: (0..len).map(|_| OnceCell::new()).collect(), next: OnceCell::new() })
    }
}

/// Size of a JSON value in nodes (iteratively: `reduce` pairs can nest deeply).
fn json_nodes(v: &Value) -> usize {
    let (mut n, mut todo) = (0, vec![v]);
    while let Some(v) = todo.pop() {
        n += 1;
        match v {
            Value::Array(a) => todo.extend(a),
            Value::Object(m) => todo.extend(m.values()),
            _ => {}
        }
    }
    n
}

/// A reused arena keeps at most this much memory between evaluations.
const ARENA_RETAIN_BYTES: usize = 1 << 20;

impl Arena {
    pub(crate) fn new() -> Arena {
        let bump = Bump::new();
        bump.set_allocation_limit(Some(MAX_ARENA_BYTES));
        Arena { bump, scratch: Cell::default(), kept: Kept::default(), used: Cell::new(false) }
    }

    /// Forget every value of the previous evaluation (keeping a modest amount of
    /// memory for the next one).
    #[inline]
    pub(crate) fn reset(&mut self) {
        if self.used.replace(false) {
            self.clear();
        }
    }

    fn clear(&mut self) {
        if self.bump.allocated_bytes() > ARENA_RETAIN_BYTES
            || self.scratch.get_mut().capacity() > ARENA_RETAIN_BYTES
        {
            *self = Arena::new();
        } else {
            self.bump.reset();
            if self.kept.len.get() > 0 {
                self.kept = Kept::default();
            }
        }
    }

    /// Keep an owned JSON value until the end of the evaluation.
    fn keep(&self, v: Value) -> R<&Value> {
        self.used.set(true);
        let kept = &self.kept;
        // About 64 bytes per node, under the same limit as the arena.
        let nodes = kept.nodes.get() + json_nodes(&v);
        if nodes.saturating_mul(64).saturating_add(self.bump.allocated_bytes()) > MAX_ARENA_BYTES {
            return Err(out_of_arena());
        }
        kept.nodes.set(nodes);
        let mut at = kept.len.get();
        kept.len.set(at + 1);
        let mut chunk = kept.first.get_or_init(|| KeptChunk::new(4));
        while at >= chunk.cells.len() {
            at -= chunk.cells.len();
            let len = chunk.cells.len() * 2;
            chunk = chunk.next.get_or_init(|| KeptChunk::new(len));
        }
        match chunk.cells.get(at) {
            Some(cell) => Ok(cell.get_or_init(|| v)),
            None => Err(out_of_arena()),
        }
    }

    /// A copy of `s` in the arena.
    #[inline]
    pub(crate) fn str(&self, s: &str) -> R<&str> {
        self.used.set(true);
        match self.bump.try_alloc_str(s) {
            Ok(s) => Ok(s),
            Err(_) => Err(out_of_arena()),
        }
    }

    /// `n` slots (initially null) for building an array.
    #[inline]
    pub(crate) fn slots<'a>(&'a self, n: usize) -> R<&'a mut [Val<'a>]> {
        if n == 0 {
            return Ok(&mut []);
        }
        self.used.set(true);
        self.bump.try_alloc_slice_fill_copy(n, Val::Null).map_err(|_| out_of_arena())
    }

    /// The string `build` writes, placed in the arena (assembled in the reused scratch
    /// buffer, so building allocates nothing once the buffer has grown).
    fn build_str(&self, op: &str, build: impl FnOnce(&mut String)) -> R<&str> {
        self.used.set(true);
        let mut buf = self.scratch.take();
        buf.clear();
        build(&mut buf);
        let out = if buf.len() > MAX_BUILT_LEN { Err(too_large(op)) } else { self.str(&buf) };
        self.scratch.set(buf);
        out
    }
}

/// What `var` reads.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// Plain JsonLogic data (or the current element inside map/filter/all/...).
    Data(Val<'a>),
    /// Inside `reduce`: `{"current": .., "accumulator": ..}`.
    Reduce(Val<'a>, Val<'a>),
    /// Inside a rule's `workouts` predicate.
    Workout(&'a Workout),
    /// The top level of a rule: aggregates read the athlete's workouts.
    Athlete(&'a [Workout]),
}

/// The evaluation context: the scope and the arena.
#[derive(Clone, Copy)]
pub(crate) struct Cx<'a> {
    pub(crate) ar: &'a Arena,
    pub(crate) scope: Scope<'a>,
}

impl<'a> Cx<'a> {
    /// The same arena with another scope.
    #[inline]
    pub(crate) fn with(&self, scope: Scope<'a>) -> Cx<'a> {
        Cx { ar: self.ar, scope }
    }

    /// Rules (not plain JsonLogic) make ordering comparisons with null false.
    #[inline]
    pub(crate) fn is_rule(&self) -> bool {
        matches!(self.scope, Scope::Workout(_) | Scope::Athlete(_))
    }
}

/// Something the operators can evaluate: a JSON rule node or a compiled rule node.
pub(crate) trait Expr {
    /// `d` is the nesting depth of this node in a plain JsonLogic rule.
    fn eval<'a>(&'a self, cx: &Cx<'a>, d: u32) -> R<Val<'a>>;

    /// The truthiness of what [`Expr::eval`] gives, for the places that use only that
    /// (conditions of `if`, operands of `!` and `!!`, predicates of `filter`, `some`,
    /// `none` and `all`): the same evaluation with the same errors, without building
    /// the value when the node can tell its truthiness directly (comparisons, `and`,
    /// `or`, `!`, literals).
    #[inline]
    fn truthy<'a>(&'a self, cx: &Cx<'a>, d: u32) -> R<bool> {
        Ok(self.eval(cx, d)?.truthy())
    }

    /// ToNumber of what [`Expr::eval`] gives (for arithmetic operands: a number
    /// comes back in a register instead of as a value through memory).
    #[inline]
    fn number<'a>(&'a self, cx: &Cx<'a>, d: u32) -> R<f64> {
        Ok(to_number(&self.eval(cx, d)?))
    }

    /// parseFloat of what [`Expr::eval`] gives (the operands of `+` and `*`).
    #[inline]
    fn float<'a>(&'a self, cx: &Cx<'a>, d: u32) -> R<f64> {
        Ok(parse_float(&self.eval(cx, d)?))
    }

    /// Whether [`Expr::eval`] always gives a boolean (so `truthy` gives the value).
    #[inline]
    fn is_boolean(&self) -> bool {
        false
    }

    /// This node prepared for evaluation per array element, when that is worth it
    /// (only JSON rule nodes, which are otherwise re-interpreted every time).
    fn prepare(&self, _d: u32) -> Option<PNode> {
        None
    }

    /// This node as the sub-rule of a scoped operator, decoded once for all elements.
    fn sub(&self, _d: u32) -> Sub<'_, Self>
    where
        Self: Sized,
    {
        Sub::Other(self)
    }
}

/// The sub-rule of `map`, `filter`, `reduce`, `all`, `some` or `none`: for a JSON rule
/// node, the operator (or `var`) is found once instead of once per element.
pub(crate) enum Sub<'a, E> {
    /// An operation with its arguments and their depth.
    Op(Op, &'a [E], u32),
    /// `{"var": args}` in a JSON rule, at depth `d`.
    Var(&'a [Value], u32),
    Other(&'a E),
}

impl<'a, E: Expr> Sub<'a, E> {
    /// What `eval` of the node would give.
    #[inline]
    fn eval(&self, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
        match self {
            Sub::Op(op, args, at) => eval_op(*op, args, cx, *at),
            Sub::Var(args, at) => eval_var(args, cx, *at),
            Sub::Other(e) => e.eval(cx, d),
        }
    }

    /// What `truthy` of the node would give.
    #[inline(always)]
    fn truthy(&self, cx: &Cx<'a>, d: u32) -> R<bool> {
        match self {
            Sub::Op(op, args, at) => op_truthy(*op, args, cx, *at),
            Sub::Var(args, at) => Ok(eval_var(args, cx, *at)?.truthy()),
            Sub::Other(e) => e.truthy(cx, d),
        }
    }
}

impl Expr for Value {
    /// Scalars (most arguments) are converted in line; operations and arrays go
    /// through [`eval_json`].
    #[inline(always)]
    fn eval<'a>(&'a self, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
        match self {
            Value::Array(_) | Value::Object(_) => eval_json(self, cx, d),
            scalar => Ok(Val::of(scalar)),
        }
    }

    #[inline(always)]
    fn truthy<'a>(&'a self, cx: &Cx<'a>, d: u32) -> R<bool> {
        match self {
            Value::Array(_) | Value::Object(_) => eval_json_truthy(self, cx, d),
            scalar => Ok(Val::of(scalar).truthy()),
        }
    }

    fn prepare(&self, d: u32) -> Option<PNode> {
        Some(super::plain::build(self, d))
    }

    /// The first steps of [`eval_json`] for an operation: its depth check and the
    /// lookup of its operator (an unknown operator stays `Other`, to fail when and
    /// only when it is evaluated).
    fn sub(&self, d: u32) -> Sub<'_, Value> {
        if let Value::Object(m) = self {
            if let (1, Some((name, raw))) = (m.len(), m.iter().next()) {
                if d < MAX_PLAIN_DEPTH as u32 {
                    if name == "var" {
                        return Sub::Var(op_args(raw), d + 1);
                    }
                    if let Some(op) = Op::from_name(name) {
                        return Sub::Op(op, op_args(raw), d + 1);
                    }
                }
            }
        }
        Sub::Other(self)
    }
}

/// The arguments of an operation: a single argument need not be wrapped in an array.
#[inline]
fn op_args(raw: &Value) -> &[Value] {
    match raw {
        Value::Array(a) => a.as_slice(),
        other => std::slice::from_ref(other),
    }
}

impl Expr for Node {
    #[inline]
    fn eval<'a>(&'a self, cx: &Cx<'a>, _d: u32) -> R<Val<'a>> {
        eval_node(self, cx)
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
pub(crate) fn eval_json<'a>(v: &'a Value, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    // Operations first: nearly every call is for one (scalar arguments are converted
    // in line by `Expr for Value`), and a test predicts better than a jump table.
    if let Value::Object(m) = v {
        if let (1, Some((name, raw))) = (m.len(), m.iter().next()) {
            if d >= MAX_PLAIN_DEPTH as u32 {
                return Err(Box::new(too_deep()));
            }
            let args = op_args(raw);
            if name == "var" {
                return eval_var(args, cx, d + 1);
            }
            return match Op::from_name(name) {
                Some(op) => eval_op(op, args, cx, d + 1),
                None => Err(unknown_op(name)),
            };
        }
        return Ok(Val::Ref(v));
    }
    if let Value::Array(items) = v {
        // An array of plain values evaluates to itself; otherwise element-wise.
        if items.iter().all(|i| !matches!(i, Value::Array(_) | Value::Object(_))) {
            return Ok(Val::Ref(v));
        }
        if d >= MAX_PLAIN_DEPTH as u32 {
            return Err(Box::new(too_deep()));
        }
        return eval_items(items, cx, d + 1);
    }
    Ok(Val::of(v))
}

/// [`eval_json`] for its truthiness only (see [`Expr::truthy`]).
fn eval_json_truthy<'a>(v: &'a Value, cx: &Cx<'a>, d: u32) -> R<bool> {
    if let Value::Object(m) = v {
        if let (1, Some((name, raw))) = (m.len(), m.iter().next()) {
            if d < MAX_PLAIN_DEPTH as u32 && name != "var" {
                if let Some(op) = Op::from_name(name) {
                    return op_truthy(op, op_args(raw), cx, d + 1);
                }
            }
        }
    }
    Ok(eval_json(v, cx, d)?.truthy())
}

/// An array rule evaluated element-wise into the arena.
pub(crate) fn eval_items<'a, E: Expr>(items: &'a [E], cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    let out = cx.ar.slots(items.len())?;
    for (slot, i) in out.iter_mut().zip(items) {
        *slot = i.eval(cx, d)?;
    }
    Ok(Val::Arr(out))
}

/// `{"var": [path, default]}`.
#[inline]
fn eval_var<'a>(args: &'a [Value], cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    let found = match args.first() {
        None | Some(Value::Null) => resolve(cx, "")?,
        Some(Value::String(s)) => resolve(cx, s)?,
        Some(Value::Number(n)) => resolve(cx, &number_key(num_f64(n)))?,
        Some(other) => {
            let key = eval_json(other, cx, d)?;
            resolve_key(cx, key)?
        }
    };
    match found {
        Some(v) => Ok(v),
        None => match args.get(1) {
            Some(dflt) => eval_json(dflt, cx, d),
            None => Ok(Val::Null),
        },
    }
}

/// A computed `var` key (null is the whole data).
pub(crate) fn resolve_key<'a>(cx: &Cx<'a>, key: Val<'a>) -> R<Option<Val<'a>>> {
    match key {
        Val::Null => resolve(cx, ""),
        k => resolve(cx, &to_js_string(&k)),
    }
}

/// The string form of a numeric `var` key; small indexes avoid formatting a float.
pub(crate) fn number_key(n: f64) -> Cow<'static, str> {
    const SMALL: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    if let Some(i @ 0..=9) = small_integer(n, 9.0) {
        return Cow::Borrowed(SMALL[i as usize]);
    }
    Cow::Owned(number_to_string(n))
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
        m.iter().find(|(k, _)| str_eq(k, key)).map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

/// `data[seg]` for a JSON value; `None` is JavaScript's undefined.
#[inline]
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

/// `s[seg]`: the length (in UTF-16 units) or the character at an index (a slice of
/// `s`).
fn string_prop<'a>(s: &'a str, seg: &str) -> Option<Val<'a>> {
    if seg == "length" {
        return Some(Val::Num(s.encode_utf16().count() as f64));
    }
    let i = array_index(seg)?;
    let (at, c) = s.char_indices().nth(i)?;
    Some(Val::Str(&s[at..at + c.len_utf8()]))
}

/// `data[seg]` for an evaluated value.
fn prop<'a>(v: Val<'a>, seg: &str) -> Option<Val<'a>> {
    match v {
        Val::Ref(r) => json_prop(r, seg),
        Val::Arr(a) => {
            if seg == "length" {
                Some(Val::Num(a.len() as f64))
            } else {
                array_index(seg).and_then(|i| a.get(i)).copied()
            }
        }
        Val::Str(s) => string_prop(s, seg),
        Val::JArr(a) => {
            if seg == "length" {
                Some(Val::Num(a.len() as f64))
            } else {
                array_index(seg).and_then(|i| a.get(i)).map(Val::read)
            }
        }
        Val::Obj(m) => m.get(seg).map(Val::read),
        _ => None,
    }
}

/// The dot-separated segments of a `var` path: `path.split('.')`, but scanning bytes
/// (paths are short, and the general string searcher costs more than the scan).
struct Segments<'s>(Option<&'s str>);

impl<'s> Iterator for Segments<'s> {
    type Item = &'s str;

    #[inline]
    fn next(&mut self) -> Option<&'s str> {
        let rest = self.0?;
        match rest.bytes().position(|b| b == b'.') {
            Some(i) => {
                self.0 = rest.get(i + 1..);
                rest.get(..i)
            }
            None => {
                self.0 = None;
                Some(rest)
            }
        }
    }
}

/// Walk the remaining segments from `cur` like json-logic-js: a null or missing
/// step gives undefined (`None`); a present null at the end is null.
fn walk<'a, 's>(mut cur: Val<'a>, segs: impl Iterator<Item = &'s str>) -> Option<Val<'a>> {
    for seg in segs {
        if cur.is_null() {
            return None;
        }
        cur = prop(cur, seg)?;
    }
    Some(cur)
}

/// The `{"current": .., "accumulator": ..}` object `reduce` exposes as the data: a
/// JSON object of the two values' JSON forms, as json-logic-js's is a fresh object
/// (here NaN is null in it, as it always has been).
fn reduce_object<'a>(ar: &'a Arena, current: Val<'a>, accumulator: Val<'a>) -> R<Val<'a>> {
    let mut m = Map::new();
    m.insert("current".into(), current.to_json());
    m.insert("accumulator".into(), accumulator.to_json());
    match ar.keep(Value::Object(m))? {
        Value::Object(m) => Ok(Val::Obj(m)),
        _ => Ok(Val::Null),
    }
}

/// Resolve a dotted `var` path in a scope ("" is the whole data); `None` is undefined.
#[inline]
pub(crate) fn resolve<'a>(cx: &Cx<'a>, path: &str) -> R<Option<Val<'a>>> {
    // In line: the whole data, a plain key (no dots) on borrowed JSON (a byte loop:
    // paths are short), and the two members of the `reduce` pair.
    match &cx.scope {
        Scope::Data(d) => {
            if path.is_empty() {
                return Ok(Some(*d));
            }
            if let Val::Ref(r) = d {
                if !path.bytes().any(|b| b == b'.') {
                    return Ok(json_prop(r, path));
                }
            }
        }
        Scope::Reduce(cur, acc) => match path {
            "current" => return Ok(Some(*cur)),
            "accumulator" => return Ok(Some(*acc)),
            _ => {}
        },
        _ => {}
    }
    resolve_path(cx, path)
}

/// [`resolve`] for everything but its in-line cases.
fn resolve_path<'a>(cx: &Cx<'a>, path: &str) -> R<Option<Val<'a>>> {
    Ok(match cx.scope {
        Scope::Data(d) => {
            if path.is_empty() {
                return Ok(Some(d));
            }
            if d.is_null() {
                return Ok(None);
            }
            walk(d, Segments(Some(path)))
        }
        Scope::Reduce(cur, acc) => {
            if path.is_empty() {
                return reduce_object(cx.ar, cur, acc).map(Some);
            }
            let mut segs = Segments(Some(path));
            let first = segs.next().unwrap_or_default();
            let rest = segs.0;
            let base = match first {
                "current" => cur,
                "accumulator" => acc,
                _ => return Ok(None),
            };
            match rest {
                None => Some(base),
                Some(_) if base.is_null() => None,
                Some(rest) => walk(base, Segments(Some(rest))),
            }
        }
        Scope::Workout(_) | Scope::Athlete(_) => None,
    })
}

/// Walk a pre-split, non-empty path from `start`: the same steps as [`walk`] after
/// the first lookup of [`resolve`].
#[inline]
fn walk_from<'a>(start: Val<'a>, segs: &[Box<str>]) -> Option<Val<'a>> {
    if segs.is_empty() {
        return Some(start);
    }
    if start.is_null() {
        return None;
    }
    walk(start, segs.iter().map(|seg| &**seg))
}

/// [`resolve`] for a non-empty name without dots.
pub(crate) fn resolve_name<'a>(scope: &Scope<'a>, name: &str) -> Option<Val<'a>> {
    match *scope {
        Scope::Data(d) if d.is_null() => None,
        Scope::Data(d) => prop(d, name),
        Scope::Reduce(cur, acc) => match name {
            "current" => Some(cur),
            "accumulator" => Some(acc),
            _ => None,
        },
        Scope::Workout(_) | Scope::Athlete(_) => None,
    }
}

/// [`resolve`] for a non-empty path already split at its dots.
#[inline]
pub(crate) fn resolve_segs<'a>(scope: &Scope<'a>, segs: &[Box<str>]) -> Option<Val<'a>> {
    match *scope {
        Scope::Data(d) => walk_from(d, segs),
        Scope::Reduce(cur, acc) => {
            let (first, rest) = segs.split_first()?;
            let base = match &**first {
                "current" => cur,
                "accumulator" => acc,
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
pub(crate) fn eval_node<'a>(node: &'a Node, cx: &Cx<'a>) -> R<Val<'a>> {
    match node {
        Node::Field(i) => Ok(match &cx.scope {
            Scope::Workout(w) => Val::of(w.get(usize::from(*i))),
            _ => Val::Null,
        }),
        Node::Lit(v) => Ok(Val::of(v)),
        Node::Op(op, args) => eval_op(*op, args, cx, 0),
        Node::Param(name, default) => match default {
            Some(v) => Ok(Val::of(v)),
            None => Err(param_without_value(name)),
        },
        Node::Agg(agg) => match cx.scope {
            Scope::Athlete(ws) => aggregate(agg, ws, cx.ar),
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
fn arg<'a, E: Expr>(args: &'a [E], i: usize, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    match args.get(i) {
        Some(a) => a.eval(cx, d),
        None => Ok(Val::Null),
    }
}

/// Numeric argument `i` with JavaScript's undefined (absent) as NaN.
#[inline]
fn num<'a, E: Expr>(args: &'a [E], i: usize, cx: &Cx<'a>, d: u32) -> R<f64> {
    match args.get(i) {
        Some(a) => a.number(cx, d),
        None => Ok(f64::NAN),
    }
}

pub(crate) fn eval_op<'a, E: Expr>(op: Op, args: &'a [E], cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    match op {
        // Binary comparisons without building a vector (the hot path of predicates).
        Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Gt | Op::Ge | Op::Lt | Op::Le if args.len() <= 2 => {
            let a = arg(args, 0, cx, d)?;
            let b = arg(args, 1, cx, d)?;
            Ok(Val::Bool(compare(op, &a, &b, cx.is_rule())))
        }
        Op::And | Op::Or => {
            let mut cur = Val::Null;
            for a in args {
                // A comparison's value is its truthiness: no value need be built.
                cur = if a.is_boolean() { Val::Bool(a.truthy(cx, d)?) } else { a.eval(cx, d)? };
                if cur.truthy() == (op == Op::Or) {
                    return Ok(cur);
                }
            }
            Ok(cur)
        }
        Op::Not | Op::NotNot => {
            let truthy = arg_truthy(args, 0, cx, d)?;
            // json-logic-js evaluates every argument of a non-lazy operator.
            eval_rest(args, 1, cx, d)?;
            Ok(Val::Bool(truthy == (op == Op::NotNot)))
        }
        Op::If | Op::Ternary => eval_if(args, cx, d),
        Op::Add => {
            let mut sum = 0.0;
            for a in args {
                sum += a.float(cx, d)?;
            }
            Ok(Val::Num(sum))
        }
        // Folded as the arguments are evaluated, as `apply_eager` computes them (a
        // single `*` argument is returned untouched, so that case goes there).
        Op::Mul if args.len() >= 2 => {
            let mut product = args[0].float(cx, d)?;
            for a in &args[1..] {
                product *= a.float(cx, d)?;
            }
            Ok(Val::Num(product))
        }
        Op::Min | Op::Max => {
            let mut acc = if op == Op::Min { f64::INFINITY } else { f64::NEG_INFINITY };
            for a in args {
                let n = a.number(cx, d)?;
                acc = if n.is_nan() || acc.is_nan() {
                    f64::NAN
                } else if op == Op::Min {
                    acc.min(n)
                } else {
                    acc.max(n)
                };
            }
            Ok(Val::Num(acc))
        }
        Op::Sub => Ok(Val::Num(match args.len() {
            0 => f64::NAN,
            1 => -num(args, 0, cx, d)?,
            _ => {
                let x = num(args, 0, cx, d)?;
                let y = num(args, 1, cx, d)?;
                eval_rest(args, 2, cx, d)?;
                x - y
            }
        })),
        Op::Div | Op::Mod => {
            let x = num(args, 0, cx, d)?;
            let y = num(args, 1, cx, d)?;
            eval_rest(args, 2, cx, d)?;
            Ok(Val::Num(if op == Op::Div { x / y } else { js_rem(x, y) }))
        }
        Op::Filter | Op::Some | Op::None | Op::Map | Op::Reduce | Op::All => eval_scoped(op, args, cx, d),
        _ => eval_eager(op, args, cx, d),
    }
}

/// The truthiness of `eval_op(op, args)`, without building the value where the
/// operator can tell it directly (see [`Expr::truthy`]).
pub(crate) fn op_truthy<'a, E: Expr>(op: Op, args: &'a [E], cx: &Cx<'a>, d: u32) -> R<bool> {
    match op {
        Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Gt | Op::Ge | Op::Lt | Op::Le if args.len() <= 2 => {
            let a = arg(args, 0, cx, d)?;
            let b = arg(args, 1, cx, d)?;
            Ok(compare(op, &a, &b, cx.is_rule()))
        }
        // `and` gives its first falsy argument or its last one, `or` its first truthy
        // argument or its last one, and both null without arguments.
        Op::And => {
            for a in args {
                if !a.truthy(cx, d)? {
                    return Ok(false);
                }
            }
            Ok(!args.is_empty())
        }
        Op::Or => {
            for a in args {
                if a.truthy(cx, d)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Op::Not | Op::NotNot => {
            let truthy = arg_truthy(args, 0, cx, d)?;
            eval_rest(args, 1, cx, d)?;
            Ok(truthy == (op == Op::NotNot))
        }
        Op::If | Op::Ternary => {
            let mut i = 0;
            while i + 1 < args.len() {
                if args[i].truthy(cx, d)? {
                    return args[i + 1].truthy(cx, d);
                }
                i += 2;
            }
            arg_truthy(args, i, cx, d)
        }
        _ => Ok(eval_op(op, args, cx, d)?.truthy()),
    }
}

/// The truthiness of argument `i` (false when absent).
#[inline]
fn arg_truthy<'a, E: Expr>(args: &'a [E], i: usize, cx: &Cx<'a>, d: u32) -> R<bool> {
    match args.get(i) {
        Some(a) => a.truthy(cx, d),
        None => Ok(false),
    }
}

/// Evaluate arguments from `from` on for their errors only.
fn eval_rest<'a, E: Expr>(args: &'a [E], from: usize, cx: &Cx<'a>, d: u32) -> R<()> {
    for a in args.iter().skip(from) {
        a.eval(cx, d)?;
    }
    Ok(())
}

#[inline(never)]
fn eval_eager<'a, E: Expr>(op: Op, args: &'a [E], cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    // Up to four arguments are evaluated into a stack buffer, more into the arena.
    let mut buf = [Val::Null; 4];
    let vals: &mut [Val<'a>] = if args.len() <= buf.len() { &mut buf[..args.len()] } else { cx.ar.slots(args.len())? };
    for (slot, a) in vals.iter_mut().zip(args) {
        *slot = a.eval(cx, d)?;
    }
    apply_eager(op, vals, cx)
}

#[inline(never)]
pub(crate) fn eval_if<'a, E: Expr>(args: &'a [E], cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    let mut i = 0;
    while i + 1 < args.len() {
        if args[i].truthy(cx, d)? {
            return args[i + 1].eval(cx, d);
        }
        i += 2;
    }
    arg(args, i, cx, d)
}

/// The operators that evaluate a sub-rule per array element.
#[inline(never)]
fn eval_scoped<'a, E: Expr>(op: Op, args: &'a [E], cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    let data = arg(args, 0, cx, d)?;
    let logic = args.get(1);
    let len = data.array_len().unwrap_or(0);
    if matches!(op, Op::Filter | Op::Some | Op::None | Op::All) && len >= PREPARE_MIN_LEN {
        if let Some(prepared) = logic.and_then(|l| l.prepare(d)) {
            return scoped_prepared(op, data, &prepared, cx, d);
        }
    }
    // (Decoded only when there is an element to run it on.)
    let sub = logic.filter(|_| len > 0).map(|l| l.sub(d));
    // (In line rather than closures: an element passed to a call is read back through
    // memory, which stalls store forwarding.)
    #[inline(always)]
    fn each<'a, E: Expr>(sub: &Option<Sub<'a, E>>, e: Val<'a>, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
        match sub {
            Some(l) => l.eval(&cx.with(Scope::Data(e)), d),
            None => Ok(Val::Null),
        }
    }
    #[inline(always)]
    fn test<'a, E: Expr>(sub: &Option<Sub<'a, E>>, e: Val<'a>, cx: &Cx<'a>, d: u32) -> R<bool> {
        match sub {
            Some(l) => l.truthy(&cx.with(Scope::Data(e)), d),
            None => Ok(false),
        }
    }
    match op {
        Op::Filter => {
            let out = cx.ar.slots(len)?;
            let mut kept = 0;
            for e in data.elems() {
                if test(&sub, e, cx, d)? {
                    out[kept] = e;
                    kept += 1;
                }
            }
            Ok(Val::Arr(&out[..kept]))
        }
        Op::Some | Op::None => {
            let mut found = false;
            for e in data.elems() {
                if test(&sub, e, cx, d)? {
                    found = true;
                    break;
                }
            }
            Ok(Val::Bool(found == (op == Op::Some)))
        }
        Op::Map => {
            let out = cx.ar.slots(len)?;
            for (slot, e) in out.iter_mut().zip(data.elems()) {
                *slot = each(&sub, e, cx, d)?;
            }
            Ok(Val::Arr(out))
        }
        Op::Reduce => {
            let mut acc = arg(args, 2, cx, d)?;
            if data.array_len().is_none() {
                return Ok(acc);
            }
            for e in data.elems() {
                acc = match &sub {
                    Some(l) => l.eval(&cx.with(Scope::Reduce(e, acc)), d)?,
                    None => Val::Null,
                };
            }
            Ok(acc)
        }
        _ => {
            // all: false for an empty or non-array value.
            if len == 0 {
                return Ok(Val::Bool(false));
            }
            for e in data.elems() {
                if !test(&sub, e, cx, d)? {
                    return Ok(Val::Bool(false));
                }
            }
            Ok(Val::Bool(true))
        }
    }
}

/// Arrays at least this long have the sub-rule of `filter`/`some`/`none`/`all`
/// prepared once ([`PNode`]) instead of re-interpreted for every element.
const PREPARE_MIN_LEN: usize = 8;

/// `filter`, `some`, `none` and `all` over a non-empty array with a prepared sub-rule:
/// the same loop as [`eval_scoped`]. Only the truthiness of the sub-rule's results
/// is used, so they may borrow from the short-lived prepared rule.
fn scoped_prepared<'a>(op: Op, data: Val<'a>, logic: &PNode, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    #[inline(always)]
    fn keep<'p>(logic: &'p PNode, e: Val<'p>, ar: &'p Arena, d: u32) -> R<bool> {
        logic.truthy(&Cx { ar, scope: Scope::Data(e) }, d)
    }
    match op {
        Op::Filter => {
            let out = cx.ar.slots(data.array_len().unwrap_or(0))?;
            let mut kept = 0;
            for e in data.elems() {
                if keep(logic, e, cx.ar, d)? {
                    out[kept] = e;
                    kept += 1;
                }
            }
            Ok(Val::Arr(&out[..kept]))
        }
        Op::Some | Op::None => {
            let mut found = false;
            for e in data.elems() {
                if keep(logic, e, cx.ar, d)? {
                    found = true;
                    break;
                }
            }
            Ok(Val::Bool(found == (op == Op::Some)))
        }
        _ => {
            for e in data.elems() {
                if !keep(logic, e, cx.ar, d)? {
                    return Ok(Val::Bool(false));
                }
            }
            Ok(Val::Bool(true))
        }
    }
}

/// The comparison `op` of two numbers (`None` if `op` is not a comparison).
#[inline(always)]
pub(crate) fn compare_numbers(op: Op, x: f64, y: f64) -> Option<bool> {
    Some(match op {
        Op::Eq | Op::StrictEq => x == y,
        Op::Ne | Op::StrictNe => x != y,
        Op::Gt => x > y,
        Op::Ge => x >= y,
        Op::Lt => x < y,
        Op::Le => x <= y,
        _ => return None,
    })
}

/// The (in)equality `op` of two strings (`None` for any other operator: ordering
/// strings goes through the general path).
#[inline(always)]
pub(crate) fn strings_equal(op: Op, x: &str, y: &str) -> Option<bool> {
    match op {
        Op::Eq | Op::StrictEq => Some(str_eq(x, y)),
        Op::Ne | Op::StrictNe => Some(!str_eq(x, y)),
        _ => None,
    }
}

/// A two-operand comparison. In rules, ordering comparisons with a null operand are
/// false (SQL-like; json-logic-js would coerce null to 0).
#[inline]
pub(crate) fn compare(op: Op, a: &Val, b: &Val, rule: bool) -> bool {
    // Fast paths: same-type numbers and strings.
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => return compare_numbers(op, *x, *y).unwrap_or(false),
        (Val::Str(x), Val::Str(y)) => {
            if let Some(r) = strings_equal(op, x, y) {
                return r;
            }
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

/// JavaScript's `x % y`. Rust's `%` on doubles is a call to a software `fmod`; two
/// integers below 2^53 (the usual case) take the integer remainder, which is exact
/// like `fmod`, with the sign of zero that JavaScript gives (the dividend's).
fn js_rem(x: f64, y: f64) -> f64 {
    if let (Some(a), Some(b)) = (small_integer(x, MAX_SAFE), small_integer(y, MAX_SAFE)) {
        if b != 0 {
            let r = (a % b) as f64;
            return if r == 0.0 && x.is_sign_negative() { -0.0 } else { r };
        }
    }
    x % y
}

/// `hay.includes(needle)`: a plain scan for short haystacks, where setting up the
/// general string searcher costs more than the search.
fn contains(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    if h.len() <= 64 {
        return h.windows(n.len()).any(|w| bytes_eq(w, n));
    }
    hay.contains(needle)
}

/// Numeric argument `i` of evaluated values, undefined (absent) as NaN.
fn num_arg(vals: &[Val], i: usize) -> f64 {
    vals.get(i).map_or(f64::NAN, to_number)
}

/// Apply an operator to its evaluated arguments.
pub(crate) fn apply_eager<'a>(op: Op, vals: &[Val<'a>], cx: &Cx<'a>) -> R<Val<'a>> {
    let rule = cx.is_rule();
    let get = |i: usize| vals.get(i).copied().unwrap_or(Val::Null);
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
        Op::Mod => Val::Num(js_rem(num_arg(vals, 0), num_arg(vals, 1))),
        Op::Div => Val::Num(num_arg(vals, 0) / num_arg(vals, 1)),
        Op::Sub => match vals.len() {
            0 => Val::Num(f64::NAN),
            1 => Val::Num(-to_number(&vals[0])),
            _ => Val::Num(to_number(&vals[0]) - to_number(&vals[1])),
        },
        Op::Add => Val::Num(vals.iter().fold(0.0, |acc, v| acc + parse_float(v))),
        Op::Mul => {
            let Some((first, rest)) = vals.split_first() else {
                return Err(Box::new(FitError::invalid_param("operator \"*\" needs at least one argument")));
            };
            // Array.prototype.reduce without an initial value returns a single
            // element untouched, so {"*": ["2"]} is "2" in json-logic-js.
            let mut acc = *first;
            for v in rest {
                acc = Val::Num(parse_float(&acc) * parse_float(v));
            }
            acc
        }
        Op::Min | Op::Max => {
            let mut acc = if op == Op::Min { f64::INFINITY } else { f64::NEG_INFINITY };
            for v in vals {
                let n = to_number(v);
                if n.is_nan() {
                    acc = f64::NAN;
                    break;
                }
                acc = if op == Op::Min { acc.min(n) } else { acc.max(n) };
            }
            Val::Num(acc)
        }
        Op::Cat => Val::Str(cx.ar.build_str("cat", |out| vals.iter().for_each(|v| push_cat(v, out)))?),
        Op::Substr => substr(vals, cx.ar)?,
        Op::In => {
            let needle = get(0);
            match vals.get(1) {
                Some(Val::Str(hay)) => Val::Bool(contains(hay, &to_js_string(&needle))),
                Some(hay) => Val::Bool(hay.elems().any(|e| strict_eq(&e, &needle))),
                None => Val::Bool(false),
            }
        }
        Op::Merge => {
            let total: usize = vals.iter().map(|v| v.array_len().unwrap_or(1)).sum();
            if total > MAX_BUILT_LEN {
                return Err(too_large("merge"));
            }
            let out = cx.ar.slots(total)?;
            let mut at = 0;
            for v in vals {
                if v.array_len().is_some() {
                    for e in v.elems() {
                        out[at] = e;
                        at += 1;
                    }
                } else {
                    out[at] = *v;
                    at += 1;
                }
            }
            Val::Arr(out)
        }
        Op::Missing => Val::Arr(missing(vals.iter().copied(), cx)?),
        Op::MissingSome => {
            // json-logic-js applies `missing` with the options as its arguments.
            let need = get(0);
            let options = get(1);
            // json-logic-js compares `options.length - missing.length` with the count:
            // `options.length` is the element count of an array, the UTF-16 length of a
            // string and undefined (NaN) otherwise; `missing` unwraps a first option that
            // is itself an array, so more keys than options can be missing and the
            // difference can be negative.
            let (total, are_missing) = if options.array_len().is_some() {
                (options.elems().len() as f64, missing(options.elems(), cx)?)
            } else {
                let total = match options {
                    Val::Str(s) => s.encode_utf16().count() as f64,
                    _ => f64::NAN,
                };
                (total, missing(std::iter::once(options), cx)?)
            };
            let present = Val::Num(total - are_missing.len() as f64);
            if js_le(&need, &present) {
                Val::Arr(&[])
            } else {
                Val::Arr(are_missing)
            }
        }
        // The lazy operators never get here (`eval_op` and `progress::walk` handle them).
        Op::If | Op::Ternary | Op::And | Op::Or | Op::Filter | Op::Map | Op::Reduce | Op::All | Op::Some
        | Op::None => Val::Null,
    })
}

/// `missing` applied to `args`: the keys (the first argument when it is an array,
/// else all arguments) whose `var` is undefined, null or "".
fn missing<'a, I>(args: I, cx: &Cx<'a>) -> R<&'a [Val<'a>]>
where
    I: ExactSizeIterator<Item = Val<'a>> + Clone,
{
    match args.clone().next() {
        Some(first) if first.array_len().is_some() => missing_keys(first.elems(), cx),
        _ => missing_keys(args, cx),
    }
}

fn missing_keys<'a>(keys: impl ExactSizeIterator<Item = Val<'a>>, cx: &Cx<'a>) -> R<&'a [Val<'a>]> {
    let total = keys.len();
    // Allocated at the first missing key: usually none is.
    let mut out: &'a mut [Val<'a>] = &mut [];
    let mut n = 0;
    for key in keys {
        let found = match key {
            Val::Str(path) => resolve(cx, path)?,
            other => resolve_key(cx, other)?,
        };
        let absent = match found {
            None => true,
            Some(v) => v.is_null() || matches!(v, Val::Str("")),
        };
        if absent {
            if out.is_empty() {
                out = cx.ar.slots(total)?;
            }
            out[n] = key;
            n += 1;
        }
    }
    Ok(&out[..n])
}

/// ToIntegerOrInfinity (up to the sign of zero, which `substr` does not see).
fn to_integer(n: f64) -> f64 {
    if n.is_nan() {
        0.0
    } else if n.abs() < 4_503_599_627_370_496.0 {
        // Below 2^52 through i64 (`f64::trunc` is a libm call); above, doubles are
        // integers already.
        n as i64 as f64
    } else {
        n
    }
}

/// String.prototype.substr(start, length) on the characters of `s` (a slice of it).
fn js_substr(s: &str, start: f64, length: Option<f64>) -> &str {
    let size = if s.is_ascii() { s.len() } else { s.chars().count() } as f64;
    let mut from = to_integer(start);
    if from < 0.0 {
        from = (size + from).max(0.0);
    }
    let from = from.min(size);
    let len = match length {
        None => size - from,
        Some(l) => to_integer(l).clamp(0.0, size - from),
    };
    char_slice(s, from as usize, (from + len) as usize)
}

/// Characters `from..to` of `s` (`from <= to <= ` its length in characters).
fn char_slice(s: &str, from: usize, to: usize) -> &str {
    if s.is_ascii() {
        return s.get(from..to).unwrap_or_default();
    }
    let byte = |i: usize| s.char_indices().nth(i).map_or(s.len(), |(b, _)| b);
    let (a, b) = (byte(from), byte(to));
    s.get(a..b).unwrap_or_default()
}

/// json-logic-js `substr`: a negative end counts characters to drop from the end.
fn substr<'a>(vals: &[Val<'a>], ar: &'a Arena) -> R<Val<'a>> {
    let source: &'a str = match vals.first() {
        None => "undefined",
        Some(Val::Str(s)) => s,
        Some(other) => ar.str(&to_js_string(other))?,
    };
    let start = num_arg(vals, 1);
    Ok(Val::Str(match vals.get(2) {
        None => js_substr(source, start, None),
        Some(end) => {
            let end_n = to_number(end);
            if !end.is_null() && end_n < 0.0 {
                let temp = js_substr(source, start, None);
                let keep = temp.chars().count() as f64 + end_n;
                js_substr(temp, 0.0, Some(keep))
            } else {
                js_substr(source, start, Some(end_n))
            }
        }
    }))
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

    fn test(&self, w: &'a Workout, ar: &'a Arena) -> R<bool> {
        match self {
            Pred::All => Ok(true),
            Pred::StrEq { field, lit, equal, node } => match w.get(*field) {
                Value::String(s) => Ok((s == lit) == *equal),
                _ => general(node, w, ar),
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
                _ => general(node, w, ar),
            },
            Pred::And(ps) => {
                for p in ps {
                    if !p.test(w, ar)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Pred::Or(ps) => {
                for p in ps {
                    if p.test(w, ar)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Pred::Not(p, keep) => Ok(p.test(w, ar)? == *keep),
            Pred::General(node) => general(node, w, ar),
        }
    }
}

fn general<'a>(node: &'a Node, w: &'a Workout, ar: &'a Arena) -> R<bool> {
    Ok(eval_node(node, &Cx { ar, scope: Scope::Workout(w) })?.truthy())
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
fn selected_days<'a>(sel: &'a Option<Node>, ws: &'a [Workout], ar: &'a Arena) -> R<Vec<i32>> {
    let pred = Pred::new(sel);
    let mut days = Vec::new();
    for w in ws {
        if pred.test(w, ar)? {
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

fn aggregate<'a>(agg: &'a Agg, ws: &'a [Workout], ar: &'a Arena) -> R<Val<'a>> {
    Ok(match agg {
        Agg::Count(sel) => {
            let pred = Pred::new(sel);
            let mut n = 0usize;
            for w in ws {
                if pred.test(w, ar)? {
                    n += 1;
                }
            }
            Val::Num(n as f64)
        }
        Agg::Sum(sel, f) | Agg::Avg(sel, f) => {
            let pred = Pred::new(sel);
            let (mut sum, mut n) = (0.0, 0usize);
            for w in ws {
                if pred.test(w, ar)? {
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
                if pred.test(w, ar)? {
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
            let mut days = selected_days(sel, ws, ar)?;
            days.dedup();
            Val::Num(days.len() as f64)
        }
        Agg::StreakDays(sel) => {
            let mut days: Vec<i64> = selected_days(sel, ws, ar)?.into_iter().map(i64::from).collect();
            days.dedup();
            Val::Num(longest_run(&days) as f64)
        }
        Agg::StreakWeeks(sel, n) => {
            let need = to_number(&eval_node(n, &Cx { ar, scope: Scope::Athlete(ws) })?);
            if !(need >= 1.0 && need == need.trunc()) {
                return Err(Box::new(FitError::invalid_param(format!(
                    "operator \"streak_weeks\" needs a positive whole number of workouts per week, not \"{}\"",
                    number_to_string(need)
                ))));
            }
            let weeks: Vec<i64> = selected_days(sel, ws, ar)?.into_iter().map(iso_week).collect();
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
                        let ar = Arena::new();
                        let fast = Pred::plan(&node).test(&w, &ar).unwrap();
                        assert_eq!(fast, general(&node, &w, &ar).unwrap(), "{op:?} swap={swap} field={fv} lit={lit}");
                        let not = Node::Op(Op::Not, vec![node.clone()]);
                        assert_eq!(Pred::plan(&not).test(&w, &ar).unwrap(), !fast);
                        let and = Node::Op(Op::And, vec![node.clone(), Node::Lit(json!(1))]);
                        assert_eq!(Pred::plan(&and).test(&w, &ar).unwrap(), general(&and, &w, &ar).unwrap());
                        let or = Node::Op(Op::Or, vec![Node::Lit(json!(0)), node]);
                        assert_eq!(Pred::plan(&or).test(&w, &ar).unwrap(), general(&or, &w, &ar).unwrap());
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 8 * 7 * 8 * 2);
    }

    #[test]
    fn remainder_and_includes_follow_javascript() {
        // node: 7 % 3, -7 % 3, 7 % -3, -4 % 2 (-0), 5.5 % 2, 1 % 0, 2**53 % 3.
        assert_eq!(js_rem(7.0, 3.0), 1.0);
        assert_eq!(js_rem(-7.0, 3.0), -1.0);
        assert_eq!(js_rem(7.0, -3.0), 1.0);
        assert!(js_rem(-4.0, 2.0) == 0.0 && js_rem(-4.0, 2.0).is_sign_negative());
        assert!(js_rem(-0.0, 2.0).is_sign_negative());
        assert!(js_rem(4.0, -2.0).is_sign_positive());
        assert_eq!(js_rem(5.5, 2.0), 1.5);
        assert!(js_rem(1.0, 0.0).is_nan());
        assert_eq!(js_rem(9_007_199_254_740_992.0, 3.0), 2.0);
        for (x, y) in [(13.0, 4.0), (-13.0, 4.0), (13.0, -4.0), (-13.0, -4.0), (0.0, 5.0), (1e15, 7.0)] {
            assert_eq!(js_rem(x, y).to_bits(), (x % y).to_bits(), "{x} % {y}");
        }
        assert!(contains("Springfield", "Spring") && contains("team", "") && !contains("team", "i"));
        assert!(contains("çaféß", "éß") && !contains("ab", "abc"));
        let long = "x".repeat(100) + "needle";
        assert!(contains(&long, "needle") && !contains(&long, "needles"));
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
        let ar = Arena::new();
        let sub = |vals: &[Val<'static>]| match substr(vals, &ar) {
            Ok(Val::Str(s)) => s.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(sub(&[Val::Str("jsonlogic"), Val::Num(1.0), Val::Num(-5.0)]), "son");
        assert_eq!(sub(&[Val::Str("jsonlogic"), Val::Num(-100.0)]), "jsonlogic");
        assert_eq!(sub(&[Val::Str("jsonlogic"), Val::Num(2.0), Val::Null]), "");
        assert_eq!(sub(&[Val::Str("çaféß"), Val::Num(1.0), Val::Num(-1.0)]), "afé");
        assert_eq!(sub(&[Val::Num(12345.0), Val::Num(1.0), Val::Num(2.0)]), "23");
    }
}
