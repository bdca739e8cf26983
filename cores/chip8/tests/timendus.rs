//! The Timendus CHIP-8 test suite (../shared/testroms/chip8-test-suite), judged by the
//! screen at the frame counts the external scoreboard uses.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests fail by panicking

mod common;

use common::{
    Press, compare, differences, load_rom, mask, reference_grid, run_frames, screen_grid, suite,
};
use wb_chip8::{Chip8, Platform};
use wb_machine::Machine;

/// Run a ROM (with 0x1FF preloaded when `select` is given) and compare with a picture.
fn check(
    rom: &str,
    platform: Platform,
    select: Option<u8>,
    frames: u64,
    presses: &[Press],
    picture: &str,
    from: Option<f64>,
) {
    let Some(dir) = suite() else { return };
    let mut m: Chip8 = load_rom(&dir, rom, platform);
    if let Some(n) = select {
        m.poke(0, 0x1FF, n).expect("0x1FF is RAM");
    }
    run_frames(&mut m, frames, presses);
    if let Err(e) = compare(&m, &dir.join("pictures").join(picture), from) {
        panic!("{rom} on {} (0x1FF={select:?}):\n{e}", platform.name());
    }
}

#[test]
fn chip8_logo_on_every_platform() {
    for p in Platform::ALL {
        check(
            "1-chip8-logo.ch8",
            p,
            None,
            60,
            &[],
            "chip-8-logo.png",
            None,
        );
    }
}

#[test]
fn ibm_logo_on_every_platform() {
    for p in Platform::ALL {
        check("2-ibm-logo.ch8", p, None, 60, &[], "ibm-logo.png", None);
    }
}

#[test]
fn corax_plus_on_every_platform() {
    for p in Platform::ALL {
        check("3-corax+.ch8", p, None, 120, &[], "corax+.png", None);
    }
}

#[test]
fn flags_on_every_platform() {
    for p in Platform::ALL {
        check("4-flags.ch8", p, None, 120, &[], "flags.png", None);
    }
}

#[test]
fn quirks_chip8_matches_the_whole_picture() {
    check(
        "5-quirks.ch8",
        Platform::Chip8,
        Some(1),
        600,
        &[],
        "quirks.png",
        None,
    );
}

#[test]
fn quirks_check_marks_on_schip_and_xochip() {
    for (n, p) in [
        (2, Platform::SchipModern),
        (3, Platform::XoChip),
        (4, Platform::SchipLegacy),
    ] {
        check(
            "5-quirks.ch8",
            p,
            Some(n),
            600,
            &[],
            "quirks.png",
            Some(58.0 / 64.0),
        );
    }
}

/// Run 8-scrolling in one mode for the scoreboard's 300 frames.
fn scrolled(mode: u8, platform: Platform) -> Option<(Chip8, std::path::PathBuf)> {
    let dir = suite()?;
    let mut m = load_rom(&dir, "8-scrolling.ch8", platform);
    m.poke(0, 0x1FF, mode).expect("0x1FF is RAM");
    run_frames(&mut m, 300, &[]);
    Some((m, dir.join("pictures")))
}

/// The SUPER-CHIP modes match the reference pictures except at the two pixels where the top
/// box's sides meet the bottom boxes' top edge: the pictures show them off (as if the sides
/// were one row longer), while the v4.2 ROM draws the sides over rows 5..=14 only (its loop at
/// 0x46C runs while v6 != 0x1A), so they stay lit. Asserted both ways, so a change shows up.
/// Mode, platform, picture and the pixels known to differ from it.
type ScrollCase = (u8, Platform, &'static str, Vec<(usize, usize)>);

#[test]
fn scrolling_schip_modes_match_the_pictures_but_for_two_junction_pixels() {
    let cases: [ScrollCase; 4] = [
        (
            1,
            Platform::SchipModern,
            "lores-scrolling.png",
            vec![(26, 15), (37, 15)],
        ),
        // Legacy lores scrolls half a lores pixel on a 128x64 screen; the ROM scrolls twice as
        // far in this mode, so the arrows land in their boxes as in the README's HP48 photo.
        (
            2,
            Platform::SchipLegacy,
            "lores-scrolling.png",
            vec![
                (52, 30),
                (53, 30),
                (74, 30),
                (75, 30),
                (52, 31),
                (53, 31),
                (74, 31),
                (75, 31),
            ],
        ),
        (
            3,
            Platform::SchipModern,
            "hires-scrolling.png",
            vec![(58, 32), (69, 32)],
        ),
        (
            3,
            Platform::SchipLegacy,
            "hires-scrolling.png",
            vec![(58, 32), (69, 32)],
        ),
    ];
    for (mode, platform, picture, known) in cases {
        let Some((m, pictures)) = scrolled(mode, platform) else {
            return;
        };
        let (diffs, screen) = differences(&m, &pictures.join(picture), None);
        assert_eq!(
            diffs,
            known,
            "mode {mode} on {}:\n{screen}",
            platform.name()
        );
    }
}

/// The four 8x8 arrows, taken from the lores reference picture (up is down flipped).
fn arrow_glyphs(pictures: &std::path::Path) -> Vec<Vec<Vec<u8>>> {
    let reference = mask(&reference_grid(
        &pictures.join("lores-scrolling.png"),
        64,
        32,
    ));
    let glyph = |x0: usize, y0: usize| -> Vec<Vec<u8>> {
        (y0..y0 + 8)
            .map(|y| reference[y][x0..x0 + 8].to_vec())
            .collect()
    };
    let down = glyph(28, 6);
    let up: Vec<Vec<u8>> = down.iter().rev().cloned().collect();
    vec![down, up, glyph(22, 17), glyph(34, 17)]
}

/// XO-CHIP modes draw a 2x2 grid of 12x12 boxes (with scroll-up as the fourth arrow), for
/// which the suite has no picture. Judge them by the README's criterion: every arrow sits
/// inside its box, that is each box interior is exactly one of the four arrows (each used
/// once), surrounded by a blank ring, and nothing is lit outside the grid.
#[test]
fn scrolling_xochip_modes_put_every_arrow_in_its_box() {
    for (mode, origin) in [(4u8, (20usize, 4usize)), (5, (52, 21))] {
        let Some((m, pictures)) = scrolled(mode, Platform::XoChip) else {
            return;
        };
        let screen = mask(&screen_grid(&m));
        let glyphs = arrow_glyphs(&pictures);
        let (ox, oy) = origin;
        let mut found = Vec::new();
        for (bx, by) in [(0, 0), (11, 0), (0, 11), (11, 11)] {
            let (ix, iy) = (ox + bx + 2, oy + by + 2);
            let interior: Vec<Vec<u8>> = (iy..iy + 8)
                .map(|y| screen[y][ix..ix + 8].to_vec())
                .collect();
            let which = glyphs.iter().position(|g| *g == interior);
            assert!(
                which.is_some(),
                "mode {mode}: box at +({bx},{by}) holds no whole arrow"
            );
            found.extend(which);
            for (y, row) in screen.iter().enumerate().skip(iy - 1).take(10) {
                for (x, &p) in row.iter().enumerate().skip(ix - 1).take(10) {
                    let ring = y == iy - 1 || y == iy + 8 || x == ix - 1 || x == ix + 8;
                    assert!(!ring || p == 0, "mode {mode}: arrow spills to ({x},{y})");
                }
            }
        }
        found.sort();
        assert_eq!(found, vec![0, 1, 2, 3], "mode {mode}: each arrow once");
        for (y, row) in screen.iter().enumerate() {
            for (x, &p) in row.iter().enumerate() {
                let inside = (ox..ox + 23).contains(&x) && (oy..oy + 23).contains(&y);
                assert!(inside || p == 0, "mode {mode}: stray pixel at ({x},{y})");
            }
        }
    }
}

/// 6-keypad: keys 1 and 6 held, as in the README's pictures.
#[test]
fn keypad_ex9e_and_exa1_show_the_held_keys() {
    let held = [
        Press {
            key: 1,
            at: 30,
            frames: 1000,
        },
        Press {
            key: 6,
            at: 30,
            frames: 1000,
        },
    ];
    for p in Platform::ALL {
        check(
            "6-keypad.ch8",
            p,
            Some(1),
            120,
            &held,
            "keypad-down.png",
            None,
        );
        check(
            "6-keypad.ch8",
            p,
            Some(2),
            120,
            &held,
            "keypad-up.png",
            None,
        );
    }
}

/// 6-keypad FX0A: a key pressed for five frames and released gives "all good".
#[test]
fn keypad_fx0a_halts_until_press_and_release() {
    for p in Platform::ALL {
        check(
            "6-keypad.ch8",
            p,
            Some(3),
            120,
            &[Press {
                key: 5,
                at: 40,
                frames: 5,
            }],
            "keypad-getkey.png",
            None,
        );
    }
    // Held and never released (or never pressed): FX0A must still be waiting.
    let Some(dir) = suite() else { return };
    for presses in [
        vec![Press {
            key: 5,
            at: 40,
            frames: 1000,
        }],
        vec![],
    ] {
        let mut m = load_rom(&dir, "6-keypad.ch8", Platform::Chip8);
        m.poke(0, 0x1FF, 3).expect("0x1FF is RAM");
        run_frames(&mut m, 120, &presses);
        assert!(
            compare(&m, &dir.join("pictures/keypad-getkey.png"), None).is_err(),
            "{presses:?}"
        );
    }
}

/// 7-beep: a frame's samples are non-silent exactly when the sound timer ran at that frame's
/// tick (it was still above zero after the tick, or just reached zero from 1), and the ROM's
/// SOS comes out as three short, three long and three short tones (10 and 30 frames long, the
/// values in its table at 0x255).
#[test]
fn beep_sounds_exactly_while_the_sound_timer_runs() {
    let Some(dir) = suite() else { return };
    for p in Platform::ALL {
        let mut m = load_rom(&dir, "7-beep.ch8", p);
        let st = |m: &Chip8| {
            m.registers()
                .iter()
                .find(|r| r.name == "st")
                .map(|r| r.value)
                .unwrap_or(0)
        };
        let mut audio = Vec::new();
        let mut previous = 0;
        let mut runs: Vec<u32> = Vec::new();
        let mut run = 0;
        for f in 0..260 {
            run_frames(&mut m, 1, &[]);
            audio.clear();
            m.drain_audio(&mut audio);
            assert_eq!(audio.len(), 2 * 48_000 / 60, "one frame of stereo samples");
            let now = st(&m);
            let timer_ran = now > 0 || previous == 1;
            assert_eq!(
                common::audible(&audio),
                timer_ran,
                "{} frame {f}: st {previous} -> {now}",
                p.name()
            );
            previous = now;
            if timer_ran {
                run += 1;
            } else if run > 0 {
                runs.push(run);
                run = 0;
            }
        }
        assert_eq!(
            runs[..9],
            [10, 10, 10, 30, 30, 30, 10, 10, 10],
            "{}",
            p.name()
        );
    }
}
