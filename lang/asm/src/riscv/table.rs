//! RV64GC instructions as data: mnemonic, operand pattern, fixed bits.
//!
//! Operand codes: `d s t` integer rd/rs1/rs2; `D S T R` float rd/rs1/rs2/rs3; `i` I-immediate;
//! `k` 6-bit shift amount; `w` 5-bit shift amount; `u` U-immediate; `b` branch target;
//! `j` jump target; `m` `off(rs1)` of a load; `M` `off(rs1)` of a store; `A` `(rs1)` of an
//! atomic; `c` CSR; `z` 5-bit unsigned immediate; `r` optional rounding mode (default dyn);
//! `0` optional rounding mode (default rne, for exact conversions); `p` `q` fence sets.

/// One encoding: `(mnemonic, operands, match bits)`.
pub type Entry = (&'static str, &'static str, u32);

pub const BASE: &[Entry] = &[
    // RV32I / RV64I
    ("lui", "d,u", 0x0000_0037),
    ("auipc", "d,u", 0x0000_0017),
    ("jal", "d,j", 0x0000_006f),
    ("jalr", "d,s,i", 0x0000_0067),
    ("jalr", "d,m", 0x0000_0067),
    ("beq", "s,t,b", 0x0000_0063),
    ("bne", "s,t,b", 0x0000_1063),
    ("blt", "s,t,b", 0x0000_4063),
    ("bge", "s,t,b", 0x0000_5063),
    ("bltu", "s,t,b", 0x0000_6063),
    ("bgeu", "s,t,b", 0x0000_7063),
    ("lb", "d,m", 0x0000_0003),
    ("lh", "d,m", 0x0000_1003),
    ("lw", "d,m", 0x0000_2003),
    ("ld", "d,m", 0x0000_3003),
    ("lbu", "d,m", 0x0000_4003),
    ("lhu", "d,m", 0x0000_5003),
    ("lwu", "d,m", 0x0000_6003),
    ("sb", "t,M", 0x0000_0023),
    ("sh", "t,M", 0x0000_1023),
    ("sw", "t,M", 0x0000_2023),
    ("sd", "t,M", 0x0000_3023),
    ("addi", "d,s,i", 0x0000_0013),
    ("slti", "d,s,i", 0x0000_2013),
    ("sltiu", "d,s,i", 0x0000_3013),
    ("xori", "d,s,i", 0x0000_4013),
    ("ori", "d,s,i", 0x0000_6013),
    ("andi", "d,s,i", 0x0000_7013),
    ("slli", "d,s,k", 0x0000_1013),
    ("srli", "d,s,k", 0x0000_5013),
    ("srai", "d,s,k", 0x4000_5013),
    ("add", "d,s,t", 0x0000_0033),
    ("sub", "d,s,t", 0x4000_0033),
    ("sll", "d,s,t", 0x0000_1033),
    ("slt", "d,s,t", 0x0000_2033),
    ("sltu", "d,s,t", 0x0000_3033),
    ("xor", "d,s,t", 0x0000_4033),
    ("srl", "d,s,t", 0x0000_5033),
    ("sra", "d,s,t", 0x4000_5033),
    ("or", "d,s,t", 0x0000_6033),
    ("and", "d,s,t", 0x0000_7033),
    ("addiw", "d,s,i", 0x0000_001b),
    ("slliw", "d,s,w", 0x0000_101b),
    ("srliw", "d,s,w", 0x0000_501b),
    ("sraiw", "d,s,w", 0x4000_501b),
    ("addw", "d,s,t", 0x0000_003b),
    ("subw", "d,s,t", 0x4000_003b),
    ("sllw", "d,s,t", 0x0000_103b),
    ("srlw", "d,s,t", 0x0000_503b),
    ("sraw", "d,s,t", 0x4000_503b),
    ("fence", "p,q", 0x0000_000f),
    ("fence.tso", "", 0x8330_000f),
    ("fence.i", "", 0x0000_100f),
    ("ecall", "", 0x0000_0073),
    ("ebreak", "", 0x0010_0073),
    // Privileged
    ("mret", "", 0x3020_0073),
    ("sret", "", 0x1020_0073),
    ("wfi", "", 0x1050_0073),
    ("sfence.vma", "", 0x1200_0073),
    ("sfence.vma", "s", 0x1200_0073),
    ("sfence.vma", "s,t", 0x1200_0073),
    // Zicsr
    ("csrrw", "d,c,s", 0x0000_1073),
    ("csrrs", "d,c,s", 0x0000_2073),
    ("csrrc", "d,c,s", 0x0000_3073),
    ("csrrwi", "d,c,z", 0x0000_5073),
    ("csrrsi", "d,c,z", 0x0000_6073),
    ("csrrci", "d,c,z", 0x0000_7073),
    // M
    ("mul", "d,s,t", 0x0200_0033),
    ("mulh", "d,s,t", 0x0200_1033),
    ("mulhsu", "d,s,t", 0x0200_2033),
    ("mulhu", "d,s,t", 0x0200_3033),
    ("div", "d,s,t", 0x0200_4033),
    ("divu", "d,s,t", 0x0200_5033),
    ("rem", "d,s,t", 0x0200_6033),
    ("remu", "d,s,t", 0x0200_7033),
    ("mulw", "d,s,t", 0x0200_003b),
    ("divw", "d,s,t", 0x0200_403b),
    ("divuw", "d,s,t", 0x0200_503b),
    ("remw", "d,s,t", 0x0200_603b),
    ("remuw", "d,s,t", 0x0200_703b),
    // F
    ("flw", "D,m", 0x0000_2007),
    ("fsw", "T,M", 0x0000_2027),
    ("fmadd.s", "D,S,T,R,r", 0x0000_0043),
    ("fmsub.s", "D,S,T,R,r", 0x0000_0047),
    ("fnmsub.s", "D,S,T,R,r", 0x0000_004b),
    ("fnmadd.s", "D,S,T,R,r", 0x0000_004f),
    ("fadd.s", "D,S,T,r", 0x0000_0053),
    ("fsub.s", "D,S,T,r", 0x0800_0053),
    ("fmul.s", "D,S,T,r", 0x1000_0053),
    ("fdiv.s", "D,S,T,r", 0x1800_0053),
    ("fsqrt.s", "D,S,r", 0x5800_0053),
    ("fsgnj.s", "D,S,T", 0x2000_0053),
    ("fsgnjn.s", "D,S,T", 0x2000_1053),
    ("fsgnjx.s", "D,S,T", 0x2000_2053),
    ("fmin.s", "D,S,T", 0x2800_0053),
    ("fmax.s", "D,S,T", 0x2800_1053),
    ("fcvt.w.s", "d,S,r", 0xc000_0053),
    ("fcvt.wu.s", "d,S,r", 0xc010_0053),
    ("fcvt.l.s", "d,S,r", 0xc020_0053),
    ("fcvt.lu.s", "d,S,r", 0xc030_0053),
    ("fmv.x.w", "d,S", 0xe000_0053),
    ("fclass.s", "d,S", 0xe000_1053),
    ("feq.s", "d,S,T", 0xa000_2053),
    ("flt.s", "d,S,T", 0xa000_1053),
    ("fle.s", "d,S,T", 0xa000_0053),
    ("fcvt.s.w", "D,s,r", 0xd000_0053),
    ("fcvt.s.wu", "D,s,r", 0xd010_0053),
    ("fcvt.s.l", "D,s,r", 0xd020_0053),
    ("fcvt.s.lu", "D,s,r", 0xd030_0053),
    ("fmv.w.x", "D,s", 0xf000_0053),
    // D
    ("fld", "D,m", 0x0000_3007),
    ("fsd", "T,M", 0x0000_3027),
    ("fmadd.d", "D,S,T,R,r", 0x0200_0043),
    ("fmsub.d", "D,S,T,R,r", 0x0200_0047),
    ("fnmsub.d", "D,S,T,R,r", 0x0200_004b),
    ("fnmadd.d", "D,S,T,R,r", 0x0200_004f),
    ("fadd.d", "D,S,T,r", 0x0200_0053),
    ("fsub.d", "D,S,T,r", 0x0a00_0053),
    ("fmul.d", "D,S,T,r", 0x1200_0053),
    ("fdiv.d", "D,S,T,r", 0x1a00_0053),
    ("fsqrt.d", "D,S,r", 0x5a00_0053),
    ("fsgnj.d", "D,S,T", 0x2200_0053),
    ("fsgnjn.d", "D,S,T", 0x2200_1053),
    ("fsgnjx.d", "D,S,T", 0x2200_2053),
    ("fmin.d", "D,S,T", 0x2a00_0053),
    ("fmax.d", "D,S,T", 0x2a00_1053),
    ("fcvt.s.d", "D,S,r", 0x4010_0053),
    ("fcvt.d.s", "D,S,0", 0x4200_0053),
    ("feq.d", "d,S,T", 0xa200_2053),
    ("flt.d", "d,S,T", 0xa200_1053),
    ("fle.d", "d,S,T", 0xa200_0053),
    ("fclass.d", "d,S", 0xe200_1053),
    ("fcvt.w.d", "d,S,r", 0xc200_0053),
    ("fcvt.wu.d", "d,S,r", 0xc210_0053),
    ("fcvt.l.d", "d,S,r", 0xc220_0053),
    ("fcvt.lu.d", "d,S,r", 0xc230_0053),
    ("fcvt.d.w", "D,s,0", 0xd200_0053),
    ("fcvt.d.wu", "D,s,0", 0xd210_0053),
    ("fcvt.d.l", "D,s,r", 0xd220_0053),
    ("fcvt.d.lu", "D,s,r", 0xd230_0053),
    ("fmv.x.d", "d,S", 0xe200_0053),
    ("fmv.d.x", "D,s", 0xf200_0053),
];

/// A: `(name, funct5)`; each exists as `.w` and `.d`, with optional `.aq`, `.rl`, `.aqrl`.
pub const ATOMICS: &[(&str, u32)] = &[
    ("lr", 0x02),
    ("sc", 0x03),
    ("amoswap", 0x01),
    ("amoadd", 0x00),
    ("amoxor", 0x04),
    ("amoand", 0x0c),
    ("amoor", 0x08),
    ("amomin", 0x10),
    ("amomax", 0x14),
    ("amominu", 0x18),
    ("amomaxu", 0x1c),
];

/// Integer register ABI names, by number.
pub const XNAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];

/// Float register ABI names, by number.
pub const FNAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

pub const ROUNDING: &[(&str, u32)] =
    &[("rne", 0), ("rtz", 1), ("rdn", 2), ("rup", 3), ("rmm", 4), ("dyn", 7)];

pub const CSRS: &[(&str, u32)] = &[
    ("fflags", 0x001),
    ("frm", 0x002),
    ("fcsr", 0x003),
    ("cycle", 0xc00),
    ("time", 0xc01),
    ("instret", 0xc02),
    ("sstatus", 0x100),
    ("sie", 0x104),
    ("stvec", 0x105),
    ("scounteren", 0x106),
    ("senvcfg", 0x10a),
    ("sscratch", 0x140),
    ("sepc", 0x141),
    ("scause", 0x142),
    ("stval", 0x143),
    ("sip", 0x144),
    ("satp", 0x180),
    ("mvendorid", 0xf11),
    ("marchid", 0xf12),
    ("mimpid", 0xf13),
    ("mhartid", 0xf14),
    ("mconfigptr", 0xf15),
    ("mstatus", 0x300),
    ("misa", 0x301),
    ("medeleg", 0x302),
    ("mideleg", 0x303),
    ("mie", 0x304),
    ("mtvec", 0x305),
    ("mcounteren", 0x306),
    ("menvcfg", 0x30a),
    ("mcountinhibit", 0x320),
    ("mscratch", 0x340),
    ("mepc", 0x341),
    ("mcause", 0x342),
    ("mtval", 0x343),
    ("mip", 0x344),
    ("pmpcfg0", 0x3a0),
    ("pmpcfg2", 0x3a2),
    ("mcycle", 0xb00),
    ("minstret", 0xb02),
    ("tselect", 0x7a0),
    ("tdata1", 0x7a1),
    ("tdata2", 0x7a2),
    ("tdata3", 0x7a3),
    ("dcsr", 0x7b0),
    ("dpc", 0x7b1),
    ("dscratch0", 0x7b2),
    ("dscratch1", 0x7b3),
];

/// The number of a CSR name, including the numbered families (`pmpaddr3`, `mhpmcounter4`).
pub fn csr_number(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    if let Some(&(_, n)) = CSRS.iter().find(|(c, _)| *c == lower) {
        return Some(n);
    }
    let family: &[(&str, u32, u32, u32)] = &[
        ("pmpaddr", 0x3b0, 0, 63),
        ("hpmcounter", 0xc00, 3, 31),
        ("mhpmcounter", 0xb00, 3, 31),
        ("mhpmevent", 0x320, 3, 31),
    ];
    for &(prefix, base, lo, hi) in family {
        if let Some(n) = lower.strip_prefix(prefix).and_then(|d| d.parse::<u32>().ok())
            && (lo..=hi).contains(&n) {
                return Some(base + n);
            }
    }
    None
}

pub fn xreg(name: &str) -> Option<u8> {
    let lower = name.to_ascii_lowercase();
    if lower == "fp" {
        return Some(8);
    }
    if let Some(n) = lower.strip_prefix('x').and_then(|d| d.parse::<u8>().ok()) {
        return (n < 32 && !lower[1..].starts_with('+')).then_some(n);
    }
    XNAMES.iter().position(|r| *r == lower).map(|i| i as u8)
}

pub fn freg(name: &str) -> Option<u8> {
    let lower = name.to_ascii_lowercase();
    if let Some(n) = lower.strip_prefix('f').and_then(|d| d.parse::<u8>().ok()) {
        return (n < 32).then_some(n);
    }
    FNAMES.iter().position(|r| *r == lower).map(|i| i as u8)
}
