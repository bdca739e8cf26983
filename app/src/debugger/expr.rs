//! Debugger expressions over registers and memory: breakpoint conditions, log messages,
//! "go to address" fields.
//!
//! Grammar (C precedence, lowest first):
//! `||`, `&&`, `|`, `^`, `&`, `== !=`, `< <= > >=`, `<< >>`, `+ -`, `* / %`,
//! unary `! - ~`, and atoms: numbers (`16`, `0x10`, `0b101`), register names (`v3`, `pc`,
//! `I` — case-insensitive), symbols of the loaded program, `( expr )`, and `[expr]`, the byte
//! at that address of the main address space. Values are `u64` with wrapping arithmetic;
//! comparisons and logic give 0 or 1.

use wb_machine::Machine;

/// Why an expression could not be parsed or evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    #[error("column {col}: {msg}")]
    Parse { col: usize, msg: String },
    #[error("unknown register or symbol `{0}`")]
    Unknown(String),
    #[error("address {0:#x} is not mapped")]
    Unmapped(u64),
    #[error("division by zero")]
    DivZero,
}

/// A parsed expression, kept with its source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    source: String,
    root: Node,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Num(u64),
    Name(String),
    Mem(Box<Node>),
    Unary(UnOp, Box<Node>),
    Binary(BinOp, Box<Node>, Box<Node>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UnOp {
    Not,
    Neg,
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BinOp {
    Or,
    And,
    BitOr,
    BitXor,
    BitAnd,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// Binary operators by precedence level, lowest first; each token with its operator.
const LEVELS: &[&[(&str, BinOp)]] = &[
    &[("||", BinOp::Or)],
    &[("&&", BinOp::And)],
    &[("|", BinOp::BitOr)],
    &[("^", BinOp::BitXor)],
    &[("&", BinOp::BitAnd)],
    &[("==", BinOp::Eq), ("!=", BinOp::Ne)],
    &[
        ("<=", BinOp::Le),
        (">=", BinOp::Ge),
        ("<", BinOp::Lt),
        (">", BinOp::Gt),
    ],
    &[("<<", BinOp::Shl), (">>", BinOp::Shr)],
    &[("+", BinOp::Add), ("-", BinOp::Sub)],
    &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
];

impl Expr {
    /// Parse `source`; the error names the column (1-based).
    pub fn parse(source: &str) -> Result<Expr, ExprError> {
        let mut p = Parser {
            src: source.as_bytes(),
            pos: 0,
        };
        let root = p.level(0)?;
        p.skip_ws();
        if p.pos < p.src.len() {
            return Err(p.error("unexpected text after the expression"));
        }
        Ok(Expr {
            source: source.trim().to_string(),
            root,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluate against the machine's registers, symbols and memory (no side effects).
    pub fn eval(&self, m: &dyn Machine) -> Result<u64, ExprError> {
        let registers = m.registers();
        let env = Env {
            m,
            registers: &registers,
        };
        env.eval(&self.root)
    }
}

struct Env<'a> {
    m: &'a dyn Machine,
    registers: &'a [wb_machine::Register],
}

impl Env<'_> {
    fn eval(&self, node: &Node) -> Result<u64, ExprError> {
        Ok(match node {
            Node::Num(n) => *n,
            Node::Name(name) => self.lookup(name)?,
            Node::Mem(addr) => {
                let addr = self.eval(addr)?;
                self.m.peek(0, addr).ok_or(ExprError::Unmapped(addr))? as u64
            }
            Node::Unary(op, e) => {
                let v = self.eval(e)?;
                match op {
                    UnOp::Not => (v == 0) as u64,
                    UnOp::Neg => v.wrapping_neg(),
                    UnOp::BitNot => !v,
                }
            }
            // Short-circuit, so `[i] != 0 && [[i]] > 2` never reads a bad address.
            Node::Binary(BinOp::And, a, b) => (self.eval(a)? != 0 && self.eval(b)? != 0) as u64,
            Node::Binary(BinOp::Or, a, b) => (self.eval(a)? != 0 || self.eval(b)? != 0) as u64,
            Node::Binary(op, a, b) => binary(*op, self.eval(a)?, self.eval(b)?)?,
        })
    }

    fn lookup(&self, name: &str) -> Result<u64, ExprError> {
        if let Some(r) = self
            .registers
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
        {
            return Ok(r.value as u64);
        }
        if let Some(s) = self.m.debug_info().symbols.by_name(name) {
            return Ok(s.addr);
        }
        Err(ExprError::Unknown(name.to_string()))
    }
}

fn binary(op: BinOp, a: u64, b: u64) -> Result<u64, ExprError> {
    Ok(match op {
        BinOp::BitOr => a | b,
        BinOp::BitXor => a ^ b,
        BinOp::BitAnd => a & b,
        BinOp::Eq => (a == b) as u64,
        BinOp::Ne => (a != b) as u64,
        BinOp::Lt => (a < b) as u64,
        BinOp::Le => (a <= b) as u64,
        BinOp::Gt => (a > b) as u64,
        BinOp::Ge => (a >= b) as u64,
        BinOp::Shl => a.checked_shl(b.min(64) as u32).unwrap_or(0),
        BinOp::Shr => a.checked_shr(b.min(64) as u32).unwrap_or(0),
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::Div => a.checked_div(b).ok_or(ExprError::DivZero)?,
        BinOp::Rem => a.checked_rem(b).ok_or(ExprError::DivZero)?,
        BinOp::And => (a != 0 && b != 0) as u64,
        BinOp::Or => (a != 0 || b != 0) as u64,
    })
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, msg: &str) -> ExprError {
        ExprError::Parse {
            col: self.pos + 1,
            msg: msg.to_string(),
        }
    }

    fn skip_ws(&mut self) {
        while self
            .src
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    /// Consume `token` if it comes next and is not the start of a longer operator
    /// (`<` must not match the first half of `<<` or `<=`, `&` not the first of `&&`).
    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        let rest = &self.src[self.pos..];
        if !rest.starts_with(token.as_bytes()) {
            return false;
        }
        let next = rest.get(token.len()).copied();
        let longer = match token {
            "|" => next == Some(b'|'),
            "&" => next == Some(b'&'),
            "<" => matches!(next, Some(b'<' | b'=')),
            ">" => matches!(next, Some(b'>' | b'=')),
            "!" => next == Some(b'='),
            _ => false,
        };
        if longer {
            return false;
        }
        self.pos += token.len();
        true
    }

    fn level(&mut self, level: usize) -> Result<Node, ExprError> {
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut left = self.level(level + 1)?;
        'outer: loop {
            for (token, op) in ops.iter() {
                if self.eat(token) {
                    let right = self.level(level + 1)?;
                    left = Node::Binary(*op, Box::new(left), Box::new(right));
                    continue 'outer;
                }
            }
            return Ok(left);
        }
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        for (token, op) in [("!", UnOp::Not), ("-", UnOp::Neg), ("~", UnOp::BitNot)] {
            if self.eat(token) {
                return Ok(Node::Unary(op, Box::new(self.unary()?)));
            }
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Node, ExprError> {
        self.skip_ws();
        if self.eat("(") {
            let e = self.level(0)?;
            if !self.eat(")") {
                return Err(self.error("expected `)`"));
            }
            return Ok(e);
        }
        if self.eat("[") {
            let e = self.level(0)?;
            if !self.eat("]") {
                return Err(self.error("expected `]`"));
            }
            return Ok(Node::Mem(Box::new(e)));
        }
        let start = self.pos;
        while self
            .src
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.')
        {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.error("expected a number, a register, `(` or `[`"));
        }
        let word = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or_default();
        if word.as_bytes()[0].is_ascii_digit() {
            parse_number(word).map(Node::Num).ok_or(ExprError::Parse {
                col: start + 1,
                msg: format!("bad number `{word}`"),
            })
        } else {
            Ok(Node::Name(word.to_string()))
        }
    }
}

/// `16`, `0x10`, `0b10000`, `0o20`, with optional `_` separators.
pub fn parse_number(word: &str) -> Option<u64> {
    let w = word.replace('_', "");
    let lower = w.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()
    } else if let Some(bin) = lower.strip_prefix("0b") {
        u64::from_str_radix(bin, 2).ok()
    } else if let Some(oct) = lower.strip_prefix("0o") {
        u64::from_str_radix(oct, 8).ok()
    } else {
        lower.parse().ok()
    }
}

/// Expand `{expr}` parts of a log message; a part that fails shows its error in place.
pub fn interpolate(template: &str, m: &dyn Machine) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &rest[open + 1..open + close];
        match Expr::parse(inner).and_then(|e| e.eval(m)) {
            Ok(v) => out.push_str(&format!("{v:#x}")),
            Err(e) => out.push_str(&format!("<{e}>")),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}
