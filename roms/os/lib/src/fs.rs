//! What every file system offers the VFS, and its errors.
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A file system error (one line for the shell).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsError {
    NotFound,
    NotADirectory,
    IsADirectory,
    AlreadyExists,
    NotEmpty,
    NoSpace,
    InvalidName,
    Io,
    Corrupt(&'static str),
    Unsupported(&'static str),
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsError::NotFound => write!(f, "no such file or directory"),
            FsError::NotADirectory => write!(f, "not a directory"),
            FsError::IsADirectory => write!(f, "is a directory"),
            FsError::AlreadyExists => write!(f, "already exists"),
            FsError::NotEmpty => write!(f, "directory not empty"),
            FsError::NoSpace => write!(f, "no space left"),
            FsError::InvalidName => write!(f, "invalid name (FAT needs 8.3 names)"),
            FsError::Io => write!(f, "disk I/O error"),
            FsError::Corrupt(what) => write!(f, "corrupt file system: {what}"),
            FsError::Unsupported(what) => write!(f, "unsupported: {what}"),
        }
    }
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub is_dir: bool,
    pub size: u64,
}

/// A mounted file system. Paths are relative to its root: components separated by `/`, already
/// normalised by the VFS (no `.`, `..` or empty components).
pub trait FileSystem: Send {
    fn kind(&self) -> &'static str;
    fn list(&mut self, path: &[&str]) -> Result<Vec<DirEntry>, FsError>;
    fn read(&mut self, path: &[&str]) -> Result<Vec<u8>, FsError>;
    /// Create or replace the file (or add to its end when `append`).
    fn write(&mut self, path: &[&str], data: &[u8], append: bool) -> Result<(), FsError>;
    /// Remove a file or an empty directory.
    fn remove(&mut self, path: &[&str]) -> Result<(), FsError>;
    fn mkdir(&mut self, path: &[&str]) -> Result<(), FsError>;
}
