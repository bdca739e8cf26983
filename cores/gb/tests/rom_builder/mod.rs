//! A tiny ROM image builder for tests: a header with a correct logo and checksums, and code
//! placed at chosen addresses.
#![allow(dead_code)]

use wb_gb::looks_like_gb_rom;

/// The Nintendo logo (the header check the boot ROM and our loader perform).
pub const LOGO: [u8; 48] = [
    0xCE, 0xED, 0x66, 0x66, 0xCC, 0x0D, 0x00, 0x0B, 0x03, 0x73, 0x00, 0x83, 0x00, 0x0C, 0x00, 0x0D,
    0x00, 0x08, 0x11, 0x1F, 0x88, 0x89, 0x00, 0x0E, 0xDC, 0xCC, 0x6E, 0xE6, 0xDD, 0xDD, 0xD9, 0x99,
    0xBB, 0xBB, 0x67, 0x63, 0x6E, 0x0E, 0xEC, 0xCC, 0xDD, 0xDC, 0x99, 0x9F, 0xBB, 0xB9, 0x33, 0x3E,
];

/// A ROM of `banks` 16 KiB banks with cart type `mapper`, entry `jp $0150`, and the given code
/// at 0x150.
pub fn rom(title: &str, mapper: u8, rom_code: u8, ram_code: u8, code: &[u8]) -> Vec<u8> {
    let mut rom = vec![0u8; 0x8000 << rom_code];
    rom[0x100..0x104].copy_from_slice(&[0x00, 0xC3, 0x50, 0x01]);
    rom[0x104..0x134].copy_from_slice(&LOGO);
    for (i, b) in title.bytes().take(15).enumerate() {
        rom[0x134 + i] = b;
    }
    rom[0x147] = mapper;
    rom[0x148] = rom_code;
    rom[0x149] = ram_code;
    rom[0x150..0x150 + code.len()].copy_from_slice(code);
    fix_checksums(&mut rom);
    assert!(looks_like_gb_rom(&rom));
    rom
}

/// Recompute the header checksum (0x14D) and the global checksum (0x14E-0x14F).
pub fn fix_checksums(rom: &mut [u8]) {
    rom[0x14D] = rom[0x134..=0x14C]
        .iter()
        .fold(0u8, |x, &b| x.wrapping_sub(b).wrapping_sub(1));
    let sum = rom
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 0x14E && i != 0x14F)
        .fold(0u16, |s, (_, &b)| s.wrapping_add(b as u16));
    rom[0x14E..0x150].copy_from_slice(&sum.to_be_bytes());
}
