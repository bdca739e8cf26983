//! A recursive-descent parser that recovers: it always returns a tree plus diagnostics,
//! skipping to the next statement after an error (like clox's panic mode).

use super::ast::*;
use super::diagnostic::Diagnostic;
use super::lexer::{lex, string_value};
use super::span::Span;
use super::token::{Tok, Token};

/// Deepest nesting of expressions and blocks we accept; deeper input is a compile error
/// (every later pass recurses over the tree, so this also bounds their native stack use).
pub const MAX_DEPTH: usize = 200;
/// Most parameters or call arguments (the VM addresses them with 8-bit registers).
pub const MAX_ARGS: usize = 200;

/// Parse a whole file.
pub fn parse(source: &str) -> (Program, Vec<Diagnostic>) {
    let (tokens, diags) = lex(source);
    // Everything after an unterminated string was swallowed by it: parse errors there are noise.
    let cutoff = diags
        .iter()
        .filter(|d| d.message == "unterminated string")
        .map(|d| d.span.start)
        .min();
    let mut p = Parser {
        src: source,
        tokens,
        pos: 0,
        diags,
        depth: 0,
        panic_mode: false,
    };
    let mut body = Vec::new();
    while !p.at(Tok::Eof) {
        if let Some(stmt) = p.declaration() {
            body.push(stmt);
        }
    }
    let end = source.len();
    let main = Function {
        name: "<main>".into(),
        span: Span::new(0, end),
        params: Vec::new(),
        body,
        slots: 0,
        captures: Vec::new(),
    };
    let mut diags = p.diags;
    if let Some(cut) = cutoff {
        diags.retain(|d| d.message == "unterminated string" || d.span.start < cut);
    }
    (
        Program {
            main,
            globals: Vec::new(),
        },
        diags,
    )
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    depth: usize,
    /// Set after an error until the parser resynchronises, so one mistake reports once.
    panic_mode: bool,
}

/// A parse failure already reported as a diagnostic.
struct Failed;

type PResult<T> = Result<T, Failed>;

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.tokens[self.pos.min(self.tokens.len() - 1)]
    }
    fn at(&self, tok: Tok) -> bool {
        self.peek().tok == tok
    }
    fn prev_span(&self) -> Span {
        self.tokens[self.pos.saturating_sub(1)].span
    }
    fn advance(&mut self) -> Token {
        let t = self.peek();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }
    fn eat(&mut self, tok: Tok) -> bool {
        if self.at(tok) {
            self.advance();
            true
        } else {
            false
        }
    }
    fn text(&self, span: Span) -> &str {
        self.src.get(span.range()).unwrap_or("")
    }

    fn error_at(&mut self, span: Span, message: impl Into<String>) -> Failed {
        if !self.panic_mode {
            self.diags.push(Diagnostic::new(message, span));
        }
        self.panic_mode = true;
        Failed
    }

    fn expect(&mut self, tok: Tok, context: &str) -> PResult<Token> {
        if self.at(tok) {
            return Ok(self.advance());
        }
        let found = self.peek();
        let msg = format!(
            "expected {} {context}, found {}",
            tok.describe(),
            found.tok.describe()
        );
        // A missing ';' belongs at the end of the statement, not at the next line's token.
        let span = if (tok == Tok::Semi || found.tok == Tok::Eof) && self.pos > 0 {
            let end = self.prev_span().end as usize;
            Span::new(end, end)
        } else {
            found.span
        };
        Err(self.error_at(span, msg))
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.peek().span;
            return Err(self.error_at(
                span,
                format!("nesting is too deep (more than {MAX_DEPTH} levels)"),
            ));
        }
        Ok(())
    }
    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Skip to a likely statement start after an error.
    fn synchronize(&mut self) {
        self.panic_mode = false;
        while !self.at(Tok::Eof) {
            if self.advance().tok == Tok::Semi {
                return;
            }
            match self.peek().tok {
                Tok::Fn
                | Tok::Let
                | Tok::For
                | Tok::If
                | Tok::While
                | Tok::Return
                | Tok::RBrace => {
                    return;
                }
                _ => {}
            }
        }
    }

    // ---- statements ----

    fn declaration(&mut self) -> Option<Stmt> {
        let depth = self.depth;
        match self.statement() {
            Ok(stmt) => Some(stmt),
            Err(Failed) => {
                self.depth = depth;
                self.synchronize();
                // A stray '}' at top level would otherwise stop progress.
                if depth == 0 && self.at(Tok::RBrace) {
                    let span = self.advance().span;
                    self.error_at(span, "unmatched '}'");
                    self.panic_mode = false;
                }
                None
            }
        }
    }

    fn statement(&mut self) -> PResult<Stmt> {
        let start = self.peek().span;
        let kind = match self.peek().tok {
            Tok::Let => {
                self.advance();
                let name = self.expect(Tok::Ident, "after 'let'")?;
                let binding = Binding::new(self.text(name.span).to_string(), name.span);
                let init = if self.eat(Tok::Eq) {
                    Some(self.expression()?)
                } else {
                    None
                };
                self.expect(Tok::Semi, "after the variable declaration")?;
                StmtKind::Let(binding, init)
            }
            Tok::Fn
                if self
                    .tokens
                    .get(self.pos + 1)
                    .is_some_and(|t| t.tok == Tok::Ident) =>
            {
                self.advance();
                let name = self.advance();
                let name_text = self.text(name.span).to_string();
                let func = self.function_rest(name_text.clone(), start)?;
                StmtKind::Fn(Binding::new(name_text, name.span), Box::new(func))
            }
            Tok::LBrace => StmtKind::Block(self.block()?),
            Tok::If => return self.if_statement(),
            Tok::While => {
                self.advance();
                let cond = self.expression()?;
                let body = self.block()?;
                StmtKind::While(cond, body)
            }
            Tok::For => return self.for_statement(),
            Tok::Return => {
                self.advance();
                let value = if self.at(Tok::Semi) {
                    None
                } else {
                    Some(self.expression()?)
                };
                self.expect(Tok::Semi, "after 'return'")?;
                StmtKind::Return(value)
            }
            Tok::Break => {
                self.advance();
                self.expect(Tok::Semi, "after 'break'")?;
                StmtKind::Break
            }
            Tok::Continue => {
                self.advance();
                self.expect(Tok::Semi, "after 'continue'")?;
                StmtKind::Continue
            }
            _ => {
                let expr = self.expression()?;
                self.expect(Tok::Semi, "after the expression")?;
                StmtKind::Expr(expr)
            }
        };
        Ok(Stmt {
            kind,
            span: start.to(self.prev_span()),
        })
    }

    fn block(&mut self) -> PResult<Vec<Stmt>> {
        self.enter()?;
        self.expect(Tok::LBrace, "to start a block")?;
        let mut body = Vec::new();
        while !self.at(Tok::RBrace) && !self.at(Tok::Eof) {
            if let Some(stmt) = self.declaration() {
                body.push(stmt);
            }
        }
        self.expect(Tok::RBrace, "to close the block")?;
        self.leave();
        Ok(body)
    }

    fn if_statement(&mut self) -> PResult<Stmt> {
        let start = self.advance().span;
        self.enter()?;
        let cond = self.expression()?;
        let then = self.block()?;
        let otherwise = if self.eat(Tok::Else) {
            if self.at(Tok::If) {
                Some(vec![self.if_statement()?])
            } else {
                Some(self.block()?)
            }
        } else {
            None
        };
        self.leave();
        Ok(Stmt {
            kind: StmtKind::If(cond, then, otherwise),
            span: start.to(self.prev_span()),
        })
    }

    fn for_statement(&mut self) -> PResult<Stmt> {
        let start = self.advance().span;
        let name = self.expect(Tok::Ident, "after 'for'")?;
        let var = Binding::new(self.text(name.span).to_string(), name.span);
        let second = if self.eat(Tok::Comma) {
            let name = self.expect(Tok::Ident, "after ','")?;
            Some(Binding::new(self.text(name.span).to_string(), name.span))
        } else {
            None
        };
        self.expect(Tok::In, "after the loop variable")?;
        let first = self.expression()?;
        let iter = if self.eat(Tok::DotDot) {
            let end = self.expression()?;
            if let Some(second) = &second {
                return Err(self.error_at(second.span, "a range loop has one variable"));
            }
            ForIter::Range(first, end)
        } else {
            ForIter::Each(first)
        };
        let body = self.block()?;
        let lp = ForLoop {
            var,
            second,
            iter,
            body,
            state_slot: 0,
        };
        Ok(Stmt {
            kind: StmtKind::For(Box::new(lp)),
            span: start.to(self.prev_span()),
        })
    }

    fn function_rest(&mut self, name: String, start: Span) -> PResult<Function> {
        self.enter()?;
        self.expect(Tok::LParen, "after the function name")?;
        let mut params = Vec::new();
        if !self.at(Tok::RParen) {
            loop {
                let p = self.expect(Tok::Ident, "for a parameter name")?;
                if params.len() >= MAX_ARGS {
                    return Err(self.error_at(p.span, format!("more than {MAX_ARGS} parameters")));
                }
                params.push(Binding::new(self.text(p.span).to_string(), p.span));
                if !self.eat(Tok::Comma) {
                    break;
                }
            }
        }
        self.expect(Tok::RParen, "after the parameters")?;
        let body = self.block()?;
        self.leave();
        Ok(Function {
            name,
            span: start.to(self.prev_span()),
            params,
            body,
            slots: 0,
            captures: Vec::new(),
        })
    }

    // ---- expressions ----

    fn expression(&mut self) -> PResult<Expr> {
        self.enter()?;
        let e = self.assignment();
        self.leave();
        e
    }

    fn assignment(&mut self) -> PResult<Expr> {
        let target = self.or()?;
        let op = match self.peek().tok {
            Tok::Eq => None,
            Tok::PlusEq => Some(BinOp::Add),
            Tok::MinusEq => Some(BinOp::Sub),
            Tok::StarEq => Some(BinOp::Mul),
            Tok::SlashEq => Some(BinOp::Div),
            _ => return Ok(target),
        };
        let op_tok = self.advance();
        if !matches!(target.kind, ExprKind::Var(_) | ExprKind::Index(..)) {
            return Err(self.error_at(target.span.to(op_tok.span), "invalid assignment target"));
        }
        let value = self.expression()?;
        let span = target.span.to(value.span);
        let value = match op {
            None => value,
            // `a[i()] += 1` evaluates `i()` twice; documented in GRAMMAR.md.
            Some(op) => Expr {
                kind: ExprKind::Binary(op, Box::new(target.clone()), Box::new(value)),
                span,
            },
        };
        Ok(Expr {
            kind: ExprKind::Assign(Box::new(target), Box::new(value)),
            span,
        })
    }

    fn or(&mut self) -> PResult<Expr> {
        let mut left = self.and()?;
        let depth = self.depth;
        while self.eat(Tok::Or) {
            // A chain `a or b or c ...` nests to the left: each link counts as a level.
            self.enter()?;
            let right = self.and()?;
            let span = left.span.to(right.span);
            left = Expr {
                kind: ExprKind::Or(Box::new(left), Box::new(right)),
                span,
            };
        }
        self.depth = depth;
        Ok(left)
    }

    fn and(&mut self) -> PResult<Expr> {
        let mut left = self.binary(0)?;
        let depth = self.depth;
        while self.eat(Tok::And) {
            self.enter()?;
            let right = self.binary(0)?;
            let span = left.span.to(right.span);
            left = Expr {
                kind: ExprKind::And(Box::new(left), Box::new(right)),
                span,
            };
        }
        self.depth = depth;
        Ok(left)
    }

    /// Binary operators by precedence level: equality, comparison, additive, multiplicative.
    fn binary(&mut self, level: usize) -> PResult<Expr> {
        if level == 3 + 1 {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        let depth = self.depth;
        loop {
            let op = match (level, self.peek().tok) {
                (0, Tok::EqEq) => BinOp::Eq,
                (0, Tok::BangEq) => BinOp::Ne,
                (1, Tok::Lt) => BinOp::Lt,
                (1, Tok::LtEq) => BinOp::Le,
                (1, Tok::Gt) => BinOp::Gt,
                (1, Tok::GtEq) => BinOp::Ge,
                (2, Tok::Plus) => BinOp::Add,
                (2, Tok::Minus) => BinOp::Sub,
                (3, Tok::Star) => BinOp::Mul,
                (3, Tok::Slash) => BinOp::Div,
                (3, Tok::Percent) => BinOp::Mod,
                _ => {
                    self.depth = depth;
                    return Ok(left);
                }
            };
            self.advance();
            // `a + b + c ...` nests to the left: each operator counts as a level.
            self.enter()?;
            let right = self.binary(level + 1)?;
            let span = left.span.to(right.span);
            left = Expr {
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
                span,
            };
        }
    }

    fn unary(&mut self) -> PResult<Expr> {
        let op = match self.peek().tok {
            Tok::Minus => UnOp::Neg,
            Tok::Not | Tok::Bang => UnOp::Not,
            _ => return self.call(),
        };
        let start = self.advance().span;
        // The one literal that only fits negated: -9223372036854775808.
        if op == UnOp::Neg
            && self.at(Tok::Int)
            && self.text(self.peek().span).replace('_', "") == "9223372036854775808"
        {
            let lit = self.advance().span;
            return Ok(Expr {
                kind: ExprKind::Int(i64::MIN),
                span: start.to(lit),
            });
        }
        self.enter()?;
        let operand = self.unary()?;
        self.leave();
        // Fold `-literal` so that the most negative integer can be written.
        let span = start.to(operand.span);
        if op == UnOp::Neg {
            match operand.kind {
                ExprKind::Int(v) => {
                    return Ok(Expr {
                        kind: ExprKind::Int(v.wrapping_neg()),
                        span,
                    });
                }
                ExprKind::Float(v) => {
                    return Ok(Expr {
                        kind: ExprKind::Float(-v),
                        span,
                    });
                }
                _ => {}
            }
        }
        Ok(Expr {
            kind: ExprKind::Unary(op, Box::new(operand)),
            span,
        })
    }

    fn call(&mut self) -> PResult<Expr> {
        let mut expr = self.primary()?;
        let depth = self.depth;
        loop {
            match self.peek().tok {
                Tok::LParen => {
                    self.advance();
                    let args = self.list_of(Tok::RParen, "after the arguments")?;
                    if args.len() > MAX_ARGS {
                        return Err(
                            self.error_at(expr.span, format!("more than {MAX_ARGS} arguments"))
                        );
                    }
                    let span = expr.span.to(self.prev_span());
                    expr = Expr {
                        kind: ExprKind::Call(Box::new(expr), args),
                        span,
                    };
                }
                Tok::LBracket => {
                    self.advance();
                    let index = self.expression()?;
                    self.expect(Tok::RBracket, "after the index")?;
                    let span = expr.span.to(self.prev_span());
                    expr = Expr {
                        kind: ExprKind::Index(Box::new(expr), Box::new(index)),
                        span,
                    };
                }
                Tok::Dot => {
                    self.advance();
                    let name = self.expect(Tok::Ident, "after '.'")?;
                    let key = Expr {
                        kind: ExprKind::Str(self.text(name.span).to_string()),
                        span: name.span,
                    };
                    let span = expr.span.to(name.span);
                    expr = Expr {
                        kind: ExprKind::Index(Box::new(expr), Box::new(key)),
                        span,
                    };
                }
                _ => {
                    self.depth = depth;
                    return Ok(expr);
                }
            }
            // Each postfix level counts towards the nesting limit of later passes.
            self.enter()?;
        }
    }

    /// Comma-separated expressions up to `close` (trailing comma allowed).
    fn list_of(&mut self, close: Tok, context: &str) -> PResult<Vec<Expr>> {
        let mut items = Vec::new();
        while !self.at(close) {
            items.push(self.expression()?);
            if !self.eat(Tok::Comma) {
                break;
            }
        }
        self.expect(close, context)?;
        Ok(items)
    }

    fn primary(&mut self) -> PResult<Expr> {
        let t = self.advance();
        let kind = match t.tok {
            Tok::Nil => ExprKind::Nil,
            Tok::True => ExprKind::Bool(true),
            Tok::False => ExprKind::Bool(false),
            Tok::Int => match self.text(t.span).replace('_', "").parse::<i64>() {
                Ok(v) => ExprKind::Int(v),
                Err(_) => return Err(self.error_at(t.span, "integer literal is too large")),
            },
            Tok::Float => {
                ExprKind::Float(self.text(t.span).replace('_', "").parse().unwrap_or(0.0))
            }
            Tok::Str => ExprKind::Str(string_value(self.text(t.span))),
            Tok::Ident => ExprKind::Var(Binding::new(self.text(t.span).to_string(), t.span)),
            Tok::LParen => {
                let inner = self.expression()?;
                self.expect(Tok::RParen, "after the expression")?;
                return Ok(Expr {
                    kind: inner.kind,
                    span: t.span.to(self.prev_span()),
                });
            }
            Tok::LBracket => {
                self.enter()?;
                let items = self.list_of(Tok::RBracket, "to close the list")?;
                self.leave();
                ExprKind::List(items)
            }
            Tok::LBrace => {
                self.enter()?;
                let entries = self.map_entries()?;
                self.leave();
                ExprKind::Map(entries)
            }
            Tok::Fn => {
                let func = self.function_rest("<anonymous>".into(), t.span)?;
                ExprKind::Fn(Box::new(func))
            }
            _ => {
                // Do not consume a token that can end or start a statement.
                if matches!(
                    t.tok,
                    Tok::Semi | Tok::RBrace | Tok::RParen | Tok::RBracket | Tok::Eof
                ) {
                    self.pos -= usize::from(t.tok != Tok::Eof);
                }
                return Err(self.error_at(
                    t.span,
                    format!("expected an expression, found {}", t.tok.describe()),
                ));
            }
        };
        Ok(Expr {
            kind,
            span: t.span.to(self.prev_span()),
        })
    }

    fn map_entries(&mut self) -> PResult<Vec<(Expr, Expr)>> {
        let mut entries = Vec::new();
        while !self.at(Tok::RBrace) {
            let key = match self.peek().tok {
                Tok::Ident => {
                    let t = self.advance();
                    Expr {
                        kind: ExprKind::Str(self.text(t.span).to_string()),
                        span: t.span,
                    }
                }
                Tok::LBracket => {
                    self.advance();
                    let k = self.expression()?;
                    self.expect(Tok::RBracket, "after the key")?;
                    k
                }
                _ => self.primary()?,
            };
            self.expect(Tok::Colon, "after the map key")?;
            let value = self.expression()?;
            entries.push((key, value));
            if !self.eat(Tok::Comma) {
                break;
            }
        }
        self.expect(Tok::RBrace, "to close the map")?;
        Ok(entries)
    }
}
