//! CHIP-8, SUPER-CHIP and XO-CHIP in Octo syntax: whitespace-separated tokens, `:` labels,
//! `:const`, `:alias`, `:macro`, `:calc`, `:byte`, `:org`, structured control flow and the
//! register-operation statements. Programs load at 0x200.

mod calc;

use std::collections::{HashMap, VecDeque};

use crate::diag::{Error, Loc, Result};
use crate::engine::{Engine, Fixup, ItemKind, SectionKind};
use crate::expr::{Expr, Value};

/// Where CHIP-8 programs are loaded.
pub const BASE: u64 = 0x200;
/// The largest program: XO-CHIP's 64 KiB address space above 0x200.
const MAX_ROM: u64 = 0x10000 - BASE;
/// How many tokens macro expansion may produce before we call it runaway.
const MAX_EXPANSION: usize = 1_000_000;

/// 12-bit address in the low bits of a big-endian instruction.
const FIX_NNN: u32 = 1;
/// 16-bit big-endian address (`i := long`).
const FIX_LONG: u32 = 2;
/// `:unpack`: high nibble into byte 1, low byte into byte 3.
const FIX_UNPACK: u32 = 3;

/// A source token and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub text: String,
    pub loc: Loc,
}

/// Octo's reader: tokens are separated by whitespace; `#` starts a comment.
fn tokenize(text: &str, file: u32) -> Vec<Word> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut cur = String::new();
        let mut start = 0;
        for (col, c) in line.chars().enumerate() {
            if c == '#' || c.is_whitespace() {
                if !cur.is_empty() {
                    out.push(Word { text: std::mem::take(&mut cur), loc: Loc { file, line: n as u32 + 1, col: start as u32 + 1 } });
                }
                if c == '#' {
                    break;
                }
            } else {
                if cur.is_empty() {
                    start = col;
                }
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            out.push(Word { text: cur, loc: Loc { file, line: n as u32 + 1, col: start as u32 + 1 } });
        }
    }
    out
}

/// `12`, `-3`, `0xFF`, `0b1010` (with an optional sign).
pub fn parse_number(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let v = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()?
    } else if !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_digit()) {
        lower.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

const RESERVED: &[&str] = &[
    ":=", "|=", "&=", "^=", "-=", "=-", "+=", ">>=", "<<=", "==", "!=", "<", ">", "<=", ">=", "key", "-key", "hex",
    "bighex", "random", "delay", ":", ":next", ":unpack", ":breakpoint", ":proto", ":alias", ":const", ":org", ";",
    "return", "clear", "bcd", "save", "load", "buzzer", "if", "then", "begin", "else", "end", "jump", "jump0",
    "native", "sprite", "loop", "while", "again", "scroll-down", "scroll-right", "scroll-left", "lores", "hires",
    "loadflags", "saveflags", "i", "audio", "plane", "scroll-up", ":macro", ":calc", ":byte", "pitch", "exit",
];

struct Octo<'e, 'a> {
    eng: &'e mut Engine<'a>,
    toks: VecDeque<Word>,
    aliases: HashMap<String, u8>,
    consts: HashMap<String, f64>,
    macros: HashMap<String, (Vec<String>, Vec<Word>)>,
    /// Open `loop`s: the label of their start and the labels `while`s jump to.
    loops: Vec<(String, Option<String>, Loc)>,
    /// Open `begin`/`else`: the label their forward jump waits for.
    branches: Vec<(String, Loc, &'static str)>,
    unique: usize,
    expanded: usize,
    /// The reserved `jump main` is still the only thing emitted.
    main_pending: bool,
    last: Loc,
}

impl Octo<'_, '_> {
    fn next(&mut self) -> Result<Word> {
        match self.toks.pop_front() {
            Some(w) => {
                self.last = w.loc;
                Ok(w)
            }
            None => Err(Error::new(self.last, "unexpected end of program")),
        }
    }

    fn peek(&self) -> Option<&str> {
        self.toks.front().map(|w| w.text.as_str())
    }

    fn expect(&mut self, want: &str) -> Result<()> {
        let w = self.next()?;
        if w.text != want {
            return Err(Error::new(w.loc, format!("expected `{want}`, got `{}`", w.text)));
        }
        Ok(())
    }

    fn fresh(&mut self, what: &str) -> String {
        self.unique += 1;
        format!("\u{1}{what}{}", self.unique)
    }

    fn here(&mut self) -> u64 {
        BASE + self.eng.here_offset()
    }

    fn emit(&mut self, bytes: Vec<u8>, loc: Loc, fixups: Vec<Fixup>) {
        self.main_pending = false;
        self.eng.bytes_fix(bytes, loc, fixups);
    }

    fn inst(&mut self, a: u8, b: u8, loc: Loc) {
        self.emit(vec![a, b], loc, vec![]);
    }

    fn is_register(&self, name: &str) -> bool {
        self.register_of(name).is_some()
    }

    fn register_of(&self, name: &str) -> Option<u8> {
        if let Some(&r) = self.aliases.get(name) {
            return Some(r);
        }
        let lower = name.to_ascii_lowercase();
        let d = lower.strip_prefix('v')?;
        (d.len() == 1).then(|| u8::from_str_radix(d, 16).ok()).flatten()
    }

    fn register(&mut self) -> Result<u8> {
        let w = self.next()?;
        self.register_of(&w.text).ok_or_else(|| Error::new(w.loc, format!("expected a register, got `{}`", w.text)))
    }

    fn check_name(&self, w: &Word, kind: &str) -> Result<()> {
        if RESERVED.contains(&w.text.as_str()) || parse_number(&w.text).is_some() {
            return Err(Error::new(w.loc, format!("the name `{}` is reserved and cannot be used for a {kind}", w.text)));
        }
        Ok(())
    }

    /// A number, constant, or already-defined label.
    fn value_of(&self, w: &Word) -> Result<f64> {
        if let Some(n) = parse_number(&w.text) {
            return Ok(n as f64);
        }
        if let Some(&c) = self.consts.get(&w.text) {
            return Ok(c);
        }
        if w.text == "HERE" {
            return Ok((BASE + self.eng.sections.first().map(|s| s.size()).unwrap_or(0)) as f64);
        }
        match self.eng.eval_now(&Expr::Sym(w.text.clone(), w.loc)) {
            Ok(Value::Const(v)) => Ok(v as f64),
            _ => Err(Error::new(w.loc, format!("undefined name `{}`", w.text))),
        }
    }

    fn constant(&mut self) -> Result<f64> {
        if self.peek() == Some("{") {
            return self.calc_block();
        }
        let w = self.next()?;
        self.value_of(&w)
    }

    /// `{ expr }` of `:calc` and friends.
    fn calc_block(&mut self) -> Result<f64> {
        let open = self.next()?;
        if open.text != "{" {
            return Err(Error::new(open.loc, "expected `{`"));
        }
        let mut body = Vec::new();
        loop {
            let w = self.next()?;
            if w.text == "}" {
                break;
            }
            body.push(w);
        }
        let lookup = |w: &Word| self.value_of(w);
        let eng = &*self.eng;
        let peek = |addr: i64| {
            let off = addr.wrapping_sub(BASE as i64);
            u64::try_from(off).ok().and_then(|o| eng.peek_byte(0, o)).map_or(0.0, f64::from)
        };
        calc::eval(&body, &lookup, &peek)
    }

    fn short(&mut self) -> Result<u8> {
        let w = self.next()?;
        let v = self.value_of(&w)?.trunc() as i64;
        if !(-128..=255).contains(&v) {
            return Err(Error::new(w.loc, format!("argument `{}` does not fit in a byte (-128..255)", w.text)));
        }
        Ok(v as u8)
    }

    fn tiny(&mut self) -> Result<u8> {
        let w = self.next()?;
        let v = self.value_of(&w)?.trunc() as i64;
        if !(0..=15).contains(&v) {
            return Err(Error::new(w.loc, format!("argument `{}` must be in 0..15", w.text)));
        }
        Ok(v as u8)
    }

    /// A 12-bit (or, with `kind = FIX_LONG`, 16-bit) address operand: a number, a constant,
    /// or a label (possibly defined later: a fix-up).
    fn wide(&mut self, w: &Word, kind: u32, fixups: &mut Vec<Fixup>, offset: usize) -> Result<u16> {
        let max = if kind == FIX_LONG { 0xffff } else { 0xfff };
        let direct = match parse_number(&w.text) {
            Some(n) => Some(n),
            None => self.consts.get(&w.text).map(|c| c.trunc() as i64),
        };
        if let Some(v) = direct {
            if !(0..=max).contains(&v) {
                return Err(Error::new(w.loc, format!("value `{}` does not fit in {} bits", w.text, if max == 0xfff { 12 } else { 16 })));
            }
            return Ok(v as u16);
        }
        self.check_name(w, "label")?;
        fixups.push(Fixup { offset, kind, expr: Expr::Sym(w.text.clone(), w.loc), loc: w.loc });
        Ok(0)
    }

    fn immediate(&mut self, op: u8, w: &Word, loc: Loc) -> Result<()> {
        let mut fix = Vec::new();
        let v = self.wide(w, FIX_NNN, &mut fix, 0)?;
        self.emit(vec![op | (v >> 8) as u8, v as u8], loc, fix);
        Ok(())
    }

    fn jump_to(&mut self, label: &str, loc: Loc) {
        let fix = Fixup { offset: 0, kind: FIX_NNN, expr: Expr::Sym(label.to_string(), loc), loc };
        self.emit(vec![0x10, 0x00], loc, vec![fix]);
    }

    fn define(&mut self, name: &str, loc: Loc) {
        self.eng.define_label(name, loc);
    }

    fn conditional(&mut self, negated: bool, loc: Loc) -> Result<()> {
        let reg = self.register()?;
        let tok = self.next()?;
        let temp = self.aliases.get("compare-temp").copied().unwrap_or(0xe);
        let mut op = tok.text.clone();
        if negated {
            op = match op.as_str() {
                "==" => "!=",
                "!=" => "==",
                "key" => "-key",
                "-key" => "key",
                "<" => ">=",
                ">" => "<=",
                ">=" => "<",
                "<=" => ">",
                other => return Err(Error::new(tok.loc, format!("conditional operator expected, got `{other}`"))),
            }
            .to_string();
        }
        let next_is_reg = self.peek().is_some_and(|p| self.is_register(p));
        match op.as_str() {
            "==" | "!=" => {
                let eq = op == "==";
                if next_is_reg {
                    let r = self.register()?;
                    self.inst(if eq { 0x90 } else { 0x50 } | reg, r << 4, loc);
                } else {
                    let v = self.short()?;
                    self.inst(if eq { 0x40 } else { 0x30 } | reg, v, loc);
                }
            }
            "key" => self.inst(0xe0 | reg, 0xa1, loc),
            "-key" => self.inst(0xe0 | reg, 0x9e, loc),
            ">" | "<" | ">=" | "<=" => {
                if next_is_reg {
                    let r = self.register()?;
                    self.inst(0x80 | temp, r << 4, loc);
                } else {
                    let v = self.short()?;
                    self.inst(0x60 | temp, v, loc);
                }
                let sub = if op == ">" || op == "<=" { 0x5 } else { 0x7 };
                self.inst(0x80 | temp, (reg << 4) | sub, loc);
                let skip = if op == ">" || op == "<" { 0x3f } else { 0x4f };
                self.inst(skip, 1, loc);
            }
            other => return Err(Error::new(tok.loc, format!("conditional operator expected, got `{other}`"))),
        }
        Ok(())
    }

    /// The token `if` is waiting for: `then` or `begin` (after `vx op [operand]`).
    fn control_token(&self) -> Option<&str> {
        let op = self.toks.get(1)?.text.as_str();
        let index = if op == "key" || op == "-key" { 2 } else { 3 };
        self.toks.get(index).map(|w| w.text.as_str())
    }

    fn statement(&mut self, w: Word) -> Result<()> {
        let loc = w.loc;
        if let Some(n) = parse_number(&w.text) {
            if !(-128..=255).contains(&n) {
                return Err(Error::new(loc, format!("literal `{}` does not fit in a byte", w.text)));
            }
            self.emit(vec![n as u8], loc, vec![]);
            return Ok(());
        }
        match w.text.as_str() {
            ":" => {
                let name = self.next()?;
                self.check_name(&name, "label")?;
                if name.text == "main" && self.main_pending {
                    self.eng.clear_section();
                    self.main_pending = false;
                }
                self.define(&name.text, name.loc);
            }
            ":next" => {
                let name = self.next()?;
                self.check_name(&name, "label")?;
                let at = self.here() + 1;
                self.eng.define_value(&name.text, Value::Const(at as i64), name.loc, true);
            }
            ":unpack" => {
                let hi_nibble = self.tiny()?;
                let target = self.next()?;
                let mut fix = Vec::new();
                let a = self.wide(&target, FIX_UNPACK, &mut fix, 0)?;
                let hi = self.aliases.get("unpack-hi").copied().unwrap_or(0);
                let lo = self.aliases.get("unpack-lo").copied().unwrap_or(1);
                self.emit(vec![0x60 | hi, (hi_nibble << 4) | (a >> 8) as u8, 0x60 | lo, a as u8], loc, fix);
            }
            ":breakpoint" | ":proto" => {
                self.next()?;
            }
            ":alias" => {
                let name = self.next()?;
                self.check_name(&name, "alias")?;
                let r = self.register()?;
                self.aliases.insert(name.text, r);
            }
            ":const" => {
                let name = self.next()?;
                self.check_name(&name, "constant")?;
                if self.consts.contains_key(&name.text) {
                    return Err(Error::new(name.loc, format!("the name `{}` has already been defined", name.text)));
                }
                let v = self.constant()?;
                self.consts.insert(name.text, v);
            }
            ":calc" => {
                let name = self.next()?;
                self.check_name(&name, "constant")?;
                let v = self.calc_block()?;
                self.consts.insert(name.text, v);
            }
            ":byte" => {
                let v = self.constant()?.trunc() as i64;
                if !(-128..=255).contains(&v) {
                    return Err(Error::new(loc, format!(":byte value {v} does not fit in a byte")));
                }
                self.emit(vec![v as u8], loc, vec![]);
            }
            ":org" => {
                let v = self.constant()?.trunc() as i64;
                if !(BASE as i64..=0xffff).contains(&v) {
                    return Err(Error::new(loc, format!(":org address {v:#x} is outside 0x200..0xFFFF")));
                }
                self.main_pending = false;
                self.eng.push(ItemKind::Org(v as u64 - BASE), loc, vec![]);
            }
            ":macro" => {
                let name = self.next()?;
                self.check_name(&name, "macro")?;
                let mut args = Vec::new();
                loop {
                    let a = self.next()?;
                    if a.text == "{" {
                        break;
                    }
                    args.push(a.text);
                }
                let mut depth = 1;
                let mut body = Vec::new();
                loop {
                    let t = self.next()?;
                    if t.text == "{" {
                        depth += 1;
                    } else if t.text == "}" {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    body.push(t);
                }
                self.macros.insert(name.text, (args, body));
            }
            ";" | "return" => self.inst(0x00, 0xee, loc),
            "clear" => self.inst(0x00, 0xe0, loc),
            "bcd" => {
                let r = self.register()?;
                self.inst(0xf0 | r, 0x33, loc);
            }
            "save" | "load" => {
                let r = self.register()?;
                if self.peek() == Some("-") {
                    self.next()?;
                    let r2 = self.register()?;
                    let low = if w.text == "save" { 0x2 } else { 0x3 };
                    self.inst(0x50 | r, (r2 << 4) | low, loc);
                } else {
                    self.inst(0xf0 | r, if w.text == "save" { 0x55 } else { 0x65 }, loc);
                }
            }
            "delay" | "buzzer" | "pitch" => {
                self.expect(":=")?;
                let r = self.register()?;
                let low = match w.text.as_str() {
                    "delay" => 0x15,
                    "buzzer" => 0x18,
                    _ => 0x3a,
                };
                self.inst(0xf0 | r, low, loc);
            }
            "if" => match self.control_token() {
                Some("then") => {
                    self.conditional(false, loc)?;
                    self.expect("then")?;
                }
                Some("begin") => {
                    self.conditional(true, loc)?;
                    self.expect("begin")?;
                    let label = self.fresh("else");
                    self.jump_to(&label, loc);
                    self.branches.push((label, loc, "begin"));
                }
                _ => return Err(Error::new(loc, "expected `then` or `begin` after the condition")),
            },
            "else" => {
                let Some((pending, _, _)) = self.branches.pop() else {
                    return Err(Error::new(loc, "this `else` does not have a matching `begin`"));
                };
                let label = self.fresh("end");
                self.jump_to(&label, loc);
                self.define(&pending, loc);
                self.branches.push((label, loc, "else"));
            }
            "end" => {
                let Some((pending, _, _)) = self.branches.pop() else {
                    return Err(Error::new(loc, "this `end` does not have a matching `begin`"));
                };
                self.define(&pending, loc);
            }
            "jump0" | "jump" | "native" => {
                let target = self.next()?;
                let op = match w.text.as_str() {
                    "jump0" => 0xb0,
                    "jump" => 0x10,
                    _ => 0x00,
                };
                self.immediate(op, &target, loc)?;
            }
            "sprite" => {
                let x = self.register()?;
                let y = self.register()?;
                let n = self.tiny()?;
                self.inst(0xd0 | x, (y << 4) | n, loc);
            }
            "loop" => {
                let label = self.fresh("loop");
                self.define(&label, loc);
                self.loops.push((label, None, loc));
            }
            "while" => {
                if self.loops.is_empty() {
                    return Err(Error::new(loc, "this `while` is not within a loop"));
                }
                self.conditional(true, loc)?;
                let exit = match self.loops.last().and_then(|l| l.1.clone()) {
                    Some(e) => e,
                    None => {
                        let e = self.fresh("wend");
                        if let Some(l) = self.loops.last_mut() {
                            l.1 = Some(e.clone());
                        }
                        e
                    }
                };
                self.jump_to(&exit, loc);
            }
            "again" => {
                let Some((start, exit, _)) = self.loops.pop() else {
                    return Err(Error::new(loc, "this `again` does not have a matching `loop`"));
                };
                self.jump_to(&start, loc);
                if let Some(e) = exit {
                    self.define(&e, loc);
                }
            }
            "plane" => {
                let n = self.tiny()?;
                if n > 3 {
                    return Err(Error::new(loc, "the plane bitmask must be 0..3"));
                }
                self.inst(0xf0 | n, 0x01, loc);
            }
            "audio" => self.inst(0xf0, 0x02, loc),
            "scroll-down" => {
                let n = self.tiny()?;
                self.inst(0x00, 0xc0 | n, loc);
            }
            "scroll-up" => {
                let n = self.tiny()?;
                self.inst(0x00, 0xd0 | n, loc);
            }
            "scroll-right" => self.inst(0x00, 0xfb, loc),
            "scroll-left" => self.inst(0x00, 0xfc, loc),
            "exit" => self.inst(0x00, 0xfd, loc),
            "lores" => self.inst(0x00, 0xfe, loc),
            "hires" => self.inst(0x00, 0xff, loc),
            "saveflags" | "loadflags" => {
                let r = self.register()?;
                self.inst(0xf0 | r, if w.text == "saveflags" { 0x75 } else { 0x85 }, loc);
            }
            "i" => {
                let op = self.next()?;
                match op.text.as_str() {
                    ":=" => {
                        let src = self.next()?;
                        match src.text.as_str() {
                            "hex" => {
                                let r = self.register()?;
                                self.inst(0xf0 | r, 0x29, loc);
                            }
                            "bighex" => {
                                let r = self.register()?;
                                self.inst(0xf0 | r, 0x30, loc);
                            }
                            "long" => {
                                let target = self.next()?;
                                let mut fix = Vec::new();
                                let v = self.wide(&target, FIX_LONG, &mut fix, 2)?;
                                self.emit(vec![0xf0, 0x00, (v >> 8) as u8, v as u8], loc, fix);
                            }
                            _ => self.immediate(0xa0, &src, loc)?,
                        }
                    }
                    "+=" => {
                        let r = self.register()?;
                        self.inst(0xf0 | r, 0x1e, loc);
                    }
                    other => return Err(Error::new(op.loc, format!("the operator `{other}` cannot target the i register"))),
                }
            }
            name if self.is_register(name) => {
                let x = self.register_of(name).unwrap_or(0);
                self.vassign(x, loc)?;
            }
            name if self.macros.contains_key(name) => self.expand(name, loc)?,
            _ => self.immediate(0x20, &w, loc)?,
        }
        Ok(())
    }

    fn vassign(&mut self, x: u8, loc: Loc) -> Result<()> {
        let op = self.next()?;
        let four = |s: &mut Self, n: u8| -> Result<()> {
            let y = s.register()?;
            s.inst(0x80 | x, (y << 4) | n, loc);
            Ok(())
        };
        match op.text.as_str() {
            ":=" => {
                let next_is_reg = self.peek().is_some_and(|p| self.is_register(p));
                if next_is_reg {
                    return four(self, 0x0);
                }
                match self.peek() {
                    Some("random") => {
                        self.next()?;
                        let v = self.short()?;
                        self.inst(0xc0 | x, v, loc);
                    }
                    Some("key") => {
                        self.next()?;
                        self.inst(0xf0 | x, 0x0a, loc);
                    }
                    Some("delay") => {
                        self.next()?;
                        self.inst(0xf0 | x, 0x07, loc);
                    }
                    _ => {
                        let v = self.short()?;
                        self.inst(0x60 | x, v, loc);
                    }
                }
            }
            "+=" => {
                if self.peek().is_some_and(|p| self.is_register(p)) {
                    return four(self, 0x4);
                }
                let v = self.short()?;
                self.inst(0x70 | x, v, loc);
            }
            "-=" if !self.peek().is_some_and(|p| self.is_register(p)) => {
                // Octo accepts `vx -= n` as `vx += -n`.
                let v = self.short()?;
                self.inst(0x70 | x, v.wrapping_neg(), loc);
            }
            "|=" => four(self, 0x1)?,
            "&=" => four(self, 0x2)?,
            "^=" => four(self, 0x3)?,
            "-=" => four(self, 0x5)?,
            ">>=" => four(self, 0x6)?,
            "=-" => four(self, 0x7)?,
            "<<=" => four(self, 0xe)?,
            other => return Err(Error::new(op.loc, format!("unrecognized operator `{other}`"))),
        }
        Ok(())
    }

    fn expand(&mut self, name: &str, loc: Loc) -> Result<()> {
        let (params, body) = self.macros.get(name).cloned().unwrap_or_default();
        let mut args = HashMap::new();
        for p in &params {
            let a = self.next()?;
            args.insert(p.clone(), a.text);
        }
        self.expanded += body.len();
        if self.expanded > MAX_EXPANSION {
            return Err(Error::new(loc, "macro expansion produced too many tokens"));
        }
        for w in body.into_iter().rev() {
            let text = args.get(&w.text).cloned().unwrap_or(w.text);
            self.toks.push_front(Word { text, loc: w.loc });
        }
        Ok(())
    }

    fn run(&mut self) {
        while let Some(w) = self.toks.pop_front() {
            self.last = w.loc;
            self.eng.stmt_loc = w.loc;
            if let Err(e) = self.statement(w) {
                self.eng.error(e);
                if self.eng.errors.len() >= 100 {
                    return;
                }
            }
        }
        if let Some((_, _, loc)) = self.loops.first() {
            self.eng.error(Error::new(*loc, "this `loop` does not have a matching `again`"));
        }
        if let Some((_, loc, kind)) = self.branches.first() {
            self.eng.error(Error::new(*loc, format!("this `{kind}` does not have a matching `end`")));
        }
    }
}

/// Assembles an Octo program into a CHIP-8 ROM image (loaded at 0x200).
pub fn assemble(mut eng: Engine) -> std::result::Result<crate::Assembled, Vec<crate::Diagnostic>> {
    let sec = eng.section("rom", SectionKind::Text);
    eng.sections[sec].base = BASE;
    eng.sections[sec].absolute = true;
    let toks = tokenize(eng.sources.text(0), 0);
    // Octo reserves 0x200 for `jump main`, dropped if `: main` comes first.
    let main = Fixup { offset: 0, kind: FIX_NNN, expr: Expr::Sym("main".into(), Loc { file: 0, line: 1, col: 1 }), loc: Loc { file: 0, line: 1, col: 1 } };
    eng.bytes_fix(vec![0x10, 0x00], Loc::default(), vec![main]);
    let mut aliases = HashMap::new();
    aliases.insert("compare-temp".to_string(), 0xe);
    aliases.insert("unpack-hi".to_string(), 0x0);
    aliases.insert("unpack-lo".to_string(), 0x1);
    let mut octo = Octo {
        eng: &mut eng,
        toks: toks.into(),
        aliases,
        consts: HashMap::new(),
        macros: HashMap::new(),
        loops: Vec::new(),
        branches: Vec::new(),
        unique: 0,
        expanded: 0,
        main_pending: true,
        last: Loc { file: 0, line: 1, col: 1 },
    };
    octo.run();
    if !eng.symbols.contains_key("main") {
        eng.error(Error::new(Loc { file: 0, line: 1, col: 1 }, "the program has no `main` label"));
    }
    eng.layout();
    if eng.sections[sec].size() > MAX_ROM {
        let size = eng.sections[sec].size();
        eng.error(Error::new(Loc { file: 0, line: 1, col: 1 }, format!("program is {size} bytes; the most CHIP-8 can address is {MAX_ROM}")));
    }
    for r in eng.resolved_fixups() {
        let v = match r.value {
            Ok(Value::Const(v)) => v,
            Ok(_) => continue,
            Err(e) => {
                if r.fixup.kind != FIX_NNN || r.at != 0 || eng.symbols.contains_key("main") {
                    eng.error(e);
                }
                continue;
            }
        };
        let max = if r.fixup.kind == FIX_LONG { 0xffff } else { 0xfff };
        if !(0..=max).contains(&v) {
            eng.error(Error::new(r.fixup.loc, format!("address {v:#x} does not fit in {} bits", if max == 0xfff { 12 } else { 16 })));
            continue;
        }
        let mut b = eng.read(r.sec, r.at, if r.fixup.kind == FIX_UNPACK { 4 } else { 2 });
        match r.fixup.kind {
            FIX_NNN => {
                b[0] |= (v >> 8) as u8 & 0xf;
                b[1] = v as u8;
            }
            FIX_LONG => b.copy_from_slice(&(v as u16).to_be_bytes()),
            _ => {
                b[1] |= (v >> 8) as u8 & 0xf;
                b[3] = v as u8;
            }
        }
        eng.patch(r.sec, r.at, &b);
    }
    let bytes = eng.sections[sec].image.clone();
    crate::finish(eng, bytes, &|_| BASE)
}
