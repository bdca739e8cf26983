//! [`Machine`] for [`Pc`]: run control, outputs, inputs, introspection, hooks, state.

use wb_machine::{
    AddressSpace, Budget, CoreInfo, DebugInfo, DisasmLine, Frame, Hooks, InputEvent, Machine,
    PokeError, RegValue, Register, RunResult, StateError, StopReason, View,
};

use super::{FRAME_CLOCKS, Pc, RAM_BYTES, ps2, vga};
use crate::cpu::Segment;
use crate::decode::{self, Mode};

const GPRS: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15",
];
/// Segment registers in the order the debugger lists them, with their encoding numbers.
const SEGS: [(&str, u8); 6] = [
    ("cs", 1),
    ("ss", 2),
    ("ds", 3),
    ("es", 0),
    ("fs", 4),
    ("gs", 5),
];
const SPACE_LINEAR: usize = 0;
const SPACE_PHYSICAL: usize = 1;

impl Pc {
    fn decode_at(&self, addr: u64) -> Option<decode::Insn> {
        decode::decode(self.cpu.mode(), |i| {
            self.cpu.peek_lin(addr.wrapping_add(i as u64))
        })
        .ok()
    }

    fn stop_result(&mut self, stop: StopReason, start: u64) -> RunResult {
        if stop.is_terminal() {
            self.stopped = Some(stop.clone());
        }
        self.render();
        RunResult {
            stop,
            cycles: self.clock - start,
        }
    }
}

impl Machine for Pc {
    fn info(&self) -> CoreInfo {
        CoreInfo {
            name: "x86",
            long_name: "PC (x86-64)".into(),
            frame_rate: 60.0,
            audio_rate: 0,
            buttons: Vec::new(),
            address_spaces: vec![
                AddressSpace {
                    name: "linear",
                    size: u64::MAX,
                },
                AddressSpace {
                    name: "physical",
                    size: RAM_BYTES as u64,
                },
            ],
            pc_bits: 64,
        }
    }

    fn reset(&mut self) {
        self.power_on();
        self.hooks.clear_call_stack();
    }

    fn run(&mut self, budget: Budget) -> RunResult {
        let start = self.clock;
        if let Some(stop) = self.stopped.clone() {
            return RunResult { stop, cycles: 0 };
        }
        let start_retired = self.retired;
        self.idle_limit = match budget {
            Budget::Cycles(n) => start.saturating_add(n),
            _ => u64::MAX,
        };
        loop {
            if self.clock >= self.frame_end {
                self.frame_end += FRAME_CLOCKS;
                if budget == Budget::Frame {
                    return self.stop_result(StopReason::FrameDone, start);
                }
            }
            let spent = match budget {
                Budget::Cycles(n) => self.clock - start >= n,
                Budget::Instructions(n) => self.retired - start_retired >= n,
                Budget::Frame => false,
            };
            if spent {
                return self.stop_result(StopReason::BudgetSpent, start);
            }
            if !self.hooks.exec_active() && !self.hooks.mem_active() {
                let clock_limit = self.frame_end.min(self.next_timer).min(self.idle_limit);
                let retired_limit = match budget {
                    Budget::Instructions(n) => start_retired.saturating_add(n),
                    _ => u64::MAX,
                };
                match self.burst(clock_limit, retired_limit) {
                    Err(stop) => return self.stop_result(stop, start),
                    // Progress: re-check the frame and the budget first.
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                }
            }
            if let Some(stop) = self.tick(true) {
                return self.stop_result(stop, start);
            }
        }
    }

    fn step(&mut self) -> RunResult {
        let start = self.clock;
        if let Some(stop) = self.stopped.clone() {
            return RunResult { stop, cycles: 0 };
        }
        // Idle (halted) ticks and interrupt entries do not retire; go until one does.
        let retired = self.retired;
        self.idle_limit = u64::MAX;
        for _ in 0..10_000 {
            if self.clock >= self.frame_end {
                self.frame_end += FRAME_CLOCKS;
            }
            if let Some(stop) = self.tick(false) {
                return self.stop_result(stop, start);
            }
            if self.retired != retired {
                break;
            }
        }
        self.stop_result(StopReason::BudgetSpent, start)
    }

    fn instructions_retired(&self) -> u64 {
        self.retired
    }

    fn cycles(&self) -> u64 {
        self.clock
    }

    fn frame(&self) -> Frame<'_> {
        Frame {
            width: vga::WIDTH,
            height: vga::HEIGHT,
            rgba: &self.framebuf,
        }
    }

    fn drain_audio(&mut self, out: &mut Vec<f32>) {
        let _ = out;
    }

    fn drain_serial(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.dev.uart.tx);
    }

    fn input(&mut self, event: InputEvent) {
        if let InputEvent::Key { code, pressed } = event
            && let Some(sc) = ps2::hid_to_set1(code.0)
        {
            self.dev.ps2.key(&ps2::set1_bytes(sc, pressed));
            self.sync_devices();
        }
    }

    fn serial_in(&mut self, bytes: &[u8]) {
        self.dev.uart.receive(bytes);
        self.sync_devices();
    }

    fn registers(&self) -> Vec<Register> {
        let c = &self.cpu;
        let mut out: Vec<Register> = GPRS
            .iter()
            .zip(c.regs)
            .map(|(n, v)| Register {
                name: n.to_string(),
                bits: 64,
                value: v as RegValue,
            })
            .collect();
        let mut push = |name: &str, bits: u32, v: u64| {
            out.push(Register {
                name: name.into(),
                bits,
                value: v as RegValue,
            })
        };
        push("rip", 64, c.rip);
        push("rflags", 64, c.rflags());
        for (name, n) in SEGS {
            push(name, 16, c.segs[n as usize].selector as u64);
        }
        push("fs_base", 64, c.segs[4].base);
        push("gs_base", 64, c.segs[5].base);
        push("cr0", 64, c.cr0);
        push("cr2", 64, c.cr2);
        push("cr3", 64, c.cr3);
        push("cr4", 64, c.cr4);
        push("efer", 64, c.efer);
        push("gdtr_base", 64, c.gdtr.base);
        push("gdtr_limit", 16, c.gdtr.limit as u64);
        push("idtr_base", 64, c.idtr.base);
        push("idtr_limit", 16, c.idtr.limit as u64);
        push("tr", 16, c.tr.selector as u64);
        out
    }

    fn set_register(&mut self, name: &str, value: RegValue) -> Result<(), PokeError> {
        let too_wide = |bits: u32| {
            if bits < 128 && value >> bits != 0 {
                Err(PokeError::TooWide {
                    name: name.into(),
                    value,
                })
            } else {
                Ok(())
            }
        };
        let c = &mut self.cpu;
        if let Some(n) = GPRS.iter().position(|g| *g == name) {
            too_wide(64)?;
            c.regs[n] = value as u64;
            return Ok(());
        }
        if let Some(&(_, n)) = SEGS.iter().find(|(s, _)| *s == name) {
            too_wide(16)?;
            let sel = value as u16;
            if c.protected() {
                c.segs[n as usize].selector = sel;
            } else {
                let s = &mut c.segs[n as usize];
                *s = Segment {
                    selector: sel,
                    base: (sel as u64) << 4,
                    ..*s
                };
            }
            return Ok(());
        }
        too_wide(64)?;
        let v = value as u64;
        match name {
            "rip" | "pc" => c.rip = v,
            "rflags" => c.set_rflags(v),
            "fs_base" => c.segs[4].base = v,
            "gs_base" => c.segs[5].base = v,
            "cr0" | "cr2" | "cr3" | "cr4" => {
                let n = name.as_bytes()[2] - b'0';
                c.write_cr(n, v).map_err(|_| PokeError::TooWide {
                    name: name.into(),
                    value,
                })?;
            }
            "efer" => c.efer = v & 0xD01,
            _ => return Err(PokeError::NoSuchRegister(name.into())),
        }
        Ok(())
    }

    fn pc(&self) -> u64 {
        self.linear_pc()
    }

    fn peek(&self, space: usize, addr: u64) -> Option<u8> {
        match space {
            SPACE_LINEAR => self.cpu.peek_lin(addr),
            SPACE_PHYSICAL => self.cpu.mem.get(addr as usize).copied(),
            _ => None,
        }
    }

    fn poke(&mut self, space: usize, addr: u64, value: u8) -> Result<(), PokeError> {
        let phys = match space {
            SPACE_LINEAR => {
                let (w, _) = self.cpu.walk(addr).ok_or(PokeError::OutOfRange {
                    space: "linear",
                    addr,
                    size: u64::MAX,
                })?;
                if w.page_size == 1 {
                    w.phys
                } else {
                    w.phys + (addr & (w.page_size - 1))
                }
            }
            SPACE_PHYSICAL => addr,
            _ => return Err(PokeError::NoSuchSpace(space)),
        };
        let size = RAM_BYTES as u64;
        let b = self
            .cpu
            .mem
            .get_mut(phys as usize)
            .ok_or(PokeError::OutOfRange {
                space: if space == SPACE_LINEAR {
                    "linear"
                } else {
                    "physical"
                },
                addr,
                size,
            })?;
        *b = value;
        self.cpu.icache.flush();
        self.render();
        Ok(())
    }

    fn disassemble(&self, addr: u64, count: usize) -> Vec<DisasmLine> {
        let mut out = Vec::with_capacity(count);
        let mut a = addr;
        // Addresses are linear; in real mode the text shows offsets from CS.
        let cs_base = if self.cpu.mode() == Mode::Bits64 {
            0
        } else {
            self.cpu.segs[1].base
        };
        for _ in 0..count {
            match self.decode_at(a) {
                Some(insn) => {
                    let bytes = (0..insn.len as u64)
                        .filter_map(|i| self.cpu.peek_lin(a + i))
                        .collect();
                    let (text, target) = crate::disasm::format(&insn, a.wrapping_sub(cs_base));
                    out.push(DisasmLine {
                        addr: a,
                        bytes,
                        text,
                        target: target.map(|t| t.wrapping_add(cs_base)),
                    });
                    a = a.wrapping_add(insn.len as u64);
                }
                None => {
                    let byte = self.cpu.peek_lin(a);
                    out.push(DisasmLine {
                        addr: a,
                        bytes: byte.into_iter().collect(),
                        text: match byte {
                            Some(b) => format!("db {b:#04x}"),
                            None => "??".into(),
                        },
                        target: None,
                    });
                    a = a.wrapping_add(1);
                }
            }
        }
        out
    }

    fn debug_info(&self) -> &DebugInfo {
        &self.debug
    }

    /// The page-table walk of the current instruction and of the stack pointer.
    fn views(&self) -> Vec<View> {
        let rsp = self.registers().into_iter().find(|r| r.name == "rsp").map_or(0, |r| r.value as u64);
        [("pc", self.pc()), ("rsp", rsp)]
            .into_iter()
            .map(|(what, linear)| page_walk_view(what, linear, &self.page_walk(linear)))
            .collect()
    }

    fn set_debug_info(&mut self, info: DebugInfo) {
        self.debug = info;
    }

    fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    fn hooks_mut(&mut self) -> &mut Hooks {
        &mut self.hooks
    }

    fn call_return_address(&self) -> Option<u64> {
        let pc = self.linear_pc();
        let insn = self.decode_at(pc)?;
        let is_call =
            matches!(insn.op, 0xE8 | 0x9A) || (insn.op == 0xFF && matches!(insn.reg & 7, 2 | 3));
        is_call.then(|| pc.wrapping_add(insn.len as u64))
    }

    fn save_state(&self) -> Vec<u8> {
        self.snapshot()
    }

    fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.restore(bytes)
    }
}

/// One walk as a table: a row per table level, then the result.
fn page_walk_view(what: &str, linear: u64, walk: &super::PageWalk) -> View {
    const LEVELS: [&str; 4] = ["PML4E", "PDPTE", "PDE", "PTE"];
    let flags = |v: u64| {
        let mut f = String::new();
        for (bit, name) in [(0, "P"), (1, "W"), (2, "U"), (7, "PS"), (63, "NX")] {
            if v >> bit & 1 == 1 {
                if !f.is_empty() {
                    f.push(' ');
                }
                f.push_str(name);
            }
        }
        f
    };
    let mut rows: Vec<Vec<String>> = walk
        .entries
        .iter()
        .enumerate()
        .map(|(i, &(at, value))| {
            // Shallower walks (32-bit, PAE) use the last levels' names.
            let level = LEVELS.get(i + LEVELS.len().saturating_sub(walk.entries.len())).unwrap_or(&"entry");
            vec![level.to_string(), format!("{at:#x}"), format!("{value:#018x}"), flags(value)]
        })
        .collect();
    let result = match walk.physical {
        Some(phys) => format!(
            "{phys:#x} ({} KiB page{}{}{})",
            walk.page_size / 1024,
            if walk.writable { ", writable" } else { ", read-only" },
            if walk.user { ", user" } else { ", supervisor" },
            if walk.no_execute { ", no-execute" } else { "" }
        ),
        None => "not mapped".into(),
    };
    rows.push(vec!["physical".into(), String::new(), result, String::new()]);
    View::Table {
        title: format!("Page walk of {what} = {linear:#x}"),
        columns: ["level", "entry at", "value", "flags"].map(String::from).to_vec(),
        rows,
    }
}
