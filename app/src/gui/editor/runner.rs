//! What the editor does with a source: check a Kite program as it is typed, run it on a
//! background thread (tree or VM engine) with its output collected for the console, list
//! its bytecode, make a steppable [`wb_kite::VmMachine`], and assemble assembly sources
//! into a machine of the matching core with the assembler's debug info attached.

use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use wb_kite::{Engine, KiteError, RunOptions};
use wb_machine::Machine;

use crate::loader::{self, LoadOptions};

/// An error placed in the text: the byte range to underline and the message to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marked {
    pub range: Range<usize>,
    pub message: String,
}

/// Compile-time errors of a Kite program, without running it.
pub fn check_kite(source: &str) -> Vec<Marked> {
    match wb_kite::check(source) {
        Ok(_) => Vec::new(),
        Err(diags) => diags
            .into_iter()
            .map(|d| Marked {
                range: visible(source, d.span.range()),
                message: d.message,
            })
            .collect(),
    }
}

/// The errors of a failed run, placed in the text.
pub fn kite_marks(source: &str, err: &KiteError) -> Vec<Marked> {
    match err {
        KiteError::Compile(diags) => diags
            .iter()
            .map(|d| Marked {
                range: visible(source, d.span.range()),
                message: d.message.clone(),
            })
            .collect(),
        KiteError::Runtime(e) => vec![Marked {
            range: visible(source, e.span().range()),
            message: format!("runtime error: {}", e.message),
        }],
    }
}

/// A span widened to at least one character (an error at the end of a line still shows)
/// and clamped to the text on character boundaries.
fn visible(source: &str, r: Range<usize>) -> Range<usize> {
    let mut start = r.start.min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = r.end.clamp(start, source.len());
    if end == start {
        end = source[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8());
        if end == start && start > 0 {
            // At the very end of the text: mark the last character instead.
            start = source[..start]
                .char_indices()
                .next_back()
                .map_or(0, |(i, _)| i);
        }
    }
    while !source.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Output written by a running program, shared with the UI.
#[derive(Clone, Default)]
struct SharedOut(Arc<Mutex<Vec<u8>>>);

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut out) = self.0.lock() {
            out.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A Kite program running on its own thread, so a long or endless program never freezes
/// the window.
pub struct KiteRun {
    out: SharedOut,
    /// Bytes of output already handed to the console.
    taken: usize,
    thread: Option<JoinHandle<Result<(), KiteError>>>,
}

impl KiteRun {
    pub fn start(file_name: &str, source: &str, engine: Engine) -> std::io::Result<KiteRun> {
        let out = SharedOut::default();
        let mut writer = out.clone();
        let (name, source) = (file_name.to_string(), source.to_string());
        let opts = RunOptions {
            engine,
            args: Vec::new(),
            gc_stress: false,
        };
        let thread = std::thread::Builder::new()
            .name("kite-run".into())
            .spawn(move || wb_kite::run_source(&name, &source, &opts, &mut writer))?;
        Ok(KiteRun {
            out,
            taken: 0,
            thread: Some(thread),
        })
    }

    /// Output produced since the last call (lossy UTF-8).
    pub fn take_output(&mut self) -> String {
        let Ok(out) = self.out.0.lock() else {
            return String::new();
        };
        let new = String::from_utf8_lossy(&out[self.taken.min(out.len())..]).into_owned();
        self.taken = out.len();
        new
    }

    /// The result once the program ended; `None` while it runs.
    pub fn finished(&mut self) -> Option<Result<(), KiteError>> {
        if !self.thread.as_ref()?.is_finished() {
            return None;
        }
        let thread = self.thread.take()?;
        Some(thread.join().unwrap_or_else(|_| {
            Err(KiteError::Runtime(wb_kite::RuntimeError {
                message: "the interpreter crashed (a bug in wb-kite)".into(),
                trace: Vec::new(),
            }))
        }))
    }
}

/// The bytecode listing, or the rendered errors.
pub fn bytecode(file_name: &str, source: &str) -> String {
    match wb_kite::disassemble_source(file_name, source) {
        Ok(listing) => listing,
        Err(e) => e.render(file_name, source, false),
    }
}

/// The program compiled for the VM as a machine the debugger panels can step.
pub fn kite_machine(file_name: &str, source: &str) -> Result<Box<dyn Machine>, KiteError> {
    wb_kite::VmMachine::new(file_name, source, Vec::new()).map(|m| Box::new(m) as Box<dyn Machine>)
}

/// Why "Assemble & load" did not produce a machine.
#[derive(Debug)]
pub enum AssembleError {
    /// The assembler's diagnostics, placed in the text where they are in this file, and
    /// all of them as lines for the console.
    Source {
        marks: Vec<Marked>,
        lines: Vec<String>,
    },
    /// Assembled, but no core could open the output.
    Load(String),
}

/// Assemble `source` (saved or not as `path`) and open the output in the matching core:
/// CHIP-8 binaries in the CHIP-8 core, SM83 ROMs in the Game Boy core, RISC-V linked ELF
/// executables in whatever core the loader has for them. The assembler's symbols and line
/// map go with the machine, so the disassembly shows source lines.
pub fn assemble_and_load(
    isa: wb_asm::Isa,
    path: &Path,
    source: &str,
) -> Result<(Box<dyn Machine>, String), AssembleError> {
    let name = path.display().to_string();
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let include = move |inc: &str| -> std::io::Result<String> {
        let bytes = std::fs::read(dir.join(inc))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    let kind = match isa {
        wb_asm::Isa::RiscV => wb_asm::OutputKind::Executable,
        _ => wb_asm::OutputKind::Default,
    };
    let assembled = wb_asm::assemble_str(&name, source, isa, kind, &include).map_err(|diags| {
        AssembleError::Source {
            marks: diags
                .iter()
                .filter(|d| d.file == name)
                .map(|d| Marked {
                    range: line_range(source, d.line, d.column),
                    message: d.message.clone(),
                })
                .collect(),
            lines: diags.iter().map(|d| d.to_string()).collect(),
        }
    })?;
    let ext = match isa {
        wb_asm::Isa::Chip8 => "ch8",
        wb_asm::Isa::Sm83 => "gb",
        wb_asm::Isa::RiscV => "elf",
    };
    let stem = path
        .file_stem()
        .map_or_else(|| "untitled".into(), |s| s.to_string_lossy().into_owned());
    let program = format!("{stem}.{ext}");
    let mut machine = loader::load_bytes(&program, &assembled.bytes, &LoadOptions::default())
        .map_err(|e| AssembleError::Load(e.to_string()))?;
    machine.set_debug_info(assembled.debug);
    Ok((machine, program))
}

/// From `column` (1-based) to the end of 1-based `line`; the whole line when the column is
/// unknown.
fn line_range(source: &str, line: u32, column: u32) -> Range<usize> {
    let start = source
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .sum::<usize>()
        .min(source.len());
    let text = source[start..].split('\n').next().unwrap_or("");
    let col = text
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(0, |(i, _)| i);
    let r = start + col..start + text.trim_end_matches('\r').len().max(col);
    visible(source, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_widened_and_clamped_to_characters() {
        let s = "let é = 1;\n";
        assert_eq!(
            visible(s, 4..4),
            4..6,
            "an empty span covers one (two-byte) character"
        );
        assert_eq!(visible(s, 100..120), s.len() - 1..s.len());
        assert_eq!(line_range("a\nbc d\n", 2, 4), 5..6);
        assert_eq!(line_range("a\nbc d\n", 2, 0), 2..6);
    }
}
