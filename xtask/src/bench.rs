//! `cargo xtask bench`: every figure side by side with its peer, as JSON lines.
//!
//! Wall time and peak memory come from GNU time (`/usr/bin/time -f`), so peers and our binary
//! are measured the same way. Ratios are what matter: these machines are shared and noisy.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Wall seconds, peak resident KiB and stdout of one run.
struct Measured {
    seconds: f64,
    peak_kib: u64,
    stdout: String,
    stderr: String,
    /// The exit status was one of the expected ones.
    ok: bool,
}

/// Run `cmd` under GNU time; `stdin` is fed to it when given. `expected` lists the exit codes
/// of a good run (0 for most programs; a guest leaving through isa-debug-exit has its own).
fn measure(cmd: &mut Command, stdin: Option<&[u8]>, expected: &[i32]) -> Result<Measured, String> {
    let stats = std::env::temp_dir().join(format!("wb-bench-time-{}", std::process::id()));
    let mut timed = Command::new("/usr/bin/time");
    timed.arg("-f").arg("%e %M").arg("-o").arg(&stats).arg(cmd.get_program()).args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    timed.stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = timed.spawn().map_err(|e| format!("/usr/bin/time: {e}"))?;
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        let _ = pipe.write_all(bytes);
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&stats).map_err(|e| format!("GNU time output: {e}"))?;
    let _ = std::fs::remove_file(&stats);
    // GNU time adds "Command exited with non-zero status N" before its own line.
    let last = text.lines().last().unwrap_or_default();
    let mut fields = last.split_whitespace();
    let seconds = fields.next().and_then(|s| s.parse().ok()).ok_or_else(|| format!("bad GNU time output {last:?}"))?;
    let peak_kib = fields.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // GNU time exits with the program's status.
    let ok = out.status.code().is_some_and(|c| expected.contains(&c));
    if !ok {
        eprintln!(
            "bench: {:?} failed ({}, expected exit {expected:?}): {}",
            cmd.get_program(),
            out.status,
            stderr.lines().last().unwrap_or_default()
        );
    }
    Ok(Measured { seconds, peak_kib, stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr, ok })
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn geomean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    (values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp()
}

/// Our language's VM and tree-walker against lua5.4 and python3 on ../shared/bench/lang.
pub fn lang(root: &Path, wb: &Path) -> Result<(), String> {
    let peers = root.join("../shared/bench/lang");
    if !peers.is_dir() {
        return Err(format!("{} not found", peers.display()));
    }
    let mut vm_ratios = Vec::new();
    let mut tree_ratios = Vec::new();
    for name in ["fib", "loop", "nbody", "bintrees", "mandel", "strhash"] {
        let lua = measure(Command::new("lua5.4").arg(peers.join(format!("{name}.lua"))), None, &[0])?;
        let python = measure(Command::new("python3").arg(peers.join(format!("{name}.py"))), None, &[0])?;
        let ours = root.join(format!("roms/kite/{name}.kite"));
        for engine in ["vm", "tree"] {
            let m = measure(Command::new(wb).arg("run").arg(&ours).args(["--engine", engine]), None, &[0])?;
            let ratio = m.seconds / lua.seconds.max(1e-3);
            if engine == "vm" { vm_ratios.push(ratio) } else { tree_ratios.push(ratio) }
            println!(
                "{{\"bench\":\"lang\",\"program\":{},\"engine\":{},\"seconds\":{:.3},\"peak_kib\":{},\"lua_seconds\":{:.3},\"lua_peak_kib\":{},\"python_seconds\":{:.3},\"python_peak_kib\":{},\"ratio_vs_lua\":{:.3},\"ratio_vs_python\":{:.3},\"same_output_as_lua\":{}}}",
                json_str(name), json_str(engine), m.seconds, m.peak_kib, lua.seconds, lua.peak_kib, python.seconds,
                python.peak_kib, ratio, m.seconds / python.seconds.max(1e-3), m.ok && m.stdout == lua.stdout
            );
        }
    }
    println!(
        "{{\"bench\":\"lang\",\"summary\":true,\"vm_geomean_ratio_vs_lua\":{:.3},\"tree_geomean_ratio_vs_lua\":{:.3},\"goal\":0.8}}",
        geomean(&vm_ratios),
        geomean(&tree_ratios)
    );
    Ok(())
}

/// Our RISC-V core against qemu-riscv64 on ../shared/bench/rv, built static for RV64GC.
pub fn riscv(root: &Path, wb: &Path) -> Result<(), String> {
    let sources = root.join("../shared/bench/rv");
    let out_dir = root.join("target/bench-rv");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let mut ratios = Vec::new();
    for name in ["sieve", "crc32", "matmul", "qsort", "interp"] {
        let exe = out_dir.join(name);
        let built = Command::new("riscv64-linux-gnu-gcc")
            .args(["-O2", "-static", "-march=rv64gc", "-mabi=lp64d", "-o"])
            .arg(&exe)
            .arg(sources.join(format!("{name}.c")))
            .status()
            .map_err(|e| format!("riscv64-linux-gnu-gcc: {e}"))?;
        if !built.success() {
            return Err(format!("building {name} failed"));
        }
        let qemu = measure(Command::new("qemu-riscv64").arg(&exe), None, &[0])?;
        let ours = measure(Command::new(wb).arg("run").arg(&exe).arg("--stats"), None, &[0])?;
        let instructions = last_stat(&ours.stderr, "instructions");
        let ratio = ours.seconds / qemu.seconds.max(1e-3);
        ratios.push(ratio);
        println!(
            "{{\"bench\":\"riscv\",\"program\":{},\"seconds\":{:.3},\"qemu_seconds\":{:.3},\"ratio_vs_qemu\":{:.3},\"guest_mips\":{:.1},\"peak_kib\":{},\"qemu_peak_kib\":{},\"same_output\":{}}}",
            json_str(name), ours.seconds, qemu.seconds, ratio,
            instructions.map_or(f64::NAN, |n| n as f64 / ours.seconds.max(1e-3) / 1e6), ours.peak_kib, qemu.peak_kib,
            ours.ok && ours.stdout == qemu.stdout
        );
    }
    println!("{{\"bench\":\"riscv\",\"summary\":true,\"geomean_ratio_vs_qemu\":{:.3},\"goal\":5.0}}", geomean(&ratios));
    Ok(())
}

/// Our OS booted to its prompt and shut down, in our x86 core against qemu-system-x86_64.
pub fn x86(image: &Path, wb: &Path) -> Result<(), String> {
    let script = b"shutdown\n";
    let qemu = measure(
        Command::new("qemu-system-x86_64").args([
            "-m", "128M", "-display", "none", "-no-reboot", "-serial", "stdio", "-device",
            "isa-debug-exit,iobase=0xf4,iosize=0x04", "-drive",
        ]).arg(format!("file={},format=raw", image.display())),
        Some(script),
        &[crate::os::EXIT_SHUTDOWN],
    )?;
    // The CLI exits with the guest's code: the same one.
    let ours = measure(
        Command::new(wb).arg("run").arg(image).args(["--core", "x86", "--serial", "--until-exit", "--stats"]),
        Some(script),
        &[crate::os::EXIT_SHUTDOWN],
    )?;
    let instructions = last_stat(&ours.stderr, "instructions");
    println!(
        "{{\"bench\":\"x86\",\"program\":\"os boot+shutdown\",\"seconds\":{:.3},\"qemu_seconds\":{:.3},\"ratio_vs_qemu\":{:.3},\"guest_mips\":{:.1},\"goal\":2.0,\"both_shut_down\":{}}}",
        ours.seconds, qemu.seconds, ours.seconds / qemu.seconds.max(1e-3),
        instructions.map_or(f64::NAN, |n| n as f64 / ours.seconds.max(1e-3) / 1e6),
        ours.ok && qemu.ok
    );
    Ok(())
}

/// `--stats` prints `workbench-stats: instructions=N cycles=N seconds=S` on stderr.
fn last_stat(stdout: &str, key: &str) -> Option<u64> {
    let line = stdout.lines().rev().find(|l| l.starts_with("workbench-stats:"))?;
    line.split_whitespace().find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

/// The Game Boy core's speed on a test ROM, as a multiple of real time.
pub fn gb(root: &Path, wb: &Path) -> Result<(), String> {
    let rom: PathBuf = root.join("../shared/testroms/blargg-gb/cpu_instrs/cpu_instrs.gb");
    let status = Command::new(wb).args(["bench", "gb"]).arg(&rom).status().map_err(|e| e.to_string())?;
    if status.success() { Ok(()) } else { Err("workbench bench gb failed".into()) }
}

/// UI frame time with every panel open on software rendering (Xvfb, with lavapipe through
/// Vulkan and llvmpipe through GL), printed by the app when WORKBENCH_BENCH_UI_FRAMES is set;
/// its peer, measured alternately in the same run, is the window showing the screen panel
/// alone. Then rewind memory per emulated minute, measured headless by `workbench bench
/// rewind` (its peer: the same snapshots uncompressed).
pub fn ui(root: &Path, wb: &Path) -> Result<(), String> {
    const REPEATS: usize = 3;
    let demo = root.join("roms/chip8/demo.ch8");
    let xvfb = Xvfb::start()?;
    for backend in ["vulkan", "gl"] {
        let mut all = Vec::new();
        let mut alone = Vec::new();
        for _ in 0..REPEATS {
            all.push(ui_run(wb, &demo, &xvfb.display, backend, None)?);
            alone.push(ui_run(wb, &demo, &xvfb.display, backend, Some("screen"))?);
        }
        let (all, alone) = (median(&mut all), median(&mut alone));
        println!(
            "{{\"bench\":\"ui_frame_time\",\"summary\":true,\"backend\":{},\"runs\":{REPEATS},\"median_frame_ms_all_panels\":{all:.3},\"median_frame_ms_screen_only\":{alone:.3},\"ratio_vs_screen_only\":{:.3}}}",
            json_str(backend),
            all / alone.max(1e-3)
        );
    }
    drop(xvfb);
    let gb_rom = root.join("../shared/testroms/blargg-gb/cpu_instrs/cpu_instrs.gb");
    let mut roms = vec![demo];
    if gb_rom.is_file() {
        roms.push(gb_rom);
    } else {
        eprintln!("bench: skipped: {} not found (rewind memory of a Game Boy ROM)", gb_rom.display());
    }
    for rom in roms {
        status(Command::new(wb).args(["bench", "rewind"]).arg(&rom))?;
    }
    Ok(())
}

/// One window run of the UI benchmark (its JSON line goes to stdout as is): the median
/// frame time it measured.
fn ui_run(wb: &Path, rom: &Path, display: &str, backend: &str, panels: Option<&str>) -> Result<f64, String> {
    let scratch = std::env::temp_dir().join(format!("wb-bench-ui-{}", std::process::id()));
    let runtime = scratch.join("runtime");
    let _ = std::fs::create_dir_all(&runtime);
    let mut cmd = Command::new(wb);
    cmd.arg(rom)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("WGPU_BACKEND", backend)
        .env("WORKBENCH_CONFIG_DIR", scratch.join("config"))
        .env("WORKBENCH_BENCH_UI_FRAMES", "60")
        .stderr(Stdio::null());
    if let Some(p) = panels {
        cmd.env("WORKBENCH_BENCH_PANELS", p);
    }
    let out = cmd.output().map_err(|e| format!("UI bench: {e}"));
    let _ = std::fs::remove_dir_all(&scratch);
    let out = out?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    if !out.status.success() {
        return Err(format!("UI bench ({backend}) failed ({})", out.status));
    }
    json_number(&text, "median_frame_ms").ok_or_else(|| format!("UI bench ({backend}): no figure in {text:?}"))
}

/// The number after `"key":` in a JSON line.
fn json_number(text: &str, key: &str) -> Option<f64> {
    let at = text.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = &text[at..];
    let end = rest.find(|c: char| c != '.' && c != '-' && !c.is_ascii_digit()).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn status(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let st = cmd.status().map_err(|e| format!("{shown}: {e}"))?;
    if st.success() { Ok(()) } else { Err(format!("{shown} failed ({st})")) }
}

/// An Xvfb server on a free display (Xvfb picks it and reports it through `-displayfd`);
/// stopped when dropped.
struct Xvfb {
    child: std::process::Child,
    display: String,
}

impl Xvfb {
    fn start() -> Result<Xvfb, String> {
        use std::io::BufRead;
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("Xvfb: {e} (install the xvfb package)"))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = std::io::BufReader::new(out).read_line(&mut line);
        }
        let number = line.trim();
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("Xvfb did not report its display (got {number:?})"));
        }
        Ok(Xvfb { display: format!(":{number}"), child })
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_read_back_from_json_lines() {
        let line = "{\"bench\":\"ui_frame_time\",\"median_frame_ms\":12.500,\"frames\":60}\n";
        assert_eq!(json_number(line, "median_frame_ms"), Some(12.5));
        assert_eq!(json_number(line, "frames"), Some(60.0));
        assert_eq!(json_number(line, "missing"), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
    }
}
