//! The cartridge: ROM, external RAM and the bank controller between them and the bus.
//!
//! Adding a mapper is three edits: a [`MapperKind`] in the header table, a state here, and its
//! arms in `write_rom` / `rom_bank0` / `rom_bankn` / `ram_offset`.

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

use crate::header::{Header, LOGO, MapperKind};
use crate::rtc::Rtc;

#[derive(Clone, Debug)]
pub struct Cartridge {
    pub header: Header,
    rom: Vec<u8>,
    pub ram: Vec<u8>,
    rom_banks: usize,
    ram_enabled: bool,
    /// MBC1: 5-bit BANK1; MBC3: 7-bit bank; MBC5: low 8 bits. Others: the ROM bank.
    bank_lo: u16,
    /// MBC1: 2-bit BANK2; MBC3: RAM bank / RTC register select; MBC5: RAM bank.
    bank_hi: u8,
    /// MBC1 banking mode; MBC3 latch register last written.
    mode: u8,
    /// MBC1 multicart (MBC1M): BANK1 is 4 bits wide.
    multicart: bool,
    pub rtc: Rtc,
    /// Set whenever battery-backed RAM or the RTC registers are written.
    pub dirty: bool,
    /// Precomputed offsets of the two ROM windows.
    bank0_off: usize,
    bankn_off: usize,
}

impl Cartridge {
    pub fn new(rom: &[u8], header: Header) -> Self {
        let rom_banks = (rom.len() / 0x4000).max(2);
        let mut data = rom.to_vec();
        data.resize(rom_banks * 0x4000, 0xFF);
        // MBC1M: 1 MiB boards wired with BANK1 4 bits wide; each 256 KiB game carries a logo.
        let multicart = header.mapper == MapperKind::Mbc1
            && data.len() == 0x100000
            && data.get(0x40104..0x40134) == Some(&LOGO[..]);
        let mut cart = Cartridge {
            ram: vec![0xFF; header.ram_size],
            header,
            rom: data,
            rom_banks,
            ram_enabled: false,
            bank_lo: 1,
            bank_hi: 0,
            mode: 0,
            multicart,
            rtc: Rtc::default(),
            dirty: false,
            bank0_off: 0,
            bankn_off: 0x4000,
        };
        cart.remap();
        cart
    }

    /// Put the controller back in its power-on state (RAM contents survive).
    pub fn reset(&mut self) {
        self.ram_enabled = false;
        self.bank_lo = 1;
        self.bank_hi = 0;
        self.mode = 0;
        self.remap();
    }

    pub fn rom_bytes(&self) -> &[u8] {
        &self.rom
    }

    fn remap(&mut self) {
        let mask = self.rom_banks - 1;
        let (b0, bn) = match self.header.mapper {
            MapperKind::RomOnly => (0, 1),
            MapperKind::Mbc1 => {
                let shift = if self.multicart { 4 } else { 5 };
                let lo = (self.bank_lo as usize) & if self.multicart { 0xF } else { 0x1F };
                let hi = (self.bank_hi as usize) << shift;
                (if self.mode & 1 != 0 { hi } else { 0 }, hi | lo)
            }
            MapperKind::Mbc2 | MapperKind::Mbc3 => (0, self.bank_lo as usize),
            MapperKind::Mbc5 => (0, self.bank_lo as usize),
        };
        // The bank count is a power of two for every legal size, so masking wraps like the pins.
        self.bank0_off = (b0 & mask) * 0x4000;
        self.bankn_off = (bn & mask) * 0x4000;
    }

    #[inline(always)]
    pub fn read_rom(&self, addr: u16) -> u8 {
        let off = if addr < 0x4000 {
            self.bank0_off
        } else {
            self.bankn_off
        };
        self.rom[off + (addr as usize & 0x3FFF)]
    }

    pub fn write_rom(&mut self, addr: u16, v: u8) {
        match self.header.mapper {
            MapperKind::RomOnly => {}
            MapperKind::Mbc1 => match addr >> 13 {
                0 => self.ram_enabled = v & 0xF == 0xA,
                1 => self.bank_lo = if v & 0x1F == 0 { 1 } else { (v & 0x1F) as u16 },
                2 => self.bank_hi = v & 3,
                _ => self.mode = v & 1,
            },
            MapperKind::Mbc2 => {
                if addr < 0x4000 {
                    if addr & 0x100 == 0 {
                        self.ram_enabled = v & 0xF == 0xA;
                    } else {
                        self.bank_lo = if v & 0xF == 0 { 1 } else { (v & 0xF) as u16 };
                    }
                }
            }
            MapperKind::Mbc3 => match addr >> 13 {
                0 => self.ram_enabled = v & 0xF == 0xA,
                1 => self.bank_lo = if v & 0x7F == 0 { 1 } else { (v & 0x7F) as u16 },
                2 => self.bank_hi = v & 0x0F,
                _ => {
                    if self.mode == 0 && v == 1 && self.header.has_rtc {
                        self.rtc.latch();
                    }
                    self.mode = v;
                }
            },
            MapperKind::Mbc5 => match addr >> 12 {
                0 | 1 => self.ram_enabled = v & 0xF == 0xA,
                2 => self.bank_lo = (self.bank_lo & 0x100) | v as u16,
                3 => self.bank_lo = (self.bank_lo & 0xFF) | ((v as u16 & 1) << 8),
                4 | 5 => self.bank_hi = v & 0x0F,
                _ => {}
            },
        }
        self.remap();
    }

    /// Offset into `ram` for an A000-BFFF access, or None when nothing answers.
    fn ram_offset(&self, addr: u16) -> Option<usize> {
        if !self.ram_enabled || self.ram.is_empty() {
            return None;
        }
        let a = addr as usize & 0x1FFF;
        let bank = match self.header.mapper {
            MapperKind::Mbc1 if self.mode & 1 != 0 => self.bank_hi as usize,
            MapperKind::Mbc3 | MapperKind::Mbc5 => self.bank_hi as usize,
            MapperKind::Mbc2 => return Some(a & 0x1FF),
            _ => 0,
        };
        Some((bank * 0x2000 + a) % self.ram.len())
    }

    pub fn read_ram(&self, addr: u16) -> u8 {
        if self.header.mapper == MapperKind::Mbc3 && self.ram_enabled && self.bank_hi >= 8 {
            return self.rtc.read(self.bank_hi);
        }
        match self.ram_offset(addr) {
            Some(off) if self.header.mapper == MapperKind::Mbc2 => self.ram[off] | 0xF0,
            Some(off) => self.ram[off],
            None => 0xFF,
        }
    }

    pub fn write_ram(&mut self, addr: u16, v: u8) {
        if self.header.mapper == MapperKind::Mbc3 && self.ram_enabled && self.bank_hi >= 8 {
            self.rtc.write(self.bank_hi, v);
            self.dirty |= self.header.has_battery;
            return;
        }
        if let Some(off) = self.ram_offset(addr) {
            let v = if self.header.mapper == MapperKind::Mbc2 {
                v | 0xF0
            } else {
                v
            };
            if self.ram[off] != v {
                self.ram[off] = v;
                self.dirty |= self.header.has_battery;
            }
        }
    }

    /// Advance the real-time clock by one M-cycle (only MBC3+TIMER carts have one).
    #[inline(always)]
    pub fn tick(&mut self) {
        if self.header.has_rtc {
            self.rtc.tick();
        }
    }

    /// Poke without side effects (the debugger's memory view): the mapped ROM byte.
    pub fn poke_rom(&mut self, addr: u16, v: u8) {
        let off = if addr < 0x4000 {
            self.bank0_off
        } else {
            self.bankn_off
        };
        self.rom[off + (addr as usize & 0x3FFF)] = v;
    }

    /// Poke cartridge RAM through the current mapping (debugger view).
    pub fn poke_ram(&mut self, addr: u16, v: u8) {
        if let Some(off) = self.ram_offset(addr) {
            self.ram[off] = v;
        }
    }

    pub fn save(&self, w: &mut Writer) {
        w.bytes(&self.ram);
        w.bool(self.ram_enabled)
            .u16(self.bank_lo)
            .u8(self.bank_hi)
            .u8(self.mode);
        self.rtc.save(w);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        r.blob_into(&mut self.ram)?;
        self.ram_enabled = r.bool()?;
        self.bank_lo = r.u16()?;
        self.bank_hi = r.u8()?;
        self.mode = r.u8()?;
        self.rtc.load(r)?;
        self.remap();
        Ok(())
    }
}

impl Cartridge {
    /// Poke the ROM image by its file offset (debugger "rom" space).
    pub fn poke_rom_linear(&mut self, offset: usize, v: u8) {
        if let Some(b) = self.rom.get_mut(offset) {
            *b = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ROM of `banks` banks whose every byte holds its bank number, with a valid header.
    fn cart(cart_type: u8, rom_code: u8, ram_code: u8) -> Cartridge {
        let banks = 2usize << rom_code;
        let mut rom: Vec<u8> = (0..banks * 0x4000).map(|i| (i / 0x4000) as u8).collect();
        rom[0x104..0x134].copy_from_slice(&LOGO);
        rom[0x147] = cart_type;
        rom[0x148] = rom_code;
        rom[0x149] = ram_code;
        rom[0x14D] = crate::header::header_checksum(&rom);
        let header = Header::parse(&rom).expect("valid test header");
        Cartridge::new(&rom, header)
    }

    #[test]
    fn mbc1_banks_rom_and_ram() {
        let mut c = cart(0x03, 6, 3); // 2 MiB, 32 KiB RAM
        assert_eq!(c.read_rom(0x4000), 1);
        c.write_rom(0x2000, 0); // bank 0 reads as 1
        assert_eq!(c.read_rom(0x4000), 1);
        c.write_rom(0x2000, 0x1F);
        c.write_rom(0x4000, 2);
        assert_eq!(c.read_rom(0x4000), 0x5F);
        assert_eq!(c.read_rom(0x0000), 0, "mode 0: bank 0 fixed");
        c.write_rom(0x6000, 1);
        assert_eq!(
            c.read_rom(0x0000),
            0x40,
            "mode 1: BANK2 applies to 0000-3FFF"
        );
        // RAM: disabled reads FF; mode 1 banks it with BANK2.
        assert_eq!(c.read_ram(0xA000), 0xFF);
        c.write_rom(0x0000, 0x0A);
        c.write_ram(0xA000, 0x12);
        assert_eq!(c.read_ram(0xA000), 0x12);
        assert_eq!(c.ram[2 * 0x2000], 0x12);
        assert!(c.dirty);
    }

    #[test]
    fn mbc1_multicart_uses_four_bit_bank1() {
        let banks = 64;
        let mut rom: Vec<u8> = (0..banks * 0x4000).map(|i| (i / 0x4000) as u8).collect();
        for game in 0..4 {
            rom[game * 0x40000 + 0x104..game * 0x40000 + 0x134].copy_from_slice(&LOGO);
        }
        rom[0x147] = 0x01;
        rom[0x148] = 5;
        rom[0x14D] = crate::header::header_checksum(&rom);
        let header = Header::parse(&rom).expect("valid");
        let mut c = Cartridge::new(&rom, header);
        assert!(c.multicart);
        c.write_rom(0x4000, 1);
        c.write_rom(0x2000, 0x12);
        assert_eq!(c.read_rom(0x4000), 0x12);
    }

    #[test]
    fn mbc2_has_nibble_ram_and_bit8_select() {
        let mut c = cart(0x06, 3, 0);
        c.write_rom(0x0100, 5); // A8 set: ROM bank
        assert_eq!(c.read_rom(0x4000), 5);
        c.write_rom(0x0000, 0x0A); // A8 clear: RAM enable
        c.write_ram(0xA000, 0x3C);
        assert_eq!(c.read_ram(0xA000), 0xFC);
        assert_eq!(c.read_ram(0xA200), 0xFC, "512 nibbles mirrored");
    }

    #[test]
    fn mbc3_banks_and_latches_the_clock() {
        let mut c = cart(0x10, 6, 3);
        c.write_rom(0x2000, 0x45);
        assert_eq!(c.read_rom(0x4000), 0x45);
        c.write_rom(0x0000, 0x0A);
        c.write_rom(0x4000, 0x08); // RTC seconds
        c.write_ram(0xA000, 30);
        for _ in 0..(1 << 20) * 2 {
            c.tick();
        }
        c.write_rom(0x6000, 0);
        c.write_rom(0x6000, 1);
        assert_eq!(c.read_ram(0xA000) & 0x3F, 32);
        assert_eq!(c.rtc.to_sav().len(), 48);
    }

    #[test]
    fn mbc5_has_nine_bit_rom_banks_and_bank_zero() {
        let mut c = cart(0x1B, 8, 4); // 8 MiB, 128 KiB RAM
        c.write_rom(0x2000, 0);
        assert_eq!(c.read_rom(0x4000), 0, "MBC5 maps bank 0 as asked");
        c.write_rom(0x2000, 0x23);
        c.write_rom(0x3000, 1);
        assert_eq!(c.read_rom(0x4000), 0x23, "bank 0x123 holds byte 0x23");
        c.write_rom(0x0000, 0x0A);
        c.write_rom(0x4000, 0x0F);
        c.write_ram(0xBFFF, 7);
        assert_eq!(c.ram[0x0F * 0x2000 + 0x1FFF], 7);
    }
}
