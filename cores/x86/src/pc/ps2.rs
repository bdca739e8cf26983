//! The i8042 PS/2 controller (ports 0x60/0x64) with a keyboard on port 1 (IRQ 1). The
//! controller translates to scan code set 1, so the keyboard queues set-1 codes.

use std::collections::VecDeque;

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

#[derive(Clone, Debug)]
pub struct Ps2 {
    out: VecDeque<u8>,
    config: u8,
    /// A controller command waiting for its data byte (0x60 write config, 0xD1...).
    pending_cmd: Option<u8>,
    /// A keyboard command waiting for its argument (0xED LEDs, 0xF0 set, 0xF3 rate).
    pending_kbd: Option<u8>,
    kbd_enabled: bool,
    /// Port 0xD1 output-port writes request A20 changes; the PC applies them.
    pub a20: Option<bool>,
    /// Command 0xFE pulsed the reset line.
    pub reset_requested: bool,
}

impl Ps2 {
    pub fn new() -> Self {
        Ps2 {
            out: VecDeque::new(),
            config: 0x45,
            pending_cmd: None,
            pending_kbd: None,
            kbd_enabled: true,
            a20: None,
            reset_requested: false,
        }
    }

    /// Queue set-1 scan code bytes from a key event.
    pub fn key(&mut self, codes: &[u8]) {
        if self.kbd_enabled && self.config & 0x10 == 0 {
            self.out.extend(codes);
        }
    }

    /// The IRQ 1 line.
    pub fn irq(&self) -> bool {
        !self.out.is_empty() && self.config & 1 != 0
    }

    pub fn status(&self) -> u8 {
        // Bit 2: system flag (POST passed); bit 4: keyboard not inhibited.
        0x14 | !self.out.is_empty() as u8
    }

    pub fn read_data(&mut self) -> u8 {
        self.out.pop_front().unwrap_or(0)
    }

    pub fn write_command(&mut self, v: u8) {
        match v {
            0x20 => self.out.push_back(self.config),
            0x60 | 0xD1 | 0xD2 | 0xD3 | 0xD4 => self.pending_cmd = Some(v),
            0xA7 => self.config |= 0x20,
            0xA8 => self.config &= !0x20,
            0xA9 | 0xAB => self.out.push_back(0x00),
            0xAA => self.out.push_back(0x55),
            0xAD => self.config |= 0x10,
            0xAE => self.config &= !0x10,
            0xDD => self.a20 = Some(false),
            0xDF => self.a20 = Some(true),
            0xFE => self.reset_requested = true,
            _ => {}
        }
    }

    pub fn write_data(&mut self, v: u8) {
        if let Some(cmd) = self.pending_cmd.take() {
            match cmd {
                0x60 => self.config = v,
                0xD1 => {
                    self.a20 = Some(v & 2 != 0);
                    if v & 1 == 0 {
                        self.reset_requested = true;
                    }
                }
                0xD2 => self.out.push_back(v),
                _ => {}
            }
            return;
        }
        if let Some(cmd) = self.pending_kbd.take() {
            self.out.push_back(0xFA);
            if cmd == 0xF0 && v == 0 {
                self.out.push_back(0x02);
            }
            return;
        }
        match v {
            0xED | 0xF0 | 0xF3 => {
                self.pending_kbd = Some(v);
                self.out.push_back(0xFA);
            }
            0xEE => self.out.push_back(0xEE),
            0xF2 => self.out.extend([0xFA, 0xAB, 0x83]),
            0xF4 => {
                self.kbd_enabled = true;
                self.out.push_back(0xFA);
            }
            0xF5 => {
                self.kbd_enabled = false;
                self.out.push_back(0xFA);
            }
            0xFF => self.out.extend([0xFA, 0xAA]),
            _ => self.out.push_back(0xFA),
        }
    }

    pub fn save(&self, w: &mut Writer) {
        let out: Vec<u8> = self.out.iter().copied().collect();
        w.bytes(&out).u8(self.config);
        w.u16(self.pending_cmd.map_or(0xFFFF, |c| c as u16));
        w.u16(self.pending_kbd.map_or(0xFFFF, |c| c as u16));
        w.bool(self.kbd_enabled);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        let n = r.u64()? as usize;
        self.out = r.bytes(n)?.iter().copied().collect();
        self.config = r.u8()?;
        let c = r.u16()?;
        self.pending_cmd = (c != 0xFFFF).then_some(c as u8);
        let c = r.u16()?;
        self.pending_kbd = (c != 0xFFFF).then_some(c as u8);
        self.kbd_enabled = r.bool()?;
        Ok(())
    }
}

/// Scan code set 1 make code for a USB HID usage (page 7); `0xE0` in the high byte marks
/// an extended key. `None` for keys the PC keyboard lacks.
pub fn hid_to_set1(usage: u8) -> Option<u16> {
    const LETTERS: [u8; 26] = [
        0x1E, 0x30, 0x2E, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26, 0x32, 0x31, 0x18,
        0x19, 0x10, 0x13, 0x1F, 0x14, 0x16, 0x2F, 0x11, 0x2D, 0x15, 0x2C,
    ];
    const DIGITS: [u8; 10] = [0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B];
    Some(match usage {
        0x04..=0x1D => LETTERS[(usage - 0x04) as usize] as u16,
        0x1E..=0x27 => DIGITS[(usage - 0x1E) as usize] as u16,
        0x28 => 0x1C,                                // Enter
        0x29 => 0x01,                                // Escape
        0x2A => 0x0E,                                // Backspace
        0x2B => 0x0F,                                // Tab
        0x2C => 0x39,                                // Space
        0x2D => 0x0C,                                // -
        0x2E => 0x0D,                                // =
        0x2F => 0x1A,                                // [
        0x30 => 0x1B,                                // ]
        0x31 => 0x2B,                                // backslash
        0x33 => 0x27,                                // ;
        0x34 => 0x28,                                // '
        0x35 => 0x29,                                // `
        0x36 => 0x33,                                // ,
        0x37 => 0x34,                                // .
        0x38 => 0x35,                                // /
        0x39 => 0x3A,                                // Caps Lock
        0x3A..=0x43 => 0x3B + (usage - 0x3A) as u16, // F1..F10
        0x44 => 0x57,                                // F11
        0x45 => 0x58,                                // F12
        0x49 => 0xE052,                              // Insert
        0x4A => 0xE047,                              // Home
        0x4B => 0xE049,                              // Page Up
        0x4C => 0xE053,                              // Delete
        0x4D => 0xE04F,                              // End
        0x4E => 0xE051,                              // Page Down
        0x4F => 0xE04D,                              // Right
        0x50 => 0xE04B,                              // Left
        0x51 => 0xE050,                              // Down
        0x52 => 0xE048,                              // Up
        0xE0 => 0x1D,                                // Left Ctrl
        0xE1 => 0x2A,                                // Left Shift
        0xE2 => 0x38,                                // Left Alt
        0xE4 => 0xE01D,                              // Right Ctrl
        0xE5 => 0x36,                                // Right Shift
        0xE6 => 0xE038,                              // Right Alt
        _ => return None,
    })
}

/// The bytes a key press or release sends in set 1.
pub fn set1_bytes(code: u16, pressed: bool) -> Vec<u8> {
    let make = (code & 0x7F) as u8 | if pressed { 0 } else { 0x80 };
    if code >> 8 == 0xE0 {
        vec![0xE0, make]
    } else {
        vec![make]
    }
}

/// ASCII for a set-1 make code (unshifted, shifted), for the BIOS int 16h buffer.
pub fn set1_ascii(code: u8, shift: bool) -> u8 {
    const LOWER: &[u8; 58] =
        b"\x00\x1b1234567890-=\x08\tqwertyuiop[]\r\x00asdfghjkl;'`\x00\\zxcvbnm,./\x00*\x00 ";
    const UPPER: &[u8; 58] =
        b"\x00\x1b!@#$%^&*()_+\x08\tQWERTYUIOP{}\r\x00ASDFGHJKL:\"~\x00|ZXCVBNM<>?\x00*\x00 ";
    let t = if shift { UPPER } else { LOWER };
    t.get(code as usize).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_set1() {
        assert_eq!(hid_to_set1(0x04), Some(0x1E));
        assert_eq!(set1_bytes(0x1E, false), vec![0x9E]);
        assert_eq!(set1_bytes(0xE048, true), vec![0xE0, 0x48]);
        assert_eq!(set1_ascii(0x1E, false), b'a');
        assert_eq!(set1_ascii(0x02, true), b'!');
    }

    #[test]
    fn controller_self_test_and_reset() {
        let mut p = Ps2::new();
        p.write_command(0xAA);
        assert_eq!(p.read_data(), 0x55);
        p.write_data(0xFF);
        assert_eq!((p.read_data(), p.read_data()), (0xFA, 0xAA));
    }
}
