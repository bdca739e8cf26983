//! Branches and jumps to labels: their size depends on the distance, as GNU as decides it
//! (compressed when in reach, inverted branch over a `jal` when out of reach).

use super::encode::{b_imm, cb_imm, cj_imm, fits_signed, j_imm, rd, rs1, rs2};
use super::fixup;
use crate::diag::Loc;
use crate::engine::{Fixup, Relax};
use crate::expr::Expr;

#[derive(Clone, Debug)]
pub enum Shape {
    /// `jal rd, target`.
    Jump { rd: u8 },
    /// `b<cond> rs1, rs2, target` with funct3 `f3`.
    Cond { f3: u32, rs1: u8, rs2: u8 },
}

#[derive(Debug)]
pub struct Branch {
    pub shape: Shape,
    pub target: Expr,
    pub rvc: bool,
    /// An explicit `c.j`/`c.beqz`/`c.bnez`: always 2 bytes.
    pub forced_compressed: bool,
    pub loc: Loc,
}

const RVC_BRANCH_REACH: i64 = 1 << 9;
const RVC_JUMP_REACH: i64 = 1 << 12;
const BRANCH_REACH: i64 = 1 << 13;

fn in_reach(d: i64, reach: i64) -> bool {
    (-reach / 2..reach / 2).contains(&d)
}

impl Branch {
    /// The smallest size, where layout starts.
    pub fn size_hint(&self) -> usize {
        self.size(Some(0))
    }

    /// Whether a compressed form exists for this shape at all.
    fn compressible(&self) -> bool {
        self.rvc
            && match self.shape {
                Shape::Jump { rd } => rd == 0,
                Shape::Cond { f3, rs1, rs2 } => (f3 == 0 || f3 == 1) && rs2 == 0 && (8..16).contains(&rs1),
            }
    }

    fn word(&self, disp: i64) -> u32 {
        match self.shape {
            Shape::Jump { rd: r } => 0x6f | rd(r) | j_imm(disp),
            Shape::Cond { f3, rs1: a, rs2: b } => 0x63 | (f3 << 12) | rs1(a) | rs2(b) | b_imm(disp),
        }
    }

    fn short(&self, disp: i64) -> u16 {
        match self.shape {
            Shape::Jump { .. } => 0xa001 | cj_imm(disp),
            Shape::Cond { f3, rs1, .. } => {
                (if f3 == 0 { 0xc001 } else { 0xe001 }) | (((rs1 as u16 - 8) & 7) << 7) | cb_imm(disp)
            }
        }
    }

    fn inverted(&self) -> Branch {
        let shape = match self.shape {
            Shape::Cond { f3, rs1, rs2 } => Shape::Cond { f3: f3 ^ 1, rs1, rs2 },
            ref s => s.clone(),
        };
        Branch { shape, target: Expr::Num(0), rvc: self.rvc, forced_compressed: false, loc: self.loc }
    }

    fn fixup(&self, offset: usize, kind: u32) -> Fixup {
        Fixup { offset, kind, expr: self.target.clone(), loc: self.loc }
    }
}

impl Relax for Branch {
    fn target(&self) -> &Expr {
        &self.target
    }

    fn size(&self, disp: Option<i64>) -> usize {
        if self.forced_compressed {
            return 2;
        }
        let jump = matches!(self.shape, Shape::Jump { .. });
        let Some(d) = disp else { return if jump { 4 } else { 8 } };
        let rvc_reach = if jump { RVC_JUMP_REACH } else { RVC_BRANCH_REACH };
        if self.compressible() && in_reach(d, rvc_reach) {
            2
        } else if jump || in_reach(d, BRANCH_REACH) {
            4
        } else if self.compressible() {
            6
        } else {
            8
        }
    }

    fn encode(&self, disp: Option<i64>, size: usize) -> (Vec<u8>, Vec<Fixup>) {
        let jump = matches!(self.shape, Shape::Jump { .. });
        match (size, disp) {
            (2, Some(d)) if fits_signed(d, if jump { 12 } else { 9 }) => (self.short(d).to_le_bytes().to_vec(), vec![]),
            (2, _) => {
                let kind = if jump { fixup::RVC_JUMP } else { fixup::RVC_BRANCH };
                (self.short(0).to_le_bytes().to_vec(), vec![self.fixup(0, kind)])
            }
            (4, Some(d)) if fits_signed(d, if jump { 21 } else { 13 }) => {
                (self.word(d).to_le_bytes().to_vec(), vec![])
            }
            (4, _) => {
                let kind = if jump { fixup::JAL } else { fixup::BRANCH };
                (self.word(0).to_le_bytes().to_vec(), vec![self.fixup(0, kind)])
            }
            _ => {
                // Inverted branch over a `jal zero, target`.
                let inv = self.inverted();
                let skip = if size == 6 {
                    inv.short(6).to_le_bytes().to_vec()
                } else {
                    inv.word(8).to_le_bytes().to_vec()
                };
                let mut bytes = skip;
                let at = bytes.len();
                let jal = Branch { shape: Shape::Jump { rd: 0 }, ..inv };
                match disp {
                    Some(d) if fits_signed(d.wrapping_sub(at as i64), 21) => {
                        bytes.extend_from_slice(&jal.word(d.wrapping_sub(at as i64)).to_le_bytes());
                        (bytes, vec![])
                    }
                    _ => {
                        bytes.extend_from_slice(&jal.word(0).to_le_bytes());
                        (bytes, vec![self.fixup(at, fixup::JAL)])
                    }
                }
            }
        }
    }
}
