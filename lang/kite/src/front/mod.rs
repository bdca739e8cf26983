//! The front end: lexer, recovering parser, resolver and diagnostics.

pub mod ast;
pub mod diagnostic;
pub mod lexer;
pub mod parser;
pub mod resolver;
pub mod span;
pub mod token;
