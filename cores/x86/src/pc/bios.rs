//! The BIOS, written in Rust. Every IVT entry points at a 4-byte ROM stub at
//! `F000:n*4` holding `0F FF n` (our trap opcode) and `IRET`; the trap hands interrupt `n`
//! to [`service`], which works on the registers and on the flags the INT pushed.
//!
//! Services: int 08h/09h (timer tick, keyboard buffer), 10h teletype and cursor, 11h, 12h,
//! 13h (reset, CHS read/write, parameters, extensions 41h/42h/43h/48h), 15h (E820, A20,
//! E801, 88h), 16h (keyboard), 1Ah (ticks, RTC).

use super::{Pc, RAM_BYTES, ps2, vga};

const ROM: u64 = 0xF0000;
const BDA: usize = 0x400;
const EBDA: u64 = 0x9FC00;
/// Geometry reported for CHS calls: 16 heads, 63 sectors per track.
const HEADS: u64 = 16;
const SPT: u64 = 63;

/// Set up RAM and devices as the BIOS leaves them before booting, and load the MBR.
pub fn post(pc: &mut Pc) {
    let mem = &mut pc.cpu.mem;
    for n in 0..256u64 {
        let stub = (ROM + n * 4) as usize;
        mem[stub..stub + 4].copy_from_slice(&[0x0F, 0xFF, n as u8, 0xCF]);
        let ivt = (n * 4) as usize;
        mem[ivt..ivt + 2].copy_from_slice(&((n * 4) as u16).to_le_bytes());
        mem[ivt + 2..ivt + 4].copy_from_slice(&0xF000u16.to_le_bytes());
    }
    // Reset vector: jump to the boot stub is never needed (we start at 0x7C00), but leave
    // a HLT there so a jump to it stops cleanly.
    mem[0xFFFF0] = 0xF4;
    // BIOS data area.
    let w16 =
        |mem: &mut Vec<u8>, at: usize, v: u16| mem[at..at + 2].copy_from_slice(&v.to_le_bytes());
    w16(mem, BDA, 0x3F8); // COM1
    w16(mem, BDA + 0x0E, (EBDA >> 4) as u16);
    w16(mem, BDA + 0x10, 0x0021); // equipment: VGA colour 80x25, ... no floppy
    w16(mem, BDA + 0x13, 639);
    mem[BDA + 0x49] = 3; // video mode
    w16(mem, BDA + 0x4A, 80);
    w16(mem, BDA + 0x63, 0x3D4);
    mem[BDA + 0x75] = 1; // one hard disk
    mem[BDA + 0x84] = 24;
    mem[EBDA as usize] = 1; // EBDA size in KiB
    // Clear the text screen.
    for i in 0..vga::COLS * vga::ROWS {
        mem[vga::TEXT_BASE + 2 * i] = b' ';
        mem[vga::TEXT_BASE + 2 * i + 1] = 0x07;
    }
    // The MBR, and the registers the BIOS hands over.
    let mbr = &pc.image[..512];
    mem[0x7C00..0x7E00].copy_from_slice(mbr);
    let cpu = &mut pc.cpu;
    cpu.rip = 0x7C00;
    cpu.regs[2] = 0x80;
    cpu.regs[4] = 0x7000;
    cpu.set_rflags(0x202);
    // Interrupt controllers as a BIOS programs them: vectors 08h and 70h, timer,
    // keyboard and cascade unmasked; PIT channel 0 at 18.2 Hz.
    let d = &mut pc.dev;
    for (port, v) in [
        (0x20, 0x11),
        (0x21, 0x08),
        (0x21, 0x04),
        (0x21, 0x01),
        (0xA0, 0x11),
        (0xA1, 0x70),
        (0xA1, 0x02),
        (0xA1, 0x01),
        (0x21, 0xF8),
        (0xA1, 0xFF),
    ] {
        d.pic.write(port, v);
    }
    d.pit.write(0x43, 0x36, 0);
    d.pit.write(0x40, 0, 0);
    d.pit.write(0x40, 0, 0);
    d.vga.set_cursor(0);
}

/// E820 map: (base, length, type). The same ranges SeaBIOS reports under
/// `qemu-system-x86_64 -m 128M`, so the guest sees the same memory on both machines.
fn e820() -> [(u64, u64, u32); 7] {
    let top = RAM_BYTES as u64;
    [
        (0, EBDA, 1),
        (EBDA, 0xA0000 - EBDA, 2),
        (0xF0000, 0x10000, 2),
        (0x10_0000, top - 0x2_0000 - 0x10_0000, 1),
        (top - 0x2_0000, 0x2_0000, 2),
        (0xFFFC_0000, 0x4_0000, 2),
        (0xFD_0000_0000, 0x3_0000_0000, 2),
    ]
}

impl Pc {
    fn ax(&self) -> u16 {
        self.cpu.regs[0] as u16
    }
    fn ah(&self) -> u8 {
        (self.cpu.regs[0] >> 8) as u8
    }
    fn set_reg16(&mut self, n: u8, v: u16) {
        self.cpu.set_reg(2, n, false, v as u64);
    }
    fn set_ah(&mut self, v: u8) {
        self.cpu.set_reg(1, 4, false, v as u64);
    }
    fn set_al(&mut self, v: u8) {
        self.cpu.set_reg(1, 0, false, v as u64);
    }

    /// Physical address of the FLAGS word the INT pushed.
    fn stacked_flags(&self) -> usize {
        let sp = self.cpu.regs[4] & 0xFFFF;
        (self.cpu.segs[2].base + ((sp + 4) & 0xFFFF)) as usize
    }

    fn set_stacked_flag(&mut self, bit: u16, on: bool) {
        let at = self.stacked_flags();
        if at + 2 > self.cpu.mem.len() {
            return;
        }
        let mut f = u16::from_le_bytes([self.cpu.mem[at], self.cpu.mem[at + 1]]);
        if on {
            f |= bit;
        } else {
            f &= !bit;
        }
        self.cpu.mem[at..at + 2].copy_from_slice(&f.to_le_bytes());
    }

    fn set_cf(&mut self, on: bool) {
        self.set_stacked_flag(1, on);
    }

    fn real_addr(&self, seg: u16, off: u16) -> usize {
        ((seg as usize) << 4) + off as usize
    }

    fn ram_u16(&self, at: usize) -> u16 {
        self.cpu.phys_read(at as u64, 2) as u16
    }

    // ---- int 10h ----

    fn teletype(&mut self, c: u8) {
        let pos = self.dev.vga.cursor();
        let (mut row, mut col) = (pos / vga::COLS, pos % vga::COLS);
        match c {
            b'\r' => col = 0,
            b'\n' => row += 1,
            0x08 => col = col.saturating_sub(1),
            0x07 => {}
            _ => {
                let at = vga::TEXT_BASE + 2 * (row * vga::COLS + col);
                self.cpu.mem[at] = c;
                col += 1;
                if col == vga::COLS {
                    col = 0;
                    row += 1;
                }
            }
        }
        if row >= vga::ROWS {
            let line = 2 * vga::COLS;
            let text = vga::TEXT_BASE..vga::TEXT_BASE + line * vga::ROWS;
            self.cpu
                .mem
                .copy_within(text.start + line..text.end, text.start);
            for i in 0..vga::COLS {
                self.cpu.mem[text.end - line + 2 * i] = b' ';
                self.cpu.mem[text.end - line + 2 * i + 1] = 0x07;
            }
            row = vga::ROWS - 1;
        }
        self.set_cursor(row, col);
    }

    fn set_cursor(&mut self, row: usize, col: usize) {
        self.dev.vga.set_cursor(row * vga::COLS + col);
        self.cpu.mem[BDA + 0x50] = col as u8;
        self.cpu.mem[BDA + 0x51] = row as u8;
    }

    fn int10(&mut self) {
        let r = &self.cpu.regs;
        let (bx, cx, dx) = (r[3] as u16, r[1] as u16, r[2] as u16);
        match self.ah() {
            0x00 => {
                for i in 0..vga::COLS * vga::ROWS {
                    self.cpu.mem[vga::TEXT_BASE + 2 * i] = b' ';
                    self.cpu.mem[vga::TEXT_BASE + 2 * i + 1] = 0x07;
                }
                self.set_cursor(0, 0);
            }
            0x01 => {
                self.dev.vga.crtc[0x0A] = (cx >> 8) as u8;
                self.dev.vga.crtc[0x0B] = cx as u8;
            }
            0x02 => self.set_cursor(((dx >> 8) as usize).min(24), ((dx & 0xFF) as usize).min(79)),
            0x03 => {
                let pos = self.dev.vga.cursor();
                let (row, col) = (pos / vga::COLS, pos % vga::COLS);
                self.set_reg16(2, ((row as u16) << 8) | col as u16);
                let shape = (self.dev.vga.crtc[0x0A] as u16) << 8 | self.dev.vga.crtc[0x0B] as u16;
                self.set_reg16(1, shape);
            }
            0x09 | 0x0A => {
                let pos = self.dev.vga.cursor();
                let ch = self.ax() as u8;
                for i in 0..cx as usize {
                    let at = vga::TEXT_BASE + 2 * (pos + i);
                    if at + 1 >= vga::TEXT_BASE + 2 * vga::COLS * vga::ROWS {
                        break;
                    }
                    self.cpu.mem[at] = ch;
                    if self.ah() == 0x09 {
                        self.cpu.mem[at + 1] = bx as u8;
                    }
                }
            }
            0x0E => self.teletype(self.ax() as u8),
            0x0F => {
                self.set_reg16(0, (80 << 8) | 3);
                self.cpu.set_reg(1, 7, false, 0);
            }
            0x12 if bx & 0xFF == 0x10 => self.set_reg16(3, 0x0003),
            0x1A => self.set_reg16(0, 0x001A),
            _ => {}
        }
    }

    // ---- int 13h ----

    fn disk_status(&mut self, status: u8) {
        self.set_ah(status);
        self.set_cf(status != 0);
    }

    /// Copy `count` sectors from `lba` to physical `addr` (or back, for writes).
    fn disk_transfer(&mut self, lba: u64, count: u64, addr: usize, write: bool) -> bool {
        let mut buf = [0u8; 512];
        for i in 0..count {
            let at = addr + 512 * i as usize;
            if at + 512 > self.cpu.mem.len() {
                return false;
            }
            if write {
                buf.copy_from_slice(&self.cpu.mem[at..at + 512]);
                if !self.dev.ata.disk.write_sector(lba + i, &buf) {
                    return false;
                }
            } else {
                if !self.dev.ata.disk.read_sector(lba + i, &mut buf) {
                    return false;
                }
                self.cpu.mem[at..at + 512].copy_from_slice(&buf);
            }
        }
        true
    }

    fn int13(&mut self) {
        let r = &self.cpu.regs;
        let (bx, cx, dx, si) = (r[3] as u16, r[1] as u16, r[2] as u16, r[6] as u16);
        let (es, ds) = (self.cpu.segs[0].selector, self.cpu.segs[3].selector);
        if dx & 0xFF != 0x80 && self.ah() != 0x00 {
            self.disk_status(0x01);
            return;
        }
        let sectors = self.dev.ata.disk.sectors();
        match self.ah() {
            0x00 => self.disk_status(0),
            0x01 => self.disk_status(0),
            0x02 | 0x03 => {
                let count = (self.ax() & 0xFF) as u64;
                let cyl = ((cx >> 8) | ((cx & 0xC0) << 2)) as u64;
                let sector = (cx & 0x3F) as u64;
                let head = (dx >> 8) as u64;
                if sector == 0 {
                    self.disk_status(0x01);
                    return;
                }
                let lba = (cyl * HEADS + head) * SPT + sector - 1;
                let addr = self.real_addr(es, bx);
                if self.disk_transfer(lba, count, addr, self.ah() == 0x03) {
                    self.set_al(count as u8);
                    self.disk_status(0);
                } else {
                    self.set_al(0);
                    self.disk_status(0x04);
                }
            }
            0x08 => {
                let cyls = (sectors / (HEADS * SPT)).clamp(1, 1024) - 1;
                self.set_reg16(
                    1,
                    (((cyls & 0xFF) << 8) | ((cyls >> 2) & 0xC0) | SPT) as u16,
                );
                self.set_reg16(2, (((HEADS - 1) << 8) | 1) as u16);
                self.cpu.set_reg(1, 3, false, 0);
                self.disk_status(0);
            }
            0x15 => {
                self.set_reg16(1, (sectors >> 16) as u16);
                self.set_reg16(2, sectors as u16);
                self.set_ah(3);
                self.set_cf(false);
            }
            0x41 if bx == 0x55AA => {
                self.set_reg16(3, 0xAA55);
                self.set_reg16(1, 0x0001);
                self.set_ah(0x30);
                self.set_cf(false);
            }
            0x42 | 0x43 => {
                let dap = self.real_addr(ds, si);
                let count = self.ram_u16(dap + 2) as u64;
                let off = self.ram_u16(dap + 4);
                let seg = self.ram_u16(dap + 6);
                let lba = self.cpu.phys_read(dap as u64 + 8, 8);
                let addr = self.real_addr(seg, off);
                if lba.checked_add(count).is_none_or(|end| end > sectors) || count > 127 {
                    self.cpu.phys_write(dap as u64 + 2, 2, 0);
                    self.disk_status(0x01);
                } else if self.disk_transfer(lba, count, addr, self.ah() == 0x43) {
                    self.disk_status(0);
                } else {
                    self.cpu.phys_write(dap as u64 + 2, 2, 0);
                    self.disk_status(0x04);
                }
            }
            0x48 => {
                let at = self.real_addr(ds, si) as u64;
                self.cpu.phys_write(at, 2, 0x1A);
                self.cpu.phys_write(at + 2, 2, 0x0002);
                self.cpu.phys_write(at + 4, 4, sectors / (HEADS * SPT));
                self.cpu.phys_write(at + 8, 4, HEADS);
                self.cpu.phys_write(at + 12, 4, SPT);
                self.cpu.phys_write(at + 16, 8, sectors);
                self.cpu.phys_write(at + 24, 2, 512);
                self.disk_status(0);
            }
            _ => self.disk_status(0x01),
        }
    }

    // ---- int 15h ----

    fn int15(&mut self) {
        let eax = self.cpu.regs[0] as u32;
        match eax & 0xFFFF {
            0xE820 if self.cpu.regs[2] as u32 == 0x534D_4150 => {
                let map = e820();
                let idx = self.cpu.regs[3] as u32 as usize;
                let Some(&(base, len, kind)) = map.get(idx) else {
                    self.set_cf(true);
                    return;
                };
                let want = (self.cpu.regs[1] as u32).clamp(20, 24) as u64;
                let at = self.real_addr(self.cpu.segs[0].selector, self.cpu.regs[7] as u16) as u64;
                self.cpu.phys_write(at, 8, base);
                self.cpu.phys_write(at + 8, 8, len);
                self.cpu.phys_write(at + 16, 4, kind as u64);
                if want == 24 {
                    self.cpu.phys_write(at + 20, 4, 1);
                }
                self.cpu.regs[0] = 0x534D_4150;
                self.cpu.regs[1] = want;
                self.cpu.regs[3] = if idx + 1 < map.len() {
                    idx as u64 + 1
                } else {
                    0
                };
                self.set_cf(false);
                return;
            }
            0xE801 => {
                let ext = (RAM_BYTES as u64 - 0x10_0000).min(15 << 20) / 1024;
                let high = (RAM_BYTES as u64).saturating_sub(16 << 20) / 65536;
                for n in [0u8, 1] {
                    self.set_reg16(n, ext as u16);
                }
                for n in [3u8, 2] {
                    self.set_reg16(n, high as u16);
                }
                self.set_cf(false);
                return;
            }
            0x2400 | 0x2401 => {
                self.dev.a20 = eax & 1 != 0;
                self.set_ah(0);
                self.set_cf(false);
                return;
            }
            0x2402 => {
                self.set_ah(0);
                self.set_al(self.dev.a20 as u8);
                self.set_cf(false);
                return;
            }
            0x2403 => {
                self.set_ah(0);
                self.set_reg16(3, 0x0003);
                self.set_cf(false);
                return;
            }
            _ => {}
        }
        match self.ah() {
            0x88 => {
                let kb = ((RAM_BYTES as u64 - 0x10_0000) / 1024).min(0xFFFF);
                self.set_reg16(0, kb as u16);
                self.set_cf(false);
            }
            0x86 => self.set_cf(false),
            _ => {
                self.set_ah(0x86);
                self.set_cf(true);
            }
        }
    }

    // ---- int 16h and the keyboard interrupt ----

    fn int16(&mut self) {
        match self.ah() {
            0x00 | 0x10 => match self.keys.pop_front() {
                Some(k) => self.set_reg16(0, k),
                None => {
                    // Wait: re-execute the INT after the next interrupt.
                    let at = self.stacked_flags() - 4;
                    let ip = self.ram_u16(at).wrapping_sub(2);
                    self.cpu.phys_write(at as u64, 2, ip as u64);
                    self.cpu.set_flag(crate::cpu::IF, true);
                    self.cpu.halted = true;
                }
            },
            0x01 | 0x11 => match self.keys.front() {
                Some(&k) => {
                    self.set_reg16(0, k);
                    self.set_stacked_flag(0x40, false);
                }
                None => self.set_stacked_flag(0x40, true),
            },
            0x02 | 0x12 => self.set_al(if self.shift { 0x03 } else { 0 }),
            _ => {}
        }
    }

    fn irq1(&mut self) {
        let code = self.dev.ps2.read_data();
        match code {
            0x2A | 0x36 => self.shift = true,
            0xAA | 0xB6 => self.shift = false,
            0xE0 => {}
            c if c & 0x80 == 0 => {
                let ascii = ps2::set1_ascii(c, self.shift);
                if self.keys.len() < 16 {
                    self.keys.push_back((c as u16) << 8 | ascii as u16);
                }
            }
            _ => {}
        }
        self.dev.pic.set_irq(1, false);
        self.dev.pic.write(0x20, 0x20);
    }

    fn int1a(&mut self) {
        let ticks = self.cpu.phys_read(BDA as u64 + 0x6C, 4);
        match self.ah() {
            0x00 => {
                self.set_reg16(1, (ticks >> 16) as u16);
                self.set_reg16(2, ticks as u16);
                self.set_al(0);
            }
            0x02 | 0x04 => {
                let now = super::Pc::pit_ticks(self.clock) / super::pit::PIT_HZ;
                let regs: [u8; 4] = if self.ah() == 0x02 {
                    [0x04, 0x02, 0x00, 0x00]
                } else {
                    [0x32, 0x09, 0x08, 0x07]
                };
                let mut vals = [0u8; 4];
                for (v, r) in vals.iter_mut().zip(regs) {
                    self.dev.cmos.index = r;
                    *v = self.dev.cmos.read(now);
                }
                self.set_reg16(1, (vals[0] as u16) << 8 | vals[1] as u16);
                self.set_reg16(2, (vals[2] as u16) << 8 | vals[3] as u16);
                self.set_cf(false);
            }
            _ => {}
        }
    }
}

/// Service interrupt `n` for the trap stub that just ran.
pub fn service(pc: &mut Pc, n: u8) {
    match n {
        0x08 => {
            let t = pc.cpu.phys_read(BDA as u64 + 0x6C, 4) + 1;
            pc.cpu.phys_write(BDA as u64 + 0x6C, 4, t % 0x1800B0);
            pc.dev.pic.write(0x20, 0x20);
        }
        0x09 => pc.irq1(),
        0x0A..=0x0F => pc.dev.pic.write(0x20, 0x20),
        0x70..=0x77 => {
            pc.dev.pic.write(0xA0, 0x20);
            pc.dev.pic.write(0x20, 0x20);
        }
        0x10 => pc.int10(),
        0x11 => pc.set_reg16(0, 0x0021),
        0x12 => pc.set_reg16(0, 639),
        0x13 => pc.int13(),
        0x15 => pc.int15(),
        0x16 => pc.int16(),
        0x1A => pc.int1a(),
        _ => {}
    }
    // The services write RAM directly (disk reads, the screen): drop decoded code.
    pc.cpu.icache.flush();
    pc.sync_devices();
}
