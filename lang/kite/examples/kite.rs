//! A tiny driver for measuring and trying Kite without the whole app:
//! `cargo run --release -p wb-kite --example kite -- [--engine tree|vm] [--gc-stress]
//! [--disasm] [--trace] [--gc-stats] FILE [ARGS...]`; with no FILE it starts the REPL.

use std::io::Write;
use std::process::ExitCode;

use wb_kite::{Engine, RunOptions, disassemble_source, repl, run_source_stats};

fn main() -> ExitCode {
    let mut engine = Engine::Vm;
    let mut gc_stress = false;
    let mut disasm = false;
    let mut stats = false;
    let mut trace = false;
    let mut rest = Vec::new();
    let mut argv = std::env::args().skip(1);
    while let Some(a) = argv.next() {
        match a.as_str() {
            "--engine" => match argv.next().as_deref().and_then(Engine::from_name) {
                Some(e) => engine = e,
                None => {
                    eprintln!("--engine takes tree or vm");
                    return ExitCode::from(2);
                }
            },
            "--gc-stress" => gc_stress = true,
            "--disasm" => disasm = true,
            "--gc-stats" => stats = true,
            "--trace" => trace = true,
            _ => {
                rest.push(a);
                rest.extend(argv.by_ref());
            }
        }
    }
    let Some(file) = rest.first().cloned() else {
        let stdin = std::io::stdin();
        let result = repl(&mut stdin.lock(), &mut std::io::stdout());
        return if result.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    };
    let source = match std::fs::read_to_string(&file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::from(2);
        }
    };
    if disasm {
        return match disassemble_source(&file, &source) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprint!("{}", e.render(&file, &source, false));
                ExitCode::from(e.exit_code() as u8)
            }
        };
    }
    if trace {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        return match wb_kite::trace_source(&file, &source, rest[1..].to_vec(), 100_000, &mut out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprint!("{}", e.render(&file, &source, false));
                ExitCode::from(e.exit_code() as u8)
            }
        };
    }
    let opts = RunOptions {
        engine,
        args: rest[1..].to_vec(),
        gc_stress,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (result, gc) = run_source_stats(&file, &source, &opts, &mut out);
    let _ = out.flush();
    if stats {
        eprintln!("{gc:?}");
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", e.render(&file, &source, false));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
