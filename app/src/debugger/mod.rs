//! Run control and debugging, free of any UI: the window's emulation thread drives it,
//! and its tests run without a display. Everything here works on `&mut dyn Machine`, so
//! every core (and the language VM) gets the same debugger.
//!
//! - [`expr`]: conditions and log messages over registers and memory (`v3 == 0x10 && [i+1] > 2`).
//! - [`points`]: breakpoints and watchpoints as the user sets them (conditions, hit counts, log-only).
//! - [`history`]: snapshots + input log, for reverse execution and rewind.
//! - [`session`]: the [`Debugger`]: run, step into/over/out, run to cursor, reverse step/continue.
//! - [`savestate`]: numbered slots and files, written atomically, refused when foreign.

pub mod expr;
pub mod history;
pub mod points;
pub mod savestate;
pub mod session;

pub use expr::Expr;
pub use points::{Action, BreakpointSpec, WatchSpec};
pub use session::{Debugger, Stop, TraceRow};

#[cfg(test)]
pub(crate) mod testmachine;
#[cfg(test)]
mod tests;
