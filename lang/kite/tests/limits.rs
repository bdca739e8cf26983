//! Stopping runs from outside: the step budget and the cancel flag of `RunLimits`, on both
//! engines. Steps are calls and loop back-edges, counted identically by the two engines, so
//! a budget stops them at the same point with the same output.

// Tests fail by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::corpus_files;
use wb_kite::{Engine, KiteError, RunLimits, RunOptions, RunOutcome, run_source_limited};

fn run_limited(
    source: &str,
    engine: Engine,
    limits: &RunLimits,
) -> (String, Result<RunOutcome, KiteError>) {
    let opts = RunOptions {
        engine,
        args: Vec::new(),
        gc_stress: false,
    };
    let mut out = Vec::new();
    let result = run_source_limited("test.kite", source, &opts, limits, &mut out);
    (String::from_utf8_lossy(&out).into_owned(), result)
}

fn steps(n: u64) -> RunLimits {
    RunLimits {
        max_steps: Some(n),
        cancel: None,
    }
}

const ENGINES: [Engine; 2] = [Engine::Tree, Engine::Vm];

#[test]
fn endless_loops_stop_at_the_step_budget() {
    let programs = [
        "while true {}",
        "let i = 0; while true { i = i + 1; if i > 5 { continue; } }",
        "fn f() { return f(); } f();",
        "fn loop_forever() { for i in 0..10 { if i == 9 { loop_forever(); } } } loop_forever();",
        "let l = [1, 2]; for x in l { push(l, x); }",
    ];
    for source in programs {
        for engine in ENGINES {
            let (_, result) = run_limited(source, engine, &steps(5000));
            assert_eq!(result, Ok(RunOutcome::StepLimit), "{source} on {engine:?}");
        }
    }
}

#[test]
fn a_budget_large_enough_lets_the_program_finish() {
    let source = "let s = 0; for i in 0..100 { s = s + i; } print(s);";
    for engine in ENGINES {
        let (out, result) = run_limited(source, engine, &steps(1000));
        assert_eq!(result, Ok(RunOutcome::Finished));
        assert_eq!(out, "4950\n");
    }
}

#[test]
fn both_engines_stop_at_the_same_step() {
    // Calls, while back-edges (also through `continue`), range and collection loops.
    let source = r#"
        fn f(x) { return x + 1; }
        let i = 0;
        while i < 50 {
            i = f(i);
            print("w", i);
            if i % 3 == 0 { continue; }
        }
        for j in 0..20 { print("r", j); }
        for k, v in {a: 1, b: 2, c: 3} { print("m", k, v); }
        for x in [7, 8, 9] { print("l", x); }
    "#;
    let (full, result) = run_limited(source, Engine::Tree, &RunLimits::default());
    assert_eq!(result, Ok(RunOutcome::Finished));
    let mut stopped_early = 0;
    for budget in 0..160 {
        let runs: Vec<_> = ENGINES
            .iter()
            .map(|&e| run_limited(source, e, &steps(budget)))
            .collect();
        assert_eq!(runs[0], runs[1], "engines disagree at budget {budget}");
        let (out, result) = &runs[0];
        assert!(full.starts_with(out.as_str()));
        if *result == Ok(RunOutcome::StepLimit) {
            stopped_early += 1;
        }
    }
    assert!(
        stopped_early > 100,
        "the budget stopped only {stopped_early} runs"
    );
}

/// Every corpus program under a range of budgets: the engines agree on the outcome and the
/// output printed before it.
#[test]
fn corpus_engines_agree_under_budgets() {
    let files = corpus_files();
    assert!(files.len() >= 30, "corpus not found");
    let mut failures = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap();
        for budget in [0, 1, 2, 3, 5, 8, 13, 40, 100, 1000] {
            let runs: Vec<_> = ENGINES
                .iter()
                .map(|&e| {
                    let (out, result) = run_limited(&source, e, &steps(budget));
                    let result = result.map_err(|e| e.render("test.kite", &source, false));
                    (out, result)
                })
                .collect();
            if runs[0] != runs[1] {
                failures.push(format!(
                    "{} at budget {budget}: {:#?}",
                    path.display(),
                    runs
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_set_cancel_flag_stops_an_endless_program() {
    for engine in ENGINES {
        let flag = Arc::new(AtomicBool::new(true));
        let limits = RunLimits {
            max_steps: None,
            cancel: Some(flag.clone()),
        };
        let (out, result) = run_limited("print(1); while true {}", engine, &limits);
        assert_eq!(result, Ok(RunOutcome::Cancelled), "{engine:?}");
        assert_eq!(out, "1\n", "output before the cancel reaches the sink");
    }
}

#[test]
fn cancel_from_another_thread() {
    for engine in ENGINES {
        let flag = Arc::new(AtomicBool::new(false));
        let limits = RunLimits {
            max_steps: None,
            cancel: Some(flag.clone()),
        };
        let setter = {
            let flag = flag.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(50));
                flag.store(true, Ordering::Relaxed);
            })
        };
        let (_, result) = run_limited(
            "fn f(n) { return n; } while true { f(1); }",
            engine,
            &limits,
        );
        setter.join().unwrap();
        assert_eq!(result, Ok(RunOutcome::Cancelled), "{engine:?}");
    }
}

#[test]
fn errors_are_still_errors_under_limits() {
    for engine in ENGINES {
        let (_, result) = run_limited("let x = 1 / 0 + nil;", engine, &steps(10));
        assert!(matches!(result, Err(KiteError::Runtime(_))), "{engine:?}");
    }
}
