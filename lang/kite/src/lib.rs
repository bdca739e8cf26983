//! Kite: a small dynamically typed language for the Workbench.
//!
//! One front end ([`front`]: lexer, recovering parser, resolver) feeds two engines that
//! must agree on every program: the tree-walking interpreter ([`tree`], the reference
//! semantics) and the bytecode compiler + register VM ([`vm`]) with its precise tracing GC
//! ([`runtime::heap`]). [`VmMachine`] exposes the VM to the debugger through
//! `wb_machine::Machine`.
//!
//! **API boundary:** the CLI and the app call only the functions re-exported here.

pub mod error;
pub mod front;
mod machine;
mod repl;
pub mod runtime;
mod trace;
pub mod tree;
pub mod vm;

use std::io::Write;

pub use error::{KiteError, RuntimeError, TraceFrame};
pub use front::diagnostic::Diagnostic;
pub use front::span::Span;
pub use machine::VmMachine;
pub use repl::repl;
pub use runtime::heap::GcStats;
pub use runtime::limits::{RunLimits, RunOutcome};
pub use trace::trace_source;

use front::ast::Program;
use runtime::Runtime;
use vm::interp::{Exit, Vm};

/// Which engine runs a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The tree-walking interpreter (the reference semantics).
    Tree,
    /// The bytecode compiler and register VM.
    Vm,
}

impl Engine {
    /// `tree` or `vm`, as the CLI's `--engine` spells them.
    pub fn from_name(s: &str) -> Option<Engine> {
        match s {
            "tree" => Some(Engine::Tree),
            "vm" => Some(Engine::Vm),
            _ => None,
        }
    }
}

/// How [`run_source`] runs a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    pub engine: Engine,
    /// What the program's `args()` returns.
    pub args: Vec<String>,
    /// Collect garbage at every safepoint after an allocation (finds missing GC roots).
    pub gc_stress: bool,
}

/// The source file extension of Kite programs (without the dot).
pub const FILE_EXTENSION: &str = "kite";

/// Parse and resolve, collecting every diagnostic (sorted by position).
pub fn check(source: &str) -> Result<Program, Vec<Diagnostic>> {
    let mut globals = Vec::new();
    check_with_globals(source, &mut globals)
}

fn check_with_globals(source: &str, globals: &mut Vec<String>) -> Result<Program, Vec<Diagnostic>> {
    let (mut program, mut diags) = front::parser::parse(source);
    diags.extend(front::resolver::resolve(
        &mut program,
        globals,
        &runtime::builtins::names(),
    ));
    if diags.is_empty() {
        Ok(program)
    } else {
        diags.sort_by_key(|d| (d.span.start, d.span.end));
        diags.dedup();
        Err(diags)
    }
}

/// Compile and run; program output goes to `out`. Errors are returned; render them with
/// [`KiteError::render`].
pub fn run_source(
    file_name: &str,
    source: &str,
    opts: &RunOptions,
    out: &mut dyn Write,
) -> Result<(), KiteError> {
    run_source_stats(file_name, source, opts, out).0
}

/// [`run_source`], also returning the collector's statistics at the end of the run.
pub fn run_source_stats(
    file_name: &str,
    source: &str,
    opts: &RunOptions,
    out: &mut dyn Write,
) -> (Result<(), KiteError>, GcStats) {
    let (result, stats) =
        run_source_limited_stats(file_name, source, opts, &RunLimits::default(), out);
    (result.map(|_| ()), stats)
}

/// [`run_source`] under `limits`: a step budget and/or a cancel flag another thread may set.
/// A run stopped by either is not an error: it returns [`RunOutcome::StepLimit`] or
/// [`RunOutcome::Cancelled`] (output printed so far has been written to `out`).
pub fn run_source_limited(
    file_name: &str,
    source: &str,
    opts: &RunOptions,
    limits: &RunLimits,
    out: &mut dyn Write,
) -> Result<RunOutcome, KiteError> {
    run_source_limited_stats(file_name, source, opts, limits, out).0
}

/// [`run_source_limited`], also returning the collector's statistics at the end of the run.
pub fn run_source_limited_stats(
    file_name: &str,
    source: &str,
    opts: &RunOptions,
    limits: &RunLimits,
    out: &mut dyn Write,
) -> (Result<RunOutcome, KiteError>, GcStats) {
    let _ = file_name;
    let program = match check(source) {
        Ok(p) => p,
        Err(d) => return (Err(KiteError::Compile(d)), GcStats::default()),
    };
    let mut rt = Runtime::new(opts.args.clone(), opts.gc_stress);
    rt.gate = runtime::limits::StepGate::new(limits);
    match opts.engine {
        Engine::Tree => {
            let mut interp = tree::TreeInterp::new(&program, rt);
            let result = interp.run(out).map_err(KiteError::Runtime);
            (result, interp.rt.heap.stats().clone())
        }
        Engine::Vm => {
            let mut vm = Vm::new(rt);
            let compiled = match vm::compiler::compile(&program, &mut vm.rt.heap, 0) {
                Ok(c) => c,
                Err(d) => return (Err(KiteError::Compile(d)), GcStats::default()),
            };
            vm.add_protos(&compiled.protos);
            vm.start(0, compiled.globals.len());
            let mut hooks = wb_machine::Hooks::new();
            // The fast loop has no step checks at all; limits get their own copy of it.
            let exit = if limits.is_unlimited() {
                vm.execute::<false, false>(u64::MAX, &mut hooks, out)
            } else {
                vm.execute::<false, true>(u64::MAX, &mut hooks, out)
            };
            let result = match exit {
                Exit::Error(e) => Err(KiteError::Runtime(e)),
                Exit::Interrupted(outcome) => Ok(outcome),
                _ => Ok(RunOutcome::Finished),
            };
            (result, vm.rt.heap.stats().clone())
        }
    }
}

/// The bytecode listing of a program (every function, with addresses and source lines).
pub fn disassemble_source(file_name: &str, source: &str) -> Result<String, KiteError> {
    let _ = file_name;
    let program = check(source).map_err(KiteError::Compile)?;
    let mut heap = runtime::heap::Heap::new(false);
    let compiled = vm::compiler::compile(&program, &mut heap, 0).map_err(KiteError::Compile)?;
    Ok(vm::disasm::listing(&compiled.protos, &heap, source))
}

/// Collector statistics of a running [`VmMachine`] (heap bytes, collections, pauses), for
/// the GC panel.
pub fn gc_stats(machine: &VmMachine) -> GcStats {
    machine.gc_stats()
}
