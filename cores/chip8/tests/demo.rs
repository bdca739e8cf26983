//! Our own demo, roms/chip8/demo.ch8 (source: demo.8o): keys move the ship, a wall bump or a
//! caught coin beeps.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests fail by panicking

mod common;

use common::{audible, lit, machine};
use wb_chip8::Platform;
use wb_machine::{Budget, InputEvent, Machine, StopReason};

fn demo_rom() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms/chip8/demo.ch8");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn demo_moves_with_keys_and_beeps() {
    let rom = demo_rom();
    for p in Platform::ALL {
        let mut m = machine(&rom, p);
        let mut audio = Vec::new();
        for _ in 0..30 {
            assert_eq!(m.run(Budget::Frame).stop, StopReason::FrameDone);
        }
        m.drain_audio(&mut audio);
        assert!(
            !audible(&audio),
            "{}: silent until something happens",
            p.name()
        );
        let before = lit(&m);
        assert!(!before.is_empty());
        // Below the score line (row 6 of 32), in frame pixels.
        let field = 7 * m.frame().height / 32;
        let width = m.frame().width;
        let rightmost = |px: &[(usize, usize)]| {
            px.iter()
                .filter(|&&(_, y)| y >= field)
                .map(|&(x, _)| x)
                .max()
        };
        let start = rightmost(&before);

        // Hold "right" (key 9) until the ship reaches the wall.
        m.input(InputEvent::Button {
            index: 9,
            pressed: true,
        });
        let mut heard = false;
        for _ in 0..240 {
            assert_eq!(m.run(Budget::Frame).stop, StopReason::FrameDone);
            audio.clear();
            m.drain_audio(&mut audio);
            heard |= audible(&audio);
        }
        m.input(InputEvent::Button {
            index: 9,
            pressed: false,
        });
        // Let the last move finish (a moving ship is briefly erased between frames).
        for _ in 0..5 {
            m.run(Budget::Frame);
        }
        let after = lit(&m);
        assert_ne!(before, after, "{}: the screen changed", p.name());
        assert!(
            rightmost(&after) > start,
            "{}: something moved right",
            p.name()
        );
        assert_eq!(
            rightmost(&after),
            Some(width - 1),
            "{}: the ship reached the wall",
            p.name()
        );
        assert!(heard, "{}: the wall (or a coin) beeped", p.name());
    }
}
