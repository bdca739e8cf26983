//! An ATA disk on the primary channel (ports 0x1F0-0x1F7, control 0x3F6, IRQ 14), PIO
//! only: IDENTIFY, READ/WRITE SECTORS (28-bit and 48-bit LBA), FLUSH. Writes go to an
//! overlay of changed sectors, so the loaded image stays as it was.

use std::collections::BTreeMap;
use std::sync::Arc;

use wb_machine::StateError;
use wb_machine::state::{Reader, Writer};

const DRDY: u8 = 0x40;
const DSC: u8 = 0x10;
const DRQ: u8 = 0x08;
const ERR: u8 = 0x01;

#[derive(Clone, Debug, Default)]
pub struct Disk {
    /// The loaded image, shared with the PC (which reloads it on reset).
    image: Arc<[u8]>,
    /// Sectors written since load.
    written: BTreeMap<u64, Vec<u8>>,
}

impl Disk {
    pub fn new(image: Arc<[u8]>) -> Self {
        Disk {
            image,
            written: BTreeMap::new(),
        }
    }
    pub fn sectors(&self) -> u64 {
        self.image.len().div_ceil(512) as u64
    }
    pub fn read_sector(&self, lba: u64, out: &mut [u8]) -> bool {
        if lba >= self.sectors() {
            return false;
        }
        if let Some(s) = self.written.get(&lba) {
            out[..512].copy_from_slice(s);
            return true;
        }
        let start = lba as usize * 512;
        let end = (start + 512).min(self.image.len());
        out[..512].fill(0);
        out[..end - start].copy_from_slice(&self.image[start..end]);
        true
    }
    pub fn write_sector(&mut self, lba: u64, data: &[u8]) -> bool {
        if lba >= self.sectors() {
            return false;
        }
        self.written.insert(lba, data[..512].to_vec());
        true
    }
    pub fn save(&self, w: &mut Writer) {
        w.u64(self.written.len() as u64);
        for (lba, s) in &self.written {
            w.u64(*lba).bytes(s);
        }
    }
    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.written.clear();
        for _ in 0..r.u64()? {
            let lba = r.u64()?;
            let n = r.u64()? as usize;
            if n != 512 {
                return Err(StateError::Mismatch("bad disk sector".into()));
            }
            self.written.insert(lba, r.bytes(n)?.to_vec());
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transfer {
    None,
    Read,
    Write,
}

#[derive(Clone, Debug)]
pub struct Ata {
    pub disk: Disk,
    features: u8,
    /// Task-file registers, current and "previous" (for 48-bit commands).
    count: [u8; 2],
    lba: [[u8; 2]; 3],
    drive: u8,
    status: u8,
    error: u8,
    control: u8,
    buf: Vec<u8>,
    pos: usize,
    transfer: Transfer,
    /// Sectors left in the current transfer, and the next LBA.
    remaining: u32,
    next_lba: u64,
    irq: bool,
}

impl Ata {
    pub fn new(disk: Disk) -> Self {
        Ata {
            disk,
            features: 0,
            count: [0; 2],
            lba: [[0; 2]; 3],
            drive: 0xA0,
            status: DRDY | DSC,
            error: 0,
            control: 0,
            buf: vec![0; 512],
            pos: 0,
            transfer: Transfer::None,
            remaining: 0,
            next_lba: 0,
            irq: false,
        }
    }

    fn selected_present(&self) -> bool {
        self.drive & 0x10 == 0
    }

    /// The IRQ 14 line.
    pub fn irq(&self) -> bool {
        self.irq && self.control & 2 == 0
    }

    fn raise(&mut self) {
        self.irq = true;
    }

    pub fn read(&mut self, port: u16) -> u8 {
        if !self.selected_present() && port != 0x1F6 {
            return 0;
        }
        match port {
            0x1F0 => self.read_data(1) as u8,
            0x1F1 => self.error,
            0x1F2 => self.count[0],
            0x1F3..=0x1F5 => self.lba[(port - 0x1F3) as usize][0],
            0x1F6 => self.drive,
            0x1F7 => {
                self.irq = false;
                self.status
            }
            0x3F6 => self.status,
            _ => 0xFF,
        }
    }

    /// Read 1, 2 or 4 bytes from the data port.
    pub fn read_data(&mut self, size: u8) -> u32 {
        if self.transfer != Transfer::Read {
            return 0xFFFF;
        }
        let mut v = 0u32;
        for i in 0..size as usize {
            v |= (self.buf[self.pos] as u32) << (8 * i);
            self.pos += 1;
            if self.pos == 512 {
                self.sector_done_read();
                if self.transfer != Transfer::Read {
                    break;
                }
            }
        }
        v
    }

    fn sector_done_read(&mut self) {
        self.pos = 0;
        self.remaining = self.remaining.saturating_sub(1);
        if self.remaining == 0 {
            self.transfer = Transfer::None;
            self.status = DRDY | DSC;
        } else {
            self.load_next_sector();
        }
    }

    fn load_next_sector(&mut self) {
        let mut buf = std::mem::take(&mut self.buf);
        if self.disk.read_sector(self.next_lba, &mut buf) {
            self.next_lba += 1;
            self.status = DRDY | DSC | DRQ;
            self.raise();
        } else {
            self.abort();
        }
        self.buf = buf;
    }

    pub fn write_data(&mut self, size: u8, v: u32) {
        if self.transfer != Transfer::Write {
            return;
        }
        for i in 0..size as usize {
            self.buf[self.pos] = (v >> (8 * i)) as u8;
            self.pos += 1;
            if self.pos == 512 {
                self.pos = 0;
                let ok = self.disk.write_sector(self.next_lba, &self.buf);
                self.next_lba += 1;
                self.remaining = self.remaining.saturating_sub(1);
                if !ok {
                    self.abort();
                    return;
                }
                if self.remaining == 0 {
                    self.transfer = Transfer::None;
                    self.status = DRDY | DSC;
                } else {
                    self.status = DRDY | DSC | DRQ;
                }
                self.raise();
                if self.transfer != Transfer::Write {
                    break;
                }
            }
        }
    }

    fn abort(&mut self) {
        self.transfer = Transfer::None;
        self.status = DRDY | ERR;
        self.error = 0x04;
        self.raise();
    }

    pub fn write(&mut self, port: u16, v: u8) {
        let shift = |pair: &mut [u8; 2], v: u8| {
            pair[1] = pair[0];
            pair[0] = v;
        };
        match port {
            0x1F0 => self.write_data(1, v as u32),
            0x1F1 => self.features = v,
            0x1F2 => shift(&mut self.count, v),
            0x1F3..=0x1F5 => shift(&mut self.lba[(port - 0x1F3) as usize], v),
            0x1F6 => self.drive = v,
            0x1F7 => self.command(v),
            0x3F6 => {
                if v & 4 != 0 && self.control & 4 == 0 {
                    // Software reset.
                    self.transfer = Transfer::None;
                    self.status = DRDY | DSC;
                    self.error = 1;
                }
                self.control = v;
            }
            _ => {}
        }
    }

    fn lba28(&self) -> u64 {
        (self.lba[0][0] as u64)
            | (self.lba[1][0] as u64) << 8
            | (self.lba[2][0] as u64) << 16
            | ((self.drive & 0xF) as u64) << 24
    }

    fn lba48(&self) -> u64 {
        let mut v = 0u64;
        for i in 0..3 {
            v |= (self.lba[i][0] as u64) << (8 * i);
            v |= (self.lba[i][1] as u64) << (8 * i + 24);
        }
        v
    }

    fn command(&mut self, cmd: u8) {
        if !self.selected_present() {
            return;
        }
        self.error = 0;
        self.pos = 0;
        match cmd {
            0xEC => {
                self.identify();
                self.transfer = Transfer::Read;
                self.remaining = 1;
                self.status = DRDY | DSC | DRQ;
                self.raise();
            }
            0x20 | 0x21 | 0x24 | 0x29 | 0xC4 => {
                let ext = matches!(cmd, 0x24 | 0x29);
                let (lba, count) = if ext {
                    let c = self.count[0] as u32 | (self.count[1] as u32) << 8;
                    (self.lba48(), if c == 0 { 65536 } else { c })
                } else {
                    (
                        self.lba28(),
                        if self.count[0] == 0 {
                            256
                        } else {
                            self.count[0] as u32
                        },
                    )
                };
                self.transfer = Transfer::Read;
                self.remaining = count;
                self.next_lba = lba;
                self.load_next_sector();
            }
            0x30 | 0x31 | 0x34 | 0x39 | 0xC5 => {
                let ext = matches!(cmd, 0x34 | 0x39);
                let (lba, count) = if ext {
                    let c = self.count[0] as u32 | (self.count[1] as u32) << 8;
                    (self.lba48(), if c == 0 { 65536 } else { c })
                } else {
                    (
                        self.lba28(),
                        if self.count[0] == 0 {
                            256
                        } else {
                            self.count[0] as u32
                        },
                    )
                };
                self.transfer = Transfer::Write;
                self.remaining = count;
                self.next_lba = lba;
                self.status = DRDY | DSC | DRQ;
            }
            0xE7 | 0xEA | 0x91 | 0xC6 | 0xEF | 0x10..=0x1F | 0xE0..=0xE5 => {
                self.status = DRDY | DSC;
                self.raise();
            }
            _ => self.abort(),
        }
    }

    fn identify(&mut self) {
        let mut w = [0u16; 256];
        let sectors = self.disk.sectors();
        let cyl = (sectors / (16 * 63)).clamp(1, 16383) as u16;
        w[0] = 0x0040;
        w[1] = cyl;
        w[3] = 16;
        w[6] = 63;
        let text = |w: &mut [u16; 256], start: usize, len: usize, s: &str| {
            let mut b = s.as_bytes().to_vec();
            b.resize(len * 2, b' ');
            for i in 0..len {
                w[start + i] = (b[2 * i] as u16) << 8 | b[2 * i + 1] as u16;
            }
        };
        text(&mut w, 10, 10, "WB0001");
        text(&mut w, 23, 4, "1.0");
        text(&mut w, 27, 20, "WORKBENCH HARDDISK");
        w[47] = 0x8001;
        w[49] = 0x0200; // LBA supported
        w[53] = 0x0007;
        w[54] = cyl;
        w[55] = 16;
        w[56] = 63;
        let chs = cyl as u32 * 16 * 63;
        w[57] = chs as u16;
        w[58] = (chs >> 16) as u16;
        let lba28 = sectors.min(0x0FFF_FFFF) as u32;
        w[60] = lba28 as u16;
        w[61] = (lba28 >> 16) as u16;
        w[80] = 0x007E;
        w[83] = 1 << 10; // 48-bit addressing
        w[86] = 1 << 10;
        for i in 0..4 {
            w[100 + i] = (sectors >> (16 * i)) as u16;
        }
        for (i, v) in w.iter().enumerate() {
            self.buf[2 * i] = *v as u8;
            self.buf[2 * i + 1] = (*v >> 8) as u8;
        }
    }

    pub fn save(&self, w: &mut Writer) {
        self.disk.save(w);
        w.u8(self.features).u8(self.count[0]).u8(self.count[1]);
        for l in &self.lba {
            w.u8(l[0]).u8(l[1]);
        }
        w.u8(self.drive)
            .u8(self.status)
            .u8(self.error)
            .u8(self.control);
        w.bytes(&self.buf).u64(self.pos as u64);
        w.u8(match self.transfer {
            Transfer::None => 0,
            Transfer::Read => 1,
            Transfer::Write => 2,
        });
        w.u32(self.remaining).u64(self.next_lba).bool(self.irq);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.disk.load(r)?;
        self.features = r.u8()?;
        self.count = [r.u8()?, r.u8()?];
        for l in &mut self.lba {
            *l = [r.u8()?, r.u8()?];
        }
        self.drive = r.u8()?;
        self.status = r.u8()?;
        self.error = r.u8()?;
        self.control = r.u8()?;
        let n = r.u64()? as usize;
        if n != 512 {
            return Err(StateError::Mismatch("bad ATA buffer".into()));
        }
        self.buf = r.bytes(n)?.to_vec();
        self.pos = (r.u64()? as usize).min(511);
        self.transfer = match r.u8()? {
            1 => Transfer::Read,
            2 => Transfer::Write,
            _ => Transfer::None,
        };
        self.remaining = r.u32()?;
        self.next_lba = r.u64()?;
        self.irq = r.bool()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pio_read_and_write() {
        let mut img = vec![0u8; 4096];
        img[512] = 0xAB;
        let mut ata = Ata::new(Disk::new(img.into()));
        ata.write(0x1F6, 0xE0);
        ata.write(0x1F2, 1);
        ata.write(0x1F3, 1);
        ata.write(0x1F4, 0);
        ata.write(0x1F5, 0);
        ata.write(0x1F7, 0x20);
        assert_eq!(ata.read(0x1F7) & DRQ, DRQ);
        assert_eq!(ata.read_data(2), 0xAB);
        for _ in 0..255 {
            ata.read_data(2);
        }
        assert_eq!(ata.read(0x1F7) & DRQ, 0);
        ata.write(0x1F7, 0x30);
        for _ in 0..256 {
            ata.write_data(2, 0x1234);
        }
        let mut s = [0u8; 512];
        assert!(ata.disk.read_sector(1, &mut s));
        assert_eq!(&s[..2], &[0x34, 0x12]);
    }
}
