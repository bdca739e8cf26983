//! 8259A PIC pair (remapped to vectors 32..47) and the 8253/8254 PIT at 100 Hz on IRQ 0.
use crate::port::outb;
use core::sync::atomic::{AtomicU64, Ordering};

pub const IRQ_BASE: u8 = 32;
pub const HZ: u64 = 100;
const PIT_HZ: u64 = 1_193_182;

static TICKS: AtomicU64 = AtomicU64::new(0);

/// Remap the PICs and unmask IRQ 0 (timer), 1 (keyboard), 2 (cascade) and 4 (COM1).
pub fn init() {
    // SAFETY: the PIC and PIT ports belong to us.
    unsafe {
        outb(0x20, 0x11); // ICW1: edge, cascade, ICW4 follows
        outb(0xA0, 0x11);
        outb(0x21, IRQ_BASE); // ICW2: vector bases
        outb(0xA1, IRQ_BASE + 8);
        outb(0x21, 0x04); // ICW3: slave on IRQ 2
        outb(0xA1, 0x02);
        outb(0x21, 0x01); // ICW4: 8086 mode
        outb(0xA1, 0x01);
        outb(0x21, !0b0001_0111);
        outb(0xA1, 0xFF);
        let divisor = (PIT_HZ / HZ) as u16;
        outb(0x43, 0x36); // channel 0, lobyte/hibyte, mode 3
        outb(0x40, divisor as u8);
        outb(0x40, (divisor >> 8) as u8);
    }
}

/// End of interrupt for `irq`.
pub fn eoi(irq: u8) {
    // SAFETY: EOI only acknowledges the interrupt in service.
    unsafe {
        if irq >= 8 {
            outb(0xA0, 0x20);
        }
        outb(0x20, 0x20);
    }
}

pub fn tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// Timer ticks since the PIT started.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

pub fn ms_to_ticks(ms: u64) -> u64 {
    ms.div_ceil(1000 / HZ)
}
