//! The headless CLI contract of DESIGN.md, exercised through the real binary.

// The helpers below are test code too: a failure is a panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_workbench")).args(args).output().expect("the binary runs")
}

fn testroms() -> Option<PathBuf> {
    let dir = std::env::var_os("WORKBENCH_TESTROMS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testroms"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: test ROMs not found at {} (set WORKBENCH_TESTROMS)", dir.display());
        None
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wb-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Exit code 2, exactly one line on stderr, and no panic.
fn assert_bad_input(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in {stderr:?}");
}

#[test]
fn an_empty_file_is_refused() {
    let dir = scratch("empty");
    let rom = dir.join("empty.ch8");
    std::fs::write(&rom, b"").unwrap();
    assert_bad_input(&workbench(&["run", rom.to_str().unwrap(), "--frames", "1"]), "empty file");
}

#[test]
fn a_file_larger_than_memory_is_refused() {
    let dir = scratch("huge");
    let rom = dir.join("huge.ch8");
    std::fs::write(&rom, vec![0x12u8; 5_000_000]).unwrap();
    let out = workbench(&["run", rom.to_str().unwrap(), "--frames", "1"]);
    assert_bad_input(&out, "huge.ch8");
    // XO-CHIP has 64 KiB, so a 4 KiB program that fits there is still too large for CHIP-8.
    let rom = dir.join("big.ch8");
    std::fs::write(&rom, vec![0x12u8; 8192]).unwrap();
    assert_bad_input(&workbench(&["run", rom.to_str().unwrap(), "--frames", "1"]), "big.ch8");
    let ok = workbench(&["run", rom.to_str().unwrap(), "--quirks", "xochip", "--frames", "1"]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
}

#[test]
fn unknown_formats_and_missing_files_are_refused() {
    let dir = scratch("unknown");
    let noise = dir.join("noise.xyz");
    std::fs::write(&noise, (0..3000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect::<Vec<_>>())
        .unwrap();
    assert_bad_input(&workbench(&["run", noise.to_str().unwrap(), "--frames", "1"]), "unknown format");
    let missing = dir.join("nope.ch8");
    assert_bad_input(&workbench(&["run", missing.to_str().unwrap(), "--frames", "1"]), "no such file");
}

#[test]
fn bad_options_are_refused() {
    let dir = scratch("options");
    let rom = dir.join("loop.ch8");
    std::fs::write(&rom, [0x12, 0x00]).unwrap();
    let rom = rom.to_str().unwrap();
    assert_bad_input(&workbench(&["run", rom, "--frames", "banana"]), "banana");
    assert_bad_input(&workbench(&["run", rom, "--bogus"]), "--bogus");
    assert_bad_input(&workbench(&["run", rom, "--core", "nes"]), "unknown core 'nes'");
    assert_bad_input(&workbench(&["run", rom, "--quirks", "vic20"]), "vic20");
    assert_bad_input(&workbench(&["run", rom, "--press", "Z@1"]), "no key 'Z'");
    assert_bad_input(&workbench(&["run", rom, "--poke", "0x10000=1"]), "--poke");
    assert_bad_input(&workbench(&["run", rom, "--quirk", "warp=on"]), "unknown quirk 'warp'");
}

#[test]
fn regs_print_every_register_by_its_manual_name() {
    let dir = scratch("regs");
    let rom = dir.join("regs.ch8");
    // v3 := 0x42; i := 0x345; loop: jump loop
    std::fs::write(&rom, [0x63, 0x42, 0xA3, 0x45, 0x12, 0x04]).unwrap();
    let out = workbench(&["run", rom.to_str().unwrap(), "--cycles", "10", "--regs"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in ["v3=0x42", "i=0x345", "pc=0x204", "sp=0x0", "v0=0x0", "vf=0x0"] {
        assert!(stdout.lines().any(|l| l == line), "{line} missing from:\n{stdout}");
    }
}

#[test]
fn until_exit_reports_a_bound_reached_with_code_3() {
    let dir = scratch("bound");
    let rom = dir.join("forever.ch8");
    std::fs::write(&rom, [0x12, 0x00]).unwrap();
    let out = workbench(&["run", rom.to_str().unwrap(), "--until-exit", "--frames", "3"]);
    assert_eq!(out.status.code(), Some(3));
    // SUPER-CHIP's `exit` (00FD) ends the run with 0.
    let rom = dir.join("exit.sc8");
    std::fs::write(&rom, [0x00, 0xFD]).unwrap();
    let out = workbench(&["run", rom.to_str().unwrap(), "--until-exit", "--frames", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_guest_fault_is_reported_not_a_crash() {
    let dir = scratch("fault");
    let rom = dir.join("ret.ch8");
    // 00EE with an empty stack.
    std::fs::write(&rom, [0x00, 0xEE]).unwrap();
    let out = workbench(&["run", rom.to_str().unwrap(), "--frames", "2"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("guest fault"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn screenshots_are_native_resolution_pngs_of_the_rom() {
    let Some(roms) = testroms() else { return };
    let dir = scratch("shot");
    let shot = dir.join("ibm.png");
    let rom = roms.join("chip8-test-suite/bin/2-ibm-logo.ch8");
    let out = workbench(&["run", rom.to_str().unwrap(), "--frames", "60", "--screenshot", shot.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let img = image::open(&shot).unwrap().to_rgba8();
    assert_eq!(img.dimensions(), (64, 32));
    // Compare with the suite's picture sampled at cell centres (as ../shared/scoreboard does).
    let reference = image::open(roms.join("chip8-test-suite/pictures/ibm-logo.png")).unwrap().to_rgb8();
    let (sx, sy) = (reference.width() as f64 / 64.0, reference.height() as f64 / 32.0);
    let bg_ref = *reference.get_pixel(0, 0);
    let bg_ours = *img.get_pixel(0, 0);
    let mut differing = 0;
    for y in 0..32u32 {
        for x in 0..64u32 {
            let r = reference.get_pixel(((x as f64 + 0.5) * sx) as u32, ((y as f64 + 0.5) * sy) as u32);
            let lit_ref = r.0.iter().zip(bg_ref.0.iter()).map(|(a, b)| a.abs_diff(*b) as u32).sum::<u32>() > 48;
            let lit_ours = img.get_pixel(x, y) != &bg_ours;
            differing += (lit_ref != lit_ours) as u32;
        }
    }
    assert_eq!(differing, 0, "pixels differing from ibm-logo.png");
}

/// Our OS's disk image, as `cargo xtask test` builds it.
fn os_image() -> Option<PathBuf> {
    let image = std::env::var_os("WORKBENCH_OS_IMAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/os/disk.img"));
    if image.is_file() {
        Some(image)
    } else {
        eprintln!("skipped: no OS image at {} (cargo xtask os builds it)", image.display());
        None
    }
}

fn run_with_stdin(program: &str, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_piped_shell_script_drives_our_os_as_under_qemu() {
    let Some(image) = os_image() else { return };
    let script = b"ls\necho piped\nshutdown\n";
    let ours = run_with_stdin(
        env!("CARGO_BIN_EXE_workbench"),
        &["run", image.to_str().unwrap(), "--core", "x86", "--serial", "--until-exit", "--frames", "6000"],
        script,
    );
    let transcript = String::from_utf8_lossy(&ours.stdout).replace('\r', "");
    // isa-debug-exit with the OS's shutdown value 0x10 exits as QEMU does: (0x10 << 1) | 1.
    assert_eq!(ours.status.code(), Some(33), "{transcript}");
    assert!(transcript.contains("wbos> echo piped\npiped\n"), "{transcript}");
    let drive = format!("file={},format=raw", image.display());
    let qemu = [
        "-m", "128M", "-display", "none", "-no-reboot", "-serial", "stdio", "-device",
        "isa-debug-exit,iobase=0xf4,iosize=0x04", "-drive", &drive,
    ];
    if Command::new("qemu-system-x86_64").arg("--version").output().is_err() {
        eprintln!("skipped the QEMU comparison: qemu-system-x86_64 not found");
        return;
    }
    let oracle = run_with_stdin("qemu-system-x86_64", &qemu, script);
    assert_eq!(oracle.status.code(), Some(33));
    assert_eq!(transcript, String::from_utf8_lossy(&oracle.stdout).replace('\r', ""));
}
