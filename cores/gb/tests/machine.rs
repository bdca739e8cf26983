//! The Machine contract: save → load → continue equals an uninterrupted run; debug trap,
//! breakpoints, registers, peek/poke, disassembly, call tracking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod rom_builder;

use wb_gb::GameBoy;
use wb_machine::{Breakpoint, Budget, Machine, StopReason};

/// A program that counts in a loop, calls a subroutine, and ends with `ld b, b`.
fn program() -> Vec<u8> {
    let code = [
        0x31, 0xFE, 0xFF, // 0150 ld sp, $fffe
        0x06, 0x00, // 0153 ld b, 0
        0x0E, 0x10, // 0155 ld c, $10
        0xCD, 0x60, 0x01, // 0157 call $0160
        0x0D, // 015a dec c
        0x20, 0xFA, // 015b jr nz, $0157
        0x40, // 015d ld b, b
        0x18, 0xFE, // 015e jr $015e
        0x04, // 0160 inc b
        0xC9, // 0161 ret
    ];
    rom_builder::rom("PROG", 0x00, 0, 0, &code)
}

#[test]
fn debug_trap_breakpoints_and_calls() {
    let mut gb = GameBoy::new(&program(), None).expect("valid ROM");
    gb.hooks_mut().set_call_tracking(true);
    gb.hooks_mut().set_breakpoint(Breakpoint {
        addr: 0x160,
        enabled: true,
    });
    let r = gb.run(Budget::Frame);
    assert_eq!(r.stop, StopReason::Breakpoint { addr: 0x160 });
    assert_eq!(gb.hooks().call_stack().len(), 1);
    assert_eq!(gb.hooks().call_stack()[0].return_addr, 0x15A);
    gb.hooks_mut().remove_breakpoint(0x160);
    let r = gb.run(Budget::Frame);
    assert_eq!(r.stop, StopReason::DebugTrap { pc: 0x15D });
    assert!(gb.hooks().call_stack().is_empty());
    let b = gb
        .registers()
        .into_iter()
        .find(|r| r.name == "b")
        .map(|r| r.value);
    assert_eq!(b, Some(0x10));
    assert_eq!(gb.pc(), 0x15E);
}

#[test]
fn step_over_and_disassembly() {
    let mut gb = GameBoy::new(&program(), None).expect("valid ROM");
    // nop, jp $0150, ld sp, ld b, ld c
    for _ in 0..5 {
        assert_eq!(gb.step().stop, StopReason::BudgetSpent);
    }
    assert_eq!(gb.pc(), 0x157);
    assert_eq!(gb.call_return_address(), Some(0x15A));
    let lines = gb.disassemble(0x157, 3);
    assert_eq!(lines[0].text, "call $0160");
    assert_eq!(lines[0].target, Some(0x160));
    assert_eq!(lines[1].text, "dec c");
    assert_eq!(lines[2].text, "jr nz, $0157");
}

#[test]
fn registers_and_memory_edit_without_side_effects() {
    let mut gb = GameBoy::new(&program(), None).expect("valid ROM");
    gb.set_register("a", 0x12).expect("a exists");
    assert!(gb.set_register("a", 0x100).is_err());
    assert!(gb.set_register("zz", 1).is_err());
    let names: Vec<String> = gb.registers().into_iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        ["a", "f", "b", "c", "d", "e", "h", "l", "sp", "pc", "ime"]
    );
    gb.poke(0, 0xC000, 0x99).expect("wram");
    assert_eq!(gb.peek(0, 0xC000), Some(0x99));
    assert_eq!(gb.peek(0, 0x10000), None);
    // Peeking an I/O register does not change it.
    let div = gb.peek(0, 0xFF04);
    assert_eq!(gb.peek(0, 0xFF04), div);
}

#[test]
fn save_load_continue_equals_uninterrupted_run() {
    let Some(dir) = common::testroms("blargg-gb") else {
        return;
    };
    let rom = std::fs::read(dir.join("cpu_instrs/individual/02-interrupts.gb")).expect("read ROM");
    let mut a = GameBoy::new(&rom, None).expect("valid ROM");
    for _ in 0..30 {
        a.run(Budget::Frame);
    }
    let snapshot = a.save_state();
    for _ in 0..60 {
        a.run(Budget::Frame);
    }
    let mut b = GameBoy::new(&rom, None).expect("valid ROM");
    b.load_state(&snapshot).expect("load own snapshot");
    for _ in 0..60 {
        b.run(Budget::Frame);
    }
    assert_eq!(a.cycles(), b.cycles());
    assert_eq!(a.registers(), b.registers());
    assert_eq!(a.frame().rgba, b.frame().rgba);
    let (sa, sb) = (a.save_state(), b.save_state());
    let first_diff = sa.iter().zip(&sb).position(|(x, y)| x != y);
    assert!(
        sa.len() == sb.len() && first_diff.is_none(),
        "states differ at byte {first_diff:?}"
    );
    // A corrupt or foreign state is refused and changes nothing.
    let before = b.save_state();
    let mut bad = snapshot.clone();
    bad[30] ^= 1;
    assert!(b.load_state(&bad).is_err());
    assert!(b.load_state(&snapshot[..snapshot.len() / 2]).is_err());
    assert_eq!(b.save_state(), before);
}

#[test]
fn frames_last_70224_cycles() {
    let rom = rom_builder::rom("LOOP", 0x00, 0, 0, &[0x18, 0xFE]);
    let mut gb = GameBoy::new(&rom, None).expect("valid ROM");
    assert_eq!(gb.run(Budget::Frame).stop, StopReason::FrameDone);
    for _ in 0..3 {
        let c0 = gb.cycles();
        assert_eq!(gb.run(Budget::Frame).stop, StopReason::FrameDone);
        // The loop's 3-M-cycle instructions may overshoot the boundary by a few cycles.
        assert!(
            (gb.cycles() - c0).abs_diff(70224) <= 12,
            "{}",
            gb.cycles() - c0
        );
    }
    assert!((gb.info().frame_rate - 59.7275).abs() < 0.001);
}

#[test]
fn instruction_budget_returns_even_when_halted_forever() {
    // di; halt with IE = 0: nothing can wake the CPU.
    let rom = rom_builder::rom("HALT", 0x00, 0, 0, &[0xF3, 0x76, 0x18, 0xFE]);
    let mut gb = GameBoy::new(&rom, None).expect("valid ROM");
    let r = gb.run(Budget::Instructions(10));
    assert_eq!(r.stop, StopReason::BudgetSpent);
    assert_eq!(gb.pc(), 0x152);
}

#[test]
fn joypad_reads_through_p1_and_interrupts() {
    // ld a,$10 ; ldh [$00],a ; ldh a,[$00] ; ld b,b ; jr -2
    let code = [0x3E, 0x10, 0xE0, 0x00, 0xF0, 0x00, 0x40, 0x18, 0xFE];
    let rom = rom_builder::rom("PAD", 0x00, 0, 0, &code);
    let mut gb = GameBoy::new(&rom, None).expect("valid ROM");
    let start = gb
        .info()
        .buttons
        .iter()
        .position(|&b| b == "start")
        .expect("start button");
    // After boot both P1 groups are selected, so the press pulls a line low at once.
    gb.poke(0, 0xFF0F, 0).expect("IF is pokeable");
    gb.input(wb_machine::InputEvent::Button {
        index: start,
        pressed: true,
    });
    assert_eq!(
        gb.peek(0, 0xFF0F).map(|v| v & 0x10),
        Some(0x10),
        "a press raises the joypad interrupt"
    );
    assert!(matches!(
        gb.run(Budget::Frame).stop,
        StopReason::DebugTrap { .. }
    ));
    let a = gb
        .registers()
        .into_iter()
        .find(|r| r.name == "a")
        .map(|r| r.value);
    assert_eq!(a, Some(0xD7), "buttons selected, start (bit 3) low");
    gb.input(wb_machine::InputEvent::Button {
        index: start,
        pressed: false,
    });
    assert_eq!(gb.peek(0, 0xFF00), Some(0xDF), "released: all lines high");
}
