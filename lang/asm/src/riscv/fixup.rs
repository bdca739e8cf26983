//! RISC-V fix-up kinds, the ELF relocation each becomes, and how each patches bytes.

use super::encode::{b_imm, cb_imm, cj_imm, fits_signed, hi20, i_imm, j_imm, lo12, s_imm, u_imm};

pub const HI20: u32 = 1;
pub const LO12_I: u32 = 2;
pub const LO12_S: u32 = 3;
pub const PCREL_HI20: u32 = 4;
pub const PCREL_LO12_I: u32 = 5;
pub const PCREL_LO12_S: u32 = 6;
pub const BRANCH: u32 = 7;
pub const JAL: u32 = 8;
pub const RVC_BRANCH: u32 = 9;
pub const RVC_JUMP: u32 = 10;
pub const CALL: u32 = 11;
pub const ABS8: u32 = 12;
pub const ABS16: u32 = 13;
pub const ABS32: u32 = 14;
pub const ABS64: u32 = 15;
/// Plain immediates whose constant was not known when the line was read.
pub const IMM_I: u32 = 16;
pub const IMM_S: u32 = 17;
pub const IMM_U: u32 = 18;

/// True when the value is measured from the fix-up's own address.
pub fn is_pc_relative(kind: u32) -> bool {
    matches!(kind, PCREL_HI20 | BRANCH | JAL | RVC_BRANCH | RVC_JUMP | CALL)
}

/// The ELF `r_type` a kind becomes when the linker must finish it.
pub fn elf_type(kind: u32) -> Option<u32> {
    Some(match kind {
        HI20 => 26,
        LO12_I => 27,
        LO12_S => 28,
        PCREL_HI20 => 23,
        PCREL_LO12_I => 24,
        PCREL_LO12_S => 25,
        BRANCH => 16,
        JAL => 17,
        RVC_BRANCH => 44,
        RVC_JUMP => 45,
        CALL => 19,
        ABS32 => 1,
        ABS64 => 2,
        _ => return None,
    })
}

/// Bytes the fix-up covers.
pub fn width(kind: u32) -> usize {
    match kind {
        ABS8 => 1,
        ABS16 | RVC_BRANCH | RVC_JUMP => 2,
        CALL | ABS64 => 8,
        _ => 4,
    }
}

/// Applies value `v` (already made pc-relative where the kind is) to `bytes`.
/// Returns an error message when `v` does not fit.
pub fn apply(kind: u32, v: i64, bytes: &mut [u8]) -> Result<(), String> {
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let put = |b: &mut [u8], w: u32| b[..4].copy_from_slice(&w.to_le_bytes());
    if bytes.len() < width(kind) {
        return Err("fix-up outside its section".into());
    }
    let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(format!("{what} out of range ({v})")) };
    match kind {
        HI20 | PCREL_HI20 => {
            check(fits_signed(v, 32) || kind == HI20 && (0..1 << 32).contains(&v), "address")?;
            let w = word(bytes) | u_imm(hi20(v));
            put(bytes, w);
        }
        IMM_U => {
            check((-(1 << 19)..1 << 20).contains(&v), "immediate")?;
            put(bytes, word(bytes) | u_imm(v));
        }
        LO12_I | PCREL_LO12_I => put(bytes, word(bytes) | i_imm(lo12(v))),
        LO12_S | PCREL_LO12_S => put(bytes, word(bytes) | s_imm(lo12(v))),
        IMM_I => {
            check(fits_signed(v, 12), "immediate")?;
            put(bytes, word(bytes) | i_imm(v));
        }
        IMM_S => {
            check(fits_signed(v, 12), "offset")?;
            put(bytes, word(bytes) | s_imm(v));
        }
        BRANCH => {
            check(fits_signed(v, 13) && v % 2 == 0, "branch target")?;
            put(bytes, word(bytes) | b_imm(v));
        }
        JAL => {
            check(fits_signed(v, 21) && v % 2 == 0, "jump target")?;
            put(bytes, word(bytes) | j_imm(v));
        }
        RVC_BRANCH | RVC_JUMP => {
            let (bits, f) = if kind == RVC_BRANCH { (9, cb_imm(v)) } else { (12, cj_imm(v)) };
            check(fits_signed(v, bits) && v % 2 == 0, "compressed branch target")?;
            let h = u16::from_le_bytes([bytes[0], bytes[1]]) | f;
            bytes[..2].copy_from_slice(&h.to_le_bytes());
        }
        CALL => {
            check(fits_signed(v, 32), "call target")?;
            let a = word(&bytes[..4]) | u_imm(hi20(v));
            let j = word(&bytes[4..8]) | i_imm(lo12(v));
            bytes[..4].copy_from_slice(&a.to_le_bytes());
            bytes[4..8].copy_from_slice(&j.to_le_bytes());
        }
        ABS8 => {
            check((-128..256).contains(&v), "byte value")?;
            bytes[0] = v as u8;
        }
        ABS16 => {
            check((-(1 << 15)..1 << 16).contains(&v), "half-word value")?;
            bytes[..2].copy_from_slice(&(v as u16).to_le_bytes());
        }
        ABS32 => {
            check((-(1i64 << 31)..1i64 << 32).contains(&v), "word value")?;
            bytes[..4].copy_from_slice(&(v as u32).to_le_bytes());
        }
        ABS64 => bytes[..8].copy_from_slice(&v.to_le_bytes()),
        _ => return Err(format!("unknown fix-up kind {kind}")),
    }
    Ok(())
}
