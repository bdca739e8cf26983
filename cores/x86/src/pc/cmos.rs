//! CMOS RAM and the MC146818 real-time clock (ports 0x70/0x71). The clock counts the
//! machine's virtual time from a fixed date, so runs are reproducible.

/// Seconds since 1970 of the virtual power-on instant: 2026-01-01 00:00:00 UTC.
const EPOCH: u64 = 1_767_225_600;

#[derive(Clone, Debug)]
pub struct Cmos {
    pub index: u8,
    pub ram: [u8; 128],
}

fn bcd(v: u64) -> u8 {
    (((v / 10) << 4) | (v % 10)) as u8
}

/// Days since 1970-01-01 → (year, month, day).
fn civil(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    let y = yoe + era * 400 + (m <= 2) as i64;
    (y, m, d)
}

impl Cmos {
    pub fn new(ram_bytes: u64) -> Self {
        let mut ram = [0u8; 128];
        ram[0x0A] = 0x26;
        ram[0x0B] = 0x02;
        ram[0x0D] = 0x80;
        ram[0x10] = 0x00; // no floppies
        ram[0x14] = 0x06; // equipment: VGA, math coprocessor bit clear
        let ext_kb = (ram_bytes / 1024).saturating_sub(1024).min(0xFFFF);
        ram[0x15] = 0x80;
        ram[0x16] = 0x02; // 640 KiB base memory
        ram[0x17] = ext_kb as u8;
        ram[0x18] = (ext_kb >> 8) as u8;
        ram[0x30] = ext_kb as u8;
        ram[0x31] = (ext_kb >> 8) as u8;
        let above16 = (ram_bytes.saturating_sub(16 << 20) >> 16).min(0xFFFF);
        ram[0x34] = above16 as u8;
        ram[0x35] = (above16 >> 8) as u8;
        Cmos { index: 0, ram }
    }

    pub fn read(&mut self, seconds: u64) -> u8 {
        let i = (self.index & 0x7F) as usize;
        let t = EPOCH + seconds;
        let (y, mo, d) = civil((t / 86_400) as i64);
        let binary = self.ram[0x0B] & 4 != 0;
        let enc = |v: u64| if binary { v as u8 } else { bcd(v) };
        match i {
            0x00 => enc(t % 60),
            0x02 => enc((t / 60) % 60),
            0x04 => enc((t / 3600) % 24),
            0x06 => enc(((t / 86_400 + 4) % 7) + 1),
            0x07 => enc(d),
            0x08 => enc(mo),
            0x09 => enc((y % 100) as u64),
            0x32 => enc((y / 100) as u64),
            0x0C => {
                let v = self.ram[0x0C];
                self.ram[0x0C] = 0;
                v
            }
            _ => self.ram[i],
        }
    }

    pub fn write(&mut self, v: u8) {
        let i = (self.index & 0x7F) as usize;
        if !matches!(i, 0x0C | 0x0D) {
            self.ram[i] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_counts_from_the_epoch() {
        let mut c = Cmos::new(128 << 20);
        c.index = 0x09;
        assert_eq!(c.read(0), 0x26);
        c.index = 0x08;
        assert_eq!(c.read(0), 0x01);
        c.index = 0x02;
        assert_eq!(c.read(61), 0x01);
        c.index = 0x32;
        assert_eq!(c.read(0), 0x20);
    }
}
