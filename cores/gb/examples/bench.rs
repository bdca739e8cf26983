//! Emulated frames per second, headless: `cargo run --release -p wb-gb --example bench -- ROM [FRAMES]`.
//! Prints one JSON line (the CLI's `workbench bench gb ROM` reports the same figures).

use std::time::Instant;

use wb_gb::GameBoy;
use wb_machine::{Budget, Machine};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: bench ROM [FRAMES]");
        std::process::exit(2);
    };
    let frames: u32 = args.get(2).and_then(|f| f.parse().ok()).unwrap_or(3000);
    let rom = match std::fs::read(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let mut gb = match GameBoy::new(&rom, None) {
        Ok(gb) => gb,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let mut audio = Vec::new();
    let start = Instant::now();
    for _ in 0..frames {
        gb.run(Budget::Frame);
        audio.clear();
        gb.drain_audio(&mut audio);
    }
    let secs = start.elapsed().as_secs_f64();
    let fps = frames as f64 / secs;
    let rate = gb.info().frame_rate;
    println!(
        "{{\"core\":\"gb\",\"rom\":{path:?},\"frames\":{frames},\"seconds\":{secs:.3},\"fps\":{fps:.0},\"realtime\":{:.1}}}",
        fps / rate
    );
}
