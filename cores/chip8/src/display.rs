//! The screen: up to two bit planes of 128x64 pixels, drawn as RGBA8.

/// Octo's default colours: background, plane 1, plane 2, both planes.
pub(crate) const PALETTE: [[u8; 4]; 4] = [
    [0x99, 0x66, 0x00, 0xFF],
    [0xFF, 0xCC, 0x00, 0xFF],
    [0xFF, 0x66, 0x00, 0xFF],
    [0x66, 0x22, 0x00, 0xFF],
];

const MAX_W: usize = 128;
const MAX_H: usize = 64;

/// What one sprite draw on one plane did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DrawOutcome {
    /// Rows in which a lit pixel was turned off.
    pub rows_collided: u8,
    /// Rows dropped at the bottom edge by clipping.
    pub rows_clipped: u8,
}

/// The frame buffer. Each byte of `pixels` holds the plane bits of one buffer pixel
/// (bit 0 = plane 1, bit 1 = plane 2), row-major at the current buffer width.
#[derive(Clone, Debug)]
pub(crate) struct Display {
    pixels: Vec<u8>,
    rgba: Vec<u8>,
    hires: bool,
    /// The buffer stays 128x64 in lores and lores pixels are 2x2 blocks (SUPER-CHIP 1.1).
    physical_lores: bool,
}

impl Display {
    pub(crate) fn new(physical_lores: bool) -> Display {
        let mut d = Display {
            pixels: vec![0; MAX_W * MAX_H],
            rgba: vec![0; MAX_W * MAX_H * 4],
            hires: false,
            physical_lores,
        };
        d.repaint();
        d
    }

    /// Size of the buffer (and of the frame the machine shows).
    pub(crate) fn size(&self) -> (usize, usize) {
        if self.hires || self.physical_lores {
            (MAX_W, MAX_H)
        } else {
            (MAX_W / 2, MAX_H / 2)
        }
    }

    /// Size in the pixels sprite coordinates count in.
    fn logical_size(&self) -> (usize, usize) {
        if self.hires {
            (MAX_W, MAX_H)
        } else {
            (MAX_W / 2, MAX_H / 2)
        }
    }

    fn scale(&self) -> usize {
        if !self.hires && self.physical_lores {
            2
        } else {
            1
        }
    }

    pub(crate) fn hires(&self) -> bool {
        self.hires
    }

    pub(crate) fn rgba(&self) -> &[u8] {
        let (w, h) = self.size();
        &self.rgba[..w * h * 4]
    }

    /// The plane bits of every buffer pixel (for tests and save states).
    pub(crate) fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    pub(crate) fn restore(&mut self, hires: bool, pixels: &[u8]) {
        self.hires = hires;
        self.pixels.copy_from_slice(pixels);
        self.repaint();
    }

    /// Switch resolution; `clear` wipes every plane as modern interpreters do.
    pub(crate) fn set_hires(&mut self, hires: bool, clear: bool) {
        self.hires = hires;
        if clear {
            self.pixels.fill(0);
        }
        self.repaint();
    }

    fn repaint(&mut self) {
        let (w, h) = self.size();
        for idx in 0..w * h {
            self.paint(idx);
        }
    }

    #[inline]
    fn paint(&mut self, idx: usize) {
        let colour = PALETTE[(self.pixels[idx] & 3) as usize];
        self.rgba[idx * 4..idx * 4 + 4].copy_from_slice(&colour);
    }

    /// Turn off the given planes everywhere.
    pub(crate) fn clear(&mut self, planes: u8) {
        for p in &mut self.pixels {
            *p &= !planes;
        }
        self.repaint();
    }

    /// XOR a sprite onto one plane at (x, y) in the current resolution. `data` holds rows of
    /// one byte, or two bytes when `wide` (16 pixels). The start position wraps; pixels past
    /// an edge are clipped or wrap as `clip` says.
    pub(crate) fn draw(
        &mut self,
        x: u8,
        y: u8,
        data: &[u8],
        wide: bool,
        plane: u8,
        clip: bool,
    ) -> DrawOutcome {
        let (lw, lh) = self.logical_size();
        let (bw, _) = self.size();
        let scale = self.scale();
        let x0 = x as usize % lw;
        let y0 = y as usize % lh;
        let width = if wide { 16 } else { 8 };
        let mut out = DrawOutcome::default();
        for (r, row) in data.chunks_exact(width / 8).enumerate() {
            let mut ly = y0 + r;
            if ly >= lh {
                if clip {
                    out.rows_clipped += 1;
                    continue;
                }
                ly %= lh;
            }
            let bits = if wide {
                u16::from_be_bytes([row[0], row[1]])
            } else {
                u16::from(row[0]) << 8
            };
            let mut hit = false;
            for c in 0..width {
                if bits & (0x8000 >> c) == 0 {
                    continue;
                }
                let mut lx = x0 + c;
                if lx >= lw {
                    if clip {
                        continue;
                    }
                    lx %= lw;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let idx = (ly * scale + dy) * bw + lx * scale + dx;
                        let old = self.pixels[idx];
                        hit |= old & plane != 0;
                        self.pixels[idx] = old ^ plane;
                        self.paint(idx);
                    }
                }
            }
            out.rows_collided += u8::from(hit);
        }
        out
    }

    /// Move the given planes by (dx, dy) buffer pixels; what enters is blank.
    fn shift(&mut self, dx: isize, dy: isize, planes: u8) {
        let (w, h) = self.size();
        let old = self.pixels.clone();
        for y in 0..h {
            for x in 0..w {
                let (sx, sy) = (x as isize - dx, y as isize - dy);
                let src = if (0..w as isize).contains(&sx) && (0..h as isize).contains(&sy) {
                    old[sy as usize * w + sx as usize] & planes
                } else {
                    0
                };
                let idx = y * w + x;
                self.pixels[idx] = (old[idx] & !planes) | src;
            }
        }
        self.repaint();
    }

    pub(crate) fn scroll_down(&mut self, n: u8, planes: u8) {
        self.shift(0, n as isize, planes);
    }
    pub(crate) fn scroll_up(&mut self, n: u8, planes: u8) {
        self.shift(0, -(n as isize), planes);
    }
    pub(crate) fn scroll_right(&mut self, n: u8, planes: u8) {
        self.shift(n as isize, 0, planes);
    }
    pub(crate) fn scroll_left(&mut self, n: u8, planes: u8) {
        self.shift(-(n as isize), 0, planes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(d: &Display) -> Vec<(usize, usize)> {
        let (w, h) = d.size();
        (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| d.pixels[y * w + x] != 0)
            .collect()
    }

    #[test]
    fn draw_xors_and_reports_collisions() {
        let mut d = Display::new(false);
        assert_eq!(
            d.draw(1, 2, &[0b1100_0000], false, 1, true).rows_collided,
            0
        );
        assert_eq!(lit(&d), vec![(1, 2), (2, 2)]);
        assert_eq!(
            &d.rgba()[(2 * 64 + 1) * 4..(2 * 64 + 1) * 4 + 4],
            &PALETTE[1]
        );
        assert_eq!(
            d.draw(2, 2, &[0b1000_0000], false, 1, true).rows_collided,
            1
        );
        assert_eq!(lit(&d), vec![(1, 2)]);
    }

    #[test]
    fn clipping_and_wrapping() {
        let mut d = Display::new(false);
        let out = d.draw(62, 31, &[0xFF, 0xFF], false, 1, true);
        assert_eq!(out.rows_clipped, 1);
        assert_eq!(lit(&d), vec![(62, 31), (63, 31)]);
        let mut d = Display::new(false);
        d.draw(62 + 64, 31 + 32, &[0xC0, 0x80], false, 1, false);
        assert_eq!(lit(&d), vec![(62, 0), (62, 31), (63, 31)]);
        // x = 200 wraps to 8, y = 40 to 8, even with clipping on.
        let mut d = Display::new(false);
        d.draw(200, 40, &[0x80], false, 1, true);
        assert_eq!(lit(&d), vec![(8, 8)]);
    }

    #[test]
    fn wide_sprites_and_planes() {
        let mut d = Display::new(false);
        d.set_hires(true, true);
        assert_eq!(d.size(), (128, 64));
        d.draw(0, 0, &[0x00, 0x01], true, 2, true);
        assert_eq!(lit(&d), vec![(15, 0)]);
        assert_eq!(d.pixels[15], 2);
        d.clear(1);
        assert_eq!(lit(&d), vec![(15, 0)]);
        d.clear(2);
        assert!(lit(&d).is_empty());
    }

    #[test]
    fn legacy_lores_draws_2x2_blocks_and_scrolls_half_pixels() {
        let mut d = Display::new(true);
        assert_eq!(d.size(), (128, 64));
        d.draw(1, 1, &[0x80], false, 1, true);
        assert_eq!(lit(&d), vec![(2, 2), (3, 2), (2, 3), (3, 3)]);
        d.scroll_right(4, 1);
        d.scroll_down(1, 1);
        assert_eq!(lit(&d), vec![(6, 3), (7, 3), (6, 4), (7, 4)]);
        d.scroll_left(4, 1);
        d.scroll_up(3, 1);
        assert_eq!(lit(&d), vec![(2, 0), (3, 0), (2, 1), (3, 1)]);
    }
}
