//! The MBC3 real-time clock: seconds, minutes, hours and a 9-bit day counter with halt and
//! carry flags, latched into a readable copy. It runs on emulated time (so runs and save states
//! are reproducible), not the host's clock.

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

/// M-cycles per emulated second.
const CYCLES_PER_SECOND: u32 = 1 << 20;

#[derive(Clone, Debug, Default)]
pub struct Rtc {
    /// Live registers: seconds, minutes, hours, day low, day high (bit 0 day 8, 6 halt, 7 carry).
    pub live: [u8; 5],
    pub latched: [u8; 5],
    subsecond: u32,
}

impl Rtc {
    #[inline(always)]
    pub fn tick(&mut self) {
        if self.live[4] & 0x40 != 0 {
            return;
        }
        self.subsecond += 1;
        if self.subsecond >= CYCLES_PER_SECOND {
            self.subsecond = 0;
            self.advance_second();
        }
    }

    fn advance_second(&mut self) {
        let r = &mut self.live;
        r[0] = r[0].wrapping_add(1) & 0x3F;
        if r[0] != 60 {
            return;
        }
        r[0] = 0;
        r[1] = r[1].wrapping_add(1) & 0x3F;
        if r[1] != 60 {
            return;
        }
        r[1] = 0;
        r[2] = r[2].wrapping_add(1) & 0x1F;
        if r[2] != 24 {
            return;
        }
        r[2] = 0;
        let day = (((r[4] & 1) as u16) << 8 | r[3] as u16) + 1;
        r[3] = day as u8;
        r[4] = (r[4] & 0xFE) | ((day >> 8) as u8 & 1);
        if day > 0x1FF {
            r[3] = 0;
            r[4] = (r[4] & 0xFE) | 0x80;
        }
    }

    pub fn latch(&mut self) {
        self.latched = self.live;
    }

    pub fn read(&self, reg: u8) -> u8 {
        match reg {
            0x08 => self.latched[0] | 0xC0,
            0x09 => self.latched[1] | 0xC0,
            0x0A => self.latched[2] | 0xE0,
            0x0B => self.latched[3],
            0x0C => self.latched[4] | 0x3E,
            _ => 0xFF,
        }
    }

    pub fn write(&mut self, reg: u8, v: u8) {
        match reg {
            0x08 => {
                self.live[0] = v & 0x3F;
                self.subsecond = 0;
            }
            0x09 => self.live[1] = v & 0x3F,
            0x0A => self.live[2] = v & 0x1F,
            0x0B => self.live[3] = v,
            0x0C => self.live[4] = v & 0xC1,
            _ => {}
        }
    }

    /// The 48-byte trailer emulators append to .sav files: live then latched registers as
    /// little-endian u32, then a u64 timestamp (we write 0: the clock runs on emulated time).
    pub fn to_sav(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(48);
        for &v in self.live.iter().chain(self.latched.iter()) {
            out.extend_from_slice(&(v as u32).to_le_bytes());
        }
        out.extend_from_slice(&0u64.to_le_bytes());
        out
    }

    pub fn load_sav(&mut self, data: &[u8]) {
        for (i, chunk) in data.chunks_exact(4).take(10).enumerate() {
            let v = chunk[0];
            if i < 5 {
                self.live[i] = v;
            } else {
                self.latched[i - 5] = v;
            }
        }
    }

    pub fn save(&self, w: &mut Writer) {
        for &v in self.live.iter().chain(self.latched.iter()) {
            w.u8(v);
        }
        w.u32(self.subsecond);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        for i in 0..5 {
            self.live[i] = r.u8()?;
        }
        for i in 0..5 {
            self.latched[i] = r.u8()?;
        }
        self.subsecond = r.u32()?;
        Ok(())
    }
}
