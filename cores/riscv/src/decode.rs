//! Decoding of 32-bit and compressed encodings into [`Instr`]. Pure functions of the bits
//! and the register width, so the interpreter can cache the result per address.

use crate::instr::{Instr, Op};

/// Register width of the hart, which changes what some encodings mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Xlen {
    X32,
    X64,
}

/// Length in bytes of the instruction whose first halfword is `lo`.
pub fn instr_len(lo: u16) -> u8 {
    if lo & 3 == 3 { 4 } else { 2 }
}

/// Decode one instruction. `bits` holds the 16 or 32 bits (the upper half is ignored for
/// compressed encodings).
pub fn decode(bits: u32, xlen: Xlen) -> Instr {
    let mut i = if bits & 3 == 3 { decode32(bits, xlen) } else { decode16(bits as u16, xlen) };
    if i.op == Op::Illegal {
        i.imm = if bits & 3 == 3 { bits as i32 } else { (bits & 0xffff) as i32 };
        i.len = if bits & 3 == 3 { 4 } else { 2 };
    } else if i.rd == 0 && Instr::writes_xreg(i.op) {
        i.rd = 32;
    }
    i
}

fn illegal() -> Instr {
    Instr::new(Op::Illegal, 4)
}

fn r(op: Op, bits: u32) -> Instr {
    Instr {
        op,
        rd: ((bits >> 7) & 31) as u8,
        rs1: ((bits >> 15) & 31) as u8,
        rs2: ((bits >> 20) & 31) as u8,
        rs3: (bits >> 27) as u8,
        rm: ((bits >> 12) & 7) as u8,
        len: 4,
        imm: 0,
    }
}

fn with_imm(mut i: Instr, imm: i32) -> Instr {
    i.imm = imm;
    i
}

fn imm_i(bits: u32) -> i32 {
    (bits as i32) >> 20
}
fn imm_s(bits: u32) -> i32 {
    ((bits as i32) >> 25) << 5 | ((bits >> 7) & 0x1f) as i32
}
fn imm_b(bits: u32) -> i32 {
    ((bits as i32) >> 31) << 12
        | (((bits >> 7) & 1) << 11) as i32
        | (((bits >> 25) & 0x3f) << 5) as i32
        | (((bits >> 8) & 0xf) << 1) as i32
}
fn imm_u(bits: u32) -> i32 {
    (bits & 0xffff_f000) as i32
}
fn imm_j(bits: u32) -> i32 {
    ((bits as i32) >> 31) << 20
        | (bits & 0x000f_f000) as i32
        | (((bits >> 20) & 1) << 11) as i32
        | (((bits >> 21) & 0x3ff) << 1) as i32
}

fn decode32(bits: u32, xlen: Xlen) -> Instr {
    use Op::*;
    let rv64 = xlen == Xlen::X64;
    let f3 = (bits >> 12) & 7;
    let f7 = bits >> 25;
    let rs2 = (bits >> 20) & 31;
    match bits & 0x7f {
        0x37 => with_imm(r(Lui, bits), imm_u(bits)),
        0x17 => with_imm(r(Auipc, bits), imm_u(bits)),
        0x6f => with_imm(r(Jal, bits), imm_j(bits)),
        0x67 if f3 == 0 => with_imm(r(Jalr, bits), imm_i(bits)),
        0x63 => {
            let op = match f3 {
                0 => Beq,
                1 => Bne,
                4 => Blt,
                5 => Bge,
                6 => Bltu,
                7 => Bgeu,
                _ => return illegal(),
            };
            with_imm(r(op, bits), imm_b(bits))
        }
        0x03 => {
            let op = match (f3, rv64) {
                (0, _) => Lb,
                (1, _) => Lh,
                (2, _) => Lw,
                (3, true) => Ld,
                (4, _) => Lbu,
                (5, _) => Lhu,
                (6, true) => Lwu,
                _ => return illegal(),
            };
            with_imm(r(op, bits), imm_i(bits))
        }
        0x23 => {
            let op = match (f3, rv64) {
                (0, _) => Sb,
                (1, _) => Sh,
                (2, _) => Sw,
                (3, true) => Sd,
                _ => return illegal(),
            };
            with_imm(r(op, bits), imm_s(bits))
        }
        0x13 => {
            let imm = imm_i(bits);
            let shamt_bits = if rv64 { 0x3f } else { 0x1f };
            let shamt = (bits >> 20) & 0x3f;
            let funct6 = bits >> 26;
            let shift = |op: Op, op32: Op, arith: bool| {
                let want = if arith { 0x10 } else { 0 };
                if funct6 != want || shamt & !shamt_bits != 0 {
                    illegal()
                } else {
                    with_imm(r(if rv64 { op } else { op32 }, bits), shamt as i32)
                }
            };
            match f3 {
                0 => with_imm(r(if rv64 { Addi } else { Addiw }, bits), imm),
                1 => shift(Slli, Slliw, false),
                2 => with_imm(r(Slti, bits), imm),
                3 => with_imm(r(Sltiu, bits), imm),
                4 => with_imm(r(Xori, bits), imm),
                5 if funct6 == 0x10 => shift(Srai, Sraiw, true),
                5 => shift(Srli, Srliw, false),
                6 => with_imm(r(Ori, bits), imm),
                _ => with_imm(r(Andi, bits), imm),
            }
        }
        0x1b if rv64 => {
            let shamt = rs2 as i32;
            match (f3, f7) {
                (0, _) => with_imm(r(Addiw, bits), imm_i(bits)),
                (1, 0) => with_imm(r(Slliw, bits), shamt),
                (5, 0) => with_imm(r(Srliw, bits), shamt),
                (5, 0x20) => with_imm(r(Sraiw, bits), shamt),
                _ => illegal(),
            }
        }
        0x33 => {
            let op = match (f7, f3) {
                (0, 0) => if rv64 { Add } else { Addw },
                (0x20, 0) => if rv64 { Sub } else { Subw },
                (0, 1) => if rv64 { Sll } else { Sllw },
                (0, 2) => Slt,
                (0, 3) => Sltu,
                (0, 4) => Xor,
                (0, 5) => if rv64 { Srl } else { Srlw },
                (0x20, 5) => if rv64 { Sra } else { Sraw },
                (0, 6) => Or,
                (0, 7) => And,
                (1, 0) => if rv64 { Mul } else { Mulw },
                (1, 1) => if rv64 { Mulh } else { Mulh32 },
                (1, 2) => if rv64 { Mulhsu } else { Mulhsu32 },
                (1, 3) => if rv64 { Mulhu } else { Mulhu32 },
                (1, 4) => if rv64 { Div } else { Divw },
                (1, 5) => if rv64 { Divu } else { Divuw },
                (1, 6) => if rv64 { Rem } else { Remw },
                (1, 7) => if rv64 { Remu } else { Remuw },
                _ => return illegal(),
            };
            r(op, bits)
        }
        0x3b if rv64 => {
            let op = match (f7, f3) {
                (0, 0) => Addw,
                (0x20, 0) => Subw,
                (0, 1) => Sllw,
                (0, 5) => Srlw,
                (0x20, 5) => Sraw,
                (1, 0) => Mulw,
                (1, 4) => Divw,
                (1, 5) => Divuw,
                (1, 6) => Remw,
                (1, 7) => Remuw,
                _ => return illegal(),
            };
            r(op, bits)
        }
        0x0f => match f3 {
            0 => with_imm(r(Fence, bits), ((bits >> 20) & 0xff) as i32),
            1 => r(FenceI, bits),
            _ => illegal(),
        },
        0x73 => decode_system(bits),
        0x2f => decode_amo(bits, rv64),
        0x07 => match f3 {
            2 => with_imm(r(Flw, bits), imm_i(bits)),
            3 => with_imm(r(Fld, bits), imm_i(bits)),
            _ => illegal(),
        },
        0x27 => match f3 {
            2 => with_imm(r(Fsw, bits), imm_s(bits)),
            3 => with_imm(r(Fsd, bits), imm_s(bits)),
            _ => illegal(),
        },
        0x43 | 0x47 | 0x4b | 0x4f => {
            let double = match (bits >> 25) & 3 {
                0 => false,
                1 => true,
                _ => return illegal(),
            };
            let op = match ((bits >> 2) & 3, double) {
                (0, false) => FmaddS,
                (1, false) => FmsubS,
                (2, false) => FnmsubS,
                (3, false) => FnmaddS,
                (0, true) => FmaddD,
                (1, true) => FmsubD,
                (2, true) => FnmsubD,
                _ => FnmaddD,
            };
            r(op, bits)
        }
        0x53 => decode_fp(bits, rv64),
        _ => illegal(),
    }
}

fn decode_system(bits: u32) -> Instr {
    use Op::*;
    let f3 = (bits >> 12) & 7;
    let csr = (bits >> 20) as i32;
    match f3 {
        0 => match bits {
            0x0000_0073 => r(Ecall, bits),
            0x0010_0073 => r(Ebreak, bits),
            0x3020_0073 => r(Mret, bits),
            0x1020_0073 => r(Sret, bits),
            0x1050_0073 => r(Wfi, bits),
            _ if bits >> 25 == 0x09 && (bits >> 7) & 31 == 0 => r(SfenceVma, bits),
            _ => illegal(),
        },
        1 => with_imm(r(Csrrw, bits), csr),
        2 => with_imm(r(Csrrs, bits), csr),
        3 => with_imm(r(Csrrc, bits), csr),
        5 => with_imm(r(Csrrwi, bits), csr),
        6 => with_imm(r(Csrrsi, bits), csr),
        7 => with_imm(r(Csrrci, bits), csr),
        _ => illegal(),
    }
}

fn decode_amo(bits: u32, rv64: bool) -> Instr {
    use Op::*;
    let f3 = (bits >> 12) & 7;
    let funct5 = bits >> 27;
    let double = match (f3, rv64) {
        (2, _) => false,
        (3, true) => true,
        _ => return illegal(),
    };
    let op = match (funct5, double) {
        (0x02, false) => LrW,
        (0x03, false) => ScW,
        (0x01, false) => AmoswapW,
        (0x00, false) => AmoaddW,
        (0x04, false) => AmoxorW,
        (0x0c, false) => AmoandW,
        (0x08, false) => AmoorW,
        (0x10, false) => AmominW,
        (0x14, false) => AmomaxW,
        (0x18, false) => AmominuW,
        (0x1c, false) => AmomaxuW,
        (0x02, true) => LrD,
        (0x03, true) => ScD,
        (0x01, true) => AmoswapD,
        (0x00, true) => AmoaddD,
        (0x04, true) => AmoxorD,
        (0x0c, true) => AmoandD,
        (0x08, true) => AmoorD,
        (0x10, true) => AmominD,
        (0x14, true) => AmomaxD,
        (0x18, true) => AmominuD,
        (0x1c, true) => AmomaxuD,
        _ => return illegal(),
    };
    if matches!(op, LrW | LrD) && (bits >> 20) & 31 != 0 {
        return illegal();
    }
    let mut i = r(op, bits);
    i.rm = ((bits >> 25) & 3) as u8;
    i
}

fn decode_fp(bits: u32, rv64: bool) -> Instr {
    use Op::*;
    let f3 = (bits >> 12) & 7;
    let f7 = bits >> 25;
    let rs2 = (bits >> 20) & 31;
    let op = match f7 {
        0x00 => FaddS,
        0x01 => FaddD,
        0x04 => FsubS,
        0x05 => FsubD,
        0x08 => FmulS,
        0x09 => FmulD,
        0x0c => FdivS,
        0x0d => FdivD,
        0x2c if rs2 == 0 => FsqrtS,
        0x2d if rs2 == 0 => FsqrtD,
        0x10 | 0x11 => match (f3, f7 & 1 == 1) {
            (0, false) => FsgnjS,
            (1, false) => FsgnjnS,
            (2, false) => FsgnjxS,
            (0, true) => FsgnjD,
            (1, true) => FsgnjnD,
            (2, true) => FsgnjxD,
            _ => return illegal(),
        },
        0x14 | 0x15 => match (f3, f7 & 1 == 1) {
            (0, false) => FminS,
            (1, false) => FmaxS,
            (0, true) => FminD,
            (1, true) => FmaxD,
            _ => return illegal(),
        },
        0x20 if rs2 == 1 => FcvtSD,
        0x21 if rs2 == 0 => FcvtDS,
        0x50 | 0x51 => match (f3, f7 & 1 == 1) {
            (0, false) => FleS,
            (1, false) => FltS,
            (2, false) => FeqS,
            (0, true) => FleD,
            (1, true) => FltD,
            (2, true) => FeqD,
            _ => return illegal(),
        },
        0x60 | 0x61 => match (rs2, f7 & 1 == 1, rv64) {
            (0, false, _) => FcvtWS,
            (1, false, _) => FcvtWuS,
            (2, false, true) => FcvtLS,
            (3, false, true) => FcvtLuS,
            (0, true, _) => FcvtWD,
            (1, true, _) => FcvtWuD,
            (2, true, true) => FcvtLD,
            (3, true, true) => FcvtLuD,
            _ => return illegal(),
        },
        0x68 | 0x69 => match (rs2, f7 & 1 == 1, rv64) {
            (0, false, _) => FcvtSW,
            (1, false, _) => FcvtSWu,
            (2, false, true) => FcvtSL,
            (3, false, true) => FcvtSLu,
            (0, true, _) => FcvtDW,
            (1, true, _) => FcvtDWu,
            (2, true, true) => FcvtDL,
            (3, true, true) => FcvtDLu,
            _ => return illegal(),
        },
        0x70 if rs2 == 0 && f3 == 0 => FmvXW,
        0x70 if rs2 == 0 && f3 == 1 => FclassS,
        0x71 if rs2 == 0 && f3 == 0 && rv64 => FmvXD,
        0x71 if rs2 == 0 && f3 == 1 => FclassD,
        0x78 if rs2 == 0 && f3 == 0 => FmvWX,
        0x79 if rs2 == 0 && f3 == 0 && rv64 => FmvDX,
        _ => return illegal(),
    };
    r(op, bits)
}

// ---- compressed ----

fn bit(h: u16, n: u32) -> u32 {
    ((h >> n) & 1) as u32
}
fn field(h: u16, hi: u32, lo: u32) -> u32 {
    ((h >> lo) as u32) & ((1 << (hi - lo + 1)) - 1)
}
fn sext(v: u32, bits: u32) -> i32 {
    ((v << (32 - bits)) as i32) >> (32 - bits)
}

fn c(op: Op, rd: u32, rs1: u32, rs2: u32, imm: i32) -> Instr {
    Instr { op, rd: rd as u8, rs1: rs1 as u8, rs2: rs2 as u8, rs3: 0, rm: 7, len: 2, imm }
}

fn decode16(h: u16, xlen: Xlen) -> Instr {
    use Op::*;
    let rv64 = xlen == Xlen::X64;
    let f3 = field(h, 15, 13);
    let rd = field(h, 11, 7);
    let rs2 = field(h, 6, 2);
    let rdp = field(h, 4, 2) + 8;
    let rs1p = field(h, 9, 7) + 8;
    // Offsets of the register-based loads and stores, word and double sized.
    let off_w = field(h, 12, 10) << 3 | bit(h, 6) << 2 | bit(h, 5) << 6;
    let off_d = field(h, 12, 10) << 3 | field(h, 6, 5) << 6;
    let imm6 = sext(bit(h, 12) << 5 | field(h, 6, 2), 6);
    let shamt = bit(h, 12) << 5 | field(h, 6, 2);
    let ill = Instr::new(Illegal, 2);
    match (h & 3, f3) {
        (0, 0) => {
            let imm = field(h, 12, 11) << 4 | field(h, 10, 7) << 6 | bit(h, 6) << 2 | bit(h, 5) << 3;
            if imm == 0 { ill } else { c(Addi, rdp, 2, 0, imm as i32) }
        }
        (0, 1) => c(Fld, rdp, rs1p, 0, off_d as i32),
        (0, 2) => c(Lw, rdp, rs1p, 0, off_w as i32),
        (0, 3) if rv64 => c(Ld, rdp, rs1p, 0, off_d as i32),
        (0, 3) => c(Flw, rdp, rs1p, 0, off_w as i32),
        (0, 5) => c(Fsd, 0, rs1p, rdp, off_d as i32),
        (0, 6) => c(Sw, 0, rs1p, rdp, off_w as i32),
        (0, 7) if rv64 => c(Sd, 0, rs1p, rdp, off_d as i32),
        (0, 7) => c(Fsw, 0, rs1p, rdp, off_w as i32),
        (1, 0) => c(if rv64 { Addi } else { Addiw }, rd, rd, 0, imm6),
        (1, 1) if rv64 => if rd == 0 { ill } else { c(Addiw, rd, rd, 0, imm6) },
        (1, 1) | (1, 5) => {
            let imm = bit(h, 12) << 11
                | bit(h, 11) << 4
                | field(h, 10, 9) << 8
                | bit(h, 8) << 10
                | bit(h, 7) << 6
                | bit(h, 6) << 7
                | field(h, 5, 3) << 1
                | bit(h, 2) << 5;
            c(Jal, if f3 == 1 { 1 } else { 0 }, 0, 0, sext(imm, 12))
        }
        (1, 2) => c(if rv64 { Addi } else { Addiw }, rd, 0, 0, imm6),
        (1, 3) if rd == 2 => {
            let imm = bit(h, 12) << 9 | bit(h, 6) << 4 | bit(h, 5) << 6 | field(h, 4, 3) << 7 | bit(h, 2) << 5;
            if imm == 0 { ill } else { c(if rv64 { Addi } else { Addiw }, 2, 2, 0, sext(imm, 10)) }
        }
        (1, 3) => {
            if imm6 == 0 { ill } else { c(Lui, rd, 0, 0, imm6 << 12) }
        }
        (1, 4) => {
            let rd = rs1p;
            match field(h, 11, 10) {
                0 | 1 if !rv64 && bit(h, 12) == 1 => ill,
                0 => c(if rv64 { Srli } else { Srliw }, rd, rd, 0, shamt as i32),
                1 => c(if rv64 { Srai } else { Sraiw }, rd, rd, 0, shamt as i32),
                2 => c(Andi, rd, rd, 0, imm6),
                _ => match (bit(h, 12), field(h, 6, 5)) {
                    (0, 0) => c(if rv64 { Sub } else { Subw }, rd, rd, rdp, 0),
                    (0, 1) => c(Xor, rd, rd, rdp, 0),
                    (0, 2) => c(Or, rd, rd, rdp, 0),
                    (0, 3) => c(And, rd, rd, rdp, 0),
                    (1, 0) if rv64 => c(Subw, rd, rd, rdp, 0),
                    (1, 1) if rv64 => c(Addw, rd, rd, rdp, 0),
                    _ => ill,
                },
            }
        }
        (1, 6) | (1, 7) => {
            let imm = bit(h, 12) << 8 | field(h, 11, 10) << 3 | field(h, 6, 5) << 6 | field(h, 4, 3) << 1 | bit(h, 2) << 5;
            c(if f3 == 6 { Beq } else { Bne }, 0, rs1p, 0, sext(imm, 9))
        }
        (2, 0) => {
            if !rv64 && bit(h, 12) == 1 { ill } else { c(if rv64 { Slli } else { Slliw }, rd, rd, 0, shamt as i32) }
        }
        (2, 1) => c(Fld, rd, 2, 0, (bit(h, 12) << 5 | field(h, 6, 5) << 3 | field(h, 4, 2) << 6) as i32),
        (2, 2) => {
            if rd == 0 { ill } else { c(Lw, rd, 2, 0, (bit(h, 12) << 5 | field(h, 6, 4) << 2 | field(h, 3, 2) << 6) as i32) }
        }
        (2, 3) if rv64 => {
            if rd == 0 { ill } else { c(Ld, rd, 2, 0, (bit(h, 12) << 5 | field(h, 6, 5) << 3 | field(h, 4, 2) << 6) as i32) }
        }
        (2, 3) => c(Flw, rd, 2, 0, (bit(h, 12) << 5 | field(h, 6, 4) << 2 | field(h, 3, 2) << 6) as i32),
        (2, 4) => match (bit(h, 12), rd, rs2) {
            (0, 0, 0) => ill,
            (0, _, 0) => c(Jalr, 0, rd, 0, 0),
            (0, _, _) => c(if rv64 { Add } else { Addw }, rd, 0, rs2, 0),
            (1, 0, 0) => c(Ebreak, 0, 0, 0, 0),
            (1, _, 0) => c(Jalr, 1, rd, 0, 0),
            _ => c(if rv64 { Add } else { Addw }, rd, rd, rs2, 0),
        },
        (2, 5) => c(Fsd, 0, 2, rs2, (field(h, 12, 10) << 3 | field(h, 9, 7) << 6) as i32),
        (2, 6) => c(Sw, 0, 2, rs2, (field(h, 12, 9) << 2 | field(h, 8, 7) << 6) as i32),
        (2, 7) if rv64 => c(Sd, 0, 2, rs2, (field(h, 12, 10) << 3 | field(h, 9, 7) << 6) as i32),
        (2, 7) => c(Fsw, 0, 2, rs2, (field(h, 12, 9) << 2 | field(h, 8, 7) << 6) as i32),
        _ => ill,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base_forms() {
        // addi a0, a0, -1
        let i = decode(0xfff5_0513, Xlen::X64);
        assert_eq!((i.op, i.rd, i.rs1, i.imm, i.len), (Op::Addi, 10, 10, -1, 4));
        // c.li a0, 5 => addi a0, zero, 5
        let i = decode(0x4515, Xlen::X64);
        assert_eq!((i.op, i.rd, i.rs1, i.imm, i.len), (Op::Addi, 10, 0, 5, 2));
        // add zero, a0, a1 writes the scratch register
        let i = decode(0x00b5_0033, Xlen::X64);
        assert_eq!((i.op, i.rd, i.rd()), (Op::Add, 32, 0));
        // an all-zero halfword is illegal
        assert_eq!(decode(0, Xlen::X64).op, Op::Illegal);
        // RV32 has no ld
        assert_eq!(decode(0x0005_3503, Xlen::X32).op, Op::Illegal);
    }
}
