//! What the editor does with a source: check a Kite program as it is typed, run it on a
//! background thread (tree or VM engine) that the user can stop, with its output collected
//! (bounded) for the console, list its bytecode, make a steppable [`wb_kite::VmMachine`],
//! and assemble assembly sources into a machine of the matching core with the assembler's
//! debug info attached.

use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use wb_kite::{Engine, KiteError, RunLimits, RunOptions, RunOutcome};
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

/// Most bytes of output a run keeps for the console between two looks at it: a program
/// printing in an endless loop while the editor is hidden must not grow memory without end.
pub const OUTPUT_CAP: usize = 1 << 20;

/// Output written by a running program and not yet handed to the console.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    /// Oldest bytes thrown away because the console did not keep up.
    dropped: u64,
}

/// The pending output, shared between the program's thread and the UI.
#[derive(Clone, Default)]
struct SharedOut(Arc<Mutex<Pending>>);

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut out) = self.0.lock() {
            out.bytes.extend_from_slice(buf);
            if out.bytes.len() > OUTPUT_CAP {
                // Drop down to half the cap at once, so a flood costs amortised O(1) per byte.
                let cut = out.bytes.len() - OUTPUT_CAP / 2;
                out.bytes.drain(..cut);
                out.dropped += cut as u64;
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The thread of a run: its outcome, or its error.
type RunThread = JoinHandle<Result<RunOutcome, KiteError>>;

/// A Kite program running on its own thread, so a long or endless program never freezes
/// the window; [`KiteRun::stop`] cancels it.
pub struct KiteRun {
    out: SharedOut,
    cancel: Arc<AtomicBool>,
    thread: Option<RunThread>,
}

impl KiteRun {
    pub fn start(file_name: &str, source: &str, engine: Engine) -> std::io::Result<KiteRun> {
        let out = SharedOut::default();
        let mut writer = out.clone();
        let cancel = Arc::new(AtomicBool::new(false));
        let limits = RunLimits {
            max_steps: None,
            cancel: Some(cancel.clone()),
        };
        let (name, source) = (file_name.to_string(), source.to_string());
        let opts = RunOptions {
            engine,
            args: Vec::new(),
            gc_stress: false,
        };
        let thread = std::thread::Builder::new()
            .name("kite-run".into())
            .spawn(move || {
                wb_kite::run_source_limited(&name, &source, &opts, &limits, &mut writer)
            })?;
        Ok(KiteRun {
            out,
            cancel,
            thread: Some(thread),
        })
    }

    /// Ask the program to stop; it ends as [`RunOutcome::Cancelled`] within a few
    /// thousand steps. Never waits.
    pub fn stop(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// [`KiteRun::stop`] was asked.
    pub fn stopping(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Output produced since the last call (lossy UTF-8), preceded by a note when some
    /// was dropped for not being taken in time.
    pub fn take_output(&mut self) -> String {
        let Ok(mut out) = self.out.0.lock() else {
            return String::new();
        };
        let bytes = std::mem::take(&mut out.bytes);
        let dropped = std::mem::take(&mut out.dropped);
        drop(out);
        let text = String::from_utf8_lossy(&bytes);
        if dropped == 0 {
            text.into_owned()
        } else {
            format!("[... {dropped} bytes of output dropped ...]\n{text}")
        }
    }

    /// The result once the program ended; `None` while it runs.
    pub fn finished(&mut self) -> Option<Result<RunOutcome, KiteError>> {
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

impl Drop for KiteRun {
    /// A run nobody watches any more (the editor closed) must not spin forever.
    fn drop(&mut self) {
        self.stop();
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

    /// Poll `run` until it ends, sleeping a little between polls, at most `polls` times
    /// (a count, not a clock: generous so a loaded machine does not fail it).
    fn poll_until_finished(run: &mut KiteRun, polls: u32) -> Option<Result<RunOutcome, KiteError>> {
        for _ in 0..polls {
            if let Some(done) = run.finished() {
                return Some(done);
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        None
    }

    #[test]
    fn an_endless_program_runs_until_stopped_on_both_engines() {
        for engine in [Engine::Vm, Engine::Tree] {
            let mut run = KiteRun::start("spin.kite", "while true {}\n", engine).expect("starts");
            // It does not end on its own.
            for _ in 0..20 {
                assert!(
                    run.finished().is_none(),
                    "{engine:?}: an endless loop ended"
                );
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            assert!(!run.stopping());
            run.stop();
            assert!(run.stopping());
            let done = poll_until_finished(&mut run, 4000);
            assert!(
                matches!(done, Some(Ok(RunOutcome::Cancelled))),
                "{engine:?}: {done:?}"
            );
            assert!(run.finished().is_none(), "the result is handed over once");
        }
    }

    #[test]
    fn a_program_that_ends_reports_finished_with_all_its_output() {
        let mut run = KiteRun::start("p.kite", "print(6 * 7);\n", Engine::Vm).expect("starts");
        let done = poll_until_finished(&mut run, 4000);
        assert!(matches!(done, Some(Ok(RunOutcome::Finished))), "{done:?}");
        assert_eq!(run.take_output(), "42\n");
        assert_eq!(run.take_output(), "", "output is handed over once");
    }

    #[test]
    fn unread_output_is_capped_and_the_loss_is_told() {
        let mut out = SharedOut::default();
        let line = [b'x'; 1000];
        for _ in 0..5 * OUTPUT_CAP / line.len() {
            out.write_all(&line).expect("writes");
            let held = out.0.lock().expect("lock").bytes.len();
            assert!(held <= OUTPUT_CAP, "{held} bytes held");
        }
        let mut run = KiteRun {
            out,
            cancel: Arc::new(AtomicBool::new(false)),
            thread: None,
        };
        let text = run.take_output();
        let (note, rest) = text.split_once('\n').expect("a note line");
        let dropped: usize = note
            .trim_start_matches("[... ")
            .trim_end_matches(" bytes of output dropped ...]")
            .parse()
            .unwrap_or_else(|_| panic!("a count of dropped bytes: {note}"));
        assert_eq!(
            dropped + rest.len(),
            5 * OUTPUT_CAP / line.len() * line.len()
        );
        assert!(rest.len() <= OUTPUT_CAP && rest.bytes().all(|b| b == b'x'));
    }

    #[test]
    fn dropping_a_run_cancels_it() {
        let run = KiteRun::start("spin.kite", "while true {}\n", Engine::Vm).expect("starts");
        let cancel = run.cancel.clone();
        drop(run);
        assert!(cancel.load(Ordering::Relaxed), "the thread is told to stop");
    }
}
