//! Test support, not API: the bare SM83 on a flat 64 KiB bus that logs every M-cycle, for the
//! single-step vectors in `tests/`. The CPU itself stays private.

use crate::cpu::{Bus, Cpu, Outcome};

/// One M-cycle on the flat bus: `None` idle, or (address, value, is_write).
pub type Cycle = Option<(u16, u8, bool)>;

/// Register file as the vectors spell it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Regs {
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
}

struct FlatBus<'a> {
    mem: &'a mut [u8; 0x10000],
    log: Vec<Cycle>,
}

impl Bus for FlatBus<'_> {
    fn read_cycle(&mut self, addr: u16) -> u8 {
        let v = self.mem[addr as usize];
        self.log.push(Some((addr, v, false)));
        v
    }
    fn write_cycle(&mut self, addr: u16, value: u8) {
        self.mem[addr as usize] = value;
        self.log.push(Some((addr, value, true)));
    }
    fn tick_cycle(&mut self) {
        self.log.push(None);
    }
    fn pending_interrupts(&mut self) -> u8 {
        0
    }
    fn acknowledge_interrupt(&mut self, _bit: u8) {}
    fn stop_wakeup(&self) -> bool {
        true
    }
    fn enter_stop(&mut self) {}
}

/// Execute the one instruction at `regs.pc` (opcode fetch included) on `mem`. Returns the
/// registers after it and the bus log, or None for an illegal opcode.
pub fn step_flat(regs: Regs, mem: &mut [u8; 0x10000]) -> Option<(Regs, Vec<Cycle>)> {
    let mut cpu = Cpu::new();
    cpu.a = regs.a;
    cpu.f = regs.f;
    cpu.b = regs.b;
    cpu.c = regs.c;
    cpu.d = regs.d;
    cpu.e = regs.e;
    cpu.h = regs.h;
    cpu.l = regs.l;
    cpu.sp = regs.sp;
    cpu.pc = regs.pc;
    let mut bus = FlatBus {
        mem,
        log: Vec::new(),
    };
    if let Outcome::Illegal(_) = cpu.step(&mut bus) {
        return None;
    }
    let out = Regs {
        a: cpu.a,
        f: cpu.f,
        b: cpu.b,
        c: cpu.c,
        d: cpu.d,
        e: cpu.e,
        h: cpu.h,
        l: cpu.l,
        sp: cpu.sp,
        pc: cpu.pc,
    };
    Some((out, bus.log))
}
