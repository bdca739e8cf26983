//! The VM: its state (registers, frames, functions) and [`Vm::execute`], which runs the
//! threaded handlers of `handlers.rs` in one of three modes: `run_source`'s fast path with
//! no checks between instructions, `run_source_limited`'s step gate, and the debugger's
//! instruction budget and hooks before each instruction.

use std::sync::Arc;

use wb_machine::{Hooks, StopReason};

use super::bytecode::Proto;
use super::handlers::{self, Cx, FAST, HOOKED, Inst, LIMITED, MODES, NIL};
use crate::error::{RuntimeError, TraceFrame};
use crate::runtime::heap::Obj;
use crate::runtime::limits::RunOutcome;
use crate::runtime::value::{GcRef, Value};
use crate::runtime::Runtime;

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
/// valid as long as the `Vm`, which holds every `Proto` in `protos` and every decoded
/// instruction stream in `insts`, and never removes one.
#[derive(Clone, Copy, Debug)]
pub(super) struct FnInfo {
    pub proto: *const Proto,
    /// The function's decoded instructions, one stream per dispatch mode.
    pub insts: [*const Inst; MODES],
    pub consts: *const Value,
    /// The function's inline caches, one per instruction.
    pub ics: *mut u32,
    pub arity: u8,
    pub max_regs: u16,
    pub boxes_params: bool,
}

// SAFETY: the pointers refer to immutable data (`Proto`s are never changed once compiled)
// owned, through `Arc`s, by the same `Vm`; they move with it between threads.
unsafe impl Send for FnInfo {}

pub struct Vm {
    pub rt: Runtime,
    pub protos: Vec<Arc<Proto>>,
    /// One per `protos` entry (see [`FnInfo`]).
    pub(super) fns: Vec<FnInfo>,
    /// The decoded instructions `fns` points into (boxed: they never move).
    insts: Vec<[Box<[Inst]>; MODES]>,
    /// Inline caches, `[function][pc]`: the map entry position a `GetField`/`SetField` last
    /// hit (boxed: `fns` points into them).
    ics: Vec<Box<[u32]>>,
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
            insts: Vec::new(),
            ics: Vec::new(),
            stack: Vec::new(),
            frames: Vec::new(),
            retired: 0,
        }
    }

    /// Add compiled functions to the table (the REPL adds more later).
    pub fn add_protos(&mut self, protos: &[Arc<Proto>]) {
        for p in protos {
            let mut ics = vec![0; p.code.len()].into_boxed_slice();
            let insts = [
                handlers::decode::<FAST>(&p.code),
                handlers::decode::<LIMITED>(&p.code),
                handlers::decode::<HOOKED>(&p.code),
            ];
            self.fns.push(FnInfo {
                proto: Arc::as_ptr(p),
                insts: [insts[0].as_ptr(), insts[1].as_ptr(), insts[2].as_ptr()],
                consts: p.consts.as_ptr(),
                ics: ics.as_mut_ptr(),
                arity: p.arity,
                max_regs: p.max_regs,
                boxes_params: !p.boxed_params.is_empty(),
            });
            self.insts.push(insts);
            self.ics.push(ics);
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
    pub(super) fn raise(&mut self, pc: usize, message: String) -> Exit {
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
    pub(super) fn collect(&mut self, top: usize) {
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
        let exit = match (HOOKED, LIMITED) {
            (true, _) => self.dispatch::<{ handlers::HOOKED }>(budget, hooks, sink),
            (false, true) => self.dispatch::<{ handlers::LIMITED }>(budget, hooks, sink),
            (false, false) => self.dispatch::<{ handlers::FAST }>(budget, hooks, sink),
        };
        self.rt.flush(sink, true);
        exit
    }

    /// Run the top frame from its `pc` in dispatch mode `M`.
    fn dispatch<const M: u8>(
        &mut self,
        budget: u64,
        hooks: &mut Hooks,
        sink: &mut dyn std::io::Write,
    ) -> Exit {
        let Some(frame) = self.frames.last().copied() else {
            return Exit::Finished;
        };
        let Some(info) = self.fns.get(frame.proto as usize).copied() else {
            return Exit::Error(self.error("call of an unknown function".into()));
        };
        let limit = self.retired.saturating_add(budget);
        // SAFETY: a frame's `pc` is within its function's code and `base + max_regs`
        // within the stack (`start`, calls, and the checks of a loaded snapshot).
        let ip = unsafe { info.insts[M as usize].add(frame.pc) };
        let regs = unsafe { self.stack.as_mut_ptr().add(frame.base) };
        let mut cx = Cx {
            vm: self,
            hooks,
            sink,
            limit,
            fi: frame.proto as usize,
            proto: info.proto,
            insts: info.insts[M as usize],
            consts: info.consts,
            ics: info.ics,
            base: frame.base,
            ip,
            regs,
            exit: None,
        };
        handlers::trampoline::<M>(&mut cx)
    }

    pub(super) fn upval(&self, u: u16) -> Value {
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
    pub(super) fn cell_ptr(&self, cell: &Value) -> *const Value {
        match cell {
            Value::Obj(r) => match self.rt.heap.get(*r) {
                Obj::Cell(v) => v as *const Value,
                _ => &NIL,
            },
            _ => &NIL,
        }
    }

    #[inline]
    pub(super) fn cell_set(&mut self, cell: Value, v: Value) {
        if let Value::Obj(r) = cell
            && let Obj::Cell(slot) = self.rt.heap.get_mut(r)
        {
            *slot = v;
        }
    }
}
