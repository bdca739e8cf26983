//! Save states: registers, CSRs, devices, kernel bookkeeping and every non-zero mapped page.

use std::collections::BTreeMap;
use std::path::PathBuf;

use wb_machine::state::{self, Reader, Writer};
use wb_machine::StateError;

use crate::devices::{Plic, UART_REGS};
use crate::hart::Csrs;
use crate::linux::fs::{self, Fd};
use crate::mem::{self, PAGE_SHIFT, PAGE_SIZE};
use crate::RiscV;

const VERSION: u32 = 2;
const PERMS: u8 = mem::R | mem::W | mem::X;

fn csr_fields(c: &mut Csrs) -> [&mut u64; 20] {
    [
        &mut c.mstatus, &mut c.medeleg, &mut c.mideleg, &mut c.mie, &mut c.mip, &mut c.mtvec, &mut c.mscratch,
        &mut c.mepc, &mut c.mcause, &mut c.mtval, &mut c.mcounteren, &mut c.menvcfg, &mut c.stvec, &mut c.sscratch,
        &mut c.sepc, &mut c.scause, &mut c.stval, &mut c.scounteren, &mut c.senvcfg, &mut c.satp,
    ]
}

enum SavedFd {
    None,
    Stdin,
    Stdout,
    Stderr,
    File { path: PathBuf, pos: u64, writable: bool },
    Dir { path: PathBuf, pos: u64 },
}

struct LinuxPart {
    brk_start: u64,
    brk: u64,
    vmas: BTreeMap<u64, u64>,
    rng: u64,
    time_base_ns: u64,
    stdin: Vec<u8>,
    fds: Vec<SavedFd>,
}

fn path_blob(p: &std::path::Path) -> Vec<u8> {
    p.to_string_lossy().into_owned().into_bytes()
}

impl RiscV {
    pub(crate) fn snapshot(&self) -> Vec<u8> {
        let h = &self.hart;
        let mut w = Writer::new();
        w.u8(h.xlen_bits() as u8).bool(self.linux.is_some());
        for v in &h.x[..32] {
            w.u64(*v);
        }
        for v in &h.f {
            w.u64(*v);
        }
        w.u64(h.pc).u8(h.frm).u8(h.fflags).u64(h.instret).u8(h.prv);
        w.bool(h.reservation.is_some()).u64(h.reservation.unwrap_or(0));
        let mut csrs = h.csr.clone();
        for f in csr_fields(&mut csrs) {
            w.u64(*f);
        }
        w.bool(h.clint.msip).u64(h.clint.mtimecmp).u64(h.clint.mtime_offset);
        for r in h.uart.regs() {
            w.u8(r);
        }
        w.bytes(&h.uart.rx.iter().copied().collect::<Vec<_>>());
        h.plic.save(&mut w);
        w.bool(h.htif_exit.is_some()).u64(h.htif_exit.unwrap_or(0));
        w.bool(self.exit.is_some()).u32(self.exit.unwrap_or(0) as u32);
        if let Some(os) = &self.linux {
            w.u64(os.brk_start).u64(os.brk).u64(os.vmas.len() as u64);
            for (s, e) in &os.vmas {
                w.u64(*s).u64(*e);
            }
            w.u64(os.rng).u64(os.time_base_ns);
            w.bytes(&os.stdin.iter().copied().collect::<Vec<_>>());
            w.u64(os.fds.len() as u64);
            for fd in &os.fds {
                match fd {
                    None => w.u8(0),
                    Some(Fd::Stdin) => w.u8(1),
                    Some(Fd::Stdout) => w.u8(2),
                    Some(Fd::Stderr) => w.u8(3),
                    Some(Fd::File { file, path, writable }) => {
                        use std::io::Seek;
                        let pos = (&*file).stream_position().unwrap_or(0);
                        w.u8(4).bytes(&path_blob(path)).u64(pos).bool(*writable)
                    }
                    Some(Fd::Dir { path, pos, .. }) => w.u8(5).bytes(&path_blob(path)).u64(*pos as u64),
                };
            }
        }
        // Page flags, run-length encoded, then the non-zero pages.
        let flags = &h.mem.flags;
        let mut runs: Vec<(u32, u8)> = Vec::new();
        for &f in flags {
            let f = f & PERMS;
            match runs.last_mut() {
                Some((n, v)) if *v == f => *n += 1,
                _ => runs.push((1, f)),
            }
        }
        w.u64(runs.len() as u64);
        for (n, v) in runs {
            w.u32(n).u8(v);
        }
        let pages: Vec<usize> = (0..flags.len())
            .filter(|&p| flags[p] & PERMS != 0)
            .filter(|&p| h.mem.data[p << PAGE_SHIFT..(p + 1) << PAGE_SHIFT].iter().any(|&b| b != 0))
            .collect();
        w.u64(pages.len() as u64);
        for p in pages {
            w.u32(p as u32);
            w.bytes(&h.mem.data[p << PAGE_SHIFT..(p + 1) << PAGE_SHIFT]);
        }
        state::wrap("riscv", VERSION, &w.finish())
    }

    pub(crate) fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let payload = state::unwrap("riscv", VERSION, bytes)?;
        let mut r = Reader::new(payload);
        let mismatch = |m: &str| StateError::Mismatch(m.to_string());
        if r.u8()? as u32 != self.hart.xlen_bits() || r.bool()? != self.linux.is_some() {
            return Err(mismatch("different register width or platform"));
        }
        let mut x = [0u64; 256];
        for v in x.iter_mut().take(32) {
            *v = r.u64()?;
        }
        let mut f = [0u64; 32];
        for v in f.iter_mut() {
            *v = r.u64()?;
        }
        let (pc, frm, fflags, instret, prv) = (r.u64()?, r.u8()?, r.u8()?, r.u64()?, r.u8()?);
        let reservation = if r.bool()? { Some(r.u64()?) } else { r.u64().map(|_| None)? };
        let mut csr = Csrs::default();
        for field in csr_fields(&mut csr) {
            *field = r.u64()?;
        }
        let (msip, mtimecmp, mtime_offset) = (r.bool()?, r.u64()?, r.u64()?);
        let mut uart_regs = [0u8; UART_REGS];
        for v in uart_regs.iter_mut() {
            *v = r.u8()?;
        }
        let uart_rx = r.blob()?.to_vec();
        let plic = Plic::load(&mut r)?;
        let htif_exit = if r.bool()? { Some(r.u64()?) } else { r.u64().map(|_| None)? };
        let exit = if r.bool()? { Some(r.u32()? as i32) } else { r.u32().map(|_| None)? };
        let linux = if self.linux.is_some() {
            let (brk_start, brk, n) = (r.u64()?, r.u64()?, r.u64()?);
            let mut vmas = BTreeMap::new();
            for _ in 0..n {
                vmas.insert(r.u64()?, r.u64()?);
            }
            let (rng, time_base_ns) = (r.u64()?, r.u64()?);
            let stdin = r.blob()?.to_vec();
            let n = r.u64()?;
            let mut fds = Vec::new();
            for _ in 0..n.min(4096) {
                fds.push(match r.u8()? {
                    0 => SavedFd::None,
                    1 => SavedFd::Stdin,
                    2 => SavedFd::Stdout,
                    3 => SavedFd::Stderr,
                    4 => SavedFd::File {
                        path: PathBuf::from(String::from_utf8_lossy(r.blob()?).into_owned()),
                        pos: r.u64()?,
                        writable: r.bool()?,
                    },
                    5 => SavedFd::Dir { path: PathBuf::from(String::from_utf8_lossy(r.blob()?).into_owned()), pos: r.u64()? },
                    k => return Err(StateError::Mismatch(format!("bad file descriptor kind {k}"))),
                });
            }
            Some(LinuxPart { brk_start, brk, vmas, rng, time_base_ns, stdin, fds })
        } else {
            None
        };
        let pages_total = self.hart.mem.flags.len();
        let runs = r.u64()?;
        let mut flags = Vec::with_capacity(pages_total);
        for _ in 0..runs {
            let (n, v) = (r.u32()? as usize, r.u8()?);
            if flags.len() + n > pages_total {
                return Err(mismatch("page table larger than memory"));
            }
            flags.resize(flags.len() + n, v & PERMS);
        }
        if flags.len() != pages_total {
            return Err(mismatch("page table size differs"));
        }
        let n = r.u64()?;
        let mut pages = Vec::new();
        for _ in 0..n {
            let p = r.u32()? as usize;
            let data = r.blob()?;
            if p >= pages_total || data.len() as u64 != PAGE_SIZE {
                return Err(mismatch("bad page"));
            }
            pages.push((p, data));
        }
        r.finish()?;

        // Everything parsed: apply.
        let h = &mut self.hart;
        for p in 0..pages_total {
            if h.mem.flags[p] & PERMS != 0 {
                h.mem.data[p << PAGE_SHIFT..(p + 1) << PAGE_SHIFT].fill(0);
            }
        }
        if let Some(os) = &self.linux {
            for (&s, &e) in &os.vmas {
                if let Some(off) = h.mem.offset(s, e - s) {
                    h.mem.data[off..off + (e - s) as usize].fill(0);
                }
            }
        }
        h.flush_code();
        h.mem.flags = flags;
        for (p, data) in pages {
            h.mem.data[p << PAGE_SHIFT..(p + 1) << PAGE_SHIFT].copy_from_slice(data);
        }
        h.x = x;
        h.f = f;
        h.pc = pc;
        h.frm = frm;
        h.fflags = fflags;
        h.instret = instret;
        h.prv = prv;
        h.reservation = reservation;
        h.csr = csr;
        h.clint.msip = msip;
        h.clint.mtimecmp = mtimecmp;
        h.clint.mtime_offset = mtime_offset;
        h.uart.set_regs(uart_regs);
        h.uart.rx = uart_rx.into();
        h.plic = plic;
        h.htif_exit = htif_exit;
        h.next_event = if h.bare { h.instret } else { u64::MAX };
        if let Some(tohost) = h.tohost.and_then(|a| h.mem.offset(a, 8)) {
            h.mem.flags[tohost >> PAGE_SHIFT] |= mem::WATCH;
        }
        h.flush_tlb();
        h.update_vm();
        h.hooks.clear_call_stack();
        self.exit = exit;
        self.fault = None;
        self.stopped_at_breakpoint = None;
        if let (Some(os), Some(part)) = (self.linux.as_mut(), linux) {
            os.brk_start = part.brk_start;
            os.brk = part.brk;
            os.vmas = part.vmas;
            os.rng = part.rng;
            os.time_base_ns = part.time_base_ns;
            os.stdin = part.stdin.into();
            os.fds = part.fds.into_iter().map(reopen).collect();
        }
        Ok(())
    }
}

fn reopen(saved: SavedFd) -> Option<Fd> {
    match saved {
        SavedFd::None => None,
        SavedFd::Stdin => Some(Fd::Stdin),
        SavedFd::Stdout => Some(Fd::Stdout),
        SavedFd::Stderr => Some(Fd::Stderr),
        SavedFd::File { path, pos, writable } => {
            use std::io::Seek;
            let mut file = std::fs::OpenOptions::new().read(true).write(writable).open(&path).ok()?;
            file.seek(std::io::SeekFrom::Start(pos)).ok()?;
            Some(Fd::File { file, path, writable })
        }
        SavedFd::Dir { path, pos } => {
            let entries = fs::list_dir(&path).ok()?;
            Some(Fd::Dir { path, entries, pos: pos as usize })
        }
    }
}
