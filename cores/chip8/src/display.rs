//! The screen: up to two bit planes of 128x64 pixels, drawn as RGBA8.

/// Octo's default colours: background, plane 1, plane 2, both planes.
pub(crate) const PALETTE: [[u8; 4]; 4] = [
    [0x99, 0x66, 0x00, 0xFF],
    [0xFF, 0xCC, 0x00, 0xFF],
    [0xFF, 0x66, 0x00, 0xFF],
    [0x66, 0x22, 0x00, 0xFF],
];

/// Byte `i` (little-endian) of `SPREAD[b]` is 1 when bit `7 - i` of `b` is set: a sprite
/// byte as its eight pixels.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut i = 0;
        while i < 8 {
            if b & (0x80 >> i) != 0 {
                table[b] |= 1 << (8 * i);
            }
            i += 1;
        }
        b += 1;
    }
    table
};

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
///
/// Drawing changes `pixels` only and notes the rows it touched; [`Display::refresh`] brings
/// `rgba` up to date. The machine refreshes before it returns from running, so colouring
/// costs once per run, not once per sprite.
#[derive(Clone, Debug)]
pub(crate) struct Display {
    pixels: Vec<u8>,
    /// `pixels` in colour, current outside the rows `stale_from..stale_to`.
    rgba: Vec<[u8; 4]>,
    stale_from: usize,
    stale_to: usize,
    hires: bool,
    /// The buffer stays 128x64 in lores and lores pixels are 2x2 blocks (SUPER-CHIP 1.1).
    physical_lores: bool,
}

impl Display {
    pub(crate) fn new(physical_lores: bool) -> Display {
        let mut d = Display {
            pixels: vec![0; MAX_W * MAX_H],
            rgba: vec![[0; 4]; MAX_W * MAX_H],
            stale_from: 0,
            stale_to: 0,
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

    /// The screen in colour, as of the last [`Display::refresh`].
    pub(crate) fn rgba(&self) -> &[u8] {
        let (w, h) = self.size();
        self.rgba[..w * h].as_flattened()
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
        self.mark_all_stale();
    }

    fn repaint(&mut self) {
        self.mark_all_stale();
        self.refresh();
    }

    /// Colour the rows changed since the last refresh.
    pub(crate) fn refresh(&mut self) {
        if self.stale_from >= self.stale_to {
            return;
        }
        let (w, h) = self.size();
        let rows = self.stale_from.min(h)..self.stale_to.min(h);
        let span = rows.start * w..rows.end * w;
        for (colour, &p) in self.rgba[span.clone()].iter_mut().zip(&self.pixels[span]) {
            *colour = PALETTE[(p & 3) as usize];
        }
        self.stale_from = 0;
        self.stale_to = 0;
    }

    fn mark_all_stale(&mut self) {
        self.stale_from = 0;
        self.stale_to = MAX_H;
    }

    /// Note that buffer rows `from..to` changed.
    #[inline]
    fn mark_stale(&mut self, from: usize, to: usize) {
        if self.stale_from >= self.stale_to {
            (self.stale_from, self.stale_to) = (from, to);
        } else {
            self.stale_from = self.stale_from.min(from);
            self.stale_to = self.stale_to.max(to);
        }
    }

    /// XOR `plane` into buffer pixel `idx`; true when a lit pixel went off.
    #[inline]
    fn flip(&mut self, idx: usize, plane: u8) -> bool {
        let old = self.pixels[idx];
        self.pixels[idx] = old ^ plane;
        old & plane != 0
    }

    /// XOR the sprite row `row` (one byte per 8 pixels) into `plane` of the buffer pixels from
    /// `start` on, all in one row; true when a lit pixel went off. Eight pixels at a time.
    #[inline]
    fn xor_span(&mut self, start: usize, row: &[u8], plane: u8) -> bool {
        let mut hit = 0;
        for (k, &byte) in row.iter().enumerate() {
            let mask = SPREAD[byte as usize] * u64::from(plane);
            let at = start + 8 * k;
            if let Some(px) = self.pixels.get_mut(at..).and_then(|s| s.first_chunk_mut()) {
                let old = u64::from_le_bytes(*px);
                hit |= old & mask;
                *px = (old ^ mask).to_le_bytes();
            }
        }
        hit != 0
    }

    /// Turn off the given planes everywhere.
    pub(crate) fn clear(&mut self, planes: u8) {
        for p in &mut self.pixels {
            *p &= !planes;
        }
        self.mark_all_stale();
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
            if bits == 0 {
                continue;
            }
            self.mark_stale(ly * scale, (ly + 1) * scale);
            if scale == 1 && x0 + width <= lw {
                // The whole row is on screen: no clipping or wrapping to decide per pixel.
                out.rows_collided += u8::from(self.xor_span(ly * bw + x0, row, plane));
                continue;
            }
            let mut hit = false;
            // Only the set bits, left to right.
            let mut rest = bits;
            while rest != 0 {
                let c = rest.leading_zeros() as usize;
                rest &= !(0x8000 >> c);
                let mut lx = x0 + c;
                if lx >= lw {
                    if clip {
                        // Every later column is past the edge too.
                        break;
                    }
                    lx %= lw;
                }
                if scale == 1 {
                    hit |= self.flip(ly * bw + lx, plane);
                } else {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            hit |= self.flip((ly * scale + dy) * bw + lx * scale + dx, plane);
                        }
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
        self.mark_all_stale();
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
        d.refresh();
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

    /// The sprite loop as first written: every bit, every pixel, one at a time.
    fn draw_reference(
        d: &mut Display,
        (x, y): (u8, u8),
        data: &[u8],
        wide: bool,
        plane: u8,
        clip: bool,
    ) -> DrawOutcome {
        let (lw, lh) = d.logical_size();
        let (bw, _) = d.size();
        let scale = d.scale();
        let width = if wide { 16 } else { 8 };
        let mut out = DrawOutcome::default();
        for (r, row) in data.chunks_exact(width / 8).enumerate() {
            let mut ly = y as usize % lh + r;
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
                let mut lx = x as usize % lw + c;
                if bits & (0x8000 >> c) == 0 || (lx >= lw && clip) {
                    continue;
                }
                lx %= lw;
                for dy in 0..scale {
                    for dx in 0..scale {
                        let idx = (ly * scale + dy) * bw + lx * scale + dx;
                        hit |= d.pixels[idx] & plane != 0;
                        d.pixels[idx] ^= plane;
                    }
                }
            }
            out.rows_collided += u8::from(hit);
        }
        out
    }

    #[test]
    fn sprites_match_the_pixel_by_pixel_loop_and_colours_follow() {
        let mut seed = 0x1234_5678u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for physical_lores in [false, true] {
            let mut fast = Display::new(physical_lores);
            let mut slow = Display::new(physical_lores);
            for n in 0..4000 {
                let r = next();
                match r % 50 {
                    0 => {
                        let hires = r & 0x100 != 0;
                        fast.set_hires(hires, !physical_lores);
                        slow.set_hires(hires, !physical_lores);
                    }
                    1 => {
                        fast.clear(1);
                        slow.clear(1);
                    }
                    2 => {
                        fast.scroll_right(4, 3);
                        slow.scroll_right(4, 3);
                    }
                    _ => {
                        let wide = r & 0x200 != 0;
                        let rows = (r >> 10) as usize % 17;
                        let data: Vec<u8> = (0..rows * if wide { 2 } else { 1 })
                            .map(|_| next() as u8)
                            .collect();
                        let at = ((r >> 16) as u8, (r >> 24) as u8);
                        let plane = 1 + (r >> 5) as u8 % 2;
                        let clip = r & 0x400 != 0;
                        let got = fast.draw(at.0, at.1, &data, wide, plane, clip);
                        let want = draw_reference(&mut slow, at, &data, wide, plane, clip);
                        assert_eq!(got, want, "draw {n}");
                    }
                }
                assert!(fast.pixels == slow.pixels, "after operation {n}");
                if n % 7 == 0 {
                    fast.refresh();
                    let (w, h) = fast.size();
                    let colours: Vec<u8> = fast.pixels[..w * h]
                        .iter()
                        .flat_map(|&p| PALETTE[(p & 3) as usize])
                        .collect();
                    assert!(fast.rgba() == colours.as_slice(), "colours after {n}");
                }
            }
        }
    }
}
