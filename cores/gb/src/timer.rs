//! DIV and TIMA. DIV is the top byte of a 16-bit counter that runs at the T-cycle rate; TIMA
//! counts falling edges of one of its bits (chosen by TAC) ANDed with the enable bit, so writes to
//! DIV or TAC can tick TIMA. An overflow leaves TIMA at 0 for one M-cycle before TMA is loaded
//! and the interrupt raised.

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

#[derive(Clone, Debug)]
pub struct Timer {
    /// The internal 16-bit divider; DIV is its upper byte.
    pub counter: u16,
    pub tima: u8,
    pub tma: u8,
    pub tac: u8,
    /// TIMA overflowed during the last M-cycle: reload at the next one.
    overflow: bool,
    /// TMA was loaded during this M-cycle: CPU writes to TIMA are ignored, writes to TMA go through.
    reloading: bool,
    /// Low counter bits that are all zero right after the selected bit falls (from TAC).
    edge_mask: u16,
}

/// Counter bit whose falling edge ticks TIMA, by TAC's low two bits.
const TAC_BIT: [u16; 4] = [1 << 9, 1 << 3, 1 << 5, 1 << 7];

impl Timer {
    pub fn new(counter: u16) -> Self {
        let mut t = Timer {
            counter,
            tima: 0,
            tma: 0,
            tac: 0xF8,
            overflow: false,
            reloading: false,
            edge_mask: 0,
        };
        t.set_tac(0xF8);
        t
    }

    fn set_tac(&mut self, v: u8) {
        self.tac = v | 0xF8;
        self.edge_mask = (TAC_BIT[(v & 3) as usize] << 1) - 1;
    }

    #[inline(always)]
    fn signal(&self, counter: u16) -> bool {
        self.tac & 4 != 0 && counter & TAC_BIT[(self.tac & 3) as usize] != 0
    }

    #[inline(always)]
    fn increment(&mut self) {
        let (v, over) = self.tima.overflowing_add(1);
        self.tima = v;
        if over {
            self.overflow = true;
        }
    }

    /// Advance one M-cycle. Returns true when the timer interrupt is raised.
    #[inline(always)]
    pub fn tick(&mut self) -> bool {
        let mut irq = false;
        if self.overflow | self.reloading {
            self.reloading = false;
            if self.overflow {
                self.overflow = false;
                self.tima = self.tma;
                self.reloading = true;
                irq = true;
            }
        }
        self.counter = self.counter.wrapping_add(4);
        // The counter moves in steps of 4, so the selected bit falls exactly when every bit
        // up to and including it wraps to zero.
        if self.counter & self.edge_mask == 0 && self.tac & 4 != 0 {
            self.increment();
        }
        irq
    }

    pub fn read(&self, reg: u8) -> u8 {
        match reg {
            0x04 => (self.counter >> 8) as u8,
            0x05 => self.tima,
            0x06 => self.tma,
            _ => self.tac | 0xF8,
        }
    }

    pub fn write(&mut self, reg: u8, v: u8) {
        match reg {
            0x04 => {
                let was = self.signal(self.counter);
                self.counter = 0;
                if was {
                    self.increment();
                }
            }
            0x05 => {
                if !self.reloading {
                    self.tima = v;
                    self.overflow = false;
                }
            }
            0x06 => {
                self.tma = v;
                if self.reloading {
                    self.tima = v;
                }
            }
            _ => {
                let was = self.signal(self.counter);
                self.set_tac(v);
                if was && !self.signal(self.counter) {
                    self.increment();
                }
            }
        }
    }

    pub fn save(&self, w: &mut Writer) {
        w.u16(self.counter).u8(self.tima).u8(self.tma).u8(self.tac);
        w.bool(self.overflow).bool(self.reloading);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.counter = r.u16()?;
        self.tima = r.u8()?;
        self.tma = r.u8()?;
        let tac = r.u8()?;
        self.set_tac(tac);
        self.overflow = r.bool()?;
        self.reloading = r.bool()?;
        Ok(())
    }
}
