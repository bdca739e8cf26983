//! `workbench bench ...`: figures as JSON lines, one object per measurement.
//!
//! Benchmarks report rates and ratios; they are never run as timed tests.

use std::time::Instant;

use clap::Args;
use wb_machine::{Budget, Machine, StopReason};

use crate::cli::BadInput;
use crate::debugger::session::HISTORY_BUDGET;
use crate::debugger::{Debugger, Stop};
use crate::loader::{self, LoadOptions};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// What to measure: chip8, gb ROM, rewind ROM.
    target: String,
    /// Target-specific arguments (a ROM for `gb` and `rewind`).
    rest: Vec<String>,
    /// Seconds of wall time to measure for each figure.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
}

pub fn main(args: &BenchArgs) -> Result<(), BadInput> {
    match args.target.as_str() {
        "chip8" => chip8(args),
        "gb" => gb(args),
        "rewind" => rewind(args),
        other => Err(BadInput(format!(
            "bench: unknown target '{other}' (known: chip8, gb, rewind)"
        ))),
    }
}

/// CHIP-8 programs for `bench chip8`, each an endless loop: (name, ROM).
const CHIP8_BENCH_ROMS: [(&str, &[u8]); 3] = [
    (
        // ALU, index arithmetic, a lores sprite from the font, a skip and a jump.
        "alu+sprite loop",
        &[
            0x60, 0x00, // 200: v0 := 0
            0x61, 0x01, // 202: v1 := 1
            0x80, 0x14, // 204: v0 += v1
            0x71, 0x01, // 206: v1 += 1
            0x82, 0x03, // 208: v2 ^= v0
            0xA0, 0x00, // 20A: i := 0x000 (the font)
            0xF0, 0x1E, // 20C: i += v0
            0xD0, 0x15, // 20E: sprite v0 v1 5
            0x32, 0x07, // 210: if v2 != 7 then (skip when equal)
            0x12, 0x04, // 212: jump 0x204
            0x12, 0x04, // 214: jump 0x204
        ],
    ),
    (
        "alu loop",
        &[
            0x60, 0x00, // 200: v0 := 0
            0x61, 0x01, // 202: v1 := 1
            0x80, 0x14, // 204: v0 += v1
            0x71, 0x01, // 206: v1 += 1
            0x82, 0x03, // 208: v2 ^= v0
            0x83, 0x25, // 20A: v3 -= v2
            0x12, 0x04, // 20C: jump 0x204
        ],
    ),
    (
        "hires 16x16 sprite loop",
        &[
            0x00, 0xFF, // 200: hires
            0xA0, 0x50, // 202: i := 0x050 (the big font)
            0x70, 0x03, // 204: v0 += 3
            0x71, 0x01, // 206: v1 += 1
            0xD0, 0x10, // 208: sprite v0 v1 0 (16x16)
            0x12, 0x04, // 20A: jump 0x204
        ],
    ),
];

fn chip8(args: &BenchArgs) -> Result<(), BadInput> {
    let opts = LoadOptions {
        core: Some("schip".into()),
        ..LoadOptions::default()
    };
    for (program, rom) in CHIP8_BENCH_ROMS {
        let mut machine = loader::load_bytes("bench.ch8", rom, &opts)?;
        let rate = instructions_per_second(machine.as_mut(), args.seconds)?;
        print_json(&serde_json::json!({
            "bench": "chip8",
            "program": program,
            "platform": machine.info().name,
            "instructions_per_second": rate.round(),
            "counts": "executed instructions (display-wait idle slots excluded)",
        }));
    }
    Ok(())
}

/// Emulated Game Boy frames per second of wall time, headless, and the multiple of real time.
///
/// Two figures: `busy` runs the ROM from power-on for `BUSY_FRAMES` frames again and again
/// (a test ROM computes all that time), `steady` measures whatever the ROM does after that
/// (for a test ROM that has finished, its idle loop, which the core fast-forwards).
fn gb(args: &BenchArgs) -> Result<(), BadInput> {
    /// About 55 emulated seconds: the time blargg's cpu_instrs needs to finish on a DMG.
    const BUSY_FRAMES: u64 = 3300;
    let rom = args
        .rest
        .first()
        .ok_or_else(|| BadInput("bench gb: give a ROM: workbench bench gb ROM".into()))?;
    let load = || loader::load_file(std::path::Path::new(rom), &LoadOptions::default());
    let run_frames = |machine: &mut dyn Machine, frames: u64| -> Result<(), BadInput> {
        for _ in 0..frames {
            if let StopReason::Fault(f) = machine.run(Budget::Frame).stop {
                return Err(BadInput(format!("bench: guest fault: {f}")));
            }
        }
        Ok(())
    };
    let frame_rate = load()?.info().frame_rate;
    let figure = |phase: &str, frames: u64, secs: f64| {
        let fps = frames as f64 / secs;
        print_json(&serde_json::json!({
            "bench": "gb",
            "rom": rom,
            "phase": phase,
            "frames": frames,
            "frames_per_second": (fps * 10.0).round() / 10.0,
            "times_real_time": (fps / frame_rate * 10.0).round() / 10.0,
            "goal_times_real_time": 300,
        }));
    };

    let start = Instant::now();
    let mut busy = 0;
    let mut machine = load()?;
    while busy == 0 || start.elapsed().as_secs_f64() < args.seconds {
        machine = load()?;
        run_frames(machine.as_mut(), BUSY_FRAMES)?;
        busy += BUSY_FRAMES;
    }
    figure("busy", busy, start.elapsed().as_secs_f64());

    let start = Instant::now();
    let mut steady = 0;
    while start.elapsed().as_secs_f64() < args.seconds {
        run_frames(machine.as_mut(), 60)?;
        steady += 60;
    }
    figure("steady", steady, start.elapsed().as_secs_f64());
    Ok(())
}

/// Rewind memory: the compressed snapshots the window's debugger keeps for one emulated
/// minute of a ROM, taken as the emulation thread takes them (one per frame), against
/// the same states uncompressed.
fn rewind(args: &BenchArgs) -> Result<(), BadInput> {
    let rom = args
        .rest
        .first()
        .ok_or_else(|| BadInput("bench rewind: give a ROM: workbench bench rewind ROM".into()))?;
    let mut machine = loader::load_file(std::path::Path::new(rom), &LoadOptions::default())?;
    let info = machine.info();
    if info.frame_rate <= 0.0 {
        return Err(BadInput(format!(
            "bench rewind: {} has no video frames",
            info.long_name
        )));
    }
    let frames = (info.frame_rate * 60.0).round() as u64;
    let m = machine.as_mut();
    let mut dbg = Debugger::new();
    // Measure a whole minute: nothing may be dropped for the budget.
    dbg.history_mut().set_budget(usize::MAX);
    dbg.attach(m);
    let start = Instant::now();
    let mut raw_bytes = 0u64;
    for frame in 0..frames {
        let before = m.instructions_retired();
        let snapshots = dbg.history().len();
        let stop = dbg.run(m, Budget::Frame);
        if dbg.history().len() > snapshots {
            // The snapshot this frame took, before deflating.
            raw_bytes += m.save_state().len() as u64;
        }
        if frame == 0 {
            // As the emulation thread does: one snapshot per frame's worth of instructions.
            let per_frame = m.instructions_retired().saturating_sub(before);
            dbg.history_mut().set_interval(per_frame.max(1));
        }
        if let Stop::Machine(StopReason::Fault(f)) = stop {
            return Err(BadInput(format!("bench: guest fault: {f}")));
        }
    }
    let bytes = dbg.history().bytes() as f64;
    let per_minute = bytes * 60.0 * info.frame_rate / frames as f64;
    print_json(&serde_json::json!({
        "bench": "rewind_memory",
        "rom": rom,
        "core": info.name,
        "emulated_frames": frames,
        "snapshots": dbg.history().len(),
        "bytes_per_emulated_minute": per_minute.round(),
        "uncompressed_bytes_per_emulated_minute": raw_bytes,
        "ratio_vs_uncompressed": (bytes / (raw_bytes as f64).max(1.0) * 1000.0).round() / 1000.0,
        "history_budget_bytes": HISTORY_BUDGET,
        "minutes_in_budget": (HISTORY_BUDGET as f64 / per_minute.max(1.0) * 10.0).round() / 10.0,
        "seconds": (start.elapsed().as_secs_f64() * 100.0).round() / 100.0,
    }));
    Ok(())
}

/// Run `Budget::Instructions` chunks for about `seconds` and return the rate.
fn instructions_per_second(machine: &mut dyn Machine, seconds: f64) -> Result<f64, BadInput> {
    const CHUNK: u64 = 1_000_000;
    let start = Instant::now();
    let before = machine.instructions_retired();
    while start.elapsed().as_secs_f64() < seconds {
        let result = machine.run(Budget::Instructions(CHUNK));
        if let StopReason::Fault(f) = result.stop {
            return Err(BadInput(format!("bench: guest fault: {f}")));
        }
    }
    let retired = machine.instructions_retired() - before;
    Ok(retired as f64 / start.elapsed().as_secs_f64())
}

/// One JSON line on stdout. A closed pipe (`| head -1`) is not an error of the benchmark.
fn print_json(value: &serde_json::Value) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}").and_then(|()| out.flush());
}
