//! Shared by the test files: where the third-party test ROMs are, and running a ROM.
#![allow(dead_code)]

use std::path::PathBuf;

use wb_gb::GameBoy;
use wb_machine::{Budget, Machine, StopReason};

/// `$WORKBENCH_TESTROMS`, else `<workspace>/../shared/testroms`. None (with a "skipped" line)
/// when absent.
pub fn testroms(suite: &str) -> Option<PathBuf> {
    let root = std::env::var_os("WORKBENCH_TESTROMS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testroms")
        });
    let dir = root.join(suite);
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: test ROMs {} not found", dir.display());
        None
    }
}

/// T-cycles per emulated second.
pub const SECOND: u64 = 4_194_304;

/// Run until the serial output contains `Passed` or `Failed`, or `seconds` elapse.
pub fn run_blargg(rom: &[u8], seconds: u64) -> String {
    let mut gb = match GameBoy::new(rom, None) {
        Ok(gb) => gb,
        Err(e) => return format!("load error: {e}"),
    };
    let mut out = Vec::new();
    for _ in 0..seconds * 4 {
        let r = gb.run(Budget::Cycles(SECOND / 4));
        gb.drain_serial(&mut out);
        let text = String::from_utf8_lossy(&out);
        if text.contains("Passed") || text.contains("Failed") {
            break;
        }
        if let StopReason::Fault(f) = r.stop {
            out.extend_from_slice(format!("\nfault: {f}").as_bytes());
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Run a mooneye ROM to its `LD B,B`; Ok when B C D E H L hold the Fibonacci numbers.
pub fn run_mooneye(rom: &[u8], seconds: u64) -> Result<(), String> {
    let mut gb = GameBoy::new(rom, None).map_err(|e| e.to_string())?;
    let limit = seconds * SECOND;
    while gb.cycles() < limit {
        let r = gb.run(Budget::Cycles(SECOND));
        match r.stop {
            StopReason::DebugTrap { .. } => {
                let regs: Vec<u64> = gb
                    .registers()
                    .iter()
                    .filter(|r| ["b", "c", "d", "e", "h", "l"].contains(&r.name.as_str()))
                    .map(|r| r.value as u64)
                    .collect();
                return if regs == [3, 5, 8, 13, 21, 34] {
                    Ok(())
                } else {
                    Err(format!("registers {regs:?}"))
                };
            }
            StopReason::BudgetSpent => {}
            other => return Err(format!("stopped: {other:?}")),
        }
    }
    Err("timeout".into())
}
