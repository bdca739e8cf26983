//! Counts primes below 20000 with a sieve, sleeping once in between (a preemptible user task).
#![no_std]
#![no_main]

use wbos_user::{entry, println};

entry!(main);

const N: usize = 20000;
static mut SIEVE: [bool; N] = [true; N];

fn main() -> i32 {
    // SAFETY: one thread; this program is its only user.
    let sieve = unsafe { &mut *core::ptr::addr_of_mut!(SIEVE) };
    sieve[0] = false;
    sieve[1] = false;
    let mut i = 2;
    while i * i < N {
        if sieve[i] {
            let mut j = i * i;
            while j < N {
                sieve[j] = false;
                j += i;
            }
        }
        i += 1;
    }
    wbos_user::sleep_ms(20);
    let count = sieve.iter().filter(|&&p| p).count();
    println!("primes below {N}: {count}");
    if count == 2262 { 0 } else { 1 }
}
