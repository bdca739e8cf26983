//! The semantics of every operator, shared by both engines so that they agree exactly.
//! One helper per operator; the VM inlines the int/float fast paths and calls these for
//! everything else.

use super::heap::{Heap, Obj};
use super::value::Value;
use crate::front::ast::BinOp;

pub fn type_name(heap: &Heap, v: Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Native(_) => "function",
        Value::Obj(r) => match heap.get(r) {
            Obj::Str(_) => "string",
            Obj::List(_) => "list",
            Obj::Map(_) => "map",
            Obj::Closure { .. } => "function",
            Obj::Cell(_) => "cell",
            Obj::Free(_) => "freed object",
        },
    }
}

fn bad_operands(heap: &Heap, op: BinOp, a: Value, b: Value) -> String {
    format!(
        "cannot apply '{}' to {} and {}",
        op.symbol(),
        type_name(heap, a),
        type_name(heap, b)
    )
}

/// Both operands as floats, when both are numbers.
#[inline]
fn floats(a: Value, b: Value) -> Option<(f64, f64)> {
    let f = |v| match v {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) => Some(f),
        _ => None,
    };
    Some((f(a)?, f(b)?))
}

/// Longest string Kite builds (64 MiB); longer is a runtime error, not an abort.
pub const MAX_STRING: usize = 1 << 26;

/// `a + b`: wrapping integer add, float add, or string concatenation.
pub fn add(heap: &mut Heap, a: Value, b: Value) -> Result<Value, String> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return Ok(Value::Int(x.wrapping_add(y)));
    }
    if let Some((x, y)) = floats(a, b) {
        return Ok(Value::Float(x + y));
    }
    if let (Some(x), Some(y)) = (heap.as_str(a), heap.as_str(b)) {
        // Short results are built on the stack: most concatenations then allocate only
        // when the string is new to the intern table.
        let len = x.len() + y.len();
        let mut buf = [0u8; 64];
        if len <= buf.len() {
            buf[..x.len()].copy_from_slice(x.as_bytes());
            buf[x.len()..len].copy_from_slice(y.as_bytes());
            let s = std::str::from_utf8(&buf[..len]).unwrap_or_default();
            return Ok(heap.str_value(s));
        }
        if len > MAX_STRING {
            return Err(format!(
                "string is too long ({len} bytes; the limit is {MAX_STRING})"
            ));
        }
        let mut s = String::with_capacity(len);
        s.push_str(x);
        s.push_str(y);
        return Ok(Value::Obj(heap.intern_string(s)));
    }
    Err(bad_operands(heap, BinOp::Add, a, b))
}

/// Arithmetic other than `+`.
pub fn arith(heap: &Heap, op: BinOp, a: Value, b: Value) -> Result<Value, String> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return match op {
            BinOp::Sub => Ok(Value::Int(x.wrapping_sub(y))),
            BinOp::Mul => Ok(Value::Int(x.wrapping_mul(y))),
            BinOp::Div => Ok(Value::Float(x as f64 / y as f64)),
            BinOp::Mod => int_mod(x, y).map(Value::Int),
            _ => Err(bad_operands(heap, op, a, b)),
        };
    }
    let Some((x, y)) = floats(a, b) else {
        return Err(bad_operands(heap, op, a, b));
    };
    Ok(Value::Float(match op {
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Mod => float_mod(x, y),
        _ => return Err(bad_operands(heap, op, a, b)),
    }))
}

/// Floor division of integers (rounds towards minus infinity).
#[inline]
pub fn int_div(x: i64, y: i64) -> Result<i64, String> {
    if y == 0 {
        return Err("integer division by zero".into());
    }
    let q = x.wrapping_div(y);
    Ok(if (x % y != 0) && ((x < 0) != (y < 0)) {
        q - 1
    } else {
        q
    })
}

/// Floor modulo of integers: the result has the sign of the divisor.
#[inline]
pub fn int_mod(x: i64, y: i64) -> Result<i64, String> {
    if y == 0 {
        return Err("integer modulo by zero".into());
    }
    let r = x.wrapping_rem(y);
    Ok(if r != 0 && ((r < 0) != (y < 0)) {
        r + y
    } else {
        r
    })
}

/// Remainder by a fixed divisor `d >= 2` without a division instruction (Lemire, Kaser and
/// Kurz, "Faster remainder by direct computation", 2019): `m = 2^128 / d` rounded up, then
/// `x % d` is the high 64 bits of `(m * x mod 2^128) * d`. Exact for every `u64` `x`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FastMod {
    d: u64,
    m: u128,
}

impl FastMod {
    pub fn new(d: u64) -> Option<FastMod> {
        (d >= 2).then(|| FastMod {
            d,
            m: u128::MAX / d as u128 + 1,
        })
    }

    pub fn divisor(&self) -> u64 {
        self.d
    }

    /// `x % d`.
    #[inline(always)]
    pub fn rem(&self, x: u64) -> u64 {
        let low = self.m.wrapping_mul(x as u128);
        let bottom = ((low as u64) as u128 * self.d as u128) >> 64;
        let top = (low >> 64) * self.d as u128;
        ((bottom + top) >> 64) as u64
    }

    /// Kite's `x % d` (floor modulo; `d` is positive, so the result is in `0..d`).
    #[inline(always)]
    pub fn floor_rem(&self, x: i64) -> i64 {
        if x >= 0 {
            self.rem(x as u64) as i64
        } else {
            x.rem_euclid(self.d as i64)
        }
    }
}

#[inline]
pub fn float_mod(x: f64, y: f64) -> f64 {
    let r = x % y;
    if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
        r + y
    } else {
        r
    }
}

pub fn negate(heap: &Heap, v: Value) -> Result<Value, String> {
    match v {
        Value::Int(i) => Ok(Value::Int(i.wrapping_neg())),
        Value::Float(f) => Ok(Value::Float(-f)),
        _ => Err(format!("cannot negate {}", type_name(heap, v))),
    }
}

/// `a == b`: numbers by value (`1 == 1.0`), strings by content (interned), the rest by identity.
#[inline]
pub fn equal(a: Value, b: Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Obj(x), Value::Obj(y)) => x == y,
        (Value::Native(x), Value::Native(y)) => x == y,
        _ => match floats(a, b) {
            Some((x, y)) => x == y,
            None => false,
        },
    }
}

/// `a < b` (`Lt`) or `a <= b` (`Le`) on numbers or strings.
pub fn less(heap: &Heap, op: BinOp, a: Value, b: Value) -> Result<bool, String> {
    let or_eq = op == BinOp::Le || op == BinOp::Ge;
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return Ok(if or_eq { x <= y } else { x < y });
    }
    if let Some((x, y)) = floats(a, b) {
        return Ok(if or_eq { x <= y } else { x < y });
    }
    if let (Some(x), Some(y)) = (heap.as_str(a), heap.as_str(b)) {
        return Ok(if or_eq { x <= y } else { x < y });
    }
    Err(format!(
        "cannot compare {} and {}",
        type_name(heap, a),
        type_name(heap, b)
    ))
}

/// Any comparison operator; `>`/`>=` swap their operands.
pub fn compare(heap: &Heap, op: BinOp, a: Value, b: Value) -> Result<bool, String> {
    match op {
        BinOp::Eq => Ok(equal(a, b)),
        BinOp::Ne => Ok(!equal(a, b)),
        BinOp::Lt | BinOp::Le => less(heap, op, a, b),
        BinOp::Gt => less(heap, BinOp::Lt, b, a),
        BinOp::Ge => less(heap, BinOp::Le, b, a),
        _ => Err(bad_operands(heap, op, a, b)),
    }
}

/// Any binary operator.
pub fn binary(heap: &mut Heap, op: BinOp, a: Value, b: Value) -> Result<Value, String> {
    match op {
        BinOp::Add => add(heap, a, b),
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => arith(heap, op, a, b),
        _ => compare(heap, op, a, b).map(Value::Bool),
    }
}

/// How `print` and `str` show a float: shortest round-trip digits, always with a `.` or exponent.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{f:?}")
    }
}

/// Deepest nesting `print` shows before writing `...` (cyclic structures stay finite).
const MAX_SHOW_DEPTH: usize = 16;

/// Append `v` as `print` shows it. Strings inside lists and maps are quoted.
pub fn display(heap: &Heap, v: Value, out: &mut String) {
    show(heap, v, out, 0);
}

fn show(heap: &Heap, v: Value, out: &mut String, depth: usize) {
    use std::fmt::Write;
    match v {
        Value::Nil => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float(f)),
        Value::Native(n) => {
            let _ = write!(
                out,
                "<builtin {}>",
                super::builtins::NATIVES
                    .get(n as usize)
                    .map_or("?", |n| n.name)
            );
        }
        Value::Obj(r) => {
            if depth > MAX_SHOW_DEPTH {
                out.push_str("...");
                return;
            }
            match heap.get(r) {
                Obj::Str(s) if depth == 0 => out.push_str(s),
                Obj::Str(s) => {
                    let _ = write!(out, "{:?}", &**s);
                }
                Obj::List(items) => {
                    out.push('[');
                    for (i, &item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        show(heap, item, out, depth + 1);
                    }
                    out.push(']');
                }
                Obj::Map(m) => {
                    out.push('{');
                    for (i, &(k, val)) in m.entries().iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        show(heap, k, out, depth + 1);
                        out.push_str(": ");
                        show(heap, val, out, depth + 1);
                    }
                    out.push('}');
                }
                Obj::Closure { .. } => out.push_str("<fn>"),
                Obj::Cell(_) => out.push_str("<cell>"),
                Obj::Free(_) => out.push_str("<freed>"),
            }
        }
    }
}

/// The list index `i` of a list of `len` elements, or the error message.
#[inline]
pub fn list_index(len: usize, i: Value, heap: &Heap) -> Result<usize, String> {
    match i {
        Value::Int(i) if i >= 0 && (i as u64) < len as u64 => Ok(i as usize),
        Value::Int(i) => Err(format!("list index {i} out of range (length {len})")),
        _ => Err(format!(
            "list index must be an int, not {}",
            type_name(heap, i)
        )),
    }
}

/// `obj[index]` for lists, maps (missing key → nil) and strings (one-character string).
pub fn index_get(heap: &mut Heap, obj: Value, index: Value) -> Result<Value, String> {
    if let Value::Obj(r) = obj {
        match heap.get(r) {
            Obj::List(items) => return Ok(items[list_index(items.len(), index, heap)?]),
            Obj::Map(m) => {
                let key = super::map::Key::of(index)?;
                return Ok(m.get(key).unwrap_or(Value::Nil));
            }
            Obj::Str(s) => {
                let len = s.len();
                let i =
                    list_index(len, index, heap).map_err(|e| e.replacen("list", "string", 1))?;
                let s = s.clone();
                let Some(c) = s.get(i..).and_then(|t| t.chars().next()) else {
                    return Err(format!("string index {i} is not at a character boundary"));
                };
                return Ok(heap.str_value(c.encode_utf8(&mut [0; 4])));
            }
            _ => {}
        }
    }
    Err(format!("cannot index {}", type_name(heap, obj)))
}

/// `obj[index] = value` for lists and maps.
pub fn index_set(heap: &mut Heap, obj: Value, index: Value, value: Value) -> Result<(), String> {
    if let Value::Obj(r) = obj {
        let kind = type_name(heap, obj);
        let index_kind = type_name(heap, index);
        match heap.get_mut(r) {
            Obj::List(items) => {
                let len = items.len();
                return match index {
                    Value::Int(i) if i >= 0 && (i as u64) < len as u64 => {
                        items[i as usize] = value;
                        Ok(())
                    }
                    Value::Int(i) => Err(format!("list index {i} out of range (length {len})")),
                    _ => Err(format!("list index must be an int, not {index_kind}")),
                };
            }
            Obj::Map(m) => {
                let key = super::map::Key::of(index)?;
                m.insert(key, index, value);
                return Ok(());
            }
            _ => return Err(format!("cannot assign into {kind}")),
        }
    }
    Err(format!("cannot assign into {}", type_name(heap, obj)))
}

/// One step of a `for x in coll` / `for a, b in coll` loop from byte/element `cursor`:
/// the loop variables and the next cursor, or `None` when done.
/// Lists give elements (or index, element); maps keys (or key, value); strings characters
/// (or byte index, character).
pub fn iter_step(
    heap: &mut Heap,
    coll: Value,
    cursor: i64,
    two: bool,
) -> Result<Option<(Value, Value, i64)>, String> {
    let c = cursor as usize;
    if let Value::Obj(r) = coll {
        match heap.get(r) {
            Obj::List(items) => {
                return Ok(items.get(c).map(|&v| {
                    if two {
                        (Value::Int(cursor), v, cursor + 1)
                    } else {
                        (v, Value::Nil, cursor + 1)
                    }
                }));
            }
            Obj::Map(m) => {
                return Ok(m
                    .entry_at(c)
                    .map(|(k, v)| (k, if two { v } else { Value::Nil }, cursor + 1)));
            }
            Obj::Str(s) => {
                let Some(ch) = s.get(c..).and_then(|t| t.chars().next()) else {
                    return Ok(None);
                };
                let cv = heap.str_value(ch.encode_utf8(&mut [0; 4]));
                let next = cursor + ch.len_utf8() as i64;
                return Ok(Some(if two {
                    (Value::Int(cursor), cv, next)
                } else {
                    (cv, Value::Nil, next)
                }));
            }
            _ => {}
        }
    }
    Err(format!("cannot iterate over {}", type_name(heap, coll)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fast_mod_matches_the_division_at_the_edges() {
        let xs = [
            0,
            1,
            2,
            6,
            7,
            8,
            1 << 32,
            (1 << 63) - 1,
            i64::MAX as u64 + 1,
            u64::MAX - 1,
            u64::MAX,
        ];
        for d in [2u64, 3, 7, 10, 255, 1000, 65535] {
            let fm = FastMod::new(d).unwrap();
            for &x in &xs {
                assert_eq!(fm.rem(x), x % d, "{x} % {d}");
            }
            for x in [i64::MIN, -1_000_001, -8, -7, -1, 0, 5, i64::MAX] {
                assert_eq!(fm.floor_rem(x), int_mod(x, d as i64).unwrap(), "{x} % {d}");
            }
        }
        assert_eq!(FastMod::new(1), None);
        assert_eq!(FastMod::new(0), None);
    }

    proptest! {
        #[test]
        fn fast_mod_matches_the_division(x: u64, d in 2u64..=u64::MAX, y: i64, e in 2u64..=65535) {
            prop_assert_eq!(FastMod::new(d).unwrap().rem(x), x % d);
            prop_assert_eq!(FastMod::new(e).unwrap().floor_rem(y), int_mod(y, e as i64).unwrap());
        }
    }
}
