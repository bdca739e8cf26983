//! Benchmarks as JSON lines (not tests): boot-to-prompt of our OS in this core and under
//! `qemu-system-x86_64` (TCG) in the same run, and interpreter MIPS on a tight loop.
//!
//! `cargo run --release -p wb-x86 --example bench -- [disk.img]` (default: target/os/disk.img).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wb_machine::{Budget, Machine};
use wb_x86::Pc;
use wb_x86::bare::BareCpu;

const PROMPT: &str = "wbos> ";

/// Seconds from power-on to the shell prompt in our core, and the instructions it took.
fn ours(image: &[u8]) -> Option<(f64, u64)> {
    let start = Instant::now();
    let mut pc = Pc::new(image.to_vec()).ok()?;
    let mut seen = Vec::new();
    for _ in 0..60 * 60 {
        pc.run(Budget::Frame);
        pc.drain_serial(&mut seen);
        if String::from_utf8_lossy(&seen).contains(PROMPT) {
            return Some((start.elapsed().as_secs_f64(), pc.instructions_retired()));
        }
    }
    None
}

/// Seconds from launch to the shell prompt under QEMU (TCG), with the OS test's flags.
fn qemu(path: &str) -> Option<f64> {
    let scratch = std::env::temp_dir().join(format!("wb-x86-bench-{}.img", std::process::id()));
    std::fs::copy(path, &scratch).ok()?;
    let start = Instant::now();
    let mut child = Command::new("qemu-system-x86_64")
        .args([
            "-m",
            "128M",
            "-display",
            "none",
            "-no-reboot",
            "-serial",
            "stdio",
        ])
        .args([
            "-device",
            "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-drive",
        ])
        .arg(format!("file={},format=raw", scratch.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut out = child.stdout.take()?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let mut result = None;
    while start.elapsed() < Duration::from_secs(30) {
        match out.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
        if String::from_utf8_lossy(&seen).contains(PROMPT) {
            result = Some(start.elapsed().as_secs_f64());
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&scratch);
    result
}

fn mips() -> f64 {
    // mov ecx, N; L: add rax, rcx; xor rdx, rax; mov [rsp-8], rdx; dec ecx; jnz L; hlt
    let n: u32 = 10_000_000;
    let mut code = vec![0xB9];
    code.extend(n.to_le_bytes());
    code.extend([
        0x48, 0x01, 0xC8, 0x48, 0x31, 0xC2, 0x48, 0x89, 0x54, 0x24, 0xF8, 0xFF, 0xC9, 0x75, 0xF2,
        0xF4,
    ]);
    let mut cpu = BareCpu::new_long(1 << 20);
    cpu.mem_mut()[0x1000..0x1000 + code.len()].copy_from_slice(&code);
    cpu.set_ip(0x1000);
    cpu.set_gpr(4, 0x8000);
    let start = Instant::now();
    let mut steps = 0u64;
    while !cpu.halted() {
        cpu.step();
        steps += 1;
    }
    steps as f64 / start.elapsed().as_secs_f64() / 1e6
}

fn main() {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/os/disk.img").to_string();
    let path = std::env::args().nth(1).unwrap_or(default);
    println!("{{\"bench\":\"x86_loop_mips\",\"mips\":{:.1}}}", mips());
    let Ok(image) = std::fs::read(&path) else {
        println!("{{\"bench\":\"x86_boot\",\"skipped\":\"no OS image at {path}\"}}");
        return;
    };
    let best = |f: &dyn Fn() -> Option<f64>| {
        (0..3)
            .filter_map(|_| f())
            .fold(None, |a: Option<f64>, t| Some(a.map_or(t, |a| a.min(t))))
    };
    let ours_s = best(&|| ours(&image).map(|(t, _)| t));
    let instructions = ours(&image).map(|(_, n)| n).unwrap_or(0);
    let qemu_s = best(&|| qemu(&path));
    let fmt = |v: Option<f64>| v.map_or("null".to_string(), |v| format!("{v:.3}"));
    println!(
        "{{\"bench\":\"x86_boot_to_prompt\",\"ours_s\":{},\"qemu_tcg_s\":{},\"instructions\":{instructions}}}",
        fmt(ours_s),
        fmt(qemu_s)
    );
}
