//! `workbench bench ...`: figures as JSON lines, one object per measurement.
//!
//! Benchmarks report rates and ratios; they are never run as timed tests.

use std::time::Instant;

use clap::Args;
use wb_machine::{Budget, Machine, StopReason};

use crate::cli::BadInput;
use crate::loader::{self, LoadOptions};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// What to measure: chip8.
    target: String,
    /// Target-specific arguments (a ROM for `gb`).
    rest: Vec<String>,
    /// Seconds of wall time to measure for each figure.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
}

pub fn main(args: &BenchArgs) -> Result<(), BadInput> {
    match args.target.as_str() {
        "chip8" => chip8(args),
        "gb" => gb(args),
        other => Err(BadInput(format!("bench: unknown target '{other}' (known: chip8, gb)"))),
    }
}

/// A CHIP-8 loop with the usual instruction mix: ALU, index arithmetic, a sprite draw,
/// a skip and a jump.
const CHIP8_BENCH_ROM: &[u8] = &[
    0x60, 0x00, // 200: v0 := 0
    0x61, 0x01, // 202: v1 := 1
    0x80, 0x14, // 204: v0 += v1
    0x71, 0x01, // 206: v1 += 1
    0x82, 0x03, // 208: v2 ^= v0
    0xA2, 0x00, // 20A: i := 0x200
    0xF0, 0x1E, // 20C: i += v0
    0xD0, 0x15, // 20E: sprite v0 v1 5
    0x32, 0x07, // 210: if v2 != 7 then (skip when equal)
    0x12, 0x04, // 212: jump 0x204
    0x12, 0x04, // 214: jump 0x204
];

fn chip8(args: &BenchArgs) -> Result<(), BadInput> {
    let opts = LoadOptions { core: Some("schip".into()), ..LoadOptions::default() };
    let mut machine = loader::load_bytes("bench.ch8", CHIP8_BENCH_ROM, &opts)?;
    let rate = instructions_per_second(machine.as_mut(), args.seconds)?;
    print_json(&serde_json::json!({
        "bench": "chip8",
        "program": "alu+sprite loop",
        "instructions_per_second": rate.round(),
    }));
    Ok(())
}

/// Emulated Game Boy frames per second of wall time, headless, and the multiple of real time.
fn gb(args: &BenchArgs) -> Result<(), BadInput> {
    let rom = args.rest.first().ok_or_else(|| BadInput("bench gb: give a ROM: workbench bench gb ROM".into()))?;
    let mut machine = loader::load_file(std::path::Path::new(rom), &LoadOptions::default())?;
    let info = machine.info();
    // Warm up past the boot-time screens, then measure whole frames.
    for _ in 0..60 {
        machine.run(Budget::Frame);
    }
    let start = Instant::now();
    let mut frames = 0u64;
    while start.elapsed().as_secs_f64() < args.seconds {
        if let StopReason::Fault(f) = machine.run(Budget::Frame).stop {
            return Err(BadInput(format!("bench: guest fault: {f}")));
        }
        frames += 1;
    }
    let fps = frames as f64 / start.elapsed().as_secs_f64();
    print_json(&serde_json::json!({
        "bench": "gb",
        "rom": rom,
        "frames_per_second": (fps * 10.0).round() / 10.0,
        "times_real_time": (fps / info.frame_rate * 10.0).round() / 10.0,
        "goal_times_real_time": 300,
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

fn print_json(value: &serde_json::Value) {
    println!("{value}");
}
