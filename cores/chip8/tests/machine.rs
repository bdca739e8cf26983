//! The Machine contract: loading, introspection, hooks and save states.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests fail by panicking

mod common;

use common::{exec, program, reg, suite, words};
use wb_chip8::{Chip8, Config, LoadError, Platform};
use wb_machine::{
    Access, Breakpoint, Budget, InputEvent, Machine, PokeError, StateError, StopReason, Watchpoint,
};

#[test]
fn bad_roms_are_load_errors() {
    for p in Platform::ALL {
        let config = Config::for_platform(p);
        assert!(matches!(
            Chip8::new(&[], config.clone()),
            Err(LoadError::Empty)
        ));
        let max = p.memory_size() - 0x200;
        assert!(Chip8::new(&vec![0; max], config.clone()).is_ok());
        let err = Chip8::new(&vec![0; max + 1], config).err();
        assert_eq!(err, Some(LoadError::TooLarge { size: max + 1, max }));
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            !text.contains('\n') && text.contains(&max.to_string()),
            "{text}"
        );
    }
}

#[test]
fn info_registers_and_memory() {
    let mut m = words(Platform::XoChip, &[0x6A2B]);
    let info = m.info();
    assert_eq!(info.name, "xochip");
    assert_eq!(
        info.buttons,
        [
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"
        ]
    );
    assert_eq!(info.address_spaces[0].name, "RAM");
    assert_eq!(info.address_spaces[0].size, 0x10000);
    assert_eq!(info.audio_rate, 48_000);
    assert_eq!(words(Platform::SchipLegacy, &[0]).info().name, "schip");
    assert_eq!(
        words(Platform::Chip8, &[0]).info().address_spaces[0].size,
        0x1000
    );
    let names: Vec<String> = m.registers().into_iter().map(|r| r.name).collect();
    let mut want: Vec<String> = (0..16).map(|i| format!("v{i:x}")).collect();
    want.extend(["i", "pc", "sp", "dt", "st"].map(String::from));
    assert_eq!(names, want);
    exec(&mut m, 1);
    assert_eq!(reg(&m, "va"), 0x2B);
    m.set_register("V3", 0x44).expect("v3");
    m.set_register("i", 0xBEEF).expect("i");
    assert_eq!((reg(&m, "v3"), reg(&m, "i")), (0x44, 0xBEEF));
    assert!(matches!(
        m.set_register("v3", 0x100),
        Err(PokeError::TooWide { .. })
    ));
    assert!(matches!(
        m.set_register("sp", 17),
        Err(PokeError::TooWide { .. })
    ));
    assert!(matches!(
        m.set_register("x9", 1),
        Err(PokeError::NoSuchRegister(_))
    ));
    assert_eq!(m.peek(0, 0x200), Some(0x6A));
    m.poke(0, 0xFFFF, 7).expect("top of XO-CHIP RAM");
    assert_eq!(m.peek(0, 0xFFFF), Some(7));
    assert_eq!(m.peek(0, 0x10000), None);
    assert_eq!(m.peek(1, 0), None);
    assert!(matches!(
        m.poke(0, 0x10000, 0),
        Err(PokeError::OutOfRange { .. })
    ));
    assert!(matches!(m.poke(1, 0, 0), Err(PokeError::NoSuchSpace(1))));
}

#[test]
fn disassembly_through_the_machine() {
    let m = words(Platform::XoChip, &[0x2206, 0xF000, 0x1234, 0xD015]);
    let lines = m.disassemble(0x200, 3);
    let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(text, [":call 0x206", "i := long 0x1234", "sprite v0 v1 5"]);
    assert_eq!(lines[0].target, Some(0x206));
    assert_eq!(lines[1].bytes, [0xF0, 0x00, 0x12, 0x34]);
    assert_eq!(lines[2].addr, 0x206);
    assert_eq!(m.call_return_address(), Some(0x202));
    assert!(m.disassemble(0xFFFF, 5).len() == 1);
}

#[test]
fn reset_restores_the_loaded_program() {
    let mut m = words(Platform::Chip8, &[0x6A2B, 0xA300, 0xFA55, 0x1206]);
    m.run(Budget::Frame);
    assert_eq!(m.peek(0, 0x30A), Some(0x2B));
    m.reset();
    assert_eq!(
        (m.pc(), reg(&m, "va"), m.instructions_retired(), m.cycles()),
        (0x200, 0, 0, 0)
    );
    assert_eq!(m.peek(0, 0x30A), Some(0));
}

#[test]
fn breakpoint_stops_before_the_instruction() {
    let mut m = words(Platform::Chip8, &[0x6001, 0x6002, 0x6003, 0x1206]);
    m.hooks_mut().set_breakpoint(Breakpoint {
        addr: 0x202,
        enabled: true,
    });
    let r = m.run(Budget::Frame);
    assert_eq!(r.stop, StopReason::Breakpoint { addr: 0x202 });
    assert_eq!((m.pc(), reg(&m, "v0")), (0x202, 1));
    // Running again without skipping stops at once; step ignores the breakpoint.
    assert_eq!(
        m.run(Budget::Frame).stop,
        StopReason::Breakpoint { addr: 0x202 }
    );
    assert_eq!(m.step().stop, StopReason::BudgetSpent);
    assert_eq!((m.pc(), reg(&m, "v0")), (0x204, 2));
    // Resuming as a debugger does: skip once at pc.
    m.hooks_mut().set_breakpoint(Breakpoint {
        addr: 0x204,
        enabled: true,
    });
    assert_eq!(
        m.run(Budget::Frame).stop,
        StopReason::Breakpoint { addr: 0x204 }
    );
    m.hooks_mut().skip_breakpoint_once(0x204);
    assert_eq!(m.run(Budget::Instructions(1)).stop, StopReason::BudgetSpent);
    assert_eq!(reg(&m, "v0"), 3);
}

#[test]
fn watchpoints_report_writes_and_reads() {
    // i := 0x300; v0 := 9; save v0; i := 0x300; sprite v1 v1 1
    let prog = [0xA300, 0x6009, 0xF055, 0xA300, 0xD111, 0x120A];
    let mut m = words(Platform::SchipModern, &prog);
    m.hooks_mut().set_watchpoints(vec![Watchpoint {
        start: 0x300,
        len: 1,
        read: false,
        write: true,
        enabled: true,
    }]);
    let r = m.run(Budget::Frame);
    assert_eq!(
        r.stop,
        StopReason::Watchpoint {
            addr: 0x300,
            access: Access::Write,
            value: 9,
            pc: 0x204
        }
    );
    assert_eq!(m.pc(), 0x206, "the write retired");
    assert_eq!(r.cycles, 3, "and spent its slot");
    assert_eq!(
        m.run(Budget::Frame).stop,
        StopReason::FrameDone,
        "reads are not watched"
    );
    let mut m = words(Platform::SchipModern, &prog);
    m.hooks_mut().set_watchpoints(vec![Watchpoint {
        start: 0x300,
        len: 1,
        read: true,
        write: false,
        enabled: true,
    }]);
    let r = m.run(Budget::Frame);
    assert_eq!(
        r.stop,
        StopReason::Watchpoint {
            addr: 0x300,
            access: Access::Read,
            value: 9,
            pc: 0x208
        }
    );
}

#[test]
fn trace_profile_and_call_stack() {
    // call 0x206; jump 0x202 (loop); 0x206: return... a call every loop
    let mut m = words(Platform::Chip8, &[0x2206, 0x1200, 0x0000, 0x00EE]);
    m.hooks_mut().set_trace(Some(4));
    m.hooks_mut().set_profiling(true);
    m.hooks_mut().set_call_tracking(true);
    exec(&mut m, 1);
    assert_eq!(m.hooks().call_stack().len(), 1);
    assert_eq!(m.hooks().call_stack()[0].return_addr, 0x202);
    exec(&mut m, 1);
    assert!(m.hooks().call_stack().is_empty());
    exec(&mut m, 7);
    let pcs: Vec<u64> = m
        .hooks()
        .trace()
        .map(|t| t.iter().map(|e| e.pc).collect())
        .unwrap_or_default();
    assert_eq!(pcs, [0x202, 0x200, 0x206, 0x202]);
    let profile = m.hooks().profile().expect("profiling on");
    assert_eq!(profile.by_pc[&0x200].0, 3);
}

/// Run the keypad ROM with keys, saving midway; a machine restored from that snapshot must
/// produce the same frames and audio as the uninterrupted one.
#[test]
fn save_load_continue_matches_an_uninterrupted_run() {
    let Some(dir) = suite() else { return };
    for (rom, p, select) in [
        ("5-quirks.ch8", Platform::Chip8, 1),
        ("5-quirks.ch8", Platform::XoChip, 3),
        ("5-quirks.ch8", Platform::SchipLegacy, 4),
        ("8-scrolling.ch8", Platform::SchipModern, 3),
        ("7-beep.ch8", Platform::Chip8, 0),
    ] {
        let bytes = std::fs::read(dir.join("bin").join(rom)).expect("ROM");
        let mut a = Chip8::new(&bytes, Config::for_platform(p)).expect("loads");
        a.poke(0, 0x1FF, select).expect("RAM");
        for _ in 0..37 {
            a.run(Budget::Frame);
        }
        a.run(Budget::Cycles(5)); // mid-frame
        let snapshot = a.save_state();
        let mut b = Chip8::new(&bytes, Config::for_platform(p)).expect("loads");
        b.load_state(&snapshot).expect("same core");
        let (mut audio_a, mut audio_b) = (Vec::new(), Vec::new());
        a.drain_audio(&mut audio_a);
        audio_a.clear();
        for f in 0..150 {
            let key = InputEvent::Button {
                index: 11,
                pressed: f % 20 < 10,
            };
            a.input(key.clone());
            b.input(key);
            assert_eq!(a.run(Budget::Frame), b.run(Budget::Frame));
            assert_eq!(a.frame().rgba, b.frame().rgba, "{rom} frame {f}");
            a.drain_audio(&mut audio_a);
            b.drain_audio(&mut audio_b);
            assert_eq!(audio_a, audio_b);
            assert_eq!(a.registers(), b.registers());
        }
        assert_eq!(a.save_state(), b.save_state());
    }
}

#[test]
fn corrupt_and_foreign_states_are_refused_and_change_nothing() {
    let mut m = words(Platform::Chip8, &[0x7001, 0x1200]);
    m.run(Budget::Frame);
    let good = m.save_state();
    exec(&mut m, 3);
    let before = m.save_state();
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    assert_eq!(m.load_state(&flipped), Err(StateError::Corrupt));
    assert_eq!(
        m.load_state(&good[..good.len() - 3]),
        Err(StateError::Truncated)
    );
    assert_eq!(m.load_state(b"garbage"), Err(StateError::NotAState));
    let xo = words(Platform::XoChip, &[0x1200]).save_state();
    assert!(matches!(
        m.load_state(&xo),
        Err(StateError::WrongCore { .. })
    ));
    // Same core name, other platform: schip-legacy into schip-modern.
    let legacy = words(Platform::SchipLegacy, &[0x1200]).save_state();
    let mut modern = words(Platform::SchipModern, &[0x1200]);
    assert!(matches!(
        modern.load_state(&legacy),
        Err(StateError::Mismatch(_))
    ));
    assert_eq!(
        m.save_state(),
        before,
        "refused loads leave the machine alone"
    );
    m.load_state(&good).expect("good state");
    assert_eq!(m.save_state(), good);
}

#[test]
fn load_program_fills_the_whole_memory() {
    let rom = program(&[0x1200]);
    let m = Chip8::new(&rom, Config::for_platform(Platform::XoChip)).expect("loads");
    assert_eq!(m.config().platform, Platform::XoChip);
    assert_eq!(m.peek(0, 0x000), Some(0xF0), "font at 0");
}
