//! Our Linux test programs (roms/riscv/linux) built against musl with `zig cc`, as RV64
//! and as RV32 (time64 system calls) static programs, and run in user mode. Output and
//! exit code are checked against the expected text, and against qemu-riscv64 /
//! qemu-riscv32 running the same binary where the output is not fixed text.
//!
//! Each program is built once per target for this test binary (the first test to need a
//! target builds them all); Zig's libc cache is shared between runs.

#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use wb_machine::{Budget, Machine, StopReason};
use wb_riscv::{LinuxOptions, RiscV, Xlen};

const MAX: u64 = 2_000_000_000;

/// One Linux target of zig cc and the qemu that runs it.
struct Target {
    triple: &'static str,
    qemu: &'static str,
    xlen: Xlen,
    tag: &'static str,
}

const RV64: Target = Target { triple: "riscv64-linux-musl", qemu: "qemu-riscv64", xlen: Xlen::X64, tag: "musl64" };
const RV32: Target = Target { triple: "riscv32-linux-musl", qemu: "qemu-riscv32", xlen: Xlen::X32, tag: "musl32" };

/// Sources and their extra flags.
const PROGRAMS: &[(&str, &[&str])] = &[
    ("linux/int.c", &[]),
    ("linux/float.c", &["-frounding-math", "-lm"]),
    ("linux/atomics.c", &[]),
    ("linux/smc.c", &[]),
    ("linux/printf.c", &["-lm"]),
    ("linux/malloc.c", &[]),
    ("linux/echo.c", &[]),
    ("linux/faults.c", &[]),
];

/// The data file `files` and `syscalls` read.
const DATA: &str = "first line\nsecond line\n";

/// The folder holding every program built for `t` (`files` and `syscalls` go into its
/// `box` subfolder, the sandbox, with `data.txt`), or `None` when Zig is missing.
fn built(t: &'static Target) -> Option<&'static Path> {
    static RV64_DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    static RV32_DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    let cell = if t.xlen == Xlen::X64 { &RV64_DIR } else { &RV32_DIR };
    cell.get_or_init(|| {
        if !have_zig() {
            return None;
        }
        let dir = build_dir(t.tag);
        let sandbox = dir.join("box");
        std::fs::create_dir_all(&sandbox).expect("mkdir box");
        let writable = dir.join("writable");
        std::fs::create_dir_all(&writable).expect("mkdir writable");
        // Compile in parallel: each zig cc is a process of its own.
        std::thread::scope(|s| {
            for (src, extra) in PROGRAMS {
                let dir = &dir;
                s.spawn(move || build_musl(dir, t.triple, src, extra));
            }
            s.spawn(|| build_musl(&sandbox, t.triple, "linux/files.c", &[]));
            s.spawn(|| build_musl(&sandbox, t.triple, "linux/syscalls.c", &[]));
            s.spawn(|| build_musl(&writable, t.triple, "linux/truncate.c", &[]));
        });
        std::fs::write(sandbox.join("data.txt"), DATA).expect("write data");
        std::fs::write(dir.join("escape.txt"), "secret\n").expect("write escape");
        Some(dir)
    })
    .as_deref()
}

fn program(t: &'static Target, name: &str) -> Option<PathBuf> {
    Some(built(t)?.join(name))
}

/// What qemu-user prints and returns for `elf`, or `None` (with a skip line) without qemu.
fn qemu(t: &Target, elf: &Path, args: &[&str]) -> Option<(String, Option<i32>)> {
    if !have(t.qemu) {
        return None;
    }
    let out = Command::new(t.qemu).arg(elf).args(args).output().expect("run qemu");
    Some((String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code()))
}

fn run(t: &'static Target, name: &str, args: &[&str]) -> Option<Outcome> {
    let elf = program(t, name)?;
    let out = run_elf(&elf, args, None, MAX);
    assert_eq!(out.machine.xlen(), t.xlen);
    Some(out)
}

fn self_checking(t: &'static Target, name: &str) {
    let Some(out) = run(t, name, &[]) else { return };
    assert_eq!(out.code, Some(0), "{} {name}: {:?}\n{}", t.tag, out.stop, out.stdout);
    assert!(out.stdout.contains(&format!("{name}: 0 failures")), "{}", out.stdout);
    assert!(out.machine.unimplemented_syscalls().is_empty(), "{:?}", out.machine.unimplemented_syscalls());
}

fn same_as_qemu(t: &'static Target, name: &str) {
    let Some(out) = run(t, name, &[]) else { return };
    assert_eq!(out.code, Some(0), "{} {name}: {:?}", t.tag, out.stop);
    assert!(out.machine.unimplemented_syscalls().is_empty(), "{:?}", out.machine.unimplemented_syscalls());
    let Some((want, code)) = qemu(t, &program(t, name).expect("built"), &[]) else { return };
    assert_eq!(code, Some(0));
    assert_eq!(out.stdout, want, "{} {name}", t.tag);
}

fn self_checking_programs(t: &'static Target) {
    for name in ["int", "float", "atomics", "smc"] {
        self_checking(t, name);
    }
}

#[test]
fn musl_rv64_integer_float_atomics_smc() {
    self_checking_programs(&RV64);
}

#[test]
fn musl_rv32_integer_float_atomics_smc() {
    self_checking_programs(&RV32);
}

/// printf of floats and the malloc-heavy program (brk, mmap, mremap) print what qemu
/// prints for the same binary.
#[test]
fn musl_rv64_printf_and_malloc_match_qemu() {
    same_as_qemu(&RV64, "printf");
    same_as_qemu(&RV64, "malloc");
}

#[test]
fn musl_rv32_printf_and_malloc_match_qemu() {
    same_as_qemu(&RV32, "printf");
    same_as_qemu(&RV32, "malloc");
}

/// argv, environment, auxv (AT_PAGESZ through a 32-bit auxv on RV32), stdin, exit code.
fn echo(t: &'static Target) {
    let Some(elf) = program(t, "echo") else { return };
    let bytes = std::fs::read(&elf).expect("elf");
    let opts = LinuxOptions {
        args: vec![elf.to_string_lossy().into_owned(), "one".into(), "two words".into()],
        env: vec!["WB_TEST=hello".into()],
        ..LinuxOptions::default()
    };
    let mut m = RiscV::load_elf(&bytes, opts).expect("load");
    let r = m.run(Budget::Instructions(50_000_000));
    assert_eq!(r.stop, StopReason::BudgetSpent, "waits for input");
    m.serial_in(b"shout this\n");
    let out = run_machine(m, MAX);
    assert_eq!(out.code, Some(43));
    assert_eq!(out.stdout, "arg 1: one\narg 2: two words\nenv: hello\npagesz: 4096\necho: SHOUT THIS\n");
}

#[test]
fn musl_rv64_arguments_environment_stdin_and_exit_code() {
    echo(&RV64);
}

#[test]
fn musl_rv32_arguments_environment_stdin_and_exit_code() {
    echo(&RV32);
}

/// open/read/stat (statx on RV32)/getdents64 inside the sandbox; escapes and writes refused.
fn files(t: &'static Target) {
    let Some(dir) = built(t) else { return };
    let sandbox = dir.join("box");
    let out = run_elf(&sandbox.join("files"), &["data.txt"], None, MAX);
    assert_eq!(out.code, Some(0), "{:?} {}", out.stop, out.stdout);
    assert_eq!(
        out.stdout,
        "line 1: first line\nline 2: second line\nsize 23\nlisted 1\n\
         escape: Permission denied\nabsolute: Permission denied\nwrite: Read-only file system\n"
    );
    assert!(!sandbox.join("new.txt").exists());
}

#[test]
fn musl_rv64_files_inside_the_sandbox() {
    files(&RV64);
}

#[test]
fn musl_rv32_files_inside_the_sandbox() {
    files(&RV32);
}

/// A NULL store and an illegal instruction fault; ENOSYS is returned and logged; abort()
/// (rt_sigprocmask + tkill) ends the process as SIGABRT does.
fn faults(t: &'static Target) {
    let Some(out) = run(t, "faults", &["null"]) else { return };
    match &out.stop {
        StopReason::Fault(f) => assert!(f.message.contains("store to 0x0"), "{}", f.message),
        other => panic!("expected a fault, got {other:?}"),
    }
    let out = run(t, "faults", &["illegal"]).expect("built");
    match &out.stop {
        StopReason::Fault(f) => assert!(f.message.contains("illegal instruction"), "{}", f.message),
        other => panic!("expected a fault, got {other:?}"),
    }
    let out = run(t, "faults", &["enosys"]).expect("built");
    assert_eq!(out.stdout, "enosys: -1 1 -1 1\n");
    assert_eq!(out.machine.unimplemented_syscalls(), vec![500]);
    let out = run(t, "faults", &["abort"]).expect("built");
    assert_eq!(out.code, Some(134));
}

#[test]
fn musl_rv64_faults_and_abort() {
    faults(&RV64);
}

#[test]
fn musl_rv32_faults_and_abort() {
    faults(&RV32);
}

/// A save state of an RV32 program taken halfway restores and finishes the same way.
#[test]
fn musl_rv32_save_state_round_trip() {
    let Some(elf) = program(&RV32, "printf") else { return };
    let bytes = std::fs::read(&elf).expect("elf");
    let opts = LinuxOptions { args: vec![elf.to_string_lossy().into_owned()], ..LinuxOptions::default() };
    let mut m = RiscV::load_elf(&bytes, opts.clone()).expect("load");
    m.run(Budget::Instructions(300_000));
    let mut before = Vec::new();
    m.drain_serial(&mut before);
    let state = m.save_state();
    let first = run_machine(m, MAX);
    let mut again = RiscV::load_elf(&bytes, opts).expect("load");
    again.load_state(&state).expect("restore");
    let second = run_machine(again, MAX);
    assert_eq!(first.code, Some(0));
    assert!(first.stdout.contains("strtod"), "output after the save: {}", first.stdout);
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(second.code, Some(0));
}

/// Time, seek/read/pread, fstat/stat, uname: fixed text, and what qemu prints.
fn syscalls(t: &'static Target) {
    let Some(dir) = built(t) else { return };
    let elf = dir.join("box/syscalls");
    let out = run_elf(&elf, &["data.txt"], None, MAX);
    assert_eq!(out.code, Some(0), "{:?} {}", out.stop, out.stdout);
    let bits = if t.xlen == Xlen::X64 { 64 } else { 32 };
    assert_eq!(out.stdout, syscalls_expected(bits));
    assert!(out.machine.unimplemented_syscalls().is_empty(), "{:?}", out.machine.unimplemented_syscalls());
    // qemu-user runs in the host's folder: give it the data file's path.
    if let Some((want, code)) = qemu(t, &elf, &[&dir.join("box/data.txt").to_string_lossy()]) {
        assert_eq!(code, Some(0));
        assert_eq!(out.stdout, want);
    }
}

/// Writes and ftruncate in a writable sandbox: fixed text, what qemu prints, and the file
/// left on the host.
fn truncate(t: &'static Target) {
    let Some(dir) = built(t) else { return };
    let sandbox = dir.join("writable");
    let out = run_elf_in(&sandbox.join("truncate"), &["out.txt"], None, true, MAX);
    assert_eq!(out.code, Some(0), "{:?} {}", out.stop, out.stdout);
    let want = "wrote 20\nsize 20\nshrink 0 size 8\ngrow 0 size 12\n\
                read 12: 30 31 32 33 34 35 36 37 00 00 00 00\n\
                past 4 GiB 0 size 4294967312\nback 0 size 3\n\
                negative -1 Invalid argument\nread-only -1 Invalid argument\n";
    assert_eq!(out.stdout, want);
    assert!(out.machine.unimplemented_syscalls().is_empty(), "{:?}", out.machine.unimplemented_syscalls());
    assert_eq!(std::fs::read(sandbox.join("out.txt")).expect("out.txt"), b"012");
    let host_file = sandbox.join(format!("qemu-{}.txt", t.tag));
    if let Some((qemu_out, code)) = qemu(t, &sandbox.join("truncate"), &[&host_file.to_string_lossy()]) {
        assert_eq!(code, Some(0));
        assert_eq!(out.stdout, qemu_out);
    }
}

#[test]
fn musl_rv64_writes_and_ftruncate_in_a_writable_sandbox() {
    truncate(&RV64);
}

#[test]
fn musl_rv32_writes_and_ftruncate_in_a_writable_sandbox() {
    truncate(&RV32);
}

#[test]
fn musl_rv64_time_seek_and_stat_calls() {
    syscalls(&RV64);
}

#[test]
fn musl_rv32_time_seek_and_stat_calls() {
    syscalls(&RV32);
}

/// The five programs of ../shared/bench/rv with small inputs print what their host builds
/// print: bigger programs than ours, and on RV32 the whole of musl's 64-bit arithmetic.
fn bench_programs(t: &'static Target) {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/rv");
    if !src.join("sieve.c").exists() {
        println!("skipped: {} not found", src.display());
        return;
    }
    if !have_zig() || !have("gcc") {
        return;
    }
    let dir = build_dir(&format!("{}-bench", t.tag));
    let cases: [(&str, &[&str]); 5] = [
        ("sieve", &["200000", "2"]),
        ("crc32", &["1", "1"]),
        ("matmul", &["40", "2"]),
        ("qsort", &["50000"]),
        ("interp", &["100000"]),
    ];
    let built: Vec<(PathBuf, String)> = std::thread::scope(|s| {
        let jobs: Vec<_> = cases
            .iter()
            .map(|(name, args)| {
                let (src, dir) = (&src, &dir);
                s.spawn(move || {
                    let c = src.join(format!("{name}.c"));
                    let native = dir.join(format!("{name}.native"));
                    compile("gcc", std::slice::from_ref(&c), &native, &["-O2"]);
                    let rv = dir.join(name);
                    let output = Command::new("python3")
                        .args(["-m", "ziglang", "cc", "-target", t.triple, "-static", "-O2"])
                        .arg(&c)
                        .arg("-o")
                        .arg(&rv)
                        .output()
                        .expect("zig cc");
                    assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
                    (rv, run_native(&native, args))
                })
            })
            .collect();
        jobs.into_iter().map(|j| j.join().expect("build thread")).collect()
    });
    for ((name, args), (rv, want)) in cases.iter().zip(built) {
        let out = run_elf(&rv, args, None, 1_000_000_000);
        assert_eq!(out.machine.xlen(), t.xlen);
        assert_eq!(out.code, Some(0), "{name}: {:?}", out.stop);
        assert!(!want.is_empty());
        assert_eq!(out.stdout, want, "{} {name}", t.tag);
        assert!(out.machine.unimplemented_syscalls().is_empty(), "{name}: {:?}", out.machine.unimplemented_syscalls());
    }
}

#[test]
fn musl_rv64_bench_programs_match_native() {
    bench_programs(&RV64);
}

#[test]
fn musl_rv32_bench_programs_match_native() {
    bench_programs(&RV32);
}
