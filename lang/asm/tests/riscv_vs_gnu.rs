//! Our RISC-V assembler against GNU as: every file under roms/asm/riscv is assembled by
//! both, each object is linked by GNU ld, and the linked sections must be byte-identical.

// A failing test reports by panicking.
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use object::{Object, ObjectSection};
use wb_asm::{Isa, OutputKind, assemble_file};

const AS: &str = "riscv64-linux-gnu-as";
const LD: &str = "riscv64-linux-gnu-ld";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms/asm/riscv")
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// A file in this process's scratch folder (removed by [`Scratch`]'s drop).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wb-asm-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}

/// Removes the files a test made when it ends, pass or fail.
struct Scratch(Vec<PathBuf>);
impl Drop for Scratch {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
        // Succeeds only once the last test of the process has cleaned up.
        if let Some(dir) = self.0.first().and_then(|p| p.parent()) {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{:?} failed:\n{}", cmd, String::from_utf8_lossy(&out.stderr)))
    }
}

fn link(obj: &Path, exe: &Path) -> Result<(), String> {
    run(Command::new(LD).args(["-static", "--no-relax", "-e", "_start", "-o"]).arg(exe).arg(obj))
}

/// Every allocated section with contents, by name: (address, bytes).
fn sections(path: &Path) -> Vec<(String, u64, Vec<u8>)> {
    let data = std::fs::read(path).unwrap_or_default();
    let Ok(file) = object::File::parse(&*data) else { return vec![] };
    let mut out = Vec::new();
    for s in file.sections() {
        let name = s.name().unwrap_or("").to_string();
        if name.starts_with(".text") || name.starts_with(".data") || name.starts_with(".rodata") || name.starts_with(".sdata") {
            out.push((name, s.address(), s.data().map(<[u8]>::to_vec).unwrap_or_default()));
        }
    }
    out
}

fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))
}

#[test]
fn corpus_matches_gnu_as_after_linking() {
    if !have(AS) || !have(LD) {
        println!("skipped: {AS} / {LD} not found (install binutils-riscv64-linux-gnu)");
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "s"));
    files.sort();
    assert!(files.len() >= 5, "corpus missing in {}", corpus_dir().display());
    let mut failures = Vec::new();
    for file in &files {
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("x").to_string();
        let ours_o = scratch(&format!("{stem}.ours.o"));
        let gnu_o = scratch(&format!("{stem}.gnu.o"));
        let ours_x = scratch(&format!("{stem}.ours"));
        let gnu_x = scratch(&format!("{stem}.gnu"));
        let _cleanup = Scratch(vec![ours_o.clone(), gnu_o.clone(), ours_x.clone(), gnu_x.clone()]);
        let ours = match assemble_file(file, Isa::RiscV, OutputKind::Object) {
            Ok(a) => a,
            Err(d) => {
                failures.push(format!("{stem}: ours failed: {}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")));
                continue;
            }
        };
        let _ = std::fs::write(&ours_o, &ours.bytes);
        if let Err(e) = run(Command::new(AS).args(["-march=rv64gc", "-mabi=lp64d", "-mno-relax", "-o"]).arg(&gnu_o).arg(file)) {
            failures.push(format!("{stem}: GNU as failed: {e}"));
            continue;
        }
        if let Err(e) = link(&ours_o, &ours_x).and_then(|_| link(&gnu_o, &gnu_x)) {
            failures.push(format!("{stem}: {e}"));
            continue;
        }
        let (a, b) = (sections(&ours_x), sections(&gnu_x));
        if a.is_empty() {
            failures.push(format!("{stem}: no sections in our linked output"));
        }
        for (name, addr, bytes) in &b {
            match a.iter().find(|(n, _, _)| n == name) {
                None => failures.push(format!("{stem}: section {name} missing in ours")),
                Some((_, our_addr, ours)) => {
                    if our_addr != addr {
                        failures.push(format!("{stem}: {name} at {our_addr:#x}, GNU at {addr:#x}"));
                    }
                    if let Some(i) = first_difference(ours, bytes) {
                        let show = |v: &[u8]| v.iter().skip(i).take(8).map(|b| format!("{b:02x}")).collect::<String>();
                        failures.push(format!(
                            "{stem}: {name} differs at +{i:#x} (ours {} bytes: {}.., GNU {} bytes: {}..)",
                            ours.len(), show(ours), bytes.len(), show(bytes)
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    println!("{} files match GNU as byte for byte", files.len());
}

/// A deterministic random program of base instructions with random registers and
/// immediates, chosen to probe every compression rule from both sides of its limits.
fn random_program(seed: u64, lines: usize) -> String {
    struct Xs(u64);
    impl Xs {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }
    let mut rng = Xs(seed);
    let regs = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "t6"];
    let fregs = ["ft0", "fs0", "fs1", "fa0", "fa5", "fs2", "ft11"];
    let imms: [i64; 24] = [0, 1, -1, 4, 8, 16, 31, 32, -32, -33, 63, 64, 124, 128, 248, 252, 256, 496, 504, 512, 1020, 1024, 2047, -2048];
    let mut out = String::from("    .text\n    .globl _start\n_start:\n");
    let labels = lines / 30 + 1;
    let mut defined = 0;
    for n in 0..lines {
        if n % 30 == 29 && defined < labels {
            out.push_str(&format!("L{defined}:\n"));
            defined += 1;
        }
        let target = rng.pick(labels);
        let control = match rng.pick(40) {
            0 => Some(format!("beqz {}, L{target}", regs[rng.pick(regs.len())])),
            1 => Some(format!("bnez {}, L{target}", regs[8 + rng.pick(8)])),
            2 => Some(format!("blt {}, {}, L{target}", regs[rng.pick(regs.len())], regs[rng.pick(regs.len())])),
            3 => Some(format!("j L{target}")),
            4 => Some(format!(".skip {}", rng.pick(600) * 2)),
            5 => Some(format!(".balign {}", 1 << (1 + rng.pick(4)))),
            6 => Some(".option norvc".to_string()),
            7 => Some(".option rvc".to_string()),
            8 => Some(format!("call L{target}")),
            _ => None,
        };
        if let Some(c) = control {
            out.push_str("    ");
            out.push_str(&c);
            out.push('\n');
            continue;
        }
        let (r1, r2, r3) = (regs[rng.pick(regs.len())], regs[rng.pick(regs.len())], regs[rng.pick(regs.len())]);
        let imm = imms[rng.pick(imms.len())];
        let same = if rng.pick(2) == 0 { r1 } else { r2 };
        let f = fregs[rng.pick(fregs.len())];
        let line = match rng.pick(16) {
            0 => format!("addi {r1}, {same}, {imm}"),
            1 => format!("addiw {r1}, {same}, {}", imm.clamp(-2048, 2047)),
            2 => format!("lui {r1}, {}", (imm & 0xfffff)),
            3 => format!("slli {r1}, {same}, {}", imm.rem_euclid(64)),
            4 => format!("srli {r1}, {same}, {}", imm.rem_euclid(64)),
            5 => format!("srai {r1}, {same}, {}", imm.rem_euclid(64)),
            6 => format!("andi {r1}, {same}, {imm}"),
            7 => format!("{} {r1}, {same}, {r3}", ["add", "sub", "xor", "or", "and", "addw", "subw"][rng.pick(7)]),
            8 => format!("{} {r1}, {r3}, {same}", ["add", "xor", "or", "and", "addw"][rng.pick(5)]),
            9 => format!("{} {r1}, {imm}({r2})", ["lw", "ld", "lbu", "lh"][rng.pick(4)]),
            10 => format!("{} {r1}, {imm}({r2})", ["sw", "sd", "sb"][rng.pick(3)]),
            11 => format!("{} {f}, {imm}({r2})", ["fld", "flw"][rng.pick(2)]),
            12 => format!("{} {f}, {imm}({r2})", ["fsd", "fsw"][rng.pick(2)]),
            13 => format!("li {r1}, {}", (rng.next() as i64) >> rng.pick(64)),
            14 => format!("mv {r1}, {r2}"),
            _ => format!("{} {r1}", ["jr", "jalr", "neg", "not"][rng.pick(2)]),
        };
        out.push_str("    ");
        out.push_str(&line);
        out.push('\n');
    }
    while defined < labels {
        out.push_str(&format!("L{defined}:\n    nop\n"));
        defined += 1;
    }
    out
}

#[test]
fn random_instructions_match_gnu_as() {
    if !have(AS) || !have(LD) {
        println!("skipped: {AS} / {LD} not found (install binutils-riscv64-linux-gnu)");
        return;
    }
    // `WB_ASM_SEED=n` explores other programs locally.
    let seed = std::env::var("WB_ASM_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5eed_1234_abcd_ef01);
    let src = random_program(seed, 3000);
    let path = scratch("random.s");
    let _ = std::fs::write(&path, &src);
    let ours = assemble_file(&path, Isa::RiscV, OutputKind::Object)
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")));
    let (ours_o, gnu_o) = (scratch("random.ours.o"), scratch("random.gnu.o"));
    let (ours_x, gnu_x) = (scratch("random.ours"), scratch("random.gnu"));
    let _cleanup = Scratch(vec![path.clone(), ours_o.clone(), gnu_o.clone(), ours_x.clone(), gnu_x.clone()]);
    let _ = std::fs::write(&ours_o, &ours.bytes);
    let gnu = run(Command::new(AS).args(["-march=rv64gc", "-mabi=lp64d", "-mno-relax", "-o"]).arg(&gnu_o).arg(&path));
    assert!(gnu.is_ok(), "{gnu:?}");
    assert!(link(&ours_o, &ours_x).and_then(|_| link(&gnu_o, &gnu_x)).is_ok());
    let text = |p: &Path| sections(p).into_iter().find(|(n, _, _)| n == ".text").map(|(_, _, b)| b).unwrap_or_default();
    let (a, b) = (text(&ours_x), text(&gnu_x));
    assert!(!b.is_empty());
    if let Some(i) = first_difference(&a, &b) {
        // Name the source line: walk the listing to the first differing address.
        let line = ours.debug.line_at(i as u64).map(|l| l.line).unwrap_or(0);
        let text = src.lines().nth(line.saturating_sub(1) as usize).unwrap_or("?");
        panic!("differs at +{i:#x}, line {line}: `{}`", text.trim());
    }
}
