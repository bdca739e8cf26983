//! The SM83 single-step vectors (adtennant/GameboyCPUTests v2): every register, every RAM byte
//! and the M-cycle bus log, for all 24 000 cases.
//!
//! The vectors assume a decode-execute-prefetch loop: `initial.pc` is one past the opcode and
//! the last logged cycle prefetches the next opcode. Our CPU fetches first, so we start at
//! `pc - 1`, and expect `final.pc - 1` and the log minus its prefetch, after our opcode fetch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::Value;
use wb_gb::sm83::{Cycle, Regs, step_flat};

fn regs(v: &Value) -> Regs {
    let g = |k: &str| v[k].as_u64().unwrap_or(0);
    Regs {
        a: g("a") as u8,
        f: g("f") as u8,
        b: g("b") as u8,
        c: g("c") as u8,
        d: g("d") as u8,
        e: g("e") as u8,
        h: g("h") as u8,
        l: g("l") as u8,
        sp: g("sp") as u16,
        pc: g("pc") as u16,
    }
}

fn ram(v: &Value) -> Vec<(u16, u8)> {
    v["ram"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_u64().unwrap_or(0) as u16,
                        p[1].as_u64().unwrap_or(0) as u8,
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn cycle(v: &Value) -> Cycle {
    if v.is_null() {
        return None;
    }
    Some((
        v[0].as_u64()? as u16,
        v[1].as_u64()? as u8,
        v[2].as_str()? == "write",
    ))
}

/// Run one case; Err describes the first mismatch.
fn check(case: &Value) -> Result<(), String> {
    let mut mem = Box::new([0u8; 0x10000]);
    for (a, v) in ram(&case["initial"]) {
        mem[a as usize] = v;
    }
    let mut start = regs(&case["initial"]);
    start.pc = start.pc.wrapping_sub(1);
    let (got, log) = step_flat(start, &mut mem).ok_or("illegal opcode")?;
    let mut want = regs(&case["final"]);
    want.pc = want.pc.wrapping_sub(1);
    if got != want {
        return Err(format!("registers: got {got:?}, want {want:?}"));
    }
    for (a, v) in ram(&case["final"]) {
        if mem[a as usize] != v {
            return Err(format!(
                "ram[{a:#06x}] = {:#04x}, want {v:#04x}",
                mem[a as usize]
            ));
        }
    }
    let cycles: Vec<Cycle> = case["cycles"]
        .as_array()
        .map(|a| a.iter().map(cycle).collect())
        .unwrap_or_default();
    let want_log = &cycles[..cycles.len().saturating_sub(1)];
    if log.len() != cycles.len() || &log[1..] != want_log {
        return Err(format!(
            "bus log: got {:?}, want fetch + {:?}",
            log, want_log
        ));
    }
    Ok(())
}

#[test]
fn all_vectors_pass() {
    let Some(dir) = common::testroms("sm83-gameboycputests-v2") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("read vector dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        240,
        "expected 240 opcode files in {}",
        dir.display()
    );
    let (mut passed, mut failures) = (0, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read vector file");
        let cases: Value = serde_json::from_str(&text).expect("parse vector file");
        for case in cases.as_array().expect("array of cases") {
            match check(case) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!("{}: {e}", case["name"])),
            }
        }
    }
    for f in failures.iter().take(20) {
        eprintln!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed",
        failures.len(),
        passed + failures.len()
    );
    assert_eq!(passed, 24_000);
}
