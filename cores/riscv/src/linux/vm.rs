//! Memory system calls of Linux user mode: brk, mmap (mmap2 on RV32), munmap, mremap,
//! mprotect over the `vmas` map of mapped areas.

use super::fs::Fd;
use super::{
    BRK_LIMIT, EACCES, EBADF, EFAULT, EINVAL, ENOMEM, Linux, MEM_SIZE, MMAP_BASE, MMAP_TOP, STACK_SIZE, STACK_TOP,
    io_errno, page_up, prot_flags,
};
use crate::hart::Hart;
use crate::mem::{self, PAGE_SIZE};

impl Linux {

    pub(super) fn brk(&mut self, hart: &mut Hart, addr: u64) -> u64 {
        if addr < self.brk_start || addr > BRK_LIMIT {
            return self.brk;
        }
        let (old_end, new_end) = (page_up(self.brk), page_up(addr));
        if new_end > old_end {
            if self.vmas.range(..new_end).next_back().is_some_and(|(_, &e)| e > old_end) {
                return self.brk;
            }
            hart.set_perms(old_end, new_end - old_end, mem::R | mem::W);
        } else if new_end < old_end {
            zero_range(hart, new_end, old_end - new_end);
        }
        self.brk = addr;
        addr
    }

    fn find_free(&self, len: u64) -> Option<u64> {
        let mut top = MMAP_TOP;
        for (&start, &end) in self.vmas.range(..MMAP_TOP).rev() {
            if end.min(MMAP_TOP) + len <= top {
                return Some(top - len);
            }
            top = top.min(start);
        }
        (top >= MMAP_BASE + len).then(|| top - len)
    }

    fn unmap(&mut self, hart: &mut Hart, start: u64, len: u64) {
        let end = start + len;
        let hits: Vec<(u64, u64)> = self.vmas.range(..end).filter(|(_, e)| **e > start).map(|(s, e)| (*s, *e)).collect();
        for (s, e) in hits {
            self.vmas.remove(&s);
            if s < start {
                self.vmas.insert(s, start);
            }
            if e > end {
                self.vmas.insert(end, e);
            }
        }
        zero_range(hart, start, len);
    }

    #[allow(clippy::too_many_arguments)] // the system call's six arguments
    pub(super) fn mmap(&mut self, hart: &mut Hart, addr: u64, len: u64, prot: u64, flags: u64, fd: i64, off: u64) -> i64 {
        const MAP_FIXED: u64 = 0x10;
        const MAP_ANONYMOUS: u64 = 0x20;
        if len == 0 || addr & (PAGE_SIZE - 1) != 0 || off & (PAGE_SIZE - 1) != 0 {
            return -EINVAL;
        }
        let len = page_up(len);
        let start = if flags & MAP_FIXED != 0 {
            if addr.checked_add(len).is_none_or(|e| e > STACK_TOP - STACK_SIZE) || addr < PAGE_SIZE {
                return -ENOMEM;
            }
            addr
        } else {
            match self.find_free(len) {
                Some(s) => s,
                None => return -ENOMEM,
            }
        };
        // Read the file first so that a bad fd leaves the address space alone.
        let contents = if flags & MAP_ANONYMOUS == 0 {
            use std::os::unix::fs::FileExt;
            match self.fd(fd as u64) {
                Some(Fd::File { file, .. }) => {
                    let mut buf = vec![0u8; len as usize];
                    let mut got = 0;
                    while got < buf.len() {
                        match file.read_at(&mut buf[got..], off + got as u64) {
                            Ok(0) => break,
                            Ok(n) => got += n,
                            Err(e) => return -io_errno(&e),
                        }
                    }
                    buf.truncate(got);
                    Some(buf)
                }
                Some(_) => return -EACCES,
                None => return -EBADF,
            }
        } else {
            None
        };
        self.unmap(hart, start, len);
        self.vmas.insert(start, start + len);
        hart.set_perms(start, len, prot_flags(prot));
        if let Some(c) = contents {
            hart.write_bytes(start, &c, false);
        }
        start as i64
    }

    pub(super) fn munmap(&mut self, hart: &mut Hart, addr: u64, len: u64) -> i64 {
        if addr & (PAGE_SIZE - 1) != 0 || len == 0 || addr.checked_add(len).is_none_or(|e| e > MEM_SIZE) {
            return -EINVAL;
        }
        self.unmap(hart, addr, page_up(len));
        0
    }

    /// mremap: shrink in place, grow in place when the pages after are free, or move
    /// (MREMAP_MAYMOVE). MREMAP_FIXED is not supported.
    pub(super) fn mremap(&mut self, hart: &mut Hart, old: u64, old_len: u64, new_len: u64, flags: u64) -> i64 {
        const MREMAP_MAYMOVE: u64 = 1;
        if old & (PAGE_SIZE - 1) != 0 || old_len == 0 || new_len == 0 || flags & !MREMAP_MAYMOVE != 0 {
            return -EINVAL;
        }
        let (old_len, new_len) = (page_up(old_len), page_up(new_len));
        let old_end = old.saturating_add(old_len);
        let Some((&vma_start, &vma_end)) = self.vmas.range(..=old).next_back() else { return -EFAULT };
        if vma_end < old_end {
            return -EFAULT;
        }
        if new_len <= old_len {
            self.unmap(hart, old + new_len, old_len - new_len);
            return old as i64;
        }
        let Some(off) = hart.mem.offset(old, 0) else { return -EFAULT };
        let perms = hart.mem.page_flags(off) & (mem::R | mem::W | mem::X);
        let new_end = old + new_len;
        let room = vma_end == old_end && new_end <= MMAP_TOP && self.vmas.range(old_end..new_end).next().is_none();
        if room {
            self.vmas.insert(vma_start, new_end);
            hart.set_perms(old_end, new_end - old_end, perms);
            return old as i64;
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return -ENOMEM;
        }
        let Some(start) = self.find_free(new_len) else { return -ENOMEM };
        let Some(data) = hart.read_bytes(old, old_len, false).map(<[u8]>::to_vec) else { return -EFAULT };
        self.vmas.insert(start, start + new_len);
        hart.set_perms(start, new_len, perms);
        hart.write_bytes(start, &data, false);
        self.unmap(hart, old, old_len);
        start as i64
    }

    pub(super) fn mprotect(&mut self, hart: &mut Hart, addr: u64, len: u64, prot: u64) -> i64 {
        if addr & (PAGE_SIZE - 1) != 0 || addr.checked_add(len).is_none_or(|e| e > MEM_SIZE) {
            return -EINVAL;
        }
        hart.set_perms(addr, page_up(len), prot_flags(prot));
        0
    }
}

/// Zero `[addr, addr+len)` and unmap its pages (forgetting decoded code there too).
pub fn zero_range(hart: &mut Hart, addr: u64, len: u64) {
    let Some(off) = hart.mem.offset(addr, len) else { return };
    let zeros = vec![0u8; len as usize];
    hart.write_bytes(addr, &zeros, false);
    hart.set_perms(addr, len, 0);
    let _ = off;
}
