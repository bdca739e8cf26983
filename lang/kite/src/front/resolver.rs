//! The resolver: binds every name to a frame slot, a captured cell, a global or a built-in,
//! sizes every frame, and decides which locals live in cells because a closure captures them.

use std::collections::{HashMap, HashSet};

use super::ast::*;
use super::diagnostic::Diagnostic;

/// Most slots one frame may use (the VM needs 8-bit registers, with room for temporaries).
pub const MAX_SLOTS: usize = 200;

/// Resolve `program` in place. `globals` holds the top-level names known so far (by index)
/// and grows with this program's (the REPL keeps it between lines). `natives` are the
/// built-in names, by index.
pub fn resolve(
    program: &mut Program,
    globals: &mut Vec<String>,
    natives: &[&str],
) -> Vec<Diagnostic> {
    let mut r = Resolver {
        globals: globals
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect(),
        global_names: std::mem::take(globals),
        natives: natives
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), i as u16))
            .collect(),
        funcs: Vec::new(),
        next_decl: 0,
        captured: HashSet::new(),
        diags: Vec::new(),
    };
    // Top-level names are visible everywhere, even before their declaration (mutual recursion).
    for stmt in &program.main.body {
        match &stmt.kind {
            StmtKind::Let(b, _) | StmtKind::Fn(b, _) => r.global(&b.name),
            _ => 0,
        };
    }
    r.funcs.push(FuncScope::new());
    r.block(&mut program.main.body, true);
    let scope = r.funcs.pop().unwrap_or_else(FuncScope::new);
    program.main.slots = scope.max_slots as u16;
    mark_boxed(&mut program.main, &r.captured);
    *globals = r.global_names;
    program.globals = globals.clone();
    r.diags
}

struct Local {
    name: String,
    slot: u16,
    decl: u32,
    depth: usize,
}

struct FuncScope {
    locals: Vec<Local>,
    depth: usize,
    next_slot: usize,
    max_slots: usize,
    captures: Vec<Capture>,
    /// Declaration id of each capture, to find it again.
    capture_decls: Vec<u32>,
    loops: usize,
}

impl FuncScope {
    fn new() -> FuncScope {
        FuncScope {
            locals: Vec::new(),
            depth: 0,
            next_slot: 0,
            max_slots: 0,
            captures: Vec::new(),
            capture_decls: Vec::new(),
            loops: 0,
        }
    }
}

struct Resolver {
    globals: HashMap<String, u32>,
    global_names: Vec<String>,
    natives: HashMap<String, u16>,
    funcs: Vec<FuncScope>,
    next_decl: u32,
    captured: HashSet<u32>,
    diags: Vec<Diagnostic>,
}

impl Resolver {
    fn global(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.globals.get(name) {
            return i;
        }
        let i = self.global_names.len() as u32;
        self.global_names.push(name.to_string());
        self.globals.insert(name.to_string(), i);
        i
    }

    fn func(&mut self) -> &mut FuncScope {
        let n = self.funcs.len() - 1;
        &mut self.funcs[n]
    }

    fn at_top_level(&self) -> bool {
        self.funcs.len() == 1 && self.funcs[0].depth == 0
    }

    /// Give `b` a slot in the current scope (or make it the global of that name at top level).
    fn declare(&mut self, b: &mut Binding) {
        if self.at_top_level() {
            b.res = Res::Global(self.global(&b.name));
            return;
        }
        let slot = self.alloc_slots(1, b.span);
        let decl = self.next_decl;
        self.next_decl += 1;
        b.decl = decl;
        b.res = Res::Local { slot, boxed: false };
        let f = self.func();
        let depth = f.depth;
        f.locals.push(Local {
            name: b.name.clone(),
            slot,
            decl,
            depth,
        });
    }

    fn alloc_slots(&mut self, n: usize, span: super::span::Span) -> u16 {
        let f = self.func();
        let slot = f.next_slot;
        f.next_slot += n;
        f.max_slots = f.max_slots.max(f.next_slot);
        if f.next_slot > MAX_SLOTS {
            f.next_slot = MAX_SLOTS;
            self.diags.push(Diagnostic::new(
                format!("too many local variables (more than {MAX_SLOTS})"),
                span,
            ));
            return 0;
        }
        slot as u16
    }

    fn begin_scope(&mut self) {
        self.func().depth += 1;
    }

    fn end_scope(&mut self) {
        let f = self.func();
        let depth = f.depth;
        while f.locals.last().is_some_and(|l| l.depth >= depth) {
            f.locals.pop();
        }
        f.next_slot = f.locals.last().map_or(0, |l| l.slot as usize + 1);
        f.depth -= 1;
    }

    fn lookup(&mut self, b: &mut Binding) {
        if let Some(res) = self.lookup_in(self.funcs.len() - 1, &b.name, &mut b.decl) {
            b.res = res;
        } else if let Some(&g) = self.globals.get(&b.name) {
            b.res = Res::Global(g);
        } else if let Some(&n) = self.natives.get(&b.name) {
            b.res = Res::Native(n);
        } else {
            self.diags.push(Diagnostic::new(
                format!("undefined variable '{}'", b.name),
                b.span,
            ));
        }
    }

    /// Find `name` as a local of function `fi` or something it can capture.
    fn lookup_in(&mut self, fi: usize, name: &str, decl: &mut u32) -> Option<Res> {
        if let Some(l) = self.funcs[fi].locals.iter().rev().find(|l| l.name == name) {
            *decl = l.decl;
            return Some(Res::Local {
                slot: l.slot,
                boxed: false,
            });
        }
        if fi == 0 {
            return None;
        }
        let capture = match self.lookup_in(fi - 1, name, decl)? {
            Res::Local { slot, .. } => {
                self.captured.insert(*decl);
                Capture::Local(slot)
            }
            Res::Upval(i) => Capture::Upval(i),
            other => return Some(other),
        };
        let f = &mut self.funcs[fi];
        let index = match f
            .captures
            .iter()
            .zip(&f.capture_decls)
            .position(|(c, d)| *c == capture && d == decl)
        {
            Some(i) => i,
            None => {
                f.captures.push(capture);
                f.capture_decls.push(*decl);
                f.captures.len() - 1
            }
        };
        Some(Res::Upval(index as u16))
    }

    fn block(&mut self, body: &mut [Stmt], keep_scope: bool) {
        if !keep_scope {
            self.begin_scope();
        }
        for stmt in body {
            self.stmt(stmt);
        }
        if !keep_scope {
            self.end_scope();
        }
    }

    fn stmt(&mut self, stmt: &mut Stmt) {
        match &mut stmt.kind {
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::Let(b, init) => {
                if let Some(init) = init {
                    self.expr(init);
                }
                self.declare(b);
            }
            StmtKind::Fn(b, func) => {
                self.declare(b);
                self.function(func);
            }
            StmtKind::Block(body) => self.block(body, false),
            StmtKind::If(cond, then, otherwise) => {
                self.expr(cond);
                self.block(then, false);
                if let Some(otherwise) = otherwise {
                    self.block(otherwise, false);
                }
            }
            StmtKind::While(cond, body) => {
                self.expr(cond);
                self.func().loops += 1;
                self.block(body, false);
                self.func().loops -= 1;
            }
            StmtKind::For(lp) => {
                match &mut lp.iter {
                    ForIter::Range(a, b) => {
                        self.expr(a);
                        self.expr(b);
                    }
                    ForIter::Each(e) => self.expr(e),
                }
                self.begin_scope();
                // Hidden loop state: two slots, kept below the loop variables, reserved as a
                // pseudo-local so that nested scopes never reuse them.
                let span = lp.var.span;
                lp.state_slot = self.alloc_slots(2, span);
                let decl = self.next_decl;
                self.next_decl += 1;
                let f = self.func();
                let depth = f.depth;
                f.locals.push(Local {
                    name: " loop".into(),
                    slot: lp.state_slot + 1,
                    decl,
                    depth,
                });
                self.declare(&mut lp.var);
                if let Some(second) = &mut lp.second {
                    self.declare(second);
                }
                self.func().loops += 1;
                self.block(&mut lp.body, false);
                self.func().loops -= 1;
                self.end_scope();
            }
            StmtKind::Return(value) => {
                if let Some(value) = value {
                    self.expr(value);
                }
            }
            StmtKind::Break | StmtKind::Continue => {
                if self.func().loops == 0 {
                    let what = if matches!(stmt.kind, StmtKind::Break) {
                        "break"
                    } else {
                        "continue"
                    };
                    self.diags.push(Diagnostic::new(
                        format!("'{what}' outside a loop"),
                        stmt.span,
                    ));
                }
            }
        }
    }

    fn function(&mut self, func: &mut Function) {
        self.funcs.push(FuncScope::new());
        self.begin_scope();
        for p in &mut func.params {
            self.declare(p);
        }
        self.block(&mut func.body, true);
        self.end_scope();
        let scope = self.funcs.pop().unwrap_or_else(FuncScope::new);
        func.slots = scope.max_slots as u16;
        func.captures = scope.captures;
    }

    fn expr(&mut self, e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Nil
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_) => {}
            ExprKind::Error => {}
            ExprKind::Var(b) => self.lookup(b),
            ExprKind::List(items) => items.iter_mut().for_each(|i| self.expr(i)),
            ExprKind::Map(entries) => {
                for (k, v) in entries {
                    self.expr(k);
                    self.expr(v);
                }
            }
            ExprKind::Fn(func) => self.function(func),
            ExprKind::Unary(_, a) => self.expr(a),
            ExprKind::Binary(_, a, b)
            | ExprKind::And(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::Index(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Assign(target, value) => {
                self.expr(value);
                self.expr(target);
            }
            ExprKind::Call(callee, args) => {
                self.expr(callee);
                args.iter_mut().for_each(|a| self.expr(a));
            }
        }
    }
}

/// Second pass: a local that some closure captures lives in a cell, at every use.
fn mark_boxed(func: &mut Function, captured: &HashSet<u32>) {
    let mut v = BoxMarker { captured };
    for p in &mut func.params {
        v.binding(p);
    }
    for s in &mut func.body {
        v.stmt(s);
    }
}

struct BoxMarker<'a> {
    captured: &'a HashSet<u32>,
}

impl BoxMarker<'_> {
    fn binding(&mut self, b: &mut Binding) {
        if let Res::Local { slot, .. } = b.res {
            b.res = Res::Local {
                slot,
                boxed: self.captured.contains(&b.decl),
            };
        }
    }

    fn stmt(&mut self, s: &mut Stmt) {
        match &mut s.kind {
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::Let(b, init) => {
                self.binding(b);
                if let Some(init) = init {
                    self.expr(init);
                }
            }
            StmtKind::Fn(b, f) => {
                self.binding(b);
                mark_boxed(f, self.captured);
            }
            StmtKind::Block(body) => body.iter_mut().for_each(|s| self.stmt(s)),
            StmtKind::If(c, t, e) => {
                self.expr(c);
                t.iter_mut().for_each(|s| self.stmt(s));
                if let Some(e) = e {
                    e.iter_mut().for_each(|s| self.stmt(s));
                }
            }
            StmtKind::While(c, body) => {
                self.expr(c);
                body.iter_mut().for_each(|s| self.stmt(s));
            }
            StmtKind::For(lp) => {
                match &mut lp.iter {
                    ForIter::Range(a, b) => {
                        self.expr(a);
                        self.expr(b);
                    }
                    ForIter::Each(e) => self.expr(e),
                }
                self.binding(&mut lp.var);
                if let Some(second) = &mut lp.second {
                    self.binding(second);
                }
                lp.body.iter_mut().for_each(|s| self.stmt(s));
            }
            StmtKind::Return(v) => {
                if let Some(v) = v {
                    self.expr(v);
                }
            }
            StmtKind::Break | StmtKind::Continue => {}
        }
    }

    fn expr(&mut self, e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Var(b) => self.binding(b),
            ExprKind::List(items) => items.iter_mut().for_each(|i| self.expr(i)),
            ExprKind::Map(entries) => {
                for (k, v) in entries {
                    self.expr(k);
                    self.expr(v);
                }
            }
            ExprKind::Fn(f) => mark_boxed(f, self.captured),
            ExprKind::Unary(_, a) => self.expr(a),
            ExprKind::Binary(_, a, b)
            | ExprKind::And(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::Index(a, b)
            | ExprKind::Assign(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Call(c, args) => {
                self.expr(c);
                args.iter_mut().for_each(|a| self.expr(a));
            }
            _ => {}
        }
    }
}
