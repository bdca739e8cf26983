//! SM83 opcodes: one match arm per instruction form; operands needing an address or a
//! value become fix-ups.

use super::{FIX_BIT, FIX_HIGH8, FIX_IMM8, FIX_IMM16, FIX_REL8, FIX_RST, Op, rr};
use crate::diag::{Error, Loc, Result};
use crate::engine::Fixup;
use crate::expr::Expr;

fn alu_index(name: &str) -> Option<u8> {
    ["add", "adc", "sub", "sbc", "and", "xor", "or", "cp"].iter().position(|n| *n == name).map(|i| i as u8)
}

fn cb_index(name: &str) -> Option<u8> {
    ["rlc", "rrc", "rl", "rr", "sla", "sra", "swap", "srl"].iter().position(|n| *n == name).map(|i| i as u8)
}

/// Encodes one instruction; operands that need addresses become fix-ups.
pub fn encode(name: &str, ops: &[Op], loc: Loc, fix: &mut Vec<Fixup>) -> Result<Vec<u8>> {
    let imm8 = |e: &Expr, at: usize, fix: &mut Vec<Fixup>| fix.push(Fixup { offset: at, kind: FIX_IMM8, expr: e.clone(), loc });
    let imm16 = |e: &Expr, at: usize, fix: &mut Vec<Fixup>| fix.push(Fixup { offset: at, kind: FIX_IMM16, expr: e.clone(), loc });
    let bad = || Error::new(loc, format!("bad operands for `{name}`"));
    let simple: &[(&str, &[u8])] = &[
        ("nop", &[0x00]),
        ("stop", &[0x10, 0x00]),
        ("halt", &[0x76]),
        ("di", &[0xF3]),
        ("ei", &[0xFB]),
        ("daa", &[0x27]),
        ("cpl", &[0x2F]),
        ("scf", &[0x37]),
        ("ccf", &[0x3F]),
        ("rlca", &[0x07]),
        ("rrca", &[0x0F]),
        ("rla", &[0x17]),
        ("rra", &[0x1F]),
        ("reti", &[0xD9]),
    ];
    if let Some((_, b)) = simple.iter().find(|(n, _)| *n == name) {
        if !ops.is_empty() && name != "cpl" {
            return Err(bad());
        }
        return Ok(b.to_vec());
    }
    use Op::*;
    Ok(match (name, ops) {
        ("ld", [R8(6), R8(6)]) => return Err(Error::new(loc, "`ld [hl], [hl]` does not exist (it is `halt`)")),
        ("ld", [R8(d), R8(s)]) => vec![0x40 | d << 3 | s],
        ("ld", [R8(d), Imm(e)]) => {
            imm8(e, 1, fix);
            vec![0x06 | d << 3, 0]
        }
        ("ld", [Ind("bc"), R8(7)]) => vec![0x02],
        ("ld", [Ind("de"), R8(7)]) => vec![0x12],
        ("ld", [Ind("hl+"), R8(7)]) | ("ldi", [R8(6), R8(7)]) => vec![0x22],
        ("ld", [Ind("hl-"), R8(7)]) | ("ldd", [R8(6), R8(7)]) => vec![0x32],
        ("ld", [R8(7), Ind("bc")]) => vec![0x0A],
        ("ld", [R8(7), Ind("de")]) => vec![0x1A],
        ("ld", [R8(7), Ind("hl+")]) | ("ldi", [R8(7), R8(6)]) => vec![0x2A],
        ("ld", [R8(7), Ind("hl-")]) | ("ldd", [R8(7), R8(6)]) => vec![0x3A],
        ("ld" | "ldh", [Ind("c"), R8(7)]) => vec![0xE2],
        ("ld" | "ldh", [R8(7), Ind("c")]) => vec![0xF2],
        ("ld", [R16(r), Imm(e)]) if *r != "af" => {
            imm16(e, 1, fix);
            vec![0x01 | rr(r).unwrap_or(0) << 4, 0, 0]
        }
        ("ld", [Mem(e), R16("sp")]) => {
            imm16(e, 1, fix);
            vec![0x08, 0, 0]
        }
        ("ld", [R16("sp"), R16("hl")]) => vec![0xF9],
        ("ld" | "ldhl", [R16("hl"), SpPlus(e)]) | ("ldhl", [R16("sp"), Imm(e)]) => {
            imm8(e, 1, fix);
            vec![0xF8, 0]
        }
        ("ld", [Mem(e), R8(7)]) => {
            imm16(e, 1, fix);
            vec![0xEA, 0, 0]
        }
        ("ld", [R8(7), Mem(e)]) => {
            imm16(e, 1, fix);
            vec![0xFA, 0, 0]
        }
        ("ldh", [Mem(e), R8(7)]) => {
            fix.push(Fixup { offset: 1, kind: FIX_HIGH8, expr: e.clone(), loc });
            vec![0xE0, 0]
        }
        ("ldh", [R8(7), Mem(e)]) => {
            fix.push(Fixup { offset: 1, kind: FIX_HIGH8, expr: e.clone(), loc });
            vec![0xF0, 0]
        }
        ("inc", [R8(r)]) => vec![0x04 | r << 3],
        ("dec", [R8(r)]) => vec![0x05 | r << 3],
        ("inc", [R16(r)]) if *r != "af" => vec![0x03 | rr(r).unwrap_or(0) << 4],
        ("dec", [R16(r)]) if *r != "af" => vec![0x0B | rr(r).unwrap_or(0) << 4],
        ("add", [R16("hl"), R16(r)]) if *r != "af" => vec![0x09 | rr(r).unwrap_or(0) << 4],
        ("add", [R16("sp"), Imm(e)]) => {
            imm8(e, 1, fix);
            vec![0xE8, 0]
        }
        (alu, [R8(7), R8(r)]) | (alu, [R8(r)]) if alu_index(alu).is_some() => vec![0x80 | alu_index(alu).unwrap_or(0) << 3 | r],
        (alu, [R8(7), Imm(e)]) | (alu, [Imm(e)]) if alu_index(alu).is_some() => {
            imm8(e, 1, fix);
            vec![0xC6 | alu_index(alu).unwrap_or(0) << 3, 0]
        }
        ("push", [R16(r)]) if *r != "sp" => vec![0xC5 | rr(r).unwrap_or(0) << 4],
        ("pop", [R16(r)]) if *r != "sp" => vec![0xC1 | rr(r).unwrap_or(0) << 4],
        ("jp", [R16("hl")]) | ("jp", [R8(6)]) => vec![0xE9],
        ("jp", [Imm(e)]) => {
            imm16(e, 1, fix);
            vec![0xC3, 0, 0]
        }
        ("jp", [c, Imm(e)]) if is_cond(c) => {
            imm16(e, 1, fix);
            vec![0xC2 | c_of(c) << 3, 0, 0]
        }
        ("jr", [Imm(e)]) => {
            fix.push(Fixup { offset: 1, kind: FIX_REL8, expr: e.clone(), loc });
            vec![0x18, 0]
        }
        ("jr", [c, Imm(e)]) if is_cond(c) => {
            fix.push(Fixup { offset: 1, kind: FIX_REL8, expr: e.clone(), loc });
            vec![0x20 | c_of(c) << 3, 0]
        }
        ("call", [Imm(e)]) => {
            imm16(e, 1, fix);
            vec![0xCD, 0, 0]
        }
        ("call", [c, Imm(e)]) if is_cond(c) => {
            imm16(e, 1, fix);
            vec![0xC4 | c_of(c) << 3, 0, 0]
        }
        ("ret", []) => vec![0xC9],
        ("ret", [c]) if is_cond(c) => vec![0xC0 | c_of(c) << 3],
        ("rst", [Imm(Expr::Num(n))]) if (0..=0x38).contains(n) && n % 8 == 0 => vec![0xC7 | *n as u8],
        ("rst", [Imm(e)]) => {
            // A named vector: resolved like a byte, then checked by the caller's fix-up.
            fix.push(Fixup { offset: 0, kind: FIX_RST, expr: e.clone(), loc });
            vec![0xC7]
        }
        (op, [R8(r)]) if cb_index(op).is_some() => vec![0xCB, cb_index(op).unwrap_or(0) << 3 | r],
        ("bit" | "res" | "set", [Imm(b), R8(r)]) => {
            let base = match name {
                "bit" => 0x40,
                "res" => 0x80,
                _ => 0xC0,
            };
            fix.push(Fixup { offset: 1, kind: FIX_BIT, expr: b.clone(), loc });
            vec![0xCB, base | r]
        }
        _ => {
            const KNOWN: &[&str] = &[
                "ld", "ldh", "ldi", "ldd", "ldhl", "inc", "dec", "add", "adc", "sub", "sbc", "and", "xor", "or", "cp",
                "push", "pop", "jp", "jr", "call", "ret", "rst", "rlc", "rrc", "rl", "rr", "sla", "sra", "swap",
                "srl", "bit", "res", "set",
            ];
            if KNOWN.contains(&name) {
                return Err(bad());
            }
            return Err(Error::new(loc, format!("unknown instruction `{name}`")));
        }
    })
}


fn is_cond(op: &Op) -> bool {
    matches!(op, Op::Cond(_) | Op::R8(1))
}

fn c_of(op: &Op) -> u8 {
    match op {
        Op::Cond(c) => *c,
        _ => 3,
    }
}

