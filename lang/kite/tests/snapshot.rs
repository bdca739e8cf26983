//! Whole-VM snapshots through `Machine::save_state`/`load_state`: a program snapshotted at
//! many points, restored into a fresh machine and run to its end prints exactly what the
//! uninterrupted run printed and ends in exactly the same state; damaged states are refused.

// Tests fail by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{corpus_files, workspace_root};
use wb_kite::VmMachine;
use wb_machine::state::{self, StateError};
use wb_machine::{Budget, Machine, StopReason};

/// Run to the end; (output, instructions retired, final state).
fn run_to_end(m: &mut VmMachine, out: &mut Vec<u8>) -> Vec<u8> {
    let r = m.run(Budget::Instructions(u64::MAX));
    assert!(
        matches!(r.stop, StopReason::Exited { .. } | StopReason::Fault(_)),
        "{:?}",
        r.stop
    );
    m.drain_serial(out);
    m.save_state()
}

/// Snapshot `source` at `points` evenly spread instructions and check each restore; with
/// `gc_stress`, the collector runs at every safepoint (free slots, a long free list).
fn check_program(name: &str, source: &str, args: &[&str], points: u64, gc_stress: bool) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let machine = || {
        let mut m = VmMachine::new(name, source, args.clone()).ok()?;
        m.set_gc_stress(gc_stress);
        Some(m)
    };
    let Some(mut reference) = machine() else {
        return; // compile errors: nothing to snapshot
    };
    let mut want_out = Vec::new();
    let want_state = run_to_end(&mut reference, &mut want_out);
    let total = reference.instructions_retired();
    if gc_stress {
        assert!(
            reference.gc_stats().collections > 0,
            "{name}: the collector never ran"
        );
    }
    let stride = (total / points).max(1);
    let mut at = 0;
    while at <= total + 1 {
        let mut m = machine().unwrap();
        let mut out = Vec::new();
        if at > 0 {
            m.run(Budget::Instructions(at));
        }
        m.drain_serial(&mut out);
        let snap = m.save_state();

        // A fresh machine: the stress setting comes from the snapshot.
        let mut restored = VmMachine::new(name, source, args.clone()).unwrap();
        restored
            .load_state(&snap)
            .unwrap_or_else(|e| panic!("{name} at {at}: {e}"));
        assert_eq!(
            restored.save_state(),
            snap,
            "{name} at {at}: saving a restored state changes it"
        );
        assert_eq!(restored.pc(), m.pc(), "{name} at {at}");
        let end_state = run_to_end(&mut restored, &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&want_out),
            "{name} at {at}: output differs after restore"
        );
        let first_diff = end_state.iter().zip(&want_state).position(|(a, b)| a != b);
        assert!(
            end_state == want_state,
            "{name} at {at}: final state differs after restore (lengths {} and {}, first \
             difference at byte {first_diff:?})",
            end_state.len(),
            want_state.len()
        );
        at += stride;
    }
}

#[test]
fn corpus_programs_resume_identically_from_snapshots() {
    let files = corpus_files();
    assert!(files.len() >= 30, "corpus not found");
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap();
        check_program(&path.display().to_string(), &source, &[], 50, false);
    }
}

#[test]
fn benchmark_ports_resume_identically_from_snapshots() {
    // Small sizes: closures, maps with inline caches, the collector and deep recursion.
    let cases: [(&str, &[&str]); 5] = [
        ("bintrees", &["6"]),
        ("nbody", &["20"]),
        ("strhash", &["300"]),
        ("closures", &[]),
        ("wordfreq", &[]),
    ];
    for (name, args) in cases {
        let path = workspace_root().join(format!("roms/kite/{name}.kite"));
        let source = std::fs::read_to_string(&path).unwrap();
        check_program(name, &source, args, 40, false);
        check_program(name, &source, args, 40, true);
    }
}

#[test]
fn rewinding_the_same_machine_replays_the_same_output() {
    let source = "let l = []; for i in 0..50 { push(l, str(i * i)); if i % 10 == 0 { print(join(l, \",\")); } }";
    let mut m = VmMachine::new("t.kite", source, Vec::new()).unwrap();
    m.run(Budget::Instructions(200));
    let snap = m.save_state();
    let mut first = Vec::new();
    run_to_end(&mut m, &mut first);
    m.load_state(&snap).unwrap();
    let mut second = Vec::new();
    run_to_end(&mut m, &mut second);
    assert_eq!(first, second);
    assert!(!first.is_empty());
}

#[test]
fn damaged_or_foreign_states_are_refused() {
    let source = "let m = {a: [1, 2.5, \"x\"]}; fn f(n) { return n + 1; } let i = 0; while i < 100 { i = f(i); }";
    let mut m = VmMachine::new("t.kite", source, Vec::new()).unwrap();
    m.run(Budget::Instructions(300));
    let snap = m.save_state();
    let before = m.save_state();

    for cut in [0, 1, 10, snap.len() / 2, snap.len() - 1] {
        assert!(m.load_state(&snap[..cut]).is_err(), "truncated at {cut}");
    }
    let mut flipped = snap.clone();
    flipped[snap.len() / 2] ^= 0x40;
    assert_eq!(m.load_state(&flipped), Err(StateError::Corrupt));

    let mut other = VmMachine::new("t.kite", "print(1);", Vec::new()).unwrap();
    assert!(matches!(
        other.load_state(&snap),
        Err(StateError::Mismatch(_))
    ));

    // A payload damaged behind a valid checksum: refused or accepted, never a crash, and
    // an accepted one runs (to an end, a fault or the budget) without panicking.
    let (_, version, payload) = state::inspect(&snap).unwrap();
    for i in (0..payload.len()).step_by(3) {
        for bit in [0x01u8, 0x80] {
            let mut bad = payload.to_vec();
            bad[i] ^= bit;
            let forged = state::wrap("kite", version, &bad);
            let mut victim = VmMachine::new("t.kite", source, Vec::new()).unwrap();
            if victim.load_state(&forged).is_ok() {
                victim.run(Budget::Instructions(10_000));
            }
        }
    }
    // Refusals leave the machine as it was.
    assert_eq!(m.save_state(), before);
}
