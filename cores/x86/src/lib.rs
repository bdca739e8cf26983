//! `wb-x86`: an x86-64 interpreter (real, protected and long mode) and the PC platform our
//! OS boots on: PIC, PIT, CMOS, 16550 UART, PS/2 keyboard, VGA text, ATA PIO disk,
//! isa-debug-exit and a BIOS service layer written in Rust.

pub mod bare;
mod cpu;
pub mod decode;
pub mod disasm;
mod pc;

pub use pc::{LoadError, PageWalk, Pc, looks_like_disk_image};
