//! RISC-V (RV64GC) in GNU as syntax: directives, instructions from the table, the
//! pseudo-instructions, and compressed forms chosen as GNU as chooses them.

mod branch;
mod directives;
mod elf;
mod encode;
mod fixup;
mod instr;
mod pseudo;
mod table;

use crate::diag::{Error, Loc, Result};
use crate::engine::{Engine, Fixup, ItemKind, SectionKind};
use crate::expr::Expr;
use crate::lexer::{LexConfig, Tok, Token};
use crate::preproc::{Dialect, LineSyntax};
use branch::Branch;
use elf::{link_executable, write_object};
use encode::compress;

pub const DIALECT: Dialect = Dialect {
    lex: LexConfig { comment: &['#'], dollar_hex: false, percent_bin: false, numeric_labels: true },
    include: &[".include"],
    macro_start: ".macro",
    macro_end: ".endm",
    rept: &[".rept"],
    rept_end: ".endr",
    if_: ".if",
    ifdef: ".ifdef",
    ifndef: ".ifndef",
    elif: ".elseif",
    else_: ".else",
    endif: ".endif",
    named_params: true,
    semicolon_separates: true,
};

/// A parsed operand.
#[derive(Clone, Debug)]
pub enum Op {
    X(u8),
    F(u8),
    /// `offset(reg)`.
    Mem(Expr, u8),
    Expr(Expr),
}

impl Op {
    fn name(&self) -> Option<&str> {
        match self {
            Op::Expr(Expr::Sym(n, _)) => Some(n),
            _ => None,
        }
    }
}

/// One instruction to emit: a finished word with fix-ups, a relaxable branch, or a label.
pub enum Out {
    Word(u32, Vec<Fixup>),
    /// Bytes emitted as they are (never compressed).
    Raw(Vec<u8>, Vec<Fixup>),
    Branch(Branch),
    Label(String),
}

pub struct RiscV {
    pub rvc: bool,
    rvc_stack: Vec<bool>,
    pcrel_labels: usize,
}

impl RiscV {
    pub fn new() -> Self {
        RiscV { rvc: true, rvc_stack: Vec::new(), pcrel_labels: 0 }
    }

    /// A fresh local label for an `auipc` that a `%pcrel_lo` refers back to.
    pub fn pcrel_label(&mut self) -> String {
        self.pcrel_labels += 1;
        format!(".Lpcrel_hi{}", self.pcrel_labels)
    }

    fn emit(&mut self, eng: &mut Engine, outs: Vec<Out>, loc: Loc) {
        for out in outs {
            match out {
                Out::Word(w, fixups) => {
                    let c = if self.rvc && fixups.is_empty() { compress(w) } else { None };
                    let bytes = match c {
                        Some(h) => h.to_le_bytes().to_vec(),
                        None => w.to_le_bytes().to_vec(),
                    };
                    eng.bytes_fix(bytes, loc, fixups);
                }
                Out::Raw(bytes, fixups) => eng.bytes_fix(bytes, loc, fixups),
                Out::Branch(b) => {
                    let size = b.size_hint();
                    eng.push(ItemKind::Relax { relax: Box::new(b), size }, loc, vec![]);
                }
                Out::Label(name) => eng.define_label(&name, loc),
            }
        }
    }
}

impl Default for RiscV {
    fn default() -> Self {
        Self::new()
    }
}

fn ident(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token { tok: Tok::Ident(s), .. }) => Some(s),
        _ => None,
    }
}

pub use crate::preproc::split_commas;

fn expr_of(eng: &Engine, toks: &[Token], end: Loc) -> Result<Expr> {
    crate::preproc::parse_expr(eng, toks, end)
}

fn parse_operand(eng: &Engine, toks: &[Token], end: Loc) -> Result<Op> {
    let Some(first) = toks.first() else { return Err(Error::new(end, "missing operand")) };
    if toks.len() == 1
        && let Tok::Ident(name) = &first.tok {
            if let Some(r) = table::xreg(name) {
                return Ok(Op::X(r));
            }
            if let Some(r) = table::freg(name) {
                return Ok(Op::F(r));
            }
        }
    // `expr(reg)` or `(reg)`.
    let n = toks.len();
    if n >= 3 && toks[n - 1].tok == Tok::Punct(")") && toks[n - 3].tok == Tok::Punct("(")
        && let Some(r) = ident(toks.get(n - 2)).and_then(table::xreg) {
            let off = if n == 3 { Expr::Num(0) } else { expr_of(eng, &toks[..n - 3], toks[n - 3].loc)? };
            return Ok(Op::Mem(off, r));
        }
    Ok(Op::Expr(expr_of(eng, toks, end)?))
}

impl LineSyntax for RiscV {
    fn labels(&mut self, eng: &mut Engine, toks: &[Token]) -> Result<usize> {
        let mut i = 0;
        while i + 1 < toks.len() && toks[i + 1].tok == Tok::Punct(":") {
            match &toks[i].tok {
                Tok::Ident(name) => eng.define_label(name, toks[i].loc),
                Tok::Num(n) if *n >= 0 => {
                    let name = eng.numeric_define(*n as u64);
                    eng.define_label(&name, toks[i].loc);
                }
                _ => break,
            }
            i += 2;
        }
        Ok(i)
    }

    fn statement(&mut self, eng: &mut Engine, toks: &[Token], end: Loc) -> Result<()> {
        let head = &toks[0];
        let Tok::Ident(word) = &head.tok else {
            return Err(Error::new(head.loc, "expected an instruction or directive"));
        };
        // `name = expr`
        if toks.get(1).is_some_and(|t| t.tok == Tok::Punct("=")) {
            let e = expr_of(eng, &toks[2..], end)?;
            eng.define_expr(word, e, head.loc, false);
            return Ok(());
        }
        let lower = word.to_ascii_lowercase();
        if lower.starts_with('.') {
            return self.directive(eng, &lower, head.loc, &toks[1..], end);
        }
        let ops = split_commas(&toks[1..])
            .into_iter()
            .map(|t| parse_operand(eng, t, end))
            .collect::<Result<Vec<_>>>()?;
        let outs = pseudo::expand(self, eng, &lower, &ops, head.loc)?;
        self.emit(eng, outs, head.loc);
        Ok(())
    }
}

/// Assembles a whole RISC-V source into the requested output.
pub fn assemble(mut eng: Engine, kind: crate::OutputKind) -> std::result::Result<crate::Assembled, Vec<crate::Diagnostic>> {
    let mut rv = RiscV::new();
    eng.undefined_is_extern = true;
    eng.gnu_precedence = true;
    rv.switch(&mut eng, ".text", SectionKind::Text);
    let mut driver = crate::preproc::Driver::new(&DIALECT);
    driver.run_file(&mut eng, &mut rv, 0);
    let last = eng.sources.text(0).lines().count() as u32;
    driver.finish(&mut eng, Loc { file: 0, line: last.max(1), col: 1 });
    eng.layout();
    let (bytes, bases) = match kind {
        crate::OutputKind::Executable => link_executable(&mut eng),
        _ => (write_object(&mut eng), vec![0; eng.sections.len()]),
    };
    crate::finish(eng, bytes, &|s| bases.get(s).copied().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::table;

    /// Every mnemonic of the table, every atomic form, every pseudo-instruction and
    /// directive we claim appears in the corpus the GNU as comparison runs on.
    #[test]
    fn corpus_covers_every_instruction() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms/asm/riscv");
        let mut words = std::collections::HashSet::new();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for line in text.lines() {
                let code = line.split('#').next().unwrap_or("");
                for stmt in code.split(';') {
                    let mut t = stmt.trim();
                    while let Some((label, rest)) = t.split_once(':') {
                        if label.contains(char::is_whitespace) || label.contains('"') {
                            break;
                        }
                        t = rest.trim();
                    }
                    if let Some(w) = t.split_whitespace().next() {
                        words.insert(w.to_ascii_lowercase());
                    }
                }
            }
        }
        let mut missing: Vec<String> = Vec::new();
        for (name, _, _) in table::BASE {
            if !words.contains(*name) {
                missing.push(name.to_string());
            }
        }
        for (name, _) in table::ATOMICS {
            for w in ["w", "d"] {
                let base = format!("{name}.{w}");
                if !words.iter().any(|x| x.starts_with(&base)) {
                    missing.push(base);
                }
            }
        }
        let pseudo = [
            "nop", "li", "la", "lla", "call", "tail", "mv", "not", "neg", "negw", "sext.w", "zext.b", "seqz", "snez",
            "sltz", "sgtz", "beqz", "bnez", "blez", "bgez", "bltz", "bgtz", "bgt", "ble", "bgtu", "bleu", "j", "jr",
            "ret", "csrr", "csrw", "csrs", "csrc", "csrwi", "csrsi", "csrci", "rdcycle", "rdtime", "rdinstret",
            "frcsr", "fscsr", "frrm", "fsrm", "fsrmi", "frflags", "fsflags", "fsflagsi", "fmv.s", "fabs.s", "fneg.s",
            "fmv.d", "fabs.d", "fneg.d", "fgt.s", "fge.s", "fgt.d", "fge.d", "unimp", "c.nop", "c.addi", "c.addiw",
            "c.addi16sp", "c.addi4spn", "c.li", "c.lui", "c.slli", "c.srli", "c.srai", "c.andi", "c.mv", "c.add",
            "c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw", "c.lw", "c.ld", "c.sw", "c.sd", "c.fld", "c.fsd",
            "c.lwsp", "c.ldsp", "c.fldsp", "c.swsp", "c.sdsp", "c.fsdsp", "c.jr", "c.jalr", "c.ebreak", "c.j",
            "c.beqz", "c.bnez", "c.unimp",
        ];
        let directives = [
            ".text", ".data", ".bss", ".section", ".globl", ".byte", ".half", ".word", ".dword", ".string", ".ascii",
            ".asciz", ".align", ".p2align", ".balign", ".option", ".equ", ".set", ".zero", ".skip", ".space", ".fill",
            ".macro", ".endm", ".rept", ".endr", ".if", ".else", ".endif", ".ifdef", ".ifndef", ".short", ".long",
            ".quad", ".2byte", ".4byte", ".8byte", ".equiv", ".type", ".size",
        ];
        for name in pseudo.iter().chain(directives.iter()) {
            if !words.contains(*name) {
                missing.push(name.to_string());
            }
        }
        assert!(missing.is_empty(), "not in roms/asm/riscv: {missing:?}");
    }
}
