//! Pseudo-instructions, expanded the way GNU as expands them (notably `li`).

use super::branch::{Branch, Shape};
use super::encode::{fits_signed, i_imm, lo12, rd, rs1, rs2};
use super::instr::encode_base;
use super::{Op, Out, RiscV, fixup};
use crate::diag::{Error, Loc, Result};
use crate::engine::{Engine, Fixup};
use crate::expr::Expr;

fn x(r: u8) -> Op {
    Op::X(r)
}
fn num(v: i64) -> Op {
    Op::Expr(Expr::Num(v))
}
fn sym(s: &str, loc: Loc) -> Op {
    Op::Expr(Expr::Sym(s.to_string(), loc))
}

const RA: u8 = 1;
const T1: u8 = 6;

/// Expands `name ops` into instructions.
pub fn expand(rv: &mut RiscV, eng: &Engine, name: &str, ops: &[Op], loc: Loc) -> Result<Vec<Out>> {
    let base = |n: &str, o: &[Op]| -> Result<Vec<Out>> { Ok(vec![encode_base(rv, eng, n, o, loc)?]) };
    let arity = |n: usize| -> Result<()> {
        if ops.len() == n {
            Ok(())
        } else {
            Err(Error::new(loc, format!("`{name}` takes {n} operand(s), got {}", ops.len())))
        }
    };
    let xreg = |i: usize| -> Result<u8> {
        match ops.get(i) {
            Some(Op::X(r)) => Ok(*r),
            _ => Err(Error::new(loc, format!("operand {} of `{name}` must be an integer register", i + 1))),
        }
    };
    let expr = |i: usize| -> Result<Expr> {
        match ops.get(i) {
            Some(Op::Expr(e)) => Ok(e.clone()),
            _ => Err(Error::new(loc, format!("operand {} of `{name}` must be an expression", i + 1))),
        }
    };
    let branch = |shape: Shape, target: Expr| -> Vec<Out> {
        vec![Out::Branch(Branch { shape, target, rvc: rv.rvc, forced_compressed: false, loc })]
    };
    if let Some(c) = name.strip_prefix("c.") {
        return compressed(rv, eng, c, ops, loc);
    }
    match name {
        "nop" => {
            arity(0)?;
            base("addi", &[x(0), x(0), num(0)])
        }
        "li" => {
            arity(2)?;
            let r = xreg(0)?;
            let e = expr(1)?;
            let v = eng.const_fixed(&e).ok_or_else(|| Error::new(loc, "`li` needs a constant known here"))?;
            let mut out = Vec::new();
            if fits_signed(v, 12) {
                // GNU as offers a small `li` only c.li (rd not x0); otherwise a full addi.
                let w = 0x13 | rd(r) | i_imm(v);
                out.push(if r != 0 && fits_signed(v, 6) { Out::Word(w, vec![]) } else { Out::Raw(w.to_le_bytes().to_vec(), vec![]) });
            } else {
                load_const(r, v, &mut out);
            }
            Ok(out)
        }
        "mv" => {
            arity(2)?;
            // GNU as offers `mv` only c.mv (source not x0); `mv rd, zero` stays a full addi.
            let (d, s) = (xreg(0)?, xreg(1)?);
            let w = 0x13 | rd(d) | rs1(s);
            Ok(vec![if s == 0 { Out::Raw(w.to_le_bytes().to_vec(), vec![]) } else { Out::Word(w, vec![]) }])
        }
        "not" => {
            arity(2)?;
            base("xori", &[x(xreg(0)?), x(xreg(1)?), num(-1)])
        }
        "neg" | "negw" => {
            arity(2)?;
            base(if name == "neg" { "sub" } else { "subw" }, &[x(xreg(0)?), x(0), x(xreg(1)?)])
        }
        "sext.w" => {
            arity(2)?;
            base("addiw", &[x(xreg(0)?), x(xreg(1)?), num(0)])
        }
        "zext.b" => {
            arity(2)?;
            base("andi", &[x(xreg(0)?), x(xreg(1)?), num(255)])
        }
        "seqz" => {
            arity(2)?;
            base("sltiu", &[x(xreg(0)?), x(xreg(1)?), num(1)])
        }
        "snez" => {
            arity(2)?;
            base("sltu", &[x(xreg(0)?), x(0), x(xreg(1)?)])
        }
        "sltz" => {
            arity(2)?;
            base("slt", &[x(xreg(0)?), x(xreg(1)?), x(0)])
        }
        "sgtz" => {
            arity(2)?;
            base("slt", &[x(xreg(0)?), x(0), x(xreg(1)?)])
        }
        "beqz" | "bnez" | "blez" | "bgez" | "bltz" | "bgtz" => {
            arity(2)?;
            let r = xreg(0)?;
            let (f3, a, b) = match name {
                "beqz" => (0, r, 0),
                "bnez" => (1, r, 0),
                "blez" => (5, 0, r),
                "bgez" => (5, r, 0),
                "bltz" => (4, r, 0),
                _ => (4, 0, r),
            };
            Ok(branch(Shape::Cond { f3, rs1: a, rs2: b }, expr(1)?))
        }
        "bgt" | "ble" | "bgtu" | "bleu" => {
            arity(3)?;
            let f3 = match name {
                "bgt" => 4,
                "ble" => 5,
                "bgtu" => 6,
                _ => 7,
            };
            Ok(branch(Shape::Cond { f3, rs1: xreg(1)?, rs2: xreg(0)? }, expr(2)?))
        }
        "j" => {
            arity(1)?;
            Ok(branch(Shape::Jump { rd: 0 }, expr(0)?))
        }
        "jal" if ops.len() == 1 => Ok(branch(Shape::Jump { rd: RA }, expr(0)?)),
        "jr" => {
            arity(1)?;
            base("jalr", &[x(0), x(xreg(0)?), num(0)])
        }
        "jalr" if ops.len() == 1 => base("jalr", &[x(RA), x(xreg(0)?), num(0)]),
        "ret" => {
            arity(0)?;
            base("jalr", &[x(0), x(RA), num(0)])
        }
        "call" | "tail" => {
            let (link, tmp, target) = match (name, ops.len()) {
                ("call", 1) => (RA, RA, expr(0)?),
                ("call", 2) => (xreg(0)?, T1, expr(1)?),
                ("tail", 1) => (0, T1, expr(0)?),
                _ => return Err(Error::new(loc, format!("bad operands for `{name}`"))),
            };
            let words = [0x17 | rd(tmp), 0x67 | rd(link) | rs1(tmp)];
            let mut bytes = Vec::new();
            for w in words {
                bytes.extend_from_slice(&w.to_le_bytes());
            }
            let fix = Fixup { offset: 0, kind: fixup::CALL, expr: target, loc };
            // Both words travel in one item (never compressed) so the fix-up patches the pair.
            Ok(vec![Out::Raw(bytes, vec![fix])])
        }
        "la" | "lla" => {
            arity(2)?;
            let r = xreg(0)?;
            Ok(pcrel_pair(rv, r, expr(1)?, 0x13 | rd(r) | rs1(r), fixup::PCREL_LO12_I, loc))
        }
        "lb" | "lh" | "lw" | "ld" | "lbu" | "lhu" | "lwu" | "flw" | "fld" if matches!(ops.get(1), Some(Op::Expr(_))) => {
            let (bits, dst, tmp) = match (name, ops.first(), ops.get(2)) {
                ("flw" | "fld", Some(Op::F(f)), Some(Op::X(t))) => {
                    (if name == "flw" { 0x2007 } else { 0x3007 }, *f, *t)
                }
                (_, Some(Op::X(r)), None) if !name.starts_with('f') => {
                    let f3 = match name {
                        "lb" => 0,
                        "lh" => 1,
                        "lw" => 2,
                        "ld" => 3,
                        "lbu" => 4,
                        "lhu" => 5,
                        _ => 6,
                    };
                    (0x03 | (f3 << 12), *r, *r)
                }
                _ => return Err(Error::new(loc, format!("bad operands for `{name}`"))),
            };
            Ok(pcrel_pair(rv, tmp, expr(1)?, bits | rd(dst) | rs1(tmp), fixup::PCREL_LO12_I, loc))
        }
        "sb" | "sh" | "sw" | "sd" | "fsw" | "fsd" if matches!(ops.get(1), Some(Op::Expr(_))) => {
            arity(3)?;
            let src = match ops.first() {
                Some(Op::X(r)) | Some(Op::F(r)) => *r,
                _ => return Err(Error::new(loc, "expected a register to store")),
            };
            let bits = match name {
                "sb" => 0x23,
                "sh" => 0x1023,
                "sw" => 0x2023,
                "sd" => 0x3023,
                "fsw" => 0x2027,
                _ => 0x3027,
            };
            let tmp = xreg(2)?;
            Ok(pcrel_pair(rv, tmp, expr(1)?, bits | rs2(src) | rs1(tmp), fixup::PCREL_LO12_S, loc))
        }
        "fence" if ops.is_empty() => base("fence", &[sym("iorw", loc), sym("iorw", loc)]),
        "csrr" => {
            arity(2)?;
            base("csrrs", &[x(xreg(0)?), ops[1].clone(), x(0)])
        }
        "csrw" | "csrs" | "csrc" => {
            arity(2)?;
            let imm = matches!(ops[1], Op::Expr(_));
            let op = match (name, imm) {
                ("csrw", false) => "csrrw",
                ("csrs", false) => "csrrs",
                ("csrc", false) => "csrrc",
                ("csrw", true) => "csrrwi",
                ("csrs", true) => "csrrsi",
                _ => "csrrci",
            };
            base(op, &[x(0), ops[0].clone(), ops[1].clone()])
        }
        "csrwi" | "csrsi" | "csrci" => {
            arity(2)?;
            let op = format!("csrr{}i", &name[3..4]);
            base(&op, &[x(0), ops[0].clone(), ops[1].clone()])
        }
        "rdcycle" | "rdtime" | "rdinstret" => {
            arity(1)?;
            base("csrrs", &[x(xreg(0)?), sym(&name[2..], loc), x(0)])
        }
        "frcsr" | "frrm" | "frflags" => {
            arity(1)?;
            base("csrrs", &[x(xreg(0)?), sym(csr_of(name), loc), x(0)])
        }
        "fscsr" | "fsrm" | "fsflags" => {
            let (d, s) = match ops.len() {
                1 => (0, xreg(0)?),
                2 => (xreg(0)?, xreg(1)?),
                _ => return Err(Error::new(loc, format!("bad operands for `{name}`"))),
            };
            base("csrrw", &[x(d), sym(csr_of(name), loc), x(s)])
        }
        "fsrmi" | "fsflagsi" => {
            let (d, v) = match ops.len() {
                1 => (0, ops[0].clone()),
                2 => (xreg(0)?, ops[1].clone()),
                _ => return Err(Error::new(loc, format!("bad operands for `{name}`"))),
            };
            base("csrrwi", &[x(d), sym(csr_of(name), loc), v])
        }
        "fmv.s" | "fabs.s" | "fneg.s" | "fmv.d" | "fabs.d" | "fneg.d" => {
            arity(2)?;
            let (op, ty) = name.split_at(name.len() - 2);
            let real = match op {
                "fmv" => "fsgnj",
                "fabs" => "fsgnjx",
                _ => "fsgnjn",
            };
            base(&format!("{real}{ty}"), &[ops[0].clone(), ops[1].clone(), ops[1].clone()])
        }
        "fgt.s" | "fge.s" | "fgt.d" | "fge.d" => {
            arity(3)?;
            let real = format!("{}{}", if name.starts_with("fgt") { "flt" } else { "fle" }, &name[3..]);
            base(&real, &[ops[0].clone(), ops[2].clone(), ops[1].clone()])
        }
        "unimp" => {
            arity(0)?;
            Ok(vec![if rv.rvc { Out::Raw(vec![0, 0], vec![]) } else { Out::Word(0xc000_1073, vec![]) }])
        }
        // Written out in full, `jalr` stays 4 bytes (GNU as compresses only `jr`/`jalr rs`/`ret`).
        "jalr" => match encode_base(rv, eng, name, ops, loc)? {
            Out::Word(w, f) => Ok(vec![Out::Raw(w.to_le_bytes().to_vec(), f)]),
            other => Ok(vec![other]),
        },
        _ => base(name, ops),
    }
}

fn csr_of(name: &str) -> &'static str {
    match name {
        "frcsr" | "fscsr" => "fcsr",
        "frrm" | "fsrm" | "fsrmi" => "frm",
        _ => "fflags",
    }
}

/// `auipc tmp, %pcrel_hi(target)` then `second` with `%pcrel_lo` of the `auipc`'s label.
fn pcrel_pair(rv: &mut RiscV, tmp: u8, target: Expr, second: u32, lo_kind: u32, loc: Loc) -> Vec<Out> {
    let label = rv.pcrel_label();
    let hi = Fixup { offset: 0, kind: fixup::PCREL_HI20, expr: target, loc };
    let lo = Fixup { offset: 0, kind: lo_kind, expr: Expr::Sym(label.clone(), loc), loc };
    vec![Out::Label(label), Out::Word(0x17 | rd(tmp), vec![hi]), Out::Word(second, vec![lo])]
}

/// GNU as's `load_const`: a 32-bit value is `lui`+`addiw`; a wider one is built from its
/// upper part recursively, then `slli` and `addi`.
fn load_const(r: u8, v: i64, out: &mut Vec<Out>) {
    let lower = lo12(v);
    let mut upper = v.wrapping_sub(lower);
    if v != v as i32 as i64 {
        let mut shift = 12;
        while shift < 63 && (upper >> shift) & 1 == 0 {
            shift += 1;
        }
        upper >>= shift;
        load_const(r, upper, out);
        out.push(Out::Word(0x1013 | rd(r) | rs1(r) | ((shift as u32) << 20), vec![]));
        if lower != 0 {
            out.push(Out::Word(0x13 | rd(r) | rs1(r) | i_imm(lower), vec![]));
        }
    } else {
        let mut hi_reg = 0;
        if upper != 0 {
            out.push(Out::Word(0x37 | rd(r) | (((upper >> 12) as u32 & 0xfffff) << 12), vec![]));
            hi_reg = r;
        }
        if lower != 0 || hi_reg == 0 {
            out.push(Out::Word(0x1b | rd(r) | rs1(hi_reg) | i_imm(lower), vec![]));
        }
    }
}

/// Explicit compressed mnemonics: assembled as their base instruction, which must then
/// compress to exactly that form.
fn compressed(rv: &mut RiscV, eng: &Engine, c: &str, ops: &[Op], loc: Loc) -> Result<Vec<Out>> {
    let reg = |i: usize| -> Result<Op> {
        match ops.get(i) {
            Some(o @ (Op::X(_) | Op::F(_))) => Ok(o.clone()),
            _ => Err(Error::new(loc, format!("operand {} of `c.{c}` must be a register", i + 1))),
        }
    };
    let arg = |i: usize| -> Result<Op> { ops.get(i).cloned().ok_or_else(|| Error::new(loc, format!("`c.{c}` needs more operands"))) };
    let xr = |i: usize| -> Result<u8> {
        match ops.get(i) {
            Some(Op::X(r)) => Ok(*r),
            _ => Err(Error::new(loc, format!("operand {} of `c.{c}` must be an integer register", i + 1))),
        }
    };
    let forced = |shape: Shape, target: Op| -> Result<Vec<Out>> {
        let Op::Expr(target) = target else { return Err(Error::new(loc, "expected a branch target")) };
        if let Shape::Cond { rs1, .. } = shape
            && !(8..16).contains(&rs1) {
                return Err(Error::new(loc, "`c.beqz`/`c.bnez` need a register x8..x15"));
            }
        Ok(vec![Out::Branch(Branch { shape, target, rvc: true, forced_compressed: true, loc })])
    };
    let (name, base_ops): (&str, Vec<Op>) = match c {
        "nop" => ("addi", vec![x(0), x(0), num(0)]),
        "ebreak" => ("ebreak", vec![]),
        "addi" | "addiw" | "slli" | "srli" | "srai" | "andi" => {
            (if c == "addiw" { "addiw" } else { c }, vec![reg(0)?, reg(0)?, arg(1)?])
        }
        "addi16sp" => ("addi", vec![x(2), x(2), arg(1).or_else(|_| arg(0))?]),
        "addi4spn" => ("addi", vec![reg(0)?, x(2), arg(2)?]),
        "li" => ("addi", vec![reg(0)?, x(0), arg(1)?]),
        "lui" => ("lui", vec![reg(0)?, arg(1)?]),
        "mv" => ("add", vec![reg(0)?, x(0), reg(1)?]),
        "add" | "sub" | "xor" | "or" | "and" | "subw" | "addw" => (c, vec![reg(0)?, reg(0)?, reg(1)?]),
        "lw" | "ld" | "sw" | "sd" | "fld" | "fsd" | "lwsp" | "ldsp" | "fldsp" | "swsp" | "sdsp" | "fsdsp" => {
            (c.trim_end_matches("sp"), vec![reg(0)?, arg(1)?])
        }
        "jr" => ("jalr", vec![x(0), x(xr(0)?), num(0)]),
        "jalr" => ("jalr", vec![x(RA), x(xr(0)?), num(0)]),
        "j" => return forced(Shape::Jump { rd: 0 }, arg(0)?),
        "beqz" | "bnez" => {
            return forced(Shape::Cond { f3: (c == "bnez") as u32, rs1: xr(0)?, rs2: 0 }, arg(1)?);
        }
        "unimp" => return Ok(vec![Out::Raw(vec![0, 0], vec![])]),
        _ => return Err(Error::new(loc, format!("unknown instruction `c.{c}`"))),
    };
    let out = encode_base(rv, eng, name, &base_ops, loc)?;
    match out {
        Out::Word(w, f) if f.is_empty() => match super::encode::compress(w) {
            Some(h) => Ok(vec![Out::Raw(h.to_le_bytes().to_vec(), vec![])]),
            None => Err(Error::new(loc, format!("operands do not fit `c.{c}`"))),
        },
        _ => Err(Error::new(loc, format!("operands do not fit `c.{c}`"))),
    }
}
