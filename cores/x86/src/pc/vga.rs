//! VGA text mode 80×25 (buffer at 0xB8000 in RAM), the CRTC cursor registers, and the
//! renderer that draws it with our font into a 640×400 RGBA frame.

use super::font::glyph_rows;

pub const COLS: usize = 80;
pub const ROWS: usize = 25;
pub const WIDTH: usize = COLS * 8;
pub const HEIGHT: usize = ROWS * 16;
pub const TEXT_BASE: usize = 0xB8000;

/// The 16 colours of the text palette (RGB).
const PALETTE: [[u8; 3]; 16] = [
    [0x00, 0x00, 0x00],
    [0x00, 0x00, 0xAA],
    [0x00, 0xAA, 0x00],
    [0x00, 0xAA, 0xAA],
    [0xAA, 0x00, 0x00],
    [0xAA, 0x00, 0xAA],
    [0xAA, 0x55, 0x00],
    [0xAA, 0xAA, 0xAA],
    [0x55, 0x55, 0x55],
    [0x55, 0x55, 0xFF],
    [0x55, 0xFF, 0x55],
    [0x55, 0xFF, 0xFF],
    [0xFF, 0x55, 0x55],
    [0xFF, 0x55, 0xFF],
    [0xFF, 0xFF, 0x55],
    [0xFF, 0xFF, 0xFF],
];

#[derive(Clone, Debug)]
pub struct Vga {
    pub crtc_index: u8,
    pub crtc: [u8; 32],
    /// Toggles on every read of the input status register, so retrace waits finish.
    retrace: bool,
}

impl Vga {
    pub fn new() -> Self {
        let mut crtc = [0u8; 32];
        crtc[0x0A] = 0x0D;
        crtc[0x0B] = 0x0E;
        Vga {
            crtc_index: 0,
            crtc,
            retrace: false,
        }
    }

    pub fn cursor(&self) -> usize {
        (self.crtc[0x0E] as usize) << 8 | self.crtc[0x0F] as usize
    }

    pub fn set_cursor(&mut self, pos: usize) {
        self.crtc[0x0E] = (pos >> 8) as u8;
        self.crtc[0x0F] = pos as u8;
    }

    pub fn read(&mut self, port: u16) -> u8 {
        match port {
            0x3D4 => self.crtc_index,
            0x3D5 => self.crtc[(self.crtc_index & 31) as usize],
            0x3DA => {
                self.retrace = !self.retrace;
                if self.retrace { 0x09 } else { 0x00 }
            }
            0x3CC => 0x67,
            _ => 0,
        }
    }

    pub fn write(&mut self, port: u16, v: u8) {
        match port {
            0x3D4 => self.crtc_index = v,
            0x3D5 => self.crtc[(self.crtc_index & 31) as usize] = v,
            _ => {}
        }
    }

    /// Draw the text buffer in `ram` into `out` (WIDTH × HEIGHT RGBA).
    pub fn render(&self, ram: &[u8], out: &mut [u8]) {
        let cursor = self.cursor();
        let cursor_on = self.crtc[0x0A] & 0x20 == 0;
        for row in 0..ROWS {
            for col in 0..COLS {
                let cell = TEXT_BASE + 2 * (row * COLS + col);
                let ch = ram.get(cell).copied().unwrap_or(0);
                let attr = ram.get(cell + 1).copied().unwrap_or(0x07);
                let fg = PALETTE[(attr & 0xF) as usize];
                let bg = PALETTE[((attr >> 4) & 0x7) as usize];
                let mut rows = glyph_rows(ch);
                if cursor_on && cursor == row * COLS + col {
                    let (s, e) = (
                        (self.crtc[0x0A] & 0x1F) as usize,
                        (self.crtc[0x0B] & 0x1F) as usize,
                    );
                    for r in rows.iter_mut().take(e.min(15) + 1).skip(s.min(15)) {
                        *r = 0xFF;
                    }
                }
                for (y, bits) in rows.iter().enumerate() {
                    let line = (row * 16 + y) * WIDTH + col * 8;
                    for x in 0..8 {
                        let c = if bits & (0x80 >> x) != 0 { fg } else { bg };
                        let p = (line + x) * 4;
                        out[p..p + 4].copy_from_slice(&[c[0], c[1], c[2], 0xFF]);
                    }
                }
            }
        }
    }
}
