//! The VFS: absolute paths, normalised, dispatched to the file system mounted at the longest
//! matching prefix. Mount points show up in the listing of their parent.
use crate::fs::{DirEntry, FileSystem, FsError};
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Mounted file systems.
#[derive(Default)]
pub struct Vfs {
    /// (mount point components, file system), longest first.
    mounts: Vec<(Vec<String>, Box<dyn FileSystem>)>,
}

/// `path` as components, `.` and `..` resolved (`..` at the root stays at the root).
pub fn normalize(path: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

impl Vfs {
    pub fn new() -> Self {
        Vfs { mounts: Vec::new() }
    }

    /// Mount `fs` at `at` (e.g. "/" or "/tmp").
    pub fn mount(&mut self, at: &str, fs: Box<dyn FileSystem>) {
        let point: Vec<String> = normalize(at).into_iter().map(str::to_string).collect();
        self.mounts.push((point, fs));
        self.mounts.sort_by_key(|m| core::cmp::Reverse(m.0.len()));
    }

    /// Mount points and their kinds, for the boot log.
    pub fn mounts(&self) -> impl Iterator<Item = (String, &'static str)> + '_ {
        self.mounts.iter().rev().map(|(p, fs)| (alloc::format!("/{}", p.join("/")), fs.kind()))
    }

    fn resolve<'p>(&mut self, path: &'p str) -> Result<(&mut dyn FileSystem, Vec<&'p str>), FsError> {
        let comps = normalize(path);
        for (point, fs) in self.mounts.iter_mut() {
            if comps.len() >= point.len() && comps.iter().zip(point.iter()).all(|(a, b)| a == b) {
                return Ok((fs.as_mut(), comps[point.len()..].to_vec()));
            }
        }
        Err(FsError::NotFound)
    }

    pub fn list(&mut self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let comps = normalize(path);
        let (fs, rel) = self.resolve(path)?;
        let mut entries = fs.list(&rel)?;
        for (point, fs) in &self.mounts {
            if point.len() == comps.len() + 1 && point.iter().zip(comps.iter()).all(|(a, b)| a == b) {
                let name = point[comps.len()].clone();
                if !entries.iter().any(|e| e.name == name) {
                    entries.push(DirEntry { name, is_dir: true, size: 0 });
                }
                let _ = fs;
            }
        }
        Ok(entries)
    }

    pub fn read(&mut self, path: &str) -> Result<Vec<u8>, FsError> {
        let (fs, rel) = self.resolve(path)?;
        fs.read(&rel)
    }

    pub fn write(&mut self, path: &str, data: &[u8], append: bool) -> Result<(), FsError> {
        let (fs, rel) = self.resolve(path)?;
        if rel.is_empty() {
            return Err(FsError::IsADirectory);
        }
        fs.write(&rel, data, append)
    }

    pub fn remove(&mut self, path: &str) -> Result<(), FsError> {
        let (fs, rel) = self.resolve(path)?;
        if rel.is_empty() {
            return Err(FsError::Unsupported("removing a mount point"));
        }
        fs.remove(&rel)
    }

    pub fn mkdir(&mut self, path: &str) -> Result<(), FsError> {
        let (fs, rel) = self.resolve(path)?;
        if rel.is_empty() {
            return Err(FsError::AlreadyExists);
        }
        fs.mkdir(&rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memfs::MemFs;

    #[test]
    fn normalisation() {
        assert_eq!(normalize("/a//b/./c/../d/"), vec!["a", "b", "d"]);
        assert_eq!(normalize("/../.."), Vec::<&str>::new());
    }

    #[test]
    fn longest_prefix_wins_and_mount_points_are_listed() {
        let mut vfs = Vfs::new();
        vfs.mount("/", Box::new(MemFs::new()));
        vfs.mount("/tmp", Box::new(MemFs::new()));
        vfs.write("/tmp/x", b"in tmp", false).unwrap();
        vfs.write("/x", b"in root", false).unwrap();
        assert_eq!(vfs.read("/tmp/../tmp/x").unwrap(), b"in tmp");
        assert_eq!(vfs.read("/x").unwrap(), b"in root");
        let names: Vec<_> = vfs.list("/").unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, vec!["x", "tmp"]);
        assert_eq!(vfs.remove("/tmp"), Err(FsError::Unsupported("removing a mount point")));
    }
}
