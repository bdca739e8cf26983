//! [`wb_machine::Machine`] for [`Chip8`].

use wb_machine::{
    AddressSpace, Budget, CoreInfo, DebugInfo, DisasmLine, Frame, Hooks, InputEvent, Machine,
    PokeError, RegValue, Register, RunResult, StateError, StopReason,
};

use crate::chip8::Chip8;
use crate::disasm;
use crate::op::Op;
use crate::sound::AUDIO_RATE;

/// Names of the keypad keys; the index is the key's value.
pub const BUTTONS: [&str; 16] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F",
];

/// Registers as the debugger lists them: name and width in bits.
const REGISTERS: [(&str, u32); 21] = [
    ("v0", 8),
    ("v1", 8),
    ("v2", 8),
    ("v3", 8),
    ("v4", 8),
    ("v5", 8),
    ("v6", 8),
    ("v7", 8),
    ("v8", 8),
    ("v9", 8),
    ("va", 8),
    ("vb", 8),
    ("vc", 8),
    ("vd", 8),
    ("ve", 8),
    ("vf", 8),
    ("i", 16),
    ("pc", 16),
    ("sp", 8),
    ("dt", 8),
    ("st", 8),
];

impl Chip8 {
    fn register_value(&self, index: usize) -> RegValue {
        match index {
            0..=15 => RegValue::from(self.v[index]),
            16 => RegValue::from(self.i),
            17 => RegValue::from(self.pc),
            18 => RegValue::from(self.sp),
            19 => RegValue::from(self.dt),
            _ => RegValue::from(self.st),
        }
    }
}

impl Machine for Chip8 {
    fn info(&self) -> CoreInfo {
        let p = self.config.platform;
        CoreInfo {
            name: p.core_name(),
            long_name: p.long_name().to_string(),
            frame_rate: 60.0,
            audio_rate: AUDIO_RATE,
            buttons: BUTTONS.to_vec(),
            address_spaces: vec![AddressSpace {
                name: "RAM",
                size: self.mem.len() as u64,
            }],
            pc_bits: if self.mem.len() > 0x1000 { 16 } else { 12 },
        }
    }

    fn reset(&mut self) {
        self.cold_reset();
    }

    fn run(&mut self, budget: Budget) -> RunResult {
        self.run_budget(budget)
    }

    fn step(&mut self) -> RunResult {
        let c0 = self.cycles;
        if self.halted {
            return RunResult {
                stop: StopReason::Halted,
                cycles: 0,
            };
        }
        self.hooks.skip_breakpoint_once(u64::from(self.pc));
        // Idle slots of a display wait are not instructions: pass them first (they end with
        // the frame).
        while self.vblank_wait {
            self.run_slots(u64::MAX);
        }
        let stop = self.run_slots(1).unwrap_or(StopReason::BudgetSpent);
        self.display.refresh();
        RunResult {
            stop,
            cycles: self.cycles - c0,
        }
    }

    fn instructions_retired(&self) -> u64 {
        self.retired
    }

    fn cycles(&self) -> u64 {
        self.cycles
    }

    fn frame(&self) -> Frame<'_> {
        let (width, height) = self.display.size();
        Frame {
            width,
            height,
            rgba: self.display.rgba(),
        }
    }

    fn drain_audio(&mut self, out: &mut Vec<f32>) {
        self.sound.drain(out);
    }

    fn input(&mut self, event: InputEvent) {
        let InputEvent::Button { index, pressed } = event else {
            return;
        };
        let Some(key) = self.keys.get_mut(index) else {
            return;
        };
        *key = pressed;
        let w = &mut self.key_wait;
        if w.waiting {
            let k = index as u8;
            if pressed && w.pressed.is_none() {
                w.pressed = Some(k);
            } else if !pressed && w.pressed == Some(k) {
                w.released = Some(k);
            }
        }
    }

    fn registers(&self) -> Vec<Register> {
        REGISTERS
            .iter()
            .enumerate()
            .map(|(idx, &(name, bits))| Register {
                name: name.to_string(),
                bits,
                value: self.register_value(idx),
            })
            .collect()
    }

    fn set_register(&mut self, name: &str, value: RegValue) -> Result<(), PokeError> {
        let lower = name.to_ascii_lowercase();
        let Some(idx) = REGISTERS.iter().position(|&(n, _)| n == lower) else {
            return Err(PokeError::NoSuchRegister(name.to_string()));
        };
        let bits = REGISTERS[idx].1;
        if value >> bits != 0 {
            return Err(PokeError::TooWide { name: lower, value });
        }
        // Fits in the register's width, checked just above.
        let (b, w) = (value as u8, value as u16);
        match idx {
            0..=15 => self.v[idx] = b,
            16 => self.i = w,
            17 => self.pc = w,
            18 => {
                if b as usize > crate::chip8::STACK_DEPTH {
                    return Err(PokeError::TooWide { name: lower, value });
                }
                self.sp = b;
            }
            19 => self.dt = b,
            _ => self.st = b,
        }
        Ok(())
    }

    fn pc(&self) -> u64 {
        u64::from(self.pc)
    }

    fn peek(&self, space: usize, addr: u64) -> Option<u8> {
        if space != 0 {
            return None;
        }
        self.mem.get(usize::try_from(addr).ok()?).copied()
    }

    fn poke(&mut self, space: usize, addr: u64, value: u8) -> Result<(), PokeError> {
        if space != 0 {
            return Err(PokeError::NoSuchSpace(space));
        }
        let size = self.mem.len() as u64;
        let slot = usize::try_from(addr).ok().and_then(|a| self.mem.get_mut(a));
        match slot {
            Some(byte) => {
                *byte = value;
                Ok(())
            }
            None => Err(PokeError::OutOfRange {
                space: "RAM",
                addr,
                size,
            }),
        }
    }

    fn disassemble(&self, addr: u64, count: usize) -> Vec<DisasmLine> {
        let mut out = Vec::with_capacity(count);
        let mut a = addr;
        while out.len() < count && a < self.mem.len() as u64 {
            let (text, len) = disasm::disassemble_one(&self.mem, a as u16);
            let at = a as usize;
            let bytes = self.mem[at..(at + len).min(self.mem.len())].to_vec();
            let target = if bytes.len() >= 2 {
                let word = u16::from_be_bytes([bytes[0], bytes[1]]);
                disasm::target(Op::decode(word, 0)).map(u64::from)
            } else {
                None
            };
            out.push(DisasmLine {
                addr: a,
                bytes,
                text,
                target,
            });
            a += len as u64;
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
        &self.hooks
    }

    fn hooks_mut(&mut self) -> &mut Hooks {
        &mut self.hooks
    }

    fn call_return_address(&self) -> Option<u64> {
        let at = self.pc as usize;
        let hi = *self.mem.get(at)?;
        (hi >> 4 == 0x2).then(|| u64::from(self.pc) + 2)
    }

    fn save_state(&self) -> Vec<u8> {
        crate::snapshot::save(self)
    }

    fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        crate::snapshot::load(self, bytes)
    }
}
