//! Writes into its own code, which is mapped read-only: the kernel must kill it alone.
#![no_std]
#![no_main]

use wbos_user::{entry, println};

entry!(main);

fn main() -> i32 {
    let code = main as fn() -> i32 as usize as *mut u8;
    println!("protect: writing to my own code at {:#x}", code as usize);
    // SAFETY: not safe at all; the point is the protection fault.
    unsafe { core::ptr::write_volatile(code, 0xC3) };
    println!("protect: code was writable");
    1
}
