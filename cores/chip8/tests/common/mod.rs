//! Shared helpers for the ROM tests: finding the third-party suites, running a ROM, and
//! judging a screen the way the external scoreboard (`shared/scoreboard/screens.py`) does.
#![allow(dead_code)] // each test file uses a different subset

use std::path::PathBuf;

use wb_chip8::{Chip8, Config, Platform};
use wb_machine::{Budget, InputEvent, Machine, StopReason};

/// `$WORKBENCH_TESTROMS`, or `<workspace>/../shared/testroms`.
pub fn testroms() -> PathBuf {
    match std::env::var_os("WORKBENCH_TESTROMS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testroms"),
    }
}

/// The Timendus suite, or `None` (after saying so) when it is not installed.
pub fn suite() -> Option<PathBuf> {
    let dir = testroms().join("chip8-test-suite");
    if dir.join("bin").is_dir() {
        Some(dir)
    } else {
        println!("skipped: chip8-test-suite not found at {}", dir.display());
        None
    }
}

pub fn machine(rom: &[u8], platform: Platform) -> Chip8 {
    Chip8::new(rom, Config::for_platform(platform)).expect("test ROM loads")
}

pub fn load_rom(suite: &std::path::Path, name: &str, platform: Platform) -> Chip8 {
    let rom = std::fs::read(suite.join("bin").join(name)).expect("test ROM readable");
    machine(&rom, platform)
}

/// A key held from one frame for a number of frames.
#[derive(Clone, Copy, Debug)]
pub struct Press {
    pub key: usize,
    pub at: u64,
    pub frames: u64,
}

/// Run `frames` frames, pressing and releasing keys at frame boundaries as the CLI's
/// `--press KEY@FRAME:FRAMES` does. Panics on a stop other than a finished frame.
pub fn run_frames(m: &mut Chip8, frames: u64, presses: &[Press]) {
    for f in 0..frames {
        for p in presses {
            if p.at == f {
                m.input(InputEvent::Button {
                    index: p.key,
                    pressed: true,
                });
            }
            if p.at + p.frames == f {
                m.input(InputEvent::Button {
                    index: p.key,
                    pressed: false,
                });
            }
        }
        let r = m.run(Budget::Frame);
        assert_eq!(r.stop, StopReason::FrameDone, "frame {f}");
    }
}

pub type Rgb = [u8; 3];
pub type Grid = Vec<Vec<Rgb>>;

/// The machine's screen as colours, one per native pixel.
pub fn screen_grid(m: &Chip8) -> Grid {
    let f = m.frame();
    (0..f.height)
        .map(|y| {
            (0..f.width)
                .map(|x| {
                    let i = (y * f.width + x) * 4;
                    [f.rgba[i], f.rgba[i + 1], f.rgba[i + 2]]
                })
                .collect()
        })
        .collect()
}

/// A reference picture sampled at cell centres down to w x h (`screens.sample`).
pub fn reference_grid(path: &std::path::Path, w: usize, h: usize) -> Grid {
    let img = image::open(path).expect("reference picture").to_rgb8();
    let sx = img.width() as f64 / w as f64;
    let sy = img.height() as f64 / h as f64;
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| {
                    let px = ((x as f64 + 0.5) * sx) as u32;
                    let py = ((y as f64 + 0.5) * sy) as u32;
                    img.get_pixel(px, py).0
                })
                .collect()
        })
        .collect()
}

/// 1 where a pixel is far from the most common colour (`screens.mask`).
pub fn mask(grid: &Grid) -> Vec<Vec<u8>> {
    // Most common colour; on a tie the first one met in row-major order, as Counter does.
    let mut counts: Vec<(Rgb, usize)> = Vec::new();
    for c in grid.iter().flatten() {
        match counts.iter_mut().find(|(k, _)| k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((*c, 1)),
        }
    }
    let best = counts.iter().map(|&(_, n)| n).max().unwrap_or(0);
    let bg = counts
        .iter()
        .find(|&&(_, n)| n == best)
        .map(|&(c, _)| c)
        .unwrap_or([0; 3]);
    let near = |c: &Rgb| {
        c.iter()
            .zip(bg)
            .map(|(&a, b)| (a as i32 - b as i32).abs())
            .sum::<i32>()
            <= 48
    };
    grid.iter()
        .map(|row| row.iter().map(|c| u8::from(!near(c))).collect())
        .collect()
}

/// The pixels (x, y) where the screen's mask differs from a reference picture's, looking
/// only at columns from `from` (a fraction of the width) on, as the scoreboard does.
pub fn differences(
    m: &Chip8,
    reference: &std::path::Path,
    from: Option<f64>,
) -> (Vec<(usize, usize)>, String) {
    let ours = mask(&screen_grid(m));
    let h = ours.len();
    let w = ours.first().map_or(0, Vec::len);
    let theirs = mask(&reference_grid(reference, w, h));
    let x0 = from.map_or(0, |f| (w as f64 * f) as usize);
    let mut diffs = Vec::new();
    for (y, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        for x in x0..w {
            if a[x] != b[x] {
                diffs.push((x, y));
            }
        }
    }
    let mut picture = format!("ours | {} (from x={x0})\n", reference.display());
    for (a, b) in ours.iter().zip(&theirs) {
        let row = |r: &[u8]| {
            r.iter()
                .map(|&p| if p == 1 { '#' } else { '.' })
                .collect::<String>()
        };
        picture += &format!("{} | {}\n", row(a), row(b));
    }
    (diffs, picture)
}

/// Compare the screen with a reference picture; on a mismatch the error shows both masks.
pub fn compare(m: &Chip8, reference: &std::path::Path, from: Option<f64>) -> Result<(), String> {
    let (diffs, picture) = differences(m, reference, from);
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} pixels differ: {diffs:?}\n{picture}",
            diffs.len()
        ))
    }
}

/// True when some sample of the stereo buffer is not silence.
pub fn audible(samples: &[f32]) -> bool {
    samples.iter().any(|&s| s.abs() > 1e-4)
}

/// Big-endian bytes of a list of opcode words.
pub fn program(words: &[u16]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// A machine with the given words at 0x200 and the platform's default configuration.
pub fn words(platform: Platform, words: &[u16]) -> Chip8 {
    machine(&program(words), platform)
}

/// Run exactly `n` instructions; panics if anything stops the machine earlier.
pub fn exec(m: &mut Chip8, n: u64) {
    let r = m.run(Budget::Instructions(n));
    assert_eq!(r.stop, StopReason::BudgetSpent);
}

/// A register by name.
pub fn reg(m: &Chip8, name: &str) -> u128 {
    m.registers()
        .into_iter()
        .find(|r| r.name == name)
        .map(|r| r.value)
        .expect("register exists")
}

/// Lit pixels (x, y) of the frame, row-major.
pub fn lit(m: &Chip8) -> Vec<(usize, usize)> {
    let f = m.frame();
    let bg = [0x99, 0x66, 0x00];
    (0..f.height)
        .flat_map(|y| (0..f.width).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let i = (y * f.width + x) * 4;
            f.rgba[i..i + 3] != bg
        })
        .collect()
}
