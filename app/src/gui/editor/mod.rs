//! The source editor's parts, free of the panel that draws them: the text buffer with its
//! file, undo/redo and unsaved-change tracking ([`buffer`]), lexical highlighting per
//! language ([`highlight`]), running, checking and assembling what is typed ([`runner`]),
//! and the bounded output console ([`console`]).

pub mod buffer;
pub mod console;
pub mod highlight;
pub mod runner;

#[cfg(test)]
mod tests;
