//! Built-in functions, shared by both engines.

use std::fmt::Write as _;
use std::time::Instant;

use super::heap::{Heap, Obj};
use super::map::Key;
use super::ops::{display, format_float, type_name};
use super::value::Value;

/// What a built-in may touch.
pub struct NativeCtx<'a> {
    pub heap: &'a mut Heap,
    /// Program output (`print`).
    pub out: &'a mut Vec<u8>,
    /// The program's command-line arguments (`args()`).
    pub args: &'a [String],
    /// When the program started (`clock()`).
    pub start: Instant,
}

pub type NativeFn = fn(&mut NativeCtx, &[Value]) -> Result<Value, String>;

pub struct Native {
    pub name: &'static str,
    /// Number of arguments, or `None` for any number.
    pub arity: Option<u8>,
    pub f: NativeFn,
}

const fn n(name: &'static str, arity: u8, f: NativeFn) -> Native {
    Native {
        name,
        arity: Some(arity),
        f,
    }
}

/// Every built-in, by the index that `Value::Native` holds. Append only (the index is ABI).
pub static NATIVES: &[Native] = &[
    Native {
        name: "print",
        arity: None,
        f: print,
    },
    n("len", 1, len),
    n("push", 2, push),
    n("pop", 1, pop),
    n("keys", 1, keys),
    n("values", 1, values),
    n("str", 1, str_),
    n("int", 1, int),
    n("float", 1, float),
    n("type", 1, type_),
    n("sqrt", 1, sqrt),
    n("floor", 1, floor),
    n("ceil", 1, ceil),
    n("abs", 1, abs),
    n("pow", 2, pow),
    n("min", 2, min),
    n("max", 2, max),
    n("clock", 0, clock),
    n("args", 0, args),
    n("substr", 3, substr),
    n("join", 2, join),
    n("split", 2, split),
    n("chr", 1, chr),
    n("ord", 1, ord),
    n("contains", 2, contains),
    n("remove", 2, remove),
    n("upper", 1, upper),
    n("lower", 1, lower),
    n("fixed", 2, fixed),
    n("sin", 1, sin),
    n("cos", 1, cos),
    n("exp", 1, exp),
    n("log", 1, log),
    n("find", 2, find),
    n("insert", 3, insert),
    n("trim", 1, trim),
    n("repeat", 2, repeat),
    n("idiv", 2, idiv),
];

/// Names of the built-ins, by index (for the resolver).
pub fn names() -> Vec<&'static str> {
    NATIVES.iter().map(|n| n.name).collect()
}

/// Call built-in `index` with `args`, checking its arity.
pub fn call(ctx: &mut NativeCtx, index: u16, args: &[Value]) -> Result<Value, String> {
    let Some(native) = NATIVES.get(index as usize) else {
        return Err("call of an unknown built-in".into());
    };
    if let Some(arity) = native.arity
        && args.len() != arity as usize
    {
        let s = if arity == 1 { "" } else { "s" };
        return Err(format!(
            "{}() takes {arity} argument{s}, got {}",
            native.name,
            args.len()
        ));
    }
    (native.f)(ctx, args)
}

fn bad_arg(ctx: &NativeCtx, name: &str, want: &str, got: Value) -> String {
    format!("{name}() expects {want}, not {}", type_name(ctx.heap, got))
}

fn num(ctx: &NativeCtx, name: &str, v: Value) -> Result<f64, String> {
    match v {
        Value::Int(i) => Ok(i as f64),
        Value::Float(f) => Ok(f),
        _ => Err(bad_arg(ctx, name, "a number", v)),
    }
}

fn int_arg(ctx: &NativeCtx, name: &str, v: Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(i),
        _ => Err(bad_arg(ctx, name, "an int", v)),
    }
}

fn string(ctx: &NativeCtx, name: &str, v: Value) -> Result<String, String> {
    match ctx.heap.as_str(v) {
        Some(s) => Ok(s.to_string()),
        None => Err(bad_arg(ctx, name, "a string", v)),
    }
}

fn print(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let mut line = String::new();
    for (i, &a) in args.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        display(ctx.heap, a, &mut line);
    }
    line.push('\n');
    ctx.out.extend_from_slice(line.as_bytes());
    Ok(Value::Nil)
}

fn len(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    if let Value::Obj(r) = args[0] {
        match ctx.heap.get(r) {
            Obj::Str(s) => return Ok(Value::Int(s.len() as i64)),
            Obj::List(v) => return Ok(Value::Int(v.len() as i64)),
            Obj::Map(m) => return Ok(Value::Int(m.len() as i64)),
            _ => {}
        }
    }
    Err(bad_arg(ctx, "len", "a string, list or map", args[0]))
}

fn push(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    if let Value::Obj(r) = args[0]
        && let Obj::List(v) = ctx.heap.get_mut(r)
    {
        v.push(args[1]);
        return Ok(Value::Nil);
    }
    Err(bad_arg(ctx, "push", "a list", args[0]))
}

fn pop(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    if let Value::Obj(r) = args[0]
        && let Obj::List(v) = ctx.heap.get_mut(r)
    {
        return v
            .pop()
            .ok_or_else(|| "pop() from an empty list".to_string());
    }
    Err(bad_arg(ctx, "pop", "a list", args[0]))
}

fn map_part(ctx: &mut NativeCtx, args: &[Value], name: &str, keys: bool) -> Result<Value, String> {
    if let Value::Obj(r) = args[0]
        && let Obj::Map(m) = ctx.heap.get(r)
    {
        let items = m
            .entries()
            .iter()
            .map(|&(k, v)| if keys { k } else { v })
            .collect();
        return Ok(Value::Obj(ctx.heap.alloc(Obj::List(items))));
    }
    Err(bad_arg(ctx, name, "a map", args[0]))
}

fn keys(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    map_part(ctx, args, "keys", true)
}

fn values(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    map_part(ctx, args, "values", false)
}

fn str_(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    if ctx.heap.as_str(args[0]).is_some() {
        return Ok(args[0]);
    }
    if let Value::Int(i) = args[0] {
        // Digits on the stack: no temporary String for the common case.
        let mut buf = [0u8; 20];
        let mut n = i.unsigned_abs();
        let mut at = buf.len();
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let digits = std::str::from_utf8(&buf[at..]).unwrap_or_default();
        if i < 0 {
            let s = format!("-{digits}");
            return Ok(ctx.heap.str_value(&s));
        }
        return Ok(ctx.heap.str_value(digits));
    }
    let mut s = String::new();
    display(ctx.heap, args[0], &mut s);
    Ok(ctx.heap.str_value(&s))
}

fn int(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    match args[0] {
        Value::Int(i) => Ok(Value::Int(i)),
        Value::Float(f) if f.is_finite() && f.abs() < 9.2e18 => Ok(Value::Int(f.trunc() as i64)),
        Value::Float(f) => Err(format!("int() cannot convert {}", format_float(f))),
        Value::Bool(b) => Ok(Value::Int(b as i64)),
        v => match ctx.heap.as_str(v) {
            Some(s) => Ok(s.trim().parse::<i64>().map_or(Value::Nil, Value::Int)),
            None => Err(bad_arg(ctx, "int", "a number or string", v)),
        },
    }
}

fn float(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    match args[0] {
        Value::Int(i) => Ok(Value::Float(i as f64)),
        Value::Float(f) => Ok(Value::Float(f)),
        v => match ctx.heap.as_str(v) {
            Some(s) => Ok(s.trim().parse::<f64>().map_or(Value::Nil, Value::Float)),
            None => Err(bad_arg(ctx, "float", "a number or string", v)),
        },
    }
}

fn type_(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let name = type_name(ctx.heap, args[0]);
    Ok(ctx.heap.str_value(name))
}

fn float_fn(
    ctx: &mut NativeCtx,
    args: &[Value],
    name: &str,
    f: fn(f64) -> f64,
) -> Result<Value, String> {
    Ok(Value::Float(f(num(ctx, name, args[0])?)))
}

fn sqrt(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    float_fn(ctx, args, "sqrt", f64::sqrt)
}
fn sin(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    float_fn(ctx, args, "sin", f64::sin)
}
fn cos(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    float_fn(ctx, args, "cos", f64::cos)
}
fn exp(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    float_fn(ctx, args, "exp", f64::exp)
}
fn log(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    float_fn(ctx, args, "log", f64::ln)
}

/// `floor`/`ceil` return ints for ints and for floats that fit, like Lua's `math.floor`.
fn round_fn(
    ctx: &mut NativeCtx,
    args: &[Value],
    name: &str,
    f: fn(f64) -> f64,
) -> Result<Value, String> {
    match args[0] {
        Value::Int(i) => Ok(Value::Int(i)),
        Value::Float(x) => {
            let r = f(x);
            Ok(if r.is_finite() && r.abs() < 9.2e18 {
                Value::Int(r as i64)
            } else {
                Value::Float(r)
            })
        }
        v => Err(bad_arg(ctx, name, "a number", v)),
    }
}

fn floor(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    round_fn(ctx, args, "floor", f64::floor)
}
fn ceil(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    round_fn(ctx, args, "ceil", f64::ceil)
}

fn abs(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    match args[0] {
        Value::Int(i) => Ok(Value::Int(i.wrapping_abs())),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        v => Err(bad_arg(ctx, "abs", "a number", v)),
    }
}

fn pow(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    if let (Value::Int(b), Value::Int(e)) = (args[0], args[1])
        && (0..=u32::MAX as i64).contains(&e)
    {
        return Ok(Value::Int(b.wrapping_pow(e as u32)));
    }
    Ok(Value::Float(
        num(ctx, "pow", args[0])?.powf(num(ctx, "pow", args[1])?),
    ))
}

fn min_max(
    ctx: &mut NativeCtx,
    args: &[Value],
    name: &str,
    want_less: bool,
) -> Result<Value, String> {
    let (a, b) = (args[0], args[1]);
    num(ctx, name, a)?;
    num(ctx, name, b)?;
    let less = super::ops::less(ctx.heap, crate::front::ast::BinOp::Lt, b, a)?;
    Ok(if less == want_less { b } else { a })
}

fn min(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    min_max(ctx, args, "min", true)
}
fn max(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    min_max(ctx, args, "max", false)
}

fn clock(ctx: &mut NativeCtx, _: &[Value]) -> Result<Value, String> {
    Ok(Value::Float(ctx.start.elapsed().as_secs_f64()))
}

fn args(ctx: &mut NativeCtx, _: &[Value]) -> Result<Value, String> {
    let items: Vec<Value> = ctx.args.iter().map(|a| ctx.heap.str_value(a)).collect();
    Ok(Value::Obj(ctx.heap.alloc(Obj::List(items))))
}

/// `substr(s, start, end)`: bytes `start..end`, clamped to the string.
fn substr(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let s = string(ctx, "substr", args[0])?;
    let start = int_arg(ctx, "substr", args[1])?.clamp(0, s.len() as i64) as usize;
    let end = int_arg(ctx, "substr", args[2])?.clamp(start as i64, s.len() as i64) as usize;
    match s.get(start..end) {
        Some(sub) => Ok(ctx.heap.str_value(sub)),
        None => Err("substr() range is not at character boundaries".into()),
    }
}

fn join(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let sep = string(ctx, "join", args[1])?;
    let Value::Obj(r) = args[0] else {
        return Err(bad_arg(ctx, "join", "a list", args[0]));
    };
    let Obj::List(items) = ctx.heap.get(r) else {
        return Err(bad_arg(ctx, "join", "a list", args[0]));
    };
    let mut out = String::new();
    for (i, &item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        display(ctx.heap, item, &mut out);
    }
    Ok(Value::Obj(ctx.heap.intern_string(out)))
}

fn split(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let s = string(ctx, "split", args[0])?;
    let sep = string(ctx, "split", args[1])?;
    let parts: Vec<&str> = if sep.is_empty() {
        s.char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect()
    } else {
        s.split(sep.as_str()).collect()
    };
    let items = parts.into_iter().map(|p| ctx.heap.str_value(p)).collect();
    Ok(Value::Obj(ctx.heap.alloc(Obj::List(items))))
}

fn chr(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let code = int_arg(ctx, "chr", args[0])?;
    match u32::try_from(code).ok().and_then(char::from_u32) {
        Some(c) => Ok(ctx.heap.str_value(c.encode_utf8(&mut [0; 4]))),
        None => Err(format!("chr() argument {code} is not a character")),
    }
}

fn ord(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let s = string(ctx, "ord", args[0])?;
    match s.chars().next() {
        Some(c) => Ok(Value::Int(c as i64)),
        None => Err("ord() of an empty string".into()),
    }
}

fn contains(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    if let Value::Obj(r) = args[0] {
        match ctx.heap.get(r) {
            Obj::List(items) => {
                return Ok(Value::Bool(
                    items.iter().any(|&v| super::ops::equal(v, args[1])),
                ));
            }
            Obj::Map(m) => {
                return Ok(Value::Bool(
                    Key::of(args[1]).is_ok_and(|k| m.get(k).is_some()),
                ));
            }
            Obj::Str(s) => {
                let s = s.clone();
                let needle = string(ctx, "contains", args[1])?;
                return Ok(Value::Bool(s.contains(needle.as_str())));
            }
            _ => {}
        }
    }
    Err(bad_arg(ctx, "contains", "a list, map or string", args[0]))
}

/// `remove(list, index)` returns the element; `remove(map, key)` returns the value or nil.
fn remove(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let kind = type_name(ctx.heap, args[0]);
    let index_kind = type_name(ctx.heap, args[1]);
    if let Value::Obj(r) = args[0] {
        match ctx.heap.get_mut(r) {
            Obj::List(items) => {
                let len = items.len();
                return match args[1] {
                    Value::Int(i) if i >= 0 && (i as u64) < len as u64 => {
                        Ok(items.remove(i as usize))
                    }
                    Value::Int(i) => Err(format!("list index {i} out of range (length {len})")),
                    _ => Err(format!("list index must be an int, not {index_kind}")),
                };
            }
            Obj::Map(m) => return Ok(m.remove(Key::of(args[1])?).unwrap_or(Value::Nil)),
            _ => {}
        }
    }
    Err(format!("remove() expects a list or map, not {kind}"))
}

fn insert(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let index_kind = type_name(ctx.heap, args[1]);
    if let Value::Obj(r) = args[0]
        && let Obj::List(items) = ctx.heap.get_mut(r)
    {
        let len = items.len();
        return match args[1] {
            Value::Int(i) if i >= 0 && (i as u64) <= len as u64 => {
                items.insert(i as usize, args[2]);
                Ok(Value::Nil)
            }
            Value::Int(i) => Err(format!("list index {i} out of range (length {len})")),
            _ => Err(format!("list index must be an int, not {index_kind}")),
        };
    }
    Err(bad_arg(ctx, "insert", "a list", args[0]))
}

fn upper(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let s = string(ctx, "upper", args[0])?.to_uppercase();
    Ok(ctx.heap.str_value(&s))
}
fn lower(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let s = string(ctx, "lower", args[0])?.to_lowercase();
    Ok(ctx.heap.str_value(&s))
}
fn trim(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let s = string(ctx, "trim", args[0])?;
    Ok(ctx.heap.str_value(s.trim()))
}

use super::ops::MAX_STRING;

fn repeat(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let s = string(ctx, "repeat", args[0])?;
    let n = int_arg(ctx, "repeat", args[1])?.max(0) as usize;
    if s.len().saturating_mul(n) > MAX_STRING {
        return Err("repeat() result is too long".into());
    }
    Ok(ctx.heap.str_value(&s.repeat(n)))
}

/// `fixed(x, digits)`: `x` with exactly `digits` decimals (`%.Nf`).
fn fixed(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let x = num(ctx, "fixed", args[0])?;
    let digits = int_arg(ctx, "fixed", args[1])?.clamp(0, 60) as usize;
    let mut s = String::new();
    let _ = write!(s, "{x:.digits$}");
    Ok(ctx.heap.str_value(&s))
}

/// `find(s, needle)`: byte offset of the first match, or -1.
fn find(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    let s = string(ctx, "find", args[0])?;
    let needle = string(ctx, "find", args[1])?;
    Ok(Value::Int(s.find(needle.as_str()).map_or(-1, |i| i as i64)))
}

/// A fresh empty map (used by both engines for `{}` literals).
pub fn new_map(heap: &mut Heap) -> Value {
    Value::Obj(heap.alloc(Obj::Map(Box::default())))
}

/// `idiv(a, b)`: floor division (ints stay ints; division by integer zero is an error).
fn idiv(ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, String> {
    if let (Value::Int(a), Value::Int(b)) = (args[0], args[1]) {
        return super::ops::int_div(a, b).map(Value::Int);
    }
    Ok(Value::Float(
        (num(ctx, "idiv", args[0])? / num(ctx, "idiv", args[1])?).floor(),
    ))
}
