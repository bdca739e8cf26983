//! A tiny machine for testing the debugger on the interface alone: a subset of CHIP-8
//! (v0..vf, i, a call stack) with exact hooks, so run-control tests do not depend on any
//! real core's progress.
//!
//! Opcodes: `00EE` ret, `00FD` halt, `1NNN` jp, `2NNN` call, `3XNN` skip if vx == nn,
//! `6XNN` vx = nn, `7XNN` vx += nn, `ANNN` i = nnn, `FX1E` i += vx, `FX55` store v0..vx at i,
//! `FX65` load v0..vx from i, and `0BAD`, a bug in the core: it panics. Anything else is
//! a guest fault. A frame is 8 instructions.
//!
//! Bytes 0xE00..0xE10 play a cartridge's battery RAM (writes there mark it dirty), and the
//! machine offers two core-specific views: its screen as an image and its registers as a
//! table.

use wb_machine::state::{self, Reader, Writer};
use wb_machine::{
    Access, AddressSpace, Budget, CoreInfo, DebugInfo, DisasmLine, Frame, GuestFault, Hooks,
    InputEvent, Machine, PokeError, RegValue, Register, RunResult, StateError, StopReason,
};

const IPF: u64 = 8;
const MEM: usize = 4096;
/// The battery-backed bytes.
pub const BATTERY: std::ops::Range<usize> = 0xE00..0xE10;

#[derive(Clone)]
pub struct ToyMachine {
    rom: Vec<u8>,
    mem: Vec<u8>,
    v: [u8; 16],
    i: u16,
    pc: u16,
    stack: Vec<u16>,
    retired: u64,
    keys: u16,
    hooks: Hooks,
    debug: DebugInfo,
    pixels: Vec<u8>,
    battery_dirty: bool,
}

impl ToyMachine {
    /// A machine with `program` (big-endian 16-bit words) at 0x200.
    pub fn new(program: &[u16]) -> Self {
        let rom: Vec<u8> = program.iter().flat_map(|w| w.to_be_bytes()).collect();
        let mut m = ToyMachine {
            rom,
            mem: vec![0; MEM],
            v: [0; 16],
            i: 0,
            pc: 0x200,
            stack: Vec::new(),
            retired: 0,
            keys: 0,
            hooks: Hooks::new(),
            debug: DebugInfo::default(),
            pixels: vec![0; 8 * 4 * 4],
            battery_dirty: false,
        };
        m.reset();
        m
    }

    fn read(&mut self, pc: u64, addr: u16) -> u8 {
        let value = self.mem[addr as usize % MEM];
        if self.hooks.mem_active() {
            self.hooks
                .on_access(pc, addr as u64 % MEM as u64, Access::Read, value as u64);
        }
        value
    }

    fn write(&mut self, pc: u64, addr: u16, value: u8) {
        self.mem[addr as usize % MEM] = value;
        self.battery_dirty |= BATTERY.contains(&(addr as usize % MEM));
        if self.hooks.mem_active() {
            self.hooks
                .on_access(pc, addr as u64 % MEM as u64, Access::Write, value as u64);
        }
    }

    /// Execute one instruction; `Some` when something stops the run.
    fn exec(&mut self) -> Option<StopReason> {
        let pc = self.pc as u64;
        if self.hooks.exec_active()
            && let Some(stop) = self.hooks.before_exec(pc, self.retired)
        {
            return Some(stop);
        }
        let op = u16::from_be_bytes([
            self.mem[pc as usize % MEM],
            self.mem[(pc as usize + 1) % MEM],
        ]);
        let x = ((op >> 8) & 0xF) as usize;
        let nn = (op & 0xFF) as u8;
        let nnn = op & 0xFFF;
        let mut next = self.pc.wrapping_add(2);
        match op >> 12 {
            0x0 if op == 0x00EE => match self.stack.pop() {
                Some(ret) => {
                    next = ret;
                    self.hooks.on_return(ret as u64);
                }
                None => {
                    return Some(StopReason::Fault(GuestFault {
                        pc,
                        message: "return with an empty stack".into(),
                    }));
                }
            },
            0x0 if op == 0x00FD => return Some(StopReason::Halted),
            0x0 if op == 0x0BAD => panic!("deliberate core bug at {pc:#x}"),
            0x1 => next = nnn,
            0x2 => {
                self.stack.push(next);
                self.hooks.on_call(pc, nnn as u64, next as u64);
                next = nnn;
            }
            0x3 => {
                if self.v[x] == nn {
                    next = next.wrapping_add(2);
                }
            }
            0x6 => self.v[x] = nn,
            0x7 => self.v[x] = self.v[x].wrapping_add(nn),
            0xA => self.i = nnn,
            0xF if nn == 0x1E => self.i = self.i.wrapping_add(self.v[x] as u16),
            0xF if nn == 0x55 => {
                for r in 0..=x {
                    self.write(pc, self.i.wrapping_add(r as u16), self.v[r]);
                }
            }
            0xF if nn == 0x65 => {
                for r in 0..=x {
                    self.v[r] = self.read(pc, self.i.wrapping_add(r as u16));
                }
            }
            _ => {
                return Some(StopReason::Fault(GuestFault {
                    pc,
                    message: format!("illegal opcode {op:04x}"),
                }));
            }
        }
        self.pc = next & 0xFFF;
        self.retired += 1;
        self.pixels[(self.retired % 32) as usize * 4] ^= 0xFF;
        if self.hooks.exec_active() {
            self.hooks.after_exec(pc, 1);
        }
        if let Some(stop) = self.hooks.take_pending() {
            return Some(stop);
        }
        None
    }
}

impl Machine for ToyMachine {
    fn info(&self) -> CoreInfo {
        CoreInfo {
            name: "toy",
            long_name: "Toy test machine".into(),
            frame_rate: 60.0,
            audio_rate: 0,
            buttons: vec!["0", "1"],
            address_spaces: vec![AddressSpace {
                name: "ram",
                size: MEM as u64,
            }],
            pc_bits: 12,
        }
    }

    fn reset(&mut self) {
        // Battery RAM survives a reset, as on a cartridge.
        let battery = self.mem[BATTERY].to_vec();
        self.mem.fill(0);
        self.mem[BATTERY].copy_from_slice(&battery);
        let end = (0x200 + self.rom.len()).min(MEM);
        self.mem[0x200..end].copy_from_slice(&self.rom[..end - 0x200]);
        self.v = [0; 16];
        self.i = 0;
        self.pc = 0x200;
        self.stack.clear();
        self.retired = 0;
        self.keys = 0;
        self.hooks.clear_call_stack();
    }

    fn run(&mut self, budget: Budget) -> RunResult {
        let start = self.retired;
        loop {
            let done = self.retired - start;
            match budget {
                Budget::Cycles(n) | Budget::Instructions(n) if done >= n => {
                    return RunResult {
                        stop: StopReason::BudgetSpent,
                        cycles: done,
                    };
                }
                Budget::Frame if done > 0 && self.retired.is_multiple_of(IPF) => {
                    return RunResult {
                        stop: StopReason::FrameDone,
                        cycles: done,
                    };
                }
                _ => {}
            }
            if let Some(stop) = self.exec() {
                return RunResult {
                    stop,
                    cycles: self.retired - start,
                };
            }
        }
    }

    fn step(&mut self) -> RunResult {
        self.hooks.skip_breakpoint_once(self.pc as u64);
        let start = self.retired;
        let stop = self.exec().unwrap_or(StopReason::BudgetSpent);
        RunResult {
            stop,
            cycles: self.retired - start,
        }
    }

    fn instructions_retired(&self) -> u64 {
        self.retired
    }
    fn cycles(&self) -> u64 {
        self.retired
    }
    fn frame(&self) -> Frame<'_> {
        Frame {
            width: 8,
            height: 4,
            rgba: &self.pixels,
        }
    }
    fn drain_audio(&mut self, out: &mut Vec<f32>) {
        let _ = out;
    }
    fn input(&mut self, event: InputEvent) {
        if let InputEvent::Button { index, pressed } = event
            && index < 16
        {
            {
                if pressed {
                    self.keys |= 1 << index;
                } else {
                    self.keys &= !(1 << index);
                }
                // The key state is visible to the program, so replays must reproduce it.
                self.v[0xE] = self.keys as u8;
            }
        }
    }
    fn registers(&self) -> Vec<Register> {
        let mut regs: Vec<Register> = (0..16)
            .map(|r| Register {
                name: format!("v{r:x}"),
                bits: 8,
                value: self.v[r] as RegValue,
            })
            .collect();
        regs.push(Register {
            name: "i".into(),
            bits: 16,
            value: self.i as RegValue,
        });
        regs.push(Register {
            name: "pc".into(),
            bits: 16,
            value: self.pc as RegValue,
        });
        regs.push(Register {
            name: "sp".into(),
            bits: 8,
            value: self.stack.len() as RegValue,
        });
        regs
    }
    fn set_register(&mut self, name: &str, value: RegValue) -> Result<(), PokeError> {
        let too_wide = || PokeError::TooWide {
            name: name.to_string(),
            value,
        };
        if let Some(r) = name
            .strip_prefix('v')
            .and_then(|h| usize::from_str_radix(h, 16).ok())
            .filter(|r| *r < 16)
        {
            self.v[r] = u8::try_from(value).map_err(|_| too_wide())?;
        } else if name == "i" {
            self.i = u16::try_from(value).map_err(|_| too_wide())?;
        } else if name == "pc" {
            self.pc = u16::try_from(value).map_err(|_| too_wide())? & 0xFFF;
        } else {
            return Err(PokeError::NoSuchRegister(name.to_string()));
        }
        Ok(())
    }
    fn pc(&self) -> u64 {
        self.pc as u64
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
        let slot = usize::try_from(addr).ok().and_then(|a| self.mem.get_mut(a));
        match slot {
            Some(b) => {
                *b = value;
                Ok(())
            }
            None => Err(PokeError::OutOfRange {
                space: "ram",
                addr,
                size: MEM as u64,
            }),
        }
    }
    fn disassemble(&self, addr: u64, count: usize) -> Vec<DisasmLine> {
        (0..count as u64)
            .map(|k| addr + 2 * k)
            .filter(|a| (*a as usize) + 1 < MEM)
            .map(|a| {
                let op = u16::from_be_bytes([self.mem[a as usize], self.mem[a as usize + 1]]);
                let target = matches!(op >> 12, 0x1 | 0x2).then_some((op & 0xFFF) as u64);
                DisasmLine {
                    addr: a,
                    bytes: op.to_be_bytes().to_vec(),
                    text: format!("op {op:04x}"),
                    target,
                }
            })
            .collect()
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
        let op = u16::from_be_bytes([
            self.mem[self.pc as usize],
            self.mem[(self.pc as usize + 1) % MEM],
        ]);
        (op >> 12 == 0x2).then_some(self.pc as u64 + 2)
    }
    fn views(&self) -> Vec<wb_machine::View> {
        vec![
            wb_machine::View::Image {
                title: "Screen".into(),
                width: 8,
                height: 4,
                // Opaque, so the picture shows: lit pixels white on green.
                rgba: self
                    .pixels
                    .chunks(4)
                    .flat_map(|p| {
                        if p[0] != 0 {
                            [255, 255, 255, 255]
                        } else {
                            [40, 110, 40, 255]
                        }
                    })
                    .collect(),
            },
            wb_machine::View::Table {
                title: "Registers".into(),
                columns: vec!["name".into(), "value".into()],
                rows: self
                    .v
                    .iter()
                    .enumerate()
                    .take(4)
                    .map(|(i, v)| vec![format!("v{i:x}"), format!("{v:02X}")])
                    .collect(),
            },
            wb_machine::View::Text {
                title: "Notes".into(),
                text: format!("pc = {:03X}", self.pc),
            },
        ]
    }
    fn battery_ram(&self) -> Option<Vec<u8>> {
        Some(self.mem[BATTERY].to_vec())
    }
    fn load_battery_ram(&mut self, data: &[u8]) -> Result<(), String> {
        if data.len() != BATTERY.len() {
            return Err(format!(
                "{} bytes where the cartridge has {}",
                data.len(),
                BATTERY.len()
            ));
        }
        self.mem[BATTERY].copy_from_slice(data);
        Ok(())
    }
    fn battery_dirty(&mut self) -> bool {
        std::mem::take(&mut self.battery_dirty)
    }
    fn save_state(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(&self.mem)
            .bytes(&self.v)
            .u16(self.i)
            .u16(self.pc)
            .u64(self.retired)
            .u16(self.keys);
        w.u64(self.stack.len() as u64);
        for s in &self.stack {
            w.u16(*s);
        }
        w.bytes(&self.pixels);
        state::wrap("toy", 1, &w.finish())
    }
    fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let payload = state::unwrap("toy", 1, bytes)?;
        let mut r = Reader::new(payload);
        let mut next = self.clone();
        r.blob_into(&mut next.mem)?;
        r.blob_into(&mut next.v)?;
        next.i = r.u16()?;
        next.pc = r.u16()?;
        next.retired = r.u64()?;
        next.keys = r.u16()?;
        let depth = r.u64()?.min(1 << 16);
        next.stack = (0..depth).map(|_| r.u16()).collect::<Result<_, _>>()?;
        r.blob_into(&mut next.pixels)?;
        r.finish()?;
        next.hooks.clear_call_stack();
        *self = next;
        Ok(())
    }
}
