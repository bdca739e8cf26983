//! The PC: the CPU, RAM, the devices on the I/O bus, the BIOS service layer and the run
//! loop with its virtual clock. [`Pc`] is the one facade; everything else is private.

mod ata;
mod bios;
mod cmos;
mod font;
mod machine;
mod pic;
mod pit;
mod ps2;
mod snapshot;
mod uart;
mod vga;

use std::collections::VecDeque;
use std::sync::Arc;

use wb_machine::{DebugInfo, Hooks, StopReason};

use crate::cpu::{Cpu, Io, Model};

/// Guest RAM, as `qemu-system-x86_64 -m 128M`.
pub const RAM_BYTES: usize = 128 << 20;
/// The virtual clock: instructions per second of guest time (one instruction = 20 ns).
pub const IPS: u64 = 50_000_000;
/// Instructions per 1/60 s video frame.
pub const FRAME_CLOCKS: u64 = IPS / 60;

/// Why a PC image cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("disk image is empty or shorter than one 512-byte sector")]
    TooSmall,
    #[error("disk image has no 0x55AA boot signature at offset 510")]
    NoBootSignature,
    #[error("disk image of {0} bytes is larger than the 2 TiB an ATA disk can address")]
    TooLarge(usize),
}

/// True when `bytes` look like a bootable PC disk image (0x55AA at offset 510).
pub fn looks_like_disk_image(bytes: &[u8]) -> bool {
    bytes.len() >= 512 && bytes[510] == 0x55 && bytes[511] == 0xAA
}

/// How a linear address translates, for the debugger's page-table view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageWalk {
    /// The physical address, or `None` when a level is not present.
    pub physical: Option<u64>,
    /// Size of the mapping page (4 KiB, 2 MiB, 4 MiB, 1 GiB; 1 with paging off).
    pub page_size: u64,
    pub writable: bool,
    pub user: bool,
    pub no_execute: bool,
    /// The table entries used, outermost first: (physical address of the entry, its value).
    pub entries: Vec<(u64, u64)>,
}

/// Everything on the I/O port bus.
struct Devices {
    pic: pic::Pic,
    pit: pit::Pit,
    uart: uart::Uart,
    ps2: ps2::Ps2,
    cmos: cmos::Cmos,
    ata: ata::Ata,
    vga: vga::Vga,
    port61: u8,
    a20: bool,
    exit: Option<i32>,
    reset: bool,
    /// The virtual clock (instruction times), set before each instruction.
    clock: u64,
    /// The same instant in PIT ticks, computed when a port access needs it.
    pit_now: u64,
    /// A port was touched: IRQ lines and A20 must be re-synchronised.
    touched: bool,
}

fn ones(size: u8) -> u32 {
    match size {
        1 => 0xFF,
        2 => 0xFFFF,
        _ => 0xFFFF_FFFF,
    }
}

impl Io for Devices {
    fn port_in(&mut self, port: u16, size: u8) -> u32 {
        self.touched = true;
        self.pit_now = Pc::pit_ticks(self.clock);
        let v = match port {
            0x20 | 0x21 | 0xA0 | 0xA1 => self.pic.read(port) as u32,
            0x40..=0x43 => self.pit.read(port, self.pit_now) as u32,
            0x60 => {
                let v = self.ps2.read_data() as u32;
                // Drop the line so the next queued byte makes a new edge.
                self.pic.set_irq(1, false);
                v
            }
            0x64 => self.ps2.status() as u32,
            0x61 => {
                let refresh = ((self.pit_now >> 4) & 1) as u8;
                (self.port61 & 0x0F | refresh << 4 | (self.pit.out2(self.pit_now) as u8) << 5)
                    as u32
            }
            0x70 => self.cmos.index as u32,
            0x71 => self.cmos.read(self.pit_now / pit::PIT_HZ) as u32,
            0x92 => (self.a20 as u32) << 1,
            0x1F0 => self.ata.read_data(size),
            0x1F1..=0x1F7 | 0x3F6 => self.ata.read(port) as u32,
            0x3F8..=0x3FF => self.uart.read(port - 0x3F8) as u32,
            0x3C0..=0x3DF => self.vga.read(port) as u32,
            _ => ones(size),
        };
        v & ones(size)
    }

    fn port_out(&mut self, port: u16, size: u8, value: u32) {
        self.touched = true;
        self.pit_now = Pc::pit_ticks(self.clock);
        let b = value as u8;
        match port {
            0x20 | 0x21 | 0xA0 | 0xA1 => self.pic.write(port, b),
            0x40..=0x43 => self.pit.write(port, b, self.pit_now),
            0x60 => self.ps2.write_data(b),
            0x64 => self.ps2.write_command(b),
            0x61 => {
                self.port61 = b & 0x0F;
                self.pit.set_gate2(b & 1 != 0, self.pit_now);
            }
            0x70 => self.cmos.index = b,
            0x71 => self.cmos.write(b),
            0x92 => {
                self.a20 = b & 2 != 0;
                if b & 1 != 0 {
                    self.reset = true;
                }
            }
            0xF4 => {
                let v = value & ones(size);
                self.exit = Some(((v << 1) | 1) as i32);
            }
            0x1F0 => self.ata.write_data(size, value),
            0x1F1..=0x1F7 | 0x3F6 => self.ata.write(port, b),
            0x3F8..=0x3FF => self.uart.write(port - 0x3F8, b),
            0x3C0..=0x3DF => self.vga.write(port, b),
            _ => {}
        }
    }
}

/// A PC booting a disk image: x86-64 CPU, 128 MiB RAM, PIC, PIT, CMOS, COM1, PS/2
/// keyboard, VGA text, ATA disk, isa-debug-exit and a BIOS.
pub struct Pc {
    cpu: Cpu,
    dev: Devices,
    image: Arc<[u8]>,
    /// Virtual clock in instruction times (idle time while halted included).
    clock: u64,
    retired: u64,
    /// Clock value at which the current video frame ends.
    frame_end: u64,
    /// Idle skipping never goes past this clock value (the end of a cycle budget).
    idle_limit: u64,
    /// Clock value of the next PIT interrupt (u64::MAX when none).
    next_timer: u64,
    /// A PIC interrupt is waiting for the CPU.
    intr: bool,
    /// BIOS keyboard buffer (scan code << 8 | ASCII) and shift state.
    keys: VecDeque<u16>,
    shift: bool,
    hooks: Hooks,
    debug: DebugInfo,
    framebuf: Vec<u8>,
    /// The text and CRTC registers the frame buffer was drawn from.
    drawn_text: Vec<u8>,
    drawn_crtc: [u8; 32],
    stopped: Option<StopReason>,
}

impl Pc {
    /// A PC with `disk_image` as its first hard disk, powered on and about to run the MBR.
    pub fn new(disk_image: Vec<u8>) -> Result<Pc, LoadError> {
        if disk_image.len() < 512 {
            return Err(LoadError::TooSmall);
        }
        if !looks_like_disk_image(&disk_image) {
            return Err(LoadError::NoBootSignature);
        }
        if disk_image.len() as u64 > (1u64 << 41) {
            return Err(LoadError::TooLarge(disk_image.len()));
        }
        Ok(Self::with_image(Arc::from(disk_image)))
    }

    /// A powered-on PC with a validated image.
    fn with_image(image: Arc<[u8]>) -> Pc {
        let mut pc = Pc {
            cpu: Cpu::new(Model::X86_64, RAM_BYTES),
            dev: Self::devices(&image),
            image,
            clock: 0,
            retired: 0,
            frame_end: FRAME_CLOCKS,
            next_timer: u64::MAX,
            idle_limit: u64::MAX,
            intr: false,
            keys: VecDeque::new(),
            shift: false,
            hooks: Hooks::new(),
            debug: DebugInfo::default(),
            framebuf: vec![0; vga::WIDTH * vga::HEIGHT * 4],
            drawn_text: Vec::new(),
            drawn_crtc: [0; 32],
            stopped: None,
        };
        pc.power_on();
        pc
    }

    fn devices(image: &Arc<[u8]>) -> Devices {
        Devices {
            pic: pic::Pic::new(),
            pit: pit::Pit::new(),
            uart: uart::Uart::new(),
            ps2: ps2::Ps2::new(),
            cmos: cmos::Cmos::new(RAM_BYTES as u64),
            ata: ata::Ata::new(ata::Disk::new(Arc::clone(image))),
            vga: vga::Vga::new(),
            port61: 0,
            a20: true,
            exit: None,
            reset: false,
            clock: 0,
            pit_now: 0,
            touched: false,
        }
    }

    /// Cold boot: fresh CPU and devices, BIOS tables, MBR at 0x7C00.
    fn power_on(&mut self) {
        self.cpu = Cpu::new(Model::X86_64, RAM_BYTES);
        self.dev = Self::devices(&self.image);
        self.clock = 0;
        self.retired = 0;
        self.frame_end = FRAME_CLOCKS;
        self.keys.clear();
        self.shift = false;
        self.stopped = None;
        self.drawn_text.clear();
        bios::post(self);
        self.sync_devices();
        self.render();
    }

    fn pit_ticks(clock: u64) -> u64 {
        ((clock as u128 * pit::PIT_HZ as u128) / IPS as u128) as u64
    }

    fn clock_of_tick(tick: u64) -> u64 {
        ((tick as u128 * IPS as u128).div_ceil(pit::PIT_HZ as u128)) as u64
    }

    /// Re-read IRQ lines, A20 and the exit/reset requests after port I/O.
    fn sync_devices(&mut self) {
        let d = &mut self.dev;
        d.touched = false;
        d.pic.set_irq(4, d.uart.irq());
        d.pic.set_irq(1, d.ps2.irq());
        d.pic.set_irq(14, d.ata.irq());
        if let Some(on) = d.ps2.a20.take() {
            d.a20 = on;
        }
        self.cpu.a20_mask = if d.a20 { !0 } else { !(1 << 20) };
        self.next_timer = d.pit.next_irq().map_or(u64::MAX, Self::clock_of_tick);
        self.intr = d.pic.has_pending();
    }

    fn timer_due(&mut self) {
        self.dev.pit.fire();
        self.dev.pic.pulse(0);
        self.next_timer = self
            .dev
            .pit
            .next_irq()
            .map_or(u64::MAX, Self::clock_of_tick);
        self.intr = self.dev.pic.has_pending();
    }

    /// Redraw the screen when the text buffer or the cursor changed since the last draw.
    fn render(&mut self) {
        let text = &self.cpu.mem[vga::TEXT_BASE..vga::TEXT_BASE + 2 * vga::COLS * vga::ROWS];
        let crtc = self.dev.vga.crtc;
        if self.drawn_text.as_slice() == text && self.drawn_crtc == crtc {
            return;
        }
        self.drawn_text.clear();
        self.drawn_text.extend_from_slice(text);
        self.drawn_crtc = crtc;
        self.dev.vga.render(&self.cpu.mem, &mut self.framebuf);
    }

    /// Walk the page tables for `linear` without side effects.
    pub fn page_walk(&self, linear: u64) -> PageWalk {
        match self.cpu.walk(linear) {
            Some((w, entries)) => PageWalk {
                physical: Some(if w.page_size == 1 {
                    w.phys
                } else {
                    w.phys + (linear & (w.page_size - 1))
                }),
                page_size: w.page_size,
                writable: w.writable,
                user: w.user,
                no_execute: w.nx,
                entries: entries
                    .iter()
                    .map(|&(a, wide)| (a, self.cpu.phys_read(a, if wide { 8 } else { 4 })))
                    .collect(),
            },
            None => PageWalk {
                physical: None,
                page_size: 0,
                writable: false,
                user: false,
                no_execute: false,
                entries: Vec::new(),
            },
        }
    }

    /// The linear address of CS:RIP.
    fn linear_pc(&self) -> u64 {
        self.cpu
            .seg_base(crate::decode::CS)
            .wrapping_add(self.cpu.rip)
    }

    /// Execute one instruction (or take one interrupt, or idle while halted). Returns a
    /// stop reason when the machine must stop.
    fn tick(&mut self, check_breakpoints: bool) -> Option<StopReason> {
        if self.clock >= self.next_timer {
            self.timer_due();
        }
        if self.intr && !self.cpu.int_shadow && self.cpu.flag(crate::cpu::IF) {
            if let Some(v) = self.dev.pic.acknowledge() {
                self.cpu.hw_interrupt(v, &mut self.dev);
            }
            self.intr = self.dev.pic.has_pending();
        }
        if self.cpu.halted {
            if !self.cpu.flag(crate::cpu::IF) {
                // Nothing can wake it (we have no NMI source): the guest has stopped.
                return Some(StopReason::Halted);
            }
            // Skip idle time to the next timer interrupt, or to the frame end when only
            // host input can wake the guest. The TSC counts idle time too.
            let to = self
                .clock
                .max(self.next_timer.min(self.frame_end).min(self.idle_limit));
            self.cpu.tsc = self.cpu.tsc.wrapping_add(to - self.clock);
            self.clock = to;
            return None;
        }
        let pc = self.linear_pc();
        if self.hooks.exec_active() {
            if check_breakpoints {
                if let Some(stop) = self.hooks.before_exec(pc, self.retired) {
                    return Some(stop);
                }
            } else {
                self.hooks.skip_breakpoint_once(pc);
                let _ = self.hooks.before_exec(pc, self.retired);
            }
        }
        self.cpu.log_mem = self.hooks.mem_active();
        self.dev.clock = self.clock;
        self.cpu.step(&mut self.dev);
        self.clock += 1;
        self.retired += 1;
        if self.hooks.exec_active() {
            self.hooks.after_exec(pc, 1);
            match std::mem::replace(&mut self.cpu.flow, crate::cpu::Flow::None) {
                crate::cpu::Flow::Call { target, ret } => self.hooks.on_call(pc, target, ret),
                crate::cpu::Flow::Return { to } => self.hooks.on_return(to),
                crate::cpu::Flow::None => {}
            }
        }
        if self.cpu.log_mem {
            for (addr, write, value) in std::mem::take(&mut self.cpu.mem_log) {
                let access = if write {
                    wb_machine::Access::Write
                } else {
                    wb_machine::Access::Read
                };
                self.hooks.on_access(pc, addr, access, value);
            }
        }
        if let Some(stop) = self.after_step(pc) {
            return Some(stop);
        }
        if self.cpu.log_mem {
            self.hooks.take_pending()
        } else {
            None
        }
    }

    /// Handle what the instruction just executed asked for: a BIOS service, a triple
    /// fault, port I/O that changed IRQ lines, the exit port or a reset.
    fn after_step(&mut self, pc: u64) -> Option<StopReason> {
        match self.cpu.event {
            crate::cpu::Event::None | crate::cpu::Event::Halt => {}
            crate::cpu::Event::Bios(n) => bios::service(self, n),
            crate::cpu::Event::TripleFault => {
                return Some(StopReason::Fault(wb_machine::GuestFault {
                    pc,
                    message: "triple fault".into(),
                }));
            }
        }
        if self.dev.touched {
            self.sync_devices();
            if let Some(code) = self.dev.exit {
                return Some(StopReason::Exited { code });
            }
            if self.dev.reset || self.dev.ps2.reset_requested {
                self.reboot();
            }
        }
        None
    }

    /// Run instructions back to back while nothing but the CPU needs attention: no hooks,
    /// no deliverable interrupt, not halted, before `clock_limit` and `retired_limit`.
    /// Returns `Err(stop)` to stop, `Ok(n)` with the number of instructions run.
    fn burst(&mut self, clock_limit: u64, retired_limit: u64) -> Result<u64, StopReason> {
        let start = self.retired;
        self.cpu.log_mem = false;
        while self.clock < clock_limit && self.retired < retired_limit {
            if self.cpu.halted
                || (self.intr && !self.cpu.int_shadow && self.cpu.flag(crate::cpu::IF))
            {
                break;
            }
            self.dev.clock = self.clock;
            self.cpu.step(&mut self.dev);
            self.clock += 1;
            self.retired += 1;
            if self.cpu.event != crate::cpu::Event::None || self.dev.touched {
                let pc = self.linear_pc();
                if let Some(stop) = self.after_step(pc) {
                    return Err(stop);
                }
            }
        }
        Ok(self.retired - start)
    }

    /// A warm reset requested by the guest: the disk (with its writes) stays.
    fn reboot(&mut self) {
        let disk = std::mem::take(&mut self.dev.ata.disk);
        let out = std::mem::take(&mut self.dev.uart.tx);
        self.power_on();
        self.dev.ata.disk = disk;
        self.dev.uart.tx = out;
    }
}
