//! The bytecode verifier. The VM reads registers, constants and instructions without bounds
//! checks; this pass proves, once per function, that it may: every register operand is below
//! `max_regs`, every constant index and jump target is in range, and the code ends in a
//! return (so execution never runs off the end).

use super::bytecode::{Op, Proto};

/// Highest register an instruction touches (plus one), its constant index, and whether it
/// can fall through to the next instruction.
fn registers(op: &Op) -> (usize, Option<usize>) {
    let r = |x: u8| x as usize + 1;
    match *op {
        Op::Move { a, b }
        | Op::GetCell { a, b }
        | Op::SetCell { a, b }
        | Op::Neg { a, b }
        | Op::Not { a, b } => (r(a).max(r(b)), None),
        Op::LoadNil { a }
        | Op::LoadBool { a, .. }
        | Op::LoadInt { a, .. }
        | Op::LoadNative { a, .. }
        | Op::GetGlobal { a, .. }
        | Op::SetGlobal { a, .. }
        | Op::GetUpval { a, .. }
        | Op::SetUpval { a, .. }
        | Op::NewCell { a }
        | Op::Closure { a, .. }
        | Op::NewMap { a }
        | Op::Test { a, .. }
        | Op::Return { a }
        | Op::LtI { a, .. }
        | Op::LeI { a, .. }
        | Op::GtI { a, .. }
        | Op::GeI { a, .. } => (r(a), None),
        Op::LoadK { a, k } => (r(a), Some(k as usize)),
        Op::NewList { a, b, n } | Op::Append { a, b, n } => {
            (r(a).max(b as usize + n as usize), None)
        }
        Op::Add { a, b, c }
        | Op::Sub { a, b, c }
        | Op::Mul { a, b, c }
        | Op::Div { a, b, c }
        | Op::Mod { a, b, c }
        | Op::GetIndex { a, b, c }
        | Op::SetIndex { a, b, c } => (r(a).max(r(b)).max(r(c)), None),
        Op::AddK { a, b, c, .. }
        | Op::SubK { a, b, c }
        | Op::MulK { a, b, c, .. }
        | Op::DivK { a, b, c }
        | Op::ModK { a, b, c } => (r(a).max(r(b)), Some(c as usize)),
        Op::AddI { a, b, .. } | Op::Eq { a, b, .. } | Op::Lt { a, b, .. } | Op::Le { a, b, .. } => {
            (r(a).max(r(b)), None)
        }
        Op::EqK { a, c, .. }
        | Op::LtK { a, c, .. }
        | Op::LeK { a, c, .. }
        | Op::GtK { a, c, .. }
        | Op::GeK { a, c, .. } => (r(a), Some(c as usize)),
        Op::GetField { a, b, k } => (r(a).max(r(b)), Some(k as usize)),
        Op::SetField { a, k, c } => (r(a).max(r(c)), Some(k as usize)),
        Op::Call { a, n } | Op::CallG { a, n, .. } => (a as usize + 1 + n as usize, None),
        Op::ModI { a, b, .. } => (r(a).max(r(b)), None),
        Op::ReturnNil | Op::Jmp { .. } => (0, None),
        Op::ForPrep { a, .. } | Op::ForLoop { a, .. } => (a as usize + 3, None),
        Op::IterNext { a, two, .. } => (a as usize + if two { 4 } else { 3 }, None),
    }
}

/// Check one function; the error names the first bad instruction.
pub fn verify(p: &Proto) -> Result<(), String> {
    if !matches!(p.code.last(), Some(Op::ReturnNil | Op::Return { .. })) {
        return Err(format!("{}: code does not end in a return", p.name));
    }
    if p.spans.len() != p.code.len() {
        return Err(format!("{}: span table does not match the code", p.name));
    }
    if (p.arity as usize) > p.max_regs as usize
        || p.boxed_params
            .iter()
            .any(|&b| b as usize >= p.max_regs as usize)
    {
        return Err(format!("{}: parameters outside the frame", p.name));
    }
    for (pc, op) in p.code.iter().enumerate() {
        let (regs, k) = registers(op);
        if regs > p.max_regs as usize {
            return Err(format!(
                "{}@{pc}: register out of frame ({regs} > {})",
                p.name, p.max_regs
            ));
        }
        if let Op::ModI { m, .. } = op
            && *m as usize >= p.divisors.len()
        {
            return Err(format!("{}@{pc}: divisor index out of range", p.name));
        }
        if k.is_some_and(|k| k >= p.consts.len()) {
            return Err(format!("{}@{pc}: constant index out of range", p.name));
        }
        if let Some(off) = super::disasm::branch_offset(op) {
            let target = pc as i64 + 1 + off as i64;
            if target < 0 || target >= p.code.len() as i64 {
                return Err(format!("{}@{pc}: jump target out of range", p.name));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::span::Span;

    fn proto(code: Vec<Op>, max_regs: u16, consts: usize) -> Proto {
        Proto {
            name: "t".into(),
            arity: 0,
            max_regs,
            spans: vec![Span::default(); code.len()],
            code,
            consts: vec![crate::runtime::value::Value::Nil; consts],
            divisors: Vec::new(),
            captures: Vec::new(),
            boxed_params: Vec::new(),
            addr: 0,
        }
    }

    #[test]
    fn accepts_well_formed_code() {
        let p = proto(
            vec![
                Op::LoadK { a: 0, k: 0 },
                Op::Jmp { off: 0 },
                Op::Return { a: 0 },
            ],
            1,
            1,
        );
        assert_eq!(verify(&p), Ok(()));
    }

    #[test]
    fn rejects_out_of_range_operands() {
        let bad = [
            proto(vec![Op::Move { a: 0, b: 3 }, Op::ReturnNil], 2, 0),
            proto(vec![Op::LoadK { a: 0, k: 1 }, Op::ReturnNil], 1, 1),
            proto(vec![Op::Jmp { off: 5 }, Op::ReturnNil], 1, 0),
            proto(
                vec![
                    Op::Lt {
                        a: 0,
                        b: 0,
                        k: true,
                        off: -3,
                    },
                    Op::ReturnNil,
                ],
                1,
                0,
            ),
            proto(vec![Op::Call { a: 0, n: 2 }, Op::ReturnNil], 2, 0),
            proto(vec![Op::ForLoop { a: 0, off: -1 }, Op::ReturnNil], 2, 0),
            proto(vec![Op::LoadNil { a: 0 }], 1, 0),
            proto(vec![Op::ModI { a: 0, b: 0, m: 0 }, Op::ReturnNil], 1, 0),
        ];
        for p in &bad {
            assert!(verify(p).is_err(), "{:?} accepted", p.code);
        }
    }
}
