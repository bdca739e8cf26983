//! The block cache: the fast way to run code when no hook is active.
//!
//! A block is a straight run of instructions inside one 4 KiB page, ending with the first
//! branch or jump. It is translated once — each instruction decoded by the one decoder
//! and paired with its handler (`handlers.rs`) — and then run in a tight loop, the
//! instruction count added once per block.
//!
//! ## Invariants
//! - Blocks are keyed by physical address, so they survive `satp` and privilege changes;
//!   the fetch translation (and its permission check) is done once per block entry, which
//!   covers the whole block since it never leaves its page.
//! - A page holding blocks carries the `CODE` flag. Any store to it takes the exact path,
//!   which drops the page's decoded code and records the page in `Hart::code_dirty`; the
//!   run loop drops the page's blocks before looking up the next one.
//! - A block holds only instructions that cannot change privilege, translation or
//!   interrupt state (see `handlers::runs_in_block`); those run one at a time between
//!   blocks, so interrupts and timer events are seen at exactly the same instruction as
//!   on the per-instruction path. A block that would run past `run_limit` is not entered.
//! - An instruction crossing a page boundary is never part of a block.

use crate::decode::{decode, instr_len};
use crate::handlers::{self, BlockOp};
use crate::hart::{Acc, Exc, Hart};
use crate::instr::Op;
use crate::mem::{self, PAGE_SHIFT};

/// Halfword slots per page.
const SLOTS: usize = 1 << (PAGE_SHIFT - 1);

/// Translated operations kept before the whole cache is dropped and rebuilt.
const MAX_OPS: usize = 1 << 20;

/// Instructions a block may gather by following jumps.
const MAX_TRACE: u16 = 64;

/// No block (in a page table slot or a chain link).
const NONE: u32 = u32::MAX;

struct Block {
    /// First operation in `BlockCache::ops`.
    start: u32,
    /// Number of instructions (0: the first one must run on the exact path).
    len: u16,
    /// Where it falls through, from its start (after its last instruction).
    fall: i16,
    /// False once its page was written (no chain link leads to it then).
    live: bool,
    /// The blocks that followed last time, by whether the block fell through (index 1)
    /// or jumped (index 0): `(virtual pc, block)`.
    chain: [(u64, u32); 2],
}

/// Translated blocks of every RAM page.
pub struct BlockCache {
    ops: Vec<BlockOp>,
    blocks: Vec<Block>,
    /// Per RAM page: for each halfword, the number of the block starting there.
    pages: Vec<Option<Box<[u32; SLOTS]>>>,
    /// Pages that have a table, to drop everything quickly.
    used: Vec<usize>,
}

impl BlockCache {
    /// An empty cache for a RAM of `pages` pages.
    pub fn new(pages: usize) -> BlockCache {
        let mut table = Vec::new();
        table.resize_with(pages, || None);
        BlockCache { ops: Vec::new(), blocks: Vec::new(), pages: table, used: Vec::new() }
    }

    fn clear(&mut self) {
        for p in self.used.drain(..) {
            self.pages[p] = None;
        }
        self.ops.clear();
        self.blocks.clear();
    }

    /// Drop the blocks of pages whose code changed (see the module invariants).
    #[cold]
    fn sync(&mut self, h: &mut Hart) {
        if h.code_flush {
            h.code_flush = false;
            h.code_dirty.clear();
            self.clear();
        }
        let mut dropped = false;
        for p in h.code_dirty.drain(..) {
            let Some(table) = self.pages.get_mut(p).and_then(Option::take) else { continue };
            for &id in table.iter().filter(|&&id| id != NONE) {
                if let Some(b) = self.blocks.get_mut(id as usize) {
                    b.live = false;
                    dropped = true;
                }
            }
        }
        if dropped {
            // No chain link may lead to a dropped block.
            let live: Vec<bool> = self.blocks.iter().map(|b| b.live).collect();
            for b in &mut self.blocks {
                for link in &mut b.chain {
                    if !live.get(link.1 as usize).copied().unwrap_or(false) {
                        *link = (0, NONE);
                    }
                }
            }
        }
    }

    /// The block starting at virtual `pc`, translating it on first use. `None` when the
    /// exact path must run the next instruction (fetch fault, misaligned or straddling
    /// instruction, non-executable page).
    #[inline(always)]
    fn find(&mut self, h: &mut Hart, pc: u64) -> Option<u32> {
        let phys = if h.vm_fetch { h.tlb_hit(pc, Acc::Fetch)? } else { pc };
        let off = h.mem.offset(phys, 2)?;
        if let Some(Some(table)) = self.pages.get(off >> PAGE_SHIFT) {
            let id = table[(off & 0xfff) >> 1];
            if id != NONE {
                return Some(id);
            }
        }
        if pc & 1 != 0 {
            return None;
        }
        self.translate(h, off)
    }

    #[cold]
    fn translate(&mut self, h: &mut Hart, off: usize) -> Option<u32> {
        let page = off >> PAGE_SHIFT;
        if page >= self.pages.len() || h.mem.flags[page] & mem::X == 0 {
            return None;
        }
        if self.ops.len() >= MAX_OPS {
            self.clear();
        }
        let start = self.ops.len();
        let mut at = off;
        let mut idx = 0;
        loop {
            let in_page = at & 0xfff;
            if at >> PAGE_SHIFT != page {
                break;
            }
            let lo = h.mem.read(at, 2) as u16;
            let len = instr_len(lo);
            if len == 4 && in_page == 0xffe {
                break;
            }
            let bits = if len == 4 { h.mem.read(at, 4) as u32 } else { lo as u32 };
            let i = decode(bits, h.xlen);
            if !handlers::runs_in_block(i.op) {
                break;
            }
            let rel = at.wrapping_sub(off) as i16;
            // Go on at the target of a direct jump within the page (not into this block
            // again), so that `j` does not end a block.
            let target = at.wrapping_add(i.imm as isize as usize);
            if i.op == Op::Jal
                && target >> PAGE_SHIFT == page
                && idx < MAX_TRACE
                && !self.ops[start..].iter().any(|o| off.wrapping_add(o.off as isize as usize) == target)
                && target != at
            {
                self.ops.push(BlockOp::inline_jal(i, rel, idx));
                idx += 1;
                at = target;
                continue;
            }
            self.ops.push(BlockOp::new(i, rel, idx));
            idx += 1;
            at += len as usize;
            if handlers::ends_block(i.op) {
                break;
            }
        }
        let id = self.blocks.len() as u32;
        self.blocks.push(Block {
            start: start as u32,
            len: (self.ops.len() - start) as u16,
            fall: at.wrapping_sub(off) as i16,
            live: true,
            chain: [(0, NONE); 2],
        });
        h.mark_code(page);
        let table = match &mut self.pages[page] {
            Some(t) => t,
            slot => {
                self.used.push(page);
                slot.insert(Box::new([NONE; SLOTS]))
            }
        };
        table[(off & 0xfff) >> 1] = id;
        Some(id)
    }

    /// Run blocks until `instret` reaches `run_limit` or an exception is raised (with
    /// `h.pc` at the faulting instruction, as the per-instruction path leaves it).
    pub fn run(&mut self, h: &mut Hart) -> Result<(), Exc> {
        loop {
            if h.code_flush || !h.code_dirty.is_empty() {
                self.sync(h);
            }
            if h.instret >= h.run_limit {
                return Ok(());
            }
            // A block that does not fit in the budget is run one instruction at a time.
            let room = h.run_limit - h.instret;
            let fits = |b: &Block| b.len != 0 && b.len as u64 <= room;
            match self.find(h, h.pc) {
                Some(id) if self.blocks.get(id as usize).is_some_and(fits) => self.run_chain(h, id)?,
                _ => h.step()?,
            }
        }
    }

    /// Run block `id` and the blocks its chain links lead to, until a link is missing,
    /// the budget would be overrun, or an instruction needs the exact path.
    #[inline(always)]
    fn run_chain(&mut self, h: &mut Hart, mut id: u32) -> Result<(), Exc> {
        // Chain links made without paging hold plain addresses; with paging they stay
        // within one page (see below), so they are tagged with the mode they were made in.
        let tag = h.vm_fetch as u64;
        let mut pc = h.pc;
        // Handlers read neither the pc nor the instruction count: both live here and are
        // written back on every way out.
        let mut instret = h.instret;
        let limit = h.run_limit;
        let result = loop {
            let Some(b) = self.blocks.get(id as usize) else { break Ok(()) };
            let len = b.len as u64;
            if len == 0 || instret + len > limit {
                break Ok(());
            }
            let fall = pc.wrapping_add(b.fall as i64 as u64) & h.mask;
            h.block_pc = pc;
            h.next_pc = fall;
            let ops = self.ops.get(b.start as usize..b.start as usize + b.len as usize).unwrap_or_default();
            let stopped = match ops.split_first() {
                Some((first, rest)) => (first.run)(h, first, rest),
                None => 0,
            };
            if stopped != handlers::DONE {
                // Redo that instruction exactly (fault, device, code page, page walk).
                let off = ops.get(stopped as usize).map_or(0, |op| op.off);
                h.instret = instret + stopped as u64;
                h.pc = pc.wrapping_add(off as i64 as u64) & h.mask;
                return h.step();
            }
            let next = h.next_pc;
            instret += len;
            if next == pc {
                // A loop of one block: run it again.
                continue;
            }
            let way = (next == fall) as usize;
            let (link_pc, link) = b.chain[way];
            pc = next;
            if link_pc == next | tag {
                id = link;
                continue;
            }
            match self.link(h, id, way, next, tag) {
                Some(found) => id = found,
                None => break Ok(()),
            }
        };
        h.pc = pc;
        h.instret = instret;
        result
    }

    /// Make the chain link of block `id` for the way it left to `next`. With paging, only
    /// within the page, whose translation was checked on entering the chain; another page
    /// goes through `find` and the TLB.
    #[inline(never)]
    fn link(&mut self, h: &mut Hart, id: u32, way: usize, next: u64, tag: u64) -> Option<u32> {
        let pc = h.block_pc;
        if tag != 0 && (next ^ pc) >> PAGE_SHIFT != 0 {
            return None;
        }
        let found = self.find(h, next)?;
        if let Some(b) = self.blocks.get_mut(id as usize) {
            b.chain[way] = (next | tag, found);
        }
        Some(found)
    }
}
