//! Decode and execute. Opcodes are decoded by their octal fields (`x = op >> 6`, `y = op >> 3 & 7`,
//! `z = op & 7`); r8 operand 6 is `(HL)`, which costs a memory cycle.

use super::{Bus, Cpu, Flow, Outcome};

/// Branch conditions by their 2-bit field: NZ, Z, NC, C.
#[inline(always)]
fn condition(cpu: &Cpu, cc: u8) -> bool {
    match cc & 3 {
        0 => cpu.f & super::FLAG_Z == 0,
        1 => cpu.f & super::FLAG_Z != 0,
        2 => cpu.f & super::FLAG_C == 0,
        _ => cpu.f & super::FLAG_C != 0,
    }
}

/// `match $op { 0x00 => $arm(0x00), ... 0xFF => $arm(0xFF) }`: one arm per opcode, so that
/// each inlined body sees its opcode as a constant and its operand decoding folds away (one
/// indirect jump per instruction instead of one per decoded field).
macro_rules! per_opcode {
    ($op:expr, |$n:ident| $arm:expr) => {
        per_opcode!(@rows $op, $n, $arm;
            0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09 0x0A 0x0B 0x0C 0x0D 0x0E 0x0F
            0x10 0x11 0x12 0x13 0x14 0x15 0x16 0x17 0x18 0x19 0x1A 0x1B 0x1C 0x1D 0x1E 0x1F
            0x20 0x21 0x22 0x23 0x24 0x25 0x26 0x27 0x28 0x29 0x2A 0x2B 0x2C 0x2D 0x2E 0x2F
            0x30 0x31 0x32 0x33 0x34 0x35 0x36 0x37 0x38 0x39 0x3A 0x3B 0x3C 0x3D 0x3E 0x3F
            0x40 0x41 0x42 0x43 0x44 0x45 0x46 0x47 0x48 0x49 0x4A 0x4B 0x4C 0x4D 0x4E 0x4F
            0x50 0x51 0x52 0x53 0x54 0x55 0x56 0x57 0x58 0x59 0x5A 0x5B 0x5C 0x5D 0x5E 0x5F
            0x60 0x61 0x62 0x63 0x64 0x65 0x66 0x67 0x68 0x69 0x6A 0x6B 0x6C 0x6D 0x6E 0x6F
            0x70 0x71 0x72 0x73 0x74 0x75 0x76 0x77 0x78 0x79 0x7A 0x7B 0x7C 0x7D 0x7E 0x7F
            0x80 0x81 0x82 0x83 0x84 0x85 0x86 0x87 0x88 0x89 0x8A 0x8B 0x8C 0x8D 0x8E 0x8F
            0x90 0x91 0x92 0x93 0x94 0x95 0x96 0x97 0x98 0x99 0x9A 0x9B 0x9C 0x9D 0x9E 0x9F
            0xA0 0xA1 0xA2 0xA3 0xA4 0xA5 0xA6 0xA7 0xA8 0xA9 0xAA 0xAB 0xAC 0xAD 0xAE 0xAF
            0xB0 0xB1 0xB2 0xB3 0xB4 0xB5 0xB6 0xB7 0xB8 0xB9 0xBA 0xBB 0xBC 0xBD 0xBE 0xBF
            0xC0 0xC1 0xC2 0xC3 0xC4 0xC5 0xC6 0xC7 0xC8 0xC9 0xCA 0xCB 0xCC 0xCD 0xCE 0xCF
            0xD0 0xD1 0xD2 0xD3 0xD4 0xD5 0xD6 0xD7 0xD8 0xD9 0xDA 0xDB 0xDC 0xDD 0xDE 0xDF
            0xE0 0xE1 0xE2 0xE3 0xE4 0xE5 0xE6 0xE7 0xE8 0xE9 0xEA 0xEB 0xEC 0xED 0xEE 0xEF
            0xF0 0xF1 0xF2 0xF3 0xF4 0xF5 0xF6 0xF7 0xF8 0xF9 0xFA 0xFB 0xFC 0xFD 0xFE 0xFF)
    };
    (@rows $op:expr, $n:ident, $arm:expr; $($lit:literal)*) => {
        match $op {
            $($lit => {
                let $n: u8 = $lit;
                $arm
            })*
        }
    };
}

impl Cpu {
    /// Execute `op`, already fetched (PC points past it), through a per-opcode jump table.
    #[inline(always)]
    pub(super) fn dispatch_op<B: Bus>(&mut self, bus: &mut B, op: u8) -> Outcome {
        per_opcode!(op, |n| self.execute(bus, n))
    }
}

impl Cpu {
    /// Read r8 operand `r` (B C D E H L (HL) A).
    #[inline(always)]
    fn get_r8<B: Bus>(&mut self, bus: &mut B, r: u8) -> u8 {
        match r & 7 {
            0 => self.b,
            1 => self.c,
            2 => self.d,
            3 => self.e,
            4 => self.h,
            5 => self.l,
            6 => bus.read_cycle(self.hl()),
            _ => self.a,
        }
    }

    #[inline(always)]
    fn set_r8<B: Bus>(&mut self, bus: &mut B, r: u8, v: u8) {
        match r & 7 {
            0 => self.b = v,
            1 => self.c = v,
            2 => self.d = v,
            3 => self.e = v,
            4 => self.h = v,
            5 => self.l = v,
            6 => bus.write_cycle(self.hl(), v),
            _ => self.a = v,
        }
    }

    /// rr operand for LD/INC/DEC/ADD: BC DE HL SP.
    #[inline(always)]
    fn get_rr(&self, p: u8) -> u16 {
        match p & 3 {
            0 => self.bc(),
            1 => self.de(),
            2 => self.hl(),
            _ => self.sp,
        }
    }

    #[inline(always)]
    fn set_rr(&mut self, p: u8, v: u16) {
        match p & 3 {
            0 => self.set_bc(v),
            1 => self.set_de(v),
            2 => self.set_hl(v),
            _ => self.sp = v,
        }
    }

    /// The eight accumulator operations ADD ADC SUB SBC AND XOR OR CP by their 3-bit field.
    #[inline(always)]
    fn alu_a(&mut self, op: u8, v: u8) {
        let a = self.a;
        match op & 7 {
            0 => self.a = self.alu_add(a, v, 0),
            1 => {
                let c = self.carry();
                self.a = self.alu_add(a, v, c)
            }
            2 => self.a = self.alu_sub(a, v, 0),
            3 => {
                let c = self.carry();
                self.a = self.alu_sub(a, v, c)
            }
            4 => self.a = self.alu_and(a, v),
            5 => self.a = self.alu_xor(a, v),
            6 => self.a = self.alu_or(a, v),
            _ => {
                self.alu_sub(a, v, 0);
            }
        }
    }

    #[inline(always)]
    fn call<B: Bus>(&mut self, bus: &mut B, target: u16) {
        let ret = self.pc;
        self.push(bus, ret);
        self.pc = target;
        self.flow = Flow::Call { target, ret };
    }

    #[inline(always)]
    fn ret<B: Bus>(&mut self, bus: &mut B) {
        self.pc = self.pop(bus);
        bus.tick_cycle();
        self.flow = Flow::Return { to: self.pc };
    }

    /// Execute `op`, already fetched (PC points past it). Inlined into the step loop: one
    /// call and return less per instruction.
    #[inline(always)]
    pub(super) fn execute<B: Bus>(&mut self, bus: &mut B, op: u8) -> Outcome {
        let y = (op >> 3) & 7;
        let z = op & 7;
        let p = y >> 1;
        match op {
            0x40..=0x7F => {
                if op == 0x76 {
                    self.halt(bus);
                } else {
                    let v = self.get_r8(bus, z);
                    self.set_r8(bus, y, v);
                }
                // LD B,B: the debug trap of emulators and test ROMs.
                if op == 0x40 {
                    return Outcome::DebugTrap;
                }
            }
            0x80..=0xBF => {
                let v = self.get_r8(bus, z);
                self.alu_a(y, v);
            }
            0x00 => {}
            0x10 => self.stop(bus),
            0x08 => {
                let addr = self.imm16(bus);
                bus.write_cycle(addr, self.sp as u8);
                bus.write_cycle(addr.wrapping_add(1), (self.sp >> 8) as u8);
            }
            0x18 => self.jr(bus, true),
            0x20 | 0x28 | 0x30 | 0x38 => {
                let taken = condition(self, y - 4);
                self.jr(bus, taken);
            }
            0x01 | 0x11 | 0x21 | 0x31 => {
                let v = self.imm16(bus);
                self.set_rr(p, v);
            }
            0x09 | 0x19 | 0x29 | 0x39 => {
                let v = self.get_rr(p);
                let hl = self.hl();
                let r = self.alu_add16(hl, v);
                self.set_hl(r);
                bus.tick_cycle();
            }
            0x02 => bus.write_cycle(self.bc(), self.a),
            0x12 => bus.write_cycle(self.de(), self.a),
            0x22 => {
                let hl = self.hl();
                bus.write_cycle(hl, self.a);
                self.set_hl(hl.wrapping_add(1));
            }
            0x32 => {
                let hl = self.hl();
                bus.write_cycle(hl, self.a);
                self.set_hl(hl.wrapping_sub(1));
            }
            0x0A => self.a = bus.read_cycle(self.bc()),
            0x1A => self.a = bus.read_cycle(self.de()),
            0x2A => {
                let hl = self.hl();
                self.a = bus.read_cycle(hl);
                self.set_hl(hl.wrapping_add(1));
            }
            0x3A => {
                let hl = self.hl();
                self.a = bus.read_cycle(hl);
                self.set_hl(hl.wrapping_sub(1));
            }
            0x03 | 0x13 | 0x23 | 0x33 => {
                let v = self.get_rr(p).wrapping_add(1);
                self.set_rr(p, v);
                bus.tick_cycle();
            }
            0x0B | 0x1B | 0x2B | 0x3B => {
                let v = self.get_rr(p).wrapping_sub(1);
                self.set_rr(p, v);
                bus.tick_cycle();
            }
            0x04 | 0x0C | 0x14 | 0x1C | 0x24 | 0x2C | 0x34 | 0x3C => {
                let v = self.get_r8(bus, y);
                let r = self.alu_inc(v);
                self.set_r8(bus, y, r);
            }
            0x05 | 0x0D | 0x15 | 0x1D | 0x25 | 0x2D | 0x35 | 0x3D => {
                let v = self.get_r8(bus, y);
                let r = self.alu_dec(v);
                self.set_r8(bus, y, r);
            }
            0x06 | 0x0E | 0x16 | 0x1E | 0x26 | 0x2E | 0x36 | 0x3E => {
                let v = self.imm8(bus);
                self.set_r8(bus, y, v);
            }
            0x07 => {
                self.a = self.alu_rlc(self.a);
                self.f &= !super::FLAG_Z;
            }
            0x0F => {
                self.a = self.alu_rrc(self.a);
                self.f &= !super::FLAG_Z;
            }
            0x17 => {
                self.a = self.alu_rl(self.a);
                self.f &= !super::FLAG_Z;
            }
            0x1F => {
                self.a = self.alu_rr(self.a);
                self.f &= !super::FLAG_Z;
            }
            0x27 => self.a = self.alu_daa(self.a),
            0x2F => self.a = self.alu_cpl(self.a),
            0x37 => self.alu_scf(),
            0x3F => self.alu_ccf(),

            0xC0 | 0xC8 | 0xD0 | 0xD8 => {
                bus.tick_cycle();
                if condition(self, y) {
                    self.ret(bus);
                }
            }
            0xC9 => self.ret(bus),
            0xD9 => {
                self.ret(bus);
                self.ime = true;
                bus.break_batch();
            }
            0xC1 | 0xD1 | 0xE1 | 0xF1 => {
                let v = self.pop(bus);
                match p {
                    0 => self.set_bc(v),
                    1 => self.set_de(v),
                    2 => self.set_hl(v),
                    _ => self.set_af(v),
                }
            }
            0xC5 | 0xD5 | 0xE5 | 0xF5 => {
                let v = match p {
                    0 => self.bc(),
                    1 => self.de(),
                    2 => self.hl(),
                    _ => self.af(),
                };
                self.push(bus, v);
            }
            0xC2 | 0xCA | 0xD2 | 0xDA => {
                let target = self.imm16(bus);
                if condition(self, y) {
                    bus.tick_cycle();
                    self.jump(bus, target, 3);
                }
            }
            0xC3 => {
                let target = self.imm16(bus);
                bus.tick_cycle();
                self.jump(bus, target, 3);
            }
            0xE9 => self.jump(bus, self.hl(), 1),
            0xC4 | 0xCC | 0xD4 | 0xDC => {
                let target = self.imm16(bus);
                if condition(self, y) {
                    self.call(bus, target);
                }
            }
            0xCD => {
                let target = self.imm16(bus);
                self.call(bus, target);
            }
            0xC7 | 0xCF | 0xD7 | 0xDF | 0xE7 | 0xEF | 0xF7 | 0xFF => self.call(bus, y as u16 * 8),
            0xC6 | 0xCE | 0xD6 | 0xDE | 0xE6 | 0xEE | 0xF6 | 0xFE => {
                let v = self.imm8(bus);
                self.alu_a(y, v);
            }
            0xCB => self.execute_cb(bus),
            0xE0 => {
                let n = self.imm8(bus);
                bus.write_cycle(0xFF00 | n as u16, self.a);
            }
            0xF0 => {
                let n = self.imm8(bus);
                self.a = bus.read_cycle(0xFF00 | n as u16);
            }
            0xE2 => bus.write_cycle(0xFF00 | self.c as u16, self.a),
            0xF2 => self.a = bus.read_cycle(0xFF00 | self.c as u16),
            0xEA => {
                let addr = self.imm16(bus);
                bus.write_cycle(addr, self.a);
            }
            0xFA => {
                let addr = self.imm16(bus);
                self.a = bus.read_cycle(addr);
            }
            0xE8 => {
                let e = self.imm8(bus);
                self.sp = self.alu_add_sp(self.sp, e);
                bus.tick_cycle();
                bus.tick_cycle();
            }
            0xF8 => {
                let e = self.imm8(bus);
                let r = self.alu_add_sp(self.sp, e);
                self.set_hl(r);
                bus.tick_cycle();
            }
            0xF9 => {
                self.sp = self.hl();
                bus.tick_cycle();
            }
            0xF3 => {
                self.ime = false;
                self.ei_delay = false;
            }
            0xFB => {
                self.ei_delay = true;
                bus.break_batch();
            }
            // D3 DB DD E3 E4 EB EC ED F4 FC FD: the CPU locks up.
            _ => {
                self.pc = self.pc.wrapping_sub(1);
                return Outcome::Illegal(op);
            }
        }
        Outcome::Retired
    }

    #[inline(always)]
    fn jr<B: Bus>(&mut self, bus: &mut B, taken: bool) {
        let e = self.imm8(bus) as i8;
        if taken {
            bus.tick_cycle();
            self.jump(bus, self.pc.wrapping_add(e as u16), 2);
        }
    }

    /// Set PC to `target` from an instruction `len` bytes long (PC points past it); a jump to
    /// itself breaks the batch, so the run loop can skip the iterations of the wait.
    #[inline(always)]
    fn jump<B: Bus>(&mut self, bus: &mut B, target: u16, len: u16) {
        if target == self.pc.wrapping_sub(len) {
            bus.break_batch();
        }
        self.pc = target;
    }

    /// HALT: wait for an interrupt. With IME off and one already pending, the HALT bug instead:
    /// the next opcode is read twice.
    #[inline(always)]
    fn halt<B: Bus>(&mut self, bus: &mut B) {
        if !self.ime && bus.pending_interrupts() != 0 {
            self.halt_bug = true;
        } else {
            self.halted = true;
        }
        bus.break_batch();
    }

    /// STOP (0x10, two bytes on paper): reset DIV and sleep until a button is pressed.
    #[inline(always)]
    fn stop<B: Bus>(&mut self, bus: &mut B) {
        self.pc = self.pc.wrapping_add(1);
        bus.enter_stop();
        if !bus.stop_wakeup() {
            self.stopped = true;
        }
        bus.break_batch();
    }

    /// The CB-prefixed page: rotates/shifts, BIT, RES, SET on an r8 operand.
    #[inline(always)]
    fn execute_cb<B: Bus>(&mut self, bus: &mut B) {
        let op = self.imm8(bus);
        per_opcode!(op, |n| self.execute_cb_op(bus, n))
    }

    #[inline(always)]
    fn execute_cb_op<B: Bus>(&mut self, bus: &mut B, op: u8) {
        let y = (op >> 3) & 7;
        let z = op & 7;
        let v = self.get_r8(bus, z);
        let r = match op >> 6 {
            0 => match y {
                0 => self.alu_rlc(v),
                1 => self.alu_rrc(v),
                2 => self.alu_rl(v),
                3 => self.alu_rr(v),
                4 => self.alu_sla(v),
                5 => self.alu_sra(v),
                6 => self.alu_swap(v),
                _ => self.alu_srl(v),
            },
            1 => {
                self.alu_bit(y, v);
                return;
            }
            2 => v & !(1 << y),
            _ => v | (1 << y),
        };
        self.set_r8(bus, z, r);
    }
}
