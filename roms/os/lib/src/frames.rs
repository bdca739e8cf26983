//! Physical frame allocator: one bit per 4 KiB frame (1 = free), filled from the E820 map.

pub const FRAME: u64 = 4096;

/// A bitmap over frames `0..bits.len() * 64`.
pub struct FrameBitmap<'a> {
    bits: &'a mut [u64],
    free: usize,
    next: usize,
}

impl<'a> FrameBitmap<'a> {
    /// All frames in use until `add_free` says otherwise.
    pub fn new(bits: &'a mut [u64]) -> Self {
        bits.fill(0);
        FrameBitmap { bits, free: 0, next: 0 }
    }

    fn limit(&self) -> u64 {
        self.bits.len() as u64 * 64 * FRAME
    }

    /// Mark the whole frames inside `[start, end)` free (clipped to what the bitmap covers).
    pub fn add_free(&mut self, start: u64, end: u64) {
        let first = start.div_ceil(FRAME);
        let last = end.min(self.limit()) / FRAME;
        for f in first..last {
            self.set(f as usize, true);
        }
    }

    /// Mark the frames touching `[start, end)` used.
    pub fn reserve(&mut self, start: u64, end: u64) {
        let first = start / FRAME;
        let last = end.min(self.limit()).div_ceil(FRAME);
        for f in first..last {
            self.set(f as usize, false);
        }
    }

    fn set(&mut self, f: usize, free: bool) {
        let (w, b) = (f / 64, 1u64 << (f % 64));
        let was = self.bits[w] & b != 0;
        if free && !was {
            self.bits[w] |= b;
            self.free += 1;
        } else if !free && was {
            self.bits[w] &= !b;
            self.free -= 1;
        }
    }

    /// A free frame's physical address (next fit).
    pub fn alloc(&mut self) -> Option<u64> {
        let n = self.bits.len();
        for i in 0..n {
            let w = (self.next + i) % n;
            if self.bits[w] != 0 {
                let b = self.bits[w].trailing_zeros() as usize;
                let f = w * 64 + b;
                self.set(f, false);
                self.next = w;
                return Some(f as u64 * FRAME);
            }
        }
        None
    }

    /// Give a frame back. Freeing a free frame is ignored.
    pub fn free(&mut self, addr: u64) {
        if addr < self.limit() {
            self.set((addr / FRAME) as usize, true);
        }
    }

    pub fn free_count(&self) -> usize {
        self.free
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_reservations_and_reuse() {
        let mut bits = [0u64; 8]; // 512 frames = 2 MiB
        let mut fb = FrameBitmap::new(&mut bits);
        fb.add_free(0x1800, 0x10_0000); // starts mid-frame: frames 2..256
        assert_eq!(fb.free_count(), 254);
        fb.reserve(0x8000, 0x9001); // frames 8 and 9
        assert_eq!(fb.free_count(), 252);
        let mut got = Vec::new();
        while let Some(f) = fb.alloc() {
            assert_eq!(f % FRAME, 0);
            assert!((0x2000..0x10_0000).contains(&f) && f != 0x8000 && f != 0x9000);
            got.push(f);
        }
        assert_eq!(got.len(), 252);
        got.sort();
        got.dedup();
        assert_eq!(got.len(), 252, "no frame handed out twice");
        fb.free(got[10]);
        fb.free(got[10]);
        assert_eq!(fb.free_count(), 1);
        assert_eq!(fb.alloc(), Some(got[10]));
    }

    #[test]
    fn memory_beyond_the_bitmap_is_ignored() {
        let mut bits = [0u64; 1];
        let mut fb = FrameBitmap::new(&mut bits);
        fb.add_free(0, 1 << 30);
        assert_eq!(fb.free_count(), 64);
    }
}
