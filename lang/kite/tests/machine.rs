//! The VM through `wb_machine::Machine`: stepping, registers, breakpoints on source lines,
//! the listing, serial output, faults and save states.

// Tests fail by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use wb_kite::VmMachine;
use wb_machine::{Breakpoint, Budget, Machine, StateError, StopReason};

const PROGRAM: &str =
    "fn add(a, b) {\n  return a + b;\n}\nlet x = add(1, 2);\nprint(x);\nprint(add(x, 4));\n";

fn machine(src: &str) -> VmMachine {
    VmMachine::new("prog.kite", src, Vec::new()).unwrap_or_else(|e| panic!("{}", e.short(src)))
}

#[test]
fn runs_to_completion_with_output_on_serial() {
    let mut m = machine(PROGRAM);
    let r = m.run(Budget::Instructions(1_000_000));
    assert_eq!(r.stop, StopReason::Exited { code: 0 });
    assert!(r.cycles > 5);
    let mut out = Vec::new();
    m.drain_serial(&mut out);
    assert_eq!(String::from_utf8_lossy(&out), "3\n7\n");
    assert_eq!(m.instructions_retired(), r.cycles);
    m.reset();
    assert_eq!(m.instructions_retired(), 0);
    assert_eq!(m.run(Budget::Frame).stop, StopReason::Exited { code: 0 });
}

#[test]
fn steps_one_instruction_at_a_time() {
    let mut m = machine(PROGRAM);
    let mut steps = 0;
    loop {
        let r = m.step();
        steps += 1;
        if r.stop != StopReason::BudgetSpent {
            assert_eq!(r.stop, StopReason::Exited { code: 0 });
            break;
        }
        assert_eq!(r.cycles, 1);
        assert!(steps < 1000);
    }
    let mut whole = machine(PROGRAM);
    let r = whole.run(Budget::Instructions(u64::MAX));
    assert_eq!(
        steps, r.cycles,
        "stepping and running retire the same instructions"
    );
}

#[test]
fn breakpoint_on_a_source_line_stops_inside_the_function() {
    let mut m = machine(PROGRAM);
    let addrs = m.debug_info().addrs_of_line("prog.kite", 2);
    assert!(!addrs.is_empty(), "line 2 has code");
    m.hooks_mut().set_breakpoint(Breakpoint {
        addr: addrs[0],
        enabled: true,
    });
    let r = m.run(Budget::Instructions(10_000));
    assert_eq!(r.stop, StopReason::Breakpoint { addr: addrs[0] });
    assert_eq!(m.pc(), addrs[0]);
    assert_eq!(m.debug_info().line_at(m.pc()).map(|l| l.line), Some(2));
    assert_eq!(
        m.debug_info().symbols.describe(m.pc()).as_deref(),
        Some("add")
    );
    // The frame's registers: pc, then r0 = a = 1, r1 = b = 2.
    let regs = m.registers();
    assert_eq!(regs[0].name, "pc");
    assert_eq!((regs[1].name.as_str(), regs[1].value), ("r0", 1));
    assert_eq!((regs[2].name.as_str(), regs[2].value), ("r1", 2));
    m.set_register("r1", 40).unwrap_or_else(|e| panic!("{e}"));
    assert!(m.set_register("r99", 1).is_err());
    // Resume: stops at the breakpoint again on the second call.
    m.hooks_mut().skip_breakpoint_once(addrs[0]);
    let r = m.run(Budget::Instructions(10_000));
    assert_eq!(r.stop, StopReason::Breakpoint { addr: addrs[0] });
    m.hooks_mut().remove_breakpoint(addrs[0]);
    assert_eq!(
        m.run(Budget::Instructions(10_000)).stop,
        StopReason::Exited { code: 0 }
    );
    let mut out = Vec::new();
    m.drain_serial(&mut out);
    assert_eq!(String::from_utf8_lossy(&out), "41\n45\n");
}

#[test]
fn disassembly_matches_the_listing() {
    let m = machine(PROGRAM);
    let lines = m.disassemble(0, 1000);
    assert!(lines.len() > 10);
    let listing = wb_kite::disassemble_source("prog.kite", PROGRAM).unwrap_or_default();
    for l in &lines {
        assert!(
            listing.contains(&l.text),
            "{} missing from the listing",
            l.text
        );
    }
    assert!(lines.iter().any(|l| l.text.starts_with("CALL")));
    assert!(lines.iter().any(|l| l.text.starts_with("ADD")));
    let from_add = m.disassemble(
        m.debug_info().symbols.by_name("add").map_or(0, |s| s.addr),
        1,
    );
    assert!(from_add[0].text.starts_with("ADD"), "{:?}", from_add[0]);
}

#[test]
fn runtime_error_is_a_fault_that_stays() {
    let mut m = machine("let a = 1;\nprint(a + nil);\n");
    let r = m.run(Budget::Instructions(1000));
    match r.stop {
        StopReason::Fault(f) => assert!(
            f.message
                .contains("cannot apply '+' to int and nil (line 2)"),
            "{}",
            f.message
        ),
        other => panic!("{other:?}"),
    }
    assert!(m.runtime_error().is_some());
    assert!(matches!(
        m.run(Budget::Instructions(10)).stop,
        StopReason::Fault(_)
    ));
}

#[test]
fn save_state_restores_and_garbage_is_refused() {
    let mut m = machine(PROGRAM);
    m.run(Budget::Instructions(3));
    let state = m.save_state();
    assert_eq!(m.load_state(&state), Ok(()));
    assert!(matches!(
        m.load_state(b"garbage"),
        Err(StateError::NotAState)
    ));
    assert_eq!(
        m.run(Budget::Instructions(10_000)).stop,
        StopReason::Exited { code: 0 }
    );
}

#[test]
fn gc_statistics_are_exposed() {
    let mut m = machine(
        "let l = [];\nfor i in 0..10000 { push(l, [i]); }\nl = nil;\nfor i in 0..100000 { let t = [i, i]; }\n",
    );
    assert_eq!(
        m.run(Budget::Instructions(10_000_000)).stop,
        StopReason::Exited { code: 0 }
    );
    let stats = wb_kite::gc_stats(&m);
    assert!(stats.collections >= 1, "{stats:?}");
    assert!(stats.objects_freed > 10_000, "{stats:?}");
    assert!(stats.peak_bytes >= stats.heap_bytes);
}

#[test]
fn trace_mode_prints_each_instruction_and_the_output() {
    let mut out = Vec::new();
    wb_kite::trace_source("prog.kite", PROGRAM, Vec::new(), 10_000, &mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    let listing = wb_kite::disassemble_source("prog.kite", PROGRAM).unwrap();
    let traced: Vec<&str> = text.lines().filter(|l| l.contains(" | ")).collect();
    let mut whole = machine(PROGRAM);
    let retired = whole.run(Budget::Instructions(u64::MAX)).cycles;
    assert_eq!(traced.len() as u64, retired);
    for line in &traced {
        let instr = line[11..].split(" | ").next().unwrap().trim_end();
        assert!(listing.contains(instr), "{instr} not in the listing");
    }
    assert!(text.contains("\n3\n") && text.contains("\n7\n"), "{text}");
}

#[test]
fn call_tracking_follows_calls_and_returns() {
    let mut m = machine(PROGRAM);
    m.hooks_mut().set_call_tracking(true);
    let add = m
        .debug_info()
        .symbols
        .by_name("add")
        .map(|s| s.addr)
        .unwrap();
    m.hooks_mut().set_breakpoint(Breakpoint {
        addr: add,
        enabled: true,
    });
    assert_eq!(
        m.run(Budget::Instructions(10_000)).stop,
        StopReason::Breakpoint { addr: add }
    );
    let stack = m.hooks().call_stack().to_vec();
    assert_eq!(stack.len(), 1);
    assert_eq!(stack[0].target, add);
    assert_eq!(m.call_return_address(), None);
    m.hooks_mut().remove_breakpoint(add);
    // Step until back in the caller: the shadow stack empties.
    while m
        .debug_info()
        .symbols
        .describe(m.pc())
        .is_some_and(|s| s.starts_with("add"))
    {
        m.step();
    }
    assert!(m.hooks().call_stack().is_empty());
    assert_eq!(m.pc(), stack[0].return_addr);
}
