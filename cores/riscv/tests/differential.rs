//! Differential testing against qemu-riscv64: generated sequences of integer and floating
//! point instructions run in a small static program that dumps every register (and fcsr)
//! after each block; both emulators must print the same bytes.

mod common;

use std::fmt::Write as _;
use std::process::Command;

use common::*;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Integer registers the generator may write: everything but zero, sp, gp (the dump
/// pointer) and tp.
fn xreg(rng: &mut Rng) -> String {
    let choices: Vec<u64> = (1..32).filter(|r| ![2, 3, 4].contains(r)).collect();
    format!("x{}", choices[rng.below(choices.len() as u64) as usize])
}
fn xsrc(rng: &mut Rng) -> String {
    format!("x{}", rng.below(32))
}
fn freg(rng: &mut Rng) -> String {
    format!("f{}", rng.below(32))
}

const RMS: [&str; 5] = ["rne", "rtz", "rdn", "rup", "rmm"];

fn instruction(rng: &mut Rng) -> String {
    let rm = RMS[rng.below(5) as usize];
    match rng.below(12) {
        0..=2 => {
            let op = rng.pick(&[
                "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "addw", "subw", "sllw", "srlw",
                "sraw", "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu", "mulw", "divw", "divuw",
                "remw", "remuw",
            ]);
            format!("{op} {},{},{}", xreg(rng), xsrc(rng), xsrc(rng))
        }
        3 => {
            let op = rng.pick(&["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"]);
            format!("{op} {},{},{}", xreg(rng), xsrc(rng), rng.below(4096) as i64 - 2048)
        }
        4 => {
            let (op, max) = [("slli", 64), ("srli", 64), ("srai", 64), ("slliw", 32), ("srliw", 32), ("sraiw", 32)]
                [rng.below(6) as usize];
            format!("{op} {},{},{}", xreg(rng), xsrc(rng), rng.below(max))
        }
        5 | 6 => {
            let op = rng.pick(&["fadd", "fsub", "fmul", "fdiv"]);
            let t = rng.pick(&["s", "d"]);
            format!("{op}.{t} {},{},{},{rm}", freg(rng), freg(rng), freg(rng))
        }
        7 => {
            let op = rng.pick(&["fmadd", "fmsub", "fnmadd", "fnmsub"]);
            let t = rng.pick(&["s", "d"]);
            format!("{op}.{t} {},{},{},{},{rm}", freg(rng), freg(rng), freg(rng), freg(rng))
        }
        8 => {
            let t = rng.pick(&["s", "d"]);
            match rng.below(4) {
                0 => format!("fsqrt.{t} {},{},{rm}", freg(rng), freg(rng)),
                1 => format!("{}.{t} {},{},{}", rng.pick(&["fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx"]), freg(rng), freg(rng), freg(rng)),
                2 => format!("{}.{t} {},{},{}", rng.pick(&["feq", "flt", "fle"]), xreg(rng), freg(rng), freg(rng)),
                _ => format!("fclass.{t} {},{}", xreg(rng), freg(rng)),
            }
        }
        9 => {
            let i = rng.pick(&["w", "wu", "l", "lu"]);
            let t = rng.pick(&["s", "d"]);
            format!("fcvt.{i}.{t} {},{},{rm}", xreg(rng), freg(rng))
        }
        10 => {
            let i = rng.pick(&["w", "wu", "l", "lu"]);
            let t = rng.pick(&["s", "d"]);
            // Word to double is exact and takes no rounding mode.
            if t == "d" && (i == "w" || i == "wu") {
                format!("fcvt.{t}.{i} {},{}", freg(rng), xsrc(rng))
            } else {
                format!("fcvt.{t}.{i} {},{},{rm}", freg(rng), xsrc(rng))
            }
        }
        _ => match rng.below(5) {
            0 => format!("fcvt.s.d {},{},{rm}", freg(rng), freg(rng)),
            1 => format!("fcvt.d.s {},{}", freg(rng), freg(rng)),
            2 => format!("fmv.x.{} {},{}", rng.pick(&["w", "d"]), xreg(rng), freg(rng)),
            3 => format!("fmv.{}.x {},{}", rng.pick(&["w", "d"]), freg(rng), xsrc(rng)),
            _ => format!("lui {},{}", xreg(rng), rng.below(1 << 20)),
        },
    }
}

/// Interesting float bit patterns, as doubles and as NaN-boxed singles.
fn float_bits(rng: &mut Rng) -> u64 {
    let specials_d = [
        0u64, 0x8000_0000_0000_0000, 0x3ff0_0000_0000_0000, 0x7ff0_0000_0000_0000, 0xfff0_0000_0000_0000,
        0x7ff8_0000_0000_0000, 0x7ff4_0000_0000_0000, 0x0000_0000_0000_0001, 0x000f_ffff_ffff_ffff,
        0x7fef_ffff_ffff_ffff, 0x4340_0000_0000_0001, 0xc1e0_0000_0000_0000,
    ];
    let specials_s = [0u32, 0x8000_0000, 0x3f80_0000, 0x7f80_0000, 0x7fc0_0000, 0x7fa0_0000, 1, 0x7f7f_ffff, 0x4f00_0000, 0xcf00_0001];
    match rng.below(5) {
        0 => specials_d[rng.below(specials_d.len() as u64) as usize],
        1 => 0xffff_ffff_0000_0000 | specials_s[rng.below(specials_s.len() as u64) as usize] as u64,
        2 => 0xffff_ffff_0000_0000 | (rng.next() & 0xffff_ffff),
        3 => {
            // A moderate double: exponent near 0.
            let exp = 1023 - 40 + rng.below(80);
            exp << 52 | (rng.next() & ((1 << 52) - 1)) | (rng.below(2) << 63)
        }
        _ => rng.next(),
    }
}

fn program(seed: u64, blocks: usize, per_block: usize) -> String {
    let mut rng = Rng(seed);
    // sp and tp are set too: the sequence reads them but the two emulators start them apart.
    let mut s = String::from("    .text\n    .globl _start\n_start:\n    la gp, dump\n    li sp, 0x7f00\n    li tp, 0x1234\n");
    for r in 1..32 {
        if [2, 3, 4].contains(&r) {
            continue;
        }
        let v = match rng.below(4) {
            0 => rng.below(64),
            1 => (rng.next() as i32) as i64 as u64,
            _ => rng.next(),
        };
        let _ = writeln!(s, "    li x{r}, {v:#x}");
    }
    for r in 0..32 {
        let _ = writeln!(s, "    li t0, {:#x}\n    fmv.d.x f{r}, t0", float_bits(&mut rng));
    }
    let _ = writeln!(s, "    li t0, {:#x}", rng.next());
    for _ in 0..blocks {
        for _ in 0..per_block {
            let _ = writeln!(s, "    {}", instruction(&mut rng));
        }
        for r in 0..32 {
            let _ = writeln!(s, "    sd x{r}, {}(gp)", r * 8);
            let _ = writeln!(s, "    fsd f{r}, {}(gp)", 256 + r * 8);
        }
        let _ = writeln!(s, "    frcsr t0\n    sd t0, 512(gp)\n    addi gp, gp, 520");
    }
    let size = blocks * 520;
    let _ = writeln!(
        s,
        "    li a0, 1\n    la a1, dump\n    li a2, {size}\n    li a7, 64\n    ecall\n    li a0, 0\n    li a7, 93\n    ecall\n    .bss\n    .balign 8\ndump: .space {size}"
    );
    s
}

#[test]
fn generated_sequences_match_qemu() {
    if !have(LINUX_GCC) || !have("qemu-riscv64") {
        return;
    }
    let dir = build_dir("differential");
    let (blocks, per_block) = (30, 80);
    let seeds = (0..12u64).map(|k| 0x1234_5678_9abc_def1u64.wrapping_mul(k * 2 + 1) ^ 0x7777_1111_2222_3333);
    for seed in seeds {
        let asm = dir.join(format!("seq_{seed:x}.S"));
        let text = program(seed, blocks, per_block);
        std::fs::write(&asm, &text).expect("write asm");
        let elf = dir.join(format!("seq_{seed:x}"));
        compile(LINUX_GCC, &[asm], &elf, &["-static", "-nostdlib", "-march=rv64gc", "-mabi=lp64d"]);
        let qemu = Command::new("qemu-riscv64").arg(&elf).output().expect("run qemu");
        assert!(qemu.status.success());
        let out = run_elf(&elf, &[], None, 10_000_000);
        assert_eq!(out.code, Some(0), "{:?}", out.stop);
        let ours = &out.raw[..];
        // Compare register by register to name the first difference.
        let theirs = &qemu.stdout[..];
        assert_eq!(ours.len(), theirs.len(), "seed {seed:#x}: dump sizes differ");
        for (k, (a, b)) in ours.chunks(8).zip(theirs.chunks(8)).enumerate() {
            if a != b {
                let block = k / 65;
                let slot = k % 65;
                let name = match slot {
                    0..=31 => format!("x{slot}"),
                    32..=63 => format!("f{}", slot - 32),
                    _ => "fcsr".into(),
                };
                panic!(
                    "seed {seed:#x}: block {block} register {name}: ours {:#018x} qemu {:#018x}\nprogram: {}",
                    u64::from_le_bytes(a.try_into().unwrap_or_default()),
                    u64::from_le_bytes(b.try_into().unwrap_or_default()),
                    dir.join(format!("seq_{seed:x}.S")).display()
                );
            }
        }
    }
}
