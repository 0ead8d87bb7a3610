//! Plain JsonLogic prepared for repeated evaluation.
//!
//! [`build`] turns a JSON rule into a [`PNode`] tree: operator names are resolved to
//! [`Op`] codes once, `var` paths are split at their dots once, and scalar literals
//! are pre-converted. Evaluating a `PNode` runs exactly the code that interprets the
//! JSON rule directly (`eval_json`): the operators are shared through [`Expr`], and
//! whatever `eval_json` would only find out when it reaches a node (an unknown
//! operator, a node nested too deeply) becomes a node that fails when, and only
//! when, evaluation reaches it. So `build` never fails and never changes a result.
//!
//! `JsonLogic::compile` builds the tree once; one-shot `jsonlogic` interprets the
//! JSON directly and builds a tree only for the sub-rule of `filter`, `some`, `none`
//! and `all` over a long array (see `eval::eval_scoped`).

use super::eval::{
    compare, eval_items, eval_op, resolve, resolve_key, resolve_segs, too_deep_err, unknown_op, Cx, Expr, Scope,
    MAX_PLAIN_DEPTH, R,
};
use super::node::Op;
use super::value::{num_f64, number_to_string, str_eq, Val};
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
    Var(Box<Var>),
    /// `==`, `===`, `!=`, `!==`, `<`, `<=`, `>`, `>=` with exactly two operands.
    Cmp(Op, Box<[PNode; 2]>),
    Op(Op, Box<[PNode]>),
    /// An operator name json-logic-js does not know.
    Unknown(Box<str>),
    /// An operation or array nested deeper than `MAX_PLAIN_DEPTH`.
    TooDeep,
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
    PNode::Var(Box::new(Var { key, default }))
}

impl Expr for PNode {
    #[inline]
    fn eval<'a>(&'a self, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
        match self {
            PNode::Null => Ok(Val::Null),
            PNode::Bool(b) => Ok(Val::Bool(*b)),
            PNode::Num(n) => Ok(Val::Num(*n)),
            PNode::Str(s) => Ok(Val::Str(s)),
            PNode::Lit(v) => Ok(Val::of(v)),
            PNode::Var(v) => eval_var(v, cx, d),
            // What `eval_op` does for a comparison with two operands.
            PNode::Cmp(op, ab) => {
                if let Scope::Data(Val::Ref(Value::Object(m))) = &cx.scope {
                    if let Some(r) = cmp_member(*op, &ab[0], &ab[1], m) {
                        return Ok(Val::Bool(r));
                    }
                }
                let a = operand(&ab[0], cx, d)?;
                let b = operand(&ab[1], cx, d)?;
                Ok(Val::Bool(compare(*op, &a, &b, cx.is_rule())))
            }
            PNode::Op(op, args) => eval_op(*op, args, cx, d),
            PNode::Arr(items) => eval_items(items, cx, d),
            PNode::Unknown(name) => Err(unknown_op(name)),
            PNode::TooDeep => Err(too_deep_err()),
        }
    }
}

/// A comparison operand that is a number or a string, without building a `Val`.
enum Side<'a> {
    Num(f64),
    Str(&'a str),
}

/// A literal, or a member of the current object `m` holding a number or string.
#[inline(always)]
fn side<'a>(n: &'a PNode, m: &'a Map<String, Value>) -> Option<Side<'a>> {
    match n {
        PNode::Num(x) => Some(Side::Num(*x)),
        PNode::Str(s) => Some(Side::Str(s)),
        PNode::Var(v) => match &v.key {
            Key::Name(name, hint) => match hint.get(m, name)? {
                Value::Number(x) => Some(Side::Num(num_f64(x))),
                Value::String(s) => Some(Side::Str(s)),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// The fast paths of `eval::compare` (number with number, string equality with
/// string) for operands that are literals or members of the current object `m`;
/// `None` (nothing decided, nothing evaluated that matters) for anything else.
#[inline(always)]
fn cmp_member(op: Op, a: &PNode, b: &PNode, m: &Map<String, Value>) -> Option<bool> {
    match (side(a, m)?, side(b, m)?) {
        (Side::Num(x), Side::Num(y)) => Some(match op {
            Op::Eq | Op::StrictEq => x == y,
            Op::Ne | Op::StrictNe => x != y,
            Op::Gt => x > y,
            Op::Ge => x >= y,
            Op::Lt => x < y,
            Op::Le => x <= y,
            _ => return None,
        }),
        (Side::Str(x), Side::Str(y)) => match op {
            Op::Eq | Op::StrictEq => Some(str_eq(x, y)),
            Op::Ne | Op::StrictNe => Some(!str_eq(x, y)),
            _ => None,
        },
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
        PNode::Var(v) => {
            if let (Key::Name(name, hint), Scope::Data(Val::Ref(Value::Object(m)))) = (&v.key, &cx.scope) {
                if let Some(x) = hint.get(m, name) {
                    return Ok(Val::of(x));
                }
            }
            n.eval(cx, d)
        }
        _ => n.eval(cx, d),
    }
}

#[inline(never)]
fn eval_var<'a>(v: &'a Var, cx: &Cx<'a>, d: u32) -> R<Val<'a>> {
    let found = match &v.key {
        // `resolve_segs` with one segment on an object is this member lookup.
        Key::Name(name, hint) => match &cx.scope {
            Scope::Data(Val::Ref(Value::Object(m))) => hint.get(m, name).map(Val::of),
            _ => resolve_segs(&cx.scope, std::slice::from_ref(name)),
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
    #[inline]
    fn get<'m>(&self, m: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
        let at = self.0.load(Relaxed) as usize;
        if let Some((k, v)) = m.iter().nth(at) {
            if str_eq(k, key) {
                return Some(v);
            }
        }
        if m.len() > 32 {
            return m.get(key);
        }
        let (i, v) = m.iter().enumerate().find(|(_, (k, _))| str_eq(k, key)).map(|(i, (_, v))| (i, v))?;
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
