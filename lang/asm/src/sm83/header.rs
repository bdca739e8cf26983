//! The Game Boy cartridge header: logo, sizes and the two checksums (what `rgbfix -v` fixes).

/// The logo the boot ROM compares against (0x104..0x134).
pub const LOGO: [u8; 48] = [
    0xCE, 0xED, 0x66, 0x66, 0xCC, 0x0D, 0x00, 0x0B, 0x03, 0x73, 0x00, 0x83, 0x00, 0x0C, 0x00, 0x0D, 0x00, 0x08,
    0x11, 0x1F, 0x88, 0x89, 0x00, 0x0E, 0xDC, 0xCC, 0x6E, 0xE6, 0xDD, 0xDD, 0xD9, 0x99, 0xBB, 0xBB, 0x67, 0x63,
    0x6E, 0x0E, 0xEC, 0xCC, 0xDD, 0xDC, 0x99, 0x9F, 0xBB, 0xB9, 0x33, 0x3E,
];

/// The header checksum over 0x134..=0x14C, as the boot ROM computes it.
pub fn header_checksum(rom: &[u8]) -> u8 {
    rom.get(0x134..=0x14C).unwrap_or(&[]).iter().fold(0u8, |x, b| x.wrapping_sub(*b).wrapping_sub(1))
}

/// The global checksum: the sum of every byte except the checksum itself.
pub fn global_checksum(rom: &[u8]) -> u16 {
    rom.iter()
        .enumerate()
        .filter(|(i, _)| *i != 0x14E && *i != 0x14F)
        .fold(0u16, |s, (_, b)| s.wrapping_add(*b as u16))
}

/// Pads `rom` to a valid size (32 KiB × 2ⁿ) and fixes logo, ROM size and checksums.
pub fn fix(rom: &mut Vec<u8>) {
    let mut size = 0x8000;
    while size < rom.len() {
        size *= 2;
    }
    rom.resize(size, 0);
    rom[0x104..0x134].copy_from_slice(&LOGO);
    rom[0x148] = (size / 0x8000).trailing_zeros() as u8;
    rom[0x14D] = header_checksum(rom);
    let g = global_checksum(rom);
    rom[0x14E..0x150].copy_from_slice(&g.to_be_bytes());
}
