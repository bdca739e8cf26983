//! Greets from ring 3, reads a file through the kernel and prints a little arithmetic.
#![no_std]
#![no_main]

use wbos_user::{entry, println};

entry!(main);

fn main() -> i32 {
    println!("hello from ring 3, pid {}", wbos_user::getpid());
    let mut buf = [0u8; 256];
    match wbos_user::read_file("/hello.txt", &mut buf) {
        Some(n) => {
            let text = core::str::from_utf8(&buf[..n]).unwrap_or("<not utf-8>");
            println!("/hello.txt has {n} bytes: {}", text.trim_end());
        }
        None => println!("/hello.txt: not found"),
    }
    let mut sum = 0u64;
    for i in 1..=100u64 {
        sum += i * i;
    }
    println!("sum of squares 1..100 = {sum}");
    // The kernel must refuse to read its own memory on our behalf.
    let r = wbos_user::syscall(wbos_user::nr::WRITE, 0x7C00, 16, 0, 0);
    println!("write from a kernel address: {}", if r == u64::MAX { "refused" } else { "allowed" });
    // Nor write into our read-only data on our behalf.
    static READ_ONLY: [u8; 16] = [0; 16];
    let path = "/hello.txt";
    let r = wbos_user::syscall(
        wbos_user::nr::READ_FILE,
        path.as_ptr() as u64,
        path.len() as u64,
        READ_ONLY.as_ptr() as u64,
        READ_ONLY.len() as u64,
    );
    println!("read into read-only memory: {}", if r == u64::MAX { "refused" } else { "allowed" });
    0
}
