//! The file table and `include`: every file read is numbered so a [`Loc`] can name it.

use crate::diag::{Error, Loc, Result};

/// How deep `include` may nest before we call it a cycle.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Reads an included file by the name written in the source.
pub type Includer<'a> = &'a dyn Fn(&str) -> std::io::Result<String>;

/// All files read so far, plus the reader for new ones.
pub struct Sources<'a> {
    pub names: Vec<String>,
    pub texts: Vec<String>,
    /// Byte offset where each line starts, per file (for listings).
    line_starts: Vec<Vec<usize>>,
    includer: Includer<'a>,
    depth: usize,
}

impl<'a> Sources<'a> {
    pub fn new(name: &str, text: &str, includer: Includer<'a>) -> Self {
        Sources {
            names: vec![name.to_string()],
            texts: vec![text.to_string()],
            line_starts: vec![line_starts(text)],
            includer,
            depth: 0,
        }
    }

    /// Reads `name` (as written in an include directive) and returns its file index.
    pub fn include(&mut self, name: &str, at: Loc) -> Result<u32> {
        if self.depth >= MAX_INCLUDE_DEPTH {
            return Err(Error::new(at, format!("includes nested deeper than {MAX_INCLUDE_DEPTH}")));
        }
        let text = (self.includer)(name)
            .map_err(|e| Error::new(at, format!("cannot include `{name}`: {e}")))?;
        self.names.push(name.to_string());
        self.line_starts.push(line_starts(&text));
        self.texts.push(text);
        Ok((self.names.len() - 1) as u32)
    }

    pub fn enter(&mut self) {
        self.depth += 1;
    }
    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub fn text(&self, file: u32) -> &str {
        self.texts.get(file as usize).map(String::as_str).unwrap_or("")
    }

    /// The text of one 1-based line, for listings.
    pub fn line_text(&self, loc: Loc) -> &str {
        let text = self.text(loc.file);
        let Some(starts) = self.line_starts.get(loc.file as usize) else { return "" };
        let Some(&start) = starts.get(loc.line.saturating_sub(1) as usize) else { return "" };
        let end = starts.get(loc.line as usize).copied().unwrap_or(text.len());
        text.get(start..end).unwrap_or("").trim_end_matches(['\n', '\r'])
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect()
}
