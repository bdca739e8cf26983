//! The SingleStepTests 8086 vectors: every file present must pass at least 99.9 % of its
//! cases, with undefined flags masked as `metadata.json` says.

#![allow(clippy::panic, reason = "test code reports failures by panicking")]

mod common;

use std::io::Read;

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

fn flags_mask(meta: &Value, file: &str) -> u64 {
    let (op, reg) = match file.split_once('.') {
        Some((op, reg)) => (op, Some(reg)),
        None => (file, None),
    };
    let entry = &meta["opcodes"][op];
    let entry = match reg {
        Some(r) => &entry["reg"][r],
        None => entry,
    };
    entry["flags-mask"].as_u64().unwrap_or(0xFFFF)
}

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
    let Ok(meta) = std::fs::read(dir.join("metadata.json")) else {
        println!("skipped: {} not found", dir.display());
        return;
    };
    let meta: Value = serde_json::from_slice(&meta).expect("metadata.json parses");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("vector directory readable")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {}", dir.display());
    let only = std::env::var("X86_VECTOR").ok();
    let mut failed_files = Vec::new();
    let (mut total, mut total_pass) = (0, 0);
    for path in files {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .replace(".json.gz", "");
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("open vector file"))
            .read_to_end(&mut text)
            .expect("gunzip vector file");
        let cases: Vec<Value> = serde_json::from_slice(&text).expect("vector JSON parses");
        let mask = flags_mask(&meta, &name);
        let mut pass = 0;
        let mut first_fail = None;
        let mut cpu = BareCpu::new_8086();
        for case in &cases {
            let result = run_case(&mut cpu, case, mask);
            // Leave memory zeroed for the next case.
            for state in ["initial", "final"] {
                for pair in case[state]["ram"].as_array().into_iter().flatten() {
                    let a = pair[0].as_u64().unwrap_or(0) as usize & 0xFFFFF;
                    cpu.mem_mut()[a] = 0;
                }
            }
            match result {
                Ok(()) => pass += 1,
                Err(e) => {
                    if first_fail.is_none() {
                        first_fail = Some(format!("{} [{}]: {e}", case["name"], case["idx"]));
                    }
                }
            }
        }
        total += cases.len();
        total_pass += pass;
        let ratio = pass as f64 / cases.len() as f64;
        println!(
            "{name}: {pass}/{}{}",
            cases.len(),
            first_fail
                .as_deref()
                .map(|f| format!("  first failure: {f}"))
                .unwrap_or_default()
        );
        if ratio < 0.999 {
            failed_files.push(name);
        }
    }
    println!("total: {total_pass}/{total}");
    assert!(
        failed_files.is_empty(),
        "files below 99.9%: {failed_files:?}"
    );
}
