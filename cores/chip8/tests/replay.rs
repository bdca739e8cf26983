//! Save states capture everything that decides what happens next, and the slot loop gives the
//! same machine however a run is cut into budgets.
//!
//! The program below draws with a wait for vertical blank (CHIP-8's display-wait quirk,
//! SUPER-CHIP legacy lores), uses random numbers and both timers and waits for a key, so a
//! state can be saved inside a display wait, mid-frame, with the sound on and during a key
//! wait. A debugger that steps backwards restores such a state and replays from it: the
//! replay must end byte for byte where the uninterrupted run was.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests fail by panicking

mod common;

use common::program;
use wb_chip8::{Chip8, Config, Platform};
use wb_machine::{Budget, InputEvent, Machine, StopReason};

/// Platforms whose draws wait for vertical blank (the first two) and one whose draws do not.
const PLATFORMS: [Platform; 3] = [Platform::Chip8, Platform::SchipLegacy, Platform::XoChip];

/// The platform's preset, at a speed where the program's timers run out within a few
/// hundred instructions (XO-CHIP's default is 1000 instructions a frame).
fn machine(platform: Platform) -> Chip8 {
    let mut config = Config::for_platform(platform);
    config.instructions_per_frame = config.instructions_per_frame.min(30);
    Chip8::new(&rom(), config).expect("the test program loads")
}

fn rom() -> Vec<u8> {
    let mut rom = program(&[
        0x6A05, // 200: va := 5
        0xFA18, // 202: st := va          (the buzzer runs for 5 frames)
        0xA230, // 204: i := 0x230
        0xC03F, // 206: v0 := random 0x3F
        0xC11F, // 208: v1 := random 0x1F
        0xD014, // 20A: sprite v0 v1 4    (waits for vertical blank where the quirk says)
        0xF207, // 20C: v2 := delay
        0x3200, // 20E: if v2 == 0 skip
        0x1206, // 210: jump 0x206       (draw until the delay timer runs out)
        0x7B01, // 212: vb += 1
        0x3B03, // 214: if vb == 3 skip
        0x121C, // 216: jump 0x21C
        0xF50A, // 218: v5 := key         (every third round)
        0x6B00, // 21A: vb := 0
        0x6C02, // 21C: vc := 2
        0xFC15, // 21E: delay := vc
        0x1202, // 220: jump 0x202
    ]);
    rom.resize(0x30, 0);
    rom.extend([0xF0, 0x90, 0xF0, 0x90]); // 230: the sprite
    rom
}

/// Key 7 goes down and up again every 100 steps; the program only hears it while waiting.
fn input_before_step(step: usize) -> Option<InputEvent> {
    match step % 100 {
        50 => Some(InputEvent::Button {
            index: 7,
            pressed: true,
        }),
        60 => Some(InputEvent::Button {
            index: 7,
            pressed: false,
        }),
        _ => None,
    }
}

/// What a run looks like after each step: the state, the screen and the audio made.
struct Trace {
    states: Vec<Vec<u8>>,
    screens: Vec<Vec<u8>>,
    audio: Vec<Vec<f32>>,
    pcs: Vec<u64>,
}

/// Step `steps` times from power-on, recording after every step (index 0 is power-on).
fn trace(platform: Platform, steps: usize) -> Trace {
    let mut m = machine(platform);
    let mut t = Trace {
        states: vec![m.save_state()],
        screens: vec![m.frame().rgba.to_vec()],
        audio: vec![Vec::new()],
        pcs: vec![m.pc()],
    };
    for step in 0..steps {
        if let Some(event) = input_before_step(step) {
            m.input(event);
        }
        assert_eq!(m.step().stop, StopReason::BudgetSpent, "step {step}");
        let mut audio = Vec::new();
        m.drain_audio(&mut audio);
        t.states.push(m.save_state());
        t.screens.push(m.frame().rgba.to_vec());
        t.audio.push(audio);
        t.pcs.push(m.pc());
    }
    t
}

fn restored(platform: Platform, state: &[u8]) -> Chip8 {
    let mut m = machine(platform);
    m.load_state(state).expect("a state of the same machine");
    m
}

#[test]
fn the_program_exercises_waits_keys_and_sound() {
    for platform in PLATFORMS {
        let t = trace(platform, 600);
        let m = restored(platform, t.states.last().unwrap());
        let spins = t.pcs.windows(2).filter(|w| w == &[0x218, 0x218]).count();
        assert!(spins > 10, "{platform:?}: the key wait spun {spins} times");
        assert_eq!(
            m.registers()[5].value,
            7,
            "{platform:?}: the key wait got key 7"
        );
        assert!(t.audio.iter().flatten().any(|&s| s != 0.0), "{platform:?}");
        // Where the display waits, steps pass idle slots: slots outnumber instructions.
        let waits = platform != Platform::XoChip;
        assert_eq!(m.cycles() > m.instructions_retired(), waits, "{platform:?}");
    }
}

#[test]
fn a_state_saved_at_any_instruction_replays_step_by_step() {
    const AHEAD: usize = 40;
    for platform in PLATFORMS {
        let t = trace(platform, 400 + AHEAD);
        for at in 0..400 {
            let mut m = restored(platform, &t.states[at]);
            let mut audio = Vec::new();
            for step in at..at + AHEAD {
                if let Some(event) = input_before_step(step) {
                    m.input(event);
                }
                m.step();
            }
            m.drain_audio(&mut audio);
            let end = at + AHEAD;
            assert!(
                m.save_state() == t.states[end],
                "{platform:?}: restored at step {at}, {AHEAD} steps later the state differs"
            );
            assert!(
                m.frame().rgba == t.screens[end].as_slice(),
                "{platform:?} at {at}"
            );
            let want: Vec<f32> = t.audio[at + 1..=end].concat();
            assert!(audio == want, "{platform:?}: audio after a restore at {at}");
        }
    }
}

#[test]
fn a_state_saved_at_any_instruction_replays_with_one_budget() {
    // What a debugger's reverse step does: restore a snapshot, run N instructions at once.
    for platform in PLATFORMS {
        let t = trace(platform, 500);
        for at in 0..480 {
            for ahead in [1, 2, 7, 20] {
                let end = at + ahead;
                if end >= t.states.len() || (at..end).any(|step| input_before_step(step).is_some())
                {
                    continue;
                }
                let mut m = restored(platform, &t.states[at]);
                let r = m.run(Budget::Instructions(ahead as u64));
                assert_eq!(r.stop, StopReason::BudgetSpent);
                assert!(
                    m.save_state() == t.states[end],
                    "{platform:?}: {ahead} instructions from step {at}"
                );
            }
        }
    }
}

/// Run slot by slot and record the state before every slot.
fn slot_states(platform: Platform, slots: usize) -> Vec<Vec<u8>> {
    let mut m = machine(platform);
    let mut states = vec![m.save_state()];
    for slot in 0..slots {
        // Hold key 7 for a while now and then so the key waits end.
        if slot % 300 == 100 || slot % 300 == 130 {
            m.input(InputEvent::Button {
                index: 7,
                pressed: slot % 300 == 100,
            });
        }
        let r = m.run(Budget::Cycles(1));
        assert_eq!((r.stop, r.cycles), (StopReason::BudgetSpent, 1));
        states.push(m.save_state());
    }
    states
}

#[test]
fn budgets_of_any_size_and_frames_land_on_the_same_slots() {
    // States inside a display wait (idle slots) are restored too, and a run of many slots or
    // to the end of the frame must end where single slots get.
    for platform in PLATFORMS {
        let states = slot_states(platform, 700);
        let frames_at: Vec<u64> = states
            .iter()
            .map(|s| restored(platform, s).frames())
            .collect();
        for at in 0..600 {
            if (at..at + 100).any(|s| s % 300 == 100 || s % 300 == 130) {
                continue;
            }
            for ahead in [1, 3, 16, 45, 99] {
                let mut m = restored(platform, &states[at]);
                let r = m.run(Budget::Cycles(ahead as u64));
                assert_eq!(r.cycles, ahead as u64);
                assert!(
                    m.save_state() == states[at + ahead],
                    "{platform:?}: {ahead} slots from slot {at}"
                );
            }
            let mut m = restored(platform, &states[at]);
            let r = m.run(Budget::Frame);
            assert_eq!(r.stop, StopReason::FrameDone);
            let end = at + r.cycles as usize;
            assert_eq!(frames_at[end], frames_at[at] + 1, "{platform:?} at {at}");
            assert_eq!(frames_at[end - 1], frames_at[at], "{platform:?} at {at}");
            assert!(
                m.save_state() == states[end],
                "{platform:?}: frame from {at}"
            );
        }
    }
}
