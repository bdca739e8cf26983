//! The bare-metal machine: our M-mode program (roms/riscv/bare/machine.S) takes a CLINT
//! timer interrupt, enters S mode with Sv39 (Sv32 on RV32) paging, takes a page fault and
//! reports through HTIF tohost; roms/riscv/bare/plic.S takes the UART's interrupts through
//! the PLIC in M and S mode and echoes serial input; a C program runs on our own crt0.
//! Built with riscv64-unknown-elf-gcc during the test.

#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use wb_machine::{Budget, Machine, StopReason};
use wb_riscv::{LinuxOptions, RiscV, Xlen};

fn build_bare(dir: &Path, name: &str, sources: &[&str], march: &str, mabi: &str) -> PathBuf {
    let out = dir.join(name);
    let srcs: Vec<PathBuf> = sources.iter().map(|s| roms().join(s)).collect();
    let ld = roms().join("bare/link.ld");
    let ld_arg = format!("-T{}", ld.display());
    let march = format!("-march={march}");
    let mabi = format!("-mabi={mabi}");
    compile(ELF_GCC, &srcs, &out, &["-O2", "-g", "-ffreestanding", "-nostdlib", "-static", "-mcmodel=medany", &march, &mabi, &ld_arg]);
    out
}

fn load(elf: &Path) -> RiscV {
    let bytes = std::fs::read(elf).expect("read elf");
    RiscV::load_elf(&bytes, LinuxOptions::default()).expect("load")
}

const EXPECTED: &str = "bare: hello from M mode\nbare: timer interrupt\nbare: S mode with paging\n";

#[test]
fn machine_program_rv64_sv39() {
    if !have(ELF_GCC) {
        return;
    }
    let dir = build_dir("bare64");
    let elf = build_bare(&dir, "machine", &["bare/machine.S"], "rv64gc", "lp64d");
    let m = load(&elf);
    assert!(!m.is_linux());
    assert_eq!(m.xlen(), Xlen::X64);
    let out = run_machine(m, 10_000_000);
    assert_eq!(out.stdout, EXPECTED);
    assert_eq!(out.stop, StopReason::Exited { code: 0 });
    assert_eq!(out.machine.htif_result(), Some(0));
}

#[test]
fn machine_program_rv32_sv32() {
    if !have(ELF_GCC) {
        return;
    }
    let dir = build_dir("bare32");
    let elf = build_bare(&dir, "machine", &["bare/machine.S"], "rv32gc", "ilp32d");
    let m = load(&elf);
    assert_eq!(m.xlen(), Xlen::X32);
    let out = run_machine(m, 10_000_000);
    assert_eq!(out.stdout, EXPECTED);
    assert_eq!(out.stop, StopReason::Exited { code: 0 });
}

#[test]
fn a_failing_check_reports_its_number_through_tohost() {
    if !have(ELF_GCC) {
        return;
    }
    let dir = build_dir("bare_fail");
    let elf = build_bare(&dir, "machine", &["bare/machine.S"], "rv64gc", "lp64d");
    let mut m = load(&elf);
    // Corrupt the word S mode expects to read through the alias mapping: check 3 fails.
    let magic = m.debug_info().symbols.by_name("magic").expect("magic symbol").addr;
    m.poke(0, magic, 0).expect("poke");
    let out = run_machine(m, 10_000_000);
    assert_eq!(out.stop, StopReason::Exited { code: 1 });
    assert_eq!(out.machine.htif_result(), Some(3));
}

#[test]
fn c_program_on_our_crt0() {
    if !have(ELF_GCC) {
        return;
    }
    let dir = build_dir("bare_c");
    let elf = build_bare(&dir, "hello", &["bare/crt0.S", "bare/hello.c"], "rv64gc", "lp64d");
    let out = run_machine(load(&elf), 10_000_000);
    assert_eq!(out.stdout, "fib(39) = 63245986\nsqrt(2)*1e9 = 1414213562\n");
    assert_eq!(out.code, Some(0));
}

const PLIC_READY: &str = "plic: ready\n";
const PLIC_DONE: &str = "plic: echoed\nplic: S mode external interrupt\n";

/// Run until the program waits for serial input; what it printed so far.
fn run_until_waiting(m: &mut RiscV) -> String {
    let r = m.run(Budget::Instructions(200_000));
    assert_eq!(r.stop, StopReason::BudgetSpent, "the program waits for input");
    let mut out = Vec::new();
    m.drain_serial(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn plic_echo(march: &str, mabi: &str, tag: &str) {
    if !have(ELF_GCC) {
        return;
    }
    let dir = build_dir(tag);
    let elf = build_bare(&dir, "plic", &["bare/plic.S"], march, mabi);
    let mut m = load(&elf);
    assert_eq!(run_until_waiting(&mut m), PLIC_READY);
    m.serial_in(b"echo me\n");
    let out = run_machine(m, 10_000_000);
    assert_eq!(out.stdout, format!("echo me\n{PLIC_DONE}"));
    assert_eq!(out.stop, StopReason::Exited { code: 0 }, "check {:?} failed", out.machine.htif_result());
    assert_eq!(out.machine.htif_result(), Some(0));
}

#[test]
fn plic_uart_interrupts_rv64() {
    plic_echo("rv64gc", "lp64d", "plic64");
}

#[test]
fn plic_uart_interrupts_rv32() {
    plic_echo("rv32gc", "ilp32d", "plic32");
}

/// A save state taken while the program waits for input keeps the PLIC's enables,
/// priorities and threshold: the restored machine takes the interrupt the same way.
#[test]
fn plic_state_survives_save_and_load() {
    if !have(ELF_GCC) {
        return;
    }
    let dir = build_dir("plic_state");
    let elf = build_bare(&dir, "plic", &["bare/plic.S"], "rv64gc", "lp64d");
    let mut m = load(&elf);
    assert_eq!(run_until_waiting(&mut m), PLIC_READY);
    let state = m.save_state();
    let mut fresh = load(&elf);
    fresh.load_state(&state).expect("load state");
    fresh.serial_in(b"two\nlines\n");
    let out = run_machine(fresh, 10_000_000);
    // Both lines arrive before the interrupt is taken: one claim echoes everything queued.
    assert_eq!(out.stdout, format!("two\nlines\n{PLIC_DONE}"));
    assert_eq!(out.machine.htif_result(), Some(0));
}
