//! The headless command line: the contract of DESIGN.md ("The app"), kept stable because
//! tests, benchmarks and checks outside the project drive the cores through it.
//!
//! Exit codes: 0 success; the guest's own code when it exits; 1 a guest fault; 2 bad input
//! (one line on stderr); 3 a bound was reached before the guest ended (`--until-exit`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;

use clap::{Args, Parser, Subcommand};
use wb_machine::{Budget, InputEvent, Machine, StopReason};

use crate::loader::{self, LoadOptions};

const EXIT_FAULT: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;
const EXIT_BOUND: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "workbench",
    version,
    about = "An interactive emulator and language workbench.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Open the app with this file loaded.
    file: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a ROM, ELF, disk image or program headless: no window, no audio device.
    Run(Box<RunArgs>),
    /// Assemble a source file (ISA from the extension or --isa).
    Asm(AsmArgs),
    /// Print benchmark figures as JSON lines.
    Bench(crate::bench::BenchArgs),
    /// An interactive prompt for our language, Kite.
    Repl,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// The file to run.
    file: PathBuf,
    /// Arguments passed to the guest program (RISC-V Linux programs, our language).
    args: Vec<String>,
    /// Core: chip8 | schip | xochip | gb | riscv | x86 (default: detected from the file).
    #[arg(long)]
    core: Option<String>,
    /// CHIP-8 platform quirks: chip8 | schip-modern | schip-legacy | xochip.
    #[arg(long)]
    quirks: Option<String>,
    /// One CHIP-8 quirk over the preset, NAME=on|off (vf-reset, memory-increment,
    /// display-wait, clipping, shifting, jumping, legacy-lores, lores-dxy0-wide,
    /// collision-rows); repeatable.
    #[arg(long = "quirk", value_name = "NAME=on|off", value_parser = parse_quirk)]
    quirk: Vec<(String, bool)>,
    /// CHIP-8 instructions per frame.
    #[arg(long)]
    ipf: Option<u32>,
    /// Run N video frames, then stop.
    #[arg(long, value_name = "N")]
    frames: Option<u64>,
    /// Run N CPU cycles (instructions where the core has no cycle model).
    #[arg(long, value_name = "N")]
    cycles: Option<u64>,
    /// Run until the guest ends (exit, tohost, shutdown, LD B,B); --frames/--cycles bound it.
    #[arg(long)]
    until_exit: bool,
    /// Press a key/button at a frame for FRAMES frames (default 5); repeatable.
    #[arg(long, value_name = "KEY@FRAME[:FRAMES]", value_parser = parse_press)]
    press: Vec<Press>,
    /// Write guest memory after loading, before the first instruction; repeatable.
    #[arg(long, value_name = "ADDR=BYTE", value_parser = parse_poke)]
    poke: Vec<(u64, u8)>,
    /// Write the final screen here, one PNG pixel per machine pixel.
    #[arg(long, value_name = "OUT.png")]
    screenshot: Option<PathBuf>,
    /// Guest serial output goes to stdout; stdin feeds the guest's serial input.
    #[arg(long)]
    serial: bool,
    /// At the end print the registers, one NAME=0xHEX per line.
    #[arg(long)]
    regs: bool,
    /// At the end print `workbench-stats: instructions=N cycles=N seconds=S` on stderr.
    #[arg(long)]
    stats: bool,
    /// Engine for programs in our language: tree | vm.
    #[arg(long)]
    engine: Option<String>,
    /// Our language: collect garbage at every allocation (finds missing GC roots).
    #[arg(long)]
    gc_stress: bool,
    /// A Game Boy boot ROM to start from (default: the post-boot state, no boot ROM).
    #[arg(long, value_name = "FILE")]
    boot_rom: Option<PathBuf>,
    /// Folder a RISC-V Linux program may open files in (default: the program's folder).
    #[arg(long)]
    sandbox: Option<PathBuf>,
    /// Let the RISC-V Linux program write inside its sandbox.
    #[arg(long)]
    sandbox_writable: bool,
}

#[derive(Args, Debug)]
struct AsmArgs {
    /// The source file.
    file: PathBuf,
    /// chip8 | sm83 | riscv (default: from the extension).
    #[arg(long)]
    isa: Option<String>,
    /// Output file (default: the source with the ISA's usual extension).
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Also write a listing next to the output (OUT.lst).
    #[arg(long)]
    listing: bool,
    /// RISC-V: link a static executable instead of writing an object file.
    #[arg(long)]
    exe: bool,
}

#[derive(Clone, Debug)]
struct Press {
    key: String,
    frame: u64,
    frames: u64,
}

/// An error the user caused; printed as one line, exit code 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl<E: std::fmt::Display> From<E> for BadInput {
    fn from(e: E) -> Self {
        BadInput(e.to_string())
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One line, as the contract promises; clap's own text spreads over several.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("bad command line").trim_start_matches("error: ");
            return bad_input(first);
        }
    };
    match cli.command {
        Some(Command::Run(args)) => run(*args),
        Some(Command::Asm(args)) => match asm(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(BadInput(msg)) => bad_input(&msg),
        },
        Some(Command::Bench(args)) => match crate::bench::main(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(BadInput(msg)) => bad_input(&msg),
        },
        Some(Command::Repl) => repl(),
        None => match crate::gui::run(cli.file) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("workbench: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn bad_input(message: &str) -> ExitCode {
    eprintln!("workbench: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

// ---- option parsers ----

fn parse_number(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let parsed = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16)
    } else if let Some(hex) = t.strip_prefix('$') {
        u64::from_str_radix(hex, 16)
    } else {
        t.parse()
    };
    parsed.map_err(|_| format!("'{text}' is not a number"))
}

fn parse_press(text: &str) -> Result<Press, String> {
    let (key, when) = text.split_once('@').ok_or_else(|| format!("'{text}' is not KEY@FRAME[:FRAMES]"))?;
    let (frame, frames) = match when.split_once(':') {
        Some((f, n)) => (parse_number(f)?, parse_number(n)?),
        None => (parse_number(when)?, 5),
    };
    if key.is_empty() {
        return Err(format!("'{text}' names no key"));
    }
    Ok(Press { key: key.to_string(), frame, frames })
}

fn parse_poke(text: &str) -> Result<(u64, u8), String> {
    let (addr, byte) = text.split_once('=').ok_or_else(|| format!("'{text}' is not ADDR=BYTE"))?;
    let byte = parse_number(byte)?;
    let byte = u8::try_from(byte).map_err(|_| format!("{byte:#x} does not fit in a byte"))?;
    Ok((parse_number(addr)?, byte))
}

fn parse_quirk(text: &str) -> Result<(String, bool), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("'{text}' is not NAME=on|off"))?;
    let on = match value {
        "on" | "1" | "true" => true,
        "off" | "0" | "false" => false,
        _ => return Err(format!("'{value}' is not on or off")),
    };
    Ok((name.to_string(), on))
}

// ---- run ----

fn run(args: RunArgs) -> ExitCode {
    if is_language_source(&args.file) {
        return run_language(&args);
    }
    let mut machine = match prepare(&args) {
        Ok(m) => m,
        Err(BadInput(msg)) => return bad_input(&msg),
    };
    let presses = match resolve_presses(machine.as_ref(), &args.press) {
        Ok(p) => p,
        Err(BadInput(msg)) => return bad_input(&msg),
    };
    let started = std::time::Instant::now();
    let outcome = drive(machine.as_mut(), &args, &presses);
    if args.stats {
        eprintln!(
            "workbench-stats: instructions={} cycles={} seconds={:.3}",
            machine.instructions_retired(),
            machine.cycles(),
            started.elapsed().as_secs_f64()
        );
    }
    if let Err(e) = finish(machine.as_ref(), &args) {
        eprintln!("workbench: {e}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    match outcome {
        Outcome::Ended => ExitCode::SUCCESS,
        Outcome::Exited(code) => ExitCode::from((code & 0xFF) as u8),
        Outcome::BoundReached if args.until_exit => ExitCode::from(EXIT_BOUND),
        Outcome::BoundReached => ExitCode::SUCCESS,
        Outcome::Fault(fault) => {
            eprintln!("workbench: guest fault: {fault}");
            ExitCode::from(EXIT_FAULT)
        }
    }
}

fn prepare(args: &RunArgs) -> Result<Box<dyn Machine>, BadInput> {
    let opts = LoadOptions {
        core: args.core.clone(),
        quirks: args.quirks.clone(),
        quirk_overrides: args.quirk.clone(),
        instructions_per_frame: args.ipf,
        args: std::iter::once(args.file.display().to_string()).chain(args.args.iter().cloned()).collect(),
        sandbox: args.sandbox.clone(),
        sandbox_writable: args.sandbox_writable,
        host_stdio: true,
        boot_rom: args.boot_rom.clone(),
    };
    let mut machine = loader::load_file(&args.file, &opts)?;
    for &(addr, byte) in &args.poke {
        machine.poke(0, addr, byte).map_err(|e| format!("--poke {addr:#x}: {e}"))?;
    }
    Ok(machine)
}

/// A `--press` resolved to a button index.
struct Scheduled {
    index: usize,
    from: u64,
    until: u64,
}

fn resolve_presses(machine: &dyn Machine, presses: &[Press]) -> Result<Vec<Scheduled>, BadInput> {
    let buttons = machine.info().buttons;
    presses
        .iter()
        .map(|p| {
            let index = buttons.iter().position(|b| b.eq_ignore_ascii_case(&p.key)).ok_or_else(|| {
                BadInput(format!("--press: no key '{}' on this machine (keys: {})", p.key, buttons.join(" ")))
            })?;
            Ok(Scheduled { index, from: p.frame, until: p.frame.saturating_add(p.frames) })
        })
        .collect()
}

enum Outcome {
    /// The guest stopped itself (halt, debug trap with --until-exit) or ran its bound out.
    Ended,
    Exited(i32),
    BoundReached,
    Fault(wb_machine::GuestFault),
}

/// Most cycles one `run` call is given, so serial I/O stays responsive.
const CYCLE_CHUNK: u64 = 1 << 20;

fn drive(machine: &mut dyn Machine, args: &RunArgs, presses: &[Scheduled]) -> Outcome {
    let info = machine.info();
    // Frames pace the run when asked for, when keys are pressed at frames, or when the core
    // has a screen and no cycle bound was given.
    let by_frames = args.frames.is_some() || !presses.is_empty() || (info.frame_rate > 0.0 && args.cycles.is_none());
    let stdin = args.serial.then(spawn_stdin_reader);
    let mut serial = Vec::new();
    let mut frame: u64 = 0;
    let mut cycles: u64 = 0;
    let mut pressed = vec![false; info.buttons.len()];
    let outcome = loop {
        if args.frames.is_some_and(|n| frame >= n) || args.cycles.is_some_and(|n| cycles >= n) {
            break Outcome::BoundReached;
        }
        if by_frames {
            for (i, is_down) in pressed.iter_mut().enumerate() {
                let want = presses.iter().any(|p| p.index == i && (p.from..p.until).contains(&frame));
                if want != *is_down {
                    *is_down = want;
                    machine.input(InputEvent::Button { index: i, pressed: want });
                }
            }
        }
        if let Some(rx) = &stdin {
            while let Ok(bytes) = rx.try_recv() {
                machine.serial_in(&bytes);
            }
        }
        let budget = match (by_frames, args.cycles) {
            (true, _) => Budget::Frame,
            (false, Some(n)) => Budget::Cycles((n - cycles).min(CYCLE_CHUNK)),
            (false, None) => Budget::Cycles(CYCLE_CHUNK),
        };
        let result = machine.run(budget);
        cycles += result.cycles;
        if args.serial {
            pump_serial(machine, &mut serial);
        }
        match result.stop {
            StopReason::FrameDone => frame += 1,
            StopReason::BudgetSpent => {
                if by_frames {
                    frame += 1;
                }
            }
            StopReason::Breakpoint { .. } | StopReason::Watchpoint { .. } => {}
            StopReason::DebugTrap { .. } => {
                if args.until_exit {
                    break Outcome::Ended;
                }
            }
            StopReason::Halted => break Outcome::Ended,
            StopReason::Exited { code } => break Outcome::Exited(code),
            StopReason::Fault(fault) => break Outcome::Fault(fault),
        }
    };
    if args.serial {
        pump_serial(machine, &mut serial);
    }
    outcome
}

fn pump_serial(machine: &mut dyn Machine, buf: &mut Vec<u8>) {
    buf.clear();
    machine.drain_serial(buf);
    if !buf.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(buf);
        let _ = out.flush();
    }
}

/// Our stdin, read on a thread of its own so the machine never waits for it.
fn spawn_stdin_reader() -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

fn finish(machine: &dyn Machine, args: &RunArgs) -> Result<(), String> {
    if let Some(path) = &args.screenshot {
        write_screenshot(machine, path)?;
    }
    if args.regs {
        let mut out = std::io::stdout().lock();
        for reg in machine.registers() {
            let _ = writeln!(out, "{}=0x{:x}", reg.name, reg.value);
        }
    }
    Ok(())
}

/// The current frame as a PNG, one pixel per machine pixel.
pub fn encode_png(width: usize, height: usize, rgba: &[u8]) -> Result<Vec<u8>, String> {
    use image::ImageEncoder;
    let mut png = Vec::new();
    let (w, h) = (u32::try_from(width).map_err(|e| e.to_string())?, u32::try_from(height).map_err(|e| e.to_string())?);
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(rgba, w, h, image::ExtendedColorType::Rgba8)
        .map_err(|e| e.to_string())?;
    Ok(png)
}

fn write_screenshot(machine: &dyn Machine, path: &Path) -> Result<(), String> {
    let frame = machine.frame();
    if frame.width == 0 || frame.height == 0 {
        return Err(format!("--screenshot: the {} core has no screen", machine.info().name));
    }
    let png = encode_png(frame.width, frame.height, frame.rgba)?;
    crate::fsutil::write_atomic(path, &png).map_err(|e| format!("--screenshot {}: {e}", path.display()))
}

// ---- our language ----

fn is_language_source(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("kite"))
}

fn run_language(args: &RunArgs) -> ExitCode {
    use wb_kite::{Engine, RunOptions};
    let name = args.file.display().to_string();
    let engine = match args.engine.as_deref() {
        None => Engine::Vm,
        Some(e) => match Engine::from_name(e) {
            Some(engine) => engine,
            None => return bad_input(&format!("--engine: unknown engine '{e}' (known: tree, vm)")),
        },
    };
    let source = match loader::read_input(&args.file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => return bad_input(&format!("{name}: not UTF-8 text (byte {})", e.utf8_error().valid_up_to())),
        },
        Err(message) => return bad_input(&format!("{name}: {message}")),
    };
    let opts = RunOptions { engine, args: args.args.clone(), gc_stress: args.gc_stress };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = wb_kite::run_source(&name, &source, &opts, &mut out);
    let _ = out.flush();
    drop(out);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            use std::io::IsTerminal;
            eprint!("{}", e.render(&name, &source, std::io::stderr().is_terminal()));
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_FAULT))
        }
    }
}

fn repl() -> ExitCode {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout().lock();
    match wb_kite::repl(&mut input, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("workbench: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---- asm ----

fn asm(args: &AsmArgs) -> Result<(), BadInput> {
    use wb_asm::{Isa, OutputKind};
    let isa = match &args.isa {
        Some(name) => Isa::from_name(name).ok_or_else(|| format!("--isa: unknown ISA '{name}' (known: chip8, sm83, riscv)"))?,
        None => Isa::from_extension(&args.file).ok_or_else(|| {
            format!("{}: cannot tell the ISA from the extension (.8o, .asm, .s); give --isa", args.file.display())
        })?,
    };
    let kind = if args.exe { OutputKind::Executable } else { OutputKind::Default };
    let assembled = match wb_asm::assemble_file(&args.file, isa, kind) {
        Ok(a) => a,
        Err(diagnostics) => {
            // Every diagnostic on its own line (file:line:column: error: message).
            let mut all: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
            let last = all.pop().unwrap_or_else(|| "assembly failed".into());
            for line in all {
                eprintln!("{line}");
            }
            return Err(BadInput(last.trim_start_matches("workbench: ").to_string()));
        }
    };
    let output = args.output.clone().unwrap_or_else(|| {
        let ext = match (isa, args.exe) {
            (Isa::Chip8, _) => "ch8",
            (Isa::Sm83, _) => "gb",
            (Isa::RiscV, false) => "o",
            (Isa::RiscV, true) => "elf",
        };
        args.file.with_extension(ext)
    });
    crate::fsutil::write_atomic(&output, &assembled.bytes).map_err(|e| format!("{}: {e}", output.display()))?;
    if args.listing {
        let listing = output.with_extension("lst");
        crate::fsutil::write_atomic(&listing, assembled.listing.as_bytes())
            .map_err(|e| format!("{}: {e}", listing.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_in_hex_and_decimal() {
        assert_eq!(parse_number("0x1FF"), Ok(0x1FF));
        assert_eq!(parse_number("$ff"), Ok(0xFF));
        assert_eq!(parse_number("511"), Ok(511));
        assert!(parse_number("banana").is_err());
    }

    #[test]
    fn press_and_poke_parse() {
        let p = parse_press("A@10:3").unwrap();
        assert_eq!((p.key.as_str(), p.frame, p.frames), ("A", 10, 3));
        let p = parse_press("start@2").unwrap();
        assert_eq!((p.frame, p.frames), (2, 5));
        assert!(parse_press("A").is_err());
        assert_eq!(parse_poke("0x1FF=1"), Ok((0x1FF, 1)));
        assert!(parse_poke("0x1FF=256").is_err());
    }

    #[test]
    fn the_command_line_contract_parses() {
        Cli::command_for_tests().debug_assert();
        let cli = Cli::try_parse_from([
            "workbench", "run", "a.ch8", "--quirks", "xochip", "--poke", "0x1FF=3", "--frames", "600",
            "--screenshot", "o.png", "--press", "5@1", "--regs",
        ])
        .unwrap();
        let Some(Command::Run(run)) = cli.command else { panic!("not run") };
        assert_eq!(run.frames, Some(600));
        assert_eq!(run.poke, vec![(0x1FF, 3)]);
        let cli = Cli::try_parse_from(["workbench", "game.ch8"]).unwrap();
        assert_eq!(cli.file, Some(PathBuf::from("game.ch8")));
    }

    impl Cli {
        fn command_for_tests() -> clap::Command {
            <Cli as clap::CommandFactory>::command()
        }
    }
}
