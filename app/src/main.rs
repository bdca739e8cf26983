//! `workbench`: the desktop app and its headless CLI (DESIGN.md, "The app").
//!
//! `workbench [FILE]` opens the window; `workbench run|asm|bench|repl ...` run headless.

mod bench;
mod cli;
mod debugger;
mod fsutil;
mod gui;
mod loader;

fn main() -> std::process::ExitCode {
    cli::main()
}
