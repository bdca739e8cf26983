//! Guest RAM: one flat byte array from `base`, with per-page permission and bookkeeping
//! flags. Linux programs get a sparse 4 GiB space from 0 (the host maps pages lazily);
//! the bare-metal machine gets its RAM at 0x8000_0000.

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;

/// Page flag: readable.
pub const R: u8 = 1;
/// Page flag: writable.
pub const W: u8 = 2;
/// Page flag: executable.
pub const X: u8 = 4;
/// Page flag: the decode cache holds instructions from this page (stores must invalidate).
pub const CODE: u8 = 8;
/// Page flag: a store here may hit a device register living in RAM (HTIF tohost).
pub const WATCH: u8 = 16;

pub struct Memory {
    pub base: u64,
    pub data: Vec<u8>,
    pub flags: Vec<u8>,
}

impl Memory {
    /// `size` bytes from `base`, every page with `flags`.
    pub fn new(base: u64, size: u64, flags: u8) -> Memory {
        let pages = (size >> PAGE_SHIFT) as usize;
        Memory { base, data: vec![0; size as usize], flags: vec![flags; pages] }
    }

    pub fn size(&self) -> u64 {
        self.data.len() as u64
    }

    /// Offset of `len` bytes at physical `addr` inside RAM, if they are all inside.
    #[inline(always)]
    pub fn offset(&self, addr: u64, len: u64) -> Option<usize> {
        let off = addr.wrapping_sub(self.base);
        (off < self.size() && self.size() - off >= len).then_some(off as usize)
    }

    #[inline(always)]
    pub fn page_flags(&self, off: usize) -> u8 {
        self.flags[off >> PAGE_SHIFT]
    }

    /// Set `flags` (keeping CODE/WATCH) on every page overlapping `[addr, addr+len)`.
    pub fn set_perms(&mut self, addr: u64, len: u64, perms: u8) {
        let Some(first) = addr.checked_sub(self.base) else { return };
        let end = (first + len).min(self.size());
        let mut page = first >> PAGE_SHIFT;
        while page << PAGE_SHIFT < end {
            let f = &mut self.flags[page as usize];
            *f = (*f & (CODE | WATCH)) | perms;
            page += 1;
        }
    }

    /// Raw little-endian read of up to 8 bytes at an offset known to be in range (an
    /// offset outside reads as zero).
    #[inline(always)]
    pub fn read(&self, off: usize, len: usize) -> u64 {
        match len {
            1 => self.data.get(off).map_or(0, |&b| b as u64),
            2 => self.bytes::<2>(off).map_or(0, |b| u16::from_le_bytes(*b) as u64),
            4 => self.bytes::<4>(off).map_or(0, |b| u32::from_le_bytes(*b) as u64),
            _ => self.bytes::<8>(off).map_or(0, |b| u64::from_le_bytes(*b)),
        }
    }

    /// Raw little-endian write of the low `len` bytes of `value` at an offset known to be
    /// in range (an offset outside is ignored).
    #[inline(always)]
    pub fn write(&mut self, off: usize, len: usize, value: u64) {
        // One arm per width so each becomes a single store (`copy_from_slice` is not
        // always inlined and then calls memmove).
        match len {
            1 => {
                if let Some(b) = self.data.get_mut(off) {
                    *b = value as u8;
                }
            }
            2 => {
                if let Some(b) = self.bytes_mut::<2>(off) {
                    *b = (value as u16).to_le_bytes();
                }
            }
            4 => {
                if let Some(b) = self.bytes_mut::<4>(off) {
                    *b = (value as u32).to_le_bytes();
                }
            }
            _ => {
                if let Some(b) = self.bytes_mut::<8>(off) {
                    *b = value.to_le_bytes();
                }
            }
        }
    }

    #[inline(always)]
    fn bytes<const N: usize>(&self, off: usize) -> Option<&[u8; N]> {
        self.data.get(off..)?.first_chunk::<N>()
    }

    #[inline(always)]
    fn bytes_mut<const N: usize>(&mut self, off: usize) -> Option<&mut [u8; N]> {
        self.data.get_mut(off..)?.first_chunk_mut::<N>()
    }
}
