//! A decoded-instruction cache keyed by physical address and mode. Writes to a page that
//! holds cached code bump that page's generation, which invalidates its entries; host-side
//! writes to RAM (BIOS disk reads, pokes, test harnesses) flush everything.

use crate::decode::{Insn, Mode};

const ENTRIES: usize = 4096;

#[derive(Clone, Copy)]
struct Entry {
    /// Physical address with the mode in bits 60..61; `u64::MAX` when empty.
    key: u64,
    generation: u32,
    epoch: u32,
    insn: Insn,
}

#[derive(Clone)]
pub struct ICache {
    entries: Vec<Option<Entry>>,
    /// Per 4 KiB physical page: its code generation, and whether any entry uses it.
    page_gen: Vec<u32>,
    has_code: Vec<bool>,
    epoch: u32,
}

fn key(phys: u64, mode: Mode) -> u64 {
    phys | (mode as u64) << 60
}

fn slot(phys: u64) -> usize {
    ((phys ^ (phys >> 12)) as usize) & (ENTRIES - 1)
}

impl ICache {
    pub fn new(ram_bytes: usize) -> Self {
        let pages = ram_bytes.div_ceil(4096);
        ICache {
            entries: vec![None; ENTRIES],
            page_gen: vec![0; pages],
            has_code: vec![false; pages],
            epoch: 0,
        }
    }

    #[inline]
    pub fn get(&self, phys: u64, mode: Mode) -> Option<&Insn> {
        let e = self.entries[slot(phys)].as_ref()?;
        let page = (phys >> 12) as usize;
        (e.key == key(phys, mode)
            && e.epoch == self.epoch
            && self.page_gen.get(page) == Some(&e.generation))
        .then_some(&e.insn)
    }

    pub fn put(&mut self, phys: u64, mode: Mode, insn: Insn) {
        let page = (phys >> 12) as usize;
        let Some(&generation) = self.page_gen.get(page) else {
            return;
        };
        self.has_code[page] = true;
        self.entries[slot(phys)] = Some(Entry {
            key: key(phys, mode),
            generation,
            epoch: self.epoch,
            insn,
        });
    }

    /// A guest write to physical `addr`.
    #[inline]
    pub fn wrote(&mut self, addr: u64) {
        let page = (addr >> 12) as usize;
        if let Some(flag) = self.has_code.get_mut(page)
            && *flag
        {
            *flag = false;
            self.page_gen[page] = self.page_gen[page].wrapping_add(1);
        }
    }

    /// Forget everything (RAM changed behind the CPU's back).
    pub fn flush(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
    }
}
