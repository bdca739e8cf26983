//! The run loop without hooks (which skips HALT, STOP and jumps-to-self up to the next device
//! event, and redraws only changed lines) must match the hooked loop, which steps every
//! instruction: same stops, same cycles, same save state and screen after every run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod rom_builder;

use wb_gb::GameBoy;
use wb_machine::{Budget, Machine};

/// Budgets in turn, so that skips are cut by every kind of limit.
const BUDGETS: [Budget; 5] = [
    Budget::Frame,
    Budget::Cycles(12_345),
    Budget::Instructions(7_001),
    Budget::Frame,
    Budget::Cycles(70_224 * 3 + 4),
];

/// Run `rom` for `runs` budgets on two machines, one with a trace hook (the stepping loop).
fn assert_paths_agree(name: &str, rom: &[u8], runs: usize) {
    let mut fast = GameBoy::new(rom, None).expect("valid ROM");
    let mut hooked = fast.clone();
    hooked.hooks_mut().set_trace(Some(4));
    assert!(hooked.hooks().exec_active() && !fast.hooks().exec_active());
    for i in 0..runs {
        let budget = BUDGETS[i % BUDGETS.len()];
        let a = fast.run(budget);
        let b = hooked.run(budget);
        assert_eq!(a, b, "{name}: run {i} ({budget:?})");
        if i % 16 == 0 || i + 1 == runs {
            assert!(
                fast.save_state() == hooked.save_state(),
                "{name}: state after run {i}"
            );
            assert!(
                fast.frame().rgba == hooked.frame().rgba,
                "{name}: screen after run {i}"
            );
        }
    }
    assert_eq!(fast.instructions_retired(), hooked.instructions_retired());
}

/// HALT woken by the VBlank and timer interrupts 64 times, then a `jr` to itself with IME off.
fn idle_program() -> Vec<u8> {
    let code = [
        0x31, 0xFE, 0xFF, // 0150 ld sp, $fffe
        0x3E, 0x05, // 0153 ld a, $05 (VBlank + timer)
        0xE0, 0xFF, // 0155 ldh [$ff], a
        0x3E, 0x05, // 0157 ld a, $05 (timer on, 4096 Hz)
        0xE0, 0x07, // 0159 ldh [$07], a
        0x06, 0x40, // 015b ld b, 64
        0xFB, // 015d ei
        0x76, // 015e halt
        0x05, // 015f dec b
        0x20, 0xFC, // 0160 jr nz, $015e
        0xF3, // 0162 di
        0x18, 0xFE, // 0163 jr $0163
    ];
    let mut rom = rom_builder::rom("IDLE", 0x00, 0, 0, &code);
    // The VBlank and timer handlers: reti.
    rom[0x40] = 0xD9;
    rom[0x50] = 0xD9;
    rom_builder::fix_checksums(&mut rom);
    rom
}

#[test]
fn halt_and_self_jumps_skip_exactly() {
    assert_paths_agree("idle program", &idle_program(), 200);
}

/// Waits in each kind of jump to itself (JP, JP Z, JP HL, JR) with IME on; the timer's handler
/// returns past the jump (it adds C, the jump's length, to the return address). Thirty-two
/// rounds, then a `jr` to itself with IME off.
fn self_jump_program() -> Vec<u8> {
    let code = [
        0x31, 0xFE, 0xFF, // 0150 ld sp, $fffe
        0x3E, 0x04, // 0153 ld a, $04 (timer)
        0xE0, 0xFF, // 0155 ldh [$ff], a
        0x3E, 0x05, // 0157 ld a, $05 (timer on, 262144 Hz)
        0xE0, 0x07, // 0159 ldh [$07], a
        0x16, 0x20, // 015b ld d, 32
        0xFB, // 015d ei
        0x0E, 0x03, // 015e ld c, 3
        0xC3, 0x60, 0x01, // 0160 jp $0160
        0x0E, 0x03, // 0163 ld c, 3
        0xAF, // 0165 xor a
        0xCA, 0x66, 0x01, // 0166 jp z, $0166
        0x0E, 0x01, // 0169 ld c, 1
        0x21, 0x6E, 0x01, // 016b ld hl, $016e
        0xE9, // 016e jp hl
        0x0E, 0x02, // 016f ld c, 2
        0x18, 0xFE, // 0171 jr $0171
        0x15, // 0173 dec d
        0x20, 0xE8, // 0174 jr nz, $015e
        0xF3, // 0176 di
        0x18, 0xFE, // 0177 jr $0177
    ];
    let mut rom = rom_builder::rom("SELFJUMP", 0x00, 0, 0, &code);
    // The timer handler: return C bytes further on.
    let handler = [
        0xE1, // pop hl
        0x7D, // ld a, l
        0x81, // add c
        0x6F, // ld l, a
        0x7C, // ld a, h
        0xCE, 0x00, // adc 0
        0x67, // ld h, a
        0xE5, // push hl
        0xD9, // reti
    ];
    rom[0x50..0x50 + handler.len()].copy_from_slice(&handler);
    rom_builder::fix_checksums(&mut rom);
    rom
}

/// With IME off, HALT at every M-cycle offset from a timer overflow (a NOP sled entered at a
/// varying depth): whether the interrupt is pending in HALT's own M-cycle decides between
/// the HALT bug and a HALT that wakes at once, so a device event run late shows.
fn halt_race_program() -> Vec<u8> {
    let code = [
        0x31, 0xFE, 0xFF, // 0150 ld sp, $fffe
        0x3E, 0x04, // 0153 ld a, $04 (timer)
        0xE0, 0xFF, // 0155 ldh [$ff], a
        0x3E, 0x06, // 0157 ld a, $06 (timer on, 64 T-cycles a count)
        0xE0, 0x07, // 0159 ldh [$07], a
        0xF3, // 015b di
        0x0E, 0x00, // 015c ld c, 0
        0xAF, // 015e xor a
        0xE0, 0x0F, // 015f ldh [$0f], a
        0x3E, 0xFF, // 0161 ld a, $ff
        0xE0, 0x05, // 0163 ldh [$05], a (TIMA overflows within 64 T-cycles, near the HALT)
        0x79, // 0165 ld a, c
        0xE6, 0x07, // 0166 and 7
        0x47, // 0168 ld b, a
        0x3E, 0x78, // 0169 ld a, $78
        0x90, // 016b sub b
        0x6F, // 016c ld l, a
        0x26, 0x01, // 016d ld h, $01
        0xE9, // 016f jp hl (into the sled, 0 to 7 NOPs before the HALT)
        0x00, // 0170 nop (never entered)
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 0171-0177 nop
        0x76, // 0178 halt
        0x00, // 0179 nop
        0x0C, // 017a inc c
        0x18, 0xE1, // 017b jr $015e
    ];
    let mut rom = rom_builder::rom("HALTRACE", 0x00, 0, 0, &code);
    rom_builder::fix_checksums(&mut rom);
    rom
}

#[test]
fn halt_sees_an_interrupt_raised_in_its_own_m_cycle() {
    assert_paths_agree("HALT race program", &halt_race_program(), 300);
}

#[test]
fn every_kind_of_self_jump_skips_exactly() {
    let rom = self_jump_program();
    assert_paths_agree("self-jump program", &rom, 300);
    // The program got through its rounds: D counted down to zero on the fast loop.
    let mut gb = GameBoy::new(&rom, None).expect("valid ROM");
    for _ in 0..20 {
        gb.run(Budget::Frame);
    }
    let d = gb.registers().iter().find(|r| r.name == "d").map(|r| r.value);
    assert_eq!(d, Some(0), "all 32 rounds ran");
    assert_eq!(gb.registers().iter().find(|r| r.name == "pc").map(|r| r.value), Some(0x177));
}

#[test]
fn test_roms_run_the_same_on_both_loops() {
    let Some(blargg) = common::testroms("blargg-gb") else {
        return;
    };
    // 01-special ends in a jump to itself well within its run; the others exercise HALT,
    // interrupts and the timer.
    for (name, runs) in [
        ("cpu_instrs/individual/01-special.gb", 400),
        ("cpu_instrs/individual/02-interrupts.gb", 200),
        ("instr_timing/instr_timing.gb", 200),
        ("mem_timing/mem_timing.gb", 200),
    ] {
        let rom = std::fs::read(blargg.join(name)).expect("read ROM");
        assert_paths_agree(name, &rom, runs);
    }
    let Some(mooneye) = common::testroms("mooneye-test-suite") else {
        return;
    };
    // The batch runs device events late, at the M-cycle each fell due in: these look at
    // interrupts, the timer, DMA and the PPU from inside instructions.
    for name in [
        "acceptance/halt_ime1_timing2-GS.gb",
        "acceptance/halt_ime0_nointr_timing.gb",
        "acceptance/di_timing-GS.gb",
        "acceptance/intr_timing.gb",
        "acceptance/oam_dma_timing.gb",
        "acceptance/oam_dma_start.gb",
        "acceptance/ppu/intr_2_mode0_timing_sprites.gb",
        "acceptance/ppu/stat_irq_blocking.gb",
        "acceptance/ppu/stat_lyc_onoff.gb",
        "acceptance/serial/boot_sclk_align-dmgABCmgb.gb",
        "acceptance/timer/tima_reload.gb",
        "acceptance/timer/tima_write_reloading.gb",
        "acceptance/timer/tma_write_reloading.gb",
        "acceptance/timer/rapid_toggle.gb",
    ] {
        let rom = std::fs::read(mooneye.join(name)).expect("read ROM");
        assert_paths_agree(name, &rom, 60);
    }
}
