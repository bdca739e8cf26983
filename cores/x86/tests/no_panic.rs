//! Guest input never panics the host: random instruction bytes and register values in
//! every mode, and random boot sectors on the whole PC (BIOS calls with random registers).

use wb_machine::{Budget, Machine};
use wb_x86::Pc;
use wb_x86::bare::BareCpu;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn fuzz(cpu: &mut BareCpu, rng: &mut Rng, rounds: usize) {
    for _ in 0..rounds {
        let at = 0x1000 + (rng.next() % 0x100) as usize;
        for b in &mut cpu.mem_mut()[at..at + 16] {
            *b = rng.next() as u8;
        }
        for r in 0..16 {
            let v = match rng.next() % 4 {
                0 => 0,
                1 => u64::MAX - (rng.next() % 16),
                2 => rng.next() % 0x2000,
                _ => rng.next(),
            };
            cpu.set_gpr(r, v);
        }
        cpu.set_ip(at as u64);
        cpu.set_flags(rng.next());
        cpu.wake();
        cpu.step();
    }
}

#[test]
fn random_instructions_do_not_panic() {
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    fuzz(&mut BareCpu::new_long(0x4000), &mut rng, 600_000);
    fuzz(&mut BareCpu::new_8086(), &mut rng, 300_000);
    fuzz(&mut BareCpu::new_80286(), &mut rng, 300_000);
}

#[test]
fn random_boot_sectors_do_not_panic() {
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    for _ in 0..40 {
        let mut img = vec![0u8; 64 * 512];
        for b in &mut img {
            *b = rng.next() as u8;
        }
        // Sprinkle INT 10h/13h/15h/16h and port I/O so the BIOS and devices see garbage.
        for _ in 0..40 {
            let at = (rng.next() % 500) as usize;
            let int = [0x10, 0x13, 0x15, 0x16, 0x1A, 0x12][(rng.next() % 6) as usize];
            img[at..at + 2].copy_from_slice(&[0xCD, int]);
        }
        img[510] = 0x55;
        img[511] = 0xAA;
        let mut pc = Pc::new(img).expect("has a boot signature");
        pc.serial_in(b"garbage\n");
        let _ = pc.run(Budget::Cycles(200_000));
        let _ = pc.disassemble(pc.pc(), 8);
        let _ = pc.registers();
    }
}
