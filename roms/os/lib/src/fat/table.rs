//! The file allocation table: entries, cluster chains, allocation, write-back.
use super::{BlockDevice, Fat, FatKind, le16};
use crate::fs::FsError;
use alloc::vec::Vec;

impl<D: BlockDevice> Fat<D> {
    pub(super) fn entry(&self, n: u32) -> u32 {
        match self.kind {
            FatKind::Fat16 => le16(&self.fat, n as usize * 2),
            FatKind::Fat12 => {
                let v = le16(&self.fat, n as usize * 3 / 2);
                if n & 1 == 1 { v >> 4 } else { v & 0xFFF }
            }
        }
    }

    pub(super) fn set_entry(&mut self, n: u32, v: u32) {
        let at = match self.kind {
            FatKind::Fat16 => {
                let at = n as usize * 2;
                self.fat[at..at + 2].copy_from_slice(&(v as u16).to_le_bytes());
                at
            }
            FatKind::Fat12 => {
                let at = n as usize * 3 / 2;
                let old = le16(&self.fat, at);
                let new = if n & 1 == 1 { (old & 0x000F) | (v << 4) } else { (old & 0xF000) | (v & 0xFFF) };
                self.fat[at..at + 2].copy_from_slice(&(new as u16).to_le_bytes());
                at
            }
        };
        self.dirty[at / 512] = true;
        if let Some(d) = self.dirty.get_mut((at + 1) / 512) {
            *d = true;
        }
    }

    pub(super) fn end_of_chain(&self) -> u32 {
        match self.kind {
            FatKind::Fat12 => 0xFFF,
            FatKind::Fat16 => 0xFFFF,
        }
    }

    pub(super) fn is_end(&self, v: u32) -> bool {
        match self.kind {
            FatKind::Fat12 => v >= 0xFF8,
            FatKind::Fat16 => v >= 0xFFF8,
        }
    }

    /// The clusters of a chain, checked: no free, bad or out-of-range link, no loop.
    pub(super) fn chain(&self, first: u32) -> Result<Vec<u32>, FsError> {
        let mut out = Vec::new();
        let mut c = first;
        if c == 0 {
            return Ok(out);
        }
        loop {
            if c < 2 || c >= self.clusters + 2 {
                return Err(FsError::Corrupt("cluster chain leaves the volume"));
            }
            if out.len() as u32 > self.clusters {
                return Err(FsError::Corrupt("cluster chain loops"));
            }
            out.push(c);
            let next = self.entry(c);
            if self.is_end(next) {
                return Ok(out);
            }
            c = next;
        }
    }

    pub(super) fn cluster_lba(&self, c: u32) -> u64 {
        self.base + self.data_start + u64::from(c - 2) * u64::from(self.spc)
    }

    pub(super) fn alloc_cluster(&mut self) -> Result<u32, FsError> {
        let c = (2..self.clusters + 2).find(|&c| self.entry(c) == 0).ok_or(FsError::NoSpace)?;
        let eoc = self.end_of_chain();
        self.set_entry(c, eoc);
        Ok(c)
    }

    pub(super) fn free_chain(&mut self, first: u32) -> Result<(), FsError> {
        for c in self.chain(first)? {
            self.set_entry(c, 0);
        }
        Ok(())
    }

    pub(super) fn flush(&mut self) -> Result<(), FsError> {
        for s in 0..self.fat_sectors {
            if !core::mem::replace(&mut self.dirty[s as usize], false) {
                continue;
            }
            let mut buf = [0u8; 512];
            buf.copy_from_slice(&self.fat[s as usize * 512..][..512]);
            for copy in 0..self.nfats {
                let lba = self.base + u64::from(self.reserved + copy * self.fat_sectors + s);
                self.dev.write_sector(lba, &buf)?;
            }
        }
        Ok(())
    }
}
