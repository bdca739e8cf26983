//! The [`Machine`] trait and the plain-data types that cross it.

use crate::{Access, DebugInfo, Hooks, StateError};

/// What a run asks for before it returns on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// Run until this many more CPU cycles have elapsed (instructions where the core has no
    /// cycle model, such as CHIP-8).
    Cycles(u64),
    /// Run until this many more instructions have retired.
    Instructions(u64),
    /// Run until the current video frame is complete.
    Frame,
}

/// Why [`Machine::run`] or [`Machine::step`] returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The budget was spent (or, for [`Machine::step`], the one instruction retired).
    BudgetSpent,
    /// A video frame was completed.
    FrameDone,
    /// The next instruction to execute sits on an enabled breakpoint; it has not run yet.
    Breakpoint { addr: u64 },
    /// The instruction that just retired touched a watched range.
    Watchpoint { addr: u64, access: Access, value: u64, pc: u64 },
    /// The guest executed its platform's debug trap (Game Boy `LD B,B`, RISC-V `ebreak` with
    /// semihosting off...). The instruction has retired.
    DebugTrap { pc: u64 },
    /// The guest stopped itself and cannot go on without a reset (CHIP-8 `00FD`).
    Halted,
    /// The guest ended with an exit code (Linux `exit_group`, HTIF tohost, isa-debug-exit).
    Exited { code: i32 },
    /// The guest did something the machine cannot execute. The state is left as it was
    /// before the faulting instruction, so the debugger can show it.
    Fault(GuestFault),
}

impl StopReason {
    /// True when the guest cannot continue from here (halt, exit or fault).
    pub fn is_terminal(&self) -> bool {
        matches!(self, StopReason::Halted | StopReason::Exited { .. } | StopReason::Fault(_))
    }
}

/// A guest fault: illegal opcode, bad address, type error in the VM... A value, never a panic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (pc={pc:#x})")]
pub struct GuestFault {
    pub pc: u64,
    pub message: String,
}

/// What a run did and why it stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunResult {
    pub stop: StopReason,
    /// Cycles (or instructions, for cores without a cycle model) spent by this call.
    pub cycles: u64,
}

/// Static facts about a core, for the UI and the CLI.
#[derive(Clone, Debug, PartialEq)]
pub struct CoreInfo {
    /// Short stable name, the CLI's `--core` value (`chip8`, `gb`, `riscv`...).
    pub name: &'static str,
    /// Human name shown in the window.
    pub long_name: String,
    /// Video frames per second of the guest (CHIP-8 60, DMG ≈ 59.73). Zero when the
    /// machine has no video frame (a Linux user-mode program).
    pub frame_rate: f64,
    /// Native audio rate in Hz of the samples [`Machine::drain_audio`] returns; 0 if silent.
    pub audio_rate: u32,
    /// Names of the buttons [`InputEvent::Button`] indexes, as the CLI's `--press` spells them.
    pub buttons: Vec<&'static str>,
    /// Address spaces that [`Machine::peek`] and [`Machine::poke`] accept.
    pub address_spaces: Vec<AddressSpace>,
    /// Width in bits of a program counter, for formatting (12..64).
    pub pc_bits: u32,
}

/// One address space a core exposes to the memory view (RAM, VRAM, physical, linear...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressSpace {
    pub name: &'static str,
    /// Number of addressable bytes (the highest address is `size - 1`).
    pub size: u64,
}

/// The current video frame: RGBA8, row-major, `width * height * 4` bytes.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub width: usize,
    pub height: usize,
    pub rgba: &'a [u8],
}

/// One register as the debugger shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register {
    /// As the platform's manuals spell it, lower case (`v0`, `pc`, `a`, `x5`, `rax`).
    pub name: String,
    /// Width in bits (1..=128).
    pub bits: u32,
    pub value: RegValue,
}

/// A register value. Wide enough for every general register we emulate.
pub type RegValue = u128;

/// Error from [`Machine::poke`] or [`Machine::set_register`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PokeError {
    #[error("no address space {0}")]
    NoSuchSpace(usize),
    #[error("address {addr:#x} is outside {space} (size {size:#x})")]
    OutOfRange { space: &'static str, addr: u64, size: u64 },
    #[error("address {0:#x} is read-only")]
    ReadOnly(u64),
    #[error("no register {0}")]
    NoSuchRegister(String),
    #[error("value {value:#x} does not fit register {name}")]
    TooWide { name: String, value: RegValue },
}

/// One disassembled instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisasmLine {
    pub addr: u64,
    pub bytes: Vec<u8>,
    /// Mnemonic and operands in the platform's customary syntax.
    pub text: String,
    /// Branch or call target, when the instruction has a static one (for symbol labels).
    pub target: Option<u64>,
}

/// Input from the user to the guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputEvent {
    /// A pad button or keypad key, by its index in [`CoreInfo::buttons`].
    Button { index: usize, pressed: bool },
    /// A key of a full keyboard (x86 PS/2), as a USB HID usage ID.
    Key { code: KeyCode, pressed: bool },
}

/// USB HID keyboard usage ID (page 7): `0x04` is A, `0x28` is Enter, `0x2C` is Space...
/// The PC core turns it into a scan code; pads ignore it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyCode(pub u8);

/// A core-specific debugger view, as data the app can draw without knowing the core.
#[derive(Clone, Debug, PartialEq)]
pub enum View {
    /// A picture (tile data, a background map), RGBA8 row-major.
    Image { title: String, width: usize, height: usize, rgba: Vec<u8> },
    /// Rows of named columns (OAM entries, IO registers, page-table entries).
    Table { title: String, columns: Vec<String>, rows: Vec<Vec<String>> },
    /// Preformatted text.
    Text { title: String, text: String },
}

impl View {
    pub fn title(&self) -> &str {
        match self {
            View::Image { title, .. } | View::Table { title, .. } | View::Text { title, .. } => title,
        }
    }
}

/// The interface every executing thing implements: emulator cores and the language VM.
///
/// Contract:
/// - `peek`, `registers`, `disassemble`, `frame` never change guest-visible state.
/// - `run` returns within its budget or earlier with the [`StopReason`].
/// - `save_state` followed by `load_state` on a fresh machine of the same core and
///   configuration reproduces the run byte for byte (rewind and reverse stepping rely on it).
/// - Nothing panics because of what the guest does.
pub trait Machine: Send {
    fn info(&self) -> CoreInfo;

    /// Cold reset: the state right after loading the same program.
    fn reset(&mut self);

    /// Run until the budget is spent or something stops the machine earlier.
    fn run(&mut self, budget: Budget) -> RunResult;

    /// Execute exactly one instruction, ignoring a breakpoint at the current pc
    /// (watchpoints still report).
    fn step(&mut self) -> RunResult;

    /// Instructions retired since reset: the clock that reverse execution counts in.
    fn instructions_retired(&self) -> u64;

    /// Cycles elapsed since reset (instructions for cores without a cycle model).
    fn cycles(&self) -> u64;

    // ---- outputs ----

    /// The current video frame. Cores without a screen return a 0x0 frame.
    fn frame(&self) -> Frame<'_>;

    /// Move the interleaved stereo samples produced since the last drain into `out`.
    fn drain_audio(&mut self, out: &mut Vec<f32>);

    /// Move the serial/console bytes the guest wrote since the last drain into `out`.
    fn drain_serial(&mut self, out: &mut Vec<u8>) {
        let _ = out;
    }

    // ---- inputs ----

    fn input(&mut self, event: InputEvent);

    /// Bytes typed to the guest's serial/console input.
    fn serial_in(&mut self, bytes: &[u8]) {
        let _ = bytes;
    }

    // ---- introspection (no side effects) ----

    fn registers(&self) -> Vec<Register>;

    /// Write a register by name (as [`Register::name`] spells it).
    fn set_register(&mut self, name: &str, value: RegValue) -> Result<(), PokeError>;

    fn pc(&self) -> u64;

    /// Read a byte of an address space without I/O side effects. `None` when unmapped.
    fn peek(&self, space: usize, addr: u64) -> Option<u8>;

    /// Write a byte of an address space without I/O side effects.
    fn poke(&mut self, space: usize, addr: u64, value: u8) -> Result<(), PokeError>;

    /// Disassemble up to `count` instructions starting at `addr` in the main space.
    fn disassemble(&self, addr: u64, count: usize) -> Vec<DisasmLine>;

    /// Symbols and the source line map, if the loaded program carried them.
    fn debug_info(&self) -> &DebugInfo;

    /// Replace the symbols and line map (from a .sym file, an ELF, our assembler's map).
    fn set_debug_info(&mut self, info: DebugInfo);

    // ---- debug hooks ----

    fn hooks(&self) -> &Hooks;
    fn hooks_mut(&mut self) -> &mut Hooks;

    /// The return address a "step over" of the instruction at pc should stop at, when the
    /// instruction is a call; `None` otherwise. Step out uses [`Hooks::call_stack`].
    fn call_return_address(&self) -> Option<u64> {
        None
    }

    /// Core-specific debugger views as plain data (Game Boy tiles, maps, OAM and IO
    /// registers; an x86 page-table walk...). The app draws them without knowing the core.
    fn views(&self) -> Vec<View> {
        Vec::new()
    }

    // ---- battery-backed memory (cartridge saves) ----

    /// The battery-backed RAM the user expects kept across runs (a Game Boy cartridge's
    /// .sav), or `None` when the machine has none.
    fn battery_ram(&self) -> Option<Vec<u8>> {
        None
    }

    /// Restore battery-backed RAM read from a save file. A file of the wrong size or shape is
    /// refused with a one-line reason and leaves the machine as it was.
    fn load_battery_ram(&mut self, data: &[u8]) -> Result<(), String> {
        let _ = data;
        Err("this machine has no battery-backed memory".into())
    }

    /// True once after the battery-backed RAM changed (so the app writes the save file).
    fn battery_dirty(&mut self) -> bool {
        false
    }

    // ---- state ----

    /// A versioned snapshot of the whole machine (see [`crate::state`]).
    fn save_state(&self) -> Vec<u8>;

    /// Restore a snapshot made by [`Machine::save_state`] of the same core. A corrupt,
    /// truncated, other-core or other-version snapshot is refused and leaves the machine as
    /// it was.
    fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError>;
}
