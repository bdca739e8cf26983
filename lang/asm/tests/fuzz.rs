//! Hostile input never panics the assembler: random bytes, mutated real sources, and
//! proptest-generated token soup, for every ISA and output kind.

// A failing test reports by panicking.
#![allow(clippy::panic)]

use std::path::Path;

use proptest::prelude::*;
use wb_asm::{Isa, OutputKind, assemble_str};

fn no_include(_: &str) -> std::io::Result<String> {
    Err(std::io::ErrorKind::NotFound.into())
}

/// Includes resolve to the including text itself, so include cycles are exercised too.
fn self_include(src: &str) -> impl Fn(&str) -> std::io::Result<String> + '_ {
    move |_| Ok(src.to_string())
}

fn check(src: &str, isa: Isa, kind: OutputKind) {
    let inc = self_include(src);
    match assemble_str("fuzz", src, isa, kind, &inc) {
        Ok(_) => {}
        Err(diags) => {
            assert!(!diags.is_empty(), "an error without a diagnostic");
            for d in diags {
                assert!(!d.file.is_empty() && d.line >= 1 && d.column >= 1, "diagnostic without a position: {d:?}");
            }
        }
    }
}

/// xorshift64*: a small deterministic generator, so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ISAS: [(Isa, OutputKind); 4] = [
    (Isa::Chip8, OutputKind::Default),
    (Isa::Sm83, OutputKind::Default),
    (Isa::RiscV, OutputKind::Object),
    (Isa::RiscV, OutputKind::Executable),
];

/// Rounds per fuzz test; `WB_ASM_FUZZ=100000` for a long local run.
fn rounds(default: usize) -> usize {
    std::env::var("WB_ASM_FUZZ").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..rounds(400) {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let src = String::from_utf8_lossy(&bytes);
        for (isa, kind) in ISAS {
            check(&src, isa, kind);
        }
    }
}

fn corpus() -> Vec<(Isa, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms/asm");
    let mut out = Vec::new();
    for (dir, isa) in [("riscv", Isa::RiscV), ("gb", Isa::Sm83), ("chip8", Isa::Chip8)] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        for e in entries.flatten() {
            if let Ok(text) = std::fs::read_to_string(e.path()) {
                out.push((isa, text));
            }
        }
    }
    out.push((Isa::Chip8, ": main loop v0 += 1 if v0 == 3 begin v1 := 2 else v2 := 1 end again :calc x { 1 + 2 } :byte x".into()));
    out
}

#[test]
fn mutated_sources_never_panic() {
    let sources = corpus();
    assert!(sources.len() >= 4, "corpus not found");
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let pieces = [
        " ", "\n", ",", "(", ")", "[", "]", "{", "}", ":", "1f", "1b", "-", "0x", "%hi(", "%pcrel_lo(", "\\", "\"", ".rept 3",
        ".endr", ".macro", ".endm", "loop", "again", "begin", "end", "if", "then", "else", "MACRO", "ENDM", "REPT 2",
        "ENDR", ".org 0x400", ":org 0xFFFF", "99999999999999999999", "-9223372036854775808", "@", "$", "%", "'", "#",
        ";", ".align 30", ".option pop", ".include \"x\"", "INCLUDE \"x\"", "c.j", "li a0,", "jr", "ld [",
    ];
    for round in 0..rounds(300) {
        let (isa, text) = &sources[round % sources.len()];
        let mut s: Vec<char> = text.chars().collect();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(s.len() + 1);
            match rng.below(3) {
                0 if !s.is_empty() => {
                    let end = (at + rng.below(20)).min(s.len());
                    s.drain(at.min(end)..end);
                }
                1 => {
                    let p = pieces[rng.below(pieces.len())];
                    for (k, c) in p.chars().enumerate() {
                        s.insert(at + k, c);
                    }
                }
                _ => {
                    if at < s.len() {
                        s[at] = (rng.next() % 128) as u8 as char;
                    }
                }
            }
        }
        let src: String = s.into_iter().collect();
        if std::env::var_os("WB_ASM_FUZZ_TRACE").is_some() {
            eprintln!("round {round}: {src:?}");
        }
        let kind = if *isa == Isa::RiscV && round % 2 == 0 { OutputKind::Executable } else { OutputKind::Object };
        check(&src, *isa, kind);
    }
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "addi", "a0", "sp", "x31", "li", "la", "call", "j", "beqz", ".word", ".byte", ".text", ".data", ".bss",
            ".align", ".equ", ".set", ".macro", ".endm", ".rept", ".endr", ".if", ".endif", "%hi", "%lo", "%pcrel_hi",
            "%pcrel_lo", "1:", "1b", "1f", "lab:", "lab", ":", ",", "(", ")", "+", "-", "*", "/", "<<", "\n", ";",
            ": main", "v0", "vF", ":=", "+=", "i", "loop", "again", "if", "begin", "else", "end", "then", "while",
            ":const", ":calc", "{", "}", ":macro", ":byte", ":org", "SECTION", "\"s\"", "ROM0", "ROMX", "[$100]",
            "ld", "[hl]", "jr", "db", "dw", "ds", "EQU", "MACRO", "ENDM", "\\1", "@", "c.addi", "fence", "csrr", "mstatus",
        ])
        .prop_map(str::to_string),
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-z.%$:_0-9]{1,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]
    #[test]
    fn token_soup_never_panics(toks in prop::collection::vec(token(), 0..40)) {
        let src = toks.join(" ");
        for (isa, kind) in ISAS {
            if let Err(diags) = assemble_str("soup", &src, isa, kind, &no_include) {
                for d in diags {
                    prop_assert!(d.line >= 1 && d.column >= 1, "diagnostic without a position: {:?}", d);
                }
            }
        }
    }
}
