//! Guest input never panics the host: random programs, random snapshots, every opcode word.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests fail by panicking

mod common;

use wb_chip8::{Chip8, Config, Platform, disassemble_one};
use wb_machine::{Budget, InputEvent, Machine, StopReason};

/// xorshift64*: reproducible noise without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn random_programs_run_or_fault_but_never_panic() {
    let mut noise = Noise(0x1234_5678_9ABC_DEF1);
    let mut faults = 0;
    for round in 0..150 {
        for p in Platform::ALL {
            let len = 1 + (noise.next() % 600) as usize;
            let rom = noise.bytes(len);
            let mut m = Chip8::new(&rom, Config::for_platform(p)).expect("fits");
            if round % 2 == 1 {
                // Every hook path that does not stop the machine.
                let hooks = m.hooks_mut();
                hooks.set_trace(Some(64));
                hooks.set_profiling(true);
                hooks.set_heat(Some(8));
                hooks.set_call_tracking(true);
            }
            for f in 0..8 {
                m.input(InputEvent::Button {
                    index: (noise.next() % 16) as usize,
                    pressed: f % 2 == 0,
                });
                let stop = m.run(Budget::Frame).stop;
                let _ = m.frame();
                let _ = m.disassemble(m.pc(), 4);
                match stop {
                    StopReason::FrameDone => {}
                    StopReason::Fault(_) => {
                        faults += 1;
                        break;
                    }
                    StopReason::Halted => break,
                    other => panic!("round {round}: unexpected stop {other:?}"),
                }
            }
        }
    }
    assert!(faults > 0, "random bytes do hit illegal opcodes");
}

#[test]
fn damaged_snapshots_are_refused_without_panicking() {
    let mut m = common::words(Platform::XoChip, &[0x7001, 0xD015, 0x1200]);
    m.run(Budget::Frame);
    let good = m.save_state();
    let mut noise = Noise(99);
    for cut in (0..good.len()).step_by(97) {
        assert!(m.load_state(&good[..cut]).is_err());
    }
    for _ in 0..300 {
        let mut bad = good.clone();
        let at = (noise.next() as usize) % bad.len();
        bad[at] ^= 1 << (noise.next() % 8);
        assert!(m.load_state(&bad).is_err(), "flipped byte {at}");
        let n = (noise.next() % 64) as usize;
        let junk = noise.bytes(n);
        assert!(m.load_state(&junk).is_err());
    }
    m.load_state(&good).expect("the good one still loads");
}

#[test]
fn every_opcode_word_disassembles() {
    for word in 0..=u16::MAX {
        let bytes = [(word >> 8) as u8, word as u8, 0x12, 0x34];
        let (text, len) = disassemble_one(&bytes, 0);
        assert!(!text.is_empty());
        assert!(len == 2 || (len == 4 && word == 0xF000), "{word:04X}");
    }
}
