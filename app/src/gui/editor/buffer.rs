//! One open source file: its text, where it is saved, what was saved last, and the undo
//! and redo stacks (whole-text snapshots; sources are small).

use std::path::{Path, PathBuf};

use crate::fsutil::write_atomic;

/// The most undo steps kept.
const UNDO_LIMIT: usize = 500;
/// Sources larger than this are refused (an editor for programs, not for data).
const MAX_SOURCE: u64 = 8 << 20;

#[derive(Default)]
pub struct Buffer {
    pub text: String,
    /// Where the text is saved; `None` for a new, never saved buffer.
    pub path: Option<PathBuf>,
    /// The text as last opened or saved.
    saved: String,
    undo: Vec<String>,
    redo: Vec<String>,
    /// The last edit inserted one word character: the next one joins the same undo step.
    typing: bool,
}

impl Buffer {
    /// A new buffer with `text`, unsaved.
    pub fn new(text: &str) -> Buffer {
        Buffer {
            text: text.to_string(),
            ..Buffer::default()
        }
    }

    /// Read a file (UTF-8 text) into a new buffer.
    pub fn open(path: &Path) -> Result<Buffer, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.len() > MAX_SOURCE {
            return Err(format!(
                "{}: {} bytes is too large for the editor",
                path.display(),
                meta.len()
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
        Ok(Buffer {
            saved: text.clone(),
            text,
            path: Some(path.to_path_buf()),
            ..Buffer::default()
        })
    }

    /// Write the text to `path` atomically; the buffer is then saved there.
    pub fn save_as(&mut self, path: &Path) -> Result<(), String> {
        write_atomic(path, self.text.as_bytes())
            .map_err(|e| format!("cannot save {}: {e}", path.display()))?;
        self.path = Some(path.to_path_buf());
        self.saved = self.text.clone();
        Ok(())
    }

    /// Changes since the last open or save.
    pub fn is_modified(&self) -> bool {
        self.text != self.saved
    }

    /// The file name for messages and the tab (`untitled` before the first save).
    pub fn name(&self) -> String {
        self.path
            .as_ref()
            .and_then(|p| p.file_name())
            .map_or_else(|| "untitled".into(), |n| n.to_string_lossy().into_owned())
    }

    /// Record that the text changed from `before` (the widget edited it in place).
    /// Consecutive word characters typed one at a time make one undo step.
    pub fn edited(&mut self, before: String) {
        if before == self.text {
            return;
        }
        let word_char =
            single_insert(&before, &self.text).is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !(word_char && self.typing) {
            self.undo.push(before);
            if self.undo.len() > UNDO_LIMIT {
                self.undo.remove(0);
            }
        }
        self.typing = word_char;
        self.redo.clear();
    }

    /// Replace the whole text as one undoable step (tests set up sources this way).
    #[cfg(test)]
    pub fn replace(&mut self, text: String) {
        let before = std::mem::replace(&mut self.text, text);
        self.typing = false;
        self.edited(before);
        self.typing = false;
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub fn undo(&mut self) -> bool {
        let Some(prev) = self.undo.pop() else {
            return false;
        };
        self.redo.push(std::mem::replace(&mut self.text, prev));
        self.typing = false;
        true
    }

    pub fn redo(&mut self) -> bool {
        let Some(next) = self.redo.pop() else {
            return false;
        };
        self.undo.push(std::mem::replace(&mut self.text, next));
        self.typing = false;
        true
    }
}

/// The character inserted when `after` is `before` with exactly one character added.
fn single_insert(before: &str, after: &str) -> Option<char> {
    if after.len() <= before.len() {
        return None;
    }
    let prefix = before
        .char_indices()
        .zip(after.chars())
        .find(|((_, a), b)| a != b)
        .map_or(before.len(), |((i, _), _)| i);
    let c = after[prefix..].chars().next()?;
    (after[prefix + c.len_utf8()..] == before[prefix..]).then_some(c)
}

/// Byte offsets of every occurrence of `needle` (case-insensitive for ASCII).
pub fn find_all(text: &str, needle: &str) -> Vec<std::ops::Range<usize>> {
    if needle.is_empty() {
        return Vec::new();
    }
    let hay = text.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    hay.match_indices(&needle)
        .map(|(i, m)| i..i + m.len())
        .collect()
}
