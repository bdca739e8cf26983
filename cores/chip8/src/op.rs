//! Instruction decoding: one opcode word (two for `F000 NNNN`) into an [`Op`] value that
//! both the interpreter and the disassembler consume.

use crate::config::Level;

/// The arithmetic and logic group `8xyN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alu {
    /// `8xy0` vX := vY
    Set,
    /// `8xy1` vX |= vY
    Or,
    /// `8xy2` vX &= vY
    And,
    /// `8xy3` vX ^= vY
    Xor,
    /// `8xy4` vX += vY, vF = carry
    Add,
    /// `8xy5` vX -= vY, vF = not borrow
    Sub,
    /// `8xy6` vX >>= vY, vF = bit shifted out
    Shr,
    /// `8xy7` vX =- vY (vY - vX), vF = not borrow
    SubN,
    /// `8xyE` vX <<= vY, vF = bit shifted out
    Shl,
}

/// One decoded instruction. `x`/`y` are register numbers, `nn` bytes, `nnn` addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// `00E0` clear (the selected planes).
    Clear,
    /// `00EE` return.
    Return,
    /// `00CN` scroll-down N (SCHIP).
    ScrollDown(u8),
    /// `00DN` scroll-up N (XO-CHIP).
    ScrollUp(u8),
    /// `00FB` scroll-right 4 pixels (SCHIP).
    ScrollRight,
    /// `00FC` scroll-left 4 pixels (SCHIP).
    ScrollLeft,
    /// `00FD` exit (SCHIP).
    Exit,
    /// `00FE` lores (SCHIP).
    Lores,
    /// `00FF` hires (SCHIP).
    Hires,
    /// `1NNN` jump.
    Jump(u16),
    /// `2NNN` call.
    Call(u16),
    /// `3XNN` skip if vX == NN.
    SkipEqImm(u8, u8),
    /// `4XNN` skip if vX != NN.
    SkipNeImm(u8, u8),
    /// `5XY0` skip if vX == vY.
    SkipEqReg(u8, u8),
    /// `5XY2` save vX..vY at I, I unchanged (XO-CHIP).
    SaveRange(u8, u8),
    /// `5XY3` load vX..vY from I, I unchanged (XO-CHIP).
    LoadRange(u8, u8),
    /// `6XNN` vX := NN.
    SetImm(u8, u8),
    /// `7XNN` vX += NN (no carry).
    AddImm(u8, u8),
    /// `8XYN` arithmetic and logic.
    Alu(Alu, u8, u8),
    /// `9XY0` skip if vX != vY.
    SkipNeReg(u8, u8),
    /// `ANNN` I := NNN.
    SetI(u16),
    /// `BNNN` jump to NNN + v0 (or + vX with the jumping quirk).
    JumpOffset(u16),
    /// `CXNN` vX := random & NN.
    Random(u8, u8),
    /// `DXYN` draw the sprite at I.
    Draw(u8, u8, u8),
    /// `EX9E` skip if key vX is down.
    SkipKey(u8),
    /// `EXA1` skip if key vX is up.
    SkipNotKey(u8),
    /// `F000 NNNN` I := NNNN (XO-CHIP, four bytes).
    LongI(u16),
    /// `FN01` select drawing planes N (XO-CHIP).
    Plane(u8),
    /// `F002` load the 16-byte audio pattern from I (XO-CHIP).
    Audio,
    /// `FX07` vX := delay timer.
    GetDelay(u8),
    /// `FX0A` wait for a key press and release, vX := key.
    WaitKey(u8),
    /// `FX15` delay timer := vX.
    SetDelay(u8),
    /// `FX18` sound timer := vX.
    SetSound(u8),
    /// `FX1E` I += vX.
    AddI(u8),
    /// `FX29` I := small font glyph of vX.
    Font(u8),
    /// `FX30` I := big font glyph of vX (SCHIP).
    BigFont(u8),
    /// `FX33` BCD of vX at I, I+1, I+2.
    Bcd(u8),
    /// `FX3A` pitch := vX (XO-CHIP).
    Pitch(u8),
    /// `FX55` save v0..vX at I.
    Save(u8),
    /// `FX65` load v0..vX from I.
    Load(u8),
    /// `FX75` save v0..vX to the persistent flag registers (SCHIP).
    SaveFlags(u8),
    /// `FX85` load v0..vX from the persistent flag registers (SCHIP).
    LoadFlags(u8),
    /// Anything else (including `0NNN` machine-code calls, which we cannot run).
    Illegal(u16),
}

impl Op {
    /// Decode `word`; `next` is the following word, used only by `F000 NNNN`.
    pub(crate) fn decode(word: u16, next: u16) -> Op {
        let x = ((word >> 8) & 0xF) as u8;
        let y = ((word >> 4) & 0xF) as u8;
        let n = (word & 0xF) as u8;
        let nn = (word & 0xFF) as u8;
        let nnn = word & 0xFFF;
        match word >> 12 {
            0x0 => match word {
                0x00E0 => Op::Clear,
                0x00EE => Op::Return,
                0x00FB => Op::ScrollRight,
                0x00FC => Op::ScrollLeft,
                0x00FD => Op::Exit,
                0x00FE => Op::Lores,
                0x00FF => Op::Hires,
                _ if word & 0xFFF0 == 0x00C0 => Op::ScrollDown(n),
                _ if word & 0xFFF0 == 0x00D0 => Op::ScrollUp(n),
                _ => Op::Illegal(word),
            },
            0x1 => Op::Jump(nnn),
            0x2 => Op::Call(nnn),
            0x3 => Op::SkipEqImm(x, nn),
            0x4 => Op::SkipNeImm(x, nn),
            0x5 => match n {
                0x0 => Op::SkipEqReg(x, y),
                0x2 => Op::SaveRange(x, y),
                0x3 => Op::LoadRange(x, y),
                _ => Op::Illegal(word),
            },
            0x6 => Op::SetImm(x, nn),
            0x7 => Op::AddImm(x, nn),
            0x8 => match n {
                0x0 => Op::Alu(Alu::Set, x, y),
                0x1 => Op::Alu(Alu::Or, x, y),
                0x2 => Op::Alu(Alu::And, x, y),
                0x3 => Op::Alu(Alu::Xor, x, y),
                0x4 => Op::Alu(Alu::Add, x, y),
                0x5 => Op::Alu(Alu::Sub, x, y),
                0x6 => Op::Alu(Alu::Shr, x, y),
                0x7 => Op::Alu(Alu::SubN, x, y),
                0xE => Op::Alu(Alu::Shl, x, y),
                _ => Op::Illegal(word),
            },
            0x9 if n == 0 => Op::SkipNeReg(x, y),
            0xA => Op::SetI(nnn),
            0xB => Op::JumpOffset(nnn),
            0xC => Op::Random(x, nn),
            0xD => Op::Draw(x, y, n),
            0xE => match nn {
                0x9E => Op::SkipKey(x),
                0xA1 => Op::SkipNotKey(x),
                _ => Op::Illegal(word),
            },
            0xF => match nn {
                0x00 if x == 0 => Op::LongI(next),
                0x01 if x <= 3 => Op::Plane(x),
                0x02 if x == 0 => Op::Audio,
                0x07 => Op::GetDelay(x),
                0x0A => Op::WaitKey(x),
                0x15 => Op::SetDelay(x),
                0x18 => Op::SetSound(x),
                0x1E => Op::AddI(x),
                0x29 => Op::Font(x),
                0x30 => Op::BigFont(x),
                0x33 => Op::Bcd(x),
                0x3A => Op::Pitch(x),
                0x55 => Op::Save(x),
                0x65 => Op::Load(x),
                0x75 => Op::SaveFlags(x),
                0x85 => Op::LoadFlags(x),
                _ => Op::Illegal(word),
            },
            _ => Op::Illegal(word),
        }
    }

    /// Size in bytes: 4 for `F000 NNNN`, else 2.
    pub(crate) fn len(self) -> u16 {
        if matches!(self, Op::LongI(_)) { 4 } else { 2 }
    }

    /// The first platform level that has this instruction.
    pub(crate) fn level(self) -> Level {
        match self {
            Op::ScrollDown(_)
            | Op::ScrollRight
            | Op::ScrollLeft
            | Op::Exit
            | Op::Lores
            | Op::Hires
            | Op::BigFont(_)
            | Op::SaveFlags(_)
            | Op::LoadFlags(_) => Level::Schip,
            Op::ScrollUp(_)
            | Op::SaveRange(..)
            | Op::LoadRange(..)
            | Op::LongI(_)
            | Op::Plane(_)
            | Op::Audio
            | Op::Pitch(_) => Level::XoChip,
            _ => Level::Chip8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_group() {
        let cases = [
            (0x00E0, Op::Clear),
            (0x00EE, Op::Return),
            (0x00C3, Op::ScrollDown(3)),
            (0x00D2, Op::ScrollUp(2)),
            (0x00FB, Op::ScrollRight),
            (0x00FC, Op::ScrollLeft),
            (0x00FD, Op::Exit),
            (0x00FE, Op::Lores),
            (0x00FF, Op::Hires),
            (0x0123, Op::Illegal(0x0123)),
            (0x1234, Op::Jump(0x234)),
            (0x2345, Op::Call(0x345)),
            (0x3A12, Op::SkipEqImm(0xA, 0x12)),
            (0x4B34, Op::SkipNeImm(0xB, 0x34)),
            (0x5120, Op::SkipEqReg(1, 2)),
            (0x5122, Op::SaveRange(1, 2)),
            (0x5123, Op::LoadRange(1, 2)),
            (0x5121, Op::Illegal(0x5121)),
            (0x6C56, Op::SetImm(0xC, 0x56)),
            (0x7D78, Op::AddImm(0xD, 0x78)),
            (0x8120, Op::Alu(Alu::Set, 1, 2)),
            (0x8121, Op::Alu(Alu::Or, 1, 2)),
            (0x8122, Op::Alu(Alu::And, 1, 2)),
            (0x8123, Op::Alu(Alu::Xor, 1, 2)),
            (0x8124, Op::Alu(Alu::Add, 1, 2)),
            (0x8125, Op::Alu(Alu::Sub, 1, 2)),
            (0x8126, Op::Alu(Alu::Shr, 1, 2)),
            (0x8127, Op::Alu(Alu::SubN, 1, 2)),
            (0x812E, Op::Alu(Alu::Shl, 1, 2)),
            (0x8128, Op::Illegal(0x8128)),
            (0x9120, Op::SkipNeReg(1, 2)),
            (0x9121, Op::Illegal(0x9121)),
            (0xA2A0, Op::SetI(0x2A0)),
            (0xB300, Op::JumpOffset(0x300)),
            (0xC10F, Op::Random(1, 0x0F)),
            (0xD125, Op::Draw(1, 2, 5)),
            (0xE39E, Op::SkipKey(3)),
            (0xE3A1, Op::SkipNotKey(3)),
            (0xE3A2, Op::Illegal(0xE3A2)),
            (0xF000, Op::LongI(0xBEEF)),
            (0xF201, Op::Plane(2)),
            (0xF501, Op::Illegal(0xF501)),
            (0xF002, Op::Audio),
            (0xF107, Op::GetDelay(1)),
            (0xF10A, Op::WaitKey(1)),
            (0xF115, Op::SetDelay(1)),
            (0xF118, Op::SetSound(1)),
            (0xF11E, Op::AddI(1)),
            (0xF129, Op::Font(1)),
            (0xF130, Op::BigFont(1)),
            (0xF133, Op::Bcd(1)),
            (0xF13A, Op::Pitch(1)),
            (0xF155, Op::Save(1)),
            (0xF165, Op::Load(1)),
            (0xF175, Op::SaveFlags(1)),
            (0xF185, Op::LoadFlags(1)),
            (0xF1FF, Op::Illegal(0xF1FF)),
        ];
        for (word, op) in cases {
            assert_eq!(Op::decode(word, 0xBEEF), op, "{word:04X}");
        }
        assert_eq!(Op::LongI(0).len(), 4);
        assert_eq!(Op::Clear.len(), 2);
        assert_eq!(Op::Plane(1).level(), Level::XoChip);
        assert_eq!(Op::Hires.level(), Level::Schip);
        assert_eq!(Op::Draw(0, 0, 0).level(), Level::Chip8);
    }
}
