//! The tree-walking interpreter: the reference semantics of Kite.
//!
//! It evaluates the resolved syntax tree directly. Every intermediate value lives on
//! `stack` (each `eval` pushes exactly one value), so the garbage collector can run at any
//! statement boundary with the stack, the globals and the frames as its precise roots.

use std::collections::HashMap;

use crate::error::{RuntimeError, TraceFrame};
use crate::front::ast::*;
use crate::front::span::Span;
use crate::runtime::heap::Obj;
use crate::runtime::limits::RunOutcome;
use crate::runtime::value::{GcRef, Value};
use crate::runtime::{MAX_FRAMES, Runtime, builtins, ops};

/// How a statement finished.
enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

/// A runtime error before its stack trace is attached.
struct Fault {
    message: String,
    span: Span,
    /// Set when the run was stopped from outside (budget, cancel) rather than failing.
    stop: Option<RunOutcome>,
}

type R<T> = Result<T, Fault>;

fn fault(message: impl Into<String>, span: Span) -> Fault {
    Fault {
        message: message.into(),
        span,
        stop: None,
    }
}

struct Frame {
    func: u32,
    base: usize,
    closure: Option<GcRef>,
    /// Where the caller called this frame.
    call_span: Span,
}

pub struct TreeInterp<'p> {
    pub rt: Runtime,
    funcs: Vec<&'p Function>,
    func_ids: HashMap<*const Function, u32>,
    stack: Vec<Value>,
    frames: Vec<Frame>,
}

impl<'p> TreeInterp<'p> {
    pub fn new(program: &'p Program, rt: Runtime) -> TreeInterp<'p> {
        let mut interp = TreeInterp {
            rt,
            funcs: Vec::new(),
            func_ids: HashMap::new(),
            stack: Vec::new(),
            frames: Vec::new(),
        };
        interp.collect_functions(&program.main);
        interp.rt.globals.resize(program.globals.len(), Value::Nil);
        interp
    }

    fn collect_functions(&mut self, f: &'p Function) {
        self.func_ids
            .insert(f as *const Function, self.funcs.len() as u32);
        self.funcs.push(f);
        let mut nested = Vec::new();
        for s in &f.body {
            nested_in_stmt(s, &mut nested);
        }
        for n in nested {
            self.collect_functions(n);
        }
    }

    /// Run the program's top level (until its end, an error, or a limit of `rt.gate`).
    pub fn run(&mut self, sink: &mut dyn std::io::Write) -> Result<RunOutcome, RuntimeError> {
        self.stack.clear();
        self.frames.clear();
        self.stack.push(Value::Nil);
        let main = self.funcs[0];
        self.stack.resize(1 + main.slots as usize, Value::Nil);
        self.frames.push(Frame {
            func: 0,
            base: 1,
            closure: None,
            call_span: main.span,
        });
        let result = self.block(&main.body, sink);
        self.rt.flush(sink, true);
        match result {
            Ok(_) => Ok(RunOutcome::Finished),
            Err(Fault {
                stop: Some(outcome),
                ..
            }) => Ok(outcome),
            Err(f) => Err(self.trace(f)),
        }
    }

    fn trace(&self, f: Fault) -> RuntimeError {
        let mut trace = Vec::new();
        let mut span = f.span;
        for frame in self.frames.iter().rev() {
            trace.push(TraceFrame {
                function: self.funcs[frame.func as usize].name.clone(),
                span,
            });
            span = frame.call_span;
        }
        RuntimeError {
            message: f.message,
            trace,
        }
    }

    fn safepoint(&mut self) {
        if self.rt.heap.wants_gc() {
            let closures = self.frames.iter().filter_map(|f| f.closure.map(Value::Obj));
            let roots = self
                .stack
                .iter()
                .copied()
                .chain(self.rt.globals.iter().copied())
                .chain(closures);
            let roots: Vec<Value> = roots.collect();
            self.rt.heap.collect(roots);
        }
    }

    /// Count one step (a call or a loop back-edge, as the VM counts them).
    #[inline]
    fn step(&mut self, span: Span) -> R<()> {
        match self.rt.gate.tick() {
            None => Ok(()),
            Some(outcome) => Err(Fault {
                message: String::new(),
                span,
                stop: Some(outcome),
            }),
        }
    }

    fn base(&self) -> usize {
        self.frames.last().map_or(0, |f| f.base)
    }

    fn pop(&mut self) -> Value {
        self.stack.pop().unwrap_or(Value::Nil)
    }

    fn block(&mut self, body: &[Stmt], sink: &mut dyn std::io::Write) -> R<Flow> {
        for s in body {
            match self.stmt(s, sink)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn stmt(&mut self, s: &Stmt, sink: &mut dyn std::io::Write) -> R<Flow> {
        self.safepoint();
        match &s.kind {
            StmtKind::Expr(e) => {
                self.eval(e, sink)?;
                self.pop();
            }
            StmtKind::Let(b, init) => {
                match init {
                    Some(e) => self.eval(e, sink)?,
                    None => self.stack.push(Value::Nil),
                }
                let v = self.pop();
                self.define(b, v);
            }
            StmtKind::Fn(b, func) => {
                if let Res::Local { boxed: true, .. } = b.res {
                    self.define(b, Value::Nil);
                    let closure = self.make_closure(func);
                    self.assign(b, closure);
                } else {
                    let closure = self.make_closure(func);
                    self.define(b, closure);
                }
            }
            StmtKind::Block(body) => return self.block(body, sink),
            StmtKind::If(cond, then, otherwise) => {
                self.eval(cond, sink)?;
                if self.pop().truthy() {
                    return self.block(then, sink);
                } else if let Some(otherwise) = otherwise {
                    return self.block(otherwise, sink);
                }
            }
            StmtKind::While(cond, body) => loop {
                self.eval(cond, sink)?;
                if !self.pop().truthy() {
                    break;
                }
                match self.block(body, sink)? {
                    Flow::Break => break,
                    Flow::Return(v) => return Ok(Flow::Return(v)),
                    Flow::Normal | Flow::Continue => {}
                }
                self.step(s.span)?;
                self.safepoint();
            },
            StmtKind::For(lp) => return self.for_loop(lp, sink),
            StmtKind::Return(value) => {
                match value {
                    Some(e) => self.eval(e, sink)?,
                    None => self.stack.push(Value::Nil),
                }
                return Ok(Flow::Return(self.pop()));
            }
            StmtKind::Break => return Ok(Flow::Break),
            StmtKind::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn for_loop(&mut self, lp: &ForLoop, sink: &mut dyn std::io::Write) -> R<Flow> {
        let state = self.base() + lp.state_slot as usize;
        match &lp.iter {
            ForIter::Range(a, b) => {
                self.eval(a, sink)?;
                self.eval(b, sink)?;
                let end = self.pop();
                let start = self.pop();
                let (Value::Int(mut i), Value::Int(end)) = (start, end) else {
                    let bad = if matches!(start, Value::Int(_)) {
                        end
                    } else {
                        start
                    };
                    let msg = format!(
                        "range bounds must be ints, not {}",
                        ops::type_name(&self.rt.heap, bad)
                    );
                    return Err(fault(msg, a.span.to(b.span)));
                };
                while i < end {
                    self.stack[state] = Value::Int(i);
                    self.define(&lp.var, Value::Int(i));
                    match self.block(&lp.body, sink)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Normal | Flow::Continue => {}
                    }
                    self.safepoint();
                    i += 1;
                    if i < end {
                        self.step(a.span)?;
                    }
                }
            }
            ForIter::Each(e) => {
                self.eval(e, sink)?;
                self.stack[state] = self.pop();
                self.stack[state + 1] = Value::Int(0);
                while let Value::Int(cursor) = self.stack[state + 1] {
                    let coll = self.stack[state];
                    let step = ops::iter_step(&mut self.rt.heap, coll, cursor, lp.second.is_some());
                    let Some((a, b, next)) = step.map_err(|m| fault(m, e.span))? else {
                        break;
                    };
                    self.step(e.span)?;
                    self.stack[state + 1] = Value::Int(next);
                    self.define(&lp.var, a);
                    if let Some(second) = &lp.second {
                        self.define(second, b);
                    }
                    match self.block(&lp.body, sink)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Normal | Flow::Continue => {}
                    }
                    self.safepoint();
                }
            }
        }
        Ok(Flow::Normal)
    }

    /// Initialise a declared variable (a fresh cell when it is captured).
    fn define(&mut self, b: &Binding, v: Value) {
        match b.res {
            Res::Local { slot, boxed } => {
                let v = if boxed {
                    Value::Obj(self.rt.heap.alloc(Obj::Cell(v)))
                } else {
                    v
                };
                let i = self.base() + slot as usize;
                self.stack[i] = v;
            }
            Res::Global(g) => self.rt.globals[g as usize] = v,
            _ => {}
        }
    }

    fn assign(&mut self, b: &Binding, v: Value) {
        match b.res {
            Res::Local { slot, boxed } => {
                let i = self.base() + slot as usize;
                if boxed {
                    self.set_cell(self.stack[i], v);
                } else {
                    self.stack[i] = v;
                }
            }
            Res::Upval(u) => {
                let cell = self.upval(u);
                self.set_cell(cell, v);
            }
            Res::Global(g) => self.rt.globals[g as usize] = v,
            Res::Native(_) | Res::Unresolved => {}
        }
    }

    fn upval(&self, u: u16) -> Value {
        let closure = self.frames.last().and_then(|f| f.closure);
        match closure.map(|c| self.rt.heap.get(c)) {
            Some(Obj::Closure { upvals, .. }) => upvals
                .get(u as usize)
                .map_or(Value::Nil, |&r| Value::Obj(r)),
            _ => Value::Nil,
        }
    }

    fn get_cell(&self, cell: Value) -> Value {
        match cell {
            Value::Obj(r) => match self.rt.heap.get(r) {
                Obj::Cell(v) => *v,
                _ => Value::Nil,
            },
            _ => Value::Nil,
        }
    }

    fn set_cell(&mut self, cell: Value, v: Value) {
        if let Value::Obj(r) = cell
            && let Obj::Cell(slot) = self.rt.heap.get_mut(r)
        {
            *slot = v;
        }
    }

    fn make_closure(&mut self, func: &Function) -> Value {
        let id = self
            .func_ids
            .get(&(func as *const Function))
            .copied()
            .unwrap_or(0);
        let base = self.base();
        let upvals: Vec<GcRef> = func
            .captures
            .iter()
            .filter_map(|c| match *c {
                Capture::Local(slot) => match self.stack[base + slot as usize] {
                    Value::Obj(r) => Some(r),
                    _ => None,
                },
                Capture::Upval(u) => match self.upval(u) {
                    Value::Obj(r) => Some(r),
                    _ => None,
                },
            })
            .collect();
        Value::Obj(self.rt.heap.alloc(Obj::Closure {
            func: id,
            upvals: upvals.into_boxed_slice(),
        }))
    }

    /// Evaluate `e` and push its value.
    fn eval(&mut self, e: &Expr, sink: &mut dyn std::io::Write) -> R<()> {
        let v = match &e.kind {
            ExprKind::Nil | ExprKind::Error => Value::Nil,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Str(s) => self.rt.heap.str_value(s),
            ExprKind::Var(b) => match b.res {
                Res::Local { slot, boxed } => {
                    let v = self.stack[self.base() + slot as usize];
                    if boxed { self.get_cell(v) } else { v }
                }
                Res::Upval(u) => self.get_cell(self.upval(u)),
                Res::Global(g) => self.rt.globals[g as usize],
                Res::Native(n) => Value::Native(n),
                Res::Unresolved => Value::Nil,
            },
            ExprKind::List(items) => {
                let start = self.stack.len();
                for item in items {
                    self.eval(item, sink)?;
                }
                let values = self.stack.split_off(start);
                Value::Obj(self.rt.heap.alloc(Obj::List(values)))
            }
            ExprKind::Map(entries) => {
                let map = builtins::new_map(&mut self.rt.heap);
                self.stack.push(map);
                for (k, v) in entries {
                    self.eval(k, sink)?;
                    self.eval(v, sink)?;
                    let value = self.pop();
                    let key = self.pop();
                    ops::index_set(&mut self.rt.heap, map, key, value)
                        .map_err(|m| fault(m, k.span))?;
                }
                self.pop()
            }
            ExprKind::Fn(func) => self.make_closure(func),
            ExprKind::Unary(op, a) => {
                self.eval(a, sink)?;
                let v = self.pop();
                match op {
                    UnOp::Neg => ops::negate(&self.rt.heap, v).map_err(|m| fault(m, e.span))?,
                    UnOp::Not => Value::Bool(!v.truthy()),
                }
            }
            ExprKind::Binary(op, a, b) => {
                self.eval(a, sink)?;
                self.eval(b, sink)?;
                let r = self.pop();
                let l = self.pop();
                ops::binary(&mut self.rt.heap, *op, l, r).map_err(|m| fault(m, e.span))?
            }
            ExprKind::And(a, b) => {
                self.eval(a, sink)?;
                if !self.stack.last().is_some_and(|v| v.truthy()) {
                    return Ok(());
                }
                self.pop();
                return self.eval(b, sink);
            }
            ExprKind::Or(a, b) => {
                self.eval(a, sink)?;
                if self.stack.last().is_some_and(|v| v.truthy()) {
                    return Ok(());
                }
                self.pop();
                return self.eval(b, sink);
            }
            ExprKind::Index(obj, index) => {
                self.eval(obj, sink)?;
                self.eval(index, sink)?;
                let i = self.pop();
                let o = self.pop();
                ops::index_get(&mut self.rt.heap, o, i).map_err(|m| fault(m, e.span))?
            }
            ExprKind::Assign(target, value) => match &target.kind {
                ExprKind::Var(b) => {
                    self.eval(value, sink)?;
                    let v = *self.stack.last().unwrap_or(&Value::Nil);
                    self.assign(b, v);
                    return Ok(());
                }
                ExprKind::Index(obj, index) => {
                    self.eval(obj, sink)?;
                    self.eval(index, sink)?;
                    self.eval(value, sink)?;
                    let v = self.pop();
                    let i = self.pop();
                    let o = self.pop();
                    ops::index_set(&mut self.rt.heap, o, i, v).map_err(|m| fault(m, e.span))?;
                    v
                }
                _ => Value::Nil,
            },
            ExprKind::Call(callee, args) => {
                self.eval(callee, sink)?;
                for a in args {
                    self.eval(a, sink)?;
                }
                return self.call(args.len(), e.span, sink);
            }
        };
        self.stack.push(v);
        Ok(())
    }

    /// Call the value below the top `nargs` values; replace them all with the result.
    fn call(&mut self, nargs: usize, span: Span, sink: &mut dyn std::io::Write) -> R<()> {
        let callee_at = self.stack.len() - nargs - 1;
        let callee = self.stack[callee_at];
        let result = match callee {
            Value::Native(n) => {
                let r = self
                    .rt
                    .call_native(n, &self.stack[callee_at + 1..])
                    .map_err(|m| fault(m, span))?;
                self.rt.flush(sink, false);
                r
            }
            Value::Obj(r) => {
                let Obj::Closure { func, .. } = self.rt.heap.get(r) else {
                    return Err(fault(
                        format!("cannot call {}", ops::type_name(&self.rt.heap, callee)),
                        span,
                    ));
                };
                let func = *func;
                let f = self.funcs[func as usize];
                if f.params.len() != nargs {
                    return Err(fault(arity_message(&f.name, f.params.len(), nargs), span));
                }
                if self.frames.len() >= MAX_FRAMES {
                    return Err(fault("stack overflow", span));
                }
                self.step(span)?;
                let base = callee_at + 1;
                self.stack.resize(base + f.slots as usize, Value::Nil);
                self.frames.push(Frame {
                    func,
                    base,
                    closure: Some(r),
                    call_span: span,
                });
                for p in &f.params {
                    if let Res::Local { slot, boxed: true } = p.res {
                        let v = self.stack[base + slot as usize];
                        self.define(p, v);
                    }
                }
                // Deep (bounded) recursion must not overflow the host stack.
                let flow =
                    stacker::maybe_grow(256 * 1024, 8 * 1024 * 1024, || self.block(&f.body, sink))?;
                self.frames.pop();
                match flow {
                    Flow::Return(v) => v,
                    _ => Value::Nil,
                }
            }
            _ => {
                return Err(fault(
                    format!("cannot call {}", ops::type_name(&self.rt.heap, callee)),
                    span,
                ));
            }
        };
        self.stack.truncate(callee_at);
        self.stack.push(result);
        Ok(())
    }
}

/// The message for a call with the wrong number of arguments (shared with the VM).
pub fn arity_message(name: &str, want: usize, got: usize) -> String {
    let s = if want == 1 { "" } else { "s" };
    format!("{name}() takes {want} argument{s}, got {got}")
}

/// Function literals and declarations directly inside `s` (not inside nested functions).
fn nested_in_stmt<'p>(s: &'p Stmt, out: &mut Vec<&'p Function>) {
    match &s.kind {
        StmtKind::Expr(e) => nested_in_expr(e, out),
        StmtKind::Let(_, init) => {
            if let Some(e) = init {
                nested_in_expr(e, out);
            }
        }
        StmtKind::Fn(_, f) => out.push(f),
        StmtKind::Block(body) => body.iter().for_each(|s| nested_in_stmt(s, out)),
        StmtKind::If(c, t, e) => {
            nested_in_expr(c, out);
            t.iter().for_each(|s| nested_in_stmt(s, out));
            if let Some(e) = e {
                e.iter().for_each(|s| nested_in_stmt(s, out));
            }
        }
        StmtKind::While(c, body) => {
            nested_in_expr(c, out);
            body.iter().for_each(|s| nested_in_stmt(s, out));
        }
        StmtKind::For(lp) => {
            match &lp.iter {
                ForIter::Range(a, b) => {
                    nested_in_expr(a, out);
                    nested_in_expr(b, out);
                }
                ForIter::Each(e) => nested_in_expr(e, out),
            }
            lp.body.iter().for_each(|s| nested_in_stmt(s, out));
        }
        StmtKind::Return(v) => {
            if let Some(e) = v {
                nested_in_expr(e, out);
            }
        }
        StmtKind::Break | StmtKind::Continue => {}
    }
}

fn nested_in_expr<'p>(e: &'p Expr, out: &mut Vec<&'p Function>) {
    match &e.kind {
        ExprKind::Fn(f) => out.push(f),
        ExprKind::List(items) => items.iter().for_each(|i| nested_in_expr(i, out)),
        ExprKind::Map(entries) => {
            for (k, v) in entries {
                nested_in_expr(k, out);
                nested_in_expr(v, out);
            }
        }
        ExprKind::Unary(_, a) => nested_in_expr(a, out),
        ExprKind::Binary(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::Index(a, b)
        | ExprKind::Assign(a, b) => {
            nested_in_expr(a, out);
            nested_in_expr(b, out);
        }
        ExprKind::Call(c, args) => {
            nested_in_expr(c, out);
            args.iter().for_each(|a| nested_in_expr(a, out));
        }
        _ => {}
    }
}
