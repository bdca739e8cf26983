//! The VM's dispatch loop.
//!
//! One function, [`Vm::execute`], monomorphised twice: `HOOKED = false` is the fast path of
//! `run_source` (no per-instruction checks at all), `HOOKED = true` counts instructions and
//! consults the debugger's hooks (budgets, breakpoints, trace) before each one.

use std::sync::Arc;

use wb_machine::{Hooks, StopReason};

use super::bytecode::{Op, Proto};
use crate::error::{RuntimeError, TraceFrame};
use crate::runtime::heap::Obj;
use crate::runtime::limits::RunOutcome;
use crate::runtime::map::Key;
use crate::runtime::value::{GcRef, Value, copy_value};
use crate::runtime::{MAX_FRAMES, Runtime, ops};
use crate::tree::arity_message;

#[derive(Clone, Copy, Debug)]
pub struct CallFrame {
    pub proto: u32,
    /// Next instruction to run in this frame.
    pub pc: usize,
    /// Stack index of register 0.
    pub base: usize,
    pub closure: Option<GcRef>,
}

/// Why [`Vm::execute`] returned.
#[derive(Debug)]
pub enum Exit {
    Finished,
    Budget,
    Stopped(StopReason),
    Error(RuntimeError),
    /// The step budget or the cancel flag of `rt.gate` stopped the run (`LIMITED` only).
    Interrupted(RunOutcome),
}

/// What a call needs of a function, without going through its `Arc`: the pointers stay
/// valid as long as the `Vm`, which holds every `Proto` in `protos` and never removes one.
#[derive(Clone, Copy, Debug)]
struct FnInfo {
    proto: *const Proto,
    code: *const Op,
    consts: *const Value,
    arity: u8,
    max_regs: u16,
    boxes_params: bool,
}

// SAFETY: the pointers refer to immutable data (`Proto`s are never changed once compiled)
// owned, through `Arc`s, by the same `Vm`; they move with it between threads.
unsafe impl Send for FnInfo {}

pub struct Vm {
    pub rt: Runtime,
    pub protos: Vec<Arc<Proto>>,
    /// One per `protos` entry (see [`FnInfo`]).
    fns: Vec<FnInfo>,
    /// Inline caches, `[function][pc]`: the map entry position a `GetField`/`SetField` last hit.
    pub ics: Vec<Vec<u32>>,
    pub stack: Vec<Value>,
    pub frames: Vec<CallFrame>,
    /// Instructions retired (counted only in hooked mode).
    pub retired: u64,
}

impl Vm {
    pub fn new(rt: Runtime) -> Vm {
        Vm {
            rt,
            protos: Vec::new(),
            fns: Vec::new(),
            ics: Vec::new(),
            stack: Vec::new(),
            frames: Vec::new(),
            retired: 0,
        }
    }

    /// Add compiled functions to the table (the REPL adds more later).
    pub fn add_protos(&mut self, protos: &[Arc<Proto>]) {
        for p in protos {
            self.ics.push(vec![0; p.code.len()]);
            self.fns.push(FnInfo {
                proto: Arc::as_ptr(p),
                code: p.code.as_ptr(),
                consts: p.consts.as_ptr(),
                arity: p.arity,
                max_regs: p.max_regs,
                boxes_params: !p.boxed_params.is_empty(),
            });
            self.protos.push(p.clone());
        }
    }

    /// Prepare to run function `main` (a top level) from its first instruction.
    pub fn start(&mut self, main: u32, globals: usize) {
        if self.rt.globals.len() < globals {
            self.rt.globals.resize(globals, Value::Nil);
        }
        let regs = self
            .protos
            .get(main as usize)
            .map_or(0, |p| p.max_regs as usize);
        self.stack.clear();
        self.stack.resize(1 + regs, Value::Nil);
        self.frames.clear();
        // Most programs never go deeper: calls then never grow the vector.
        self.frames.reserve(256);
        self.frames.push(CallFrame {
            proto: main,
            pc: 0,
            base: 1,
            closure: None,
        });
    }

    pub fn is_finished(&self) -> bool {
        self.frames.is_empty()
    }

    /// The stack trace for an error at the current position of every frame.
    fn error(&self, message: String) -> RuntimeError {
        let trace = self
            .frames
            .iter()
            .rev()
            .map(|f| {
                let p = &self.protos[f.proto as usize];
                let span = p
                    .spans
                    .get(f.pc.saturating_sub(1))
                    .copied()
                    .unwrap_or_default();
                TraceFrame {
                    function: p.name.clone(),
                    span,
                }
            })
            .collect();
        RuntimeError { message, trace }
    }

    /// Leave the dispatch loop with an error raised by the instruction at `pc`. Kept out of
    /// line so that error handling does not crowd the hot loop.
    #[cold]
    #[inline(never)]
    fn raise(&mut self, pc: usize, message: String) -> Exit {
        if let Some(f) = self.frames.last_mut() {
            f.pc = pc + 1;
        }
        Exit::Error(self.error(message))
    }

    /// The stack index above every frame's registers. Registers of a caller above its
    /// callee's window are dead, but they are kept as roots anyway: then no register below
    /// this ever refers to a freed object, so a snapshot can store them all as they are.
    pub fn extent(&self) -> usize {
        self.frames
            .iter()
            .map(|f| {
                f.base
                    + self
                        .fns
                        .get(f.proto as usize)
                        .map_or(0, |p| p.max_regs as usize)
            })
            .max()
            .unwrap_or(0)
            .min(self.stack.len())
    }

    /// Collect garbage; the roots are the registers below [`Vm::extent`] (at least `top`).
    fn collect(&mut self, top: usize) {
        let top = top.max(self.extent()).min(self.stack.len());
        let closures = self.frames.iter().filter_map(|f| f.closure.map(Value::Obj));
        let roots: Vec<Value> = self.stack[..top]
            .iter()
            .copied()
            .chain(self.rt.globals.iter().copied())
            .chain(closures)
            .collect();
        self.rt.heap.collect(roots);
    }

    /// Run until the program ends, an error, (hooked) the budget or a hook stops it, or
    /// (limited) the step budget or cancel flag of `rt.gate` does.
    pub fn execute<const HOOKED: bool, const LIMITED: bool>(
        &mut self,
        budget: u64,
        hooks: &mut Hooks,
        sink: &mut dyn std::io::Write,
    ) -> Exit {
        let exit = self.dispatch::<HOOKED, LIMITED>(budget, hooks, sink);
        self.rt.flush(sink, true);
        exit
    }

    #[allow(clippy::too_many_lines)]
    #[inline(never)]
    fn dispatch<const HOOKED: bool, const LIMITED: bool>(
        &mut self,
        budget: u64,
        hooks: &mut Hooks,
        sink: &mut dyn std::io::Write,
    ) -> Exit {
        let Some(frame) = self.frames.last().copied() else {
            return Exit::Finished;
        };
        let mut fi = frame.proto as usize;
        // SAFETY (for every raw pointer below): `protos` only grows between runs, never
        // during one, and each `Proto` sits behind an `Arc`, so `proto` stays valid. The
        // compiler's verifier (`verify`) guarantees that every register operand is below the
        // function's `max_regs`, every constant index and jump target is in range, and every
        // function ends in a return; `regs` points at `stack[base]` with
        // `base + max_regs <= stack.len()`, recomputed whenever the stack may move.
        let mut proto: &Proto = unsafe { &*Arc::as_ptr(&self.protos[fi]) };
        // The running function's code and constants, kept in locals so that the hot loop
        // does not reload them through `proto` at every instruction.
        let mut code: *const Op = proto.code.as_ptr();
        let mut consts: *const Value = proto.consts.as_ptr();
        let mut pc = frame.pc;
        let mut base = frame.base;
        let mut regs: *mut Value = unsafe { self.stack.as_mut_ptr().add(base) };
        let limit = self.retired.saturating_add(budget);

        // Register access.
        macro_rules! r {
            ($x:expr) => {
                *unsafe { &mut *regs.add($x as usize) }
            };
        }
        // Copy register/constant `src` (a pointer) into register `dst`.
        macro_rules! mov {
            ($dst:expr, $src:expr) => {
                unsafe { copy_value(regs.add($dst as usize), $src) }
            };
        }
        macro_rules! k {
            ($x:expr) => {
                *unsafe { &*consts.add($x as usize) }
            };
        }
        // Leave the loop with an error raised by the instruction at `pc`.
        macro_rules! fail {
            ($msg:expr) => {{
                let msg: String = $msg;
                return self.raise(pc, msg);
            }};
        }
        macro_rules! try_rt {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(m) => fail!(m),
                }
            };
        }
        macro_rules! safepoint {
            () => {
                if self.rt.heap.wants_gc() {
                    self.collect(base + proto.max_regs as usize);
                    regs = unsafe { self.stack.as_mut_ptr().add(base) };
                }
            };
        }
        // Arithmetic with int and float fast paths; everything else goes to `ops`.
        macro_rules! arith {
            ($a:expr, $x:expr, $y:expr, $iop:expr, $fop:expr, $op:expr) => {{
                // Matching on references reads tag and payload in place (no 16-byte copies).
                // Each arm writes its own result: no shared tail to jump to.
                match (&$x, &$y) {
                    (Value::Float(f), Value::Float(g)) => r!($a) = Value::Float($fop(*f, *g)),
                    (Value::Int(i), Value::Int(j)) => r!($a) = Value::Int($iop(*i, *j)),
                    (Value::Int(i), Value::Float(g)) => r!($a) = Value::Float($fop(*i as f64, *g)),
                    (Value::Float(f), Value::Int(j)) => r!($a) = Value::Float($fop(*f, *j as f64)),
                    (x, y) => {
                        let v = try_rt!(ops::binary(&mut self.rt.heap, $op, *x, *y));
                        r!($a) = v;
                    }
                }
            }};
        }
        // Count a step (call or loop back-edge); leave the loop, positioned at the
        // instruction, when the gate says stop.
        macro_rules! step {
            () => {
                if LIMITED && let Some(outcome) = self.rt.gate.tick() {
                    if let Some(f) = self.frames.last_mut() {
                        f.pc = pc;
                    }
                    return Exit::Interrupted(outcome);
                }
            };
        }
        macro_rules! cond_jump {
            ($cond:expr, $k:expr, $off:expr) => {
                if $cond == $k {
                    pc = (pc as i64 + $off as i64) as usize;
                }
            };
        }
        macro_rules! cmp {
            ($x:expr, $y:expr, $op:expr, $iop:tt) => {{
                match (&$x, &$y) {
                    (Value::Int(i), Value::Int(j)) => *i $iop *j,
                    (Value::Float(f), Value::Float(g)) => *f $iop *g,
                    (Value::Int(i), Value::Float(g)) => (*i as f64) $iop *g,
                    (Value::Float(f), Value::Int(j)) => *f $iop (*j as f64),
                    (x, y) => try_rt!(ops::compare(&self.rt.heap, $op, *x, *y)),
                }
            }};
        }
        use crate::front::ast::BinOp;

        loop {
            if HOOKED {
                if self.retired >= limit {
                    if let Some(f) = self.frames.last_mut() {
                        f.pc = pc;
                    }
                    return Exit::Budget;
                }
                if hooks.exec_active() {
                    let addr = proto.addr + pc as u64;
                    if let Some(stop) = hooks.before_exec(addr, self.retired) {
                        if let Some(f) = self.frames.last_mut() {
                            f.pc = pc;
                        }
                        return Exit::Stopped(stop);
                    }
                }
                self.retired += 1;
            }
            let op = unsafe { *code.add(pc) };
            match op {
                Op::Move { a, b } => mov!(a, regs.add(b as usize)),
                Op::LoadNil { a } => r!(a) = Value::Nil,
                Op::LoadBool { a, v } => r!(a) = Value::Bool(v),
                Op::LoadInt { a, v } => r!(a) = Value::Int(v as i64),
                Op::LoadK { a, k } => mov!(a, consts.add(k as usize)),
                Op::LoadNative { a, n } => r!(a) = Value::Native(n),
                Op::GetGlobal { a, g } => {
                    let Some(v) = self.rt.globals.get(g as usize) else {
                        fail!("undefined global".into());
                    };
                    mov!(a, v as *const Value);
                }
                Op::SetGlobal { a, g } => {
                    if let Some(slot) = self.rt.globals.get_mut(g as usize) {
                        unsafe { copy_value(slot, regs.add(a as usize)) };
                    }
                }
                Op::GetUpval { a, u } => {
                    let cell = self.upval(u);
                    mov!(a, self.cell_ptr(&cell));
                }
                Op::SetUpval { a, u } => {
                    let cell = self.upval(u);
                    let v = r!(a);
                    self.cell_set(cell, v);
                }
                Op::GetCell { a, b } => {
                    let p = self.cell_ptr(&r!(b));
                    mov!(a, p);
                }
                Op::SetCell { a, b } => {
                    let (cell, v) = (r!(a), r!(b));
                    self.cell_set(cell, v);
                }
                Op::NewCell { a } => {
                    let v = r!(a);
                    r!(a) = Value::Obj(self.rt.heap.alloc(Obj::Cell(v)));
                    safepoint!();
                }
                Op::Closure { a, f } => {
                    let Some(child) = self.protos.get(f as usize) else {
                        fail!("closure of an unknown function".into());
                    };
                    let upvals: Box<[GcRef]> = child
                        .captures
                        .iter()
                        .map(|c| match *c {
                            crate::front::ast::Capture::Local(s) => match r!(s) {
                                Value::Obj(r) => r,
                                _ => GcRef(0),
                            },
                            crate::front::ast::Capture::Upval(u) => match self.upval(u) {
                                Value::Obj(r) => r,
                                _ => GcRef(0),
                            },
                        })
                        .collect();
                    r!(a) = Value::Obj(self.rt.heap.alloc(Obj::Closure { func: f, upvals }));
                    safepoint!();
                }
                Op::NewList { a, b, n } => {
                    let items =
                        unsafe { std::slice::from_raw_parts(regs.add(b as usize), n as usize) }
                            .to_vec();
                    r!(a) = Value::Obj(self.rt.heap.alloc(Obj::List(items)));
                    safepoint!();
                }
                Op::Append { a, b, n } => {
                    let values =
                        unsafe { std::slice::from_raw_parts(regs.add(b as usize), n as usize) };
                    if let Value::Obj(list) = r!(a)
                        && let Obj::List(items) = self.rt.heap.get_mut(list)
                    {
                        items.extend_from_slice(values);
                    }
                }
                Op::NewMap { a } => {
                    r!(a) = crate::runtime::builtins::new_map(&mut self.rt.heap);
                    safepoint!();
                }
                Op::Add { a, b, c } => {
                    match (&r!(b), &r!(c)) {
                        (Value::Int(i), Value::Int(j)) => r!(a) = Value::Int(i.wrapping_add(*j)),
                        (Value::Float(f), Value::Float(g)) => r!(a) = Value::Float(f + g),
                        (Value::Int(i), Value::Float(g)) => r!(a) = Value::Float(*i as f64 + g),
                        (Value::Float(f), Value::Int(j)) => r!(a) = Value::Float(f + *j as f64),
                        (&x, &y) => {
                            // String concatenation allocates.
                            let v = try_rt!(ops::add(&mut self.rt.heap, x, y));
                            r!(a) = v;
                            safepoint!();
                        }
                    }
                }
                Op::Sub { a, b, c } => arith!(
                    a,
                    r!(b),
                    r!(c),
                    i64::wrapping_sub,
                    |f: f64, g: f64| f - g,
                    BinOp::Sub
                ),
                Op::Mul { a, b, c } => arith!(
                    a,
                    r!(b),
                    r!(c),
                    i64::wrapping_mul,
                    |f: f64, g: f64| f * g,
                    BinOp::Mul
                ),
                Op::Div { a, b, c } => match (&r!(b), &r!(c)) {
                    (Value::Float(f), Value::Float(g)) => r!(a) = Value::Float(f / g),
                    (Value::Int(i), Value::Int(j)) => r!(a) = Value::Float(*i as f64 / *j as f64),
                    (x, y) => {
                        let v = try_rt!(ops::arith(&self.rt.heap, BinOp::Div, *x, *y));
                        r!(a) = v;
                    }
                },
                Op::Mod { a, b, c } => match (&r!(b), &r!(c)) {
                    (Value::Int(i), Value::Int(j)) if *j > 0 => {
                        r!(a) = Value::Int(i.rem_euclid(*j))
                    }
                    (x, y) => {
                        let v = try_rt!(ops::arith(&self.rt.heap, BinOp::Mod, *x, *y));
                        r!(a) = v;
                    }
                },
                Op::AddK { a, b, c, rev } => match (&r!(b), &k!(c)) {
                    (Value::Int(i), Value::Int(j)) => r!(a) = Value::Int(i.wrapping_add(*j)),
                    (Value::Float(f), Value::Float(g)) => r!(a) = Value::Float(f + g),
                    (Value::Int(i), Value::Float(g)) => r!(a) = Value::Float(*i as f64 + g),
                    (Value::Float(f), Value::Int(j)) => r!(a) = Value::Float(f + *j as f64),
                    (&x, &y) => {
                        let (x, y) = if rev { (y, x) } else { (x, y) };
                        let v = try_rt!(ops::binary(&mut self.rt.heap, BinOp::Add, x, y));
                        r!(a) = v;
                    }
                },
                Op::SubK { a, b, c } => {
                    arith!(
                        a,
                        r!(b),
                        k!(c),
                        i64::wrapping_sub,
                        |f: f64, g: f64| f - g,
                        BinOp::Sub
                    )
                }
                Op::MulK { a, b, c, rev } => match (&r!(b), &k!(c)) {
                    (Value::Int(i), Value::Int(j)) => r!(a) = Value::Int(i.wrapping_mul(*j)),
                    (Value::Float(f), Value::Float(g)) => r!(a) = Value::Float(f * g),
                    (Value::Int(i), Value::Float(g)) => r!(a) = Value::Float(*i as f64 * g),
                    (Value::Float(f), Value::Int(j)) => r!(a) = Value::Float(f * *j as f64),
                    (&x, &y) => {
                        let (x, y) = if rev { (y, x) } else { (x, y) };
                        let v = try_rt!(ops::binary(&mut self.rt.heap, BinOp::Mul, x, y));
                        r!(a) = v;
                    }
                },
                Op::DivK { a, b, c } => match (&r!(b), &k!(c)) {
                    (Value::Float(f), Value::Float(g)) => r!(a) = Value::Float(f / g),
                    (Value::Int(i), Value::Float(g)) => r!(a) = Value::Float(*i as f64 / g),
                    (x, y) => {
                        let v = try_rt!(ops::arith(&self.rt.heap, BinOp::Div, *x, *y));
                        r!(a) = v;
                    }
                },
                Op::ModK { a, b, c } => match (&r!(b), &k!(c)) {
                    (Value::Int(i), Value::Int(j)) if *j > 0 => {
                        r!(a) = Value::Int(i.rem_euclid(*j))
                    }
                    (x, y) => {
                        let v = try_rt!(ops::arith(&self.rt.heap, BinOp::Mod, *x, *y));
                        r!(a) = v;
                    }
                },
                Op::ModI { a, b, m } => {
                    // The verifier checked `m` against the divisor table.
                    let fm = unsafe { proto.divisors.get_unchecked(m as usize) };
                    match &r!(b) {
                        Value::Int(i) => r!(a) = Value::Int(fm.floor_rem(*i)),
                        &x => {
                            let d = Value::Int(fm.divisor() as i64);
                            let v = try_rt!(ops::arith(&self.rt.heap, BinOp::Mod, x, d));
                            r!(a) = v;
                        }
                    }
                }
                Op::AddI { a, b, imm } => {
                    match &r!(b) {
                        Value::Int(i) => r!(a) = Value::Int(i.wrapping_add(imm as i64)),
                        Value::Float(f) => r!(a) = Value::Float(f + imm as f64),
                        &x => {
                            // Report the operator as written (`x - 1` compiles to `AddI -1`).
                            let op = if imm < 0 { BinOp::Sub } else { BinOp::Add };
                            let y = Value::Int(if imm < 0 { -(imm as i64) } else { imm as i64 });
                            let v = try_rt!(ops::binary(&mut self.rt.heap, op, x, y));
                            r!(a) = v;
                        }
                    }
                }
                Op::Neg { a, b } => {
                    let x = r!(b);
                    r!(a) = try_rt!(ops::negate(&self.rt.heap, x));
                }
                Op::Not { a, b } => r!(a) = Value::Bool(!r!(b).truthy()),
                Op::Eq { a, b, k, off } => cond_jump!(ops::equal(r!(a), r!(b)), k, off),
                Op::Lt { a, b, k, off } => cond_jump!(cmp!(r!(a), r!(b), BinOp::Lt, <), k, off),
                Op::Le { a, b, k, off } => cond_jump!(cmp!(r!(a), r!(b), BinOp::Le, <=), k, off),
                Op::EqK { a, c, k, off } => cond_jump!(ops::equal(r!(a), k!(c)), k, off),
                Op::LtI { a, imm, k, off } => {
                    cond_jump!(cmp!(r!(a), Value::Int(imm as i64), BinOp::Lt, <), k, off)
                }
                Op::LeI { a, imm, k, off } => {
                    cond_jump!(cmp!(r!(a), Value::Int(imm as i64), BinOp::Le, <=), k, off)
                }
                Op::GtI { a, imm, k, off } => {
                    cond_jump!(cmp!(r!(a), Value::Int(imm as i64), BinOp::Gt, >), k, off)
                }
                Op::GeI { a, imm, k, off } => {
                    cond_jump!(cmp!(r!(a), Value::Int(imm as i64), BinOp::Ge, >=), k, off)
                }
                Op::LtK { a, c, k, off } => cond_jump!(cmp!(r!(a), k!(c), BinOp::Lt, <), k, off),
                Op::LeK { a, c, k, off } => cond_jump!(cmp!(r!(a), k!(c), BinOp::Le, <=), k, off),
                Op::GtK { a, c, k, off } => cond_jump!(cmp!(r!(a), k!(c), BinOp::Gt, >), k, off),
                Op::GeK { a, c, k, off } => cond_jump!(cmp!(r!(a), k!(c), BinOp::Ge, >=), k, off),
                Op::Test { a, k, off } => cond_jump!(r!(a).truthy(), k, off),
                Op::Jmp { off } => {
                    if off < 0 {
                        step!();
                    }
                    pc = (pc as i64 + off as i64) as usize;
                }
                Op::GetIndex { a, b, c } => {
                    let fast = match (&r!(b), &r!(c)) {
                        (Value::Obj(l), Value::Int(i)) => match self.rt.heap.get(*l) {
                            Obj::List(items) => items.get(*i as usize).map(|v| v as *const Value),
                            _ => None,
                        },
                        _ => None,
                    };
                    match fast {
                        Some(p) => mov!(a, p),
                        None => {
                            let (o, i) = (r!(b), r!(c));
                            r!(a) = try_rt!(ops::index_get(&mut self.rt.heap, o, i));
                            safepoint!();
                        }
                    }
                }
                Op::SetIndex { a, b, c } => {
                    let (o, i, v) = (r!(a), r!(b), r!(c));
                    try_rt!(ops::index_set(&mut self.rt.heap, o, i, v));
                }
                Op::GetField { a, b, k } => {
                    let key = &k!(k);
                    let slot = &mut self.ics[fi][pc];
                    // Values move by pointer (`mov!`): copying them through Rust temporaries
                    // costs store-forwarding stalls here.
                    let mut src: Option<*const Value> = None;
                    if let Value::Obj(m) = r!(b)
                        && let Obj::Map(map) = self.rt.heap.get(m)
                    {
                        src = Some(match map.entries().get(*slot as usize) {
                            Some((kk, v)) if same_obj(kk, key) => v as *const Value,
                            _ => match Key::of(*key).ok().and_then(|key| map.position(key)) {
                                Some(i) => {
                                    *slot = i as u32;
                                    &map.entries()[i].1 as *const Value
                                }
                                None => &NIL as *const Value,
                            },
                        });
                    }
                    match src {
                        Some(p) => mov!(a, p),
                        None => {
                            let (o, key) = (r!(b), *key);
                            r!(a) = try_rt!(ops::index_get(&mut self.rt.heap, o, key));
                        }
                    }
                }
                Op::SetField { a, k, c } => {
                    let key = &k!(k);
                    let slot = &mut self.ics[fi][pc];
                    let mut done = false;
                    if let Value::Obj(m) = r!(a)
                        && let Obj::Map(map) = self.rt.heap.get_mut(m)
                        && let Some((kk, v)) = map.entry_mut(*slot as usize)
                        && same_obj(kk, key)
                    {
                        unsafe { copy_value(v, regs.add(c as usize)) };
                        done = true;
                    }
                    if !done {
                        let (o, key, v) = (r!(a), *key, r!(c));
                        try_rt!(ops::index_set(&mut self.rt.heap, o, key, v));
                        if let Value::Obj(m) = o
                            && let Obj::Map(map) = self.rt.heap.get(m)
                            && let Some(i) = Key::of(key).ok().and_then(|key| map.position(key))
                        {
                            *slot = i as u32;
                        }
                    }
                }
                Op::Call { a, n } | Op::CallG { a, n, .. } => {
                    if let Op::CallG { g, .. } = op {
                        let Some(v) = self.rt.globals.get(g as usize) else {
                            fail!("undefined global".into());
                        };
                        mov!(a, v as *const Value);
                    }
                    let callee = r!(a);
                    match callee {
                        Value::Obj(r) => {
                            let func = match self.rt.heap.get(r) {
                                Obj::Closure { func, .. } => *func as usize,
                                _ => fail!(format!(
                                    "cannot call {}",
                                    ops::type_name(&self.rt.heap, callee)
                                )),
                            };
                            // What the call needs sits in `fns`, one load away (no `Arc`).
                            let Some(&info) = self.fns.get(func) else {
                                fail!("call of an unknown function".into());
                            };
                            if info.arity != n {
                                let child: &Proto = unsafe { &*info.proto };
                                fail!(arity_message(&child.name, child.arity as usize, n as usize));
                            }
                            if self.frames.len() >= MAX_FRAMES {
                                fail!("stack overflow".into());
                            }
                            step!();
                            if let Some(f) = self.frames.last_mut() {
                                f.pc = pc + 1;
                            }
                            let call_addr = proto.addr + pc as u64;
                            let new_base = base + a as usize + 1;
                            let top = new_base + info.max_regs as usize;
                            if self.stack.len() < top {
                                self.stack.resize(top, Value::Nil);
                            }
                            base = new_base;
                            regs = unsafe { self.stack.as_mut_ptr().add(base) };
                            for i in n as usize..info.max_regs as usize {
                                // Nil is the tag alone.
                                unsafe {
                                    regs.add(i)
                                        .cast::<u8>()
                                        .write(crate::runtime::value::tag::NIL)
                                };
                            }
                            let child: &Proto = unsafe { &*info.proto };
                            if info.boxes_params {
                                for &p in &child.boxed_params {
                                    let v = r!(p);
                                    r!(p) = Value::Obj(self.rt.heap.alloc(Obj::Cell(v)));
                                }
                            }
                            self.frames.push(CallFrame {
                                proto: func as u32,
                                pc: 0,
                                base,
                                closure: Some(r),
                            });
                            fi = func;
                            proto = child;
                            code = info.code;
                            consts = info.consts;
                            pc = 0;
                            if HOOKED {
                                hooks.on_call(call_addr, proto.addr, call_addr + 1);
                            }
                            if info.boxes_params {
                                safepoint!();
                            }
                            continue;
                        }
                        Value::Native(idx) => {
                            let args = unsafe {
                                std::slice::from_raw_parts(regs.add(a as usize + 1), n as usize)
                            };
                            let result = self.rt.call_native(idx, args);
                            r!(a) = try_rt!(result);
                            self.rt.flush(sink, false);
                            safepoint!();
                        }
                        _ => fail!(format!(
                            "cannot call {}",
                            ops::type_name(&self.rt.heap, callee)
                        )),
                    }
                }
                Op::Return { .. } | Op::ReturnNil => {
                    self.frames.pop();
                    let Some(caller) = self.frames.last().copied() else {
                        return Exit::Finished;
                    };
                    // The result replaces the callee in the caller's register (base - 1,
                    // which exists: every frame but the top level's was called from one).
                    match op {
                        Op::Return { a } => unsafe {
                            copy_value(regs.sub(1), regs.add(a as usize))
                        },
                        _ => unsafe {
                            regs.sub(1)
                                .cast::<u8>()
                                .write(crate::runtime::value::tag::NIL)
                        },
                    }
                    fi = caller.proto as usize;
                    let info = self.fns[fi];
                    proto = unsafe { &*info.proto };
                    code = info.code;
                    consts = info.consts;
                    pc = caller.pc;
                    base = caller.base;
                    regs = unsafe { self.stack.as_mut_ptr().add(base) };
                    if HOOKED {
                        hooks.on_return(proto.addr + pc as u64);
                    }
                    continue;
                }
                Op::ForPrep { a, off } => {
                    let (start, end) = (r!(a), r!(a + 1));
                    let (Value::Int(i), Value::Int(e)) = (start, end) else {
                        let bad = if matches!(start, Value::Int(_)) {
                            end
                        } else {
                            start
                        };
                        fail!(format!(
                            "range bounds must be ints, not {}",
                            ops::type_name(&self.rt.heap, bad)
                        ));
                    };
                    if i < e {
                        r!(a + 2) = Value::Int(i);
                    } else {
                        pc = (pc as i64 + off as i64) as usize;
                    }
                }
                Op::ForLoop { a, off } => {
                    // FORPREP checked that both are ints, and no other code writes the
                    // loop's hidden state registers.
                    if let (Value::Int(i), Value::Int(e)) = (&r!(a), &r!(a + 1)) {
                        let next = *i + 1;
                        if next < *e {
                            step!();
                            r!(a) = Value::Int(next);
                            r!(a + 2) = Value::Int(next);
                            pc = (pc as i64 + off as i64) as usize;
                        }
                    }
                }
                Op::IterNext { a, two, off } => {
                    let (coll, cursor) = (r!(a), r!(a + 1));
                    let Value::Int(cursor) = cursor else {
                        fail!("corrupt loop state".into());
                    };
                    if let Some((x, y, next)) =
                        try_rt!(ops::iter_step(&mut self.rt.heap, coll, cursor, two))
                    {
                        step!();
                        r!(a + 1) = Value::Int(next);
                        r!(a + 2) = x;
                        if two {
                            r!(a + 3) = y;
                        }
                        pc = (pc as i64 + off as i64) as usize;
                    }
                    safepoint!();
                }
            }
            // A backward jump to instruction 0 leaves `pc` at -1 (wrapped) until here.
            pc = pc.wrapping_add(1);
        }
    }

    fn upval(&self, u: u16) -> Value {
        let closure = self.frames.last().and_then(|f| f.closure);
        match closure.map(|c| self.rt.heap.get(c)) {
            Some(Obj::Closure { upvals, .. }) => upvals
                .get(u as usize)
                .map_or(Value::Nil, |&r| Value::Obj(r)),
            _ => Value::Nil,
        }
    }

    /// Where the value of the cell `cell` lives (a nil when it is not a cell).
    #[inline]
    fn cell_ptr(&self, cell: &Value) -> *const Value {
        match cell {
            Value::Obj(r) => match self.rt.heap.get(*r) {
                Obj::Cell(v) => v as *const Value,
                _ => &NIL,
            },
            _ => &NIL,
        }
    }

    #[inline]
    fn cell_set(&mut self, cell: Value, v: Value) {
        if let Value::Obj(r) = cell
            && let Obj::Cell(slot) = self.rt.heap.get_mut(r)
        {
            *slot = v;
        }
    }
}

#[inline(always)]
fn same_obj(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::Obj(x), Value::Obj(y)) if x == y)
}

/// What a missing map key reads as.
static NIL: Value = Value::Nil;
