//! The syntax tree. The parser builds it; the resolver fills in the `Res`/slot fields that
//! both engines read (so the tree-walker and the compiler agree on every variable).

use super::span::Span;

/// Where a variable lives, decided by the resolver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Res {
    /// Not resolved yet (or an error was reported).
    Unresolved,
    /// A slot of the current frame; `boxed` when a closure captures it (the slot holds a cell).
    Local { slot: u16, boxed: bool },
    /// The n-th captured cell of the current closure.
    Upval(u16),
    /// A top-level variable.
    Global(u32),
    /// A built-in function.
    Native(u16),
}

/// A declared variable: its name and the slot the resolver gave it.
#[derive(Clone, Debug)]
pub struct Binding {
    pub name: String,
    pub span: Span,
    pub res: Res,
    /// Which local declaration this is or refers to (resolver bookkeeping).
    pub decl: u32,
}

impl Binding {
    pub fn new(name: String, span: Span) -> Binding {
        Binding {
            name,
            span,
            res: Res::Unresolved,
            decl: u32::MAX,
        }
    }
}

/// Where a closure's captured cell comes from in the enclosing function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// The enclosing frame's slot (which holds a cell).
    Local(u16),
    /// The enclosing closure's own captured cell.
    Upval(u16),
}

#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub span: Span,
    pub params: Vec<Binding>,
    pub body: Vec<Stmt>,
    /// Frame size: parameters plus every local and hidden loop slot (filled by the resolver).
    pub slots: u16,
    pub captures: Vec<Capture>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Var(Binding),
    List(Vec<Expr>),
    /// `{ key: value, ... }`.
    Map(Vec<(Expr, Expr)>),
    Fn(Box<Function>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    /// `obj[index]`; `obj.name` is an index by the string constant.
    Index(Box<Expr>, Box<Expr>),
    /// `target = value` (compound assignments are desugared by the parser).
    Assign(Box<Expr>, Box<Expr>),
    /// Stands in for an expression that failed to parse.
    Error,
}

/// What a `for` loop walks.
#[derive(Clone, Debug)]
pub enum ForIter {
    /// `start..end`, integers, end excluded.
    Range(Expr, Expr),
    /// A list (elements), a map (keys, or keys and values) or a string (one-char strings).
    Each(Expr),
}

#[derive(Clone, Debug)]
pub struct ForLoop {
    pub var: Binding,
    pub second: Option<Binding>,
    pub iter: ForIter,
    pub body: Vec<Stmt>,
    /// First of the two hidden slots that hold the loop's state (filled by the resolver).
    pub state_slot: u16,
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    Expr(Expr),
    Let(Binding, Option<Expr>),
    Fn(Binding, Box<Function>),
    Block(Vec<Stmt>),
    If(Expr, Vec<Stmt>, Option<Vec<Stmt>>),
    While(Expr, Vec<Stmt>),
    For(Box<ForLoop>),
    Return(Option<Expr>),
    Break,
    Continue,
}

/// A parsed source file: the body of the implicit top-level function.
#[derive(Clone, Debug)]
pub struct Program {
    pub main: Function,
    /// Names of the top-level variables, by global index (filled by the resolver).
    pub globals: Vec<String>,
}
