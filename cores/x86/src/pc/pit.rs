//! The 8254 programmable interval timer: channel 0 drives IRQ 0, channel 2 is gated by
//! port 0x61 (the speaker port software uses to calibrate delays). Time is counted in
//! PIT ticks (1.193182 MHz) of the machine's virtual clock.

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

pub const PIT_HZ: u64 = 1_193_182;

#[derive(Clone, Debug, Default)]
struct Channel {
    mode: u8,
    /// 1 = low byte, 2 = high byte, 3 = low then high.
    access: u8,
    reload: u32,
    /// Tick at which the current count was loaded (or the gate rose).
    start: u64,
    latch: Option<u16>,
    write_high: bool,
    read_high: bool,
    partial: u8,
    gate: bool,
    armed: bool,
}

impl Channel {
    fn period(&self) -> u64 {
        if self.reload == 0 {
            0x10000
        } else {
            self.reload as u64
        }
    }

    fn count(&self, now: u64) -> u16 {
        if !self.armed {
            return 0;
        }
        let elapsed = now.saturating_sub(self.start);
        let p = self.period();
        match self.mode {
            2 | 3 => {
                let c = p - elapsed % p;
                let c = if self.mode == 3 { (c * 2) % p } else { c };
                c as u16
            }
            _ => (p.wrapping_sub(elapsed) & 0xFFFF) as u16,
        }
    }

    fn output(&self, now: u64) -> bool {
        if !self.armed {
            return false;
        }
        let elapsed = now.saturating_sub(self.start);
        let p = self.period();
        match self.mode {
            0 | 1 => elapsed >= p,
            2 => elapsed % p != p - 1,
            _ => elapsed % p < p / 2,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Pit {
    ch: [Channel; 3],
    /// Next tick at which channel 0 raises IRQ 0.
    next_irq: Option<u64>,
}

impl Pit {
    pub fn new() -> Self {
        let mut p = Pit::default();
        p.ch[0].gate = true;
        p.ch[1].gate = true;
        p
    }

    /// The tick at which IRQ 0 fires next, if the channel is running.
    pub fn next_irq(&self) -> Option<u64> {
        self.next_irq
    }

    /// Called when `now` has reached [`Pit::next_irq`]: schedules the following one.
    pub fn fire(&mut self) {
        let c = &self.ch[0];
        self.next_irq = match (self.next_irq, c.mode) {
            (Some(t), 2 | 3) => Some(t + c.period()),
            _ => None,
        };
    }

    fn reloaded(&mut self, idx: usize, now: u64) {
        let c = &mut self.ch[idx];
        c.start = now;
        c.armed = true;
        if idx == 0 {
            self.next_irq = Some(now + c.period());
        }
    }

    pub fn read(&mut self, port: u16, now: u64) -> u8 {
        let idx = (port & 3) as usize;
        if idx == 3 {
            return 0xFF;
        }
        let c = &mut self.ch[idx];
        let value = match c.latch {
            Some(v) => v,
            None => c.count(now),
        };
        let byte = match c.access {
            1 => value as u8,
            2 => (value >> 8) as u8,
            _ => {
                let b = if c.read_high {
                    (value >> 8) as u8
                } else {
                    value as u8
                };
                c.read_high = !c.read_high;
                if c.read_high {
                    return b;
                }
                b
            }
        };
        c.latch = None;
        byte
    }

    pub fn write(&mut self, port: u16, v: u8, now: u64) {
        let idx = (port & 3) as usize;
        if idx == 3 {
            let sel = (v >> 6) as usize;
            if sel == 3 {
                return; // read-back command: not used by our OS
            }
            let access = (v >> 4) & 3;
            if access == 0 {
                let count = self.ch[sel].count(now);
                self.ch[sel].latch = Some(count);
                return;
            }
            let c = &mut self.ch[sel];
            c.access = access;
            c.mode = match (v >> 1) & 7 {
                6 => 2,
                7 => 3,
                m => m,
            };
            c.write_high = false;
            c.read_high = false;
            c.armed = false;
            if sel == 0 {
                self.next_irq = None;
            }
            return;
        }
        let c = &mut self.ch[idx];
        match c.access {
            1 => c.reload = v as u32,
            2 => c.reload = (v as u32) << 8,
            _ => {
                if !c.write_high {
                    c.partial = v;
                    c.write_high = true;
                    return;
                }
                c.write_high = false;
                c.reload = c.partial as u32 | (v as u32) << 8;
            }
        }
        self.reloaded(idx, now);
    }

    /// Port 0x61 bit 0: the channel 2 gate.
    pub fn set_gate2(&mut self, on: bool, now: u64) {
        let c = &mut self.ch[2];
        if on && !c.gate {
            c.start = now;
        }
        c.gate = on;
    }

    pub fn out2(&self, now: u64) -> bool {
        self.ch[2].gate && self.ch[2].output(now)
    }

    pub fn save(&self, w: &mut Writer) {
        for c in &self.ch {
            w.u8(c.mode).u8(c.access).u32(c.reload).u64(c.start);
            w.u32(c.latch.map_or(u32::MAX, |v| v as u32));
            w.bool(c.write_high)
                .bool(c.read_high)
                .u8(c.partial)
                .bool(c.gate)
                .bool(c.armed);
        }
        w.u64(self.next_irq.unwrap_or(u64::MAX));
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        for c in &mut self.ch {
            c.mode = r.u8()?;
            c.access = r.u8()?;
            c.reload = r.u32()?;
            c.start = r.u64()?;
            let l = r.u32()?;
            c.latch = (l != u32::MAX).then_some(l as u16);
            c.write_high = r.bool()?;
            c.read_high = r.bool()?;
            c.partial = r.u8()?;
            c.gate = r.bool()?;
            c.armed = r.bool()?;
        }
        let n = r.u64()?;
        self.next_irq = (n != u64::MAX).then_some(n);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_channel_0() {
        let mut p = Pit::new();
        p.write(0x43, 0x34, 0);
        p.write(0x40, 0x9C, 0);
        p.write(0x40, 0x2E, 100); // 11932: 100 Hz
        assert_eq!(p.next_irq(), Some(100 + 11932));
        p.fire();
        assert_eq!(p.next_irq(), Some(100 + 2 * 11932));
        p.write(0x43, 0x00, 100 + 10);
        assert_eq!(
            p.read(0x40, 200) as u16 | (p.read(0x40, 200) as u16) << 8,
            11932 - 10
        );
    }
}
