//! Our OS (roms/os): build its raw disk image, unit-test its host-buildable crate, run the scripted
//! session under real QEMU, and benchmark its boot.
//!
//! Disk layout (512-byte sectors):
//! - LBA 0: our MBR boot sector, with one partition entry (FAT16, LBA 2048..)
//! - LBA 1..: the rest of the flat kernel image (loaded to 0x7E00 by the boot sector)
//! - LBA 2048..: a FAT16 volume made with mkfs.fat and filled with mtools from `roms/os/disk`,
//!   plus the user programs in /bin and a generated /data.bin.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const TARGET: &str = "x86_64-unknown-none";
const RUSTFLAGS: &[&str] = &["-C", "relocation-model=static", "-C", "code-model=kernel"];
/// Where the boot sector sits, and so where the flat image starts.
const LOAD_ADDR: u64 = 0x7C00;
/// Start of the EBDA: the kernel, .bss included, must end below it.
const LOW_MEMORY_END: u64 = 0x9F000;
const PART_START_LBA: u64 = 2048;
/// 16 MiB of FAT16.
const PART_SECTORS: u64 = 32768;
const USER_PROGRAMS: &[&str] = &["hello", "fault", "protect", "primes"];
/// `shutdown` writes 0x10 to isa-debug-exit; QEMU exits with (0x10 << 1) | 1.
pub const EXIT_SHUTDOWN: i32 = 33;
/// A kernel panic or kernel-mode exception writes 0x11: exit code 35.
pub const EXIT_PANIC: i32 = 35;
const PROMPT: &str = "wbos> ";

fn os_dir(root: &Path) -> PathBuf {
    root.join("roms/os")
}

fn out_dir(root: &Path) -> PathBuf {
    root.join("target/os")
}

/// Cargo inside roms/os, with its own target dir and no flags inherited from the outer build.
fn os_cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(os_dir(root))
        .env("CARGO_TARGET_DIR", root.join("target/os-build"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET");
    cmd
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let st = cmd.status().map_err(|e| format!("{shown}: {e}"))?;
    if st.success() { Ok(()) } else { Err(format!("{shown} failed ({st})")) }
}

fn run_output(cmd: &mut Command) -> Result<Vec<u8>, String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("{shown}: {e} (is the package installed? `cargo xtask setup`)"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!("{shown} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim()))
    }
}

// ---- build ----

/// Build the disk image; returns its path (`<root>/target/os/disk.img`).
pub fn build(root: &Path) -> Result<PathBuf, String> {
    run(os_cargo(root)
        .args(["build", "--release", "-j", "2", "--target", TARGET, "--workspace"])
        .env("CARGO_ENCODED_RUSTFLAGS", RUSTFLAGS.join("\x1f")))?;
    let bin = root.join("target/os-build").join(TARGET).join("release");
    let out = out_dir(root);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;

    let elf = read(&bin.join("wbos-kernel"))?;
    let mut image = flatten(&elf)?;
    if image.len() as u64 > PART_START_LBA * 512 {
        return Err(format!(
            "kernel image is {} bytes, more than the {} before the partition",
            image.len(),
            PART_START_LBA * 512
        ));
    }
    write_partition_entry(&mut image, PART_START_LBA, PART_SECTORS);
    image.resize((PART_START_LBA * 512) as usize, 0);
    std::fs::copy(bin.join("wbos-kernel"), out.join("kernel.elf")).map_err(|e| format!("kernel.elf: {e}"))?;

    let fat = out.join("fat.img");
    make_fat_volume(root, &bin, &fat)?;
    image.extend_from_slice(&read(&fat)?);

    let disk = out.join("disk.img");
    let tmp = out.join("disk.img.part");
    std::fs::write(&tmp, &image).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &disk).map_err(|e| format!("{}: {e}", disk.display()))?;
    Ok(disk)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or_else(|| "kernel ELF truncated".to_string())
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| "kernel ELF truncated".to_string())
}

fn u64_at(b: &[u8], at: usize) -> Result<u64, String> {
    Ok(u64::from(u32_at(b, at)?) | (u64::from(u32_at(b, at + 4)?) << 32))
}

/// The loadable bytes of the kernel ELF as one flat image starting at LOAD_ADDR, with checks that
/// the boot sector is first and that everything (.bss too) ends below LOW_MEMORY_END.
fn flatten(elf: &[u8]) -> Result<Vec<u8>, String> {
    if elf.get(..4) != Some(b"\x7fELF".as_slice()) || elf.get(4) != Some(&2) {
        return Err("kernel is not an ELF64 file".into());
    }
    let phoff = u64_at(elf, 0x20)? as usize;
    let phentsize = usize::from(u16_at(elf, 0x36)?);
    let phnum = usize::from(u16_at(elf, 0x38)?);
    let mut image = Vec::new();
    let mut end = 0;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32_at(elf, ph)? != 1 {
            continue; // not PT_LOAD
        }
        let (offset, paddr) = (u64_at(elf, ph + 8)? as usize, u64_at(elf, ph + 24)?);
        let (filesz, memsz) = (u64_at(elf, ph + 32)? as usize, u64_at(elf, ph + 40)?);
        if paddr < LOAD_ADDR {
            continue; // the ELF headers, which lld may map below the image
        }
        end = end.max(paddr + memsz);
        let at = (paddr - LOAD_ADDR) as usize;
        let bytes = elf.get(offset..offset + filesz).ok_or("kernel ELF segment out of the file")?;
        if image.len() < at + filesz {
            image.resize(at + filesz, 0);
        }
        image[at..at + filesz].copy_from_slice(bytes);
    }
    if image.len() < 512 || image[510..512] != [0x55, 0xAA] {
        return Err("kernel image does not start with a boot sector".into());
    }
    if end > LOW_MEMORY_END {
        return Err(format!("kernel ends at {end:#x}, above {LOW_MEMORY_END:#x}"));
    }
    image.resize(image.len().div_ceil(512) * 512, 0);
    Ok(image)
}

/// Partition entry 0: bootable, type 0x04 (FAT16, fewer than 65536 sectors), LBA start and size.
fn write_partition_entry(mbr: &mut [u8], start: u64, sectors: u64) {
    let e = &mut mbr[446..462];
    e.fill(0);
    e[0] = 0x80;
    e[1..4].copy_from_slice(&[0xFE, 0xFF, 0xFF]); // CHS unused: LBA only
    e[4] = 0x04;
    e[5..8].copy_from_slice(&[0xFE, 0xFF, 0xFF]);
    e[8..12].copy_from_slice(&(start as u32).to_le_bytes());
    e[12..16].copy_from_slice(&(sectors as u32).to_le_bytes());
}

/// Deterministic pseudo-random bytes for /data.bin (several clusters, not a multiple of 512).
fn data_bin() -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..50_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn make_fat_volume(root: &Path, bin: &Path, fat: &Path) -> Result<(), String> {
    let _ = std::fs::remove_file(fat);
    let kib = (PART_SECTORS / 2).to_string();
    run_output(
        Command::new("mkfs.fat")
            .args(["-F", "16", "-n", "WBOS", "-i", "57424f53", "--invariant", "-C"])
            .arg(fat)
            .arg(&kib),
    )?;
    let img = fat.to_string_lossy().into_owned();
    let mtools = |tool: &str, args: &[&str]| -> Result<(), String> {
        run_output(Command::new(tool).env("MTOOLS_SKIP_CHECK", "1").args(["-i", &img]).args(args)).map(|_| ())
    };
    let disk = os_dir(root).join("disk");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&disk)
        .map_err(|e| format!("{}: {e}", disk.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in &entries {
        mtools("mcopy", &["-s", "-Q", &path.to_string_lossy(), "::/"])?;
    }
    let data = out_dir(root).join("data.bin");
    std::fs::write(&data, data_bin()).map_err(|e| format!("{}: {e}", data.display()))?;
    mtools("mcopy", &[&data.to_string_lossy(), "::/data.bin"])?;
    mtools("mmd", &["::/bin"])?;
    for prog in USER_PROGRAMS {
        mtools("mcopy", &[&bin.join(prog).to_string_lossy(), &format!("::/bin/{prog}.elf")])?;
    }
    Ok(())
}

// ---- host unit tests ----

/// `cargo test` of roms/os/lib (allocator, frames, FAT, ELF loader, VFS, SHA-256) on the host.
pub fn test_host(root: &Path) -> Result<(), String> {
    run(os_cargo(root).args(["test", "-j", "2", "-p", "wbos-lib"]))
}

// ---- QEMU ----

/// A running QEMU with COM1 on its stdin/stdout and its monitor on a Unix socket.
struct Qemu {
    child: Child,
    stdin: ChildStdin,
    output: Receiver<Vec<u8>>,
    /// Everything COM1 sent so far.
    transcript: String,
    /// How much of the transcript the checks have consumed.
    seen: usize,
    monitor: Option<std::os::unix::net::UnixStream>,
    echo: bool,
}

impl Qemu {
    /// Start `qemu-system-x86_64` with exactly the command line of the issue (plus a monitor socket
    /// when `monitor` is given).
    fn start(image: &Path, monitor: Option<&Path>, echo: bool) -> Result<Qemu, String> {
        let mut cmd = Command::new("qemu-system-x86_64");
        cmd.args(["-m", "128M", "-display", "none", "-no-reboot", "-serial", "stdio"])
            .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
            .arg("-drive")
            .arg(format!("file={},format=raw", image.display()));
        if let Some(sock) = monitor {
            let _ = std::fs::remove_file(sock);
            cmd.arg("-monitor").arg(format!("unix:{},server=on,wait=off", sock.display()));
        }
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child =
            cmd.spawn().map_err(|e| format!("qemu-system-x86_64: {e} (apt-get install qemu-system-x86)"))?;
        let (stdin, mut stdout) = match (child.stdin.take(), child.stdout.take()) {
            (Some(i), Some(o)) => (i, o),
            _ => return Err("qemu: no stdio pipes".into()),
        };
        let (tx, output) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut qemu = Qemu { child, stdin, output, transcript: String::new(), seen: 0, monitor: None, echo };
        if let Some(sock) = monitor {
            qemu.monitor = Some(connect_monitor(sock)?);
        }
        Ok(qemu)
    }

    fn pump(&mut self, timeout: Duration) -> Result<bool, String> {
        match self.output.recv_timeout(timeout) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes).replace('\r', "");
                if self.echo {
                    print!("{text}");
                    let _ = std::io::stdout().flush();
                }
                self.transcript.push_str(&text);
                Ok(true)
            }
            Err(RecvTimeoutError::Timeout) => Ok(false),
            Err(RecvTimeoutError::Disconnected) => Err(format!("QEMU ended early; transcript tail:\n{}", self.tail())),
        }
    }

    fn tail(&self) -> &str {
        let start = self.transcript.len().saturating_sub(1500);
        let start = (start..self.transcript.len()).find(|&i| self.transcript.is_char_boundary(i)).unwrap_or(0);
        &self.transcript[start..]
    }

    /// Wait until `needle` appears after what was already seen; returns the text up to its end.
    fn expect(&mut self, needle: &str, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.transcript[self.seen..].find(needle) {
                let start = self.seen;
                self.seen += i + needle.len();
                return Ok(self.transcript[start..self.seen].to_string());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!("timed out waiting for {needle:?}; transcript tail:\n{}", self.tail()));
            }
            self.pump(deadline - now)?;
        }
    }

    /// Type a command line on COM1 and return its output (between the echoed line and the next prompt).
    fn command(&mut self, line: &str) -> Result<String, String> {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|_| self.stdin.flush())
            .map_err(|e| format!("qemu stdin: {e}"))?;
        let out = self.expect(&format!("\n{PROMPT}"), Duration::from_secs(30))?;
        let out = out.strip_suffix(&format!("\n{PROMPT}")).unwrap_or(&out);
        // The shell echoes what it reads, so the output starts with the command line itself.
        Ok(out.strip_prefix(line).unwrap_or(out).trim_start_matches('\n').to_string())
    }

    /// Send one monitor command (e.g. `sendkey a`).
    fn monitor(&mut self, command: &str) -> Result<(), String> {
        let mon = self.monitor.as_mut().ok_or("no monitor")?;
        mon.write_all(format!("{command}\n").as_bytes()).map_err(|e| format!("monitor: {e}"))
    }

    /// Wait for QEMU to exit with `want`.
    fn expect_exit(&mut self, want: i32) -> Result<(), String> {
        let code = self.wait_exit(Duration::from_secs(20))?;
        let why = if code == EXIT_PANIC { " (the kernel panicked)" } else { "" };
        check(code == want, &format!("QEMU exit code {code}{why} == {want}"), self.tail())
    }

    /// Wait for QEMU to exit; its exit code.
    fn wait_exit(&mut self, timeout: Duration) -> Result<i32, String> {
        let deadline = Instant::now() + timeout;
        loop {
            while self.pump(Duration::from_millis(10)).unwrap_or(false) {}
            if let Some(st) = self.child.try_wait().map_err(|e| format!("qemu: {e}"))? {
                return st.code().ok_or_else(|| "qemu killed by a signal".to_string());
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                return Err("qemu did not exit after shutdown".into());
            }
        }
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn connect_monitor(sock: &Path) -> Result<std::os::unix::net::UnixStream, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match std::os::unix::net::UnixStream::connect(sock) {
            Ok(stream) => {
                // Drain the monitor's replies so it never blocks on a full socket.
                if let Ok(reader) = stream.try_clone() {
                    std::thread::spawn(move || for _ in BufReader::new(reader).lines().map_while(Result::ok) {});
                }
                return Ok(stream);
            }
            Err(e) if Instant::now() >= deadline => return Err(format!("monitor {}: {e}", sock.display())),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// The 80x25 VGA text screen, read through the monitor's `pmemsave`, as lines.
fn vga_text(q: &mut Qemu, dump: &Path) -> Result<String, String> {
    let _ = std::fs::remove_file(dump);
    q.monitor(&format!("pmemsave 0xb8000 4000 \"{}\"", dump.display()))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(bytes) = std::fs::read(dump)
            && bytes.len() == 4000
        {
            let chars: Vec<u8> = bytes.iter().step_by(2).copied().collect();
            return Ok(chars
                .chunks(80)
                .map(|row| String::from_utf8_lossy(row).trim_end().to_string())
                .collect::<Vec<_>>()
                .join("\n"));
        }
        if Instant::now() >= deadline {
            return Err("monitor pmemsave produced no VGA dump".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn check(ok: bool, what: &str, output: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(format!("check failed: {what}; output was:\n{output}")) }
}

/// QEMU's `sendkey` names for the characters the keyboard test types.
fn key_name(c: char) -> Option<String> {
    match c {
        'a'..='z' | '0'..='9' => Some(c.to_string()),
        'A'..='Z' => Some(format!("shift-{}", c.to_ascii_lowercase())),
        ' ' => Some("spc".into()),
        '\n' => Some("ret".into()),
        '/' => Some("slash".into()),
        '.' => Some("dot".into()),
        '-' => Some("minus".into()),
        _ => None,
    }
}

fn sha256sum(path: &Path) -> Result<String, String> {
    let out = run_output(Command::new("sha256sum").arg(path))?;
    String::from_utf8_lossy(&out)
        .split_whitespace()
        .next()
        .map(str::to_string)
        .ok_or_else(|| "sha256sum: no output".into())
}

/// The scripted session under real QEMU (TCG): boot to the prompt, files, tasks, user programs,
/// keyboard, shutdown; then the host checks the FAT volume the guest wrote to.
pub fn test_qemu(root: &Path) -> Result<(), String> {
    let image = build(root)?;
    let out = out_dir(root);
    let scratch = out.join("test-disk.img");
    std::fs::copy(&image, &scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    // Unix socket paths are limited to 108 bytes: keep it short.
    let sock = std::env::temp_dir().join(format!("wbos-monitor-{}.sock", std::process::id()));
    let started = Instant::now();
    let mut q = Qemu::start(&scratch, Some(&sock), true)?;

    let boot = q.expect(PROMPT, Duration::from_secs(60))?;
    println!("\n[os test] boot to prompt in {:.2} s", started.elapsed().as_secs_f64());
    let boot_file = out.join("boot-transcript.txt");
    std::fs::write(&boot_file, &boot).map_err(|e| format!("{}: {e}", boot_file.display()))?;
    check(
        boot.contains("fat16: volume WBOS") && boot.contains("/tmp: memfs"),
        "boot mounts the FAT16 volume and /tmp",
        &boot,
    )?;

    let ls = q.command("ls /")?;
    for name in ["hello.txt", "readme.txt", "docs", "bin", "data.bin", "tmp"] {
        check(ls.lines().any(|l| l.split_whitespace().last() == Some(name)), &format!("ls / lists {name}"), &ls)?;
    }
    let ls_bin = q.command("ls /bin")?;
    check(ls_bin.contains("hello.elf") && ls_bin.contains("fault.elf"), "ls /bin lists the programs", &ls_bin)?;

    let host_hello = read(&os_dir(root).join("disk/hello.txt"))?;
    let cat = q.command("cat /hello.txt")?;
    check(
        cat.trim_end() == String::from_utf8_lossy(&host_hello).trim_end(),
        "cat /hello.txt equals the host file",
        &cat,
    )?;
    let cat = q.command("cat /docs/notes.txt")?;
    check(cat.contains("subdirectory"), "cat of a file in a subdirectory", &cat)?;

    q.command("write /tmp/a.txt first line")?;
    q.command("append /tmp/a.txt second line")?;
    let cat = q.command("cat /tmp/a.txt")?;
    check(cat.trim_end() == "first line\nsecond line", "write + append + cat on /tmp", &cat)?;
    q.command("mkdir /notes")?;
    q.command("write /notes/fat.txt written by wbos")?;
    q.command("append /notes/fat.txt on FAT16")?;
    let cat = q.command("cat /notes/fat.txt")?;
    check(cat.trim_end() == "written by wbos\non FAT16", "write + append + cat on FAT16", &cat)?;
    q.command("write /gone.txt to be removed")?;
    q.command("rm /gone.txt")?;
    let ls = q.command("ls /")?;
    check(!ls.contains("gone.txt") && ls.contains("notes"), "rm removes, mkdir adds", &ls)?;

    let want = sha256sum(&out.join("data.bin"))?;
    let got = q.command("sha256 /data.bin")?;
    check(
        got.split_whitespace().next() == Some(want.as_str()),
        &format!("sha256 /data.bin == host sha256sum {want}"),
        &got,
    )?;

    let demo = q.command("demo")?;
    let order: Vec<char> =
        demo.lines().filter_map(|l| l.strip_prefix("worker-")).filter_map(|l| l.chars().next()).collect();
    let count = |w: char| order.iter().filter(|&&c| c == w).count();
    check(count('a') == 4 && count('b') == 4, "demo: each worker reports its 4 steps", &demo)?;
    // Preemption: the workers never yield, yet neither finishes before the other starts.
    let first = |w: char| order.iter().position(|&c| c == w).unwrap_or(usize::MAX);
    let last = |w: char| order.iter().rposition(|&c| c == w).unwrap_or(0);
    check(first('b') < last('a') && first('a') < last('b'), "demo: worker output interleaves", &demo)?;
    check(demo.contains("counter = 8"), "demo: the mutex-protected counter", &demo)?;
    let ps_lines = |text: &str, name: &str| {
        text.lines().any(|l| l.contains(name) && (l.contains("ready") || l.contains("running")))
    };
    check(
        ps_lines(&demo, "worker-a") && ps_lines(&demo, "worker-b"),
        "ps (inside demo) shows both workers at once",
        &demo,
    )?;
    let ps = q.command("ps")?;
    check(ps.contains("shell") && ps.contains("idle"), "ps lists the shell and idle tasks", &ps)?;

    let hello = q.command("run /bin/hello.elf")?;
    check(hello.contains("hello from ring 3") && hello.contains("exited with code 0"), "run hello", &hello)?;
    check(
        hello.contains("sum of squares 1..100 = 338350") && hello.contains("/hello.txt has"),
        "hello's syscalls",
        &hello,
    )?;
    check(
        hello.contains("write from a kernel address: refused") && hello.contains("read into read-only memory: refused"),
        "system calls check user pointers",
        &hello,
    )?;
    let fault = q.command("run /bin/fault.elf")?;
    check(
        fault.contains("page fault") && fault.contains("cr2 0x0") && fault.contains("killed"),
        "fault is killed with a report",
        &fault,
    )?;
    check(!fault.contains("still alive"), "fault did not go on", &fault)?;
    let protect = q.command("run /bin/protect.elf")?;
    check(
        protect.contains("(#PF page fault) error 0x7")
            && protect.contains("killed")
            && !protect.contains("was writable"),
        "a write to read-only code is a protection fault",
        &protect,
    )?;
    let primes = q.command("run /bin/primes.elf")?;
    check(primes.contains("primes below 20000: 2262") && primes.contains("exited with code 0"), "run primes", &primes)?;
    let echo = q.command("echo still here")?;
    check(echo.trim_end() == "still here", "the shell goes on after a fault", &echo)?;
    let screen = vga_text(&mut q, &out.join("vga.bin"))?;
    check(
        screen.contains("wbos> echo still here") && screen.contains("primes below 20000: 2262"),
        "the VGA screen shows the console text",
        &screen,
    )?;

    let mem = q.command("mem")?;
    check(mem.contains("frames") && mem.contains("heap"), "mem", &mem)?;
    let up = q.command("uptime")?;
    check(up.contains("uptime"), "uptime", &up)?;

    // Keyboard: type a command through QEMU's PS/2 keyboard.
    for c in "echo Typed on the PS/2 keyboard\n".chars() {
        let key = key_name(c).ok_or_else(|| format!("no key for {c:?}"))?;
        q.monitor(&format!("sendkey {key}"))?;
        std::thread::sleep(Duration::from_millis(60));
    }
    let typed = q.expect(&format!("\n{PROMPT}"), Duration::from_secs(30))?;
    check(
        typed.contains("echo Typed on the PS/2 keyboard\nTyped on the PS/2 keyboard"),
        "keyboard input reaches the shell",
        &typed,
    )?;

    q.stdin.write_all(b"shutdown\n").map_err(|e| format!("qemu stdin: {e}"))?;
    q.expect_exit(EXIT_SHUTDOWN)?;
    drop(q);
    let _ = std::fs::remove_file(&sock);

    // The boot transcript is deterministic: a second boot prints the same lines.
    let mut again = Qemu::start(&image, None, false)?;
    let boot2 = again.expect(PROMPT, Duration::from_secs(60))?;
    again.stdin.write_all(b"shutdown\n").map_err(|e| format!("qemu stdin: {e}"))?;
    again.expect_exit(EXIT_SHUTDOWN)?;
    check(boot2 == boot, "a second boot prints the same transcript", &boot2)?;
    println!("[os test] second boot: identical {}-line transcript ({})", boot.lines().count(), boot_file.display());

    // Kernel faults: a readable report, then QEMU exits with the panic code.
    for (how, vector) in [("ud", "exception 6 (#UD invalid opcode)"), ("df", "exception 8 (#DF double fault)")] {
        let mut k = Qemu::start(&image, None, false)?;
        k.expect(PROMPT, Duration::from_secs(60))?;
        k.stdin.write_all(format!("crash {how}\n").as_bytes()).map_err(|e| format!("qemu stdin: {e}"))?;
        let report = k.expect("kernel: fatal", Duration::from_secs(20))?;
        check(
            report.contains(vector) && report.contains("rip 0x") && report.contains("r15"),
            &format!("crash {how} reports {vector}"),
            &report,
        )?;
        k.expect_exit(EXIT_PANIC)?;
        println!("[os test] crash {how}: {vector}, QEMU exit code {EXIT_PANIC}");
    }

    // The host's tools read what the guest wrote.
    let part = format!("{}@@{}", scratch.display(), PART_START_LBA * 512);
    let typed =
        run_output(Command::new("mtype").env("MTOOLS_SKIP_CHECK", "1").args(["-i", &part, "::/notes/fat.txt"]))?;
    check(
        String::from_utf8_lossy(&typed).trim_end() == "written by wbos\non FAT16",
        "mtype reads the guest's file",
        &String::from_utf8_lossy(&typed),
    )?;
    let disk = read(&scratch)?;
    let fat = out.join("test-fat.img");
    let start = (PART_START_LBA * 512) as usize;
    std::fs::write(&fat, disk.get(start..).unwrap_or_default()).map_err(|e| format!("{}: {e}", fat.display()))?;
    run_output(Command::new("fsck.fat").arg("-n").arg(&fat))?;
    println!("[os test] fsck.fat -n: volume clean after the guest's writes");
    println!("[os test] all checks passed in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Boot-to-prompt time (best of 3) and image sizes, as JSON lines.
pub fn bench(root: &Path) -> Result<(), String> {
    let image = build(root)?;
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let mut q = Qemu::start(&image, None, false)?;
        q.expect(PROMPT, Duration::from_secs(60))?;
        times.push(started.elapsed().as_secs_f64());
        q.stdin.write_all(b"shutdown\n").map_err(|e| format!("qemu stdin: {e}"))?;
        q.expect_exit(EXIT_SHUTDOWN)?;
    }
    times.sort_by(f64::total_cmp);
    let kernel = read(&root.join("target/os-build").join(TARGET).join("release/wbos-kernel"))?;
    let flat = flatten(&kernel)?;
    let disk = std::fs::metadata(&image).map_err(|e| format!("{}: {e}", image.display()))?.len();
    println!(
        "{{\"bench\":\"os_boot_to_prompt_qemu_tcg\",\"value\":{:.3},\"unit\":\"s\",\"runs\":{}}}",
        times[0],
        times.len()
    );
    println!("{{\"bench\":\"os_kernel_image_size\",\"value\":{},\"unit\":\"bytes\"}}", flat.len());
    println!("{{\"bench\":\"os_disk_image_size\",\"value\":{disk},\"unit\":\"bytes\"}}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ELF64 with one PT_LOAD per (paddr, bytes, memsz).
    fn elf(segments: &[(u64, Vec<u8>, u64)]) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        b[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        b[0x38..0x3A].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        let mut data_at = 64 + 56 * segments.len();
        let mut data = Vec::new();
        for (paddr, bytes, memsz) in segments {
            let mut ph = vec![0u8; 56];
            ph[..4].copy_from_slice(&1u32.to_le_bytes());
            ph[8..16].copy_from_slice(&(data_at as u64).to_le_bytes());
            ph[16..24].copy_from_slice(&paddr.to_le_bytes());
            ph[24..32].copy_from_slice(&paddr.to_le_bytes());
            ph[32..40].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
            ph[40..48].copy_from_slice(&memsz.to_le_bytes());
            b.extend_from_slice(&ph);
            data.extend_from_slice(bytes);
            data_at += bytes.len();
        }
        b.extend_from_slice(&data);
        b
    }

    fn boot_sector() -> Vec<u8> {
        let mut s = vec![0x90u8; 512];
        s[510] = 0x55;
        s[511] = 0xAA;
        s
    }

    #[test]
    fn flatten_places_segments_from_the_boot_sector() {
        let img =
            flatten(&elf(&[(0x7C00, boot_sector(), 512), (0x7E00, vec![1, 2, 3], 0x100), (0x7000, vec![9; 8], 8)]))
                .unwrap();
        assert_eq!(img.len(), 1024, "rounded to whole sectors; headers below 0x7C00 ignored");
        assert_eq!(&img[512..516], &[1, 2, 3, 0]);
    }

    #[test]
    fn flatten_refuses_bad_kernels() {
        assert!(flatten(b"not an elf").is_err());
        assert!(flatten(&elf(&[(0x7C00, vec![0; 512], 512)])).is_err(), "no boot signature");
        let too_big = elf(&[(0x7C00, boot_sector(), 512), (0x8000, vec![1], LOW_MEMORY_END)]);
        assert!(flatten(&too_big).unwrap_err().contains("above"));
    }

    #[test]
    fn partition_entry_layout() {
        let mut mbr = boot_sector();
        write_partition_entry(&mut mbr, PART_START_LBA, PART_SECTORS);
        assert_eq!(mbr[446], 0x80);
        assert_eq!(mbr[446 + 4], 0x04);
        assert_eq!(u32::from_le_bytes(mbr[454..458].try_into().unwrap()), 2048);
        assert_eq!(u32::from_le_bytes(mbr[458..462].try_into().unwrap()), 32768);
        assert_eq!(&mbr[510..], &[0x55, 0xAA]);
    }
}
