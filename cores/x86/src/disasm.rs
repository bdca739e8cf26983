//! Intel-syntax disassembly of decoded [`Insn`]s (the same type the interpreter runs).

use crate::decode::{Insn, Mode};

const ALU: [&str; 8] = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"];
const SHIFT: [&str; 8] = ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"];
const GROUP3: [&str; 8] = ["test", "test", "not", "neg", "mul", "imul", "div", "idiv"];
const CC: [&str; 16] = [
    "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g",
];
const SEG: [&str; 6] = ["es", "cs", "ss", "ds", "fs", "gs"];

/// Name of general register `n` at `size` bytes.
pub fn reg_name(size: u8, n: u8, rex: bool) -> String {
    const R64: [&str; 8] = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"];
    const R16: [&str; 8] = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
    const R8: [&str; 8] = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"];
    const R8X: [&str; 8] = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"];
    let n = n as usize & 15;
    if n >= 8 {
        let suffix = match size {
            1 => "b",
            2 => "w",
            4 => "d",
            _ => "",
        };
        return format!("r{n}{suffix}");
    }
    match size {
        1 if rex => R8X[n].into(),
        1 => R8[n].into(),
        2 => R16[n].into(),
        4 => format!("e{}", R16[n]),
        _ => R64[n].into(),
    }
}

fn size_word(size: u8) -> &'static str {
    match size {
        1 => "byte",
        2 => "word",
        4 => "dword",
        8 => "qword",
        10 => "tbyte",
        _ => "fword",
    }
}

fn hex(v: i64) -> String {
    if v < 0 {
        format!("-{:#x}", v.unsigned_abs())
    } else {
        format!("{v:#x}")
    }
}

struct Fmt<'a> {
    i: &'a Insn,
    /// Address just past the instruction (for RIP-relative and branches).
    next: u64,
}

impl Fmt<'_> {
    fn mem(&self, size: Option<u8>) -> String {
        let Some(m) = &self.i.mem else {
            return reg_name(size.unwrap_or(self.i.osize), self.i.rm, self.i.rex);
        };
        let asz = self.i.asize;
        let mut parts = String::new();
        if m.rip_rel {
            let target = self.next.wrapping_add(m.disp as u64);
            parts = format!(
                "rip{}",
                if m.disp < 0 {
                    hex(m.disp)
                } else {
                    format!("+{}", hex(m.disp))
                }
            );
            parts.push_str(&format!("] ; {target:#x}"));
            let seg = self
                .i
                .seg_override
                .map(|s| format!("{}:", SEG[s as usize]))
                .unwrap_or_default();
            let sz = size
                .map(|s| format!("{} ptr ", size_word(s)))
                .unwrap_or_default();
            return format!("{sz}{seg}[{parts}");
        }
        if let Some(b) = m.base {
            parts.push_str(&reg_name(asz, b, true));
        }
        if let Some(x) = m.index {
            if !parts.is_empty() {
                parts.push('+');
            }
            parts.push_str(&reg_name(asz, x, true));
            if m.scale > 1 {
                parts.push_str(&format!("*{}", m.scale));
            }
        }
        if m.disp != 0 || parts.is_empty() {
            let d = if parts.is_empty() {
                format!("{:#x}", (m.disp as u64) & crate::cpu::size_mask(asz))
            } else if m.disp < 0 {
                hex(m.disp)
            } else {
                format!("+{}", hex(m.disp))
            };
            parts.push_str(&d);
        }
        let seg = match self.i.seg_override {
            Some(s) => format!("{}:", SEG[s as usize]),
            None => String::new(),
        };
        let sz = size
            .map(|s| format!("{} ptr ", size_word(s)))
            .unwrap_or_default();
        format!("{sz}{seg}[{parts}]")
    }

    fn rm(&self, size: u8) -> String {
        if self.i.mem.is_some() {
            self.mem(Some(size))
        } else {
            reg_name(size, self.i.rm, self.i.rex)
        }
    }

    fn greg(&self, size: u8) -> String {
        reg_name(size, self.i.reg, self.i.rex)
    }

    fn imm(&self, size: u8) -> String {
        format!("{:#x}", self.i.imm & crate::cpu::size_mask(size))
    }

    fn target(&self) -> u64 {
        let t = self.next.wrapping_add(self.i.imm);
        match self.i.mode {
            Mode::Bits64 => t,
            Mode::Bits32 if self.i.osize == 4 => t & 0xFFFF_FFFF,
            _ => t & 0xFFFF,
        }
    }
}

/// Intel-syntax text of `insn` at `addr`, and its static branch target if any.
pub fn format(insn: &Insn, addr: u64) -> (String, Option<u64>) {
    let f = Fmt {
        i: insn,
        next: addr.wrapping_add(insn.len as u64),
    };
    let i = insn;
    let op = i.op;
    let bw = if op & 1 == 0 { 1 } else { i.osize };
    let mut target = None;
    let mut text = |m: &str, ops: &[String]| {
        if ops.is_empty() {
            m.to_string()
        } else {
            format!("{m} {}", ops.join(", "))
        }
    };
    let rep = match i.rep {
        0xF3 if matches!(op, 0xA6 | 0xA7 | 0xAE | 0xAF) => "repe ",
        0xF3 if matches!(op, 0x6C..=0x6F | 0xA4 | 0xA5 | 0xAA..=0xAD) => "rep ",
        0xF2 if matches!(op, 0xA6 | 0xA7 | 0xAE | 0xAF) => "repne ",
        _ => "",
    };
    let lock = if i.lock { "lock " } else { "" };
    let sfx = |size: u8| match size {
        1 => "b",
        2 => "w",
        4 => "d",
        _ => "q",
    };
    let s = match op {
        0x00..=0x3F if op & 7 < 6 => {
            let m = ALU[(op >> 3) as usize];
            let size = bw;
            match op & 7 {
                0 | 1 => text(m, &[f.rm(size), f.greg(size)]),
                2 | 3 => text(m, &[f.greg(size), f.rm(size)]),
                _ => text(m, &[reg_name(size, 0, false), f.imm(size)]),
            }
        }
        0x06 | 0x0E | 0x16 | 0x1E => text("push", &[SEG[(op >> 3) as usize].into()]),
        0x07 | 0x17 | 0x1F => text("pop", &[SEG[(op >> 3) as usize].into()]),
        0x27 => "daa".into(),
        0x2F => "das".into(),
        0x37 => "aaa".into(),
        0x3F => "aas".into(),
        0x40..=0x47 => text("inc", &[reg_name(i.osize, i.rm, false)]),
        0x48..=0x4F => text("dec", &[reg_name(i.osize, i.rm, false)]),
        0x50..=0x57 => text("push", &[reg_name(i.osize, i.rm, false)]),
        0x58..=0x5F => text("pop", &[reg_name(i.osize, i.rm, false)]),
        0x60 => {
            if i.osize == 4 {
                "pushad".into()
            } else {
                "pusha".into()
            }
        }
        0x61 => {
            if i.osize == 4 {
                "popad".into()
            } else {
                "popa".into()
            }
        }
        0x62 => text("bound", &[f.greg(i.osize), f.mem(None)]),
        0x63 if i.mode == Mode::Bits64 => text("movsxd", &[f.greg(i.osize), f.rm(4)]),
        0x63 => text("arpl", &[f.rm(2), f.greg(2)]),
        0x68 | 0x6A => text("push", &[f.imm(i.osize)]),
        0x69 | 0x6B => text("imul", &[f.greg(i.osize), f.rm(i.osize), f.imm(i.osize)]),
        0x6C | 0x6D => format!("{rep}ins{}", sfx(bw)),
        0x6E | 0x6F => format!("{rep}outs{}", sfx(bw)),
        0x70..=0x7F | 0x180..=0x18F => {
            let t = f.target();
            target = Some(t);
            format!("j{} {t:#x}", CC[(op & 0xF) as usize])
        }
        0x80..=0x83 => text(
            &format!("{lock}{}", ALU[(i.reg & 7) as usize]),
            &[f.rm(bw), f.imm(bw)],
        ),
        0x84 | 0x85 => text("test", &[f.rm(bw), f.greg(bw)]),
        0x86 | 0x87 => text(&format!("{lock}xchg"), &[f.rm(bw), f.greg(bw)]),
        0x88 | 0x89 => text("mov", &[f.rm(bw), f.greg(bw)]),
        0x8A | 0x8B => text("mov", &[f.greg(bw), f.rm(bw)]),
        0x8C => text(
            "mov",
            &[
                f.rm(if i.mem.is_some() { 2 } else { i.osize }),
                SEG.get((i.reg & 7) as usize).unwrap_or(&"?").to_string(),
            ],
        ),
        0x8D => text("lea", &[f.greg(i.osize), f.mem(None)]),
        0x8E => text(
            "mov",
            &[
                SEG.get((i.reg & 7) as usize).unwrap_or(&"?").to_string(),
                f.rm(2),
            ],
        ),
        0x8F => text("pop", &[f.rm(i.osize)]),
        0x90 if i.rm == 0 => {
            if i.rep == 0xF3 {
                "pause".into()
            } else {
                "nop".into()
            }
        }
        0x90..=0x97 => text(
            "xchg",
            &[reg_name(i.osize, i.rm, false), reg_name(i.osize, 0, false)],
        ),
        0x98 => match i.osize {
            2 => "cbw",
            4 => "cwde",
            _ => "cdqe",
        }
        .into(),
        0x99 => match i.osize {
            2 => "cwd",
            4 => "cdq",
            _ => "cqo",
        }
        .into(),
        0x9A | 0xEA => {
            let m = if op == 0x9A { "call" } else { "jmp" };
            format!("{m} far {:#x}:{:#x}", i.imm2, i.imm)
        }
        0x9B => "wait".into(),
        0x9C => format!("pushf{}", if i.osize == 2 { "" } else { sfx(i.osize) }),
        0x9D => format!("popf{}", if i.osize == 2 { "" } else { sfx(i.osize) }),
        0x9E => "sahf".into(),
        0x9F => "lahf".into(),
        0xA0..=0xA3 => {
            let seg = SEG[i.seg_override.unwrap_or(3) as usize];
            let m = format!("{} ptr {seg}:[{:#x}]", size_word(bw), i.imm);
            let a = reg_name(bw, 0, false);
            if op < 0xA2 {
                text("mov", &[a, m])
            } else {
                text("mov", &[m, a])
            }
        }
        0xA4 | 0xA5 => format!("{rep}movs{}", sfx(bw)),
        0xA6 | 0xA7 => format!("{rep}cmps{}", sfx(bw)),
        0xA8 | 0xA9 => text("test", &[reg_name(bw, 0, false), f.imm(bw)]),
        0xAA | 0xAB => format!("{rep}stos{}", sfx(bw)),
        0xAC | 0xAD => format!("{rep}lods{}", sfx(bw)),
        0xAE | 0xAF => format!("{rep}scas{}", sfx(bw)),
        0xB0..=0xB7 => text("mov", &[reg_name(1, i.rm, i.rex), f.imm(1)]),
        0xB8..=0xBF => text("mov", &[reg_name(i.osize, i.rm, false), f.imm(i.osize)]),
        0xC0 | 0xC1 => text(SHIFT[(i.reg & 7) as usize], &[f.rm(bw), f.imm(1)]),
        0xD0 | 0xD1 => text(SHIFT[(i.reg & 7) as usize], &[f.rm(bw), "1".into()]),
        0xD2 | 0xD3 => text(SHIFT[(i.reg & 7) as usize], &[f.rm(bw), "cl".into()]),
        0xC2 => text("ret", &[f.imm(2)]),
        0xC3 => "ret".into(),
        0xC4 => text("les", &[f.greg(i.osize), f.mem(None)]),
        0xC5 => text("lds", &[f.greg(i.osize), f.mem(None)]),
        0xC6 | 0xC7 => text("mov", &[f.rm(bw), f.imm(bw)]),
        0xC8 => format!("enter {:#x}, {:#x}", i.imm, i.imm2),
        0xC9 => "leave".into(),
        0xCA => text("retf", &[f.imm(2)]),
        0xCB => "retf".into(),
        0xCC => "int3".into(),
        0xCD => format!("int {:#x}", i.imm & 0xFF),
        0xCE => "into".into(),
        0xCF => match i.osize {
            2 => "iret",
            4 => "iretd",
            _ => "iretq",
        }
        .into(),
        0xD4 => format!("aam {:#x}", i.imm & 0xFF),
        0xD5 => format!("aad {:#x}", i.imm & 0xFF),
        0xD6 => "salc".into(),
        0xD7 => "xlat".into(),
        0xD8..=0xDF => format!("esc {:#x}", op & 7),
        0xE0..=0xE3 => {
            let t = f.target();
            target = Some(t);
            let m = match op {
                0xE0 => "loopne",
                0xE1 => "loope",
                0xE2 => "loop",
                _ => match i.asize {
                    2 => "jcxz",
                    4 => "jecxz",
                    _ => "jrcxz",
                },
            };
            format!("{m} {t:#x}")
        }
        0xE4 | 0xE5 => text("in", &[reg_name(bw.min(4), 0, false), f.imm(1)]),
        0xE6 | 0xE7 => text("out", &[f.imm(1), reg_name(bw.min(4), 0, false)]),
        0xEC | 0xED => text("in", &[reg_name(bw.min(4), 0, false), "dx".into()]),
        0xEE | 0xEF => text("out", &["dx".into(), reg_name(bw.min(4), 0, false)]),
        0xE8 | 0xE9 | 0xEB => {
            let t = f.target();
            target = Some(t);
            format!("{} {t:#x}", if op == 0xE8 { "call" } else { "jmp" })
        }
        0xF1 => "int1".into(),
        0xF4 => "hlt".into(),
        0xF5 => "cmc".into(),
        0xF6 | 0xF7 => {
            let m = GROUP3[(i.reg & 7) as usize];
            if i.reg & 7 < 2 {
                text(m, &[f.rm(bw), f.imm(bw)])
            } else {
                text(&format!("{lock}{m}"), &[f.rm(bw)])
            }
        }
        0xF8 => "clc".into(),
        0xF9 => "stc".into(),
        0xFA => "cli".into(),
        0xFB => "sti".into(),
        0xFC => "cld".into(),
        0xFD => "std".into(),
        0xFE | 0xFF => match i.reg & 7 {
            0 => text(&format!("{lock}inc"), &[f.rm(bw)]),
            1 => text(&format!("{lock}dec"), &[f.rm(bw)]),
            2 => text("call", &[f.rm(i.osize)]),
            3 => text("call far", &[f.mem(None)]),
            4 => text("jmp", &[f.rm(i.osize)]),
            5 => text("jmp far", &[f.mem(None)]),
            6 => text("push", &[f.rm(i.osize)]),
            _ => "(bad)".into(),
        },
        0x100..=0x1FF => two_byte(&f, &mut text, lock, bw),
        _ => "(bad)".into(),
    };
    (s, target)
}

fn two_byte(
    f: &Fmt,
    text: &mut impl FnMut(&str, &[String]) -> String,
    lock: &str,
    bw: u8,
) -> String {
    let i = f.i;
    let b = (i.op & 0xFF) as u8;
    let cr_size = if i.mode == Mode::Bits64 { 8 } else { 4 };
    match b {
        0x00 => {
            const N: [&str; 8] = [
                "sldt", "str", "lldt", "ltr", "verr", "verw", "(bad)", "(bad)",
            ];
            text(N[(i.reg & 7) as usize], &[f.rm(2)])
        }
        0x01 => match (i.mem.is_some(), i.reg & 7, i.rm & 7) {
            (true, r, _) => {
                const N: [&str; 8] = [
                    "sgdt", "sidt", "lgdt", "lidt", "smsw", "(bad)", "lmsw", "invlpg",
                ];
                let m = N[r as usize];
                text(m, &[f.mem(None)])
            }
            (false, 7, 0) => "swapgs".into(),
            (false, 7, 1) => "rdtscp".into(),
            (false, 1, 2) => "clac".into(),
            (false, 1, 3) => "stac".into(),
            (false, 4, _) => text("smsw", &[f.rm(i.osize)]),
            (false, 6, _) => text("lmsw", &[f.rm(2)]),
            _ => "(bad)".into(),
        },
        0x02 => text("lar", &[f.greg(i.osize), f.rm(2)]),
        0x03 => text("lsl", &[f.greg(i.osize), f.rm(2)]),
        0x05 => "syscall".into(),
        0x06 => "clts".into(),
        0x07 => {
            if i.rex_w {
                "sysretq".into()
            } else {
                "sysret".into()
            }
        }
        0x08 => "invd".into(),
        0x09 => "wbinvd".into(),
        0x0B => "ud2".into(),
        0x0D | 0x18..=0x1F => text("nop", &[f.rm(i.osize)]),
        0x20 => text(
            "mov",
            &[reg_name(cr_size, i.rm, true), format!("cr{}", i.reg)],
        ),
        0x22 => text(
            "mov",
            &[format!("cr{}", i.reg), reg_name(cr_size, i.rm, true)],
        ),
        0x21 => text(
            "mov",
            &[reg_name(cr_size, i.rm, true), format!("dr{}", i.reg)],
        ),
        0x23 => text(
            "mov",
            &[format!("dr{}", i.reg), reg_name(cr_size, i.rm, true)],
        ),
        0x30 => "wrmsr".into(),
        0x31 => "rdtsc".into(),
        0x32 => "rdmsr".into(),
        0x40..=0x4F => text(
            &format!("cmov{}", CC[(b & 0xF) as usize]),
            &[f.greg(i.osize), f.rm(i.osize)],
        ),
        0x90..=0x9F => text(&format!("set{}", CC[(b & 0xF) as usize]), &[f.rm(1)]),
        0xA0 => "push fs".into(),
        0xA1 => "pop fs".into(),
        0xA8 => "push gs".into(),
        0xA9 => "pop gs".into(),
        0xA2 => "cpuid".into(),
        0xA3 | 0xAB | 0xB3 | 0xBB => {
            let m = match b {
                0xA3 => "bt",
                0xAB => "bts",
                0xB3 => "btr",
                _ => "btc",
            };
            text(&format!("{lock}{m}"), &[f.rm(i.osize), f.greg(i.osize)])
        }
        0xBA => {
            let m = [
                "(bad)", "(bad)", "(bad)", "(bad)", "bt", "bts", "btr", "btc",
            ][(i.reg & 7) as usize];
            text(m, &[f.rm(i.osize), f.imm(1)])
        }
        0xA4 | 0xAC => text(
            if b == 0xA4 { "shld" } else { "shrd" },
            &[f.rm(i.osize), f.greg(i.osize), f.imm(1)],
        ),
        0xA5 | 0xAD => text(
            if b == 0xA5 { "shld" } else { "shrd" },
            &[f.rm(i.osize), f.greg(i.osize), "cl".into()],
        ),
        0xAE => match (i.mem.is_some(), i.reg & 7) {
            (false, 5) => "lfence".into(),
            (false, 6) => "mfence".into(),
            (false, 7) => "sfence".into(),
            (true, 7) => text("clflush", &[f.mem(None)]),
            _ => "(bad)".into(),
        },
        0xAF => text("imul", &[f.greg(i.osize), f.rm(i.osize)]),
        0xB0 | 0xB1 => text(&format!("{lock}cmpxchg"), &[f.rm(bw), f.greg(bw)]),
        0xB2 => text("lss", &[f.greg(i.osize), f.mem(None)]),
        0xB4 => text("lfs", &[f.greg(i.osize), f.mem(None)]),
        0xB5 => text("lgs", &[f.greg(i.osize), f.mem(None)]),
        0xB6 | 0xBE => text(
            if b == 0xB6 { "movzx" } else { "movsx" },
            &[f.greg(i.osize), f.rm(1)],
        ),
        0xB7 | 0xBF => text(
            if b == 0xB7 { "movzx" } else { "movsx" },
            &[f.greg(i.osize), f.rm(2)],
        ),
        0xB8 if i.rep == 0xF3 => text("popcnt", &[f.greg(i.osize), f.rm(i.osize)]),
        0xBC => text(
            if i.rep == 0xF3 { "tzcnt" } else { "bsf" },
            &[f.greg(i.osize), f.rm(i.osize)],
        ),
        0xBD => text(
            if i.rep == 0xF3 { "lzcnt" } else { "bsr" },
            &[f.greg(i.osize), f.rm(i.osize)],
        ),
        0xC0 | 0xC1 => text(&format!("{lock}xadd"), &[f.rm(bw), f.greg(bw)]),
        0xC7 => match i.reg & 7 {
            1 => text(
                &format!("{lock}{}", if i.rex_w { "cmpxchg16b" } else { "cmpxchg8b" }),
                &[f.mem(None)],
            ),
            6 => text("rdrand", &[f.rm(i.osize)]),
            7 => text("rdseed", &[f.rm(i.osize)]),
            _ => "(bad)".into(),
        },
        0xC8..=0xCF => text("bswap", &[reg_name(i.osize, i.rm, false)]),
        0xFF => "bios".into(),
        _ => "(bad)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;

    fn dis(mode: Mode, bytes: &[u8], addr: u64) -> String {
        let i = decode(mode, |k| bytes.get(k as usize).copied()).unwrap();
        format(&i, addr).0
    }

    #[test]
    fn intel_syntax() {
        assert_eq!(
            dis(Mode::Bits64, &[0x48, 0x8B, 0x05, 0x10, 0, 0, 0], 0x1000),
            "mov rax, qword ptr [rip+0x10] ; 0x1017"
        );
        assert_eq!(
            dis(Mode::Bits16, &[0x01, 0x52, 0xDB], 0),
            "add word ptr [bp+si-0x25], dx"
        );
        assert_eq!(
            dis(Mode::Bits64, &[0xE8, 0xFB, 0xFF, 0xFF, 0xFF], 0x100),
            "call 0x100"
        );
        assert_eq!(dis(Mode::Bits64, &[0xF3, 0x48, 0xAB], 0), "rep stosq");
        assert_eq!(
            dis(Mode::Bits64, &[0x41, 0x0F, 0xB6, 0xC0], 0),
            "movzx eax, r8b"
        );
        assert_eq!(dis(Mode::Bits32, &[0x0F, 0x22, 0xD8], 0), "mov cr3, eax");
    }
}
