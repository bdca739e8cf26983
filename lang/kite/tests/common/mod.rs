//! Helpers shared by the integration tests: the corpus format and running a program.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use wb_kite::{Engine, KiteError, RunOptions, run_source};

/// What a corpus file says it should do, from its `// expect...` comments.
#[derive(Debug, Default, PartialEq)]
pub struct Expectations {
    pub output: Vec<String>,
    /// (line, message)
    pub runtime_error: Option<(u32, String)>,
    pub compile_errors: Vec<(u32, String)>,
}

/// `// expect: TEXT`, `// expect runtime error: MSG`, `// expect compile error: MSG`, the
/// error forms optionally as `... error at line N: MSG` when the error is on another line.
pub fn expectations(source: &str) -> Expectations {
    let mut e = Expectations::default();
    for (i, line) in source.lines().enumerate() {
        let lineno = i as u32 + 1;
        let Some(at) = line.find("// expect") else {
            continue;
        };
        let rest = &line[at + "// expect".len()..];
        if let Some(text) = rest.strip_prefix(':') {
            e.output
                .push(text.strip_prefix(' ').unwrap_or(text).to_string());
        } else if let Some(err) = rest.strip_prefix(" runtime error") {
            e.runtime_error = Some(error_spec(err, lineno));
        } else if let Some(err) = rest.strip_prefix(" compile error") {
            e.compile_errors.push(error_spec(err, lineno));
        }
    }
    e
}

fn error_spec(rest: &str, lineno: u32) -> (u32, String) {
    if let Some(r) = rest.strip_prefix(" at line ")
        && let Some((n, msg)) = r.split_once(':')
        && let Ok(n) = n.trim().parse()
    {
        return (n, msg.trim().to_string());
    }
    (lineno, rest.trim_start_matches(':').trim().to_string())
}

/// Run `source`; returns stdout and the error, if any.
pub fn run(
    source: &str,
    engine: Engine,
    gc_stress: bool,
    args: &[&str],
) -> (String, Result<(), KiteError>) {
    let opts = RunOptions {
        engine,
        args: args.iter().map(|s| s.to_string()).collect(),
        gc_stress,
    };
    let mut out = Vec::new();
    let result = run_source("test.kite", source, &opts, &mut out);
    (String::from_utf8_lossy(&out).into_owned(), result)
}

/// Check one run against the expectations; `Err` describes the first mismatch.
pub fn check(
    source: &str,
    exp: &Expectations,
    stdout: &str,
    result: &Result<(), KiteError>,
) -> Result<(), String> {
    let lines: Vec<&str> = stdout.lines().collect();
    if lines != exp.output {
        return Err(format!(
            "output differs:\n  got  {lines:?}\n  want {:?}",
            exp.output
        ));
    }
    let line_of = |span: wb_kite::Span| wb_kite::front::span::line_col(source, span.start).0;
    match result {
        Ok(()) => {
            if exp.runtime_error.is_some() || !exp.compile_errors.is_empty() {
                return Err("expected an error, the program succeeded".into());
            }
        }
        Err(KiteError::Runtime(e)) => {
            let got = (line_of(e.span()), e.message.clone());
            if exp.runtime_error.as_ref() != Some(&got) {
                return Err(format!(
                    "runtime error {got:?}, expected {:?}",
                    exp.runtime_error
                ));
            }
        }
        Err(KiteError::Compile(diags)) => {
            let got: Vec<(u32, String)> = diags
                .iter()
                .map(|d| (line_of(d.span), d.message.clone()))
                .collect();
            if got != exp.compile_errors {
                return Err(format!(
                    "compile errors {got:?}, expected {:?}",
                    exp.compile_errors
                ));
            }
        }
    }
    Ok(())
}

/// Every `.kite` file under the corpus, sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "kite") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
