//! Octo's `:calc` expressions: tokens separated by spaces, evaluated strictly right to left
//! (no precedence) unless parenthesised; floating point, with bitwise operators on 32-bit
//! integers.

use super::Word;
use crate::diag::{Error, Result};

/// Evaluates the tokens of a `:calc` body; `lookup` resolves names (constants, labels,
/// `HERE`) and `peek` reads a byte of the ROM (`@`).
pub fn eval(toks: &[Word], lookup: &dyn Fn(&Word) -> Result<f64>, peek: &dyn Fn(i64) -> f64) -> Result<f64> {
    let mut pos = 0;
    let v = expr(toks, &mut pos, lookup, peek)?;
    if let Some(t) = toks.get(pos) {
        return Err(Error::new(t.loc, format!("unexpected `{}` in :calc", t.text)));
    }
    Ok(v)
}

const UNARY: &[&str] = &["-", "~", "!", "sin", "cos", "tan", "exp", "log", "abs", "sqrt", "sign", "ceil", "floor", "@", "strlen"];
const BINARY: &[&str] = &[
    "-", "+", "*", "/", "%", "&", "|", "^", "<<", ">>", "pow", "min", "max", "<", "<=", "==", "!=", ">=", ">",
];

fn term(toks: &[Word], pos: &mut usize, lookup: &dyn Fn(&Word) -> Result<f64>, peek: &dyn Fn(i64) -> f64) -> Result<f64> {
    let Some(t) = toks.get(*pos) else {
        let loc = toks.last().map(|t| t.loc).unwrap_or_default();
        return Err(Error::new(loc, "expected a value in :calc"));
    };
    *pos += 1;
    if t.text == "(" {
        let v = expr(toks, pos, lookup, peek)?;
        match toks.get(*pos) {
            Some(c) if c.text == ")" => *pos += 1,
            _ => return Err(Error::new(t.loc, "missing `)` in :calc")),
        }
        return Ok(v);
    }
    if UNARY.contains(&t.text.as_str()) && toks.get(*pos).is_some() {
        let x = term(toks, pos, lookup, peek)?;
        let i = x as i64 as i32;
        return Ok(match t.text.as_str() {
            "-" => -x,
            "~" => !i as f64,
            "!" => (x == 0.0) as i32 as f64,
            "sin" => x.sin(),
            "cos" => x.cos(),
            "tan" => x.tan(),
            "exp" => x.exp(),
            "log" => x.ln(),
            "abs" => x.abs(),
            "sqrt" => x.sqrt(),
            "sign" => x.signum() * (x != 0.0) as i32 as f64,
            "ceil" => x.ceil(),
            "floor" => x.floor(),
            "@" => peek(x as i64),
            _ => 0.0,
        });
    }
    if let Some(n) = super::parse_number(&t.text) {
        return Ok(n as f64);
    }
    match t.text.as_str() {
        "PI" => Ok(std::f64::consts::PI),
        "E" => Ok(std::f64::consts::E),
        _ => lookup(t),
    }
}

fn expr(toks: &[Word], pos: &mut usize, lookup: &dyn Fn(&Word) -> Result<f64>, peek: &dyn Fn(i64) -> f64) -> Result<f64> {
    let lhs = term(toks, pos, lookup, peek)?;
    let Some(op) = toks.get(*pos) else { return Ok(lhs) };
    if op.text == ")" {
        return Ok(lhs);
    }
    if !BINARY.contains(&op.text.as_str()) {
        return Err(Error::new(op.loc, format!("unknown operator `{}` in :calc", op.text)));
    }
    *pos += 1;
    let rhs = expr(toks, pos, lookup, peek)?;
    let (a, b) = (lhs as i64 as i32, rhs as i64 as i32);
    Ok(match op.text.as_str() {
        "-" => lhs - rhs,
        "+" => lhs + rhs,
        "*" => lhs * rhs,
        "/" if rhs == 0.0 => return Err(Error::new(op.loc, "division by zero in :calc")),
        "/" => lhs / rhs,
        "%" if b == 0 => return Err(Error::new(op.loc, "division by zero in :calc")),
        "%" => (a.wrapping_rem(b)) as f64,
        "&" => (a & b) as f64,
        "|" => (a | b) as f64,
        "^" => (a ^ b) as f64,
        "<<" => a.wrapping_shl(b as u32) as f64,
        ">>" => a.wrapping_shr(b as u32) as f64,
        "pow" => lhs.powf(rhs),
        "min" => lhs.min(rhs),
        "max" => lhs.max(rhs),
        "<" => (lhs < rhs) as i32 as f64,
        "<=" => (lhs <= rhs) as i32 as f64,
        "==" => (lhs == rhs) as i32 as f64,
        "!=" => (lhs != rhs) as i32 as f64,
        ">=" => (lhs >= rhs) as i32 as f64,
        _ => (lhs > rhs) as i32 as f64,
    })
}
