//! [`Machine`] for [`GameBoy`]: run control, hooks, introspection and save states.

use wb_machine::state::{self, Reader, Writer};
use wb_machine::{
    AddressSpace, Budget, CoreInfo, DebugInfo, DisasmLine, Frame, GuestFault, Hooks, InputEvent,
    Machine, PokeError, RegValue, Register, RunResult, StateError, StopReason,
};

use crate::bus::Batched;
use crate::cpu::{Bus, Flow, Outcome};
use crate::joypad::BUTTONS;
use crate::ppu::{HEIGHT, WIDTH};
use crate::{CLOCK_HZ, GameBoy};

/// Bumped whenever the save-state payload layout changes.
const STATE_VERSION: u32 = 1;

/// Address spaces: the CPU's 64 KiB view, the whole ROM, VRAM.
const SPACE_BUS: usize = 0;
const SPACE_ROM: usize = 1;
const SPACE_VRAM: usize = 2;

const REGISTERS: [(&str, u32); 11] = [
    ("a", 8),
    ("f", 8),
    ("b", 8),
    ("c", 8),
    ("d", 8),
    ("e", 8),
    ("h", 8),
    ("l", 8),
    ("sp", 16),
    ("pc", 16),
    ("ime", 1),
];

impl GameBoy {
    /// One CPU step with the hooks around it. `Some` stops the run.
    #[inline(always)]
    fn step_once(&mut self) -> Option<StopReason> {
        let pc = self.cpu.pc;
        let hooked = self.hw.hooks.exec_active();
        let executing = !self.cpu.halted && !self.cpu.stopped;
        if hooked && executing {
            if let Some(stop) = self.hw.hooks.before_exec(pc as u64, self.retired) {
                return Some(stop);
            }
            self.cpu.flow = Flow::None;
        }
        let c0 = self.hw.cycles;
        self.hw.pc_hint = pc;
        let outcome = self.cpu.step(&mut self.hw);
        let mut stop = None;
        match outcome {
            Outcome::Retired => self.retired += 1,
            Outcome::Idle | Outcome::Interrupt => {}
            Outcome::DebugTrap => {
                self.retired += 1;
                stop = Some(StopReason::DebugTrap { pc: pc as u64 });
            }
            Outcome::Illegal(op) => return Some(illegal(pc, op)),
        }
        if hooked {
            if outcome != Outcome::Idle {
                self.hw.hooks.after_exec(pc as u64, self.hw.cycles - c0);
            }
            match self.cpu.flow {
                Flow::None => {}
                Flow::Call { target, ret } => {
                    let from = if outcome == Outcome::Interrupt {
                        ret
                    } else {
                        pc
                    };
                    self.hw
                        .hooks
                        .on_call(from as u64, target as u64, ret as u64)
                }
                Flow::Return { to } => self.hw.hooks.on_return(to as u64),
            }
            self.cpu.flow = Flow::None;
        }
        if self.hw.hooks.mem_active()
            && let Some(w) = self.hw.hooks.take_pending()
        {
            return Some(w);
        }
        stop
    }

    fn write_state(&self, w: &mut Writer) {
        let c = &self.cpu;
        for v in [c.a, c.f, c.b, c.c, c.d, c.e, c.h, c.l] {
            w.u8(v);
        }
        w.u16(c.sp).u16(c.pc);
        for v in [c.ime, c.ei_delay, c.halted, c.halt_bug, c.stopped] {
            w.bool(v);
        }
        w.u64(self.retired);
        self.hw.save(w);
    }

    fn read_state(&mut self, r: &mut Reader) -> Result<(), StateError> {
        let c = &mut self.cpu;
        for v in [
            &mut c.a, &mut c.f, &mut c.b, &mut c.c, &mut c.d, &mut c.e, &mut c.h, &mut c.l,
        ] {
            *v = r.u8()?;
        }
        c.f &= 0xF0;
        c.sp = r.u16()?;
        c.pc = r.u16()?;
        for v in [
            &mut c.ime,
            &mut c.ei_delay,
            &mut c.halted,
            &mut c.halt_bug,
            &mut c.stopped,
        ] {
            *v = r.bool()?;
        }
        self.retired = r.u64()?;
        self.hw.load(r)?;
        r.finish()
    }
}

/// Whether `budget`, begun at cycle `c0` with `r0` instructions retired, is used up (`progress`:
/// the cycle at which the retired count last moved).
#[inline(always)]
fn budget_spent(
    budget: Budget,
    gb: &GameBoy,
    c0: u64,
    r0: u64,
    progress: u64,
) -> Option<StopReason> {
    let spent = match budget {
        Budget::Frame => gb.hw.frame_done,
        Budget::Cycles(n) => gb.hw.cycles - c0 >= n,
        Budget::Instructions(n) => {
            gb.retired - r0 >= n
                // A CPU halted with nothing to wake it must not hang the caller.
                || gb.hw.cycles - progress > CLOCK_HZ as u64
        }
    };
    if !spent {
        None
    } else if matches!(budget, Budget::Frame) {
        Some(StopReason::FrameDone)
    } else {
        Some(StopReason::BudgetSpent)
    }
}

/// Opcodes that, when they jump to their own address, change nothing but the clock: JR, JP,
/// their taken conditional forms (the flags they test stay as they are) and JP HL.
fn is_plain_jump(op: u8) -> bool {
    matches!(
        op,
        0x18 | 0x20 | 0x28 | 0x30 | 0x38 | 0xC3 | 0xC2 | 0xCA | 0xD2 | 0xDA | 0xE9
    )
}

/// Code at `pc` is read from memory without side effects whose contents only the CPU changes:
/// ROM, work RAM, high RAM (not VRAM, OAM or I/O, which the PPU and devices own).
fn quiet_code(pc: u16) -> bool {
    matches!(pc, 0x0000..=0x7FFD | 0xC000..=0xFDFD | 0xFF80..=0xFFFC)
}

impl GameBoy {
    /// The run loop when no hook listens: no per-instruction hook checks, and time in which
    /// the CPU does nothing observable (HALT, STOP, a jump to itself) is skipped up to the next
    /// device event in one step. The outcome is the same as stepping, cycle for cycle.
    fn run_unhooked(&mut self, budget: Budget, c0: u64, r0: u64) -> StopReason {
        match budget {
            Budget::Frame => self.run_unhooked_frame(c0, r0),
            _ => self.run_unhooked_any(budget, c0, r0),
        }
    }

    /// [`GameBoy::run_unhooked`] for a frame, the common budget: a copy of the loop in which
    /// the budget is a constant, so its checks fold down to the frame-done flag.
    #[inline(never)]
    fn run_unhooked_frame(&mut self, c0: u64, r0: u64) -> StopReason {
        self.run_unhooked_loop(Budget::Frame, c0, r0)
    }

    #[inline(never)]
    fn run_unhooked_any(&mut self, budget: Budget, c0: u64, r0: u64) -> StopReason {
        self.run_unhooked_loop(budget, c0, r0)
    }

    #[inline(always)]
    fn run_unhooked_loop(&mut self, budget: Budget, c0: u64, r0: u64) -> StopReason {
        // (instructions retired, cycle) when the count last moved.
        let mut progress = (r0, c0);
        // Where a batch must hand over to the budget checks below (a frame's end raises the
        // batch's alert by itself).
        let limits = match budget {
            Budget::Frame => None,
            Budget::Cycles(n) => Some((c0.saturating_add(n), u64::MAX)),
            Budget::Instructions(n) => Some((u64::MAX, r0.saturating_add(n))),
        };
        loop {
            let (pc, before, clean, outcome) = match self.run_batch(limits) {
                Some(last) => {
                    if self.retired != progress.0 {
                        progress = (self.retired, last.before);
                    }
                    (last.pc, last.before, true, last.outcome)
                }
                None => {
                    if self.retired != progress.0 {
                        progress = (self.retired, self.hw.cycles);
                    }
                    let pc = self.cpu.pc;
                    let before = self.hw.cycles;
                    let clean = !self.cpu.halt_bug;
                    let outcome = self.cpu.step(&mut Batched::stepping(&mut self.hw));
                    (pc, before, clean, outcome)
                }
            };
            match outcome {
                Outcome::Retired => self.retired += 1,
                Outcome::Idle | Outcome::Interrupt => {}
                Outcome::DebugTrap => {
                    self.retired += 1;
                    return StopReason::DebugTrap { pc: pc as u64 };
                }
                Outcome::Illegal(op) => return illegal(pc, op),
            }
            if self.retired != progress.0 {
                progress = (self.retired, self.hw.cycles);
            }
            if let Some(stop) = budget_spent(budget, self, c0, r0, progress.1) {
                return stop;
            }
            // Only after the budget check: a frame that ended in this step ends the run here.
            match outcome {
                Outcome::Retired if self.cpu.pc == pc && clean => {
                    self.skip_jump_to_self(pc, self.hw.cycles - before, budget, c0, r0);
                    progress = (self.retired, self.hw.cycles);
                }
                Outcome::Idle => self.skip_idle(budget, c0, progress.1),
                _ => {}
            }
        }
    }

    /// Run plain instructions (no HALT, STOP, EI delay or interrupt in the way) with the CPU
    /// registers and the clock in locals, for as long as each one only retires and leaves the
    /// machine quiet: until one needs the checks of the loop above (the bus's alert: the end
    /// of a frame, an interrupt, a jump to itself, HALT...; a trap or fault; a budget limit,
    /// `(cycle, retired count)`). That last one is returned, not yet counted; the ones before
    /// it are counted as retired. `None`: the next step is not plain (or the machine not
    /// quiet) and has not run.
    #[inline(always)]
    fn run_batch(&mut self, limits: Option<(u64, u64)>) -> Option<LastStep> {
        let mut cpu = self.cpu.clone();
        let mut retired = self.retired;
        let mut bus = Batched::batch(&mut self.hw, cpu.ime);
        if bus.alert() || !cpu.is_plain(&mut bus) {
            return None;
        }
        // From here on, only what raises the alert can make a step not plain.
        let last = loop {
            let pc = cpu.pc;
            let before = bus.cycles();
            let outcome = cpu.step_known_plain(&mut bus);
            // The device events due during the instruction, each at its own M-cycle.
            bus.settle();
            let at_limit = limits.is_some_and(|(stop_cycle, stop_retired)| {
                bus.cycles() >= stop_cycle || retired + 1 >= stop_retired
            });
            if bus.alert() || outcome != Outcome::Retired || at_limit {
                break LastStep {
                    pc,
                    before,
                    outcome,
                };
            }
            retired += 1;
        };
        drop(bus);
        self.cpu = cpu;
        self.retired = retired;
        Some(last)
    }

    /// The first cycle the budget's own checks must see (skips stay below it).
    #[inline(always)]
    fn cycle_limit(&self, budget: Budget, c0: u64, progress: u64) -> u64 {
        match budget {
            Budget::Frame => u64::MAX,
            Budget::Cycles(n) => c0.saturating_add(n),
            Budget::Instructions(_) => progress + CLOCK_HZ as u64 + 1,
        }
    }

    /// HALT or STOP with nothing to end it before the next device event: jump there.
    #[inline(always)]
    fn skip_idle(&mut self, budget: Budget, c0: u64, progress: u64) {
        let waiting = if self.cpu.stopped {
            !self.hw.stop_wakeup()
        } else {
            self.cpu.halted && self.hw.pending_interrupts() == 0
        };
        if !waiting {
            return;
        }
        let room = self
            .cycle_limit(budget, c0, progress)
            .saturating_sub(self.hw.cycles + 1);
        let t = self.hw.quiet_cycles().min(room) & !3;
        self.hw.skip(t);
    }

    /// The instruction at `pc`, `len` T-cycles long, jumped to itself: run the iterations that
    /// fit before the next device event (or the budget's end) at once.
    #[inline(always)]
    fn skip_jump_to_self(&mut self, pc: u16, len: u64, budget: Budget, c0: u64, r0: u64) {
        if !quiet_code(pc) || !is_plain_jump(self.hw.peek(pc)) || len == 0 {
            return;
        }
        // An interrupt taken at the next boundary ends the loop.
        if self.cpu.ime && self.hw.pending_interrupts() != 0 {
            return;
        }
        let room = self
            .cycle_limit(budget, c0, self.hw.cycles)
            .saturating_sub(self.hw.cycles + 1);
        let mut n = self.hw.quiet_cycles().min(room) / len;
        if let Budget::Instructions(limit) = budget {
            n = n.min((r0 + limit).saturating_sub(self.retired + 1));
        }
        self.hw.skip(n * len);
        self.retired += n;
    }
}

/// The step that ended a batch of [`GameBoy::run_batch`].
struct LastStep {
    /// Where the instruction began.
    pc: u16,
    /// The clock when it began.
    before: u64,
    outcome: Outcome,
}

fn illegal(pc: u16, op: u8) -> StopReason {
    StopReason::Fault(GuestFault {
        pc: pc as u64,
        message: format!("illegal opcode {op:#04x}: the SM83 locks up"),
    })
}

impl Machine for GameBoy {
    fn views(&self) -> Vec<wb_machine::View> {
        self.debug_views()
    }

    fn battery_ram(&self) -> Option<Vec<u8>> {
        GameBoy::battery_ram(self)
    }

    fn load_battery_ram(&mut self, data: &[u8]) -> Result<(), String> {
        GameBoy::load_battery_ram(self, data).map_err(|e| e.to_string())
    }

    fn battery_dirty(&mut self) -> bool {
        GameBoy::battery_dirty(self)
    }

    fn info(&self) -> CoreInfo {
        CoreInfo {
            name: "gb",
            long_name: format!("Game Boy (DMG) — {}", self.hw.cart.header.title),
            frame_rate: CLOCK_HZ as f64 / crate::bus::CYCLES_PER_FRAME as f64,
            audio_rate: crate::apu::SAMPLE_RATE,
            buttons: BUTTONS.to_vec(),
            address_spaces: vec![
                AddressSpace {
                    name: "bus",
                    size: 0x10000,
                },
                AddressSpace {
                    name: "rom",
                    size: self.hw.cart.rom_bytes().len() as u64,
                },
                AddressSpace {
                    name: "vram",
                    size: 0x2000,
                },
            ],
            pc_bits: 16,
        }
    }

    fn reset(&mut self) {
        self.power_on();
    }

    fn run(&mut self, budget: Budget) -> RunResult {
        let c0 = self.hw.cycles;
        let r0 = self.retired;
        self.hw.frame_done = false;
        if !self.hw.hooks.exec_active() && !self.hw.hooks.mem_active() {
            // Nothing listens per instruction: the fast loop.
            let stop = self.run_unhooked(budget, c0, r0);
            self.hw.sync_ppu();
            return RunResult {
                stop,
                cycles: self.hw.cycles - c0,
            };
        }
        // (instructions retired, cycle) when the count last moved.
        let mut progress = (r0, c0);
        let stop = loop {
            if let Some(stop) = self.step_once() {
                break stop;
            }
            if self.retired != progress.0 {
                progress = (self.retired, self.hw.cycles);
            }
            if let Some(stop) = budget_spent(budget, self, c0, r0, progress.1) {
                break stop;
            }
        };
        self.hw.sync_ppu();
        RunResult {
            stop,
            cycles: self.hw.cycles - c0,
        }
    }

    fn step(&mut self) -> RunResult {
        let c0 = self.hw.cycles;
        self.hw.hooks.skip_breakpoint_once(self.cpu.pc as u64);
        let r0 = self.retired;
        // Waiting cycles and interrupt dispatch are not instructions: go on to the next retire.
        let stop = loop {
            if let Some(stop) = self.step_once() {
                break stop;
            }
            if self.retired != r0 {
                break StopReason::BudgetSpent;
            }
            if self.hw.cycles - c0 > CLOCK_HZ as u64 {
                // Halted with nothing to wake it for a whole second: give control back.
                break StopReason::BudgetSpent;
            }
        };
        self.hw.sync_ppu();
        RunResult {
            stop,
            cycles: self.hw.cycles - c0,
        }
    }

    fn instructions_retired(&self) -> u64 {
        self.retired
    }

    fn cycles(&self) -> u64 {
        self.hw.cycles
    }

    fn frame(&self) -> Frame<'_> {
        Frame {
            width: WIDTH,
            height: HEIGHT,
            rgba: &self.hw.ppu.frame,
        }
    }

    fn drain_audio(&mut self, out: &mut Vec<f32>) {
        self.hw.apu.sync(self.hw.cycles);
        out.append(&mut self.hw.apu.samples);
    }

    fn drain_serial(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.hw.serial.out);
    }

    fn input(&mut self, event: InputEvent) {
        if let InputEvent::Button { index, pressed } = event
            && self.hw.joypad.set(index, pressed)
        {
            self.hw.if_ |= crate::bus::INT_JOYPAD;
        }
    }

    fn registers(&self) -> Vec<Register> {
        let c = &self.cpu;
        let values: [u16; 11] = [
            c.a as u16,
            c.f as u16,
            c.b as u16,
            c.c as u16,
            c.d as u16,
            c.e as u16,
            c.h as u16,
            c.l as u16,
            c.sp,
            c.pc,
            c.ime as u16,
        ];
        REGISTERS
            .iter()
            .zip(values)
            .map(|(&(name, bits), v)| Register {
                name: name.to_string(),
                bits,
                value: v as RegValue,
            })
            .collect()
    }

    fn set_register(&mut self, name: &str, value: RegValue) -> Result<(), PokeError> {
        let bits = REGISTERS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, b)| b)
            .ok_or_else(|| PokeError::NoSuchRegister(name.to_string()))?;
        if value >> bits != 0 {
            return Err(PokeError::TooWide {
                name: name.to_string(),
                value,
            });
        }
        let v = value as u16;
        let c = &mut self.cpu;
        match name {
            "a" => c.a = v as u8,
            "f" => c.f = v as u8 & 0xF0,
            "b" => c.b = v as u8,
            "c" => c.c = v as u8,
            "d" => c.d = v as u8,
            "e" => c.e = v as u8,
            "h" => c.h = v as u8,
            "l" => c.l = v as u8,
            "sp" => c.sp = v,
            "pc" => c.pc = v,
            _ => c.ime = v != 0,
        }
        Ok(())
    }

    fn pc(&self) -> u64 {
        self.cpu.pc as u64
    }

    fn peek(&self, space: usize, addr: u64) -> Option<u8> {
        match space {
            SPACE_BUS if addr < 0x10000 => Some(self.hw.peek(addr as u16)),
            SPACE_ROM => self.hw.cart.rom_bytes().get(addr as usize).copied(),
            SPACE_VRAM => self.hw.ppu.vram.get(addr as usize).copied(),
            _ => None,
        }
    }

    fn poke(&mut self, space: usize, addr: u64, value: u8) -> Result<(), PokeError> {
        let size = match space {
            SPACE_BUS => 0x10000,
            SPACE_ROM => self.hw.cart.rom_bytes().len() as u64,
            SPACE_VRAM => 0x2000,
            other => return Err(PokeError::NoSuchSpace(other)),
        };
        let name = ["bus", "rom", "vram"][space];
        if addr >= size {
            return Err(PokeError::OutOfRange {
                space: name,
                addr,
                size,
            });
        }
        match space {
            SPACE_BUS => {
                if !self.hw.poke(addr as u16, value) {
                    return Err(PokeError::ReadOnly(addr));
                }
            }
            SPACE_ROM => self.hw.cart.poke_rom_linear(addr as usize, value),
            _ => self.hw.ppu.write_vram(addr as usize, value),
        }
        Ok(())
    }

    fn disassemble(&self, addr: u64, count: usize) -> Vec<DisasmLine> {
        let mut pc = addr as u16;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let (len, text, target) = crate::disasm::disassemble(pc, |a| self.hw.peek(a));
            let bytes = (0..len).map(|i| self.hw.peek(pc.wrapping_add(i))).collect();
            out.push(DisasmLine {
                addr: pc as u64,
                bytes,
                text,
                target: target.map(u64::from),
            });
            pc = pc.wrapping_add(len);
        }
        out
    }

    fn debug_info(&self) -> &DebugInfo {
        &self.debug
    }

    fn set_debug_info(&mut self, info: DebugInfo) {
        self.debug = info;
    }

    fn hooks(&self) -> &Hooks {
        &self.hw.hooks
    }

    fn hooks_mut(&mut self) -> &mut Hooks {
        &mut self.hw.hooks
    }

    fn call_return_address(&self) -> Option<u64> {
        let pc = self.cpu.pc;
        let op = self.hw.peek(pc);
        match op {
            0xC4 | 0xCC | 0xD4 | 0xDC | 0xCD => Some(pc.wrapping_add(3) as u64),
            0xC7 | 0xCF | 0xD7 | 0xDF | 0xE7 | 0xEF | 0xF7 | 0xFF => {
                Some(pc.wrapping_add(1) as u64)
            }
            _ => None,
        }
    }

    fn save_state(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write_state(&mut w);
        state::wrap("gb", STATE_VERSION, &w.finish())
    }

    fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let payload = state::unwrap("gb", STATE_VERSION, bytes)?;
        // Load into a copy so that a refused state leaves the machine as it was.
        let mut next = self.clone();
        next.read_state(&mut Reader::new(payload))?;
        next.hw.hooks.clear_call_stack();
        *self = next;
        Ok(())
    }
}
