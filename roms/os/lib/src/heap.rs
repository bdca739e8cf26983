//! The kernel heap allocator: first fit over an address-ordered list of free holes, which are
//! merged with their neighbours on free. Sizes and addresses are multiples of 16, so a hole is
//! never smaller than its own header and no fragment is ever lost.
use core::alloc::Layout;
use core::ptr::null_mut;

const UNIT: usize = 16;

#[repr(C)]
struct Hole {
    size: usize,
    next: *mut Hole,
}

/// A heap over one region of memory.
pub struct Heap {
    head: *mut Hole,
    start: usize,
    size: usize,
    used: usize,
}

// SAFETY: the heap owns its region; the kernel guards it with a lock.
unsafe impl Send for Heap {}

/// Counts for `mem`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapStats {
    pub size: usize,
    pub used: usize,
    pub holes: usize,
    pub largest_hole: usize,
}

const fn round_up(x: usize, align: usize) -> usize {
    (x + align - 1) & !(align - 1)
}

impl Heap {
    /// An empty heap with no memory: every allocation fails until `init`.
    pub const fn empty() -> Heap {
        Heap { head: null_mut(), start: 0, size: 0, used: 0 }
    }

    /// Take `[start, start + size)` as the heap (trimmed to 16-byte boundaries).
    ///
    /// # Safety
    /// The region must be valid, writable, unused by anything else and live as long as the heap.
    pub unsafe fn init(&mut self, start: usize, size: usize) {
        let s = round_up(start, UNIT);
        let e = (start + size) & !(UNIT - 1);
        self.start = s;
        self.size = e.saturating_sub(s);
        self.used = 0;
        self.head = null_mut();
        if self.size >= UNIT {
            let hole = s as *mut Hole;
            // SAFETY: the caller gave us this memory.
            unsafe { hole.write(Hole { size: self.size, next: null_mut() }) };
            self.head = hole;
        }
    }

    fn unit_size(layout: Layout) -> usize {
        round_up(layout.size().max(1), UNIT)
    }

    /// Allocate; null when no hole fits.
    pub fn alloc(&mut self, layout: Layout) -> *mut u8 {
        let size = Self::unit_size(layout);
        let align = layout.align().max(UNIT);
        let mut link: *mut *mut Hole = &mut self.head;
        // SAFETY: every hole in the list lies inside our region and was written by us.
        unsafe {
            while !(*link).is_null() {
                let hole = *link;
                let hole_start = hole as usize;
                let hole_end = hole_start + (*hole).size;
                let alloc_start = round_up(hole_start, align);
                let alloc_end = alloc_start + size;
                if alloc_end <= hole_end {
                    let mut next = (*hole).next;
                    if hole_end > alloc_end {
                        let back = alloc_end as *mut Hole;
                        back.write(Hole { size: hole_end - alloc_end, next });
                        next = back;
                    }
                    if alloc_start > hole_start {
                        (*hole).size = alloc_start - hole_start;
                        (*hole).next = next;
                    } else {
                        *link = next;
                    }
                    self.used += size;
                    return alloc_start as *mut u8;
                }
                link = &mut (*hole).next;
            }
        }
        null_mut()
    }

    /// Free a block from `alloc` with the same layout.
    ///
    /// # Safety
    /// `ptr` must come from `self.alloc(layout)` and not be freed twice.
    pub unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        let size = Self::unit_size(layout);
        let addr = ptr as usize;
        self.used -= size;
        let mut prev: *mut Hole = null_mut();
        let mut next = self.head;
        // SAFETY: holes are ours; the block is ours again (caller's contract).
        unsafe {
            while !next.is_null() && (next as usize) < addr {
                prev = next;
                next = (*next).next;
            }
            let new = addr as *mut Hole;
            new.write(Hole { size, next });
            if !next.is_null() && addr + size == next as usize {
                (*new).size += (*next).size;
                (*new).next = (*next).next;
            }
            if prev.is_null() {
                self.head = new;
            } else if prev as usize + (*prev).size == addr {
                (*prev).size += (*new).size;
                (*prev).next = (*new).next;
            } else {
                (*prev).next = new;
            }
        }
    }

    pub fn stats(&self) -> HeapStats {
        let (mut holes, mut largest) = (0, 0);
        let mut h = self.head;
        while !h.is_null() {
            // SAFETY: holes are ours.
            unsafe {
                holes += 1;
                largest = largest.max((*h).size);
                h = (*h).next;
            }
        }
        HeapStats { size: self.size, used: self.used, holes, largest_hole: largest }
    }

    /// Bytes in [start, start + size)?
    pub fn contains(&self, addr: usize) -> bool {
        addr >= self.start && addr < self.start + self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heap_over(buf: &mut Vec<u128>) -> Heap {
        let mut h = Heap::empty();
        // SAFETY: the buffer outlives the heap in each test.
        unsafe { h.init(buf.as_mut_ptr() as usize, buf.len() * 16) };
        h
    }

    #[test]
    fn alloc_free_all_returns_to_one_hole() {
        let mut buf = vec![0u128; 4096];
        let mut h = heap_over(&mut buf);
        let full = h.stats();
        assert_eq!(full.holes, 1);
        let mut blocks = Vec::new();
        let mut seed = 7u32;
        for i in 0..400 {
            seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
            let size = 1 + (seed >> 16) as usize % 300;
            let align = [1, 8, 16, 64, 256][i % 5];
            let layout = Layout::from_size_align(size, align).unwrap();
            let p = h.alloc(layout);
            if p.is_null() {
                continue;
            }
            assert_eq!(p as usize % align, 0);
            // SAFETY: p is a fresh block of `size` bytes.
            unsafe { core::ptr::write_bytes(p, (i % 251) as u8, size) };
            blocks.push((p, layout, (i % 251) as u8));
            if seed.is_multiple_of(3) {
                let (p, l, v) = blocks.swap_remove((seed as usize / 7) % blocks.len());
                // SAFETY: p holds l.size() bytes we wrote.
                unsafe {
                    assert!(std::slice::from_raw_parts(p, l.size()).iter().all(|&b| b == v), "block overwritten");
                    h.dealloc(p, l);
                }
            }
        }
        for (p, l, v) in blocks.drain(..) {
            // SAFETY: as above.
            unsafe {
                assert!(std::slice::from_raw_parts(p, l.size()).iter().all(|&b| b == v), "block overwritten");
                h.dealloc(p, l);
            }
        }
        assert_eq!(h.stats(), full);
    }

    #[test]
    fn exhaustion_returns_null_and_recovers() {
        let mut buf = vec![0u128; 32];
        let mut h = heap_over(&mut buf);
        let l = Layout::from_size_align(256, 16).unwrap();
        let a = h.alloc(l);
        let b = h.alloc(l);
        assert!(!a.is_null() && !b.is_null());
        assert!(h.alloc(l).is_null());
        // SAFETY: from alloc.
        unsafe { h.dealloc(a, l) };
        assert_eq!(h.alloc(l), a);
    }

    #[test]
    fn frees_in_any_order_coalesce() {
        let mut buf = vec![0u128; 256];
        let mut h = heap_over(&mut buf);
        let l = Layout::from_size_align(64, 16).unwrap();
        let ps: Vec<_> = (0..8).map(|_| h.alloc(l)).collect();
        for &i in &[3, 1, 7, 0, 5, 2, 6, 4] {
            // SAFETY: from alloc.
            unsafe { h.dealloc(ps[i], l) };
        }
        assert_eq!(h.stats().holes, 1);
        assert_eq!(h.stats().used, 0);
    }
}
