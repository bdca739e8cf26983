//! One flag helper per ALU operation. Each returns the result and writes the flags.
//!
//! Flags live in the upper nibble of F: Z (bit 7), N (6), H (5), C (4).

use super::Cpu;

pub const Z: u8 = 0x80;
pub const N: u8 = 0x40;
pub const H: u8 = 0x20;
pub const C: u8 = 0x10;

#[inline(always)]
fn flags(z: bool, n: bool, h: bool, c: bool) -> u8 {
    (if z { Z } else { 0 })
        | (if n { N } else { 0 })
        | (if h { H } else { 0 })
        | (if c { C } else { 0 })
}

impl Cpu {
    #[inline(always)]
    pub(super) fn carry(&self) -> u8 {
        (self.f >> 4) & 1
    }

    /// ADD / ADC. Flags: Z N H C = * 0 * *
    pub(super) fn alu_add(&mut self, a: u8, v: u8, carry_in: u8) -> u8 {
        let r = a as u16 + v as u16 + carry_in as u16;
        let h = (a & 0xF) + (v & 0xF) + carry_in > 0xF;
        self.f = flags(r as u8 == 0, false, h, r > 0xFF);
        r as u8
    }

    /// SUB / SBC / CP. Flags: Z N H C = * 1 * *
    pub(super) fn alu_sub(&mut self, a: u8, v: u8, carry_in: u8) -> u8 {
        let r = a as i16 - v as i16 - carry_in as i16;
        let h = ((a & 0xF) as i16) - ((v & 0xF) as i16) - (carry_in as i16) < 0;
        self.f = flags(r as u8 == 0, true, h, r < 0);
        r as u8
    }

    /// AND. Flags: Z N H C = * 0 1 0
    pub(super) fn alu_and(&mut self, a: u8, v: u8) -> u8 {
        let r = a & v;
        self.f = flags(r == 0, false, true, false);
        r
    }

    /// OR. Flags: Z N H C = * 0 0 0
    pub(super) fn alu_or(&mut self, a: u8, v: u8) -> u8 {
        let r = a | v;
        self.f = flags(r == 0, false, false, false);
        r
    }

    /// XOR. Flags: Z N H C = * 0 0 0
    pub(super) fn alu_xor(&mut self, a: u8, v: u8) -> u8 {
        let r = a ^ v;
        self.f = flags(r == 0, false, false, false);
        r
    }

    /// INC r8. Flags: Z N H C = * 0 * -
    pub(super) fn alu_inc(&mut self, v: u8) -> u8 {
        let r = v.wrapping_add(1);
        self.f = (self.f & C) | flags(r == 0, false, v & 0xF == 0xF, false);
        r
    }

    /// DEC r8. Flags: Z N H C = * 1 * -
    pub(super) fn alu_dec(&mut self, v: u8) -> u8 {
        let r = v.wrapping_sub(1);
        self.f = (self.f & C) | flags(r == 0, true, v & 0xF == 0, false);
        r
    }

    /// ADD HL,rr. Flags: Z N H C = - 0 * *
    pub(super) fn alu_add16(&mut self, hl: u16, v: u16) -> u16 {
        let r = hl as u32 + v as u32;
        let h = (hl & 0xFFF) + (v & 0xFFF) > 0xFFF;
        self.f = (self.f & Z) | flags(false, false, h, r > 0xFFFF);
        r as u16
    }

    /// SP + e (ADD SP,e and LD HL,SP+e): carries come from the low byte.
    /// Flags: Z N H C = 0 0 * *
    pub(super) fn alu_add_sp(&mut self, sp: u16, e: u8) -> u16 {
        let h = (sp & 0xF) + (e as u16 & 0xF) > 0xF;
        let c = (sp & 0xFF) + e as u16 > 0xFF;
        self.f = flags(false, false, h, c);
        sp.wrapping_add(e as i8 as u16)
    }

    /// RLC. Flags: Z N H C = * 0 0 *
    pub(super) fn alu_rlc(&mut self, v: u8) -> u8 {
        let r = v.rotate_left(1);
        self.f = flags(r == 0, false, false, v & 0x80 != 0);
        r
    }

    /// RRC. Flags: Z N H C = * 0 0 *
    pub(super) fn alu_rrc(&mut self, v: u8) -> u8 {
        let r = v.rotate_right(1);
        self.f = flags(r == 0, false, false, v & 1 != 0);
        r
    }

    /// RL (through carry). Flags: Z N H C = * 0 0 *
    pub(super) fn alu_rl(&mut self, v: u8) -> u8 {
        let r = (v << 1) | self.carry();
        self.f = flags(r == 0, false, false, v & 0x80 != 0);
        r
    }

    /// RR (through carry). Flags: Z N H C = * 0 0 *
    pub(super) fn alu_rr(&mut self, v: u8) -> u8 {
        let r = (v >> 1) | (self.carry() << 7);
        self.f = flags(r == 0, false, false, v & 1 != 0);
        r
    }

    /// SLA. Flags: Z N H C = * 0 0 *
    pub(super) fn alu_sla(&mut self, v: u8) -> u8 {
        let r = v << 1;
        self.f = flags(r == 0, false, false, v & 0x80 != 0);
        r
    }

    /// SRA (sign kept). Flags: Z N H C = * 0 0 *
    pub(super) fn alu_sra(&mut self, v: u8) -> u8 {
        let r = (v >> 1) | (v & 0x80);
        self.f = flags(r == 0, false, false, v & 1 != 0);
        r
    }

    /// SWAP. Flags: Z N H C = * 0 0 0
    pub(super) fn alu_swap(&mut self, v: u8) -> u8 {
        let r = v.rotate_left(4);
        self.f = flags(r == 0, false, false, false);
        r
    }

    /// SRL. Flags: Z N H C = * 0 0 *
    pub(super) fn alu_srl(&mut self, v: u8) -> u8 {
        let r = v >> 1;
        self.f = flags(r == 0, false, false, v & 1 != 0);
        r
    }

    /// BIT n. Flags: Z N H C = * 0 1 -
    pub(super) fn alu_bit(&mut self, bit: u8, v: u8) {
        self.f = (self.f & C) | flags(v & (1 << bit) == 0, false, true, false);
    }

    /// DAA: decimal-adjust A after an addition or subtraction. Flags: Z N H C = * - 0 *
    pub(super) fn alu_daa(&mut self, a: u8) -> u8 {
        let n = self.f & N != 0;
        let mut c = self.f & C != 0;
        let h = self.f & H != 0;
        let mut adj = 0u8;
        if h || (!n && a & 0xF > 9) {
            adj |= 0x06;
        }
        if c || (!n && a > 0x99) {
            adj |= 0x60;
            c = true;
        }
        let r = if n {
            a.wrapping_sub(adj)
        } else {
            a.wrapping_add(adj)
        };
        self.f = (self.f & N) | flags(r == 0, false, false, c);
        r
    }

    /// CPL. Flags: Z N H C = - 1 1 -
    pub(super) fn alu_cpl(&mut self, a: u8) -> u8 {
        self.f |= N | H;
        !a
    }

    /// SCF. Flags: Z N H C = - 0 0 1
    pub(super) fn alu_scf(&mut self) {
        self.f = (self.f & Z) | C;
    }

    /// CCF. Flags: Z N H C = - 0 0 *
    pub(super) fn alu_ccf(&mut self) {
        self.f = (self.f & Z) | ((self.f & C) ^ C);
    }
}
