//! P1/JOYP: two groups of four buttons on a shared 4-bit input, selected by bits 4 and 5.
//! A line going low (a press seen through the selection) requests the joypad interrupt.

/// Bit of each button in [`Joypad::pressed`], in `CoreInfo::buttons` order.
pub const BUTTONS: [&str; 8] = ["a", "b", "select", "start", "right", "left", "up", "down"];

#[derive(Clone, Debug)]
pub struct Joypad {
    /// Bits 4-5 as last written.
    pub select: u8,
    /// Bit i set while BUTTONS[i] is held.
    pub pressed: u8,
}

impl Default for Joypad {
    fn default() -> Self {
        Joypad {
            select: 0x30,
            pressed: 0,
        }
    }
}

impl Joypad {
    /// The low nibble as the CPU sees it (0 = pressed).
    fn lines(&self) -> u8 {
        let mut low = 0;
        if self.select & 0x10 == 0 {
            low |= self.pressed >> 4;
        }
        if self.select & 0x20 == 0 {
            low |= self.pressed & 0xF;
        }
        !low & 0xF
    }

    pub fn read(&self) -> u8 {
        0xC0 | self.select | self.lines()
    }

    /// Change the selection; true when a line fell (interrupt).
    pub fn write(&mut self, v: u8) -> bool {
        let before = self.lines();
        self.select = v & 0x30;
        before & !self.lines() != 0
    }

    /// Press or release a button; true when a line fell (interrupt).
    pub fn set(&mut self, index: usize, down: bool) -> bool {
        let before = self.lines();
        if index < 8 {
            if down {
                self.pressed |= 1 << index;
            } else {
                self.pressed &= !(1 << index);
            }
        }
        before & !self.lines() != 0
    }

    /// Any selected line low: what wakes the CPU from STOP.
    pub fn any_line_low(&self) -> bool {
        self.lines() != 0xF
    }
}
