//! What the debugger uses: objdump-compatible disassembly, ELF symbols and DWARF lines,
//! breakpoints, stepping, watchpoints, the call stack, registers and save states.

#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::*;
use wb_machine::{Access, Breakpoint, Budget, Machine, StopReason, Watchpoint};
use wb_riscv::{LinuxOptions, RiscV};

fn load(elf: &std::path::Path) -> RiscV {
    let bytes = std::fs::read(elf).expect("read elf");
    let opts = LinuxOptions { args: vec![elf.to_string_lossy().into_owned()], ..LinuxOptions::default() };
    RiscV::load_elf(&bytes, opts).expect("load")
}

/// objdump's text per address for the functions named in `funcs`.
fn objdump(elf: &std::path::Path, funcs: &[&str]) -> HashMap<u64, String> {
    let out = Command::new("riscv64-linux-gnu-objdump").args(["-d", "--no-show-raw-insn"]).arg(elf).output().expect("objdump");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut map = HashMap::new();
    let mut inside = false;
    for line in text.lines() {
        if line.ends_with(">:") {
            inside = funcs.iter().any(|f| line.contains(&format!("<{f}>:")));
            continue;
        }
        if !inside {
            continue;
        }
        let Some((addr, rest)) = line.trim_start().split_once(":\t") else { continue };
        let Ok(addr) = u64::from_str_radix(addr, 16) else { continue };
        // objdump appends "# 1234 <sym>" comments for address materialisation: not ours.
        let rest = rest.split(" #").next().unwrap_or(rest).trim_end();
        map.insert(addr, rest.to_string());
    }
    map
}

#[test]
fn disassembly_matches_objdump() {
    if !have(LINUX_GCC) || !have("riscv64-linux-gnu-objdump") {
        return;
    }
    let dir = build_dir("disasm");
    let mut checked = 0;
    for (src, extra, funcs) in [
        ("linux/float.c", &["-frounding-math", "-lm"][..], &["main", "flags_of"][..]),
        ("linux/int.c", &[][..], &["main"][..]),
        ("linux/atomics.c", &[][..], &["main"][..]),
        ("linux/compressed.S", &["-nostdlib"][..], &["_start", "fail", "sub"][..]),
    ] {
        let elf = build_linux(&dir, src, extra);
        let want = objdump(&elf, funcs);
        assert!(!want.is_empty());
        let m = load(&elf);
        for (addr, text) in &want {
            let ours = m.disassemble(*addr, 1);
            let got = ours.first().map(|l| l.text.as_str()).unwrap_or("");
            // Among aliases at one address (printf, _IO_printf) objdump's pick may differ:
            // compare the instruction and target, and that a symbol is named at all.
            let strip = |t: &str| t.split(" <").next().unwrap_or(t).to_string();
            assert_eq!(strip(got), strip(text), "{src} at {addr:#x}");
            assert_eq!(got.contains(" <"), text.contains(" <"), "{src} at {addr:#x}: {got} vs {text}");
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} instructions compared");
}

#[test]
fn symbols_lines_breakpoints_and_stepping() {
    if !have(LINUX_GCC) {
        return;
    }
    let dir = build_dir("debug");
    let elf = build_linux(&dir, "linux/int.c", &["-O0"]);
    let mut m = load(&elf);
    let main = m.debug_info().symbols.by_name("main").expect("main").addr;
    let line = m.debug_info().line_at(main).expect("line of main");
    assert!(line.file.ends_with("int.c"), "{}", line.file);
    let main_line = line.line;
    assert!(!m.debug_info().addrs_of_line(line.file, main_line).is_empty());

    m.hooks_mut().set_breakpoint(Breakpoint { addr: main, enabled: true });
    let r = m.run(Budget::Instructions(10_000_000));
    assert_eq!(r.stop, StopReason::Breakpoint { addr: main });
    assert_eq!(m.pc(), main);
    // Running again from the breakpoint does not stop on it at once.
    let r = m.step();
    assert_eq!(r.stop, StopReason::BudgetSpent);
    assert_ne!(m.pc(), main);

    // Step by source line: run instructions until the line changes.
    let start_line = m.debug_info().line_at(m.pc()).map(|l| l.line);
    let mut steps = 0;
    while m.debug_info().line_at(m.pc()).map(|l| l.line) == start_line && steps < 1000 {
        m.step();
        steps += 1;
    }
    assert!(steps < 1000, "the line never changed");

    // Calls are tracked on the shadow stack; step over a call stops at its return address.
    m.hooks_mut().set_call_tracking(true);
    let mut found_call = None;
    for _ in 0..10_000 {
        if let Some(ret) = m.call_return_address() {
            found_call = Some(ret);
            break;
        }
        m.step();
    }
    let ret = found_call.expect("a call in main");
    m.step();
    let stack = m.hooks().call_stack().to_vec();
    assert_eq!(stack.last().map(|c| c.return_addr), Some(ret));
    m.hooks_mut().set_breakpoint(Breakpoint { addr: ret, enabled: true });
    let r = m.run(Budget::Instructions(10_000_000));
    assert_eq!(r.stop, StopReason::Breakpoint { addr: ret });
    assert!(m.hooks().call_stack().len() < stack.len());

    let out = run_machine(m, 100_000_000);
    assert_eq!(out.code, Some(0));
}

#[test]
fn watchpoints_stop_after_the_access() {
    if !have(LINUX_GCC) {
        return;
    }
    let dir = build_dir("watch");
    let elf = build_linux(&dir, "linux/malloc.c", &[]);
    let mut m = load(&elf);
    // GCC names a function's static `slots` as `slots.N`.
    let slots = m.debug_info().symbols.iter().find(|s| s.name.starts_with("slots")).map(|s| s.addr);
    let slots = slots.expect("slots symbol");
    m.hooks_mut().set_watchpoints(vec![Watchpoint { start: slots, len: 8, read: false, write: true, enabled: true }]);
    let r = m.run(Budget::Instructions(100_000_000));
    match r.stop {
        StopReason::Watchpoint { addr, access, value, .. } => {
            assert_eq!(addr, slots);
            assert_eq!(access, Access::Write);
            let mut b = [0u8; 8];
            for (k, x) in b.iter_mut().enumerate() {
                *x = m.peek(0, slots + k as u64).expect("mapped");
            }
            assert_eq!(u64::from_le_bytes(b), value);
        }
        other => panic!("expected a watchpoint, got {other:?}"),
    }
}

#[test]
fn registers_by_name() {
    let mut m = RiscV::load_elf(&tiny_elf(), LinuxOptions::default()).expect("load");
    let regs = m.registers();
    let names: Vec<&str> = regs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(&names[..3], &["x0", "x1", "x2"]);
    assert_eq!(names[32], "pc");
    assert!(names.contains(&"f31") && names.contains(&"fcsr"));
    m.set_register("a0", 42).expect("a0");
    m.set_register("x0", 1).expect("x0 ignores writes");
    m.set_register("fa0", 7).expect("fa0");
    let get = |m: &RiscV, n: &str| m.registers().into_iter().find(|r| r.name == n).map(|r| r.value);
    assert_eq!(get(&m, "x10"), Some(42));
    assert_eq!(get(&m, "x0"), Some(0));
    assert_eq!(get(&m, "f10"), Some(7));
    assert!(m.set_register("x99", 1).is_err());
    assert_eq!(get(&m, "pc"), Some(0x8000_0000));
    // `j .` spins; a reset brings back the loaded state.
    m.run(Budget::Instructions(100));
    assert_eq!(m.instructions_retired(), 100);
    m.reset();
    assert_eq!(m.instructions_retired(), 0);
    assert_eq!(get(&m, "x10"), Some(0));
    assert_eq!(m.disassemble(0x8000_0000, 1)[0].text, "j\t80000000");
}

#[test]
fn save_state_round_trip_reproduces_the_run() {
    if !have(LINUX_GCC) {
        return;
    }
    let dir = build_dir("state");
    let elf = build_linux(&dir, "linux/printf.c", &["-lm"]);
    let mut m = load(&elf);
    m.run(Budget::Instructions(300_000));
    let mut before = Vec::new();
    m.drain_serial(&mut before);
    let snapshot = m.save_state();
    let first = run_machine(m, 1_000_000_000);

    let mut again = load(&elf);
    again.load_state(&snapshot).expect("load state");
    let second = run_machine(again, 1_000_000_000);
    assert_eq!(first.code, Some(0));
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(first.machine.instructions_retired(), second.machine.instructions_retired());
    assert!(!first.stdout.is_empty());

    // A damaged snapshot is refused and leaves the machine alone.
    let mut third = load(&elf);
    let pc = third.pc();
    let mut bad = snapshot.clone();
    bad.truncate(bad.len() / 2);
    assert!(third.load_state(&bad).is_err());
    assert_eq!(third.pc(), pc);
}
