//! The one assembler engine every syntax drives: sections made of items, symbols, fix-ups,
//! layout with relaxation, and the listing and debug map built from the result.
//!
//! A front end parses its syntax and calls [`Engine::push`], [`Engine::define_label`],
//! [`Engine::define_value`]... Then [`Engine::layout`] fixes every address, and
//! [`Engine::resolved_fixups`] hands each fix-up with its value back to the ISA, which
//! patches bytes with [`Engine::patch`] or turns what cannot be finished into relocations.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use crate::diag::{Error, Loc, Result};
use crate::expr::{self, Expr, RelocBase, Scope, Value};
use crate::source::Sources;
use wb_machine::{DebugInfo, LineEntry, Symbol as DbgSymbol, SymbolTable};

/// How many layout rounds relaxation may take before we give up.
const MAX_LAYOUT_ROUNDS: usize = 64;
/// The largest section image we build (a wild `.org` or `.space` must not eat memory).
const MAX_IMAGE: u64 = 64 << 20;
/// How deep `.equ` definitions may refer to each other.
const MAX_EQU_DEPTH: usize = 64;

/// Produces padding bytes of a given length (code alignment uses the ISA's nops).
pub type FillFn = fn(usize) -> Vec<u8>;

/// An instruction whose size depends on how far its target is (RISC-V branches).
pub trait Relax: std::fmt::Debug {
    /// The target expression.
    fn target(&self) -> &Expr;
    /// Bytes needed when the target is `disp` bytes away (`None`: unknown or in another
    /// section, so a relocation will finish it).
    fn size(&self, disp: Option<i64>) -> usize;
    /// The final bytes, and fix-ups (offsets within these bytes) for what stays unresolved.
    fn encode(&self, disp: Option<i64>, size: usize) -> (Vec<u8>, Vec<Fixup>);
}

pub enum ItemKind {
    Bytes(Vec<u8>),
    /// `n` zero bytes (or, in a no-bits section, just space).
    Zeros(u64),
    Align { align: u64, fill: FillFn, max: Option<u64> },
    Relax { relax: Box<dyn Relax>, size: usize },
    /// Moves the location counter to an absolute offset within the section.
    Org(u64),
}

/// A hole in an item's bytes that an expression fills once addresses are known.
#[derive(Clone, Debug)]
pub struct Fixup {
    /// Offset within the item's bytes.
    pub offset: usize,
    /// ISA-defined meaning (which bits, pc-relative or not).
    pub kind: u32,
    pub expr: Expr,
    pub loc: Loc,
}

pub struct Item {
    pub kind: ItemKind,
    pub loc: Loc,
    pub fixups: Vec<Fixup>,
}

/// What a section holds, for ELF flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    Text,
    Data,
    ReadOnly,
    Bss,
}

pub struct Section {
    pub name: String,
    pub kind: SectionKind,
    /// The largest alignment requested in it.
    pub align: u64,
    /// Address of offset 0 for flat outputs (CHIP-8 0x200, Game Boy ROM 0).
    pub base: u64,
    /// Labels are absolute numbers (flat outputs) rather than section-relative.
    pub absolute: bool,
    pub items: Vec<Item>,
    /// Offset of each item, plus the end; valid after [`Engine::layout`] (estimates before).
    pub offsets: Vec<u64>,
    /// The final bytes, built by [`Engine::layout`].
    pub image: Vec<u8>,
    /// Padding appended to the end to reach the alignment (GNU as pads code sections).
    pub pad_end: Option<FillFn>,
    /// Index of the first relaxable item: labels after it may still move.
    pub first_relax: Option<usize>,
}

impl Section {
    pub fn size(&self) -> u64 {
        self.offsets.last().copied().unwrap_or(0)
    }
    pub fn offset_of(&self, item: usize) -> u64 {
        self.offsets.get(item).copied().unwrap_or_else(|| self.size())
    }
}

#[derive(Clone, Debug)]
pub enum SymDef {
    Label { sec: usize, item: usize },
    Expr(Expr),
    Value(Value),
}

#[derive(Clone, Debug)]
pub struct Symbol {
    pub def: Option<SymDef>,
    pub global: bool,
    pub loc: Loc,
    /// Set once by `.equ`-like definitions that may not change.
    pub fixed: bool,
}

/// A fix-up with the value its expression has after layout.
pub struct Resolved {
    pub sec: usize,
    /// Offset of the patched bytes within the section.
    pub at: u64,
    /// Offset of the statement (`.`) within the section.
    pub here: u64,
    pub fixup: Fixup,
    pub value: Result<Value>,
}

pub struct Engine<'a> {
    pub sources: Sources<'a>,
    pub sections: Vec<Section>,
    pub cur: usize,
    pub symbols: HashMap<String, Symbol>,
    /// Definition order, so outputs are deterministic.
    pub sym_order: Vec<String>,
    pub errors: Vec<Error>,
    /// Expressions use GNU as operator precedence (RISC-V) rather than C's.
    pub gnu_precedence: bool,
    /// The statement being assembled, for errors that carry no position of their own.
    pub stmt_loc: Loc,
    /// Symbols declared `.weak`.
    pub weak: HashSet<String>,
    /// Names never defined are external symbols (ELF output) rather than errors.
    pub undefined_is_extern: bool,
    numeric: HashMap<u64, u32>,
    depth: Cell<usize>,
}

impl<'a> Engine<'a> {
    pub fn new(sources: Sources<'a>) -> Self {
        Engine {
            sources,
            sections: Vec::new(),
            cur: 0,
            symbols: HashMap::new(),
            sym_order: Vec::new(),
            errors: Vec::new(),
            gnu_precedence: false,
            stmt_loc: Loc { file: 0, line: 1, col: 1 },
            weak: HashSet::new(),
            undefined_is_extern: false,
            numeric: HashMap::new(),
            depth: Cell::new(0),
        }
    }

    pub fn error(&mut self, mut e: Error) {
        // Errors from places that know no position (a bare number's division by zero)
        // point at the statement being assembled.
        if e.loc.line == 0 {
            e.loc = self.stmt_loc;
        }
        // A runaway input could produce an error per byte; a few hundred say enough.
        if self.errors.len() < 500 {
            self.errors.push(e);
        }
    }

    /// Switches to (creating if needed) the section `name`.
    pub fn section(&mut self, name: &str, kind: SectionKind) -> usize {
        if let Some(i) = self.sections.iter().position(|s| s.name == name) {
            self.cur = i;
            return i;
        }
        self.sections.push(Section {
            name: name.to_string(),
            kind,
            align: 1,
            base: 0,
            absolute: false,
            items: Vec::new(),
            offsets: vec![0],
            image: Vec::new(),
            pad_end: None,
            first_relax: None,
        });
        self.cur = self.sections.len() - 1;
        self.cur
    }

    pub fn cur_section(&mut self) -> &mut Section {
        if self.sections.is_empty() {
            self.section(".text", SectionKind::Text);
        }
        let i = self.cur.min(self.sections.len() - 1);
        &mut self.sections[i]
    }

    /// The current offset in the current section (an estimate until layout).
    pub fn here_offset(&mut self) -> u64 {
        self.cur_section().size()
    }

    /// Forgets everything emitted into the current section (Octo drops its reserved
    /// `jump main` when `main` comes first).
    pub fn clear_section(&mut self) {
        let sec = self.cur_section();
        sec.items.clear();
        sec.offsets = vec![0];
        sec.first_relax = None;
    }

    /// A byte already emitted at `offset` of section `sec` (before fix-ups), if any.
    pub fn peek_byte(&self, sec: usize, offset: u64) -> Option<u8> {
        let s = self.sections.get(sec)?;
        s.items.iter().enumerate().rev().find_map(|(i, item)| match &item.kind {
            ItemKind::Bytes(b) => {
                let start = s.offsets[i];
                offset.checked_sub(start).and_then(|k| b.get(k as usize).copied())
            }
            _ => None,
        })
    }

    /// Appends an item and updates the estimated offsets.
    pub fn push(&mut self, kind: ItemKind, loc: Loc, fixups: Vec<Fixup>) {
        let sec = self.cur_section();
        let start = sec.size();
        let (start, len) = match &kind {
            ItemKind::Bytes(b) => (start, b.len() as u64),
            ItemKind::Zeros(n) => (start, *n),
            ItemKind::Align { align, max, .. } => (start, align_pad(start, *align, *max)),
            ItemKind::Relax { size, .. } => (start, *size as u64),
            ItemKind::Org(to) => (*to, 0),
        };
        if let ItemKind::Align { align, .. } = &kind {
            sec.align = sec.align.max(*align);
        }
        if matches!(kind, ItemKind::Relax { .. }) && sec.first_relax.is_none() {
            sec.first_relax = Some(sec.items.len());
        }
        sec.items.push(Item { kind, loc, fixups });
        if let Some(last) = sec.offsets.last_mut() {
            *last = start;
        }
        sec.offsets.push(start.saturating_add(len));
    }

    pub fn bytes(&mut self, bytes: Vec<u8>, loc: Loc) {
        self.push(ItemKind::Bytes(bytes), loc, Vec::new());
    }

    pub fn bytes_fix(&mut self, bytes: Vec<u8>, loc: Loc, fixups: Vec<Fixup>) {
        self.push(ItemKind::Bytes(bytes), loc, fixups);
    }

    /// Defines `name` as a label at the current location.
    pub fn define_label(&mut self, name: &str, loc: Loc) {
        self.cur_section();
        let sec = self.cur;
        let item = self.sections[sec].items.len();
        self.define(name, SymDef::Label { sec, item }, loc, true);
    }

    /// Defines `name` as a value; `fixed` forbids later redefinition (`.equ` vs `.set`).
    pub fn define_expr(&mut self, name: &str, e: Expr, loc: Loc, fixed: bool) {
        // Fold now when the value cannot move (no labels) so `.set x, x+1` sees the old
        // value; anything involving labels waits for layout.
        let def = match self.const_fixed(&e) {
            Some(v) => SymDef::Value(Value::Const(v)),
            None => SymDef::Expr(e),
        };
        self.define(name, def, loc, fixed);
    }

    pub fn define_value(&mut self, name: &str, v: Value, loc: Loc, fixed: bool) {
        self.define(name, SymDef::Value(v), loc, fixed);
    }

    fn define(&mut self, name: &str, def: SymDef, loc: Loc, fixed: bool) {
        match self.symbols.get_mut(name) {
            Some(sym) if sym.def.is_some() && (sym.fixed || fixed) => {
                let first = sym.loc;
                self.error(Error::new(
                    loc,
                    format!(
                        "`{}` is already defined (at line {})",
                        expr::display_name(name),
                        first.line
                    ),
                ));
            }
            Some(sym) => {
                sym.def = Some(def);
                sym.loc = loc;
                sym.fixed = fixed;
            }
            None => {
                self.symbols
                    .insert(name.to_string(), Symbol { def: Some(def), global: false, loc, fixed });
                self.sym_order.push(name.to_string());
            }
        }
    }

    /// Marks `name` global (`.globl`), creating it undefined if needed.
    pub fn set_global(&mut self, name: &str, loc: Loc) {
        match self.symbols.get_mut(name) {
            Some(s) => s.global = true,
            None => {
                self.symbols
                    .insert(name.to_string(), Symbol { def: None, global: true, loc, fixed: false });
                self.sym_order.push(name.to_string());
            }
        }
    }

    /// The unique name for a new definition of numeric label `n` (`1:`).
    pub fn numeric_define(&mut self, n: u64) -> String {
        let c = self.numeric.entry(n).or_insert(0);
        *c += 1;
        format!("{n}\u{2}{c}")
    }

    /// The unique name `1b` (`forward == false`) or `1f` refers to right now.
    pub fn numeric_ref(&self, n: u64, forward: bool) -> String {
        let c = self.numeric.get(&n).copied().unwrap_or(0);
        format!("{n}\u{2}{}", if forward { c + 1 } else { c })
    }

    /// The value of a label: absolute in flat sections, section-relative otherwise.
    pub fn label_value(&self, sec: usize, item: usize) -> Value {
        let s = &self.sections[sec];
        let off = s.offset_of(item);
        if s.absolute {
            Value::Const(s.base.wrapping_add(off) as i64)
        } else {
            Value::Reloc { base: RelocBase::Section(sec), addend: off as i64 }
        }
    }

    /// Evaluates with `.` at the current location.
    pub fn eval_now(&self, e: &Expr) -> Result<Value> {
        expr::eval(e, &self.scope_here())
    }

    /// Evaluates to a constant now or reports why not.
    pub fn const_now(&self, e: &Expr) -> Result<i64> {
        self.eval_now(e)?
            .as_const()
            .ok_or_else(|| Error::new(expr::loc_of(e), "expression must be a constant here"))
    }

    pub fn scope_here(&self) -> EngineScope<'_, 'a> {
        let sec = self.cur.min(self.sections.len().saturating_sub(1));
        let item = self.sections.get(sec).map(|s| s.items.len()).unwrap_or(0);
        EngineScope { engine: self, sec, item, no_labels: false }
    }

    /// The value of `e` if it is a constant that no later layout change can move (it names
    /// no label and no `.`); `None` otherwise.
    pub fn const_fixed(&self, e: &Expr) -> Option<i64> {
        let scope = EngineScope { no_labels: true, ..self.scope_here() };
        expr::eval(e, &scope).ok()?.as_const()
    }

    /// Fixes every address: sizes relaxable items until nothing moves, then builds each
    /// section's image. Fix-ups are left for [`Engine::resolved_fixups`].
    pub fn layout(&mut self) {
        for round in 0..MAX_LAYOUT_ROUNDS {
            let mut changed = false;
            for si in 0..self.sections.len() {
                let mut off = 0u64;
                for ii in 0..self.sections[si].items.len() {
                    if let ItemKind::Org(to) = self.sections[si].items[ii].kind {
                        off = to;
                    }
                    self.sections[si].offsets[ii] = off;
                    let disp = match &self.sections[si].items[ii].kind {
                        ItemKind::Relax { relax, .. } => self.relax_disp(si, ii, relax.target()),
                        _ => None,
                    };
                    let item = &mut self.sections[si].items[ii];
                    let len = match &mut item.kind {
                        ItemKind::Bytes(b) => b.len() as u64,
                        ItemKind::Zeros(n) => *n,
                        ItemKind::Align { align, max, .. } => align_pad(off, *align, *max),
                        ItemKind::Relax { relax, size } => {
                            // Like GNU as, sizes may shrink as well as grow (alignment padding
                            // shrinks when code before it grows); past half the rounds only
                            // growth is allowed, so an oscillation still ends.
                            let want = relax.size(disp);
                            let want = if round < MAX_LAYOUT_ROUNDS / 2 { want } else { want.max(*size) };
                            if want != *size {
                                *size = want;
                                changed = true;
                            }
                            want as u64
                        }
                        ItemKind::Org(_) => 0,
                    };
                    off = off.saturating_add(len);
                }
                let n = self.sections[si].items.len();
                self.sections[si].offsets[n] = off;
            }
            if !changed {
                break;
            }
        }
        self.build_images();
    }

    /// Displacement from item `ii` to `target` when both are in section `si`.
    fn relax_disp(&self, si: usize, ii: usize, target: &Expr) -> Option<i64> {
        let scope = EngineScope { engine: self, sec: si, item: ii, no_labels: false };
        match expr::eval(target, &scope).ok()? {
            Value::Reloc { base: RelocBase::Section(s), addend } if s == si => {
                Some(addend.wrapping_sub(self.sections[si].offsets[ii] as i64))
            }
            Value::Const(c) if self.sections[si].absolute => {
                Some(c.wrapping_sub((self.sections[si].base + self.sections[si].offsets[ii]) as i64))
            }
            _ => None,
        }
    }

    fn build_images(&mut self) {
        for si in 0..self.sections.len() {
            // Relaxed items become bytes now that their size is settled.
            for ii in 0..self.sections[si].items.len() {
                let disp = match &self.sections[si].items[ii].kind {
                    ItemKind::Relax { relax, .. } => self.relax_disp(si, ii, relax.target()),
                    _ => continue,
                };
                let item = &mut self.sections[si].items[ii];
                if let ItemKind::Relax { relax, size } = &item.kind {
                    let (bytes, fixups) = relax.encode(disp, *size);
                    item.fixups.extend(fixups);
                    item.kind = ItemKind::Bytes(bytes);
                }
            }
            let sec = &mut self.sections[si];
            let mut end = sec.size();
            if let Some(pad) = sec.pad_end {
                let p = align_pad(end, sec.align, None);
                if p > 0 {
                    sec.items.push(Item { kind: ItemKind::Bytes(pad(p as usize)), loc: Loc::default(), fixups: vec![] });
                    sec.offsets.push(end + p);
                    end += p;
                }
            }
            if sec.kind == SectionKind::Bss {
                continue;
            }
            if end > MAX_IMAGE {
                let loc = sec.items.last().map(|i| i.loc).unwrap_or_default();
                let name = sec.name.clone();
                self.error(Error::new(loc, format!("section `{name}` is larger than {MAX_IMAGE} bytes")));
                continue;
            }
            let end = end as usize;
            let mut image = vec![0u8; end];
            let mut written = vec![false; end];
            let mut overlap = None;
            for (ii, item) in sec.items.iter().enumerate() {
                let off = sec.offsets[ii] as usize;
                let data: Vec<u8> = match &item.kind {
                    ItemKind::Bytes(b) => b.clone(),
                    ItemKind::Align { align, fill, max } => {
                        let n = align_pad(off as u64, *align, *max) as usize;
                        fill(n)
                    }
                    ItemKind::Zeros(n) => vec![0; (*n).min(MAX_IMAGE) as usize],
                    _ => Vec::new(),
                };
                for (k, b) in data.iter().enumerate() {
                    let Some(slot) = image.get_mut(off + k) else { break };
                    if written[off + k] && overlap.is_none() {
                        overlap = Some((item.loc, off + k));
                    }
                    *slot = *b;
                    written[off + k] = true;
                }
            }
            sec.image = image;
            if let Some((loc, at)) = overlap {
                let addr = sec.base + at as u64;
                self.error(Error::new(loc, format!("data overlap at address {addr:#x}")));
            }
        }
    }

    /// Every fix-up with its value, in section order.
    pub fn resolved_fixups(&self) -> Vec<Resolved> {
        let mut out = Vec::new();
        for (si, sec) in self.sections.iter().enumerate() {
            for (ii, item) in sec.items.iter().enumerate() {
                let here = sec.offsets[ii];
                for f in &item.fixups {
                    let scope = EngineScope { engine: self, sec: si, item: ii, no_labels: false };
                    out.push(Resolved {
                        sec: si,
                        at: here + f.offset as u64,
                        here,
                        fixup: f.clone(),
                        value: expr::eval(&f.expr, &scope).map_err(|e| {
                            if e.loc.line == 0 { Error::new(f.loc, e.message) } else { e }
                        }),
                    });
                }
            }
        }
        out
    }

    /// Overwrites bytes of a section's image (little or big endian is the caller's choice).
    pub fn patch(&mut self, sec: usize, at: u64, bytes: &[u8]) {
        if let Some(s) = self.sections.get_mut(sec) {
            let at = at as usize;
            if let Some(dst) = s.image.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
        }
    }

    pub fn read(&self, sec: usize, at: u64, len: usize) -> Vec<u8> {
        let at = at as usize;
        self.sections
            .get(sec)
            .and_then(|s| s.image.get(at..at + len))
            .map(<[u8]>::to_vec)
            .unwrap_or_else(|| vec![0; len])
    }

    /// Symbols and the line map, given where each section was loaded.
    pub fn debug_info(&self, base_of: &dyn Fn(usize) -> u64) -> DebugInfo {
        let mut symbols = Vec::new();
        for name in &self.sym_order {
            let Some(sym) = self.symbols.get(name) else { continue };
            if name.contains('\u{2}') || name.starts_with(".L") {
                continue;
            }
            if let Some(SymDef::Label { sec, item }) = sym.def {
                let addr = base_of(sec) + self.sections[sec].offset_of(item);
                symbols.push(DbgSymbol { name: name.clone(), addr, size: 0 });
            }
        }
        let mut lines = Vec::new();
        for (si, sec) in self.sections.iter().enumerate() {
            if sec.kind == SectionKind::Bss {
                continue;
            }
            let mut last = None;
            for (ii, item) in sec.items.iter().enumerate() {
                let len = sec.offsets[ii + 1].saturating_sub(sec.offsets[ii]);
                if len == 0 || item.loc.line == 0 {
                    continue;
                }
                let key = (item.loc.file, item.loc.line);
                if last == Some(key) {
                    continue;
                }
                last = Some(key);
                lines.push(LineEntry {
                    addr: base_of(si) + sec.offsets[ii],
                    file: item.loc.file,
                    line: item.loc.line,
                });
            }
        }
        DebugInfo::new(SymbolTable::new(symbols), self.sources.names.clone(), lines)
    }

    /// A listing: address, bytes and source text of every line that produced bytes.
    pub fn listing(&self, base_of: &dyn Fn(usize) -> u64) -> String {
        let mut out = String::new();
        for (si, sec) in self.sections.iter().enumerate() {
            out.push_str(&format!("; section {}\n", sec.name));
            let mut ii = 0;
            while ii < sec.items.len() {
                let loc = sec.items[ii].loc;
                let start = sec.offsets[ii];
                let mut jj = ii + 1;
                while jj < sec.items.len() && sec.items[jj].loc == loc {
                    jj += 1;
                }
                let end = sec.offsets[jj];
                ii = jj;
                if end <= start || loc.line == 0 {
                    continue;
                }
                let bytes: Vec<u8> = if sec.kind == SectionKind::Bss {
                    Vec::new()
                } else {
                    sec.image.get(start as usize..end as usize).map(<[u8]>::to_vec).unwrap_or_default()
                };
                let text = self.sources.line_text(loc).trim_end();
                let mut chunks = bytes.chunks(8);
                let first: String =
                    chunks.next().unwrap_or(&[]).iter().map(|b| format!("{b:02X} ")).collect();
                let file = self.sources.names.get(loc.file as usize).map(String::as_str).unwrap_or("?");
                out.push_str(&format!(
                    "{:08X}  {:<24} {}:{:<5} {}\n",
                    base_of(si) + start,
                    first,
                    file,
                    loc.line,
                    text
                ));
                for (k, chunk) in chunks.enumerate() {
                    let hex: String = chunk.iter().map(|b| format!("{b:02X} ")).collect();
                    out.push_str(&format!("{:08X}  {hex}\n", base_of(si) + start + 8 * (k as u64 + 1)));
                }
            }
        }
        out
    }
}

/// Padding needed to bring `off` to a multiple of `align` (0 if above `max`).
pub fn align_pad(off: u64, align: u64, max: Option<u64>) -> u64 {
    if align <= 1 {
        return 0;
    }
    let pad = (align - off % align) % align;
    match max {
        Some(m) if pad > m => 0,
        _ => pad,
    }
}

/// Evaluation context: symbols of an engine, `.` at one item.
pub struct EngineScope<'e, 'a> {
    pub engine: &'e Engine<'a>,
    pub sec: usize,
    pub item: usize,
    /// Refuse labels and `.` (see [`Engine::const_fixed`]).
    pub no_labels: bool,
}

impl Scope for EngineScope<'_, '_> {
    fn symbol(&self, name: &str, loc: Loc) -> Result<Option<Value>> {
        let Some(sym) = self.engine.symbols.get(name) else {
            if self.engine.undefined_is_extern && !name.contains('\u{2}') && !name.starts_with(".L") {
                return Ok(Some(Value::Reloc { base: RelocBase::Extern(name.to_string()), addend: 0 }));
            }
            return Ok(None);
        };
        match &sym.def {
            None => Ok(if sym.global { Some(Value::Reloc { base: RelocBase::Extern(name.to_string()), addend: 0 }) } else { None }),
            // A label is fixed once nothing before it in its section can still change size.
            Some(SymDef::Label { sec, item })
                if self.no_labels && self.engine.sections[*sec].first_relax.is_some_and(|r| r < *item) =>
            {
                Err(Error::new(loc, "value depends on a label that may still move"))
            }
            Some(SymDef::Value(Value::Reloc { .. })) if self.no_labels => {
                Err(Error::new(loc, "value depends on a label"))
            }
            Some(SymDef::Label { sec, item }) => Ok(Some(self.engine.label_value(*sec, *item))),
            Some(SymDef::Value(v)) => Ok(Some(v.clone())),
            Some(SymDef::Expr(e)) => {
                let d = self.engine.depth.get();
                if d >= MAX_EQU_DEPTH {
                    return Err(Error::new(loc, format!("`{name}` is defined in terms of itself")));
                }
                self.engine.depth.set(d + 1);
                let v = expr::eval(e, self);
                self.engine.depth.set(d);
                v.map(Some)
            }
        }
    }

    fn here(&self, loc: Loc) -> Result<Value> {
        if self.no_labels {
            return Err(Error::new(loc, "value depends on the location counter"));
        }
        if self.engine.sections.is_empty() {
            return Ok(Value::Reloc { base: RelocBase::Section(0), addend: 0 });
        }
        Ok(self.engine.label_value(self.sec, self.item))
    }
}
