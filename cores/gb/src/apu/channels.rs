//! The four voices: two pulse channels (the first with sweep), the wave channel and the noise
//! channel. Each keeps its frequency timer in T-cycles and reports a 4-bit digital output.

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

use super::units::{Envelope, Length, Sweep};

const DUTY: [u8; 4] = [0b0000_0001, 0b1000_0001, 0b1000_0111, 0b0111_1110];

/// Pulse channel (NR10-NR14 or NR21-NR24).
#[derive(Clone, Debug, Default)]
pub struct Pulse {
    pub on: bool,
    pub duty: u8,
    pub freq: u16,
    step: u8,
    timer: i32,
    pub length: Length,
    pub env: Envelope,
    pub sweep: Sweep,
    has_sweep: bool,
}

impl Pulse {
    pub fn new(has_sweep: bool) -> Self {
        Pulse {
            has_sweep,
            ..Default::default()
        }
    }

    #[inline(always)]
    pub fn tick(&mut self, t: i32) {
        self.timer -= t;
        while self.timer <= 0 {
            self.timer += (2048 - self.freq as i32) * 4;
            self.step = (self.step + 1) & 7;
        }
    }

    pub fn output(&self) -> u8 {
        if self.on && (DUTY[self.duty as usize] >> self.step) & 1 != 0 {
            self.env.volume
        } else {
            0
        }
    }

    pub fn trigger(&mut self) {
        self.on = self.env.dac_on();
        if self.length.counter == 0 {
            self.length.counter = 64;
        }
        self.timer = (2048 - self.freq as i32) * 4;
        self.env.trigger();
        if self.has_sweep && !self.sweep.trigger(self.freq) {
            self.on = false;
        }
    }

    pub fn clock_sweep(&mut self) {
        if !self.has_sweep {
            return;
        }
        match self.sweep.clock() {
            Ok(Some(f)) => self.freq = f,
            Ok(None) => {}
            Err(()) => self.on = false,
        }
    }

    pub fn save(&self, w: &mut Writer) {
        w.bool(self.on)
            .u8(self.duty)
            .u16(self.freq)
            .u8(self.step)
            .u32(self.timer as u32);
        self.length.save(w);
        self.env.save(w);
        self.sweep.save(w);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.on = r.bool()?;
        self.duty = r.u8()? & 3;
        self.freq = r.u16()? & 0x7FF;
        self.step = r.u8()? & 7;
        self.timer = (r.u32()? as i32).clamp(-(1 << 13), 1 << 22);
        self.length.load(r)?;
        self.env.load(r)?;
        self.sweep.load(r)
    }
}

/// Wave channel (NR30-NR34 and wave RAM FF30-FF3F).
#[derive(Clone, Debug, Default)]
pub struct Wave {
    pub on: bool,
    pub dac: bool,
    /// NR32 output level: 0 mute, 1 100 %, 2 50 %, 3 25 %.
    pub level: u8,
    pub freq: u16,
    pub ram: [u8; 16],
    position: u8,
    sample: u8,
    timer: i32,
    pub length: Length,
}

impl Wave {
    #[inline(always)]
    pub fn tick(&mut self, t: i32) {
        self.timer -= t;
        while self.timer <= 0 {
            self.timer += (2048 - self.freq as i32) * 2;
            self.position = (self.position + 1) & 31;
            let byte = self.ram[(self.position >> 1) as usize];
            self.sample = if self.position & 1 == 0 {
                byte >> 4
            } else {
                byte & 0xF
            };
        }
    }

    pub fn output(&self) -> u8 {
        if !self.on || self.level == 0 {
            return 0;
        }
        self.sample >> (self.level - 1)
    }

    pub fn trigger(&mut self) {
        self.on = self.dac;
        if self.length.counter == 0 {
            self.length.counter = 256;
        }
        self.timer = (2048 - self.freq as i32) * 2 + 6;
        self.position = 0;
    }

    pub fn save(&self, w: &mut Writer) {
        w.bool(self.on)
            .bool(self.dac)
            .u8(self.level)
            .u16(self.freq)
            .bytes(&self.ram);
        w.u8(self.position).u8(self.sample).u32(self.timer as u32);
        self.length.save(w);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.on = r.bool()?;
        self.dac = r.bool()?;
        self.level = r.u8()? & 3;
        self.freq = r.u16()? & 0x7FF;
        r.blob_into(&mut self.ram)?;
        self.position = r.u8()? & 31;
        self.sample = r.u8()? & 15;
        self.timer = (r.u32()? as i32).clamp(-(1 << 13), 1 << 22);
        self.length.load(r)
    }
}

/// Noise channel (NR41-NR44): a 15-bit (or 7-bit) LFSR.
#[derive(Clone, Debug)]
pub struct Noise {
    pub on: bool,
    /// NR43: clock shift, width, divisor code.
    pub poly: u8,
    lfsr: u16,
    timer: i32,
    pub length: Length,
    pub env: Envelope,
}

impl Default for Noise {
    fn default() -> Self {
        Noise {
            on: false,
            poly: 0,
            lfsr: 0x7FFF,
            timer: 8,
            length: Length::default(),
            env: Envelope::default(),
        }
    }
}

impl Noise {
    fn period(&self) -> i32 {
        let div = match self.poly & 7 {
            0 => 8,
            n => n as i32 * 16,
        };
        div << (self.poly >> 4)
    }

    #[inline(always)]
    pub fn tick(&mut self, t: i32) {
        self.timer -= t;
        while self.timer <= 0 {
            self.timer += self.period();
            if self.poly >> 4 >= 14 {
                continue;
            }
            let bit = (self.lfsr ^ (self.lfsr >> 1)) & 1;
            self.lfsr = (self.lfsr >> 1) | (bit << 14);
            if self.poly & 8 != 0 {
                self.lfsr = (self.lfsr & !0x40) | (bit << 6);
            }
        }
    }

    pub fn output(&self) -> u8 {
        if self.on && self.lfsr & 1 == 0 {
            self.env.volume
        } else {
            0
        }
    }

    pub fn trigger(&mut self) {
        self.on = self.env.dac_on();
        if self.length.counter == 0 {
            self.length.counter = 64;
        }
        self.timer = self.period();
        self.lfsr = 0x7FFF;
        self.env.trigger();
    }

    pub fn save(&self, w: &mut Writer) {
        w.bool(self.on)
            .u8(self.poly)
            .u16(self.lfsr)
            .u32(self.timer as u32);
        self.length.save(w);
        self.env.save(w);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.on = r.bool()?;
        self.poly = r.u8()?;
        self.lfsr = r.u16()? & 0x7FFF;
        self.timer = (r.u32()? as i32).clamp(-(1 << 13), 1 << 22);
        self.length.load(r)?;
        self.env.load(r)
    }
}
