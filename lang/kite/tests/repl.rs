//! The REPL keeps globals between lines and prints bare expressions.

// Tests fail by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use wb_kite::repl;

#[test]
fn repl_remembers_and_prints() {
    let input =
        "let x = 40;\nx + 2\nfn f(a) {\n  return a * 2;\n}\nf(x)\nprint(\"hi\");\nnope\n1 +\n";
    let mut out = Vec::new();
    repl(&mut input.as_bytes(), &mut out).unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("42\n"), "{text}");
    assert!(text.contains("80\n"), "{text}");
    assert!(text.contains("hi\n"), "{text}");
    assert!(text.contains("undefined variable 'nope'"), "{text}");
    assert!(text.contains("expected an expression"), "{text}");
}
