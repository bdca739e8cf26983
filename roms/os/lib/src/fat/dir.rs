//! Directories: reading entries (with long names), lookup by path, creating entries, file data.
use super::{ATTR_LFN, ATTR_VOLUME, BlockDevice, Dir, FAT_DATE, Fat, Raw, le16, le32, name, short_name};
use crate::fs::FsError;
use alloc::vec::Vec;

impl<D: BlockDevice> Fat<D> {
    pub(super) fn dir_sectors(&self, dir: Dir) -> Result<Vec<u64>, FsError> {
        match dir {
            Dir::Root => Ok((0..u64::from(self.root_sectors)).map(|i| self.base + self.root_start + i).collect()),
            Dir::Chain(first) => Ok(self
                .chain(first)?
                .into_iter()
                .flat_map(|c| {
                    let lba = self.cluster_lba(c);
                    (0..u64::from(self.spc)).map(move |i| lba + i)
                })
                .collect()),
        }
    }

    pub(super) fn read_dir(&mut self, dir: Dir) -> Result<Vec<Raw>, FsError> {
        let mut out = Vec::new();
        let mut lfn: Vec<name::LfnPart> = Vec::new();
        let mut buf = [0u8; 512];
        for lba in self.dir_sectors(dir)? {
            self.dev.read_sector(lba, &mut buf)?;
            for off in (0..512).step_by(32) {
                let e = &buf[off..off + 32];
                match (e[0], e[11]) {
                    (0x00, _) => return Ok(out),
                    (0xE5, _) => lfn.clear(),
                    (_, ATTR_LFN) => lfn.push(name::LfnPart {
                        ord: e[0],
                        chars: name::lfn_chars(e),
                        checksum: e[13],
                        loc: (lba, off),
                    }),
                    (_, attr) if attr & ATTR_VOLUME != 0 => lfn.clear(),
                    (_, attr) => {
                        let short: [u8; 11] = e[..11].try_into().map_err(|_| FsError::Corrupt("entry"))?;
                        let sum = name::lfn_checksum(&short);
                        let long = name::assemble_lfn(&lfn, sum);
                        let lfn_locs = if long.is_some() { lfn.iter().map(|l| l.loc).collect() } else { Vec::new() };
                        lfn.clear();
                        if short[0] == b'.' {
                            continue; // "." and ".."; the VFS resolves those by name
                        }
                        out.push(Raw {
                            name: long.unwrap_or_else(|| name::display_short(&short, e[12])),
                            attr,
                            cluster: le16(e, 26),
                            size: le32(e, 28),
                            loc: (lba, off),
                            lfn: lfn_locs,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    pub(super) fn find(&mut self, dir: Dir, name: &str) -> Result<Option<Raw>, FsError> {
        Ok(self.read_dir(dir)?.into_iter().find(|r| r.name.eq_ignore_ascii_case(name)))
    }

    /// The directory at `path`.
    pub(super) fn walk(&mut self, path: &[&str]) -> Result<Dir, FsError> {
        let mut dir = Dir::Root;
        for c in path {
            let e = self.find(dir, c)?.ok_or(FsError::NotFound)?;
            if !e.is_dir() {
                return Err(FsError::NotADirectory);
            }
            dir = if e.cluster == 0 { Dir::Root } else { Dir::Chain(e.cluster) };
        }
        Ok(dir)
    }

    /// (parent directory, entry) for a non-empty path.
    pub(super) fn lookup(&mut self, path: &[&str]) -> Result<(Dir, Option<Raw>), FsError> {
        let (last, parent) = path.split_last().ok_or(FsError::IsADirectory)?;
        let dir = self.walk(parent)?;
        Ok((dir, self.find(dir, last)?))
    }

    pub(super) fn patch_entry(&mut self, loc: (u64, usize), f: impl FnOnce(&mut [u8])) -> Result<(), FsError> {
        let mut buf = [0u8; 512];
        self.dev.read_sector(loc.0, &mut buf)?;
        f(&mut buf[loc.1..loc.1 + 32]);
        self.dev.write_sector(loc.0, &buf)
    }

    /// A free 32-byte slot in `dir`, growing a subdirectory by one cluster when it is full.
    pub(super) fn free_slot(&mut self, dir: Dir) -> Result<(u64, usize), FsError> {
        let mut buf = [0u8; 512];
        for lba in self.dir_sectors(dir)? {
            self.dev.read_sector(lba, &mut buf)?;
            if let Some(off) = (0..512).step_by(32).find(|&o| buf[o] == 0x00 || buf[o] == 0xE5) {
                return Ok((lba, off));
            }
        }
        let Dir::Chain(first) = dir else { return Err(FsError::NoSpace) };
        let last = *self.chain(first)?.last().ok_or(FsError::Corrupt("empty directory chain"))?;
        let c = self.alloc_cluster()?;
        self.set_entry(last, c);
        self.zero_cluster(c)?;
        Ok((self.cluster_lba(c), 0))
    }

    pub(super) fn zero_cluster(&mut self, c: u32) -> Result<(), FsError> {
        let lba = self.cluster_lba(c);
        for i in 0..u64::from(self.spc) {
            self.dev.write_sector(lba + i, &[0u8; 512])?;
        }
        Ok(())
    }

    /// Write `data` to freshly allocated clusters; the first cluster (0 for no data).
    pub(super) fn write_data(&mut self, data: &[u8]) -> Result<u32, FsError> {
        let per = self.cluster_bytes() as usize;
        let n = data.len().div_ceil(per);
        if n > self.free_clusters() as usize {
            return Err(FsError::NoSpace);
        }
        let mut first = 0;
        let mut prev = 0;
        for chunk in data.chunks(per) {
            let c = self.alloc_cluster()?;
            if prev == 0 {
                first = c;
            } else {
                self.set_entry(prev, c);
            }
            prev = c;
            let lba = self.cluster_lba(c);
            for (i, s) in chunk.chunks(512).enumerate() {
                let mut buf = [0u8; 512];
                buf[..s.len()].copy_from_slice(s);
                self.dev.write_sector(lba + i as u64, &buf)?;
            }
        }
        Ok(first)
    }

    pub(super) fn read_data(&mut self, first: u32, size: u32) -> Result<Vec<u8>, FsError> {
        let mut out = Vec::with_capacity(size as usize);
        let mut buf = [0u8; 512];
        'chain: for c in self.chain(first)? {
            let lba = self.cluster_lba(c);
            for i in 0..u64::from(self.spc) {
                if out.len() >= size as usize {
                    break 'chain;
                }
                self.dev.read_sector(lba + i, &mut buf)?;
                let n = (size as usize - out.len()).min(512);
                out.extend_from_slice(&buf[..n]);
            }
        }
        if out.len() < size as usize {
            return Err(FsError::Corrupt("file shorter than its size"));
        }
        Ok(out)
    }

    pub(super) fn new_entry(&mut self, dir: Dir, name: &str, attr: u8, cluster: u32, size: u32) -> Result<(), FsError> {
        let (short, case) = short_name(name)?;
        let slot = self.free_slot(dir)?;
        self.patch_entry(slot, |e| {
            e.fill(0);
            e[..11].copy_from_slice(&short);
            e[11] = attr;
            e[12] = case;
            e[16..18].copy_from_slice(&FAT_DATE.to_le_bytes());
            e[18..20].copy_from_slice(&FAT_DATE.to_le_bytes());
            e[24..26].copy_from_slice(&FAT_DATE.to_le_bytes());
            e[26..28].copy_from_slice(&(cluster as u16).to_le_bytes());
            e[28..32].copy_from_slice(&size.to_le_bytes());
        })
    }
}
