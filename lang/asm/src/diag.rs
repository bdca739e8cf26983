//! Diagnostics: every error the assembler reports carries `file:line:column`.

use std::fmt;

/// A position in the source: index into the file table, 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loc {
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

/// One error, resolved to a file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: error: {}", self.file, self.line, self.column, self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// An error still attached to a [`Loc`]; turned into a [`Diagnostic`] at the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub loc: Loc,
    pub message: String,
}

impl Error {
    pub fn new(loc: Loc, message: impl Into<String>) -> Self {
        Error { loc, message: message.into() }
    }
}

/// Shorthand for results inside the assembler.
pub type Result<T> = std::result::Result<T, Error>;

