//! Every quirk, switched on and off alone on top of a platform preset.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests fail by panicking

mod common;

use common::{exec, lit, program, reg};
use wb_chip8::{Chip8, Config, Platform, Quirks};
use wb_machine::{Budget, Machine};

/// A machine for `platform` with one quirk forced to `on`.
fn with(platform: Platform, quirk: &str, on: bool, words: &[u16]) -> Chip8 {
    let mut config = Config::for_platform(platform);
    assert!(config.quirks.set(quirk, on), "{quirk}");
    Chip8::new(&program(words), config).expect("loads")
}

#[test]
fn presets_match_the_timendus_expectations() {
    let q = Quirks::for_platform(Platform::Chip8);
    assert!(
        q.vf_reset
            && q.memory_increment
            && q.display_wait
            && q.clipping
            && !q.shifting
            && !q.jumping
    );
    let q = Quirks::for_platform(Platform::SchipModern);
    assert!(
        !q.vf_reset
            && !q.memory_increment
            && !q.display_wait
            && q.clipping
            && q.shifting
            && q.jumping
    );
    let q = Quirks::for_platform(Platform::SchipLegacy);
    assert!(
        !q.vf_reset
            && !q.memory_increment
            && q.legacy_lores
            && q.clipping
            && q.shifting
            && q.jumping
    );
    let q = Quirks::for_platform(Platform::XoChip);
    assert!(
        !q.vf_reset
            && q.memory_increment
            && !q.display_wait
            && !q.clipping
            && !q.shifting
            && !q.jumping
    );
}

#[test]
fn vf_reset() {
    // v0 := 3; v1 := 5; vF := 9; v0 |= v1
    for op in [0x8011, 0x8012, 0x8013] {
        let prog = [0x6003, 0x6105, 0x6F09, op];
        for (on, vf) in [(true, 0), (false, 9)] {
            let mut m = with(Platform::XoChip, "vf_reset", on, &prog);
            exec(&mut m, 4);
            assert_eq!(reg(&m, "vf"), vf, "{op:04X} quirk {on}");
        }
    }
}

#[test]
fn memory_increment() {
    for (save_or_load, on, i) in [
        (0xF255, true, 0x303),
        (0xF255, false, 0x300),
        (0xF265, true, 0x303),
        (0xF265, false, 0x300),
    ] {
        let mut m = with(
            Platform::SchipModern,
            "memory_increment",
            on,
            &[0xA300, save_or_load],
        );
        exec(&mut m, 2);
        assert_eq!(reg(&m, "i"), i);
    }
}

#[test]
fn display_wait_allows_one_draw_per_frame() {
    // loop: v5 += 1; sprite v0 v0 1; jump loop
    let prog = [0x7501, 0xD001, 0x1200];
    for (on, draws) in [(true, 1), (false, 5)] {
        let mut m = with(Platform::Chip8, "display_wait", on, &prog);
        let r = m.run(Budget::Frame);
        assert_eq!(r.cycles, 15, "a frame is always 15 slots");
        assert_eq!(reg(&m, "v5"), draws, "display_wait {on}");
        let r = m.run(Budget::Frame);
        assert_eq!(r.cycles, 15);
    }
}

#[test]
fn clipping() {
    // v0 := 62; v1 := 30; i := font 8 (0xF0 0x90 0xF0 0x90 0xF0); sprite v0 v1 5
    let prog = [0x603E, 0x611E, 0xA028, 0xD015];
    let mut m = with(Platform::XoChip, "clipping", true, &prog);
    exec(&mut m, 4);
    assert!(lit(&m).iter().all(|&(x, y)| x >= 62 && y >= 30));
    assert_eq!(lit(&m).len(), 3);
    let mut m = with(Platform::Chip8, "clipping", false, &prog);
    exec(&mut m, 4);
    assert!(lit(&m).contains(&(1, 0)), "wrapped to the other side");
    assert_eq!(lit(&m).len(), 16);
}

#[test]
fn shifting() {
    // v0 := 0x10; v1 := 0x03; v0 >>= v1
    for (op, on, v0, vf) in [
        (0x8016, true, 0x08, 0),
        (0x8016, false, 0x01, 1),
        (0x801E, true, 0x20, 0),
        (0x801E, false, 0x06, 0),
    ] {
        let mut m = with(Platform::Chip8, "shifting", on, &[0x6010, 0x6103, op]);
        exec(&mut m, 3);
        assert_eq!((reg(&m, "v0"), reg(&m, "vf")), (v0, vf), "{op:04X} {on}");
    }
}

#[test]
fn jumping() {
    for (on, pc) in [(true, 0x308), (false, 0x304)] {
        let mut m = with(Platform::Chip8, "jumping", on, &[0x6004, 0x6308, 0xB300]);
        exec(&mut m, 3);
        assert_eq!(m.pc(), pc);
    }
}

#[test]
fn legacy_lores_keeps_a_128x64_screen_and_its_contents() {
    // i := font 0; sprite v0 v0 5; hires; lores
    let prog = [0xA000, 0xD005, 0x00FF, 0x00FE];
    let mut m = with(Platform::SchipModern, "legacy_lores", true, &prog);
    exec(&mut m, 2);
    assert_eq!((m.frame().width, m.frame().height), (128, 64));
    assert_eq!(lit(&m).len(), 14 * 4);
    exec(&mut m, 2);
    assert_eq!(lit(&m).len(), 14 * 4, "no clear on mode switches");
    let mut m = with(Platform::SchipLegacy, "legacy_lores", false, &prog);
    exec(&mut m, 2);
    assert_eq!((m.frame().width, m.frame().height), (64, 32));
    exec(&mut m, 2);
    assert!(lit(&m).is_empty());
}

#[test]
fn legacy_lores_draws_wait_for_vblank_but_hires_draws_do_not() {
    // loop: v5 += 1; sprite v0 v0 1; jump loop — in lores, then in hires
    for (hires, draws) in [(false, 1), (true, 10)] {
        let prog = [if hires { 0x00FF } else { 0x6000 }, 0x7501, 0xD001, 0x1202];
        let mut m = with(Platform::SchipLegacy, "display_wait", false, &prog);
        m.run(Budget::Frame);
        assert_eq!(reg(&m, "v5"), draws, "hires {hires}");
    }
}

#[test]
fn lores_dxy0_wide() {
    let prog = [0xA000, 0xD000];
    for (on, wide) in [(true, true), (false, false)] {
        let mut m = with(Platform::SchipModern, "lores_dxy0_wide", on, &prog);
        exec(&mut m, 2);
        assert_eq!(lit(&m).iter().any(|&(x, _)| x >= 8), wide);
    }
}

#[test]
fn collision_rows_counts_rows_in_hires() {
    // hires; i := font 0; v1 := 62; sprite v0 v0 3 twice; sprite v0 v1 5 (3 rows clipped)
    let prog = [0x00FF, 0xA000, 0x613E, 0xD003, 0xD003, 0xD015];
    for (on, collided, clipped) in [(true, 3, 3), (false, 1, 0)] {
        let mut m = with(Platform::SchipModern, "collision_rows", on, &prog);
        exec(&mut m, 5);
        assert_eq!(reg(&m, "vf"), collided);
        exec(&mut m, 1);
        assert_eq!(reg(&m, "vf"), clipped);
    }
}

#[test]
fn instructions_per_frame_is_configurable() {
    for ipf in [1, 7, 500] {
        let mut config = Config::for_platform(Platform::XoChip);
        config.instructions_per_frame = ipf;
        let mut m = Chip8::new(&program(&[0x7001, 0x1200]), config).expect("loads");
        assert_eq!(m.run(Budget::Frame).cycles, u64::from(ipf));
        assert_eq!(m.config().instructions_per_frame, ipf);
    }
    for p in Platform::ALL {
        assert_eq!(
            Config::for_platform(p).instructions_per_frame,
            p.default_instructions_per_frame()
        );
    }
}
