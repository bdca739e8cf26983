//! Run a RISC-V ELF to its end with this process's stdio and report speed on stderr:
//! `cargo run --release -p wb-riscv --example rvrun -- prog [args...]`.

use std::time::Instant;

use wb_machine::{Budget, Machine, StopReason};
use wb_riscv::{LinuxOptions, RiscV};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: rvrun PROGRAM [ARGS...]");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("rvrun: {path}: {e}");
            std::process::exit(2);
        }
    };
    let opts = LinuxOptions { args: args.clone(), env: vec![], sandbox: None, sandbox_writable: false, host_stdio: true };
    let start = Instant::now();
    let mut m = match RiscV::load_elf(&bytes, opts) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("rvrun: {path}: {e}");
            std::process::exit(2);
        }
    };
    let code = loop {
        let r = m.run(Budget::Instructions(100_000_000));
        let mut out = Vec::new();
        m.drain_serial(&mut out);
        print!("{}", String::from_utf8_lossy(&out));
        match r.stop {
            StopReason::Exited { code } => break code,
            StopReason::Fault(f) => {
                eprintln!("rvrun: guest fault: {f}");
                break 2;
            }
            StopReason::BudgetSpent | StopReason::FrameDone | StopReason::DebugTrap { .. } => {}
            other => {
                eprintln!("rvrun: stopped: {other:?}");
                break 3;
            }
        }
    };
    let secs = start.elapsed().as_secs_f64();
    let n = m.instructions_retired();
    eprintln!("rvrun: {n} instructions in {secs:.3} s = {:.0} MIPS", n as f64 / secs / 1e6);
    std::process::exit(code);
}
