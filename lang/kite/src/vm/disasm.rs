//! The bytecode listing, shared by `disassemble_source`, the trace mode and the debugger.

use std::fmt::Write;

use super::bytecode::{Op, Proto};
use crate::front::span::LineIndex;
use crate::runtime::heap::Heap;
use crate::runtime::ops::display;
use crate::runtime::value::Value;

/// A constant as the listing shows it (strings quoted).
fn show_const(heap: &Heap, v: Option<&Value>) -> String {
    let Some(&v) = v else { return "?".into() };
    match heap.as_str(v) {
        Some(s) => format!("{s:?}"),
        None => {
            let mut out = String::new();
            display(heap, v, &mut out);
            out
        }
    }
}

/// Branch target of the instruction at `pc`, if it has one.
pub fn jump_target(op: &Op, pc: usize) -> Option<usize> {
    usize::try_from(pc as i64 + 1 + branch_offset(op)? as i64).ok()
}

/// The offset (from the next instruction) of a branch instruction.
pub fn branch_offset(op: &Op) -> Option<i32> {
    Some(match *op {
        Op::Jmp { off }
        | Op::ForPrep { off, .. }
        | Op::ForLoop { off, .. }
        | Op::IterNext { off, .. } => off,
        Op::Eq { off, .. }
        | Op::Lt { off, .. }
        | Op::Le { off, .. }
        | Op::EqK { off, .. }
        | Op::LtI { off, .. }
        | Op::LeI { off, .. }
        | Op::GtI { off, .. }
        | Op::GeI { off, .. }
        | Op::LtK { off, .. }
        | Op::LeK { off, .. }
        | Op::GtK { off, .. }
        | Op::GeK { off, .. }
        | Op::Test { off, .. } => off as i32,
        _ => return None,
    })
}

/// One instruction: mnemonic and operands, with constants and targets spelled out.
pub fn format_op(
    op: &Op,
    pc: usize,
    proto: &Proto,
    heap: &Heap,
    func_names: &dyn Fn(u32) -> String,
) -> String {
    let k = |i: u32| show_const(heap, proto.consts.get(i as usize));
    let target = |pc_off: usize| proto.addr + pc_off as u64;
    let tgt = jump_target(op, pc).map(target).unwrap_or(0);
    match *op {
        Op::Move { a, b } => format!("MOVE      r{a}, r{b}"),
        Op::LoadNil { a } => format!("LOADNIL   r{a}"),
        Op::LoadBool { a, v } => format!("LOADBOOL  r{a}, {v}"),
        Op::LoadInt { a, v } => format!("LOADINT   r{a}, {v}"),
        Op::LoadK { a, k: c } => format!("LOADK     r{a}, {}", k(c)),
        Op::LoadNative { a, n } => format!(
            "LOADNAT   r{a}, {}",
            crate::runtime::builtins::NATIVES
                .get(n as usize)
                .map_or("?", |n| n.name)
        ),
        Op::GetGlobal { a, g } => format!("GETGLOBAL r{a}, g{g}"),
        Op::SetGlobal { a, g } => format!("SETGLOBAL g{g}, r{a}"),
        Op::GetUpval { a, u } => format!("GETUPVAL  r{a}, u{u}"),
        Op::SetUpval { a, u } => format!("SETUPVAL  u{u}, r{a}"),
        Op::GetCell { a, b } => format!("GETCELL   r{a}, r{b}"),
        Op::SetCell { a, b } => format!("SETCELL   r{a}, r{b}"),
        Op::NewCell { a } => format!("NEWCELL   r{a}"),
        Op::Closure { a, f } => format!("CLOSURE   r{a}, {}", func_names(f)),
        Op::NewList { a, b, n } => format!("NEWLIST   r{a}, r{b}, {n}"),
        Op::Append { a, b, n } => format!("APPEND    r{a}, r{b}, {n}"),
        Op::NewMap { a } => format!("NEWMAP    r{a}"),
        Op::Add { a, b, c } => format!("ADD       r{a}, r{b}, r{c}"),
        Op::Sub { a, b, c } => format!("SUB       r{a}, r{b}, r{c}"),
        Op::Mul { a, b, c } => format!("MUL       r{a}, r{b}, r{c}"),
        Op::Div { a, b, c } => format!("DIV       r{a}, r{b}, r{c}"),
        Op::Mod { a, b, c } => format!("MOD       r{a}, r{b}, r{c}"),
        Op::AddK { a, b, c, .. } => format!("ADDK      r{a}, r{b}, {}", k(c as u32)),
        Op::SubK { a, b, c } => format!("SUBK      r{a}, r{b}, {}", k(c as u32)),
        Op::MulK { a, b, c, .. } => format!("MULK      r{a}, r{b}, {}", k(c as u32)),
        Op::DivK { a, b, c } => format!("DIVK      r{a}, r{b}, {}", k(c as u32)),
        Op::ModK { a, b, c } => format!("MODK      r{a}, r{b}, {}", k(c as u32)),
        Op::ModI { a, b, m } => format!(
            "MODI      r{a}, r{b}, {}",
            proto.divisors.get(m as usize).map_or(0, |d| d.divisor())
        ),
        Op::AddI { a, b, imm } => format!("ADDI      r{a}, r{b}, {imm}"),
        Op::Neg { a, b } => format!("NEG       r{a}, r{b}"),
        Op::Not { a, b } => format!("NOT       r{a}, r{b}"),
        Op::Eq { a, b, k, .. } => format!("EQ        r{a}, r{b}, {}, {tgt:04x}", k as u8),
        Op::Lt { a, b, k, .. } => format!("LT        r{a}, r{b}, {}, {tgt:04x}", k as u8),
        Op::Le { a, b, k, .. } => format!("LE        r{a}, r{b}, {}, {tgt:04x}", k as u8),
        Op::EqK { a, c, k: kk, .. } => {
            format!("EQK       r{a}, {}, {}, {tgt:04x}", k(c as u32), kk as u8)
        }
        Op::LtI { a, imm, k, .. } => format!("LTI       r{a}, {imm}, {}, {tgt:04x}", k as u8),
        Op::LeI { a, imm, k, .. } => format!("LEI       r{a}, {imm}, {}, {tgt:04x}", k as u8),
        Op::GtI { a, imm, k, .. } => format!("GTI       r{a}, {imm}, {}, {tgt:04x}", k as u8),
        Op::GeI { a, imm, k, .. } => format!("GEI       r{a}, {imm}, {}, {tgt:04x}", k as u8),
        Op::LtK { a, c, k: kk, .. } => {
            format!("LTK       r{a}, {}, {}, {tgt:04x}", k(c as u32), kk as u8)
        }
        Op::LeK { a, c, k: kk, .. } => {
            format!("LEK       r{a}, {}, {}, {tgt:04x}", k(c as u32), kk as u8)
        }
        Op::GtK { a, c, k: kk, .. } => {
            format!("GTK       r{a}, {}, {}, {tgt:04x}", k(c as u32), kk as u8)
        }
        Op::GeK { a, c, k: kk, .. } => {
            format!("GEK       r{a}, {}, {}, {tgt:04x}", k(c as u32), kk as u8)
        }
        Op::Test { a, k, .. } => format!("TEST      r{a}, {}, {tgt:04x}", k as u8),
        Op::Jmp { .. } => format!("JMP       {tgt:04x}"),
        Op::GetIndex { a, b, c } => format!("GETINDEX  r{a}, r{b}, r{c}"),
        Op::SetIndex { a, b, c } => format!("SETINDEX  r{a}, r{b}, r{c}"),
        Op::GetField { a, b, k: c } => format!("GETFIELD  r{a}, r{b}, {}", k(c as u32)),
        Op::SetField { a, k: c, c: v } => format!("SETFIELD  r{a}, {}, r{v}", k(c as u32)),
        Op::Call { a, n } => format!("CALL      r{a}, {n}"),
        Op::CallG { a, n, g } => format!("CALLG     r{a}, {n}, g{g}"),
        Op::Return { a } => format!("RETURN    r{a}"),
        Op::ReturnNil => "RETURNNIL".to_string(),
        Op::ForPrep { a, .. } => format!("FORPREP   r{a}, {tgt:04x}"),
        Op::ForLoop { a, .. } => format!("FORLOOP   r{a}, {tgt:04x}"),
        Op::IterNext { a, two, .. } => {
            format!("ITERNEXT  r{a}, {}, {tgt:04x}", if two { 2 } else { 1 })
        }
    }
}

/// The whole program's listing: each function with its header, then one line per instruction
/// (`address  line  instruction`).
pub fn listing(protos: &[std::sync::Arc<Proto>], heap: &Heap, source: &str) -> String {
    let lines = LineIndex::new(source);
    let names = |f: u32| {
        protos
            .get(f as usize)
            .map_or_else(|| format!("f{f}"), |p| format!("{} (f{f})", p.name))
    };
    let mut out = String::new();
    for (i, p) in protos.iter().enumerate() {
        let _ = writeln!(
            out,
            "== f{i} {} (arity {}, {} registers, {} constants) ==",
            p.name,
            p.arity,
            p.max_regs,
            p.consts.len()
        );
        let mut last_line = 0;
        for (pc, op) in p.code.iter().enumerate() {
            let line = p.spans.get(pc).map_or(0, |s| lines.line(s.start));
            let line_col = if line == last_line {
                "   |".to_string()
            } else {
                format!("{line:4}")
            };
            last_line = line;
            let _ = writeln!(
                out,
                "{:04x} {line_col}  {}",
                p.addr + pc as u64,
                format_op(op, pc, p, heap, &names)
            );
        }
        out.push('\n');
    }
    out
}
