//! A 16550A UART (COM1 at 0x3F8, IRQ 4). Transmission is instant. Host input waits in a
//! queue outside the UART and enters the receive FIFO only as it has room (16 bytes with the
//! FIFO on, one in the holding register otherwise), as QEMU's character backend feeds it, so
//! a guest clearing its FIFO drops at most what the FIFO held, never a whole script.

use std::collections::VecDeque;

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

#[derive(Clone, Debug, Default)]
pub struct Uart {
    rx: VecDeque<u8>,
    /// Host input the UART has not accepted yet.
    pending: VecDeque<u8>,
    /// Bytes the guest transmitted, not yet drained by the host.
    pub tx: Vec<u8>,
    ier: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    dll: u8,
    dlm: u8,
    fcr: u8,
    /// A "transmitter empty" interrupt is waiting to be seen.
    thre_pending: bool,
}

impl Uart {
    pub fn new() -> Self {
        Uart {
            dll: 12,
            ..Uart::default()
        }
    }

    pub fn receive(&mut self, bytes: &[u8]) {
        self.pending.extend(bytes);
        self.refill();
    }

    /// Move host input into the receive FIFO while it has room.
    fn refill(&mut self) {
        let capacity = if self.fcr & 1 != 0 { 16 } else { 1 };
        while self.rx.len() < capacity {
            match self.pending.pop_front() {
                Some(b) => self.rx.push_back(b),
                None => break,
            }
        }
    }

    fn rx_irq(&self) -> bool {
        self.ier & 1 != 0 && !self.rx.is_empty()
    }

    fn thre_irq(&self) -> bool {
        self.ier & 2 != 0 && self.thre_pending
    }

    /// The level of the IRQ 4 line (gated by MCR.OUT2 as on a PC).
    pub fn irq(&self) -> bool {
        self.mcr & 8 != 0 && (self.rx_irq() || self.thre_irq())
    }

    pub fn read(&mut self, reg: u16) -> u8 {
        let dlab = self.lcr & 0x80 != 0;
        match reg {
            0 if dlab => self.dll,
            0 => {
                let byte = self.rx.pop_front().unwrap_or(0);
                self.refill();
                byte
            }
            1 if dlab => self.dlm,
            1 => self.ier,
            2 => {
                let fifo = if self.fcr & 1 != 0 { 0xC0 } else { 0 };
                if self.rx_irq() {
                    fifo | 0x04
                } else if self.thre_irq() {
                    self.thre_pending = false;
                    fifo | 0x02
                } else {
                    fifo | 0x01
                }
            }
            3 => self.lcr,
            4 => self.mcr,
            5 => 0x60 | !self.rx.is_empty() as u8,
            6 => {
                if self.mcr & 0x10 != 0 {
                    // Loopback: DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD.
                    let m = self.mcr;
                    ((m & 1) << 5) | ((m & 2) << 3) | ((m & 4) << 4) | ((m & 8) << 4)
                } else {
                    0xB0
                }
            }
            _ => self.scr,
        }
    }

    pub fn write(&mut self, reg: u16, v: u8) {
        let dlab = self.lcr & 0x80 != 0;
        match reg {
            0 if dlab => self.dll = v,
            0 => {
                if self.mcr & 0x10 != 0 {
                    self.rx.push_back(v);
                } else {
                    self.tx.push(v);
                }
                self.thre_pending = true;
            }
            1 if dlab => self.dlm = v,
            1 => {
                // Enabling the THRE interrupt raises it at once (the holding register is empty).
                if v & 2 != 0 && self.ier & 2 == 0 {
                    self.thre_pending = true;
                }
                self.ier = v & 0x0F;
            }
            2 => {
                // Switching the FIFOs on or off flushes them (16550A datasheet; QEMU too).
                if v & 2 != 0 || (v ^ self.fcr) & 1 != 0 {
                    self.rx.clear();
                }
                self.fcr = v;
                self.refill();
            }
            3 => self.lcr = v,
            4 => self.mcr = v & 0x1F,
            7 => self.scr = v,
            _ => {}
        }
    }

    pub fn save(&self, w: &mut Writer) {
        let rx: Vec<u8> = self.rx.iter().copied().collect();
        let pending: Vec<u8> = self.pending.iter().copied().collect();
        w.bytes(&rx).bytes(&pending).bytes(&self.tx);
        w.u8(self.ier)
            .u8(self.lcr)
            .u8(self.mcr)
            .u8(self.scr)
            .u8(self.dll)
            .u8(self.dlm);
        w.u8(self.fcr).bool(self.thre_pending);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        let n = r.u64()? as usize;
        self.rx = r.bytes(n)?.iter().copied().collect();
        self.pending = r.blob()?.iter().copied().collect();
        let n = r.u64()? as usize;
        self.tx = r.bytes(n)?.to_vec();
        self.ier = r.u8()?;
        self.lcr = r.u8()?;
        self.mcr = r.u8()?;
        self.scr = r.u8()?;
        self.dll = r.u8()?;
        self.dlm = r.u8()?;
        self.fcr = r.u8()?;
        self.thre_pending = r.bool()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_input_waits_until_the_fifo_has_room() {
        let mut u = Uart::new();
        u.receive(b"ls\nshutdown\n");
        // FIFO off at reset: one byte in the holding register, the rest waits on the host side,
        // and each read lets the next one in.
        assert_eq!(u.rx.len(), 1);
        u.write(2, 0x00);
        let mut got = Vec::new();
        while u.read(5) & 1 == 1 {
            got.push(u.read(0));
        }
        assert_eq!(got, b"ls\nshutdown\n");
        // Switching the FIFO on flushes it: only the byte the UART held is lost.
        u.receive(b"0123");
        u.write(2, 0x01);
        assert_eq!((u.read(0), u.read(0), u.read(0)), (b'1', b'2', b'3'));
        assert_eq!(u.read(5) & 1, 0);
        // A clearing write drops only what the FIFO held (16 bytes).
        u.receive(b"0123456789abcdefXYZ");
        u.write(2, 0xC7);
        let mut got = Vec::new();
        while u.read(5) & 1 == 1 {
            got.push(u.read(0));
        }
        assert_eq!(got, b"XYZ");
    }

    #[test]
    fn receive_interrupt_and_line_status() {
        let mut u = Uart::new();
        u.write(1, 0x01); // IER: received data
        u.write(4, 0x08); // MCR: OUT2 routes the interrupt to the PIC
        assert!(!u.irq());
        u.receive(b"ok");
        assert!(u.irq());
        assert_eq!(u.read(2) & 0x0F, 0x04, "IIR: received data available");
        assert_eq!(u.read(5) & 1, 1, "LSR: data ready");
        assert_eq!((u.read(0), u.read(0)), (b'o', b'k'));
        assert!(!u.irq());
        u.write(0, b'x');
        assert_eq!(u.tx, b"x");
        // Divisor latch access does not transmit.
        u.write(3, 0x80);
        u.write(0, 1);
        u.write(3, 0x03);
        assert_eq!(u.tx, b"x");
    }
}
