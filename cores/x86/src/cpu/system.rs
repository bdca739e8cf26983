//! System architecture: segment loading, far transfers, interrupt and exception delivery
//! (IVT, 32-bit IDT, 64-bit IDT with IST), control registers, MSRs, CPUID.

use super::{
    Cpu, DF_VEC, Event, GP, IF, Io, Model, NP, R, SS_VEC, Segment, TF, UD, ZF, fault, fault_code,
    size_mask,
};
use crate::decode::{CS, Insn, Mode, SS};

const NT: u64 = 1 << 14;
const RF: u64 = 1 << 16;
const VM: u64 = 1 << 17;
const AC: u64 = 1 << 18;

const EFER_SCE: u64 = 1;
const EFER_LME: u64 = 1 << 8;
const EFER_LMA: u64 = 1 << 10;

impl Cpu {
    // ---- descriptors ----

    /// Read the 8-byte descriptor for `sel` from the GDT or LDT.
    fn descriptor(&mut self, sel: u16) -> R<u64> {
        let (base, limit) = if sel & 4 != 0 {
            (self.ldtr.base, self.ldtr.limit as u64)
        } else {
            (self.gdtr.base, self.gdtr.limit as u64)
        };
        let idx = (sel & !7) as u64;
        if idx + 7 > limit {
            return Err(fault_code(GP, (sel & !3) as u32));
        }
        self.read_sys(base.wrapping_add(idx), 8)
    }

    fn segment_from(sel: u16, d: u64) -> Segment {
        let base = ((d >> 16) & 0xFF_FFFF) | ((d >> 32) & 0xFF00_0000);
        let mut limit = ((d & 0xFFFF) | ((d >> 32) & 0xF_0000)) as u32;
        let attr = ((d >> 40) & 0xF0FF) as u16;
        if attr & 0x8000 != 0 {
            limit = (limit << 12) | 0xFFF;
        }
        Segment {
            selector: sel,
            base,
            limit,
            attr,
        }
    }

    /// Load a data/stack segment register (or CS in real mode) from a selector.
    pub fn load_seg(&mut self, seg: u8, sel: u16) -> R<()> {
        if !self.protected() || self.model == Model::I8086 {
            let s = &mut self.segs[seg as usize];
            s.selector = sel;
            s.base = (sel as u64) << 4;
            if seg == CS {
                s.attr &= !0x6000;
            }
            return Ok(());
        }
        if sel & !3 == 0 {
            if seg == SS && !(self.mode() == Mode::Bits64 && self.cpl() != 3) {
                return Err(fault_code(GP, 0));
            }
            self.segs[seg as usize] = Segment {
                selector: sel,
                ..Segment::default()
            };
            return Ok(());
        }
        let d = self.descriptor(sel)?;
        let s = Self::segment_from(sel, d);
        if s.attr & 0x10 == 0 {
            return Err(fault_code(GP, (sel & !3) as u32));
        }
        if s.attr & 0x80 == 0 {
            let v = if seg == SS { SS_VEC } else { NP };
            return Err(fault_code(v, (sel & !3) as u32));
        }
        self.segs[seg as usize] = s;
        Ok(())
    }

    /// Load CS for a far transfer to `sel` at privilege `rpl` and set RIP.
    fn load_cs(&mut self, sel: u16, off: u64, rpl: u8) -> R<()> {
        let d = self.descriptor(sel)?;
        let mut s = Self::segment_from((sel & !3) | rpl as u16, d);
        if s.attr & 0x18 != 0x18 {
            return Err(fault_code(GP, (sel & !3) as u32));
        }
        if s.attr & 0x80 == 0 {
            return Err(fault_code(NP, (sel & !3) as u32));
        }
        if !self.long_active() {
            s.attr &= !0x2000;
        }
        self.segs[CS as usize] = s;
        self.rip = if self.mode() == Mode::Bits64 {
            off
        } else if s.big() {
            off & 0xFFFF_FFFF
        } else {
            off & 0xFFFF
        };
        Ok(())
    }

    pub fn far_jump(&mut self, sel: u16, off: u64) -> R<()> {
        if !self.protected() || self.model == Model::I8086 {
            self.load_seg(CS, sel)?;
            self.rip = off & 0xFFFF_FFFF;
            if self.model == Model::I8086 {
                self.rip &= 0xFFFF;
            }
            return Ok(());
        }
        let cpl = self.cpl();
        self.load_cs(sel, off, cpl)
    }

    pub fn far_call(&mut self, sel: u16, off: u64, osize: u8, ret: u64) -> R<()> {
        let cs = self.segs[CS as usize].selector as u64;
        self.push(osize, cs)?;
        self.push(osize, ret)?;
        self.far_jump(sel, off)
    }

    pub fn far_return(&mut self, osize: u8, extra: u64) -> R<()> {
        let ip = self.pop(osize)?;
        let cs = self.pop(osize)? as u16;
        let m = size_mask(self.stack_size());
        if !self.protected() || self.model == Model::I8086 {
            self.load_seg(CS, cs)?;
            self.rip = ip & size_mask(osize.min(4));
            self.regs[4] = (self.regs[4] & !m) | (self.regs[4].wrapping_add(extra) & m);
            return Ok(());
        }
        let cpl = self.cpl();
        let rpl = (cs & 3) as u8;
        self.regs[4] = (self.regs[4] & !m) | (self.regs[4].wrapping_add(extra) & m);
        if rpl > cpl {
            let sp = self.pop(osize)?;
            let ss = self.pop(osize)? as u16;
            self.load_cs(cs, ip, rpl)?;
            self.load_seg(SS, ss)?;
            self.regs[4] = sp;
        } else {
            self.load_cs(cs, ip, rpl)?;
        }
        Ok(())
    }

    pub fn iret(&mut self, osize: u8) -> R<()> {
        if !self.protected() || self.model == Model::I8086 {
            let ip = self.pop(osize)?;
            let cs = self.pop(osize)? as u16;
            let fl = self.pop(osize)?;
            self.load_seg(CS, cs)?;
            self.rip = ip & size_mask(osize.min(4));
            let old = self.rflags();
            let m = size_mask(osize);
            self.set_rflags((old & !m) | (fl & m));
            return Ok(());
        }
        let long = self.mode() == Mode::Bits64;
        let ip = self.pop(osize)?;
        let cs = self.pop(osize)? as u16;
        let fl = self.pop(osize)?;
        let rpl = (cs & 3) as u8;
        let cpl = self.cpl();
        if long || rpl > cpl {
            let sp = self.pop(osize)?;
            let ss = self.pop(osize)? as u16;
            self.load_cs(cs, ip, rpl)?;
            self.write_flags_for_iret(fl, osize, cpl);
            if ss & !3 == 0 && self.long_active() {
                self.segs[SS as usize] = Segment {
                    selector: ss,
                    ..Segment::default()
                };
            } else {
                self.load_seg(SS, ss)?;
            }
            self.regs[4] = if osize == 4 && !long {
                sp & 0xFFFF_FFFF
            } else {
                sp
            };
        } else {
            self.load_cs(cs, ip, rpl)?;
            self.write_flags_for_iret(fl, osize, cpl);
        }
        Ok(())
    }

    fn write_flags_for_iret(&mut self, fl: u64, osize: u8, cpl: u8) {
        let old = self.rflags();
        let mut keep = VM;
        if cpl > 0 {
            keep |= 0x3000;
        }
        if cpl as u64 > (old >> 12) & 3 {
            keep |= IF;
        }
        let m = size_mask(osize);
        self.set_rflags((old & (keep | !m)) | (fl & !keep & m));
    }

    // ---- interrupts ----

    /// Real-mode interrupt through the IVT.
    pub fn real_interrupt(&mut self, vector: u8) -> R<()> {
        let f = self.rflags();
        let cs = self.segs[CS as usize].selector as u64;
        let ip = self.rip;
        self.push(2, f)?;
        self.push(2, cs)?;
        self.push(2, ip)?;
        let entry = self.read_lin(self.idtr.base.wrapping_add(vector as u64 * 4), 4)?;
        self.set_flag(IF, false);
        self.set_flag(TF, false);
        self.load_seg(CS, (entry >> 16) as u16)?;
        self.rip = entry & 0xFFFF;
        Ok(())
    }

    /// Protected/long-mode interrupt through the IDT.
    pub fn protected_interrupt(&mut self, vector: u8, code: Option<u32>, soft: bool) -> R<()> {
        let long = self.long_active();
        let entry_size = if long { 16 } else { 8 };
        let gate_code = vector as u32 * 8 + 2;
        if (vector as u64 + 1) * entry_size - 1 > self.idtr.limit as u64 {
            return Err(fault_code(GP, gate_code));
        }
        let addr = self.idtr.base.wrapping_add(vector as u64 * entry_size);
        let lo = self.read_sys(addr, 8)?;
        let hi = if long {
            self.read_sys(addr.wrapping_add(8), 8)?
        } else {
            0
        };
        let kind = (lo >> 40) & 0xF;
        let dpl = ((lo >> 45) & 3) as u8;
        let present = lo & (1 << 47) != 0;
        let cpl = self.cpl();
        if soft && dpl < cpl {
            return Err(fault_code(GP, gate_code));
        }
        if !present {
            return Err(fault_code(NP, gate_code));
        }
        if !matches!(kind, 0x6 | 0x7 | 0xE | 0xF) {
            return Err(fault_code(GP, gate_code));
        }
        let sel = ((lo >> 16) & 0xFFFF) as u16;
        let mut off = (lo & 0xFFFF) | ((lo >> 32) & 0xFFFF_0000);
        if long {
            off |= (hi & 0xFFFF_FFFF) << 32;
        }
        let gate32 = kind >= 0xE;
        let d = self.descriptor(sel)?;
        let target = Self::segment_from(sel, d);
        let conforming = target.attr & 0x04 != 0;
        let new_cpl = if conforming {
            cpl
        } else {
            ((target.attr >> 5) & 3) as u8
        };
        let old_flags = self.rflags();
        let old_cs = self.segs[CS as usize].selector as u64;
        let old_ss = self.segs[SS as usize].selector as u64;
        let old_rsp = self.regs[4];
        let old_rip = self.rip;
        let ist = if long { (lo >> 32) & 7 } else { 0 };

        if long {
            let mut rsp = old_rsp;
            if new_cpl < cpl || ist != 0 {
                let tss = self.tr.base;
                rsp = if ist != 0 {
                    self.read_sys(tss.wrapping_add(0x24 + 8 * (ist - 1)), 8)?
                } else {
                    self.read_sys(tss.wrapping_add(4 + 8 * new_cpl as u64), 8)?
                };
            }
            if new_cpl < cpl {
                self.segs[SS as usize] = Segment {
                    selector: new_cpl as u16,
                    ..Segment::default()
                };
            }
            rsp &= !0xF;
            self.load_cs(sel, off, new_cpl)?;
            self.regs[4] = rsp;
            self.push(8, old_ss)?;
            self.push(8, old_rsp)?;
            self.push(8, old_flags)?;
            self.push(8, old_cs)?;
            self.push(8, old_rip)?;
            if let Some(c) = code {
                self.push(8, c as u64)?;
            }
        } else {
            let size = if gate32 { 4 } else { 2 };
            if new_cpl < cpl {
                let tss = self.tr.base;
                let (esp, ss) = if self.tr.attr & 0xF == 0x3 || self.tr.attr & 0xF == 0x1 {
                    let b = tss.wrapping_add(2 + 4 * new_cpl as u64);
                    (self.read_sys(b, 2)?, self.read_sys(b.wrapping_add(2), 2)?)
                } else {
                    let b = tss.wrapping_add(4 + 8 * new_cpl as u64);
                    (self.read_sys(b, 4)?, self.read_sys(b.wrapping_add(4), 2)?)
                };
                self.load_seg(SS, (ss as u16 & !3) | new_cpl as u16)?;
                self.regs[4] = esp;
                self.push(size, old_ss)?;
                self.push(size, old_rsp)?;
            }
            self.push(size, old_flags)?;
            self.push(size, old_cs)?;
            self.push(size, old_rip)?;
            if let Some(c) = code {
                self.push(size, c as u64)?;
            }
            self.load_cs(sel, off, new_cpl)?;
        }
        let mut f = self.rflags() & !(TF | NT | RF | VM);
        if kind & 1 == 0 {
            f &= !IF;
        }
        self.set_rflags(f);
        Ok(())
    }

    /// Deliver an exception raised by an instruction, escalating to #DF and then to a
    /// triple fault when delivery itself faults.
    pub fn deliver(&mut self, vector: u8, code: Option<u32>, _soft: bool, _io: &mut dyn Io) {
        let (mut v, mut c) = (vector, code);
        for attempt in 0..2 {
            let r = if !self.protected() || self.model == Model::I8086 {
                self.real_interrupt(v)
            } else {
                self.protected_interrupt(v, c, false)
            };
            if r.is_ok() {
                return;
            }
            if attempt == 0 && v != DF_VEC {
                v = DF_VEC;
                c = Some(0);
            } else {
                break;
            }
        }
        self.event = Event::TripleFault;
    }

    /// An external interrupt (from the PIC) with vector `vector`.
    pub fn hw_interrupt(&mut self, vector: u8, io: &mut dyn Io) {
        self.halted = false;
        let r = if !self.protected() {
            self.real_interrupt(vector)
        } else {
            self.protected_interrupt(vector, None, false)
        };
        if let Err(e) = r {
            self.deliver(e.vector, e.code, false, io);
        }
    }

    // ---- control registers and MSRs ----

    pub fn write_cr(&mut self, n: u8, v: u64) -> R<()> {
        match n {
            0 => {
                let old = self.cr0;
                let v = v | 0x10;
                if v & (1 << 31) != 0 && v & 1 == 0 {
                    return Err(fault_code(GP, 0));
                }
                self.cr0 = v;
                if v & (1 << 31) != 0 && self.efer & EFER_LME != 0 {
                    if self.cr4 & (1 << 5) == 0 {
                        self.cr0 = old;
                        return Err(fault_code(GP, 0));
                    }
                    self.efer |= EFER_LMA;
                } else if v & (1 << 31) == 0 {
                    self.efer &= !EFER_LMA;
                }
                self.tlb.flush();
            }
            2 => self.cr2 = v,
            3 => {
                self.cr3 = v;
                self.tlb.flush();
            }
            4 => {
                self.cr4 = v;
                self.tlb.flush();
            }
            8 => self.cr8 = v & 0xF,
            _ => return Err(fault(UD)),
        }
        Ok(())
    }

    pub fn read_cr(&self, n: u8) -> R<u64> {
        Ok(match n {
            0 => self.cr0,
            2 => self.cr2,
            3 => self.cr3,
            4 => self.cr4,
            8 => self.cr8,
            _ => return Err(fault(UD)),
        })
    }

    pub fn rdmsr(&self, idx: u32) -> R<u64> {
        let m = &self.msr;
        Ok(match idx {
            0x10 => self.tsc,
            0x1B => m.apic_base,
            0xFE => 0,
            0x174 => m.sysenter_cs,
            0x175 => m.sysenter_esp,
            0x176 => m.sysenter_eip,
            0x1A0 => m.misc_enable,
            0x277 => m.pat,
            0x2FF => 0x6,
            0xC000_0080 => self.efer,
            0xC000_0081 => m.star,
            0xC000_0082 => m.lstar,
            0xC000_0083 => m.cstar,
            0xC000_0084 => m.fmask,
            0xC000_0100 => self.segs[4].base,
            0xC000_0101 => self.segs[5].base,
            0xC000_0102 => m.kernel_gs_base,
            0xC000_0103 => m.tsc_aux,
            _ => return Err(fault_code(GP, 0)),
        })
    }

    pub fn wrmsr(&mut self, idx: u32, v: u64) -> R<()> {
        let m = &mut self.msr;
        match idx {
            0x10 => self.tsc = v,
            0x1B => m.apic_base = v,
            0x174 => m.sysenter_cs = v,
            0x175 => m.sysenter_esp = v,
            0x176 => m.sysenter_eip = v,
            0x1A0 => m.misc_enable = v,
            0x277 => m.pat = v,
            0x2FF | 0x200..=0x20F | 0x250 | 0x258 | 0x259 | 0x268..=0x26F => {}
            0xC000_0080 => {
                let lma = self.efer & EFER_LMA;
                self.efer = (v & 0xD01) | lma;
                self.tlb.flush();
            }
            0xC000_0081 => m.star = v,
            0xC000_0082 => m.lstar = v,
            0xC000_0083 => m.cstar = v,
            0xC000_0084 => m.fmask = v,
            0xC000_0100 => self.segs[4].base = v,
            0xC000_0101 => self.segs[5].base = v,
            0xC000_0102 => m.kernel_gs_base = v,
            0xC000_0103 => m.tsc_aux = v,
            _ => return Err(fault_code(GP, 0)),
        }
        Ok(())
    }

    pub fn cpuid(&mut self) {
        let leaf = self.regs[0] as u32;
        let sub = self.regs[1] as u32;
        let s = |t: &[u8]| -> [u32; 4] {
            let mut w = [0u32; 4];
            for (k, c) in t.chunks(4).enumerate().take(4) {
                let mut b = [0u8; 4];
                b[..c.len()].copy_from_slice(c);
                w[k] = u32::from_le_bytes(b);
            }
            w
        };
        let brand = b"Workbench x86-64 interpreter\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
        let (a, b, c, d) = match leaf {
            0 => {
                let v = s(b"WorkbenchX86");
                (7, v[0], v[2], v[1])
            }
            // Family 6; features: PSE TSC MSR PAE CX8 PGE CMOV PAT / CX16 POPCNT.
            1 => (0x0006_0F00, 0, (1 << 13) | (1 << 23), 0x0001_A178),
            7 if sub == 0 => (0, 0, 0, 0),
            0x8000_0000 => (0x8000_0008, 0, 0, 0),
            // SYSCALL NX 1GB-pages RDTSCP LM / LAHF-LM ABM.
            0x8000_0001 => (
                0,
                0,
                1 | (1 << 5),
                (1 << 11) | (1 << 20) | (1 << 26) | (1 << 27) | (1 << 29),
            ),
            0x8000_0002..=0x8000_0004 => {
                let k = (leaf - 0x8000_0002) as usize * 16;
                let v = s(&brand[k..k + 16]);
                (v[0], v[1], v[2], v[3])
            }
            0x8000_0008 => (0x3028, 0, 0, 0),
            _ => (0, 0, 0, 0),
        };
        self.regs[0] = a as u64;
        self.regs[3] = b as u64;
        self.regs[1] = c as u64;
        self.regs[2] = d as u64;
    }

    /// 0F 00, 0F 01, LAR/LSL, SYSCALL/SYSRET, CLTS, MOV CR/DR, RDMSR/WRMSR.
    pub fn exec_system(&mut self, i: &Insn, _io: &mut dyn Io) -> R<()> {
        let op = (i.op & 0xFF) as u8;
        let need_cpl0 = |cpu: &Cpu| -> R<()> {
            if cpu.cpl() != 0 {
                Err(fault_code(GP, 0))
            } else {
                Ok(())
            }
        };
        let am = size_mask(i.asize);
        match op {
            0x00 => {
                if !self.protected() {
                    return Err(fault(UD));
                }
                match i.reg & 7 {
                    0 => self.rm_write_sys(i, self.ldtr.selector as u64)?,
                    1 => self.rm_write_sys(i, self.tr.selector as u64)?,
                    2 | 3 => {
                        need_cpl0(self)?;
                        let sel = self.rm_read_sys(i, 2)? as u16;
                        let seg = if sel & !3 == 0 {
                            Segment::default()
                        } else {
                            let d = self.descriptor(sel)?;
                            let mut s = Self::segment_from(sel, d);
                            if self.long_active() {
                                let hi = self.read_lin(
                                    self.gdtr.base.wrapping_add((sel & !7) as u64 + 8),
                                    8,
                                )?;
                                s.base |= (hi & 0xFFFF_FFFF) << 32;
                            }
                            s
                        };
                        if i.reg & 7 == 2 {
                            self.ldtr = seg;
                        } else {
                            // Mark the TSS busy, as LTR does.
                            let addr = self.gdtr.base.wrapping_add((sel & !7) as u64 + 5);
                            let b = self.read_lin(addr, 1)?;
                            self.write_lin(addr, 1, b | 2)?;
                            self.tr = seg;
                            self.tr.attr |= 2;
                        }
                    }
                    4 | 5 => self.set_arith(ZF, 0),
                    _ => return Err(fault(UD)),
                }
            }
            0x01 => match (&i.mem, i.reg & 7) {
                (Some(m), 0 | 1) => {
                    let off = self.ea(i, m);
                    let t = if i.reg & 7 == 0 { self.gdtr } else { self.idtr };
                    self.write_seg(m.seg, off, 2, am, t.limit as u64)?;
                    let n = if i.mode == Mode::Bits64 { 8 } else { 4 };
                    self.write_seg(m.seg, off.wrapping_add(2), n, am, t.base)?;
                }
                (Some(m), 2 | 3) => {
                    need_cpl0(self)?;
                    let off = self.ea(i, m);
                    let limit = self.read_seg(m.seg, off, 2, am)? as u16;
                    let mut base = if i.mode == Mode::Bits64 {
                        self.read_seg(m.seg, off.wrapping_add(2), 8, am)?
                    } else {
                        self.read_seg(m.seg, off.wrapping_add(2), 4, am)?
                    };
                    if i.osize == 2 && i.mode != Mode::Bits64 {
                        base &= 0xFF_FFFF;
                    }
                    let t = super::TableReg { base, limit };
                    if i.reg & 7 == 2 {
                        self.gdtr = t;
                    } else {
                        self.idtr = t;
                    }
                }
                (_, 4) => {
                    let v = self.cr0 & 0xFFFF;
                    self.rm_write_sys(i, v)?;
                }
                (_, 6) => {
                    need_cpl0(self)?;
                    let v = self.rm_read_sys(i, 2)?;
                    // LMSW sets PE but cannot clear it.
                    let new = (self.cr0 & !0xE) | (v & 0xF) | (self.cr0 & 1);
                    self.write_cr(0, new)?;
                }
                (Some(m), 7) => {
                    need_cpl0(self)?;
                    let lin = self.seg_base(m.seg).wrapping_add(self.ea(i, m));
                    self.tlb.flush_page(lin);
                }
                (None, 7) if i.rm & 7 == 0 && i.mode == Mode::Bits64 => {
                    need_cpl0(self)?;
                    std::mem::swap(&mut self.segs[5].base, &mut self.msr.kernel_gs_base);
                }
                (None, 7) if i.rm & 7 == 1 => {
                    let t = self.tsc;
                    self.regs[0] = t & 0xFFFF_FFFF;
                    self.regs[2] = t >> 32;
                    self.regs[1] = self.msr.tsc_aux & 0xFFFF_FFFF;
                }
                (None, 1) if matches!(i.rm & 7, 2 | 3) => {
                    let on = i.rm & 7 == 3;
                    self.set_flag(AC, on);
                }
                _ => return Err(fault(UD)),
            },
            0x02 | 0x03 => self.set_arith(ZF, 0),
            0x05 => {
                if self.efer & EFER_SCE == 0 || !self.long_active() {
                    return Err(fault(UD));
                }
                self.regs[1] = self.rip;
                self.regs[11] = self.rflags();
                let sel = ((self.msr.star >> 32) & 0xFFFC) as u16;
                self.segs[CS as usize] = Segment {
                    selector: sel,
                    base: 0,
                    limit: 0xFFFF_FFFF,
                    attr: 0xA09B,
                };
                self.segs[SS as usize] = Segment {
                    selector: sel + 8,
                    base: 0,
                    limit: 0xFFFF_FFFF,
                    attr: 0xC093,
                };
                let f = self.rflags() & !self.msr.fmask & !RF;
                self.set_rflags(f);
                self.rip = self.msr.lstar;
            }
            0x07 => {
                if self.efer & EFER_SCE == 0 || !self.long_active() {
                    return Err(fault(UD));
                }
                need_cpl0(self)?;
                let base = ((self.msr.star >> 48) & 0xFFFC) as u16;
                if i.rex_w {
                    self.segs[CS as usize] = Segment {
                        selector: (base + 16) | 3,
                        base: 0,
                        limit: 0xFFFF_FFFF,
                        attr: 0xA0FB,
                    };
                    self.rip = self.regs[1];
                } else {
                    self.segs[CS as usize] = Segment {
                        selector: base | 3,
                        base: 0,
                        limit: 0xFFFF_FFFF,
                        attr: 0xC0FB,
                    };
                    self.rip = self.regs[1] & 0xFFFF_FFFF;
                }
                self.segs[SS as usize] = Segment {
                    selector: (base + 8) | 3,
                    base: 0,
                    limit: 0xFFFF_FFFF,
                    attr: 0xC0F3,
                };
                let f = self.regs[11];
                self.set_rflags(f);
            }
            0x06 => {
                need_cpl0(self)?;
                self.cr0 &= !8;
            }
            0x20 | 0x22 => {
                need_cpl0(self)?;
                let n = i.reg;
                let size = if i.mode == Mode::Bits64 { 8 } else { 4 };
                if op == 0x20 {
                    let v = self.read_cr(n)?;
                    self.set_reg(size, i.rm, true, v);
                } else {
                    let v = self.reg(size, i.rm, true);
                    self.write_cr(n, v)?;
                }
            }
            0x21 | 0x23 => {
                need_cpl0(self)?;
                let n = (i.reg & 7) as usize;
                let size = if i.mode == Mode::Bits64 { 8 } else { 4 };
                if op == 0x21 {
                    let v = self.dr[n];
                    self.set_reg(size, i.rm, true, v);
                } else {
                    self.dr[n] = self.reg(size, i.rm, true);
                }
            }
            0x30 => {
                need_cpl0(self)?;
                let v = (self.regs[2] << 32) | (self.regs[0] & 0xFFFF_FFFF);
                self.wrmsr(self.regs[1] as u32, v)?;
            }
            0x32 => {
                need_cpl0(self)?;
                let v = self.rdmsr(self.regs[1] as u32)?;
                self.regs[0] = v & 0xFFFF_FFFF;
                self.regs[2] = v >> 32;
            }
            _ => return Err(fault(UD)),
        }
        Ok(())
    }

    fn rm_read_sys(&mut self, i: &Insn, size: u8) -> R<u64> {
        match &i.mem {
            None => Ok(self.reg(size, i.rm, i.rex)),
            Some(m) => {
                let off = self.ea(i, m);
                self.read_seg(m.seg, off, size, size_mask(i.asize))
            }
        }
    }

    fn rm_write_sys(&mut self, i: &Insn, v: u64) -> R<()> {
        match &i.mem {
            None => {
                self.set_reg(i.osize, i.rm, i.rex, v);
                Ok(())
            }
            Some(m) => {
                let off = self.ea(i, m);
                self.write_seg(m.seg, off, 2, size_mask(i.asize), v)
            }
        }
    }
}
