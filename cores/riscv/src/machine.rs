//! The [`Machine`] implementation: run loop, hooks, introspection.

use wb_machine::{
    AddressSpace, Budget, CoreInfo, DebugInfo, DisasmLine, Frame, GuestFault, Hooks, InputEvent, Machine,
    PokeError, RegValue, Register, RunResult, StateError, StopReason,
};

use crate::decode::{Xlen, decode, instr_len};
use crate::hart::{Exc, CAUSE_BREAKPOINT, CAUSE_ECALL_U};
use crate::instr::Op;
use crate::linux::SysOutcome;
use crate::{disasm, RiscV};

/// Instructions one `Budget::Frame` runs (the machine has no video frame of its own).
const FRAME_INSTRUCTIONS: u64 = 1_000_000;

fn cause_text(e: &Exc) -> String {
    match e.cause {
        0 => format!("misaligned instruction fetch at {:#x}", e.tval),
        1 => format!("instruction fetch from unmapped or non-executable address {:#x}", e.tval),
        2 => format!("illegal instruction {:#x}", e.tval),
        4 => format!("misaligned load at {:#x}", e.tval),
        5 => format!("segmentation fault: load from {:#x}", e.tval),
        6 => format!("misaligned store or AMO at {:#x}", e.tval),
        7 => format!("segmentation fault: store to {:#x}", e.tval),
        c => format!("exception {c} (tval {:#x})", e.tval),
    }
}

impl RiscV {
    /// Deal with an exception the fast or slow path raised. `Some` stops the run.
    fn on_exception(&mut self, e: Exc) -> Option<StopReason> {
        let pc = self.hart.pc;
        if let Some(os) = self.linux.as_mut() {
            match e.cause {
                CAUSE_ECALL_U => match os.syscall(&mut self.hart) {
                    SysOutcome::Continue => {
                        self.hart.pc = pc.wrapping_add(4) & self.hart.mask;
                        self.hart.instret += 1;
                        None
                    }
                    SysOutcome::Exit(code) => {
                        self.hart.instret += 1;
                        self.exit = Some(code);
                        Some(StopReason::Exited { code })
                    }
                    SysOutcome::Block => Some(StopReason::BudgetSpent),
                },
                CAUSE_BREAKPOINT => {
                    let len = self.peek_halfword(pc).map(instr_len).unwrap_or(4);
                    self.hart.pc = pc.wrapping_add(len as u64) & self.hart.mask;
                    self.hart.instret += 1;
                    Some(StopReason::DebugTrap { pc })
                }
                _ => {
                    let fault = GuestFault { pc, message: cause_text(&e) };
                    self.fault = Some(fault.clone());
                    Some(StopReason::Fault(fault))
                }
            }
        } else {
            self.hart.take_trap(e.cause, e.tval, false);
            // A trap costs time like an instruction, so a trap storm (a handler that faults
            // itself) still spends the budget instead of spinning forever.
            self.hart.instret += 1;
            None
        }
    }

    /// Events of the bare-metal machine (interrupts, HTIF exit) once `next_event` is due.
    fn on_event(&mut self) -> Option<StopReason> {
        self.hart.service_events();
        let value = self.hart.htif_exit?;
        let code = if value == 0 { 0 } else { 1 };
        self.exit = Some(code);
        Some(StopReason::Exited { code })
    }

    fn run_instructions(&mut self, n: u64, single_step: bool) -> StopReason {
        if let Some(code) = self.exit {
            return StopReason::Exited { code };
        }
        if let Some(f) = &self.fault {
            return StopReason::Fault(f.clone());
        }
        let target = self.hart.instret.saturating_add(n);
        // Resuming from the breakpoint we stopped on (or single-stepping) must not stop on
        // it again before the instruction runs.
        let resuming = self.stopped_at_breakpoint.take() == Some(self.hart.pc);
        if single_step || resuming {
            self.hart.hooks.skip_breakpoint_once(self.hart.pc);
        }
        loop {
            if self.hart.instret >= self.hart.next_event
                && let Some(stop) = self.on_event() {
                    return stop;
                }
            if self.hart.instret >= target {
                return StopReason::BudgetSpent;
            }
            let hooked = self.hart.hooks.exec_active() || self.hart.hooks.mem_active();
            let result = if hooked {
                match self.step_hooked() {
                    Ok(Some(stop)) => {
                        if let StopReason::Breakpoint { addr } = stop {
                            self.stopped_at_breakpoint = Some(addr);
                        }
                        return stop;
                    }
                    Ok(None) => Ok(()),
                    Err(e) => Err(e),
                }
            } else {
                self.hart.run_limit = target.min(self.hart.next_event);
                self.blocks.run(&mut self.hart)
            };
            if let Err(e) = result
                && let Some(stop) = self.on_exception(e) {
                    return stop;
                }
        }
    }

    /// One instruction with every hook consulted.
    fn step_hooked(&mut self) -> Result<Option<StopReason>, Exc> {
        let pc = self.hart.pc;
        let exec_hooks = self.hart.hooks.exec_active();
        if exec_hooks
            && let Some(stop) = self.hart.hooks.before_exec(pc, self.hart.instret) {
                return Ok(Some(stop));
            }
        let i = self.hart.fetch()?;
        self.hart.pc = self.hart.exec(i, pc)?;
        self.hart.instret += 1;
        if exec_hooks {
            let hooks = &mut self.hart.hooks;
            hooks.after_exec(pc, 1);
            let rd = i.rd();
            match i.op {
                Op::Jal | Op::Jalr if rd == 1 || rd == 5 => hooks.on_call(pc, self.hart.pc, pc + i.len as u64),
                Op::Jalr if rd == 0 && (i.rs1 == 1 || i.rs1 == 5) => hooks.on_return(self.hart.pc),
                _ => {}
            }
        }
        Ok(self.hart.hooks.take_pending())
    }

    fn peek_halfword(&self, addr: u64) -> Option<u16> {
        let lo = self.peek(0, addr)?;
        let hi = self.peek(0, addr.wrapping_add(1))?;
        Some(u16::from_le_bytes([lo, hi]))
    }

    fn xreg_index(name: &str) -> Option<usize> {
        if let Some(n) = name.strip_prefix('x').and_then(|n| n.parse::<usize>().ok()) {
            return (n < 32).then_some(n);
        }
        if name == "fp" {
            return Some(8);
        }
        disasm::XREG_ABI.iter().position(|r| *r == name)
    }

    fn freg_index(name: &str) -> Option<usize> {
        if let Some(n) = name.strip_prefix('f').and_then(|n| n.parse::<usize>().ok()) {
            return (n < 32).then_some(n);
        }
        disasm::FREG_ABI.iter().position(|r| *r == name)
    }
}

impl Machine for RiscV {
    fn info(&self) -> CoreInfo {
        let bits = self.hart.xlen_bits();
        let mode = if self.linux.is_some() { "Linux user mode" } else { "bare metal" };
        let size = if self.linux.is_some() { crate::linux::MEM_SIZE } else { crate::RAM_BASE + crate::RAM_SIZE };
        CoreInfo {
            name: "riscv",
            long_name: format!("RISC-V RV{bits}GC ({mode})"),
            frame_rate: 0.0,
            audio_rate: 0,
            buttons: Vec::new(),
            address_spaces: vec![AddressSpace { name: "memory", size }],
            pc_bits: bits,
        }
    }

    fn reset(&mut self) {
        if let Ok(mut fresh) = RiscV::load_elf(&self.elf, self.opts.clone()) {
            fresh.hart.hooks = std::mem::take(&mut self.hart.hooks);
            fresh.hart.hooks.clear_call_stack();
            fresh.debug = std::mem::take(&mut self.debug);
            *self = fresh;
        }
    }

    fn run(&mut self, budget: Budget) -> RunResult {
        let start = self.hart.instret;
        let stop = match budget {
            Budget::Cycles(n) | Budget::Instructions(n) => self.run_instructions(n, false),
            Budget::Frame => match self.run_instructions(FRAME_INSTRUCTIONS, false) {
                StopReason::BudgetSpent => StopReason::FrameDone,
                other => other,
            },
        };
        RunResult { stop, cycles: self.hart.instret - start }
    }

    fn step(&mut self) -> RunResult {
        let start = self.hart.instret;
        let stop = self.run_instructions(1, true);
        RunResult { stop, cycles: self.hart.instret - start }
    }

    fn instructions_retired(&self) -> u64 {
        self.hart.instret
    }

    fn cycles(&self) -> u64 {
        self.hart.instret
    }

    fn frame(&self) -> Frame<'_> {
        Frame { width: 0, height: 0, rgba: &[] }
    }

    fn drain_audio(&mut self, _out: &mut Vec<f32>) {}

    fn drain_serial(&mut self, out: &mut Vec<u8>) {
        match self.linux.as_mut() {
            Some(os) => out.append(&mut os.out),
            None => out.append(&mut self.hart.uart.tx),
        }
    }

    fn input(&mut self, _event: InputEvent) {}

    fn serial_in(&mut self, bytes: &[u8]) {
        match self.linux.as_mut() {
            Some(os) => os.stdin.extend(bytes),
            None => {
                self.hart.uart.rx.extend(bytes);
                // The UART's interrupt line may rise: look at interrupts before going on.
                self.hart.request_event();
            }
        }
    }

    fn registers(&self) -> Vec<Register> {
        let bits = self.hart.xlen_bits();
        let mask = if bits == 32 { 0xffff_ffff } else { u64::MAX };
        let mut regs: Vec<Register> = (0..32)
            .map(|i| Register { name: format!("x{i}"), bits, value: (self.hart.x[i] & mask) as RegValue })
            .collect();
        regs.push(Register { name: "pc".into(), bits, value: self.hart.pc as RegValue });
        for i in 0..32 {
            regs.push(Register { name: format!("f{i}"), bits: 64, value: self.hart.f[i] as RegValue });
        }
        let fcsr = (self.hart.frm as u64) << 5 | self.hart.fflags as u64;
        regs.push(Register { name: "fcsr".into(), bits: 32, value: fcsr as RegValue });
        if self.linux.is_none() {
            regs.push(Register { name: "priv".into(), bits: 2, value: self.hart.prv as RegValue });
            for (name, csr) in [
                ("mstatus", 0x300u16),
                ("mtvec", 0x305),
                ("mepc", 0x341),
                ("mcause", 0x342),
                ("mtval", 0x343),
                ("mie", 0x304),
                ("mip", 0x344),
                ("stvec", 0x105),
                ("sepc", 0x141),
                ("scause", 0x142),
                ("stval", 0x143),
                ("satp", 0x180),
            ] {
                let v = self.csr_peek(csr);
                regs.push(Register { name: name.into(), bits, value: (v & mask) as RegValue });
            }
        }
        regs
    }

    fn set_register(&mut self, name: &str, value: RegValue) -> Result<(), PokeError> {
        let too_wide = |bits: u32| value >> bits != 0;
        let xbits = self.hart.xlen_bits();
        if name == "pc" {
            if too_wide(xbits) {
                return Err(PokeError::TooWide { name: name.into(), value });
            }
            self.hart.pc = value as u64;
            return Ok(());
        }
        if let Some(i) = Self::xreg_index(name) {
            if too_wide(xbits) {
                return Err(PokeError::TooWide { name: name.into(), value });
            }
            if i != 0 {
                self.hart.x[i] = self.hart.sx(value as u64);
            }
            return Ok(());
        }
        if let Some(i) = Self::freg_index(name) {
            if too_wide(64) {
                return Err(PokeError::TooWide { name: name.into(), value });
            }
            self.hart.f[i] = value as u64;
            return Ok(());
        }
        if name == "fcsr" {
            if too_wide(8) {
                return Err(PokeError::TooWide { name: name.into(), value });
            }
            self.hart.fflags = (value & 0x1f) as u8;
            self.hart.frm = ((value >> 5) & 7) as u8;
            return Ok(());
        }
        Err(PokeError::NoSuchRegister(name.into()))
    }

    fn pc(&self) -> u64 {
        self.hart.pc
    }

    fn peek(&self, space: usize, addr: u64) -> Option<u8> {
        if space != 0 {
            return None;
        }
        let off = self.hart.mem.offset(addr, 1)?;
        if self.linux.is_some() && self.hart.mem.page_flags(off) & (crate::mem::R | crate::mem::X) == 0 {
            return None;
        }
        Some(self.hart.mem.data[off])
    }

    fn poke(&mut self, space: usize, addr: u64, value: u8) -> Result<(), PokeError> {
        if space != 0 {
            return Err(PokeError::NoSuchSpace(space));
        }
        if self.hart.write_bytes(addr, &[value], false) {
            Ok(())
        } else {
            let size = self.info().address_spaces[0].size;
            Err(PokeError::OutOfRange { space: "memory", addr, size })
        }
    }

    fn disassemble(&self, addr: u64, count: usize) -> Vec<DisasmLine> {
        let mut out = Vec::with_capacity(count);
        let mut pc = addr;
        let xlen = self.hart.xlen;
        let symbols = &self.debug.symbols;
        let name = |a: u64| symbols.describe(a);
        for _ in 0..count {
            let Some(lo) = self.peek_halfword(pc) else { break };
            let len = instr_len(lo);
            let bits = if len == 4 {
                let Some(hi) = self.peek_halfword(pc + 2) else { break };
                lo as u32 | (hi as u32) << 16
            } else {
                lo as u32
            };
            let i = decode(bits, xlen);
            out.push(DisasmLine {
                addr: pc,
                bytes: bits.to_le_bytes()[..len as usize].to_vec(),
                text: disasm::format(&i, pc, xlen, &name),
                target: disasm::target(&i, pc, xlen),
            });
            pc = pc.wrapping_add(len as u64);
            if xlen == Xlen::X32 {
                pc &= 0xffff_ffff;
            }
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
        &self.hart.hooks
    }

    fn hooks_mut(&mut self) -> &mut Hooks {
        &mut self.hart.hooks
    }

    fn call_return_address(&self) -> Option<u64> {
        let line = self.disassemble(self.hart.pc, 1).pop()?;
        let bits = line.bytes.iter().rev().fold(0u32, |acc, b| acc << 8 | *b as u32);
        let i = decode(bits, self.hart.xlen);
        let is_call = matches!(i.op, Op::Jal | Op::Jalr) && (i.rd() == 1 || i.rd() == 5);
        is_call.then(|| self.hart.pc.wrapping_add(i.len as u64))
    }

    fn save_state(&self) -> Vec<u8> {
        self.snapshot()
    }

    fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.restore(bytes)
    }
}

impl RiscV {
    fn csr_peek(&self, csr: u16) -> u64 {
        let c = &self.hart.csr;
        match csr {
            0x300 => c.mstatus,
            0x305 => c.mtvec,
            0x341 => c.mepc,
            0x342 => c.mcause,
            0x343 => c.mtval,
            0x304 => c.mie,
            0x344 => self.hart.mip(),
            0x105 => c.stvec,
            0x141 => c.sepc,
            0x142 => c.scause,
            0x143 => c.stval,
            0x180 => c.satp,
            _ => 0,
        }
    }
}
