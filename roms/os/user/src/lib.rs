//! The runtime of wbos user programs: system calls through `int 0x80` (number in rax, arguments
//! in rdi, rsi, rdx, r10; result in rax), `print!`, and the `entry!` macro for `_start`.
#![no_std]

use core::arch::asm;
use core::fmt::{self, Write};

/// System call numbers (the kernel's `syscall.rs` has the same table).
pub mod nr {
    pub const EXIT: u64 = 0;
    pub const WRITE: u64 = 1;
    pub const UPTIME_MS: u64 = 2;
    pub const SLEEP_MS: u64 = 3;
    pub const READ_FILE: u64 = 4;
    pub const GETPID: u64 = 5;
}

/// Raw system call with up to four arguments.
pub fn syscall(n: u64, a: u64, b: u64, c: u64, d: u64) -> u64 {
    let ret: u64;
    // SAFETY: int 0x80 enters our kernel, which validates every argument.
    unsafe {
        asm!("int 0x80", inlateout("rax") n => ret, in("rdi") a, in("rsi") b, in("rdx") c, in("r10") d,
             options(nostack));
    }
    ret
}

/// End the program with `code`.
pub fn exit(code: i32) -> ! {
    syscall(nr::EXIT, code as u64, 0, 0, 0);
    // The kernel never returns from EXIT.
    loop {
        core::hint::spin_loop();
    }
}

/// Write bytes to the console.
pub fn write(bytes: &[u8]) {
    syscall(nr::WRITE, bytes.as_ptr() as u64, bytes.len() as u64, 0, 0);
}

/// Milliseconds since boot.
pub fn uptime_ms() -> u64 {
    syscall(nr::UPTIME_MS, 0, 0, 0, 0)
}

/// Sleep at least `ms` milliseconds.
pub fn sleep_ms(ms: u64) {
    syscall(nr::SLEEP_MS, ms, 0, 0, 0);
}

/// Our process id.
pub fn getpid() -> u64 {
    syscall(nr::GETPID, 0, 0, 0, 0)
}

/// Read the file at `path` into `buf`; the number of bytes read (the file may be longer), or None.
pub fn read_file(path: &str, buf: &mut [u8]) -> Option<usize> {
    let r = syscall(nr::READ_FILE, path.as_ptr() as u64, path.len() as u64, buf.as_mut_ptr() as u64, buf.len() as u64);
    (r != u64::MAX).then_some(r as usize)
}

/// The console as a `fmt::Write`.
pub struct Console;

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write(s.as_bytes());
        Ok(())
    }
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{ let _ = core::fmt::Write::write_fmt(&mut $crate::Console, format_args!($($arg)*)); }};
}

#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{ $crate::print!($($arg)*); $crate::print!("\n"); }};
}

/// Define `_start` calling `$main() -> i32`, then exit with its result.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn _start() -> ! {
            $crate::exit($main())
        }
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("panic: {}", info.message());
    exit(101)
}
