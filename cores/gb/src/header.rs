//! The cartridge header at 0x0100-0x014F: logo, title, mapper, sizes and checksums.

use crate::LoadError;

/// The Nintendo logo the boot ROM compares against 0x0104-0x0133.
pub const LOGO: [u8; 48] = [
    0xCE, 0xED, 0x66, 0x66, 0xCC, 0x0D, 0x00, 0x0B, 0x03, 0x73, 0x00, 0x83, 0x00, 0x0C, 0x00, 0x0D,
    0x00, 0x08, 0x11, 0x1F, 0x88, 0x89, 0x00, 0x0E, 0xDC, 0xCC, 0x6E, 0xE6, 0xDD, 0xDD, 0xD9, 0x99,
    0xBB, 0xBB, 0x67, 0x63, 0x6E, 0x0E, 0xEC, 0xCC, 0xDD, 0xDC, 0x99, 0x9F, 0xBB, 0xB9, 0x33, 0x3E,
];

/// The largest ROM any mapper we emulate can address (MBC5: 512 banks of 16 KiB).
pub const MAX_ROM: usize = 8 << 20;

/// Which memory bank controller the cartridge carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapperKind {
    RomOnly,
    Mbc1,
    Mbc2,
    Mbc3,
    Mbc5,
}

/// What the header says, after checking it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub title: String,
    pub cart_type: u8,
    pub mapper: MapperKind,
    pub has_ram: bool,
    pub has_battery: bool,
    pub has_rtc: bool,
    /// ROM size in bytes as declared.
    pub rom_size: usize,
    /// External RAM size in bytes (MBC2's built-in 512 nibbles count as 512).
    pub ram_size: usize,
    pub header_checksum: u8,
    /// True when the (unchecked by hardware) global checksum matches.
    pub global_checksum_ok: bool,
}

/// True when the bytes carry the Nintendo logo at 0x104: the format detector's test.
pub fn looks_like_gb_rom(bytes: &[u8]) -> bool {
    bytes.len() >= 0x150 && bytes[0x104..0x134] == LOGO
}

/// The header checksum the boot ROM verifies: over 0x134-0x14C.
pub fn header_checksum(rom: &[u8]) -> u8 {
    rom[0x134..=0x14C]
        .iter()
        .fold(0u8, |x, &b| x.wrapping_sub(b).wrapping_sub(1))
}

impl Header {
    /// Parse and check the header of a whole ROM image.
    pub fn parse(rom: &[u8]) -> Result<Header, LoadError> {
        if rom.len() > MAX_ROM {
            return Err(LoadError::Oversize(rom.len()));
        }
        if rom.len() < 0x150 {
            return Err(LoadError::Truncated {
                len: rom.len(),
                expected: 0x8000,
            });
        }
        let stored = rom[0x14D];
        let computed = header_checksum(rom);
        if stored != computed {
            return Err(LoadError::HeaderChecksum { stored, computed });
        }
        let cart_type = rom[0x147];
        use MapperKind::*;
        let (mapper, has_ram, has_battery, has_rtc) = match cart_type {
            0x00 => (RomOnly, false, false, false),
            0x08 => (RomOnly, true, false, false),
            0x09 => (RomOnly, true, true, false),
            0x01 => (Mbc1, false, false, false),
            0x02 => (Mbc1, true, false, false),
            0x03 => (Mbc1, true, true, false),
            0x05 => (Mbc2, true, false, false),
            0x06 => (Mbc2, true, true, false),
            0x0F => (Mbc3, false, true, true),
            0x10 => (Mbc3, true, true, true),
            0x11 => (Mbc3, false, false, false),
            0x12 => (Mbc3, true, false, false),
            0x13 => (Mbc3, true, true, false),
            0x19 | 0x1C => (Mbc5, false, false, false),
            0x1A | 0x1D => (Mbc5, true, false, false),
            0x1B | 0x1E => (Mbc5, true, true, false),
            other => return Err(LoadError::UnknownMapper(other)),
        };
        let rom_code = rom[0x148];
        if rom_code > 8 {
            return Err(LoadError::BadRomSize(rom_code));
        }
        let rom_size = 0x8000usize << rom_code;
        if rom.len() < rom_size {
            return Err(LoadError::Truncated {
                len: rom.len(),
                expected: rom_size,
            });
        }
        if rom.len() > rom_size {
            return Err(LoadError::Oversize(rom.len()));
        }
        let ram_size = if mapper == Mbc2 {
            512
        } else if !has_ram {
            0
        } else {
            match rom[0x149] {
                0 => 0,
                1 => 0x800,
                2 => 0x2000,
                3 => 0x8000,
                4 => 0x20000,
                5 => 0x10000,
                other => return Err(LoadError::BadRamSize(other)),
            }
        };
        let title: String = rom[0x134..0x144]
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| {
                if (0x20..0x7F).contains(&b) {
                    b as char
                } else {
                    '?'
                }
            })
            .collect();
        let global = u16::from_be_bytes([rom[0x14E], rom[0x14F]]);
        let sum = rom
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != 0x14E && i != 0x14F)
            .fold(0u16, |s, (_, &b)| s.wrapping_add(b as u16));
        Ok(Header {
            title,
            cart_type,
            mapper,
            has_ram: has_ram && ram_size > 0,
            has_battery,
            has_rtc,
            rom_size,
            ram_size,
            header_checksum: stored,
            global_checksum_ok: sum == global,
        })
    }
}
