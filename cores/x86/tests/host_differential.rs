//! Differential tests against the host CPU: 8/16/32/64-bit ALU, shift/rotate, multiply and
//! divide instructions run on random operands both natively (inline `asm!`) and in our
//! interpreter; results and the flags the manuals define must agree.

#![cfg(target_arch = "x86_64")]
#![allow(clippy::panic, reason = "test code reports failures by panicking")]

use std::arch::asm;

use wb_x86::bare::BareCpu;

const CF: u64 = 1;
const PF: u64 = 4;
const AF: u64 = 0x10;
const ZF: u64 = 0x40;
const SF: u64 = 0x80;
const OF: u64 = 0x800;
const ALL: u64 = CF | PF | AF | ZF | SF | OF;

/// Inputs and outputs of one run: rax, rcx, rdx, rflags.
type HostFn = fn(u64, u64, u64, u64) -> (u64, u64, u64);

/// Run one instruction natively with rax/rcx/rdx/flags as given; returns rax, rdx, flags.
macro_rules! host {
    ($ins:expr) => {{
        fn run(a: u64, c: u64, d: u64, flags: u64) -> (u64, u64, u64) {
            let (mut ra, mut rd, mut fl) = (a, d, flags);
            // SAFETY: the instruction only touches rax, rcx, rdx and the flags (all declared);
            // the stack use (pushfq/popfq) is balanced and `nostack` is not claimed.
            unsafe {
                asm!(
                    "push {f}",
                    "popfq",
                    $ins,
                    "pushfq",
                    "pop {f}",
                    f = inout(reg) fl,
                    inout("rax") ra,
                    inout("rdx") rd,
                    in("rcx") c,
                );
            }
            (ra, rd, fl)
        }
        run as HostFn
    }};
}

/// The four sizes of a two-operand form `op acc, rcx`.
macro_rules! sizes2 {
    ($m:literal) => {
        [
            host!(concat!($m, " al, cl")),
            host!(concat!($m, " ax, cx")),
            host!(concat!($m, " eax, ecx")),
            host!(concat!($m, " rax, rcx")),
        ]
    };
}

/// The four sizes of a one-operand form on the accumulator.
macro_rules! sizes1_acc {
    ($m:literal) => {
        [
            host!(concat!($m, " al")),
            host!(concat!($m, " ax")),
            host!(concat!($m, " eax")),
            host!(concat!($m, " rax")),
        ]
    };
}

/// The four sizes of a one-operand form on rcx (MUL/IMUL/DIV/IDIV sources).
macro_rules! sizes1_src {
    ($m:literal) => {
        [
            host!(concat!($m, " cl")),
            host!(concat!($m, " cx")),
            host!(concat!($m, " ecx")),
            host!(concat!($m, " rcx")),
        ]
    };
}

/// The four sizes of a shift/rotate of the accumulator by CL.
macro_rules! shifts {
    ($m:literal) => {
        [
            host!(concat!($m, " al, cl")),
            host!(concat!($m, " ax, cl")),
            host!(concat!($m, " eax, cl")),
            host!(concat!($m, " rax, cl")),
        ]
    };
}

/// How the encoder builds the instruction bytes for a size (1, 2, 4, 8).
#[derive(Clone, Copy)]
enum Enc {
    /// `op r/m, reg` with byte opcode `b` (word form `b + 1`), ModRM byte given.
    Pair(u8, u8),
    /// Two-byte opcode 0F b (no byte form), ModRM byte given.
    TwoByte(u8, u8),
    /// Two-byte opcode 0F b with the register (rax) in its low bits.
    TwoByteReg(u8),
    /// These bytes after the size prefixes.
    Bytes(&'static [u8]),
}

fn encode(enc: Enc, size: u8) -> Vec<u8> {
    let mut v = Vec::new();
    if size == 2 {
        v.push(0x66);
    }
    if size == 8 {
        v.push(0x48);
    }
    match enc {
        Enc::Pair(b, modrm) => v.extend([if size == 1 { b } else { b + 1 }, modrm]),
        Enc::TwoByte(b, modrm) => v.extend([0x0F, b, modrm]),
        Enc::TwoByteReg(b) => v.extend([0x0F, b]),
        Enc::Bytes(b) => v.extend_from_slice(b),
    }
    v
}

/// What the defined flags are, given the operands.
#[derive(Clone, Copy)]
enum Defined {
    All,
    /// AF undefined (logic ops).
    NoAf,
    /// Multiply: only CF and OF.
    Mul,
    /// Divide: no flags.
    Div,
    /// Shifts: CF S Z P when the count is non-zero, OF only for count 1, AF never.
    Shift,
    /// Rotates: CF when the count is non-zero, OF only for count 1.
    Rotate,
    /// BT: CF only.
    Bt,
    /// BSF/BSR: ZF only.
    Zf,
    /// SHLD/SHRD: as shifts (the count comes from CL).
    ShiftDouble,
}

struct Case {
    name: &'static str,
    host: [Option<HostFn>; 4],
    enc: Enc,
    defined: Defined,
    /// Constrain operands so the host does not trap (divide).
    divide: Option<bool>,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Random operand with a bias to edge values.
    fn operand(&mut self) -> u64 {
        const EDGES: [u64; 10] = [
            0,
            1,
            2,
            0x7F,
            0x80,
            0xFF,
            0x7FFF,
            0x8000,
            0x8000_0000,
            u64::MAX,
        ];
        match self.next() % 8 {
            0 => EDGES[(self.next() % EDGES.len() as u64) as usize],
            1 => self.next() % 64,
            _ => self.next(),
        }
    }
}

fn mask(size: u8) -> u64 {
    if size == 8 {
        u64::MAX
    } else {
        (1u64 << (size * 8)) - 1
    }
}

fn sext(v: u64, size: u8) -> i128 {
    let s = 64 - size as u32 * 8;
    (((v << s) as i64) >> s) as i128
}

fn defined_mask(d: Defined, size: u8, count: u64) -> u64 {
    let masked = count & if size == 8 { 63 } else { 31 };
    match d {
        Defined::All => ALL,
        Defined::NoAf => ALL & !AF,
        Defined::Mul => CF | OF,
        Defined::Div => 0,
        Defined::Bt => CF,
        Defined::Zf => ZF,
        Defined::ShiftDouble if masked == 0 => ALL,
        Defined::ShiftDouble => (CF | SF | ZF | PF) | if masked == 1 { OF } else { 0 },
        Defined::Shift if masked == 0 => ALL,
        Defined::Shift => (CF | SF | ZF | PF) | if masked == 1 { OF } else { 0 },
        Defined::Rotate if masked == 0 => ALL,
        Defined::Rotate => CF | if masked == 1 { OF } else { 0 },
    }
}

fn cases() -> Vec<Case> {
    let p = |m: [HostFn; 4]| m.map(Some);
    let no8 = |m: [HostFn; 3]| [None, Some(m[0]), Some(m[1]), Some(m[2])];
    vec![
        Case {
            name: "add",
            host: p(sizes2!("add")),
            enc: Enc::Pair(0x00, 0xC8),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "or",
            host: p(sizes2!("or")),
            enc: Enc::Pair(0x08, 0xC8),
            defined: Defined::NoAf,
            divide: None,
        },
        Case {
            name: "adc",
            host: p(sizes2!("adc")),
            enc: Enc::Pair(0x10, 0xC8),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "sbb",
            host: p(sizes2!("sbb")),
            enc: Enc::Pair(0x18, 0xC8),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "and",
            host: p(sizes2!("and")),
            enc: Enc::Pair(0x20, 0xC8),
            defined: Defined::NoAf,
            divide: None,
        },
        Case {
            name: "sub",
            host: p(sizes2!("sub")),
            enc: Enc::Pair(0x28, 0xC8),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "xor",
            host: p(sizes2!("xor")),
            enc: Enc::Pair(0x30, 0xC8),
            defined: Defined::NoAf,
            divide: None,
        },
        Case {
            name: "cmp",
            host: p(sizes2!("cmp")),
            enc: Enc::Pair(0x38, 0xC8),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "test",
            host: p(sizes2!("test")),
            enc: Enc::Pair(0x84, 0xC8),
            defined: Defined::NoAf,
            divide: None,
        },
        Case {
            name: "inc",
            host: p(sizes1_acc!("inc")),
            enc: Enc::Pair(0xFE, 0xC0),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "dec",
            host: p(sizes1_acc!("dec")),
            enc: Enc::Pair(0xFE, 0xC8),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "not",
            host: p(sizes1_acc!("not")),
            enc: Enc::Pair(0xF6, 0xD0),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "neg",
            host: p(sizes1_acc!("neg")),
            enc: Enc::Pair(0xF6, 0xD8),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "mul",
            host: p(sizes1_src!("mul")),
            enc: Enc::Pair(0xF6, 0xE1),
            defined: Defined::Mul,
            divide: None,
        },
        Case {
            name: "imul1",
            host: p(sizes1_src!("imul")),
            enc: Enc::Pair(0xF6, 0xE9),
            defined: Defined::Mul,
            divide: None,
        },
        Case {
            name: "imul2",
            host: no8([
                host!("imul ax, cx"),
                host!("imul eax, ecx"),
                host!("imul rax, rcx"),
            ]),
            enc: Enc::TwoByte(0xAF, 0xC1),
            defined: Defined::Mul,
            divide: None,
        },
        Case {
            name: "div",
            host: p(sizes1_src!("div")),
            enc: Enc::Pair(0xF6, 0xF1),
            defined: Defined::Div,
            divide: Some(false),
        },
        Case {
            name: "idiv",
            host: p(sizes1_src!("idiv")),
            enc: Enc::Pair(0xF6, 0xF9),
            defined: Defined::Div,
            divide: Some(true),
        },
        Case {
            name: "rol",
            host: p(shifts!("rol")),
            enc: Enc::Pair(0xD2, 0xC0),
            defined: Defined::Rotate,
            divide: None,
        },
        Case {
            name: "ror",
            host: p(shifts!("ror")),
            enc: Enc::Pair(0xD2, 0xC8),
            defined: Defined::Rotate,
            divide: None,
        },
        Case {
            name: "rcl",
            host: p(shifts!("rcl")),
            enc: Enc::Pair(0xD2, 0xD0),
            defined: Defined::Rotate,
            divide: None,
        },
        Case {
            name: "rcr",
            host: p(shifts!("rcr")),
            enc: Enc::Pair(0xD2, 0xD8),
            defined: Defined::Rotate,
            divide: None,
        },
        Case {
            name: "shl",
            host: p(shifts!("shl")),
            enc: Enc::Pair(0xD2, 0xE0),
            defined: Defined::Shift,
            divide: None,
        },
        Case {
            name: "shr",
            host: p(shifts!("shr")),
            enc: Enc::Pair(0xD2, 0xE8),
            defined: Defined::Shift,
            divide: None,
        },
        Case {
            name: "sar",
            host: p(shifts!("sar")),
            enc: Enc::Pair(0xD2, 0xF8),
            defined: Defined::Shift,
            divide: None,
        },
        Case {
            name: "imul3",
            host: no8([
                host!("imul ax, cx, -0x37"),
                host!("imul eax, ecx, -0x37"),
                host!("imul rax, rcx, -0x37"),
            ]),
            enc: Enc::Bytes(&[0x6B, 0xC1, 0xC9]),
            defined: Defined::Mul,
            divide: None,
        },
        Case {
            name: "shld",
            host: no8([
                host!("shld ax, cx, cl"),
                host!("shld eax, ecx, cl"),
                host!("shld rax, rcx, cl"),
            ]),
            enc: Enc::TwoByte(0xA5, 0xC8),
            defined: Defined::ShiftDouble,
            divide: None,
        },
        Case {
            name: "shrd",
            host: no8([
                host!("shrd ax, cx, cl"),
                host!("shrd eax, ecx, cl"),
                host!("shrd rax, rcx, cl"),
            ]),
            enc: Enc::TwoByte(0xAD, 0xC8),
            defined: Defined::ShiftDouble,
            divide: None,
        },
        Case {
            name: "bsf",
            host: no8([
                host!("bsf ax, cx"),
                host!("bsf eax, ecx"),
                host!("bsf rax, rcx"),
            ]),
            enc: Enc::TwoByte(0xBC, 0xC1),
            defined: Defined::Zf,
            divide: None,
        },
        Case {
            name: "bsr",
            host: no8([
                host!("bsr ax, cx"),
                host!("bsr eax, ecx"),
                host!("bsr rax, rcx"),
            ]),
            enc: Enc::TwoByte(0xBD, 0xC1),
            defined: Defined::Zf,
            divide: None,
        },
        Case {
            name: "cmovle",
            host: no8([
                host!("cmovle ax, cx"),
                host!("cmovle eax, ecx"),
                host!("cmovle rax, rcx"),
            ]),
            enc: Enc::TwoByte(0x4E, 0xC1),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "cmovbe",
            host: no8([
                host!("cmovbe ax, cx"),
                host!("cmovbe eax, ecx"),
                host!("cmovbe rax, rcx"),
            ]),
            enc: Enc::TwoByte(0x46, 0xC1),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "movsx8",
            host: no8([
                host!("movsx ax, cl"),
                host!("movsx eax, cl"),
                host!("movsx rax, cl"),
            ]),
            enc: Enc::TwoByte(0xBE, 0xC1),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "movzx16",
            host: [
                None,
                None,
                Some(host!("movzx eax, cx")),
                Some(host!("movzx rax, cx")),
            ],
            enc: Enc::TwoByte(0xB7, 0xC1),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "setg",
            host: [Some(host!("setg al")), None, None, None],
            enc: Enc::TwoByte(0x9F, 0xC0),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "setp",
            host: [Some(host!("setp al")), None, None, None],
            enc: Enc::TwoByte(0x9A, 0xC0),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "bswap",
            host: [
                None,
                None,
                Some(host!("bswap eax")),
                Some(host!("bswap rax")),
            ],
            enc: Enc::TwoByteReg(0xC8),
            defined: Defined::All,
            divide: None,
        },
        Case {
            name: "bt",
            host: no8([
                host!("bt ax, cx"),
                host!("bt eax, ecx"),
                host!("bt rax, rcx"),
            ]),
            enc: Enc::TwoByte(0xA3, 0xC8),
            defined: Defined::Bt,
            divide: None,
        },
    ]
}

/// Make a divide's operands valid for the host: non-zero divisor, quotient in range.
fn fix_divide(signed: bool, size: u8, a: &mut u64, c: &mut u64, d: &mut u64) {
    let m = mask(size);
    if *c & m == 0 {
        *c |= 1;
    }
    let (lo, hi) = if size == 1 {
        (*a & 0xFFFF, 0)
    } else {
        (*a & m, *d & m)
    };
    let bits = size as u32 * 8;
    let dividend: u128 = if size == 1 {
        lo as u128
    } else {
        (hi as u128) << bits | lo as u128
    };
    let ok = if signed {
        let n = if size == 1 {
            sext(lo, 2)
        } else {
            ((dividend << (128 - 2 * bits)) as i128) >> (128 - 2 * bits)
        };
        let q = n / sext(*c & m, size);
        q >= -(1i128 << (bits - 1)) && q < (1i128 << (bits - 1))
    } else {
        dividend / ((*c & m) as u128) <= m as u128
    };
    if !ok {
        // Shrink the dividend to a single-width sign- or zero-extended value.
        if size == 1 {
            *a = (*a & !0xFFFF)
                | if signed {
                    (sext(*a & 0x7F, 1) as u64) & 0xFFFF
                } else {
                    *a & 0xFF
                };
        } else {
            *d = if signed && sext(*a & m, size) < 0 {
                u64::MAX
            } else {
                0
            };
        }
    }
}

fn emulate(cpu: &mut BareCpu, code: &[u8], a: u64, c: u64, d: u64, flags: u64) -> (u64, u64, u64) {
    cpu.mem_mut()[0x1000..0x1000 + code.len()].copy_from_slice(code);
    cpu.set_ip(0x1000);
    cpu.set_gpr(0, a);
    cpu.set_gpr(1, c);
    cpu.set_gpr(2, d);
    cpu.set_flags(flags);
    cpu.step();
    assert_eq!(
        cpu.ip(),
        0x1000 + code.len() as u64,
        "the instruction must retire without a fault"
    );
    (cpu.gpr(0), cpu.gpr(2), cpu.flags())
}

#[test]
fn alu_shift_mul_div_match_the_host() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut cpu = BareCpu::new_long(0x10000);
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases() {
        for (k, host) in case.host.iter().enumerate() {
            let Some(host) = host else { continue };
            let size = 1u8 << k;
            let code = encode(case.enc, size);
            for _ in 0..3000 {
                let mut a = rng.operand();
                let mut c = rng.operand();
                let mut d = rng.operand();
                if matches!(case.defined, Defined::Shift | Defined::Rotate)
                    && rng.next().is_multiple_of(2)
                {
                    c = rng.next() % 70;
                }
                if matches!(case.defined, Defined::Zf) && c & mask(size) == 0 {
                    // The destination is undefined for a zero source.
                    c |= 1 << (rng.next() % (size as u64 * 8));
                }
                if matches!(case.defined, Defined::ShiftDouble) && size == 2 {
                    // 16-bit counts above 16 leave the result undefined.
                    c = (c & !0x1F) | (c & 0xF);
                }
                if let Some(signed) = case.divide {
                    fix_divide(signed, size, &mut a, &mut c, &mut d);
                }
                let flags_in = 0x202 | (rng.next() & ALL);
                let (ha, hd, hf) = host(a, c, d, flags_in);
                let (ea, ed, ef) = emulate(&mut cpu, &code, a, c, d, flags_in);
                let fm = defined_mask(case.defined, size, c & 0xFF);
                checked += 1;
                if ha != ea || hd != ed || (hf & fm) != (ef & fm) {
                    failures.push(format!(
                        "{} size {size}: rax={a:#x} rcx={c:#x} rdx={d:#x} flags={flags_in:#x}: host rax={ha:#x} rdx={hd:#x} fl={:#x}, ours rax={ea:#x} rdx={ed:#x} fl={:#x}",
                        case.name, hf & fm, ef & fm
                    ));
                }
            }
        }
    }
    println!("{checked} cases checked, {} mismatches", failures.len());
    assert!(
        failures.is_empty(),
        "{} mismatches, first:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
