//! Bit-level encoding: immediates into instruction words, and the choice of a compressed
//! form for a finished 32-bit instruction (the forms GNU as picks, in its order).

pub fn rd(r: u8) -> u32 {
    (r as u32 & 31) << 7
}
pub fn rs1(r: u8) -> u32 {
    (r as u32 & 31) << 15
}
pub fn rs2(r: u8) -> u32 {
    (r as u32 & 31) << 20
}
pub fn rs3(r: u8) -> u32 {
    (r as u32 & 31) << 27
}

pub fn i_imm(v: i64) -> u32 {
    ((v as u32) & 0xfff) << 20
}
pub fn s_imm(v: i64) -> u32 {
    let v = v as u32;
    ((v & 0xfe0) << 20) | ((v & 0x1f) << 7)
}
pub fn b_imm(v: i64) -> u32 {
    let v = v as u32;
    (((v >> 12) & 1) << 31) | (((v >> 5) & 0x3f) << 25) | (((v >> 1) & 0xf) << 8) | (((v >> 11) & 1) << 7)
}
pub fn u_imm(v: i64) -> u32 {
    ((v as u32) & 0xfffff) << 12
}
pub fn j_imm(v: i64) -> u32 {
    let v = v as u32;
    (((v >> 20) & 1) << 31) | (((v >> 1) & 0x3ff) << 21) | (((v >> 11) & 1) << 20) | (((v >> 12) & 0xff) << 12)
}

/// `c.j` offset field.
pub fn cj_imm(v: i64) -> u16 {
    let v = v as u32;
    let bits = (((v >> 11) & 1) << 12)
        | (((v >> 4) & 1) << 11)
        | (((v >> 8) & 3) << 9)
        | (((v >> 10) & 1) << 8)
        | (((v >> 6) & 1) << 7)
        | (((v >> 7) & 1) << 6)
        | (((v >> 1) & 7) << 3)
        | (((v >> 5) & 1) << 2);
    bits as u16
}

/// `c.beqz`/`c.bnez` offset field.
pub fn cb_imm(v: i64) -> u16 {
    let v = v as u32;
    let bits = (((v >> 8) & 1) << 12)
        | (((v >> 3) & 3) << 10)
        | (((v >> 6) & 3) << 5)
        | (((v >> 1) & 3) << 3)
        | (((v >> 5) & 1) << 2);
    bits as u16
}

/// The upper 20 bits of `v` as `lui`/`auipc` take them (rounded for the signed low part).
pub fn hi20(v: i64) -> i64 {
    ((v.wrapping_add(0x800)) >> 12) & 0xfffff
}
/// The signed low 12 bits that complete [`hi20`].
pub fn lo12(v: i64) -> i64 {
    ((v & 0xfff) ^ 0x800) - 0x800
}

pub fn fits_signed(v: i64, bits: u32) -> bool {
    let half = 1i64 << (bits - 1);
    (-half..half).contains(&v)
}

fn is_c_reg(r: u32) -> bool {
    (8..16).contains(&r)
}

/// The compressed form of `w`, if RVC has one GNU as would choose.
pub fn compress(w: u32) -> Option<u16> {
    let op = w & 0x7f;
    let rd = (w >> 7) & 31;
    let f3 = (w >> 12) & 7;
    let rs1 = (w >> 15) & 31;
    let rs2 = (w >> 20) & 31;
    let f7 = w >> 25;
    let imm_i = ((w as i32) >> 20) as i64;
    let imm_s = ((((w as i32) >> 25) << 5) as i64) | rd as i64;
    let c3 = |r: u32| (r - 8) & 7;
    let ci = |funct3: u32, r: u32, imm: i64, quad: u32| -> u16 {
        ((funct3 << 13) | ((((imm >> 5) & 1) as u32) << 12) | (r << 7) | (((imm & 31) as u32) << 2) | quad)
            as u16
    };
    match (op, f3) {
        // addi
        (0x13, 0) => {
            if rd == 0 && rs1 == 0 && imm_i == 0 {
                return Some(0x0001);
            }
            if rs1 == 2 && is_c_reg(rd) && imm_i > 0 && imm_i < 1024 && imm_i % 4 == 0 {
                let u = imm_i as u32;
                let bits = (((u >> 4) & 3) << 11) | (((u >> 6) & 15) << 7) | (((u >> 2) & 1) << 6) | (((u >> 3) & 1) << 5);
                return Some((bits | (c3(rd) << 2)) as u16);
            }
            if rd == rs1 && rd != 0 && imm_i != 0 && fits_signed(imm_i, 6) {
                return Some(ci(0, rd, imm_i, 1));
            }
            if rd == 2 && rs1 == 2 && imm_i != 0 && imm_i % 16 == 0 && fits_signed(imm_i, 10) {
                let u = imm_i as u32;
                let bits = (3 << 13)
                    | (((u >> 9) & 1) << 12)
                    | (2 << 7)
                    | (((u >> 4) & 1) << 6)
                    | (((u >> 6) & 1) << 5)
                    | (((u >> 7) & 3) << 3)
                    | (((u >> 5) & 1) << 2)
                    | 1;
                return Some(bits as u16);
            }
            if rd != 0 && rs1 == 0 && fits_signed(imm_i, 6) {
                return Some(ci(2, rd, imm_i, 1));
            }
            if rd != 0 && rs1 != 0 && imm_i == 0 {
                return Some(((4 << 13) | (rd << 7) | (rs1 << 2) | 2) as u16);
            }
            None
        }
        // addiw
        (0x1b, 0) if rd == rs1 && rd != 0 && fits_signed(imm_i, 6) => Some(ci(1, rd, imm_i, 1)),
        // lui
        (0x37, _) if rd != 0 && rd != 2 => {
            let imm = ((w >> 12) as i64) << 44 >> 44;
            (imm != 0 && fits_signed(imm, 6)).then(|| ci(3, rd, imm, 1))
        }
        // slli / srli / srai
        (0x13, 1) if f7 >> 1 == 0 && rd == rs1 && rd != 0 => {
            let sh = ((w >> 20) & 63) as i64;
            (sh != 0).then(|| ci(0, rd, sh, 2))
        }
        (0x13, 5) if rd == rs1 && is_c_reg(rd) && (f7 >> 1 == 0 || f7 >> 1 == 0x10) => {
            let sh = ((w >> 20) & 63) as i64;
            let kind = if f7 >> 1 == 0 { 0 } else { 1 };
            (sh != 0).then(|| ((4 << 13) | (((sh >> 5) as u32 & 1) << 12) | (kind << 10) | (c3(rd) << 7) | ((sh as u32 & 31) << 2) | 1) as u16)
        }
        // andi
        (0x13, 7) if rd == rs1 && is_c_reg(rd) && fits_signed(imm_i, 6) => Some(
            ((4 << 13) | ((((imm_i >> 5) & 1) as u32) << 12) | (2 << 10) | (c3(rd) << 7) | (((imm_i & 31) as u32) << 2) | 1) as u16,
        ),
        // add
        (0x33, 0) if f7 == 0 && rd != 0 => {
            if rs1 == 0 && rs2 != 0 {
                return Some(((4 << 13) | (rd << 7) | (rs2 << 2) | 2) as u16);
            }
            if rd == rs1 && rs2 != 0 {
                return Some(((4 << 13) | (1 << 12) | (rd << 7) | (rs2 << 2) | 2) as u16);
            }
            if rd == rs2 && rs1 != 0 {
                return Some(((4 << 13) | (1 << 12) | (rd << 7) | (rs1 << 2) | 2) as u16);
            }
            None
        }
        // sub xor or and subw addw
        (0x33, _) | (0x3b, 0) => {
            let sel = match (op, f3, f7) {
                (0x33, 0, 0x20) => (0, 0, false),
                (0x33, 4, 0) => (0, 1, true),
                (0x33, 6, 0) => (0, 2, true),
                (0x33, 7, 0) => (0, 3, true),
                (0x3b, 0, 0x20) => (1, 0, false),
                (0x3b, 0, 0) => (1, 1, true),
                _ => return None,
            };
            let (w12, f2, commutes) = sel;
            let other = if rd == rs1 {
                rs2
            } else if commutes && rd == rs2 {
                rs1
            } else {
                return None;
            };
            (is_c_reg(rd) && is_c_reg(other)).then(|| {
                ((4 << 13) | (w12 << 12) | (3 << 10) | (c3(rd) << 7) | (f2 << 5) | (c3(other) << 2) | 1) as u16
            })
        }
        // jalr
        (0x67, 0) if rs1 != 0 && imm_i == 0 && (rd == 0 || rd == 1) => {
            Some(((4 << 13) | ((rd & 1) << 12) | (rs1 << 7) | 2) as u16)
        }
        // ebreak
        (0x73, 0) if w == 0x0010_0073 => Some(0x9002),
        // loads
        (0x03, 2) | (0x03, 3) | (0x07, 3) => {
            let (scale, sp_f3, reg_f3) = match (op, f3) {
                (0x03, 2) => (4, 2, 2),
                (0x03, 3) => (8, 3, 3),
                _ => (8, 1, 1),
            };
            let is_float = op == 0x07;
            if rs1 == 2 && (rd != 0 || is_float) && imm_i >= 0 && imm_i % scale == 0 && imm_i < 64 * scale {
                let u = imm_i as u32;
                let low = if scale == 4 { (((u >> 2) & 7) << 4) | (((u >> 6) & 3) << 2) } else { (((u >> 3) & 3) << 5) | (((u >> 6) & 7) << 2) };
                return Some(((sp_f3 << 13) | (((u >> 5) & 1) << 12) | (rd << 7) | low | 2) as u16);
            }
            if is_c_reg(rs1) && is_c_reg(rd) && imm_i >= 0 && imm_i % scale == 0 && imm_i < 32 * scale {
                return Some(cls(reg_f3, imm_i as u32, rs1, rd, scale));
            }
            None
        }
        // stores
        (0x23, 2) | (0x23, 3) | (0x27, 3) => {
            let (scale, sp_f3, reg_f3) = match (op, f3) {
                (0x23, 2) => (4, 6, 6),
                (0x23, 3) => (8, 7, 7),
                _ => (8, 5, 5),
            };
            if rs1 == 2 && imm_s >= 0 && imm_s % scale == 0 && imm_s < 64 * scale {
                let u = imm_s as u32;
                let field = if scale == 4 { (((u >> 2) & 15) << 9) | (((u >> 6) & 3) << 7) } else { (((u >> 3) & 7) << 10) | (((u >> 6) & 7) << 7) };
                return Some(((sp_f3 << 13) | field | (rs2 << 2) | 2) as u16);
            }
            if is_c_reg(rs1) && is_c_reg(rs2) && imm_s >= 0 && imm_s % scale == 0 && imm_s < 32 * scale {
                return Some(cls(reg_f3, imm_s as u32, rs1, rs2, scale));
            }
            None
        }
        _ => None,
    }
}

/// CL/CS layout: funct3, uimm[5:3] rs1' uimm[2|6] or uimm[7:6], rd'/rs2'.
fn cls(f3: u32, u: u32, base: u32, reg: u32, scale: i64) -> u16 {
    let low = if scale == 4 { (((u >> 2) & 1) << 6) | (((u >> 6) & 1) << 5) } else { ((u >> 6) & 3) << 5 };
    ((f3 << 13) | (((u >> 3) & 7) << 10) | (((base - 8) & 7) << 7) | low | (((reg - 8) & 7) << 2)) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compresses_like_gnu_as() {
        // Pairs taken from `riscv64-linux-gnu-as -march=rv64gc` output.
        assert_eq!(compress(0x0050_0513), Some(0x4515)); // li a0,5
        assert_eq!(compress(0x0005_0513), Some(0x852a)); // addi a0,a0,0 -> mv
        assert_eq!(compress(0xff01_0113), Some(0x1141)); // addi sp,sp,-16
        assert_eq!(compress(0x0101_0513), Some(0x0808)); // addi a0,sp,16
        assert_eq!(compress(0x00b5_0533), Some(0x952e)); // add a0,a0,a1
        assert_eq!(compress(0x02010113), Some(0x6105)); // addi sp,sp,32
        assert_eq!(compress(0x0000_8067), Some(0x8082)); // ret
        assert_eq!(compress(0x7ff0_0413), None); // li s0,2047
    }

    #[test]
    fn splits_constants() {
        for v in [0i64, 1, 0x7ff, 0x800, -1, -0x800, 0x12345678, -0x12345678] {
            assert_eq!((hi20(v) << 12) as i32 as i64 + lo12(v), v as i32 as i64);
        }
    }
}
