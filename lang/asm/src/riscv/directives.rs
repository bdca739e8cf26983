//! GNU as directives: sections, data, alignment, symbols and `.option`.

use super::{RiscV, expr_of, fixup, ident, split_commas};
use crate::diag::{Error, Loc, Result};
use crate::engine::{Engine, Fixup, ItemKind, SectionKind};
use crate::expr::Expr;
use crate::lexer::{Tok, Token};

/// Padding for code: an odd zero byte, at most one `c.nop`, then `nop`s (as GNU as pads).
pub fn code_fill(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    if n % 2 == 1 {
        out.push(0);
    }
    if (n - out.len()) % 4 == 2 {
        out.extend_from_slice(&0x0001u16.to_le_bytes());
    }
    while out.len() + 4 <= n {
        out.extend_from_slice(&0x0000_0013u32.to_le_bytes());
    }
    out
}

fn zero_fill(n: usize) -> Vec<u8> {
    vec![0; n]
}

impl RiscV {
    pub(super) fn directive(&mut self, eng: &mut Engine, d: &str, loc: Loc, args: &[Token], end: Loc) -> Result<()> {
        let parts = split_commas(args);
        let exprs = |eng: &Engine| -> Result<Vec<Expr>> {
            parts.iter().map(|p| expr_of(eng, p, end)).collect()
        };
        match d {
            ".text" => self.switch(eng, ".text", SectionKind::Text),
            ".data" => self.switch(eng, ".data", SectionKind::Data),
            ".bss" => self.switch(eng, ".bss", SectionKind::Bss),
            ".rodata" => self.switch(eng, ".rodata", SectionKind::ReadOnly),
            ".section" => {
                let name = section_name(parts.first().copied().unwrap_or(&[]))
                    .ok_or_else(|| Error::new(loc, "expected a section name"))?;
                let flags = parts.get(1).and_then(|p| match p.first() {
                    Some(Token { tok: Tok::Str(s), .. }) => Some(String::from_utf8_lossy(s).to_string()),
                    _ => None,
                });
                let nobits = parts.get(2).is_some_and(|p| {
                    p.iter().any(|t| matches!(&t.tok, Tok::Ident(s) if s == "nobits"))
                });
                let kind = match flags {
                    _ if nobits => SectionKind::Bss,
                    Some(f) if f.contains('x') => SectionKind::Text,
                    Some(f) if f.contains('w') => SectionKind::Data,
                    Some(_) => SectionKind::ReadOnly,
                    None => kind_by_name(&name),
                };
                self.switch(eng, &name, kind);
            }
            ".globl" | ".global" | ".weak" => {
                for p in parts {
                    let name = ident(p.first()).ok_or_else(|| Error::new(loc, "expected a symbol name"))?;
                    eng.set_global(name, loc);
                    if d == ".weak" {
                        eng.weak.insert(name.to_string());
                    }
                }
            }
            ".local" | ".type" | ".size" | ".file" | ".ident" | ".attribute" | ".end" | ".loc"
            | ".hidden" | ".protected" | ".internal" => {}
            _ if d.starts_with(".cfi_") => {}
            ".option" => {
                let what = ident(args.first()).unwrap_or("").to_ascii_lowercase();
                match what.as_str() {
                    "rvc" => self.rvc = true,
                    "norvc" => self.rvc = false,
                    "push" => {
                        if self.rvc_stack.len() >= 256 {
                            return Err(Error::new(loc, ".option push nested too deeply"));
                        }
                        self.rvc_stack.push(self.rvc)
                    }
                    "pop" => {
                        self.rvc = self.rvc_stack.pop().ok_or_else(|| Error::new(loc, ".option pop without push"))?
                    }
                    "relax" | "norelax" | "pic" | "nopic" | "arch" | "csr-check" | "no-csr-check" => {}
                    _ => return Err(Error::new(loc, format!("unknown .option `{what}`"))),
                }
            }
            ".equ" | ".set" | ".equiv" => {
                let name = ident(args.first()).ok_or_else(|| Error::new(loc, "expected a symbol name"))?;
                let Some(value) = parts.get(1) else { return Err(Error::new(loc, "expected `, value`")) };
                let e = expr_of(eng, value, end)?;
                eng.define_expr(name, e, loc, d == ".equiv");
            }
            ".byte" | ".half" | ".short" | ".2byte" | ".word" | ".long" | ".4byte" | ".dword" | ".quad" | ".8byte" => {
                let (size, kind) = match d {
                    ".byte" => (1, fixup::ABS8),
                    ".half" | ".short" | ".2byte" => (2, fixup::ABS16),
                    ".word" | ".long" | ".4byte" => (4, fixup::ABS32),
                    _ => (8, fixup::ABS64),
                };
                self.data(eng, exprs(eng)?, size, kind, loc)?;
            }
            ".string" | ".asciz" | ".ascii" => {
                let mut bytes = Vec::new();
                for p in &parts {
                    match p {
                        [Token { tok: Tok::Str(s), .. }] => {
                            bytes.extend_from_slice(s);
                            if d != ".ascii" {
                                bytes.push(0);
                            }
                        }
                        _ => return Err(Error::new(p.first().map(|t| t.loc).unwrap_or(loc), "expected a string")),
                    }
                }
                self.check_not_bss(eng, loc)?;
                eng.bytes(bytes, loc);
            }
            ".zero" | ".skip" | ".space" => {
                let e = exprs(eng)?;
                let n = eng.const_now(e.first().ok_or_else(|| Error::new(loc, "expected a size"))?)?;
                let fill = match e.get(1) {
                    Some(f) => eng.const_now(f)? as u8,
                    None => 0,
                };
                if !(0..=1 << 28).contains(&n) {
                    return Err(Error::new(loc, format!("bad size {n}")));
                }
                if fill == 0 {
                    eng.push(ItemKind::Zeros(n as u64), loc, vec![]);
                } else if n > 1 << 24 {
                    return Err(Error::new(loc, format!("filled space of {n} bytes is too large")));
                } else {
                    self.check_not_bss(eng, loc)?;
                    eng.bytes(vec![fill; n as usize], loc);
                }
            }
            ".fill" => {
                let e = exprs(eng)?;
                let get = |i: usize, dflt: i64| -> Result<i64> {
                    e.get(i).map(|x| eng.const_now(x)).unwrap_or(Ok(dflt))
                };
                let (n, size, value) = (get(0, 0)?, get(1, 1)?.clamp(0, 8), get(2, 0)?);
                if !(0..=1 << 24).contains(&n.saturating_mul(size.max(1))) {
                    return Err(Error::new(loc, format!("bad repeat count {n}")));
                }
                let mut bytes = Vec::new();
                for _ in 0..n {
                    bytes.extend_from_slice(&value.to_le_bytes()[..size as usize]);
                }
                eng.bytes(bytes, loc);
            }
            ".align" | ".p2align" | ".balign" => {
                let e = exprs(eng)?;
                let n = eng.const_now(e.first().ok_or_else(|| Error::new(loc, "expected an alignment"))?)?;
                let align = if d == ".balign" {
                    if n <= 0 || n & (n - 1) != 0 {
                        return Err(Error::new(loc, "alignment must be a power of two"));
                    }
                    n as u64
                } else {
                    if !(0..=30).contains(&n) {
                        return Err(Error::new(loc, "alignment too large"));
                    }
                    1u64 << n
                };
                let fill_value = match e.get(1) {
                    Some(f) => Some(eng.const_now(f)?),
                    None => None,
                };
                let max = match e.get(2) {
                    Some(m) => Some(eng.const_now(m)? as u64),
                    None => None,
                };
                let code = eng.cur_section().kind == SectionKind::Text;
                // GNU as: code is assumed aligned to the instruction size (2 with RVC, 4
                // without), so a smaller or equal code alignment only records the alignment.
                if code && fill_value.is_none() && align <= if self.rvc { 2 } else { 4 } {
                    let sec = eng.cur_section();
                    sec.align = sec.align.max(align);
                    return Ok(());
                }
                let fill: crate::engine::FillFn = match fill_value {
                    None if code => code_fill,
                    None | Some(0) => zero_fill,
                    Some(_) => return Err(Error::new(loc, "only zero or default fill is supported")),
                };
                eng.push(ItemKind::Align { align, fill, max }, loc, vec![]);
            }
            ".org" => {
                let e = exprs(eng)?;
                let target = eng.eval_now(e.first().ok_or_else(|| Error::new(loc, "expected an address"))?)?;
                let off = match target {
                    crate::expr::Value::Const(c) => c,
                    crate::expr::Value::Reloc { base: crate::expr::RelocBase::Section(s), addend } if s == eng.cur => addend,
                    _ => return Err(Error::new(loc, ".org needs an offset in this section")),
                };
                if off < eng.here_offset() as i64 || off > 1 << 28 {
                    return Err(Error::new(loc, ".org cannot move backwards"));
                }
                eng.push(ItemKind::Org(off as u64), loc, vec![]);
            }
            _ => return Err(Error::new(loc, format!("unknown directive `{d}`"))),
        }
        Ok(())
    }

    pub(super) fn switch(&mut self, eng: &mut Engine, name: &str, kind: SectionKind) {
        let i = eng.section(name, kind);
        if kind == SectionKind::Text {
            eng.sections[i].pad_end = Some(code_fill);
            // Code is at least 2-aligned (4 without RVC), as GNU as records it.
            let min = if self.rvc { 2 } else { 4 };
            eng.sections[i].align = eng.sections[i].align.max(min);
        }
    }

    fn check_not_bss(&self, eng: &mut Engine, loc: Loc) -> Result<()> {
        if eng.cur_section().kind == SectionKind::Bss {
            return Err(Error::new(loc, "data in a no-bits section"));
        }
        Ok(())
    }

    fn data(&mut self, eng: &mut Engine, exprs: Vec<Expr>, size: usize, kind: u32, loc: Loc) -> Result<()> {
        self.check_not_bss(eng, loc)?;
        let mut bytes = Vec::with_capacity(exprs.len() * size);
        let mut fixups = Vec::new();
        for e in exprs {
            match eng.const_fixed(&e) {
                Some(v) => {
                    let mut b = vec![0u8; size];
                    fixup::apply(kind, v, &mut b).map_err(|m| Error::new(loc, m))?;
                    bytes.extend_from_slice(&b);
                }
                None => {
                    fixups.push(Fixup { offset: bytes.len(), kind, expr: e, loc });
                    bytes.extend(std::iter::repeat_n(0, size));
                }
            }
        }
        eng.bytes_fix(bytes, loc, fixups);
        Ok(())
    }
}

fn section_name(toks: &[Token]) -> Option<String> {
    match toks {
        [Token { tok: Tok::Str(s), .. }] => Some(String::from_utf8_lossy(s).to_string()),
        [] => None,
        _ => {
            let mut name = String::new();
            for t in toks {
                match &t.tok {
                    Tok::Ident(s) => name.push_str(s),
                    Tok::Num(n) => name.push_str(&n.to_string()),
                    Tok::Punct(p) => name.push_str(p),
                    _ => return None,
                }
            }
            Some(name)
        }
    }
}

fn kind_by_name(name: &str) -> SectionKind {
    if name.starts_with(".text") || name.starts_with(".init") || name.starts_with(".fini") {
        SectionKind::Text
    } else if name.starts_with(".bss") || name.starts_with(".sbss") || name.starts_with(".tbss") {
        SectionKind::Bss
    } else if name.starts_with(".rodata") || name.starts_with(".srodata") {
        SectionKind::ReadOnly
    } else {
        SectionKind::Data
    }
}

