//! Instruction semantics: one arm per opcode (or opcode family), sharing operand helpers.

use super::{
    AF, ARITH, CF, Cpu, DF, Event, GP, IF, Io, Model, NM, OF, R, SF, UD, ZF, fault, fault_code,
    sext, size_mask,
};
use crate::decode::{CS, DS, ES, Insn, MemOp, Mode, SS};

fn amask(asize: u8) -> u64 {
    size_mask(asize)
}

/// Operand size of the byte/word pair opcodes: bit 0 clear means a byte operand.
fn bw(i: &Insn) -> u8 {
    if i.op & 1 == 0 { 1 } else { i.osize }
}

/// May this instruction carry a LOCK prefix? (A read-modify-write of memory.)
fn lockable(i: &Insn) -> bool {
    let sub = i.reg & 7;
    i.mem.is_some()
        && match i.op {
            0x00..=0x37 => i.op & 7 < 2 && i.op & 0x38 != 0x38,
            0x80..=0x83 => sub != 7,
            0x86 | 0x87 => true,
            0xF6 | 0xF7 => sub == 2 || sub == 3,
            0xFE | 0xFF => sub < 2,
            0x1AB | 0x1B3 | 0x1BB | 0x1B0 | 0x1B1 | 0x1C0 | 0x1C1 => true,
            0x1BA => sub >= 5,
            0x1C7 => sub == 1,
            _ => false,
        }
}

impl Cpu {
    // ---- operands ----

    /// Effective address (offset within the segment) of a memory operand.
    #[inline]
    pub fn ea(&self, i: &Insn, m: &MemOp) -> u64 {
        let mut a = m.disp as u64;
        if let Some(b) = m.base {
            a = a.wrapping_add(self.regs[b as usize]);
        }
        if let Some(x) = m.index {
            a = a.wrapping_add(self.regs[x as usize].wrapping_mul(m.scale as u64));
        }
        if m.rip_rel {
            a = a.wrapping_add(self.rip);
        }
        a & amask(i.asize)
    }

    #[inline]
    fn rm_read(&mut self, i: &Insn, size: u8) -> R<u64> {
        match &i.mem {
            None => Ok(self.reg(size, i.rm, i.rex)),
            Some(m) => {
                let off = self.ea(i, m);
                self.read_seg(m.seg, off, size, amask(i.asize))
            }
        }
    }

    #[inline]
    fn rm_write(&mut self, i: &Insn, size: u8, v: u64) -> R<()> {
        match &i.mem {
            None => {
                self.set_reg(size, i.rm, i.rex, v);
                Ok(())
            }
            Some(m) => {
                let off = self.ea(i, m);
                self.write_seg(m.seg, off, size, amask(i.asize), v)
            }
        }
    }

    fn mem_operand(&self, i: &Insn) -> R<(u8, u64)> {
        match &i.mem {
            Some(m) => Ok((m.seg, self.ea(i, m))),
            None => Err(fault(UD)),
        }
    }

    #[inline]
    fn greg(&self, i: &Insn, size: u8) -> u64 {
        self.reg(size, i.reg, i.rex)
    }

    #[inline]
    fn set_greg(&mut self, i: &Insn, size: u8, v: u64) {
        self.set_reg(size, i.reg, i.rex, v)
    }

    // ---- stack ----

    fn sp_mask(&self) -> u64 {
        size_mask(self.stack_size())
    }

    pub fn push(&mut self, size: u8, v: u64) -> R<()> {
        let m = self.sp_mask();
        let sp = self.regs[4].wrapping_sub(size as u64) & m;
        self.write_seg(SS, sp, size, m, v)?;
        self.regs[4] = (self.regs[4] & !m) | sp;
        Ok(())
    }

    pub fn pop(&mut self, size: u8) -> R<u64> {
        let m = self.sp_mask();
        let sp = self.regs[4] & m;
        let v = self.read_seg(SS, sp, size, m)?;
        self.regs[4] = (self.regs[4] & !m) | (sp.wrapping_add(size as u64) & m);
        Ok(v)
    }

    // ---- control flow ----

    fn ip_mask(&self, osize: u8) -> u64 {
        match self.mode() {
            Mode::Bits64 => u64::MAX,
            _ => size_mask(osize.min(4)),
        }
    }

    fn jump_rel(&mut self, i: &Insn) {
        self.rip = self.rip.wrapping_add(i.imm) & self.ip_mask(i.osize);
    }

    fn count_reg(&self, i: &Insn) -> u64 {
        self.regs[1] & amask(i.asize)
    }

    fn set_count_reg(&mut self, i: &Insn, v: u64) {
        let m = amask(i.asize);
        self.regs[1] = if i.asize == 4 {
            v & m
        } else {
            (self.regs[1] & !m) | (v & m)
        };
    }

    // ---- execution ----

    pub fn exec(&mut self, i: &Insn, io: &mut dyn Io) -> R<()> {
        let op = i.op;
        // LOCK on anything but a memory read-modify-write is #UD from the 386 on (the 8086
        // and 286 ignore it).
        if i.lock && self.model == Model::X86_64 && !lockable(i) {
            return Err(fault(UD));
        }
        match op {
            // ALU r/m, reg and immediate forms: ADD OR ADC SBB AND SUB XOR CMP.
            0x00..=0x3F if op & 7 < 6 => {
                let alu = (op >> 3) as u8;
                let size = bw(i);
                match op & 7 {
                    0 | 1 => {
                        let a = self.rm_read(i, size)?;
                        let b = self.greg(i, size);
                        let r = self.alu(alu, size, a, b);
                        if alu != 7 {
                            self.rm_write(i, size, r)?;
                        }
                    }
                    2 | 3 => {
                        let a = self.greg(i, size);
                        let b = self.rm_read(i, size)?;
                        let r = self.alu(alu, size, a, b);
                        if alu != 7 {
                            self.set_greg(i, size, r);
                        }
                    }
                    _ => {
                        let a = self.reg(size, 0, false);
                        let r = self.alu(alu, size, a, i.imm);
                        if alu != 7 {
                            self.set_reg(size, 0, false, r);
                        }
                    }
                }
            }
            0x06 | 0x0E | 0x16 | 0x1E => {
                let v = self.segs[(op >> 3) as usize].selector as u64;
                self.push(i.osize, v)?;
            }
            0x07 | 0x17 | 0x1F => {
                let v = self.pop(i.osize)?;
                self.load_seg((op >> 3) as u8, v as u16)?;
                if op == 0x17 {
                    self.int_shadow = true;
                }
            }
            0x27 => self.daa(),
            0x2F => self.das(),
            0x37 => self.aaa_aas(false),
            0x3F => self.aaa_aas(true),
            0x40..=0x47 => {
                let r = self.inc(i.osize, self.reg(i.osize, i.rm, false));
                self.set_reg(i.osize, i.rm, false, r);
            }
            0x48..=0x4F => {
                let r = self.dec(i.osize, self.reg(i.osize, i.rm, false));
                self.set_reg(i.osize, i.rm, false, r);
            }
            0x50..=0x57 => {
                let mut v = self.reg(i.osize, i.rm, false);
                if i.rm == 4 && self.model == Model::I8086 {
                    v = v.wrapping_sub(2) & 0xFFFF;
                }
                self.push(i.osize, v)?;
            }
            0x58..=0x5F => {
                let v = self.pop(i.osize)?;
                self.set_reg(i.osize, i.rm, false, v);
            }
            0x60 => {
                let sp = self.reg(i.osize, 4, false);
                for r in 0..8u8 {
                    let v = if r == 4 {
                        sp
                    } else {
                        self.reg(i.osize, r, false)
                    };
                    self.push(i.osize, v)?;
                }
            }
            0x61 => {
                for r in (0..8u8).rev() {
                    let v = self.pop(i.osize)?;
                    if r != 4 {
                        self.set_reg(i.osize, r, false, v);
                    }
                }
            }
            0x62 => {
                let (seg, off) = self.mem_operand(i)?;
                let s = i.osize;
                let lo = sext(self.read_seg(seg, off, s, amask(i.asize))?, s) as i64;
                let hi = sext(
                    self.read_seg(seg, off.wrapping_add(s as u64), s, amask(i.asize))?,
                    s,
                ) as i64;
                let v = sext(self.greg(i, s), s) as i64;
                if v < lo || v > hi {
                    return Err(fault(5));
                }
            }
            0x63 if i.mode == Mode::Bits64 => {
                let v = self.rm_read(i, 4)?;
                let v = if i.osize == 8 { sext(v, 4) } else { v };
                self.set_greg(i, i.osize, v);
            }
            0x63 => return Err(fault(UD)),
            0x68 | 0x6A => self.push(i.osize, i.imm)?,
            0x69 | 0x6B => {
                let a = self.rm_read(i, i.osize)?;
                let r = self.imul2(i.osize, a, i.imm);
                self.set_greg(i, i.osize, r);
            }
            0x6C..=0x6F | 0xA4..=0xA7 | 0xAA..=0xAF => self.string_op(i, io)?,
            0x70..=0x7F => {
                if self.cond((op & 0xF) as u8) {
                    self.jump_rel(i);
                }
            }
            0x80..=0x83 => {
                let size = bw(i);
                let a = self.rm_read(i, size)?;
                let alu = i.reg & 7;
                let r = self.alu(alu, size, a, i.imm);
                if alu != 7 {
                    self.rm_write(i, size, r)?;
                }
            }
            0x84 | 0x85 => {
                let size = bw(i);
                let a = self.rm_read(i, size)?;
                let b = self.greg(i, size);
                self.logic(size, a & b);
            }
            0x86 | 0x87 => {
                let size = bw(i);
                let a = self.rm_read(i, size)?;
                let b = self.greg(i, size);
                self.rm_write(i, size, b)?;
                self.set_greg(i, size, a);
            }
            0x88 | 0x89 => {
                let size = bw(i);
                let v = self.greg(i, size);
                self.rm_write(i, size, v)?;
            }
            0x8A | 0x8B => {
                let size = bw(i);
                let v = self.rm_read(i, size)?;
                self.set_greg(i, size, v);
            }
            0x8C => {
                let s = if self.model == Model::I8086 {
                    i.reg & 3
                } else {
                    i.reg & 7
                };
                let v = self.segs.get(s as usize).ok_or(fault(UD))?.selector as u64;
                if i.mem.is_some() {
                    self.rm_write(i, 2, v)?;
                } else {
                    self.rm_write(i, i.osize, v)?;
                }
            }
            0x8D => {
                let m = match &i.mem {
                    Some(m) => *m,
                    None if self.model == Model::I8086 => return Ok(()),
                    None => return Err(fault(UD)),
                };
                let v = self.ea(i, &m);
                self.set_greg(i, i.osize, v);
            }
            0x8E => {
                let s = if self.model == Model::I8086 {
                    i.reg & 3
                } else {
                    i.reg & 7
                };
                if s > 5 || (s == 1 && self.model != Model::I8086) {
                    return Err(fault(UD));
                }
                let v = self.rm_read(i, 2)?;
                self.load_seg(s, v as u16)?;
                if s == SS {
                    self.int_shadow = true;
                }
            }
            0x8F => {
                let v = self.pop(i.osize)?;
                // The address uses RSP after the pop.
                self.rm_write(i, i.osize, v)?;
            }
            0x90 if i.rm == 0 => {}
            0x90..=0x97 => {
                let a = self.reg(i.osize, 0, false);
                let b = self.reg(i.osize, i.rm, false);
                self.set_reg(i.osize, 0, false, b);
                self.set_reg(i.osize, i.rm, false, a);
            }
            0x98 => {
                let half = i.osize / 2;
                let v = sext(self.reg(half, 0, false), half);
                self.set_reg(i.osize, 0, false, v);
            }
            0x99 => {
                let v = self.reg(i.osize, 0, false);
                let hi = if sext(v, i.osize) as i64 >= 0 {
                    0
                } else {
                    u64::MAX
                };
                self.set_reg(i.osize, 2, false, hi);
            }
            0x9A => {
                let ret = self.rip;
                self.far_call(i.imm2 as u16, i.imm, i.osize, ret)?;
            }
            0x9B => {}
            0x9C => {
                let f = self.rflags() & !0x30000; // VM and RF read as zero
                self.push(i.osize, f)?;
            }
            0x9D => {
                let v = self.pop(i.osize)?;
                self.write_flags_checked(v, i.osize);
            }
            0x9E => {
                let ah = self.reg(1, 4, false);
                self.set_arith(SF | ZF | AF | super::PF | CF, ah);
            }
            0x9F => {
                let f = self.rflags() & 0xFF;
                let f = if self.model == Model::I8086 {
                    f
                } else {
                    (f & 0xD5) | 2
                };
                self.set_reg(1, 4, false, f);
            }
            0xA0..=0xA3 => {
                let size = bw(i);
                let seg = i.seg_override.unwrap_or(DS);
                let off = i.imm & amask(i.asize);
                if op < 0xA2 {
                    let v = self.read_seg(seg, off, size, amask(i.asize))?;
                    self.set_reg(size, 0, false, v);
                } else {
                    let v = self.reg(size, 0, false);
                    self.write_seg(seg, off, size, amask(i.asize), v)?;
                }
            }
            0xA8 | 0xA9 => {
                let size = bw(i);
                let a = self.reg(size, 0, false);
                self.logic(size, a & i.imm);
            }
            0xB0..=0xB7 => self.set_reg(1, i.rm, i.rex, i.imm),
            0xB8..=0xBF => self.set_reg(i.osize, i.rm, false, i.imm),
            0xC0 | 0xC1 | 0xD0..=0xD3 => {
                let size = bw(i);
                let count = match op {
                    0xC0 | 0xC1 => i.imm & 0xFF,
                    0xD0 | 0xD1 => 1,
                    _ => self.regs[1] & 0xFF,
                };
                let a = self.rm_read(i, size)?;
                let r = self.shift(i.reg & 7, size, a, count);
                self.rm_write(i, size, r)?;
            }
            0xC2 | 0xC3 => {
                let to = self.pop(i.osize)?;
                if op == 0xC2 {
                    let m = self.sp_mask();
                    let sp = self.regs[4].wrapping_add(i.imm) & m;
                    self.regs[4] = (self.regs[4] & !m) | sp;
                }
                self.rip = to & self.ip_mask(i.osize);
                self.event_return();
            }
            0xC4 | 0xC5 => {
                let (seg, off) = match &i.mem {
                    Some(m) => (m.seg, self.ea(i, m)),
                    // The 8086 uses its last computed address; approximate with the register.
                    None if self.model == Model::I8086 => (DS, self.reg(2, i.rm, false)),
                    None => return Err(fault(UD)),
                };
                let s = i.osize;
                let v = self.read_seg(seg, off, s, amask(i.asize))?;
                let sel = self.read_seg(seg, off.wrapping_add(s as u64), 2, amask(i.asize))?;
                self.load_seg(if op == 0xC4 { ES } else { DS }, sel as u16)?;
                self.set_greg(i, s, v);
            }
            0xC6 | 0xC7 => {
                let size = bw(i);
                self.rm_write(i, size, i.imm)?;
            }
            0xC8 => self.enter(i)?,
            0xC9 => {
                let m = self.sp_mask();
                self.regs[4] = (self.regs[4] & !m) | (self.regs[5] & m);
                let v = self.pop(i.osize)?;
                self.set_reg(i.osize, 5, false, v);
            }
            0xCA | 0xCB => {
                let extra = if op == 0xCA { i.imm } else { 0 };
                self.far_return(i.osize, extra)?;
                self.event_return();
            }
            0xCC => self.soft_int(3, io)?,
            0xCD => self.soft_int(i.imm as u8, io)?,
            0xCE => {
                if self.flag(OF) {
                    self.soft_int(4, io)?;
                }
            }
            0xCF => self.iret(i.osize)?,
            0xD4 => self.aam(i.imm)?,
            0xD5 => self.aad(i.imm),
            0xD6 => {
                let v = if self.flag(CF) { 0xFF } else { 0 };
                self.set_reg(1, 0, false, v);
            }
            0xD7 => {
                let seg = i.seg_override.unwrap_or(DS);
                let off = self.regs[3].wrapping_add(self.reg(1, 0, false));
                let v = self.read_seg(seg, off & amask(i.asize), 1, amask(i.asize))?;
                self.set_reg(1, 0, false, v);
            }
            0xD8..=0xDF => {
                // No FPU: with CR0.EM set (or always on the 8086) ESC is a no-op / #NM.
                if self.model != Model::I8086 && self.cr0 & 4 != 0 {
                    return Err(fault(NM));
                }
            }
            0xE0..=0xE2 => {
                let c = self.count_reg(i).wrapping_sub(1) & amask(i.asize);
                self.set_count_reg(i, c);
                let z = self.flag(ZF);
                let take = c != 0
                    && match op {
                        0xE0 => !z,
                        0xE1 => z,
                        _ => true,
                    };
                if take {
                    self.jump_rel(i);
                }
            }
            0xE3 => {
                if self.count_reg(i) == 0 {
                    self.jump_rel(i);
                }
            }
            0xE4 | 0xE5 | 0xEC | 0xED => {
                let size = bw(i).min(4);
                let port = if op < 0xE8 {
                    i.imm as u16 & 0xFF
                } else {
                    self.regs[2] as u16
                };
                self.check_io()?;
                let v = io.port_in(port, size) as u64;
                self.set_reg(size, 0, false, v);
            }
            0xE6 | 0xE7 | 0xEE | 0xEF => {
                let size = bw(i).min(4);
                let port = if op < 0xE8 {
                    i.imm as u16 & 0xFF
                } else {
                    self.regs[2] as u16
                };
                self.check_io()?;
                io.port_out(port, size, self.reg(size, 0, false) as u32);
            }
            0xE8 => {
                let ret = self.rip;
                self.push(i.osize, ret)?;
                self.jump_rel(i);
                self.event_call(ret);
            }
            0xE9 | 0xEB => self.jump_rel(i),
            0xEA => self.far_jump(i.imm2 as u16, i.imm)?,
            0xF1 => self.soft_int(1, io)?,
            0xF4 => {
                if self.cpl() != 0 {
                    return Err(fault_code(GP, 0));
                }
                self.halted = true;
                self.event = Event::Halt;
            }
            0xF5 => {
                let c = self.flag(CF);
                self.set_flag(CF, !c);
            }
            0xF6 | 0xF7 => self.group3(i)?,
            0xF8 => self.set_flag(CF, false),
            0xF9 => self.set_flag(CF, true),
            0xFA => {
                self.check_iopl()?;
                self.set_flag(IF, false);
            }
            0xFB => {
                self.check_iopl()?;
                if !self.flag(IF) {
                    self.int_shadow = true;
                }
                self.set_flag(IF, true);
            }
            0xFC => self.set_flag(DF, false),
            0xFD => self.set_flag(DF, true),
            0xFE | 0xFF => self.group45(i)?,
            0x100.. if self.model == Model::I8086 => return Err(fault(UD)),
            0x100..=0x1FF => self.exec_0f(i, io)?,
            _ => return Err(fault(UD)),
        }
        Ok(())
    }

    fn check_iopl(&self) -> R<()> {
        let iopl = ((self.rflags() >> 12) & 3) as u8;
        if self.protected() && self.model != Model::I8086 && self.cpl() > iopl {
            return Err(fault_code(GP, 0));
        }
        Ok(())
    }

    fn check_io(&self) -> R<()> {
        self.check_iopl()
    }

    /// POPF/IRET flag write: IOPL only at CPL 0, IF only when CPL <= IOPL.
    pub fn write_flags_checked(&mut self, v: u64, osize: u8) {
        let old = self.rflags();
        let mut keep = 0x30000u64; // VM, RF untouched by POPF
        if self.protected() && self.model != Model::I8086 {
            let iopl = (old >> 12) & 3;
            if self.cpl() > 0 {
                keep |= 0x3000;
            }
            if self.cpl() as u64 > iopl {
                keep |= IF;
            }
        }
        let mask = size_mask(osize.min(8));
        let new = (old & (keep | !mask)) | (v & !keep & mask);
        self.set_rflags(new);
    }

    fn event_call(&mut self, ret: u64) {
        let base = self.seg_base(CS);
        self.flow = super::Flow::Call {
            target: base.wrapping_add(self.rip),
            ret: base.wrapping_add(ret),
        };
    }

    fn event_return(&mut self) {
        self.flow = super::Flow::Return {
            to: self.seg_base(CS).wrapping_add(self.rip),
        };
    }

    fn enter(&mut self, i: &Insn) -> R<()> {
        let size = i.osize;
        let level = i.imm2 & 31;
        let m = self.sp_mask();
        self.push(size, self.reg(size, 5, false))?;
        let frame = self.regs[4] & m;
        let mut bp = self.regs[5] & m;
        for _ in 1..level {
            bp = bp.wrapping_sub(size as u64) & m;
            let v = self.read_seg(SS, bp, size, m)?;
            self.push(size, v)?;
        }
        if level > 0 {
            self.push(size, frame)?;
        }
        self.set_reg(size.max(self.stack_size().min(size)), 5, false, frame);
        let sp = (self.regs[4] & m).wrapping_sub(i.imm) & m;
        self.regs[4] = (self.regs[4] & !m) | sp;
        Ok(())
    }

    fn group3(&mut self, i: &Insn) -> R<()> {
        let size = bw(i);
        let a = self.rm_read(i, size)?;
        match i.reg & 7 {
            0 | 1 => {
                self.logic(size, a & i.imm);
            }
            2 => self.rm_write(i, size, !a)?,
            3 => {
                let r = self.sub(size, 0, a, false);
                self.rm_write(i, size, r)?;
            }
            4 => self.mul(size, a)?,
            5 => {
                self.imul1(size, a)?;
                if self.model == Model::I8086 && i.rep != 0 {
                    self.negate_accumulator(size);
                }
            }
            6 => self.div(size, a)?,
            _ => self.idiv(size, a, self.model == Model::I8086 && i.rep != 0)?,
        }
        Ok(())
    }

    /// The 8086 quirk: a REP prefix on IMUL negates the product.
    fn negate_accumulator(&mut self, size: u8) {
        if size == 1 {
            let v = self.reg(2, 0, false).wrapping_neg() & 0xFFFF;
            self.set_reg(2, 0, false, v);
        } else {
            let v = ((self.reg(2, 2, false) << 16) | self.reg(2, 0, false)).wrapping_neg();
            self.set_reg(2, 0, false, v & 0xFFFF);
            self.set_reg(2, 2, false, (v >> 16) & 0xFFFF);
        }
    }

    fn group45(&mut self, i: &Insn) -> R<()> {
        let size = bw(i);
        let sub = i.reg & 7;
        if i.op == 0xFE && sub > 1 {
            return Err(fault(UD));
        }
        match sub {
            0 => {
                let a = self.rm_read(i, size)?;
                let r = self.inc(size, a);
                self.rm_write(i, size, r)?;
            }
            1 => {
                let a = self.rm_read(i, size)?;
                let r = self.dec(size, a);
                self.rm_write(i, size, r)?;
            }
            2 => {
                let to = self.rm_read(i, i.osize)?;
                let ret = self.rip;
                self.push(i.osize, ret)?;
                self.rip = to & self.ip_mask(i.osize);
                self.event_call(ret);
            }
            3 | 5 => {
                let (seg, off) = self.mem_operand(i)?;
                let s = i.osize;
                let to = self.read_seg(seg, off, s, amask(i.asize))?;
                let sel = self.read_seg(seg, off.wrapping_add(s as u64), 2, amask(i.asize))?;
                if sub == 3 {
                    let ret = self.rip;
                    self.far_call(sel as u16, to, s, ret)?;
                } else {
                    self.far_jump(sel as u16, to)?;
                }
            }
            4 => {
                let to = self.rm_read(i, i.osize)?;
                self.rip = to & self.ip_mask(i.osize);
            }
            6 => {
                let v = self.rm_read(i, i.osize)?;
                self.push(i.osize, v)?;
            }
            _ => return Err(fault(UD)),
        }
        Ok(())
    }

    // ---- string instructions ----

    fn string_op(&mut self, i: &Insn, io: &mut dyn Io) -> R<()> {
        let size = bw(i);
        let am = amask(i.asize);
        let step = if self.flag(DF) {
            (size as u64).wrapping_neg()
        } else {
            size as u64
        };
        let src_seg = i.seg_override.unwrap_or(DS);
        let rep = i.rep != 0;
        let cmp = matches!(i.op, 0xA6 | 0xA7 | 0xAE | 0xAF);
        if matches!(i.op, 0x6C..=0x6F) {
            self.check_io()?;
        }
        // A long REP runs in slices, re-executing itself, as an interruptible CPU does: a
        // huge count must not hold the host in one step.
        let mut budget = 4096u32;
        loop {
            if rep && self.count_reg(i) == 0 {
                break;
            }
            if budget == 0 {
                let mask = match i.mode {
                    Mode::Bits16 => 0xFFFF,
                    Mode::Bits32 => 0xFFFF_FFFF,
                    Mode::Bits64 => u64::MAX,
                };
                self.rip = self.rip.wrapping_sub(i.len as u64) & mask;
                break;
            }
            budget -= 1;
            let si = self.regs[6] & am;
            let di = self.regs[7] & am;
            let mut adv_si = false;
            let mut adv_di = false;
            match i.op {
                0x6C | 0x6D => {
                    let v = io.port_in(self.regs[2] as u16, size.min(4)) as u64;
                    self.write_seg(ES, di, size.min(4), am, v)?;
                    adv_di = true;
                }
                0x6E | 0x6F => {
                    let v = self.read_seg(src_seg, si, size.min(4), am)?;
                    io.port_out(self.regs[2] as u16, size.min(4), v as u32);
                    adv_si = true;
                }
                0xA4 | 0xA5 => {
                    let v = self.read_seg(src_seg, si, size, am)?;
                    self.write_seg(ES, di, size, am, v)?;
                    adv_si = true;
                    adv_di = true;
                }
                0xA6 | 0xA7 => {
                    let a = self.read_seg(src_seg, si, size, am)?;
                    let b = self.read_seg(ES, di, size, am)?;
                    self.sub(size, a, b, false);
                    adv_si = true;
                    adv_di = true;
                }
                0xAA | 0xAB => {
                    let v = self.reg(size, 0, false);
                    self.write_seg(ES, di, size, am, v)?;
                    adv_di = true;
                }
                0xAC | 0xAD => {
                    let v = self.read_seg(src_seg, si, size, am)?;
                    self.set_reg(size, 0, false, v);
                    adv_si = true;
                }
                _ => {
                    let a = self.reg(size, 0, false);
                    let b = self.read_seg(ES, di, size, am)?;
                    self.sub(size, a, b, false);
                    adv_di = true;
                }
            }
            if adv_si {
                let v = si.wrapping_add(step) & am;
                self.regs[6] = if i.asize == 4 {
                    v
                } else {
                    (self.regs[6] & !am) | v
                };
            }
            if adv_di {
                let v = di.wrapping_add(step) & am;
                self.regs[7] = if i.asize == 4 {
                    v
                } else {
                    (self.regs[7] & !am) | v
                };
            }
            if !rep {
                break;
            }
            let c = self.count_reg(i).wrapping_sub(1) & am;
            self.set_count_reg(i, c);
            if cmp {
                let z = self.flag(ZF);
                if (i.rep == 0xF3 && !z) || (i.rep == 0xF2 && z) {
                    break;
                }
            }
        }
        Ok(())
    }

    // ---- two-byte opcodes ----

    fn exec_0f(&mut self, i: &Insn, io: &mut dyn Io) -> R<()> {
        let op = (i.op & 0xFF) as u8;
        match op {
            0x00 | 0x01 | 0x02 | 0x03 | 0x05 | 0x06 | 0x07 | 0x20..=0x23 | 0x30 | 0x32 => {
                self.exec_system(i, io)?
            }
            0x08 | 0x09 | 0x0D | 0x18..=0x1F => {}
            0x0B => return Err(fault(UD)),
            0xFF => {
                // The BIOS trap: `0F FF n` inside the BIOS ROM in real mode.
                let lin = self.seg_base(CS).wrapping_add(self.rip);
                if self.protected() || !(0xF0000..0x100000).contains(&lin) {
                    return Err(fault(UD));
                }
                let n = self.read_lin(lin, 1)? as u8;
                self.rip = self.rip.wrapping_add(1) & 0xFFFF;
                self.event = Event::Bios(n);
            }
            0x31 => {
                if self.cr4 & 4 != 0 && self.cpl() != 0 {
                    return Err(fault_code(GP, 0));
                }
                let t = self.tsc;
                self.regs[0] = t & 0xFFFF_FFFF;
                self.regs[2] = t >> 32;
            }
            0x40..=0x4F => {
                let v = self.rm_read(i, i.osize)?;
                if self.cond(op & 0xF) {
                    self.set_greg(i, i.osize, v);
                } else if i.osize == 4 {
                    // A 32-bit CMOV zero-extends even when the condition is false.
                    let keep = self.greg(i, 4);
                    self.set_greg(i, 4, keep);
                }
            }
            0x80..=0x8F => {
                if self.cond(op & 0xF) {
                    self.jump_rel(i);
                }
            }
            0x90..=0x9F => {
                let v = self.cond(op & 0xF) as u64;
                self.rm_write(i, 1, v)?;
            }
            0xA0 | 0xA8 => {
                let v = self.segs[if op == 0xA0 { 4 } else { 5 }].selector as u64;
                self.push(i.osize, v)?;
            }
            0xA1 | 0xA9 => {
                let v = self.pop(i.osize)?;
                self.load_seg(if op == 0xA1 { 4 } else { 5 }, v as u16)?;
            }
            0xA2 => self.cpuid(),
            0xA3 | 0xAB | 0xB3 | 0xBB => {
                let bit = self.greg(i, i.osize);
                let kind = match op {
                    0xA3 => 0,
                    0xAB => 1,
                    0xB3 => 2,
                    _ => 3,
                };
                self.bit_op(i, kind, bit, true)?;
            }
            0xBA => {
                let kind = match i.reg & 7 {
                    4 => 0,
                    5 => 1,
                    6 => 2,
                    7 => 3,
                    _ => return Err(fault(UD)),
                };
                self.bit_op(i, kind, i.imm & 0xFF, false)?;
            }
            0xA4 | 0xA5 | 0xAC | 0xAD => {
                let count = if op & 1 == 0 {
                    i.imm & 0xFF
                } else {
                    self.regs[1] & 0xFF
                };
                let a = self.rm_read(i, i.osize)?;
                let b = self.greg(i, i.osize);
                let r = self.shift_double(op < 0xA8, i.osize, a, b, count);
                self.rm_write(i, i.osize, r)?;
            }
            0xAE => {
                // LFENCE/MFENCE/SFENCE/CLFLUSH and friends: no effect here.
                if i.mem.is_some() && matches!(i.reg & 7, 0 | 1) {
                    return Err(fault(UD));
                }
            }
            0xAF => {
                let a = self.greg(i, i.osize);
                let b = self.rm_read(i, i.osize)?;
                let r = self.imul2(i.osize, a, b);
                self.set_greg(i, i.osize, r);
            }
            0xB0 | 0xB1 => {
                let size = bw(i);
                let dest = self.rm_read(i, size)?;
                let acc = self.reg(size, 0, false);
                self.sub(size, acc, dest, false);
                if acc == dest {
                    let v = self.greg(i, size);
                    self.rm_write(i, size, v)?;
                } else {
                    // The destination is written back either way (locked cycle).
                    self.rm_write(i, size, dest)?;
                    self.set_reg(size, 0, false, dest);
                }
            }
            0xB2 | 0xB4 | 0xB5 => {
                let (seg, off) = self.mem_operand(i)?;
                let s = i.osize;
                let v = self.read_seg(seg, off, s, amask(i.asize))?;
                let sel = self.read_seg(seg, off.wrapping_add(s as u64), 2, amask(i.asize))?;
                let target = match op {
                    0xB2 => SS,
                    0xB4 => 4,
                    _ => 5,
                };
                self.load_seg(target, sel as u16)?;
                self.set_greg(i, s, v);
            }
            0xB6 | 0xB7 | 0xBE | 0xBF => {
                let src = if op & 1 == 0 { 1 } else { 2 };
                let v = self.rm_read(i, src)?;
                let v = if op >= 0xBE { sext(v, src) } else { v };
                self.set_greg(i, i.osize, v);
            }
            0xB8 if i.rep == 0xF3 => {
                let v = self.rm_read(i, i.osize)?;
                let r = v.count_ones() as u64;
                self.set_greg(i, i.osize, r);
                self.set_arith(ARITH, if v == 0 { ZF } else { 0 });
            }
            0xBC | 0xBD => {
                let v = self.rm_read(i, i.osize)?;
                let bits = i.osize as u64 * 8;
                if i.rep == 0xF3 {
                    // TZCNT / LZCNT.
                    let r = if op == 0xBC {
                        if v == 0 {
                            bits
                        } else {
                            v.trailing_zeros() as u64
                        }
                    } else if v == 0 {
                        bits
                    } else {
                        (v.leading_zeros() as u64) - (64 - bits)
                    };
                    self.set_greg(i, i.osize, r);
                    let f = if v == 0 { CF } else { 0 } | if r == 0 { ZF } else { 0 };
                    self.set_arith(CF | ZF, f);
                } else if v == 0 {
                    self.set_arith(ZF, ZF);
                } else {
                    let r = if op == 0xBC {
                        v.trailing_zeros() as u64
                    } else {
                        63 - v.leading_zeros() as u64
                    };
                    self.set_greg(i, i.osize, r);
                    self.set_arith(ARITH, 0);
                }
            }
            0xC0 | 0xC1 => {
                let size = bw(i);
                let a = self.rm_read(i, size)?;
                let b = self.greg(i, size);
                let r = self.add(size, a, b, false);
                self.set_greg(i, size, a);
                self.rm_write(i, size, r)?;
            }
            0xC7 => self.group9(i)?,
            0xC8..=0xCF => {
                let v = self.reg(i.osize, i.rm, false);
                let r = match i.osize {
                    8 => v.swap_bytes(),
                    4 => (v as u32).swap_bytes() as u64,
                    _ => 0,
                };
                self.set_reg(i.osize, i.rm, false, r);
            }
            _ => return Err(fault(UD)),
        }
        Ok(())
    }

    /// BT/BTS/BTR/BTC (`kind` 0..3). With a register bit offset and a memory operand the
    /// offset addresses beyond the operand.
    fn bit_op(&mut self, i: &Insn, kind: u8, bit: u64, reg_offset: bool) -> R<()> {
        let size = i.osize;
        let bits = size as u64 * 8;
        let (val, loc) = match &i.mem {
            Some(m) if reg_offset => {
                let off = sext(bit, size) as i64;
                let byte = (off >> 3) & !((size as i64) - 1);
                let a = self.ea(i, m).wrapping_add(byte as u64) & amask(i.asize);
                (
                    self.read_seg(m.seg, a, size, amask(i.asize))?,
                    Some((m.seg, a)),
                )
            }
            Some(m) => {
                let a = self.ea(i, m);
                (
                    self.read_seg(m.seg, a, size, amask(i.asize))?,
                    Some((m.seg, a)),
                )
            }
            None => (self.reg(size, i.rm, i.rex), None),
        };
        let b = bit & (bits - 1);
        let cf = (val >> b) & 1;
        self.set_arith(CF, cf);
        let new = match kind {
            1 => val | (1 << b),
            2 => val & !(1 << b),
            3 => val ^ (1 << b),
            _ => return Ok(()),
        };
        match loc {
            Some((seg, a)) => self.write_seg(seg, a, size, amask(i.asize), new)?,
            None => self.set_reg(size, i.rm, i.rex, new),
        }
        Ok(())
    }

    fn group9(&mut self, i: &Insn) -> R<()> {
        match (i.reg & 7, &i.mem) {
            (1, Some(m)) => {
                let off = self.ea(i, m);
                let am = amask(i.asize);
                let wide = i.osize == 8;
                let half = if wide { 8 } else { 4 };
                let lo = self.read_seg(m.seg, off, half, am)?;
                let hi = self.read_seg(m.seg, off.wrapping_add(half as u64), half, am)?;
                let (ea, ed) = (self.reg(half, 0, false), self.reg(half, 2, false));
                if lo == ea && hi == ed {
                    let (nb, nc) = (self.reg(half, 3, false), self.reg(half, 1, false));
                    self.write_seg(m.seg, off, half, am, nb)?;
                    self.write_seg(m.seg, off.wrapping_add(half as u64), half, am, nc)?;
                    self.set_arith(ZF, ZF);
                } else {
                    self.set_reg(half, 0, false, lo);
                    self.set_reg(half, 2, false, hi);
                    self.set_arith(ZF, 0);
                }
                Ok(())
            }
            (6 | 7, None) => {
                // RDRAND/RDSEED: a deterministic value from the TSC; CF=1 means valid.
                let v = self.tsc.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                self.set_reg(i.osize, i.rm, i.rex, v);
                self.set_arith(ARITH, CF);
                Ok(())
            }
            _ => Err(fault(UD)),
        }
    }

    /// INT n / INT3 / INTO from software.
    fn soft_int(&mut self, vector: u8, io: &mut dyn Io) -> R<()> {
        let _ = io;
        if self.model == Model::I8086 || !self.protected() {
            self.real_interrupt(vector)
        } else {
            self.protected_interrupt(vector, None, true)
        }
    }
}
