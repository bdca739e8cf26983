//! The machine behind the CPU: memory map, I/O registers, interrupts, OAM DMA, and the clock
//! that advances by one M-cycle per CPU bus access.
//!
//! Devices are not stepped every M-cycle. Each says when it next does something observable (the
//! timer's next TIMA or divider edge, the PPU's next mode change or, with no STAT interrupt
//! enabled, the next VBlank); the clock only compares the time with the earliest of those, and
//! a device the CPU (or the DMA) touches is first brought up to the present from its timestamp. The APU makes its samples in batches when it is touched or
//! drained. Events run in the same order within an M-cycle as stepping would run them: timer,
//! divider edges, PPU, then DMA and the other rare devices.

use wb_machine::state::{Reader, Writer};
use wb_machine::{Access, Hooks, StateError};

use crate::apu::Apu;
use crate::cart::Cartridge;
use crate::cpu::Bus;
use crate::joypad::Joypad;
use crate::ppu::{IRQ_STAT, Ppu};
use crate::serial::Serial;
use crate::timer::Timer;

mod batched;
pub use batched::Batched;

/// T-cycles in one video frame (154 lines of 456 dots).
pub const CYCLES_PER_FRAME: u32 = 70224;

/// The internal divider when the DMG boot ROM hands over at 0x0100 (DIV reads 0xAB).
const POST_BOOT_DIVIDER: u16 = 0xABCC;

/// Interrupt bits of IE/IF.
pub const INT_TIMER: u8 = 4;
pub const INT_SERIAL: u8 = 8;
pub const INT_JOYPAD: u8 = 16;

/// OAM DMA: 160 bytes copied one per M-cycle, starting two M-cycles after the FF46 write.
#[derive(Clone, Debug, Default)]
pub struct Dma {
    pub reg: u8,
    active: bool,
    source: u16,
    index: u8,
    /// A write to FF46 waiting to start: M-cycles left.
    start_in: Option<u8>,
    /// The byte the DMA last read: what the CPU sees on a conflicting bus.
    last: u8,
}

#[derive(Clone, Debug)]
pub struct Hardware {
    pub cart: Cartridge,
    pub ppu: Ppu,
    pub timer: Timer,
    pub apu: Apu,
    pub serial: Serial,
    pub joypad: Joypad,
    pub wram: Box<[u8; 0x2000]>,
    pub hram: [u8; 0x7F],
    pub ie: u8,
    pub if_: u8,
    pub dma: Dma,
    pub boot_rom: Option<Vec<u8>>,
    pub boot_active: bool,
    /// T-cycles since reset.
    pub cycles: u64,
    /// T-cycles since the last completed frame, to end frames while the LCD is off.
    frame_clock: u32,
    /// A video frame ended during the last instruction.
    pub frame_done: bool,
    pub hooks: Hooks,
    /// PC of the instruction running, for watchpoint reports.
    pub pc_hint: u16,
    /// Some device in [`Hardware::rare_cycle`] needs ticking.
    rare: bool,
    /// T-cycle at which the timer next needs stepping ([`crate::timer::Timer::next_due`]).
    timer_due: u64,
    /// T-cycle at which the PPU's next event falls ([`crate::ppu::Ppu::next_due`]).
    ppu_due: u64,
    /// The earliest of the dues above (every M-cycle while `rare`).
    next_event: u64,
}

impl Hardware {
    pub fn new(cart: Cartridge, boot_rom: Option<Vec<u8>>) -> Self {
        let booting = boot_rom.is_some();
        let mut hw = Hardware {
            cart,
            ppu: if booting {
                Ppu::new()
            } else {
                Ppu::post_boot()
            },
            timer: Timer::new(if booting { 0 } else { POST_BOOT_DIVIDER }),
            apu: if booting {
                Apu::new()
            } else {
                Apu::post_boot()
            },
            serial: Serial::default(),
            joypad: Joypad::default(),
            wram: Box::new([0; 0x2000]),
            hram: [0; 0x7F],
            ie: 0,
            if_: if booting { 0 } else { 0x01 },
            dma: Dma {
                reg: 0xFF,
                ..Dma::default()
            },
            boot_active: booting,
            boot_rom,
            cycles: 0,
            frame_clock: 0,
            frame_done: false,
            hooks: Hooks::new(),
            pc_hint: 0,
            rare: true,
            timer_due: 0,
            ppu_due: 0,
            next_event: 0,
        };
        if !booting {
            // The boot ROM leaves both P1 selection lines low.
            hw.joypad.select = 0;
        }
        hw.reschedule_timer();
        hw.reschedule_ppu();
        hw
    }

    /// Advance the clock by one M-cycle, running the device events that fall in it.
    #[inline(always)]
    fn generic_cycle(&mut self) {
        self.cycles += 4;
        if self.cycles >= self.next_event {
            self.service();
        }
    }

    /// IE & IF & 0x1F: the interrupts requested and enabled.
    #[inline(always)]
    pub fn pending(&self) -> u8 {
        self.ie & self.if_ & 0x1F
    }

    /// Whether a batch of plain instructions must stop and let the run loop look: a frame
    /// ended, an interrupt is requested and enabled (and taken, with `ime`), or memory is not
    /// plain (an OAM DMA running or about to, the boot ROM mapped).
    #[inline(always)]
    pub fn attention(&self, ime: bool) -> bool {
        self.frame_done
            || (ime && self.pending() != 0)
            || self.dma.active
            || self.dma.start_in.is_some()
            || self.boot_active
    }

    /// Run the events due in the M-cycle that just ended, in stepping order.
    #[inline(never)]
    fn service(&mut self) {
        let now = self.cycles;
        if now >= self.timer_due {
            if self.timer.tick_to(now) {
                self.if_ |= INT_TIMER;
            }
            if self.timer.counter & 0xFF == 0 {
                self.divider_edges(now);
            }
            self.reschedule_timer();
        }
        if now >= self.ppu_due {
            self.ppu_events(now);
            self.ppu_due = self.ppu.next_due();
        }
        if self.rare {
            self.rare_cycle();
        }
        self.reschedule();
    }

    /// Run the PPU events up to T-cycle `now` and raise what they request.
    fn ppu_events(&mut self, now: u64) {
        let irq = self.ppu.catch_up(now);
        if irq != 0 {
            self.if_ |= irq;
            if self.ppu.frame_done {
                self.ppu.frame_done = false;
                self.frame_done = true;
                self.frame_clock = 0;
            }
        }
    }

    /// Bring the PPU up to the present: before anything observes or changes it (its events
    /// may run late, see [`crate::ppu::Ppu::next_due`]), and at the end of a run.
    pub fn sync_ppu(&mut self) {
        self.ppu_events(self.cycles);
    }

    /// VRAM, OAM and the LCD registers: the addresses whose access needs the PPU up to date.
    #[inline(always)]
    fn touches_ppu(addr: u16) -> bool {
        matches!(addr, 0x8000..=0x9FFF | 0xFE00..=0xFE9F | 0xFF40..=0xFF4B)
    }

    /// Recompute when the timer next needs stepping (after it ran or the CPU touched it).
    fn reschedule_timer(&mut self) {
        // From the present, so a newly listened-to edge can never be due in the past.
        self.timer.sync(self.cycles);
        // The divider edges listened to: bit 12 for the frame sequencer, and bit 8 too while
        // an internally clocked serial transfer runs.
        let serial_clocked = self.serial.active() && self.serial.sc & 1 != 0;
        let listen = if serial_clocked { 0x1FF } else { 0x1FFF };
        self.timer_due = self.timer.next_due(listen);
        self.reschedule();
    }

    /// Recompute when the PPU's next event falls (after LCDC changed).
    fn reschedule_ppu(&mut self) {
        self.ppu_due = self.ppu.next_due();
        self.reschedule();
    }

    /// Recompute the clock's next stop from the device dues.
    fn reschedule(&mut self) {
        let rare = if self.rare {
            self.cycles + 4
        } else {
            u64::MAX
        };
        self.next_event = self.timer_due.min(self.ppu_due).min(rare);
    }

    /// Falling edges of divider bit 8 (serial clock) and bit 12 (frame sequencer) in the
    /// M-cycle ending at `now`; called when the low 8 bits of the divider wrap.
    fn divider_edges(&mut self, now: u64) {
        let counter = self.timer.counter;
        if counter & 0x1FF == 0
            && self.serial.active()
            && self.serial.sc & 1 != 0
            && self.serial.clock()
        {
            self.if_ |= INT_SERIAL;
        }
        if counter & 0x1FFF == 0 {
            // The sequencer steps before this M-cycle's sample.
            self.apu.sync(now - 4);
            self.apu.frame_sequencer();
        }
    }

    /// The devices that are usually idle: OAM DMA, the RTC, frame pacing with the LCD off.
    fn rare_cycle(&mut self) {
        if !self.ppu.enabled() {
            // With the LCD off, frames still end on time for the host.
            self.frame_clock += 4;
            if self.frame_clock >= CYCLES_PER_FRAME {
                self.frame_clock = 0;
                self.frame_done = true;
            }
        }
        if self.dma.active || self.dma.start_in.is_some() {
            self.dma_cycle();
        }
        self.cart.tick();
        self.update_rare();
    }

    /// Recompute whether [`Hardware::rare_cycle`] has work.
    fn update_rare(&mut self) {
        self.rare = !self.ppu.enabled()
            || self.dma.active
            || self.dma.start_in.is_some()
            || self.cart.header.has_rtc;
        self.reschedule();
    }

    fn dma_cycle(&mut self) {
        if let Some(n) = self.dma.start_in {
            if n == 0 {
                self.dma.start_in = None;
                self.dma.active = true;
                self.dma.index = 0;
                self.dma.source = (self.dma.reg as u16) << 8;
            } else {
                self.dma.start_in = Some(n - 1);
            }
        }
        if self.dma.active {
            // The bus stays taken for the M-cycle after the last byte.
            if self.dma.index == 160 {
                self.dma.active = false;
                return;
            }
            let v = self.dma_read(self.dma.source.wrapping_add(self.dma.index as u16));
            self.dma.last = v;
            self.sync_ppu();
            self.ppu.write_oam(self.dma.index as usize, v);
            self.dma.index += 1;
        }
    }

    /// What the DMA unit reads: it sees ROM, VRAM, cart RAM and WRAM (E000-FFFF mirror WRAM).
    fn dma_read(&self, addr: u16) -> u8 {
        match addr >> 13 {
            0..=3 => self.read_rom(addr),
            4 => self.ppu.vram[addr as usize & 0x1FFF],
            5 => self.cart.read_ram(addr),
            _ => self.wram[addr as usize & 0x1FFF],
        }
    }

    #[inline(always)]
    fn read_rom(&self, addr: u16) -> u8 {
        if self.boot_active
            && addr < 0x100
            && let Some(boot) = &self.boot_rom
        {
            return boot.get(addr as usize).copied().unwrap_or(0xFF);
        }
        self.cart.read_rom(addr)
    }

    /// True when an access to `addr` collides with a running OAM DMA on the same bus.
    #[inline(always)]
    fn dma_conflict(&self, addr: u16) -> bool {
        if !self.dma.active || addr >= 0xFF00 {
            return false;
        }
        if addr >= 0xFE00 {
            return true;
        }
        let dma_vram = (0x80..0xA0).contains(&self.dma.reg);
        let cpu_vram = (0x8000..0xA000).contains(&addr);
        dma_vram == cpu_vram
    }

    /// A CPU read with every side effect but no clock.
    #[inline(always)]
    pub fn read(&mut self, addr: u16) -> u8 {
        if self.dma_conflict(addr) {
            return if addr >= 0xFE00 { 0xFF } else { self.dma.last };
        }
        if Self::touches_ppu(addr) {
            self.sync_ppu();
        }
        self.read_mapped(addr)
    }

    #[inline(always)]
    fn read_mapped(&self, addr: u16) -> u8 {
        match addr {
            0x0000..=0x7FFF => self.read_rom(addr),
            0x8000..=0x9FFF => {
                if self.ppu.vram_readable() {
                    self.ppu.vram[addr as usize & 0x1FFF]
                } else {
                    0xFF
                }
            }
            0xA000..=0xBFFF => self.cart.read_ram(addr),
            0xC000..=0xFDFF => self.wram[addr as usize & 0x1FFF],
            0xFE00..=0xFE9F => {
                if self.ppu.oam_readable() {
                    self.ppu.oam[addr as usize & 0xFF]
                } else {
                    0xFF
                }
            }
            0xFEA0..=0xFEFF => 0xFF,
            0xFF80..=0xFFFE => self.hram[addr as usize & 0x7F],
            0xFFFF => self.ie,
            _ => self.read_io(addr as u8),
        }
    }

    fn read_io(&self, reg: u8) -> u8 {
        match reg {
            0x00 => self.joypad.read(),
            0x01 => self.serial.sb,
            0x02 => self.serial.read_sc(),
            0x04..=0x07 => self.timer.read(reg, self.cycles),
            0x0F => self.if_ | 0xE0,
            0x10..=0x3F => self.apu.read(reg),
            0x46 => self.dma.reg,
            0x40..=0x4B => self.ppu.read_reg(reg),
            _ => 0xFF,
        }
    }

    /// A CPU write with every side effect but no clock.
    pub fn write(&mut self, addr: u16, v: u8) {
        if self.dma_conflict(addr) {
            return;
        }
        if Self::touches_ppu(addr) {
            self.sync_ppu();
        }
        match addr {
            0x0000..=0x7FFF => self.cart.write_rom(addr, v),
            0x8000..=0x9FFF => {
                if self.ppu.vram_writable() {
                    self.ppu.write_vram(addr as usize & 0x1FFF, v);
                }
            }
            0xA000..=0xBFFF => self.cart.write_ram(addr, v),
            0xC000..=0xFDFF => self.wram[addr as usize & 0x1FFF] = v,
            0xFE00..=0xFE9F => {
                if self.ppu.oam_writable() {
                    self.ppu.write_oam(addr as usize & 0xFF, v);
                }
            }
            0xFEA0..=0xFEFF => {}
            0xFF80..=0xFFFE => self.hram[addr as usize & 0x7F] = v,
            0xFFFF => self.ie = v,
            _ => self.write_io(addr as u8, v),
        }
    }

    fn write_io(&mut self, reg: u8, v: u8) {
        match reg {
            0x00 => {
                let fell = self.joypad.write(v);
                self.if_ |= if fell { INT_JOYPAD } else { 0 };
            }
            0x01 => self.serial.sb = v,
            0x02 => {
                self.serial.write_sc(v);
                self.reschedule_timer();
            }
            0x04 => {
                let old = self.timer.counter_at(self.cycles);
                self.timer.write(reg, v, self.cycles);
                // Resetting the divider can clock the frame sequencer.
                if old & 0x1000 != 0 {
                    self.apu.sync(self.cycles);
                    self.apu.frame_sequencer();
                }
                self.reschedule_timer();
            }
            0x05..=0x07 => {
                self.timer.write(reg, v, self.cycles);
                self.reschedule_timer();
            }
            0x0F => self.if_ = v & 0x1F,
            0x10..=0x3F => {
                self.apu.sync(self.cycles);
                self.apu.write(reg, v);
            }
            0x46 => {
                self.dma.reg = v;
                self.dma.start_in = Some(1);
                self.rare = true;
                self.reschedule();
            }
            0x40 => {
                let irq = self.ppu.write_reg(reg, v);
                self.if_ |= irq & IRQ_STAT;
                self.update_rare();
                self.reschedule_ppu();
            }
            0x41..=0x4B => {
                let irq = self.ppu.write_reg(reg, v);
                self.if_ |= irq & IRQ_STAT;
                if reg == 0x41 || reg == 0x45 {
                    // STAT sources and LYC decide which PPU events must run on time.
                    self.reschedule_ppu();
                }
            }
            // Any non-zero write unmaps the boot ROM for good.
            0x50 => self.boot_active &= v == 0,
            _ => {}
        }
    }

    /// A read without side effects or clock: the debugger's view of the bus.
    pub fn peek(&self, addr: u16) -> u8 {
        match addr {
            0x8000..=0x9FFF => self.ppu.vram[addr as usize & 0x1FFF],
            0xFE00..=0xFE9F => self.ppu.oam[addr as usize & 0xFF],
            _ => self.read_mapped(addr),
        }
    }

    /// A write without side effects: memory changes, registers with side effects are refused.
    pub fn poke(&mut self, addr: u16, v: u8) -> bool {
        match addr {
            0x0000..=0x7FFF => self.cart.poke_rom(addr, v),
            0x8000..=0x9FFF => self.ppu.write_vram(addr as usize & 0x1FFF, v),
            0xA000..=0xBFFF => self.cart.poke_ram(addr, v),
            0xC000..=0xFDFF => self.wram[addr as usize & 0x1FFF] = v,
            0xFE00..=0xFE9F => self.ppu.write_oam(addr as usize & 0xFF, v),
            0xFF80..=0xFFFE => self.hram[addr as usize & 0x7F] = v,
            0xFFFF => self.ie = v,
            0xFF0F => self.if_ = v & 0x1F,
            0xFF30..=0xFF3F => {
                self.apu.sync(self.cycles);
                self.apu.write(addr as u8, v);
            }
            _ => return false,
        }
        true
    }

    pub fn save(&self, w: &mut Writer) {
        self.cart.save(w);
        self.ppu.save(w, self.cycles);
        self.timer.save(w, self.cycles);
        self.apu.save(w, self.cycles);
        self.serial.save(w);
        w.u8(self.joypad.select).u8(self.joypad.pressed);
        w.bytes(&self.wram[..])
            .bytes(&self.hram)
            .u8(self.ie)
            .u8(self.if_);
        let d = &self.dma;
        w.u8(d.reg).bool(d.active).u16(d.source).u8(d.index);
        w.u8(d.start_in.map_or(0xFF, |n| n)).u8(d.last);
        w.bool(self.boot_active)
            .u64(self.cycles)
            .u32(self.frame_clock);
    }

    pub fn load(&mut self, r: &mut Reader) -> Result<(), StateError> {
        self.cart.load(r)?;
        self.ppu.load(r)?;
        self.timer.load(r)?;
        self.apu.load(r)?;
        self.serial.load(r)?;
        self.joypad.select = r.u8()? & 0x30;
        self.joypad.pressed = r.u8()?;
        r.blob_into(&mut self.wram[..])?;
        r.blob_into(&mut self.hram)?;
        self.ie = r.u8()?;
        self.if_ = r.u8()? & 0x1F;
        self.dma.reg = r.u8()?;
        self.dma.active = r.bool()?;
        self.dma.source = r.u16()?;
        self.dma.index = r.u8()?.min(160);
        self.dma.start_in = match r.u8()? {
            0xFF => None,
            n => Some(n),
        };
        self.dma.last = r.u8()?;
        self.boot_active = r.bool()? && self.boot_rom.is_some();
        self.cycles = r.u64()?;
        self.frame_clock = r.u32()?;
        self.timer.set_clock(self.cycles);
        self.ppu.set_clock(self.cycles);
        self.apu.set_clock(self.cycles);
        self.update_rare();
        self.reschedule_timer();
        self.reschedule_ppu();
        Ok(())
    }
}

impl Hardware {
    /// The CPU's read M-cycle, without watchpoints.
    #[inline(always)]
    fn read_cycle_plain(&mut self, addr: u16) -> u8 {
        // The timer registers are sampled at the start of the M-cycle, before the divider
        // advances (mooneye's timer and boot_div tests pin this down).
        if (0xFF04..=0xFF07).contains(&addr) {
            let v = self.read(addr);
            self.generic_cycle();
            v
        } else {
            self.generic_cycle();
            self.read(addr)
        }
    }

    /// The CPU's write M-cycle, without watchpoints.
    #[inline(always)]
    fn write_cycle_plain(&mut self, addr: u16, value: u8) {
        // Timer register writes land at the start of the M-cycle, like reads.
        if (0xFF04..=0xFF07).contains(&addr) {
            self.write(addr, value);
            self.generic_cycle();
        } else {
            self.generic_cycle();
            self.write(addr, value);
        }
    }

    /// T-cycles the clock may jump ahead while the CPU does nothing observable: up to, but not
    /// into, the M-cycle of the next device event (0 while a rare device needs every cycle).
    pub fn quiet_cycles(&self) -> u64 {
        self.next_event.saturating_sub(self.cycles + 1)
    }

    /// Jump the clock ahead by `t` T-cycles (at most [`Hardware::quiet_cycles`], a multiple of
    /// 4): what that many idle M-cycles would do, since no device event falls in them.
    pub fn skip(&mut self, t: u64) {
        debug_assert!(t <= self.quiet_cycles() && t.is_multiple_of(4));
        self.cycles += t;
    }
}

impl Bus for Hardware {
    #[inline(always)]
    fn read_cycle(&mut self, addr: u16) -> u8 {
        let v = self.read_cycle_plain(addr);
        if self.hooks.mem_active() {
            self.hooks
                .on_access(self.pc_hint as u64, addr as u64, Access::Read, v as u64);
        }
        v
    }

    #[inline(always)]
    fn write_cycle(&mut self, addr: u16, value: u8) {
        if self.hooks.mem_active() {
            self.hooks.on_access(
                self.pc_hint as u64,
                addr as u64,
                Access::Write,
                value as u64,
            );
        }
        self.write_cycle_plain(addr, value);
    }

    #[inline(always)]
    fn tick_cycle(&mut self) {
        self.generic_cycle();
    }

    #[inline(always)]
    fn pending_interrupts(&mut self) -> u8 {
        self.pending()
    }

    fn acknowledge_interrupt(&mut self, bit: u8) {
        self.if_ &= !(1 << bit);
    }

    fn stop_wakeup(&self) -> bool {
        self.joypad.any_line_low()
    }

    fn enter_stop(&mut self) {
        self.write_io(0x04, 0);
    }
}
