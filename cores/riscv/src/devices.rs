//! Devices of the bare-metal machine: CLINT timer, 16550 UART, the PLIC (`plic.rs`) and
//! HTIF (tohost/fromhost). Addresses follow QEMU's virt board.

pub mod plic;

use std::collections::VecDeque;

pub use plic::{Plic, PLIC_BASE, PLIC_SIZE};

pub const CLINT_BASE: u64 = 0x0200_0000;
pub const CLINT_SIZE: u64 = 0x1_0000;
pub const UART_BASE: u64 = 0x1000_0000;
pub const UART_SIZE: u64 = 0x100;

/// Core-local interruptor: software interrupt bit, timer compare and the time counter.
#[derive(Default)]
pub struct Clint {
    pub msip: bool,
    pub mtimecmp: u64,
    /// mtime = instructions retired + this offset (writes and WFI fast-forward move it).
    pub mtime_offset: u64,
}

impl Clint {
    pub fn mtime(&self, instret: u64) -> u64 {
        instret.wrapping_add(self.mtime_offset)
    }

    /// Read `len` bytes at `off` inside the CLINT.
    pub fn read(&self, off: u64, len: u64, instret: u64) -> u64 {
        let (reg, shift) = match off {
            0..=3 => (self.msip as u64, 0),
            0x4000..=0x4007 => (self.mtimecmp, (off - 0x4000) * 8),
            0xbff8..=0xbfff => (self.mtime(instret), (off - 0xbff8) * 8),
            _ => return 0,
        };
        mask(reg >> shift, len)
    }

    pub fn write(&mut self, off: u64, len: u64, value: u64, instret: u64) {
        match off {
            0..=3 => self.msip = value & 1 != 0,
            0x4000..=0x4007 => self.mtimecmp = merge(self.mtimecmp, (off - 0x4000) * 8, len, value),
            0xbff8..=0xbfff => {
                let t = merge(self.mtime(instret), (off - 0xbff8) * 8, len, value);
                self.mtime_offset = t.wrapping_sub(instret);
            }
            _ => {}
        }
    }
}

fn mask(v: u64, len: u64) -> u64 {
    if len >= 8 { v } else { v & ((1 << (len * 8)) - 1) }
}

fn merge(old: u64, shift: u64, len: u64, value: u64) -> u64 {
    let m = if len >= 8 { u64::MAX } else { ((1u64 << (len * 8)) - 1) << shift };
    (old & !m) | ((value << shift) & m)
}

/// A 16550-style UART: transmit goes to the serial output, receive from a queue. It raises
/// its interrupt line (PLIC source 10) for received data (IER bit 0) and for an empty
/// transmit register (IER bit 1) as QEMU's does; transmission is instant.
#[derive(Default)]
pub struct Uart {
    pub rx: VecDeque<u8>,
    pub tx: Vec<u8>,
    ier: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    dll: u8,
    dlm: u8,
    /// The "transmitter holding register empty" interrupt is waiting to be seen: set when
    /// it is enabled and after each byte sent, cleared by reading IIR while it is the
    /// reported cause.
    thr_ipending: bool,
}

const IER_RDA: u8 = 1;
const IER_THRE: u8 = 2;
const IIR_NONE: u8 = 0x01;
const IIR_THRE: u8 = 0x02;
const IIR_RDA: u8 = 0x04;
/// IIR bits 7:6 say the FIFOs are enabled.
const IIR_FIFO: u8 = 0xc0;

/// Number of bytes [`Uart::regs`] returns.
pub const UART_REGS: usize = 7;

impl Uart {
    /// The interrupt identification: received data first, then transmitter empty.
    fn iir(&self) -> u8 {
        if self.ier & IER_RDA != 0 && !self.rx.is_empty() {
            IIR_RDA
        } else if self.ier & IER_THRE != 0 && self.thr_ipending {
            IIR_THRE
        } else {
            IIR_NONE
        }
    }

    /// The interrupt line to the PLIC.
    pub fn irq(&self) -> bool {
        self.iir() != IIR_NONE
    }

    pub fn read(&mut self, off: u64) -> u8 {
        let dlab = self.lcr & 0x80 != 0;
        match off {
            0 if dlab => self.dll,
            0 => self.rx.pop_front().unwrap_or(0),
            1 if dlab => self.dlm,
            1 => self.ier,
            2 => {
                let iir = self.iir();
                if iir == IIR_THRE {
                    self.thr_ipending = false;
                }
                IIR_FIFO | iir
            }
            3 => self.lcr,
            4 => self.mcr,
            5 => 0x60 | (!self.rx.is_empty()) as u8,
            6 => 0xb0,
            7 => self.scr,
            _ => 0,
        }
    }

    pub fn write(&mut self, off: u64, value: u8) {
        let dlab = self.lcr & 0x80 != 0;
        match off {
            0 if dlab => self.dll = value,
            0 => {
                self.tx.push(value);
                self.thr_ipending = true;
            }
            1 if dlab => self.dlm = value,
            1 => {
                let value = value & 0x0f;
                if value & IER_THRE != 0 && self.ier & IER_THRE == 0 {
                    self.thr_ipending = true;
                }
                self.ier = value;
            }
            3 => self.lcr = value,
            4 => self.mcr = value,
            7 => self.scr = value,
            _ => {}
        }
    }

    /// The registers that a save state must keep.
    pub fn regs(&self) -> [u8; UART_REGS] {
        [self.ier, self.lcr, self.mcr, self.scr, self.dll, self.dlm, self.thr_ipending as u8]
    }

    pub fn set_regs(&mut self, r: [u8; UART_REGS]) {
        let thr;
        [self.ier, self.lcr, self.mcr, self.scr, self.dll, self.dlm, thr] = r;
        self.thr_ipending = thr != 0;
    }
}

/// What a write to `tohost` asked for.
pub enum HtifCommand {
    /// Test finished: 0 is pass, otherwise (failing test number << 1) | 1 was written.
    Exit(u64),
    /// Console output of one byte.
    Putchar(u8),
    /// Something we do not implement (syscall proxy); acknowledged and ignored.
    Other,
}

/// Interpret a nonzero tohost value.
pub fn htif_command(value: u64) -> HtifCommand {
    let device = value >> 56;
    let cmd = (value >> 48) & 0xff;
    match (device, cmd) {
        (0, _) if value & 1 == 1 => HtifCommand::Exit(value >> 1),
        (1, 1) => HtifCommand::Putchar(value as u8),
        _ => HtifCommand::Other,
    }
}

/// The device interrupt lines into the PLIC, bit n = source n.
pub fn irq_levels(uart: &Uart) -> u64 {
    (uart.irq() as u64) << plic::UART_IRQ
}
