//! Writes through a null pointer: the kernel must kill this program alone.
#![no_std]
#![no_main]

use wbos_user::{entry, println};

entry!(main);

fn main() -> i32 {
    println!("fault: writing to address 0");
    // SAFETY: not safe at all; the point is the page fault.
    unsafe { core::ptr::write_volatile(core::ptr::null_mut::<u64>(), 0xdead) };
    println!("fault: still alive (the kernel failed to stop us)");
    1
}
