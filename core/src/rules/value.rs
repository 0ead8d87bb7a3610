//! The evaluator's value type and JavaScript's coercion rules.
//!
//! JsonLogic is defined by its reference implementation, json-logic-js, so every
//! coercion here follows ECMAScript: `ToNumber`, `ToString`, `parseFloat`, abstract
//! (`==`) and strict (`===`) equality and the abstract relational comparison (`<`).
//! Values borrow from the rule or the data wherever possible ([`Val::Ref`],
//! [`Val::Str`] with a borrowed `Cow`), so evaluating a predicate over a workout
//! allocates nothing.

use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

/// A value produced during evaluation.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
    /// An array or object borrowed from the rule or the data (never a scalar).
    Ref(&'a Value),
    /// An array built during evaluation (`map`, `filter`, `merge`, rule arrays).
    Arr(Vec<Val<'a>>),
    /// An object built during evaluation (only `{"var": ""}` inside `reduce`).
    Obj(Box<Value>),
}

/// Largest integer a double holds exactly (2^53).
const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

/// Recursion guard for stringifying nested arrays (data depth is bounded by the
/// JSON parser; this only protects against hand-built values).
const MAX_STRING_DEPTH: usize = 128;

impl<'a> Val<'a> {
    /// View a JSON value without copying it.
    pub(crate) fn of(v: &'a Value) -> Val<'a> {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(num_f64(n)),
            Value::String(s) => Val::Str(Cow::Borrowed(s.as_str())),
            Value::Array(_) | Value::Object(_) => Val::Ref(v),
        }
    }

    /// JsonLogic truthiness: JavaScript's, except that an empty array is false.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::Ref(Value::Array(a)) => !a.is_empty(),
            Val::Ref(_) => true,
            Val::Arr(a) => !a.is_empty(),
            Val::Obj(_) => true,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Val::Null | Val::Ref(Value::Null))
    }

    /// The elements when this is an array.
    pub(crate) fn array_len(&self) -> Option<usize> {
        match self {
            Val::Ref(Value::Array(a)) => Some(a.len()),
            Val::Arr(a) => Some(a.len()),
            _ => None,
        }
    }

    /// Iterate the elements of an array value (empty for anything else).
    pub(crate) fn elements(&self) -> Vec<Val<'a>> {
        match self {
            Val::Ref(Value::Array(a)) => a.iter().map(Val::of).collect(),
            Val::Arr(a) => a.clone(),
            _ => Vec::new(),
        }
    }

    /// Convert to an owned JSON value (JSON.stringify: NaN and infinities become null).
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => num_json(*n),
            Val::Str(s) => Value::String(s.to_string()),
            Val::Ref(v) => (*v).clone(),
            Val::Arr(a) => Value::Array(a.iter().map(Val::to_json).collect()),
            Val::Obj(o) => (**o).clone(),
        }
    }

    pub(crate) fn into_json(self) -> Value {
        match self {
            Val::Str(s) => Value::String(s.into_owned()),
            Val::Arr(a) => Value::Array(a.into_iter().map(Val::into_json).collect()),
            Val::Obj(o) => *o,
            other => other.to_json(),
        }
    }
}

/// A JSON number as a double (what JavaScript sees).
pub(crate) fn num_f64(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// A double as a JSON number: integral values within 2^53 become integers (so `1`
/// prints as `1`, not `1.0`), non-finite values become `null` like JSON.stringify.
pub(crate) fn num_json(n: f64) -> Value {
    if !n.is_finite() {
        return Value::Null;
    }
    if n == n.trunc() && n.abs() <= MAX_SAFE {
        return Value::Number(Number::from(n as i64));
    }
    Number::from_f64(n).map(Value::Number).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------------
// Number parsing

/// Length of the longest prefix of `s` that is a StrDecimalLiteral (digits with an
/// optional sign, fraction and exponent, or `Infinity`), or 0 when there is none.
fn decimal_prefix(s: &[u8]) -> usize {
    let mut i = 0;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    if s[i..].starts_with(b"Infinity") {
        return i + 8;
    }
    let int_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < s.len() && s[i] == b'.' {
        let frac_start = i + 1;
        let mut j = frac_start;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        if digits > 0 || j > frac_start {
            digits += j - frac_start;
            i = j;
        }
    }
    if digits == 0 {
        return 0;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    i
}

fn parse_decimal(s: &str) -> f64 {
    let neg = s.starts_with('-');
    let body = s.trim_start_matches(['+', '-']);
    if body == "Infinity" {
        return if neg { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    // Rust accepts "1.", ".5" and exponents like JavaScript; the prefix scanner has
    // already excluded "inf"/"nan" spellings that only Rust would accept.
    s.parse::<f64>().unwrap_or(f64::NAN)
}

fn is_js_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// ECMAScript ToNumber applied to a string.
pub(crate) fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let b = t.as_bytes();
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            let mut acc = 0.0f64;
            for c in t[2..].chars() {
                match c.to_digit(radix) {
                    Some(d) => acc = acc * radix as f64 + d as f64,
                    None => return f64::NAN,
                }
            }
            return acc;
        }
    }
    if decimal_prefix(b) == b.len() {
        parse_decimal(t)
    } else {
        f64::NAN
    }
}

/// ECMAScript parseFloat applied to a string: the longest numeric prefix.
fn string_parse_float(s: &str) -> f64 {
    let t = s.trim_start_matches(is_js_space);
    let n = decimal_prefix(t.as_bytes());
    if n == 0 {
        f64::NAN
    } else {
        parse_decimal(&t[..n])
    }
}

/// ECMAScript ToNumber.
pub(crate) fn to_number(v: &Val) -> f64 {
    match v {
        Val::Null => 0.0,
        Val::Bool(b) => f64::from(u8::from(*b)),
        Val::Num(n) => *n,
        Val::Str(s) => string_to_number(s),
        Val::Ref(Value::Null) => 0.0,
        Val::Ref(Value::Bool(b)) => f64::from(u8::from(*b)),
        Val::Ref(Value::Number(n)) => num_f64(n),
        Val::Ref(Value::String(s)) => string_to_number(s),
        // Arrays go through ToPrimitive (their string form); objects give NaN.
        Val::Ref(Value::Array(_)) | Val::Arr(_) => string_to_number(&to_js_string(v)),
        Val::Ref(Value::Object(_)) | Val::Obj(_) => f64::NAN,
    }
}

/// ECMAScript parseFloat(value) (used by `+` and `*`).
pub(crate) fn parse_float(v: &Val) -> f64 {
    match v {
        Val::Num(n) => *n,
        Val::Ref(Value::Number(n)) => num_f64(n),
        Val::Str(s) => string_parse_float(s),
        other => string_parse_float(&to_js_string(other)),
    }
}

// ---------------------------------------------------------------------------------
// Strings

/// Number::prototype.toString() for a double.
pub(crate) fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if n == 0.0 {
        return "0".into();
    }
    let a = n.abs();
    if (1e-6..1e21).contains(&a) {
        // Rust prints the shortest round-trip digits without an exponent here.
        format!("{n}")
    } else {
        let s = format!("{n:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    }
}

/// ECMAScript ToString (arrays join their elements with ",", null and undefined
/// elements print empty, objects print "[object Object]").
pub(crate) fn to_js_string<'a>(v: &Val<'a>) -> Cow<'a, str> {
    match v {
        Val::Str(s) => s.clone(),
        other => {
            let mut out = String::new();
            push_js_string(other, &mut out, 0);
            Cow::Owned(out)
        }
    }
}

fn push_json_string(v: &Value, out: &mut String, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_to_string(num_f64(n))),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            if depth >= MAX_STRING_DEPTH {
                return;
            }
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !e.is_null() {
                    push_json_string(e, out, depth + 1);
                }
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

fn push_js_string(v: &Val, out: &mut String, depth: usize) {
    match v {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Num(n) => out.push_str(&number_to_string(*n)),
        Val::Str(s) => out.push_str(s),
        Val::Ref(r) => push_json_string(r, out, depth),
        Val::Arr(a) => {
            if depth >= MAX_STRING_DEPTH {
                return;
            }
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !e.is_null() {
                    push_js_string(e, out, depth + 1);
                }
            }
        }
        Val::Obj(_) => out.push_str("[object Object]"),
    }
}

/// Append the `cat` form of a value (Array.prototype.join: null prints empty).
pub(crate) fn push_cat(v: &Val, out: &mut String) {
    if !v.is_null() {
        push_js_string(v, out, 0);
    }
}

// ---------------------------------------------------------------------------------
// Equality and ordering

/// A primitive after ECMAScript ToPrimitive.
enum Prim<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
}

fn to_primitive<'a>(v: &Val<'a>) -> Prim<'a> {
    match v {
        Val::Null | Val::Ref(Value::Null) => Prim::Null,
        Val::Bool(b) | Val::Ref(Value::Bool(b)) => Prim::Bool(*b),
        Val::Num(n) => Prim::Num(*n),
        Val::Ref(Value::Number(n)) => Prim::Num(num_f64(n)),
        Val::Str(s) => Prim::Str(s.clone()),
        other => Prim::Str(to_js_string(other)),
    }
}

/// Whether the value is an object or array (compared by identity in JavaScript).
fn is_object(v: &Val) -> bool {
    matches!(v, Val::Ref(Value::Array(_)) | Val::Ref(Value::Object(_)) | Val::Arr(_) | Val::Obj(_))
}

/// Object identity: two borrows of the same JSON node are the same object; values
/// built during evaluation are always fresh objects.
fn same_object(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Ref(x), Val::Ref(y)) => std::ptr::eq(*x, *y),
        _ => false,
    }
}

/// JavaScript `===`.
pub(crate) fn strict_eq(a: &Val, b: &Val) -> bool {
    if is_object(a) || is_object(b) {
        return same_object(a, b);
    }
    match (to_primitive(a), to_primitive(b)) {
        (Prim::Null, Prim::Null) => true,
        (Prim::Bool(x), Prim::Bool(y)) => x == y,
        (Prim::Num(x), Prim::Num(y)) => x == y,
        (Prim::Str(x), Prim::Str(y)) => x == y,
        _ => false,
    }
}

/// JavaScript `==` (the abstract equality comparison).
pub(crate) fn loose_eq(a: &Val, b: &Val) -> bool {
    let (ao, bo) = (is_object(a), is_object(b));
    if ao && bo {
        return same_object(a, b);
    }
    if (ao && b.is_null()) || (bo && a.is_null()) {
        return false;
    }
    prim_loose_eq(to_primitive(a), to_primitive(b))
}

fn prim_loose_eq(a: Prim, b: Prim) -> bool {
    match (a, b) {
        (Prim::Null, Prim::Null) => true,
        (Prim::Null, _) | (_, Prim::Null) => false,
        (Prim::Str(x), Prim::Str(y)) => x == y,
        (Prim::Bool(x), Prim::Bool(y)) => x == y,
        (x, y) => prim_number(&x) == prim_number(&y),
    }
}

fn prim_number(p: &Prim) -> f64 {
    match p {
        Prim::Null => 0.0,
        Prim::Bool(b) => f64::from(u8::from(*b)),
        Prim::Num(n) => *n,
        Prim::Str(s) => string_to_number(s),
    }
}

/// JavaScript's abstract relational comparison: `Some(ordering)`, or `None` when
/// the comparison is undefined (a NaN is involved), which makes `<`, `<=`, `>` and
/// `>=` all false. Two strings compare by UTF-16 code units, anything else as numbers.
pub(crate) fn js_compare(a: &Val, b: &Val) -> Option<Ordering> {
    match (to_primitive(a), to_primitive(b)) {
        (Prim::Str(x), Prim::Str(y)) => Some(x.encode_utf16().cmp(y.encode_utf16())),
        (x, y) => prim_number(&x).partial_cmp(&prim_number(&y)),
    }
}

/// `a < b` in JavaScript.
pub(crate) fn js_lt(a: &Val, b: &Val) -> bool {
    js_compare(a, b) == Some(Ordering::Less)
}

/// `a <= b` in JavaScript.
pub(crate) fn js_le(a: &Val, b: &Val) -> bool {
    matches!(js_compare(a, b), Some(Ordering::Less | Ordering::Equal))
}

/// Build the `{"current": .., "accumulator": ..}` object `reduce` exposes as data.
pub(crate) fn reduce_object(current: &Val, accumulator: &Val) -> Value {
    let mut m = Map::new();
    m.insert("current".into(), current.to_json());
    m.insert("accumulator".into(), accumulator.to_json());
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Val<'static> {
        Val::Str(Cow::Owned(x.to_string()))
    }

    // Expected values are what node (ECMAScript) gives for the same expression,
    // e.g. `Number(" 12 ")`, `parseFloat("3.5kg")`, `String(1e21)`.
    #[test]
    fn to_number_follows_ecmascript() {
        assert_eq!(string_to_number(" 12 "), 12.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x1A"), 26.0);
        assert_eq!(string_to_number("1e3"), 1000.0);
        assert_eq!(string_to_number(".5"), 0.5);
        assert_eq!(string_to_number("-Infinity"), f64::NEG_INFINITY);
        assert!(string_to_number("inf").is_nan());
        assert!(string_to_number("12kg").is_nan());
        assert!(string_to_number("1e").is_nan());
        assert_eq!(to_number(&Val::Null), 0.0);
        assert_eq!(to_number(&Val::Arr(vec![Val::Num(5.0)])), 5.0);
        assert!(to_number(&Val::Arr(vec![Val::Num(1.0), Val::Num(2.0)])).is_nan());
    }

    #[test]
    fn parse_float_takes_the_numeric_prefix() {
        assert_eq!(parse_float(&s("3.5kg")), 3.5);
        assert_eq!(parse_float(&s("  -2e2x")), -200.0);
        assert_eq!(parse_float(&s("1e")), 1.0);
        assert!(parse_float(&s("kg3")).is_nan());
        assert!(parse_float(&Val::Null).is_nan());
        assert!(parse_float(&s("")).is_nan());
    }

    #[test]
    fn number_to_string_matches_javascript() {
        assert_eq!(number_to_string(1.0), "1");
        assert_eq!(number_to_string(-0.0), "0");
        assert_eq!(number_to_string(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(number_to_string(1e21), "1e+21");
        assert_eq!(number_to_string(123456789012345680000.0), "123456789012345680000");
        assert_eq!(number_to_string(1e-7), "1e-7");
        assert_eq!(number_to_string(1.5e-7), "1.5e-7");
        assert_eq!(number_to_string(0.000001), "0.000001");
    }

    #[test]
    fn loose_equality_matches_javascript() {
        assert!(loose_eq(&Val::Num(1.0), &s("1")));
        assert!(loose_eq(&Val::Bool(true), &s("1")));
        assert!(!loose_eq(&Val::Null, &Val::Num(0.0))); // null == 0 is false
        assert!(!loose_eq(&Val::Null, &Val::Bool(false)));
        assert!(loose_eq(&Val::Num(0.0), &s("")));
        assert!(loose_eq(&Val::Arr(vec![Val::Num(1.0)]), &s("1"))); // [1] == "1"
        assert!(!loose_eq(&Val::Arr(vec![]), &Val::Arr(vec![]))); // [] == [] is false
        assert!(!loose_eq(&Val::Num(f64::NAN), &Val::Num(f64::NAN)));
    }

    #[test]
    fn relational_comparison_matches_javascript() {
        assert!(js_lt(&s("10"), &s("9"))); // string comparison
        assert!(!js_lt(&s("10"), &Val::Num(9.0))); // numeric comparison
        assert!(js_le(&Val::Null, &Val::Num(0.0))); // null <= 0
        assert!(!js_lt(&s("a"), &Val::Num(1.0))); // NaN
        assert!(!js_le(&s("a"), &Val::Num(1.0)));
    }

    #[test]
    fn truthiness_follows_json_logic_js() {
        assert!(!Val::Arr(vec![]).truthy());
        assert!(s("0").truthy());
        assert!(!s("").truthy());
        assert!(!Val::Num(f64::NAN).truthy());
        assert!(Val::Obj(Box::new(Value::Object(Map::new()))).truthy());
    }

    #[test]
    fn numbers_serialize_like_json_stringify() {
        assert_eq!(num_json(1.0).to_string(), "1");
        assert_eq!(num_json(0.5).to_string(), "0.5");
        assert_eq!(num_json(f64::INFINITY), Value::Null);
        assert_eq!(num_json(f64::NAN), Value::Null);
    }
}
