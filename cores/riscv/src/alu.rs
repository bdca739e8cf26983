//! Integer operations, one helper per ALU op, shared by the exact interpreter (`exec.rs`)
//! and the block cache (`handlers.rs`). Operands are register values (or the
//! sign-extended immediate); `*w` forms produce the sign-extended 32-bit result.

pub fn add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}
pub fn sub(a: u64, b: u64) -> u64 {
    a.wrapping_sub(b)
}
pub fn sll(a: u64, b: u64) -> u64 {
    a << (b & 63)
}
pub fn srl(a: u64, b: u64) -> u64 {
    a >> (b & 63)
}
pub fn sra(a: u64, b: u64) -> u64 {
    ((a as i64) >> (b & 63)) as u64
}
pub fn slt(a: u64, b: u64) -> u64 {
    ((a as i64) < (b as i64)) as u64
}
pub fn sltu(a: u64, b: u64) -> u64 {
    (a < b) as u64
}
pub fn xor(a: u64, b: u64) -> u64 {
    a ^ b
}
pub fn or(a: u64, b: u64) -> u64 {
    a | b
}
pub fn and(a: u64, b: u64) -> u64 {
    a & b
}
pub fn addw(a: u64, b: u64) -> u64 {
    w((a as i32).wrapping_add(b as i32))
}
pub fn subw(a: u64, b: u64) -> u64 {
    w((a as i32).wrapping_sub(b as i32))
}
pub fn sllw(a: u64, b: u64) -> u64 {
    w(((a as u32) << (b & 31)) as i32)
}
pub fn srlw(a: u64, b: u64) -> u64 {
    w(((a as u32) >> (b & 31)) as i32)
}
pub fn sraw(a: u64, b: u64) -> u64 {
    w((a as i32) >> (b & 31))
}
pub fn mul(a: u64, b: u64) -> u64 {
    a.wrapping_mul(b)
}
pub fn mulh(a: u64, b: u64) -> u64 {
    ((a as i64 as i128 * b as i64 as i128) >> 64) as u64
}
pub fn mulhsu(a: u64, b: u64) -> u64 {
    ((a as i64 as i128).wrapping_mul(b as i128) >> 64) as u64
}
pub fn mulhu(a: u64, b: u64) -> u64 {
    ((a as u128 * b as u128) >> 64) as u64
}
/// Signed division with RISC-V's results for /0 (all ones) and overflow (the dividend).
pub fn div(a: u64, b: u64) -> u64 {
    if b == 0 { u64::MAX } else { (a as i64).wrapping_div(b as i64) as u64 }
}
pub fn divu(a: u64, b: u64) -> u64 {
    a.checked_div(b).unwrap_or(u64::MAX)
}
pub fn rem(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { (a as i64).wrapping_rem(b as i64) as u64 }
}
pub fn remu(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { a % b }
}
pub fn mulw(a: u64, b: u64) -> u64 {
    w((a as i32).wrapping_mul(b as i32))
}
pub fn divw(a: u64, b: u64) -> u64 {
    w(if b as i32 == 0 { -1 } else { (a as i32).wrapping_div(b as i32) })
}
pub fn divuw(a: u64, b: u64) -> u64 {
    w((a as u32).checked_div(b as u32).map_or(-1, |q| q as i32))
}
pub fn remw(a: u64, b: u64) -> u64 {
    w(if b as i32 == 0 { a as i32 } else { (a as i32).wrapping_rem(b as i32) })
}
pub fn remuw(a: u64, b: u64) -> u64 {
    w(if b as u32 == 0 { a as i32 } else { ((a as u32) % (b as u32)) as i32 })
}
/// RV32 high multiplies.
pub fn mulh32(a: u64, b: u64) -> u64 {
    w(((a as i32 as i64 * b as i32 as i64) >> 32) as i32)
}
pub fn mulhsu32(a: u64, b: u64) -> u64 {
    w(((a as i32 as i64 * b as u32 as i64) >> 32) as i32)
}
pub fn mulhu32(a: u64, b: u64) -> u64 {
    w(((a as u32 as u64 * b as u32 as u64) >> 32) as i32)
}

/// A 32-bit result, sign-extended to the register.
pub fn w(v: i32) -> u64 {
    v as i64 as u64
}
