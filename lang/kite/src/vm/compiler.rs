//! The bytecode compiler: resolved syntax tree to register-machine [`Proto`]s.
//!
//! Locals live in the registers the resolver gave them (`0..slots`); temporaries are
//! allocated above them in stack order. Every instruction records the span of the
//! expression it belongs to, so runtime errors point at the same place as the tree-walker's.

use std::sync::Arc;

use super::bytecode::{Op, Proto, Reg};
use crate::front::ast::*;
use crate::front::diagnostic::Diagnostic;
use crate::front::span::Span;
use crate::runtime::heap::Heap;
use crate::runtime::ops::FastMod;
use crate::runtime::value::Value;

/// Registers per frame (8-bit operands).
const MAX_REGS: usize = 250;
/// Elements per `NewList`/`Append` instruction.
const LIST_CHUNK: usize = 64;

/// A compiled program: function 0 is the top level.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub protos: Vec<Arc<Proto>>,
    pub globals: Vec<String>,
}

/// Compile a resolved program. String constants are interned (pinned) in `heap`.
/// `first_addr` is where its bytecode starts in the flat address space.
pub fn compile(
    program: &Program,
    heap: &mut Heap,
    first_proto: usize,
) -> Result<Compiled, Vec<Diagnostic>> {
    let mut c = Compiler {
        heap,
        protos: Vec::new(),
        first_proto,
    };
    c.protos.push(None);
    match c.function(&program.main) {
        Ok(main) => c.protos[0] = Some(main),
        Err(d) => return Err(vec![d]),
    }
    for p in c.protos.iter().flatten() {
        if let Err(e) = super::verify::verify(p) {
            return Err(vec![Diagnostic::new(
                format!("internal compiler error: {e}"),
                program.main.span,
            )]);
        }
    }
    let mut protos: Vec<Arc<Proto>> = c.protos.into_iter().flatten().map(Arc::new).collect();
    let mut addr = 0;
    for p in &mut protos {
        if let Some(p) = Arc::get_mut(p) {
            p.addr = addr;
            addr += p.code.len() as u64;
        }
    }
    Ok(Compiled {
        protos,
        globals: program.globals.clone(),
    })
}

struct Compiler<'h> {
    heap: &'h mut Heap,
    protos: Vec<Option<Proto>>,
    /// Index of this program's first function in the VM's table (the REPL appends).
    first_proto: usize,
}

type CResult<T> = Result<T, Diagnostic>;

struct LoopCtx {
    breaks: Vec<usize>,
    continues: Vec<usize>,
}

struct FnState {
    proto: Proto,
    top: usize,
    /// Registers below this hold locals (the resolver's slots).
    locals: usize,
    /// A conditional branch spans more than an `i16` offset.
    too_far: bool,
    loops: Vec<LoopCtx>,
}

/// Expressions that write their destination register only after reading every operand,
/// so `x = <expr>` may target `x`'s register directly.
fn writes_dst_last(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Nil
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Var(_)
            | ExprKind::Unary(..)
            | ExprKind::Index(..)
            | ExprKind::Call(..)
            | ExprKind::Fn(_)
    ) || matches!(&e.kind, ExprKind::Binary(op, ..) if matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod))
}

impl Compiler<'_> {
    fn function(&mut self, f: &Function) -> CResult<Proto> {
        let proto = Proto {
            name: f.name.clone(),
            arity: f.params.len() as u8,
            max_regs: f.slots,
            code: Vec::new(),
            spans: Vec::new(),
            consts: Vec::new(),
            divisors: Vec::new(),
            captures: f.captures.clone(),
            boxed_params: f
                .params
                .iter()
                .filter_map(|p| match p.res {
                    Res::Local { slot, boxed: true } => Some(slot as Reg),
                    _ => None,
                })
                .collect(),
            addr: 0,
        };
        let mut st = FnState {
            proto,
            top: f.slots as usize,
            locals: f.slots as usize,
            too_far: false,
            loops: Vec::new(),
        };
        for s in &f.body {
            self.stmt(&mut st, s)?;
        }
        st.emit(Op::ReturnNil, f.span);
        if st.too_far {
            return Err(Diagnostic::new(
                "function is too large (a condition's branch spans more than 32767 instructions)",
                f.span,
            ));
        }
        st.proto.max_regs = st.proto.max_regs.max(st.top as u16);
        Ok(st.proto)
    }

    fn stmt(&mut self, st: &mut FnState, s: &Stmt) -> CResult<()> {
        let top = st.top;
        match &s.kind {
            StmtKind::Expr(e) => match &e.kind {
                ExprKind::Assign(target, value) => self.assign(st, target, value, e.span, None)?,
                _ => {
                    let t = st.alloc(e.span)?;
                    self.expr(st, e, t)?;
                }
            },
            StmtKind::Let(b, init) => {
                let nil = Expr {
                    kind: ExprKind::Nil,
                    span: b.span,
                };
                let init = init.as_ref().unwrap_or(&nil);
                match b.res {
                    Res::Local { slot, boxed } => {
                        self.expr(st, init, slot as Reg)?;
                        if boxed {
                            st.emit(Op::NewCell { a: slot as Reg }, b.span);
                        }
                    }
                    Res::Global(g) => {
                        let r = self.expr_any(st, init)?;
                        st.emit(Op::SetGlobal { a: r, g }, b.span);
                    }
                    _ => {}
                }
            }
            StmtKind::Fn(b, func) => {
                let f = self.child(func)?;
                match b.res {
                    Res::Local { slot, boxed: true } => {
                        let slot = slot as Reg;
                        st.emit(Op::LoadNil { a: slot }, b.span);
                        st.emit(Op::NewCell { a: slot }, b.span);
                        let t = st.alloc(b.span)?;
                        st.emit(Op::Closure { a: t, f }, b.span);
                        st.emit(Op::SetCell { a: slot, b: t }, b.span);
                    }
                    Res::Local { slot, boxed: false } => {
                        st.emit(Op::Closure { a: slot as Reg, f }, b.span);
                    }
                    Res::Global(g) => {
                        let t = st.alloc(b.span)?;
                        st.emit(Op::Closure { a: t, f }, b.span);
                        st.emit(Op::SetGlobal { a: t, g }, b.span);
                    }
                    _ => {}
                }
            }
            StmtKind::Block(body) => {
                for s in body {
                    self.stmt(st, s)?;
                }
            }
            StmtKind::If(cond, then, otherwise) => {
                let to_else = self.jump_if_false(st, cond)?;
                for s in then {
                    self.stmt(st, s)?;
                }
                match otherwise {
                    Some(otherwise) => {
                        let to_end = st.emit_jump(s.span);
                        st.patch_here(&to_else);
                        for s in otherwise {
                            self.stmt(st, s)?;
                        }
                        st.patch_here(&[to_end]);
                    }
                    None => st.patch_here(&to_else),
                }
            }
            StmtKind::While(cond, body) => {
                let start = st.here();
                let exit = self.jump_if_false(st, cond)?;
                st.loops.push(LoopCtx {
                    breaks: Vec::new(),
                    continues: Vec::new(),
                });
                for s in body {
                    self.stmt(st, s)?;
                }
                let back = st.emit_jump(s.span);
                st.patch_to(back, start);
                let lp = st.loops.pop().unwrap_or(LoopCtx {
                    breaks: Vec::new(),
                    continues: Vec::new(),
                });
                for c in lp.continues {
                    st.patch_to(c, start);
                }
                st.patch_here(&exit);
                st.patch_here(&lp.breaks);
            }
            StmtKind::For(lp) => self.for_loop(st, lp, s.span)?,
            StmtKind::Return(value) => match value {
                Some(e) => {
                    let r = self.expr_any(st, e)?;
                    st.emit(Op::Return { a: r }, s.span);
                }
                None => {
                    st.emit(Op::ReturnNil, s.span);
                }
            },
            StmtKind::Break => {
                let j = st.emit_jump(s.span);
                if let Some(lp) = st.loops.last_mut() {
                    lp.breaks.push(j);
                }
            }
            StmtKind::Continue => {
                let j = st.emit_jump(s.span);
                if let Some(lp) = st.loops.last_mut() {
                    lp.continues.push(j);
                }
            }
        }
        st.top = top;
        Ok(())
    }

    fn for_loop(&mut self, st: &mut FnState, lp: &ForLoop, span: Span) -> CResult<()> {
        let s = lp.state_slot as Reg;
        let boxed_vars: Vec<Reg> = [Some(&lp.var), lp.second.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|b| match b.res {
                Res::Local { slot, boxed: true } => Some(slot as Reg),
                _ => None,
            })
            .collect();
        st.loops.push(LoopCtx {
            breaks: Vec::new(),
            continues: Vec::new(),
        });
        match &lp.iter {
            ForIter::Range(a, b) => {
                self.expr(st, a, s)?;
                self.expr(st, b, s + 1)?;
                let prep = st.emit(Op::ForPrep { a: s, off: 0 }, a.span.to(b.span));
                let body = st.here();
                for &r in &boxed_vars {
                    st.emit(Op::NewCell { a: r }, lp.var.span);
                }
                for stmt in &lp.body {
                    self.stmt(st, stmt)?;
                }
                let next = st.here();
                let ctx = st.loops.pop().unwrap_or(LoopCtx {
                    breaks: Vec::new(),
                    continues: Vec::new(),
                });
                for c in ctx.continues {
                    st.patch_to(c, next);
                }
                let back = st.emit(Op::ForLoop { a: s, off: 0 }, span);
                st.patch_to(back, body);
                st.patch_here(&[prep]);
                st.patch_here(&ctx.breaks);
            }
            ForIter::Each(e) => {
                self.expr(st, e, s)?;
                st.emit(Op::LoadInt { a: s + 1, v: 0 }, e.span);
                let to_next = st.emit_jump(e.span);
                let body = st.here();
                for &r in &boxed_vars {
                    st.emit(Op::NewCell { a: r }, lp.var.span);
                }
                for stmt in &lp.body {
                    self.stmt(st, stmt)?;
                }
                let next = st.here();
                let ctx = st.loops.pop().unwrap_or(LoopCtx {
                    breaks: Vec::new(),
                    continues: Vec::new(),
                });
                for c in ctx.continues.into_iter().chain([to_next]) {
                    st.patch_to(c, next);
                }
                let back = st.emit(
                    Op::IterNext {
                        a: s,
                        two: lp.second.is_some(),
                        off: 0,
                    },
                    e.span,
                );
                st.patch_to(back, body);
                st.patch_here(&ctx.breaks);
            }
        }
        Ok(())
    }

    /// Compile a nested function; returns its index in the VM's function table.
    fn child(&mut self, f: &Function) -> CResult<u32> {
        let slot = self.protos.len();
        self.protos.push(None);
        let proto = self.function(f)?;
        self.protos[slot] = Some(proto);
        Ok((self.first_proto + slot) as u32)
    }

    /// Evaluate `e` into some register: a plain local's own register, or a new temporary.
    fn expr_any(&mut self, st: &mut FnState, e: &Expr) -> CResult<Reg> {
        if let ExprKind::Var(Binding {
            res: Res::Local { slot, boxed: false },
            ..
        }) = e.kind
        {
            return Ok(slot as Reg);
        }
        let t = st.alloc(e.span)?;
        self.expr(st, e, t)?;
        Ok(t)
    }

    /// Like [`Compiler::expr_any`] for an operand evaluated before `later` ones: a plain
    /// local that a later operand assigns is copied first, so the operator sees the value it
    /// had when it was evaluated (left to right, as the tree-walker does).
    fn operand(&mut self, st: &mut FnState, e: &Expr, later: &[&Expr]) -> CResult<Reg> {
        if let ExprKind::Var(Binding {
            res: Res::Local { slot, boxed: false },
            ..
        }) = e.kind
            && later.iter().any(|l| assigns_local(l, slot))
        {
            let t = st.alloc(e.span)?;
            self.expr(st, e, t)?;
            return Ok(t);
        }
        self.expr_any(st, e)
    }

    fn constant(&mut self, st: &mut FnState, v: Value, span: Span) -> CResult<u32> {
        let found = st.proto.consts.iter().position(|&c| match (c, v) {
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Obj(a), Value::Obj(b)) => a == b,
            _ => false,
        });
        if let Some(i) = found {
            return Ok(i as u32);
        }
        if st.proto.consts.len() >= u16::MAX as usize {
            return Err(Diagnostic::new("too many constants in one function", span));
        }
        st.proto.consts.push(v);
        Ok(st.proto.consts.len() as u32 - 1)
    }

    fn string_const(&mut self, st: &mut FnState, s: &str, span: Span) -> CResult<u32> {
        let v = Value::Obj(self.heap.intern_pinned(s));
        self.constant(st, v, span)
    }

    /// A constant operand for arithmetic, when `e` is a number literal.
    fn number_const(&mut self, st: &mut FnState, e: &Expr) -> CResult<Option<u8>> {
        let v = match e.kind {
            ExprKind::Int(i) => Value::Int(i),
            ExprKind::Float(f) => Value::Float(f),
            _ => return Ok(None),
        };
        let k = self.constant(st, v, e.span)?;
        Ok(u8::try_from(k).ok())
    }

    fn expr(&mut self, st: &mut FnState, e: &Expr, dst: Reg) -> CResult<()> {
        let top = st.top;
        let span = e.span;
        match &e.kind {
            ExprKind::Nil | ExprKind::Error => {
                st.emit(Op::LoadNil { a: dst }, span);
            }
            ExprKind::Bool(v) => {
                st.emit(Op::LoadBool { a: dst, v: *v }, span);
            }
            ExprKind::Int(i) => match i32::try_from(*i) {
                Ok(v) => {
                    st.emit(Op::LoadInt { a: dst, v }, span);
                }
                Err(_) => {
                    let k = self.constant(st, Value::Int(*i), span)?;
                    st.emit(Op::LoadK { a: dst, k }, span);
                }
            },
            ExprKind::Float(f) => {
                let k = self.constant(st, Value::Float(*f), span)?;
                st.emit(Op::LoadK { a: dst, k }, span);
            }
            ExprKind::Str(s) => {
                let k = self.string_const(st, s, span)?;
                st.emit(Op::LoadK { a: dst, k }, span);
            }
            ExprKind::Var(b) => match b.res {
                Res::Local { slot, boxed: false } => {
                    if slot as Reg != dst {
                        st.emit(
                            Op::Move {
                                a: dst,
                                b: slot as Reg,
                            },
                            span,
                        );
                    }
                }
                Res::Local { slot, boxed: true } => {
                    st.emit(
                        Op::GetCell {
                            a: dst,
                            b: slot as Reg,
                        },
                        span,
                    );
                }
                Res::Upval(u) => {
                    st.emit(Op::GetUpval { a: dst, u }, span);
                }
                Res::Global(g) => {
                    st.emit(Op::GetGlobal { a: dst, g }, span);
                }
                Res::Native(n) => {
                    st.emit(Op::LoadNative { a: dst, n }, span);
                }
                Res::Unresolved => {
                    st.emit(Op::LoadNil { a: dst }, span);
                }
            },
            ExprKind::List(items) => {
                let t = st.alloc(span)?;
                for (chunk_no, chunk) in items.chunks(LIST_CHUNK).enumerate() {
                    let first = st.top as Reg;
                    for item in chunk {
                        let r = st.alloc(item.span)?;
                        self.expr(st, item, r)?;
                    }
                    let n = chunk.len() as u8;
                    if chunk_no == 0 {
                        st.emit(Op::NewList { a: t, b: first, n }, span);
                    } else {
                        st.emit(Op::Append { a: t, b: first, n }, span);
                    }
                    st.top = t as usize + 1;
                }
                if items.is_empty() {
                    st.emit(Op::NewList { a: t, b: t, n: 0 }, span);
                }
                st.emit(Op::Move { a: dst, b: t }, span);
            }
            ExprKind::Map(entries) => {
                let t = st.alloc(span)?;
                st.emit(Op::NewMap { a: t }, span);
                for (k, v) in entries {
                    let inner = st.top;
                    match &k.kind {
                        ExprKind::Str(s) => {
                            let kc = self.string_const(st, s, k.span)?;
                            let vr = self.expr_any(st, v)?;
                            st.emit(
                                Op::SetField {
                                    a: t,
                                    k: kc as u16,
                                    c: vr,
                                },
                                k.span,
                            );
                        }
                        _ => {
                            let kr = self.operand(st, k, &[v])?;
                            let vr = self.expr_any(st, v)?;
                            st.emit(Op::SetIndex { a: t, b: kr, c: vr }, k.span);
                        }
                    }
                    st.top = inner;
                }
                st.emit(Op::Move { a: dst, b: t }, span);
            }
            ExprKind::Fn(func) => {
                let f = self.child(func)?;
                st.emit(Op::Closure { a: dst, f }, span);
            }
            ExprKind::Unary(op, a) => {
                let r = self.expr_any(st, a)?;
                let op = match op {
                    UnOp::Neg => Op::Neg { a: dst, b: r },
                    UnOp::Not => Op::Not { a: dst, b: r },
                };
                st.emit(op, span);
            }
            ExprKind::Binary(op, l, r) => self.binary(st, *op, l, r, dst, span)?,
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let is_and = matches!(e.kind, ExprKind::And(..));
                let t = st.alloc(span)?;
                self.expr(st, a, t)?;
                let j = st.emit(
                    Op::Test {
                        a: t,
                        k: !is_and,
                        off: 0,
                    },
                    span,
                );
                self.expr(st, b, t)?;
                st.patch_here(&[j]);
                st.emit(Op::Move { a: dst, b: t }, span);
            }
            ExprKind::Index(obj, index) => {
                let o = self.operand(st, obj, &[index])?;
                match &index.kind {
                    ExprKind::Str(s) => {
                        let k = self.string_const(st, s, index.span)?;
                        st.emit(
                            Op::GetField {
                                a: dst,
                                b: o,
                                k: k as u16,
                            },
                            span,
                        );
                    }
                    _ => {
                        let i = self.expr_any(st, index)?;
                        st.emit(Op::GetIndex { a: dst, b: o, c: i }, span);
                    }
                }
            }
            ExprKind::Assign(target, value) => self.assign(st, target, value, span, Some(dst))?,
            ExprKind::Call(callee, args) => {
                // Call in place when `dst` is the newest temporary (nothing lives above it).
                let t = if dst as usize + 1 == st.top && dst as usize >= st.locals {
                    dst
                } else {
                    st.alloc(span)?
                };
                // A global callee whose arguments cannot assign it (no calls, no
                // assignments) is read by the call itself: one instruction fewer.
                let global = match callee.kind {
                    ExprKind::Var(Binding {
                        res: Res::Global(g),
                        ..
                    }) if !args.iter().any(may_run_code) => Some(g),
                    _ => None,
                };
                if global.is_none() {
                    self.expr(st, callee, t)?;
                }
                for a in args {
                    let r = st.alloc(a.span)?;
                    self.expr(st, a, r)?;
                }
                let n = args.len() as u8;
                match global {
                    Some(g) => st.emit(Op::CallG { a: t, n, g }, span),
                    None => st.emit(Op::Call { a: t, n }, span),
                };
                if t != dst {
                    st.emit(Op::Move { a: dst, b: t }, span);
                }
            }
        }
        st.top = top;
        Ok(())
    }

    fn binary(
        &mut self,
        st: &mut FnState,
        op: BinOp,
        l: &Expr,
        r: &Expr,
        dst: Reg,
        span: Span,
    ) -> CResult<()> {
        let arith = matches!(
            op,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod
        );
        if !arith {
            // A comparison as a value: the fused compare-and-skip, then load the boolean.
            let skip = self.compare_jump(st, op, l, r, true, span)?;
            st.emit(Op::LoadBool { a: dst, v: false }, span);
            let end = st.emit_jump(span);
            st.patch_here(&[skip]);
            st.emit(Op::LoadBool { a: dst, v: true }, span);
            st.patch_here(&[end]);
            return Ok(());
        }
        // A number constant on the left of `+` or `*`: swap (both commute, exactly).
        if matches!(op, BinOp::Add | BinOp::Mul)
            && !matches!(r.kind, ExprKind::Int(_) | ExprKind::Float(_))
            && let Some(c) = self.number_const(st, l)?
        {
            let b = self.expr_any(st, r)?;
            let op = if op == BinOp::Add {
                Op::AddK {
                    a: dst,
                    b,
                    c,
                    rev: true,
                }
            } else {
                Op::MulK {
                    a: dst,
                    b,
                    c,
                    rev: true,
                }
            };
            st.emit(op, span);
            return Ok(());
        }
        let b = self.operand(st, l, &[r])?;
        if let ExprKind::Int(i) = r.kind {
            // The immediate's sign tells `x + 3` (>= 0) from `x - 3` (< 0), which the VM needs
            // to name the operator in an error message.
            let imm = match op {
                BinOp::Add if i >= 0 => i16::try_from(i).ok(),
                BinOp::Sub if i > 0 => i16::try_from(-i).ok(),
                _ => None,
            };
            if let Some(imm) = imm {
                st.emit(Op::AddI { a: dst, b, imm }, span);
                return Ok(());
            }
        }
        if op == BinOp::Mod
            && let ExprKind::Int(d) = r.kind
            && let Ok(d16) = u16::try_from(d)
            && let Some(fm) = FastMod::new(d16 as u64)
        {
            let m = match st.proto.divisors.iter().position(|x| *x == fm) {
                Some(m) => m,
                None => {
                    st.proto.divisors.push(fm);
                    st.proto.divisors.len() - 1
                }
            };
            if let Ok(m) = u16::try_from(m) {
                st.emit(Op::ModI { a: dst, b, m }, span);
                return Ok(());
            }
        }
        if let Some(c) = self.number_const(st, r)? {
            let op = match op {
                BinOp::Add => Op::AddK {
                    a: dst,
                    b,
                    c,
                    rev: false,
                },
                BinOp::Sub => Op::SubK { a: dst, b, c },
                BinOp::Mul => Op::MulK {
                    a: dst,
                    b,
                    c,
                    rev: false,
                },
                BinOp::Div => Op::DivK { a: dst, b, c },
                _ => Op::ModK { a: dst, b, c },
            };
            st.emit(op, span);
            return Ok(());
        }
        let c = self.expr_any(st, r)?;
        let op = match op {
            BinOp::Add => Op::Add { a: dst, b, c },
            BinOp::Sub => Op::Sub { a: dst, b, c },
            BinOp::Mul => Op::Mul { a: dst, b, c },
            BinOp::Div => Op::Div { a: dst, b, c },
            _ => Op::Mod { a: dst, b, c },
        };
        st.emit(op, span);
        Ok(())
    }

    /// Emit a comparison followed by a jump; the jump is taken when the comparison's
    /// result equals `when`. Returns the jump to patch.
    fn compare_jump(
        &mut self,
        st: &mut FnState,
        op: BinOp,
        l: &Expr,
        r: &Expr,
        when: bool,
        span: Span,
    ) -> CResult<usize> {
        let top = st.top;
        let a = self.operand(st, l, &[r])?;
        // The compare is the branch: it jumps when its condition equals `k`.
        let imm = match r.kind {
            ExprKind::Int(i) => i16::try_from(i).ok(),
            _ => None,
        };
        let num_const = match (imm, &r.kind) {
            (None, ExprKind::Int(_) | ExprKind::Float(_))
                if matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) =>
            {
                self.number_const(st, r)?
            }
            _ => None,
        };
        if let Some(c) = num_const {
            let c = c as u16;
            let cmp = match op {
                BinOp::Lt => Op::LtK {
                    a,
                    c,
                    k: when,
                    off: 0,
                },
                BinOp::Le => Op::LeK {
                    a,
                    c,
                    k: when,
                    off: 0,
                },
                BinOp::Gt => Op::GtK {
                    a,
                    c,
                    k: when,
                    off: 0,
                },
                _ => Op::GeK {
                    a,
                    c,
                    k: when,
                    off: 0,
                },
            };
            st.top = top;
            return Ok(st.emit(cmp, span));
        }
        let cmp = match (op, imm) {
            (BinOp::Lt, Some(imm)) => Op::LtI {
                a,
                imm,
                k: when,
                off: 0,
            },
            (BinOp::Le, Some(imm)) => Op::LeI {
                a,
                imm,
                k: when,
                off: 0,
            },
            (BinOp::Gt, Some(imm)) => Op::GtI {
                a,
                imm,
                k: when,
                off: 0,
            },
            (BinOp::Ge, Some(imm)) => Op::GeI {
                a,
                imm,
                k: when,
                off: 0,
            },
            (BinOp::Eq | BinOp::Ne, _)
                if matches!(
                    r.kind,
                    ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Float(_)
                ) =>
            {
                let v = match &r.kind {
                    ExprKind::Int(i) => Value::Int(*i),
                    ExprKind::Float(f) => Value::Float(*f),
                    ExprKind::Str(s) => Value::Obj(self.heap.intern_pinned(s)),
                    _ => Value::Nil,
                };
                let c = self.constant(st, v, r.span)? as u16;
                Op::EqK {
                    a,
                    c,
                    k: when == (op == BinOp::Eq),
                    off: 0,
                }
            }
            _ => {
                let b = self.expr_any(st, r)?;
                match op {
                    BinOp::Lt => Op::Lt {
                        a,
                        b,
                        k: when,
                        off: 0,
                    },
                    BinOp::Le => Op::Le {
                        a,
                        b,
                        k: when,
                        off: 0,
                    },
                    BinOp::Gt => Op::Lt {
                        a: b,
                        b: a,
                        k: when,
                        off: 0,
                    },
                    BinOp::Ge => Op::Le {
                        a: b,
                        b: a,
                        k: when,
                        off: 0,
                    },
                    BinOp::Eq => Op::Eq {
                        a,
                        b,
                        k: when,
                        off: 0,
                    },
                    _ => Op::Eq {
                        a,
                        b,
                        k: !when,
                        off: 0,
                    },
                }
            }
        };
        st.top = top;
        Ok(st.emit(cmp, span))
    }

    /// Jumps taken when `cond` is false.
    fn jump_if_false(&mut self, st: &mut FnState, cond: &Expr) -> CResult<Vec<usize>> {
        if let ExprKind::Binary(op, l, r) = &cond.kind
            && matches!(
                op,
                BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
            )
        {
            return Ok(vec![self.compare_jump(st, *op, l, r, false, cond.span)?]);
        }
        let top = st.top;
        let r = self.expr_any(st, cond)?;
        st.top = top;
        Ok(vec![st.emit(
            Op::Test {
                a: r,
                k: false,
                off: 0,
            },
            cond.span,
        )])
    }

    fn assign(
        &mut self,
        st: &mut FnState,
        target: &Expr,
        value: &Expr,
        span: Span,
        dst: Option<Reg>,
    ) -> CResult<()> {
        let top = st.top;
        let result = match &target.kind {
            ExprKind::Var(b) => match b.res {
                Res::Local { slot, boxed: false } => {
                    let slot = slot as Reg;
                    if writes_dst_last(value) {
                        self.expr(st, value, slot)?;
                    } else {
                        let t = st.alloc(span)?;
                        self.expr(st, value, t)?;
                        st.emit(Op::Move { a: slot, b: t }, span);
                    }
                    slot
                }
                Res::Local { slot, boxed: true } => {
                    let v = self.expr_any(st, value)?;
                    st.emit(
                        Op::SetCell {
                            a: slot as Reg,
                            b: v,
                        },
                        span,
                    );
                    v
                }
                Res::Upval(u) => {
                    let v = self.expr_any(st, value)?;
                    st.emit(Op::SetUpval { a: v, u }, span);
                    v
                }
                Res::Global(g) => {
                    let v = self.expr_any(st, value)?;
                    st.emit(Op::SetGlobal { a: v, g }, span);
                    v
                }
                Res::Native(_) | Res::Unresolved => self.expr_any(st, value)?,
            },
            ExprKind::Index(obj, index) => {
                let o = self.operand(st, obj, &[index, value])?;
                match &index.kind {
                    ExprKind::Str(s) => {
                        let k = self.string_const(st, s, index.span)?;
                        let v = self.expr_any(st, value)?;
                        st.emit(
                            Op::SetField {
                                a: o,
                                k: k as u16,
                                c: v,
                            },
                            span,
                        );
                        v
                    }
                    _ => {
                        let i = self.operand(st, index, &[value])?;
                        let v = self.expr_any(st, value)?;
                        st.emit(Op::SetIndex { a: o, b: i, c: v }, span);
                        v
                    }
                }
            }
            _ => self.expr_any(st, value)?,
        };
        if let Some(dst) = dst
            && dst != result
        {
            st.emit(Op::Move { a: dst, b: result }, span);
        }
        st.top = top;
        Ok(())
    }
}

/// True when evaluating `e` may call a function or assign a variable (and so change a
/// global). Operators, indexing and literals cannot: Kite has no overloading.
fn may_run_code(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Assign(..) | ExprKind::Call(..) => true,
        ExprKind::List(items) => items.iter().any(may_run_code),
        ExprKind::Map(entries) => entries
            .iter()
            .any(|(k, v)| may_run_code(k) || may_run_code(v)),
        ExprKind::Unary(_, a) => may_run_code(a),
        ExprKind::Binary(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::Index(a, b) => may_run_code(a) || may_run_code(b),
        _ => false,
    }
}

/// True when evaluating `e` may assign the unboxed local in `slot` (nested functions cannot:
/// a local they assign is boxed).
fn assigns_local(e: &Expr, slot: u16) -> bool {
    match &e.kind {
        ExprKind::Assign(target, value) => {
            matches!(&target.kind, ExprKind::Var(Binding { res: Res::Local { slot: s, boxed: false }, .. }) if *s == slot)
                || assigns_local(target, slot)
                || assigns_local(value, slot)
        }
        ExprKind::List(items) => items.iter().any(|i| assigns_local(i, slot)),
        ExprKind::Map(entries) => entries
            .iter()
            .any(|(k, v)| assigns_local(k, slot) || assigns_local(v, slot)),
        ExprKind::Unary(_, a) => assigns_local(a, slot),
        ExprKind::Binary(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::Index(a, b) => assigns_local(a, slot) || assigns_local(b, slot),
        ExprKind::Call(c, args) => {
            assigns_local(c, slot) || args.iter().any(|a| assigns_local(a, slot))
        }
        _ => false,
    }
}

impl FnState {
    fn emit(&mut self, op: Op, span: Span) -> usize {
        self.proto.code.push(op);
        self.proto.spans.push(span);
        self.proto.code.len() - 1
    }
    fn emit_jump(&mut self, span: Span) -> usize {
        self.emit(Op::Jmp { off: 0 }, span)
    }
    fn here(&self) -> usize {
        self.proto.code.len()
    }
    /// Point the jump at `at` to instruction `target`.
    fn patch_to(&mut self, at: usize, target: usize) {
        let off = target as i64 - (at as i64 + 1);
        let short = i16::try_from(off).unwrap_or_else(|_| {
            self.too_far = true;
            0
        });
        let off = off as i32;
        match &mut self.proto.code[at] {
            Op::Jmp { off: o }
            | Op::ForPrep { off: o, .. }
            | Op::ForLoop { off: o, .. }
            | Op::IterNext { off: o, .. } => *o = off,
            Op::Eq { off: o, .. }
            | Op::Lt { off: o, .. }
            | Op::Le { off: o, .. }
            | Op::EqK { off: o, .. }
            | Op::LtI { off: o, .. }
            | Op::LeI { off: o, .. }
            | Op::GtI { off: o, .. }
            | Op::GeI { off: o, .. }
            | Op::LtK { off: o, .. }
            | Op::LeK { off: o, .. }
            | Op::GtK { off: o, .. }
            | Op::GeK { off: o, .. }
            | Op::Test { off: o, .. } => *o = short,
            _ => {}
        }
    }
    fn patch_here(&mut self, jumps: &[usize]) {
        let here = self.here();
        for &j in jumps {
            self.patch_to(j, here);
        }
    }
    fn alloc(&mut self, span: Span) -> CResult<Reg> {
        if self.top >= MAX_REGS {
            return Err(Diagnostic::new(
                "expression is too complex (out of registers)",
                span,
            ));
        }
        let r = self.top as Reg;
        self.top += 1;
        self.proto.max_regs = self.proto.max_regs.max(self.top as u16);
        Ok(r)
    }
}
