//! Our Linux test programs (roms/riscv/linux), built with riscv64-linux-gnu-gcc during the
//! test and run in user mode; output and exit code are checked, against the same program
//! built for the host where the output is portable.

mod common;

use std::path::Path;

use common::*;
use wb_machine::{Budget, Machine, StopReason};
use wb_riscv::{LinuxOptions, RiscV};

const MAX: u64 = 2_000_000_000;

fn self_checking(src: &str, extra: &[&str], tag: &str) {
    if !have(LINUX_GCC) {
        return;
    }
    let dir = build_dir(tag);
    let elf = build_linux(&dir, src, extra);
    let out = run_elf(&elf, &[], None, MAX);
    assert_eq!(out.code, Some(0), "{src}: {:?}\n{}", out.stop, out.stdout);
    assert!(out.stdout.contains(&format!("{tag}: 0 failures")), "{}", out.stdout);
}

#[test]
fn integer_semantics() {
    self_checking("linux/int.c", &[], "int");
}

#[test]
fn float_and_double_semantics() {
    self_checking("linux/float.c", &["-frounding-math", "-lm"], "float");
}

#[test]
fn atomics() {
    self_checking("linux/atomics.c", &[], "atomics");
}

/// Code rewritten between runs, and a block that stores into itself, through the block
/// cache. (The in-block store is seen at once, as our invariant promises; the spec leaves
/// it open without `fence.i`, and qemu-riscv64 runs the stale instruction.)
#[test]
fn self_modifying_code() {
    self_checking("linux/smc.c", &[], "smc");
}

#[test]
fn compressed_instructions() {
    if !have(LINUX_GCC) {
        return;
    }
    let dir = build_dir("compressed");
    let elf = build_linux(&dir, "linux/compressed.S", &["-nostdlib"]);
    let out = run_elf(&elf, &[], None, 10_000);
    assert_eq!(out.code, Some(0), "first failing check: {:?}", out.code);
    assert_eq!(out.stdout, "compressed: ok\n");
}

/// Build `src` for RISC-V and for the host and compare what they print.
fn same_as_native(src: &str, extra: &[&str]) {
    if !have(LINUX_GCC) || !have("gcc") {
        return;
    }
    let dir = build_dir(Path::new(src).file_stem().and_then(|s| s.to_str()).unwrap_or("x"));
    let elf = build_linux(&dir, src, extra);
    let native = dir.join("native");
    let mut flags = vec!["-O2"];
    flags.extend_from_slice(extra);
    compile("gcc", &[roms().join(src)], &native, &flags);
    let want = run_native(&native, &[]);
    let out = run_elf(&elf, &[], None, MAX);
    assert_eq!(out.code, Some(0), "{:?}", out.stop);
    assert_eq!(out.stdout, want);
}

#[test]
fn printf_of_floats_matches_native() {
    same_as_native("linux/printf.c", &["-lm"]);
}

#[test]
fn malloc_heavy_program_matches_native() {
    same_as_native("linux/malloc.c", &[]);
}

#[test]
fn arguments_environment_stdin_and_exit_code() {
    if !have(LINUX_GCC) {
        return;
    }
    let dir = build_dir("echo");
    let elf = build_linux(&dir, "linux/echo.c", &[]);
    let bytes = std::fs::read(&elf).expect("elf");
    let opts = LinuxOptions {
        args: vec![elf.to_string_lossy().into_owned(), "one".into(), "two words".into()],
        env: vec!["WB_TEST=hello".into()],
        sandbox: None,
        sandbox_writable: false,
        host_stdio: false,
    };
    let mut m = RiscV::load_elf(&bytes, opts).expect("load");
    // No input yet: the read blocks and run returns without ending the program.
    let r = m.run(Budget::Instructions(50_000_000));
    assert_eq!(r.stop, StopReason::BudgetSpent);
    assert_eq!(m.exit_code(), None);
    m.serial_in(b"shout this\n");
    let out = run_machine(m, MAX);
    assert_eq!(out.code, Some(43));
    assert_eq!(out.stdout, "arg 1: one\narg 2: two words\nenv: hello\npagesz: 4096\necho: SHOUT THIS\n");
}

#[test]
fn files_inside_the_sandbox_and_refused_escapes() {
    if !have(LINUX_GCC) {
        return;
    }
    let root = build_dir("files");
    let dir = root.join("box");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let elf = build_linux(&dir, "linux/files.c", &[]);
    std::fs::write(dir.join("data.txt"), "first line\nsecond line\n").expect("write data");
    std::fs::write(root.join("escape.txt"), "secret\n").expect("write escape");
    let out = run_elf(&elf, &["data.txt"], None, MAX);
    assert_eq!(out.code, Some(0), "{:?} {}", out.stop, out.stdout);
    assert_eq!(
        out.stdout,
        "line 1: first line\nline 2: second line\nsize 23\nlisted 1\n\
         escape: Permission denied\nabsolute: Permission denied\nwrite: Read-only file system\n"
    );
    assert!(!dir.join("new.txt").exists());
}

/// Time, seek/read/pread, fstat/stat, uname through glibc.
#[test]
fn time_seek_and_stat_calls() {
    if !have(LINUX_GCC) {
        return;
    }
    let dir = build_dir("syscalls");
    let elf = build_linux(&dir, "linux/syscalls.c", &[]);
    std::fs::write(dir.join("data.txt"), "first line\nsecond line\n").expect("write data");
    let out = run_elf(&elf, &["data.txt"], None, MAX);
    assert_eq!(out.code, Some(0), "{:?} {}", out.stop, out.stdout);
    assert_eq!(out.stdout, syscalls_expected(64));
}

#[test]
fn faults_traps_and_unimplemented_calls() {
    if !have(LINUX_GCC) {
        return;
    }
    let dir = build_dir("faults");
    let elf = build_linux(&dir, "linux/faults.c", &[]);

    let out = run_elf(&elf, &["null"], None, MAX);
    match &out.stop {
        StopReason::Fault(f) => assert!(f.message.contains("store to 0x0"), "{}", f.message),
        other => panic!("expected a fault, got {other:?}"),
    }
    assert_eq!(out.code, None);

    let out = run_elf(&elf, &["illegal"], None, MAX);
    match &out.stop {
        StopReason::Fault(f) => assert!(f.message.contains("illegal instruction"), "{}", f.message),
        other => panic!("expected a fault, got {other:?}"),
    }

    // ebreak stops the run as a debug trap; running on continues after it.
    let bytes = std::fs::read(&elf).expect("elf");
    let opts = LinuxOptions {
        args: vec![elf.to_string_lossy().into_owned(), "ebreak".into()],
        ..LinuxOptions::default()
    };
    let mut m = RiscV::load_elf(&bytes, opts).expect("load");
    let r = m.run(Budget::Instructions(MAX));
    assert!(matches!(r.stop, StopReason::DebugTrap { .. }), "{:?}", r.stop);
    let out = run_machine(m, MAX);
    assert_eq!(out.stdout, "after ebreak\n");
    assert_eq!(out.code, Some(0));

    let out = run_elf(&elf, &["enosys"], None, MAX);
    assert_eq!(out.stdout, "enosys: -1 1 -1 1\n");
    assert!(out.machine.unimplemented_syscalls().contains(&500));

    let out = run_elf(&elf, &["abort"], None, MAX);
    assert_eq!(out.code, Some(134));
}
