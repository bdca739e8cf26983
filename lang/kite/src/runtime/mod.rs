//! The runtime both engines share: values, the GC heap, maps, operators and built-ins.

pub mod builtins;
pub mod heap;
pub mod limits;
pub mod map;
pub mod ops;
pub mod snapshot;
pub mod string;
pub mod value;

use std::time::Instant;

use builtins::NativeCtx;
use heap::Heap;
use limits::StepGate;
use value::Value;

/// Deepest call nesting before "stack overflow" (the same in both engines).
pub const MAX_FRAMES: usize = 10_000;

/// State shared by the code of one program run: heap, globals, output, arguments.
pub struct Runtime {
    pub heap: Heap,
    pub globals: Vec<Value>,
    /// Output not yet handed to the caller.
    pub out: Vec<u8>,
    pub args: Vec<String>,
    pub start: Instant,
    /// The step budget and cancel flag of this run.
    pub gate: StepGate,
}

impl Runtime {
    pub fn new(args: Vec<String>, gc_stress: bool) -> Runtime {
        Runtime {
            heap: Heap::new(gc_stress),
            globals: Vec::new(),
            out: Vec::new(),
            args,
            start: Instant::now(),
            gate: StepGate::default(),
        }
    }

    /// Call built-in `index` on `args`.
    pub fn call_native(&mut self, index: u16, args: &[Value]) -> Result<Value, String> {
        let mut ctx = NativeCtx {
            heap: &mut self.heap,
            out: &mut self.out,
            args: &self.args,
            start: self.start,
        };
        builtins::call(&mut ctx, index, args)
    }

    /// Hand buffered output to `sink` once enough has piled up (or always, if `force`).
    pub fn flush(&mut self, sink: &mut dyn std::io::Write, force: bool) {
        if force || self.out.len() >= 1 << 14 {
            // A closed pipe must not stop the program with a panic; output is best effort.
            let _ = sink.write_all(&self.out);
            self.out.clear();
        }
    }
}
