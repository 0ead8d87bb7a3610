//! Plain JsonLogic prepared for repeated evaluation.
//!
//! [`build`] turns a JSON rule into a [`PNode`] tree: operator names are resolved to
//! [`Op`] codes once, `var` paths are split at their dots once (a short name without
//! a default is held in the node itself, and `{"var": ""}` is its own node), and
//! scalar literals are pre-converted. Evaluating a `PNode` runs exactly the code that
//! interprets the JSON rule directly (`eval_json`): the operators are shared through
//! [`Expr`], and whatever `eval_json` would only find out when it reaches a node (an
//! unknown operator, a node nested too deeply) becomes a node that fails when, and
//! only when, evaluation reaches it. So `build` never fails and never changes a
//! result.
//!
//! `JsonLogic::compile` builds the tree once; one-shot `jsonlogic` interprets the
//! JSON directly and builds a tree only for the sub-rule of `filter`, `some`, `none`
//! and `all` over a long array (see `eval::eval_scoped`).

use super::eval::{
    compare, compare_numbers, eval_if, strings_equal, eval_items, eval_op, op_truthy, resolve, resolve_key, resolve_name, resolve_segs, too_deep_err,
    unknown_op, Cx, Expr, Scope, MAX_PLAIN_DEPTH, R,
};
use super::node::Op;
use super::value::{bytes_eq, num_f64, number_to_string, parse_float, to_number, Val};
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// A prepared plain JsonLogic node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PNode {
    Null,
    Bool(bool),
    Num(f64),
    Str(Box<str>),
    /// An array of scalars, or an object that is not an operation: evaluates to
    /// (a borrow of) itself. (Boxed, like the other large payloads, so that a node is
    /// 24 bytes and a rule's tree compact.)
    Lit(Box<Value>),
    /// An array holding an operation or array: evaluated element-wise.
    Arr(Box<[PNode]>),
    /// `{"var": "name"}` (no default) with a name of at most 16 bytes and no dot,
    /// held in the node itself: the most common node, read without following a
    /// pointer into the rule. `len` bytes of `bytes` are the name (a whole `str`);
    /// `pair` is what the name reads inside `reduce`.
    Member { len: u8, pair: Pair, hint: Hint, bytes: [u8; MEMBER_MAX] },
    /// `{"var": ""}` (or `[]`, `null`) without a default: the whole data.
    Whole,
    Var(Box<Var>),
    /// `==`, `===`, `!=`, `!==`, `<`, `<=`, `>`, `>=` with exactly two operands.
    Cmp(Op, Box<[PNode; 2]>),
    Op(Op, Box<[PNode]>),
    /// An operator name json-logic-js does not know.
    Unknown(Box<str>),
    /// An operation or array nested deeper than `MAX_PLAIN_DEPTH`.
    TooDeep,
}

/// Longest name a [`PNode::Member`] holds.
const MEMBER_MAX: usize = 16;

const _: () = assert!(std::mem::size_of::<PNode>() == 24);

/// What a [`PNode::Member`] name reads in the scope of `reduce`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Pair {
    Current,
    Accumulator,
    /// Any other name: undefined there.
    Neither,
}

/// `{"var": [key, default]}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Var {
    key: Key,
    default: Option<PNode>,
}

#[derive(Debug, Clone, PartialEq)]
enum Key {
    /// Absent, null or "": the whole data.
    Whole,
    /// A path without dots, with the position where it was last found in an object.
    Name(Box<str>, Hint),
    /// A non-empty dotted path, split at the dots.
    Path(Box<[Box<str>]>),
    /// A computed key.
    Expr(PNode),
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// Prepare the JSON rule `v` found at nesting depth `d` (as `eval_json` counts it).
pub(crate) fn build(v: &Value, d: u32) -> PNode {
    match v {
        Value::Null => PNode::Null,
        Value::Bool(b) => PNode::Bool(*b),
        Value::Number(n) => PNode::Num(num_f64(n)),
        Value::String(s) => PNode::Str(s.as_str().into()),
        Value::Object(m) if m.len() == 1 => {
            if d >= MAX_PLAIN_DEPTH as u32 {
                return PNode::TooDeep;
            }
            let Some((name, raw)) = m.iter().next() else { return PNode::Lit(Box::new(v.clone())) };
            let args: &[Value] = match raw {
                Value::Array(a) => a.as_slice(),
                other => std::slice::from_ref(other),
            };
            if name == "var" {
                return build_var(args, d + 1);
            }
            match Op::from_name(name) {
                Some(op @ (Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Gt | Op::Ge | Op::Lt | Op::Le))
                    if args.len() == 2 =>
                {
                    PNode::Cmp(op, Box::new([build(&args[0], d + 1), build(&args[1], d + 1)]))
                }
                Some(op) => PNode::Op(op, args.iter().map(|a| build(a, d + 1)).collect()),
                None => PNode::Unknown(name.as_str().into()),
            }
        }
        Value::Array(items) => {
            if items.iter().all(is_scalar) {
                return PNode::Lit(Box::new(v.clone()));
            }
            if d >= MAX_PLAIN_DEPTH as u32 {
                return PNode::TooDeep;
            }
            PNode::Arr(items.iter().map(|i| build(i, d + 1)).collect())
        }
        Value::Object(_) => PNode::Lit(Box::new(v.clone())),
    }
}

fn split_path(path: &str) -> Key {
    if path.is_empty() {
        Key::Whole
    } else if !path.contains('.') {
        Key::Name(path.into(), Hint::default())
    } else {
        Key::Path(path.split('.').map(Box::from).collect())
    }
}

/// Mirrors `eval::eval_var`: only the key and the default are ever evaluated.
fn build_var(args: &[Value], d: u32) -> PNode {
    let key = match args.first() {
        None | Some(Value::Null) => Key::Whole,
        Some(Value::String(s)) => split_path(s),
        Some(Value::Number(n)) => split_path(&number_to_string(num_f64(n))),
        Some(other) => Key::Expr(build(other, d)),
    };
    let default = args.get(1).map(|a| build(a, d));
    match (&key, &default) {
        (Key::Whole, None) => return PNode::Whole,
        (Key::Name(name, _), None) if name.len() <= MEMBER_MAX => {
            let mut bytes = [0; MEMBER_MAX];
            bytes[..name.len()].copy_from_slice(name.as_bytes());
            let pair = match &**name {
                "current" => Pair::Current,
                "accumulator" => Pair::Accumulator,
                _ => Pair::Neither,
            };
            return PNode::Member { len: name.len() as u8, pair, hint: Hint::default(), bytes };
        }
        _ => {}
    }
    PNode::Var(Box::new(Var { key, default }))
}

/// Scalar literals (most operands) are evaluated in line; everything else goes
/// through [`eval_node`] and [`truthy_node`].
impl Expr for PNode {
    #[inline(always)]
    fn eval<'a>(&'a self, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
        match self {
            PNode::Null => Ok(Val::Null),
            PNode::Bool(b) => Ok(Val::Bool(*b)),
            PNode::Num(n) => Ok(Val::Num(*n)),
            PNode::Str(s) => Ok(Val::Str(s)),
            _ => eval_node(self, cx, d),
        }
    }

    #[inline(always)]
    fn truthy<'a>(&'a self, cx: &Cx<'a>, d: u32) -> R<bool> {
        match self {
            PNode::Null => Ok(false),
            PNode::Bool(b) => Ok(*b),
            PNode::Num(n) => Ok(*n != 0.0 && !n.is_nan()),
            PNode::Str(s) => Ok(!s.is_empty()),
            _ => truthy_node(self, cx, d),
        }
    }

    #[inline(always)]
    fn number<'a>(&'a self, cx: &Cx<'a>, d: u32) -> R<f64> {
        match self {
            PNode::Num(n) => Ok(*n),
            _ => number_node(self, cx, d, to_number),
        }
    }

    #[inline(always)]
    fn float<'a>(&'a self, cx: &Cx<'a>, d: u32) -> R<f64> {
        match self {
            PNode::Num(n) => Ok(*n),
            _ => number_node(self, cx, d, parse_float),
        }
    }

    #[inline(always)]
    fn is_boolean(&self) -> bool {
        matches!(self, PNode::Bool(_) | PNode::Cmp(..) | PNode::Op(Op::Not | Op::NotNot, _))
    }
}

/// [`Expr::eval`] of any node (called for all but scalar literals).
#[inline(never)]
fn eval_node<'a>(n: &'a PNode, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    match n {
        PNode::Null => Ok(Val::Null),
        PNode::Bool(b) => Ok(Val::Bool(*b)),
        PNode::Num(n) => Ok(Val::Num(*n)),
        PNode::Str(s) => Ok(Val::Str(s)),
        PNode::Lit(v) => Ok(Val::of(v)),
        PNode::Member { len, pair, hint, bytes } => {
            Ok(member(cx, member_name(*len, bytes), *pair, hint).unwrap_or(Val::Null))
        }
        PNode::Whole => whole(cx),
        PNode::Var(v) => eval_var(v, cx, d),
        PNode::Cmp(op, ab) => Ok(Val::Bool(cmp(*op, ab, cx, d)?)),
        // (`if` straight from here: the most common operation at the top of a rule.)
        PNode::Op(Op::If | Op::Ternary, args) => eval_if(args, cx, d),
        PNode::Op(op, args) => eval_op(*op, args, cx, d),
        PNode::Arr(items) => eval_items(items, cx, d),
        PNode::Unknown(name) => Err(unknown_op(name)),
        PNode::TooDeep => Err(too_deep_err()),
    }
}

/// [`Expr::number`] or [`Expr::float`] (`convert`) of a node that is not a number.
#[inline(never)]
fn number_node<'a>(n: &'a PNode, cx: &Cx<'a>, d: u32, convert: impl Fn(&Val) -> f64) -> R<f64> {
    let v = match n {
        PNode::Member { len, pair, hint, bytes } => {
            member(cx, member_name(*len, bytes), *pair, hint).unwrap_or(Val::Null)
        }
        PNode::Whole => whole(cx)?,
        _ => eval_node(n, cx, d)?,
    };
    Ok(convert(&v))
}

/// [`Expr::truthy`] of a node that is not a scalar literal.
#[inline(never)]
fn truthy_node<'a>(n: &'a PNode, cx: &Cx<'a>, d: u32) -> R<bool> {
    match n {
        PNode::Member { len, pair, hint, bytes } => {
            Ok(member(cx, member_name(*len, bytes), *pair, hint).is_some_and(|v| v.truthy()))
        }
        PNode::Cmp(op, ab) => cmp(*op, ab, cx, d),
        PNode::Op(op, args) => op_truthy(*op, args, cx, d),
        _ => Ok(eval_node(n, cx, d)?.truthy()),
    }
}

/// What `eval_op` does for a comparison with two operands.
#[inline(always)]
fn cmp<'a>(op: Op, ab: &'a [PNode; 2], cx: &Cx<'a>, d: u32) -> R<bool> {
    if let Some(r) = cmp_sides(op, &ab[0], &ab[1], &cx.scope) {
        return Ok(r);
    }
    let a = operand(&ab[0], cx, d)?;
    let b = operand(&ab[1], cx, d)?;
    Ok(compare(op, &a, &b, cx.is_rule()))
}

/// A comparison operand that is a number or a string, without building a `Val`.
enum Side<'a> {
    Num(f64),
    Str(&'a str),
}

/// A literal, a member of the current object or the current data, when it is a
/// number or a string.
#[inline(always)]
fn side<'a>(n: &'a PNode, scope: &Scope<'a>) -> Option<Side<'a>> {
    match (n, scope) {
        (PNode::Num(x), _) => Some(Side::Num(*x)),
        (PNode::Str(s), _) => Some(Side::Str(s)),
        (PNode::Member { len, hint, bytes, .. }, Scope::Data(Val::Ref(Value::Object(m)))) => {
            match hint.get(m, member_name(*len, bytes))? {
                Value::Number(x) => Some(Side::Num(num_f64(x))),
                Value::String(s) => Some(Side::Str(s)),
                _ => None,
            }
        }
        (PNode::Whole, Scope::Data(Val::Num(x))) => Some(Side::Num(*x)),
        (PNode::Whole, Scope::Data(Val::Str(s))) => Some(Side::Str(s)),
        _ => None,
    }
}

/// The fast paths of `eval::compare` (number with number, string equality with
/// string) for operands that are literals, members of the current object or the
/// current data; `None` (nothing decided, nothing evaluated that matters) for
/// anything else.
#[inline(always)]
fn cmp_sides(op: Op, a: &PNode, b: &PNode, scope: &Scope) -> Option<bool> {
    match (side(a, scope)?, side(b, scope)?) {
        (Side::Num(x), Side::Num(y)) => compare_numbers(op, x, y),
        (Side::Str(x), Side::Str(y)) => strings_equal(op, x, y),
        _ => None,
    }
}

/// `PNode::eval` with the usual comparison operands (a literal, a member of the
/// current object) handled in line; anything else, including a member that is
/// absent (its default applies), goes through `eval`.
#[inline(always)]
fn operand<'a>(n: &'a PNode, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    match n {
        PNode::Num(x) => Ok(Val::Num(*x)),
        PNode::Str(s) => Ok(Val::Str(s)),
        PNode::Member { len, pair, hint, bytes } => {
            Ok(member(cx, member_name(*len, bytes), *pair, hint).unwrap_or(Val::Null))
        }
        PNode::Whole => whole(cx),
        _ => n.eval(cx, d),
    }
}

/// The name held by a [`PNode::Member`].
#[inline(always)]
fn member_name(len: u8, bytes: &[u8; MEMBER_MAX]) -> &[u8] {
    bytes.get(..usize::from(len)).unwrap_or_default()
}

/// `{"var": name}` for a name without dots (what `resolve_name` gives); `None` is
/// undefined.
#[inline(always)]
fn member<'a>(cx: &Cx<'a>, name: &[u8], pair: Pair, hint: &Hint) -> Option<Val<'a>> {
    match &cx.scope {
        Scope::Data(Val::Ref(Value::Object(m))) => hint.get(m, name).map(Val::of),
        Scope::Reduce(cur, acc) => match pair {
            Pair::Current => Some(*cur),
            Pair::Accumulator => Some(*acc),
            Pair::Neither => None,
        },
        scope => member_elsewhere(scope, name),
    }
}

#[inline(never)]
fn member_elsewhere<'a>(scope: &Scope<'a>, name: &[u8]) -> Option<Val<'a>> {
    // The name was copied whole from a `str`, so it is UTF-8.
    resolve_name(scope, std::str::from_utf8(name).ok()?)
}

/// `{"var": ""}`: the whole data.
#[inline(always)]
fn whole<'a>(cx: &Cx<'a>) -> R<Val<'a>> {
    match cx.scope {
        Scope::Data(d) => Ok(d),
        _ => Ok(resolve(cx, "")?.unwrap_or(Val::Null)),
    }
}

#[inline(never)]
fn eval_var<'a>(v: &'a Var, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    let found = match &v.key {
        // `resolve_segs` with one segment on an object is this member lookup.
        Key::Name(name, hint) => match &cx.scope {
            Scope::Data(Val::Ref(Value::Object(m))) => hint.get(m, name.as_bytes()).map(Val::of),
            scope => resolve_name(scope, name),
        },
        Key::Whole => resolve(cx, "")?,
        Key::Path(segs) => resolve_segs(&cx.scope, segs),
        Key::Expr(e) => resolve_key(cx, e.eval(cx, d)?)?,
    };
    match found {
        Some(x) => Ok(x),
        None => match &v.default {
            Some(dflt) => dflt.eval(cx, d),
            None => Ok(Val::Null),
        },
    }
}

/// Where a `var` name was last found in an object. Objects read in a loop
/// (`filter` over workouts) usually share their key order, so trying that position
/// first mostly saves the scan. Keys of a JSON object are unique, so the member
/// found is the same either way. Atomic only to keep `JsonLogic` `Sync`.
#[derive(Debug, Default)]
pub(crate) struct Hint(AtomicU32);

impl Hint {
    #[inline(always)]
    fn get<'m>(&self, m: &'m Map<String, Value>, key: &[u8]) -> Option<&'m Value> {
        let at = self.0.load(Relaxed) as usize;
        if let Some((k, v)) = m.iter().nth(at) {
            if bytes_eq(k.as_bytes(), key) {
                return Some(v);
            }
        }
        if m.len() > 32 {
            return m.get(std::str::from_utf8(key).ok()?);
        }
        let (i, v) =
            m.iter().enumerate().find(|(_, (k, _))| bytes_eq(k.as_bytes(), key)).map(|(i, (_, v))| (i, v))?;
        self.0.store(i as u32, Relaxed);
        Some(v)
    }
}

impl Clone for Hint {
    fn clone(&self) -> Hint {
        Hint(AtomicU32::new(self.0.load(Relaxed)))
    }
}

/// A hint is a cache, not part of the rule.
impl PartialEq for Hint {
    fn eq(&self, _: &Hint) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::{jsonlogic, JsonLogic};
    use serde_json::{json, Value};

    /// Prepared evaluation must give exactly what direct interpretation gives,
    /// errors included (the expected values are json-logic-js's, checked with node
    /// for the cases marked so; the others only compare the two paths).
    #[test]
    fn prepared_and_direct_evaluation_agree() {
        let long: Vec<Value> = (0..40).map(|i| json!({"a": i, "s": format!("x{i}"), "n": null})).collect();
        let data = json!({"xs": long, "a": {"b": [10, 20, {"c": "deep"}]}, "s": "hello", "k": "a.b.1"});
        let cases: Vec<(Value, Option<Value>)> = vec![
            // node: jsonLogic.apply(rule, data) for these.
            (json!({"var": "a.b.1"}), Some(json!(20))),
            (json!({"var": "a.b.2.c"}), Some(json!("deep"))),
            (json!({"var": "a.b.length"}), Some(json!(3))),
            (json!({"var": "s.1"}), Some(json!("e"))),
            (json!({"var": [{"var": "k"}]}), Some(json!(20))),
            (json!({"var": ["zz", 5]}), Some(json!(5))),
            (json!({"var": "a.x.y"}), Some(json!(null))),
            (json!({"reduce": [{"filter": [{"var": "xs"}, {">=": [{"var": "a"}, 30]}]}, {"+": [{"var": "accumulator"}, {"var": "current.a"}]}, 0]}), Some(json!(345))),
            (json!({"some": [{"var": "xs"}, {"==": [{"var": "s"}, "x39"]}]}), Some(json!(true))),
            (json!({"none": [{"var": "xs"}, {"===": [{"var": "n"}, 0]}]}), Some(json!(true))),
            (json!({"all": [{"var": "xs"}, {"<": [-1, {"var": "a"}, 40]}]}), Some(json!(true))),
            (json!({"map": [{"filter": [{"var": "xs"}, {"<": [{"var": "a"}, 2]}]}, {"cat": ["#", {"var": "a"}]}]}), Some(json!(["#0", "#1"]))),
            (json!({"filter": [{"var": "xs"}, {"==": [{"var": ""}, [1]]}]}), Some(json!([]))),
            (json!({"filter": [[1, 2, 3, 4, 5, 6, 7, 8, 9], {"%": [{"var": ""}, 2]}]}), Some(json!([1, 3, 5, 7, 9]))),
            (json!({"filter": [{"var": "xs"}, {"var": "zz"}]}), Some(json!([]))),
            // Errors appear only when evaluation reaches them, in both paths.
            (json!({"if": [true, 1, {"xyz": []}]}), Some(json!(1))),
            (json!({"filter": [{"var": "xs"}, {"xyz": []}]}), None),
            (json!({"some": [{"var": "xs"}, {"or": [{"var": "a"}, {"xyz": 1}]}]}), None),
            (json!({"filter": [{"var": "xs"}, [{"var": "a"}, 1]]}), None),
            (json!({"var": [[1, {"var": "k"}]]}), None),
        ];
        for (rule, expected) in &cases {
            let direct = jsonlogic(rule, &data);
            let prepared = JsonLogic::compile(rule).and_then(|c| c.apply(&data));
            assert_eq!(direct, prepared, "rule {rule}");
            if let Some(e) = expected {
                assert_eq!(direct.as_ref().ok(), Some(e), "rule {rule}");
            }
        }
        // An unknown operator reached inside a long filter is the same error.
        let err = jsonlogic(&json!({"filter": [{"var": "xs"}, {"xyz": []}]}), &data).unwrap_err();
        assert_eq!(err.message, "unrecognized operation \"xyz\"");
    }

    /// The in-line comparison of members with literals must agree with the direct
    /// evaluator for every operator, operand order and value type.
    #[test]
    fn member_comparisons_agree_with_direct_evaluation() {
        let values = [json!(null), json!(5), json!(10), json!(10.5), json!("10"), json!("chest_press"), json!(""), json!(true), json!([10]), json!({})];
        let literals = [json!(10), json!("10"), json!("chest_press"), json!(0), json!(null), json!(true), json!(-1.5)];
        let ops = ["==", "===", "!=", "!==", "<", "<=", ">", ">="];
        let mut checked = 0;
        for v in &values {
            let data = json!({"other": 1, "f": v});
            for lit in &literals {
                for op in ops {
                    for args in [json!([{"var": "f"}, lit]), json!([lit, {"var": "f"}]), json!([{"var": "f"}, {"var": "f"}]), json!([{"var": "g"}, lit]), json!([{"var": ["g", 10]}, lit])] {
                        let mut m = serde_json::Map::new();
                        m.insert(op.to_string(), args);
                        let rule = Value::Object(m);
                        let direct = jsonlogic(&rule, &data);
                        let compiled = JsonLogic::compile(&rule).and_then(|c| c.apply(&data));
                        assert_eq!(direct, compiled, "rule {rule} data {data}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 10 * 7 * 8 * 5);
        // Spot checks against json-logic-js (node): 10 == "10", "10" < 5 is false, null >= 0.
        let d = json!({"f": "10", "n": null});
        assert_eq!(JsonLogic::compile(&json!({"==": [{"var": "f"}, 10]})).unwrap().apply(&d).unwrap(), json!(true));
        assert_eq!(JsonLogic::compile(&json!({"<": [{"var": "f"}, 5]})).unwrap().apply(&d).unwrap(), json!(false));
        assert_eq!(JsonLogic::compile(&json!({">=": [{"var": "n"}, 0]})).unwrap().apply(&d).unwrap(), json!(true));
    }

    /// Compiled and direct evaluation agree on random rules over varied data and
    /// scopes: the compiled fast paths (names held in the node, the whole data,
    /// comparisons of members and literals, truthiness in conditions and
    /// predicates, `reduce`'s pair) must give what interpretation gives.
    #[test]
    fn random_rules_agree_with_direct_evaluation() {
        struct Rng(u64);
        impl Rng {
            fn below(&mut self, n: usize) -> usize {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                (self.0 % n as u64) as usize
            }
        }
        fn gen(rng: &mut Rng, depth: u32) -> Value {
            let leaves = [
                json!({"var": "a"}),
                json!({"var": "s"}),
                json!({"var": "current"}),
                json!({"var": "accumulator"}),
                json!({"var": ""}),
                json!({"var": ["", 1]}),
                json!({"var": ["a", 7]}),
                json!({"var": "a_name_longer_than_16"}),
                json!({"var": "length"}),
                json!({"var": "0"}),
                json!({"var": "b.c"}),
                json!({"var": "current.a"}),
                json!(1),
                json!(0),
                json!(2.5),
                json!("1"),
                json!(""),
                json!("x"),
                json!(null),
                json!(true),
                json!(false),
                json!([1, 2]),
            ];
            let ops = [
                "==", "===", "!=", "!==", "<", "<=", ">", ">=", "!", "!!", "and", "or", "if", "?:", "+", "*", "-", "%",
                "min", "max", "missing", "missing_some", "in", "cat", "merge", "some", "all", "filter",
            ];
            if depth == 0 || rng.below(3) == 0 {
                return leaves[rng.below(leaves.len())].clone();
            }
            let op = ops[rng.below(ops.len())];
            let n = if op == "missing_some" { 2 } else { rng.below(4) };
            let args: Vec<Value> = (0..n).map(|_| gen(rng, depth - 1)).collect();
            let mut m = serde_json::Map::new();
            m.insert(op.to_string(), Value::Array(args));
            Value::Object(m)
        }
        let data = [
            json!({"a": 1, "s": "x", "b": {"c": "1"}, "current": 5, "a_name_longer_than_16": "y", "xs": [0, "1", ""]}),
            json!({"s": "", "a": "1", "b": null}),
            json!([3, 0, "x"]),
            json!("text"),
            json!(2),
            json!(null),
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for i in 0..30_000 {
            let body = gen(&mut rng, 4);
            // The same body at the top level and as the sub-rule of each scoped
            // operator (over short arrays, which one-shot evaluation interprets).
            let rule = match i % 6 {
                0 => body,
                1 => json!({"filter": [{"var": "xs"}, body]}),
                2 => json!({"reduce": [{"var": "xs"}, body, 0]}),
                3 => json!({"some": [[{"a": 0}, {"a": 2, "s": "x"}, 3, "1"], body]}),
                4 => json!({"all": [[1, 2, 3], body]}),
                _ => json!({"map": [[{"a": 1}, null, "s"], body]}),
            };
            for d in &data {
                let direct = jsonlogic(&rule, d);
                let compiled = JsonLogic::compile(&rule).and_then(|c| c.apply(d));
                assert_eq!(direct, compiled, "rule {rule} data {d}");
            }
        }
    }

    /// A rule nested to exactly the depth limit fails the same way in both paths
    /// when the deep node is reached inside a prepared sub-rule.
    #[test]
    fn depth_limit_is_the_same_in_prepared_sub_rules() {
        let data = json!({"xs": (0..20).collect::<Vec<i32>>()});
        for depth in [120usize, 125, 126, 127, 128, 129] {
            let mut inner = json!({"var": []});
            for _ in 0..depth {
                inner = json!({"!!": [inner]});
            }
            let rule = json!({"filter": [{"var": "xs"}, inner]});
            let direct = jsonlogic(&rule, &data);
            match JsonLogic::compile(&rule) {
                Ok(c) => assert_eq!(direct, c.apply(&data), "depth {depth}"),
                Err(e) => assert_eq!(direct.unwrap_err(), e, "depth {depth}"),
            }
        }
    }
}
