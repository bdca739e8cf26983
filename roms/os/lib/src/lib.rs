//! The parts of wbos that do not touch hardware, so they build and are unit-tested on the host:
//! the kernel heap allocator, the physical frame bitmap, the spinlock, FAT12/16, the in-memory
//! file system, the VFS, the ELF loader and SHA-256.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod elf;
pub mod fat;
pub mod frames;
pub mod fs;
pub mod heap;
pub mod memfs;
pub mod sha256;
pub mod spin;
pub mod vfs;
