//! Errors a Kite program can produce, and how they are shown.

use crate::front::diagnostic::{Diagnostic, render_report};
use crate::front::span::{Span, line_col};

/// One line of a runtime stack trace: the function and where in it execution was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceFrame {
    pub function: String,
    pub span: Span,
}

/// An error raised while the program runs. Both engines produce identical values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeError {
    pub message: String,
    /// Innermost frame first; `trace[0].span` is where the error happened.
    pub trace: Vec<TraceFrame>,
}

impl RuntimeError {
    pub fn span(&self) -> Span {
        self.trace.first().map_or(Span::default(), |f| f.span)
    }

    /// The stack trace as text, one `at function (line N)` per frame.
    pub fn trace_lines(&self, source: &str) -> Vec<String> {
        self.trace
            .iter()
            .map(|f| {
                format!(
                    "at {} (line {})",
                    f.function,
                    line_col(source, f.span.start).0
                )
            })
            .collect()
    }
}

/// Why [`crate::run_source`] failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KiteError {
    #[error("{} compile error(s)", .0.len())]
    Compile(Vec<Diagnostic>),
    #[error("runtime error: {}", .0.message)]
    Runtime(RuntimeError),
}

impl KiteError {
    /// Exit status for the CLI: 65 for compile errors, 70 for runtime errors (sysexits).
    pub fn exit_code(&self) -> i32 {
        match self {
            KiteError::Compile(_) => 65,
            KiteError::Runtime(_) => 70,
        }
    }

    /// The error as ariadne reports (no ANSI colour unless `color`).
    pub fn render(&self, file_name: &str, source: &str, color: bool) -> String {
        match self {
            KiteError::Compile(diags) => diags
                .iter()
                .map(|d| render_report(file_name, source, &d.message, d.span, "here", &[], color))
                .collect(),
            KiteError::Runtime(e) => {
                let notes = vec![format!(
                    "stack trace:\n  {}",
                    e.trace_lines(source).join("\n  ")
                )];
                render_report(
                    file_name,
                    source,
                    &e.message,
                    e.span(),
                    "runtime error here",
                    &notes,
                    color,
                )
            }
        }
    }

    /// One line per error, `line:col: message` (tests and the REPL).
    pub fn short(&self, source: &str) -> String {
        match self {
            KiteError::Compile(diags) => diags
                .iter()
                .map(|d| d.short(source))
                .collect::<Vec<_>>()
                .join("\n"),
            KiteError::Runtime(e) => {
                let (line, col) = line_col(source, e.span().start);
                format!("{line}:{col}: {}", e.message)
            }
        }
    }
}
