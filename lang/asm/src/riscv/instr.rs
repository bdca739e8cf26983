//! Table-driven encoding of one base instruction from its parsed operands.

use super::branch::{Branch, Shape};
use super::encode::{fits_signed, hi20, i_imm, lo12, rd, rs1, rs2, rs3, s_imm, u_imm};
use super::{Op, Out, RiscV, fixup, table};
use crate::diag::{Error, Loc, Result};
use crate::engine::{Engine, Fixup};
use crate::expr::Expr;

/// Encodes an I-type immediate operand: constant now, or a fix-up.
pub fn imm_i(eng: &Engine, e: &Expr, loc: Loc, at: usize, fix: &mut Vec<Fixup>) -> Result<u32> {
    imm_field(eng, e, loc, at, fix, false)
}

/// Encodes an S-type (store) offset.
pub fn imm_s(eng: &Engine, e: &Expr, loc: Loc, at: usize, fix: &mut Vec<Fixup>) -> Result<u32> {
    imm_field(eng, e, loc, at, fix, true)
}

fn imm_field(eng: &Engine, e: &Expr, loc: Loc, at: usize, fix: &mut Vec<Fixup>, store: bool) -> Result<u32> {
    let enc = |v: i64| if store { s_imm(v) } else { i_imm(v) };
    if let Expr::Call(name, args, cl) = e {
        let inner = args.first().cloned().unwrap_or(Expr::Num(0));
        return match name.as_str() {
            "%lo" => match eng.const_fixed(&inner) {
                Some(v) => Ok(enc(lo12(v))),
                None => {
                    let kind = if store { fixup::LO12_S } else { fixup::LO12_I };
                    fix.push(Fixup { offset: at, kind, expr: inner, loc: *cl });
                    Ok(0)
                }
            },
            "%pcrel_lo" => {
                let kind = if store { fixup::PCREL_LO12_S } else { fixup::PCREL_LO12_I };
                fix.push(Fixup { offset: at, kind, expr: inner, loc: *cl });
                Ok(0)
            }
            _ => Err(Error::new(*cl, format!("`{name}` is not allowed in a 12-bit immediate"))),
        };
    }
    match eng.const_fixed(e) {
        Some(v) if fits_signed(v, 12) => Ok(enc(v)),
        Some(v) => Err(Error::new(loc, format!("immediate {v} does not fit in 12 bits"))),
        None => {
            let kind = if store { fixup::IMM_S } else { fixup::IMM_I };
            fix.push(Fixup { offset: at, kind, expr: e.clone(), loc });
            Ok(0)
        }
    }
}

/// Encodes a U-type immediate (`lui`, `auipc`).
pub fn imm_u(eng: &Engine, e: &Expr, loc: Loc, at: usize, fix: &mut Vec<Fixup>) -> Result<u32> {
    if let Expr::Call(name, args, cl) = e {
        let inner = args.first().cloned().unwrap_or(Expr::Num(0));
        return match name.as_str() {
            "%hi" => match eng.const_fixed(&inner) {
                Some(v) => Ok(u_imm(hi20(v))),
                None => {
                    fix.push(Fixup { offset: at, kind: fixup::HI20, expr: inner, loc: *cl });
                    Ok(0)
                }
            },
            "%pcrel_hi" => {
                fix.push(Fixup { offset: at, kind: fixup::PCREL_HI20, expr: inner, loc: *cl });
                Ok(0)
            }
            _ => Err(Error::new(*cl, format!("`{name}` is not allowed in a 20-bit immediate"))),
        };
    }
    match eng.const_fixed(e) {
        Some(v) if (0..1 << 20).contains(&v) => Ok(u_imm(v)),
        Some(v) => Err(Error::new(loc, format!("immediate {v} does not fit in 20 bits"))),
        None => {
            fix.push(Fixup { offset: at, kind: fixup::IMM_U, expr: e.clone(), loc });
            Ok(0)
        }
    }
}

/// Encodes one instruction from the table (no pseudo-instructions).
pub fn encode_base(rv: &RiscV, eng: &Engine, name: &str, ops: &[Op], loc: Loc) -> Result<Out> {
    if let Some(out) = encode_atomic(name, ops, loc)? {
        return Ok(out);
    }
    let mut last_err = None;
    let mut known = false;
    for &(n, spec, bits) in table::BASE {
        if n != name {
            continue;
        }
        known = true;
        match encode_spec(rv, eng, spec, bits, ops, loc) {
            Ok(out) => return Ok(out),
            Err(e) => last_err = Some(e),
        }
    }
    if !known {
        return Err(Error::new(loc, format!("unknown instruction `{name}`")));
    }
    Err(last_err.unwrap_or_else(|| Error::new(loc, format!("bad operands for `{name}`"))))
}

fn encode_spec(rv: &RiscV, eng: &Engine, spec: &str, bits: u32, ops: &[Op], loc: Loc) -> Result<Out> {
    let codes: Vec<&str> = if spec.is_empty() { vec![] } else { spec.split(',').collect() };
    let optional_rm = matches!(codes.last(), Some(&"r") | Some(&"0"));
    let needed = if optional_rm { codes.len() - 1 } else { codes.len() };
    if ops.len() != codes.len() && !(optional_rm && ops.len() == needed) {
        return Err(Error::new(loc, format!("expected {} operands, got {}", codes.len(), ops.len())));
    }
    let mut w = bits;
    let mut fix = Vec::new();
    let bad = |what: &str| Error::new(loc, format!("expected {what}"));
    for (i, code) in codes.iter().enumerate() {
        let op = ops.get(i);
        match (*code, op) {
            ("d", Some(Op::X(r))) => w |= rd(*r),
            ("s", Some(Op::X(r))) => w |= rs1(*r),
            ("t", Some(Op::X(r))) => w |= rs2(*r),
            ("D", Some(Op::F(r))) => w |= rd(*r),
            ("S", Some(Op::F(r))) => w |= rs1(*r),
            ("T", Some(Op::F(r))) => w |= rs2(*r),
            ("R", Some(Op::F(r))) => w |= rs3(*r),
            ("d" | "s" | "t", _) => return Err(bad("an integer register")),
            ("D" | "S" | "T" | "R", _) => return Err(bad("a floating-point register")),
            ("i", Some(Op::Expr(e))) => w |= imm_i(eng, e, loc, 0, &mut fix)?,
            ("m", Some(Op::Mem(e, r))) => w |= imm_i(eng, e, loc, 0, &mut fix)? | rs1(*r),
            ("M", Some(Op::Mem(e, r))) => w |= imm_s(eng, e, loc, 0, &mut fix)? | rs1(*r),
            ("u", Some(Op::Expr(e))) => w |= imm_u(eng, e, loc, 0, &mut fix)?,
            ("k" | "w" | "z", Some(Op::Expr(e))) => {
                let v = eng.const_now(e)?;
                let max = match *code {
                    "k" => 63,
                    _ => 31,
                };
                if !(0..=max).contains(&v) {
                    return Err(Error::new(loc, format!("value {v} out of range 0..={max}")));
                }
                w |= if *code == "z" { rs1(v as u8) } else { (v as u32) << 20 };
            }
            ("c", Some(Op::Expr(e))) => {
                let named = match e {
                    Expr::Sym(s, _) => table::csr_number(s),
                    _ => None,
                };
                let n = match named {
                    Some(n) => n,
                    None => {
                        let v = eng.const_now(e)?;
                        if !(0..4096).contains(&v) {
                            return Err(Error::new(loc, format!("CSR number {v} out of range")));
                        }
                        v as u32
                    }
                };
                w |= n << 20;
            }
            ("r" | "0", None) => w |= if *code == "r" { 7 << 12 } else { 0 },
            ("r" | "0", Some(op)) => {
                let name = op.name().map(str::to_ascii_lowercase).ok_or_else(|| bad("a rounding mode"))?;
                let &(_, v) = table::ROUNDING.iter().find(|(n, _)| *n == name).ok_or_else(|| bad("a rounding mode"))?;
                w |= v << 12;
            }
            ("p" | "q", Some(op)) => {
                let set = op.name().map(str::to_ascii_lowercase).ok_or_else(|| bad("a fence set like `rw`"))?;
                let mut v = 0;
                for ch in set.chars() {
                    v |= match ch {
                        'i' => 8,
                        'o' => 4,
                        'r' => 2,
                        'w' => 1,
                        _ => return Err(bad("a fence set like `rw`")),
                    };
                }
                w |= v << if *code == "p" { 24 } else { 20 };
            }
            ("b" | "j", Some(Op::Expr(e))) => {
                let shape = if *code == "j" {
                    Shape::Jump { rd: ((w >> 7) & 31) as u8 }
                } else {
                    Shape::Cond { f3: (w >> 12) & 7, rs1: ((w >> 15) & 31) as u8, rs2: ((w >> 20) & 31) as u8 }
                };
                // An explicit `jal rd, label` is never compressed (c.jal is RV32 only, and GNU
                // as keeps `jal zero` as written); conditional branches may be.
                let rvc = rv.rvc && *code == "b";
                return Ok(Out::Branch(Branch { shape, target: e.clone(), rvc, forced_compressed: false, loc }));
            }
            ("i" | "u" | "k" | "w" | "z" | "c" | "b" | "j", _) => return Err(bad("an expression")),
            ("m" | "M", _) => return Err(bad("`offset(register)`")),
            _ => return Err(bad("another operand")),
        }
    }
    Ok(Out::Word(w, fix))
}

/// `lr.w`, `sc.d`, `amoadd.w.aqrl`...
fn encode_atomic(name: &str, ops: &[Op], loc: Loc) -> Result<Option<Out>> {
    let mut parts = name.split('.');
    let base = parts.next().unwrap_or("");
    let Some(&(_, funct5)) = table::ATOMICS.iter().find(|(n, _)| *n == base) else { return Ok(None) };
    let width = match parts.next() {
        Some("w") => 2,
        Some("d") => 3,
        _ => return Ok(None),
    };
    let order = match parts.next() {
        None => 0,
        Some("aq") => 2,
        Some("rl") => 1,
        Some("aqrl") => 3,
        Some(_) => return Ok(None),
    };
    if parts.next().is_some() {
        return Ok(None);
    }
    let addr = |op: Option<&Op>| -> Result<u8> {
        match op {
            Some(Op::Mem(Expr::Num(0), r)) => Ok(*r),
            _ => Err(Error::new(loc, "expected `(register)` address")),
        }
    };
    let xr = |op: Option<&Op>| -> Result<u8> {
        match op {
            Some(Op::X(r)) => Ok(*r),
            _ => Err(Error::new(loc, "expected an integer register")),
        }
    };
    let mut w = 0x2f | (width << 12) | (funct5 << 27) | (order << 25);
    if base == "lr" {
        if ops.len() != 2 {
            return Err(Error::new(loc, "expected 2 operands"));
        }
        w |= rd(xr(ops.first())?) | rs1(addr(ops.get(1))?);
    } else {
        if ops.len() != 3 {
            return Err(Error::new(loc, "expected 3 operands"));
        }
        w |= rd(xr(ops.first())?) | rs2(xr(ops.get(1))?) | rs1(addr(ops.get(2))?);
    }
    Ok(Some(Out::Word(w, vec![])))
}


