//! SM83 (Game Boy CPU) in an RGBDS-like syntax: SECTION, DB/DW/DS, labels (with `.local`
//! ones), EQU/SET/`=`, MACRO/ENDM, REPT, IF/ELIF/ELSE/ENDC, INCLUDE. The output is a ROM
//! image with its header fixed.

pub mod header;
mod opcodes;

use crate::diag::{Error, Loc, Result};
use crate::engine::{Engine, Fixup, ItemKind, SectionKind};
use crate::expr::{Expr, Value};
use crate::lexer::{LexConfig, Tok, Token};
use crate::preproc::{Dialect, Driver, LineSyntax};

pub const DIALECT: Dialect = Dialect {
    lex: LexConfig { comment: &[';'], dollar_hex: true, percent_bin: true, numeric_labels: false },
    include: &["include"],
    macro_start: "macro",
    macro_end: "endm",
    rept: &["rept"],
    rept_end: "endr",
    if_: "if",
    ifdef: "ifdef",
    ifndef: "ifndef",
    elif: "elif",
    else_: "else",
    endif: "endc",
    named_params: false,
    semicolon_separates: false,
};

/// A byte (-128..255).
const FIX_IMM8: u32 = 1;
/// A little-endian word.
const FIX_IMM16: u32 = 2;
/// `jr` displacement from the next instruction.
const FIX_REL8: u32 = 3;
/// `ldh` address: 0xFF00..0xFFFF (or 0..0xFF), stored as its low byte.
const FIX_HIGH8: u32 = 4;
/// `rst` vector (a multiple of 8 up to 0x38): ORed into the opcode.
const FIX_RST: u32 = 5;
/// Bit number 0..7 of `bit`/`res`/`set`: ORed into bits 3..5.
const FIX_BIT: u32 = 6;

/// Address ranges of the memory regions a SECTION can name.
const REGIONS: &[(&str, u64, u64, bool)] = &[
    ("rom0", 0x0000, 0x4000, false),
    ("romx", 0x4000, 0x8000, false),
    ("vram", 0x8000, 0xA000, true),
    ("sram", 0xA000, 0xC000, true),
    ("wram0", 0xC000, 0xD000, true),
    ("wramx", 0xD000, 0xE000, true),
    ("oam", 0xFE00, 0xFEA0, true),
    ("hram", 0xFF80, 0xFFFF, true),
];

struct SectionInfo {
    region: usize,
    fixed: Option<u64>,
    bank: u64,
}

#[derive(Default)]
struct Sm83 {
    global: String,
    info: Vec<SectionInfo>,
}

/// An operand as written.
#[derive(Clone, Debug)]
enum Op {
    /// b c d e h l (hl) a → 0..7.
    R8(u8),
    /// bc de hl sp af.
    R16(&'static str),
    Cond(u8),
    /// `[bc]`, `[de]`, `[hl+]`, `[hl-]`, `[c]`.
    Ind(&'static str),
    /// `[expr]`.
    Mem(Expr),
    Imm(Expr),
    /// `sp + e` (in `ld hl, sp+e`).
    SpPlus(Expr),
}

fn r8(name: &str) -> Option<u8> {
    Some(match name {
        "b" => 0,
        "c" => 1,
        "d" => 2,
        "e" => 3,
        "h" => 4,
        "l" => 5,
        "a" => 7,
        _ => return None,
    })
}

fn cond(name: &str) -> Option<u8> {
    Some(match name {
        "nz" => 0,
        "z" => 1,
        "nc" => 2,
        "c" => 3,
        _ => return None,
    })
}

fn rr(name: &str) -> Option<u8> {
    Some(match name {
        "bc" => 0,
        "de" => 1,
        "hl" => 2,
        "sp" | "af" => 3,
        _ => return None,
    })
}

impl Sm83 {
    /// Local labels (`.name`) belong to the last global label.
    fn scoped(&self, name: &str) -> String {
        if name.starts_with('.') { format!("{}{}", self.global, name) } else { name.to_string() }
    }

    fn scope_expr(&self, e: Expr) -> Expr {
        match e {
            Expr::Sym(n, l) => Expr::Sym(self.scoped(&n), l),
            Expr::Un(op, a) => Expr::Un(op, Box::new(self.scope_expr(*a))),
            Expr::Bin(op, a, b) => Expr::Bin(op, Box::new(self.scope_expr(*a)), Box::new(self.scope_expr(*b))),
            Expr::Call(n, args, l) => Expr::Call(n, args.into_iter().map(|a| self.scope_expr(a)).collect(), l),
            other => other,
        }
    }

    fn expr(&self, eng: &Engine, toks: &[Token], end: Loc) -> Result<Expr> {
        Ok(self.scope_expr(crate::preproc::parse_expr(eng, toks, end)?))
    }

    fn operand(&self, eng: &Engine, toks: &[Token], end: Loc) -> Result<Op> {
        let Some(first) = toks.first() else { return Err(Error::new(end, "missing operand")) };
        let words: Vec<String> = toks
            .iter()
            .map(|t| match &t.tok {
                Tok::Ident(s) => s.to_ascii_lowercase(),
                Tok::Punct(p) => p.to_string(),
                _ => "\u{0}".into(),
            })
            .collect();
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        match w.as_slice() {
            [r] if *r == "c" => return Ok(Op::R8(1)),
            [r] if r8(r).is_some() => return Ok(Op::R8(r8(r).unwrap_or(0))),
            [c] if cond(c).is_some() => return Ok(Op::Cond(cond(c).unwrap_or(0))),
            [r @ ("bc" | "de" | "hl" | "sp" | "af")] => {
                return Ok(Op::R16(match *r {
                    "bc" => "bc",
                    "de" => "de",
                    "hl" => "hl",
                    "sp" => "sp",
                    _ => "af",
                }));
            }
            ["[", "hl", "]"] | ["(", "hl", ")"] => return Ok(Op::R8(6)),
            ["[", "bc", "]"] => return Ok(Op::Ind("bc")),
            ["[", "de", "]"] => return Ok(Op::Ind("de")),
            ["[", "hl", "+", "]"] | ["[", "hli", "]"] => return Ok(Op::Ind("hl+")),
            ["[", "hl", "-", "]"] | ["[", "hld", "]"] => return Ok(Op::Ind("hl-")),
            ["[", "c", "]"] => return Ok(Op::Ind("c")),
            _ => {}
        }
        if w.len() >= 3 && w[0] == "[" && w[w.len() - 1] == "]" {
            // `[$ff00 + c]` is `[c]`.
            if w.len() >= 5 && w[w.len() - 2] == "c" && w[w.len() - 3] == "+" {
                let base = self.expr(eng, &toks[1..toks.len() - 3], end)?;
                if eng.const_now(&base).ok() == Some(0xff00) {
                    return Ok(Op::Ind("c"));
                }
            }
            return Ok(Op::Mem(self.expr(eng, &toks[1..toks.len() - 1], end)?));
        }
        if w.len() >= 3 && w[0] == "sp" && (w[1] == "+" || w[1] == "-") {
            let e = self.expr(eng, &toks[2..], end)?;
            let e = if w[1] == "-" { Expr::Un(crate::expr::UnOp::Neg, Box::new(e)) } else { e };
            return Ok(Op::SpPlus(e));
        }
        let _ = first.loc;
        Ok(Op::Imm(self.expr(eng, toks, end)?))
    }

    fn section(&mut self, eng: &mut Engine, toks: &[Token], end: Loc) -> Result<()> {
        let loc = toks.first().map(|t| t.loc).unwrap_or(end);
        let parts = crate::preproc::split_commas(toks);
        let name = match parts.first() {
            Some([Token { tok: Tok::Str(s), .. }]) => String::from_utf8_lossy(s).to_string(),
            _ => return Err(Error::new(loc, "expected SECTION \"name\", TYPE[addr]")),
        };
        let Some(kind) = parts.get(1) else { return Err(Error::new(loc, "expected a section type")) };
        let ty = match kind.first() {
            Some(Token { tok: Tok::Ident(t), .. }) => t.to_ascii_lowercase(),
            _ => return Err(Error::new(loc, "expected a section type")),
        };
        let region = REGIONS.iter().position(|r| r.0 == ty).ok_or_else(|| Error::new(loc, format!("unknown section type `{ty}`")))?;
        let mut fixed = None;
        if kind.len() > 1 {
            if kind.get(1).map(|t| &t.tok) != Some(&Tok::Punct("[")) || kind.last().map(|t| &t.tok) != Some(&Tok::Punct("]")) {
                return Err(Error::new(kind[1].loc, "expected `[address]`"));
            }
            let a = eng.const_now(&self.expr(eng, &kind[2..kind.len() - 1], end)?)?;
            let (_, lo, hi, _) = REGIONS[region];
            if !(lo as i64..hi as i64).contains(&a) {
                return Err(Error::new(kind[1].loc, format!("address {a:#x} is outside {ty}")));
            }
            fixed = Some(a as u64);
        }
        let mut bank = if ty == "romx" { 1 } else { 0 };
        if let Some(opt) = parts.get(2) {
            let is_bank = matches!(opt.first(), Some(Token { tok: Tok::Ident(b), .. }) if b.eq_ignore_ascii_case("bank"));
            if !is_bank || opt.len() < 4 {
                return Err(Error::new(opt.first().map(|t| t.loc).unwrap_or(loc), "expected BANK[n]"));
            }
            let b = eng.const_now(&self.expr(eng, &opt[2..opt.len() - 1], end)?)?;
            if !(1..512).contains(&b) || ty != "romx" {
                return Err(Error::new(opt[0].loc, "BANK[n] needs ROMX and 1 <= n < 512"));
            }
            bank = b as u64;
        }
        let nobits = REGIONS[region].3;
        let i = eng.section(&name, if nobits { SectionKind::Bss } else { SectionKind::Text });
        if i == self.info.len() {
            eng.sections[i].absolute = true;
            if let Some(a) = fixed {
                eng.sections[i].base = a;
            }
            self.info.push(SectionInfo { region, fixed, bank });
        }
        Ok(())
    }

    fn data(&mut self, eng: &mut Engine, toks: &[Token], size: usize, end: Loc) -> Result<()> {
        let loc = toks.first().map(|t| t.loc).unwrap_or(end);
        let mut bytes = Vec::new();
        let mut fixups = Vec::new();
        for part in crate::preproc::split_commas(toks) {
            if let [Token { tok: Tok::Str(s), .. }] = part {
                for &b in s {
                    bytes.push(b);
                    if size == 2 {
                        bytes.push(0);
                    }
                }
                continue;
            }
            let e = self.expr(eng, part, end)?;
            fixups.push(Fixup { offset: bytes.len(), kind: if size == 1 { FIX_IMM8 } else { FIX_IMM16 }, expr: e, loc });
            bytes.extend(std::iter::repeat_n(0, size));
        }
        self.emit(eng, bytes, loc, fixups)
    }

    fn emit(&mut self, eng: &mut Engine, bytes: Vec<u8>, loc: Loc, fixups: Vec<Fixup>) -> Result<()> {
        if self.info.is_empty() {
            return Err(Error::new(loc, "code before any SECTION"));
        }
        if eng.cur_section().kind == SectionKind::Bss && !bytes.iter().all(|b| *b == 0) {
            return Err(Error::new(loc, "data in a RAM section"));
        }
        eng.bytes_fix(bytes, loc, fixups);
        Ok(())
    }

    fn instruction(&mut self, eng: &mut Engine, name: &str, ops: &[Op], loc: Loc) -> Result<()> {
        let mut fix = Vec::new();
        let bytes = opcodes::encode(name, ops, loc, &mut fix)?;
        self.emit(eng, bytes, loc, fix)
    }
}

impl LineSyntax for Sm83 {
    fn labels(&mut self, eng: &mut Engine, toks: &[Token]) -> Result<usize> {
        let mut i = 0;
        while let (Some(Token { tok: Tok::Ident(name), loc }), Some(Token { tok: Tok::Punct(":"), .. })) = (toks.get(i), toks.get(i + 1)) {
            let full = self.scoped(name);
            if !name.starts_with('.') {
                self.global = name.split('.').next().unwrap_or(name).to_string();
            }
            eng.define_label(&full, *loc);
            i += 2;
            if toks.get(i).is_some_and(|t| t.tok == Tok::Punct(":")) {
                eng.set_global(&full, *loc);
                i += 1;
            }
        }
        // A local label may also stand alone without its colon.
        if let (Some(Token { tok: Tok::Ident(name), loc }), 0) = (toks.get(i), i)
            && name.starts_with('.') && name.len() > 1 && toks.len() == 1 {
                let full = self.scoped(name);
                eng.define_label(&full, *loc);
                i += 1;
            }
        Ok(i)
    }

    fn statement(&mut self, eng: &mut Engine, toks: &[Token], end: Loc) -> Result<()> {
        let head = &toks[0];
        let Tok::Ident(word) = &head.tok else {
            return Err(Error::new(head.loc, "expected an instruction or directive"));
        };
        let lower = word.to_ascii_lowercase();
        // NAME EQU x / NAME = x / NAME SET x / DEF NAME EQU x
        let (def_at, name_tok) = if lower == "def" { (2, toks.get(1)) } else { (1, Some(head)) };
        if let (Some(Token { tok: Tok::Ident(name), loc }), Some(t)) = (name_tok, toks.get(def_at)) {
            let kind = match &t.tok {
                Tok::Ident(k) => k.to_ascii_lowercase(),
                Tok::Punct("=") => "=".into(),
                _ => String::new(),
            };
            if kind == "equ" || kind == "set" || kind == "=" {
                let e = self.expr(eng, &toks[def_at + 1..], end)?;
                let name = self.scoped(name);
                eng.define_expr(&name, e, *loc, kind == "equ");
                return Ok(());
            }
        }
        let rest = &toks[1..];
        match lower.as_str() {
            "section" => self.section(eng, rest, end),
            "db" => self.data(eng, rest, 1, end),
            "dw" => self.data(eng, rest, 2, end),
            "ds" => {
                let parts = crate::preproc::split_commas(rest);
                let n = eng.const_now(&self.expr(eng, parts.first().copied().unwrap_or(&[]), end)?)?;
                let fill = match parts.get(1) {
                    Some(p) => eng.const_now(&self.expr(eng, p, end)?)? as u8,
                    None => 0,
                };
                if !(0..=0x80_0000).contains(&n) {
                    return Err(Error::new(head.loc, format!("bad DS size {n}")));
                }
                if self.info.is_empty() {
                    return Err(Error::new(head.loc, "DS before any SECTION"));
                }
                if fill == 0 {
                    eng.push(ItemKind::Zeros(n as u64), head.loc, vec![]);
                    Ok(())
                } else {
                    self.emit(eng, vec![fill; n as usize], head.loc, vec![])
                }
            }
            "export" | "global" | "purge" | "opt" | "pushs" | "pops" => Ok(()),
            "assert" | "static_assert" => {
                let e = self.expr(eng, crate::preproc::split_commas(rest).first().copied().unwrap_or(&[]), end)?;
                if eng.const_now(&e)? == 0 {
                    return Err(Error::new(head.loc, "assertion failed"));
                }
                Ok(())
            }
            _ => {
                let ops = crate::preproc::split_commas(rest)
                    .into_iter()
                    .map(|p| self.operand(eng, p, end))
                    .collect::<Result<Vec<_>>>()?;
                self.instruction(eng, &lower, &ops, head.loc)
            }
        }
    }
}

/// Places floating sections after the fixed ones of their region (bank by bank).
fn place(eng: &mut Engine, info: &[SectionInfo]) -> Result<()> {
    let mut cursor: std::collections::HashMap<(usize, u64), u64> = std::collections::HashMap::new();
    for (i, inf) in info.iter().enumerate() {
        if let Some(a) = inf.fixed {
            let end = a + eng.sections[i].size();
            let c = cursor.entry((inf.region, inf.bank)).or_insert(REGIONS[inf.region].1);
            *c = (*c).max(end);
        }
    }
    for (i, inf) in info.iter().enumerate() {
        let (name, lo, hi, _) = REGIONS[inf.region];
        let base = match inf.fixed {
            Some(a) => a,
            None => {
                let c = cursor.entry((inf.region, inf.bank)).or_insert(lo);
                let a = *c;
                *c += eng.sections[i].size();
                eng.sections[i].base = a;
                a
            }
        };
        if base + eng.sections[i].size() > hi {
            let loc = eng.sections[i].items.first().map(|it| it.loc).unwrap_or_default();
            return Err(Error::new(loc, format!("section `{}` does not fit in {name}", eng.sections[i].name)));
        }
    }
    Ok(())
}

/// Assembles a Game Boy program into a ROM with a valid header.
pub fn assemble(mut eng: Engine) -> std::result::Result<crate::Assembled, Vec<crate::Diagnostic>> {
    let mut sm = Sm83::default();
    let mut driver = Driver::new(&DIALECT);
    driver.run_file(&mut eng, &mut sm, 0);
    let last = eng.sources.text(0).lines().count() as u32;
    driver.finish(&mut eng, Loc { file: 0, line: last.max(1), col: 1 });
    eng.layout();
    if let Err(e) = place(&mut eng, &sm.info) {
        eng.error(e);
    }
    for r in eng.resolved_fixups() {
        let v = match r.value {
            Ok(Value::Const(v)) => v,
            Ok(_) => continue,
            Err(e) => {
                eng.error(e);
                continue;
            }
        };
        let loc = r.fixup.loc;
        let pc = eng.sections[r.sec].base + r.here;
        let mut b = eng.read(r.sec, r.at, if r.fixup.kind == FIX_IMM16 { 2 } else { 1 });
        let res: std::result::Result<(), String> = match r.fixup.kind {
            FIX_IMM8 if (-128..=255).contains(&v) => {
                b[0] = v as u8;
                Ok(())
            }
            FIX_IMM16 if (-32768..=65535).contains(&v) => {
                b.copy_from_slice(&(v as u16).to_le_bytes());
                Ok(())
            }
            FIX_REL8 => {
                let d = v.wrapping_sub(pc as i64 + 2);
                if (-128..=127).contains(&d) {
                    b[0] = d as u8;
                    Ok(())
                } else {
                    Err(format!("jr target is {d} bytes away (must be -128..127)"))
                }
            }
            FIX_HIGH8 if (0xFF00..=0xFFFF).contains(&v) || (0..=0xFF).contains(&v) => {
                b[0] = v as u8;
                Ok(())
            }
            FIX_RST if (0..=0x38).contains(&v) && v % 8 == 0 => {
                b[0] |= v as u8;
                Ok(())
            }
            FIX_BIT if (0..=7).contains(&v) => {
                b[0] |= (v as u8) << 3;
                Ok(())
            }
            _ => Err(format!("value {v} out of range")),
        };
        match res {
            Ok(()) => eng.patch(r.sec, r.at, &b),
            Err(m) => eng.error(Error::new(loc, m)),
        }
    }
    // The ROM: bank 0 at 0, bank n at n * 0x4000.
    let mut rom = vec![0u8; 0x8000];
    for (i, inf) in sm.info.iter().enumerate() {
        let s = &eng.sections[i];
        if s.kind == SectionKind::Bss {
            continue;
        }
        let file_at = if REGIONS[inf.region].0 == "romx" { inf.bank * 0x4000 + (s.base - 0x4000) } else { s.base } as usize;
        if rom.len() < file_at + s.image.len() {
            rom.resize(file_at + s.image.len(), 0);
        }
        rom[file_at..file_at + s.image.len()].copy_from_slice(&s.image);
    }
    header::fix(&mut rom);
    // The listing shows the fixed header: copy the final bytes back into the sections.
    for (i, inf) in sm.info.iter().enumerate() {
        let s = &mut eng.sections[i];
        if s.kind == SectionKind::Bss {
            continue;
        }
        let file_at = if REGIONS[inf.region].0 == "romx" { inf.bank * 0x4000 + (s.base - 0x4000) } else { s.base } as usize;
        if let Some(src) = rom.get(file_at..file_at + s.image.len()) {
            s.image.copy_from_slice(src);
        }
    }
    let bases: Vec<u64> = eng.sections.iter().map(|s| s.base).collect();
    crate::finish(eng, rom, &|s| bases.get(s).copied().unwrap_or(0))
}
