//! The SM83 CPU. It touches the machine only through [`Bus`], and every bus call costs exactly
//! one M-cycle, so an instruction's timing is the sequence of its bus calls.

mod alu;
mod execute;

pub use alu::{C as FLAG_C, Z as FLAG_Z};

/// The CPU's view of the machine. Each method advances the machine by one M-cycle (4 T-cycles),
/// except the two interrupt queries, which are free.
pub trait Bus {
    /// One M-cycle that reads `addr`.
    fn read_cycle(&mut self, addr: u16) -> u8;
    /// One M-cycle that writes `addr`.
    fn write_cycle(&mut self, addr: u16, value: u8);
    /// One M-cycle with no memory access.
    fn tick_cycle(&mut self);
    /// IE & IF & 0x1F: the interrupts requested and enabled, as of the present M-cycle (a bus
    /// that runs device events late runs them first).
    fn pending_interrupts(&mut self) -> u8;
    /// Clear the IF bit of the interrupt being dispatched.
    fn acknowledge_interrupt(&mut self, bit: u8);
    /// STOP mode ends when a joypad line goes low.
    fn stop_wakeup(&self) -> bool;
    /// STOP resets the divider.
    fn enter_stop(&mut self);
    /// The instruction just run changed what the next step must check (HALT, STOP, EI, RETI)
    /// or jumped to its own address: a run loop that batches plain steps must look now. Free;
    /// a bus that does not batch ignores it.
    #[inline(always)]
    fn break_batch(&mut self) {}
}

/// What one [`Cpu::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// An instruction retired.
    Retired,
    /// The CPU is halted or stopped and spent one M-cycle waiting.
    Idle,
    /// An interrupt was dispatched (5 M-cycles); the handler's first instruction has not run.
    Interrupt,
    /// `LD B,B` retired: the debug trap.
    DebugTrap,
    /// An illegal opcode: the CPU locks up. `pc` is left on the opcode.
    Illegal(u8),
}

/// A control transfer the last step made, for the shadow call stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    None,
    Call { target: u16, ret: u16 },
    Return { to: u16 },
}

/// Register file and the little state the SM83 keeps between instructions.
#[derive(Clone, Debug)]
pub struct Cpu {
    pub a: u8,
    pub f: u8,
    pub b: u8,
    pub c: u8,
    pub d: u8,
    pub e: u8,
    pub h: u8,
    pub l: u8,
    pub sp: u16,
    pub pc: u16,
    pub ime: bool,
    /// EI was executed: IME turns on after the next instruction.
    pub ei_delay: bool,
    pub halted: bool,
    /// The HALT bug: the next opcode fetch does not increment PC.
    pub halt_bug: bool,
    pub stopped: bool,
    /// Set by calls, returns and interrupt dispatch; the facade clears it when it listens.
    pub flow: Flow,
}

impl Default for Cpu {
    fn default() -> Self {
        Self::new()
    }
}

impl Cpu {
    /// All zero: the state the boot ROM starts from.
    pub fn new() -> Self {
        Cpu {
            a: 0,
            f: 0,
            b: 0,
            c: 0,
            d: 0,
            e: 0,
            h: 0,
            l: 0,
            sp: 0,
            pc: 0,
            ime: false,
            ei_delay: false,
            halted: false,
            halt_bug: false,
            stopped: false,
            flow: Flow::None,
        }
    }

    /// The DMG (rev ABC) register state the boot ROM leaves behind.
    pub fn post_boot_dmg() -> Self {
        Cpu {
            a: 0x01,
            f: 0xB0,
            b: 0x00,
            c: 0x13,
            d: 0x00,
            e: 0xD8,
            h: 0x01,
            l: 0x4D,
            sp: 0xFFFE,
            pc: 0x0100,
            ..Self::new()
        }
    }

    #[inline(always)]
    pub fn bc(&self) -> u16 {
        u16::from_be_bytes([self.b, self.c])
    }
    #[inline(always)]
    pub fn de(&self) -> u16 {
        u16::from_be_bytes([self.d, self.e])
    }
    #[inline(always)]
    pub fn hl(&self) -> u16 {
        u16::from_be_bytes([self.h, self.l])
    }
    #[inline(always)]
    pub fn af(&self) -> u16 {
        u16::from_be_bytes([self.a, self.f])
    }
    #[inline(always)]
    pub fn set_bc(&mut self, v: u16) {
        [self.b, self.c] = v.to_be_bytes();
    }
    #[inline(always)]
    pub fn set_de(&mut self, v: u16) {
        [self.d, self.e] = v.to_be_bytes();
    }
    #[inline(always)]
    pub fn set_hl(&mut self, v: u16) {
        [self.h, self.l] = v.to_be_bytes();
    }
    #[inline(always)]
    pub fn set_af(&mut self, v: u16) {
        [self.a, self.f] = v.to_be_bytes();
        self.f &= 0xF0;
    }

    /// Run one instruction (or one waiting M-cycle, or one interrupt dispatch). Inlined into
    /// the run loops, which then keep the CPU state in registers across instructions.
    #[inline(always)]
    pub fn step<B: Bus>(&mut self, bus: &mut B) -> Outcome {
        if let Some(outcome) = self.step_plain(bus) {
            return outcome;
        }
        if self.stopped {
            bus.tick_cycle();
            if bus.stop_wakeup() {
                self.stopped = false;
            }
            return Outcome::Idle;
        }
        if self.halted {
            if bus.pending_interrupts() == 0 {
                bus.tick_cycle();
                return Outcome::Idle;
            }
            self.halted = false;
        }
        let ime = self.ime;
        if self.ei_delay {
            self.ei_delay = false;
            self.ime = true;
        }
        if ime && bus.pending_interrupts() != 0 {
            self.dispatch(bus);
            return Outcome::Interrupt;
        }
        let opcode = self.fetch_opcode(bus);
        self.dispatch_op(bus, opcode)
    }

    /// The common case of [`Cpu::step`]: running, no EI or HALT bug pending, no interrupt to
    /// take. `None` (and nothing done) when the step is not that simple.
    #[inline(always)]
    pub fn step_plain<B: Bus>(&mut self, bus: &mut B) -> Option<Outcome> {
        if !self.is_plain(bus) {
            return None;
        }
        Some(self.step_known_plain(bus))
    }

    /// [`Cpu::step_plain`] for a caller that knows the step is plain: [`Cpu::is_plain`] held
    /// and nothing that could change it has happened since (a device event or access, or an
    /// instruction that called [`Bus::break_batch`]).
    #[inline(always)]
    pub fn step_known_plain<B: Bus>(&mut self, bus: &mut B) -> Outcome {
        let opcode = bus.read_cycle(self.pc);
        self.pc = self.pc.wrapping_add(1);
        self.dispatch_op(bus, opcode)
    }

    /// Whether the next step is plain: running, no EI or HALT bug pending, no interrupt to take.
    #[inline(always)]
    pub fn is_plain<B: Bus>(&self, bus: &mut B) -> bool {
        let special = self.stopped | self.halted | self.ei_delay | self.halt_bug;
        !special && (!self.ime || bus.pending_interrupts() == 0)
    }

    /// Interrupt dispatch: two idle cycles, push PC (the vector is chosen between the two pushes,
    /// so a push that overwrites IE can cancel it and send PC to 0x0000), jump.
    fn dispatch<B: Bus>(&mut self, bus: &mut B) {
        let from = self.pc;
        self.ime = false;
        bus.tick_cycle();
        bus.tick_cycle();
        self.sp = self.sp.wrapping_sub(1);
        bus.write_cycle(self.sp, (self.pc >> 8) as u8);
        let pending = bus.pending_interrupts();
        self.sp = self.sp.wrapping_sub(1);
        bus.write_cycle(self.sp, self.pc as u8);
        self.pc = if pending == 0 {
            0
        } else {
            let bit = pending.trailing_zeros() as u8;
            bus.acknowledge_interrupt(bit);
            0x40 + 8 * bit as u16
        };
        bus.tick_cycle();
        self.flow = Flow::Call {
            target: self.pc,
            ret: from,
        };
    }

    #[inline(always)]
    fn fetch_opcode<B: Bus>(&mut self, bus: &mut B) -> u8 {
        let v = bus.read_cycle(self.pc);
        if self.halt_bug {
            self.halt_bug = false;
        } else {
            self.pc = self.pc.wrapping_add(1);
        }
        v
    }

    #[inline(always)]
    fn imm8<B: Bus>(&mut self, bus: &mut B) -> u8 {
        let v = bus.read_cycle(self.pc);
        self.pc = self.pc.wrapping_add(1);
        v
    }

    #[inline(always)]
    fn imm16<B: Bus>(&mut self, bus: &mut B) -> u16 {
        let lo = self.imm8(bus);
        let hi = self.imm8(bus);
        u16::from_le_bytes([lo, hi])
    }

    #[inline(always)]
    fn push<B: Bus>(&mut self, bus: &mut B, v: u16) {
        bus.tick_cycle();
        self.sp = self.sp.wrapping_sub(1);
        bus.write_cycle(self.sp, (v >> 8) as u8);
        self.sp = self.sp.wrapping_sub(1);
        bus.write_cycle(self.sp, v as u8);
    }

    #[inline(always)]
    fn pop<B: Bus>(&mut self, bus: &mut B) -> u16 {
        let lo = bus.read_cycle(self.sp);
        self.sp = self.sp.wrapping_add(1);
        let hi = bus.read_cycle(self.sp);
        self.sp = self.sp.wrapping_add(1);
        u16::from_le_bytes([lo, hi])
    }
}
