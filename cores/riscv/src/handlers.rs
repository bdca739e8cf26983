//! How the block cache (`block.rs`) runs decoded instructions: one handler per hot
//! operation. A block is an array of [`BlockOp`]s; each handler does its instruction and
//! then calls the next op's handler as its last act (a tail call, so a block runs as a
//! chain of jumps with one indirect branch per instruction and no central dispatch).
//!
//! A handler either completes its instruction, or changes nothing and returns its index
//! in the block: the block loop then runs that instruction again on the exact
//! per-instruction path (`Hart::step`), which raises the exception, reaches the device,
//! walks the page table or invalidates the code page. So the handlers only implement the
//! common case: RAM through a fast TLB hit, no fault, no hook. A taken conditional
//! branch returns how many instructions ran, tagged with [`TAKEN`].
//!
//! Handlers that compute addresses or links are generic over the register width
//! (`W32`), so RV64 code carries no 32-bit masking. Memory handlers keep their miss path
//! out of line (`mem_miss`) so that the hit path saves no registers.

use crate::alu;
use crate::hart::{Acc, Hart};
use crate::instr::{Instr, Op};

/// What a block returns when all its instructions completed.
pub const DONE: u32 = u32::MAX;

/// Set in what a block returns when a taken branch left it, with the number of
/// instructions that ran (the branch included) in the low bits; `next_pc` holds the
/// target.
pub const TAKEN: u32 = 1 << 31;

/// Runs `op` and the rest of its block; returns [`DONE`], a [`TAKEN`] count, or the
/// index (in instructions) of the instruction that must take the exact path.
pub type Handler = fn(&mut Hart, &BlockOp, &[BlockOp]) -> u32;

/// A decoded instruction inside a block: its handler and the decoder's [`Instr`], field
/// for field, with its place in the block. A fused op (see [`BlockOp::fuse`]) does two
/// instructions and uses `rs3`, `rm` (and for some `len`) as extra register numbers and
/// `imm` as two 16-bit immediates.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct BlockOp {
    pub run: Handler,
    pub op: Op,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    pub imm: i32,
    /// Byte offset of the (first) instruction from the start of its block (negative after
    /// a jump backwards inside the block).
    pub off: i16,
    /// Instructions before this one in its block.
    pub idx: u16,
    pub len: u8,
    pub rs3: u8,
    pub rm: u8,
    /// Two instructions in one op: on any trouble it returns its `idx` without having
    /// written anything, and the exact path redoes its first instruction only.
    pub fused: bool,
}

impl BlockOp {
    /// The op for instruction `i`, the `idx`-th of its block at byte offset `off`, for a
    /// 32-bit hart when `w32`.
    pub fn new(i: Instr, off: i16, idx: u16, w32: bool) -> BlockOp {
        BlockOp {
            run: handler(i.op, w32),
            op: i.op,
            rd: i.rd,
            rs1: i.rs1,
            rs2: i.rs2,
            imm: i.imm,
            off,
            idx,
            len: i.len,
            rs3: i.rs3,
            rm: i.rm,
            fused: false,
        }
    }

    /// Make this conditional branch jump, when taken, to an op later in its block: skip
    /// the next `ops` ops, which hold `instrs` instructions.
    pub fn skip_to(&mut self, ops: u8, instrs: u8) {
        let run: Handler = match self.op {
            Op::Beq => beq_skip,
            Op::Bne => bne_skip,
            Op::Blt => blt_skip,
            Op::Bge => bge_skip,
            Op::Bltu => bltu_skip,
            _ => bgeu_skip,
        };
        *self = BlockOp { run, rs3: ops, rm: instrs, ..*self };
    }

    /// A `jal` whose target the block goes on with: only the link is written.
    pub fn inline_jal(i: Instr, off: i16, idx: u16, w32: bool) -> BlockOp {
        let run = if w32 { jal_inline::<true> } else { jal_inline::<false> };
        BlockOp { run, ..BlockOp::new(i, off, idx, w32) }
    }

    /// One op for the pair `a` then `b` (in that order, `b` right after `a`), when it is a
    /// common RV64 pair with a fused handler: an address computed by `add` and used by the
    /// next load or store (`add t, a, b; lw x, 8(t)`), two loads of one kind, two integer
    /// operations (`slli t, i, 2; add t, t, base`), or an integer operation or a store
    /// and a conditional branch (`addi a0, a0, 4; bne a0, a1, loop`).
    pub fn fuse(a: Instr, b: Instr, off: i16, idx: u16) -> Option<BlockOp> {
        use Op::*;
        let through_sum = a.op == Add && b.rs1 == a.rd;
        let run: Handler = match (a.op, b.op) {
            (Add, Lb) if through_sum => add_lb,
            (Add, Lh) if through_sum => add_lh,
            (Add, Lw) if through_sum => add_lw,
            (Add, Ld) if through_sum => add_ld,
            (Add, Lbu) if through_sum => add_lbu,
            (Add, Lhu) if through_sum => add_lhu,
            (Add, Lwu) if through_sum => add_lwu,
            (Add, Sb) if through_sum => add_sb,
            (Add, Sh) if through_sum => add_sh,
            (Add, Sw) if through_sum => add_sw,
            (Add, Sd) if through_sum => add_sd,
            (Lb, Lb) | (Lh, Lh) | (Lw, Lw) | (Ld, Ld) | (Lbu, Lbu) | (Lhu, Lhu) | (Lwu, Lwu) => {
                return Self::fuse_loads(a, b, off, idx);
            }
            (Sb | Sh | Sw | Sd, _) => return Self::fuse_store_branch(a, b, off, idx),
            _ => return Self::fuse_alu(a, b, off, idx),
        };
        // add rs3, rs1, rs2, then b: rd = b's destination (loads), rm = b's source (stores).
        Some(BlockOp { run, op: a.op, rd: b.rd, rs1: a.rs1, rs2: a.rs2, imm: b.imm, off, idx, len: a.len, rs3: a.rd, rm: b.rs2, fused: true })
    }

    /// Two loads of the same kind: `rs3 = load(rs1 + imm's low half)`, then
    /// `rd = load(rm + imm's high half)`.
    fn fuse_loads(a: Instr, b: Instr, off: i16, idx: u16) -> Option<BlockOp> {
        use Op::*;
        let run: Handler = match a.op {
            Lb => lb_lb,
            Lh => lh_lh,
            Lw => lw_lw,
            Ld => ld_ld,
            Lbu => lbu_lbu,
            Lhu => lhu_lhu,
            _ => lwu_lwu,
        };
        let (lo, hi) = (i16::try_from(a.imm).ok()?, i16::try_from(b.imm).ok()?);
        let imm = (hi as i32) << 16 | lo as u16 as i32;
        Some(BlockOp { run, op: a.op, rd: b.rd, rs1: a.rs1, rs2: 0, imm, off, idx, len: a.len, rs3: a.rd, rm: b.rs1, fused: true })
    }

    /// A store then a conditional branch: the store of `rs2` at `rs1 + imm's low half`,
    /// then the branch on `rm` and `len` (a register number here) to the offset in imm's
    /// high half.
    fn fuse_store_branch(a: Instr, b: Instr, off: i16, idx: u16) -> Option<BlockOp> {
        let width = [Op::Sb, Op::Sh, Op::Sw, Op::Sd].iter().position(|&op| op == a.op)?;
        let cond = BRANCH_OPS.iter().position(|&op| op == b.op)?;
        let (lo, hi) = (i16::try_from(a.imm).ok()?, i16::try_from(a.len as i32 + b.imm).ok()?);
        let imm = (hi as i32) << 16 | lo as u16 as i32;
        let run = STORE_BRANCHES[width][cond];
        Some(BlockOp { run, op: a.op, rd: 32, rs1: a.rs1, rs2: a.rs2, imm, off, idx, len: b.rs2, rs3: 0, rm: b.rs1, fused: true })
    }

    /// Two integer operations of [`PAIR_OPS`], or one followed by a conditional branch.
    /// The first is `rs3 = op(rs1, rs2 or the low half of imm)`; the second reads `rm`
    /// and `len` (a register number here) or the high half of imm, and writes `rd` (a
    /// branch's high half is its offset from the first instruction).
    fn fuse_alu(a: Instr, b: Instr, off: i16, idx: u16) -> Option<BlockOp> {
        let kind = |i: &Instr| PAIR_OPS.iter().position(|&(op, _)| op == i.op);
        let half = |i: &Instr, imm: bool| if imm { i16::try_from(i.imm).ok() } else { Some(0) };
        let ka = kind(&a)?;
        let lo = half(&a, PAIR_OPS[ka].1)?;
        let (run, hi) = if let Some(kb) = kind(&b) {
            (PAIRS[ka][kb], half(&b, PAIR_OPS[kb].1)?)
        } else {
            let cond = BRANCH_OPS.iter().position(|&op| op == b.op)?;
            (PAIR_BRANCHES[ka][cond], i16::try_from(a.len as i32 + b.imm).ok()?)
        };
        let imm = (hi as i32) << 16 | lo as u16 as i32;
        Some(BlockOp { run, op: a.op, rd: b.rd, rs1: a.rs1, rs2: a.rs2, imm, off, idx, len: b.rs2, rs3: a.rd, rm: b.rs1, fused: true })
    }

    fn instr(&self) -> Instr {
        Instr {
            op: self.op,
            rd: self.rd,
            rs1: self.rs1,
            rs2: self.rs2,
            rs3: self.rs3,
            rm: self.rm,
            len: self.len,
            imm: self.imm,
        }
    }
}

/// True when the instruction can run inside a block; the others (system instructions,
/// CSRs, illegal encodings) always take the per-instruction path, so privilege,
/// translation and interrupt state change between blocks only.
pub fn runs_in_block(op: Op) -> bool {
    use Op::*;
    !matches!(
        op,
        Invalid | Illegal | Ecall | Ebreak | Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci | Mret | Sret | Wfi
            | SfenceVma | FenceI
    )
}

/// True for the A extension: `lr`, `sc` and the AMOs.
fn is_atomic(op: Op) -> bool {
    (Op::LrW as u8..=Op::AmomaxuD as u8).contains(&(op as u8))
}

/// True for a conditional branch.
pub fn is_branch(op: Op) -> bool {
    BRANCH_OPS.contains(&op)
}

/// True for a jump: it ends its block (a conditional branch only leaves it when taken).
pub fn ends_block(op: Op) -> bool {
    matches!(op, Op::Jal | Op::Jalr)
}

/// The handler of `op`; `w32` picks the RV32 forms (addresses and links wrapped to 32
/// bits), so that RV64 handlers carry no mask.
fn handler(op: Op, w32: bool) -> Handler {
    use Op::*;
    macro_rules! xlen {
        ($f:ident) => {
            if w32 { $f::<true> } else { $f::<false> }
        };
    }
    match op {
        Lui => lui,
        Auipc => xlen!(auipc),
        Jal => xlen!(jal),
        Jalr => xlen!(jalr),
        Beq => xlen!(beq),
        Bne => xlen!(bne),
        Blt => xlen!(blt),
        Bge => xlen!(bge),
        Bltu => xlen!(bltu),
        Bgeu => xlen!(bgeu),
        Lb => xlen!(lb),
        Lh => xlen!(lh),
        Lw => xlen!(lw),
        Ld => xlen!(ld),
        Lbu => xlen!(lbu),
        Lhu => xlen!(lhu),
        Lwu => xlen!(lwu),
        Sb => xlen!(sb),
        Sh => xlen!(sh),
        Sw => xlen!(sw),
        Sd => xlen!(sd),
        Flw => xlen!(flw),
        Fld => xlen!(fld),
        Fsw => xlen!(fsw),
        Fsd => xlen!(fsd),
        Addi => addi,
        Slti => slti,
        Sltiu => sltiu,
        Xori => xori,
        Ori => ori,
        Andi => andi,
        Slli => slli,
        Srli => srli,
        Srai => srai,
        Add => add,
        Sub => sub,
        Sll => sll,
        Slt => slt,
        Sltu => sltu,
        Xor => xor,
        Srl => srl,
        Sra => sra,
        Or => or,
        And => and,
        Addiw => addiw,
        Slliw => slliw,
        Srliw => srliw,
        Sraiw => sraiw,
        Addw => addw,
        Subw => subw,
        Sllw => sllw,
        Srlw => srlw,
        Sraw => sraw,
        Mul => mul,
        Mulw => mulw,
        Div => div,
        Divu => divu,
        Rem => rem,
        Remu => remu,
        Fence => nop,
        _ if is_atomic(op) => atomic,
        _ => generic,
    }
}

/// Go on with the next instruction of the block.
#[inline(always)]
fn next(h: &mut Hart, rest: &[BlockOp]) -> u32 {
    match rest.split_first() {
        Some((op, rest)) => (op.run)(h, op, rest),
        None => DONE,
    }
}

#[inline(always)]
fn rs1(h: &Hart, op: &BlockOp) -> u64 {
    h.x[op.rs1 as usize]
}

#[inline(always)]
fn rs2(h: &Hart, op: &BlockOp) -> u64 {
    h.x[op.rs2 as usize]
}

#[inline(always)]
fn imm(op: &BlockOp) -> u64 {
    op.imm as i64 as u64
}

#[inline(always)]
fn set(h: &mut Hart, op: &BlockOp, v: u64) {
    h.x[op.rd as usize] = v;
}

/// The virtual address of the instruction.
#[inline(always)]
fn pc(h: &Hart, op: &BlockOp) -> u64 {
    h.block_pc.wrapping_add(op.off as i64 as u64)
}

/// An address wrapped to the register width.
#[inline(always)]
fn wrap<const W32: bool>(v: u64) -> u64 {
    if W32 { v & 0xffff_ffff } else { v }
}

/// A value sign-extended to the register width.
#[inline(always)]
fn sx<const W32: bool>(v: u64) -> u64 {
    if W32 { v as i32 as i64 as u64 } else { v }
}

/// The effective address `rs1 + imm`.
#[inline(always)]
fn ea<const W32: bool>(h: &Hart, op: &BlockOp) -> u64 {
    wrap::<W32>(rs1(h, op).wrapping_add(imm(op)))
}

/// Everything without its own handler, through the exact interpreter's `exec`: operations
/// that touch neither memory nor control flow, and misaligned accesses that `mem_miss`
/// found to be plain RAM inside one page.
fn generic(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let pc = pc(h, op);
    if h.exec(op.instr(), pc).is_err() {
        return op.idx as u32;
    }
    next(h, rest)
}

/// An atomic (`lr`, `sc`, AMO) on the exact interpreter, once the fast TLBs show that its
/// address is aligned RAM that it may both read and write (the exact path then does plain
/// RAM accesses); anything else (misaligned, device, code page, no translation yet)
/// takes the exact path.
fn atomic(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let addr = rs1(h, op) & h.mask;
    let size = if (Op::LrD as u8..=Op::AmomaxuD as u8).contains(&(op.op as u8)) { 8 } else { 4 };
    if h.fast_load_offset(addr, size).is_none() || h.fast_store_offset(addr, size).is_none() {
        return op.idx as u32;
    }
    generic(h, op, rest)
}

fn nop(h: &mut Hart, _: &BlockOp, rest: &[BlockOp]) -> u32 {
    next(h, rest)
}

fn lui(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    set(h, op, imm(op));
    next(h, rest)
}

fn auipc<const W32: bool>(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let v = sx::<W32>(pc(h, op).wrapping_add(imm(op)));
    set(h, op, v);
    next(h, rest)
}

fn jal<const W32: bool>(h: &mut Hart, op: &BlockOp, _: &[BlockOp]) -> u32 {
    let pc = pc(h, op);
    h.next_pc = wrap::<W32>(pc.wrapping_add(imm(op)));
    let link = sx::<W32>(pc.wrapping_add(op.len as u64));
    set(h, op, link);
    DONE
}

fn jal_inline<const W32: bool>(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let link = sx::<W32>(pc(h, op).wrapping_add(op.len as u64));
    set(h, op, link);
    next(h, rest)
}

fn jalr<const W32: bool>(h: &mut Hart, op: &BlockOp, _: &[BlockOp]) -> u32 {
    let target = ea::<W32>(h, op) & !1;
    let link = sx::<W32>(pc(h, op).wrapping_add(op.len as u64));
    set(h, op, link);
    h.next_pc = target;
    DONE
}

/// A conditional branch: taken, it leaves the block (see [`TAKEN`]); otherwise the block
/// goes on (when it is the last op, `next_pc` already holds the fall-through address).
/// The `_skip` form jumps forward inside its block instead (see [`BlockOp::skip_to`]).
macro_rules! branch {
    ($name:ident, $skip:ident, |$a:ident, $b:ident| $taken:expr) => {
        fn $name<const W32: bool>(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
            let ($a, $b) = (rs1(h, op), rs2(h, op));
            if $taken {
                h.next_pc = wrap::<W32>(pc(h, op).wrapping_add(imm(op)));
                return (op.idx as u32 + 1) | TAKEN;
            }
            next(h, rest)
        }

        fn $skip(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
            let ($a, $b) = (rs1(h, op), rs2(h, op));
            if $taken {
                h.skipped += op.rm as u64;
                return next(h, rest.get(op.rs3 as usize..).unwrap_or_default());
            }
            next(h, rest)
        }
    };
}

branch!(beq, beq_skip, |a, b| a == b);
branch!(bne, bne_skip, |a, b| a != b);
branch!(blt, blt_skip, |a, b| (a as i64) < (b as i64));
branch!(bge, bge_skip, |a, b| (a as i64) >= (b as i64));
branch!(bltu, bltu_skip, |a, b| a < b);
branch!(bgeu, bgeu_skip, |a, b| a >= b);

/// A memory access the fast TLB missed (kept out of line, so that the handlers' fast
/// paths save no registers). When the access is plain RAM the TLB is filled: an aligned
/// access then runs its handler again (a hit now), a misaligned one that stays inside its
/// page runs on the exact interpreter, which can only do the same plain RAM access. Any
/// other case returns the op's index for the exact path.
#[cold]
#[inline(never)]
fn mem_miss(h: &mut Hart, op: &BlockOp, rest: &[BlockOp], addr: u64, len: usize, acc: Acc) -> u32 {
    if h.fast_miss(addr, len, acc).is_none() {
        return op.idx as u32;
    }
    if addr & (len as u64 - 1) == 0 {
        return (op.run)(h, op, rest);
    }
    if op.fused {
        return op.idx as u32;
    }
    generic(h, op, rest)
}

/// A load of `$len` bytes into an integer register, extended by `$ext`.
macro_rules! load {
    ($name:ident, $len:expr, |$v:ident| $ext:expr) => {
        fn $name<const W32: bool>(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
            let addr = ea::<W32>(h, op);
            let Some(off) = h.fast_load_offset(addr, $len) else {
                return mem_miss(h, op, rest, addr, $len, Acc::Load);
            };
            let $v = h.mem.read(off, $len);
            set(h, op, $ext);
            next(h, rest)
        }
    };
}

load!(lb, 1, |v| v as i8 as i64 as u64);
load!(lh, 2, |v| v as i16 as i64 as u64);
load!(lw, 4, |v| v as i32 as i64 as u64);
load!(ld, 8, |v| v);
load!(lbu, 1, |v| v);
load!(lhu, 2, |v| v);
load!(lwu, 4, |v| v);

fn flw<const W32: bool>(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let addr = ea::<W32>(h, op);
    let Some(off) = h.fast_load_offset(addr, 4) else { return mem_miss(h, op, rest, addr, 4, Acc::Load) };
    h.f[(op.rd & 31) as usize] = 0xffff_ffff_0000_0000 | h.mem.read(off, 4);
    next(h, rest)
}

fn fld<const W32: bool>(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let addr = ea::<W32>(h, op);
    let Some(off) = h.fast_load_offset(addr, 8) else { return mem_miss(h, op, rest, addr, 8, Acc::Load) };
    h.f[(op.rd & 31) as usize] = h.mem.read(off, 8);
    next(h, rest)
}

/// A store of the low `$len` bytes of `$value`.
macro_rules! store {
    ($name:ident, $len:expr, |$h:ident, $op:ident| $value:expr) => {
        fn $name<const W32: bool>($h: &mut Hart, $op: &BlockOp, rest: &[BlockOp]) -> u32 {
            let addr = ea::<W32>($h, $op);
            let Some(off) = $h.fast_store_offset(addr, $len) else {
                return mem_miss($h, $op, rest, addr, $len, Acc::Store);
            };
            let v = $value;
            $h.mem.write(off, $len, v);
            next($h, rest)
        }
    };
}

store!(sb, 1, |h, op| rs2(h, op));
store!(sh, 2, |h, op| rs2(h, op));
store!(sw, 4, |h, op| rs2(h, op));
store!(sd, 8, |h, op| rs2(h, op));
store!(fsw, 4, |h, op| h.f[(op.rs2 & 31) as usize]);
store!(fsd, 8, |h, op| h.f[(op.rs2 & 31) as usize]);

/// `add rs3, rs1, rs2` then a load of `$len` bytes at `rs3 + imm` into `rd`.
macro_rules! add_load {
    ($name:ident, $len:expr, |$v:ident| $ext:expr) => {
        fn $name(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
            let base = rs1(h, op).wrapping_add(rs2(h, op));
            let addr = base.wrapping_add(imm(op));
            let Some(off) = h.fast_load_offset(addr, $len) else {
                return mem_miss(h, op, rest, addr, $len, Acc::Load);
            };
            let $v = h.mem.read(off, $len);
            h.x[op.rs3 as usize] = base;
            set(h, op, $ext);
            next(h, rest)
        }
    };
}

add_load!(add_lb, 1, |v| v as i8 as i64 as u64);
add_load!(add_lh, 2, |v| v as i16 as i64 as u64);
add_load!(add_lw, 4, |v| v as i32 as i64 as u64);
add_load!(add_ld, 8, |v| v);
add_load!(add_lbu, 1, |v| v);
add_load!(add_lhu, 2, |v| v);
add_load!(add_lwu, 4, |v| v);

/// Two loads of `$len` bytes (see [`BlockOp::fuse_loads`]): nothing is written unless
/// both hit the fast TLB. The second address uses the first result when it is based on
/// the first destination.
macro_rules! load_pair {
    ($name:ident, $len:expr, |$v:ident| $ext:expr) => {
        fn $name(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
            let first = rs1(h, op).wrapping_add(op.imm as i16 as i64 as u64);
            let Some(off) = h.fast_load_offset(first, $len) else {
                return mem_miss(h, op, rest, first, $len, Acc::Load);
            };
            let a = {
                let $v = h.mem.read(off, $len);
                $ext
            };
            let base = if op.rm == op.rs3 { a } else { h.x[op.rm as usize] };
            let second = base.wrapping_add((op.imm >> 16) as i64 as u64);
            let Some(off) = h.fast_load_offset(second, $len) else { return op.idx as u32 };
            let b = {
                let $v = h.mem.read(off, $len);
                $ext
            };
            h.x[op.rs3 as usize] = a;
            set(h, op, b);
            next(h, rest)
        }
    };
}

load_pair!(lb_lb, 1, |v| v as i8 as i64 as u64);
load_pair!(lh_lh, 2, |v| v as i16 as i64 as u64);
load_pair!(lw_lw, 4, |v| v as i32 as i64 as u64);
load_pair!(ld_ld, 8, |v| v);
load_pair!(lbu_lbu, 1, |v| v);
load_pair!(lhu_lhu, 2, |v| v);
load_pair!(lwu_lwu, 4, |v| v);

/// `add rs3, rs1, rs2` then a store of the low `$len` bytes of `rm` at `rs3 + imm`.
macro_rules! add_store {
    ($name:ident, $len:expr) => {
        fn $name(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
            let base = rs1(h, op).wrapping_add(rs2(h, op));
            let addr = base.wrapping_add(imm(op));
            let Some(off) = h.fast_store_offset(addr, $len) else {
                return mem_miss(h, op, rest, addr, $len, Acc::Store);
            };
            h.x[op.rs3 as usize] = base;
            // Read after the add: the stored register may be its destination.
            let v = h.x[op.rm as usize];
            h.mem.write(off, $len, v);
            next(h, rest)
        }
    };
}

add_store!(add_sb, 1);
add_store!(add_sh, 2);
add_store!(add_sw, 4);
add_store!(add_sd, 8);

/// The integer operations that fuse in pairs (see [`BlockOp::fuse_alu`]), by kind number,
/// with whether the second operand is the immediate and the `alu` helper.
macro_rules! pair_ops {
    ($($k:literal => $op:ident, $imm:literal, $f:ident;)*) => {
        const PAIR_OPS: [(Op, bool); 16] = [$((Op::$op, $imm)),*];

        #[inline(always)]
        fn pair_eval<const K: usize>(a: u64, b: u64) -> u64 {
            match K {
                $($k => alu::$f(a, b),)*
                _ => 0,
            }
        }

        #[inline(always)]
        const fn pair_imm<const K: usize>() -> bool {
            match K {
                $($k => $imm,)*
                _ => false,
            }
        }
    };
}

pair_ops! {
    0 => Addi, true, add;
    1 => Add, false, add;
    2 => Slli, true, sll;
    3 => Srli, true, srl;
    4 => Srai, true, sra;
    5 => Andi, true, and;
    6 => Xori, true, xor;
    7 => Sub, false, sub;
    8 => Xor, false, xor;
    9 => Or, false, or;
    10 => And, false, and;
    11 => Addiw, true, addw;
    12 => Addw, false, addw;
    13 => Srliw, true, srlw;
    14 => Mulw, false, mulw;
    15 => Mul, false, mul;
}

/// The conditional branches by condition number, as `alu_branch` takes them.
const BRANCH_OPS: [Op; 6] = [Op::Beq, Op::Bne, Op::Blt, Op::Bge, Op::Bltu, Op::Bgeu];

/// The first half of a fused pair: `rs3 = A(rs1, rs2 or imm's low half)`.
#[inline(always)]
fn pair_first<const A: usize>(h: &mut Hart, op: &BlockOp) {
    let b = if pair_imm::<A>() { op.imm as i16 as i64 as u64 } else { rs2(h, op) };
    h.x[op.rs3 as usize] = pair_eval::<A>(rs1(h, op), b);
}

/// Two integer operations: `rs3 = A(rs1, rs2|lo)` then `rd = B(rm, len|hi)`.
fn alu_pair<const A: usize, const B: usize>(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    pair_first::<A>(h, op);
    // Read after the first write: the second may use its result.
    let b = if pair_imm::<B>() { (op.imm >> 16) as i64 as u64 } else { h.x[op.len as usize] };
    let v = pair_eval::<B>(h.x[op.rm as usize], b);
    set(h, op, v);
    next(h, rest)
}

/// An integer operation then a conditional branch (see [`pair_branch`]).
fn alu_branch<const A: usize, const C: usize>(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    pair_first::<A>(h, op);
    pair_branch::<C>(h, op, rest)
}

/// The second half of a pair ending with a conditional branch on `rm` and `len`
/// (condition `C` of [`BRANCH_OPS`]) to the offset in imm's high half.
#[inline(always)]
fn pair_branch<const C: usize>(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let (a, b) = (h.x[op.rm as usize], h.x[op.len as usize]);
    let taken = match C {
        0 => a == b,
        1 => a != b,
        2 => (a as i64) < (b as i64),
        3 => (a as i64) >= (b as i64),
        4 => a < b,
        _ => a >= b,
    };
    if taken {
        h.next_pc = pc(h, op).wrapping_add((op.imm >> 16) as i64 as u64);
        return (op.idx as u32 + 2) | TAKEN;
    }
    next(h, rest)
}

/// A store of `1 << W` bytes of `rs2` at `rs1 + imm's low half`, then a conditional
/// branch (see [`pair_branch`]).
fn store_branch<const W: usize, const C: usize>(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let len = 1 << W;
    let addr = rs1(h, op).wrapping_add(op.imm as i16 as i64 as u64);
    let Some(off) = h.fast_store_offset(addr, len) else {
        return mem_miss(h, op, rest, addr, len, Acc::Store);
    };
    h.mem.write(off, len, rs2(h, op));
    pair_branch::<C>(h, op, rest)
}

/// A table of `$f::<a, b>` for every `a` and `b`.
macro_rules! table {
    ($f:ident; $($a:literal)*; $bs:tt) => { [$(table!(@row $f, $a, $bs)),*] };
    (@row $f:ident, $a:literal, ($($b:literal)*)) => { [$($f::<$a, $b> as Handler),*] };
}

static PAIRS: [[Handler; 16]; 16] =
    table!(alu_pair; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; (0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15));
static PAIR_BRANCHES: [[Handler; 6]; 16] =
    table!(alu_branch; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; (0 1 2 3 4 5));
static STORE_BRANCHES: [[Handler; 6]; 4] = table!(store_branch; 0 1 2 3; (0 1 2 3 4 5));

/// An integer operation `rd = alu::$f(rs1, operand)`, the operand being rs2 or the
/// immediate.
macro_rules! alu {
    ($name:ident, $f:ident, reg) => {
        fn $name(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
            set(h, op, alu::$f(rs1(h, op), rs2(h, op)));
            next(h, rest)
        }
    };
    ($name:ident, $f:ident, imm) => {
        fn $name(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
            set(h, op, alu::$f(rs1(h, op), imm(op)));
            next(h, rest)
        }
    };
}

alu!(addi, add, imm);
alu!(slti, slt, imm);
alu!(sltiu, sltu, imm);
alu!(xori, xor, imm);
alu!(ori, or, imm);
alu!(andi, and, imm);
alu!(slli, sll, imm);
alu!(srli, srl, imm);
alu!(srai, sra, imm);
alu!(add, add, reg);
alu!(sub, sub, reg);
alu!(sll, sll, reg);
alu!(slt, slt, reg);
alu!(sltu, sltu, reg);
alu!(xor, xor, reg);
alu!(srl, srl, reg);
alu!(sra, sra, reg);
alu!(or, or, reg);
alu!(and, and, reg);
alu!(addiw, addw, imm);
alu!(slliw, sllw, imm);
alu!(srliw, srlw, imm);
alu!(sraiw, sraw, imm);
alu!(addw, addw, reg);
alu!(subw, subw, reg);
alu!(sllw, sllw, reg);
alu!(srlw, srlw, reg);
alu!(sraw, sraw, reg);
alu!(mul, mul, reg);
alu!(mulw, mulw, reg);
alu!(div, div, reg);
alu!(divu, divu, reg);
alu!(rem, rem, reg);
alu!(remu, remu, reg);
