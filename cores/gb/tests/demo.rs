//! Our own program, roms/gb/demo.asm (sprites, window, scrolling, sound): assembled by the
//! test-only assembler, run, and compared with golden screenshots in roms/gb/golden/.
//! `UPDATE_SNAPSHOTS=1 cargo test -p wb-gb --test demo` rewrites the goldens (look at them!).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rom_builder;
mod sm83_asm;

use std::path::PathBuf;

use wb_gb::GameBoy;
use wb_machine::{Budget, Machine, StopReason};

fn roms_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../roms/gb")
}

/// demo.asm assembled, with the header rgbfix would write.
fn demo_rom() -> Vec<u8> {
    let source = std::fs::read_to_string(roms_dir().join("demo.asm")).expect("read demo.asm");
    let (mut rom, symbols) =
        sm83_asm::assemble(&source).unwrap_or_else(|e| panic!("assemble: {e}"));
    assert_eq!(symbols.get("Start"), Some(&0x150));
    rom[0x104..0x134].copy_from_slice(&rom_builder::LOGO);
    rom[0x134..0x13B].copy_from_slice(b"WB DEMO");
    rom_builder::fix_checksums(&mut rom);
    rom
}

fn check_golden(gb: &GameBoy, name: &str) {
    let frame = gb.frame();
    let path = roms_dir().join("golden").join(format!("{name}.png"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("mkdir golden");
        image::save_buffer(
            &path,
            frame.rgba,
            frame.width as u32,
            frame.height as u32,
            image::ColorType::Rgba8,
        )
        .expect("write golden");
        return;
    }
    let golden = image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with UPDATE_SNAPSHOTS=1 to create it)",
                path.display()
            )
        })
        .to_rgba8();
    assert_eq!(
        (golden.width() as usize, golden.height() as usize),
        (frame.width, frame.height)
    );
    let diff = golden
        .as_raw()
        .iter()
        .zip(frame.rgba)
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(
        diff,
        0,
        "{name}: {diff} bytes differ from {}",
        path.display()
    );
}

#[test]
fn demo_matches_golden_screens_and_beeps() {
    let rom = demo_rom();
    let mut gb = GameBoy::new(&rom, None).expect("demo loads");
    let mut audio = Vec::new();
    for frame in 1..=150 {
        let r = gb.run(Budget::Frame);
        assert_eq!(r.stop, StopReason::FrameDone, "frame {frame}");
        if frame == 30 {
            check_golden(&gb, "demo-030");
        }
        if frame == 130 {
            gb.drain_audio(&mut audio);
            audio.clear();
        }
    }
    check_golden(&gb, "demo-150");
    // The sprites reach the right edge at frame ~136 and the beep plays.
    gb.drain_audio(&mut audio);
    let peak = audio.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!(peak > 0.05, "no beep: peak {peak}");
    // Sprites are where the program put them, and the window covers the bottom rows.
    let oam = gb.oam_entries();
    assert_eq!((oam[0].y, oam[0].tile), (40, 4));
    assert_eq!(oam.iter().filter(|o| o.tile == 4).count(), 4);
}

#[test]
fn demo_assembles_to_the_same_bytes_each_time() {
    assert_eq!(demo_rom(), demo_rom());
    assert!(wb_gb::looks_like_gb_rom(&demo_rom()));
}
