//! Run-control semantics on the interface alone (issue 3): every test drives the
//! debugger through `&mut dyn Machine`, most on the toy machine of `testmachine.rs`; the
//! reverse-step tests at the end run on every real core (CHIP-8, Game Boy, RISC-V, x86, Kite).

use std::collections::HashMap;

use wb_machine::{Access, Budget, InputEvent, Machine, StopReason};

use super::expr::ExprError;
use super::session::DebugError;
use super::testmachine::ToyMachine;
use super::*;

/// main: v0 = 1; call sub; v1 = 5; loop. sub: v0 += 1; v0 += 1; ret.
const CALLS: &[u16] = &[0x6001, 0x2208, 0x6105, 0x1206, 0x7001, 0x7001, 0x00EE];

/// i = 0x300; [0x300], [0x301] = 3, 2; loop { v3 += 8; v1 += 1; [0x300..=0x301] = v0, v1 }.
const LOOP: &[u16] = &[
    0xA300, 0x6003, 0x6102, 0xF155, 0x7308, 0x7101, 0xF155, 0x1208,
];

/// i = 0x300; v0 = 7; [0x300] = v0; v0 = 0; v0 = [0x300]; repeat.
const READS: &[u16] = &[0xA300, 0x6007, 0xF055, 0x6000, 0xF065, 0x1200];

fn setup(program: &[u16]) -> (ToyMachine, Debugger) {
    let mut m = ToyMachine::new(program);
    let mut dbg = Debugger::new();
    dbg.attach(&mut m);
    (m, dbg)
}

fn reg(m: &dyn Machine, name: &str) -> u64 {
    m.registers()
        .iter()
        .find(|r| r.name == name)
        .map(|r| r.value as u64)
        .unwrap_or(u64::MAX)
}

#[test]
fn step_over_a_call_returns_after_it() {
    let (mut m, mut dbg) = setup(CALLS);
    assert_eq!(dbg.step_into(&mut m), Stop::Stepped);
    assert_eq!(m.pc(), 0x202);
    assert_eq!(
        dbg.begin_step_over(&mut m),
        None,
        "a call is a motion, not one step"
    );
    assert_eq!(dbg.finish(&mut m, 10), Stop::Arrived { pc: 0x204 });
    assert_eq!(reg(&m, "v0"), 3, "the routine ran");
    assert!(m.hooks().call_stack().is_empty());
    // Not a call: one instruction.
    assert_eq!(dbg.begin_step_over(&mut m), Some(Stop::Stepped));
    assert_eq!(m.pc(), 0x206);
}

#[test]
fn step_over_stops_at_a_breakpoint_inside_the_call() {
    let (mut m, mut dbg) = setup(CALLS);
    dbg.step_into(&mut m);
    dbg.toggle_breakpoint(&mut m, 0x20A);
    assert_eq!(dbg.begin_step_over(&mut m), None);
    assert_eq!(
        dbg.finish(&mut m, 10),
        Stop::Machine(StopReason::Breakpoint { addr: 0x20A })
    );
    assert!(!dbg.in_motion(), "a user stop cancels the motion");
}

#[test]
fn step_out_leaves_the_routine() {
    let (mut m, mut dbg) = setup(CALLS);
    dbg.begin_run_to(&mut m, 0x20A);
    assert_eq!(dbg.finish(&mut m, 10), Stop::Arrived { pc: 0x20A });
    assert_eq!(m.hooks().call_stack().len(), 1);
    dbg.begin_step_out(&mut m).unwrap();
    assert_eq!(dbg.finish(&mut m, 10), Stop::Arrived { pc: 0x204 });
    assert_eq!(reg(&m, "v0"), 3);
    assert_eq!(dbg.begin_step_out(&mut m), Err(DebugError::NoCaller));
}

#[test]
fn condition_over_registers_and_memory() {
    let (mut m, mut dbg) = setup(LOOP);
    let mut bp = BreakpointSpec::new(0x20E);
    bp.condition = Some(Expr::parse("v3 == 0x10 && [i+1] > 2").unwrap());
    dbg.set_breakpoint(&mut m, bp);
    assert_eq!(
        dbg.finish(&mut m, 100),
        Stop::Machine(StopReason::Breakpoint { addr: 0x20E })
    );
    assert_eq!(reg(&m, "v3"), 0x10);
    assert_eq!(m.peek(0, 0x301), Some(4));
    assert_eq!(
        dbg.breakpoints()[0].hits,
        1,
        "false conditions are not hits"
    );

    // The second conjunct alone decides: v3 == 0x18 recurs every 32 loops, [0x301] grows.
    let (mut m, mut dbg) = setup(LOOP);
    let mut bp = BreakpointSpec::new(0x20E);
    bp.condition = Some(Expr::parse("v3 == 0x18 && [i + 1] > 200").unwrap());
    dbg.set_breakpoint(&mut m, bp);
    assert_eq!(
        dbg.finish(&mut m, 1000),
        Stop::Machine(StopReason::Breakpoint { addr: 0x20E })
    );
    assert_eq!(m.peek(0, 0x301), Some(229));
}

#[test]
fn condition_errors_stop_and_say_why() {
    let (mut m, mut dbg) = setup(LOOP);
    let mut bp = BreakpointSpec::new(0x208);
    bp.condition = Some(Expr::parse("nosuch == 1").unwrap());
    dbg.set_breakpoint(&mut m, bp);
    let stop = dbg.finish(&mut m, 10);
    assert!(
        matches!(&stop, Stop::ConditionError(e) if e.contains("nosuch")),
        "{stop:?}"
    );
    assert!(Expr::parse("v3 == ").is_err());
    assert!(Expr::parse("(v3").is_err());
}

#[test]
fn expressions_follow_c_precedence() {
    let m = ToyMachine::new(LOOP);
    let eval = |s: &str| Expr::parse(s).unwrap().eval(&m).unwrap();
    assert_eq!(eval("1 + 2 * 3"), 7);
    assert_eq!(eval("(1 + 2) * 3"), 9);
    assert_eq!(eval("1 << 4 | 1"), 17);
    assert_eq!(eval("2 < 3 == 1"), 1);
    assert_eq!(eval("!0 && ~0 == 0xffffffffffffffff"), 1);
    assert_eq!(
        eval("[0x200] << 8 | [0x201]"),
        0xA300,
        "first opcode, big endian"
    );
    assert_eq!(eval("PC - 0b10"), 0x1FE);
    assert_eq!(
        Expr::parse("1 / 0").unwrap().eval(&m),
        Err(ExprError::DivZero)
    );
}

#[test]
fn hit_counts_and_ignore_counts() {
    let (mut m, mut dbg) = setup(LOOP);
    let mut bp = BreakpointSpec::new(0x208);
    bp.ignore = 2;
    dbg.set_breakpoint(&mut m, bp);
    assert_eq!(
        dbg.finish(&mut m, 10),
        Stop::Machine(StopReason::Breakpoint { addr: 0x208 })
    );
    assert_eq!(dbg.breakpoints()[0].hits, 3);
    assert_eq!(reg(&m, "v3"), 0x10, "third pass");
    assert_eq!(
        dbg.finish(&mut m, 10),
        Stop::Machine(StopReason::Breakpoint { addr: 0x208 })
    );
    assert_eq!(dbg.breakpoints()[0].hits, 4);
    assert_eq!(reg(&m, "v3"), 0x18);
}

#[test]
fn log_only_breakpoints_log_and_keep_running() {
    let (mut m, mut dbg) = setup(LOOP);
    let mut bp = BreakpointSpec::new(0x208);
    bp.action = Action::Log("v3={v3} mem={[i+1]}".into());
    dbg.set_breakpoint(&mut m, bp);
    for _ in 0..3 {
        assert_eq!(dbg.run(&mut m, Budget::Frame), Stop::Budget);
    }
    let log = dbg.drain_log();
    assert!(log.len() >= 4, "{log:?}");
    assert_eq!(log[0], "v3=0x0 mem=0x2");
    assert_eq!(log[1], "v3=0x8 mem=0x3");
    assert_eq!(dbg.breakpoints()[0].hits, log.len() as u64);
}

#[test]
fn watchpoint_on_write() {
    let (mut m, mut dbg) = setup(LOOP);
    dbg.add_watchpoint(&mut m, WatchSpec::new(0x301, 1, false, true));
    let stop = dbg.finish(&mut m, 10);
    assert_eq!(
        stop,
        Stop::Machine(StopReason::Watchpoint {
            addr: 0x301,
            access: Access::Write,
            value: 2,
            pc: 0x206
        })
    );
    assert_eq!(m.pc(), 0x208, "stops after the instruction that wrote");
    let stop = dbg.finish(&mut m, 10);
    assert!(
        matches!(
            stop,
            Stop::Machine(StopReason::Watchpoint {
                value: 3,
                pc: 0x20C,
                ..
            })
        ),
        "{stop:?}"
    );
    assert_eq!(dbg.watchpoints()[0].hits, 2);
}

#[test]
fn watchpoint_on_read_with_condition() {
    let (mut m, mut dbg) = setup(READS);
    let mut w = WatchSpec::new(0x300, 1, true, false);
    w.condition = Some(Expr::parse("v0 == 7").unwrap());
    dbg.add_watchpoint(&mut m, w);
    let stop = dbg.finish(&mut m, 10);
    assert_eq!(
        stop,
        Stop::Machine(StopReason::Watchpoint {
            addr: 0x300,
            access: Access::Read,
            value: 7,
            pc: 0x208
        })
    );
    assert_eq!(reg(&m, "v0"), 7);
}

#[test]
fn breakpoints_stop_before_the_instruction_and_resume_past_it() {
    let (mut m, mut dbg) = setup(LOOP);
    dbg.toggle_breakpoint(&mut m, 0x20A);
    for pass in 1..=3 {
        assert_eq!(
            dbg.finish(&mut m, 10),
            Stop::Machine(StopReason::Breakpoint { addr: 0x20A })
        );
        assert_eq!(m.pc(), 0x20A);
        assert_eq!(
            reg(&m, "v1"),
            1 + pass,
            "v1 += 1 has not run yet on pass {pass}"
        );
    }
    dbg.edit_breakpoint(&mut m, 0x20A, |b| b.enabled = false);
    assert_eq!(dbg.finish(&mut m, 3), Stop::Budget);
}

/// Step forward through inputs and snapshots, then back: every state equals the one
/// recorded at that instruction count, byte for byte.
#[test]
fn reverse_step_equals_the_recorded_state() {
    let (mut m, mut dbg) = setup(LOOP);
    dbg.history_mut().set_interval(5);
    let mut recorded: HashMap<u64, Vec<u8>> = HashMap::new();
    for k in 0..60 {
        if k == 20 {
            dbg.input(
                &mut m,
                InputEvent::Button {
                    index: 1,
                    pressed: true,
                },
            );
        }
        if k == 41 {
            dbg.input(
                &mut m,
                InputEvent::Button {
                    index: 1,
                    pressed: false,
                },
            );
        }
        recorded.insert(m.instructions_retired(), m.save_state());
        if k % 3 == 0 {
            // The states inside a run are recorded on a copy stepping alongside.
            let mut shadow = m.clone();
            for _ in 0..2 {
                shadow.step();
                recorded.insert(shadow.instructions_retired(), shadow.save_state());
            }
            assert_eq!(dbg.run(&mut m, Budget::Instructions(2)), Stop::Budget);
            assert!(shadow.save_state() == m.save_state());
        } else {
            assert_eq!(dbg.step_into(&mut m), Stop::Stepped);
        }
    }
    let end = m.instructions_retired();
    recorded.insert(end, m.save_state());
    assert!(dbg.history().len() > 5, "several snapshots were taken");
    for expected in (0..end).rev() {
        assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::Stepped));
        assert_eq!(m.instructions_retired(), expected);
        assert!(
            recorded[&expected] == m.save_state(),
            "state differs at {expected}"
        );
    }
    assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::HistoryStart));
}

#[test]
fn reverse_continue_stops_at_the_previous_watchpoint_hit() {
    let (mut m, mut dbg) = setup(LOOP);
    dbg.history_mut().set_interval(7);
    dbg.add_watchpoint(&mut m, WatchSpec::new(0x301, 1, false, true));
    let mut hits = Vec::new();
    for _ in 0..4 {
        let stop = dbg.finish(&mut m, 10);
        assert!(matches!(stop, Stop::Machine(StopReason::Watchpoint { .. })));
        hits.push((m.instructions_retired(), m.save_state(), stop));
        // Some plain running between hits, so hits sit in different history segments.
        dbg.step_into(&mut m);
    }
    assert_eq!(dbg.watchpoints()[0].hits, 4);
    for (at, state, stop) in hits.iter().rev() {
        assert_eq!(dbg.reverse_continue(&mut m).as_ref(), Ok(stop));
        assert_eq!(m.instructions_retired(), *at);
        assert!(*state == m.save_state(), "state differs at {at}");
    }
    assert_eq!(
        dbg.watchpoints()[0].hits,
        4,
        "going back does not count hits"
    );
    assert_eq!(dbg.reverse_continue(&mut m), Ok(Stop::HistoryStart));
    assert_eq!(m.instructions_retired(), 0);
    // And forward again from the start finds the first hit.
    assert_eq!(dbg.finish(&mut m, 10), hits[0].2);
}

#[test]
fn reverse_continue_to_a_conditional_breakpoint() {
    let (mut m, mut dbg) = setup(LOOP);
    dbg.history_mut().set_interval(3);
    for _ in 0..10 {
        dbg.run(&mut m, Budget::Frame);
    }
    let mut bp = BreakpointSpec::new(0x20A);
    bp.condition = Some(Expr::parse("v3 == 0x18").unwrap());
    dbg.set_breakpoint(&mut m, bp);
    assert_eq!(
        dbg.reverse_continue(&mut m),
        Ok(Stop::Machine(StopReason::Breakpoint { addr: 0x20A }))
    );
    assert_eq!(m.pc(), 0x20A);
    assert_eq!(reg(&m, "v3"), 0x18);
    // Forward from here, it does not stop on the breakpoint under the cursor.
    assert_eq!(dbg.step_into(&mut m), Stop::Stepped);
    assert_eq!(m.pc(), 0x20C);
}

#[test]
fn trace_shows_register_changes_and_leaves_the_state_alone() {
    let (mut m, mut dbg) = setup(LOOP);
    for _ in 0..6 {
        dbg.step_into(&mut m);
    }
    let before = m.save_state();
    let rows = dbg.trace_with_changes(&mut m, 3).unwrap();
    assert!(before == m.save_state());
    let pcs: Vec<u64> = rows.iter().map(|r| r.pc).collect();
    assert_eq!(pcs, vec![0x206, 0x208, 0x20A]);
    assert_eq!(rows[1].changes, vec![("v3".to_string(), 0, 8)]);
    assert_eq!(rows[2].changes, vec![("v1".to_string(), 2, 3)]);
}

/// Rewind history stays within its memory budget: snapshots are compressed, the oldest
/// go first, and going back still works within what is kept.
#[test]
fn history_keeps_compressed_snapshots_within_its_budget() {
    let (mut m, mut dbg) = setup(LOOP);
    dbg.history_mut().set_interval(4);
    dbg.run(&mut m, Budget::Instructions(4));
    let one = dbg.history().bytes() / dbg.history().len().max(1);
    assert!(
        one * 4 < m.save_state().len(),
        "snapshots are compressed ({one} bytes for a {}-byte state)",
        m.save_state().len()
    );
    let budget = one * 5;
    dbg.history_mut().set_budget(budget);
    for _ in 0..50 {
        dbg.run(&mut m, Budget::Instructions(4));
        assert!(
            dbg.history().bytes() <= budget,
            "{} bytes",
            dbg.history().bytes()
        );
    }
    assert!(dbg.history().len() >= 2);
    let oldest = dbg.history().oldest().expect("a snapshot");
    assert!(
        oldest > 100,
        "the oldest snapshots were dropped (oldest at {oldest})"
    );
    let end = m.instructions_retired();
    assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::Stepped));
    assert_eq!(m.instructions_retired(), end - 1);
    while m.instructions_retired() > oldest {
        assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::Stepped));
    }
    assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::HistoryStart));
}

#[test]
fn rewind_goes_back_a_snapshot_at_a_time() {
    let (mut m, mut dbg) = setup(LOOP);
    dbg.history_mut().set_interval(8);
    for _ in 0..4 {
        dbg.run(&mut m, Budget::Frame);
    }
    let positions = dbg.history().positions();
    assert_eq!(positions, vec![0, 8, 16, 24]);
    assert_eq!(dbg.rewind(&mut m), Ok(true));
    assert_eq!(m.instructions_retired(), 24);
    assert_eq!(dbg.rewind(&mut m), Ok(true));
    assert_eq!(m.instructions_retired(), 16);
}

#[test]
fn save_state_round_trip_across_a_restart_and_refusals() {
    let dir = std::env::temp_dir().join(format!("wb-savestate-{}", std::process::id()));
    let path = savestate::slot_path(&dir, "loop demo.ch8", 3);
    assert!(path.to_string_lossy().ends_with("loop_demo.ch8.slot3.wbss"));
    let (mut m, mut dbg) = setup(LOOP);
    dbg.finish(&mut m, 5);
    savestate::save(&m, &path).unwrap();
    let saved = m.save_state();

    // "Restart": a new machine and a new debugger.
    let (mut fresh, mut dbg2) = setup(LOOP);
    let bytes = savestate::read(&fresh, &path).unwrap();
    dbg2.load_state(&mut fresh, &bytes).unwrap();
    assert!(fresh.save_state() == saved);
    assert_eq!(dbg2.finish(&mut fresh, 2), dbg.finish(&mut m, 2));
    assert!(fresh.save_state() == m.save_state(), "runs on identically");

    // Corrupt, truncated and other-core files are refused; the machine is unchanged.
    let good = std::fs::read(&path).unwrap();
    let mut corrupt = good.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0x40;
    std::fs::write(&path, &corrupt).unwrap();
    let err = savestate::read(&fresh, &path)
        .map(|b| dbg2.load_state(&mut fresh, &b).map_err(|e| e.to_string()));
    let msg = match err {
        Err(e) => e.to_string(),
        Ok(Err(e)) => e,
        Ok(Ok(())) => panic!("a corrupt state was accepted"),
    };
    assert!(msg.contains("corrupt"), "{msg}");
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    assert!(
        savestate::read(&fresh, &path)
            .unwrap_err()
            .to_string()
            .contains("truncated")
    );
    std::fs::write(&path, wb_machine::state::wrap("chip8", 1, b"x")).unwrap();
    let msg = savestate::read(&fresh, &path).unwrap_err().to_string();
    assert!(msg.contains("chip8") && msg.contains("toy"), "{msg}");
    assert!(fresh.save_state() == m.save_state());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The real CHIP-8 core, with timers and sprite drawing (display wait): going back one
/// instruction at a time through frames gives the states seen going forward (where a
/// step started, the state it started from).
#[test]
fn reverse_step_on_the_chip8_core_equals_the_recorded_states() {
    use wb_chip8::{Chip8, Config, Platform};
    #[rustfmt::skip]
    let program: &[u8] = &[
        0x60, 0x05, // 200 v0 = 5
        0xF0, 0x15, // 202 delay = v0
        0xA2, 0x14, // 204 i = sprite
        0xD1, 0x25, // 206 sprite v1 v2 5
        0x71, 0x01, // 208 v1 += 1
        0xF3, 0x07, // 20A v3 = delay
        0x33, 0x00, // 20C skip if v3 == 0
        0x12, 0x06, // 20E jump 206
        0x12, 0x00, // 210 jump 200
        0x00, 0x00, // 212
        0xF0, 0x90, 0x90, 0x90, 0xF0, // 214 sprite
    ];
    let config = || Config::for_platform(Platform::Chip8);
    let mut m = Chip8::new(program, config()).unwrap();
    let mut dbg = Debugger::new();
    dbg.attach(&mut m);
    let mut recorded: HashMap<u64, Vec<u8>> = HashMap::new();
    let mut shadow = Chip8::new(program, config()).unwrap();
    for frame in 0..12 {
        // Record every instruction boundary of this frame on a shadow machine.
        shadow.load_state(&m.save_state()).unwrap();
        if frame % 4 == 3 {
            // A step starts here (maybe after idling past the last instruction): going
            // back to this count lands here.
            recorded.insert(m.instructions_retired(), m.save_state());
            for _ in 0..5 {
                dbg.step_into(&mut m);
                shadow.step();
                assert!(shadow.save_state() == m.save_state(), "step = step");
                recorded.insert(shadow.instructions_retired(), shadow.save_state());
            }
        } else {
            // Inside a run nobody saw the idle time: going back to this count gives the
            // state a single step showed.
            recorded
                .entry(shadow.instructions_retired())
                .or_insert_with(|| shadow.save_state());
            let target = {
                let mut probe = Chip8::new(program, config()).unwrap();
                probe.load_state(&m.save_state()).unwrap();
                probe.run(Budget::Frame);
                probe.instructions_retired()
            };
            while shadow.instructions_retired() < target {
                shadow.step();
                recorded.insert(shadow.instructions_retired(), shadow.save_state());
            }
            assert_eq!(dbg.run(&mut m, Budget::Frame), Stop::Budget);
        }
    }
    let end = m.instructions_retired();
    assert!(end > 40, "the program ran ({end} instructions)");
    let mut compared = 0;
    while m.instructions_retired() > 0 {
        assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::Stepped));
        let at = m.instructions_retired();
        if let Some(state) = recorded.get(&at) {
            assert!(
                *state == m.save_state(),
                "state differs after going back to {at}"
            );
            compared += 1;
        }
    }
    assert!(compared as u64 >= end / 2, "compared {compared} of {end}");
}

/// An edit (poke, register write) changes the future: going back to the moment of the
/// edit gives the edited state, not a re-execution without it.
#[test]
fn reverse_execution_keeps_edits() {
    let (mut m, mut dbg) = setup(LOOP);
    dbg.history_mut().set_interval(3);
    for _ in 0..3 {
        dbg.run(&mut m, Budget::Frame);
    }
    dbg.poke(&mut m, 0, 0x301, 0x77).unwrap();
    dbg.set_register(&mut m, "v3", 0x55).unwrap();
    let edited_at = m.instructions_retired();
    let edited = m.save_state();
    for _ in 0..3 {
        dbg.run(&mut m, Budget::Frame);
    }
    while m.instructions_retired() > edited_at {
        dbg.reverse_step(&mut m).unwrap();
    }
    assert!(
        m.save_state() == edited,
        "back at the edit, the edit is there"
    );
    dbg.reverse_step(&mut m).unwrap();
    assert_ne!(reg(&m, "v3"), 0x55, "one step before the edit, it is not");
}

/// CHIP-8 with the display-wait quirk: a draw idles the rest of the frame, so several
/// states share one instruction count (right after the draw, and after the wait). A
/// reverse step must come back to the state the step started from, whichever it was:
/// after a breakpoint stop (past the wait), after a pause at a frame end, after a step.
#[test]
fn reverse_step_after_a_display_wait_returns_to_the_state_before_the_step() {
    use wb_chip8::{Chip8, Config, Platform};
    #[rustfmt::skip]
    let program: &[u8] = &[
        0x60, 0x05, // 200 v0 = 5
        0xF0, 0x15, // 202 delay = v0
        0xA2, 0x10, // 204 i = sprite
        0xD1, 0x25, // 206 sprite v1 v2 5 (waits for the vertical blank)
        0x71, 0x01, // 208 v1 += 1
        0x72, 0x01, // 20A v2 += 1
        0x12, 0x06, // 20C jump 206
        0x00, 0x00, // 20E
        0xF0, 0x90, 0x90, 0x90, 0xF0, // 210 sprite
    ];
    let config = Config::for_platform(Platform::Chip8);
    assert!(config.quirks.display_wait);
    let mut m = Chip8::new(program, config).unwrap();
    let mut dbg = Debugger::new();
    dbg.attach(&mut m);

    // 1. Stopped at a breakpoint on the instruction after the draw: past the wait.
    dbg.set_breakpoint(&mut m, BreakpointSpec::new(0x208));
    assert_eq!(
        dbg.finish(&mut m, 5),
        Stop::Machine(StopReason::Breakpoint { addr: 0x208 })
    );
    let at_breakpoint = m.save_state();
    assert_eq!(dbg.step_into(&mut m), Stop::Stepped);
    assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::Stepped));
    assert!(
        m.save_state() == at_breakpoint,
        "back at the breakpoint stop, after the wait"
    );
    dbg.remove_breakpoint(&mut m, 0x208);

    // 2. Paused at the end of a frame whose draw idled it.
    for _ in 0..3 {
        assert_eq!(dbg.run(&mut m, Budget::Frame), Stop::Budget);
    }
    dbg.park(&m);
    let paused = m.save_state();
    assert_eq!(m.pc(), 0x208, "the frame ended in the wait after the draw");
    assert_eq!(dbg.step_into(&mut m), Stop::Stepped);
    assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::Stepped));
    assert!(m.save_state() == paused, "back at the paused frame end");

    // 3. Stepping onto the draw shows the state right after it (the wait still ahead).
    while m.pc() != 0x206 {
        dbg.step_into(&mut m);
    }
    dbg.step_into(&mut m);
    let after_draw = m.save_state();
    dbg.step_into(&mut m);
    dbg.step_into(&mut m);
    assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::Stepped));
    assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::Stepped));
    assert!(m.save_state() == after_draw, "back right after the draw");

    // 4. Reverse-continue to a breakpoint hit past the wait, and an input given while
    //    paused in the wait is replayed at its exact position.
    dbg.set_breakpoint(&mut m, BreakpointSpec::new(0x208));
    assert_eq!(
        dbg.finish(&mut m, 5),
        Stop::Machine(StopReason::Breakpoint { addr: 0x208 })
    );
    let hit = m.save_state();
    dbg.input(
        &mut m,
        InputEvent::Button {
            index: 3,
            pressed: true,
        },
    );
    let pressed = m.save_state();
    for _ in 0..4 {
        dbg.step_into(&mut m);
    }
    assert_eq!(
        dbg.reverse_continue(&mut m),
        Ok(Stop::Machine(StopReason::Breakpoint { addr: 0x208 }))
    );
    assert!(
        m.save_state() == pressed,
        "back at the hit, with the key given there"
    );
    assert!(hit != pressed, "the key is part of the state");
}

/// The same on the Game Boy: a frame ends while the CPU waits in HALT for the vertical
/// blank, long after the HALT retired. Paused there, a step and a reverse step come back
/// to the paused state, not to the moment HALT retired.
#[test]
fn reverse_step_after_a_game_boy_halt_returns_to_the_paused_state() {
    let mut rom = vec![0u8; 0x8000];
    rom[0x40] = 0xD9; // vblank: reti
    rom[0x100..0x104].copy_from_slice(&[0x00, 0xC3, 0x50, 0x01]); // nop; jp 0x150
    #[rustfmt::skip]
    rom[0x150..0x15C].copy_from_slice(&[
        0x3E, 0x01, // ld a, 1
        0xE0, 0xFF, // ldh (IE), a: vblank only
        0xAF,       // xor a
        0xE0, 0x0F, // ldh (IF), a
        0xFB,       // ei
        0x76,       // 158: halt
        0x04,       // inc b
        0x18, 0xFC, // jr 158
    ]);
    rom[0x14D] = rom[0x134..=0x14C]
        .iter()
        .fold(0u8, |x, &b| x.wrapping_sub(b).wrapping_sub(1));
    let mut m = wb_gb::GameBoy::new(&rom, None).unwrap();
    let mut dbg = Debugger::new();
    dbg.attach(&mut m);
    for _ in 0..3 {
        assert_eq!(dbg.run(&mut m, Budget::Frame), Stop::Budget);
    }
    dbg.park(&m);
    let paused = m.save_state();
    // The pause is not where the last instruction retired: the CPU idled since.
    let mut first = wb_gb::GameBoy::new(&rom, None).unwrap();
    first.run(Budget::Instructions(m.instructions_retired()));
    assert_eq!(first.instructions_retired(), m.instructions_retired());
    assert!(first.cycles() < m.cycles(), "the frame ended in HALT");
    assert_eq!(dbg.step_into(&mut m), Stop::Stepped);
    assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::Stepped));
    assert!(m.save_state() == paused, "back at the paused state");
    // One more step back lands on the first state of the previous count, as a step would.
    assert_eq!(dbg.reverse_step(&mut m), Ok(Stop::Stepped));
    let mut again = wb_gb::GameBoy::new(&rom, None).unwrap();
    again.run(Budget::Instructions(m.instructions_retired()));
    assert!(again.save_state() == m.save_state());
}

/// Run, then step; going back one instruction at a time to the start, every count gives the
/// state a fresh machine reaches by running that many instructions from the same start, byte
/// for byte. (The start is a save state: a RISC-V Linux machine takes the host's clock once,
/// when it is made.)
fn reverse_steps_retrace_a_fresh_run(make: &dyn Fn() -> Box<dyn Machine>, run: u64, steps: usize) {
    let mut m = make();
    let start = m.save_state();
    let mut dbg = Debugger::new();
    dbg.attach(m.as_mut());
    assert_eq!(dbg.run(m.as_mut(), Budget::Instructions(run)), Stop::Budget);
    for _ in 0..steps {
        assert_eq!(dbg.step_into(m.as_mut()), Stop::Stepped);
    }
    let end = m.instructions_retired();
    assert_eq!(end, run + steps as u64);
    while m.instructions_retired() > 0 {
        assert_eq!(dbg.reverse_step(m.as_mut()), Ok(Stop::Stepped));
        let at = m.instructions_retired();
        let mut fresh = make();
        fresh.load_state(&start).expect("the start state loads");
        fresh.run(Budget::Instructions(at));
        assert_eq!(fresh.instructions_retired(), at);
        assert!(
            fresh.save_state() == m.save_state(),
            "state differs after going back to {at}"
        );
    }
}

/// Reverse step on the RISC-V core (Linux user mode, stores to the stack, a counted loop).
#[test]
fn reverse_step_on_the_riscv_core_retraces_a_fresh_run() {
    let source = "
        .globl _start
    _start:
        li t0, 40
        li t1, 0
    loop:
        add t1, t1, t0
        sd t1, -8(sp)
        ld t2, -8(sp)
        addi t0, t0, -1
        bnez t0, loop
        li a0, 0
        li a7, 93
        ecall
    ";
    let none = |_: &str| -> std::io::Result<String> { Err(std::io::ErrorKind::NotFound.into()) };
    let elf = wb_asm::assemble_str(
        "loop.s",
        source,
        wb_asm::Isa::RiscV,
        wb_asm::OutputKind::Executable,
        &none,
    )
    .expect("assembles")
    .bytes;
    let make = || -> Box<dyn Machine> {
        Box::new(wb_riscv::RiscV::load_elf(&elf, wb_riscv::LinuxOptions::default()).expect("loads"))
    };
    reverse_steps_retrace_a_fresh_run(&make, 150, 20);
}

/// Reverse step on the Kite VM (calls, a list on the heap, a loop).
#[test]
fn reverse_step_on_the_kite_vm_retraces_a_fresh_run() {
    let source = "fn sq(x) { return x * x; }\nlet xs = [];\nfor i in 0..12 { push(xs, sq(i)); }\nprint(len(xs));\n";
    let make = || -> Box<dyn Machine> {
        Box::new(wb_kite::VmMachine::new("t.kite", source, Vec::new()).expect("compiles"))
    };
    reverse_steps_retrace_a_fresh_run(&make, 60, 10);
}

/// Reverse step on the x86 PC, booting a boot sector of ours (a loop that stores to memory).
#[test]
fn reverse_step_on_the_x86_core_retraces_a_fresh_run() {
    let mut disk = vec![0u8; 512];
    #[rustfmt::skip]
    let code = [
        0xB9, 0x1E, 0x00, // 7C00 mov cx, 30
        0x01, 0xC8,       // 7C03 add ax, cx
        0xA3, 0x00, 0x05, // 7C05 mov [0x500], ax
        0x49,             // 7C08 dec cx
        0x75, 0xF8,       // 7C09 jnz 7C03
        0xF4,             // 7C0B hlt
        0xEB, 0xFD,       // 7C0C jmp 7C0B
    ];
    disk[..code.len()].copy_from_slice(&code);
    disk[510..].copy_from_slice(&[0x55, 0xAA]);
    let make = || -> Box<dyn Machine> { Box::new(wb_x86::Pc::new(disk.clone()).expect("boots")) };
    // Few steps: every comparison saves and loads the PC's 128 MiB of RAM.
    reverse_steps_retrace_a_fresh_run(&make, 40, 5);
}
