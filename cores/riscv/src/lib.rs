//! RISC-V core of Workbench: RV64GC and RV32GC.
//!
//! One decoder ([`decode`]) turns bits into an [`Instr`] that both the interpreter and the
//! objdump-style disassembler consume. A program is either a static Linux executable, run in
//! user mode with the system calls emulated over a sandboxed folder (as `qemu-riscv64`
//! does), or a bare-metal image on a QEMU-virt-like machine (M/S/U modes, Sv39/Sv32, CLINT,
//! PLIC, 16550 UART, HTIF). [`RiscV`] is the only type the rest of Workbench sees.
//!
//! ## Code map
//! - `instr.rs`, `decode.rs`: the [`Instr`] type and the decoder (32-bit and compressed,
//!   RV32 and RV64). `disasm.rs` prints it as GNU objdump (binutils 2.40) does.
//! - `hart.rs`: registers, RAM (`mem.rs`), the decode cache, Sv39/Sv32 translation with a
//!   TLB and the fast data TLBs, device dispatch (`devices.rs`, the PLIC in
//!   `devices/plic.rs`). `exec.rs`: the exact interpreter, one match arm per [`Op`];
//!   `alu.rs`: one helper per integer op; `fpu.rs`: IEEE arithmetic with rounding modes and
//!   flags; `csr.rs`: CSRs, traps, interrupts.
//! - `block.rs`: the block cache that runs code when no hook is active (blocks of decoded
//!   instructions, chained); `handlers.rs`: one handler per hot op, tail-calling the next.
//! - `linux/`: system calls, the file sandbox, the initial stack. `elf.rs`: loading;
//!   `debug.rs`: symbols and DWARF lines; `machine.rs`: the `Machine` trait and the run
//!   loop; `snapshot.rs`: save states.
//!
//! ## Invariants
//! - The decode cache and the block cache are keyed by physical address and stay coherent
//!   by themselves: a page holding decoded code carries the `CODE` flag, and any store to it
//!   (guest, kernel or debugger) drops the page's decoded instructions and blocks, even a
//!   store into the block being run. `fence.i` therefore has nothing to do.
//! - With a hook active (breakpoints, watchpoints, tracing) every instruction takes the
//!   exact path (`exec.rs`); otherwise blocks run, and any instruction a handler cannot
//!   finish on its fast path is redone on the exact path, so both give the same results.
//! - A decoded `rd = x0` writes to the scratch register 32, so the interpreter never
//!   branches on x0.
//! - Everything that can change interrupt state or translation calls
//!   `Hart::request_event`, which ends the fast loop after the current instruction.
//! - In Linux mode a page with no permission flags is all zeros (munmap and brk shrink
//!   clear memory), which save states rely on.
//!
//! ## Adding an instruction
//! Add the [`Op`] variant, its encoding in `decode.rs`, its mnemonic and operand format
//! in `disasm.rs`, and its semantics in `exec.rs`; the differential test against
//! qemu-riscv64 (`tests/differential.rs`) can then generate it.

mod alu;
mod block;
mod csr;
mod debug;
mod decode;
mod devices;
mod disasm;
mod elf;
mod exec;
mod fpu;
mod handlers;
mod hart;
mod instr;
mod linux;
mod machine;
mod mem;
mod snapshot;

use std::path::PathBuf;

use wb_machine::DebugInfo;

pub use decode::{Xlen, decode, instr_len};
pub use disasm::{FREG_ABI, XREG_ABI};
pub use elf::{LoadError, is_riscv_elf};
pub use instr::{Instr, Op};

use hart::Hart;
use linux::Linux;

/// RAM of the bare-metal machine, at 0x8000_0000 as on QEMU's virt board.
pub const RAM_BASE: u64 = 0x8000_0000;
pub const RAM_SIZE: u64 = 128 << 20;

/// How a Linux program is started.
#[derive(Clone, Debug, Default)]
pub struct LinuxOptions {
    /// argv; argv[0] is the program path.
    pub args: Vec<String>,
    /// Environment strings, `NAME=value`.
    pub env: Vec<String>,
    /// The folder the program may see; default: the program's folder.
    pub sandbox: Option<PathBuf>,
    /// Allow writes inside the sandbox.
    pub sandbox_writable: bool,
    /// fd 0/1/2 are this process's stdin/stdout/stderr; otherwise they go through
    /// `drain_serial` / `serial_in`.
    pub host_stdio: bool,
}

/// A RISC-V machine with a program loaded.
pub struct RiscV {
    hart: Hart,
    blocks: block::BlockCache,
    linux: Option<Linux>,
    elf: Vec<u8>,
    opts: LinuxOptions,
    debug: DebugInfo,
    exit: Option<i32>,
    fault: Option<wb_machine::GuestFault>,
    /// The breakpoint the last run stopped on, skipped once when running again from it.
    stopped_at_breakpoint: Option<u64>,
}

impl RiscV {
    /// Load an ELF file. Detects Linux user mode (ELF OS/ABI, or no `tohost` symbol and a low
    /// entry point) or the bare-metal machine.
    pub fn load_elf(bytes: &[u8], opts: LinuxOptions) -> Result<RiscV, LoadError> {
        let image = elf::parse(bytes, linux::PIE_BASE)?;
        let bias = if image.linux { image.entry.wrapping_sub(elf_entry(bytes)) } else { 0 };
        let symbols = image.symbols.clone();
        let (hart, linux) = if image.linux { load_linux(&image, &opts)? } else { (load_bare(&image)?, None) };
        let debug = debug::debug_info(bytes, symbols, bias);
        let blocks = block::BlockCache::new(hart.mem.flags.len());
        Ok(RiscV { hart, blocks, linux, elf: bytes.to_vec(), opts, debug, exit: None, fault: None, stopped_at_breakpoint: None })
    }

    /// The guest's exit code once it has ended.
    pub fn exit_code(&self) -> Option<i32> {
        self.exit
    }

    /// True for a Linux user-mode program, false for the bare-metal machine.
    pub fn is_linux(&self) -> bool {
        self.linux.is_some()
    }

    /// The raw HTIF exit value of a bare-metal program (0 = pass, n = test n failed).
    pub fn htif_result(&self) -> Option<u64> {
        self.hart.htif_exit
    }

    /// System call numbers the program used that are not implemented (they returned ENOSYS).
    pub fn unimplemented_syscalls(&self) -> Vec<u64> {
        self.linux.as_ref().map(|l| l.enosys_logged.iter().copied().collect()).unwrap_or_default()
    }

    /// Register width of the loaded program.
    pub fn xlen(&self) -> Xlen {
        self.hart.xlen
    }
}

/// The entry point as written in the file (to compute a PIE load bias).
fn elf_entry(bytes: &[u8]) -> u64 {
    let get = |at: usize, n: usize| {
        let mut b = [0u8; 8];
        if let Some(s) = bytes.get(at..at + n) {
            b[..n].copy_from_slice(s);
        }
        u64::from_le_bytes(b)
    };
    if bytes.get(4) == Some(&1) { get(0x18, 4) } else { get(0x18, 8) }
}

fn load_bare(image: &elf::Image) -> Result<Hart, LoadError> {
    let mem = mem::Memory::new(RAM_BASE, RAM_SIZE, mem::R | mem::W | mem::X);
    let mut hart = Hart::new(image.xlen, mem, true);
    for seg in &image.segments {
        let Some(off) = hart.mem.offset(seg.vaddr, seg.memsz) else {
            return Err(LoadError::OutOfRange { addr: seg.vaddr, end: seg.vaddr.saturating_add(seg.memsz) });
        };
        hart.mem.data[off..off + seg.data.len()].copy_from_slice(&seg.data);
    }
    hart.tohost = image.tohost.filter(|&a| hart.mem.offset(a, 8).is_some());
    hart.fromhost = image.fromhost.filter(|&a| hart.mem.offset(a, 8).is_some());
    if let Some(off) = hart.tohost.and_then(|a| hart.mem.offset(a, 8)) {
        hart.mem.flags[off >> mem::PAGE_SHIFT] |= mem::WATCH;
    }
    hart.pc = image.entry;
    hart.x[10] = 0; // hart id
    hart.clint.mtimecmp = u64::MAX;
    hart.update_vm();
    Ok(hart)
}

fn load_linux(image: &elf::Image, opts: &LinuxOptions) -> Result<(Hart, Option<Linux>), LoadError> {
    let mem = mem::Memory::new(0, linux::MEM_SIZE, 0);
    let mut hart = Hart::new(image.xlen, mem, false);
    let limit = linux::STACK_TOP - linux::STACK_SIZE;
    let mut end_of_image = 0;
    for seg in &image.segments {
        let end = seg.vaddr.saturating_add(seg.memsz);
        if end > limit.min(linux::MMAP_BASE) || seg.vaddr < mem::PAGE_SIZE {
            return Err(LoadError::OutOfRange { addr: seg.vaddr, end });
        }
        end_of_image = end_of_image.max(end);
    }
    for seg in &image.segments {
        hart.mem.data[seg.vaddr as usize..seg.vaddr as usize + seg.data.len()].copy_from_slice(&seg.data);
        // Pages shared by two segments get both permissions.
        let first = seg.vaddr >> mem::PAGE_SHIFT;
        let last = (seg.vaddr + seg.memsz - 1) >> mem::PAGE_SHIFT;
        for p in first..=last {
            hart.mem.flags[p as usize] |= seg.perms;
        }
    }
    let program = opts.args.first().cloned().unwrap_or_default();
    let sandbox_dir = opts.sandbox.clone().unwrap_or_else(|| {
        let p = PathBuf::from(&program);
        match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        }
    });
    let exe_path = std::fs::canonicalize(&program).map(|p| p.to_string_lossy().into_owned()).unwrap_or(program);
    let brk_start = (end_of_image + mem::PAGE_SIZE - 1) & !(mem::PAGE_SIZE - 1);
    let time_base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut os = Linux::new(linux::fs::Sandbox::new(&sandbox_dir, opts.sandbox_writable), opts.host_stdio, exe_path, brk_start, time_base);
    // The stack.
    let stack_base = linux::STACK_TOP - linux::STACK_SIZE;
    hart.mem.set_perms(stack_base, linux::STACK_SIZE, mem::R | mem::W);
    os.vmas.insert(stack_base, linux::STACK_TOP);
    let random = os.random_bytes::<16>();
    let (bytes, sp) = linux::stack::build(linux::STACK_TOP, &opts.args, &opts.env, image, random, image.xlen == Xlen::X32);
    if sp < stack_base + 4096 {
        return Err(LoadError::Unsupported("arguments and environment do not fit on the stack".into()));
    }
    hart.write_bytes(sp, &bytes, false);
    hart.x[2] = hart.sx(sp); // RV32 registers hold sign-extended values
    hart.pc = image.entry;
    Ok((hart, Some(os)))
}

impl std::fmt::Debug for RiscV {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RiscV")
            .field("xlen", &self.hart.xlen)
            .field("linux", &self.linux.is_some())
            .field("pc", &format_args!("{:#x}", self.hart.pc))
            .field("instret", &self.hart.instret)
            .field("exit", &self.exit)
            .finish_non_exhaustive()
    }
}
