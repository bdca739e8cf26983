//! The six benchmark ports in roms/kite print what the Lua originals print (small sizes),
//! on both engines.

// Tests fail by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::{run, workspace_root};
use wb_kite::Engine;

const CASES: [(&str, &str); 6] = [
    ("fib", "15"),
    ("loop", "1000"),
    ("mandel", "40"),
    ("bintrees", "6"),
    ("strhash", "1001"),
    ("nbody", "100"),
];

fn lua_output(name: &str, arg: &str) -> Option<String> {
    let script = workspace_root()
        .join("../shared/bench/lang")
        .join(format!("{name}.lua"));
    if !script.exists() {
        return None;
    }
    let out = Command::new("lua5.4").arg(&script).arg(arg).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn ports_match_lua_and_engines_agree() {
    let mut compared = 0;
    for (name, arg) in CASES {
        let path = workspace_root()
            .join("roms/kite")
            .join(format!("{name}.kite"));
        let source =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (vm_out, vm) = run(&source, Engine::Vm, false, &[arg]);
        assert!(vm.is_ok(), "{name} on the VM: {vm:?}");
        let (tree_out, tree) = run(&source, Engine::Tree, false, &[arg]);
        assert!(tree.is_ok(), "{name} on the tree-walker: {tree:?}");
        assert_eq!(vm_out, tree_out, "{name}: engines disagree");
        assert!(!vm_out.is_empty());
        match lua_output(name, arg) {
            Some(lua) => {
                assert_eq!(vm_out, lua, "{name} {arg}: Kite and Lua differ");
                compared += 1;
            }
            None => println!("skipped: lua5.4 or ../shared/bench/lang/{name}.lua not found"),
        }
    }
    println!("compared {compared} of {} ports with lua5.4", CASES.len());
}

#[test]
fn ports_survive_gc_stress() {
    for (name, arg) in [("bintrees", "6"), ("strhash", "301"), ("nbody", "10")] {
        let source = std::fs::read_to_string(
            workspace_root()
                .join("roms/kite")
                .join(format!("{name}.kite")),
        )
        .unwrap_or_default();
        let (normal, _) = run(&source, Engine::Vm, false, &[arg]);
        for engine in [Engine::Vm, Engine::Tree] {
            let (stressed, result) = run(&source, engine, true, &[arg]);
            assert!(result.is_ok(), "{name}: {result:?}");
            assert_eq!(stressed, normal, "{name} under GC stress on {engine:?}");
        }
    }
}

#[test]
fn example_programs_run_the_same_on_both_engines() {
    let dir = workspace_root().join("roms/kite");
    let mut ran = 0;
    for name in ["hello", "closures", "primes", "wordfreq"] {
        let source = std::fs::read_to_string(dir.join(format!("{name}.kite"))).unwrap();
        let (vm_out, vm) = run(&source, Engine::Vm, false, &["1000"]);
        let (tree_out, tree) = run(&source, Engine::Tree, false, &["1000"]);
        assert!(vm.is_ok() && tree.is_ok(), "{name}: {vm:?} {tree:?}");
        assert_eq!(vm_out, tree_out, "{name}");
        assert!(!vm_out.is_empty());
        if name == "primes" {
            // pi(1000) = 168, a known value.
            assert!(vm_out.starts_with("168 primes below 1000\n"), "{vm_out}");
        }
        ran += 1;
    }
    assert_eq!(ran, 4);
}
