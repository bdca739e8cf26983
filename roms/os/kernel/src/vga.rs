//! VGA text mode console: 80x25 cells at 0xB8000, light grey on black, scrolling.
const WIDTH: usize = 80;
const HEIGHT: usize = 25;
const BUFFER: usize = 0xB8000;
const ATTR: u16 = 0x07 << 8;

/// The cursor position.
pub struct Vga {
    row: usize,
    col: usize,
}

impl Vga {
    pub const fn new() -> Self {
        Vga { row: 0, col: 0 }
    }

    fn put(&self, row: usize, col: usize, cell: u16) {
        // SAFETY: the VGA text buffer is identity-mapped and (row, col) is inside it.
        unsafe { core::ptr::write_volatile((BUFFER as *mut u16).add(row * WIDTH + col), cell) }
    }

    fn get(&self, row: usize, col: usize) -> u16 {
        // SAFETY: as in `put`.
        unsafe { core::ptr::read_volatile((BUFFER as *const u16).add(row * WIDTH + col)) }
    }

    pub fn clear(&mut self) {
        for r in 0..HEIGHT {
            for c in 0..WIDTH {
                self.put(r, c, ATTR | u16::from(b' '));
            }
        }
        self.row = 0;
        self.col = 0;
    }

    fn newline(&mut self) {
        self.col = 0;
        if self.row + 1 < HEIGHT {
            self.row += 1;
            return;
        }
        for r in 1..HEIGHT {
            for c in 0..WIDTH {
                self.put(r - 1, c, self.get(r, c));
            }
        }
        for c in 0..WIDTH {
            self.put(HEIGHT - 1, c, ATTR | u16::from(b' '));
        }
    }

    pub fn write_byte(&mut self, b: u8) {
        match b {
            b'\n' => self.newline(),
            b'\r' => self.col = 0,
            0x08 => {
                if self.col > 0 {
                    self.col -= 1;
                    self.put(self.row, self.col, ATTR | u16::from(b' '));
                }
            }
            _ => {
                if self.col == WIDTH {
                    self.newline();
                }
                let shown = if (0x20..0x7F).contains(&b) { b } else { b'?' };
                self.put(self.row, self.col, ATTR | u16::from(shown));
                self.col += 1;
            }
        }
    }
}
