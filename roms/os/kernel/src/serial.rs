//! 16550 UART on COM1 (ports 0x3F8..0x3FF): 115200 8N1, FIFO on, receive interrupt (IRQ4).
use crate::port::{inb, outb};

const COM1: u16 = 0x3F8;
const THR: u16 = COM1; // transmit holding / receive buffer (DLAB=0)
const IER: u16 = COM1 + 1;
const FCR: u16 = COM1 + 2;
const LCR: u16 = COM1 + 3;
const MCR: u16 = COM1 + 4;
const LSR: u16 = COM1 + 5;
const LSR_DATA_READY: u8 = 0x01;
const LSR_THR_EMPTY: u8 = 0x20;

/// Program the UART: divisor 1 (115200 baud), 8N1, no FIFOs, OUT2 (routes the IRQ), RX interrupt.
pub fn init() {
    // SAFETY: COM1 is ours; these writes only configure the UART.
    unsafe {
        outb(IER, 0x00);
        outb(LCR, 0x80); // DLAB: the next two ports are the divisor
        outb(COM1, 0x01);
        outb(COM1 + 1, 0x00);
        outb(LCR, 0x03);
        // FIFOs stay off. A host may already have handed the UART a byte at reset (QEMU's
        // `-serial stdio` does, with a piped script), and switching the FIFOs on flushes them,
        // dropping it. Without FIFOs the host feeds one byte each time we read the last one.
        outb(FCR, 0x00);
        outb(MCR, 0x0B);
        outb(IER, 0x01);
    }
}

/// Send one byte, waiting for the transmitter.
pub fn write_byte(b: u8) {
    // SAFETY: polling LSR and writing THR of COM1 has no other effect.
    unsafe {
        while inb(LSR) & LSR_THR_EMPTY == 0 {
            core::hint::spin_loop();
        }
        outb(THR, b);
    }
}

/// One received byte, if any.
pub fn read_byte() -> Option<u8> {
    // SAFETY: reading RBR only pops the receive FIFO, which is what we want.
    unsafe { (inb(LSR) & LSR_DATA_READY != 0).then(|| inb(THR)) }
}
