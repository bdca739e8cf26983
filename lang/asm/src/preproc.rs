//! The line driver shared by the line-oriented syntaxes (GNU as, RGBDS): includes, macros,
//! repeats and conditionals. Everything else on a line goes to the [`LineSyntax`].

use std::collections::HashMap;

use crate::diag::{Error, Loc, Result};
use crate::engine::Engine;
use crate::expr::Parser;
use crate::lexer::{LexConfig, Tok, Token, lex_line};

/// How deep macros may call macros (and `.rept` nest) before we stop.
const MAX_EXPANSION_DEPTH: usize = 64;
/// Upper bound on lines produced by expansion, so a hostile `.rept` cannot hang us.
const MAX_EXPANDED_LINES: usize = 1_000_000;

/// The keywords a dialect spells its preprocessor directives with (compared case-insensitively).
pub struct Dialect {
    pub lex: LexConfig,
    pub include: &'static [&'static str],
    pub macro_start: &'static str,
    pub macro_end: &'static str,
    pub rept: &'static [&'static str],
    pub rept_end: &'static str,
    pub if_: &'static str,
    pub ifdef: &'static str,
    pub ifndef: &'static str,
    pub elif: &'static str,
    pub else_: &'static str,
    pub endif: &'static str,
    /// Macro parameters are named (`\x`, GNU) rather than numbered (`\1`, RGBDS).
    pub named_params: bool,
    /// `;` separates statements (GNU) instead of starting a comment.
    pub semicolon_separates: bool,
}

/// The syntax-specific half: labels and statements.
pub trait LineSyntax {
    /// Defines the labels at the start of `toks` and returns the index of the first other token.
    fn labels(&mut self, eng: &mut Engine, toks: &[Token]) -> Result<usize>;
    /// Assembles one statement (directive or instruction); `toks` is never empty.
    fn statement(&mut self, eng: &mut Engine, toks: &[Token], line_end: Loc) -> Result<()>;
}

struct Macro {
    params: Vec<(String, Option<String>)>,
    body: Vec<(String, Loc)>,
}

enum Recording {
    None,
    Macro { name: String, m: Macro, depth: usize },
    Rept { count: u64, body: Vec<(String, Loc)>, depth: usize, loc: Loc },
}

struct Cond {
    active: bool,
    taken: bool,
    parent_active: bool,
}

pub struct Driver<'d> {
    pub dialect: &'d Dialect,
    macros: HashMap<String, Macro>,
    recording: Recording,
    conds: Vec<Cond>,
    depth: usize,
    expanded: usize,
    unique: usize,
}

impl<'d> Driver<'d> {
    pub fn new(dialect: &'d Dialect) -> Self {
        Driver {
            dialect,
            macros: HashMap::new(),
            recording: Recording::None,
            conds: Vec::new(),
            depth: 0,
            expanded: 0,
            unique: 0,
        }
    }

    /// Assembles every line of file `file` (already in the engine's source table).
    pub fn run_file(&mut self, eng: &mut Engine, syn: &mut dyn LineSyntax, file: u32) {
        let text = eng.sources.text(file).to_string();
        for (n, line) in text.lines().enumerate() {
            let loc = Loc { file, line: n as u32 + 1, col: 1 };
            // Included lines count too: a file including itself inside a repeat must not
            // multiply without bound.
            if (file != 0 || self.depth > 0)
                && let Err(e) = self.count_line(loc)
            {
                eng.error(e);
                return;
            }
            self.line(eng, syn, line, loc);
        }
    }

    /// Reports what is still open at the end of the main file.
    pub fn finish(&mut self, eng: &mut Engine, end: Loc) {
        match std::mem::replace(&mut self.recording, Recording::None) {
            Recording::Macro { name, .. } => {
                eng.error(Error::new(end, format!("macro `{name}` has no `{}`", self.dialect.macro_end)))
            }
            Recording::Rept { loc, .. } => {
                eng.error(Error::new(loc, format!("repeat block has no `{}`", self.dialect.rept_end)))
            }
            Recording::None => {}
        }
        if !self.conds.is_empty() {
            eng.error(Error::new(end, format!("conditional block has no `{}`", self.dialect.endif)));
        }
    }

    fn active(&self) -> bool {
        self.conds.last().is_none_or(|c| c.active)
    }

    fn line(&mut self, eng: &mut Engine, syn: &mut dyn LineSyntax, text: &str, loc: Loc) {
        eng.stmt_loc = loc;
        if let Err(e) = self.line_inner(eng, syn, text, loc) {
            eng.error(e);
        }
    }

    fn line_inner(&mut self, eng: &mut Engine, syn: &mut dyn LineSyntax, text: &str, loc: Loc) -> Result<()> {
        let d = self.dialect;
        let first = first_word(text, &d.lex);
        let is = |kw: &str| first.as_deref().is_some_and(|w| w.eq_ignore_ascii_case(kw));
        // Inside a definition we only look for its end (and nesting).
        match &mut self.recording {
            Recording::Macro { m, depth, .. } => {
                if is(d.macro_start) || first_is_macro_def(text, d) {
                    *depth += 1;
                } else if is(d.macro_end) {
                    if *depth == 0 {
                        if let Recording::Macro { name, m, .. } =
                            std::mem::replace(&mut self.recording, Recording::None)
                        {
                            self.macros.insert(name.to_ascii_lowercase(), m);
                        }
                        return Ok(());
                    }
                    *depth -= 1;
                }
                m.body.push((text.to_string(), loc));
                return Ok(());
            }
            Recording::Rept { body, depth, .. } => {
                if d.rept.iter().any(|k| is(k)) {
                    *depth += 1;
                } else if is(d.rept_end) {
                    if *depth == 0 {
                        if let Recording::Rept { count, body, .. } =
                            std::mem::replace(&mut self.recording, Recording::None)
                        {
                            self.enter(loc)?;
                            for _ in 0..count {
                                for (l, lc) in &body {
                                    self.count_line(*lc)?;
                                    self.line(eng, syn, l, *lc);
                                }
                            }
                            self.depth -= 1;
                        }
                        return Ok(());
                    }
                    *depth -= 1;
                }
                body.push((text.to_string(), loc));
                return Ok(());
            }
            Recording::None => {}
        }
        // Conditionals are tracked even while skipping.
        if is(d.if_) || is(d.ifdef) || is(d.ifndef) {
            let parent_active = self.active();
            let active = parent_active && {
                let toks = self.lex_statement(text, loc)?;
                let rest = &toks[1..];
                if is(d.if_) {
                    eng.const_now(&parse_expr(eng, rest, loc)?)? != 0
                } else {
                    let name = match rest.first() {
                        Some(Token { tok: Tok::Ident(n), .. }) => n.clone(),
                        _ => return Err(Error::new(loc, "expected a symbol name")),
                    };
                    let defined = eng.symbols.get(&name).is_some_and(|s| s.def.is_some())
                        || self.macros.contains_key(&name.to_ascii_lowercase());
                    defined == is(d.ifdef)
                }
            };
            self.conds.push(Cond { active, taken: active, parent_active });
            return Ok(());
        }
        if is(d.elif) || is(d.else_) {
            let is_elif = is(d.elif);
            let toks = if is_elif { Some(self.lex_statement(text, loc)?) } else { None };
            let Some(c) = self.conds.last_mut() else {
                return Err(Error::new(loc, format!("`{}` without a conditional", first.unwrap_or_default())));
            };
            let now = c.parent_active
                && !c.taken
                && match &toks {
                    Some(t) => eng.const_now(&parse_expr(eng, &t[1..], loc)?)? != 0,
                    None => true,
                };
            c.active = now;
            c.taken |= now;
            return Ok(());
        }
        if is(d.endif) {
            if self.conds.pop().is_none() {
                return Err(Error::new(loc, format!("`{}` without a conditional", d.endif)));
            }
            return Ok(());
        }
        if !self.active() {
            return Ok(());
        }
        let toks = self.lex_statement(text, loc)?;
        let line_end = Loc { col: text.chars().count() as u32 + 1, ..loc };
        for stmt in split_statements(&toks, d.semicolon_separates) {
            self.statement(eng, syn, stmt, text, line_end)?;
        }
        Ok(())
    }

    fn lex_statement(&self, text: &str, loc: Loc) -> Result<Vec<Token>> {
        lex_line(text, loc, &self.dialect.lex)
    }

    fn statement(
        &mut self,
        eng: &mut Engine,
        syn: &mut dyn LineSyntax,
        toks: &[Token],
        text: &str,
        line_end: Loc,
    ) -> Result<()> {
        let d = self.dialect;
        // RGBDS `MACRO name` and `name: MACRO` (older) both start a definition.
        if let Some((name, params)) = macro_header(toks, d) {
            self.recording = Recording::Macro { name, m: Macro { params, body: Vec::new() }, depth: 0 };
            return Ok(());
        }
        let start = syn.labels(eng, toks)?;
        let rest = &toks[start..];
        let Some(head) = rest.first() else { return Ok(()) };
        let Tok::Ident(word) = &head.tok else {
            return syn.statement(eng, rest, line_end);
        };
        let lower = word.to_ascii_lowercase();
        if d.include.iter().any(|k| lower == *k) {
            let Some(Token { tok: Tok::Str(name), .. }) = rest.get(1) else {
                return Err(Error::new(head.loc, "expected a quoted file name"));
            };
            let name = String::from_utf8_lossy(name).to_string();
            let file = eng.sources.include(&name, head.loc)?;
            self.enter(head.loc)?;
            eng.sources.enter();
            self.run_file(eng, syn, file);
            eng.sources.leave();
            self.depth -= 1;
            return Ok(());
        }
        if d.rept.iter().any(|k| lower == *k) {
            let e = parse_expr(eng, &rest[1..], line_end)?;
            let count = eng.const_now(&e)?;
            if count < 0 {
                return Err(Error::new(head.loc, "repeat count is negative"));
            }
            self.recording = Recording::Rept { count: count as u64, body: Vec::new(), depth: 0, loc: head.loc };
            return Ok(());
        }
        if let Some(m) = self.macros.get(&lower) {
            let args = macro_args(text, head.loc, word.len(), d);
            let mut body = Vec::with_capacity(m.body.len());
            self.unique += 1;
            for (line, lc) in &m.body {
                body.push((substitute(line, &m.params, &args, self.unique, d.named_params), *lc));
            }
            self.enter(head.loc)?;
            for (l, lc) in body {
                self.count_line(lc)?;
                self.line(eng, syn, &l, lc);
            }
            self.depth -= 1;
            return Ok(());
        }
        syn.statement(eng, rest, line_end)
    }

    fn enter(&mut self, loc: Loc) -> Result<()> {
        if self.depth >= MAX_EXPANSION_DEPTH {
            return Err(Error::new(loc, "macros, repeats or includes nested too deeply"));
        }
        self.depth += 1;
        Ok(())
    }

    fn count_line(&mut self, loc: Loc) -> Result<()> {
        self.expanded += 1;
        if self.expanded > MAX_EXPANDED_LINES {
            return Err(Error::new(loc, "expansion produced too many lines"));
        }
        Ok(())
    }
}

/// Parses the whole token slice as one expression.
pub fn parse_expr(eng: &Engine, toks: &[Token], end: Loc) -> Result<crate::expr::Expr> {
    let local = |n: u64, f: bool| eng.numeric_ref(n, f);
    let mut p = Parser { toks, pos: 0, end_loc: end, local_ref: &local, gnu: eng.gnu_precedence };
    let e = p.expr()?;
    if !p.at_end() {
        return Err(Error::new(p.loc(), "unexpected text after expression"));
    }
    Ok(e)
}

fn split_statements(toks: &[Token], semicolons: bool) -> Vec<&[Token]> {
    if !semicolons {
        return vec![toks];
    }
    toks.split(|t| t.tok == Tok::Punct(";")).filter(|s| !s.is_empty()).collect()
}

fn first_word(text: &str, lex: &LexConfig) -> Option<String> {
    let t = text.trim_start();
    let w: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.' || *c == '\\')
        .collect();
    if w.is_empty() || lex.comment.iter().any(|c| t.starts_with(*c)) { None } else { Some(w) }
}

/// `name: MACRO` (old RGBDS) on a line.
fn first_is_macro_def(text: &str, d: &Dialect) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains(':') && lower.split_whitespace().any(|w| w == d.macro_start.to_ascii_lowercase())
}

/// Macro parameters: name and optional default.
type Params = Vec<(String, Option<String>)>;

fn macro_header(toks: &[Token], d: &Dialect) -> Option<(String, Params)> {
    let ident = |i: usize| match toks.get(i) {
        Some(Token { tok: Tok::Ident(s), .. }) => Some(s.clone()),
        _ => None,
    };
    let is_kw = |i: usize| ident(i).is_some_and(|s| s.eq_ignore_ascii_case(d.macro_start));
    let (name, from) = if is_kw(0) {
        (ident(1)?, 2)
    } else if toks.get(1).is_some_and(|t| t.tok == Tok::Punct(":")) && is_kw(2) {
        (ident(0)?, 3)
    } else {
        return None;
    };
    let mut params = Vec::new();
    let mut i = from;
    while i < toks.len() {
        if let Some(p) = ident(i) {
            let mut default = None;
            if toks.get(i + 1).is_some_and(|t| t.tok == Tok::Punct("=")) {
                default = toks.get(i + 2).map(|t| match &t.tok {
                    Tok::Num(n) => n.to_string(),
                    Tok::Ident(s) => s.clone(),
                    _ => String::new(),
                });
                i += 2;
            }
            params.push((p, default));
        }
        i += 1;
    }
    Some((name, params))
}

/// The raw text of each argument after the macro name, split at top-level commas.
fn macro_args(text: &str, at: Loc, name_len: usize, d: &Dialect) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let start = (at.col as usize).saturating_sub(1) + name_len;
    let mut args = Vec::new();
    let mut cur = String::new();
    let (mut depth, mut in_str) = (0i32, false);
    for &c in chars.iter().skip(start) {
        if !in_str && (d.lex.comment.contains(&c) || (c == ';' && d.semicolon_separates)) {
            break;
        }
        match c {
            '"' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => depth -= 1,
            ',' if !in_str && depth == 0 => {
                args.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() || !args.is_empty() {
        args.push(cur.trim().to_string());
    }
    args
}

fn substitute(line: &str, params: &[(String, Option<String>)], args: &[String], unique: usize, named: bool) -> String {
    let mut out = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            if chars[i + 1] == '@' {
                out.push_str(&unique.to_string());
                i += 2;
                continue;
            }
            if named {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                if let Some(k) = params.iter().position(|(p, _)| *p == name) {
                    let v = args.get(k).filter(|a| !a.is_empty()).cloned().or_else(|| params[k].1.clone());
                    out.push_str(&v.unwrap_or_default());
                    i = j;
                    // `\x()` separates a parameter from following name characters.
                    if chars.get(i) == Some(&'(') && chars.get(i + 1) == Some(&')') {
                        i += 2;
                    }
                    continue;
                }
            } else if let Some(d) = chars[i + 1].to_digit(10).filter(|d| *d >= 1) {
                out.push_str(args.get(d as usize - 1).map(String::as_str).unwrap_or(""));
                i += 2;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Splits tokens at top-level commas (not inside parentheses or brackets).
pub fn split_commas(toks: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.tok {
            Tok::Punct("(") | Tok::Punct("[") => depth += 1,
            Tok::Punct(")") | Tok::Punct("]") => depth -= 1,
            Tok::Punct(",") if depth == 0 => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < toks.len() || !out.is_empty() {
        out.push(&toks[start..]);
    }
    out
}
