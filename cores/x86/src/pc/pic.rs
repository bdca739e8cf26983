//! The 8259A programmable interrupt controller pair (master at 0x20, slave at 0xA0,
//! cascaded on IRQ 2). Edge-triggered, fully nested mode, as PCs use it.

#[derive(Clone, Debug, Default)]
struct Chip {
    irr: u8,
    isr: u8,
    imr: u8,
    base: u8,
    /// Which initialisation word comes next (0 = initialised).
    icw_step: u8,
    needs_icw4: bool,
    auto_eoi: bool,
    read_isr: bool,
    /// Input line levels, for edge detection.
    lines: u8,
}

impl Chip {
    fn write_command(&mut self, v: u8) {
        if v & 0x10 != 0 {
            // ICW1: start initialisation.
            self.icw_step = 2;
            self.needs_icw4 = v & 1 != 0;
            self.imr = 0;
            self.isr = 0;
            self.irr = 0;
            self.read_isr = false;
        } else if v & 0x08 != 0 {
            // OCW3.
            if v & 2 != 0 {
                self.read_isr = v & 1 != 0;
            }
        } else {
            // OCW2: end of interrupt.
            match v >> 5 {
                1 if self.isr != 0 => self.isr &= self.isr - 1,
                3 => self.isr &= !(1 << (v & 7)),
                _ => {}
            }
        }
    }

    fn write_data(&mut self, v: u8) {
        match self.icw_step {
            2 => {
                self.base = v & 0xF8;
                self.icw_step = 3;
            }
            3 => self.icw_step = if self.needs_icw4 { 4 } else { 0 },
            4 => {
                self.auto_eoi = v & 2 != 0;
                self.icw_step = 0;
            }
            _ => self.imr = v,
        }
    }

    /// Highest-priority requested line that may interrupt now.
    fn pending(&self) -> Option<u8> {
        let req = self.irr & !self.imr;
        if req == 0 {
            return None;
        }
        let line = req.trailing_zeros() as u8;
        // Fully nested: a line in service blocks itself and everything of lower priority.
        if self.isr != 0 && self.isr.trailing_zeros() as u8 <= line {
            return None;
        }
        Some(line)
    }

    fn set_line(&mut self, line: u8, level: bool) {
        let bit = 1 << line;
        if level && self.lines & bit == 0 {
            self.irr |= bit;
        }
        if level {
            self.lines |= bit;
        } else {
            self.lines &= !bit;
            self.irr &= !bit;
        }
    }
}

/// The two cascaded 8259s.
#[derive(Clone, Debug, Default)]
pub struct Pic {
    chips: [Chip; 2],
}

impl Pic {
    pub fn new() -> Self {
        let mut p = Pic::default();
        p.chips[0].base = 0x08;
        p.chips[1].base = 0x70;
        p
    }

    /// Drive IRQ line `irq` (0..15) to `level`; a rising edge requests an interrupt.
    pub fn set_irq(&mut self, irq: u8, level: bool) {
        if irq < 8 {
            self.chips[0].set_line(irq, level);
        } else {
            self.chips[1].set_line(irq - 8, level);
            let slave = self.chips[1].pending().is_some();
            self.chips[0].set_line(2, slave);
        }
    }

    /// Pulse an edge-triggered line.
    pub fn pulse(&mut self, irq: u8) {
        self.set_irq(irq, false);
        self.set_irq(irq, true);
    }

    pub fn has_pending(&self) -> bool {
        self.chips[0].pending().is_some()
    }

    /// INTA: the vector of the highest-priority pending interrupt, moving it in service.
    pub fn acknowledge(&mut self) -> Option<u8> {
        let line = self.chips[0].pending()?;
        let m = &mut self.chips[0];
        m.irr &= !(1 << line);
        if !m.auto_eoi {
            m.isr |= 1 << line;
        }
        if line != 2 {
            return Some(m.base + line);
        }
        let base = m.base;
        let s = &mut self.chips[1];
        let Some(sl) = s.pending() else {
            // Spurious interrupt from the slave: IRQ 15's vector.
            return Some(base + 7);
        };
        s.irr &= !(1 << sl);
        if !s.auto_eoi {
            s.isr |= 1 << sl;
        }
        let v = s.base + sl;
        let still = self.chips[1].pending().is_some();
        self.chips[0].lines &= !(1 << 2);
        self.chips[0].set_line(2, still);
        Some(v)
    }

    pub fn read(&self, port: u16) -> u8 {
        let c = &self.chips[(port >= 0xA0) as usize];
        if port & 1 == 0 {
            if c.read_isr { c.isr } else { c.irr }
        } else {
            c.imr
        }
    }

    pub fn write(&mut self, port: u16, v: u8) {
        let idx = (port >= 0xA0) as usize;
        if port & 1 == 0 {
            self.chips[idx].write_command(v);
        } else {
            self.chips[idx].write_data(v);
        }
        // A slave EOI or unmask may let a queued slave interrupt through the cascade.
        let slave = self.chips[1].pending().is_some();
        if slave {
            self.chips[0].lines &= !(1 << 2);
        }
        self.chips[0].set_line(2, slave);
    }

    pub fn save(&self, w: &mut wb_machine::state::Writer) {
        for c in &self.chips {
            w.u8(c.irr).u8(c.isr).u8(c.imr).u8(c.base).u8(c.icw_step);
            w.bool(c.needs_icw4)
                .bool(c.auto_eoi)
                .bool(c.read_isr)
                .u8(c.lines);
        }
    }

    pub fn load(
        &mut self,
        r: &mut wb_machine::state::Reader,
    ) -> Result<(), wb_machine::StateError> {
        for c in &mut self.chips {
            c.irr = r.u8()?;
            c.isr = r.u8()?;
            c.imr = r.u8()?;
            c.base = r.u8()?;
            c.icw_step = r.u8()?;
            c.needs_icw4 = r.bool()?;
            c.auto_eoi = r.bool()?;
            c.read_isr = r.bool()?;
            c.lines = r.u8()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remap_mask_and_eoi() {
        let mut p = Pic::new();
        for (port, v) in [
            (0x20, 0x11),
            (0x21, 0x20),
            (0x21, 4),
            (0x21, 1),
            (0xA0, 0x11),
            (0xA1, 0x28),
            (0xA1, 2),
            (0xA1, 1),
        ] {
            p.write(port, v);
        }
        p.write(0x21, 0xFE);
        p.pulse(1);
        assert!(!p.has_pending(), "IRQ1 is masked");
        p.pulse(0);
        assert_eq!(p.acknowledge(), Some(0x20));
        p.pulse(0);
        assert!(!p.has_pending(), "IRQ0 in service blocks itself");
        p.write(0x20, 0x20);
        assert_eq!(p.acknowledge(), Some(0x20));
        p.write(0x20, 0x20);
        p.write(0x21, 0xFB);
        p.write(0xA1, 0xEF);
        p.pulse(12);
        assert_eq!(p.acknowledge(), Some(0x2C));
    }
}
