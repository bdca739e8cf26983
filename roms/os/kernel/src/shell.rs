//! The shell: one command per line from COM1 or the keyboard, echoed on the console.
use crate::sched::{self, State};
use crate::sync::{Channel, Mutex};
use crate::{fs, input, memory, pic, print, println, process};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use wbos_lib::sha256;

pub const PROMPT: &str = "wbos> ";

const HELP: &str = "\
commands:
  help                   this list
  echo TEXT...           print TEXT
  ls [PATH]              list a directory
  cat PATH               print a file
  write PATH TEXT...     replace a file with TEXT and a newline
  append PATH TEXT...    add TEXT and a newline to a file
  rm PATH                remove a file or an empty directory
  mkdir PATH             make a directory
  sha256 PATH            SHA-256 of a file
  run PATH               run a user program (ELF) in ring 3
  ps                     list tasks
  demo                   two tasks running at once, with a mutex and a channel
  mem                    memory use
  uptime                 time since boot
  sleep MS               sleep
  crash ud|df            fault in the kernel on purpose: invalid opcode, or a
                         double fault (taken on its own IST stack); QEMU exits
                         with code 35 after the report
  shutdown               power off (QEMU exits with code 33)";

/// The shell task.
pub fn run() {
    loop {
        print!("{PROMPT}");
        let line = read_line();
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some((cmd, args)) = words.split_first() {
            execute(cmd, args);
        }
    }
}

/// Read a line, echoing it; CR, LF and CR LF all end it.
fn read_line() -> String {
    let mut line = String::new();
    let mut last_cr = false;
    loop {
        let b = input::wait();
        let was_cr = core::mem::replace(&mut last_cr, b == b'\r');
        match b {
            b'\n' if was_cr => {}
            b'\r' | b'\n' => {
                println!();
                return line;
            }
            0x08 | 0x7F => erase_last(&mut line),
            0x20..0x7F => {
                line.push(b as char);
                crate::console::write_bytes(&[b]);
            }
            _ => {}
        }
    }
}

/// Backspace: drop the last character, on screen too.
fn erase_last(line: &mut String) {
    if line.pop().is_some() {
        print!("\x08 \x08");
    }
}

fn absolute(path: &str) -> String {
    if path.starts_with('/') { path.into() } else { alloc::format!("/{path}") }
}

fn execute(cmd: &str, args: &[&str]) {
    let arg = |i: usize| args.get(i).copied();
    match (cmd, arg(0)) {
        ("help", _) => println!("{HELP}"),
        ("echo", _) => println!("{}", args.join(" ")),
        ("ls", p) => ls(&absolute(p.unwrap_or("/"))),
        ("cat", Some(p)) => {
            if let Some(data) = read(&absolute(p)) {
                crate::console::write_bytes(&data);
                if !data.is_empty() && !data.ends_with(b"\n") {
                    println!();
                }
            }
        }
        ("write" | "append", Some(p)) => {
            let mut text = args[1..].join(" ");
            text.push('\n');
            with_vfs(|v| v.write(&absolute(p), text.as_bytes(), cmd == "append"), p);
        }
        ("rm", Some(p)) => with_vfs(|v| v.remove(&absolute(p)), p),
        ("mkdir", Some(p)) => with_vfs(|v| v.mkdir(&absolute(p)), p),
        ("sha256", Some(p)) => {
            if let Some(data) = read(&absolute(p)) {
                println!("{}  {p}", sha256::hex(&sha256::digest(&data)));
            }
        }
        ("run", Some(p)) => run_program(&absolute(p)),
        ("ps", _) => ps(),
        ("demo", _) => demo(),
        ("mem", _) => mem(),
        ("uptime", _) => {
            let t = pic::ticks();
            println!("uptime {}.{:02} s ({t} ticks at {} Hz)", t / pic::HZ, t % pic::HZ, pic::HZ);
        }
        ("sleep", Some(ms)) => match ms.parse::<u64>() {
            Ok(ms) => sched::sleep_ms(ms),
            Err(_) => println!("sleep: not a number: {ms}"),
        },
        ("crash", Some("ud")) => {
            // SAFETY: not safe: ud2 raises #UD in ring 0, which ends the kernel with a report.
            unsafe { core::arch::asm!("ud2") };
        }
        ("crash", Some("df")) => {
            // SAFETY: not safe: with rsp on an unmapped page, the page fault cannot be delivered
            // either, which makes a double fault; its handler runs on the IST1 stack.
            unsafe { core::arch::asm!("mov rsp, 0x40001000", "push rax", options(noreturn)) };
        }
        ("shutdown", _) => {
            println!("shutting down");
            crate::shutdown(crate::EXIT_SHUTDOWN);
        }
        (_, None) if ["cat", "write", "append", "rm", "mkdir", "sha256", "run", "sleep", "crash"].contains(&cmd) => {
            println!("{cmd}: missing argument (see help)");
        }
        _ => println!("{cmd}: unknown command (see help)"),
    }
}

fn with_vfs(f: impl FnOnce(&mut wbos_lib::vfs::Vfs) -> Result<(), wbos_lib::fs::FsError>, path: &str) {
    let mut guard = fs::vfs();
    let Some(vfs) = guard.as_mut() else { return };
    if let Err(e) = f(vfs) {
        println!("{path}: {e}");
    }
}

fn read(path: &str) -> Option<Vec<u8>> {
    let mut guard = fs::vfs();
    match guard.as_mut()?.read(path) {
        Ok(d) => Some(d),
        Err(e) => {
            println!("{path}: {e}");
            None
        }
    }
}

fn ls(path: &str) {
    let mut guard = fs::vfs();
    let Some(vfs) = guard.as_mut() else { return };
    match vfs.list(path) {
        Ok(mut entries) => {
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            for e in entries {
                if e.is_dir {
                    println!("   <dir> {}", e.name);
                } else {
                    println!("{:>8} {}", e.size, e.name);
                }
            }
        }
        Err(e) => println!("{path}: {e}"),
    }
}

fn run_program(path: &str) {
    let Some(image) = read(path) else { return };
    match process::run(&image) {
        Ok((pid, process::Exit::Code(c))) => println!("[pid {pid}] exited with code {c}"),
        Ok((pid, process::Exit::Killed(v))) => println!("[pid {pid}] was killed ({})", crate::idt::exception_name(v)),
        Err(e) => println!("{path}: {e}"),
    }
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Ready => "ready",
        State::Running => "running",
        State::Sleeping(_) => "sleeping",
        State::Blocked => "blocked",
        State::Dead => "dead",
    }
}

fn ps() {
    println!("  id  state     name");
    for (id, name, state) in sched::tasks() {
        println!("{id:>4}  {:<9} {name}", state_name(state));
    }
}

/// Busy-wait (no yield) until `n` more timer ticks have passed: only preemption lets the other
/// worker run meanwhile.
fn spin_ticks(n: u64) {
    let until = pic::ticks() + n;
    while pic::ticks() < until {
        core::hint::spin_loop();
    }
}

/// Two workers compute at once; each step they bump a shared counter under a mutex and report
/// through a channel; the shell prints the reports and, once both have started, the task list.
fn demo() {
    const STEPS: u32 = 4;
    let reports: Arc<Channel<String>> = Arc::new(Channel::new());
    let counter = Arc::new(Mutex::new(0u32));
    for name in ["worker-a", "worker-b"] {
        let (reports, counter) = (Arc::clone(&reports), Arc::clone(&counter));
        sched::spawn(name, move || {
            for step in 1..=STEPS {
                spin_ticks(3);
                *counter.lock() += 1;
                reports.send(alloc::format!("{name} step {step}"));
            }
        });
    }
    for i in 0..2 * STEPS {
        println!("{}", reports.recv());
        if i == 1 {
            ps();
        }
    }
    // Both workers have sent their last report; let them finish.
    sched::sleep_ms(20);
    println!("counter = {}", *counter.lock());
}

fn mem() {
    let frames = memory::free_frames();
    let h = memory::heap_stats();
    println!("frames: {frames} free ({} KiB)", frames * 4);
    println!(
        "heap: {} of {} KiB used, {} free holes, largest {} KiB",
        h.used / 1024,
        h.size / 1024,
        h.holes,
        h.largest_hole / 1024
    );
}
