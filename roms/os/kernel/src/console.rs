//! The console: every byte goes to COM1 and to the VGA text screen.
use crate::cpu::IrqLock;
use crate::serial;
use crate::vga::Vga;
use core::fmt;

static CONSOLE: IrqLock<Vga> = IrqLock::new(Vga::new());

pub fn init() {
    serial::init();
    CONSOLE.lock().clear();
}

/// Write raw bytes (`\n` becomes `\r\n` on the serial line).
pub fn write_bytes(bytes: &[u8]) {
    let mut vga = CONSOLE.lock();
    for &b in bytes {
        if b == b'\n' {
            serial::write_byte(b'\r');
        }
        serial::write_byte(b);
        vga.write_byte(b);
    }
}

struct Writer;

impl fmt::Write for Writer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

pub fn print(args: fmt::Arguments<'_>) {
    let _ = fmt::Write::write_fmt(&mut Writer, args);
}

/// Print even if the console lock is held by the code that failed (panics, faults).
pub fn print_emergency(args: fmt::Arguments<'_>) {
    // SAFETY: we are about to stop the machine or kill the current program; nobody resumes
    // the interrupted write.
    unsafe { CONSOLE.force_unlock() };
    print(args);
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::print(format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => {{ $crate::console::print(format_args!($($arg)*)); $crate::print!("\n"); }};
}
