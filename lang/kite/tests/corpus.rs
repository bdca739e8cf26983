//! The language corpus (`tests/corpus/<feature>/<case>.kite`), each file carrying its
//! expected output and errors in comments. Every file runs on both engines, which must
//! meet the expectations and agree byte for byte (output and rendered errors), then again
//! with the collector in stress mode.

// Tests fail by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{check, corpus_files, expectations, run};
use wb_kite::Engine;

fn run_corpus(engines: &[Engine], gc_stress: bool) {
    let files = corpus_files();
    assert!(
        files.len() >= 30,
        "corpus not found or too small: {} files",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let Ok(source) = std::fs::read_to_string(path) else {
            failures.push(format!("{}: unreadable", path.display()));
            continue;
        };
        let exp = expectations(&source);
        let mut runs = Vec::new();
        for &engine in engines {
            let (stdout, result) = run(&source, engine, gc_stress, &[]);
            if let Err(why) = check(&source, &exp, &stdout, &result) {
                failures.push(format!(
                    "{} [{engine:?}{}]: {why}",
                    path.display(),
                    if gc_stress { ", gc stress" } else { "" }
                ));
            }
            let rendered = result
                .as_ref()
                .err()
                .map(|e| e.render("test.kite", &source, false));
            runs.push((stdout, rendered));
        }
        if runs.windows(2).any(|w| w[0] != w[1]) {
            failures.push(format!("{}: engines disagree:\n{runs:#?}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus files failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_passes_on_both_engines_and_they_agree() {
    run_corpus(&[Engine::Tree, Engine::Vm], false);
}

#[test]
fn corpus_passes_with_gc_stress() {
    run_corpus(&[Engine::Tree, Engine::Vm], true);
}
