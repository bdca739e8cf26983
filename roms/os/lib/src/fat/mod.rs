//! FAT12/FAT16 on a block device: read, list, create/replace/append files, remove, mkdir.
//! Long names (VFAT) are read; new names must be 8.3. The whole FAT is kept in memory and the
//! changed sectors are written back to every FAT copy after each operation.
mod dir;
mod name;
mod table;

use crate::fs::{DirEntry, FileSystem, FsError};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
pub use name::short_name;

/// Sector-addressed storage (LBA of 512-byte sectors).
pub trait BlockDevice: Send {
    fn read_sector(&mut self, lba: u64, buf: &mut [u8; 512]) -> Result<(), FsError>;
    fn write_sector(&mut self, lba: u64, buf: &[u8; 512]) -> Result<(), FsError>;
}

/// The first FAT12/16 partition of an MBR: (start LBA, sectors).
pub fn find_partition(mbr: &[u8; 512]) -> Option<(u64, u64)> {
    if mbr[510..512] != [0x55, 0xAA] {
        return None;
    }
    (0..4).map(|i| &mbr[446 + 16 * i..462 + 16 * i]).find_map(|e| {
        let start = u32::from_le_bytes([e[8], e[9], e[10], e[11]]);
        let count = u32::from_le_bytes([e[12], e[13], e[14], e[15]]);
        matches!(e[4], 0x01 | 0x04 | 0x06 | 0x0E).then_some((u64::from(start), u64::from(count)))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatKind {
    Fat12,
    Fat16,
}

const ATTR_DIR: u8 = 0x10;
const ATTR_VOLUME: u8 = 0x08;
const ATTR_LFN: u8 = 0x0F;
/// 1980-01-01, so images are the same on every run.
const FAT_DATE: u16 = 0x0021;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Root,
    Chain(u32),
}

/// A directory entry as found on disk.
#[derive(Debug, Clone)]
struct Raw {
    name: String,
    attr: u8,
    cluster: u32,
    size: u32,
    /// (absolute LBA, byte offset) of the 8.3 entry.
    loc: (u64, usize),
    /// Locations of its long-name entries.
    lfn: Vec<(u64, usize)>,
}

impl Raw {
    fn is_dir(&self) -> bool {
        self.attr & ATTR_DIR != 0
    }
}

/// A mounted FAT12/16 volume.
pub struct Fat<D: BlockDevice> {
    dev: D,
    base: u64,
    kind: FatKind,
    spc: u32,
    reserved: u32,
    nfats: u32,
    fat_sectors: u32,
    root_start: u64,
    root_sectors: u32,
    data_start: u64,
    clusters: u32,
    fat: Vec<u8>,
    dirty: Vec<bool>,
    label: String,
}

fn le16(b: &[u8], at: usize) -> u32 {
    u32::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl<D: BlockDevice> Fat<D> {
    /// Mount the volume whose boot sector is at `base`.
    pub fn mount(mut dev: D, base: u64) -> Result<Self, FsError> {
        let mut bs = [0u8; 512];
        dev.read_sector(base, &mut bs)?;
        if bs[510..512] != [0x55, 0xAA] {
            return Err(FsError::Corrupt("no boot sector signature"));
        }
        if le16(&bs, 11) != 512 {
            return Err(FsError::Unsupported("sector size other than 512"));
        }
        let spc = u32::from(bs[13]);
        if spc == 0 || !spc.is_power_of_two() {
            return Err(FsError::Corrupt("sectors per cluster"));
        }
        let reserved = le16(&bs, 14);
        let nfats = u32::from(bs[16]);
        let root_entries = le16(&bs, 17);
        let total = if le16(&bs, 19) != 0 { le16(&bs, 19) } else { le32(&bs, 32) };
        let fat_sectors = le16(&bs, 22);
        if fat_sectors == 0 {
            return Err(FsError::Unsupported("FAT32"));
        }
        if reserved == 0 || nfats == 0 {
            return Err(FsError::Corrupt("BPB"));
        }
        let root_sectors = (root_entries * 32).div_ceil(512);
        let data_start = reserved + nfats * fat_sectors + root_sectors;
        if total <= data_start {
            return Err(FsError::Corrupt("volume smaller than its metadata"));
        }
        let clusters = (total - data_start) / spc;
        let kind = match clusters {
            0..4085 => FatKind::Fat12,
            4085..65525 => FatKind::Fat16,
            _ => return Err(FsError::Unsupported("FAT32-sized volume")),
        };
        // The FAT must hold an entry for every cluster.
        let need = match kind {
            FatKind::Fat12 => (clusters + 2) * 3 / 2 + 1,
            FatKind::Fat16 => (clusters + 2) * 2,
        };
        if fat_sectors * 512 < need {
            return Err(FsError::Corrupt("FAT too small for the volume"));
        }
        let label = if bs[38] == 0x29 { String::from_utf8_lossy(&bs[43..54]).trim_end().into() } else { String::new() };
        let mut fat = vec![0u8; fat_sectors as usize * 512];
        let mut sector = [0u8; 512];
        for i in 0..fat_sectors {
            dev.read_sector(base + u64::from(reserved + i), &mut sector)?;
            fat[i as usize * 512..][..512].copy_from_slice(&sector);
        }
        Ok(Fat {
            dev,
            base,
            kind,
            spc,
            reserved,
            nfats,
            fat_sectors,
            root_start: u64::from(reserved + nfats * fat_sectors),
            root_sectors,
            data_start: u64::from(data_start),
            clusters,
            fat,
            dirty: vec![false; fat_sectors as usize],
            label,
        })
    }

    pub fn fat_kind(&self) -> FatKind {
        self.kind
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// Bytes per cluster.
    pub fn cluster_bytes(&self) -> u32 {
        self.spc * 512
    }

    pub fn clusters(&self) -> u32 {
        self.clusters
    }

    pub fn free_clusters(&self) -> u32 {
        (2..self.clusters + 2).filter(|&c| self.entry(c) == 0).count() as u32
    }

    /// Give back the device (tests read the image afterwards).
    pub fn into_device(self) -> D {
        self.dev
    }
}

impl<D: BlockDevice> FileSystem for Fat<D> {
    fn kind(&self) -> &'static str {
        match self.kind {
            FatKind::Fat12 => "fat12",
            FatKind::Fat16 => "fat16",
        }
    }

    fn list(&mut self, path: &[&str]) -> Result<Vec<DirEntry>, FsError> {
        let dir = self.walk(path)?;
        Ok(self
            .read_dir(dir)?
            .into_iter()
            .map(|r| DirEntry { is_dir: r.is_dir(), size: u64::from(r.size), name: r.name })
            .collect())
    }

    fn read(&mut self, path: &[&str]) -> Result<Vec<u8>, FsError> {
        let (_, e) = self.lookup(path)?;
        let e = e.ok_or(FsError::NotFound)?;
        if e.is_dir() {
            return Err(FsError::IsADirectory);
        }
        self.read_data(e.cluster, e.size)
    }

    fn write(&mut self, path: &[&str], data: &[u8], append: bool) -> Result<(), FsError> {
        let (dir, existing) = self.lookup(path)?;
        let size = u32::try_from(data.len()).map_err(|_| FsError::NoSpace)?;
        match existing {
            Some(e) if e.is_dir() => Err(FsError::IsADirectory),
            Some(e) => {
                let mut all = if append { self.read_data(e.cluster, e.size)? } else { Vec::new() };
                all.extend_from_slice(data);
                let total = u32::try_from(all.len()).map_err(|_| FsError::NoSpace)?;
                let needed = all.len().div_ceil(self.cluster_bytes() as usize);
                if needed > self.free_clusters() as usize + self.chain(e.cluster)?.len() {
                    return Err(FsError::NoSpace);
                }
                // The old clusters are freed first so that they can be reused.
                self.free_chain(e.cluster)?;
                let first = self.write_data(&all)?;
                self.patch_entry(e.loc, |b| {
                    b[26..28].copy_from_slice(&(first as u16).to_le_bytes());
                    b[28..32].copy_from_slice(&total.to_le_bytes());
                })?;
                self.flush()
            }
            None => {
                let name = path.last().ok_or(FsError::InvalidName)?;
                short_name(name)?;
                let first = self.write_data(data)?;
                if let Err(e) = self.new_entry(dir, name, 0x20, first, size) {
                    // No room for the entry (a full root directory): give the clusters back.
                    self.free_chain(first)?;
                    self.flush()?;
                    return Err(e);
                }
                self.flush()
            }
        }
    }

    fn remove(&mut self, path: &[&str]) -> Result<(), FsError> {
        let (_, e) = self.lookup(path)?;
        let e = e.ok_or(FsError::NotFound)?;
        if e.is_dir() && !self.read_dir(Dir::Chain(e.cluster))?.is_empty() {
            return Err(FsError::NotEmpty);
        }
        self.free_chain(e.cluster)?;
        for loc in e.lfn.iter().chain(core::iter::once(&e.loc)) {
            self.patch_entry(*loc, |b| b[0] = 0xE5)?;
        }
        self.flush()
    }

    fn mkdir(&mut self, path: &[&str]) -> Result<(), FsError> {
        let (dir, existing) = self.lookup(path)?;
        if existing.is_some() {
            return Err(FsError::AlreadyExists);
        }
        let name = path.last().ok_or(FsError::InvalidName)?;
        short_name(name)?;
        let c = self.alloc_cluster()?;
        let parent = match dir {
            Dir::Root => 0,
            Dir::Chain(p) => p,
        };
        let lba = self.cluster_lba(c);
        let mut buf = [0u8; 512];
        for (i, (n, target)) in [(b".          ", c), (b"..         ", parent)].into_iter().enumerate() {
            let e = &mut buf[i * 32..i * 32 + 32];
            e[..11].copy_from_slice(n);
            e[11] = ATTR_DIR;
            e[16..18].copy_from_slice(&FAT_DATE.to_le_bytes());
            e[24..26].copy_from_slice(&FAT_DATE.to_le_bytes());
            e[26..28].copy_from_slice(&(target as u16).to_le_bytes());
        }
        let made = self
            .zero_cluster(c)
            .and_then(|()| self.dev.write_sector(lba, &buf))
            .and_then(|()| self.new_entry(dir, name, ATTR_DIR, c, 0));
        if let Err(e) = made {
            self.set_entry(c, 0);
            self.flush()?;
            return Err(e);
        }
        self.flush()
    }
}

#[cfg(test)]
mod tests;
