//! Instruction semantics. Every instruction checks what can fault before changing anything,
//! so a fault leaves the machine as it was.

use wb_machine::GuestFault;

use crate::chip8::{Chip8, STACK_DEPTH};
use crate::config::Level;
use crate::font;
use crate::op::{Alu, Op};

/// Result and new vF of an `8xyN` instruction (`None`: vF unchanged).
fn alu(op: Alu, vx: u8, vy: u8, vf_reset: bool, shifting: bool) -> (u8, Option<u8>) {
    let reset = if vf_reset { Some(0) } else { None };
    let shifted = if shifting { vx } else { vy };
    match op {
        Alu::Set => (vy, None),
        Alu::Or => (vx | vy, reset),
        Alu::And => (vx & vy, reset),
        Alu::Xor => (vx ^ vy, reset),
        Alu::Add => {
            let (r, carry) = vx.overflowing_add(vy);
            (r, Some(u8::from(carry)))
        }
        Alu::Sub => (vx.wrapping_sub(vy), Some(u8::from(vx >= vy))),
        Alu::SubN => (vy.wrapping_sub(vx), Some(u8::from(vy >= vx))),
        Alu::Shr => (shifted >> 1, Some(shifted & 1)),
        Alu::Shl => (shifted << 1, Some(shifted >> 7)),
    }
}

impl Chip8 {
    /// Skip the next instruction (all four bytes of an XO-CHIP `F000 NNNN`).
    fn skip(&mut self) {
        let pc = self.pc as usize;
        let long = self.level() == Level::XoChip
            && self.mem.get(pc) == Some(&0xF0)
            && self.mem.get(pc + 1) == Some(&0x00);
        self.pc = self.pc.wrapping_add(if long { 4 } else { 2 });
    }

    fn skip_if(&mut self, cond: bool) {
        if cond {
            self.skip();
        }
    }

    fn next_random(&mut self) -> u8 {
        // xorshift32: deterministic, so save states replay exactly.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        (x >> 24) as u8
    }

    // Out of line: inlined, the sprite loop would crowd the registers of the instruction loop.
    #[inline(never)]
    fn draw(&mut self, x: u8, y: u8, n: u8) {
        let hires = self.display.hires();
        let q = self.config.quirks;
        let (rows, wide) = match n {
            // The VIP draws zero rows; SUPER-CHIP draws a 16x16 sprite (8x16 in 1.1 lores).
            0 if self.level() == Level::Chip8 => (0, false),
            0 => (16, hires || q.lores_dxy0_wide),
            n => (n as usize, false),
        };
        let len = rows * if wide { 2 } else { 1 };
        let planes = if self.level() == Level::XoChip {
            self.planes
        } else {
            1
        };
        let (vx, vy) = (self.v[x as usize], self.v[y as usize]);
        let mut base = self.i;
        let mut collided = 0u8;
        let mut clipped = 0u8;
        let mut data = [0u8; 32];
        for plane in [1u8, 2] {
            if planes & plane == 0 {
                continue;
            }
            self.read_block(base, &mut data[..len]);
            let out = self
                .display
                .draw(vx, vy, &data[..len], wide, plane, q.clipping);
            collided = collided.max(out.rows_collided);
            clipped = clipped.max(out.rows_clipped);
            base = base.wrapping_add(len as u16);
        }
        self.v[0xF] = if q.collision_rows && hires {
            collided + clipped
        } else {
            u8::from(collided > 0)
        };
        if q.display_wait || (q.legacy_lores && !hires) {
            self.vblank_wait = true;
        }
    }

    /// Execute a decoded instruction; pc already points past it.
    pub(crate) fn execute(&mut self, op: Op) -> Result<(), GuestFault> {
        let q = self.config.quirks;
        match op {
            Op::Clear => self.display.clear(self.planes_or_one()),
            Op::Return => {
                if self.sp == 0 {
                    return Err(self.fault("return with an empty stack"));
                }
                self.sp -= 1;
                self.pc = self.stack[self.sp as usize];
                self.hooks.on_return(u64::from(self.pc));
            }
            Op::ScrollDown(n) => self.display.scroll_down(n, self.planes_or_one()),
            Op::ScrollUp(n) => self.display.scroll_up(n, self.planes_or_one()),
            Op::ScrollRight => self.display.scroll_right(4, self.planes_or_one()),
            Op::ScrollLeft => self.display.scroll_left(4, self.planes_or_one()),
            Op::Exit => self.halted = true,
            Op::Lores => self.display.set_hires(false, !q.legacy_lores),
            Op::Hires => self.display.set_hires(true, !q.legacy_lores),
            Op::Jump(a) => self.pc = a,
            Op::Call(a) => {
                if self.sp as usize >= STACK_DEPTH {
                    return Err(self.fault("call with a full stack (16 levels)"));
                }
                self.stack[self.sp as usize] = self.pc;
                self.sp += 1;
                self.hooks
                    .on_call(u64::from(self.cur_pc), u64::from(a), u64::from(self.pc));
                self.pc = a;
            }
            Op::SkipEqImm(x, nn) => self.skip_if(self.v[x as usize] == nn),
            Op::SkipNeImm(x, nn) => self.skip_if(self.v[x as usize] != nn),
            Op::SkipEqReg(x, y) => self.skip_if(self.v[x as usize] == self.v[y as usize]),
            Op::SkipNeReg(x, y) => self.skip_if(self.v[x as usize] != self.v[y as usize]),
            Op::SaveRange(x, y) => {
                for (k, r) in register_range(x, y).enumerate() {
                    let a = self.addr(self.i, k);
                    self.write(a, self.v[r]);
                }
            }
            Op::LoadRange(x, y) => {
                for (k, r) in register_range(x, y).enumerate() {
                    let a = self.addr(self.i, k);
                    self.v[r] = self.read(a);
                }
            }
            Op::SetImm(x, nn) => self.v[x as usize] = nn,
            Op::AddImm(x, nn) => self.v[x as usize] = self.v[x as usize].wrapping_add(nn),
            Op::Alu(kind, x, y) => {
                let (result, flag) = alu(
                    kind,
                    self.v[x as usize],
                    self.v[y as usize],
                    q.vf_reset,
                    q.shifting,
                );
                self.v[x as usize] = result;
                // The flag is written last, so it wins when vF is the destination.
                if let Some(f) = flag {
                    self.v[0xF] = f;
                }
            }
            Op::SetI(a) => self.i = a,
            Op::JumpOffset(a) => {
                let reg = if q.jumping { (a >> 8) as usize } else { 0 };
                self.pc = a.wrapping_add(u16::from(self.v[reg]));
            }
            Op::Random(x, nn) => self.v[x as usize] = self.next_random() & nn,
            Op::Draw(x, y, n) => self.draw(x, y, n),
            Op::SkipKey(x) => self.skip_if(self.keys[(self.v[x as usize] & 0xF) as usize]),
            Op::SkipNotKey(x) => self.skip_if(!self.keys[(self.v[x as usize] & 0xF) as usize]),
            Op::LongI(a) => self.i = a,
            Op::Plane(n) => self.planes = n,
            Op::Audio => {
                let mut pattern = [0; 16];
                self.read_block(self.i, &mut pattern);
                self.sound.pattern = pattern;
            }
            Op::GetDelay(x) => self.v[x as usize] = self.dt,
            Op::WaitKey(x) => match self.key_wait.released {
                Some(key) => {
                    self.v[x as usize] = key;
                    self.key_wait = Default::default();
                }
                None => {
                    // Spin on this instruction (timers keep running) until a key goes down
                    // and up again.
                    self.key_wait.waiting = true;
                    self.pc = self.cur_pc;
                }
            },
            Op::SetDelay(x) => self.dt = self.v[x as usize],
            Op::SetSound(x) => self.st = self.v[x as usize],
            Op::AddI(x) => self.i = self.i.wrapping_add(u16::from(self.v[x as usize])),
            Op::Font(x) => self.i = font::SMALL_ADDR + u16::from(self.v[x as usize] & 0xF) * 5,
            Op::BigFont(x) => self.i = font::BIG_ADDR + u16::from(self.v[x as usize] & 0xF) * 10,
            Op::Bcd(x) => {
                let v = self.v[x as usize];
                for (k, digit) in [v / 100, v / 10 % 10, v % 10].into_iter().enumerate() {
                    let a = self.addr(self.i, k);
                    self.write(a, digit);
                }
            }
            Op::Pitch(x) => self.sound.pitch = self.v[x as usize],
            Op::Save(x) => {
                for r in 0..=x as usize {
                    let a = self.addr(self.i, r);
                    self.write(a, self.v[r]);
                }
                if q.memory_increment {
                    self.i = self.i.wrapping_add(u16::from(x) + 1);
                }
            }
            Op::Load(x) => {
                for r in 0..=x as usize {
                    let a = self.addr(self.i, r);
                    self.v[r] = self.read(a);
                }
                if q.memory_increment {
                    self.i = self.i.wrapping_add(u16::from(x) + 1);
                }
            }
            Op::SaveFlags(x) => self.flags[..=x as usize].copy_from_slice(&self.v[..=x as usize]),
            Op::LoadFlags(x) => self.v[..=x as usize].copy_from_slice(&self.flags[..=x as usize]),
            Op::Illegal(word) => return Err(self.fault(format!("illegal opcode {word:04X}"))),
        }
        Ok(())
    }

    fn planes_or_one(&self) -> u8 {
        if self.level() == Level::XoChip {
            self.planes
        } else {
            1
        }
    }
}

/// vX..vY in the order XO-CHIP's `5XY2`/`5XY3` walk them (descending when X > Y).
fn register_range(x: u8, y: u8) -> impl Iterator<Item = usize> {
    let (x, y) = (x as usize, y as usize);
    let up = (x <= y).then_some(x..=y);
    let down = (x > y).then(|| (y..=x).rev());
    up.into_iter().flatten().chain(down.into_iter().flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alu_results_and_flags() {
        assert_eq!(alu(Alu::Set, 1, 2, true, false), (2, None));
        assert_eq!(alu(Alu::Or, 0x0F, 0xF0, false, false), (0xFF, None));
        assert_eq!(alu(Alu::Or, 0x0F, 0xF0, true, false), (0xFF, Some(0)));
        assert_eq!(alu(Alu::And, 0x0F, 0x3C, true, false), (0x0C, Some(0)));
        assert_eq!(alu(Alu::Xor, 0x0F, 0x3C, false, false), (0x33, None));
        assert_eq!(alu(Alu::Add, 200, 100, false, false), (44, Some(1)));
        assert_eq!(alu(Alu::Add, 20, 100, false, false), (120, Some(0)));
        assert_eq!(alu(Alu::Sub, 5, 3, false, false), (2, Some(1)));
        assert_eq!(alu(Alu::Sub, 3, 5, false, false), (254, Some(0)));
        assert_eq!(alu(Alu::Sub, 5, 5, false, false), (0, Some(1)));
        assert_eq!(alu(Alu::SubN, 3, 5, false, false), (2, Some(1)));
        assert_eq!(alu(Alu::SubN, 5, 3, false, false), (254, Some(0)));
        assert_eq!(alu(Alu::Shr, 0xFF, 0x03, false, false), (0x01, Some(1)));
        assert_eq!(alu(Alu::Shr, 0xFF, 0x02, true, true), (0x7F, Some(1)));
        assert_eq!(alu(Alu::Shl, 0x01, 0x81, false, false), (0x02, Some(1)));
        assert_eq!(alu(Alu::Shl, 0x01, 0x81, false, true), (0x02, Some(0)));
    }

    #[test]
    fn register_ranges() {
        assert_eq!(register_range(2, 5).collect::<Vec<_>>(), vec![2, 3, 4, 5]);
        assert_eq!(register_range(5, 2).collect::<Vec<_>>(), vec![5, 4, 3, 2]);
        assert_eq!(register_range(3, 3).collect::<Vec<_>>(), vec![3]);
    }
}
