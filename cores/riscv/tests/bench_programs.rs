//! The five benchmark programs of ../shared/bench/rv, built for RV64 with small inputs,
//! print exactly what their host builds print.

#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::*;

fn bench_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/rv");
    if dir.join("sieve.c").exists() {
        Some(dir)
    } else {
        println!("skipped: {} not found", dir.display());
        None
    }
}

#[test]
fn bench_programs_match_native() {
    let Some(src) = bench_dir() else { return };
    if !have(LINUX_GCC) || !have("gcc") {
        return;
    }
    let dir = build_dir("bench");
    let cases: [(&str, &[&str]); 5] = [
        ("sieve", &["200000", "2"]),
        ("crc32", &["1", "1"]),
        ("matmul", &["40", "2"]),
        ("qsort", &["50000"]),
        ("interp", &["100000"]),
    ];
    for (name, args) in cases {
        let c = src.join(format!("{name}.c"));
        let rv = dir.join(name);
        compile(LINUX_GCC, std::slice::from_ref(&c), &rv, &["-O2", "-static", "-march=rv64gc", "-mabi=lp64d"]);
        let native = dir.join(format!("{name}.native"));
        compile("gcc", &[c], &native, &["-O2"]);
        let want = run_native(&native, args);
        let out = run_elf(&rv, args, None, 1_000_000_000);
        assert_eq!(out.code, Some(0), "{name}: {:?}", out.stop);
        assert_eq!(out.stdout, want, "{name}");
        assert!(!want.is_empty());
    }
}
