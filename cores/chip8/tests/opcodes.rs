//! One test per opcode group, on hand-written programs.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests fail by panicking

mod common;

use common::{exec, lit, reg, words};
use wb_chip8::{Chip8, Config, Platform};
use wb_machine::{Budget, InputEvent, Machine, StopReason};

const ALL: [Platform; 4] = Platform::ALL;

fn fault_message(m: &mut Chip8) -> String {
    match m.run(Budget::Instructions(100)).stop {
        StopReason::Fault(f) => f.message,
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[test]
fn set_and_add_immediate_wrap_without_flag() {
    let mut m = words(Platform::Chip8, &[0x6AFE, 0x7A03, 0x6F07, 0x7F01]);
    exec(&mut m, 2);
    assert_eq!(reg(&m, "va"), 0x01);
    assert_eq!(reg(&m, "vf"), 0);
    exec(&mut m, 2);
    assert_eq!(reg(&m, "vf"), 8);
}

#[test]
fn jump_call_return_and_the_stack() {
    // 200: call 206; 202: v1 := 2; 204: jump 204; 206: v0 := 1; 208: return
    let mut m = words(Platform::Chip8, &[0x2206, 0x6102, 0x1204, 0x6001, 0x00EE]);
    exec(&mut m, 1);
    assert_eq!((reg(&m, "pc"), reg(&m, "sp")), (0x206, 1));
    assert_eq!(m.call_return_address(), None);
    exec(&mut m, 2);
    assert_eq!((reg(&m, "pc"), reg(&m, "sp"), reg(&m, "v0")), (0x202, 0, 1));
    exec(&mut m, 3);
    assert_eq!((reg(&m, "pc"), reg(&m, "v1")), (0x204, 2));
}

#[test]
fn stack_overflow_and_underflow_are_faults_that_change_nothing() {
    let mut m = words(Platform::Chip8, &[0x2200]);
    assert!(fault_message(&mut m).contains("full stack"));
    assert_eq!((m.pc(), reg(&m, "sp")), (0x200, 16));
    let mut m = words(Platform::Chip8, &[0x00EE]);
    assert!(fault_message(&mut m).contains("empty stack"));
    assert_eq!((m.pc(), reg(&m, "sp")), (0x200, 0));
    // A fault is sticky: running again faults again at the same place.
    assert!(fault_message(&mut m).contains("empty stack"));
}

#[test]
fn conditional_skips() {
    // Each skip jumps over a "v9 += 1"; v9 counts the instructions that were not skipped.
    let prog = [
        0x6005, 0x6105, 0x6206, // v0 = 5, v1 = 5, v2 = 6
        0x3005, 0x7901, // skip (v0 == 5)
        0x3006, 0x7901, // no skip
        0x4006, 0x7901, // skip (v0 != 6)
        0x4005, 0x7901, // no skip
        0x5010, 0x7901, // skip (v0 == v1)
        0x5020, 0x7901, // no skip
        0x9020, 0x7901, // skip (v0 != v2)
        0x9010, 0x7901, // no skip
    ];
    let mut m = words(Platform::Chip8, &prog);
    exec(&mut m, 3 + 8 + 4);
    assert_eq!(reg(&m, "v9"), 4);
    assert_eq!(m.pc(), 0x200 + 2 * prog.len() as u64);
}

#[test]
fn xochip_skips_over_the_whole_long_load() {
    // skip; i := long 0x1234; v0 := 1
    let mut m = words(Platform::XoChip, &[0x3000, 0xF000, 0x1234, 0x6001]);
    exec(&mut m, 2);
    assert_eq!((reg(&m, "v0"), reg(&m, "i")), (1, 0));
    // On SUPER-CHIP the same skip is two bytes and lands on 0x1234 data: jump 0x234.
    let mut m = words(Platform::SchipModern, &[0x3000, 0xF000, 0x1234, 0x6001]);
    exec(&mut m, 2);
    assert_eq!(m.pc(), 0x234);
}

#[test]
fn alu_group_with_vf_as_operand() {
    // vF := 0xFF; v0 := 1; v0 += vF -> v0 = 0, vF = 1 (carry wins over the operand)
    let mut m = words(Platform::Chip8, &[0x6FFF, 0x6001, 0x80F4]);
    exec(&mut m, 3);
    assert_eq!((reg(&m, "v0"), reg(&m, "vf")), (0, 1));
    // vF as destination: vF := 5; v1 := 7; vF -= v1 -> vF holds the flag (0, borrow)
    let mut m = words(Platform::Chip8, &[0x6F05, 0x6107, 0x8F15]);
    exec(&mut m, 3);
    assert_eq!(reg(&m, "vf"), 0);
    // 8xy7 and 8xyE
    let mut m = words(Platform::Chip8, &[0x6003, 0x610A, 0x8017, 0x6281, 0x832E]);
    exec(&mut m, 5);
    assert_eq!((reg(&m, "v0"), reg(&m, "v3"), reg(&m, "vf")), (7, 0x02, 1));
}

#[test]
fn index_register_group() {
    // i := 0x2A0; v0 := 0x10; i += v0; v1 := 0xB; i := hex v1
    let mut m = words(
        Platform::SchipModern,
        &[0xA2A0, 0x6010, 0xF01E, 0x610B, 0xF129, 0xF130],
    );
    exec(&mut m, 3);
    assert_eq!(reg(&m, "i"), 0x2B0);
    exec(&mut m, 2);
    let glyph = reg(&m, "i") as u64;
    let rows: Vec<u8> = (0..5).map(|k| m.peek(0, glyph + k).expect("RAM")).collect();
    assert_eq!(rows, [0xE0, 0x90, 0xE0, 0x90, 0xE0], "small B");
    exec(&mut m, 1);
    let big = reg(&m, "i") as u64;
    assert_eq!(m.peek(0, big), Some(0xFC), "big B, first row");
}

#[test]
fn bcd_save_and_load() {
    // v0 := 254; i := 0x300; bcd v0; v1 := 7; v2 := 9; i := 0x310; save v2; i := 0x300; load v2
    let prog = [
        0x60FE, 0xA300, 0xF033, 0x6107, 0x6209, 0xA310, 0xF255, 0xA300, 0xF265,
    ];
    for p in ALL {
        let mut m = words(p, &prog);
        exec(&mut m, 3);
        let bcd: Vec<u8> = (0x300..0x303).map(|a| m.peek(0, a).expect("RAM")).collect();
        assert_eq!(bcd, [2, 5, 4]);
        exec(&mut m, 4);
        let saved: Vec<u8> = (0x310..0x313).map(|a| m.peek(0, a).expect("RAM")).collect();
        assert_eq!(saved, [254, 7, 9]);
        exec(&mut m, 2);
        assert_eq!((reg(&m, "v0"), reg(&m, "v1"), reg(&m, "v2")), (2, 5, 4));
    }
}

#[test]
fn random_is_masked_and_reproducible() {
    let prog = [0xC00F, 0xC1F0, 0xC2FF, 0x1206];
    let mut a = words(Platform::Chip8, &prog);
    let mut b = words(Platform::Chip8, &prog);
    exec(&mut a, 3);
    exec(&mut b, 3);
    assert_eq!(reg(&a, "v0") & 0xF0, 0);
    assert_eq!(reg(&a, "v1") & 0x0F, 0);
    assert_eq!(a.registers(), b.registers());
}

#[test]
fn jump_with_offset() {
    // v0 := 4; v3 := 8; jump0 0x300 -> 0x304 (v0) or 0x308 (v3, jumping quirk)
    let prog = [0x6004, 0x6308, 0xB300];
    let mut m = words(Platform::Chip8, &prog);
    exec(&mut m, 3);
    assert_eq!(m.pc(), 0x304);
    let mut m = words(Platform::SchipModern, &prog);
    exec(&mut m, 3);
    assert_eq!(m.pc(), 0x308);
}

#[test]
fn draw_sets_pixels_and_collision_flag() {
    // i := font 0; draw at (2,3) twice
    for p in ALL {
        let mut m = words(p, &[0x6002, 0x6103, 0xA000, 0xD015, 0xD015]);
        exec(&mut m, 5);
        assert!(lit(&m).is_empty(), "{}", p.name());
        assert_eq!(reg(&m, "vf"), 1);
        let mut m = words(p, &[0x6002, 0x6103, 0xA000, 0xD015]);
        exec(&mut m, 4);
        assert_eq!(reg(&m, "vf"), 0);
        let scale = if p == Platform::SchipLegacy { 2 } else { 1 };
        assert_eq!(
            lit(&m).len(),
            14 * scale * scale,
            "the 0 glyph has 14 pixels"
        );
        assert!(lit(&m).contains(&(2 * scale, 3 * scale)));
    }
}

#[test]
fn sprite_data_wraps_at_the_end_of_memory() {
    // i := 0xFFF (0xFFFF on XO-CHIP): a 2-row sprite is the last byte of memory, then the
    // first byte of the font (0xF0).
    for p in ALL {
        let last = p.memory_size() - 1;
        let set_i: &[u16] = if p == Platform::XoChip {
            &[0xF000, 0xFFFF]
        } else {
            &[0xAFFF]
        };
        let mut m = words(p, &[set_i, &[0xD002]].concat());
        m.poke(0, last as u64, 0x81).unwrap();
        exec(&mut m, 2);
        let scale = if p == Platform::SchipLegacy { 2 } else { 1 };
        let mut want: Vec<(usize, usize)> = [(0, 0), (7, 0), (0, 1), (1, 1), (2, 1), (3, 1)]
            .iter()
            .flat_map(|&(x, y)| {
                (0..scale * scale).map(move |k| (x * scale + k % scale, y * scale + k / scale))
            })
            .collect();
        want.sort_by_key(|&(x, y)| (y, x));
        assert_eq!(lit(&m), want, "{}", p.name());
    }
}

#[test]
fn dxy0_per_platform() {
    // hires(when available) is not used: lores Dxy0.
    let prog = [0xA000, 0xD000];
    let mut m = words(Platform::Chip8, &prog);
    exec(&mut m, 2);
    assert!(lit(&m).is_empty(), "the VIP draws no rows");
    let mut m = words(Platform::XoChip, &prog);
    exec(&mut m, 2);
    assert!(lit(&m).iter().any(|&(x, _)| x >= 8), "16 pixels wide");
    let mut m = words(Platform::SchipLegacy, &prog);
    exec(&mut m, 2);
    assert!(lit(&m).iter().all(|&(x, _)| x < 16), "8 lores pixels wide");
    assert!(lit(&m).iter().any(|&(_, y)| y >= 20), "16 lores rows");
}

#[test]
fn keys_skip_instructions() {
    // v0 := 5; if v0 -key then v1 += 1 (skip when down); if v0 key then v2 += 1
    let prog = [0x6005, 0xE09E, 0x7101, 0xE0A1, 0x7201, 0x1200];
    let mut m = words(Platform::Chip8, &prog);
    exec(&mut m, 5);
    assert_eq!((reg(&m, "v1"), reg(&m, "v2")), (1, 0));
    let mut m = words(Platform::Chip8, &prog);
    m.input(InputEvent::Button {
        index: 5,
        pressed: true,
    });
    exec(&mut m, 5);
    assert_eq!((reg(&m, "v1"), reg(&m, "v2")), (0, 1));
    // Out-of-range buttons are ignored.
    m.input(InputEvent::Button {
        index: 99,
        pressed: true,
    });
}

#[test]
fn wait_key_needs_a_press_and_a_release() {
    let mut m = words(Platform::Chip8, &[0xF30A, 0x1202]);
    m.input(InputEvent::Button {
        index: 7,
        pressed: true,
    }); // held before the wait: ignored
    m.run(Budget::Frame);
    assert_eq!(m.pc(), 0x200);
    m.input(InputEvent::Button {
        index: 7,
        pressed: false,
    });
    m.input(InputEvent::Button {
        index: 9,
        pressed: true,
    });
    m.run(Budget::Frame);
    assert_eq!(m.pc(), 0x200, "still waiting for the release");
    m.input(InputEvent::Button {
        index: 9,
        pressed: false,
    });
    m.run(Budget::Frame);
    assert_eq!((m.pc(), reg(&m, "v3")), (0x202, 9));
}

#[test]
fn timers_count_down_at_60_hz() {
    // v0 := 3; delay := v0; buzzer := v0; loop: v1 := delay; jump loop
    let mut m = words(Platform::Chip8, &[0x6003, 0xF015, 0xF018, 0xF107, 0x1206]);
    let r = m.run(Budget::Frame);
    assert_eq!(r.stop, StopReason::FrameDone);
    assert_eq!(r.cycles, 15, "chip8 runs 15 instructions per frame");
    assert_eq!((reg(&m, "dt"), reg(&m, "st")), (2, 2));
    m.run(Budget::Frame);
    m.run(Budget::Frame);
    assert_eq!((reg(&m, "dt"), reg(&m, "st")), (0, 0));
    let mut audio = Vec::new();
    m.drain_audio(&mut audio);
    assert_eq!(audio.len(), 3 * 1600);
    assert!(common::audible(&audio[..4800]));
    m.run(Budget::Frame);
    audio.clear();
    m.drain_audio(&mut audio);
    assert!(!common::audible(&audio));
}

#[test]
fn superchip_screen_instructions() {
    // hires; i := font 8; v0 := 0; draw 5 rows; scroll-down 2; scroll-right; scroll-left;
    // scroll-left; lores; exit
    let prog = [
        0x00FF, 0xA028, 0x6000, 0xD005, 0x00C2, 0x00FB, 0x00FC, 0x00FC, 0x00FE, 0x00FD,
    ];
    let mut m = words(Platform::SchipModern, &prog);
    exec(&mut m, 4);
    assert_eq!((m.frame().width, m.frame().height), (128, 64));
    let before = lit(&m);
    exec(&mut m, 1);
    let down: Vec<_> = before.iter().map(|&(x, y)| (x, y + 2)).collect();
    assert_eq!(lit(&m), down);
    exec(&mut m, 1);
    let right: Vec<_> = down.iter().map(|&(x, y)| (x + 4, y)).collect();
    assert_eq!(lit(&m), right);
    exec(&mut m, 2);
    // Scrolled off the left edge and back: the left columns are gone.
    assert!(lit(&m).iter().all(|&(x, _)| x < 4));
    exec(&mut m, 1);
    assert_eq!((m.frame().width, m.frame().height), (64, 32));
    assert!(
        lit(&m).is_empty(),
        "modern SUPER-CHIP clears on a mode switch"
    );
    let r = m.run(Budget::Frame);
    assert_eq!(r.stop, StopReason::Halted);
    assert_eq!(r.cycles, 1, "the exit spends its slot");
    assert_eq!(m.cycles(), m.instructions_retired());
    assert_eq!(m.run(Budget::Frame).stop, StopReason::Halted);
    assert_eq!(m.step().stop, StopReason::Halted);
}

#[test]
fn superchip_flags_survive_a_reset() {
    // loadflags v1; v0 := 7; v1 := 9; saveflags v1
    let mut m = words(Platform::SchipModern, &[0xF185, 0x6007, 0x6109, 0xF175]);
    exec(&mut m, 1);
    assert_eq!((reg(&m, "v0"), reg(&m, "v1")), (0, 0));
    exec(&mut m, 3);
    m.reset();
    assert_eq!((reg(&m, "v0"), reg(&m, "v1")), (0, 0));
    exec(&mut m, 1);
    assert_eq!((reg(&m, "v0"), reg(&m, "v1")), (7, 9));
}

#[test]
fn xochip_planes_ranges_long_i_scroll_up_and_audio() {
    // i := long 0x0000 (font 0); plane 2; draw; plane 3; scroll-up 1;
    // v2..v4 := 1,2,3; i := 0x400; save v2 - v4; load v7 - v5 (reversed)
    let prog = [
        0xF000, 0x0000, 0xF201, 0x6000, 0xD005, 0xF301, 0x00D1, 0x6201, 0x6302, 0x6403, 0xA400,
        0x5242, 0x5753,
    ];
    let mut m = words(Platform::XoChip, &prog);
    exec(&mut m, 4);
    let f = m.frame();
    assert_eq!(
        &f.rgba[..4],
        &[0xFF, 0x66, 0x00, 0xFF],
        "plane 2 colour at (0,0)"
    );
    exec(&mut m, 2);
    assert!(
        !lit(&m).contains(&(0, 4)) && lit(&m).contains(&(0, 3)),
        "scrolled up one row"
    );
    exec(&mut m, 5);
    let saved: Vec<u8> = (0x400..0x403).map(|a| m.peek(0, a).expect("RAM")).collect();
    assert_eq!(saved, [1, 2, 3]);
    assert_eq!(reg(&m, "i"), 0x400, "I unchanged");
    exec(&mut m, 1);
    assert_eq!((reg(&m, "v7"), reg(&m, "v6"), reg(&m, "v5")), (1, 2, 3));
}

#[test]
fn xochip_pitch_changes_the_tone() {
    fn zero_crossings(pitch: u8) -> usize {
        // i := 0x20C (pattern); audio; v0 := pitch; pitch := v0; v1 := 2; buzzer := v1;
        // loop; pattern: 0xFF 0x00 x 8
        let mut prog = vec![
            0xA20E,
            0xF002,
            0x6000 | u16::from(pitch),
            0xF03A,
            0x6102,
            0xF118,
            0x120C,
        ];
        prog.extend([0xFF00; 8]);
        let mut m = words(Platform::XoChip, &prog);
        m.run(Budget::Frame);
        let mut audio = Vec::new();
        m.drain_audio(&mut audio);
        audio
            .windows(4)
            .step_by(2)
            .filter(|w| (w[0] > 0.0) != (w[2] > 0.0))
            .count()
    }
    let base = zero_crossings(64);
    let octave = zero_crossings(112);
    assert!(base > 0);
    assert!(
        (octave as f64 / base as f64 - 2.0).abs() < 0.1,
        "{base} -> {octave}"
    );
}

#[test]
fn illegal_and_foreign_opcodes_fault() {
    for (p, word) in [
        (Platform::Chip8, 0x0123),
        (Platform::Chip8, 0x00FF),
        (Platform::Chip8, 0xF001),
        (Platform::SchipModern, 0x5123),
        (Platform::SchipModern, 0x00D1),
        (Platform::XoChip, 0x8008),
        (Platform::XoChip, 0xE000),
        (Platform::XoChip, 0xF0FF),
    ] {
        let mut m = words(p, &[word]);
        let msg = fault_message(&mut m);
        assert!(msg.contains(&format!("{word:04X}")), "{msg}");
        assert_eq!(m.pc(), 0x200);
    }
}

#[test]
fn pc_leaving_memory_faults() {
    let mut m = words(Platform::Chip8, &[0x1FFF]);
    exec(&mut m, 1);
    assert!(fault_message(&mut m).contains("outside memory"));
    let cfg = Config::for_platform(Platform::XoChip);
    let mut rom = vec![0u8; 0x10000 - 0x200];
    rom[0] = 0xBF; // jump0 0xFFF (v0 = 0) then fall through the zero-filled memory
    rom[1] = 0xFF;
    let mut m = Chip8::new(&rom, cfg).expect("fits");
    m.poke(0, 0xFFF, 0x00).expect("RAM");
    exec(&mut m, 1);
    assert_eq!(m.pc(), 0xFFF);
    // 0x0000 is an illegal machine-code call.
    assert!(fault_message(&mut m).contains("0000"));
}

#[test]
fn xochip_audio_loads_the_pattern_from_i() {
    // i := 0x20C; audio; v1 := 2; buzzer := v1; loop; pattern: 16 x 0xF0 (4 bits on, 4 off)
    let mut prog = vec![0xA20C, 0xF002, 0x6102, 0xF118, 0x1208, 0x0000];
    prog.extend([0xF0F0; 8]);
    let mut m = words(Platform::XoChip, &prog);
    m.run(Budget::Frame);
    let mut audio = Vec::new();
    m.drain_audio(&mut audio);
    // 4000 bits/s, 4 bits per half period: 500 Hz, so 48 samples high, 48 low.
    let left: Vec<f32> = audio.iter().step_by(2).copied().collect();
    assert!(left[..47].iter().all(|&s| s > 0.0));
    assert!(left[49..95].iter().all(|&s| s < 0.0));
    assert!(left[97..143].iter().all(|&s| s > 0.0));
}
