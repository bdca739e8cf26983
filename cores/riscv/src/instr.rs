//! The one decoded instruction type shared by the interpreter and the disassembler.

/// Operation of a decoded instruction. RV32 programs reuse the `*w` operations for the
/// plain ones (on RV32 `add` behaves as `addw` on sign-extended registers), and the
/// disassembler prints them without the `w` when the hart is 32-bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum Op {
    /// Not decoded yet (an empty slot of the decode cache).
    Invalid,
    /// Not a valid instruction; `imm` holds the raw bits.
    Illegal,
    // RV64I
    Lui, Auipc, Jal, Jalr,
    Beq, Bne, Blt, Bge, Bltu, Bgeu,
    Lb, Lh, Lw, Ld, Lbu, Lhu, Lwu,
    Sb, Sh, Sw, Sd,
    Addi, Slti, Sltiu, Xori, Ori, Andi, Slli, Srli, Srai,
    Add, Sub, Sll, Slt, Sltu, Xor, Srl, Sra, Or, And,
    Addiw, Slliw, Srliw, Sraiw, Addw, Subw, Sllw, Srlw, Sraw,
    Fence, FenceI, Ecall, Ebreak,
    // Zicsr
    Csrrw, Csrrs, Csrrc, Csrrwi, Csrrsi, Csrrci,
    // Privileged
    Mret, Sret, Wfi, SfenceVma,
    // M
    Mul, Mulh, Mulhsu, Mulhu, Div, Divu, Rem, Remu,
    Mulw, Divw, Divuw, Remw, Remuw,
    /// RV32 forms of the high multiplies.
    Mulh32, Mulhsu32, Mulhu32,
    // A
    LrW, ScW, AmoswapW, AmoaddW, AmoxorW, AmoandW, AmoorW, AmominW, AmomaxW, AmominuW, AmomaxuW,
    LrD, ScD, AmoswapD, AmoaddD, AmoxorD, AmoandD, AmoorD, AmominD, AmomaxD, AmominuD, AmomaxuD,
    // F
    Flw, Fsw, FmaddS, FmsubS, FnmsubS, FnmaddS, FaddS, FsubS, FmulS, FdivS, FsqrtS,
    FsgnjS, FsgnjnS, FsgnjxS, FminS, FmaxS, FcvtWS, FcvtWuS, FcvtLS, FcvtLuS,
    FmvXW, FeqS, FltS, FleS, FclassS, FcvtSW, FcvtSWu, FcvtSL, FcvtSLu, FmvWX,
    // D
    Fld, Fsd, FmaddD, FmsubD, FnmsubD, FnmaddD, FaddD, FsubD, FmulD, FdivD, FsqrtD,
    FsgnjD, FsgnjnD, FsgnjxD, FminD, FmaxD, FcvtWD, FcvtWuD, FcvtLD, FcvtLuD,
    FmvXD, FeqD, FltD, FleD, FclassD, FcvtDW, FcvtDWu, FcvtDL, FcvtDLu, FmvDX,
    FcvtSD, FcvtDS,
}

/// A decoded instruction: operation, operands and encoded length.
///
/// `rd` is 32 (a scratch register that is never read) when an integer destination is `x0`,
/// so the interpreter writes without a branch; [`Instr::rd`] gives the architectural number.
/// `rm` is the rounding-mode field for floating point, the `aq`/`rl` bits (aq=2, rl=1) for
/// atomics, and the fence's pred/succ for `fence`. `imm` is the sign-extended immediate,
/// the CSR number for Zicsr, the shift amount for shifts, or the raw bits when illegal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Eight-byte alignment lets a decoded instruction move as two whole words (a copy through
// mixed-width stores stalls store forwarding in the exact interpreter's loop).
#[repr(C, align(8))]
pub struct Instr {
    pub op: Op,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    pub rs3: u8,
    pub rm: u8,
    /// 2 for compressed, 4 otherwise.
    pub len: u8,
    pub imm: i32,
}

impl Instr {
    /// The empty decode-cache slot.
    pub const INVALID: Instr = Instr { op: Op::Invalid, rd: 0, rs1: 0, rs2: 0, rs3: 0, rm: 0, len: 0, imm: 0 };

    pub(crate) fn new(op: Op, len: u8) -> Instr {
        Instr { op, rd: 0, rs1: 0, rs2: 0, rs3: 0, rm: 0, len, imm: 0 }
    }

    /// The architectural destination register number (0..=31).
    pub fn rd(&self) -> u8 {
        self.rd & 31
    }

    /// True when `rd` names an integer register (as opposed to a float one or none).
    pub fn writes_xreg(op: Op) -> bool {
        use Op::*;
        !matches!(
            op,
            Invalid | Illegal | Beq | Bne | Blt | Bge | Bltu | Bgeu | Sb | Sh | Sw | Sd | Fence
                | FenceI | Ecall | Ebreak | Mret | Sret | Wfi | SfenceVma | Flw | Fsw | Fld | Fsd
        ) && !Self::writes_freg(op)
    }

    /// True when `rd` names a float register.
    pub fn writes_freg(op: Op) -> bool {
        use Op::*;
        matches!(
            op,
            Flw | Fld | FmaddS | FmsubS | FnmsubS | FnmaddS | FaddS | FsubS | FmulS | FdivS
                | FsqrtS | FsgnjS | FsgnjnS | FsgnjxS | FminS | FmaxS | FcvtSW | FcvtSWu
                | FcvtSL | FcvtSLu | FmvWX | FmaddD | FmsubD | FnmsubD | FnmaddD | FaddD | FsubD
                | FmulD | FdivD | FsqrtD | FsgnjD | FsgnjnD | FsgnjxD | FminD | FmaxD | FcvtDW
                | FcvtDWu | FcvtDL | FcvtDLu | FmvDX | FcvtSD | FcvtDS
        )
    }
}
