//! Compile-time diagnostics and their rendering with ariadne.

use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};

use super::span::{Span, line_col};

/// A compile error: what went wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Span,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span,
        }
    }

    /// `line:col: message`, the one-line form used by tests and the REPL.
    pub fn short(&self, source: &str) -> String {
        let (line, col) = line_col(source, self.span.start);
        format!("{line}:{col}: {}", self.message)
    }
}

/// Render one ariadne report: `message` with a label at `span` and optional notes.
pub fn render_report(
    file_name: &str,
    source: &str,
    message: &str,
    span: Span,
    label: &str,
    notes: &[String],
    color: bool,
) -> String {
    let range = clamp(span, source);
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Byte);
    let mut report = Report::build(ReportKind::Error, (file_name, range.clone()))
        .with_config(config)
        .with_message(message)
        .with_label(Label::new((file_name, range)).with_message(label));
    for note in notes {
        report.add_note(note);
    }
    let mut out = Vec::new();
    let written = report
        .finish()
        .write((file_name, Source::from(source)), &mut out);
    match written {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        // Rendering into a Vec cannot fail for I/O reasons; keep a plain fallback anyway.
        Err(_) => {
            let (line, col) = line_col(source, span.start);
            format!("error: {message}\n --> {file_name}:{line}:{col}\n")
        }
    }
}

/// Keep a span inside the source and on character boundaries.
fn clamp(span: Span, source: &str) -> std::ops::Range<usize> {
    let mut start = (span.start as usize).min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (span.end as usize).clamp(start, source.len());
    while !source.is_char_boundary(end) {
        end += 1;
    }
    start..end
}
