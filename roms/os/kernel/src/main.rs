//! wbos: our x86-64 kernel. The boot loader (boot.s) enters `kernel_main` in long mode with the
//! first GiB identity-mapped; the kernel sets up its own tables, interrupts, heap, tasks, the file
//! systems, and starts the shell on COM1 and the keyboard.
#![no_std]
#![no_main]

extern crate alloc;

mod ata;
mod boot_info;
mod console;
mod cpu;
mod fs;
mod gdt;
mod idt;
mod input;
mod keyboard;
mod memory;
mod pic;
mod port;
mod process;
mod sched;
mod serial;
mod shell;
mod sync;
mod syscall;
mod vga;

core::arch::global_asm!(include_str!("boot.s"), options(att_syntax, raw));
core::arch::global_asm!(include_str!("isr.s"), options(att_syntax, raw));

/// isa-debug-exit value for `shutdown`: QEMU exits with (0x10 << 1) | 1 = 33.
pub const EXIT_SHUTDOWN: u8 = 0x10;
/// isa-debug-exit value after a kernel panic: exit code 35.
pub const EXIT_PANIC: u8 = 0x11;

#[unsafe(no_mangle)]
extern "C" fn kernel_main() -> ! {
    console::init();
    println!("wbos 0.1 (x86-64)");
    let Some(info) = boot_info::read() else { die("no boot info from the loader") };
    println!("boot: drive {:#x}, {} sectors loaded, {} E820 ranges", info.drive, info.sectors, info.e820.len());
    for r in info.e820 {
        println!("e820: {:#014x}-{:#014x} {}", r.base, r.base + r.len, r.kind_name());
    }
    gdt::init();
    idt::init();
    println!("cpu: gdt, tss (double fault on ist1), idt loaded");
    let free = memory::init_frames(info.e820);
    println!("frames: {free} free 4 KiB frames above 1 MiB");
    let Some(pml4) = memory::init_paging() else { die("out of memory building page tables") };
    println!(
        "paging: 4-level tables at {pml4:#x}, kernel heap {} KiB at {:#x}",
        memory::HEAP_SIZE / 1024,
        memory::HEAP_START
    );
    sched::init();
    pic::init();
    keyboard::init();
    println!("irq: pic remapped to 32-47, pit {} Hz, keyboard and com1 on", pic::HZ);
    // Input that reached COM1 before the PIC was set up raised the UART's line while the
    // 8259 was initialising, and an edge-triggered 8259 never sees that edge: take it now,
    // or the receive interrupt would never come.
    while let Some(b) = serial::read_byte() {
        input::push(b);
    }
    cpu::sti();
    fs::init();
    // Printed before the shell exists, so that its prompt always comes after this line.
    println!("tasks: idle, shell");
    sched::spawn("shell", shell::run);
    loop {
        cpu::halt();
    }
}

/// Leave QEMU through isa-debug-exit (port 0xf4); halt if there is no such device.
pub fn shutdown(code: u8) -> ! {
    // SAFETY: writing the debug-exit port ends the machine.
    unsafe { port::outb(0xf4, code) };
    cpu::cli();
    loop {
        // SAFETY: nothing left to do.
        unsafe { core::arch::asm!("hlt", options(nomem, nostack)) };
    }
}

/// A fatal kernel error: report and stop.
pub fn die(why: &str) -> ! {
    cpu::cli();
    console::print_emergency(format_args!("kernel: fatal: {why}\n"));
    shutdown(EXIT_PANIC)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    cpu::cli();
    console::print_emergency(format_args!("kernel panic: {info}\n"));
    shutdown(EXIT_PANIC)
}
