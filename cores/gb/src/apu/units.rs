//! The small units the channels share: length counter, volume envelope, frequency sweep.

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

/// Counts down at 256 Hz when enabled; at zero it silences its channel.
#[derive(Clone, Debug, Default)]
pub struct Length {
    pub counter: u16,
    pub enabled: bool,
}

impl Length {
    /// One 256 Hz clock; returns true when the channel must switch off.
    pub fn clock(&mut self) -> bool {
        if self.enabled && self.counter > 0 {
            self.counter -= 1;
            return self.counter == 0;
        }
        false
    }

    pub fn save(&self, w: &mut Writer) {
        w.u16(self.counter).bool(self.enabled);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.counter = r.u16()?;
        self.enabled = r.bool()?;
        Ok(())
    }
}

/// Volume envelope (NRx2): initial volume, direction and period, clocked at 64 Hz.
#[derive(Clone, Debug, Default)]
pub struct Envelope {
    pub reg: u8,
    pub volume: u8,
    timer: u8,
}

impl Envelope {
    /// The DAC is powered while the top five bits of NRx2 are not all zero.
    pub fn dac_on(&self) -> bool {
        self.reg & 0xF8 != 0
    }

    pub fn trigger(&mut self) {
        self.volume = self.reg >> 4;
        self.timer = self.reg & 7;
    }

    pub fn clock(&mut self) {
        let period = self.reg & 7;
        if period == 0 {
            return;
        }
        if self.timer > 0 {
            self.timer -= 1;
        }
        if self.timer == 0 {
            self.timer = period;
            if self.reg & 8 != 0 && self.volume < 15 {
                self.volume += 1;
            } else if self.reg & 8 == 0 && self.volume > 0 {
                self.volume -= 1;
            }
        }
    }

    pub fn save(&self, w: &mut Writer) {
        w.u8(self.reg).u8(self.volume).u8(self.timer);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.reg = r.u8()?;
        self.volume = r.u8()?;
        self.timer = r.u8()?;
        Ok(())
    }
}

/// Channel 1's frequency sweep (NR10), clocked at 128 Hz.
#[derive(Clone, Debug, Default)]
pub struct Sweep {
    pub reg: u8,
    enabled: bool,
    shadow: u16,
    timer: u8,
}

impl Sweep {
    fn next(&self) -> u16 {
        let delta = self.shadow >> (self.reg & 7);
        if self.reg & 8 != 0 {
            self.shadow.wrapping_sub(delta)
        } else {
            self.shadow + delta
        }
    }

    /// On trigger: returns false when the first overflow check already silences the channel.
    pub fn trigger(&mut self, freq: u16) -> bool {
        self.shadow = freq;
        let period = (self.reg >> 4) & 7;
        self.timer = if period == 0 { 8 } else { period };
        self.enabled = period != 0 || self.reg & 7 != 0;
        !(self.reg & 7 != 0 && self.next() > 2047)
    }

    /// One 128 Hz clock: Some(new frequency) to apply, or Err(()) when it overflows.
    pub fn clock(&mut self) -> Result<Option<u16>, ()> {
        if self.timer > 0 {
            self.timer -= 1;
        }
        if self.timer != 0 {
            return Ok(None);
        }
        let period = (self.reg >> 4) & 7;
        self.timer = if period == 0 { 8 } else { period };
        if !self.enabled || period == 0 {
            return Ok(None);
        }
        let f = self.next();
        if f > 2047 {
            return Err(());
        }
        if self.reg & 7 == 0 {
            return Ok(None);
        }
        self.shadow = f;
        if self.next() > 2047 {
            return Err(());
        }
        Ok(Some(f))
    }

    pub fn save(&self, w: &mut Writer) {
        w.u8(self.reg)
            .bool(self.enabled)
            .u16(self.shadow)
            .u8(self.timer);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.reg = r.u8()?;
        self.enabled = r.bool()?;
        self.shadow = r.u16()?;
        self.timer = r.u8()?;
        Ok(())
    }
}
