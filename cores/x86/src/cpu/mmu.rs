//! Linear → physical translation (32-bit, PAE and 4-level paging, 2 MiB / 4 MiB / 1 GiB
//! pages, NX), a small TLB, and memory access by linear address.

use super::{Cpu, Exception, PF_VEC, R};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Exec,
}

const TLB_SIZE: usize = 512;

#[derive(Clone, Copy, Default)]
struct TlbEntry {
    /// Virtual page number + 1 (0 = empty).
    tag: u64,
    phys: u64,
    /// Bit 0: writable (and already dirty); bit 1: user; bit 2: no-execute.
    perm: u8,
}

/// A direct-mapped translation cache, flushed on CR3/CR0/CR4 writes and INVLPG.
#[derive(Clone)]
pub struct Tlb {
    entries: Vec<TlbEntry>,
}

impl Tlb {
    pub fn new() -> Self {
        Tlb {
            entries: vec![TlbEntry::default(); TLB_SIZE],
        }
    }
    pub fn flush(&mut self) {
        self.entries.iter_mut().for_each(|e| e.tag = 0);
    }
    pub fn flush_page(&mut self, lin: u64) {
        let vpn = lin >> 12;
        let e = &mut self.entries[(vpn as usize) & (TLB_SIZE - 1)];
        if e.tag == vpn + 1 {
            e.tag = 0;
        }
    }
}

/// Result of a page walk without side effects (for the debugger's page-table view).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    pub phys: u64,
    pub writable: bool,
    pub user: bool,
    pub nx: bool,
    pub page_size: u64,
}

impl Cpu {
    pub fn paging(&self) -> bool {
        self.cr0 & (1 << 31) != 0 && self.cr0 & 1 != 0
    }

    /// Translate a linear address for an access, walking the page tables on a TLB miss.
    #[inline]
    pub fn translate(&mut self, lin: u64, access: Access) -> R<u64> {
        if !self.paging() {
            return Ok(lin & 0xFFFF_FFFF & self.a20_mask);
        }
        let vpn = lin >> 12;
        let user = self.cpl() == 3 && !self.implicit_sv;
        let e = self.tlb.entries[(vpn as usize) & (TLB_SIZE - 1)];
        if e.tag == vpn + 1 {
            let ok = match access {
                Access::Read => !user || e.perm & 2 != 0,
                Access::Write => e.perm & 1 != 0 && (!user || e.perm & 2 != 0),
                Access::Exec => (!user || e.perm & 2 != 0) && e.perm & 4 == 0,
            };
            if ok {
                return Ok(e.phys | (lin & 0xFFF));
            }
        }
        self.walk_and_fill(lin, access, user)
    }

    fn walk_and_fill(&mut self, lin: u64, access: Access, user: bool) -> R<u64> {
        let pf = |cpu: &mut Cpu, present: bool| -> Exception {
            cpu.cr2 = lin;
            let mut code = present as u32;
            if access == Access::Write {
                code |= 2;
            }
            if user {
                code |= 4;
            }
            if access == Access::Exec && cpu.efer & (1 << 11) != 0 {
                code |= 16;
            }
            Exception {
                vector: PF_VEC,
                code: Some(code),
            }
        };
        let Some((walk, entries)) = self.walk(lin) else {
            return Err(pf(self, false));
        };
        let wp = self.cr0 & (1 << 16) != 0;
        let allowed = match access {
            Access::Read => !user || walk.user,
            Access::Write => (!user || walk.user) && (walk.writable || (!user && !wp)),
            Access::Exec => (!user || walk.user) && !walk.nx,
        };
        if !allowed {
            return Err(pf(self, true));
        }
        // Set accessed bits along the path, and dirty on the leaf for writes.
        let n = entries.len();
        for (i, &(addr, wide)) in entries.iter().enumerate() {
            let mut v = self.phys_read(addr, if wide { 8 } else { 4 });
            v |= 0x20;
            if i == n - 1 && access == Access::Write {
                v |= 0x40;
            }
            self.phys_write(addr, if wide { 8 } else { 4 }, v);
        }
        let vpn = lin >> 12;
        let page_phys = (walk.phys + (lin & (walk.page_size - 1))) & !0xFFF;
        let writable_dirty = access == Access::Write && (walk.writable || (!user && !wp));
        self.tlb.entries[(vpn as usize) & (TLB_SIZE - 1)] = TlbEntry {
            tag: vpn + 1,
            phys: page_phys,
            perm: writable_dirty as u8 | (walk.user as u8) << 1 | (walk.nx as u8) << 2,
        };
        Ok(page_phys | (lin & 0xFFF))
    }

    /// Walk the page tables for `lin` without side effects. Returns the mapping and the
    /// physical addresses of the entries used (with their width: true = 8 bytes).
    pub fn walk(&self, lin: u64) -> Option<(Walk, Vec<(u64, bool)>)> {
        if !self.paging() {
            let phys = lin & 0xFFFF_FFFF & self.a20_mask;
            return Some((
                Walk {
                    phys,
                    writable: true,
                    user: true,
                    nx: false,
                    page_size: 1,
                },
                Vec::new(),
            ));
        }
        let nxe = self.efer & (1 << 11) != 0;
        let addr_mask = 0x000F_FFFF_FFFF_F000u64;
        let mut entries = Vec::with_capacity(4);
        let (mut writable, mut user, mut nx) = (true, true, false);
        let visit = |e: u64, w: &mut bool, u: &mut bool, x: &mut bool| {
            *w &= e & 2 != 0;
            *u &= e & 4 != 0;
            *x |= nxe && e & (1 << 63) != 0;
        };
        if self.cr4 & (1 << 5) == 0 {
            // 32-bit paging.
            let pde_addr = (self.cr3 & 0xFFFF_F000) + ((lin >> 22) & 0x3FF) * 4;
            let pde = self.phys_read(pde_addr, 4);
            if pde & 1 == 0 {
                return None;
            }
            entries.push((pde_addr, false));
            visit(pde, &mut writable, &mut user, &mut nx);
            if pde & 0x80 != 0 && self.cr4 & (1 << 4) != 0 {
                let phys = (pde & 0xFFC0_0000) | ((pde >> 13) & 0xFF) << 32;
                let w = Walk {
                    phys,
                    writable,
                    user,
                    nx,
                    page_size: 1 << 22,
                };
                return Some((w, entries));
            }
            let pte_addr = (pde & 0xFFFF_F000) + ((lin >> 12) & 0x3FF) * 4;
            let pte = self.phys_read(pte_addr, 4);
            if pte & 1 == 0 {
                return None;
            }
            entries.push((pte_addr, false));
            visit(pte, &mut writable, &mut user, &mut nx);
            let w = Walk {
                phys: pte & 0xFFFF_F000,
                writable,
                user,
                nx,
                page_size: 4096,
            };
            return Some((w, entries));
        }
        let mut table;
        let mut level;
        if self.long_active() {
            table = self.cr3 & addr_mask;
            level = 4;
        } else {
            let pdpte_addr = (self.cr3 & 0xFFFF_FFE0) + ((lin >> 30) & 3) * 8;
            let pdpte = self.phys_read(pdpte_addr, 8);
            if pdpte & 1 == 0 {
                return None;
            }
            table = pdpte & addr_mask;
            level = 2;
        }
        loop {
            let shift = 12 + 9 * (level - 1);
            let entry_addr = table + ((lin >> shift) & 0x1FF) * 8;
            let entry = self.phys_read(entry_addr, 8);
            if entry & 1 == 0 {
                return None;
            }
            entries.push((entry_addr, true));
            visit(entry, &mut writable, &mut user, &mut nx);
            if level == 1 || (entry & 0x80 != 0 && level <= 3) {
                let size = 1u64 << shift;
                let phys = entry & addr_mask & !(size - 1);
                let w = Walk {
                    phys,
                    writable,
                    user,
                    nx,
                    page_size: size,
                };
                return Some((w, entries));
            }
            table = entry & addr_mask;
            level -= 1;
        }
    }

    // ---- physical memory ----

    #[inline]
    pub fn phys_read(&self, addr: u64, size: u8) -> u64 {
        let a = addr as usize;
        let n = size as usize;
        if let Some(s) = self.mem.get(a..a.wrapping_add(n)) {
            let mut buf = [0u8; 8];
            buf[..n].copy_from_slice(s);
            u64::from_le_bytes(buf)
        } else {
            let mut v = 0;
            for i in 0..size as u64 {
                let b = self.mem.get((addr + i) as usize).copied().unwrap_or(0xFF);
                v |= (b as u64) << (8 * i);
            }
            v
        }
    }

    #[inline]
    pub fn phys_write(&mut self, addr: u64, size: u8, v: u64) {
        self.icache.wrote(addr);
        if (addr & 0xFFF) + size as u64 > 0x1000 {
            self.icache.wrote(addr + size as u64 - 1);
        }
        let a = addr as usize;
        let n = size as usize;
        if let Some(s) = self.mem.get_mut(a..a.wrapping_add(n)) {
            s.copy_from_slice(&v.to_le_bytes()[..n]);
        } else {
            for i in 0..size as u64 {
                if let Some(b) = self.mem.get_mut((addr + i) as usize) {
                    *b = (v >> (8 * i)) as u8;
                }
            }
        }
    }

    // ---- linear memory ----

    pub fn read_lin_u8(&mut self, lin: u64, access: Access) -> R<u8> {
        let p = self.translate(lin, access)?;
        Ok(self.phys_read(p, 1) as u8)
    }

    /// Read a system structure (descriptor, gate, TSS field): a supervisor access.
    pub fn read_sys(&mut self, lin: u64, size: u8) -> R<u64> {
        let old = std::mem::replace(&mut self.implicit_sv, true);
        let r = self.read_lin(lin, size);
        self.implicit_sv = old;
        r
    }

    /// Read `size` bytes at a linear address (split at page boundaries).
    #[inline]
    pub fn read_lin(&mut self, lin: u64, size: u8) -> R<u64> {
        let v = self.read_lin_raw(lin, size)?;
        if self.log_mem {
            self.mem_log.push((lin, false, v));
        }
        Ok(v)
    }

    fn read_lin_raw(&mut self, lin: u64, size: u8) -> R<u64> {
        if (lin & 0xFFF) + size as u64 <= 0x1000 {
            let p = self.translate(lin, Access::Read)?;
            return Ok(self.phys_read(p, size));
        }
        let mut v = 0;
        for i in 0..size as u64 {
            v |= (self.read_lin_u8(lin.wrapping_add(i), Access::Read)? as u64) << (8 * i);
        }
        Ok(v)
    }

    #[inline]
    pub fn write_lin(&mut self, lin: u64, size: u8, v: u64) -> R<()> {
        if self.log_mem {
            self.mem_log.push((lin, true, v));
        }
        if (lin & 0xFFF) + size as u64 <= 0x1000 {
            let p = self.translate(lin, Access::Write)?;
            self.phys_write(p, size, v);
            return Ok(());
        }
        // Check every page first so a fault leaves memory untouched.
        let mut phys = [0u64; 8];
        for i in 0..size as u64 {
            phys[i as usize] = self.translate(lin.wrapping_add(i), Access::Write)?;
        }
        for (i, &p) in phys.iter().enumerate().take(size as usize) {
            self.phys_write(p, 1, v >> (8 * i));
        }
        Ok(())
    }

    /// Read `size` bytes at `seg:off`, with offsets wrapping at the address size `amask`.
    #[inline]
    pub fn read_seg(&mut self, seg: u8, off: u64, size: u8, amask: u64) -> R<u64> {
        let base = self.seg_base(seg);
        if off.wrapping_add(size as u64 - 1) & amask >= off & amask {
            return self.read_lin(base.wrapping_add(off & amask), size);
        }
        self.wrap_check(seg)?;
        let mut v = 0;
        for i in 0..size as u64 {
            let l = base.wrapping_add(off.wrapping_add(i) & amask);
            v |= self.read_lin(l, 1)? << (8 * i);
        }
        Ok(v)
    }

    #[inline]
    pub fn write_seg(&mut self, seg: u8, off: u64, size: u8, amask: u64, v: u64) -> R<()> {
        let base = self.seg_base(seg);
        if off.wrapping_add(size as u64 - 1) & amask >= off & amask {
            return self.write_lin(base.wrapping_add(off & amask), size, v);
        }
        self.wrap_check(seg)?;
        for i in 0..size as u64 {
            let l = base.wrapping_add(off.wrapping_add(i) & amask);
            self.write_lin(l, 1, v >> (8 * i))?;
        }
        Ok(())
    }

    /// An access that wraps past the end of the offset space: the 8086 wraps, the 286
    /// raises #GP (its real-mode "segment overrun"), later CPUs #SS for the stack segment
    /// and #GP for the others.
    fn wrap_check(&self, seg: u8) -> R<()> {
        match self.model {
            super::Model::I8086 => Ok(()),
            super::Model::X86_64 if seg == crate::decode::SS => {
                Err(super::fault_code(super::SS_VEC, 0))
            }
            _ => Err(super::fault_code(super::GP, 0)),
        }
    }

    /// Read linear memory for the debugger: no faults raised, no accessed bits set.
    pub fn peek_lin(&self, lin: u64) -> Option<u8> {
        let (w, _) = self.walk(lin)?;
        let phys = w.phys + (lin & (w.page_size.max(1) - 1));
        let phys = if w.page_size == 1 { w.phys } else { phys };
        self.mem.get(phys as usize).copied()
    }
}
