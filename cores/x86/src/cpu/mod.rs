//! The x86 CPU: architectural state, lazy flags and the step loop.
//!
//! The CPU owns physical RAM (the PC has no memory-mapped device our OS uses; VGA text
//! memory is plain RAM the screen is drawn from) and reaches I/O ports through [`Io`].

mod alu;
mod exec;
mod icache;
mod mmu;
mod snapshot;
mod system;

pub(crate) use mmu::Tlb;

use crate::decode::{self, Insn, Mode};

/// Flag bits of RFLAGS.
pub const CF: u64 = 1 << 0;
pub const PF: u64 = 1 << 2;
pub const AF: u64 = 1 << 4;
pub const ZF: u64 = 1 << 6;
pub const SF: u64 = 1 << 7;
pub const TF: u64 = 1 << 8;
pub const IF: u64 = 1 << 9;
pub const DF: u64 = 1 << 10;
pub const OF: u64 = 1 << 11;
pub const ARITH: u64 = CF | PF | AF | ZF | SF | OF;

/// Exception vectors.
pub const DE: u8 = 0;
pub const UD: u8 = 6;
pub const NM: u8 = 7;
pub const DF_VEC: u8 = 8;
pub const NP: u8 = 11;
pub const SS_VEC: u8 = 12;
pub const GP: u8 = 13;
pub const PF_VEC: u8 = 14;

/// Which CPU generation the core behaves as, where generations disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// The original 8086: shift counts unmasked, FLAGS bits 12..15 set, PUSH SP pushes the
    /// new value, #DE returns after the instruction, no 0F opcodes.
    I8086,
    /// The 80286 in real mode: FLAGS bits 12..15 stay clear, otherwise as later CPUs.
    I80286,
    /// An x86-64 CPU (what the PC platform runs).
    X86_64,
}

/// An exception raised while executing an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exception {
    pub vector: u8,
    pub code: Option<u32>,
}

pub type R<T> = Result<T, Exception>;

pub fn fault(vector: u8) -> Exception {
    Exception { vector, code: None }
}

pub fn fault_code(vector: u8, code: u32) -> Exception {
    Exception {
        vector,
        code: Some(code),
    }
}

/// Port I/O as the CPU sees it.
pub trait Io {
    fn port_in(&mut self, port: u16, size: u8) -> u32;
    fn port_out(&mut self, port: u16, size: u8, value: u32);
}

/// A segment register with its hidden descriptor cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub selector: u16,
    pub base: u64,
    pub limit: u32,
    /// Access byte (bits 0..7) and flags nibble (bits 12..15: AVL, L, D/B, G) as in a
    /// descriptor's bytes 5..6.
    pub attr: u16,
}

impl Segment {
    pub fn real(selector: u16) -> Self {
        Segment {
            selector,
            base: (selector as u64) << 4,
            limit: 0xFFFF,
            attr: 0x93,
        }
    }
    pub fn long(&self) -> bool {
        self.attr & 0x2000 != 0
    }
    pub fn big(&self) -> bool {
        self.attr & 0x4000 != 0
    }
}

/// Descriptor table register (GDTR/IDTR).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableReg {
    pub base: u64,
    pub limit: u16,
}

/// Which kind of operation last set the arithmetic flags (evaluated on demand).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LazyOp {
    /// `rflags` holds the arithmetic flags.
    None,
    Add,
    Sub,
    Logic,
    Inc,
    Dec,
}

#[derive(Clone, Copy, Debug)]
pub struct Lazy {
    pub op: LazyOp,
    pub size: u8,
    pub a: u64,
    pub b: u64,
    pub res: u64,
    pub carry_in: bool,
}

/// Model-specific registers the OS can touch.
#[derive(Clone, Copy, Debug, Default)]
pub struct Msrs {
    pub star: u64,
    pub lstar: u64,
    pub cstar: u64,
    pub fmask: u64,
    pub kernel_gs_base: u64,
    pub apic_base: u64,
    pub pat: u64,
    pub sysenter_cs: u64,
    pub sysenter_esp: u64,
    pub sysenter_eip: u64,
    pub tsc_aux: u64,
    pub misc_enable: u64,
}

/// A control transfer the debugger's shadow call stack wants to know about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    None,
    Call { target: u64, ret: u64 },
    Return { to: u64 },
}

/// What a step ended with, beyond plain retirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    None,
    /// HLT executed; the CPU waits for an interrupt.
    Halt,
    /// The BIOS trap opcode ran: the Rust BIOS must service interrupt `n`.
    Bios(u8),
    /// A triple fault: the machine cannot go on.
    TripleFault,
}

pub struct Cpu {
    pub model: Model,
    pub regs: [u64; 16],
    pub rip: u64,
    /// RFLAGS; the arithmetic bits are valid only when `lazy.op == LazyOp::None`.
    flags: u64,
    lazy: Lazy,
    pub segs: [Segment; 6],
    pub gdtr: TableReg,
    pub idtr: TableReg,
    pub ldtr: Segment,
    pub tr: Segment,
    pub cr0: u64,
    pub cr2: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub cr8: u64,
    pub efer: u64,
    pub dr: [u64; 8],
    pub msr: Msrs,
    pub mem: Vec<u8>,
    /// Physical address mask: bit 20 cleared while the A20 gate is closed.
    pub a20_mask: u64,
    pub halted: bool,
    /// Interrupts are inhibited for one instruction after STI / MOV SS.
    pub int_shadow: bool,
    pub tsc: u64,
    pub event: Event,
    pub tlb: Tlb,
    pub icache: icache::ICache,
    /// The call or return the last instruction made (linear addresses).
    pub flow: Flow,
    /// Set while the CPU reads system structures (GDT, IDT, TSS): supervisor accesses
    /// whatever the CPL.
    pub implicit_sv: bool,
    /// When set, data accesses are logged to `mem_log` (for watchpoints and heat).
    pub log_mem: bool,
    pub mem_log: Vec<(u64, bool, u64)>,
}

impl Cpu {
    pub fn new(model: Model, ram_bytes: usize) -> Self {
        let mut cpu = Cpu {
            model,
            regs: [0; 16],
            rip: 0,
            flags: 2,
            lazy: Lazy {
                op: LazyOp::None,
                size: 1,
                a: 0,
                b: 0,
                res: 0,
                carry_in: false,
            },
            segs: [Segment::real(0); 6],
            gdtr: TableReg {
                base: 0,
                limit: 0xFFFF,
            },
            idtr: TableReg {
                base: 0,
                limit: 0x3FF,
            },
            ldtr: Segment::default(),
            tr: Segment {
                attr: 0x8B,
                limit: 0xFFFF,
                ..Segment::default()
            },
            cr0: 0x10,
            cr2: 0,
            cr3: 0,
            cr4: 0,
            cr8: 0,
            efer: 0,
            dr: [0; 8],
            msr: Msrs {
                apic_base: 0xFEE0_0900,
                pat: 0x0007_0406_0007_0406,
                ..Msrs::default()
            },
            mem: vec![0; ram_bytes],
            a20_mask: !0,
            halted: false,
            int_shadow: false,
            tsc: 0,
            event: Event::None,
            tlb: Tlb::new(),
            icache: icache::ICache::new(ram_bytes),
            flow: Flow::None,
            implicit_sv: false,
            log_mem: false,
            mem_log: Vec::new(),
        };
        if model == Model::I8086 {
            cpu.flags = 0xF002;
            cpu.a20_mask = 0xF_FFFF;
        }
        cpu
    }

    // ---- modes ----

    pub fn protected(&self) -> bool {
        self.cr0 & 1 != 0
    }
    pub fn long_active(&self) -> bool {
        self.efer & (1 << 10) != 0
    }
    pub fn mode(&self) -> Mode {
        if self.long_active() && self.segs[1].long() {
            Mode::Bits64
        } else if self.protected() && self.segs[1].big() {
            Mode::Bits32
        } else {
            Mode::Bits16
        }
    }
    pub fn cpl(&self) -> u8 {
        if self.protected() {
            (self.segs[1].selector & 3) as u8
        } else {
            0
        }
    }
    /// The width of the stack pointer in bytes.
    pub fn stack_size(&self) -> u8 {
        if self.mode() == Mode::Bits64 {
            8
        } else if self.protected() && self.segs[2].big() {
            4
        } else {
            2
        }
    }

    // ---- registers ----

    #[inline]
    pub fn reg(&self, size: u8, n: u8, rex: bool) -> u64 {
        let n = n as usize;
        match size {
            1 if !rex && (4..8).contains(&n) => (self.regs[n - 4] >> 8) & 0xFF,
            1 => self.regs[n] & 0xFF,
            2 => self.regs[n] & 0xFFFF,
            4 => self.regs[n] & 0xFFFF_FFFF,
            _ => self.regs[n],
        }
    }

    #[inline]
    pub fn set_reg(&mut self, size: u8, n: u8, rex: bool, v: u64) {
        let n = n as usize;
        match size {
            1 if !rex && (4..8).contains(&n) => {
                self.regs[n - 4] = (self.regs[n - 4] & !0xFF00) | ((v & 0xFF) << 8)
            }
            1 => self.regs[n] = (self.regs[n] & !0xFF) | (v & 0xFF),
            2 => self.regs[n] = (self.regs[n] & !0xFFFF) | (v & 0xFFFF),
            4 => self.regs[n] = v & 0xFFFF_FFFF,
            _ => self.regs[n] = v,
        }
    }

    // ---- flags ----

    /// The full RFLAGS value.
    pub fn rflags(&self) -> u64 {
        if self.lazy.op == LazyOp::None {
            self.flags
        } else {
            (self.flags & !ARITH) | self.lazy_arith()
        }
    }

    /// Replace RFLAGS (reserved bits forced as the model requires).
    pub fn set_rflags(&mut self, v: u64) {
        self.lazy.op = LazyOp::None;
        self.flags = match self.model {
            Model::I8086 => (v & 0x0FD5) | 0xF002,
            Model::I80286 if !self.protected() => (v & 0x0FD5) | 2,
            Model::I80286 => (v & 0x7FD5) | 2,
            Model::X86_64 => (v & 0x003F_7FD5) | 2,
        };
    }

    /// Set only the arithmetic flags named in `mask` to the bits of `v`.
    pub fn set_arith(&mut self, mask: u64, v: u64) {
        let f = self.rflags();
        self.lazy.op = LazyOp::None;
        self.flags = (f & !mask) | (v & mask);
    }

    #[inline]
    pub fn flag(&self, bit: u64) -> bool {
        if bit & ARITH == 0 || self.lazy.op == LazyOp::None {
            self.flags & bit != 0
        } else {
            self.lazy_arith() & bit != 0
        }
    }

    pub fn set_flag(&mut self, bit: u64, on: bool) {
        if bit & ARITH != 0 {
            self.set_arith(bit, if on { bit } else { 0 });
        } else if on {
            self.flags |= bit;
        } else {
            self.flags &= !bit;
        }
    }

    /// Record an arithmetic result whose flags are computed on demand.
    #[inline]
    pub fn set_lazy(&mut self, op: LazyOp, size: u8, a: u64, b: u64, res: u64, carry_in: bool) {
        if matches!(op, LazyOp::Inc | LazyOp::Dec) {
            // INC/DEC keep CF: pin the current one into `flags` first.
            let cf = self.flag(CF);
            self.flags = (self.flags & !CF) | cf as u64;
        }
        self.lazy = Lazy {
            op,
            size,
            a,
            b,
            res,
            carry_in,
        };
    }

    fn lazy_arith(&self) -> u64 {
        let l = &self.lazy;
        let mask = size_mask(l.size);
        let sign = sign_bit(l.size);
        let res = l.res & mask;
        let (a, b) = (l.a & mask, l.b & mask);
        let mut f = szp(l.size, res);
        match l.op {
            LazyOp::None => return self.flags & ARITH,
            LazyOp::Add => {
                if res < a || (l.carry_in && res == a) {
                    f |= CF;
                }
                if (a ^ res) & (b ^ res) & sign != 0 {
                    f |= OF;
                }
                f |= (a ^ b ^ res) & AF;
            }
            LazyOp::Sub => {
                if a < b || (l.carry_in && a == b) {
                    f |= CF;
                }
                if (a ^ b) & (a ^ res) & sign != 0 {
                    f |= OF;
                }
                f |= (a ^ b ^ res) & AF;
            }
            LazyOp::Logic => {}
            LazyOp::Inc => {
                f |= self.flags & CF;
                if res == sign {
                    f |= OF;
                }
                if res & 0xF == 0 {
                    f |= AF;
                }
            }
            LazyOp::Dec => {
                f |= self.flags & CF;
                if res == sign - 1 {
                    f |= OF;
                }
                if res & 0xF == 0xF {
                    f |= AF;
                }
            }
        }
        f
    }

    /// Evaluate condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc).
    pub fn cond(&self, cc: u8) -> bool {
        let f = self.rflags();
        let r = match cc >> 1 {
            0 => f & OF != 0,
            1 => f & CF != 0,
            2 => f & ZF != 0,
            3 => f & (CF | ZF) != 0,
            4 => f & SF != 0,
            5 => f & PF != 0,
            6 => ((f & SF) != 0) != ((f & OF) != 0),
            _ => f & ZF != 0 || (((f & SF) != 0) != ((f & OF) != 0)),
        };
        r ^ (cc & 1 != 0)
    }

    // ---- the step ----

    /// Fetch, decode and execute one instruction, delivering any exception it raises.
    pub fn step(&mut self, io: &mut dyn Io) {
        let start = self.rip;
        let rsp = self.regs[4];
        self.event = Event::None;
        self.int_shadow = false;
        let result = self.fetch_and_exec(start, io);
        self.tsc = self.tsc.wrapping_add(1);
        if let Err(e) = result {
            if !(self.model == Model::I8086 && e.vector == DE) {
                self.rip = start;
                self.regs[4] = rsp;
            }
            self.deliver(e.vector, e.code, false, io);
        }
    }

    fn fetch_and_exec(&mut self, start: u64, io: &mut dyn Io) -> R<()> {
        let mut insn = Insn::EMPTY;
        self.fetch_decode(&mut insn)?;
        // The 286 limits an instruction to 10 bytes (prefixes included): #GP beyond.
        if self.model == Model::I80286 && insn.len > 10 {
            return Err(fault_code(GP, 0));
        }
        let mode = insn.mode;
        self.rip = start.wrapping_add(insn.len as u64);
        if mode != Mode::Bits64 {
            self.rip &= if mode == Mode::Bits16 {
                0xFFFF
            } else {
                0xFFFF_FFFF
            };
        }
        self.exec(&insn, io)
    }

    /// Decode the instruction at CS:RIP.
    pub fn fetch_decode(&mut self, out: &mut Insn) -> R<()> {
        let mode = self.mode();
        let base = self.seg_base(decode::CS);
        let rip = self.rip;
        let ip_mask = match mode {
            Mode::Bits16 => 0xFFFF,
            Mode::Bits32 => 0xFFFF_FFFF,
            Mode::Bits64 => u64::MAX,
        };
        // Fast path: the whole window sits in one page.
        let lin = base.wrapping_add(rip & ip_mask);
        let mut err = None;
        if lin & 0xFFF <= 0xFF0 && (mode != Mode::Bits16 || rip & 0xFFFF <= 0xFFF0) {
            match self.translate(lin, mmu::Access::Exec) {
                Ok(phys) => {
                    if let Some(insn) = self.icache.get(phys, mode) {
                        *out = *insn;
                        return Ok(());
                    }
                    let p = phys as usize;
                    if p + 16 <= self.mem.len() {
                        let window = &self.mem[p..p + 16];
                        let insn = decode::decode(mode, |i| Some(window[i as usize]))
                            .map_err(|_| fault(UD))?;
                        // Only instructions inside one page are cached (a page's
                        // generation covers all of its bytes).
                        if (phys & 0xFFF) + insn.len as u64 <= 0x1000 {
                            self.icache.put(phys, mode, insn);
                        }
                        *out = insn;
                        return Ok(());
                    }
                }
                Err(e) => err = Some(e),
            }
        }
        if let Some(e) = err {
            return Err(e);
        }
        let mut fetch_err = None;
        let r = decode::decode(mode, |i| {
            let l = base.wrapping_add(rip.wrapping_add(i as u64) & ip_mask);
            match self.read_lin_u8(l, mmu::Access::Exec) {
                Ok(b) => Some(b),
                Err(e) => {
                    fetch_err = Some(e);
                    None
                }
            }
        });
        match r {
            Ok(i) => {
                *out = i;
                Ok(())
            }
            Err(decode::DecodeError::Fetch(_)) => Err(fetch_err.unwrap_or(fault(GP))),
            Err(decode::DecodeError::Invalid) => Err(fault(UD)),
        }
    }

    /// Linear base of segment `seg` (zero for ES/CS/SS/DS in 64-bit mode).
    #[inline]
    pub fn seg_base(&self, seg: u8) -> u64 {
        if seg < 4 && self.long_active() && self.segs[1].long() {
            0
        } else {
            self.segs[seg as usize].base
        }
    }
}

pub fn size_mask(size: u8) -> u64 {
    match size {
        1 => 0xFF,
        2 => 0xFFFF,
        4 => 0xFFFF_FFFF,
        _ => u64::MAX,
    }
}

pub fn sign_bit(size: u8) -> u64 {
    1u64 << (size as u32 * 8 - 1)
}

/// ZF, SF and PF of a result.
pub fn szp(size: u8, res: u64) -> u64 {
    let res = res & size_mask(size);
    let mut f = 0;
    if res == 0 {
        f |= ZF;
    }
    if res & sign_bit(size) != 0 {
        f |= SF;
    }
    if (res as u8).count_ones().is_multiple_of(2) {
        f |= PF;
    }
    f
}

pub fn sext(v: u64, size: u8) -> u64 {
    match size {
        1 => v as i8 as i64 as u64,
        2 => v as i16 as i64 as u64,
        4 => v as i32 as i64 as u64,
        _ => v,
    }
}
