//! blargg's cpu_instrs, instr_timing and mem_timing: each ROM prints `Passed` over serial.
//! The ROMs run in parallel threads (the slowest, combined cpu_instrs, needs ~55 emulated s).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::thread;

const ROMS: [(&str, u64); 17] = [
    ("cpu_instrs/cpu_instrs.gb", 70),
    ("cpu_instrs/individual/01-special.gb", 10),
    ("cpu_instrs/individual/02-interrupts.gb", 10),
    ("cpu_instrs/individual/03-op sp,hl.gb", 10),
    ("cpu_instrs/individual/04-op r,imm.gb", 10),
    ("cpu_instrs/individual/05-op rp.gb", 10),
    ("cpu_instrs/individual/06-ld r,r.gb", 10),
    ("cpu_instrs/individual/07-jr,jp,call,ret,rst.gb", 10),
    ("cpu_instrs/individual/08-misc instrs.gb", 10),
    ("cpu_instrs/individual/09-op r,r.gb", 15),
    ("cpu_instrs/individual/10-bit ops.gb", 15),
    ("cpu_instrs/individual/11-op a,(hl).gb", 20),
    ("instr_timing/instr_timing.gb", 10),
    ("mem_timing/mem_timing.gb", 10),
    ("mem_timing/individual/01-read_timing.gb", 10),
    ("mem_timing/individual/02-write_timing.gb", 10),
    ("mem_timing/individual/03-modify_timing.gb", 10),
];

#[test]
fn blargg_roms_pass_over_serial() {
    let Some(dir) = common::testroms("blargg-gb") else {
        return;
    };
    let handles: Vec<_> = ROMS
        .iter()
        .map(|&(name, seconds)| {
            let path = dir.join(name);
            thread::spawn(move || {
                let rom = std::fs::read(&path).unwrap_or_default();
                (name, common::run_blargg(&rom, seconds))
            })
        })
        .collect();
    let mut failed = Vec::new();
    for h in handles {
        let (name, out) = h.join().expect("ROM thread");
        let pass = out.contains("Passed") && !out.contains("Failed");
        println!("{name}: {}", if pass { "Passed" } else { "FAILED" });
        if !pass {
            failed.push(format!("{name}:\n{out}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} ROMs failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
