//! The file-system sandbox of Linux user mode: guest paths resolve inside one host folder,
//! read-only unless asked otherwise; paths that escape it are refused.

use std::fs::File;
use std::path::{Component, Path, PathBuf};

pub const ENOENT: i64 = 2;
pub const EACCES: i64 = 13;
pub const EROFS: i64 = 30;

/// One host folder the guest may see.
pub struct Sandbox {
    pub root: PathBuf,
    pub writable: bool,
}

impl Sandbox {
    pub fn new(root: &Path, writable: bool) -> Sandbox {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        Sandbox { root, writable }
    }

    /// The host path for guest path `guest`, relative paths taken from host folder `base`
    /// (the guest's cwd or an open directory). `Err(errno)` when it leaves the sandbox.
    pub fn resolve(&self, base: &Path, guest: &str) -> Result<PathBuf, i64> {
        let joined = if guest.starts_with('/') { PathBuf::from(guest) } else { base.join(guest) };
        // Lexical normalisation first, so `..` cannot climb out of the root.
        let mut norm = PathBuf::new();
        for c in joined.components() {
            match c {
                Component::ParentDir => {
                    if !norm.pop() {
                        return Err(EACCES);
                    }
                }
                Component::CurDir => {}
                other => norm.push(other),
            }
        }
        if !norm.starts_with(&self.root) {
            return Err(EACCES);
        }
        // Then symlinks: the real location must be inside as well.
        let real = match norm.canonicalize() {
            Ok(p) => p,
            Err(_) => match norm.parent().map(|p| p.canonicalize()) {
                Some(Ok(parent)) => parent.join(norm.file_name().unwrap_or_default()),
                _ => return Ok(norm),
            },
        };
        if real.starts_with(&self.root) { Ok(real) } else { Err(EACCES) }
    }
}

/// An open file descriptor of the guest.
pub enum Fd {
    Stdin,
    Stdout,
    Stderr,
    File { file: File, path: PathBuf, writable: bool },
    Dir { path: PathBuf, entries: Vec<DirEntry>, pos: usize },
}

pub struct DirEntry {
    pub name: String,
    pub ino: u64,
    /// DT_* type.
    pub kind: u8,
}

/// The entries of a host folder, with `.` and `..` first as the kernel returns them.
pub fn list_dir(path: &Path) -> std::io::Result<Vec<DirEntry>> {
    use std::os::unix::fs::MetadataExt;
    let mut entries = vec![
        DirEntry { name: ".".into(), ino: 1, kind: 4 },
        DirEntry { name: "..".into(), ino: 2, kind: 4 },
    ];
    let mut names: Vec<_> = std::fs::read_dir(path)?.filter_map(|e| e.ok()).collect();
    names.sort_by_key(|e| e.file_name());
    for e in names {
        let meta = e.metadata()?;
        let kind = if meta.is_dir() {
            4
        } else if meta.file_type().is_symlink() {
            10
        } else {
            8
        };
        entries.push(DirEntry { name: e.file_name().to_string_lossy().into_owned(), ino: meta.ino(), kind });
    }
    Ok(entries)
}

/// The 128-byte `struct stat` of riscv64 (asm-generic layout).
pub fn stat_bytes(meta: Option<&std::fs::Metadata>, chr_dev: bool) -> [u8; 128] {
    use std::os::unix::fs::MetadataExt;
    let mut b = [0u8; 128];
    let mut put = |off: usize, v: u64, n: usize| b[off..off + n].copy_from_slice(&v.to_le_bytes()[..n]);
    match meta {
        Some(m) => {
            put(0, m.dev(), 8);
            put(8, m.ino(), 8);
            put(16, m.mode() as u64, 4);
            put(20, m.nlink(), 4);
            put(24, m.uid() as u64, 4);
            put(28, m.gid() as u64, 4);
            put(48, m.size(), 8);
            put(56, m.blksize(), 4);
            put(64, m.blocks(), 8);
            put(72, m.atime() as u64, 8);
            put(80, m.atime_nsec() as u64, 8);
            put(88, m.mtime() as u64, 8);
            put(96, m.mtime_nsec() as u64, 8);
            put(104, m.ctime() as u64, 8);
            put(112, m.ctime_nsec() as u64, 8);
        }
        None if chr_dev => {
            // A character device (the terminal): S_IFCHR | 0620.
            put(16, 0o20620, 4);
            put(20, 1, 4);
            put(56, 1024, 4);
        }
        None => {}
    }
    b
}

/// The 256-byte `struct statx` with the basic fields; `None` describes the terminal.
pub fn statx_bytes(meta: Option<&std::fs::Metadata>) -> [u8; 256] {
    use std::os::unix::fs::MetadataExt;
    const STATX_BASIC_STATS: u64 = 0x7ff;
    let mut b = [0u8; 256];
    let mut put = |off: usize, v: u64, n: usize| b[off..off + n].copy_from_slice(&v.to_le_bytes()[..n]);
    put(0, STATX_BASIC_STATS, 4);
    match meta {
        Some(m) => {
            put(4, m.blksize(), 4);
            put(16, m.nlink(), 4);
            put(20, m.uid() as u64, 4);
            put(24, m.gid() as u64, 4);
            put(28, m.mode() as u64, 2);
            put(32, m.ino(), 8);
            put(40, m.size(), 8);
            put(48, m.blocks(), 8);
            // atime, btime (left zero: not in the basic mask), ctime, mtime.
            let atime = (64, m.atime(), m.atime_nsec());
            let times = [atime, (96, m.ctime(), m.ctime_nsec()), (112, m.mtime(), m.mtime_nsec())];
            for (off, sec, nsec) in times {
                put(off, sec as u64, 8);
                put(off + 8, nsec as u64, 4);
            }
            let dev = m.dev();
            put(136, ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff), 4);
            put(140, (dev & 0xff) | ((dev >> 12) & !0xff), 4);
        }
        None => {
            // A character device (the terminal): S_IFCHR | 0620.
            put(4, 1024, 4);
            put(16, 1, 4);
            put(28, 0o20620, 2);
        }
    }
    b
}
