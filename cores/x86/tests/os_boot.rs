//! Boot our OS (roms/os) in the x86 core and run the same scripted serial session as the
//! QEMU test in xtask/src/os.rs. The image comes from `$WORKBENCH_OS_IMAGE`, else
//! `<workspace>/target/os/disk.img`; without one the test says so and returns.

#![allow(clippy::panic, reason = "test code reports failures by panicking")]

mod common;

use std::path::PathBuf;

use wb_machine::{Budget, InputEvent, KeyCode, Machine, StopReason};
use wb_x86::Pc;

const PROMPT: &str = "wbos> ";
/// `shutdown` writes 0x10 to isa-debug-exit: exit code (0x10 << 1) | 1.
const EXIT_SHUTDOWN: i32 = 33;
/// Frames of guest time any one step may take (60 frames = 1 guest second).
const MAX_FRAMES: u32 = 60 * 60;

struct Session {
    pc: Pc,
    transcript: String,
    seen: usize,
    stop: Option<StopReason>,
}

impl Session {
    fn pump(&mut self) {
        let r = self.pc.run(Budget::Frame);
        let mut out = Vec::new();
        self.pc.drain_serial(&mut out);
        // As the QEMU test does: drop carriage returns.
        self.transcript
            .push_str(&String::from_utf8_lossy(&out).replace('\r', ""));
        if r.stop != StopReason::FrameDone && r.stop != StopReason::BudgetSpent {
            self.stop = Some(r.stop);
        }
    }

    /// Run until `needle` appears after what was consumed; returns the text up to it.
    fn expect(&mut self, needle: &str) -> String {
        for _ in 0..MAX_FRAMES {
            if let Some(i) = self.transcript[self.seen..].find(needle) {
                let start = self.seen;
                self.seen += i + needle.len();
                return self.transcript[start..self.seen].to_string();
            }
            if let Some(stop) = &self.stop {
                panic!(
                    "machine stopped ({stop:?}) waiting for {needle:?}; transcript:\n{}",
                    self.transcript
                );
            }
            self.pump();
        }
        panic!(
            "timed out waiting for {needle:?}; transcript:\n{}",
            self.transcript
        );
    }

    /// Type a command on COM1 and return its output (without the echo and next prompt).
    fn command(&mut self, line: &str) -> String {
        self.pc.serial_in(format!("{line}\n").as_bytes());
        let out = self.expect(&format!("\n{PROMPT}"));
        let out = out.strip_suffix(PROMPT).unwrap_or(&out);
        out.split_once('\n')
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default()
    }
}

fn os_image() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WORKBENCH_OS_IMAGE") {
        return Some(PathBuf::from(p));
    }
    let p = common::workspace_root().join("target/os/disk.img");
    p.exists().then_some(p)
}

/// The HID usage of an ASCII character typed without shift.
fn hid(c: char) -> Option<u8> {
    Some(match c {
        'a'..='z' => 0x04 + (c as u8 - b'a'),
        '1'..='9' => 0x1E + (c as u8 - b'1'),
        '0' => 0x27,
        '\n' => 0x28,
        ' ' => 0x2C,
        '/' => 0x38,
        '.' => 0x37,
        _ => return None,
    })
}

#[test]
fn os_boots_and_runs_the_scripted_session() {
    let Some(path) = os_image() else {
        println!("skipped: no OS image");
        return;
    };
    let image = std::fs::read(&path).expect("read the OS image");
    let pc = Pc::new(image).expect("the OS image loads");
    let mut s = Session {
        pc,
        transcript: String::new(),
        seen: 0,
        stop: None,
    };

    let boot = s.expect(PROMPT);
    // Long mode with the boot loader's identity map (2 MiB pages) and the kernel's tables.
    let walk = s.pc.page_walk(s.pc.pc());
    assert_eq!(
        walk.physical,
        Some(s.pc.pc()),
        "the kernel runs identity-mapped"
    );
    assert_eq!(
        (walk.entries.len(), walk.page_size),
        (3, 2 << 20),
        "PML4, PDPT, PD with a 2 MiB page: {walk:?}"
    );
    assert!(
        boot.contains("fat16: volume WBOS") && boot.contains("/tmp: memfs"),
        "{boot}"
    );
    // Same image, same transcript as under QEMU (xtask writes it next to the image).
    let qemu = path.with_file_name("boot-transcript.txt");
    let fresh = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (std::fs::read_to_string(&qemu), fresh(&qemu), fresh(&path)) {
        (Ok(want), Some(t), Some(i)) if t >= i => {
            assert_eq!(
                boot,
                want,
                "boot transcript differs from QEMU's ({})",
                qemu.display()
            )
        }
        _ => println!("note: no QEMU boot transcript newer than the image; not compared"),
    }

    let ls = s.command("ls /");
    for name in ["hello.txt", "readme.txt", "docs", "bin", "data.bin", "tmp"] {
        assert!(
            ls.lines()
                .any(|l| l.split_whitespace().last() == Some(name)),
            "ls / lists {name}:\n{ls}"
        );
    }
    let ls_bin = s.command("ls /bin");
    assert!(
        ls_bin.contains("hello.elf") && ls_bin.contains("fault.elf"),
        "{ls_bin}"
    );
    let host_hello =
        std::fs::read_to_string(common::workspace_root().join("roms/os/disk/hello.txt"));
    let cat = s.command("cat /hello.txt");
    if let Ok(host) = host_hello {
        assert_eq!(cat.trim_end(), host.trim_end());
    }
    let cat = s.command("cat /docs/notes.txt");
    assert!(cat.contains("subdirectory"), "{cat}");

    s.command("write /tmp/a.txt first line");
    s.command("append /tmp/a.txt second line");
    assert_eq!(
        s.command("cat /tmp/a.txt").trim_end(),
        "first line\nsecond line"
    );
    s.command("mkdir /notes");
    s.command("write /notes/fat.txt written by wbos");
    s.command("append /notes/fat.txt on FAT16");
    assert_eq!(
        s.command("cat /notes/fat.txt").trim_end(),
        "written by wbos\non FAT16"
    );
    s.command("write /gone.txt to be removed");
    s.command("rm /gone.txt");
    let ls = s.command("ls /");
    assert!(!ls.contains("gone.txt") && ls.contains("notes"), "{ls}");

    let sha = s.command("sha256 /data.bin");
    assert_eq!(
        sha.split_whitespace().next().map(str::len),
        Some(64),
        "{sha}"
    );
    // The host's sha256sum of the same file, when xtask left it next to the image.
    let host = std::process::Command::new("sha256sum")
        .arg(path.with_file_name("data.bin"))
        .output();
    if let Ok(out) = host
        .as_ref()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        && let Some(want) = out.split_whitespace().next()
    {
        assert_eq!(
            sha.split_whitespace().next(),
            Some(want),
            "sha256 /data.bin == host sha256sum"
        );
    }

    let demo = s.command("demo");
    let order: Vec<char> = demo
        .lines()
        .filter_map(|l| l.strip_prefix("worker-"))
        .filter_map(|l| l.chars().next())
        .collect();
    assert_eq!(order.iter().filter(|&&c| c == 'a').count(), 4, "{demo}");
    assert_eq!(order.iter().filter(|&&c| c == 'b').count(), 4, "{demo}");
    assert!(demo.contains("counter = 8"), "{demo}");
    let ps = s.command("ps");
    assert!(ps.contains("shell") && ps.contains("idle"), "{ps}");

    let hello = s.command("run /bin/hello.elf");
    assert!(
        hello.contains("hello from ring 3") && hello.contains("exited with code 0"),
        "{hello}"
    );
    assert!(hello.contains("sum of squares 1..100 = 338350"), "{hello}");
    let fault = s.command("run /bin/fault.elf");
    assert!(
        fault.contains("page fault") && fault.contains("cr2 0x0") && fault.contains("killed"),
        "{fault}"
    );
    assert!(!fault.contains("still alive"), "{fault}");
    let primes = s.command("run /bin/primes.elf");
    assert!(
        primes.contains("primes below 20000: 2262") && primes.contains("exited with code 0"),
        "{primes}"
    );
    assert_eq!(s.command("echo still here").trim_end(), "still here");
    // The VGA text screen shows the console too (as the QEMU test reads from its monitor).
    let screen: String = (0..80 * 25)
        .map(|i| s.pc.peek(1, 0xB8000 + 2 * i).map_or('?', |b| b as char))
        .collect::<Vec<char>>()
        .chunks(80)
        .map(|row| row.iter().collect::<String>().trim_end().to_string() + "\n")
        .collect();
    assert!(
        screen.contains("wbos> echo still here") && screen.contains("[pid 3] exited with code 0"),
        "{screen}"
    );
    assert!(s.command("mem").contains("heap"));
    assert!(s.command("uptime").contains("uptime"));

    // The keyboard: PS/2 scan codes from host key events.
    for c in "echo typed on the keyboard\n".chars() {
        let code = KeyCode(hid(c).expect("typeable character"));
        s.pc.input(InputEvent::Key {
            code,
            pressed: true,
        });
        s.pump();
        s.pc.input(InputEvent::Key {
            code,
            pressed: false,
        });
        s.pump();
    }
    let typed = s.expect(&format!("\n{PROMPT}"));
    assert!(
        typed.contains("echo typed on the keyboard\ntyped on the keyboard"),
        "{typed}"
    );

    // The screen shows the console text.
    assert!(s.pc.frame().rgba.iter().any(|&b| b != 0));

    s.pc.serial_in(b"shutdown\n");
    for _ in 0..MAX_FRAMES {
        if s.stop.is_some() {
            break;
        }
        s.pump();
    }
    assert_eq!(
        s.stop,
        Some(StopReason::Exited {
            code: EXIT_SHUTDOWN
        }),
        "{}",
        s.transcript
    );
}

#[test]
fn kernel_faults_are_reported_and_exit_with_the_panic_code() {
    let Some(path) = os_image() else {
        println!("skipped: no OS image");
        return;
    };
    let image = std::fs::read(&path).expect("read the OS image");
    for (how, vector) in [
        ("ud", "exception 6 (#UD invalid opcode)"),
        ("df", "exception 8 (#DF double fault)"),
    ] {
        let pc = Pc::new(image.clone()).expect("the OS image loads");
        let mut s = Session {
            pc,
            transcript: String::new(),
            seen: 0,
            stop: None,
        };
        s.expect(PROMPT);
        s.pc.serial_in(format!("crash {how}\n").as_bytes());
        let report = s.expect("kernel: fatal");
        assert!(
            report.contains(vector) && report.contains("rip 0x") && report.contains("r15"),
            "{report}"
        );
        for _ in 0..MAX_FRAMES {
            if s.stop.is_some() {
                break;
            }
            s.pump();
        }
        // `kernel: fatal` writes 0x11 to isa-debug-exit: exit code 35, as under QEMU.
        assert_eq!(s.stop, Some(StopReason::Exited { code: 35 }), "crash {how}");
    }
}

#[test]
fn boots_are_deterministic_and_snapshots_replay() {
    let Some(path) = os_image() else {
        println!("skipped: no OS image");
        return;
    };
    let image = std::fs::read(&path).expect("read the OS image");
    let run = |pc: &mut Pc, frames: u32| {
        let mut out = Vec::new();
        for _ in 0..frames {
            pc.run(Budget::Frame);
            pc.drain_serial(&mut out);
        }
        (out, pc.instructions_retired(), pc.registers())
    };
    let mut a = Pc::new(image.clone()).expect("loads");
    let mut b = Pc::new(image).expect("loads");
    let first = run(&mut a, 30);
    assert_eq!(
        first,
        run(&mut b, 30),
        "two boots of the same image agree exactly"
    );
    // A snapshot taken mid-session replays the rest byte for byte.
    a.serial_in(b"ls /\n");
    b.serial_in(b"ls /\n");
    let snap = a.save_state();
    let after = run(&mut a, 30);
    b.load_state(&snap).expect("snapshot loads");
    assert_eq!(after, run(&mut b, 30));
    assert!(String::from_utf8_lossy(&after.0).contains("hello.txt"));
}
