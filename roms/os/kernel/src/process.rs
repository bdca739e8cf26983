//! User programs: load an ELF into a fresh address space, run it in ring 3 on the calling task,
//! and come back when it exits or faults.
//!
//! `enter_user` (isr.s) saves the caller's callee-saved registers in a `KernelContext` and irets
//! to ring 3; interrupts from ring 3 land on a per-program kernel stack (TSS.RSP0). The exit system
//! call and fatal exceptions call `resume_kernel`, which returns from `enter_user` with a status.
use crate::idt::{self, Frame};
use crate::memory::{self, AddressSpace};
use crate::{cpu, gdt, sched};
use alloc::string::String;
use alloc::vec;
use core::sync::atomic::{AtomicU32, Ordering};
use wbos_lib::elf;

const USER_STACK_TOP: u64 = elf::USER_RANGE.end;
const USER_STACK_SIZE: u64 = 64 * 1024;
const KERNEL_STACK_SIZE: usize = 16 * 1024;
const KILLED: u64 = 1 << 63;

// enter_user in isr.s pushes these selectors as literals.
const _: () = assert!(gdt::USER_CODE == 0x23 && gdt::USER_DATA == 0x1B);

#[repr(C)]
#[derive(Default)]
pub struct KernelContext {
    regs: [u64; 7],
}

unsafe extern "C" {
    fn enter_user(ctx: *mut KernelContext, entry: u64, user_rsp: u64) -> u64;
    fn resume_kernel(ctx: *mut KernelContext, value: u64) -> !;
}

static NEXT_PID: AtomicU32 = AtomicU32::new(1);
static CURRENT_PID: AtomicU32 = AtomicU32::new(0);

/// How a program ended.
pub enum Exit {
    Code(i32),
    Killed(u64),
}

/// The running program's pid.
pub fn current_pid() -> u32 {
    CURRENT_PID.load(Ordering::Relaxed)
}

/// Load and run `image`; returns (pid, how it ended).
pub fn run(image: &[u8]) -> Result<(u32, Exit), String> {
    let prog = elf::parse(image).map_err(|e| alloc::format!("{e}"))?;
    let mut space = AddressSpace::new().ok_or("out of memory")?;
    for seg in &prog.segments {
        space.map_user(seg.vaddr, seg.vaddr + seg.memsz, seg.writable).ok_or("out of memory")?;
        space.write(seg.vaddr, &image[seg.file.clone()]).ok_or("cannot copy segment")?;
    }
    space.map_user(USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_TOP, true).ok_or("out of memory")?;
    let kstack = vec![0u8; KERNEL_STACK_SIZE].into_boxed_slice();
    let rsp0 = (kstack.as_ptr() as u64 + KERNEL_STACK_SIZE as u64) & !0xF;
    let pid = NEXT_PID.fetch_add(1, Ordering::Relaxed);
    CURRENT_PID.store(pid, Ordering::Relaxed);
    let mut ctx = KernelContext::default();
    sched::set_user_context(space.pml4, rsp0, &mut ctx as *mut KernelContext as u64);
    // SAFETY: the address space maps the program and its stack; ctx lives across the call.
    let status = unsafe { enter_user(&mut ctx, prog.entry, USER_STACK_TOP - 8) };
    sched::set_user_context(memory::kernel_pml4(), 0, 0);
    // resume_kernel comes from an interrupt gate: interrupts are still off.
    cpu::sti();
    CURRENT_PID.store(0, Ordering::Relaxed);
    drop(space);
    drop(kstack);
    Ok((pid, if status & KILLED != 0 { Exit::Killed(status & 0xFF) } else { Exit::Code(status as u32 as i32) }))
}

fn resume(value: u64) -> ! {
    let ctx = sched::current_user_ctx();
    if ctx == 0 {
        crate::die("no program to return from");
    }
    // SAFETY: ctx is the KernelContext of the `run` waiting on this task.
    unsafe { resume_kernel(ctx as *mut KernelContext, value) }
}

/// The exit system call.
pub fn exit(code: i32) -> ! {
    resume(u64::from(code as u32))
}

/// A fatal exception in ring 3: report it and kill the program alone.
pub fn fault(f: &Frame) -> ! {
    idt::report(f);
    resume(KILLED | f.vector)
}

/// The bytes of `[ptr, ptr + len)` if all of it is user memory of the current program.
pub fn user_slice<'a>(ptr: u64, len: u64) -> Option<&'a [u8]> {
    user_range_ok(ptr, len, false)?;
    // SAFETY: every page is mapped for ring 3 in the current address space.
    Some(unsafe { core::slice::from_raw_parts(ptr as *const u8, len as usize) })
}

/// As `user_slice`, writable.
pub fn user_slice_mut<'a>(ptr: u64, len: u64) -> Option<&'a mut [u8]> {
    user_range_ok(ptr, len, true)?;
    // SAFETY: as above; the program is stopped in a system call while we write.
    Some(unsafe { core::slice::from_raw_parts_mut(ptr as *mut u8, len as usize) })
}

fn user_range_ok(ptr: u64, len: u64, write: bool) -> Option<()> {
    let end = ptr.checked_add(len)?;
    if ptr < elf::USER_RANGE.start || end > elf::USER_RANGE.end || len > 1 << 20 {
        return None;
    }
    let cr3 = cpu::read_cr3();
    let mut page = ptr & !0xFFF;
    while page < end {
        if !memory::user_mapped(cr3, page, write) {
            return None;
        }
        page += 0x1000;
    }
    Some(())
}
