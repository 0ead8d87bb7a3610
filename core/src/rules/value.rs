//! The evaluator's value type and JavaScript's coercion rules.
//!
//! JsonLogic is defined by its reference implementation, json-logic-js, so every
//! coercion here follows ECMAScript: `ToNumber`, `ToString`, `parseFloat`, abstract
//! (`==`) and strict (`===`) equality and the abstract relational comparison (`<`).
//! A [`Val`] is `Copy`: it borrows from the rule, the data or the evaluation's arena
//! (`eval::Arena`, where built strings, arrays and objects live), so evaluating a
//! predicate over a workout allocates nothing and a result need not be converted to
//! an owned `serde_json::Value` to be compared or serialized.

use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write;

/// A value produced during evaluation.
///
/// The tag is a whole word so that moving a value copies three words: with a byte
/// tag, the `Bool` payload sits in the tag's word and every move copies that word
/// piecewise, which stalls store forwarding on the hot return paths.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(&'a str),
    /// An array or object borrowed from the rule or the data (never a scalar).
    Ref(&'a Value),
    /// An array built during evaluation (`map`, `filter`, `merge`, rule arrays).
    Arr(&'a [Val<'a>]),
    /// A fresh copy of a JSON object: the `{"current": .., "accumulator": ..}` object
    /// of `reduce` (built as JSON, see `eval::Arena::keep`) or an object read out of
    /// one. Members read out of it are [`Val::read`].
    Obj(&'a Map<String, Value>),
    /// A fresh array of the elements of a JSON array read out of an [`Val::Obj`], each
    /// [`Val::read`] in turn.
    JArr(&'a [Value]),
}

/// Largest integer a double holds exactly (2^53).
pub(crate) const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

/// Recursion guard for stringifying nested arrays (data depth is bounded by the
/// JSON parser; this only protects against hand-built values).
const MAX_STRING_DEPTH: usize = 128;

/// The elements of an array value (see [`Val::elems`]).
#[derive(Clone)]
pub(crate) enum Elems<'a> {
    Json(std::slice::Iter<'a, Value>),
    Built(std::slice::Iter<'a, Val<'a>>),
    Read(std::slice::Iter<'a, Value>),
}

impl<'a> Iterator for Elems<'a> {
    type Item = Val<'a>;

    #[inline]
    fn next(&mut self) -> Option<Val<'a>> {
        match self {
            Elems::Json(i) => i.next().map(Val::of),
            Elems::Built(i) => i.next().copied(),
            Elems::Read(i) => i.next().map(Val::read),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            Elems::Json(i) | Elems::Read(i) => i.len(),
            Elems::Built(i) => i.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Elems<'_> {}

impl<'a> Val<'a> {
    /// View a JSON value without copying it. (Always in line: a value returned by a
    /// call comes back through memory, and reading it back in pieces other than
    /// those written stalls store forwarding.)
    #[inline]
    pub(crate) fn of(v: &'a Value) -> Val<'a> {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(num_f64(n)),
            Value::String(s) => Val::Str(s),
            Value::Array(_) | Value::Object(_) => Val::Ref(v),
        }
    }

    /// A member of a fresh JSON copy ([`Val::Obj`], [`Val::JArr`]) as evaluation sees
    /// it: scalars as they are, arrays and objects as fresh copies again.
    pub(crate) fn read(v: &'a Value) -> Val<'a> {
        match v {
            Value::Array(a) => Val::JArr(a),
            Value::Object(m) => Val::Obj(m),
            scalar => Val::of(scalar),
        }
    }

    /// JsonLogic truthiness: JavaScript's, except that an empty array is false.
    #[inline]
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::Ref(Value::Array(a)) => !a.is_empty(),
            Val::Ref(_) => true,
            Val::Arr(a) => !a.is_empty(),
            Val::JArr(a) => !a.is_empty(),
            Val::Obj(_) => true,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Val::Null | Val::Ref(Value::Null))
    }

    /// The number of elements when this is an array.
    pub(crate) fn array_len(&self) -> Option<usize> {
        match self {
            Val::Ref(Value::Array(a)) => Some(a.len()),
            Val::Arr(a) => Some(a.len()),
            Val::JArr(a) => Some(a.len()),
            _ => None,
        }
    }

    /// The elements of an array value (none for anything else).
    #[inline]
    pub(crate) fn elems(&self) -> Elems<'a> {
        match *self {
            Val::Ref(Value::Array(a)) => Elems::Json(a.iter()),
            Val::Arr(a) => Elems::Built(a.iter()),
            Val::JArr(a) => Elems::Read(a.iter()),
            _ => Elems::Built([].iter()),
        }
    }

    /// Convert to an owned JSON value (JSON.stringify: NaN and infinities become null).
    pub(crate) fn to_json(self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(b),
            Val::Num(n) => num_json(n),
            Val::Str(s) => Value::String(s.to_owned()),
            Val::Ref(v) => v.clone(),
            Val::Arr(a) => Value::Array(a.iter().map(|e| e.to_json()).collect()),
            Val::JArr(a) => Value::Array(a.iter().map(|e| Val::read(e).to_json()).collect()),
            Val::Obj(m) => Value::Object(m.clone()),
        }
    }

    /// Whether [`Val::to_json`] would equal `other`, without building it.
    pub(crate) fn eq_json(&self, other: &Value) -> bool {
        match (self, other) {
            (Val::Null, Value::Null) => true,
            (Val::Bool(a), Value::Bool(b)) => a == b,
            (Val::Num(n), other) => num_json(*n) == *other,
            (Val::Str(a), Value::String(b)) => *a == b.as_str(),
            (Val::Ref(v), other) => *v == other,
            (Val::Arr(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_json(y)),
            (Val::JArr(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| Val::read(x).eq_json(y))
            }
            (Val::Obj(a), Value::Object(b)) => *a == b,
            _ => false,
        }
    }
}

/// Serializes like [`Val::to_json`] does.
impl Serialize for Val<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Val::Null => s.serialize_unit(),
            Val::Bool(b) => s.serialize_bool(*b),
            Val::Num(n) => num_json(*n).serialize(s),
            Val::Str(x) => s.serialize_str(x),
            Val::Ref(v) => v.serialize(s),
            Val::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for e in a.iter() {
                    seq.serialize_element(e)?;
                }
                seq.end()
            }
            Val::JArr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for e in a.iter() {
                    seq.serialize_element(&Val::read(e))?;
                }
                seq.end()
            }
            Val::Obj(m) => m.serialize(s),
        }
    }
}

/// A JSON number as a double (what JavaScript sees).
#[inline]
pub(crate) fn num_f64(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// `n` as an integer when it is one of magnitude at most `limit` (<= 2^53). The
/// round trip through i64 tests this without `f64::trunc`, a libm call on baseline
/// x86-64; -0 gives 0.
#[inline]
pub(crate) fn small_integer(n: f64, limit: f64) -> Option<i64> {
    let i = n as i64;
    (n.abs() <= limit && i as f64 == n).then_some(i)
}

/// A double as a JSON number: integral values within 2^53 become integers (so `1`
/// prints as `1`, not `1.0`), non-finite values become `null` like JSON.stringify.
pub(crate) fn num_json(n: f64) -> Value {
    if !n.is_finite() {
        return Value::Null;
    }
    if let Some(i) = small_integer(n, MAX_SAFE) {
        return Value::Number(Number::from(i));
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

/// The value of a string of 1 to 15 ASCII digits (exact as a double, and what both
/// `Number` and `parseFloat` give), without the general float parser.
#[inline]
fn short_digits(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 15 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')) as f64)
}

/// ECMAScript ToNumber applied to a string.
pub(crate) fn string_to_number(s: &str) -> f64 {
    if let Some(n) = short_digits(s) {
        return n;
    }
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
    if let Some(n) = short_digits(s) {
        return n;
    }
    let t = s.trim_start_matches(is_js_space);
    let n = decimal_prefix(t.as_bytes());
    if n == 0 {
        f64::NAN
    } else {
        parse_decimal(&t[..n])
    }
}

/// ECMAScript ToNumber. (A number, the usual case, is handled in line: a value
/// just returned by an evaluation is still in registers or recently stored, and
/// passing it to a call would read it back through memory.)
#[inline(always)]
pub(crate) fn to_number(v: &Val) -> f64 {
    match v {
        Val::Num(n) => *n,
        other => to_number_other(other),
    }
}

fn to_number_other(v: &Val) -> f64 {
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
        Val::Ref(Value::Array(_)) | Val::Arr(_) | Val::JArr(_) => string_to_number(&to_js_string(v)),
        Val::Ref(Value::Object(_)) | Val::Obj(_) => f64::NAN,
    }
}

/// ECMAScript parseFloat(value) (used by `+` and `*`; numbers in line, as in
/// [`to_number`]).
#[inline(always)]
pub(crate) fn parse_float(v: &Val) -> f64 {
    match v {
        Val::Num(n) => *n,
        other => parse_float_other(other),
    }
}

fn parse_float_other(v: &Val) -> f64 {
    match v {
        Val::Ref(Value::Number(n)) => num_f64(n),
        Val::Str(s) => string_parse_float(s),
        other => string_parse_float(&to_js_string(other)),
    }
}

// ---------------------------------------------------------------------------------
// Strings

/// Number::prototype.toString() for a double.
pub(crate) fn number_to_string(n: f64) -> String {
    let mut out = String::new();
    push_number(n, &mut out);
    out
}

/// Append Number::prototype.toString() of a double.
pub(crate) fn push_number(n: f64, out: &mut String) {
    if n.is_nan() {
        return out.push_str("NaN");
    }
    if n.is_infinite() {
        return out.push_str(if n > 0.0 { "Infinity" } else { "-Infinity" });
    }
    // Integers (the common case, -0 included) print as such; 1e15 keeps the i64
    // conversion exact and far below 1e21, where JavaScript switches to exponents.
    if let Some(i) = small_integer(n, 1e15) {
        return push_integer(i, out);
    }
    let a = n.abs();
    if (1e-6..1e21).contains(&a) {
        // Rust prints the shortest round-trip digits without an exponent here.
        let _ = write!(out, "{n}");
    } else {
        let from = out.len();
        let _ = write!(out, "{n:e}");
        // JavaScript writes a positive exponent with its sign: 1e+21.
        if let Some(e) = out[from..].find('e') {
            if !out[from + e + 1..].starts_with('-') {
                out.insert(from + e + 1, '+');
            }
        }
    }
}

/// Append the decimal digits of an integer (cheaper than the formatting machinery).
fn push_integer(n: i64, out: &mut String) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push('-');
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// ECMAScript ToString (arrays join their elements with ",", null and undefined
/// elements print empty, objects print "[object Object]").
pub(crate) fn to_js_string<'a>(v: &Val<'a>) -> Cow<'a, str> {
    match v {
        Val::Str(s) => Cow::Borrowed(s),
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
        Value::Number(n) => push_number(num_f64(n), out),
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
        Val::Num(n) => push_number(*n, out),
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
        Val::JArr(a) => {
            if depth >= MAX_STRING_DEPTH {
                return;
            }
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let e = Val::read(e);
                if !e.is_null() {
                    push_js_string(&e, out, depth + 1);
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

/// Byte-string equality. Short strings (object keys, operator names) are compared
/// with two overlapping fixed-size loads each instead of a call to `memcmp`.
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    fn word4(s: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]])
    }
    fn word8(s: &[u8], at: usize) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        // Bytes 0, n / 2 and n - 1 are all the bytes.
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=8 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        9..=16 => word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8),
        _ => a == b,
    }
}

/// String equality (see [`bytes_eq`]).
#[inline]
pub(crate) fn str_eq(a: &str, b: &str) -> bool {
    bytes_eq(a.as_bytes(), b.as_bytes())
}

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
        Val::Str(s) => Prim::Str(Cow::Borrowed(s)),
        other => Prim::Str(to_js_string(other)),
    }
}

/// Whether the value is an object or array (compared by identity in JavaScript).
fn is_object(v: &Val) -> bool {
    matches!(v, Val::Ref(Value::Array(_)) | Val::Ref(Value::Object(_)) | Val::Arr(_) | Val::JArr(_) | Val::Obj(_))
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
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => return str_eq(x, y),
        (Val::Num(x), Val::Num(y)) => return x == y,
        _ if is_object(a) || is_object(b) => return same_object(a, b),
        _ => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Val<'_> {
        Val::Str(x)
    }

    // Expected values are what node (ECMAScript) gives for the same expression,
    // e.g. `Number(" 12 ")`, `parseFloat("3.5kg")`, `String(1e21)`.
    #[test]
    fn to_number_follows_ecmascript() {
        assert_eq!(string_to_number(" 12 "), 12.0);
        assert_eq!(string_to_number("007"), 7.0);
        assert_eq!(string_to_number("999999999999999"), 999_999_999_999_999.0);
        assert_eq!(string_to_number("9007199254740993"), 9_007_199_254_740_992.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x1A"), 26.0);
        assert_eq!(string_to_number("1e3"), 1000.0);
        assert_eq!(string_to_number(".5"), 0.5);
        assert_eq!(string_to_number("-Infinity"), f64::NEG_INFINITY);
        assert!(string_to_number("inf").is_nan());
        assert!(string_to_number("12kg").is_nan());
        assert!(string_to_number("1e").is_nan());
        assert_eq!(to_number(&Val::Null), 0.0);
        assert_eq!(to_number(&Val::Arr(&[Val::Num(5.0)])), 5.0);
        assert!(to_number(&Val::Arr(&[Val::Num(1.0), Val::Num(2.0)])).is_nan());
    }

    #[test]
    fn bytes_eq_is_equality() {
        let words = ["", "a", "b", "ab", "ba", "abc", "abd", "xbc", "abcd", "abce", "abcdefgh", "abcdefgi", "bbcdefgh", "abcdefghi", "abcdefghj", "abcdefghijklmnop", "abcdefghijklmnoq", "abcdefghijklmnopq", "abcdefghijklmnopr", "é", "ée"];
        for x in words {
            for y in words {
                assert_eq!(bytes_eq(x.as_bytes(), y.as_bytes()), x == y, "{x:?} {y:?}");
            }
            // Every single-byte change inside the string is seen.
            let mut v = x.as_bytes().to_vec();
            for i in 0..v.len() {
                v[i] ^= 1;
                assert!(!bytes_eq(x.as_bytes(), &v), "{x:?} at {i}");
                v[i] ^= 1;
            }
        }
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
        assert_eq!(number_to_string(-120.0), "-120");
        assert_eq!(number_to_string(999_999_999_999_999.0), "999999999999999");
        assert_eq!(number_to_string(1e15), "1000000000000000");
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
        assert!(loose_eq(&Val::Arr(&[Val::Num(1.0)]), &s("1"))); // [1] == "1"
        assert!(!loose_eq(&Val::Arr(&[]), &Val::Arr(&[]))); // [] == [] is false
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
        assert!(!Val::Arr(&[]).truthy());
        assert!(s("0").truthy());
        assert!(!s("").truthy());
        assert!(!Val::Num(f64::NAN).truthy());
        assert!(Val::Obj(&Map::new()).truthy());
    }

    #[test]
    fn numbers_serialize_like_json_stringify() {
        assert_eq!(num_json(1.0).to_string(), "1");
        assert_eq!(num_json(0.5).to_string(), "0.5");
        assert_eq!(num_json(f64::INFINITY), Value::Null);
        assert_eq!(num_json(f64::NAN), Value::Null);
    }
}
