//! Linux user mode: the system calls a static glibc or musl program makes, over a sandboxed
//! view of the host file system. Any other call returns ENOSYS and is logged once.

pub mod fs;
pub mod stack;
mod vm;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use crate::hart::Hart;
use crate::mem::{self, PAGE_SIZE};
use fs::{Fd, Sandbox, EACCES, ENOENT, EROFS};

const EPERM: i64 = 1;
const EBADF: i64 = 9;
const EAGAIN: i64 = 11;
const ENOMEM: i64 = 12;
const EFAULT: i64 = 14;
const EEXIST: i64 = 17;
const ENOTDIR: i64 = 20;
const EISDIR: i64 = 21;
const EINVAL: i64 = 22;
const EMFILE: i64 = 24;
const ENOTTY: i64 = 25;
const ESPIPE: i64 = 29;
const ERANGE: i64 = 34;
const ENOSYS: i64 = 38;

const AT_FDCWD: i64 = -100;
const AT_EMPTY_PATH: u64 = 0x1000;

/// Layout of the guest's 4 GiB address space.
pub const MEM_SIZE: u64 = 1 << 32;
pub const BRK_LIMIT: u64 = 0x6000_0000;
pub const MMAP_BASE: u64 = 0x6000_0000;
pub const MMAP_TOP: u64 = 0xef00_0000;
pub const STACK_TOP: u64 = 0xf000_0000;
pub const STACK_SIZE: u64 = 8 << 20;
/// Where a position-independent static program is loaded.
pub const PIE_BASE: u64 = 0x1000_0000;

const PID: u64 = 1000;

/// What the run loop must do after a system call.
pub enum SysOutcome {
    /// The call completed; resume after the `ecall`.
    Continue,
    /// The program ended (exit, exit_group or a fatal signal).
    Exit(i32),
    /// A read of the console found no input yet: retry the `ecall` later.
    Block,
}

/// The kernel state of one Linux process.
pub struct Linux {
    pub brk_start: u64,
    pub brk: u64,
    /// Mapped areas from mmap and the stack: start → end.
    pub vmas: BTreeMap<u64, u64>,
    pub fds: Vec<Option<Fd>>,
    pub sandbox: Sandbox,
    pub host_stdio: bool,
    pub stdin: VecDeque<u8>,
    pub out: Vec<u8>,
    pub exe_path: String,
    /// Nanoseconds since the epoch at instruction 0: guest time advances 1 ns per instruction.
    pub time_base_ns: u64,
    pub rng: u64,
    pub enosys_logged: BTreeSet<u64>,
}

fn page_up(v: u64) -> u64 {
    v.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

fn prot_flags(prot: u64) -> u8 {
    ((prot & 1 != 0) as u8 * mem::R) | ((prot & 2 != 0) as u8 * mem::W) | ((prot & 4 != 0) as u8 * mem::X)
}

impl Linux {
    pub fn new(sandbox: Sandbox, host_stdio: bool, exe_path: String, brk_start: u64, time_base_ns: u64) -> Linux {
        Linux {
            brk_start,
            brk: brk_start,
            vmas: BTreeMap::new(),
            fds: vec![Some(Fd::Stdin), Some(Fd::Stdout), Some(Fd::Stderr)],
            sandbox,
            host_stdio,
            stdin: VecDeque::new(),
            out: Vec::new(),
            exe_path,
            time_base_ns,
            rng: 0x9e37_79b9_7f4a_7c15,
            enosys_logged: BTreeSet::new(),
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: deterministic so that runs (and save states) reproduce.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn random_bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let r = self.next_random().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
        out
    }

    /// Handle the `ecall` at the hart's pc. On `Continue`, a0 holds the result.
    ///
    /// Arguments are taken zero-extended to XLEN (RV32 registers hold sign-extended
    /// values); `int` arguments that may be negative (dirfd, fd) are narrowed where used.
    /// RV32 has the time64 and large-file variants of the asm-generic table: `_llseek`
    /// (62), `fcntl64` (25), `ftruncate64` (46), `mmap2` (222, offset in pages), `statx` (291),
    /// `clock_gettime64` (403), `futex_time64` (422); it has no `fstat`, `newfstatat`,
    /// `gettimeofday` or 32-bit `clock_gettime`.
    pub fn syscall(&mut self, hart: &mut Hart) -> SysOutcome {
        let nr = hart.x[17] & hart.mask;
        let m = hart.mask;
        let a = [hart.x[10] & m, hart.x[11] & m, hart.x[12] & m, hart.x[13] & m, hart.x[14] & m, hart.x[15] & m];
        let rv32 = hart.xlen_bits() == 32;
        let word = if rv32 { 4 } else { 8 };
        let ret: i64 = match nr {
            17 => self.getcwd(hart, a[0], a[1]),
            23 => self.dup(a[0]),
            24 => if a[0] == a[1] { -EINVAL } else { self.dup2(a[0], a[1]) },
            25 => self.fcntl(a[0], a[1]),
            29 => self.ioctl(a[0], a[1]),
            34 => self.mkdirat(hart, a[0], a[1]),
            35 => self.unlinkat(hart, a[0], a[1], a[2]),
            // ftruncate (ftruncate64 on RV32: the length in two registers).
            46 if rv32 => self.ftruncate(a[0], a[1] | a[2] << 32),
            46 => self.ftruncate(a[0], a[1]),
            48 => self.faccessat(hart, a[0], a[1]),
            56 => self.openat(hart, a[0], a[1], a[2]),
            57 => self.close(a[0]),
            61 => self.getdents64(hart, a[0], a[1], a[2]),
            62 if rv32 => self.llseek(hart, a[0], a[1] << 32 | a[2], a[3], a[4]),
            62 => self.lseek(a[0], a[1] as i64, a[2]),
            63 => match self.read(hart, a[0], a[1], a[2]) {
                Some(r) => r,
                None => return SysOutcome::Block,
            },
            64 => self.write(hart, a[0], a[1], a[2]),
            65 => match self.readv(hart, a[0], a[1], a[2]) {
                Some(r) => r,
                None => return SysOutcome::Block,
            },
            66 => self.writev(hart, a[0], a[1], a[2]),
            67 if rv32 => self.pread(hart, a[0], a[1], a[2], a[3] | a[4] << 32),
            67 => self.pread(hart, a[0], a[1], a[2], a[3]),
            78 => self.readlinkat(hart, a[1], a[2], a[3]),
            79 if !rv32 => self.newfstatat(hart, a[0], a[1], a[2], a[3]),
            80 if !rv32 => self.fstat(hart, a[0], a[1]),
            93 | 94 => return SysOutcome::Exit(a[0] as i32),
            96 => PID as i64,
            98 if !rv32 => self.futex(hart, a[0], a[1], a[2]),
            422 => self.futex(hart, a[0], a[1], a[2]),
            99 => 0,
            // nanosleep, clock_nanosleep(_time64): guest time is instructions retired, so
            // a sleep returns at once.
            101 | 115 if !rv32 => 0,
            407 => 0,
            113 if !rv32 => self.clock_gettime(hart, a[0], a[1]),
            403 => self.clock_gettime(hart, a[0], a[1]),
            114 if !rv32 => self.clock_getres(hart, a[1]),
            406 => self.clock_getres(hart, a[1]),
            123 => self.sched_getaffinity(hart, a[1], a[2], word),
            124 => 0,
            129..=131 => {
                // kill/tkill/tgkill of ourselves (abort): the process dies of the signal.
                let sig = if nr == 131 { a[2] } else { a[1] };
                return SysOutcome::Exit(128 + (sig as i32 & 0x7f));
            }
            // sigaltstack, rt_sigaction, rt_sigprocmask: accepted; the old values read as
            // empty (stack_t and struct sigaction are three words and two words + mask).
            132 => self.zero_out(hart, a[1], 3 * word as usize),
            134 => self.zero_out(hart, a[2], 2 * word as usize + 8),
            135 => self.zero_out(hart, a[2], 8),
            160 => self.uname(hart, a[0]),
            163 if !rv32 => self.getrlimit(hart, a[0], a[1]),
            169 if !rv32 => self.gettimeofday(hart, a[0]),
            172 | 178 => PID as i64,
            173 => PID as i64 - 1,
            174..=177 => stack::UID as i64,
            214 => self.brk(hart, a[0]) as i64,
            215 => self.munmap(hart, a[0], a[1]),
            216 => self.mremap(hart, a[0], a[1], a[2], a[3]),
            222 => {
                let off = if rv32 { a[5] << mem::PAGE_SHIFT } else { a[5] };
                self.mmap(hart, a[0], a[1], a[2], a[3], a[4] as i32 as i64, off)
            }
            226 => self.mprotect(hart, a[0], a[1], a[2]),
            233 => 0,
            261 => self.prlimit(hart, a[1], a[3]),
            278 => self.getrandom(hart, a[0], a[1]),
            291 => self.statx(hart, a[0], a[1], a[2], a[4]),
            _ => {
                if self.enosys_logged.insert(nr) && self.host_stdio {
                    eprintln!("workbench: riscv: unimplemented system call {nr} returns ENOSYS");
                }
                -ENOSYS
            }
        };
        hart.x[10] = hart.sx(ret as u64);
        SysOutcome::Continue
    }

    // ---- guest memory helpers ----

    fn put(&self, hart: &mut Hart, addr: u64, bytes: &[u8]) -> bool {
        hart.write_bytes(addr, bytes, true)
    }

    fn cstring(&self, hart: &Hart, addr: u64) -> Option<String> {
        let mut out = Vec::new();
        let mut a = addr;
        loop {
            let b = *hart.read_bytes(a, 1, true)?.first()?;
            if b == 0 {
                return Some(String::from_utf8_lossy(&out).into_owned());
            }
            out.push(b);
            a += 1;
            if out.len() > 4096 {
                return None;
            }
        }
    }

    fn zero_out(&self, hart: &mut Hart, addr: u64, len: usize) -> i64 {
        if addr != 0 && !self.put(hart, addr, &vec![0; len]) {
            return -EFAULT;
        }
        0
    }

    // ---- files ----

    fn fd(&mut self, fd: u64) -> Option<&mut Fd> {
        self.fds.get_mut(fd as usize).and_then(|f| f.as_mut())
    }

    fn install(&mut self, f: Fd) -> i64 {
        if let Some(i) = self.fds.iter().position(|f| f.is_none()) {
            self.fds[i] = Some(f);
            return i as i64;
        }
        if self.fds.len() >= 1024 {
            return -EMFILE;
        }
        self.fds.push(Some(f));
        self.fds.len() as i64 - 1
    }

    /// Host folder a relative path of `dirfd` starts from.
    fn base_dir(&mut self, dirfd: u64) -> Result<PathBuf, i64> {
        if dirfd as i32 as i64 == AT_FDCWD {
            return Ok(self.sandbox.root.clone());
        }
        match self.fd(dirfd) {
            Some(Fd::Dir { path, .. }) => Ok(path.clone()),
            Some(_) => Err(ENOTDIR),
            None => Err(EBADF),
        }
    }

    fn guest_path(&mut self, hart: &Hart, dirfd: u64, path: u64) -> Result<PathBuf, i64> {
        let p = self.cstring(hart, path).ok_or(EFAULT)?;
        if p.is_empty() {
            return Err(ENOENT);
        }
        let base = self.base_dir(dirfd)?;
        self.sandbox.resolve(&base, &p)
    }

    fn openat(&mut self, hart: &Hart, dirfd: u64, path: u64, flags: u64) -> i64 {
        let host = match self.guest_path(hart, dirfd, path) {
            Ok(h) => h,
            Err(e) => return -e,
        };
        let acc = flags & 3;
        let (creat, excl, trunc, append) = (flags & 0x40 != 0, flags & 0x80 != 0, flags & 0x200 != 0, flags & 0x400 != 0);
        let wants_write = acc != 0 || creat || trunc;
        if wants_write && !self.sandbox.writable {
            return -EROFS;
        }
        if host.is_dir() {
            if acc != 0 {
                return -EISDIR;
            }
            return match fs::list_dir(&host) {
                Ok(entries) => self.install(Fd::Dir { path: host, entries, pos: 0 }),
                Err(_) => -EACCES,
            };
        }
        if flags & 0x10000 != 0 {
            return if host.exists() { -ENOTDIR } else { -ENOENT };
        }
        let mut o = std::fs::OpenOptions::new();
        o.read(acc != 1).write(acc != 0).append(append).truncate(trunc);
        if creat && excl {
            o.create_new(true);
        } else if creat {
            o.create(true);
        }
        match o.open(&host) {
            Ok(file) => self.install(Fd::File { file, path: host, writable: acc != 0 }),
            Err(e) => -io_errno(&e),
        }
    }

    fn close(&mut self, fd: u64) -> i64 {
        match self.fds.get_mut(fd as usize) {
            Some(slot @ Some(_)) => {
                *slot = None;
                0
            }
            _ => -EBADF,
        }
    }

    fn dup(&mut self, fd: u64) -> i64 {
        let copy = match self.fd(fd) {
            Some(Fd::Stdin) => Fd::Stdin,
            Some(Fd::Stdout) => Fd::Stdout,
            Some(Fd::Stderr) => Fd::Stderr,
            Some(Fd::File { file, path, writable }) => match file.try_clone() {
                Ok(f) => Fd::File { file: f, path: path.clone(), writable: *writable },
                Err(_) => return -ENOMEM,
            },
            Some(Fd::Dir { .. }) => return -EINVAL,
            None => return -EBADF,
        };
        self.install(copy)
    }

    fn dup2(&mut self, old: u64, new: u64) -> i64 {
        let n = self.dup(old);
        if n < 0 || new >= 1024 {
            return if n < 0 { n } else { -EBADF };
        }
        let f = self.fds[n as usize].take();
        if self.fds.len() <= new as usize {
            self.fds.resize_with(new as usize + 1, || None);
        }
        self.fds[new as usize] = f;
        new as i64
    }

    fn fcntl(&mut self, fd: u64, cmd: u64) -> i64 {
        let Some(f) = self.fd(fd) else { return -EBADF };
        match cmd {
            // F_GETFL: the access mode.
            3 => match f {
                Fd::Stdin => 0,
                Fd::Stdout | Fd::Stderr => 1,
                Fd::File { writable, .. } => if *writable { 2 } else { 0 },
                Fd::Dir { .. } => 0x10000,
            },
            _ => 0,
        }
    }

    fn ioctl(&mut self, fd: u64, _req: u64) -> i64 {
        // No terminal: TCGETS and friends say "not a tty", so stdio is fully buffered.
        if self.fd(fd).is_none() { -EBADF } else { -ENOTTY }
    }

    fn read(&mut self, hart: &mut Hart, fd: u64, buf: u64, count: u64) -> Option<i64> {
        let count = count.min(1 << 20) as usize;
        let mut tmp = vec![0u8; count];
        let host_stdio = self.host_stdio;
        let n = match self.fd(fd) {
            Some(Fd::Stdin) if host_stdio => std::io::stdin().lock().read(&mut tmp).unwrap_or(0),
            Some(Fd::Stdin) => {
                if self.stdin.is_empty() && count > 0 {
                    return None;
                }
                let n = count.min(self.stdin.len());
                for (i, b) in self.stdin.drain(..n).enumerate() {
                    tmp[i] = b;
                }
                n
            }
            Some(Fd::File { file, .. }) => match file.read(&mut tmp) {
                Ok(n) => n,
                Err(e) => return Some(-io_errno(&e)),
            },
            Some(Fd::Dir { .. }) => return Some(-EISDIR),
            Some(_) => return Some(-EBADF),
            None => return Some(-EBADF),
        };
        if !self.put(hart, buf, &tmp[..n]) {
            return Some(-EFAULT);
        }
        Some(n as i64)
    }

    /// Set a file's length: only a file opened for writing (so only inside a writable
    /// sandbox), and not a negative length, as the kernel refuses them.
    fn ftruncate(&mut self, fd: u64, len: u64) -> i64 {
        if (len as i64) < 0 {
            return -EINVAL;
        }
        match self.fd(fd) {
            Some(Fd::File { file, writable: true, .. }) => match file.set_len(len) {
                Ok(()) => 0,
                Err(e) => -io_errno(&e),
            },
            // Read-only files, directories, the console: what the kernel says of each.
            Some(_) => -EINVAL,
            None => -EBADF,
        }
    }

    fn pread(&mut self, hart: &mut Hart, fd: u64, buf: u64, count: u64, off: u64) -> i64 {
        use std::os::unix::fs::FileExt;
        let mut tmp = vec![0u8; count.min(1 << 20) as usize];
        let n = match self.fd(fd) {
            Some(Fd::File { file, .. }) => match file.read_at(&mut tmp, off) {
                Ok(n) => n,
                Err(e) => return -io_errno(&e),
            },
            Some(_) => return -ESPIPE,
            None => return -EBADF,
        };
        if !self.put(hart, buf, &tmp[..n]) {
            return -EFAULT;
        }
        n as i64
    }

    fn write(&mut self, hart: &mut Hart, fd: u64, buf: u64, count: u64) -> i64 {
        let Some(bytes) = hart.read_bytes(buf, count, true) else { return -EFAULT };
        let bytes = bytes.to_vec();
        self.write_bytes(fd, &bytes)
    }

    fn write_bytes(&mut self, fd: u64, bytes: &[u8]) -> i64 {
        let host_stdio = self.host_stdio;
        match self.fd(fd) {
            Some(Fd::Stdout) if host_stdio => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(bytes);
                let _ = out.flush();
            }
            Some(Fd::Stderr) if host_stdio => {
                let _ = std::io::stderr().lock().write_all(bytes);
            }
            Some(Fd::Stdout | Fd::Stderr) => self.out.extend_from_slice(bytes),
            Some(Fd::File { file, writable: true, .. }) => {
                return match file.write(bytes) {
                    Ok(n) => n as i64,
                    Err(e) => -io_errno(&e),
                };
            }
            Some(_) => return -EBADF,
            None => return -EBADF,
        }
        bytes.len() as i64
    }

    fn iovecs(&self, hart: &Hart, iov: u64, cnt: u64) -> Option<Vec<(u64, u64)>> {
        let word = if hart.xlen_bits() == 32 { 4 } else { 8 };
        (0..cnt.min(1024))
            .map(|k| {
                let b = hart.read_bytes(iov + k * 2 * word, 2 * word, true)?;
                let get = |o: usize| {
                    let mut w = [0u8; 8];
                    w[..word as usize].copy_from_slice(&b[o..o + word as usize]);
                    u64::from_le_bytes(w)
                };
                Some((get(0), get(word as usize)))
            })
            .collect()
    }

    fn writev(&mut self, hart: &mut Hart, fd: u64, iov: u64, cnt: u64) -> i64 {
        let Some(vecs) = self.iovecs(hart, iov, cnt) else { return -EFAULT };
        let mut data = Vec::new();
        for (base, len) in vecs {
            match hart.read_bytes(base, len, true) {
                Some(b) => data.extend_from_slice(b),
                None => return -EFAULT,
            }
        }
        self.write_bytes(fd, &data)
    }

    fn readv(&mut self, hart: &mut Hart, fd: u64, iov: u64, cnt: u64) -> Option<i64> {
        let Some(vecs) = self.iovecs(hart, iov, cnt) else { return Some(-EFAULT) };
        let mut total = 0;
        for (base, len) in vecs {
            let n = self.read(hart, fd, base, len)?;
            if n < 0 {
                return Some(if total > 0 { total } else { n });
            }
            total += n;
            if (n as u64) < len {
                break;
            }
        }
        Some(total)
    }

    fn lseek(&mut self, fd: u64, off: i64, whence: u64) -> i64 {
        let pos = match whence {
            0 => SeekFrom::Start(off as u64),
            1 => SeekFrom::Current(off),
            2 => SeekFrom::End(off),
            _ => return -EINVAL,
        };
        match self.fd(fd) {
            Some(Fd::File { file, .. }) => match file.seek(pos) {
                Ok(p) => p as i64,
                Err(e) => -io_errno(&e),
            },
            Some(Fd::Dir { pos: p, .. }) if off == 0 && whence == 0 => {
                *p = 0;
                0
            }
            Some(_) => -ESPIPE,
            None => -EBADF,
        }
    }

    /// `_llseek` of RV32: the 64-bit offset comes in two registers and the new position
    /// goes to `*result`.
    fn llseek(&mut self, hart: &mut Hart, fd: u64, off: u64, result: u64, whence: u64) -> i64 {
        let pos = self.lseek(fd, off as i64, whence);
        if pos < 0 {
            return pos;
        }
        if self.put(hart, result, &(pos as u64).to_le_bytes()) { 0 } else { -EFAULT }
    }

    /// The metadata behind `fd`; `None` for the console (a character device).
    fn fd_meta(&mut self, fd: u64) -> Result<Option<std::fs::Metadata>, i64> {
        let meta = match self.fd(fd) {
            Some(Fd::Stdin | Fd::Stdout | Fd::Stderr) => return Ok(None),
            Some(Fd::File { file, .. }) => file.metadata(),
            Some(Fd::Dir { path, .. }) => std::fs::metadata(path),
            None => return Err(EBADF),
        };
        meta.map(Some).map_err(|e| io_errno(&e))
    }

    fn stat_of(&mut self, fd: u64) -> Result<[u8; 128], i64> {
        let meta = self.fd_meta(fd)?;
        Ok(fs::stat_bytes(meta.as_ref(), meta.is_none()))
    }

    fn fstat(&mut self, hart: &mut Hart, fd: u64, buf: u64) -> i64 {
        match self.stat_of(fd) {
            Ok(st) => if self.put(hart, buf, &st) { 0 } else { -EFAULT },
            Err(e) => -e,
        }
    }

    fn newfstatat(&mut self, hart: &mut Hart, dirfd: u64, path: u64, buf: u64, flags: u64) -> i64 {
        if flags & AT_EMPTY_PATH != 0 && self.cstring(hart, path).is_some_and(|p| p.is_empty()) {
            return self.fstat(hart, dirfd, buf);
        }
        let host = match self.guest_path(hart, dirfd, path) {
            Ok(h) => h,
            Err(e) => return -e,
        };
        match std::fs::metadata(&host) {
            Ok(m) => if self.put(hart, buf, &fs::stat_bytes(Some(&m), false)) { 0 } else { -EFAULT },
            Err(e) => -io_errno(&e),
        }
    }

    /// statx (the only stat call of RV32): `AT_EMPTY_PATH` with "" describes `dirfd`.
    fn statx(&mut self, hart: &mut Hart, dirfd: u64, path: u64, flags: u64, buf: u64) -> i64 {
        let meta = if flags & AT_EMPTY_PATH != 0 && self.cstring(hart, path).is_some_and(|p| p.is_empty()) {
            match self.fd_meta(dirfd) {
                Ok(m) => m,
                Err(e) => return -e,
            }
        } else {
            let host = match self.guest_path(hart, dirfd, path) {
                Ok(h) => h,
                Err(e) => return -e,
            };
            match std::fs::metadata(&host) {
                Ok(m) => Some(m),
                Err(e) => return -io_errno(&e),
            }
        };
        if self.put(hart, buf, &fs::statx_bytes(meta.as_ref())) { 0 } else { -EFAULT }
    }

    fn faccessat(&mut self, hart: &Hart, dirfd: u64, path: u64) -> i64 {
        match self.guest_path(hart, dirfd, path) {
            Ok(h) if h.exists() => 0,
            Ok(_) => -ENOENT,
            Err(e) => -e,
        }
    }

    fn mkdirat(&mut self, hart: &Hart, dirfd: u64, path: u64) -> i64 {
        if !self.sandbox.writable {
            return -EROFS;
        }
        match self.guest_path(hart, dirfd, path) {
            Ok(h) if h.exists() => -EEXIST,
            Ok(h) => std::fs::create_dir(h).map(|_| 0).unwrap_or_else(|e| -io_errno(&e)),
            Err(e) => -e,
        }
    }

    fn unlinkat(&mut self, hart: &Hart, dirfd: u64, path: u64, flags: u64) -> i64 {
        if !self.sandbox.writable {
            return -EROFS;
        }
        match self.guest_path(hart, dirfd, path) {
            Ok(h) => {
                let r = if flags & 0x200 != 0 { std::fs::remove_dir(h) } else { std::fs::remove_file(h) };
                r.map(|_| 0).unwrap_or_else(|e| -io_errno(&e))
            }
            Err(e) => -e,
        }
    }

    fn getdents64(&mut self, hart: &mut Hart, fd: u64, buf: u64, count: u64) -> i64 {
        let mut out = Vec::new();
        match self.fd(fd) {
            Some(Fd::Dir { entries, pos, .. }) => {
                while let Some(e) = entries.get(*pos) {
                    let reclen = (19 + e.name.len() + 1 + 7) & !7;
                    if out.len() + reclen > count as usize {
                        break;
                    }
                    let start = out.len();
                    out.extend_from_slice(&e.ino.to_le_bytes());
                    out.extend_from_slice(&((*pos + 1) as u64).to_le_bytes());
                    out.extend_from_slice(&(reclen as u16).to_le_bytes());
                    out.push(e.kind);
                    out.extend_from_slice(e.name.as_bytes());
                    out.resize(start + reclen, 0);
                    *pos += 1;
                }
                if out.is_empty() && entries.get(*pos).is_some() {
                    return -EINVAL;
                }
            }
            Some(_) => return -ENOTDIR,
            None => return -EBADF,
        }
        if !self.put(hart, buf, &out) {
            return -EFAULT;
        }
        out.len() as i64
    }

    fn readlinkat(&mut self, hart: &mut Hart, path: u64, buf: u64, size: u64) -> i64 {
        let Some(p) = self.cstring(hart, path) else { return -EFAULT };
        if p != "/proc/self/exe" {
            return -EINVAL;
        }
        let target = self.exe_path.clone().into_bytes();
        let n = target.len().min(size as usize);
        if !self.put(hart, buf, &target[..n]) {
            return -EFAULT;
        }
        n as i64
    }

    fn getcwd(&mut self, hart: &mut Hart, buf: u64, size: u64) -> i64 {
        let mut cwd = self.sandbox.root.to_string_lossy().into_owned().into_bytes();
        cwd.push(0);
        if cwd.len() as u64 > size {
            return -ERANGE;
        }
        if !self.put(hart, buf, &cwd) {
            return -EFAULT;
        }
        cwd.len() as i64
    }

    // ---- time, identity, limits ----

    fn now_ns(&self, hart: &Hart, realtime: bool) -> u64 {
        if realtime { self.time_base_ns + hart.instret } else { 1_000_000_000 + hart.instret }
    }

    fn clock_gettime(&mut self, hart: &mut Hart, clock: u64, tp: u64) -> i64 {
        // CLOCK_REALTIME, _COARSE, _ALARM and TAI follow the wall clock; the rest start at 1 s.
        let ns = self.now_ns(hart, matches!(clock, 0 | 5 | 8 | 11));
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
        b[8..].copy_from_slice(&(ns % 1_000_000_000).to_le_bytes());
        if self.put(hart, tp, &b) { 0 } else { -EFAULT }
    }

    /// Every clock ticks in nanoseconds.
    fn clock_getres(&mut self, hart: &mut Hart, res: u64) -> i64 {
        if res == 0 {
            return 0;
        }
        let mut b = [0u8; 16];
        b[8] = 1;
        if self.put(hart, res, &b) { 0 } else { -EFAULT }
    }

    fn gettimeofday(&mut self, hart: &mut Hart, tv: u64) -> i64 {
        if tv == 0 {
            return 0;
        }
        let ns = self.now_ns(hart, true);
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
        b[8..].copy_from_slice(&((ns % 1_000_000_000) / 1000).to_le_bytes());
        if self.put(hart, tv, &b) { 0 } else { -EFAULT }
    }

    fn uname(&mut self, hart: &mut Hart, buf: u64) -> i64 {
        let machine = if hart.xlen_bits() == 32 { "riscv32" } else { "riscv64" };
        let fields = ["Linux", "workbench", "6.1.0", "#1 SMP", machine, "(none)"];
        let mut b = vec![0u8; 65 * 6];
        for (k, f) in fields.iter().enumerate() {
            b[k * 65..k * 65 + f.len()].copy_from_slice(f.as_bytes());
        }
        if self.put(hart, buf, &b) { 0 } else { -EFAULT }
    }

    fn rlimit(resource: u64) -> (u64, u64) {
        match resource {
            3 => (STACK_SIZE, u64::MAX),
            7 => (1024, 1024),
            _ => (u64::MAX, u64::MAX),
        }
    }

    fn getrlimit(&mut self, hart: &mut Hart, resource: u64, old: u64) -> i64 {
        self.prlimit(hart, resource, old)
    }

    fn prlimit(&mut self, hart: &mut Hart, resource: u64, old: u64) -> i64 {
        if old == 0 {
            return 0;
        }
        let (cur, max) = Self::rlimit(resource);
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&cur.to_le_bytes());
        b[8..].copy_from_slice(&max.to_le_bytes());
        if self.put(hart, old, &b) { 0 } else { -EFAULT }
    }

    fn getrandom(&mut self, hart: &mut Hart, buf: u64, len: u64) -> i64 {
        let len = len.min(1 << 16);
        let mut bytes = vec![0u8; len as usize];
        for chunk in bytes.chunks_mut(8) {
            let r = self.next_random().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
        if self.put(hart, buf, &bytes) { len as i64 } else { -EFAULT }
    }

    /// One CPU: the mask has bit 0 set and is one `long` long.
    fn sched_getaffinity(&mut self, hart: &mut Hart, len: u64, mask: u64, word: u64) -> i64 {
        if len < word {
            return -EINVAL;
        }
        let mut bytes = vec![0u8; word as usize];
        bytes[0] = 1;
        if self.put(hart, mask, &bytes) { word as i64 } else { -EFAULT }
    }

    fn futex(&mut self, hart: &mut Hart, uaddr: u64, op: u64, val: u64) -> i64 {
        match op & 0x7f {
            // FUTEX_WAIT: with one thread nobody could wake us; report the value changed.
            0 | 9 => match hart.read_bytes(uaddr, 4, true) {
                Some(b) if u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64 != val & 0xffff_ffff => -EAGAIN,
                Some(_) => -EAGAIN,
                None => -EFAULT,
            },
            1 | 10 => 0,
            _ => -ENOSYS,
        }
    }
}

fn io_errno(e: &std::io::Error) -> i64 {
    e.raw_os_error().map(|c| c as i64).unwrap_or(match e.kind() {
        std::io::ErrorKind::NotFound => ENOENT,
        std::io::ErrorKind::PermissionDenied => EACCES,
        std::io::ErrorKind::AlreadyExists => EEXIST,
        _ => EPERM,
    })
}
