//! Helpers shared by the integration tests: cross compilers, build folders, running a
//! program to its end.

#![allow(dead_code, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use wb_machine::{Budget, Machine, StopReason};
use wb_riscv::{LinuxOptions, RiscV};

pub const LINUX_GCC: &str = "riscv64-linux-gnu-gcc";
pub const ELF_GCC: &str = "riscv64-unknown-elf-gcc";

/// `<workspace>/roms/riscv`.
pub fn roms() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms/riscv")
}

/// True when `tool` runs; otherwise prints the skip line the CI log shows.
pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        println!("skipped: {tool} not found");
    }
    ok
}

/// A fresh build folder for one test, inside cargo's target tmp dir.
pub fn build_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wb-riscv").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create build dir");
    dir
}

/// Compile with `compiler` and `flags`; panics with the compiler's message on failure.
pub fn compile(compiler: &str, sources: &[PathBuf], out: &Path, flags: &[&str]) {
    let output = Command::new(compiler)
        .args(sources)
        .args(flags)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("{compiler}: {e}"));
    assert!(output.status.success(), "{compiler} failed:\n{}", String::from_utf8_lossy(&output.stderr));
}

/// Build a static Linux program from C or assembly under roms/riscv.
pub fn build_linux(dir: &Path, src: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(Path::new(src).file_stem().expect("file name"));
    let mut flags = vec!["-O2", "-static", "-march=rv64gc", "-mabi=lp64d", "-g"];
    flags.extend_from_slice(extra);
    compile(LINUX_GCC, &[roms().join(src)], &out, &flags);
    out
}

/// What a program did.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub raw: Vec<u8>,
    pub stop: StopReason,
    pub machine: RiscV,
}

/// Load and run `elf` until it ends (or `max` instructions), collecting its console output.
pub fn run_elf(elf: &Path, args: &[&str], sandbox: Option<&Path>, max: u64) -> Outcome {
    run_elf_in(elf, args, sandbox, false, max)
}

/// [`run_elf`] with the sandbox writable or not.
pub fn run_elf_in(elf: &Path, args: &[&str], sandbox: Option<&Path>, writable: bool, max: u64) -> Outcome {
    let bytes = std::fs::read(elf).expect("read elf");
    let mut argv = vec![elf.to_string_lossy().into_owned()];
    argv.extend(args.iter().map(|s| s.to_string()));
    let opts = LinuxOptions {
        args: argv,
        env: vec!["LANG=C".into()],
        sandbox: sandbox.map(Path::to_path_buf),
        sandbox_writable: writable,
        host_stdio: false,
    };
    let m = RiscV::load_elf(&bytes, opts).unwrap_or_else(|e| panic!("load {}: {e}", elf.display()));
    run_machine(m, max)
}

/// Run a loaded machine to its end.
pub fn run_machine(mut m: RiscV, max: u64) -> Outcome {
    let mut out = Vec::new();
    let mut spent = 0;
    let stop = loop {
        let r = m.run(Budget::Instructions(50_000_000));
        spent += r.cycles;
        m.drain_serial(&mut out);
        match r.stop {
            StopReason::BudgetSpent if spent < max => continue,
            StopReason::DebugTrap { .. } => continue,
            other => break other,
        }
    };
    Outcome { code: m.exit_code(), stdout: String::from_utf8_lossy(&out).into_owned(), raw: out, stop, machine: m }
}

/// Run a native (host) program and return its stdout.
pub fn run_native(exe: &Path, args: &[&str]) -> String {
    let out = Command::new(exe).args(args).output().expect("run native");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A hand-made 64-bit RISC-V ELF with one segment at 0x8000_0000 holding `j .`.
pub fn tiny_elf() -> Vec<u8> {
    let mut e = vec![0u8; 0x78 + 4];
    e[..4].copy_from_slice(b"\x7fELF");
    e[4] = 2; // 64-bit
    e[5] = 1; // little endian
    e[6] = 1;
    e[16] = 2; // ET_EXEC
    e[18] = 243; // EM_RISCV
    e[20] = 1;
    e[24..32].copy_from_slice(&0x8000_0000u64.to_le_bytes()); // entry
    e[32..40].copy_from_slice(&64u64.to_le_bytes()); // phoff
    e[52] = 64; // ehsize
    e[54] = 56; // phentsize
    e[56] = 1; // phnum
    let ph = 64;
    e[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    e[ph + 4..ph + 8].copy_from_slice(&5u32.to_le_bytes()); // R+X
    e[ph + 8..ph + 16].copy_from_slice(&0x78u64.to_le_bytes()); // offset
    e[ph + 16..ph + 24].copy_from_slice(&0x8000_0000u64.to_le_bytes()); // vaddr
    e[ph + 24..ph + 32].copy_from_slice(&0x8000_0000u64.to_le_bytes()); // paddr
    e[ph + 32..ph + 40].copy_from_slice(&4u64.to_le_bytes()); // filesz
    e[ph + 40..ph + 48].copy_from_slice(&4u64.to_le_bytes()); // memsz
    e[0x78..0x7c].copy_from_slice(&0x0000_006fu32.to_le_bytes()); // j .
    e
}

/// True when Zig (the C compiler we use for musl and RV32 Linux programs) runs as
/// `python3 -m ziglang`; otherwise prints the skip line the CI log shows.
pub fn have_zig() -> bool {
    let ok = Command::new("python3")
        .args(["-m", "ziglang", "version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        println!("skipped: zig not found (python3 -m pip install ziglang)");
    }
    ok
}

/// Build a static musl program from C under roms/riscv with `zig cc` for `triple`
/// (`riscv64-linux-musl` or `riscv32-linux-musl`). Zig keeps its libc build in its global
/// cache (~/.cache/zig), so only the first build on a machine is slow.
pub fn build_musl(dir: &Path, triple: &str, src: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(Path::new(src).file_stem().expect("file name"));
    let output = Command::new("python3")
        .args(["-m", "ziglang", "cc", "-target", triple, "-static", "-O2", "-g"])
        .arg(roms().join(src))
        .args(extra)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("zig cc: {e}"));
    assert!(output.status.success(), "zig cc {src} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    out
}

/// What roms/riscv/linux/syscalls.c prints for an XLEN of `bits`.
pub fn syscalls_expected(bits: u32) -> String {
    format!(
        "xlen {bits}\nuname Linux riscv{bits}\nclock advances\ntime after 2020\ngetres 0 0 1\nnanosleep 0\n\
         seek 6 read 4 line\nend 23\npread 6 second\nfstat 23 regular\nstat . directory\n\
         closed again -1\npid positive\n"
    )
}
