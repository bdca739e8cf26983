//! Pixels of one line: background, window and up to ten sprites with DMG priority (smaller X
//! first, then lower OAM index), through BGP/OBP0/OBP1 into RGBA.

use crate::ppu::{Ppu, WIDTH};

/// The four DMG shades, lightest first (the palette the reference screenshots use).
pub const SHADES: [[u8; 4]; 4] = [
    [0xFF, 0xFF, 0xFF, 0xFF],
    [0xAA, 0xAA, 0xAA, 0xFF],
    [0x55, 0x55, 0x55, 0xFF],
    [0, 0, 0, 0xFF],
];

#[inline(always)]
fn shade(palette: u8, index: u8) -> u8 {
    (palette >> (index * 2)) & 3
}

/// `SPREAD[b]` holds bit `7 - i` of `b` in its byte `i` (little-endian): one bit plane of a tile
/// row as eight pixels, leftmost first.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut i = 0;
        while i < 8 {
            table[b] |= (((b >> (7 - i)) & 1) as u64) << (i * 8);
            i += 1;
        }
        b += 1;
    }
    table
};

/// The eight colour indices of a tile row whose bit planes are `lo` and `hi`, leftmost first.
#[inline(always)]
fn tile_row(lo: u8, hi: u8) -> [u8; 8] {
    (SPREAD[lo as usize] | (SPREAD[hi as usize] << 1)).to_le_bytes()
}

/// Colour indices of one map row into `out[from..]`, starting `px` pixels into the row
/// (wrapping at 256): whole tiles are decoded into a scratch line, which is then copied from
/// the first visible pixel.
#[inline(always)]
fn fetch_row(
    vram: &[u8],
    lcdc: u8,
    out: &mut [u8; WIDTH],
    from: usize,
    row: usize,
    px: u8,
    fine_y: u8,
) {
    let skip = (px & 7) as usize;
    let width = WIDTH - from;
    let mut scratch = [0u8; WIDTH + 16];
    let first_tile = (px / 8) as usize;
    for (t, dst) in scratch.chunks_exact_mut(8).take((width + skip).div_ceil(8)).enumerate() {
        // The map row is 32 tiles wide and wraps.
        let tile = vram[row + ((first_tile + t) & 31)];
        let addr = bg_tile_addr(lcdc, tile) + fine_y as usize * 2;
        dst.copy_from_slice(&tile_row(vram[addr], vram[addr + 1]));
    }
    out[from..].copy_from_slice(&scratch[skip..skip + width]);
}

/// VRAM offset of background/window tile `index` under LCDC bit 4's addressing mode.
#[inline(always)]
fn bg_tile_addr(lcdc: u8, index: u8) -> usize {
    if lcdc & 0x10 != 0 {
        index as usize * 16
    } else {
        (0x1000i32 + (index as i8 as i32) * 16) as usize
    }
}

/// Everything a line's pixels depend on: the VRAM and OAM contents (by their change counters)
/// and the registers read while drawing. Equal keys draw equal pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineKey {
    vram_gen: u32,
    /// The OAM counter while sprites are on (0 when they are off).
    oam_gen: u32,
    /// LCDC, SCX, SCY, BGP, OBP0, OBP1, WX, and the window line counter with its visibility.
    regs: [u8; 9],
}

impl Ppu {
    /// The 2-bit colour index of pixel (x, y) of tile data entry `tile_addr` (VRAM offset).
    #[inline(always)]
    fn tile_pixel(&self, tile_addr: usize, x: u8, y: u8) -> u8 {
        let lo = self.vram[tile_addr + y as usize * 2];
        let hi = self.vram[tile_addr + y as usize * 2 + 1];
        let bit = 7 - x;
        ((lo >> bit) & 1) | (((hi >> bit) & 1) << 1)
    }

    fn line_key(&self, window: bool) -> LineKey {
        LineKey {
            vram_gen: self.vram_gen,
            oam_gen: if self.lcdc & 2 != 0 { self.oam_gen } else { 0 },
            regs: [
                self.lcdc,
                self.scx,
                self.scy,
                self.bgp,
                self.obp0,
                self.obp1,
                self.wx,
                window as u8,
                if window { self.window_line } else { 0 },
            ],
        }
    }

    /// Draw line `line` into `frame` (unless it would come out as it already is there).
    pub(crate) fn render_line(&mut self) {
        let ly = self.line;
        let window = self.window_visible();
        let key = self.line_key(window);
        if window {
            // With BG/window off the window still counts its lines.
            self.window_line = self.window_line.wrapping_add(1);
        }
        let slot = &mut self.line_cache[ly as usize];
        if *slot == Some(key) {
            return;
        }
        *slot = Some(key);
        let indices = &mut self.line_bg;
        *indices = [0; WIDTH];
        if self.lcdc & 1 != 0 {
            let map = if self.lcdc & 0x08 != 0 {
                0x1C00
            } else {
                0x1800
            };
            let y = ly.wrapping_add(self.scy);
            let row = map + (y / 8) as usize * 32;
            fetch_row(&self.vram, self.lcdc, indices, 0, row, self.scx, y & 7);
        }
        if window && self.lcdc & 1 != 0 {
            let map = if self.lcdc & 0x40 != 0 {
                0x1C00
            } else {
                0x1800
            };
            // The counter before this line's increment.
            let wy = key.regs[8];
            let row = map + (wy / 8) as usize * 32;
            let start = (self.wx as i16 - 7).max(0) as usize;
            // A window left of the edge (WX < 7) starts part-way into its first tile.
            let first = (7 - self.wx as i16).max(0) as u8;
            if start < WIDTH {
                fetch_row(&self.vram, self.lcdc, indices, start, row, first, wy & 7);
            }
        }
        let mut colours = [0u8; WIDTH];
        for (c, &i) in colours.iter_mut().zip(self.line_bg.iter()) {
            *c = shade(self.bgp, i);
        }
        if self.lcdc & 2 != 0 && self.sprite_count != 0 {
            self.render_sprites(&mut colours);
        }
        let base = ly as usize * WIDTH * 4;
        let line = &mut self.frame[base..base + WIDTH * 4];
        for (px, &c) in line.chunks_exact_mut(4).zip(colours.iter()) {
            px.copy_from_slice(&SHADES[c as usize & 3]);
        }
    }

    fn render_sprites(&self, colours: &mut [u8; WIDTH]) {
        let n = self.sprite_count as usize;
        let mut order: [u8; 10] = [0; 10];
        order[..n].copy_from_slice(&self.line_sprites[..n]);
        // Highest priority first: smaller X wins, then the lower OAM index. The first opaque
        // sprite pixel owns the spot even when it then hides behind the background.
        order[..n].sort_by_key(|&i| (self.oam[i as usize * 4 + 1], i));
        let mut taken = [false; WIDTH];
        let tall = self.lcdc & 4 != 0;
        let ly = self.line as i16;
        for &i in &order[..n] {
            let o = i as usize * 4;
            let y = self.oam[o] as i16 - 16;
            let x = self.oam[o + 1] as i16 - 8;
            let mut tile = self.oam[o + 2];
            let attr = self.oam[o + 3];
            let mut row = (ly - y) as u8;
            if attr & 0x40 != 0 {
                row = if tall { 15 - row } else { 7 - row };
            }
            if tall {
                tile = (tile & 0xFE) | (row >> 3);
                row &= 7;
            }
            let palette = if attr & 0x10 != 0 {
                self.obp1
            } else {
                self.obp0
            };
            for px in 0..8u8 {
                let sx = x + px as i16;
                if !(0..WIDTH as i16).contains(&sx) {
                    continue;
                }
                let col = if attr & 0x20 != 0 { 7 - px } else { px };
                let idx = self.tile_pixel(tile as usize * 16, col, row);
                if idx == 0 || taken[sx as usize] {
                    continue;
                }
                taken[sx as usize] = true;
                if attr & 0x80 != 0 && self.line_bg[sx as usize] != 0 {
                    continue;
                }
                colours[sx as usize] = shade(palette, idx);
            }
        }
    }
}
