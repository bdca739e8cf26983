//! Arithmetic with exact flags: one helper per ALU operation.

use super::{
    AF, ARITH, CF, Cpu, DE, LazyOp, Model, OF, R, SF, ZF, fault, sext, sign_bit, size_mask, szp,
};

impl Cpu {
    /// The eight classic ALU operations (ADD OR ADC SBB AND SUB XOR CMP) by their 3-bit
    /// number. Returns the result (CMP returns it too; the caller does not store it).
    #[inline]
    pub fn alu(&mut self, op: u8, size: u8, a: u64, b: u64) -> u64 {
        let m = size_mask(size);
        let (a, b) = (a & m, b & m);
        match op & 7 {
            0 => self.add(size, a, b, false),
            1 => self.logic(size, a | b),
            2 => {
                let c = self.flag(CF);
                self.add(size, a, b, c)
            }
            3 => {
                let c = self.flag(CF);
                self.sub(size, a, b, c)
            }
            4 => self.logic(size, a & b),
            5 | 7 => self.sub(size, a, b, false),
            _ => self.logic(size, a ^ b),
        }
    }

    /// ADD/ADC. Flags: O S Z A P C.
    pub fn add(&mut self, size: u8, a: u64, b: u64, carry: bool) -> u64 {
        let res = a.wrapping_add(b).wrapping_add(carry as u64) & size_mask(size);
        self.set_lazy(LazyOp::Add, size, a, b, res, carry);
        res
    }

    /// SUB/SBB/CMP/NEG. Flags: O S Z A P C.
    pub fn sub(&mut self, size: u8, a: u64, b: u64, borrow: bool) -> u64 {
        let res = a.wrapping_sub(b).wrapping_sub(borrow as u64) & size_mask(size);
        self.set_lazy(LazyOp::Sub, size, a, b, res, borrow);
        res
    }

    /// AND/OR/XOR/TEST. Flags: O=0 C=0, S Z P from the result, A cleared.
    pub fn logic(&mut self, size: u8, res: u64) -> u64 {
        let res = res & size_mask(size);
        self.set_lazy(LazyOp::Logic, size, 0, 0, res, false);
        res
    }

    /// INC. Flags: O S Z A P; C kept.
    pub fn inc(&mut self, size: u8, a: u64) -> u64 {
        let res = a.wrapping_add(1) & size_mask(size);
        self.set_lazy(LazyOp::Inc, size, a, 1, res, false);
        res
    }

    /// DEC. Flags: O S Z A P; C kept.
    pub fn dec(&mut self, size: u8, a: u64) -> u64 {
        let res = a.wrapping_sub(1) & size_mask(size);
        self.set_lazy(LazyOp::Dec, size, a, 1, res, false);
        res
    }

    /// Shift/rotate group 2 (ROL ROR RCL RCR SHL SHR SAL SAR) by `count`.
    /// Flags: C = last bit out; O defined for count 1; S Z P for shifts only.
    pub fn shift(&mut self, op: u8, size: u8, a: u64, count: u64) -> u64 {
        let bits = size as u64 * 8;
        let m = size_mask(size);
        let a = a & m;
        let count = match self.model {
            Model::I8086 => count & 0xFF,
            Model::I80286 | Model::X86_64 => count & if size == 8 { 0x3F } else { 0x1F },
        };
        if count == 0 {
            return a;
        }
        let msb = |v: u64| (v >> (bits - 1)) & 1;
        let f = self.rflags();
        let cf_in = f & CF;
        let (res, cf, of, shift_flags) = match op & 7 {
            0 => {
                let c = count % bits;
                let r = if c == 0 {
                    a
                } else {
                    ((a << c) | (a >> (bits - c))) & m
                };
                let cf = r & 1;
                (r, cf, msb(r) ^ cf, false)
            }
            1 => {
                let c = count % bits;
                let r = if c == 0 {
                    a
                } else {
                    ((a >> c) | (a << (bits - c))) & m
                };
                (r, msb(r), msb(r) ^ ((r >> (bits - 2)) & 1), false)
            }
            2 => {
                let mut r = a;
                let mut c = cf_in;
                for _ in 0..count % (bits + 1) {
                    let out = msb(r);
                    r = ((r << 1) | c) & m;
                    c = out;
                }
                (r, c, msb(r) ^ c, false)
            }
            3 => {
                let mut r = a;
                let mut c = cf_in;
                let mut of = msb(r) ^ c;
                for _ in 0..count % (bits + 1) {
                    of = msb(r) ^ c;
                    let out = r & 1;
                    r = (r >> 1) | (c << (bits - 1));
                    c = out;
                }
                (r, c, of, false)
            }
            4 | 6 if op & 7 == 6 && self.model == Model::I8086 => {
                // SETMO (undocumented 8086): the result is all ones.
                (m, 0, 0, true)
            }
            4 | 6 => {
                let (r, cf) = if count > bits {
                    (0, 0)
                } else {
                    let wide = (a as u128) << count;
                    ((wide as u64) & m, ((wide >> bits) & 1) as u64)
                };
                (r, cf, msb(r) ^ cf, true)
            }
            5 => {
                let (r, cf) = if count > bits {
                    (0, 0)
                } else {
                    ((((a as u128) >> count) as u64) & m, (a >> (count - 1)) & 1)
                };
                (r, cf, msb(a), true)
            }
            _ => {
                let sa = sext(a, size) as i64;
                let c = count.min(bits) as u32;
                let r = (sa >> (c.min(63))) as u64 & m;
                let cf = ((sa >> (c - 1).min(63)) & 1) as u64;
                (r, cf, 0, true)
            }
        };
        let mut new = cf | if of != 0 { OF } else { 0 };
        if shift_flags {
            new |= szp(size, res);
            self.set_arith(ARITH, new);
        } else {
            self.set_arith(CF | OF, new);
        }
        res
    }

    /// SHLD/SHRD: shift `a` filling from `b`. Flags as SHL/SHR.
    pub fn shift_double(&mut self, left: bool, size: u8, a: u64, b: u64, count: u64) -> u64 {
        let bits = size as u32 * 8;
        let count = (count & if size == 8 { 0x3F } else { 0x1F }) as u32;
        if count == 0 {
            return a;
        }
        let m = size_mask(size);
        let (a, b) = (a & m, b & m);
        let (res, cf) = if left {
            let wide = ((a as u128) << bits) | b as u128;
            let r = (wide << count) >> bits;
            (r as u64 & m, ((a as u128) << count >> bits) as u64 & 1)
        } else {
            let wide = ((b as u128) << bits) | a as u128;
            ((wide >> count) as u64 & m, (wide >> (count - 1)) as u64 & 1)
        };
        let of = ((res ^ a) & sign_bit(size) != 0) as u64;
        self.set_arith(ARITH, cf | if of != 0 { OF } else { 0 } | szp(size, res));
        res
    }

    /// MUL (unsigned, one operand). Flags: C = O = upper half non-zero.
    pub fn mul(&mut self, size: u8, src: u64) -> R<()> {
        let prod = self.reg(size, 0, false) as u128 * (src & size_mask(size)) as u128;
        let (lo, hi) = self.store_wide(size, prod);
        let over = hi != 0;
        self.set_mul_flags(size, lo, over);
        Ok(())
    }

    /// IMUL (signed, one operand). Flags: C = O = product does not fit the low half.
    pub fn imul1(&mut self, size: u8, src: u64) -> R<()> {
        let a = sext(self.reg(size, 0, false), size) as i64 as i128;
        let b = sext(src, size) as i64 as i128;
        let prod = a * b;
        let (lo, _) = self.store_wide(size, prod as u128);
        let over = sext(lo, size) as i64 as i128 != prod;
        self.set_mul_flags(size, lo, over);
        Ok(())
    }

    /// IMUL r, r/m(, imm): truncated signed product. Flags: C = O = truncation lost bits.
    pub fn imul2(&mut self, size: u8, a: u64, b: u64) -> u64 {
        let prod = sext(a, size) as i64 as i128 * sext(b, size) as i64 as i128;
        let lo = prod as u64 & size_mask(size);
        let over = sext(lo, size) as i64 as i128 != prod;
        self.set_mul_flags(size, lo, over);
        lo
    }

    fn set_mul_flags(&mut self, size: u8, lo: u64, over: bool) {
        let f = if over { CF | OF } else { 0 } | szp(size, lo);
        self.set_arith(ARITH, f);
        if self.model == Model::I8086 {
            // The 8086 leaves ZF clear after a multiply (the flag is undefined).
            self.set_arith(ZF, 0);
        }
    }

    /// Store a double-width product into AX / DX:AX / EDX:EAX / RDX:RAX; returns (lo, hi).
    fn store_wide(&mut self, size: u8, v: u128) -> (u64, u64) {
        let bits = size as u32 * 8;
        let m = size_mask(size);
        let lo = v as u64 & m;
        let hi = (v >> bits) as u64 & m;
        if size == 1 {
            self.set_reg(2, 0, false, (hi << 8) | lo);
        } else {
            self.set_reg(size, 0, false, lo);
            self.set_reg(size, 2, false, hi);
        }
        (lo, hi)
    }

    fn dividend(&self, size: u8) -> u128 {
        if size == 1 {
            self.reg(2, 0, false) as u128
        } else {
            ((self.reg(size, 2, false) as u128) << (size as u32 * 8))
                | self.reg(size, 0, false) as u128
        }
    }

    fn store_divide(&mut self, size: u8, q: u64, r: u64) {
        if size == 1 {
            self.set_reg(2, 0, false, ((r & 0xFF) << 8) | (q & 0xFF));
        } else {
            self.set_reg(size, 0, false, q);
            self.set_reg(size, 2, false, r);
        }
    }

    /// DIV: unsigned divide of the double-width accumulator. #DE on zero or overflow.
    pub fn div(&mut self, size: u8, src: u64) -> R<()> {
        let d = (src & size_mask(size)) as u128;
        let n = self.dividend(size);
        if self.model == Model::I8086 {
            // The 8086 microcode first subtracts the divisor from the high half; when that
            // does not borrow it traps with the flags of that subtraction.
            let high = (n >> (size as u32 * 8)) as u64;
            if high >= d as u64 {
                self.sub(size, high, d as u64, false);
                return Err(fault(DE));
            }
        }
        if d == 0 {
            return Err(fault(DE));
        }
        let q = n / d;
        if q > size_mask(size) as u128 {
            return Err(fault(DE));
        }
        self.store_divide(size, q as u64, (n % d) as u64);
        if self.model == Model::I8086 {
            self.div_flags_8086();
        }
        Ok(())
    }

    /// IDIV: signed divide. #DE on zero or a quotient out of range. `negate` models the
    /// 8086 quirk where a REP prefix negates the quotient.
    pub fn idiv(&mut self, size: u8, src: u64, negate: bool) -> R<()> {
        let bits = size as u32 * 8;
        let d = sext(src, size) as i64 as i128;
        let raw = self.dividend(size);
        let n = ((raw << (128 - 2 * bits)) as i128) >> (128 - 2 * bits);
        if self.model == Model::I8086 {
            // The 8086 microcode divides magnitudes. An overflow caught by the first
            // compare leaves the flags of |high| - |divisor|; one caught after the loop
            // leaves those of its last subtraction, with CF clear.
            let (an, ad) = (n.unsigned_abs(), d.unsigned_abs());
            let high = (an >> bits) as u64;
            if high as u128 >= ad {
                self.sub(size, high, ad as u64, false);
                return Err(fault(DE));
            }
            let (q, r) = (an / ad, an % ad);
            if q > (1u128 << (bits - 1)) - 1 {
                let p = r + ad * (q & 1);
                self.sub(size, p as u64, ad as u64, false);
                self.set_arith(CF, 0);
                return Err(fault(DE));
            }
        }
        // Zero, and i128::MIN / -1, have no quotient.
        let (Some(mut q), Some(r)) = (n.checked_div(d), n.checked_rem(d)) else {
            return Err(fault(DE));
        };
        if negate {
            q = -q;
        }
        let max = (1i128 << (bits - 1)) - 1;
        let min = if self.model == Model::I8086 {
            -max
        } else {
            -max - 1
        };
        if q > max || q < min {
            return Err(fault(DE));
        }
        self.store_divide(size, q as u64, r as u64);
        if self.model == Model::I8086 {
            self.div_flags_8086();
        }
        Ok(())
    }

    fn div_flags_8086(&mut self) {
        // Undefined on every CPU; the tests mask them. Keep the lazy state consistent.
        let f = self.rflags();
        self.set_arith(ARITH, f);
    }

    /// DAA. Flags: S Z P A C (O undefined).
    pub fn daa(&mut self) {
        let f = self.rflags();
        let old_al = self.reg(1, 0, false);
        let old_cf = f & CF != 0;
        let mut al = old_al;
        let mut cf = false;
        let af = (al & 0xF) > 9 || f & AF != 0;
        if af {
            al = (al + 6) & 0xFF;
            cf = old_cf || old_al > 0xF9;
        }
        let hi_limit = if self.model == Model::I8086 && f & AF != 0 {
            0x9F
        } else {
            0x99
        };
        if old_al > hi_limit || old_cf {
            al = (al + 0x60) & 0xFF;
            cf = true;
        }
        self.set_reg(1, 0, false, al);
        let of = if self.model == Model::I8086 {
            (!old_al & al & 0x80 != 0) as u64 * OF
        } else {
            0
        };
        self.set_arith(ARITH, szp(1, al) | cf as u64 | if af { AF } else { 0 } | of);
    }

    /// DAS. Flags: S Z P A C (O undefined).
    pub fn das(&mut self) {
        let f = self.rflags();
        let old_al = self.reg(1, 0, false);
        let old_cf = f & CF != 0;
        let mut al = old_al;
        let mut cf = false;
        let af = (al & 0xF) > 9 || f & AF != 0;
        if af {
            al = al.wrapping_sub(6) & 0xFF;
            // The 8086 does not carry the borrow of this step into CF.
            cf = self.model != Model::I8086 && (old_cf || old_al < 6);
        }
        let hi_limit = if self.model == Model::I8086 && f & AF != 0 {
            0x9F
        } else {
            0x99
        };
        if old_al > hi_limit || old_cf {
            al = al.wrapping_sub(0x60) & 0xFF;
            cf = true;
        }
        self.set_reg(1, 0, false, al);
        let of = if self.model == Model::I8086 {
            (old_al & !al & 0x80 != 0) as u64 * OF
        } else {
            0
        };
        self.set_arith(ARITH, szp(1, al) | cf as u64 | if af { AF } else { 0 } | of);
    }

    /// AAA (`sub` false) / AAS (`sub` true). Flags: A C (others undefined).
    pub fn aaa_aas(&mut self, sub: bool) {
        let f = self.rflags();
        let ax = self.reg(2, 0, false);
        let adjust = (ax & 0xF) > 9 || f & AF != 0;
        let mut new_ax = ax;
        if adjust {
            if self.model == Model::I8086 {
                let al = ax & 0xFF;
                let ah = (ax >> 8) & 0xFF;
                let (al, ah) = if sub {
                    (al.wrapping_sub(6) & 0xFF, ah.wrapping_sub(1) & 0xFF)
                } else {
                    ((al + 6) & 0xFF, (ah + 1) & 0xFF)
                };
                new_ax = (ah << 8) | al;
            } else if sub {
                new_ax = ax.wrapping_sub(6) & 0xFFFF;
                new_ax = (new_ax & 0xFF) | (((ax >> 8).wrapping_sub(1) & 0xFF) << 8);
            } else {
                new_ax = (ax + 0x106) & 0xFFFF;
            }
        }
        new_ax &= 0xFF0F;
        self.set_reg(2, 0, false, new_ax);
        let flags = if adjust { AF | CF } else { 0 };
        let al = new_ax & 0xFF;
        let mut extra = szp(1, al);
        if self.model == Model::I8086 {
            // Measured 8086 behaviour for the undefined flags is not modelled; keep S Z P of AL.
            extra = szp(1, al) & !SF;
        }
        self.set_arith(ARITH, flags | extra);
    }

    /// AAM imm8. #DE when imm is zero. Flags: S Z P from AL.
    pub fn aam(&mut self, imm: u64) -> R<()> {
        let imm = imm & 0xFF;
        if imm == 0 {
            if self.model == Model::I8086 {
                // The 8086 sets the flags for a zero result before trapping.
                self.set_arith(ARITH, super::szp(1, 0));
            }
            return Err(fault(DE));
        }
        let al = self.reg(1, 0, false);
        let (ah, al) = (al / imm, al % imm);
        self.set_reg(2, 0, false, (ah << 8) | al);
        self.set_arith(ARITH, szp(1, al));
        Ok(())
    }

    /// AAD imm8. Flags: as the byte ADD AL + AH*imm (S Z P defined).
    pub fn aad(&mut self, imm: u64) {
        let ax = self.reg(2, 0, false);
        let t = ((ax >> 8) * (imm & 0xFF)) & 0xFF;
        let al = self.add(1, ax & 0xFF, t, false);
        self.set_reg(2, 0, false, al);
    }
}
