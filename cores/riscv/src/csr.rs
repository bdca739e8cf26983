//! Control and status registers, trap entry and return, interrupts and the timer.

use crate::decode::Xlen;
use crate::hart::{Exc, Hart, PRV_M, PRV_S, PRV_U};

pub const MSTATUS_SIE: u64 = 1 << 1;
pub const MSTATUS_MIE: u64 = 1 << 3;
pub const MSTATUS_SPIE: u64 = 1 << 5;
pub const MSTATUS_MPIE: u64 = 1 << 7;
pub const MSTATUS_SPP: u64 = 1 << 8;
pub const MSTATUS_MPP: u64 = 3 << 11;
pub const MSTATUS_FS: u64 = 3 << 13;
pub const MSTATUS_MPRV: u64 = 1 << 17;
pub const MSTATUS_SUM: u64 = 1 << 18;
pub const MSTATUS_MXR: u64 = 1 << 19;
pub const MSTATUS_TVM: u64 = 1 << 20;
pub const MSTATUS_TW: u64 = 1 << 21;
pub const MSTATUS_TSR: u64 = 1 << 22;

const MSTATUS_WRITABLE: u64 = MSTATUS_SIE
    | MSTATUS_MIE
    | MSTATUS_SPIE
    | MSTATUS_MPIE
    | MSTATUS_SPP
    | MSTATUS_MPP
    | MSTATUS_FS
    | MSTATUS_MPRV
    | MSTATUS_SUM
    | MSTATUS_MXR
    | MSTATUS_TVM
    | MSTATUS_TW
    | MSTATUS_TSR;
const SSTATUS_MASK: u64 = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;

pub const IRQ_SSI: u64 = 1;
pub const IRQ_MSI: u64 = 3;
pub const IRQ_STI: u64 = 5;
pub const IRQ_MTI: u64 = 7;
pub const IRQ_SEI: u64 = 9;
pub const IRQ_MEI: u64 = 11;
const S_INTERRUPTS: u64 = 1 << IRQ_SSI | 1 << IRQ_STI | 1 << IRQ_SEI;
const M_INTERRUPTS: u64 = S_INTERRUPTS | 1 << IRQ_MSI | 1 << IRQ_MTI | 1 << IRQ_MEI;

/// CSR numbers used by name elsewhere.
pub const CSR_FFLAGS: u16 = 0x001;
pub const CSR_FRM: u16 = 0x002;
pub const CSR_FCSR: u16 = 0x003;

impl Hart {
    fn misa(&self) -> u64 {
        let ext = |c: u8| 1u64 << (c - b'a');
        let bits = ext(b'i') | ext(b'm') | ext(b'a') | ext(b'f') | ext(b'd') | ext(b'c') | ext(b's') | ext(b'u');
        match self.xlen {
            Xlen::X64 => 2 << 62 | bits,
            Xlen::X32 => 1 << 30 | bits,
        }
    }

    fn mstatus_read(&self) -> u64 {
        let mut v = self.csr.mstatus;
        if v & MSTATUS_FS == MSTATUS_FS {
            v |= if self.xlen == Xlen::X64 { 1 << 63 } else { 1 << 31 };
        }
        if self.xlen == Xlen::X64 {
            v |= 2 << 32 | 2 << 34;
        }
        v
    }

    /// The pending-interrupt bits, with the timer and software bits from the CLINT and the
    /// external bits from the PLIC (context 0 drives MEIP, context 1 SEIP, which reads as
    /// the software-written bit or the PLIC's).
    pub fn mip(&self) -> u64 {
        let mut mip = self.csr.mip;
        let levels = crate::devices::irq_levels(&self.uart);
        if levels != 0 {
            if self.plic.irq(0, levels) {
                mip |= 1 << IRQ_MEI;
            }
            if self.plic.irq(1, levels) {
                mip |= 1 << IRQ_SEI;
            }
        }
        if self.clint.mtime(self.instret) >= self.clint.mtimecmp {
            mip |= 1 << IRQ_MTI;
        }
        if self.clint.msip {
            mip |= 1 << IRQ_MSI;
        }
        mip
    }

    /// Read a CSR as the current privilege level may. Errors are illegal instructions.
    pub fn csr_read(&self, csr: u16) -> Result<u64, Exc> {
        let ill = Exc::illegal(0);
        if ((csr >> 8) & 3) as u8 > self.prv {
            return Err(ill);
        }
        let rv32 = self.xlen == Xlen::X32;
        let c = &self.csr;
        let v = match csr {
            CSR_FFLAGS => self.fflags as u64,
            CSR_FRM => self.frm as u64,
            CSR_FCSR => (self.frm as u64) << 5 | self.fflags as u64,
            0xc00 | 0xc02 | 0xb00 | 0xb02 => self.instret,
            0xc01 => self.clint.mtime(self.instret),
            0xc80 | 0xc82 | 0xb80 | 0xb82 if rv32 => self.instret >> 32,
            0xc81 if rv32 => self.clint.mtime(self.instret) >> 32,
            _ if !self.bare => return Err(ill),
            0x100 => self.mstatus_read() & (SSTATUS_MASK | 1 << 63 | 1 << 31 | 3 << 32),
            0x104 => c.mie & c.mideleg,
            0x105 => c.stvec,
            0x106 => c.scounteren,
            0x10a => c.senvcfg,
            0x140 => c.sscratch,
            0x141 => c.sepc,
            0x142 => c.scause,
            0x143 => c.stval,
            0x144 => self.mip() & c.mideleg,
            0x180 => {
                if self.prv == PRV_S && c.mstatus & MSTATUS_TVM != 0 {
                    return Err(ill);
                }
                c.satp
            }
            0x300 => self.mstatus_read(),
            0x301 => self.misa(),
            0x302 => c.medeleg,
            0x303 => c.mideleg,
            0x304 => c.mie,
            0x305 => c.mtvec,
            0x306 => c.mcounteren,
            0x30a => c.menvcfg,
            0x310 if rv32 => 0,
            0x31a if rv32 => 0,
            0x320 => 0,
            0x340 => c.mscratch,
            0x341 => c.mepc,
            0x342 => c.mcause,
            0x343 => c.mtval,
            0x344 => self.mip(),
            0x3a0..=0x3ef => 0,
            0x7a0..=0x7a5 => 0,
            0xb03..=0xb1f | 0xc03..=0xc1f | 0x323..=0x33f => 0,
            0xb83..=0xb9f | 0xc83..=0xc9f if rv32 => 0,
            0xf11..=0xf15 => 0,
            _ => return Err(ill),
        };
        Ok(self.sx(v))
    }

    /// Write a CSR. Read-only CSRs and missing privilege raise illegal instruction.
    pub fn csr_write(&mut self, csr: u16, value: u64) -> Result<(), Exc> {
        let ill = Exc::illegal(0);
        if csr >> 10 == 3 || ((csr >> 8) & 3) as u8 > self.prv {
            return Err(ill);
        }
        let v = value & self.mask;
        let rv32 = self.xlen == Xlen::X32;
        match csr {
            CSR_FFLAGS => self.fflags = (v & 0x1f) as u8,
            CSR_FRM => self.frm = (v & 7) as u8,
            CSR_FCSR => {
                self.fflags = (v & 0x1f) as u8;
                self.frm = ((v >> 5) & 7) as u8;
            }
            _ if !self.bare => return Err(ill),
            0x100 => {
                let m = self.csr.mstatus;
                self.csr.mstatus = (m & !SSTATUS_MASK) | (v & SSTATUS_MASK);
                self.update_vm();
            }
            0x104 => {
                let d = self.csr.mideleg;
                self.csr.mie = (self.csr.mie & !d) | (v & d);
            }
            0x105 => self.csr.stvec = v & !2,
            0x106 => self.csr.scounteren = v & 0xffff_ffff,
            0x10a => self.csr.senvcfg = v,
            0x140 => self.csr.sscratch = v,
            0x141 => self.csr.sepc = v & !1,
            0x142 => self.csr.scause = v,
            0x143 => self.csr.stval = v,
            0x144 => {
                let mask = self.csr.mideleg & (1 << IRQ_SSI);
                self.csr.mip = (self.csr.mip & !mask) | (v & mask);
            }
            0x180 => {
                if self.prv == PRV_S && self.csr.mstatus & MSTATUS_TVM != 0 {
                    return Err(ill);
                }
                let mode_ok = if rv32 { true } else { matches!(v >> 60, 0 | 8) };
                if mode_ok {
                    self.csr.satp = v;
                    self.flush_tlb();
                    self.update_vm();
                }
            }
            0x300 => {
                let mut m = v & MSTATUS_WRITABLE;
                // MPP cannot hold the reserved level 2.
                if (m & MSTATUS_MPP) >> 11 == 2 {
                    m &= !MSTATUS_MPP;
                }
                self.csr.mstatus = m;
                self.flush_tlb();
                self.update_vm();
            }
            0x301 => {}
            0x302 => self.csr.medeleg = v & 0xb3ff,
            0x303 => self.csr.mideleg = v & S_INTERRUPTS,
            0x304 => self.csr.mie = v & M_INTERRUPTS,
            0x305 => self.csr.mtvec = v & !2,
            0x306 => self.csr.mcounteren = v & 0xffff_ffff,
            0x30a => self.csr.menvcfg = v,
            0x310 | 0x31a if rv32 => {}
            0x320 => {}
            0x340 => self.csr.mscratch = v,
            0x341 => self.csr.mepc = v & !1,
            0x342 => self.csr.mcause = v,
            0x343 => self.csr.mtval = v,
            0x344 => {
                let mask = S_INTERRUPTS;
                self.csr.mip = (self.csr.mip & !mask) | (v & mask);
            }
            0x3a0..=0x3ef | 0x7a0..=0x7a5 => {}
            0xb00 | 0xb02 => self.instret = v,
            0xb03..=0xb1f | 0x323..=0x33f => {}
            0xb80..=0xb9f if rv32 => {}
            _ => return Err(ill),
        }
        // Enables or pending bits may have changed: look for interrupts now.
        if self.bare {
            self.request_event();
        }
        Ok(())
    }

    /// Enter the trap handler for exception or interrupt `cause` at the current pc.
    pub fn take_trap(&mut self, cause: u64, tval: u64, interrupt: bool) {
        let deleg = if interrupt { self.csr.mideleg } else { self.csr.medeleg };
        let int_bit = if interrupt { 1u64 << (self.xlen_bits() - 1) } else { 0 };
        let vector = |tvec: u64| {
            if interrupt && tvec & 1 == 1 { (tvec & !3) + 4 * cause } else { tvec & !3 }
        };
        if self.prv <= PRV_S && (deleg >> cause) & 1 == 1 {
            let c = &mut self.csr;
            c.sepc = self.pc;
            c.scause = cause | int_bit;
            c.stval = tval;
            let sie = c.mstatus & MSTATUS_SIE != 0;
            c.mstatus &= !(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP);
            if sie {
                c.mstatus |= MSTATUS_SPIE;
            }
            if self.prv == PRV_S {
                c.mstatus |= MSTATUS_SPP;
            }
            self.prv = PRV_S;
            self.pc = vector(c.stvec) & self.mask;
        } else {
            let c = &mut self.csr;
            c.mepc = self.pc;
            c.mcause = cause | int_bit;
            c.mtval = tval;
            let mie = c.mstatus & MSTATUS_MIE != 0;
            c.mstatus &= !(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP);
            if mie {
                c.mstatus |= MSTATUS_MPIE;
            }
            c.mstatus |= (self.prv as u64) << 11;
            self.prv = PRV_M;
            self.pc = vector(c.mtvec) & self.mask;
        }
        self.reservation = None;
        self.update_vm();
        self.request_event();
    }

    /// `mret`: returns the new pc.
    pub fn mret(&mut self) -> Result<u64, Exc> {
        if self.prv != PRV_M {
            return Err(Exc::illegal(0x3020_0073));
        }
        let c = &mut self.csr;
        let mpp = ((c.mstatus & MSTATUS_MPP) >> 11) as u8;
        c.mstatus &= !MSTATUS_MIE;
        if c.mstatus & MSTATUS_MPIE != 0 {
            c.mstatus |= MSTATUS_MIE;
        }
        c.mstatus |= MSTATUS_MPIE;
        c.mstatus &= !MSTATUS_MPP;
        if mpp != PRV_M {
            c.mstatus &= !MSTATUS_MPRV;
        }
        self.prv = mpp;
        self.update_vm();
        self.request_event();
        Ok(self.csr.mepc & self.mask)
    }

    /// `sret`: returns the new pc.
    pub fn sret(&mut self) -> Result<u64, Exc> {
        if self.prv == PRV_U || (self.prv == PRV_S && self.csr.mstatus & MSTATUS_TSR != 0) {
            return Err(Exc::illegal(0x1020_0073));
        }
        let c = &mut self.csr;
        let spp = if c.mstatus & MSTATUS_SPP != 0 { PRV_S } else { PRV_U };
        c.mstatus &= !MSTATUS_SIE;
        if c.mstatus & MSTATUS_SPIE != 0 {
            c.mstatus |= MSTATUS_SIE;
        }
        c.mstatus |= MSTATUS_SPIE;
        c.mstatus &= !(MSTATUS_SPP | MSTATUS_MPRV);
        self.prv = spp;
        self.update_vm();
        self.request_event();
        Ok(self.csr.sepc & self.mask)
    }

    /// The interrupt to take now, if any, by the privileged spec's priority order.
    fn pending_interrupt(&self) -> Option<u64> {
        let pending = self.mip() & self.csr.mie;
        if pending == 0 {
            return None;
        }
        let m_enabled = self.prv < PRV_M || self.csr.mstatus & MSTATUS_MIE != 0;
        let s_enabled = self.prv < PRV_S || (self.prv == PRV_S && self.csr.mstatus & MSTATUS_SIE != 0);
        let m_set = if m_enabled { pending & !self.csr.mideleg } else { 0 };
        let s_set = if s_enabled { pending & self.csr.mideleg } else { 0 };
        let set = if m_set != 0 { m_set } else { s_set };
        [IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI].into_iter().find(|&i| set & (1 << i) != 0)
    }

    /// Called by the run loop when `instret` reaches `next_event`: take a pending
    /// interrupt and schedule the next timer check.
    pub fn service_events(&mut self) {
        if !self.bare {
            self.next_event = u64::MAX;
            return;
        }
        if let Some(irq) = self.pending_interrupt() {
            self.take_trap(irq, 0, true);
        }
        let now = self.clint.mtime(self.instret);
        self.next_event = if now < self.clint.mtimecmp {
            self.instret.saturating_add(self.clint.mtimecmp - now)
        } else {
            u64::MAX
        };
        // Ask again soon when an interrupt is pending but masked (a CSR write re-arms).
        if self.htif_exit.is_some() {
            self.request_event();
        }
    }

    /// `wfi`: skip time forward to the timer when it is the only thing that can wake us.
    pub fn wfi(&mut self) -> Result<(), Exc> {
        if self.prv == PRV_U || (self.prv == PRV_S && self.csr.mstatus & MSTATUS_TW != 0) {
            return Err(Exc::illegal(0x1050_0073));
        }
        if self.mip() & self.csr.mie == 0 && self.csr.mie & (1 << IRQ_MTI | 1 << IRQ_STI) != 0 {
            let now = self.clint.mtime(self.instret);
            if self.clint.mtimecmp > now && self.clint.mtimecmp != u64::MAX {
                self.clint.mtime_offset = self.clint.mtime_offset.wrapping_add(self.clint.mtimecmp - now);
            }
        }
        self.request_event();
        Ok(())
    }
}
