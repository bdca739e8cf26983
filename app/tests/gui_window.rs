//! The real window under Xvfb: `workbench ROM` opens, shows the ROM's picture, takes a
//! screenshot of itself and exits cleanly; and, driven by pointer events through its UI
//! script hook (`WORKBENCH_UI_SCRIPT`), sets a breakpoint in the disassembly, runs and
//! stops there.
//!
//! The picture is checked against the headless CLI's native-resolution screenshot of the
//! same ROM after the same number of frames: the guest screen is found in the window by
//! its background colour, sampled at the centre of every guest pixel, and must match.

// Test harness code: a failed `expect` or `panic` here is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FRAMES: u64 = 30;

fn testroms() -> Option<PathBuf> {
    let dir = std::env::var_os("WORKBENCH_TESTROMS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testroms"));
    dir.is_dir().then_some(dir)
}

fn which(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|p| p.join(program))
        .find(|p| p.is_file())
}

/// An Xvfb server on a display nobody uses; killed on drop. Xvfb picks the display
/// itself and reports it through `-displayfd`, so tests running at once never share one.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        use std::io::BufRead;
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let mut line = String::new();
        let out = child.stdout.take().expect("Xvfb's stdout");
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .expect("Xvfb reports its display");
        let number = line.trim();
        assert!(
            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
            "Xvfb did not report a display: {line:?}"
        );
        Xvfb {
            display: format!(":{number}"),
            child,
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wb-gui-window-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The app on `rom` in the Xvfb display, with its config and runtime folders under `work`.
fn app_command(exe: &Path, rom: &Path, x: &Xvfb, work: &Path) -> Command {
    let runtime = work.join("runtime");
    std::fs::create_dir_all(&runtime).expect("runtime folder");
    let mut cmd = Command::new(exe);
    cmd.arg(rom)
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("WORKBENCH_CONFIG_DIR", work.join("config"));
    cmd
}

fn wait_with_timeout(mut child: Child, limit: Duration) -> std::process::Output {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait().expect("wait for workbench") {
            Some(_) => return child.wait_with_output().expect("workbench output"),
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("workbench output");
                panic!(
                    "workbench did not exit within {limit:?}\nstderr:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[test]
fn window_shows_the_rom_and_exits_cleanly() {
    if which("Xvfb").is_none() {
        println!("skipped: Xvfb not found (apt-get install xvfb; CI installs it)");
        return;
    }
    let Some(roms) = testroms() else {
        println!(
            "skipped: test ROMs not found (set WORKBENCH_TESTROMS or put them in ../shared/testroms)"
        );
        return;
    };
    let rom = roms.join("chip8-test-suite/bin/2-ibm-logo.ch8");
    let exe = env!("CARGO_BIN_EXE_workbench");
    let work = temp_dir("ibm");

    // The reference: the headless CLI's picture after the same number of frames.
    let native_png = work.join("native.png");
    let status = Command::new(exe)
        .args([
            "run",
            rom.to_str().unwrap(),
            "--frames",
            &FRAMES.to_string(),
            "--screenshot",
            native_png.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success(), "headless reference run failed");
    let native = image::open(&native_png).unwrap().to_rgba8();

    let x = Xvfb::start();
    let shot = work.join("window.png");
    let child = app_command(Path::new(exe), &rom, &x, &work)
        .env("WORKBENCH_SCREENSHOT", &shot)
        .env("WORKBENCH_SCREENSHOT_AFTER_FRAMES", FRAMES.to_string())
        .env("WORKBENCH_EXIT_AFTER_SCREENSHOT", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_with_timeout(child, Duration::from_secs(120));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "workbench exited with {:?}\nstderr:\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let window = image::open(&shot)
        .expect("the app wrote its screenshot")
        .to_rgba8();

    // Background and ink colours of the guest picture.
    let mut counts = std::collections::HashMap::<[u8; 4], usize>::new();
    for p in native.pixels() {
        *counts.entry(p.0).or_default() += 1;
    }
    let mut by_count: Vec<_> = counts.into_iter().collect();
    by_count.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    assert!(by_count.len() >= 2, "the reference picture is blank");
    let background = by_count[0].0;
    let lit = native.pixels().filter(|p| p.0 != background).count();
    assert!(lit > 100, "the IBM logo has lit pixels");

    // The guest screen is the bounding box of its background colour in the window.
    let close = |a: [u8; 4], b: [u8; 4]| {
        a.iter()
            .zip(b.iter())
            .take(3)
            .all(|(x, y)| x.abs_diff(*y) <= 4)
    };
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in window.enumerate_pixels() {
        if close(p.0, background) {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    assert!(
        x1 > x0 && y1 > y0,
        "the guest screen is not in the window screenshot"
    );
    let (w, h) = ((x1 - x0 + 1) as f64, (y1 - y0 + 1) as f64);
    let (nw, nh) = (native.width() as f64, native.height() as f64);
    assert!(w >= nw * 2.0, "the screen is scaled up ({w}x{h})");
    assert!(
        ((w / h) - (nw / nh)).abs() < 0.05,
        "aspect kept: {w}x{h} for {nw}x{nh}"
    );

    // Sample every guest pixel at its centre in the window: the same picture.
    let mut mismatches = 0;
    for (gx, gy, p) in native.enumerate_pixels() {
        let wx = x0 + ((gx as f64 + 0.5) * w / nw) as u32;
        let wy = y0 + ((gy as f64 + 0.5) * h / nh) as u32;
        if !close(window.get_pixel(wx, wy).0, p.0) {
            mismatches += 1;
        }
    }
    assert_eq!(
        mismatches, 0,
        "guest pixels that differ between the window and the headless run"
    );
    let _ = std::fs::remove_dir_all(&work);
}

/// Our own program: draw a smiley twice through a subroutine at 0x214, then loop.
const SMILEY: &[u8] = &[
    0x00, 0xE0, 0xA2, 0x1A, 0x60, 0x08, 0x61, 0x04, 0x22, 0x14, 0x70, 0x10, 0x22, 0x14, 0x63, 0x10,
    0x12, 0x10, 0x00, 0x00, 0xD0, 0x18, 0x72, 0x01, 0x00, 0xEE, 0x3C, 0x42, 0xA5, 0x81, 0xA5, 0x99,
    0x42, 0x3C,
];

/// The scenario in the real window: load a ROM, pause, reset, click the
/// disassembly gutter of 0x216 (inside the subroutine), run, and see the machine stop
/// there. The clicks are pointer events fed to egui as the window system would.
#[test]
fn window_stops_at_a_breakpoint_set_by_clicking() {
    if which("Xvfb").is_none() {
        println!("skipped: Xvfb not found (apt-get install xvfb; CI installs it)");
        return;
    }
    let work = temp_dir("breakpoint");
    let rom = work.join("smiley.ch8");
    std::fs::write(&rom, SMILEY).unwrap();
    let x = Xvfb::start();
    let script = "wait running; click Pause; wait paused; click Reset; wait reset; \
                  click gutter 0x216; wait breakpoint 0x216; click Run; wait stop 0x216";
    let child = app_command(Path::new(env!("CARGO_BIN_EXE_workbench")), &rom, &x, &work)
        .env("WORKBENCH_UI_SCRIPT", script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_with_timeout(child, Duration::from_secs(180));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "workbench exited with {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let steps: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ui-script: "))
        .collect();
    assert_eq!(steps.len(), 10, "every step reported: {stdout}");
    assert!(
        steps.contains(&"ok Click(\"gutter 0x216\")"),
        "the gutter was clicked: {stdout}"
    );
    assert_eq!(steps.last(), Some(&"passed"), "{stdout}");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn no_display_is_a_one_line_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("DISPLAY"), "{stderr}");
}
