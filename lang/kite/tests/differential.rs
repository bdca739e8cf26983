//! Differential testing: generated programs (mixed types, errors, loops, closures,
//! recursion) must behave identically on the tree-walker and on the VM, also with the
//! collector in stress mode. The generator is seeded, so a failure names its seed.

// Tests fail by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::run;
use wb_kite::Engine;

/// xorshift64*: a tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const ATOMS: &[&str] = &[
    "1", "0", "-3", "2.5", "0.0", "\"s\"", "\"ab\"", "nil", "true", "false", "x", "y", "l", "m",
    "f", "g", "[1, 2]", "{a: 1}", "len", "str",
];
const OPS: &[&str] = &[
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or",
];
const CALLEES: &[&str] = &["f", "g", "len", "str", "push", "idiv", "min", "substr"];

fn expr(rng: &mut Rng, depth: usize) -> String {
    if depth > 3 || rng.chance(30) {
        return rng.pick(ATOMS).to_string();
    }
    match rng.below(7) {
        0..=2 => format!(
            "({} {} {})",
            expr(rng, depth + 1),
            rng.pick(OPS),
            expr(rng, depth + 1)
        ),
        3 => format!("{}{}", rng.pick(&["-", "not "]), expr(rng, depth + 1)),
        4 => format!("{}[{}]", expr(rng, depth + 1), expr(rng, depth + 1)),
        5 => {
            let n = rng.below(3);
            let args: Vec<String> = (0..n).map(|_| expr(rng, depth + 1)).collect();
            format!("{}({})", rng.pick(CALLEES), args.join(", "))
        }
        _ => format!("{}.a", expr(rng, depth + 1)),
    }
}

fn stmt(rng: &mut Rng, depth: usize) -> String {
    let e = expr(rng, 0);
    match rng.below(12) {
        0..=3 => format!("print({e});"),
        4 => format!("{} = {e};", rng.pick(&["x", "y"])),
        5 => format!("l[{}] = {e};", expr(rng, 2)),
        6 => format!("m.{} = {e};", rng.pick(&["a", "b"])),
        7 => format!("if {e} {{ print(1); }} else {{ print(2); }}"),
        8 => format!("x {} {e};", rng.pick(&["+=", "-=", "*="])),
        9 if depth < 2 => format!(
            "for i in 0..3 {{ {} if {e} {{ break; }} }}",
            stmt(rng, depth + 1)
        ),
        10 if depth < 2 => format!(
            "for k, v in {} {{ print(k, v); {} }}",
            rng.pick(&["l", "m", "y", "\"xyz\"", "[1, nil]"]),
            stmt(rng, depth + 1)
        ),
        11 => format!("let h = fn(z) {{ return {e} + z; }}; print(h(1), h(\"a\"));"),
        _ => format!("fn r(n) {{ if n <= 0 {{ return {e}; }} return r(n - 1); }} print(r(3));"),
    }
}

const PRELUDE: &str = "let x = 1; let y = \"q\"; let l = [1, 2, 3]; let m = {a: 2};\n\
                       fn f(p) { return p + 1; } let g = fn(p, q) { return p * q; };\n";

#[test]
fn generated_programs_agree_on_both_engines() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut ok, mut failed) = (0, 0);
    for case in 0..400 {
        let n = 1 + rng.below(6);
        let body: Vec<String> = (0..n).map(|_| stmt(&mut rng, 0)).collect();
        let src = format!("{PRELUDE}{}\n", body.join("\n"));
        let render = |engine, stress| {
            let (out, result) = run(&src, engine, stress, &[]);
            (out, result.err().map(|e| e.render("gen.kite", &src, false)))
        };
        let tree = render(Engine::Tree, false);
        assert_eq!(tree, render(Engine::Vm, false), "case {case}:\n{src}");
        assert_eq!(
            tree,
            render(Engine::Vm, true),
            "case {case} (VM, GC stress):\n{src}"
        );
        if tree.1.is_none() {
            ok += 1
        } else {
            failed += 1
        }
    }
    // The generator must exercise both successful runs and errors.
    assert!(ok >= 10 && failed >= 10, "{ok} ran, {failed} failed");
}
