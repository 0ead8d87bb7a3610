//! Evaluating a challenge rule over an athlete's workouts, with per-node progress.

use super::eval::{apply_eager, eval_node, Arena, Cx, Scope, R};
use super::node::{Node, Op};
use super::rule::{child_pointer, Rule};
use super::value::{num_json, to_number, Val};
use super::workout::Workout;
use crate::error::FitResult;
use serde_json::{Map, Value};

/// Progress a false comparison reports at most, so that progress 1 always means true
/// (`{">": [count, 10]}` with a count of exactly 10 is 0.99, not 1).
pub const MAX_FALSE_PROGRESS: f64 = 0.99;

/// One operator node of the rule, for drawing one bar per requirement.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeReport {
    /// JSON pointer (RFC 6901) of the node in the rule's canonical JSON, e.g.
    /// `/and/1` for the second requirement of a root `and`; the root is `""`.
    pub path: String,
    /// The operator name.
    pub op: String,
    /// For a two-operand `<`, `<=`, `>`, `>=`: the measured side (the operand that is
    /// not a literal or parameter, the left one by default); otherwise the node's value.
    pub value: Value,
    /// For a two-operand `<`, `<=`, `>`, `>=`: the other side; otherwise `None`.
    pub target: Option<Value>,
    /// In [0, 1]; 1 exactly when the node is truthy.
    pub progress: f64,
}

/// The outcome of evaluating a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The root node's progress, in [0, 1].
    pub progress: f64,
    /// Whether the rule is truthy (then and only then `progress == 1`).
    pub complete: bool,
    /// Every operator and aggregate outside `workouts` predicates, in pre-order
    /// (a node before its arguments, arguments left to right).
    pub nodes: Vec<NodeReport>,
}

impl NodeReport {
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("path".into(), Value::String(self.path.clone()));
        m.insert("op".into(), Value::String(self.op.clone()));
        m.insert("value".into(), self.value.clone());
        m.insert("target".into(), self.target.clone().unwrap_or(Value::Null));
        m.insert("progress".into(), num_json(self.progress));
        Value::Object(m)
    }
}

impl Evaluation {
    /// `{"progress": .., "complete": .., "nodes": [{"path", "op", "value", "target",
    /// "progress"}, ...]}`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("progress".into(), num_json(self.progress));
        m.insert("complete".into(), Value::Bool(self.complete));
        m.insert("nodes".into(), Value::Array(self.nodes.iter().map(NodeReport::to_json).collect()));
        Value::Object(m)
    }
}

/// Evaluate a rule over the athlete's workouts (already restricted by the caller to
/// the window `(since, as_of]`). Deterministic: it reads nothing but its arguments.
pub fn evaluate(rule: &Rule, workouts: &[Workout]) -> FitResult<Evaluation> {
    let mut nodes = Vec::new();
    let ar = Arena::new();
    let cx = Cx { ar: &ar, scope: Scope::Athlete(workouts) };
    let (value, progress) = walk(&rule.root, "", &cx, &mut nodes).map_err(|e| *e)?;
    let complete = value.truthy();
    Ok(Evaluation { progress, complete, nodes })
}

fn is_constant(n: &Node) -> bool {
    matches!(n, Node::Lit(_) | Node::Param(..))
}

fn truth(v: &Val) -> f64 {
    if v.truthy() {
        1.0
    } else {
        0.0
    }
}

/// A number for progress ratios: null (an empty max/min/avg) is not a number.
fn ratio_number(v: &Val) -> f64 {
    if v.is_null() {
        f64::NAN
    } else {
        to_number(v)
    }
}

/// Evaluate a top-level node, appending reports for it and its operator arguments.
/// Returns its value and progress.
fn walk<'a>(node: &'a Node, path: &str, cx: &Cx<'a>, out: &mut Vec<NodeReport>) -> R<(Val<'a>, f64)> {
    match node {
        Node::Op(op, args) => {
            let slot = out.len();
            let here = child_pointer(path, op.name());
            out.push(NodeReport { path: path.to_string(), op: op.name().into(), value: Value::Null, target: None, progress: 0.0 });
            let mut vals = Vec::with_capacity(args.len());
            let mut progs = Vec::with_capacity(args.len());
            for (i, a) in args.iter().enumerate() {
                let (v, p) = walk(a, &child_pointer(&here, &i.to_string()), cx, out)?;
                vals.push(v);
                progs.push(p);
            }
            // All arguments are evaluated (so every requirement gets a bar); the value
            // is still the short-circuit result JsonLogic defines.
            let value = match op {
                Op::And => vals.iter().find(|v| !v.truthy()).or(vals.last()).copied().unwrap_or(Val::Null),
                Op::Or => vals.iter().find(|v| v.truthy()).or(vals.last()).copied().unwrap_or(Val::Null),
                Op::If | Op::Ternary => {
                    let mut i = 0;
                    let mut chosen = None;
                    while i + 1 < vals.len() {
                        if vals[i].truthy() {
                            chosen = Some(i + 1);
                            break;
                        }
                        i += 2;
                    }
                    let idx = chosen.or((i < vals.len()).then_some(i));
                    idx.and_then(|k| vals.get(k).copied()).unwrap_or(Val::Null)
                }
                _ => apply_eager(*op, &vals, cx)?,
            };
            let true_now = value.truthy();
            let mut report_value = value.to_json();
            let mut target = None;
            let progress = match op {
                // A false `and` has a false argument (progress < 1), so the mean is < 1;
                // a false `or` has only false arguments, so the maximum is < 1.
                Op::And if !progs.is_empty() => progs.iter().sum::<f64>() / progs.len() as f64,
                Op::Or if !progs.is_empty() => progs.iter().copied().fold(0.0, f64::max),
                Op::Gt | Op::Ge | Op::Lt | Op::Le if args.len() == 2 => {
                    let m = usize::from(is_constant(&args[0]) && !is_constant(&args[1]));
                    report_value = vals[m].to_json();
                    target = Some(vals[1 - m].to_json());
                    let lower_bound = matches!((op, m), (Op::Gt | Op::Ge, 0) | (Op::Lt | Op::Le, 1));
                    if true_now {
                        1.0
                    } else if lower_bound {
                        let (a, t) = (ratio_number(&vals[m]), ratio_number(&vals[1 - m]));
                        if t > 0.0 && a.is_finite() && t.is_finite() {
                            (a / t).clamp(0.0, MAX_FALSE_PROGRESS)
                        } else {
                            0.0
                        }
                    } else {
                        0.0
                    }
                }
                _ => truth(&value),
            };
            if let Some(r) = out.get_mut(slot) {
                r.value = report_value;
                r.target = target;
                r.progress = progress;
            }
            Ok((value, progress))
        }
        Node::Agg(agg) => {
            let value = eval_node(node, cx)?;
            let progress = truth(&value);
            out.push(NodeReport {
                path: path.to_string(),
                op: agg.name().into(),
                value: value.to_json(),
                target: None,
                progress,
            });
            Ok((value, progress))
        }
        _ => {
            let value = eval_node(node, cx)?;
            let progress = truth(&value);
            Ok((value, progress))
        }
    }
}
