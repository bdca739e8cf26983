//! The driver shared by the SingleStepTests suites (8086 JSON, 80286 MOO): finding the vector
//! files, their undefined-flag masks from `metadata.json`, the per-file tally and the 99.9 % bar.

#![allow(clippy::expect_used, reason = "a missing or unreadable vector file is a test failure")]

use std::io::Read;
use std::path::Path;

use serde_json::Value;

/// Pass count of one vector file and its first failure.
#[derive(Default)]
pub struct Tally {
    pub pass: usize,
    pub total: usize,
    pub first_failure: Option<String>,
}

impl Tally {
    /// Count one case; `name` labels it if it is the first failure.
    pub fn record(&mut self, name: impl FnOnce() -> String, result: Result<(), String>) {
        self.total += 1;
        match result {
            Ok(()) => self.pass += 1,
            Err(e) => {
                if self.first_failure.is_none() {
                    self.first_failure = Some(format!("{}: {e}", name()));
                }
            }
        }
    }
}

/// The flags an instruction defines, per `metadata.json` (`op` or `op.reg` file names).
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

/// Run every `*{suffix}` gzip file of `dir` through `run_file(name, bytes, flags_mask)` and
/// require each to pass at least 99.9 % of its cases. `X86_VECTOR=name` runs one file only.
/// Prints a "skipped" line when the suite is absent.
pub fn run_suite(dir: &Path, suffix: &str, mut run_file: impl FnMut(&str, &[u8], u64) -> Tally) {
    let Ok(meta) = std::fs::read(dir.join("metadata.json")) else {
        println!("skipped: {} not found", dir.display());
        return;
    };
    let meta: Value = serde_json::from_slice(&meta).expect("metadata.json parses");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("vector directory readable")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *{suffix} files in {}", dir.display());
    let only = std::env::var("X86_VECTOR").ok();
    let (mut below, mut pass, mut total) = (Vec::new(), 0, 0);
    for path in files {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .replace(suffix, "");
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let mut data = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("open vector file"))
            .read_to_end(&mut data)
            .expect("gunzip vector file");
        let tally = run_file(&name, &data, flags_mask(&meta, &name));
        assert!(tally.total > 0, "{name}: no cases parsed");
        println!(
            "{name}: {}/{}{}",
            tally.pass,
            tally.total,
            tally
                .first_failure
                .as_deref()
                .map(|f| format!("  first failure: {f}"))
                .unwrap_or_default()
        );
        if (tally.pass as f64) < tally.total as f64 * 0.999 {
            below.push(name);
        }
        pass += tally.pass;
        total += tally.total;
    }
    println!("total: {pass}/{total}");
    assert!(below.is_empty(), "files below 99.9%: {below:?}");
}
