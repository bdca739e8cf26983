//! Expressions over labels and constants: parsing (C precedence) and evaluation.

use crate::diag::{Error, Loc, Result};
use crate::lexer::{Tok, Token};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Shl,
    Shr,
    And,
    Or,
    Xor,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogAnd,
    LogOr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    LogNot,
}

/// An expression as written; names are resolved when it is evaluated.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Num(i64),
    /// A symbol name (already made unique for local labels by the front end).
    Sym(String, Loc),
    /// The address of the current statement (`.` or `@`).
    Here(Loc),
    Un(UnOp, Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `%hi(x)`, `HIGH(x)`...: a named function the front end or evaluator understands.
    Call(String, Vec<Expr>, Loc),
}

/// Resolves what an expression names; supplied by whoever evaluates.
pub trait Scope {
    /// The value of `name`, or `None` when it is undefined.
    fn symbol(&self, name: &str, loc: Loc) -> Result<Option<Value>>;
    /// The value of `.`.
    fn here(&self, loc: Loc) -> Result<Value>;
}

/// A value: a constant, or a symbol plus a constant (something only the linker can finish).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Const(i64),
    /// `section`-relative (for labels) or external, plus addend.
    Reloc { base: RelocBase, addend: i64 },
}

/// What a relocatable value is relative to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelocBase {
    /// A section of this file; the addend is the offset into it.
    Section(usize),
    /// A symbol not defined in this file.
    Extern(String),
}

impl Value {
    pub fn as_const(&self) -> Option<i64> {
        match self {
            Value::Const(v) => Some(*v),
            Value::Reloc { .. } => None,
        }
    }
}

/// Parses an expression from `toks[*pos..]`, leaving `*pos` after it.
pub struct Parser<'t> {
    pub toks: &'t [Token],
    pub pos: usize,
    pub end_loc: Loc,
    /// Resolves `1f`/`1b` into the unique name of a numeric local label.
    pub local_ref: &'t dyn Fn(u64, bool) -> String,
    /// GNU as precedence (`* / % << >>` over `| & ^` over `+ -` over comparisons) instead of C's.
    pub gnu: bool,
}

impl<'t> Parser<'t> {
    pub fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }
    pub fn loc(&self) -> Loc {
        self.toks.get(self.pos).map(|t| t.loc).unwrap_or(self.end_loc)
    }
    pub fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }
    pub fn eat_punct(&mut self, p: &str) -> bool {
        let hit = self.is_punct(p);
        if hit {
            self.pos += 1;
        }
        hit
    }
    pub fn expect_punct(&mut self, p: &str) -> Result<()> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            Err(Error::new(self.loc(), format!("expected `{p}`")))
        }
    }
    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub fn expr(&mut self) -> Result<Expr> {
        self.binary(0)
    }

    fn binop(&self) -> Option<(BinOp, u8)> {
        let Some(Tok::Punct(p)) = self.peek() else { return None };
        if self.gnu {
            return Some(match *p {
                "||" => (BinOp::LogOr, 1),
                "&&" => (BinOp::LogAnd, 2),
                "==" => (BinOp::Eq, 3),
                "!=" => (BinOp::Ne, 3),
                "<" => (BinOp::Lt, 3),
                "<=" => (BinOp::Le, 3),
                ">" => (BinOp::Gt, 3),
                ">=" => (BinOp::Ge, 3),
                "+" => (BinOp::Add, 4),
                "-" => (BinOp::Sub, 4),
                "|" => (BinOp::Or, 5),
                "&" => (BinOp::And, 5),
                "^" => (BinOp::Xor, 5),
                "*" => (BinOp::Mul, 6),
                "/" => (BinOp::Div, 6),
                "%" => (BinOp::Rem, 6),
                "<<" => (BinOp::Shl, 6),
                ">>" => (BinOp::Shr, 6),
                _ => return None,
            });
        }
        Some(match *p {
            "||" => (BinOp::LogOr, 1),
            "&&" => (BinOp::LogAnd, 2),
            "|" => (BinOp::Or, 3),
            "^" => (BinOp::Xor, 4),
            "&" => (BinOp::And, 5),
            "==" => (BinOp::Eq, 6),
            "!=" => (BinOp::Ne, 6),
            "<" => (BinOp::Lt, 7),
            "<=" => (BinOp::Le, 7),
            ">" => (BinOp::Gt, 7),
            ">=" => (BinOp::Ge, 7),
            "<<" => (BinOp::Shl, 8),
            ">>" => (BinOp::Shr, 8),
            "+" => (BinOp::Add, 9),
            "-" => (BinOp::Sub, 9),
            "*" => (BinOp::Mul, 10),
            "/" => (BinOp::Div, 10),
            "%" => (BinOp::Rem, 10),
            _ => return None,
        })
    }

    fn binary(&mut self, min: u8) -> Result<Expr> {
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = self.binop() {
            if prec <= min {
                break;
            }
            self.pos += 1;
            let rhs = self.binary(prec)?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
            // GNU as makes a true comparison -1 (all ones).
            if self.gnu && matches!(op, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) {
                lhs = Expr::Un(UnOp::Neg, Box::new(lhs));
            }
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr> {
        let loc = self.loc();
        let op = match self.peek() {
            Some(Tok::Punct("-")) => Some(UnOp::Neg),
            Some(Tok::Punct("~")) => Some(UnOp::Not),
            Some(Tok::Punct("!")) => Some(UnOp::LogNot),
            Some(Tok::Punct("+")) => {
                self.pos += 1;
                return self.unary();
            }
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let e = self.unary()?;
            return Ok(Expr::Un(op, Box::new(e)));
        }
        let Some(tok) = self.toks.get(self.pos).cloned() else {
            return Err(Error::new(loc, "expected an expression"));
        };
        self.pos += 1;
        match tok.tok {
            Tok::Num(v) => Ok(Expr::Num(v)),
            Tok::LocalRef(n, fwd) => Ok(Expr::Sym((self.local_ref)(n, fwd), loc)),
            Tok::Punct("(") => {
                let e = self.expr()?;
                self.expect_punct(")")?;
                Ok(e)
            }
            Tok::Punct("@") => Ok(Expr::Here(loc)),
            Tok::Ident(name) if name == "." => Ok(Expr::Here(loc)),
            Tok::Ident(name) => {
                if self.is_punct("(") && (name.starts_with('%') || is_function(&name)) {
                    self.pos += 1;
                    let mut args = vec![self.expr()?];
                    while self.eat_punct(",") {
                        args.push(self.expr()?);
                    }
                    self.expect_punct(")")?;
                    Ok(Expr::Call(name.to_ascii_lowercase(), args, loc))
                } else {
                    Ok(Expr::Sym(name, loc))
                }
            }
            Tok::Str(s) if s.len() == 1 => Ok(Expr::Num(s[0] as i64)),
            _ => Err(Error::new(loc, "expected an expression")),
        }
    }
}

/// Functions every syntax may call (RGBDS spells them in capitals).
fn is_function(name: &str) -> bool {
    matches!(name.to_ascii_lowercase().as_str(), "high" | "low" | "def")
}

/// Evaluates `e`: constants fold; a label plus or minus constants stays relocatable; the
/// difference of two labels in one section is a constant.
pub fn eval(e: &Expr, scope: &dyn Scope) -> Result<Value> {
    match e {
        Expr::Num(v) => Ok(Value::Const(*v)),
        Expr::Sym(name, loc) => scope
            .symbol(name, *loc)?
            .ok_or_else(|| Error::new(*loc, format!("undefined symbol `{}`", display_name(name)))),
        Expr::Here(loc) => scope.here(*loc),
        Expr::Un(op, a) => {
            let loc = loc_of(a);
            let v = const_of(eval(a, scope)?, loc)?;
            Ok(Value::Const(match op {
                UnOp::Neg => v.wrapping_neg(),
                UnOp::Not => !v,
                UnOp::LogNot => (v == 0) as i64,
            }))
        }
        Expr::Bin(op, a, b) => {
            let (va, vb) = (eval(a, scope)?, eval(b, scope)?);
            match (op, &va, &vb) {
                (BinOp::Add, Value::Reloc { base, addend }, Value::Const(c))
                | (BinOp::Add, Value::Const(c), Value::Reloc { base, addend }) => {
                    Ok(Value::Reloc { base: base.clone(), addend: addend.wrapping_add(*c) })
                }
                (BinOp::Sub, Value::Reloc { base, addend }, Value::Const(c)) => {
                    Ok(Value::Reloc { base: base.clone(), addend: addend.wrapping_sub(*c) })
                }
                (
                    BinOp::Sub,
                    Value::Reloc { base: RelocBase::Section(s1), addend: a1 },
                    Value::Reloc { base: RelocBase::Section(s2), addend: a2 },
                ) if s1 == s2 => Ok(Value::Const(a1.wrapping_sub(*a2))),
                _ => {
                    let x = const_of(va, loc_of(a))?;
                    let y = const_of(vb, loc_of(b))?;
                    Ok(Value::Const(binop(*op, x, y, loc_of(b))?))
                }
            }
        }
        Expr::Call(name, args, loc) => {
            let arg = |i: usize| -> Result<i64> {
                let a = args.get(i).ok_or_else(|| Error::new(*loc, format!("`{name}` needs an argument")))?;
                const_of(eval(a, scope)?, loc_of(a))
            };
            match name.as_str() {
                "high" => Ok(Value::Const((arg(0)? >> 8) & 0xff)),
                "low" => Ok(Value::Const(arg(0)? & 0xff)),
                "def" => match args.first() {
                    Some(Expr::Sym(n, l)) => Ok(Value::Const(scope.symbol(n, *l)?.is_some() as i64)),
                    _ => Err(Error::new(*loc, "DEF needs a name")),
                },
                _ => Err(Error::new(*loc, format!("`{name}` is not allowed here"))),
            }
        }
    }
}

pub fn binop(op: BinOp, x: i64, y: i64, loc: Loc) -> Result<i64> {
    Ok(match op {
        BinOp::Add => x.wrapping_add(y),
        BinOp::Sub => x.wrapping_sub(y),
        BinOp::Mul => x.wrapping_mul(y),
        BinOp::Div | BinOp::Rem if y == 0 => return Err(Error::new(loc, "division by zero")),
        BinOp::Div => x.wrapping_div(y),
        BinOp::Rem => x.wrapping_rem(y),
        BinOp::Shl => x.wrapping_shl(y as u32),
        BinOp::Shr => x.wrapping_shr(y as u32),
        BinOp::And => x & y,
        BinOp::Or => x | y,
        BinOp::Xor => x ^ y,
        BinOp::Eq => (x == y) as i64,
        BinOp::Ne => (x != y) as i64,
        BinOp::Lt => (x < y) as i64,
        BinOp::Le => (x <= y) as i64,
        BinOp::Gt => (x > y) as i64,
        BinOp::Ge => (x >= y) as i64,
        BinOp::LogAnd => (x != 0 && y != 0) as i64,
        BinOp::LogOr => (x != 0 || y != 0) as i64,
    })
}

fn const_of(v: Value, loc: Loc) -> Result<i64> {
    v.as_const().ok_or_else(|| Error::new(loc, "expression must be a constant here"))
}

/// The location of the leftmost token of an expression, for messages.
pub fn loc_of(e: &Expr) -> Loc {
    match e {
        Expr::Num(_) => Loc::default(),
        Expr::Sym(_, l) | Expr::Here(l) | Expr::Call(_, _, l) => *l,
        Expr::Un(_, a) => loc_of(a),
        Expr::Bin(_, a, b) => {
            let l = loc_of(a);
            if l == Loc::default() { loc_of(b) } else { l }
        }
    }
}

/// Numeric local labels are stored under `N\u{2}K`; show them as `N` in messages.
pub fn display_name(name: &str) -> &str {
    name.split('\u{2}').next().unwrap_or(name)
}
