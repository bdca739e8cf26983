//! The narrow waist of Workbench: the one interface every core implements.
//!
//! The app, the debugger, the profiler and the CLI know a core only through [`Machine`].
//! A core embeds a [`Hooks`] value and calls its inline fast-path checks; when no hook is
//! set those checks are a single predictable branch on a `bool`.
//!
//! **Architecture invariant:** this crate (and every core) never depends on egui, wgpu, cpal,
//! or threads. Everything here is plain data plus the [`Machine`] trait.

mod debuginfo;
mod hooks;
mod machine;
pub mod state;

pub use debuginfo::{DebugInfo, LineEntry, SourceLine, Symbol, SymbolTable};
pub use hooks::{
    Access, Breakpoint, CallEvent, ExecCounter, Heat, Hooks, TraceEntry, TraceRing, Watchpoint,
};
pub use machine::{
    AddressSpace, Budget, CoreInfo, DisasmLine, Frame, GuestFault, InputEvent, KeyCode, Machine,
    PokeError, RegValue, Register, RunResult, StopReason, View,
};
pub use state::StateError;
