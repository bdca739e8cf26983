//! Boot a disk image headless and print COM1: `cargo run -p wb-x86 --example boot -- disk.img [frames]`.

use std::io::Write;

use wb_machine::{Budget, Machine, StopReason};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: boot DISK.IMG [FRAMES]");
        std::process::exit(2);
    };
    let frames: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(600);
    let image = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let mut pc = match wb_x86::Pc::new(image) {
        Ok(pc) => pc,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let start = std::time::Instant::now();
    let mut out = Vec::new();
    let mut stop = StopReason::BudgetSpent;
    let mut seen = String::new();
    let mut prompt_at = None;
    // Lines of $BOOT_INPUT are typed on COM1 one second of guest time apart.
    let input: Vec<String> = std::env::var("BOOT_INPUT")
        .map(|s| s.split(';').map(|l| format!("{l}\n")).collect())
        .unwrap_or_default();
    for frame in 0..frames {
        if frame % 60 == 59
            && let Some(line) = input.get((frame / 60) as usize)
        {
            pc.serial_in(line.as_bytes());
        }
        let r = pc.run(Budget::Frame);
        pc.drain_serial(&mut out);
        std::io::stdout().write_all(&out).ok();
        seen.push_str(&String::from_utf8_lossy(&out));
        if prompt_at.is_none() && seen.contains("wbos> ") {
            prompt_at = Some((start.elapsed().as_secs_f64(), pc.instructions_retired()));
        }
        out.clear();
        if r.stop != StopReason::FrameDone {
            stop = r.stop;
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    if let Some((t, n)) = prompt_at {
        eprintln!("\nprompt after {t:.3}s wall, {n} instructions");
    }
    eprintln!(
        "\nstop: {stop:?}; {} instructions in {secs:.2}s ({:.1} MIPS)",
        pc.instructions_retired(),
        pc.instructions_retired() as f64 / secs / 1e6
    );
    for r in pc.registers() {
        eprint!("{}={:#x} ", r.name, r.value);
    }
    eprintln!();
    for l in pc.disassemble(pc.pc(), 4) {
        eprintln!("{:#x}: {}", l.addr, l.text);
    }
}
