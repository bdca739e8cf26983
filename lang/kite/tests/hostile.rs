//! Hostile input: every case must end in an error value (or a normal run), never a panic,
//! an abort or a host stack overflow.

// Tests fail by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::run;
use proptest::prelude::*;
use wb_kite::{Engine, KiteError, disassemble_source};

const ENGINES: [Engine; 2] = [Engine::Tree, Engine::Vm];

fn compile_error(source: &str) -> Vec<String> {
    match wb_kite::check(source) {
        Ok(_) => Vec::new(),
        Err(d) => d.into_iter().map(|d| d.message).collect(),
    }
}

#[test]
fn deep_nesting_is_a_compile_error() {
    let n = 100_000;
    let cases = [
        format!("print({}1{});", "(".repeat(n), ")".repeat(n)),
        format!("print({}1{});", "[".repeat(n), "]".repeat(n)),
        format!("{}{}", "{".repeat(n), "}".repeat(n)),
        format!("print({}1);", "-".repeat(n)),
        format!("print({}1);", "not ".repeat(n)),
        format!("let a = []; a{};", "[0]".repeat(n)),
        format!("print{};", "()".repeat(n)),
        format!("{}1{}", "if true { ".repeat(n), " }".repeat(n)),
        format!(
            "let f = {}1{};",
            "fn() { return ".repeat(n),
            "; }".repeat(n)
        ),
        format!("print({}1);", "1 + ".repeat(n)),
        format!("print({}1);", "2 * ".repeat(n)),
        format!("print({}1);", "1 < ".repeat(n)),
        format!("let x = 1; print(x{});", " or x".repeat(n)),
        format!("let x = 1; print(x{});", " and x".repeat(n)),
    ];
    for src in &cases {
        let errors = compile_error(src);
        assert!(
            errors.iter().any(|m| m.contains("nesting is too deep")),
            "{errors:?} for {}",
            &src[..60]
        );
        for engine in ENGINES {
            let (_, result) = run(src, engine, false, &[]);
            assert!(matches!(result, Err(KiteError::Compile(_))));
        }
    }
}

#[test]
fn nesting_below_the_limit_runs() {
    let src = format!("print({}1{});", "(".repeat(150), ")".repeat(150));
    for engine in ENGINES {
        let (out, result) = run(&src, engine, false, &[]);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(out, "1\n");
    }
}

#[test]
fn huge_literals_are_errors_or_work() {
    assert_eq!(
        compile_error(&format!("print({});", "9".repeat(10_000))),
        vec!["integer literal is too large"]
    );
    assert_eq!(
        compile_error("print(9223372036854775808);"),
        vec!["integer literal is too large"]
    );
    assert_eq!(
        compile_error("print(1e999999);"),
        vec!["float literal is out of range"]
    );
    let long = format!("print(len(\"{}\"));", "x".repeat(3 << 20));
    assert_eq!(compile_error(&long), vec!["string literal is too long"]);
    // A long list literal (more elements than registers) still runs, in chunks.
    let items: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
    let src = format!("let l = [{}]; print(len(l), l[19999]);", items.join(","));
    for engine in ENGINES {
        let (out, result) = run(&src, engine, false, &[]);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(out, "20000 19999\n");
    }
}

#[test]
fn too_many_locals_or_arguments_are_compile_errors() {
    let locals: String = (0..300).map(|i| format!("let v{i} = {i};")).collect();
    let errors = compile_error(&format!("fn f() {{ {locals} }}"));
    assert!(
        errors
            .iter()
            .any(|m| m.contains("too many local variables")),
        "{errors:?}"
    );
    let args: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    let errors = compile_error(&format!("print({});", args.join(",")));
    assert!(
        errors.iter().any(|m| m.contains("more than 200 arguments")),
        "{errors:?}"
    );
    // Many temporaries in one expression.
    let sum: Vec<String> = (0..300).map(|i| format!("[{i}]")).collect();
    let src = format!("print(len([{}]));", sum.join(","));
    for engine in ENGINES {
        let (out, result) = run(&src, engine, false, &[]);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(out, "300\n");
    }
}

#[test]
fn unterminated_string_is_one_error() {
    for src in ["print(\"abc", "\"", "let s = \"a\\", "print(\"a\\q\");"] {
        let errors = compile_error(src);
        assert!(!errors.is_empty(), "{src}");
    }
    assert_eq!(
        compile_error("print(\"abc);\nprint(1);"),
        vec!["unterminated string"]
    );
}

#[test]
fn runaway_recursion_is_a_runtime_error() {
    let cases = [
        "fn f(n) { return f(n + 1); } f(0);",
        "fn f(n) { let l = [n]; return 1 + f(n + 1); } f(0);",
        "let g = nil; fn f() { return g(); } g = f; f();",
    ];
    for src in cases {
        for engine in ENGINES {
            let (_, result) = run(src, engine, false, &[]);
            match result {
                Err(KiteError::Runtime(e)) => {
                    assert_eq!(e.message, "stack overflow");
                    assert!(e.trace.len() >= 1000, "trace of {} frames", e.trace.len());
                }
                other => panic!("{engine:?} on {src}: {other:?}"),
            }
        }
    }
}

#[test]
fn huge_strings_are_refused() {
    let src = "let s = repeat(\"abc\", 100000000);";
    for engine in ENGINES {
        let (_, result) = run(src, engine, false, &[]);
        assert!(matches!(result, Err(KiteError::Runtime(e)) if e.message.contains("too long")));
    }
}

/// Run arbitrary text on both engines (when it has no loops, so it terminates).
fn survive(src: &str) {
    let _ = wb_kite::check(src);
    let _ = disassemble_source("fuzz.kite", src);
    if !src.contains("while") && !src.contains("for") {
        let mut outs = Vec::new();
        for engine in ENGINES {
            let (out, result) = run(src, engine, false, &[]);
            let rendered = result.err().map(|e| e.render("fuzz.kite", src, false));
            outs.push((out, rendered));
        }
        assert_eq!(outs[0], outs[1], "engines disagree on {src:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        survive(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_token_soup_never_panics(tokens in proptest::collection::vec(proptest::sample::select(vec![
        "let", "x", "y", "=", "1", "2.5", "\"s\"", "+", "-", "*", "/", "%", "(", ")", "[", "]", "{", "}",
        ";", ",", ".", "fn", "return", "if", "else", "print", "len", "nil", "true", "and", "or", "not",
        "<", "==", ":", "f", "push", "str", "\n",
    ]), 0..60)) {
        survive(&tokens.join(" "));
    }
}

#[test]
fn doubling_a_string_stops_at_the_limit() {
    let src = "let s = \"0123456789abcdef\"; for i in 0..40 { s = s + s; }";
    for engine in ENGINES {
        let (_, result) = run(src, engine, false, &[]);
        assert!(
            matches!(&result, Err(KiteError::Runtime(e)) if e.message.starts_with("string is too long")),
            "{result:?}"
        );
    }
}
