//! GNU objdump-style disassembly of [`Instr`] with ABI register names and the usual
//! pseudo-instructions (`li`, `mv`, `ret`, `j`, `beqz`...).

use crate::decode::Xlen;
use crate::instr::{Instr, Op};

/// ABI names of x0..x31.
pub const XREG_ABI: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
    "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

/// ABI names of f0..f31.
pub const FREG_ABI: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
    "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

fn x(r: u8) -> &'static str {
    XREG_ABI[(r & 31) as usize]
}
fn f(r: u8) -> &'static str {
    FREG_ABI[(r & 31) as usize]
}

/// Name of a CSR as objdump prints it, or its number in hex.
pub fn csr_name(csr: u16) -> String {
    let name = match csr {
        0x001 => "fflags",
        0x002 => "frm",
        0x003 => "fcsr",
        0xc00 => "cycle",
        0xc01 => "time",
        0xc02 => "instret",
        0xc80 => "cycleh",
        0xc81 => "timeh",
        0xc82 => "instreth",
        0x100 => "sstatus",
        0x104 => "sie",
        0x105 => "stvec",
        0x106 => "scounteren",
        0x10a => "senvcfg",
        0x140 => "sscratch",
        0x141 => "sepc",
        0x142 => "scause",
        0x143 => "stval",
        0x144 => "sip",
        0x180 => "satp",
        0x300 => "mstatus",
        0x301 => "misa",
        0x302 => "medeleg",
        0x303 => "mideleg",
        0x304 => "mie",
        0x305 => "mtvec",
        0x306 => "mcounteren",
        0x30a => "menvcfg",
        0x310 => "mstatush",
        0x340 => "mscratch",
        0x341 => "mepc",
        0x342 => "mcause",
        0x343 => "mtval",
        0x344 => "mip",
        0x3a0 => "pmpcfg0",
        0x3b0 => "pmpaddr0",
        0xb00 => "mcycle",
        0xb02 => "minstret",
        0xf11 => "mvendorid",
        0xf12 => "marchid",
        0xf13 => "mimpid",
        0xf14 => "mhartid",
        _ => return format!("{csr:#x}"),
    };
    name.to_string()
}

fn rm_suffix(rm: u8) -> &'static str {
    match rm {
        0 => ",rne",
        1 => ",rtz",
        2 => ",rdn",
        3 => ",rup",
        4 => ",rmm",
        7 => "",
        _ => ",unknown",
    }
}

fn fence_set(bits: i32) -> String {
    let mut s = String::new();
    for (bit, c) in [(8, 'i'), (4, 'o'), (2, 'r'), (1, 'w')] {
        if bits & bit != 0 {
            s.push(c);
        }
    }
    if s.is_empty() { "0".into() } else { s }
}

fn hex_imm(v: i32) -> String {
    if v < 0 { format!("-{:#x}", -(v as i64)) } else { format!("{v:#x}") }
}

/// The mnemonic of an op (without pseudo-instruction rewriting).
pub fn mnemonic(op: Op, xlen: Xlen) -> &'static str {
    use Op::*;
    let rv32 = xlen == Xlen::X32;
    match op {
        Invalid | Illegal => ".insn",
        Lui => "lui", Auipc => "auipc", Jal => "jal", Jalr => "jalr",
        Beq => "beq", Bne => "bne", Blt => "blt", Bge => "bge", Bltu => "bltu", Bgeu => "bgeu",
        Lb => "lb", Lh => "lh", Lw => "lw", Ld => "ld", Lbu => "lbu", Lhu => "lhu", Lwu => "lwu",
        Sb => "sb", Sh => "sh", Sw => "sw", Sd => "sd",
        // binutils 2.40 (the reference objdump) prints immediate forms without the `i`.
        Addi => "add", Slti => "slti", Sltiu => "sltiu", Xori => "xor", Ori => "or", Andi => "and",
        Slli => "sll", Srli => "srl", Srai => "sra",
        Add => "add", Sub => "sub", Sll => "sll", Slt => "slt", Sltu => "sltu", Xor => "xor",
        Srl => "srl", Sra => "sra", Or => "or", And => "and",
        Addiw => if rv32 { "add" } else { "addw" },
        Slliw => if rv32 { "sll" } else { "sllw" },
        Srliw => if rv32 { "srl" } else { "srlw" },
        Sraiw => if rv32 { "sra" } else { "sraw" },
        Addw => if rv32 { "add" } else { "addw" },
        Subw => if rv32 { "sub" } else { "subw" },
        Sllw => if rv32 { "sll" } else { "sllw" },
        Srlw => if rv32 { "srl" } else { "srlw" },
        Sraw => if rv32 { "sra" } else { "sraw" },
        Fence => "fence", FenceI => "fence.i", Ecall => "ecall", Ebreak => "ebreak",
        Csrrw | Csrrwi => "csrrw", Csrrs | Csrrsi => "csrrs", Csrrc | Csrrci => "csrrc",
        Mret => "mret", Sret => "sret", Wfi => "wfi", SfenceVma => "sfence.vma",
        Mul => "mul", Mulh | Mulh32 => "mulh", Mulhsu | Mulhsu32 => "mulhsu", Mulhu | Mulhu32 => "mulhu",
        Div => "div", Divu => "divu", Rem => "rem", Remu => "remu",
        Mulw => if rv32 { "mul" } else { "mulw" },
        Divw => if rv32 { "div" } else { "divw" },
        Divuw => if rv32 { "divu" } else { "divuw" },
        Remw => if rv32 { "rem" } else { "remw" },
        Remuw => if rv32 { "remu" } else { "remuw" },
        LrW => "lr.w", ScW => "sc.w", AmoswapW => "amoswap.w", AmoaddW => "amoadd.w", AmoxorW => "amoxor.w",
        AmoandW => "amoand.w", AmoorW => "amoor.w", AmominW => "amomin.w", AmomaxW => "amomax.w",
        AmominuW => "amominu.w", AmomaxuW => "amomaxu.w",
        LrD => "lr.d", ScD => "sc.d", AmoswapD => "amoswap.d", AmoaddD => "amoadd.d", AmoxorD => "amoxor.d",
        AmoandD => "amoand.d", AmoorD => "amoor.d", AmominD => "amomin.d", AmomaxD => "amomax.d",
        AmominuD => "amominu.d", AmomaxuD => "amomaxu.d",
        Flw => "flw", Fsw => "fsw", Fld => "fld", Fsd => "fsd",
        FmaddS => "fmadd.s", FmsubS => "fmsub.s", FnmsubS => "fnmsub.s", FnmaddS => "fnmadd.s",
        FaddS => "fadd.s", FsubS => "fsub.s", FmulS => "fmul.s", FdivS => "fdiv.s", FsqrtS => "fsqrt.s",
        FsgnjS => "fsgnj.s", FsgnjnS => "fsgnjn.s", FsgnjxS => "fsgnjx.s", FminS => "fmin.s", FmaxS => "fmax.s",
        FcvtWS => "fcvt.w.s", FcvtWuS => "fcvt.wu.s", FcvtLS => "fcvt.l.s", FcvtLuS => "fcvt.lu.s",
        FmvXW => "fmv.x.w", FeqS => "feq.s", FltS => "flt.s", FleS => "fle.s", FclassS => "fclass.s",
        FcvtSW => "fcvt.s.w", FcvtSWu => "fcvt.s.wu", FcvtSL => "fcvt.s.l", FcvtSLu => "fcvt.s.lu", FmvWX => "fmv.w.x",
        FmaddD => "fmadd.d", FmsubD => "fmsub.d", FnmsubD => "fnmsub.d", FnmaddD => "fnmadd.d",
        FaddD => "fadd.d", FsubD => "fsub.d", FmulD => "fmul.d", FdivD => "fdiv.d", FsqrtD => "fsqrt.d",
        FsgnjD => "fsgnj.d", FsgnjnD => "fsgnjn.d", FsgnjxD => "fsgnjx.d", FminD => "fmin.d", FmaxD => "fmax.d",
        FcvtWD => "fcvt.w.d", FcvtWuD => "fcvt.wu.d", FcvtLD => "fcvt.l.d", FcvtLuD => "fcvt.lu.d",
        FmvXD => "fmv.x.d", FeqD => "feq.d", FltD => "flt.d", FleD => "fle.d", FclassD => "fclass.d",
        FcvtDW => "fcvt.d.w", FcvtDWu => "fcvt.d.wu", FcvtDL => "fcvt.d.l", FcvtDLu => "fcvt.d.lu", FmvDX => "fmv.d.x",
        FcvtSD => "fcvt.s.d", FcvtDS => "fcvt.d.s",
    }
}

/// Static control-flow target of a jump or branch at `pc`.
pub fn target(i: &Instr, pc: u64, xlen: Xlen) -> Option<u64> {
    use Op::*;
    let mask = if xlen == Xlen::X32 { 0xffff_ffff } else { u64::MAX };
    match i.op {
        Jal | Beq | Bne | Blt | Bge | Bltu | Bgeu => Some(pc.wrapping_add(i.imm as i64 as u64) & mask),
        _ => None,
    }
}

/// objdump-style text of `i` at `pc`. `symbol` names an address (`main`, `main+0x10`).
pub fn format(i: &Instr, pc: u64, xlen: Xlen, symbol: &dyn Fn(u64) -> Option<String>) -> String {
    use Op::*;
    let m = mnemonic(i.op, xlen);
    let rd = i.rd();
    let (rs1, rs2, imm) = (i.rs1, i.rs2, i.imm);
    let addr = |t: u64| match symbol(t) {
        Some(s) => format!("{t:x} <{s}>"),
        None => format!("{t:x}"),
    };
    let tgt = target(i, pc, xlen).map(addr).unwrap_or_default();
    let rv32 = xlen == Xlen::X32;
    let is_addi = i.op == Addi || (rv32 && i.op == Addiw);
    match i.op {
        Invalid | Illegal => {
            if i.len == 2 { format!(".2byte\t{:#x}", imm as u32 & 0xffff) } else { format!(".4byte\t{:#x}", imm as u32) }
        }
        _ if is_addi && rd == 0 && rs1 == 0 && imm == 0 => "nop".into(),
        _ if is_addi && rs1 == 0 => format!("li\t{},{}", x(rd), imm),
        _ if is_addi && imm == 0 => format!("mv\t{},{}", x(rd), x(rs1)),
        Add if rs1 == 0 => format!("mv\t{},{}", x(rd), x(rs2)),
        Addw if rv32 && rs1 == 0 => format!("mv\t{},{}", x(rd), x(rs2)),
        Addiw if imm == 0 => format!("sext.w\t{},{}", x(rd), x(rs1)),
        Xori if imm == -1 => format!("not\t{},{}", x(rd), x(rs1)),
        Andi if imm == 255 => format!("zext.b\t{},{}", x(rd), x(rs1)),
        Sltiu if imm == 1 => format!("seqz\t{},{}", x(rd), x(rs1)),
        Sltu if rs1 == 0 => format!("snez\t{},{}", x(rd), x(rs2)),
        Slt if rs2 == 0 => format!("sltz\t{},{}", x(rd), x(rs1)),
        Slt if rs1 == 0 => format!("sgtz\t{},{}", x(rd), x(rs2)),
        Sub | Subw if rs1 == 0 => format!("{}\t{},{}", if i.op == Subw && !rv32 { "negw" } else { "neg" }, x(rd), x(rs2)),
        Lui | Auipc => format!("{m}\t{},{:#x}", x(rd), (imm as u32) >> 12),
        Jal if rd == 0 => format!("j\t{tgt}"),
        Jal if rd == 1 => format!("jal\t{tgt}"),
        Jal => format!("jal\t{},{tgt}", x(rd)),
        Jalr if rd == 0 && rs1 == 1 && imm == 0 => "ret".into(),
        Jalr if rd == 0 && imm == 0 => format!("jr\t{}", x(rs1)),
        Jalr if rd == 1 && imm == 0 => format!("jalr\t{}", x(rs1)),
        Jalr if rd == 0 => format!("jr\t{}({})", imm, x(rs1)),
        Jalr if rd == 1 => format!("jalr\t{}({})", imm, x(rs1)),
        Jalr => format!("jalr\t{},{}({})", x(rd), imm, x(rs1)),
        Beq | Bne if rs2 == 0 => format!("{}z\t{},{tgt}", m, x(rs1)),
        Bge if rs1 == 0 => format!("blez\t{},{tgt}", x(rs2)),
        Bge if rs2 == 0 => format!("bgez\t{},{tgt}", x(rs1)),
        Blt if rs2 == 0 => format!("bltz\t{},{tgt}", x(rs1)),
        Blt if rs1 == 0 => format!("bgtz\t{},{tgt}", x(rs2)),
        Beq | Bne | Blt | Bge | Bltu | Bgeu => format!("{m}\t{},{},{tgt}", x(rs1), x(rs2)),
        Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu => format!("{m}\t{},{}({})", x(rd), imm, x(rs1)),
        Sb | Sh | Sw | Sd => format!("{m}\t{},{}({})", x(rs2), imm, x(rs1)),
        Flw | Fld => format!("{m}\t{},{}({})", f(rd), imm, x(rs1)),
        Fsw | Fsd => format!("{m}\t{},{}({})", f(rs2), imm, x(rs1)),
        Slli | Srli | Srai | Slliw | Srliw | Sraiw => format!("{m}\t{},{},{}", x(rd), x(rs1), hex_imm(imm)),
        Addi | Slti | Sltiu | Xori | Ori | Andi | Addiw => format!("{m}\t{},{},{}", x(rd), x(rs1), imm),
        Fence => {
            let (pred, succ) = (imm >> 4 & 15, imm & 15);
            if pred == 15 && succ == 15 { "fence".into() } else { format!("fence\t{},{}", fence_set(pred), fence_set(succ)) }
        }
        FenceI | Ecall | Ebreak | Mret | Sret | Wfi => m.into(),
        SfenceVma if rs1 == 0 && rs2 == 0 => m.into(),
        SfenceVma => format!("{m}\t{},{}", x(rs1), x(rs2)),
        Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci => format_csr(i),
        LrW | LrD => format!("{m}{}\t{},({})", aqrl(i.rm), x(rd), x(rs1)),
        ScW | ScD | AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW | AmomaxW | AmominuW | AmomaxuW
        | AmoswapD | AmoaddD | AmoxorD | AmoandD | AmoorD | AmominD | AmomaxD | AmominuD | AmomaxuD => {
            format!("{m}{}\t{},{},({})", aqrl(i.rm), x(rd), x(rs2), x(rs1))
        }
        FsgnjS | FsgnjD if rs1 == rs2 => format!("fmv.{}\t{},{}", &m[m.len() - 1..], f(rd), f(rs1)),
        FsgnjnS | FsgnjnD if rs1 == rs2 => format!("fneg.{}\t{},{}", &m[m.len() - 1..], f(rd), f(rs1)),
        FsgnjxS | FsgnjxD if rs1 == rs2 => format!("fabs.{}\t{},{}", &m[m.len() - 1..], f(rd), f(rs1)),
        FsgnjS | FsgnjnS | FsgnjxS | FsgnjD | FsgnjnD | FsgnjxD | FminS | FmaxS | FminD | FmaxD => {
            format!("{m}\t{},{},{}", f(rd), f(rs1), f(rs2))
        }
        FaddS | FsubS | FmulS | FdivS | FaddD | FsubD | FmulD | FdivD => {
            format!("{m}\t{},{},{}{}", f(rd), f(rs1), f(rs2), rm_suffix(i.rm))
        }
        FsqrtS | FsqrtD | FcvtSD | FcvtDS => format!("{m}\t{},{}{}", f(rd), f(rs1), rm_suffix(i.rm)),
        FmaddS | FmsubS | FnmsubS | FnmaddS | FmaddD | FmsubD | FnmsubD | FnmaddD => {
            format!("{m}\t{},{},{},{}{}", f(rd), f(rs1), f(rs2), f(i.rs3), rm_suffix(i.rm))
        }
        FcvtWS | FcvtWuS | FcvtLS | FcvtLuS | FcvtWD | FcvtWuD | FcvtLD | FcvtLuD => {
            format!("{m}\t{},{}{}", x(rd), f(rs1), rm_suffix(i.rm))
        }
        FcvtSW | FcvtSWu | FcvtSL | FcvtSLu | FcvtDW | FcvtDWu | FcvtDL | FcvtDLu => {
            format!("{m}\t{},{}{}", f(rd), x(rs1), rm_suffix(i.rm))
        }
        FmvXW | FmvXD | FclassS | FclassD => format!("{m}\t{},{}", x(rd), f(rs1)),
        FmvWX | FmvDX => format!("{m}\t{},{}", f(rd), x(rs1)),
        FeqS | FltS | FleS | FeqD | FltD | FleD => format!("{m}\t{},{},{}", x(rd), f(rs1), f(rs2)),
        _ => format!("{m}\t{},{},{}", x(rd), x(rs1), x(rs2)),
    }
}

fn aqrl(bits: u8) -> &'static str {
    match bits & 3 {
        3 => ".aqrl",
        2 => ".aq",
        1 => ".rl",
        _ => "",
    }
}

fn format_csr(i: &Instr) -> String {
    use Op::*;
    let csr = (i.imm as u32 & 0xfff) as u16;
    let name = csr_name(csr);
    let rd = i.rd();
    let imm_form = matches!(i.op, Csrrwi | Csrrsi | Csrrci);
    let src = if imm_form { format!("{}", i.rs1) } else { x(i.rs1).to_string() };
    // Float CSR aliases as objdump prints them.
    let falias = match csr {
        0x001 => Some("flags"),
        0x002 => Some("rm"),
        0x003 => Some("csr"),
        _ => None,
    };
    match (i.op, rd, i.rs1, falias) {
        (Csrrs, _, 0, Some(a)) => format!("fr{a}\t{}", x(rd)),
        (Csrrw, 0, _, Some(a)) => format!("fs{a}\t{}", x(i.rs1)),
        (Csrrw, _, _, Some(a)) => format!("fs{a}\t{},{}", x(rd), x(i.rs1)),
        (Csrrs, _, 0, None) if csr == 0xc00 || csr == 0xc01 || csr == 0xc02 => format!("rd{}\t{}", name, x(rd)),
        (Csrrs, _, 0, _) => format!("csrr\t{},{name}", x(rd)),
        (Csrrw, 0, _, _) => format!("csrw\t{name},{src}"),
        (Csrrs, 0, _, _) => format!("csrs\t{name},{src}"),
        (Csrrc, 0, _, _) => format!("csrc\t{name},{src}"),
        (Csrrwi, 0, _, _) => format!("csrw\t{name},{src}"),
        (Csrrsi, 0, _, _) => format!("csrs\t{name},{src}"),
        (Csrrci, 0, _, _) => format!("csrc\t{name},{src}"),
        _ => format!("{}\t{},{name},{src}", mnemonic(i.op, Xlen::X64), x(rd)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;

    fn dis(bits: u32, pc: u64) -> String {
        format(&decode(bits, Xlen::X64), pc, Xlen::X64, &|_| None)
    }

    #[test]
    fn objdump_syntax() {
        assert_eq!(dis(0xfff5_0513, 0), "add\ta0,a0,-1");
        assert_eq!(dis(0x0000_8067, 0), "ret");
        assert_eq!(dis(0x4515, 0), "li\ta0,5");
        assert_eq!(dis(0x00113423, 0), "sd\tra,8(sp)");
        assert_eq!(dis(0x0040_006f, 0x1000), "j\t1004");
        assert_eq!(dis(0x0000_0013, 0), "nop");
        assert_eq!(dis(0x3400_2573, 0), "csrr\ta0,mscratch");
        assert_eq!(dis(0x02b5_0533, 0), "mul\ta0,a0,a1");
        assert_eq!(dis(0x02b5_7553, 0), "fadd.d\tfa0,fa0,fa1");
    }
}
