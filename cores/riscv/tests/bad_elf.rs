//! Bad ELF files are refused with a one-line LoadError, never a panic.

mod common;

use common::*;
use wb_riscv::{LinuxOptions, LoadError, RiscV, is_riscv_elf};

fn load(bytes: &[u8]) -> Result<RiscV, LoadError> {
    RiscV::load_elf(bytes, LinuxOptions::default())
}

fn set_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn the_hand_made_image_loads() {
    let elf = tiny_elf();
    assert!(is_riscv_elf(&elf));
    assert!(load(&elf).is_ok());
}

#[test]
fn not_an_elf() {
    assert!(matches!(load(b"hello world"), Err(LoadError::NotElf)));
    assert!(matches!(load(b""), Err(LoadError::NotElf)));
    assert!(!is_riscv_elf(b"\x7fELF"));
}

#[test]
fn every_truncation_is_an_error() {
    let elf = tiny_elf();
    for cut in 0..elf.len() {
        let err = load(&elf[..cut]).expect_err("a truncated file must be refused");
        let line = err.to_string();
        assert!(!line.contains('\n') && !line.is_empty(), "{line:?}");
    }
}

#[test]
fn wrong_machine() {
    let mut elf = tiny_elf();
    elf[18] = 62; // EM_X86_64
    assert!(matches!(load(&elf), Err(LoadError::WrongMachine(62))));
    assert!(!is_riscv_elf(&elf));
}

#[test]
fn segment_outside_guest_memory() {
    let mut elf = tiny_elf();
    set_u64(&mut elf, 64 + 16, 0x1_0000_0000); // vaddr above the bare-metal RAM
    set_u64(&mut elf, 24, 0x1_0000_0000);
    assert!(matches!(load(&elf), Err(LoadError::OutOfRange { .. })), "{:?}", load(&elf).err());
    let mut elf = tiny_elf();
    set_u64(&mut elf, 64 + 40, u64::MAX - 8); // memsz wraps the address space
    assert!(load(&elf).is_err());
}

#[test]
fn overlapping_segments() {
    // Two PT_LOAD entries covering the same bytes.
    let mut elf = tiny_elf();
    let ph = elf[64..120].to_vec();
    elf.truncate(0x78);
    let code_at = elf.len() + 56;
    elf.extend_from_slice(&ph);
    elf.extend_from_slice(&0x0000_006fu32.to_le_bytes());
    elf[56] = 2; // phnum
    for k in 0..2 {
        set_u64(&mut elf, 64 + 56 * k + 8, code_at as u64);
    }
    assert!(matches!(load(&elf), Err(LoadError::Overlap(0x8000_0000))), "{:?}", load(&elf).err());
}

#[test]
fn segment_past_the_end_of_the_file() {
    let mut elf = tiny_elf();
    set_u64(&mut elf, 64 + 32, 0x1000); // filesz
    set_u64(&mut elf, 64 + 40, 0x1000); // memsz
    assert!(matches!(load(&elf), Err(LoadError::Truncated(_))));
}

#[test]
fn a_host_program_is_the_wrong_machine() {
    if let Ok(bytes) = std::fs::read("/bin/true") {
        assert!(matches!(load(&bytes), Err(LoadError::WrongMachine(_))));
    }
}
