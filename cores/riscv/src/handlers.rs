//! How the block cache (`block.rs`) runs decoded instructions: one handler per hot
//! operation. A block is an array of [`BlockOp`]s; each handler does its instruction and
//! then calls the next op's handler as its last act (a tail call, so a block runs as a
//! chain of jumps with one indirect branch per instruction and no central dispatch).
//!
//! A handler either completes its instruction, or changes nothing and returns its index
//! in the block: the block loop then runs that instruction again on the exact
//! per-instruction path (`Hart::step`), which raises the exception, reaches the device,
//! walks the page table or invalidates the code page. So the handlers only implement the
//! common case: RAM through a TLB hit, no fault, no hook.

use crate::alu;
use crate::hart::{Acc, Hart};
use crate::instr::{Instr, Op};

/// What a block returns when all its instructions completed.
pub const DONE: u32 = u32::MAX;

/// Runs `op` and the rest of its block; returns [`DONE`] or the index of the
/// instruction that must take the exact path.
pub type Handler = fn(&mut Hart, &BlockOp, &[BlockOp]) -> u32;

/// A decoded instruction inside a block: its handler and the decoder's [`Instr`], field
/// for field, with its place in the block.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct BlockOp {
    pub run: Handler,
    pub op: Op,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    pub imm: i32,
    /// Byte offset of the instruction from the start of its block (negative after a jump
    /// backwards inside the block).
    pub off: i16,
    /// Index of the instruction in its block.
    pub idx: u16,
    pub len: u8,
    pub rs3: u8,
    pub rm: u8,
}

impl BlockOp {
    /// The op for instruction `i`, the `idx`-th of its block at byte offset `off`.
    pub fn new(i: Instr, off: i16, idx: u16) -> BlockOp {
        BlockOp {
            run: handler(i.op),
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
        }
    }

    /// A `jal` whose target the block goes on with: only the link is written.
    pub fn inline_jal(i: Instr, off: i16, idx: u16) -> BlockOp {
        BlockOp { run: jal_inline, ..BlockOp::new(i, off, idx) }
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
/// atomics, CSRs, illegal encodings) always take the per-instruction path, so privilege,
/// translation and interrupt state change between blocks only.
pub fn runs_in_block(op: Op) -> bool {
    use Op::*;
    !matches!(
        op,
        Invalid | Illegal | Ecall | Ebreak | Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci | Mret | Sret | Wfi
            | SfenceVma | FenceI | LrW | ScW | AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW
            | AmomaxW | AmominuW | AmomaxuW | LrD | ScD | AmoswapD | AmoaddD | AmoxorD | AmoandD | AmoorD
            | AmominD | AmomaxD | AmominuD | AmomaxuD
    )
}

/// True when the instruction may change the pc other than by falling through: it ends
/// its block.
pub fn ends_block(op: Op) -> bool {
    use Op::*;
    matches!(op, Jal | Jalr | Beq | Bne | Blt | Bge | Bltu | Bgeu)
}

fn handler(op: Op) -> Handler {
    use Op::*;
    match op {
        Lui => lui,
        Auipc => auipc,
        Jal => jal,
        Jalr => jalr,
        Beq => beq,
        Bne => bne,
        Blt => blt,
        Bge => bge,
        Bltu => bltu,
        Bgeu => bgeu,
        Lb => lb,
        Lh => lh,
        Lw => lw,
        Ld => ld,
        Lbu => lbu,
        Lhu => lhu,
        Lwu => lwu,
        Sb => sb,
        Sh => sh,
        Sw => sw,
        Sd => sd,
        Flw => flw,
        Fld => fld,
        Fsw => fsw,
        Fsd => fsd,
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

/// The effective address `rs1 + imm`.
#[inline(always)]
fn ea(h: &Hart, op: &BlockOp) -> u64 {
    rs1(h, op).wrapping_add(imm(op)) & h.mask
}

/// Everything without its own handler, through the exact interpreter's `exec` (only
/// operations that touch neither memory nor control flow get here).
fn generic(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let pc = pc(h, op);
    if h.exec(op.instr(), pc).is_err() {
        return op.idx as u32;
    }
    next(h, rest)
}

fn nop(h: &mut Hart, _: &BlockOp, rest: &[BlockOp]) -> u32 {
    next(h, rest)
}

fn lui(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    set(h, op, imm(op));
    next(h, rest)
}

fn auipc(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let v = h.sx(pc(h, op).wrapping_add(imm(op)));
    set(h, op, v);
    next(h, rest)
}

fn jal(h: &mut Hart, op: &BlockOp, _: &[BlockOp]) -> u32 {
    let pc = pc(h, op);
    h.next_pc = pc.wrapping_add(imm(op)) & h.mask;
    let link = h.sx(pc.wrapping_add(op.len as u64) & h.mask);
    set(h, op, link);
    DONE
}

fn jal_inline(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let link = h.sx(pc(h, op).wrapping_add(op.len as u64) & h.mask);
    set(h, op, link);
    next(h, rest)
}

fn jalr(h: &mut Hart, op: &BlockOp, _: &[BlockOp]) -> u32 {
    let target = ea(h, op) & !1;
    let link = h.sx(pc(h, op).wrapping_add(op.len as u64) & h.mask);
    set(h, op, link);
    h.next_pc = target;
    DONE
}

/// A conditional branch (the last instruction of its block): `next_pc` already holds
/// the fall-through address.
macro_rules! branch {
    ($name:ident, |$a:ident, $b:ident| $taken:expr) => {
        fn $name(h: &mut Hart, op: &BlockOp, _: &[BlockOp]) -> u32 {
            let ($a, $b) = (rs1(h, op), rs2(h, op));
            if $taken {
                h.next_pc = pc(h, op).wrapping_add(imm(op)) & h.mask;
            }
            DONE
        }
    };
}

branch!(beq, |a, b| a == b);
branch!(bne, |a, b| a != b);
branch!(blt, |a, b| (a as i64) < (b as i64));
branch!(bge, |a, b| (a as i64) >= (b as i64));
branch!(bltu, |a, b| a < b);
branch!(bgeu, |a, b| a >= b);

/// The RAM offset of a plain `len`-byte load (or store) at virtual `addr`.
#[inline(always)]
fn load_offset(h: &mut Hart, addr: u64, len: usize) -> Option<usize> {
    match h.fast_load_offset(addr, len) {
        Some(off) => Some(off),
        None => h.fast_miss(addr, len, Acc::Load),
    }
}

#[inline(always)]
fn store_offset(h: &mut Hart, addr: u64, len: usize) -> Option<usize> {
    match h.fast_store_offset(addr, len) {
        Some(off) => Some(off),
        None => h.fast_miss(addr, len, Acc::Store),
    }
}

/// A load of `$len` bytes into an integer register, extended by `$ext`.
macro_rules! load {
    ($name:ident, $len:expr, |$v:ident| $ext:expr) => {
        fn $name(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
            let Some(off) = load_offset(h, ea(h, op), $len) else { return op.idx as u32 };
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

fn flw(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let Some(off) = load_offset(h, ea(h, op), 4) else { return op.idx as u32 };
    h.f[(op.rd & 31) as usize] = 0xffff_ffff_0000_0000 | h.mem.read(off, 4);
    next(h, rest)
}

fn fld(h: &mut Hart, op: &BlockOp, rest: &[BlockOp]) -> u32 {
    let Some(off) = load_offset(h, ea(h, op), 8) else { return op.idx as u32 };
    h.f[(op.rd & 31) as usize] = h.mem.read(off, 8);
    next(h, rest)
}

/// A store of the low `$len` bytes of `$value`.
macro_rules! store {
    ($name:ident, $len:expr, |$h:ident, $op:ident| $value:expr) => {
        fn $name($h: &mut Hart, $op: &BlockOp, rest: &[BlockOp]) -> u32 {
            let Some(off) = store_offset($h, ea($h, $op), $len) else { return $op.idx as u32 };
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
