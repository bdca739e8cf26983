//! The hart: registers, RAM, the decode cache, address translation and device dispatch.
//! Instruction semantics live in `exec.rs`, CSRs and traps in `csr.rs`.

use wb_machine::{Access, Hooks};

use crate::decode::{Xlen, decode, instr_len};
use crate::devices::{self, Clint, HtifCommand, Plic, Uart};
use crate::instr::{Instr, Op};
use crate::mem::{self, Memory, PAGE_SHIFT};

/// Privilege levels.
pub const PRV_U: u8 = 0;
pub const PRV_S: u8 = 1;
pub const PRV_M: u8 = 3;

/// Exception causes.
pub const CAUSE_FETCH_MISALIGNED: u64 = 0;
pub const CAUSE_FETCH_ACCESS: u64 = 1;
pub const CAUSE_ILLEGAL: u64 = 2;
pub const CAUSE_BREAKPOINT: u64 = 3;
pub const CAUSE_LOAD_MISALIGNED: u64 = 4;
pub const CAUSE_LOAD_ACCESS: u64 = 5;
pub const CAUSE_STORE_MISALIGNED: u64 = 6;
pub const CAUSE_STORE_ACCESS: u64 = 7;
pub const CAUSE_ECALL_U: u64 = 8;
pub const CAUSE_FETCH_PAGE: u64 = 12;
pub const CAUSE_LOAD_PAGE: u64 = 13;
pub const CAUSE_STORE_PAGE: u64 = 15;

/// A synchronous exception raised by an instruction (it did not retire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exc {
    pub cause: u64,
    pub tval: u64,
}

impl Exc {
    pub fn illegal(bits: u64) -> Exc {
        Exc { cause: CAUSE_ILLEGAL, tval: bits }
    }
}

/// Kind of a memory access, for translation and faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acc {
    Fetch,
    Load,
    Store,
}

impl Acc {
    fn page_fault(self, addr: u64) -> Exc {
        let cause = match self {
            Acc::Fetch => CAUSE_FETCH_PAGE,
            Acc::Load => CAUSE_LOAD_PAGE,
            Acc::Store => CAUSE_STORE_PAGE,
        };
        Exc { cause, tval: addr }
    }
    fn access_fault(self, addr: u64) -> Exc {
        let cause = match self {
            Acc::Fetch => CAUSE_FETCH_ACCESS,
            Acc::Load => CAUSE_LOAD_ACCESS,
            Acc::Store => CAUSE_STORE_ACCESS,
        };
        Exc { cause, tval: addr }
    }
}

/// The privileged CSRs of the bare-metal machine.
#[derive(Clone, Debug, Default)]
pub struct Csrs {
    pub mstatus: u64,
    pub medeleg: u64,
    pub mideleg: u64,
    pub mie: u64,
    /// Software-writable pending bits (SSIP, STIP, SEIP); MTIP/MSIP come from the CLINT.
    pub mip: u64,
    pub mtvec: u64,
    pub mscratch: u64,
    pub mepc: u64,
    pub mcause: u64,
    pub mtval: u64,
    pub mcounteren: u64,
    pub menvcfg: u64,
    pub stvec: u64,
    pub sscratch: u64,
    pub sepc: u64,
    pub scause: u64,
    pub stval: u64,
    pub scounteren: u64,
    pub senvcfg: u64,
    pub satp: u64,
}

#[derive(Clone, Copy, Default)]
struct TlbEntry {
    /// Virtual page number + 1 (0 means empty).
    tag: u64,
    ppn: u64,
    /// PTE flag bits (V R W X U G A D).
    flags: u8,
}

const TLB_SIZE: usize = 256;

/// One entry of the fast data TLBs: a virtual page that plain loads (or stores) may access
/// directly in RAM, at RAM offset `addr + delta`.
#[derive(Clone, Copy)]
struct FastEntry {
    /// Virtual address of the page (`u64::MAX`: empty). An access of `len` bytes hits when
    /// `addr & (PAGE_TAG_MASK | (len - 1))` equals it: one compare checks the page and the
    /// alignment, and an aligned access never crosses its page.
    tag: u64,
    delta: u64,
}

impl FastEntry {
    fn new(addr: u64, off: usize) -> FastEntry {
        FastEntry { tag: addr & PAGE_TAG_MASK, delta: (off as u64).wrapping_sub(addr) }
    }
}

const FAST_EMPTY: FastEntry = FastEntry { tag: u64::MAX, delta: 0 };
const PAGE_TAG_MASK: u64 = !(mem::PAGE_SIZE - 1);
const FAST_SIZE: usize = 512;
const SLOTS_PER_PAGE: usize = 1 << (PAGE_SHIFT - 1);

type CodePage = Box<[Instr; SLOTS_PER_PAGE]>;

pub struct Hart {
    /// x0..x31, then the scratch slot 32 that decoded `rd = x0` writes go to (the rest
    /// pads the array so that any `u8` index needs no bounds check).
    pub x: [u64; 256],
    pub f: [u64; 32],
    pub pc: u64,
    pub xlen: Xlen,
    /// All-ones on RV64, 0xffff_ffff on RV32: applied to every address.
    pub mask: u64,
    pub frm: u8,
    pub fflags: u8,
    pub instret: u64,
    /// The run loop calls [`Hart::service_events`] when `instret` reaches this.
    pub next_event: u64,
    /// The fast loop runs while `instret` is below this (the budget or the next event).
    pub run_limit: u64,
    pub reservation: Option<u64>,
    pub prv: u8,
    pub csr: Csrs,
    pub mem: Memory,
    code: Vec<Option<CodePage>>,
    /// Bare-metal machine (devices, traps) rather than Linux user mode.
    pub bare: bool,
    pub clint: Clint,
    pub uart: Uart,
    pub plic: Plic,
    pub tohost: Option<u64>,
    pub fromhost: Option<u64>,
    /// Set when the guest asked to stop (HTIF exit): the raw HTIF exit value.
    pub htif_exit: Option<u64>,
    pub hooks: Hooks,
    tlb: Box<[TlbEntry; TLB_SIZE]>,
    /// Pages where a load needs no check beyond the entry: translated (with paging),
    /// readable RAM. Dropped whenever translation, privilege or page flags change.
    fast_read: [FastEntry; FAST_SIZE],
    /// The same for stores: writable RAM holding neither decoded code nor a device.
    fast_write: [FastEntry; FAST_SIZE],
    pub vm_fetch: bool,
    pub vm_data: bool,
    /// Virtual address of the block being run (`block.rs`); handlers add their offset.
    pub block_pc: u64,
    /// Where the block being run continues: its fall-through, or what a jump set.
    pub next_pc: u64,
    /// Instructions that forward branches inside the blocks being run jumped over; the
    /// block loop takes them off its count.
    pub skipped: u64,
    /// RAM pages whose decoded code was dropped; the block cache drops its blocks too.
    pub code_dirty: Vec<usize>,
    /// The whole decode cache was dropped; the block cache must be dropped too.
    pub code_flush: bool,
}

impl Hart {
    pub fn new(xlen: Xlen, mem: Memory, bare: bool) -> Hart {
        let pages = mem.flags.len();
        let mut code = Vec::with_capacity(pages);
        code.resize_with(pages, || None);
        Hart {
            x: [0; 256],
            f: [0; 32],
            pc: 0,
            xlen,
            mask: if xlen == Xlen::X64 { u64::MAX } else { 0xffff_ffff },
            frm: 0,
            fflags: 0,
            instret: 0,
            next_event: if bare { 0 } else { u64::MAX },
            run_limit: 0,
            reservation: None,
            prv: if bare { PRV_M } else { PRV_U },
            csr: Csrs::default(),
            mem,
            code,
            bare,
            clint: Clint::default(),
            uart: Uart::default(),
            plic: Plic::default(),
            tohost: None,
            fromhost: None,
            htif_exit: None,
            hooks: Hooks::new(),
            tlb: Box::new([TlbEntry::default(); TLB_SIZE]),
            fast_read: [FAST_EMPTY; FAST_SIZE],
            fast_write: [FAST_EMPTY; FAST_SIZE],
            vm_fetch: false,
            vm_data: false,
            block_pc: 0,
            next_pc: 0,
            skipped: 0,
            code_dirty: Vec::new(),
            code_flush: false,
        }
    }

    /// Have the run loop look at interrupts and device events after this instruction.
    pub fn request_event(&mut self) {
        self.next_event = self.instret;
        self.run_limit = self.instret;
    }

    /// Sign-extend a result to the register width (RV32 keeps registers sign-extended).
    #[inline(always)]
    pub fn sx(&self, v: u64) -> u64 {
        if self.xlen == Xlen::X32 { v as i32 as i64 as u64 } else { v }
    }

    pub fn xlen_bits(&self) -> u32 {
        if self.xlen == Xlen::X32 { 32 } else { 64 }
    }

    // ---- decode cache ----

    /// Run one instruction on the exact path (no hooks): the reference semantics that
    /// the block cache falls back to.
    pub fn step(&mut self) -> Result<(), Exc> {
        let i = self.fetch()?;
        self.pc = self.exec(i, self.pc)?;
        self.instret += 1;
        Ok(())
    }

    /// The decoded instruction at `pc`, decoding (and caching) it on first use.
    #[inline(always)]
    pub fn fetch(&mut self) -> Result<Instr, Exc> {
        if !self.vm_fetch
            && let Some(i) = self.cached(self.pc) {
                return Ok(i);
            }
        self.fetch_translated()
    }

    /// The decoded instruction at physical address `phys`, when cached.
    #[inline(always)]
    pub fn cached(&self, phys: u64) -> Option<Instr> {
        let off = phys.wrapping_sub(self.mem.base);
        let page = self.code.get((off >> PAGE_SHIFT) as usize)?.as_ref()?;
        let i = page[((off as usize) & 0xfff) >> 1];
        (i.op != Op::Invalid).then_some(i)
    }

    #[inline(never)]
    fn fetch_translated(&mut self) -> Result<Instr, Exc> {
        let pc = self.pc;
        let phys = if self.vm_fetch { self.translate(pc, Acc::Fetch)? } else { pc };
        if let Some(i) = self.cached(phys) {
            return Ok(i);
        }
        self.fetch_slow(pc, phys)
    }

    #[cold]
    fn fetch_slow(&mut self, pc: u64, phys: u64) -> Result<Instr, Exc> {
        if pc & 1 != 0 {
            return Err(Exc { cause: CAUSE_FETCH_MISALIGNED, tval: pc });
        }
        let lo = self.fetch_half(pc, phys)?;
        let bits = if instr_len(lo) == 4 {
            let hi_virt = pc.wrapping_add(2) & self.mask;
            let hi_phys = if (pc & 0xfff) == 0xffe {
                if self.vm_fetch { self.translate(hi_virt, Acc::Fetch)? } else { hi_virt }
            } else {
                phys + 2
            };
            let hi = self.fetch_half(hi_virt, hi_phys)?;
            if let Some(off) = self.mem.offset(hi_phys, 2) {
                self.mark_code(off >> PAGE_SHIFT);
            }
            lo as u32 | (hi as u32) << 16
        } else {
            lo as u32
        };
        let instr = decode(bits, self.xlen);
        if let Some(off) = self.mem.offset(phys, 2) {
            let page = off >> PAGE_SHIFT;
            self.mark_code(page);
            let slot = self.code[page].get_or_insert_with(|| Box::new([Instr::INVALID; SLOTS_PER_PAGE]));
            slot[(off & 0xfff) >> 1] = instr;
        }
        Ok(instr)
    }

    fn fetch_half(&mut self, virt: u64, phys: u64) -> Result<u16, Exc> {
        match self.mem.offset(phys, 2) {
            Some(off) if self.mem.page_flags(off) & mem::X != 0 => Ok(self.mem.read(off, 2) as u16),
            _ => Err(Acc::Fetch.access_fault(virt)),
        }
    }

    /// Note that RAM page `page` holds decoded code: stores to it must take the exact path.
    pub fn mark_code(&mut self, page: usize) {
        if self.mem.flags[page] & mem::CODE == 0 {
            self.mem.flags[page] |= mem::CODE;
            self.fast_write.fill(FAST_EMPTY);
        }
    }

    /// Forget decoded instructions of the page at RAM offset `off` (and of the page before,
    /// whose last instruction may straddle into it).
    #[cold]
    fn invalidate_code(&mut self, off: usize) {
        let page = off >> PAGE_SHIFT;
        for p in [page.wrapping_sub(1), page] {
            if let Some(slot) = self.code.get_mut(p) {
                *slot = None;
                self.mem.flags[p] &= !mem::CODE;
                self.code_dirty.push(p);
            }
        }
    }

    /// Drop the whole decode cache (after a state load or a reset).
    pub fn flush_code(&mut self) {
        for (p, slot) in self.code.iter_mut().enumerate() {
            *slot = None;
            self.mem.flags[p] &= !mem::CODE;
        }
        self.code_dirty.clear();
        self.code_flush = true;
    }

    // ---- data accesses ----

    /// The RAM offset of an aligned `len`-byte load at virtual `addr` when the fast TLB
    /// allows it.
    #[inline(always)]
    pub fn fast_load_offset(&self, addr: u64, len: usize) -> Option<usize> {
        fast_offset(&self.fast_read, addr, len)
    }

    /// The RAM offset of an aligned `len`-byte store at virtual `addr` when the fast TLB
    /// allows it.
    #[inline(always)]
    pub fn fast_store_offset(&self, addr: u64, len: usize) -> Option<usize> {
        fast_offset(&self.fast_write, addr, len)
    }

    /// The RAM offset of a plain `len`-byte RAM access at virtual `addr` that the fast TLB
    /// missed, checked without side effects (the TLB must already hold the translation)
    /// and entered into the fast TLB. `None`: the exact path must do the access.
    #[inline(never)]
    pub fn fast_miss(&mut self, addr: u64, len: usize, acc: Acc) -> Option<usize> {
        if (addr as usize & 0xfff) + len > 0x1000 {
            return None;
        }
        let phys = if self.vm_data { self.tlb_hit(addr, acc)? } else { addr };
        let off = self.mem.offset(phys, len as u64)?;
        let flags = self.mem.page_flags(off);
        let entry = FastEntry::new(addr, off);
        let slot = (addr >> PAGE_SHIFT) as usize % FAST_SIZE;
        if acc == Acc::Store {
            if flags & (mem::W | mem::CODE | mem::WATCH) != mem::W {
                return None;
            }
            self.fast_write[slot] = entry;
        } else {
            if flags & mem::R == 0 {
                return None;
            }
            self.fast_read[slot] = entry;
        }
        Some(off)
    }

    /// Forget every fast TLB entry (translation, privilege or page flags changed).
    pub fn flush_fast(&mut self) {
        self.fast_read.fill(FAST_EMPTY);
        self.fast_write.fill(FAST_EMPTY);
    }

    /// Set the permission flags of the pages overlapping `[addr, addr+len)` (Linux
    /// mmap/mprotect/munmap/brk), dropping decoded code where they change.
    pub fn set_perms(&mut self, addr: u64, len: u64, perms: u8) {
        if let Some(first) = self.mem.offset(addr, 0) {
            let end = (first as u64).saturating_add(len).min(self.mem.size());
            let mut page = first >> PAGE_SHIFT;
            while ((page as u64) << PAGE_SHIFT) < end {
                let f = self.mem.flags[page];
                if f & mem::CODE != 0 && f & (mem::R | mem::W | mem::X) != perms {
                    self.invalidate_code(page << PAGE_SHIFT);
                }
                page += 1;
            }
        }
        self.mem.set_perms(addr, len, perms);
        self.flush_fast();
    }

    #[inline(always)]
    pub fn load(&mut self, addr: u64, len: usize) -> Result<u64, Exc> {
        if (addr as usize & 0xfff) + len <= 0x1000 {
            let phys = if self.vm_data { self.translate(addr, Acc::Load)? } else { addr };
            if let Some(off) = self.mem.offset(phys, len as u64)
                && self.mem.page_flags(off) & mem::R != 0 {
                    let v = self.mem.read(off, len);
                    self.fast_read[(addr >> PAGE_SHIFT) as usize % FAST_SIZE] = FastEntry::new(addr, off);
                    if self.hooks.mem_active() {
                        self.hooks.on_access(self.pc, addr, Access::Read, v);
                    }
                    return Ok(v);
                }
            return self.load_slow(addr, phys, len);
        }
        self.load_split(addr, len)
    }

    #[cold]
    fn load_slow(&mut self, addr: u64, phys: u64, len: usize) -> Result<u64, Exc> {
        let v = if self.bare && self.mem.offset(phys, len as u64).is_none() {
            self.mmio_read(phys, len).ok_or(Acc::Load.access_fault(addr))?
        } else {
            return Err(Acc::Load.access_fault(addr));
        };
        if self.hooks.mem_active() {
            self.hooks.on_access(self.pc, addr, Access::Read, v);
        }
        Ok(v)
    }

    /// A misaligned load that crosses a page: byte by byte.
    #[cold]
    fn load_split(&mut self, addr: u64, len: usize) -> Result<u64, Exc> {
        let mut v = 0;
        for k in 0..len {
            v |= self.load((addr + k as u64) & self.mask, 1)? << (8 * k);
        }
        Ok(v)
    }

    #[inline(always)]
    pub fn store(&mut self, addr: u64, len: usize, value: u64) -> Result<(), Exc> {
        if (addr as usize & 0xfff) + len <= 0x1000 {
            let phys = if self.vm_data { self.translate(addr, Acc::Store)? } else { addr };
            if let Some(off) = self.mem.offset(phys, len as u64)
                && self.mem.page_flags(off) & (mem::W | mem::CODE | mem::WATCH) == mem::W {
                    self.mem.write(off, len, value);
                    self.fast_write[(addr >> PAGE_SHIFT) as usize % FAST_SIZE] = FastEntry::new(addr, off);
                    if self.hooks.mem_active() {
                        self.hooks.on_access(self.pc, addr, Access::Write, value);
                    }
                    return Ok(());
                }
            return self.store_slow(addr, phys, len, value);
        }
        self.store_split(addr, len, value)
    }

    /// A misaligned store that crosses a page: byte by byte (kept out of line so that
    /// `store` itself is not recursive and can be inlined).
    #[cold]
    fn store_split(&mut self, addr: u64, len: usize, value: u64) -> Result<(), Exc> {
        for k in 0..len {
            self.store((addr + k as u64) & self.mask, 1, value >> (8 * k))?;
        }
        Ok(())
    }

    #[cold]
    fn store_slow(&mut self, addr: u64, phys: u64, len: usize, value: u64) -> Result<(), Exc> {
        match self.mem.offset(phys, len as u64) {
            Some(off) => {
                let flags = self.mem.page_flags(off);
                if flags & mem::W == 0 {
                    return Err(Acc::Store.access_fault(addr));
                }
                if flags & mem::CODE != 0 {
                    self.invalidate_code(off);
                }
                self.mem.write(off, len, value);
                if flags & mem::WATCH != 0 {
                    self.htif_check(phys, len as u64);
                }
            }
            None if self.bare => {
                if !self.mmio_write(phys, len, value) {
                    return Err(Acc::Store.access_fault(addr));
                }
            }
            None => return Err(Acc::Store.access_fault(addr)),
        }
        if self.hooks.mem_active() {
            self.hooks.on_access(self.pc, addr, Access::Write, value);
        }
        Ok(())
    }

    /// Write bytes into guest RAM on behalf of the kernel or the debugger (no permission
    /// check beyond being mapped when `check` is set), keeping the decode cache coherent.
    pub fn write_bytes(&mut self, addr: u64, bytes: &[u8], check: bool) -> bool {
        let Some(off) = self.mem.offset(addr, bytes.len() as u64) else { return false };
        let first = off >> PAGE_SHIFT;
        let last = (off + bytes.len().max(1) - 1) >> PAGE_SHIFT;
        for p in first..=last {
            let f = self.mem.flags[p];
            if check && f & mem::W == 0 {
                return false;
            }
            if f & mem::CODE != 0 {
                self.invalidate_code(p << PAGE_SHIFT);
            }
        }
        self.mem.data[off..off + bytes.len()].copy_from_slice(bytes);
        true
    }

    /// Read bytes of guest RAM for the kernel (`check`: every page readable).
    pub fn read_bytes(&self, addr: u64, len: u64, check: bool) -> Option<&[u8]> {
        let off = self.mem.offset(addr, len)?;
        if check && len > 0 {
            let first = off >> PAGE_SHIFT;
            let last = (off + len as usize - 1) >> PAGE_SHIFT;
            if (first..=last).any(|p| self.mem.flags[p] & mem::R == 0) {
                return None;
            }
        }
        Some(&self.mem.data[off..off + len as usize])
    }

    // ---- devices ----

    fn mmio_read(&mut self, phys: u64, len: usize) -> Option<u64> {
        let len64 = len as u64;
        if (devices::CLINT_BASE..devices::CLINT_BASE + devices::CLINT_SIZE).contains(&phys) {
            return Some(self.clint.read(phys - devices::CLINT_BASE, len64, self.instret));
        }
        if (devices::UART_BASE..devices::UART_BASE + devices::UART_SIZE).contains(&phys) {
            // A read can only lower the UART's interrupt line: no event to look at.
            return Some(self.uart.read(phys - devices::UART_BASE) as u64);
        }
        if (devices::PLIC_BASE..devices::PLIC_BASE + devices::PLIC_SIZE).contains(&phys) {
            let off = phys - devices::PLIC_BASE;
            let levels = devices::irq_levels(&self.uart);
            let lo = self.plic.read(off, levels) as u64;
            // (A claim only withdraws a request: no event to look at.)
            return Some(if len == 8 { lo | (self.plic.read(off + 4, levels) as u64) << 32 } else { lo });
        }
        None
    }

    fn mmio_write(&mut self, phys: u64, len: usize, value: u64) -> bool {
        if (devices::CLINT_BASE..devices::CLINT_BASE + devices::CLINT_SIZE).contains(&phys) {
            self.clint.write(phys - devices::CLINT_BASE, len as u64, value, self.instret);
            // A new compare value or time: recompute when the timer fires.
            self.request_event();
            return true;
        }
        if (devices::UART_BASE..devices::UART_BASE + devices::UART_SIZE).contains(&phys) {
            self.uart.write(phys - devices::UART_BASE, value as u8);
            // A byte sent or a new IER can raise the UART's interrupt line.
            if self.uart.irq() {
                self.request_event();
            }
            return true;
        }
        if (devices::PLIC_BASE..devices::PLIC_BASE + devices::PLIC_SIZE).contains(&phys) {
            let off = phys - devices::PLIC_BASE;
            self.plic.write(off, value as u32);
            if len == 8 {
                self.plic.write(off + 4, (value >> 32) as u32);
            }
            self.request_event();
            return true;
        }
        false
    }

    /// After a store to a watched RAM page: act on a tohost command.
    fn htif_check(&mut self, phys: u64, len: u64) {
        let Some(tohost) = self.tohost else { return };
        if phys + len <= tohost || phys >= tohost + 8 {
            return;
        }
        let Some(off) = self.mem.offset(tohost, 8) else { return };
        let value = self.mem.read(off, 8);
        if value == 0 {
            return;
        }
        match devices::htif_command(value) {
            HtifCommand::Exit(code) => {
                self.htif_exit = Some(code);
                self.request_event();
            }
            HtifCommand::Putchar(b) => self.uart.tx.push(b),
            HtifCommand::Other => {}
        }
        self.mem.write(off, 8, 0);
        if let Some(fromhost) = self.fromhost.and_then(|a| self.mem.offset(a, 8)) {
            self.mem.write(fromhost, 8, (value >> 48) << 48 | 1);
        }
    }

    // ---- address translation (Sv39 / Sv32) ----

    /// Recompute whether fetches and data accesses are translated.
    pub fn update_vm(&mut self) {
        let mode = if self.xlen == Xlen::X64 { self.csr.satp >> 60 } else { self.csr.satp >> 31 };
        let paging = self.bare && mode != 0;
        self.vm_fetch = paging && self.prv != PRV_M;
        let mprv = self.csr.mstatus & crate::csr::MSTATUS_MPRV != 0;
        let data_prv = if mprv && self.prv == PRV_M { ((self.csr.mstatus >> 11) & 3) as u8 } else { self.prv };
        self.vm_data = paging && data_prv != PRV_M;
        self.flush_fast();
        // The fast loop decides once whether to translate fetches.
        self.request_event();
    }

    pub fn flush_tlb(&mut self) {
        self.tlb.fill(TlbEntry::default());
        self.flush_fast();
    }

    fn data_prv(&self) -> u8 {
        if self.csr.mstatus & crate::csr::MSTATUS_MPRV != 0 && self.prv == PRV_M {
            ((self.csr.mstatus >> 11) & 3) as u8
        } else {
            self.prv
        }
    }

    fn perm_ok(&self, flags: u8, acc: Acc) -> bool {
        const PR: u8 = 2;
        const PW: u8 = 4;
        const PX: u8 = 8;
        const PU: u8 = 16;
        const PD: u8 = 128;
        let prv = if acc == Acc::Fetch { self.prv } else { self.data_prv() };
        let user_page = flags & PU != 0;
        let sum = self.csr.mstatus & crate::csr::MSTATUS_SUM != 0;
        let mxr = self.csr.mstatus & crate::csr::MSTATUS_MXR != 0;
        let prv_ok = match prv {
            PRV_U => user_page,
            _ => !user_page || (acc != Acc::Fetch && sum),
        };
        prv_ok
            && match acc {
                Acc::Fetch => flags & PX != 0,
                Acc::Load => flags & PR != 0 || (mxr && flags & PX != 0),
                Acc::Store => flags & PW != 0 && flags & PD != 0,
            }
    }

    #[inline(always)]
    pub fn translate(&mut self, vaddr: u64, acc: Acc) -> Result<u64, Exc> {
        let vpn = vaddr >> 12;
        let e = self.tlb[(vpn as usize) & (TLB_SIZE - 1)];
        if e.tag == vpn + 1 && self.perm_ok(e.flags, acc) {
            return Ok(e.ppn << 12 | (vaddr & 0xfff));
        }
        self.walk(vaddr, acc)
    }

    /// The translation of `vaddr` when the TLB holds it and allows `acc` (no walk).
    #[inline(always)]
    pub fn tlb_hit(&self, vaddr: u64, acc: Acc) -> Option<u64> {
        let vpn = vaddr >> 12;
        let e = self.tlb[(vpn as usize) & (TLB_SIZE - 1)];
        (e.tag == vpn + 1 && self.perm_ok(e.flags, acc)).then_some(e.ppn << 12 | (vaddr & 0xfff))
    }

    #[cold]
    fn walk(&mut self, vaddr: u64, acc: Acc) -> Result<u64, Exc> {
        let sv32 = self.xlen == Xlen::X32;
        let (levels, pte_size, vpn_bits) = if sv32 { (2, 4u64, 10) } else { (3, 8u64, 9) };
        if !sv32 {
            // Sv39: bits 63..39 must copy bit 38.
            let top = (vaddr as i64) >> 38;
            if top != 0 && top != -1 {
                return Err(acc.page_fault(vaddr));
            }
        }
        let root_ppn = if sv32 { self.csr.satp & 0x3f_ffff } else { self.csr.satp & ((1 << 44) - 1) };
        let mut table = root_ppn << 12;
        for level in (0..levels).rev() {
            let idx = (vaddr >> (12 + vpn_bits * level)) & ((1 << vpn_bits) - 1);
            let pte_addr = table + idx * pte_size;
            let Some(off) = self.mem.offset(pte_addr, pte_size) else {
                return Err(acc.access_fault(vaddr));
            };
            let mut pte = self.mem.read(off, pte_size as usize);
            let flags = pte as u8;
            let (v, r, w, x) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0, flags & 8 != 0);
            if !v || (!r && w) {
                return Err(acc.page_fault(vaddr));
            }
            let ppn = if sv32 { (pte >> 10) & 0x3f_ffff } else { (pte >> 10) & ((1 << 44) - 1) };
            if !(r || x) {
                table = ppn << 12;
                continue;
            }
            // A leaf: superpages must be aligned.
            let low_mask = (1u64 << (vpn_bits * level)) - 1;
            if ppn & low_mask != 0 {
                return Err(acc.page_fault(vaddr));
            }
            // Hardware sets A (and D on a store), as the Svadu extension allows.
            let new_flags = flags | 0x40 | if acc == Acc::Store { 0x80 } else { 0 };
            if !self.perm_ok(new_flags | 0x80, acc) {
                return Err(acc.page_fault(vaddr));
            }
            if new_flags != flags {
                pte |= (new_flags ^ flags) as u64;
                self.mem.write(off, pte_size as usize, pte);
            }
            let page_ppn = ppn | ((vaddr >> 12) & low_mask);
            let vpn = vaddr >> 12;
            self.tlb[(vpn as usize) & (TLB_SIZE - 1)] = TlbEntry { tag: vpn + 1, ppn: page_ppn, flags: new_flags };
            return Ok(page_ppn << 12 | (vaddr & 0xfff));
        }
        Err(acc.page_fault(vaddr))
    }
}

/// The RAM offset for an aligned `len`-byte access at `addr` through fast TLB `table`
/// (a misaligned access misses).
#[inline(always)]
fn fast_offset(table: &[FastEntry; FAST_SIZE], addr: u64, len: usize) -> Option<usize> {
    let e = table[(addr >> PAGE_SHIFT) as usize % FAST_SIZE];
    (addr & (PAGE_TAG_MASK | (len as u64 - 1)) == e.tag).then_some(addr.wrapping_add(e.delta) as usize)
}
