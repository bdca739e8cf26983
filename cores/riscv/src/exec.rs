//! Instruction semantics: one arm per [`Op`], with the ALU and FPU helpers shared.

use crate::alu;
use crate::fpu::{self, Compare};
use crate::hart::{Exc, Hart, CAUSE_BREAKPOINT, CAUSE_ECALL_U, CAUSE_LOAD_MISALIGNED, CAUSE_STORE_MISALIGNED, PRV_U};
use crate::instr::{Instr, Op};

const BOX32: u64 = 0xffff_ffff_0000_0000;

/// Binary float op `$f(rs1, rs2, rm, flags)` on singles or doubles.
macro_rules! fop2 {
    ($s:expr, $i:expr, $f:path, $get:ident, $set:ident) => {{
        let rm = $s.rm($i.rm)?;
        // Seeded with the sticky inexact flag, which lets round-to-nearest skip work.
        let mut fl = $s.fflags & fpu::NX;
        let r = $f($s.$get($i.rs1), $s.$get($i.rs2), rm, &mut fl);
        $s.fflags |= fl;
        $s.$set($i.rd, r);
    }};
}

/// Fused multiply-add family: `$neg_prod` negates a*b, `$neg_add` negates c.
macro_rules! fma {
    ($s:expr, $i:expr, $get:ident, $set:ident, $neg_prod:expr, $neg_add:expr) => {{
        let rm = $s.rm($i.rm)?;
        let mut fl = $s.fflags & fpu::NX;
        let a = $s.$get($i.rs1);
        let a = if $neg_prod { -a } else { a };
        let c = $s.$get($i.rs3);
        let c = if $neg_add { -c } else { c };
        let r = fpu::fma(a, $s.$get($i.rs2), c, rm, &mut fl);
        $s.fflags |= fl;
        $s.$set($i.rd, r);
    }};
}

/// Sign injection on raw bits of a `bits`-wide float.
fn sgnj(a: u64, b: u64, bits: u32, kind: u8) -> u64 {
    let sign = 1u64 << (bits - 1);
    let s = match kind {
        0 => b & sign,
        1 => !b & sign,
        _ => (a ^ b) & sign,
    };
    (a & !sign) | s
}

impl Hart {
    /// The single held in float register `r` (a canonical NaN unless NaN-boxed).
    #[inline(always)]
    pub fn fs(&self, r: u8) -> f32 {
        let v = self.f[r as usize];
        if v & BOX32 == BOX32 { f32::from_bits(v as u32) } else { f32::from_bits(0x7fc0_0000) }
    }
    #[inline(always)]
    pub fn set_fs(&mut self, r: u8, v: f32) {
        self.f[r as usize] = BOX32 | v.to_bits() as u64;
    }
    #[inline(always)]
    pub fn fd(&self, r: u8) -> f64 {
        f64::from_bits(self.f[r as usize])
    }
    #[inline(always)]
    pub fn set_fd(&mut self, r: u8, v: f64) {
        self.f[r as usize] = v.to_bits();
    }

    /// The effective rounding mode (7 = dynamic, from frm); 5, 6 and bad frm are illegal.
    #[inline(always)]
    fn rm(&self, rm: u8) -> Result<u8, Exc> {
        let m = if rm == 7 { self.frm } else { rm };
        if m > 4 { Err(Exc::illegal(0)) } else { Ok(m) }
    }

    #[inline(always)]
    fn amo_addr(&self, i: &Instr, size: u64, lr: bool) -> Result<u64, Exc> {
        let addr = self.x[(i.rs1 & 31) as usize] & self.mask;
        if addr & (size - 1) != 0 {
            let cause = if lr { CAUSE_LOAD_MISALIGNED } else { CAUSE_STORE_MISALIGNED };
            return Err(Exc { cause, tval: addr });
        }
        Ok(addr)
    }

    /// Read-modify-write of a word or double at rs1; rd gets the old value.
    #[inline(always)]
    fn amo(&mut self, i: &Instr, double: bool, f: impl FnOnce(u64, u64) -> u64) -> Result<(), Exc> {
        let size = if double { 8 } else { 4 };
        let addr = self.amo_addr(i, size, false)?;
        let old = self.load(addr, size as usize)?;
        let old = if double { old } else { old as i32 as i64 as u64 };
        let new = f(old, self.x[(i.rs2 & 31) as usize]);
        self.store(addr, size as usize, new)?;
        self.x[(i.rd & 63) as usize] = old;
        Ok(())
    }

    /// Execute one decoded instruction at `pc` and return the next pc. On error nothing
    /// was written back except what the exception itself implies. `self.pc` is not read or
    /// written: the run loop keeps the pc in a register.
    #[inline(always)]
    pub fn exec(&mut self, i: Instr, pc: u64) -> Result<u64, Exc> {
        use Op::*;
        let mut next = pc.wrapping_add(i.len as u64) & self.mask;
        // Masks keep every index provably inside the register file (no bounds checks).
        let a = self.x[(i.rs1 & 31) as usize];
        let b = self.x[(i.rs2 & 31) as usize];
        let imm = i.imm as i64 as u64;
        let rd = (i.rd & 63) as usize;
        let ea = a.wrapping_add(imm) & self.mask;
        match i.op {
            Lui => self.x[rd] = imm,
            Auipc => self.x[rd] = self.sx(pc.wrapping_add(imm)),
            Jal => {
                self.x[rd] = self.sx(next);
                next = pc.wrapping_add(imm) & self.mask;
            }
            Jalr => {
                self.x[rd] = self.sx(next);
                next = ea & !1;
            }
            Beq | Bne | Blt | Bge | Bltu | Bgeu => {
                let taken = match i.op {
                    Beq => a == b,
                    Bne => a != b,
                    Blt => (a as i64) < (b as i64),
                    Bge => (a as i64) >= (b as i64),
                    Bltu => a < b,
                    _ => a >= b,
                };
                if taken {
                    next = pc.wrapping_add(imm) & self.mask;
                }
            }
            Lb => self.x[rd] = self.load(ea, 1)? as i8 as i64 as u64,
            Lh => self.x[rd] = self.load(ea, 2)? as i16 as i64 as u64,
            Lw => self.x[rd] = self.load(ea, 4)? as i32 as i64 as u64,
            Ld => self.x[rd] = self.load(ea, 8)?,
            Lbu => self.x[rd] = self.load(ea, 1)?,
            Lhu => self.x[rd] = self.load(ea, 2)?,
            Lwu => self.x[rd] = self.load(ea, 4)?,
            Sb => self.store(ea, 1, b)?,
            Sh => self.store(ea, 2, b)?,
            Sw => self.store(ea, 4, b)?,
            Sd => self.store(ea, 8, b)?,
            Addi => self.x[rd] = alu::add(a, imm),
            Slti => self.x[rd] = alu::slt(a, imm),
            Sltiu => self.x[rd] = alu::sltu(a, imm),
            Xori => self.x[rd] = alu::xor(a, imm),
            Ori => self.x[rd] = alu::or(a, imm),
            Andi => self.x[rd] = alu::and(a, imm),
            Slli => self.x[rd] = alu::sll(a, imm),
            Srli => self.x[rd] = alu::srl(a, imm),
            Srai => self.x[rd] = alu::sra(a, imm),
            Add => self.x[rd] = alu::add(a, b),
            Sub => self.x[rd] = alu::sub(a, b),
            Sll => self.x[rd] = alu::sll(a, b),
            Slt => self.x[rd] = alu::slt(a, b),
            Sltu => self.x[rd] = alu::sltu(a, b),
            Xor => self.x[rd] = alu::xor(a, b),
            Srl => self.x[rd] = alu::srl(a, b),
            Sra => self.x[rd] = alu::sra(a, b),
            Or => self.x[rd] = alu::or(a, b),
            And => self.x[rd] = alu::and(a, b),
            Addiw => self.x[rd] = alu::addw(a, imm),
            Slliw => self.x[rd] = alu::sllw(a, imm),
            Srliw => self.x[rd] = alu::srlw(a, imm),
            Sraiw => self.x[rd] = alu::sraw(a, imm),
            Addw => self.x[rd] = alu::addw(a, b),
            Subw => self.x[rd] = alu::subw(a, b),
            Sllw => self.x[rd] = alu::sllw(a, b),
            Srlw => self.x[rd] = alu::srlw(a, b),
            Sraw => self.x[rd] = alu::sraw(a, b),
            Fence | FenceI => {}
            Ecall => return Err(Exc { cause: CAUSE_ECALL_U + self.prv as u64, tval: 0 }),
            Ebreak => return Err(Exc { cause: CAUSE_BREAKPOINT, tval: pc }),
            Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci => {
                let csr = (i.imm as u32 & 0xfff) as u16;
                let src = if matches!(i.op, Csrrwi | Csrrsi | Csrrci) { i.rs1 as u64 } else { a };
                let old = self.csr_read(csr)?;
                match i.op {
                    Csrrw | Csrrwi => self.csr_write(csr, src)?,
                    Csrrs | Csrrsi if i.rs1 != 0 => self.csr_write(csr, old | src)?,
                    Csrrc | Csrrci if i.rs1 != 0 => self.csr_write(csr, old & !src)?,
                    _ => {}
                }
                self.x[rd] = old;
            }
            Mret => next = self.mret()?,
            Sret => next = self.sret()?,
            Wfi => {
                if !self.bare {
                    return Err(Exc::illegal(0x1050_0073));
                }
                self.wfi()?
            }
            SfenceVma => {
                if self.prv == PRV_U || !self.bare {
                    return Err(Exc::illegal(0));
                }
                self.flush_tlb();
            }
            Mul => self.x[rd] = alu::mul(a, b),
            Mulh => self.x[rd] = alu::mulh(a, b),
            Mulhsu => self.x[rd] = alu::mulhsu(a, b),
            Mulhu => self.x[rd] = alu::mulhu(a, b),
            Div => self.x[rd] = alu::div(a, b),
            Divu => self.x[rd] = alu::divu(a, b),
            Rem => self.x[rd] = alu::rem(a, b),
            Remu => self.x[rd] = alu::remu(a, b),
            Mulw => self.x[rd] = alu::mulw(a, b),
            Divw => self.x[rd] = alu::divw(a, b),
            Divuw => self.x[rd] = alu::divuw(a, b),
            Remw => self.x[rd] = alu::remw(a, b),
            Remuw => self.x[rd] = alu::remuw(a, b),
            Mulh32 => self.x[rd] = alu::mulh32(a, b),
            Mulhsu32 => self.x[rd] = alu::mulhsu32(a, b),
            Mulhu32 => self.x[rd] = alu::mulhu32(a, b),
            LrW | LrD => {
                let size = if i.op == LrD { 8 } else { 4 };
                let addr = self.amo_addr(&i, size, true)?;
                let v = self.load(addr, size as usize)?;
                self.x[rd] = if size == 8 { v } else { v as i32 as i64 as u64 };
                self.reservation = Some(addr);
            }
            ScW | ScD => {
                let size = if i.op == ScD { 8 } else { 4 };
                let addr = self.amo_addr(&i, size, false)?;
                if self.reservation == Some(addr) {
                    self.store(addr, size as usize, b)?;
                    self.x[rd] = 0;
                } else {
                    self.x[rd] = 1;
                }
                self.reservation = None;
            }
            AmoswapW => self.amo(&i, false, |_, b| b)?,
            AmoaddW => self.amo(&i, false, |a, b| a.wrapping_add(b))?,
            AmoxorW => self.amo(&i, false, |a, b| a ^ b)?,
            AmoandW => self.amo(&i, false, |a, b| a & b)?,
            AmoorW => self.amo(&i, false, |a, b| a | b)?,
            AmominW => self.amo(&i, false, |a, b| (a as i32).min(b as i32) as u64)?,
            AmomaxW => self.amo(&i, false, |a, b| (a as i32).max(b as i32) as u64)?,
            AmominuW => self.amo(&i, false, |a, b| (a as u32).min(b as u32) as u64)?,
            AmomaxuW => self.amo(&i, false, |a, b| (a as u32).max(b as u32) as u64)?,
            AmoswapD => self.amo(&i, true, |_, b| b)?,
            AmoaddD => self.amo(&i, true, |a, b| a.wrapping_add(b))?,
            AmoxorD => self.amo(&i, true, |a, b| a ^ b)?,
            AmoandD => self.amo(&i, true, |a, b| a & b)?,
            AmoorD => self.amo(&i, true, |a, b| a | b)?,
            AmominD => self.amo(&i, true, |a, b| (a as i64).min(b as i64) as u64)?,
            AmomaxD => self.amo(&i, true, |a, b| (a as i64).max(b as i64) as u64)?,
            AmominuD => self.amo(&i, true, |a, b| a.min(b))?,
            AmomaxuD => self.amo(&i, true, |a, b| a.max(b))?,
            Flw => self.f[rd & 31] = BOX32 | self.load(ea, 4)?,
            Fld => self.f[rd & 31] = self.load(ea, 8)?,
            Fsw => self.store(ea, 4, self.f[i.rs2 as usize])?,
            Fsd => self.store(ea, 8, self.f[i.rs2 as usize])?,
            FaddS => fop2!(self, i, fpu::add, fs, set_fs),
            FsubS => fop2!(self, i, fpu::sub, fs, set_fs),
            FmulS => fop2!(self, i, fpu::mul, fs, set_fs),
            FdivS => fop2!(self, i, fpu::div, fs, set_fs),
            FaddD => fop2!(self, i, fpu::add, fd, set_fd),
            FsubD => fop2!(self, i, fpu::sub, fd, set_fd),
            FmulD => fop2!(self, i, fpu::mul, fd, set_fd),
            FdivD => fop2!(self, i, fpu::div, fd, set_fd),
            FsqrtS => {
                let rm = self.rm(i.rm)?;
                let r = fpu::sqrt(self.fs(i.rs1), rm, &mut self.fflags);
                self.set_fs(i.rd, r);
            }
            FsqrtD => {
                let rm = self.rm(i.rm)?;
                let r = fpu::sqrt(self.fd(i.rs1), rm, &mut self.fflags);
                self.set_fd(i.rd, r);
            }
            FmaddS => fma!(self, i, fs, set_fs, false, false),
            FmsubS => fma!(self, i, fs, set_fs, false, true),
            FnmsubS => fma!(self, i, fs, set_fs, true, false),
            FnmaddS => fma!(self, i, fs, set_fs, true, true),
            FmaddD => fma!(self, i, fd, set_fd, false, false),
            FmsubD => fma!(self, i, fd, set_fd, false, true),
            FnmsubD => fma!(self, i, fd, set_fd, true, false),
            FnmaddD => fma!(self, i, fd, set_fd, true, true),
            FsgnjS | FsgnjnS | FsgnjxS => {
                let kind = i.op as u8 - FsgnjS as u8;
                let r = sgnj(self.fs(i.rs1).to_bits() as u64, self.fs(i.rs2).to_bits() as u64, 32, kind);
                self.f[rd & 31] = BOX32 | r;
            }
            FsgnjD | FsgnjnD | FsgnjxD => {
                let kind = i.op as u8 - FsgnjD as u8;
                self.f[rd & 31] = sgnj(self.f[i.rs1 as usize], self.f[i.rs2 as usize], 64, kind);
            }
            FminS | FmaxS => {
                let r = fpu::min_max(self.fs(i.rs1), self.fs(i.rs2), i.op == FmaxS, &mut self.fflags);
                self.set_fs(i.rd, r);
            }
            FminD | FmaxD => {
                let r = fpu::min_max(self.fd(i.rs1), self.fd(i.rs2), i.op == FmaxD, &mut self.fflags);
                self.set_fd(i.rd, r);
            }
            FcvtWS | FcvtWuS | FcvtLS | FcvtLuS => {
                let rm = self.rm(i.rm)?;
                let v = self.fs(i.rs1);
                self.x[rd] = self.convert_to_int(v, i.op, rm);
            }
            FcvtWD | FcvtWuD | FcvtLD | FcvtLuD => {
                let rm = self.rm(i.rm)?;
                let v = self.fd(i.rs1);
                self.x[rd] = self.convert_to_int(v, i.op, rm);
            }
            FcvtSW | FcvtSWu | FcvtSL | FcvtSLu => {
                let rm = self.rm(i.rm)?;
                let r: f32 = fpu::from_int(int_source(a, i.op), rm, &mut self.fflags);
                self.set_fs(i.rd, r);
            }
            FcvtDW | FcvtDWu | FcvtDL | FcvtDLu => {
                let rm = self.rm(i.rm)?;
                let r: f64 = fpu::from_int(int_source(a, i.op), rm, &mut self.fflags);
                self.set_fd(i.rd, r);
            }
            FcvtSD => {
                let rm = self.rm(i.rm)?;
                let r = fpu::narrow(self.fd(i.rs1), rm, &mut self.fflags);
                self.set_fs(i.rd, r);
            }
            FcvtDS => {
                self.rm(i.rm)?;
                let r = fpu::widen(self.fs(i.rs1), &mut self.fflags);
                self.set_fd(i.rd, r);
            }
            FmvXW => self.x[rd] = self.f[i.rs1 as usize] as u32 as i32 as i64 as u64,
            FmvWX => self.f[rd & 31] = BOX32 | (a & 0xffff_ffff),
            FmvXD => self.x[rd] = self.f[i.rs1 as usize],
            FmvDX => self.f[rd & 31] = a,
            FeqS | FltS | FleS => {
                let kind = [Compare::Eq, Compare::Lt, Compare::Le][(i.op as u8 - FeqS as u8) as usize];
                self.x[rd] = fpu::compare(self.fs(i.rs1), self.fs(i.rs2), kind, &mut self.fflags) as u64;
            }
            FeqD | FltD | FleD => {
                let kind = [Compare::Eq, Compare::Lt, Compare::Le][(i.op as u8 - FeqD as u8) as usize];
                self.x[rd] = fpu::compare(self.fd(i.rs1), self.fd(i.rs2), kind, &mut self.fflags) as u64;
            }
            FclassS => self.x[rd] = fpu::classify(self.fs(i.rs1)),
            FclassD => self.x[rd] = fpu::classify(self.fd(i.rs1)),
            Invalid | Illegal => return Err(Exc::illegal(i.imm as u32 as u64)),
        }
        Ok(next)
    }

    fn convert_to_int<F: fpu::Fp>(&mut self, v: F, op: Op, rm: u8) -> u64 {
        use Op::*;
        let (signed, bits) = match op {
            FcvtWS | FcvtWD => (true, 32),
            FcvtWuS | FcvtWuD => (false, 32),
            FcvtLS | FcvtLD => (true, 64),
            _ => (false, 64),
        };
        let r = fpu::to_int(v, signed, bits, rm, &mut self.fflags);
        // 32-bit results are sign-extended from bit 31, even the unsigned ones.
        if bits == 32 { r as u32 as i32 as i64 as u64 } else { r as u64 }
    }
}

/// The integer operand of an int→float conversion, by the op's source type.
fn int_source(a: u64, op: Op) -> i128 {
    use Op::*;
    match op {
        FcvtSW | FcvtDW => a as i32 as i128,
        FcvtSWu | FcvtDWu => a as u32 as i128,
        FcvtSL | FcvtDL => a as i64 as i128,
        _ => a as i128,
    }
}
