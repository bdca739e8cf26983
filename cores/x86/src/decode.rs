//! The instruction decoder: bytes → [`Insn`], one type shared by the interpreter and the
//! disassembler.
//!
//! Decoding is table driven: [`ONE_BYTE`] and [`TWO_BYTE`] give, per opcode, whether a ModRM
//! byte follows and which immediate it carries. The decoder resolves prefixes, operand and
//! address size, REX and the memory operand (ModRM/SIB/displacement/RIP-relative), so the
//! executor only sees a fully described operation.

/// Segment register numbers, in encoding order.
pub const ES: u8 = 0;
pub const CS: u8 = 1;
pub const SS: u8 = 2;
pub const DS: u8 = 3;
pub const FS: u8 = 4;
pub const GS: u8 = 5;

/// What the CPU is decoding for: the default operand/address size and 64-bit rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Real mode, or protected mode with a 16-bit code segment.
    Bits16,
    /// Protected or compatibility mode with a 32-bit code segment.
    Bits32,
    /// 64-bit long mode.
    Bits64,
}

/// A memory operand: `seg:[base + index*scale + disp]`, or `[rip + disp]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemOp {
    pub seg: u8,
    pub base: Option<u8>,
    pub index: Option<u8>,
    pub scale: u8,
    pub disp: i64,
    /// RIP-relative: the displacement is from the end of the instruction.
    pub rip_rel: bool,
}

/// One decoded instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    /// The opcode: `0x00..=0xFF` for one-byte opcodes, `0x100 | b` for `0F b`.
    pub op: u16,
    /// Total length in bytes, prefixes included.
    pub len: u8,
    /// Operand size in bytes for non-byte forms (2, 4 or 8).
    pub osize: u8,
    /// Address size in bytes (2, 4 or 8).
    pub asize: u8,
    /// Segment override prefix, if any.
    pub seg_override: Option<u8>,
    /// 0xF3 (rep/repe), 0xF2 (repne) or 0.
    pub rep: u8,
    pub lock: bool,
    /// A 0x66 prefix was present (needed for SSE-style opcode selection and disassembly).
    pub opsize_prefix: bool,
    /// A REX prefix was present: byte registers 4..7 are SPL..DIL instead of AH..BH.
    pub rex: bool,
    pub rex_w: bool,
    /// ModRM `mod` field (3 means register operand), when the opcode has a ModRM byte.
    pub has_modrm: bool,
    pub md: u8,
    /// ModRM `reg` field extended by REX.R (the opcode extension for groups: use `reg & 7`).
    pub reg: u8,
    /// ModRM `rm` field extended by REX.B (register operand when `md == 3`), or the
    /// register encoded in the low opcode bits (50+r, B8+r...) extended by REX.B.
    pub rm: u8,
    pub mem: Option<MemOp>,
    /// First immediate (sign-extended where the ISA says so), or the branch displacement.
    pub imm: u64,
    /// Second immediate: the selector of a far pointer, or ENTER's nesting level.
    pub imm2: u64,
    pub mode: Mode,
}

impl Insn {
    /// A placeholder (a one-byte NOP in 16-bit mode) for buffers decoded into.
    pub const EMPTY: Insn = Insn {
        op: 0x90,
        len: 1,
        osize: 2,
        asize: 2,
        seg_override: None,
        rep: 0,
        lock: false,
        opsize_prefix: false,
        rex: false,
        rex_w: false,
        has_modrm: false,
        md: 0,
        reg: 0,
        rm: 0,
        mem: None,
        imm: 0,
        imm2: 0,
        mode: Mode::Bits16,
    };
}

/// Why decoding failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The fetch callback could not supply a byte (page fault etc.); carries the byte offset.
    Fetch(u8),
    /// More than 15 bytes, or an opcode that does not exist in this mode.
    Invalid,
}

/// Immediate kinds of the opcode tables.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Imm {
    None,
    /// 8-bit, sign-extended.
    B,
    /// 16-bit.
    W,
    /// 16 or 32 bits by operand size, sign-extended to 64 for 64-bit operands.
    Z,
    /// Full operand size (MOV r, imm64).
    V,
    /// Memory offset of address size (MOV AL, moffs).
    Moffs,
    /// Far pointer: offset (16/32) then selector.
    Far,
    /// ENTER: imm16 then imm8.
    Enter,
    /// Only for F6/F7 with reg 0/1 (TEST): byte or Z.
    Group3,
}

#[derive(Clone, Copy)]
struct Entry {
    modrm: bool,
    imm: Imm,
    /// Byte-sized immediate for `Group3` / byte forms.
    byte: bool,
}

const fn e(modrm: bool, imm: Imm) -> Entry {
    Entry {
        modrm,
        imm,
        byte: false,
    }
}

const fn one_byte_table() -> [Entry; 256] {
    let mut t = [e(false, Imm::None); 256];
    let mut i = 0;
    while i < 0x40 {
        match i & 7 {
            0..=3 => t[i] = e(true, Imm::None),
            4 => t[i] = e(false, Imm::B),
            5 => t[i] = e(false, Imm::Z),
            _ => {}
        }
        i += 1;
    }
    t[0x62] = e(true, Imm::None);
    t[0x63] = e(true, Imm::None);
    t[0x68] = e(false, Imm::Z);
    t[0x69] = e(true, Imm::Z);
    t[0x6A] = e(false, Imm::B);
    t[0x6B] = e(true, Imm::B);
    i = 0x70;
    while i < 0x80 {
        t[i] = e(false, Imm::B);
        i += 1;
    }
    t[0x80] = e(true, Imm::B);
    t[0x81] = e(true, Imm::Z);
    t[0x82] = e(true, Imm::B);
    t[0x83] = e(true, Imm::B);
    i = 0x84;
    while i < 0x90 {
        t[i] = e(true, Imm::None);
        i += 1;
    }
    t[0x9A] = e(false, Imm::Far);
    i = 0xA0;
    while i < 0xA4 {
        t[i] = e(false, Imm::Moffs);
        i += 1;
    }
    t[0xA8] = e(false, Imm::B);
    t[0xA9] = e(false, Imm::Z);
    i = 0xB0;
    while i < 0xB8 {
        t[i] = e(false, Imm::B);
        i += 1;
    }
    while i < 0xC0 {
        t[i] = e(false, Imm::V);
        i += 1;
    }
    t[0xC0] = e(true, Imm::B);
    t[0xC1] = e(true, Imm::B);
    t[0xC2] = e(false, Imm::W);
    t[0xC4] = e(true, Imm::None);
    t[0xC5] = e(true, Imm::None);
    t[0xC6] = e(true, Imm::B);
    t[0xC7] = e(true, Imm::Z);
    t[0xC8] = e(false, Imm::Enter);
    t[0xCA] = e(false, Imm::W);
    t[0xCD] = e(false, Imm::B);
    i = 0xD0;
    while i < 0xD4 {
        t[i] = e(true, Imm::None);
        i += 1;
    }
    t[0xD4] = e(false, Imm::B);
    t[0xD5] = e(false, Imm::B);
    i = 0xD8;
    while i < 0xE0 {
        t[i] = e(true, Imm::None);
        i += 1;
    }
    i = 0xE0;
    while i < 0xE8 {
        t[i] = e(false, Imm::B);
        i += 1;
    }
    t[0xE8] = e(false, Imm::Z);
    t[0xE9] = e(false, Imm::Z);
    t[0xEA] = e(false, Imm::Far);
    t[0xEB] = e(false, Imm::B);
    t[0xF6] = Entry {
        modrm: true,
        imm: Imm::Group3,
        byte: true,
    };
    t[0xF7] = Entry {
        modrm: true,
        imm: Imm::Group3,
        byte: false,
    };
    t[0xFE] = e(true, Imm::None);
    t[0xFF] = e(true, Imm::None);
    t
}

const fn two_byte_table() -> [Entry; 256] {
    let mut t = [e(false, Imm::None); 256];
    let with_modrm: [u8; 40] = [
        0x00, 0x01, 0x02, 0x03, 0x0D, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x21,
        0x22, 0x23, 0xA3, 0xA5, 0xAB, 0xAD, 0xAE, 0xAF, 0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6,
        0xB7, 0xB8, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF, 0xC0, 0xC1, 0xC7,
    ];
    let mut i = 0;
    while i < with_modrm.len() {
        t[with_modrm[i] as usize] = e(true, Imm::None);
        i += 1;
    }
    i = 0x40;
    while i < 0x50 {
        t[i] = e(true, Imm::None);
        i += 1;
    }
    i = 0x80;
    while i < 0x90 {
        t[i] = e(false, Imm::Z);
        i += 1;
    }
    while i < 0xA0 {
        t[i] = e(true, Imm::None);
        i += 1;
    }
    t[0xA4] = e(true, Imm::B);
    t[0xAC] = e(true, Imm::B);
    t[0xBA] = e(true, Imm::B);
    t
}

static ONE_BYTE: [Entry; 256] = one_byte_table();
static TWO_BYTE: [Entry; 256] = two_byte_table();

/// True for opcodes whose operand size defaults to 64 bits in long mode (stack operations
/// and near branches).
fn default_64(op: u16, reg: u8) -> bool {
    matches!(
        op,
        0x50..=0x5F | 0x68 | 0x6A | 0x8F | 0x9C | 0x9D | 0xC2 | 0xC3 | 0xC8 | 0xC9
    ) || matches!(op, 0x70..=0x7F | 0xE0..=0xE3 | 0xE8 | 0xE9 | 0xEB)
        || matches!(op, 0x180..=0x18F | 0x1A0 | 0x1A1 | 0x1A8 | 0x1A9)
        || (op == 0xFF && matches!(reg & 7, 2 | 4 | 6))
}

/// Decode one instruction in `mode`. `fetch(i)` returns the i-th byte of the instruction.
pub fn decode(mode: Mode, mut fetch: impl FnMut(u8) -> Option<u8>) -> Result<Insn, DecodeError> {
    let mut pos: u8 = 0;
    let mut next = |pos: &mut u8| -> Result<u8, DecodeError> {
        if *pos >= 15 {
            return Err(DecodeError::Invalid);
        }
        let b = fetch(*pos).ok_or(DecodeError::Fetch(*pos))?;
        *pos += 1;
        Ok(b)
    };
    let mut insn = Insn {
        op: 0,
        len: 0,
        osize: 2,
        asize: 2,
        seg_override: None,
        rep: 0,
        lock: false,
        opsize_prefix: false,
        rex: false,
        rex_w: false,
        has_modrm: false,
        md: 0,
        reg: 0,
        rm: 0,
        mem: None,
        imm: 0,
        imm2: 0,
        mode,
    };
    let mut addr_prefix = false;
    let mut rex = 0u8;
    let mut b;
    loop {
        b = next(&mut pos)?;
        match b {
            0x26 | 0x2E | 0x36 | 0x3E => insn.seg_override = Some((b >> 3) & 3),
            0x64 => insn.seg_override = Some(FS),
            0x65 => insn.seg_override = Some(GS),
            0x66 => insn.opsize_prefix = true,
            0x67 => addr_prefix = true,
            0xF0 => insn.lock = true,
            0xF2 | 0xF3 => insn.rep = b,
            0x40..=0x4F if mode == Mode::Bits64 => {
                // A REX prefix counts only when it directly precedes the opcode.
                rex = b;
                continue;
            }
            _ => break,
        }
        rex = 0;
    }
    insn.rex = rex != 0;
    insn.rex_w = rex & 8 != 0;
    let (rex_r, rex_x, rex_b) = ((rex & 4) << 1, (rex & 2) << 2, (rex & 1) << 3);

    let entry;
    if b == 0x0F {
        let b2 = next(&mut pos)?;
        insn.op = 0x100 | b2 as u16;
        entry = TWO_BYTE[b2 as usize];
        // The register in the low opcode bits (BSWAP) is in the second byte.
        b = b2;
    } else {
        insn.op = b as u16;
        entry = ONE_BYTE[b as usize];
    }

    match mode {
        Mode::Bits16 => {
            insn.osize = if insn.opsize_prefix { 4 } else { 2 };
            insn.asize = if addr_prefix { 4 } else { 2 };
        }
        Mode::Bits32 => {
            insn.osize = if insn.opsize_prefix { 2 } else { 4 };
            insn.asize = if addr_prefix { 2 } else { 4 };
        }
        Mode::Bits64 => {
            insn.osize = if insn.rex_w {
                8
            } else if insn.opsize_prefix {
                2
            } else {
                4
            };
            insn.asize = if addr_prefix { 4 } else { 8 };
        }
    }

    if entry.modrm {
        let m = next(&mut pos)?;
        insn.has_modrm = true;
        insn.md = m >> 6;
        insn.reg = ((m >> 3) & 7) | rex_r;
        let rm = m & 7;
        insn.rm = rm | rex_b;
        if insn.md != 3 {
            insn.mem = Some(decode_mem(
                &mut insn, rm, rex_x, rex_b, &mut pos, &mut next,
            )?);
        }
    } else {
        insn.rm = (b & 7) | rex_b;
    }

    if mode == Mode::Bits64 && default_64(insn.op, insn.reg) {
        insn.osize = if insn.opsize_prefix && !insn.rex_w {
            2
        } else {
            8
        };
        // Near branches ignore 0x66 in 64-bit mode (as Intel CPUs do).
        if matches!(insn.op, 0x70..=0x7F | 0xE0..=0xE3 | 0xE8 | 0xE9 | 0xEB | 0x180..=0x18F) {
            insn.osize = 8;
        }
    }

    let osize = insn.osize;
    let mut read_n = |n: u8, pos: &mut u8| -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for i in 0..n {
            v |= (next(pos)? as u64) << (8 * i);
        }
        Ok(v)
    };
    let z = |osize: u8| if osize == 2 { 2 } else { 4 };
    match entry.imm {
        Imm::None => {}
        Imm::B => insn.imm = read_n(1, &mut pos)? as i8 as i64 as u64,
        Imm::W => insn.imm = read_n(2, &mut pos)?,
        Imm::Z => insn.imm = sign_extend(read_n(z(osize), &mut pos)?, z(osize)),
        Imm::V => {
            let n = if matches!(insn.op, 0xB0..=0xB7) {
                1
            } else {
                osize
            };
            insn.imm = read_n(n, &mut pos)?;
        }
        Imm::Moffs => insn.imm = read_n(insn.asize, &mut pos)?,
        Imm::Far => {
            insn.imm = read_n(z(osize), &mut pos)?;
            insn.imm2 = read_n(2, &mut pos)?;
        }
        Imm::Enter => {
            insn.imm = read_n(2, &mut pos)?;
            insn.imm2 = read_n(1, &mut pos)?;
        }
        Imm::Group3 => {
            if insn.reg & 7 < 2 {
                insn.imm = if entry.byte {
                    read_n(1, &mut pos)?
                } else {
                    sign_extend(read_n(z(osize), &mut pos)?, z(osize))
                };
            }
        }
    }
    if mode == Mode::Bits64
        && matches!(
            insn.op,
            0x06 | 0x07
                | 0x0E
                | 0x16
                | 0x17
                | 0x1E
                | 0x1F
                | 0x27
                | 0x2F
                | 0x37
                | 0x3F
                | 0x60
                | 0x61
                | 0x62
                | 0x82
                | 0x9A
                | 0xC4
                | 0xC5
                | 0xD4
                | 0xD5
                | 0xD6
                | 0xEA
        )
    {
        return Err(DecodeError::Invalid);
    }
    insn.len = pos;
    Ok(insn)
}

fn sign_extend(v: u64, bytes: u8) -> u64 {
    match bytes {
        1 => v as i8 as i64 as u64,
        2 => v as i16 as i64 as u64,
        4 => v as i32 as i64 as u64,
        _ => v,
    }
}

fn decode_mem(
    insn: &mut Insn,
    rm: u8,
    rex_x: u8,
    rex_b: u8,
    pos: &mut u8,
    next: &mut impl FnMut(&mut u8) -> Result<u8, DecodeError>,
) -> Result<MemOp, DecodeError> {
    fn read_disp(
        next: &mut impl FnMut(&mut u8) -> Result<u8, DecodeError>,
        n: u8,
        pos: &mut u8,
    ) -> Result<i64, DecodeError> {
        let mut v = 0u64;
        for i in 0..n {
            v |= (next(pos)? as u64) << (8 * i);
        }
        Ok(sign_extend(v, n) as i64)
    }
    let md = insn.md;
    if insn.asize == 2 {
        // 16-bit addressing: fixed base/index pairs.
        const BASE: [Option<u8>; 8] = [
            Some(3),
            Some(3),
            Some(5),
            Some(5),
            None,
            None,
            Some(5),
            Some(3),
        ];
        const INDEX: [Option<u8>; 8] = [
            Some(6),
            Some(7),
            Some(6),
            Some(7),
            Some(6),
            Some(7),
            None,
            None,
        ];
        let (mut base, index) = (BASE[rm as usize], INDEX[rm as usize]);
        let disp = match md {
            0 if rm == 6 => {
                base = None;
                read_disp(next, 2, pos)?
            }
            0 => 0,
            1 => read_disp(next, 1, pos)?,
            _ => read_disp(next, 2, pos)?,
        };
        let seg = if base == Some(5) { SS } else { DS };
        return Ok(MemOp {
            seg: insn.seg_override.unwrap_or(seg),
            base,
            index,
            scale: 1,
            disp,
            rip_rel: false,
        });
    }
    let mut base;
    let mut index = None;
    let mut scale = 1;
    let mut rip_rel = false;
    if rm == 4 {
        let sib = next(pos)?;
        scale = 1 << (sib >> 6);
        let idx = ((sib >> 3) & 7) | rex_x;
        if idx != 4 {
            index = Some(idx);
        }
        let b = sib & 7;
        base = Some(b | rex_b);
        if b == 5 && md == 0 {
            base = None;
        }
    } else {
        base = Some(rm | rex_b);
        if rm == 5 && md == 0 {
            base = None;
            rip_rel = insn.mode == Mode::Bits64;
        }
    }
    let disp = match md {
        0 if base.is_none() => read_disp(next, 4, pos)?,
        0 => 0,
        1 => read_disp(next, 1, pos)?,
        _ => read_disp(next, 4, pos)?,
    };
    let seg = if matches!(base, Some(4) | Some(5)) {
        SS
    } else {
        DS
    };
    Ok(MemOp {
        seg: insn.seg_override.unwrap_or(seg),
        base,
        index,
        scale,
        disp,
        rip_rel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(mode: Mode, bytes: &[u8]) -> Insn {
        decode(mode, |i| bytes.get(i as usize).copied()).unwrap()
    }

    #[test]
    fn rip_relative_and_rex() {
        // mov rax, [rip+0x10]
        let i = dec(Mode::Bits64, &[0x48, 0x8B, 0x05, 0x10, 0, 0, 0]);
        assert_eq!(i.op, 0x8B);
        assert_eq!(i.osize, 8);
        assert_eq!(i.len, 7);
        let m = i.mem.unwrap();
        assert!(m.rip_rel);
        assert_eq!(m.disp, 0x10);
    }

    #[test]
    fn sixteen_bit_modrm() {
        // add [bp+si-0x25], dx
        let i = dec(Mode::Bits16, &[0x01, 0x52, 0xDB]);
        let m = i.mem.unwrap();
        assert_eq!(
            (m.base, m.index, m.disp, m.seg),
            (Some(5), Some(6), -0x25, SS)
        );
        assert_eq!(i.len, 3);
    }

    #[test]
    fn sib_and_imm64() {
        // mov r10, imm64
        let i = dec(Mode::Bits64, &[0x49, 0xBA, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(i.rm, 10);
        assert_eq!(i.imm, 0x0807060504030201);
        // bswap r9d
        let i = dec(Mode::Bits64, &[0x41, 0x0F, 0xC9]);
        assert_eq!((i.op, i.rm), (0x1C9, 9));
        // lea eax, [rbx+rcx*4+8]
        let i = dec(Mode::Bits64, &[0x8D, 0x44, 0x8B, 0x08]);
        let m = i.mem.unwrap();
        assert_eq!((m.base, m.index, m.scale, m.disp), (Some(3), Some(1), 4, 8));
    }

    #[test]
    fn truncated_input_is_an_error() {
        assert_eq!(
            decode(Mode::Bits64, |i| [0x48u8, 0x8B][..]
                .get(i as usize)
                .copied()),
            Err(DecodeError::Fetch(2))
        );
    }
}
