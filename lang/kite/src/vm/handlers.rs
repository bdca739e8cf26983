//! Threaded dispatch: one handler function per instruction.
//!
//! When a function is added to the VM, its `Op`s are decoded once into [`Inst`]s, each the
//! instruction paired with its handler (`decode`). A handler does its instruction and, as
//! its last act, calls the handler of the next one ([`next`]): a tail call, which LLVM
//! compiles to a jump. So every instruction ends in its own indirect jump, predicted from
//! its own history (what `goto *labels[op]` gives a C interpreter), instead of all of them
//! sharing the one indirect jump of a `match` loop: that shared jump cost 30–40% of the time
//! of fib, loop and mandel.
//!
//! Stable Rust does not guarantee tail calls, so each chain of handlers carries *fuel*: after
//! [`FUEL`] instructions it returns to the trampoline in [`Vm::execute`] (`Cx::ip` says where
//! to go on). Where LLVM does turn the calls into jumps (in every optimised build), fuel
//! costs one decrement per instruction; were it ever not to, the native stack would still
//! hold at most `FUEL` handler frames.
//!
//! Handlers are generic over the dispatch mode `M`, so each mode has its own copy of the
//! code and of the decoded instructions: [`FAST`] has no checks between instructions,
//! [`LIMITED`] ticks the step gate (calls and loop back-edges), [`HOOKED`] counts
//! instructions against a budget and consults the debugger's hooks before each one.
//!
//! A handler either goes on with [`next`], or leaves by setting [`Cx::exit`] and returning.

use std::io::Write;

use wb_machine::Hooks;

use super::bytecode::{Op, Proto};
use super::interp::{CallFrame, Exit, FnInfo, Vm};
use crate::front::ast::{BinOp, Capture};
use crate::runtime::heap::Obj;
use crate::runtime::map::Key;
use crate::runtime::ops::FastMod;
use crate::runtime::value::{GcRef, Value, copy_value, tag};
use crate::runtime::{MAX_FRAMES, ops};
use crate::tree::arity_message;

/// No checks between instructions (`run_source`).
pub(super) const FAST: u8 = 0;
/// The step gate is ticked at calls and loop back-edges (`run_source_limited`).
pub(super) const LIMITED: u8 = 1;
/// Instruction budget and debugger hooks before every instruction (`VmMachine`).
pub(super) const HOOKED: u8 = 2;
/// Number of dispatch modes (decoded copies of each function).
pub(super) const MODES: usize = 3;

/// Instructions one chain of handlers runs before it returns to the trampoline.
const FUEL: u32 = 1024;

/// Runs the instruction at `ip` (with `regs` the running frame's registers) and the ones
/// after it, until the fuel runs out or the run leaves the dispatch loop.
pub(super) type Handler = unsafe fn(*const Inst, *mut Value, &mut Cx<'_>, u32);

/// A decoded instruction: the `Op` (what listings, snapshots and the verifier know) and
/// the handler that runs it.
#[derive(Clone, Copy)]
#[repr(C)]
pub(super) struct Inst {
    run: Handler,
    op: Op,
}

/// Decode a function's code for dispatch mode `M`.
pub(super) fn decode<const M: u8>(code: &[Op]) -> Box<[Inst]> {
    code.iter().map(|&op| Inst { run: handler::<M>(&op), op }).collect()
}

/// The state of a run shared by all handlers: the VM, the running frame's function, and
/// how the run left the dispatch loop.
pub(super) struct Cx<'a> {
    pub vm: &'a mut Vm,
    pub hooks: &'a mut Hooks,
    pub sink: &'a mut dyn Write,
    /// `HOOKED`: stop when `vm.retired` reaches this.
    pub limit: u64,
    /// The running function: its index, code, decoded instructions, constants and the
    /// stack index of its register 0.
    pub fi: usize,
    pub proto: *const Proto,
    pub insts: *const Inst,
    pub consts: *const Value,
    /// The running function's inline caches (`GetField`/`SetField`), one per instruction.
    pub ics: *mut u32,
    pub base: usize,
    /// Where a chain that ran out of fuel stopped, to go on from there.
    pub ip: *const Inst,
    pub regs: *mut Value,
    /// Set when the run leaves the dispatch loop.
    pub exit: Option<Exit>,
}

impl Cx<'_> {
    /// The index of the instruction at `ip` in the running function.
    #[inline(always)]
    fn pc(&self, ip: *const Inst) -> usize {
        // SAFETY: `ip` points into the running function's instructions, which start at
        // `insts`.
        unsafe { ip.offset_from(self.insts) as usize }
    }

    /// The inline cache of the instruction at `ip`.
    #[inline(always)]
    fn ic(&self, ip: *const Inst) -> u32 {
        // SAFETY: there is one cache per instruction of the running function.
        unsafe { *self.ics.add(self.pc(ip)) }
    }

    /// Leave the dispatch loop with the running frame positioned at `pc`.
    #[cold]
    fn leave(&mut self, pc: usize, exit: Exit) {
        if let Some(f) = self.vm.frames.last_mut() {
            f.pc = pc;
        }
        self.exit = Some(exit);
    }

    /// Switch to the frame of function `fi` at `base` (after a call or a return); returns
    /// its registers.
    #[inline(always)]
    fn enter<const M: u8>(&mut self, fi: usize, info: &FnInfo, base: usize) -> *mut Value {
        self.fi = fi;
        self.proto = info.proto;
        self.insts = info.insts[M as usize];
        self.consts = info.consts;
        self.ics = info.ics;
        self.base = base;
        // SAFETY: every frame's `base + max_regs` is within the stack.
        unsafe { self.vm.stack.as_mut_ptr().add(base) }
    }
}

/// Divisor `m` of function `proto` (`ModI`).
///
/// # Safety
/// `proto` is a function of the running `Vm` whose code has a `ModI` with divisor `m` (the
/// verifier checked `m` against the divisor table).
#[inline(always)]
unsafe fn divisor<'p>(proto: *const Proto, m: u16) -> &'p FastMod {
    // SAFETY: the caller's.
    unsafe {
        let divisors: &[FastMod] = &(*proto).divisors;
        divisors.get_unchecked(m as usize)
    }
}

/// Run the instruction at `ip`, or return to the trampoline when the fuel is spent.
#[inline(always)]
unsafe fn next<const M: u8>(ip: *const Inst, regs: *mut Value, cx: &mut Cx<'_>, fuel: u32) {
    if fuel == 0 {
        cx.ip = ip;
        cx.regs = regs;
        return;
    }
    if M == HOOKED && hook_stops(ip, cx) {
        return;
    }
    // SAFETY: the verifier proved every jump target and fall-through in range (every
    // function ends in a return), so `ip` is one of the running function's instructions.
    unsafe { ((*ip).run)(ip, regs, cx, fuel - 1) }
}

/// Run from `cx.ip` until the run leaves the dispatch loop.
pub(super) fn trampoline<const M: u8>(cx: &mut Cx<'_>) -> Exit {
    loop {
        // SAFETY: `cx.ip` and `cx.regs` are the running frame's (see `Vm::execute` and
        // `next`).
        unsafe { next::<M>(cx.ip, cx.regs, cx, FUEL) };
        if let Some(exit) = cx.exit.take() {
            return exit;
        }
    }
}

/// `HOOKED`: the budget and the debugger's hooks, before each instruction.
#[inline(never)]
fn hook_stops(ip: *const Inst, cx: &mut Cx<'_>) -> bool {
    let pc = cx.pc(ip);
    if cx.vm.retired >= cx.limit {
        cx.leave(pc, Exit::Budget);
        return true;
    }
    if cx.hooks.exec_active() {
        // SAFETY: `proto` is the running function (it lives as long as the `Vm`).
        let addr = unsafe { (*cx.proto).addr } + pc as u64;
        if let Some(stop) = cx.hooks.before_exec(addr, cx.vm.retired) {
            cx.leave(pc, Exit::Stopped(stop));
            return true;
        }
    }
    cx.vm.retired += 1;
    false
}

/// Leave the dispatch loop with an error raised by the instruction at `ip`.
#[cold]
#[inline(never)]
fn fail(cx: &mut Cx<'_>, ip: *const Inst, message: impl Into<String>) {
    let pc = cx.pc(ip);
    cx.exit = Some(cx.vm.raise(pc, message.into()));
}

/// The top level returned: the program is finished.
#[cold]
#[inline(never)]
fn finish(cx: &mut Cx<'_>) {
    cx.exit = Some(Exit::Finished);
}

/// `ForPrep` with a bound that is not an int.
#[cold]
#[inline(never)]
fn bad_range(cx: &mut Cx<'_>, ip: *const Inst, bad: Value) {
    let name = ops::type_name(&cx.vm.rt.heap, bad);
    fail(cx, ip, format!("range bounds must be ints, not {name}"));
}

/// `LIMITED`: tick the step gate (a call or a loop back-edge); true when it says stop.
#[inline(always)]
fn step_stops<const M: u8>(ip: *const Inst, cx: &mut Cx<'_>) -> bool {
    if M == LIMITED
        && let Some(outcome) = cx.vm.rt.gate.tick()
    {
        let pc = cx.pc(ip);
        cx.leave(pc, Exit::Interrupted(outcome));
        return true;
    }
    false
}

/// Collect garbage if the heap wants it (a safepoint: every live value is in a root).
#[inline(always)]
fn safepoint(cx: &mut Cx<'_>) {
    if cx.vm.rt.heap.wants_gc() {
        collect(cx);
    }
}

#[cold]
#[inline(never)]
fn collect(cx: &mut Cx<'_>) {
    cx.vm.collect(cx.base);
}

/// The operands of the instruction at `ip`, which `decode` paired with this handler.
macro_rules! operands {
    ($ip:expr, $pat:pat) => {
        let $pat = (*$ip).op else { mismatch() };
    };
}

/// A handler was paired with another instruction than its own: `decode` never does that.
#[inline(always)]
fn mismatch() -> ! {
    if cfg!(debug_assertions) {
        unreachable!("a handler ran another instruction")
    } else {
        // SAFETY: `decode` pairs every `Op` variant with that variant's handler only.
        unsafe { std::hint::unreachable_unchecked() }
    }
}

/// Register `x` of the running frame.
macro_rules! r {
    ($regs:expr, $x:expr) => {
        *$regs.add($x as usize)
    };
}

/// Constant `x` of the running function.
macro_rules! k {
    ($cx:expr, $x:expr) => {
        *$cx.consts.add($x as usize)
    };
}

/// Copy the value at `src` into register `dst`.
macro_rules! mov {
    ($regs:expr, $dst:expr, $src:expr) => {
        copy_value($regs.add($dst as usize), $src)
    };
}

/// The value of a `Result<_, String>`, or leave with the error.
macro_rules! try_rt {
    ($cx:expr, $ip:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(m) => return fail($cx, $ip, m),
        }
    };
}

/// Go on with the instruction after `ip`.
macro_rules! go_on {
    ($ip:expr, $regs:expr, $cx:expr, $fuel:expr) => {
        return next::<M>($ip.add(1), $regs, $cx, $fuel)
    };
}

/// Go on `off` instructions after the one after `ip` when `cond == k`.
///
/// `cold_path` only keeps LLVM from computing the target with a conditional move: that
/// makes the next instruction's operand loads wait for the comparison, where a branch lets
/// the CPU go on with its prediction (mandel ran 25% slower).
macro_rules! branch {
    ($ip:expr, $regs:expr, $cx:expr, $fuel:expr, $cond:expr, $k:expr, $off:expr) => {{
        if $cond == $k {
            std::hint::cold_path();
            return next::<M>($ip.offset($off as isize + 1), $regs, $cx, $fuel);
        }
        return next::<M>($ip.add(1), $regs, $cx, $fuel);
    }};
}

/// Arithmetic with int and float fast paths (ints first); everything else takes the slow
/// path.
/// Each arm writes its own result: no shared tail to jump to.
macro_rules! arith {
    ($ip:expr, $regs:expr, $cx:expr, $fuel:expr, $a:expr, $x:expr, $y:expr, $iop:expr, $fop:expr) => {
        match (&$x, &$y) {
            (Value::Int(i), Value::Int(j)) => r!($regs, $a) = Value::Int($iop(*i, *j)),
            (Value::Float(f), Value::Float(g)) => r!($regs, $a) = Value::Float($fop(*f, *g)),
            (Value::Int(i), Value::Float(g)) => r!($regs, $a) = Value::Float($fop(*i as f64, *g)),
            (Value::Float(f), Value::Int(j)) => r!($regs, $a) = Value::Float($fop(*f, *j as f64)),
            _ => return slow::<M>($ip, $regs, $cx, $fuel),
        }
    };
}

/// A comparison with int and float fast paths; everything else takes the slow path.
macro_rules! compare {
    ($ip:expr, $regs:expr, $cx:expr, $fuel:expr, $x:expr, $y:expr, $cmp:tt) => {
        match (&$x, &$y) {
            (Value::Int(i), Value::Int(j)) => *i $cmp *j,
            (Value::Float(f), Value::Float(g)) => *f $cmp *g,
            (Value::Int(i), Value::Float(g)) => (*i as f64) $cmp *g,
            (Value::Float(f), Value::Int(j)) => *f $cmp (*j as f64),
            _ => return slow::<M>($ip, $regs, $cx, $fuel),
        }
    };
}

/// Defines handlers: `fn name(ip, regs, cx, fuel) { body }` becomes an `unsafe fn`
/// generic over the dispatch mode `M` with the [`Handler`] signature.
///
/// SAFETY (of every body): `ip` is an instruction of the running function and `regs` its
/// registers, `regs[0..max_regs]` within the stack; the verifier proved every register,
/// constant and divisor operand in range, so they are read without bounds checks.
macro_rules! handlers {
    ($($name:ident($ip:ident, $regs:ident, $cx:ident, $fuel:ident) $body:block)*) => {
        $(
            #[allow(unused_mut)]
            unsafe fn $name<const M: u8>(
                $ip: *const Inst,
                mut $regs: *mut Value,
                $cx: &mut Cx<'_>,
                $fuel: u32,
            ) {
                #[allow(unused_unsafe)]
                unsafe { $body }
            }
        )*
    };
}

handlers! {
    op_move(ip, regs, cx, fuel) {
        operands!(ip, Op::Move { a, b });
        mov!(regs, a, regs.add(b as usize));
        go_on!(ip, regs, cx, fuel)
    }
    op_load_nil(ip, regs, cx, fuel) {
        operands!(ip, Op::LoadNil { a });
        r!(regs, a) = Value::Nil;
        go_on!(ip, regs, cx, fuel)
    }
    op_load_bool(ip, regs, cx, fuel) {
        operands!(ip, Op::LoadBool { a, v });
        r!(regs, a) = Value::Bool(v);
        go_on!(ip, regs, cx, fuel)
    }
    op_load_int(ip, regs, cx, fuel) {
        operands!(ip, Op::LoadInt { a, v });
        r!(regs, a) = Value::Int(v as i64);
        go_on!(ip, regs, cx, fuel)
    }
    op_load_k(ip, regs, cx, fuel) {
        operands!(ip, Op::LoadK { a, k });
        mov!(regs, a, cx.consts.add(k as usize));
        go_on!(ip, regs, cx, fuel)
    }
    op_load_native(ip, regs, cx, fuel) {
        operands!(ip, Op::LoadNative { a, n });
        r!(regs, a) = Value::Native(n);
        go_on!(ip, regs, cx, fuel)
    }
    op_get_global(ip, regs, cx, fuel) {
        operands!(ip, Op::GetGlobal { a, g });
        let Some(v) = cx.vm.rt.globals.get(g as usize) else {
            return fail(cx, ip, "undefined global");
        };
        mov!(regs, a, v as *const Value);
        go_on!(ip, regs, cx, fuel)
    }
    op_set_global(ip, regs, cx, fuel) {
        operands!(ip, Op::SetGlobal { a, g });
        if let Some(slot) = cx.vm.rt.globals.get_mut(g as usize) {
            copy_value(slot, regs.add(a as usize));
        }
        go_on!(ip, regs, cx, fuel)
    }
    op_get_upval(ip, regs, cx, fuel) {
        operands!(ip, Op::GetUpval { a, u });
        let cell = cx.vm.upval(u);
        mov!(regs, a, cx.vm.cell_ptr(&cell));
        go_on!(ip, regs, cx, fuel)
    }
    op_set_upval(ip, regs, cx, fuel) {
        operands!(ip, Op::SetUpval { a, u });
        let cell = cx.vm.upval(u);
        cx.vm.cell_set(cell, r!(regs, a));
        go_on!(ip, regs, cx, fuel)
    }
    op_get_cell(ip, regs, cx, fuel) {
        operands!(ip, Op::GetCell { a, b });
        let p = cx.vm.cell_ptr(&r!(regs, b));
        mov!(regs, a, p);
        go_on!(ip, regs, cx, fuel)
    }
    op_set_cell(ip, regs, cx, fuel) {
        operands!(ip, Op::SetCell { a, b });
        cx.vm.cell_set(r!(regs, a), r!(regs, b));
        go_on!(ip, regs, cx, fuel)
    }
    op_new_cell(ip, regs, cx, fuel) {
        operands!(ip, Op::NewCell { a });
        let v = r!(regs, a);
        r!(regs, a) = Value::Obj(cx.vm.rt.heap.alloc(Obj::Cell(v)));
        safepoint(cx);
        go_on!(ip, regs, cx, fuel)
    }
    op_closure(ip, regs, cx, fuel) {
        operands!(ip, Op::Closure { a, f });
        let Some(child) = cx.vm.protos.get(f as usize) else {
            return fail(cx, ip, "closure of an unknown function");
        };
        let upvals: Box<[GcRef]> = child
            .captures
            .iter()
            .map(|c| match *c {
                Capture::Local(s) => match r!(regs, s) {
                    Value::Obj(r) => r,
                    _ => GcRef(0),
                },
                Capture::Upval(u) => match cx.vm.upval(u) {
                    Value::Obj(r) => r,
                    _ => GcRef(0),
                },
            })
            .collect();
        r!(regs, a) = Value::Obj(cx.vm.rt.heap.alloc(Obj::Closure { func: f, upvals }));
        safepoint(cx);
        go_on!(ip, regs, cx, fuel)
    }
    op_new_list(ip, regs, cx, fuel) {
        operands!(ip, Op::NewList { a, b, n });
        let items = std::slice::from_raw_parts(regs.add(b as usize), n as usize).to_vec();
        r!(regs, a) = Value::Obj(cx.vm.rt.heap.alloc(Obj::List(items)));
        safepoint(cx);
        go_on!(ip, regs, cx, fuel)
    }
    op_append(ip, regs, cx, fuel) {
        operands!(ip, Op::Append { a, b, n });
        let values = std::slice::from_raw_parts(regs.add(b as usize), n as usize);
        if let Value::Obj(list) = r!(regs, a)
            && let Obj::List(items) = cx.vm.rt.heap.get_mut(list)
        {
            items.extend_from_slice(values);
        }
        go_on!(ip, regs, cx, fuel)
    }
    op_new_map(ip, regs, cx, fuel) {
        operands!(ip, Op::NewMap { a });
        r!(regs, a) = crate::runtime::builtins::new_map(&mut cx.vm.rt.heap);
        safepoint(cx);
        go_on!(ip, regs, cx, fuel)
    }
    op_add(ip, regs, cx, fuel) {
        operands!(ip, Op::Add { a, b, c });
        arith!(ip, regs, cx, fuel, a, r!(regs, b), r!(regs, c), i64::wrapping_add, |f: f64, g: f64| f + g);
        go_on!(ip, regs, cx, fuel)
    }
    op_sub(ip, regs, cx, fuel) {
        operands!(ip, Op::Sub { a, b, c });
        arith!(ip, regs, cx, fuel, a, r!(regs, b), r!(regs, c), i64::wrapping_sub, |f: f64, g: f64| f - g);
        go_on!(ip, regs, cx, fuel)
    }
    op_mul(ip, regs, cx, fuel) {
        operands!(ip, Op::Mul { a, b, c });
        arith!(ip, regs, cx, fuel, a, r!(regs, b), r!(regs, c), i64::wrapping_mul, |f: f64, g: f64| f * g);
        go_on!(ip, regs, cx, fuel)
    }
    op_div(ip, regs, cx, fuel) {
        operands!(ip, Op::Div { a, b, c });
        match (&r!(regs, b), &r!(regs, c)) {
            (Value::Float(f), Value::Float(g)) => r!(regs, a) = Value::Float(f / g),
            (Value::Int(i), Value::Int(j)) => r!(regs, a) = Value::Float(*i as f64 / *j as f64),
            (Value::Int(i), Value::Float(g)) => r!(regs, a) = Value::Float(*i as f64 / g),
            (Value::Float(f), Value::Int(j)) => r!(regs, a) = Value::Float(f / *j as f64),
            _ => return slow::<M>(ip, regs, cx, fuel),
        }
        go_on!(ip, regs, cx, fuel)
    }
    op_mod(ip, regs, cx, fuel) {
        operands!(ip, Op::Mod { a, b, c });
        match (&r!(regs, b), &r!(regs, c)) {
            (Value::Int(i), Value::Int(j)) if *j > 0 => r!(regs, a) = Value::Int(i.rem_euclid(*j)),
            _ => return slow::<M>(ip, regs, cx, fuel),
        }
        go_on!(ip, regs, cx, fuel)
    }
    op_add_k(ip, regs, cx, fuel) {
        operands!(ip, Op::AddK { a, b, c, .. });
        arith!(ip, regs, cx, fuel, a, r!(regs, b), k!(cx, c), i64::wrapping_add, |f: f64, g: f64| f + g);
        go_on!(ip, regs, cx, fuel)
    }
    op_sub_k(ip, regs, cx, fuel) {
        operands!(ip, Op::SubK { a, b, c });
        arith!(ip, regs, cx, fuel, a, r!(regs, b), k!(cx, c), i64::wrapping_sub, |f: f64, g: f64| f - g);
        go_on!(ip, regs, cx, fuel)
    }
    op_mul_k(ip, regs, cx, fuel) {
        operands!(ip, Op::MulK { a, b, c, .. });
        arith!(ip, regs, cx, fuel, a, r!(regs, b), k!(cx, c), i64::wrapping_mul, |f: f64, g: f64| f * g);
        go_on!(ip, regs, cx, fuel)
    }
    op_div_k(ip, regs, cx, fuel) {
        operands!(ip, Op::DivK { a, b, c });
        match (&r!(regs, b), &k!(cx, c)) {
            (Value::Float(f), Value::Float(g)) => r!(regs, a) = Value::Float(f / g),
            (Value::Int(i), Value::Float(g)) => r!(regs, a) = Value::Float(*i as f64 / g),
            _ => return slow::<M>(ip, regs, cx, fuel),
        }
        go_on!(ip, regs, cx, fuel)
    }
    op_mod_k(ip, regs, cx, fuel) {
        operands!(ip, Op::ModK { a, b, c });
        match (&r!(regs, b), &k!(cx, c)) {
            (Value::Int(i), Value::Int(j)) if *j > 0 => r!(regs, a) = Value::Int(i.rem_euclid(*j)),
            _ => return slow::<M>(ip, regs, cx, fuel),
        }
        go_on!(ip, regs, cx, fuel)
    }
    op_mod_i(ip, regs, cx, fuel) {
        operands!(ip, Op::ModI { a, b, m });
        match &r!(regs, b) {
            Value::Int(i) => {
                let fm = divisor(cx.proto, m);
                r!(regs, a) = Value::Int(fm.floor_rem(*i));
            }
            _ => return slow::<M>(ip, regs, cx, fuel),
        }
        go_on!(ip, regs, cx, fuel)
    }
    op_add_i(ip, regs, cx, fuel) {
        operands!(ip, Op::AddI { a, b, imm });
        match &r!(regs, b) {
            Value::Int(i) => r!(regs, a) = Value::Int(i.wrapping_add(imm as i64)),
            Value::Float(f) => r!(regs, a) = Value::Float(f + imm as f64),
            _ => return slow::<M>(ip, regs, cx, fuel),
        }
        go_on!(ip, regs, cx, fuel)
    }
    op_neg(ip, regs, cx, fuel) {
        operands!(ip, Op::Neg { a, b });
        match &r!(regs, b) {
            Value::Int(i) => r!(regs, a) = Value::Int(i.wrapping_neg()),
            Value::Float(f) => r!(regs, a) = Value::Float(-f),
            _ => return slow::<M>(ip, regs, cx, fuel),
        }
        go_on!(ip, regs, cx, fuel)
    }
    op_not(ip, regs, cx, fuel) {
        operands!(ip, Op::Not { a, b });
        r!(regs, a) = Value::Bool(!r!(regs, b).truthy());
        go_on!(ip, regs, cx, fuel)
    }
    op_eq(ip, regs, cx, fuel) {
        operands!(ip, Op::Eq { a, b, k, off });
        branch!(ip, regs, cx, fuel, ops::equal(r!(regs, a), r!(regs, b)), k, off)
    }
    op_lt(ip, regs, cx, fuel) {
        operands!(ip, Op::Lt { a, b, k, off });
        branch!(ip, regs, cx, fuel, compare!(ip, regs, cx, fuel, r!(regs, a), r!(regs, b), <), k, off)
    }
    op_le(ip, regs, cx, fuel) {
        operands!(ip, Op::Le { a, b, k, off });
        branch!(ip, regs, cx, fuel, compare!(ip, regs, cx, fuel, r!(regs, a), r!(regs, b), <=), k, off)
    }
    op_eq_k(ip, regs, cx, fuel) {
        operands!(ip, Op::EqK { a, c, k, off });
        branch!(ip, regs, cx, fuel, ops::equal(r!(regs, a), k!(cx, c)), k, off)
    }
    op_lt_i(ip, regs, cx, fuel) {
        operands!(ip, Op::LtI { a, imm, k, off });
        branch!(ip, regs, cx, fuel, compare!(ip, regs, cx, fuel, r!(regs, a), Value::Int(imm as i64), <), k, off)
    }
    op_le_i(ip, regs, cx, fuel) {
        operands!(ip, Op::LeI { a, imm, k, off });
        branch!(ip, regs, cx, fuel, compare!(ip, regs, cx, fuel, r!(regs, a), Value::Int(imm as i64), <=), k, off)
    }
    op_gt_i(ip, regs, cx, fuel) {
        operands!(ip, Op::GtI { a, imm, k, off });
        branch!(ip, regs, cx, fuel, compare!(ip, regs, cx, fuel, r!(regs, a), Value::Int(imm as i64), >), k, off)
    }
    op_ge_i(ip, regs, cx, fuel) {
        operands!(ip, Op::GeI { a, imm, k, off });
        branch!(ip, regs, cx, fuel, compare!(ip, regs, cx, fuel, r!(regs, a), Value::Int(imm as i64), >=), k, off)
    }
    op_lt_k(ip, regs, cx, fuel) {
        operands!(ip, Op::LtK { a, c, k, off });
        branch!(ip, regs, cx, fuel, compare!(ip, regs, cx, fuel, r!(regs, a), k!(cx, c), <), k, off)
    }
    op_le_k(ip, regs, cx, fuel) {
        operands!(ip, Op::LeK { a, c, k, off });
        branch!(ip, regs, cx, fuel, compare!(ip, regs, cx, fuel, r!(regs, a), k!(cx, c), <=), k, off)
    }
    op_gt_k(ip, regs, cx, fuel) {
        operands!(ip, Op::GtK { a, c, k, off });
        branch!(ip, regs, cx, fuel, compare!(ip, regs, cx, fuel, r!(regs, a), k!(cx, c), >), k, off)
    }
    op_ge_k(ip, regs, cx, fuel) {
        operands!(ip, Op::GeK { a, c, k, off });
        branch!(ip, regs, cx, fuel, compare!(ip, regs, cx, fuel, r!(regs, a), k!(cx, c), >=), k, off)
    }
    op_test(ip, regs, cx, fuel) {
        operands!(ip, Op::Test { a, k, off });
        branch!(ip, regs, cx, fuel, r!(regs, a).truthy(), k, off)
    }
    op_jmp(ip, regs, cx, fuel) {
        operands!(ip, Op::Jmp { off });
        if off < 0 && step_stops::<M>(ip, cx) {
            return;
        }
        return next::<M>(ip.offset(off as isize + 1), regs, cx, fuel);
    }
    op_get_index(ip, regs, cx, fuel) {
        operands!(ip, Op::GetIndex { a, b, c });
        if let (Value::Obj(l), Value::Int(i)) = (&r!(regs, b), &r!(regs, c))
            && let Some(Obj::List(items)) = cx.vm.rt.heap.get_checked(*l)
            && let Some(v) = items.get(*i as usize)
        {
            mov!(regs, a, v as *const Value);
            go_on!(ip, regs, cx, fuel)
        }
        return slow::<M>(ip, regs, cx, fuel);
    }
    op_set_index(ip, regs, cx, fuel) {
        operands!(ip, Op::SetIndex { a, b, c });
        let (o, i, v) = (r!(regs, a), r!(regs, b), r!(regs, c));
        try_rt!(cx, ip, ops::index_set(&mut cx.vm.rt.heap, o, i, v));
        go_on!(ip, regs, cx, fuel)
    }
    op_get_field(ip, regs, cx, fuel) {
        operands!(ip, Op::GetField { a, b, k });
        // The inline cache hit: the key sits where it was found last time. Values move by
        // pointer (`mov!`): copying them through Rust temporaries costs store-forwarding
        // stalls here.
        if let Value::Obj(m) = r!(regs, b)
            && let Some(Obj::Map(map)) = cx.vm.rt.heap.get_checked(m)
            && let Some((kk, v)) = map.entries().get(cx.ic(ip) as usize)
            && same_obj(kk, &k!(cx, k))
        {
            mov!(regs, a, v as *const Value);
            go_on!(ip, regs, cx, fuel)
        }
        return slow::<M>(ip, regs, cx, fuel);
    }
    op_set_field(ip, regs, cx, fuel) {
        operands!(ip, Op::SetField { a, k, c });
        let slot = cx.ic(ip);
        if let Value::Obj(m) = r!(regs, a)
            && let Some(Obj::Map(map)) = cx.vm.rt.heap.get_checked_mut(m)
            && let Some((kk, v)) = map.entry_mut(slot as usize)
            && same_obj(kk, &k!(cx, k))
        {
            copy_value(v, regs.add(c as usize));
            go_on!(ip, regs, cx, fuel)
        }
        return slow::<M>(ip, regs, cx, fuel);
    }
    op_call(ip, regs, cx, fuel) {
        operands!(ip, Op::Call { a, n });
        call::<M>(ip, regs, cx, fuel, a, n)
    }
    op_call_g(ip, regs, cx, fuel) {
        operands!(ip, Op::CallG { a, n, g });
        let Some(v) = cx.vm.rt.globals.get(g as usize) else {
            return fail(cx, ip, "undefined global");
        };
        mov!(regs, a, v as *const Value);
        call::<M>(ip, regs, cx, fuel, a, n)
    }
    op_return(ip, regs, cx, fuel) {
        operands!(ip, Op::Return { a });
        ret::<M>(ip, regs, cx, fuel, Some(a))
    }
    op_return_nil(ip, regs, cx, fuel) {
        ret::<M>(ip, regs, cx, fuel, None)
    }
    op_for_prep(ip, regs, cx, fuel) {
        operands!(ip, Op::ForPrep { a, off });
        let (start, end) = (r!(regs, a), r!(regs, a + 1));
        let (Value::Int(i), Value::Int(e)) = (start, end) else {
            return bad_range(cx, ip, if matches!(start, Value::Int(_)) { end } else { start });
        };
        if i < e {
            r!(regs, a + 2) = Value::Int(i);
            go_on!(ip, regs, cx, fuel)
        }
        return next::<M>(ip.offset(off as isize + 1), regs, cx, fuel);
    }
    op_for_loop(ip, regs, cx, fuel) {
        operands!(ip, Op::ForLoop { a, off });
        // FORPREP checked that both are ints, and no other code writes the loop's hidden
        // state registers.
        if let (Value::Int(i), Value::Int(e)) = (&r!(regs, a), &r!(regs, a + 1)) {
            let i = *i + 1;
            if i < *e {
                if step_stops::<M>(ip, cx) {
                    return;
                }
                r!(regs, a) = Value::Int(i);
                r!(regs, a + 2) = Value::Int(i);
                return next::<M>(ip.offset(off as isize + 1), regs, cx, fuel);
            }
        }
        go_on!(ip, regs, cx, fuel)
    }
    op_iter_next(ip, regs, cx, fuel) {
        operands!(ip, Op::IterNext { a, two, off });
        let (coll, cursor) = (r!(regs, a), r!(regs, a + 1));
        let Value::Int(cursor) = cursor else {
            return fail(cx, ip, "corrupt loop state");
        };
        let stepped = try_rt!(cx, ip, ops::iter_step(&mut cx.vm.rt.heap, coll, cursor, two));
        let mut to = 1;
        if let Some((x, y, cursor)) = stepped {
            if step_stops::<M>(ip, cx) {
                return;
            }
            r!(regs, a + 1) = Value::Int(cursor);
            r!(regs, a + 2) = x;
            if two {
                r!(regs, a + 3) = y;
            }
            to = off as isize + 1;
        }
        safepoint(cx);
        return next::<M>(ip.offset(to), regs, cx, fuel);
    }
}

/// The general case of an instruction whose handler did not take its fast path (operands
/// of other types, a missed inline cache, an error): kept out of line, so that the handlers
/// themselves make no calls but the tail call of the next handler (a handler that makes
/// any other call saves and restores registers on every run).
#[cold]
#[inline(never)]
unsafe fn slow<const M: u8>(ip: *const Inst, regs: *mut Value, cx: &mut Cx<'_>, fuel: u32) {
    // SAFETY: as for every handler (see `handlers!`).
    unsafe {
        match general(ip, regs, cx) {
            Ok(to) => next::<M>(ip.offset(to), regs, cx, fuel),
            Err(message) => fail(cx, ip, message),
        }
    }
}

/// Run the instruction at `ip` in the general case, with the semantics of `runtime::ops`;
/// returns how far to go on (1, or a branch's `off + 1`).
///
/// # Safety
/// As for every handler (see `handlers!`).
unsafe fn general(ip: *const Inst, regs: *mut Value, cx: &mut Cx<'_>) -> Result<isize, String> {
    // SAFETY: the caller's.
    unsafe {
        let pc = cx.pc(ip);
        let heap = &mut cx.vm.rt.heap;
        let branch = |cond: bool, k: bool, off: i16| Ok(if cond == k { off as isize + 1 } else { 1 });
        let int = |imm: i16| Value::Int(imm as i64);
        let (a, v) = match (*ip).op {
            // String concatenation allocates.
            Op::Add { a, b, c } => (a, ops::add(heap, r!(regs, b), r!(regs, c))?),
            Op::Sub { a, b, c } => (a, ops::arith(heap, BinOp::Sub, r!(regs, b), r!(regs, c))?),
            Op::Mul { a, b, c } => (a, ops::arith(heap, BinOp::Mul, r!(regs, b), r!(regs, c))?),
            Op::Div { a, b, c } => (a, ops::arith(heap, BinOp::Div, r!(regs, b), r!(regs, c))?),
            Op::Mod { a, b, c } => (a, ops::arith(heap, BinOp::Mod, r!(regs, b), r!(regs, c))?),
            // `rev`: the constant was written on the left (`2.0 * x`), for error messages.
            Op::AddK { a, b, c, rev } => {
                let (x, y) = if rev { (k!(cx, c), r!(regs, b)) } else { (r!(regs, b), k!(cx, c)) };
                (a, ops::add(heap, x, y)?)
            }
            Op::SubK { a, b, c } => (a, ops::arith(heap, BinOp::Sub, r!(regs, b), k!(cx, c))?),
            Op::MulK { a, b, c, rev } => {
                let (x, y) = if rev { (k!(cx, c), r!(regs, b)) } else { (r!(regs, b), k!(cx, c)) };
                (a, ops::arith(heap, BinOp::Mul, x, y)?)
            }
            Op::DivK { a, b, c } => (a, ops::arith(heap, BinOp::Div, r!(regs, b), k!(cx, c))?),
            Op::ModK { a, b, c } => (a, ops::arith(heap, BinOp::Mod, r!(regs, b), k!(cx, c))?),
            Op::ModI { a, b, m } => {
                let d = Value::Int(divisor(cx.proto, m).divisor() as i64);
                (a, ops::arith(heap, BinOp::Mod, r!(regs, b), d)?)
            }
            Op::AddI { a, b, imm } => {
                // Report the operator as written (`x - 1` compiles to `AddI -1`).
                let op = if imm < 0 { BinOp::Sub } else { BinOp::Add };
                let y = Value::Int((imm as i64).abs());
                (a, ops::binary(heap, op, r!(regs, b), y)?)
            }
            Op::Neg { a, b } => (a, ops::negate(heap, r!(regs, b))?),
            Op::Lt { a, b, k, off } => return branch(ops::compare(heap, BinOp::Lt, r!(regs, a), r!(regs, b))?, k, off),
            Op::Le { a, b, k, off } => return branch(ops::compare(heap, BinOp::Le, r!(regs, a), r!(regs, b))?, k, off),
            Op::LtI { a, imm, k, off } => return branch(ops::compare(heap, BinOp::Lt, r!(regs, a), int(imm))?, k, off),
            Op::LeI { a, imm, k, off } => return branch(ops::compare(heap, BinOp::Le, r!(regs, a), int(imm))?, k, off),
            Op::GtI { a, imm, k, off } => return branch(ops::compare(heap, BinOp::Gt, r!(regs, a), int(imm))?, k, off),
            Op::GeI { a, imm, k, off } => return branch(ops::compare(heap, BinOp::Ge, r!(regs, a), int(imm))?, k, off),
            Op::LtK { a, c, k, off } => return branch(ops::compare(heap, BinOp::Lt, r!(regs, a), k!(cx, c))?, k, off),
            Op::LeK { a, c, k, off } => return branch(ops::compare(heap, BinOp::Le, r!(regs, a), k!(cx, c))?, k, off),
            Op::GtK { a, c, k, off } => return branch(ops::compare(heap, BinOp::Gt, r!(regs, a), k!(cx, c))?, k, off),
            Op::GeK { a, c, k, off } => return branch(ops::compare(heap, BinOp::Ge, r!(regs, a), k!(cx, c))?, k, off),
            Op::GetIndex { a, b, c } => {
                let v = ops::index_get(heap, r!(regs, b), r!(regs, c))?;
                r!(regs, a) = v;
                safepoint(cx);
                return Ok(1);
            }
            Op::GetField { a, b, k } => {
                let key = k!(cx, k);
                if let Value::Obj(m) = r!(regs, b)
                    && let Obj::Map(map) = heap.get(m)
                {
                    // Remember where the key is (or read nil: a missing key).
                    let pos = Key::of(key).ok().and_then(|key| map.position(key));
                    if let Some(i) = pos {
                        cx.ics.add(pc).write(i as u32);
                    }
                    let src = pos.map_or(&NIL as *const Value, |i| &map.entries()[i].1 as *const Value);
                    mov!(regs, a, src);
                    return Ok(1);
                }
                (a, ops::index_get(heap, r!(regs, b), key)?)
            }
            Op::SetField { a, k, c } => {
                let (o, key, v) = (r!(regs, a), k!(cx, k), r!(regs, c));
                ops::index_set(heap, o, key, v)?;
                if let Value::Obj(m) = o
                    && let Obj::Map(map) = heap.get(m)
                    && let Some(i) = Key::of(key).ok().and_then(|key| map.position(key))
                {
                    cx.ics.add(pc).write(i as u32);
                }
                return Ok(1);
            }
            _ => mismatch(),
        };
        r!(regs, a) = v;
        if matches!((*ip).op, Op::Add { .. } | Op::AddK { .. }) {
            safepoint(cx);
        }
        Ok(1)
    }
}

/// `Call`/`CallG` once the callee is in `R[a]`. The common case, in the fast mode: a Kite
/// function of the right arity with no boxed parameters, with room for its frame and
/// registers; the rest goes to [`call_full`].
#[inline(always)]
unsafe fn call<const M: u8>(
    ip: *const Inst,
    regs: *mut Value,
    cx: &mut Cx<'_>,
    fuel: u32,
    a: u8,
    n: u8,
) {
    // SAFETY: as for every handler (see `handlers!`); the frame is written within the
    // vector's capacity, and the callee's registers within the stack.
    unsafe {
        if M == FAST
            && let Value::Obj(r) = r!(regs, a)
            && let Some(Obj::Closure { func, .. }) = cx.vm.rt.heap.get_checked(r)
            && let Some(&info) = cx.vm.fns.get(*func as usize)
            && info.arity == n
            && !info.boxes_params
            && cx.vm.frames.len() < cx.vm.frames.capacity().min(MAX_FRAMES)
            && cx.base + a as usize + 1 + info.max_regs as usize <= cx.vm.stack.len()
        {
            let func = *func as usize;
            let base = cx.base + a as usize + 1;
            let pc = cx.pc(ip);
            let frames = &mut cx.vm.frames;
            if let Some(f) = frames.last_mut() {
                f.pc = pc + 1;
            }
            let len = frames.len();
            frames.as_mut_ptr().add(len).write(CallFrame { proto: func as u32, pc: 0, base, closure: Some(r) });
            frames.set_len(len + 1);
            let regs = cx.enter::<M>(func, &info, base);
            for i in n as usize..info.max_regs as usize {
                // Nil is the tag alone.
                regs.add(i).cast::<u8>().write(tag::NIL);
            }
            return next::<M>(cx.insts, regs, cx, fuel);
        }
        call_full::<M>(ip, regs, cx, fuel, a, n)
    }
}

/// `Call`/`CallG` once the callee is in `R[a]`: a Kite function gets a new frame whose
/// registers start at `R[a+1]` (its arguments, in place); a built-in runs at once.
#[inline(never)]
unsafe fn call_full<const M: u8>(
    ip: *const Inst,
    regs: *mut Value,
    cx: &mut Cx<'_>,
    fuel: u32,
    a: u8,
    n: u8,
) {
    // SAFETY: as for every handler (see `handlers!`).
    unsafe {
        let callee = r!(regs, a);
        match callee {
            Value::Obj(r) => {
                let Obj::Closure { func, .. } = cx.vm.rt.heap.get(r) else {
                    let name = ops::type_name(&cx.vm.rt.heap, callee);
                    return fail(cx, ip, format!("cannot call {name}"));
                };
                let func = *func as usize;
                // What the call needs sits in `fns`, one load away (no `Arc`).
                let Some(info) = cx.vm.fns.get(func) else {
                    return fail(cx, ip, "call of an unknown function");
                };
                let (arity, max_regs, boxes_params, child) =
                    (info.arity, info.max_regs as usize, info.boxes_params, info.proto);
                if arity != n {
                    let child = &*child;
                    return fail(cx, ip, arity_message(&child.name, arity as usize, n as usize));
                }
                if cx.vm.frames.len() >= MAX_FRAMES {
                    return fail(cx, ip, "stack overflow");
                }
                if step_stops::<M>(ip, cx) {
                    return;
                }
                let pc = cx.pc(ip);
                if let Some(f) = cx.vm.frames.last_mut() {
                    f.pc = pc + 1;
                }
                let call_addr = (*cx.proto).addr + pc as u64;
                let base = cx.base + a as usize + 1;
                if cx.vm.stack.len() < base + max_regs {
                    cx.vm.stack.resize(base + max_regs, Value::Nil);
                }
                cx.vm.frames.push(CallFrame { proto: func as u32, pc: 0, base, closure: Some(r) });
                let info = cx.vm.fns[func];
                let regs = cx.enter::<M>(func, &info, base);
                for i in n as usize..max_regs {
                    // Nil is the tag alone.
                    regs.add(i).cast::<u8>().write(tag::NIL);
                }
                if boxes_params {
                    for &p in &(*child).boxed_params {
                        let v = r!(regs, p);
                        r!(regs, p) = Value::Obj(cx.vm.rt.heap.alloc(Obj::Cell(v)));
                    }
                }
                if M == HOOKED {
                    cx.hooks.on_call(call_addr, (*child).addr, call_addr + 1);
                }
                if boxes_params {
                    safepoint(cx);
                }
                next::<M>(cx.insts, regs, cx, fuel)
            }
            Value::Native(idx) => {
                let args = std::slice::from_raw_parts(regs.add(a as usize + 1), n as usize);
                let result = cx.vm.rt.call_native(idx, args);
                r!(regs, a) = try_rt!(cx, ip, result);
                cx.vm.rt.flush(cx.sink, false);
                safepoint(cx);
                go_on!(ip, regs, cx, fuel)
            }
            _ => {
                let name = ops::type_name(&cx.vm.rt.heap, callee);
                fail(cx, ip, format!("cannot call {name}"))
            }
        }
    }
}

/// `Return`/`ReturnNil`: the result replaces the callee in the caller's register
/// (`base - 1`, which exists: every frame but the top level's was called from one).
#[inline(always)]
unsafe fn ret<const M: u8>(
    _ip: *const Inst,
    regs: *mut Value,
    cx: &mut Cx<'_>,
    fuel: u32,
    result: Option<u8>,
) {
    cx.vm.frames.pop();
    let Some(caller) = cx.vm.frames.last().copied() else {
        return finish(cx);
    };
    // SAFETY: as for every handler (see `handlers!`); `regs - 1` is the caller's `R[a]`.
    unsafe {
        match result {
            Some(a) => copy_value(regs.sub(1), regs.add(a as usize)),
            None => regs.sub(1).cast::<u8>().write(tag::NIL),
        }
        let fi = caller.proto as usize;
        let info = cx.vm.fns[fi];
        let regs = cx.enter::<M>(fi, &info, caller.base);
        if M == HOOKED {
            cx.hooks.on_return((*cx.proto).addr + caller.pc as u64);
        }
        next::<M>(cx.insts.add(caller.pc), regs, cx, fuel)
    }
}

/// The handler of `op` in dispatch mode `M`.
fn handler<const M: u8>(op: &Op) -> Handler {
    match op {
        Op::Move { .. } => op_move::<M>,
        Op::LoadNil { .. } => op_load_nil::<M>,
        Op::LoadBool { .. } => op_load_bool::<M>,
        Op::LoadInt { .. } => op_load_int::<M>,
        Op::LoadK { .. } => op_load_k::<M>,
        Op::LoadNative { .. } => op_load_native::<M>,
        Op::GetGlobal { .. } => op_get_global::<M>,
        Op::SetGlobal { .. } => op_set_global::<M>,
        Op::GetUpval { .. } => op_get_upval::<M>,
        Op::SetUpval { .. } => op_set_upval::<M>,
        Op::GetCell { .. } => op_get_cell::<M>,
        Op::SetCell { .. } => op_set_cell::<M>,
        Op::NewCell { .. } => op_new_cell::<M>,
        Op::Closure { .. } => op_closure::<M>,
        Op::NewList { .. } => op_new_list::<M>,
        Op::Append { .. } => op_append::<M>,
        Op::NewMap { .. } => op_new_map::<M>,
        Op::Add { .. } => op_add::<M>,
        Op::Sub { .. } => op_sub::<M>,
        Op::Mul { .. } => op_mul::<M>,
        Op::Div { .. } => op_div::<M>,
        Op::Mod { .. } => op_mod::<M>,
        Op::AddK { .. } => op_add_k::<M>,
        Op::SubK { .. } => op_sub_k::<M>,
        Op::MulK { .. } => op_mul_k::<M>,
        Op::DivK { .. } => op_div_k::<M>,
        Op::ModK { .. } => op_mod_k::<M>,
        Op::ModI { .. } => op_mod_i::<M>,
        Op::AddI { .. } => op_add_i::<M>,
        Op::Neg { .. } => op_neg::<M>,
        Op::Not { .. } => op_not::<M>,
        Op::Eq { .. } => op_eq::<M>,
        Op::Lt { .. } => op_lt::<M>,
        Op::Le { .. } => op_le::<M>,
        Op::EqK { .. } => op_eq_k::<M>,
        Op::LtI { .. } => op_lt_i::<M>,
        Op::LeI { .. } => op_le_i::<M>,
        Op::GtI { .. } => op_gt_i::<M>,
        Op::GeI { .. } => op_ge_i::<M>,
        Op::LtK { .. } => op_lt_k::<M>,
        Op::LeK { .. } => op_le_k::<M>,
        Op::GtK { .. } => op_gt_k::<M>,
        Op::GeK { .. } => op_ge_k::<M>,
        Op::Test { .. } => op_test::<M>,
        Op::Jmp { .. } => op_jmp::<M>,
        Op::GetIndex { .. } => op_get_index::<M>,
        Op::SetIndex { .. } => op_set_index::<M>,
        Op::GetField { .. } => op_get_field::<M>,
        Op::SetField { .. } => op_set_field::<M>,
        Op::Call { .. } => op_call::<M>,
        Op::CallG { .. } => op_call_g::<M>,
        Op::Return { .. } => op_return::<M>,
        Op::ReturnNil => op_return_nil::<M>,
        Op::ForPrep { .. } => op_for_prep::<M>,
        Op::ForLoop { .. } => op_for_loop::<M>,
        Op::IterNext { .. } => op_iter_next::<M>,
    }
}

#[inline(always)]
fn same_obj(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::Obj(x), Value::Obj(y)) if x == y)
}

/// What a missing map key reads as.
pub(super) static NIL: Value = Value::Nil;
