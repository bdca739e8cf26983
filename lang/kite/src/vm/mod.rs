//! The bytecode compiler, the listing and the register VM.

pub mod bytecode;
pub mod compiler;
pub mod disasm;
mod handlers;
pub mod interp;
pub mod snapshot;
pub mod verify;
