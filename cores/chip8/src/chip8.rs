//! The facade: one CHIP-8 family machine, its state and its fetch/decode/execute step.

use wb_machine::{Access, DebugInfo, GuestFault, Hooks, StopReason};

use crate::config::{Config, Level};
use crate::display::Display;
use crate::font;
use crate::op::Op;
use crate::sound::Sound;

/// Programs load here, as on the COSMAC VIP.
pub(crate) const PROGRAM_START: u16 = 0x200;
/// Return stack depth (SUPER-CHIP's; the VIP had room for 12).
pub(crate) const STACK_DEPTH: usize = 16;

/// Why a ROM was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum LoadError {
    #[error("the ROM is empty")]
    Empty,
    #[error("the ROM is {size} bytes, more than the {max} bytes the platform can load at 0x200")]
    TooLarge { size: usize, max: usize },
}

/// `FX0A` waits for a key to go down and then up again (as the VIP does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyWait {
    /// An `FX0A` is waiting.
    pub(crate) waiting: bool,
    /// The key pressed since the wait began.
    pub(crate) pressed: Option<u8>,
    /// That key was released: the wait is over.
    pub(crate) released: Option<u8>,
}

/// What executing the next instruction led to.
pub(crate) enum Exec {
    Done,
    /// Stopped before the instruction ran (breakpoint, fault): no time passed.
    Before(StopReason),
    /// Stopped after the instruction retired (watchpoint, exit).
    After(StopReason),
}

/// A CHIP-8, SUPER-CHIP or XO-CHIP machine. Implements [`wb_machine::Machine`].
#[derive(Clone, Debug)]
pub struct Chip8 {
    pub(crate) config: Config,
    pub(crate) rom: Vec<u8>,
    pub(crate) mem: Vec<u8>,
    pub(crate) v: [u8; 16],
    pub(crate) i: u16,
    pub(crate) pc: u16,
    pub(crate) stack: [u16; STACK_DEPTH],
    pub(crate) sp: u8,
    pub(crate) dt: u8,
    pub(crate) st: u8,
    pub(crate) keys: [bool; 16],
    pub(crate) key_wait: KeyWait,
    pub(crate) display: Display,
    /// Planes `Dxyn`, `00E0` and scrolls act on (XO-CHIP `FN01`; always 1 elsewhere).
    pub(crate) planes: u8,
    pub(crate) sound: Sound,
    /// SUPER-CHIP's persistent "RPL user flags" (`FX75`/`FX85`); they survive a reset.
    pub(crate) flags: [u8; 16],
    pub(crate) rng: u32,
    /// Instruction slots used in the current frame.
    pub(crate) slot: u32,
    /// A draw with the display-wait quirk idles the rest of the frame.
    pub(crate) vblank_wait: bool,
    pub(crate) halted: bool,
    pub(crate) retired: u64,
    pub(crate) cycles: u64,
    pub(crate) frames: u64,
    /// A frame ended during the last slot.
    pub(crate) frame_ended: bool,
    /// Address of the instruction being executed (for faults and watchpoint reports).
    pub(crate) cur_pc: u16,
    pub(crate) hooks: Hooks,
    pub(crate) debug: DebugInfo,
}

impl Chip8 {
    /// Load `rom` at 0x200 of a fresh machine.
    pub fn new(rom: &[u8], config: Config) -> Result<Chip8, LoadError> {
        let max = config.platform.memory_size() - PROGRAM_START as usize;
        if rom.is_empty() {
            return Err(LoadError::Empty);
        }
        if rom.len() > max {
            return Err(LoadError::TooLarge {
                size: rom.len(),
                max,
            });
        }
        let mut m = Chip8 {
            display: Display::new(config.quirks.legacy_lores),
            config,
            rom: rom.to_vec(),
            mem: Vec::new(),
            v: [0; 16],
            i: 0,
            pc: PROGRAM_START,
            stack: [0; STACK_DEPTH],
            sp: 0,
            dt: 0,
            st: 0,
            keys: [false; 16],
            key_wait: KeyWait::default(),
            planes: 1,
            sound: Sound::new(),
            flags: [0; 16],
            rng: 0,
            slot: 0,
            vblank_wait: false,
            halted: false,
            retired: 0,
            cycles: 0,
            frames: 0,
            frame_ended: false,
            cur_pc: PROGRAM_START,
            hooks: Hooks::new(),
            debug: DebugInfo::default(),
        };
        m.cold_reset();
        Ok(m)
    }

    /// The configuration the machine runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Everything but the hooks, the symbols and the persistent flags back to power-on.
    pub(crate) fn cold_reset(&mut self) {
        let size = self.config.platform.memory_size();
        self.mem = vec![0; size];
        font::install(&mut self.mem);
        let start = PROGRAM_START as usize;
        self.mem[start..start + self.rom.len()].copy_from_slice(&self.rom);
        self.v = [0; 16];
        self.i = 0;
        self.pc = PROGRAM_START;
        self.stack = [0; STACK_DEPTH];
        self.sp = 0;
        self.dt = 0;
        self.st = 0;
        self.keys = [false; 16];
        self.key_wait = KeyWait::default();
        self.display = Display::new(self.config.quirks.legacy_lores);
        self.planes = 1;
        self.sound = Sound::new();
        self.rng = 0x2545_F491;
        self.slot = 0;
        self.vblank_wait = false;
        self.halted = false;
        self.retired = 0;
        self.cycles = 0;
        self.frames = 0;
        self.frame_ended = false;
        self.cur_pc = PROGRAM_START;
        self.hooks.clear_call_stack();
    }

    pub(crate) fn level(&self) -> Level {
        self.config.platform.level()
    }

    pub(crate) fn ipf(&self) -> u32 {
        self.config.instructions_per_frame.max(1)
    }

    pub(crate) fn fault(&self, message: impl Into<String>) -> GuestFault {
        GuestFault {
            pc: u64::from(self.cur_pc),
            message: message.into(),
        }
    }

    /// The guest address `base + offset`. Memory sizes are powers of two and addresses past
    /// the end wrap around, so no index computed from guest values can leave memory.
    #[inline]
    pub(crate) fn addr(&self, base: u16, offset: usize) -> usize {
        (base as usize + offset) & (self.mem.len() - 1)
    }

    /// A data read by the guest (watchpoints see it).
    #[inline]
    pub(crate) fn read(&mut self, addr: usize) -> u8 {
        let value = self.mem[addr];
        if self.hooks.mem_active() {
            self.hooks.on_access(
                u64::from(self.cur_pc),
                addr as u64,
                Access::Read,
                u64::from(value),
            );
        }
        value
    }

    /// Data reads by the guest of `out.len()` bytes from `base` on, wrapping at the end of
    /// memory (watchpoints see each byte).
    #[inline]
    pub(crate) fn read_block(&mut self, base: u16, out: &mut [u8]) {
        let start = base as usize;
        if !self.hooks.mem_active()
            && let Some(src) = self.mem.get(start..start + out.len())
        {
            out.copy_from_slice(src);
            return;
        }
        for (k, byte) in out.iter_mut().enumerate() {
            let a = self.addr(base, k);
            *byte = self.read(a);
        }
    }

    /// A data write by the guest (watchpoints see it).
    #[inline]
    pub(crate) fn write(&mut self, addr: usize, value: u8) {
        self.mem[addr] = value;
        if self.hooks.mem_active() {
            self.hooks.on_access(
                u64::from(self.cur_pc),
                addr as u64,
                Access::Write,
                u64::from(value),
            );
        }
    }

    fn word_at(&self, addr: usize) -> Option<u16> {
        Some(u16::from_be_bytes([
            *self.mem.get(addr)?,
            *self.mem.get(addr + 1)?,
        ]))
    }

    /// Fetch, decode and execute the instruction at pc.
    #[inline]
    pub(crate) fn execute_next(&mut self) -> Exec {
        let pc = self.pc;
        if self.hooks.exec_active()
            && let Some(stop) = self.hook_before(pc)
        {
            return Exec::Before(stop);
        }
        self.cur_pc = pc;
        let Some(word) = self.word_at(pc as usize) else {
            return self.fault_before("pc is outside memory".into());
        };
        let op = match Op::decode(word, 0) {
            Op::LongI(_) => match self.word_at(pc as usize + 2) {
                Some(next) => Op::LongI(next),
                None => return self.fault_before("pc is outside memory".into()),
            },
            op => op,
        };
        if op.level() > self.level() {
            return self.missing_opcode(word);
        }
        self.pc = pc.wrapping_add(op.len());
        if let Err(fault) = self.execute(op) {
            self.pc = pc;
            return Exec::Before(StopReason::Fault(fault));
        }
        self.retired += 1;
        if self.hooks.exec_active() {
            self.hook_after(pc);
        }
        if self.hooks.mem_active()
            && let Some(stop) = self.hooks.take_pending()
        {
            return Exec::After(stop);
        }
        if self.halted {
            return Exec::After(StopReason::Halted);
        }
        Exec::Done
    }

    // Hooks are off in a plain run: keeping them out of line keeps the instruction loop small.
    #[cold]
    #[inline(never)]
    fn hook_before(&mut self, pc: u16) -> Option<StopReason> {
        self.hooks.before_exec(u64::from(pc), self.retired)
    }

    #[cold]
    #[inline(never)]
    fn hook_after(&mut self, pc: u16) {
        self.hooks.after_exec(u64::from(pc), 1);
    }

    // Faults are rare: keeping them out of line keeps the instruction loop small.
    #[cold]
    #[inline(never)]
    fn fault_before(&self, message: String) -> Exec {
        Exec::Before(StopReason::Fault(self.fault(message)))
    }

    #[cold]
    #[inline(never)]
    fn missing_opcode(&self, word: u16) -> Exec {
        let msg = format!(
            "opcode {word:04X} does not exist on {}",
            self.config.platform.name()
        );
        self.fault_before(msg)
    }

    /// Video frames completed since reset.
    pub fn frames(&self) -> u64 {
        self.frames
    }
}
