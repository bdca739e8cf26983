//! Game Boy (DMG) core for Workbench.
//!
//! The one public type is [`GameBoy`], which implements [`wb_machine::Machine`]. The CPU, the
//! bus and the devices are private modules behind it:
//!
//! - `cpu/`: the SM83. It reaches the machine only through `cpu::Bus`, and every bus call is one
//!   M-cycle, so instruction timing is the sequence of accesses (no cycle table). `alu.rs` has
//!   one flag helper per ALU operation; `execute.rs` decodes by octal fields, and dispatches
//!   through one match arm per opcode so that each arm's decoding folds to constants.
//! - `bus.rs`: memory map, I/O registers, IE/IF, OAM DMA (with its bus conflicts); advances the
//!   clock by one M-cycle per CPU bus call. Devices catch up lazily: each names the T-cycle of
//!   its next event and is brought up to the present when the CPU touches it, so an M-cycle
//!   without an event costs one add and one compare. `bus/batched.rs` is the bus of the run
//!   loop without hooks: it holds the clock and the next event time itself (host registers for
//!   a batch of instructions) and reads ROM/WRAM/HRAM straight from their arrays.
//! - `ppu.rs`: LCD timing as events within a 456-dot line (modes, LY/LYC, STAT sources, VRAM/OAM
//!   locking); `render.rs` draws a whole line when mode 3 starts, unless the line's inputs
//!   (VRAM and OAM change counters, the registers it reads) equal those it was last drawn from.
//!   While no STAT interrupt source is enabled only the start of VBlank is scheduled; the other
//!   events run late, in one batch, when the CPU or the DMA touches the PPU or a run ends.
//! - `timer.rs`, `serial.rs`, `joypad.rs`; `apu/`: four channels, frame sequencer, mixer.
//! - `header.rs` (parse + checks), `cart.rs` (ROM only, MBC1/MBC1M, MBC2, MBC3 + `rtc.rs`, MBC5).
//! - `machine.rs`: the `Machine` implementation (hooks, state). With no hook active `run` takes
//!   a fast loop: plain instructions run in batches with the CPU registers and the clock in
//!   locals, no per-instruction hook checks, no watchpoint checks per access, and time in
//!   which the CPU does nothing observable (HALT, STOP, a JR/JP to itself) jumps to the next
//!   device event at once; `tests/fast_path.rs` checks it against the stepping loop.
//!   `views.rs`: debugger views;
//!   `disasm.rs`: RGBDS-syntax disassembler; `sym.rs`: `.sym` files.
//!
//! **Time:** [`wb_machine::Budget::Cycles`] and [`wb_machine::Machine::cycles`] count T-cycles
//! at 4 194 304 Hz (one M-cycle is 4 T-cycles). A frame is 70 224 T-cycles (≈ 59.73 Hz) and
//! [`wb_machine::Budget::Frame`] ends as VBlank begins (or every 70 224 T-cycles while the LCD
//! is off). Audio: stereo f32 at 65 536 Hz.
//!
//! **Accuracy** (tests in `tests/`): all 24 000 SM83 single-step vectors including bus logs;
//! blargg cpu_instrs, instr_timing, mem_timing; all 66 DMG-applicable mooneye acceptance ROMs.
//!
//! **Architecture invariant:** no threads, no I/O, no host clock: a run is a pure function of
//! the ROM, the inputs and the budget, which is what makes save states and rewind exact.

mod apu;
mod bus;
mod cart;
mod cpu;
mod disasm;
mod header;
mod joypad;
mod machine;
mod ppu;
mod render;
mod rtc;
mod serial;
mod sym;
mod timer;
mod views;

#[doc(hidden)]
pub mod sm83;

use wb_machine::DebugInfo;

pub use header::{Header, MapperKind, looks_like_gb_rom};
pub use sym::parse_sym_file;
pub use views::{IoRegister, ObjEntry, Palettes};

use bus::Hardware;
use cart::Cartridge;
use cpu::Cpu;

/// Why a ROM (or boot ROM, or battery file) was refused. One line each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("truncated Game Boy ROM: {len} bytes, the header needs {expected}")]
    Truncated { len: usize, expected: usize },
    #[error("bad Game Boy header checksum: stored {stored:#04x}, computed {computed:#04x}")]
    HeaderChecksum { stored: u8, computed: u8 },
    #[error("unknown Game Boy mapper {0:#04x}")]
    UnknownMapper(u8),
    #[error("bad Game Boy ROM size code {0:#04x}")]
    BadRomSize(u8),
    #[error("bad Game Boy RAM size code {0:#04x}")]
    BadRamSize(u8),
    #[error("oversize Game Boy ROM: {0} bytes does not match its header (at most 8 MiB)")]
    Oversize(usize),
    #[error("boot ROM must be 256 bytes, got {0}")]
    BadBootRom(usize),
    #[error("battery save is {found} bytes, expected {expected}")]
    BadSave { found: usize, expected: usize },
}

/// A DMG Game Boy with its cartridge.
#[derive(Clone, Debug)]
pub struct GameBoy {
    cpu: Cpu,
    hw: Hardware,
    /// The pristine cartridge, for cold resets.
    cart0: Cartridge,
    boot_rom: Option<Vec<u8>>,
    debug: DebugInfo,
    retired: u64,
}

/// T-cycles per second.
pub const CLOCK_HZ: u32 = 4_194_304;

impl GameBoy {
    /// Load a ROM image; with `boot_rom` (256 bytes) the machine starts from power-on and runs
    /// it, otherwise it starts in the state the DMG boot ROM leaves.
    pub fn new(rom: &[u8], boot_rom: Option<&[u8]>) -> Result<GameBoy, LoadError> {
        let header = Header::parse(rom)?;
        if let Some(b) = boot_rom
            && b.len() != 256
        {
            return Err(LoadError::BadBootRom(b.len()));
        }
        let cart = Cartridge::new(rom, header);
        let boot_rom = boot_rom.map(<[u8]>::to_vec);
        let mut gb = GameBoy {
            cpu: Cpu::new(),
            hw: Hardware::new(cart.clone(), boot_rom.clone()),
            cart0: cart,
            boot_rom,
            debug: DebugInfo::default(),
            retired: 0,
        };
        gb.power_on();
        Ok(gb)
    }

    fn power_on(&mut self) {
        let mut cart = self.cart0.clone();
        // Battery RAM survives a reset: keep the live contents.
        cart.ram.clone_from(&self.hw.cart.ram);
        cart.rtc = self.hw.cart.rtc.clone();
        cart.reset();
        let hooks = std::mem::take(&mut self.hw.hooks);
        self.hw = Hardware::new(cart, self.boot_rom.clone());
        self.hw.hooks = hooks;
        self.hw.hooks.clear_call_stack();
        self.cpu = if self.boot_rom.is_some() {
            Cpu::new()
        } else {
            Cpu::post_boot_dmg()
        };
        self.retired = 0;
    }

    /// The parsed cartridge header.
    pub fn header(&self) -> &Header {
        &self.hw.cart.header
    }

    /// Cartridge RAM (plus the 48-byte RTC trailer on MBC3+TIMER) when the cart has a battery.
    pub fn battery_ram(&self) -> Option<Vec<u8>> {
        let h = &self.hw.cart.header;
        if !h.has_battery {
            return None;
        }
        let mut out = self.hw.cart.ram.clone();
        if h.has_rtc {
            out.extend_from_slice(&self.hw.cart.rtc.to_sav());
        }
        Some(out)
    }

    /// Restore a battery save made by [`GameBoy::battery_ram`] (or another emulator's .sav;
    /// the RTC trailer is optional).
    pub fn load_battery_ram(&mut self, data: &[u8]) -> Result<(), LoadError> {
        let ram_len = self.hw.cart.ram.len();
        let rtc = self.hw.cart.header.has_rtc;
        let ok = data.len() == ram_len
            || (rtc && (data.len() == ram_len + 48 || data.len() == ram_len + 44));
        if !self.hw.cart.header.has_battery || !ok {
            return Err(LoadError::BadSave {
                found: data.len(),
                expected: ram_len,
            });
        }
        self.hw.cart.ram.copy_from_slice(&data[..ram_len]);
        if rtc && data.len() > ram_len {
            self.hw.cart.rtc.load_sav(&data[ram_len..]);
        }
        Ok(())
    }

    /// True once after battery RAM (or the RTC) changed since the last call.
    pub fn battery_dirty(&mut self) -> bool {
        std::mem::take(&mut self.hw.cart.dirty)
    }
}
