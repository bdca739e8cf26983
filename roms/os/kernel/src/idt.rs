//! The IDT, the saved-register frame, and interrupt dispatch: exceptions, IRQs, system calls
//! (int 0x80, callable from ring 3) and task switches (int 0x81).
use crate::{gdt, keyboard, pic, process, sched, serial, syscall};
use core::ptr::addr_of_mut;

pub const SYSCALL_VECTOR: u64 = 0x80;
pub const YIELD_VECTOR: u64 = 0x81;

/// The registers isr.s saves, lowest address first, then what the CPU pushed.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct Frame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl Frame {
    pub fn user_mode(&self) -> bool {
        self.cs & 3 == 3
    }
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    attr: u8,
    offset_mid: u16,
    offset_high: u32,
    zero: u32,
}

const EMPTY: Gate = Gate { offset_low: 0, selector: 0, ist: 0, attr: 0, offset_mid: 0, offset_high: 0, zero: 0 };
static mut IDT: [Gate; 256] = [EMPTY; 256];

unsafe extern "C" {
    static isr_table: [u64; 48];
    static isr_syscall: u64;
    static isr_yield: u64;
}

fn gate(handler: u64, dpl: u8, ist: u8) -> Gate {
    Gate {
        offset_low: handler as u16,
        selector: gdt::KERNEL_CODE,
        ist,
        attr: 0x8E | (dpl << 5), // present, interrupt gate (IF cleared on entry)
        offset_mid: (handler >> 16) as u16,
        offset_high: (handler >> 32) as u32,
        zero: 0,
    }
}

pub fn init() {
    // SAFETY: runs once at boot with interrupts off; the stub table comes from isr.s.
    unsafe {
        let idt = &mut *addr_of_mut!(IDT);
        for (v, &h) in isr_table.iter().enumerate() {
            idt[v] = gate(h, 0, if v == 8 { 1 } else { 0 });
        }
        idt[SYSCALL_VECTOR as usize] = gate(isr_syscall, 3, 0);
        idt[YIELD_VECTOR as usize] = gate(isr_yield, 0, 0);
        #[repr(C, packed)]
        struct Pointer {
            limit: u16,
            base: u64,
        }
        let ptr = Pointer { limit: (core::mem::size_of::<[Gate; 256]>() - 1) as u16, base: idt.as_ptr() as u64 };
        core::arch::asm!("lidt [{}]", in(reg) &ptr, options(readonly, nostack, preserves_flags));
    }
}

pub fn exception_name(v: u64) -> &'static str {
    const NAMES: [&str; 32] = [
        "#DE divide error",
        "#DB debug",
        "NMI",
        "#BP breakpoint",
        "#OF overflow",
        "#BR bound range",
        "#UD invalid opcode",
        "#NM device not available",
        "#DF double fault",
        "coprocessor overrun",
        "#TS invalid TSS",
        "#NP segment not present",
        "#SS stack fault",
        "#GP general protection",
        "#PF page fault",
        "reserved",
        "#MF x87 error",
        "#AC alignment check",
        "#MC machine check",
        "#XM SIMD error",
        "#VE virtualization",
        "#CP control protection",
        "reserved",
        "reserved",
        "reserved",
        "reserved",
        "reserved",
        "reserved",
        "#HV hypervisor injection",
        "#VC VMM communication",
        "#SX security",
        "reserved",
    ];
    NAMES.get(v as usize).copied().unwrap_or("interrupt")
}

/// The readable report: vector, error code, CR2, every register.
pub fn report(f: &Frame) {
    let cr2 = crate::cpu::read_cr2();
    crate::console::print_emergency(format_args!(
        "exception {} ({}) error {:#x} cr2 {:#x}\n  rip {:#018x} cs {:#x} rflags {:#x} rsp {:#018x} ss {:#x}\n  \
         rax {:#018x} rbx {:#018x} rcx {:#018x} rdx {:#018x}\n  rsi {:#018x} rdi {:#018x} rbp {:#018x} r8  {:#018x}\n  \
         r9  {:#018x} r10 {:#018x} r11 {:#018x} r12 {:#018x}\n  r13 {:#018x} r14 {:#018x} r15 {:#018x}\n",
        f.vector,
        exception_name(f.vector),
        f.error,
        cr2,
        f.rip,
        f.cs,
        f.rflags,
        f.rsp,
        f.ss,
        f.rax,
        f.rbx,
        f.rcx,
        f.rdx,
        f.rsi,
        f.rdi,
        f.rbp,
        f.r8,
        f.r9,
        f.r10,
        f.r11,
        f.r12,
        f.r13,
        f.r14,
        f.r15
    ));
}

/// Called by isr_common with interrupts off; returns the frame to resume (another task's after
/// a switch).
#[unsafe(no_mangle)]
extern "C" fn interrupt_dispatch(frame: *mut Frame) -> *mut Frame {
    // SAFETY: isr_common passes the frame it just built on this stack.
    let f = unsafe { &mut *frame };
    match f.vector {
        0..=31 => {
            if f.user_mode() {
                process::fault(f);
            }
            report(f);
            crate::die("exception in the kernel");
        }
        32 => {
            pic::tick();
            pic::eoi(0);
            return sched::schedule(frame);
        }
        33 => {
            keyboard::irq();
            pic::eoi(1);
        }
        36 => {
            while let Some(b) = serial::read_byte() {
                crate::input::push(b);
            }
            pic::eoi(4);
        }
        39 | 47 => {} // spurious: no EOI
        v @ 34..=46 => pic::eoi((v - 32) as u8),
        SYSCALL_VECTOR => syscall::dispatch(f),
        YIELD_VECTOR => return sched::schedule(frame),
        _ => {}
    }
    frame
}
