//! The link port. With the internal clock a transfer shifts one bit per falling edge of the
//! divider's bit 8 (8192 Hz) and completes after eight with the serial interrupt. Nobody is
//! connected, so the bits shifted in are 1s; the bytes sent are kept for `drain_serial`.

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

#[derive(Clone, Debug, Default)]
pub struct Serial {
    pub sb: u8,
    pub sc: u8,
    /// Bits left in the running transfer (0: idle).
    bits_left: u8,
    /// Bytes the guest sent, not yet drained.
    pub out: Vec<u8>,
}

impl Serial {
    #[inline(always)]
    pub fn active(&self) -> bool {
        self.bits_left != 0
    }

    /// A falling edge of the serial clock. Returns true when the transfer completes.
    pub fn clock(&mut self) -> bool {
        self.sb = (self.sb << 1) | 1;
        self.bits_left -= 1;
        if self.bits_left == 0 {
            self.sc &= 0x7F;
            return true;
        }
        false
    }

    pub fn read_sc(&self) -> u8 {
        self.sc | 0x7E
    }

    pub fn write_sc(&mut self, v: u8) {
        self.sc = v & 0x81;
        if v & 0x81 == 0x81 {
            // Keep the host's copy bounded when nobody drains it.
            if self.out.len() < 1 << 20 {
                self.out.push(self.sb);
            }
            self.bits_left = 8;
        } else {
            self.bits_left = 0;
        }
    }

    pub fn save(&self, w: &mut Writer) {
        w.u8(self.sb).u8(self.sc).u8(self.bits_left);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.sb = r.u8()?;
        self.sc = r.u8()?;
        self.bits_left = r.u8()?.min(8);
        Ok(())
    }
}
