//! The block cache: the fast way to run code when no hook is active.
//!
//! A block is a run of instructions inside one 4 KiB page, in the order they execute:
//! it goes through conditional branches (a taken one leaves the block) and through
//! direct jumps within the page, and ends at any other jump, at an instruction that must
//! run on the exact path, at its size limit, or where it would run into itself again. It
//! is translated once — each instruction decoded by the one decoder and paired with its
//! handler (`handlers.rs`), common pairs fused into one op — and then run as a chain of
//! handlers, the instruction count added once per block. A block that jumps back to its
//! own start runs again in a tight loop, without looking up anything.
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
//! - Chain links are `(pc, block)` pairs checked against the pc the block left for, so a
//!   stale or colliding link is never followed to the wrong code.

use crate::decode::{Xlen, decode, instr_len};
use crate::handlers::{self, BlockOp};
use crate::hart::{Acc, Exc, Hart};
use crate::instr::{Instr, Op};
use crate::mem::{self, PAGE_SHIFT};

/// Halfword slots per page.
const SLOTS: usize = 1 << (PAGE_SHIFT - 1);

/// Translated operations kept before the whole cache is dropped and rebuilt.
const MAX_OPS: usize = 1 << 20;

/// Instructions a block may gather before following another jump.
const MAX_TRACE: usize = 64;

/// Instructions a block may hold.
const MAX_LEN: usize = 128;

/// Chain links per block, picked by the next pc's low bits: the fall-through, the taken
/// branches and the targets of an indirect jump share them.
const LINKS: usize = 8;

/// No block (in a page table slot or a chain link).
const NONE: u32 = u32::MAX;

struct Block {
    /// First operation in `BlockCache::ops`.
    start: u32,
    /// Number of operations (fewer than instructions when some were fused).
    ops: u16,
    /// Number of instructions (0: the first one must run on the exact path).
    len: u16,
    /// Where it falls through, from its start (after its last instruction).
    fall: i16,
    /// False once its page was written (no chain link leads to it then).
    live: bool,
    /// Blocks that followed it, `(virtual pc, block)`, in slot [`link_slot`]`(pc)`.
    chain: [(u64, u32); LINKS],
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
        let w32 = h.xlen == Xlen::X32;
        // The instructions in the order they run, with their offsets from `off` and
        // whether they are a `jal` the block goes on through.
        let mut run: Vec<(Instr, i16, bool)> = Vec::new();
        let mut at = off;
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
                && run.len() < MAX_TRACE
                && !run.iter().any(|&(_, o, _)| off.wrapping_add(o as isize as usize) == target)
                && target != at
            {
                run.push((i, rel, true));
                at = target;
                continue;
            }
            run.push((i, rel, false));
            at += len as usize;
            // A conditional branch leaves the block when taken and goes on with the next
            // instruction otherwise; the block ends at a jump, at its size limit, or where
            // it would run into itself again.
            if handlers::ends_block(i.op)
                || run.len() >= MAX_LEN
                || run.iter().any(|&(_, o, _)| off.wrapping_add(o as isize as usize) == at)
            {
                break;
            }
        }
        // Conditional branches to an instruction further on in the block, as (branch,
        // target) indices into `run`: taken, they skip ahead instead of leaving.
        let skips: Vec<(usize, usize)> = run
            .iter()
            .enumerate()
            .filter(|(_, (i, _, _))| handlers::is_branch(i.op))
            .filter_map(|(k, &(i, rel, _))| {
                let target = rel as i32 + i.imm;
                let j = run.iter().position(|&(_, r, _)| r as i32 == target)?;
                (j > k).then_some((k, j))
            })
            .collect();
        // Neither a skipping branch nor a skip target may hide inside a fused pair.
        let fusable = |k: usize| !skips.iter().any(|&(b, t)| b == k || t == k);
        // The op (from `start`) that begins with each instruction, if any.
        let mut op_at = vec![None; run.len()];
        let mut k = 0;
        while let Some(&(i, rel, inline)) = run.get(k) {
            let idx = k as u16;
            let here = self.ops.len() - start;
            if inline {
                // A `j` (no link to write) needs no op, unless the block would be empty.
                if i.rd != 32 || k + 1 == run.len() {
                    op_at[k] = Some(here);
                    self.ops.push(BlockOp::inline_jal(i, rel, idx, w32));
                }
            } else if let Some(fused) = run
                .get(k + 1)
                .filter(|n| !w32 && !n.2 && fusable(k + 1))
                .and_then(|n| BlockOp::fuse(i, n.0, rel, idx))
            {
                op_at[k] = Some(here);
                self.ops.push(fused);
                k += 1;
            } else {
                op_at[k] = Some(here);
                self.ops.push(BlockOp::new(i, rel, idx, w32));
            }
            k += 1;
        }
        for (b, t) in skips {
            let (Some(Some(from)), Some(Some(to))) = (op_at.get(b), op_at.get(t)) else { continue };
            let (Ok(ops), Ok(instrs)) = (u8::try_from(to - from - 1), u8::try_from(t - b - 1)) else { continue };
            if let Some(op) = self.ops.get_mut(start + from) {
                op.skip_to(ops, instrs);
            }
        }
        let id = self.blocks.len() as u32;
        self.blocks.push(Block {
            start: start as u32,
            ops: (self.ops.len() - start) as u16,
            len: run.len() as u16,
            fall: at.wrapping_sub(off) as i16,
            live: true,
            chain: [(0, NONE); LINKS],
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
            let ops = self.ops.get(b.start as usize..b.start as usize + b.ops as usize).unwrap_or_default();
            let Some((first, rest)) = ops.split_first() else { break Ok(()) };
            // Run the block, and again while it jumps back to its own start.
            let next = loop {
                h.next_pc = fall;
                let stopped = (first.run)(h, first, rest);
                let ran = if stopped == handlers::DONE {
                    len
                } else if stopped & handlers::TAKEN != 0 {
                    (stopped & !handlers::TAKEN) as u64
                } else {
                    return redo(h, ops, pc, instret, stopped);
                };
                instret += ran - std::mem::take(&mut h.skipped);
                let next = h.next_pc;
                if next != pc || instret + len > limit {
                    break next;
                }
            };
            if next == pc {
                break Ok(());
            }
            let way = link_slot(next);
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

/// Redo on the exact path the instruction of a block that a handler could not finish
/// (fault, device, code page, page walk, TLB miss): `stopped` instructions of the block
/// at `pc` ran before it.
#[cold]
#[inline(never)]
fn redo(h: &mut Hart, ops: &[BlockOp], pc: u64, instret: u64, stopped: u32) -> Result<(), Exc> {
    let off = ops.iter().find(|op| op.idx as u32 == stopped).map_or(0, |op| op.off);
    h.instret = instret + stopped as u64 - std::mem::take(&mut h.skipped);
    h.pc = pc.wrapping_add(off as i64 as u64) & h.mask;
    h.step()
}

/// The chain slot for a block that continues at `pc`.
#[inline(always)]
fn link_slot(pc: u64) -> usize {
    (pc >> 1) as usize % LINKS
}

#[cfg(test)]
mod tests {
    //! The block cache against the exact interpreter: random programs with fusable pairs,
    //! loops, forward branches and misaligned or page-crossing accesses must leave the
    //! same registers, memory, pc and instruction count, whatever the run budget.

    use super::BlockCache;
    use crate::decode::Xlen;
    use crate::hart::{CAUSE_BREAKPOINT, Hart};
    use crate::mem::{self, Memory};

    const CODE: u64 = 0x1000;
    const DATA: u64 = 0x8000;
    const EBREAK: u32 = 0x0010_0073;

    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u32) -> u32 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as u32
        }
    }

    fn r(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32) -> u32 {
        f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x33
    }
    fn i(op: u32, imm: i32, rs1: u32, f3: u32, rd: u32) -> u32 {
        ((imm as u32) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
    }
    fn s(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
        let imm = imm as u32;
        (imm >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 31) << 7 | 0x23
    }
    fn b(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
        let imm = imm as u32;
        (imm >> 12 & 1) << 31 | (imm >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm >> 1 & 0xf) << 8
            | (imm >> 11 & 1) << 7
            | 0x63
    }

    /// Working registers (x10 and x14 hold data addresses, x15 counts loops).
    const REGS: [u32; 8] = [5, 6, 7, 8, 9, 11, 12, 13];

    fn reg(rng: &mut Rng) -> u32 {
        REGS[rng.below(REGS.len() as u32) as usize]
    }

    /// One item: a plain ALU op, an indexed load or store, a shifted add, two loads (the
    /// second maybe through a pointer the first read), an atomic or a forward branch.
    fn item(rng: &mut Rng, out: &mut Vec<u32>) {
        match rng.below(8) {
            0 | 1 => {
                let (f7, f3) = [(0, 0), (0x20, 0), (0, 4), (0, 1), (0, 6)][rng.below(5) as usize];
                out.push(r(f7, reg(rng), reg(rng), f3, reg(rng)));
                out.push(i(0x13, rng.below(4096) as i32 - 2048, reg(rng), 0, reg(rng)));
            }
            2 | 3 => {
                // An offset into the data (odd ones make misaligned accesses; x14's page
                // ends 0x100 bytes in, so some of them cross it).
                let index = reg(rng);
                let mask = if rng.below(4) == 0 { 0x1ff } else { 0x1f8 };
                out.push(i(0x13, mask, reg(rng), 7, index));
                let base = if rng.below(3) == 0 { 14 } else { 10 };
                let t = if rng.below(2) == 0 { index } else { reg(rng) };
                let add = if rng.below(2) == 0 { r(0, index, base, 0, t) } else { r(0, base, index, 0, t) };
                out.push(add);
                let offset = rng.below(32) as i32 * 8 - 64;
                if rng.below(2) == 0 {
                    out.push(i(0x03, offset, t, rng.below(7), reg(rng)));
                } else {
                    let value = if rng.below(2) == 0 { t } else { reg(rng) };
                    out.push(s(offset, value, t, rng.below(4)));
                }
            }
            4 => {
                let t = reg(rng);
                out.push(i(0x13, rng.below(8) as i32, reg(rng), 1, t));
                let other = if rng.below(3) == 0 { t } else { reg(rng) };
                let add = if rng.below(2) == 0 { r(0, other, t, 0, reg(rng)) } else { r(0, t, other, 0, reg(rng)) };
                out.push(add);
            }
            5 => {
                let (kind, first) = (rng.below(7), reg(rng));
                out.push(i(0x03, rng.below(32) as i32 * 8, 10, kind, first));
                let base = [first, 10, 14][rng.below(3) as usize];
                out.push(i(0x03, rng.below(16) as i32 * 8, base, kind, reg(rng)));
            }
            6 => {
                // Now and then misaligned (a fault on both paths).
                let t = reg(rng);
                let offset = 0x200 + rng.below(32) as i32 * 8 + if rng.below(8) == 0 { 2 } else { 0 };
                out.push(i(0x13, offset, 10, 0, t));
                let funct5 = [0, 1, 2, 3, 4, 8, 12, 16, 20, 24, 28][rng.below(11) as usize];
                let f3 = 2 + rng.below(2);
                out.push(funct5 << 27 | reg(rng) << 20 | t << 15 | f3 << 12 | reg(rng) << 7 | 0x2f);
            }
            _ => {
                // Skip the next instruction when taken.
                out.push(b(8, reg(rng), reg(rng), [0, 1, 4, 5, 6, 7][rng.below(6) as usize]));
                out.push(i(0x13, 1, reg(rng), 0, reg(rng)));
            }
        }
    }

    fn program(seed: u64) -> Vec<u32> {
        let mut rng = Rng(seed);
        let mut out = vec![DATA as u32 | 10 << 7 | 0x37, (DATA as u32 + 0x1000) | 14 << 7 | 0x37, i(0x13, -0x100, 14, 0, 14)];
        for &x in &REGS {
            out.push(i(0x13, rng.below(4096) as i32 - 2048, 0, 0, x));
        }
        for _ in 0..12 {
            if rng.below(2) == 0 {
                item(&mut rng, &mut out);
                continue;
            }
            // A counted loop, the count taken down first or last.
            out.push(i(0x13, 1 + rng.below(20) as i32, 0, 0, 15));
            let top = out.len();
            let first = rng.below(2) == 0;
            if first {
                out.push(i(0x13, -1, 15, 0, 15));
            }
            for _ in 0..1 + rng.below(4) {
                item(&mut rng, &mut out);
            }
            if !first {
                out.push(i(0x13, -1, 15, 0, 15));
            }
            out.push(b(-4 * (out.len() - top) as i32, 0, 15, 1));
        }
        out.push(EBREAK);
        out
    }

    fn hart(code: &[u32], xlen: Xlen) -> Hart {
        let mut h = Hart::new(xlen, Memory::new(0, 0x10000, mem::R | mem::W | mem::X), false);
        for (k, w) in code.iter().enumerate() {
            h.mem.write(CODE as usize + 4 * k, 4, *w as u64);
        }
        for k in 0..0x2000 {
            h.mem.write(DATA as usize + k, 1, (k as u64).wrapping_mul(0x9e37_79b9) >> 7);
        }
        // A table of pointers into the data at its start.
        for k in 0..32 {
            h.mem.write(DATA as usize + 8 * k, 8, DATA + 0x400 + 8 * k as u64);
        }
        h.pc = CODE;
        h
    }

    /// Most RV64 programs end at their `ebreak` (some load through a pointer they
    /// overwrote and fault); on RV32 (where `ld`, `sd` and `lwu` are illegal) most stop
    /// earlier. Either way both paths must stop at the same instruction in the same state.
    #[test]
    fn blocks_match_the_exact_interpreter() {
        let mut finished = 0;
        for (seed, xlen) in (0..200).flat_map(|seed| [(seed, Xlen::X64), (seed, Xlen::X32)]) {
            let code = program(seed);
            let mut exact = hart(&code, xlen);
            let exact_stop = loop {
                if let Err(e) = exact.step() {
                    break e;
                }
            };
            if xlen == Xlen::X64 && exact_stop.cause == CAUSE_BREAKPOINT {
                finished += 1;
            }
            for budget in [u64::MAX, 1, 3, 7] {
                let mut fast = hart(&code, xlen);
                let mut cache = BlockCache::new(fast.mem.flags.len());
                let stop = loop {
                    fast.run_limit = fast.instret.saturating_add(budget);
                    if let Err(e) = cache.run(&mut fast) {
                        break e;
                    }
                };
                let budget = format!("{xlen:?} budget {budget}");
                assert_eq!(stop, exact_stop, "seed {seed} {budget}");
                assert_eq!(fast.pc, exact.pc, "seed {seed} {budget}");
                assert_eq!(fast.instret, exact.instret, "seed {seed} {budget}");
                assert_eq!(fast.x[..32], exact.x[..32], "seed {seed} {budget}");
                assert!(fast.mem.data == exact.mem.data, "seed {seed} {budget}: memory differs");
            }
        }
        assert!(finished > 100, "only {finished} of 200 RV64 programs reached their ebreak");
    }
}
