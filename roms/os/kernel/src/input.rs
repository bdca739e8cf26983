//! The console input queue, fed by COM1 and the PS/2 keyboard interrupts, read by the shell.
use crate::cpu::IrqLock;
use crate::sched::WaitQueue;

struct Ring {
    buf: [u8; 512],
    head: usize,
    len: usize,
}

static INPUT: IrqLock<Ring> = IrqLock::new(Ring { buf: [0; 512], head: 0, len: 0 });

static WAITERS: WaitQueue = WaitQueue::new();

/// Queue one byte (dropped when the queue is full) and wake the reader.
pub fn push(b: u8) {
    {
        let mut r = INPUT.lock();
        if r.len < r.buf.len() {
            let at = (r.head + r.len) % r.buf.len();
            r.buf[at] = b;
            r.len += 1;
        }
    }
    WAITERS.wake_all();
}

/// Wait for the next byte.
pub fn wait() -> u8 {
    WAITERS.wait_until(pop)
}

pub fn pop() -> Option<u8> {
    let mut r = INPUT.lock();
    (r.len > 0).then(|| {
        let b = r.buf[r.head];
        r.head = (r.head + 1) % r.buf.len();
        r.len -= 1;
        b
    })
}
