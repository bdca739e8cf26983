//! Disassembly into Octo mnemonics.

use crate::op::{Alu, Op};

/// Byte constants: small ones in decimal (`5`), others in hex (`0x10`), as people write Octo.
fn byte(v: u8) -> String {
    if v < 10 {
        v.to_string()
    } else {
        format!("0x{v:02X}")
    }
}

fn addr(v: u16) -> String {
    format!("0x{v:03X}")
}

/// The Octo text of a decoded instruction.
pub(crate) fn text(op: Op) -> String {
    match op {
        Op::Clear => "clear".into(),
        Op::Return => "return".into(),
        Op::ScrollDown(n) => format!("scroll-down {n}"),
        Op::ScrollUp(n) => format!("scroll-up {n}"),
        Op::ScrollRight => "scroll-right".into(),
        Op::ScrollLeft => "scroll-left".into(),
        Op::Exit => "exit".into(),
        Op::Lores => "lores".into(),
        Op::Hires => "hires".into(),
        Op::Jump(a) => format!("jump {}", addr(a)),
        Op::Call(a) => format!(":call {}", addr(a)),
        // Octo's `if COND then` runs the next instruction when COND holds, so it skips on
        // the opposite condition.
        Op::SkipEqImm(x, nn) => format!("if v{x:x} != {} then", byte(nn)),
        Op::SkipNeImm(x, nn) => format!("if v{x:x} == {} then", byte(nn)),
        Op::SkipEqReg(x, y) => format!("if v{x:x} != v{y:x} then"),
        Op::SkipNeReg(x, y) => format!("if v{x:x} == v{y:x} then"),
        Op::SaveRange(x, y) => format!("save v{x:x} - v{y:x}"),
        Op::LoadRange(x, y) => format!("load v{x:x} - v{y:x}"),
        Op::SetImm(x, nn) => format!("v{x:x} := {}", byte(nn)),
        Op::AddImm(x, nn) => format!("v{x:x} += {}", byte(nn)),
        Op::Alu(alu, x, y) => {
            let sym = match alu {
                Alu::Set => ":=",
                Alu::Or => "|=",
                Alu::And => "&=",
                Alu::Xor => "^=",
                Alu::Add => "+=",
                Alu::Sub => "-=",
                Alu::Shr => ">>=",
                Alu::SubN => "=-",
                Alu::Shl => "<<=",
            };
            format!("v{x:x} {sym} v{y:x}")
        }
        Op::SetI(a) => format!("i := {}", addr(a)),
        Op::JumpOffset(a) => format!("jump0 {}", addr(a)),
        Op::Random(x, nn) => format!("v{x:x} := random {}", byte(nn)),
        Op::Draw(x, y, n) => format!("sprite v{x:x} v{y:x} {n}"),
        Op::SkipKey(x) => format!("if v{x:x} -key then"),
        Op::SkipNotKey(x) => format!("if v{x:x} key then"),
        Op::LongI(a) => format!("i := long 0x{a:04X}"),
        Op::Plane(n) => format!("plane {n}"),
        Op::Audio => "audio".into(),
        Op::GetDelay(x) => format!("v{x:x} := delay"),
        Op::WaitKey(x) => format!("v{x:x} := key"),
        Op::SetDelay(x) => format!("delay := v{x:x}"),
        Op::SetSound(x) => format!("buzzer := v{x:x}"),
        Op::AddI(x) => format!("i += v{x:x}"),
        Op::Font(x) => format!("i := hex v{x:x}"),
        Op::BigFont(x) => format!("i := bighex v{x:x}"),
        Op::Bcd(x) => format!("bcd v{x:x}"),
        Op::Pitch(x) => format!("pitch := v{x:x}"),
        Op::Save(x) => format!("save v{x:x}"),
        Op::Load(x) => format!("load v{x:x}"),
        Op::SaveFlags(x) => format!("saveflags v{x:x}"),
        Op::LoadFlags(x) => format!("loadflags v{x:x}"),
        Op::Illegal(w) => format!("0x{:02X} 0x{:02X}", w >> 8, w & 0xFF),
    }
}

/// The static branch or call target of an instruction, for symbol labels.
pub(crate) fn target(op: Op) -> Option<u16> {
    match op {
        Op::Jump(a) | Op::Call(a) | Op::JumpOffset(a) => Some(a),
        _ => None,
    }
}

/// Disassemble the instruction at `addr` of `mem`: its Octo text and its length in bytes.
/// Past the end of `mem` the missing bytes read as zero; a lone last byte is shown as data.
pub fn disassemble_one(mem: &[u8], addr: u16) -> (String, usize) {
    let at = |a: usize| mem.get(a).copied().unwrap_or(0);
    let a = addr as usize;
    if a + 1 >= mem.len() {
        return (format!("0x{:02X}", at(a)), 1);
    }
    let word = u16::from_be_bytes([at(a), at(a + 1)]);
    let next = u16::from_be_bytes([at(a + 2), at(a + 3)]);
    let op = Op::decode(word, next);
    (text(op), op.len() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dis(bytes: &[u8]) -> String {
        disassemble_one(bytes, 0).0
    }

    #[test]
    fn octo_mnemonics() {
        let cases: &[(&[u8], &str)] = &[
            (&[0x73, 0x10], "v3 += 0x10"),
            (&[0xA2, 0xA0], "i := 0x2A0"),
            (&[0xD0, 0x15], "sprite v0 v1 5"),
            (&[0x32, 0x05], "if v2 != 5 then"),
            (&[0x42, 0x05], "if v2 == 5 then"),
            (&[0x52, 0x30], "if v2 != v3 then"),
            (&[0x92, 0x30], "if v2 == v3 then"),
            (&[0xB3, 0x00], "jump0 0x300"),
            (&[0x23, 0x00], ":call 0x300"),
            (&[0x00, 0xEE], "return"),
            (&[0x00, 0xE0], "clear"),
            (&[0x00, 0xC4], "scroll-down 4"),
            (&[0x00, 0xD4], "scroll-up 4"),
            (&[0xF3, 0x01], "plane 3"),
            (&[0xF0, 0x02], "audio"),
            (&[0xF1, 0x3A], "pitch := v1"),
            (&[0x52, 0x52], "save v2 - v5"),
            (&[0x52, 0x53], "load v2 - v5"),
            (&[0x8A, 0xB6], "va >>= vb"),
            (&[0x8A, 0xB7], "va =- vb"),
            (&[0xEA, 0x9E], "if va -key then"),
            (&[0xEA, 0xA1], "if va key then"),
            (&[0xF5, 0x0A], "v5 := key"),
            (&[0xF5, 0x18], "buzzer := v5"),
            (&[0xF5, 0x29], "i := hex v5"),
            (&[0xC5, 0xFF], "v5 := random 0xFF"),
            (&[0x01, 0x23], "0x01 0x23"),
        ];
        for (bytes, want) in cases {
            assert_eq!(dis(bytes), *want);
        }
        assert_eq!(
            disassemble_one(&[0xF0, 0x00, 0x12, 0x34], 0),
            ("i := long 0x1234".into(), 4)
        );
        assert_eq!(disassemble_one(&[0x12], 0), ("0x12".into(), 1));
    }
}
