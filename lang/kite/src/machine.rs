//! The VM as a `wb_machine::Machine`, so the Workbench debugger steps Kite programs.
//!
//! Addresses are instruction indices in one flat space: function `f`'s instruction `i` is
//! at `protos[f].addr + i`. Registers are the running frame's slots (`r0`..) plus `pc`; the
//! line map comes from the instructions' source spans.

use wb_machine::state::{self, StateError};
use wb_machine::{
    Budget, CoreInfo, DebugInfo, DisasmLine, Frame, GuestFault, Hooks, InputEvent, LineEntry,
    Machine, PokeError, RegValue, Register, RunResult, StopReason, Symbol, SymbolTable,
};

use crate::front::span::LineIndex;
use crate::runtime::Runtime;
use crate::runtime::heap::GcStats;
use crate::runtime::value::Value;
use crate::vm::bytecode::Op;
use crate::vm::disasm::{format_op, jump_target};
use crate::vm::interp::{Exit, Vm};
use crate::{KiteError, RuntimeError};

/// Version 2: whole-VM snapshots (version 1 held the position only).
const STATE_VERSION: u32 = 2;
/// Instructions a `Budget::Frame` runs (the VM has no video frame).
const FRAME_SLICE: u64 = 100_000;

/// A compiled Kite program loaded into the VM, driven through [`Machine`].
pub struct VmMachine {
    file_name: String,
    source: String,
    args: Vec<String>,
    vm: Vm,
    debug: DebugInfo,
    hooks: Hooks,
    output: Vec<u8>,
    /// The error that ended the run, if any.
    error: Option<RuntimeError>,
}

impl VmMachine {
    /// Compile `source`; the program starts at its first instruction.
    pub fn new(file_name: &str, source: &str, args: Vec<String>) -> Result<VmMachine, KiteError> {
        let vm = Self::load(source, &args)?;
        let debug = debug_info(&vm, file_name, source);
        Ok(VmMachine {
            file_name: file_name.to_string(),
            source: source.to_string(),
            args,
            vm,
            debug,
            hooks: Hooks::new(),
            output: Vec::new(),
            error: None,
        })
    }

    fn load(source: &str, args: &[String]) -> Result<Vm, KiteError> {
        let program = crate::check(source).map_err(KiteError::Compile)?;
        let mut vm = Vm::new(Runtime::new(args.to_vec(), false));
        let compiled = crate::vm::compiler::compile(&program, &mut vm.rt.heap, 0)
            .map_err(KiteError::Compile)?;
        vm.add_protos(&compiled.protos);
        vm.start(0, compiled.globals.len());
        Ok(vm)
    }

    /// The collector's statistics.
    pub fn gc_stats(&self) -> GcStats {
        self.vm.rt.heap.stats().clone()
    }

    /// Collect at every safepoint after an allocation (finds missing GC roots; slow).
    pub fn set_gc_stress(&mut self, on: bool) {
        self.vm.rt.heap.set_stress(on);
    }

    /// The runtime error that stopped the program, if one did.
    pub fn runtime_error(&self) -> Option<&RuntimeError> {
        self.error.as_ref()
    }

    /// The source this machine was built from, and its file name.
    pub fn source(&self) -> (&str, &str) {
        (&self.file_name, &self.source)
    }

    fn current(&self) -> Option<(usize, usize)> {
        self.vm.frames.last().map(|f| (f.proto as usize, f.pc))
    }

    fn exec(&mut self, budget: u64) -> RunResult {
        if let Some(e) = &self.error {
            let fault = GuestFault {
                pc: self.pc(),
                message: e.message.clone(),
            };
            return RunResult {
                stop: StopReason::Fault(fault),
                cycles: 0,
            };
        }
        if self.vm.is_finished() {
            return RunResult {
                stop: StopReason::Exited { code: 0 },
                cycles: 0,
            };
        }
        let before = self.vm.retired;
        let exit = self
            .vm
            .execute::<true, false>(budget, &mut self.hooks, &mut self.output);
        let cycles = self.vm.retired - before;
        let stop = match exit {
            Exit::Finished => StopReason::Exited { code: 0 },
            // The machine runs without a step gate; budgets are instruction counts.
            Exit::Budget | Exit::Interrupted(_) => StopReason::BudgetSpent,
            Exit::Stopped(stop) => stop,
            Exit::Error(e) => {
                let (line, _) = crate::front::span::line_col(&self.source, e.span().start);
                let message = format!("{} (line {line})", e.message);
                self.error = Some(e);
                StopReason::Fault(GuestFault {
                    pc: self.pc(),
                    message,
                })
            }
        };
        RunResult { stop, cycles }
    }
}

fn debug_info(vm: &Vm, file_name: &str, source: &str) -> DebugInfo {
    let index = LineIndex::new(source);
    let mut lines = Vec::new();
    let mut symbols = Vec::new();
    for p in &vm.protos {
        symbols.push(Symbol {
            name: p.name.clone(),
            addr: p.addr,
            size: p.code.len() as u64,
        });
        let mut last = 0;
        for (i, span) in p.spans.iter().enumerate() {
            let line = index.line(span.start);
            if line != last || i == 0 {
                lines.push(LineEntry {
                    addr: p.addr + i as u64,
                    file: 0,
                    line,
                });
                last = line;
            }
        }
    }
    DebugInfo::new(
        SymbolTable::new(symbols),
        vec![file_name.to_string()],
        lines,
    )
}

/// A register's raw 64 bits: ints as two's complement, floats as IEEE bits, objects as
/// their heap index, booleans 0/1, nil 0.
fn raw_bits(v: Value) -> u64 {
    match v {
        Value::Nil => 0,
        Value::Bool(b) => b as u64,
        Value::Int(i) => i as u64,
        Value::Float(f) => f.to_bits(),
        Value::Obj(r) => r.0 as u64,
        Value::Native(n) => n as u64,
    }
}

impl Machine for VmMachine {
    fn info(&self) -> CoreInfo {
        CoreInfo {
            name: "kite",
            long_name: "Kite bytecode VM".into(),
            frame_rate: 0.0,
            audio_rate: 0,
            buttons: Vec::new(),
            address_spaces: Vec::new(),
            pc_bits: 32,
        }
    }

    fn reset(&mut self) {
        if let Ok(vm) = Self::load(&self.source, &self.args) {
            self.vm = vm;
        }
        self.error = None;
        self.output.clear();
        self.hooks.clear_call_stack();
    }

    fn run(&mut self, budget: Budget) -> RunResult {
        let n = match budget {
            Budget::Cycles(n) | Budget::Instructions(n) => n,
            Budget::Frame => FRAME_SLICE,
        };
        self.exec(n)
    }

    fn step(&mut self) -> RunResult {
        let pc = self.pc();
        self.hooks.skip_breakpoint_once(pc);
        self.exec(1)
    }

    fn instructions_retired(&self) -> u64 {
        self.vm.retired
    }

    fn cycles(&self) -> u64 {
        self.vm.retired
    }

    fn frame(&self) -> Frame<'_> {
        Frame {
            width: 0,
            height: 0,
            rgba: &[],
        }
    }

    fn drain_audio(&mut self, out: &mut Vec<f32>) {
        let _ = out;
    }

    fn drain_serial(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.output);
    }

    fn input(&mut self, event: InputEvent) {
        let _ = event;
    }

    fn registers(&self) -> Vec<Register> {
        let mut regs = vec![Register {
            name: "pc".into(),
            bits: 32,
            value: self.pc() as RegValue,
        }];
        if let Some(frame) = self.vm.frames.last() {
            let n = self.vm.protos[frame.proto as usize].max_regs as usize;
            for i in 0..n {
                let v = self
                    .vm
                    .stack
                    .get(frame.base + i)
                    .copied()
                    .unwrap_or(Value::Nil);
                regs.push(Register {
                    name: format!("r{i}"),
                    bits: 64,
                    value: raw_bits(v) as RegValue,
                });
            }
        }
        regs
    }

    /// `rN` registers take an integer value.
    fn set_register(&mut self, name: &str, value: RegValue) -> Result<(), PokeError> {
        let Some(frame) = self.vm.frames.last().copied() else {
            return Err(PokeError::NoSuchRegister(name.to_string()));
        };
        let n = self.vm.protos[frame.proto as usize].max_regs as usize;
        let index = name
            .strip_prefix('r')
            .and_then(|i| i.parse::<usize>().ok())
            .filter(|&i| i < n);
        let Some(i) = index else {
            return Err(PokeError::NoSuchRegister(name.to_string()));
        };
        let v = u64::try_from(value).map_err(|_| PokeError::TooWide {
            name: name.to_string(),
            value,
        })?;
        if let Some(slot) = self.vm.stack.get_mut(frame.base + i) {
            *slot = Value::Int(v as i64);
        }
        Ok(())
    }

    fn pc(&self) -> u64 {
        self.current()
            .map_or(0, |(f, pc)| self.vm.protos[f].addr + pc as u64)
    }

    fn peek(&self, space: usize, addr: u64) -> Option<u8> {
        let _ = (space, addr);
        None
    }

    fn poke(&mut self, space: usize, addr: u64, value: u8) -> Result<(), PokeError> {
        let _ = (addr, value);
        Err(PokeError::NoSuchSpace(space))
    }

    fn disassemble(&self, addr: u64, count: usize) -> Vec<DisasmLine> {
        let names = |f: u32| {
            self.vm
                .protos
                .get(f as usize)
                .map_or_else(|| format!("f{f}"), |p| p.name.clone())
        };
        let mut out = Vec::new();
        for p in &self.vm.protos {
            let end = p.addr + p.code.len() as u64;
            if end <= addr {
                continue;
            }
            let first = addr.saturating_sub(p.addr) as usize;
            for (pc, op) in p.code.iter().enumerate().skip(first) {
                if out.len() >= count {
                    return out;
                }
                out.push(DisasmLine {
                    addr: p.addr + pc as u64,
                    bytes: Vec::new(),
                    text: format_op(op, pc, p, &self.vm.rt.heap, &names),
                    target: jump_target(op, pc).map(|t| p.addr + t as u64),
                });
            }
        }
        out
    }

    fn debug_info(&self) -> &DebugInfo {
        &self.debug
    }

    fn set_debug_info(&mut self, info: DebugInfo) {
        self.debug = info;
    }

    fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    fn hooks_mut(&mut self) -> &mut Hooks {
        &mut self.hooks
    }

    fn call_return_address(&self) -> Option<u64> {
        let (f, pc) = self.current()?;
        let p = &self.vm.protos[f];
        matches!(p.code.get(pc), Some(Op::Call { .. } | Op::CallG { .. }))
            .then(|| p.addr + pc as u64 + 1)
    }

    /// The whole VM: heap, globals, live registers, frames, instruction count, undrained
    /// output and the error that ended the run (see `vm::snapshot`).
    fn save_state(&self) -> Vec<u8> {
        let mut w = state::Writer::new();
        crate::vm::snapshot::save(&self.vm, &self.source, &mut w);
        w.bytes(&self.output);
        match &self.error {
            None => {
                w.bool(false);
            }
            Some(e) => {
                w.bool(true)
                    .bytes(e.message.as_bytes())
                    .u32(e.trace.len() as u32);
                for f in &e.trace {
                    w.bytes(f.function.as_bytes())
                        .u32(f.span.start)
                        .u32(f.span.end);
                }
            }
        }
        state::wrap("kite", STATE_VERSION, &w.finish())
    }

    /// Refuses states of other programs and damaged ones; the machine is unchanged then.
    fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let payload = state::unwrap("kite", STATE_VERSION, bytes)?;
        let mut r = state::Reader::new(payload);
        let mut vm = Self::load(&self.source, &self.args)
            .map_err(|_| StateError::Mismatch("the program no longer compiles".into()))?;
        crate::vm::snapshot::load(&mut vm, &self.source, &mut r)?;
        let output = r.blob()?.to_vec();
        let text = |r: &mut state::Reader| -> Result<String, StateError> {
            String::from_utf8(r.blob()?.to_vec())
                .map_err(|_| StateError::Mismatch("text is not UTF-8".into()))
        };
        let error = if r.bool()? {
            let message = text(&mut r)?;
            let n = crate::runtime::snapshot::read_len(&mut r, 16)?;
            let mut trace = Vec::with_capacity(n);
            for _ in 0..n {
                let function = text(&mut r)?;
                let span = crate::front::span::Span {
                    start: r.u32()?,
                    end: r.u32()?,
                };
                trace.push(crate::TraceFrame { function, span });
            }
            Some(RuntimeError { message, trace })
        } else {
            None
        };
        r.finish()?;
        self.vm = vm;
        self.output = output;
        self.error = error;
        self.hooks.clear_call_stack();
        Ok(())
    }
}
