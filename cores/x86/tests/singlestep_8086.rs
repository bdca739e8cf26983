//! The SingleStepTests 8086 vectors: every file present must pass at least 99.9 % of its
//! cases, with undefined flags masked as `metadata.json` says.

#![allow(clippy::panic, reason = "test code reports failures by panicking")]

mod common;
mod singlestep;

use serde_json::Value;
use wb_x86::bare::BareCpu;

/// Register order of the vectors' `regs` objects mapped to our numbering.
const GPRS: [(&str, usize); 8] = [
    ("ax", 0),
    ("cx", 1),
    ("dx", 2),
    ("bx", 3),
    ("sp", 4),
    ("bp", 5),
    ("si", 6),
    ("di", 7),
];
const SEGS: [(&str, usize); 4] = [("es", 0), ("cs", 1), ("ss", 2), ("ds", 3)];

/// Run one test case; returns a description of the first mismatch.
fn run_case(cpu: &mut BareCpu, case: &Value, mask: u64) -> Result<(), String> {
    let init = &case["initial"];
    let regs = &init["regs"];
    let get = |r: &Value, name: &str| r[name].as_u64();
    for (name, n) in GPRS {
        cpu.set_gpr(n, get(regs, name).ok_or("missing reg")?);
    }
    for (name, n) in SEGS {
        cpu.set_seg(n, get(regs, name).ok_or("missing seg")? as u16);
    }
    cpu.set_ip(get(regs, "ip").ok_or("missing ip")?);
    cpu.set_flags(get(regs, "flags").ok_or("missing flags")?);
    for pair in init["ram"].as_array().ok_or("no ram")? {
        let a = pair[0].as_u64().ok_or("bad ram")? as usize;
        cpu.mem_mut()[a & 0xFFFFF] = pair[1].as_u64().ok_or("bad ram")? as u8;
    }
    cpu.step();
    let fin = &case["final"]["regs"];
    let want = |name: &str| get(fin, name).or_else(|| get(regs, name)).unwrap_or(0);
    for (name, n) in GPRS {
        if cpu.gpr(n) & 0xFFFF != want(name) {
            return Err(format!(
                "{name}: got {:#x} want {:#x}",
                cpu.gpr(n),
                want(name)
            ));
        }
    }
    for (name, n) in SEGS {
        if cpu.seg(n) as u64 != want(name) {
            return Err(format!(
                "{name}: got {:#x} want {:#x}",
                cpu.seg(n),
                want(name)
            ));
        }
    }
    if cpu.ip() != want("ip") {
        return Err(format!("ip: got {:#x} want {:#x}", cpu.ip(), want("ip")));
    }
    if cpu.flags() & mask != want("flags") & mask {
        return Err(format!(
            "flags: got {:#06x} want {:#06x}",
            cpu.flags(),
            want("flags")
        ));
    }
    for pair in case["final"]["ram"].as_array().ok_or("no ram")? {
        let a = pair[0].as_u64().unwrap_or(0) as usize & 0xFFFFF;
        let v = pair[1].as_u64().unwrap_or(0) as u8;
        if cpu.mem()[a] != v {
            return Err(format!("ram[{a:#x}]: got {:#x} want {v:#x}", cpu.mem()[a]));
        }
    }
    Ok(())
}

#[test]
fn singlestep_8086_vectors() {
    let dir = common::testroms().join("x86-singlestep/8086/v1");
    singlestep::run_suite(&dir, ".json.gz", |_, text, mask| {
        let mut cpu = BareCpu::new_8086();
        let cases: Vec<Value> = serde_json::from_slice(text).expect("vector JSON parses");
        let mut tally = singlestep::Tally::default();
        for case in &cases {
            let result = run_case(&mut cpu, case, mask);
            // Leave memory zeroed for the next case.
            for state in ["initial", "final"] {
                for pair in case[state]["ram"].as_array().into_iter().flatten() {
                    let a = pair[0].as_u64().unwrap_or(0) as usize & 0xFFFFF;
                    cpu.mem_mut()[a] = 0;
                }
            }
            tally.record(|| format!("{} [{}]", case["name"], case["idx"]), result);
        }
        tally
    });
}
