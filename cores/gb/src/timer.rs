//! DIV and TIMA. DIV is the top byte of a 16-bit counter that runs at the T-cycle rate; TIMA
//! counts falling edges of one of its bits (chosen by TAC) ANDed with the enable bit, so writes to
//! DIV or TAC can tick TIMA. An overflow leaves TIMA at 0 for one M-cycle before TMA is loaded
//! and the interrupt raised.
//!
//! The timer is clocked lazily: between its events (a TIMA overflow and reload, a divider edge
//! the machine listens to) only the divider and TIMA count, and both are functions of the
//! clock, so the timer is brought up to date when the CPU touches it and stepped exactly when
//! [`Timer::next_due`] says something happens.

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
    /// The T-cycle `counter` and `tima` are valid at.
    synced: u64,
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
            synced: 0,
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

    /// The divider at T-cycle `now` (no event lies between the last sync and `now`).
    #[inline(always)]
    pub fn counter_at(&self, now: u64) -> u16 {
        self.counter.wrapping_add((now - self.synced) as u16)
    }

    /// Falling edges of the selected bit (with the timer enabled) between the last sync and
    /// T-cycle `now`: the counter steps by 4, so the bit falls each time the counter reaches a
    /// multiple of the bit's period (never, for a counter off the 4-step grid, as when stepped).
    #[inline(always)]
    fn edges_until(&self, now: u64) -> u64 {
        if self.tac & 4 == 0 || self.counter & 3 != 0 {
            return 0;
        }
        let shift = self.edge_mask.trailing_ones();
        let from = self.counter as u64;
        let to = from + (now - self.synced) / 4 * 4;
        (to >> shift) - (from >> shift)
    }

    /// TIMA at T-cycle `now`. An overflow is an event ([`Timer::next_due`]), so none lies
    /// between the last sync and `now`.
    #[inline(always)]
    fn tima_at(&self, now: u64) -> u8 {
        (self.tima as u64 + self.edges_until(now)) as u8
    }

    /// Bring the divider and TIMA up to T-cycle `now`.
    #[inline(always)]
    pub fn sync(&mut self, now: u64) {
        let tima = self.tima as u64 + self.edges_until(now);
        debug_assert!(tima <= 0xFF, "a TIMA overflow ran unscheduled");
        if tima > 0xFF {
            self.overflow = true;
        }
        self.tima = tima as u8;
        self.counter = self.counter_at(now);
        self.synced = now;
    }

    /// Take `now` as the time `counter` is valid at (after a state load).
    pub fn set_clock(&mut self, now: u64) {
        self.synced = now;
    }

    /// Run the M-cycle that ends at T-cycle `now`, exactly. Returns true when the timer
    /// interrupt is raised.
    pub fn tick_to(&mut self, now: u64) -> bool {
        self.sync(now - 4);
        self.synced = now;
        self.tick()
    }

    /// The T-cycle ending the next M-cycle where something happens: a reload, the TIMA edge
    /// that overflows it, or a divider edge with the low bits of `listen_mask` all zero (the
    /// frame sequencer's bit 12, the serial clock's bit 8).
    pub fn next_due(&self, listen_mask: u16) -> u64 {
        if self.overflow | self.reloading {
            return self.synced + 4;
        }
        // T-cycles until the counter's low bits under `mask` next wrap to zero.
        let until = |mask: u16| (mask as u64 + 1) - (self.counter & mask) as u64;
        let mut due = until(listen_mask);
        if self.tac & 4 != 0 {
            // The next edge, then one more period for each count TIMA has left before 0xFF.
            let period = self.edge_mask as u64 + 1;
            due = due.min(until(self.edge_mask) + (0xFF - self.tima) as u64 * period);
        }
        // The counter moves in steps of 4; a misaligned loaded state waits for the next step.
        self.synced + due.next_multiple_of(4)
    }

    /// Advance one M-cycle. Returns true when the timer interrupt is raised.
    #[inline(always)]
    fn tick(&mut self) -> bool {
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

    /// A register read at T-cycle `now`.
    pub fn read(&self, reg: u8, now: u64) -> u8 {
        match reg {
            0x04 => (self.counter_at(now) >> 8) as u8,
            0x05 => self.tima_at(now),
            0x06 => self.tma,
            _ => self.tac | 0xF8,
        }
    }

    /// A register write at T-cycle `now`.
    pub fn write(&mut self, reg: u8, v: u8, now: u64) {
        self.sync(now);
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

    /// Save the state as of T-cycle `now`.
    pub fn save(&self, w: &mut Writer, now: u64) {
        w.u16(self.counter_at(now)).u8(self.tima_at(now)).u8(self.tma).u8(self.tac);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A timer stepped only at the cycles [`Timer::next_due`] names (TIMA counting lazily in
    /// between) reads and interrupts exactly like one stepped every M-cycle, through register
    /// writes too, and is stepped at every divider edge the machine needs.
    #[test]
    fn stepping_at_next_due_matches_stepping_every_cycle() {
        for tac in 0..8u8 {
            let mut every = Timer::new(0xABCC);
            every.write(0x07, tac, 0);
            every.write(0x06, 0xFE, 0);
            let mut lazy = every.clone();
            let mut due = lazy.next_due(0x1FFF);
            for m in 1..20_000u64 {
                let now = m * 4;
                let irq = every.tick_to(now);
                let mut lazy_irq = false;
                if now >= due {
                    lazy_irq = lazy.tick_to(now);
                    due = lazy.next_due(0x1FFF);
                } else {
                    assert_ne!(every.counter & 0x1FFF, 0, "missed an edge at {now}");
                }
                assert_eq!(irq, lazy_irq, "TAC {tac:#x}, cycle {now}");
                for reg in 4..=7 {
                    assert_eq!(every.read(reg, now), lazy.read(reg, now), "TAC {tac:#x}");
                }
                // Now and then the CPU writes a register mid-count (TAC keeps the timer on
                // half the time, so counting resumes from the written state).
                if m % 733 == 0 {
                    let reg = 4 + (m / 733 % 4) as u8;
                    let v = if reg == 7 { tac | (m as u8 & 4) } else { m as u8 };
                    every.write(reg, v, now);
                    lazy.write(reg, v, now);
                    due = lazy.next_due(0x1FFF);
                }
            }
        }
    }
}
