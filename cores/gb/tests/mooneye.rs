//! The mooneye acceptance suite: every ROM that applies to a DMG (rev A/B/C) must reach
//! `LD B,B` with B C D E H L = 3 5 8 13 21 34. The ones we do not pass yet are listed in
//! KNOWN_FAILURES with the reason; the list is checked both ways, so a fix must update it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::thread;

/// ROMs (relative to `acceptance/`) that fail today, and why.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

/// The scoreboard's rule: no model suffix, or one that names the DMG ABC (`dmgABC...`) or
/// the G family in an upper-case group (`GS`).
fn dmg_applicable(path: &Path) -> bool {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let Some((_, suffix)) = stem.rsplit_once('-') else {
        return true;
    };
    let known_model = suffix == "dmg0"
        || suffix.starts_with("dmgABC")
        || suffix == "mgb"
        || suffix == "sgb"
        || suffix == "sgb2"
        || suffix.starts_with("cgb")
        || suffix == "agb"
        || suffix == "ags"
        || (!suffix.is_empty() && suffix.chars().all(|c| "SGACE0".contains(c)));
    if !known_model {
        return true;
    }
    suffix.contains("dmgABC")
        || (suffix.chars().all(|c| c.is_ascii_uppercase()) && suffix.contains('G'))
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "gb") {
            out.push(p);
        }
    }
}

#[test]
fn mooneye_acceptance() {
    let Some(dir) = common::testroms("mooneye-test-suite") else {
        return;
    };
    let root = dir.join("acceptance");
    let mut roms = Vec::new();
    collect(&root, &mut roms);
    roms.retain(|p| dmg_applicable(p));
    roms.sort();
    assert!(roms.len() > 50, "found only {} ROMs", roms.len());
    let names: Vec<String> = roms
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    // Two worker threads share the ROMs (the core itself is single-threaded).
    let chunks: Vec<Vec<(String, PathBuf)>> = (0..2)
        .map(|k| {
            names
                .iter()
                .cloned()
                .zip(roms.iter().cloned())
                .skip(k)
                .step_by(2)
                .collect()
        })
        .collect();
    let handles: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            thread::spawn(move || {
                chunk
                    .into_iter()
                    .map(|(name, path)| {
                        let rom = std::fs::read(&path).unwrap_or_default();
                        (name, common::run_mooneye(&rom, 20))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut results: Vec<(String, Result<(), String>)> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("ROM thread"))
        .collect();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut problems = Vec::new();
    let mut passed = 0;
    for (name, result) in &results {
        let known = KNOWN_FAILURES.iter().find(|(n, _)| n == name);
        match (result, known) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(_)) => {
                problems.push(format!("{name}: passes now, remove it from KNOWN_FAILURES"))
            }
            (Err(e), None) => problems.push(format!("{name}: FAILED ({e})")),
            (Err(_), Some(_)) => {}
        }
        println!(
            "{name}: {}",
            match result {
                Ok(()) => "pass".to_string(),
                Err(e) => format!("fail ({e})"),
            }
        );
    }
    for (n, _) in KNOWN_FAILURES {
        if !names.iter().any(|x| x == n) {
            problems.push(format!("{n}: listed in KNOWN_FAILURES but not found"));
        }
    }
    println!(
        "mooneye acceptance: {passed}/{} pass, {} known failures",
        results.len(),
        KNOWN_FAILURES.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
