//! GDT with kernel and user segments, and the TSS (ring-0 stack for interrupts from ring 3, and
//! IST1 for double faults).
use core::arch::asm;
use core::ptr::addr_of_mut;

pub const KERNEL_CODE: u16 = 0x08;
pub const KERNEL_DATA: u16 = 0x10;
pub const USER_DATA: u16 = 0x18 | 3;
pub const USER_CODE: u16 = 0x20 | 3;
const TSS_SELECTOR: u16 = 0x28;

#[repr(C, packed)]
struct Tss {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

static mut TSS: Tss =
    Tss { reserved0: 0, rsp: [0; 3], reserved1: 0, ist: [0; 7], reserved2: 0, reserved3: 0, iomap_base: 104 };

static mut GDT: [u64; 7] = [
    0,
    0x00AF_9A00_0000_FFFF, // kernel code, 64-bit
    0x00CF_9200_0000_FFFF, // kernel data
    0x00CF_F200_0000_FFFF, // user data, DPL 3
    0x00AF_FA00_0000_FFFF, // user code, 64-bit, DPL 3
    0,                     // TSS (two entries)
    0,
];

#[repr(align(16))]
struct Stack([u8; 16384]);
static mut DOUBLE_FAULT_STACK: Stack = Stack([0; 16384]);

#[repr(C, packed)]
struct Pointer {
    limit: u16,
    base: u64,
}

/// Load the GDT and TSS, reload the segment registers.
pub fn init() {
    // SAFETY: runs once at boot with interrupts off; the tables are static.
    unsafe {
        let tss = addr_of_mut!(TSS);
        let df = addr_of_mut!(DOUBLE_FAULT_STACK.0) as u64 + 16384;
        (*tss).ist[0] = df;
        let base = tss as u64;
        let limit = (core::mem::size_of::<Tss>() - 1) as u64;
        let gdt = &mut *addr_of_mut!(GDT);
        gdt[5] = (limit & 0xFFFF)
            | ((base & 0xFF_FFFF) << 16)
            | (0x89 << 40)
            | (((limit >> 16) & 0xF) << 48)
            | (((base >> 24) & 0xFF) << 56);
        gdt[6] = base >> 32;
        let ptr = Pointer { limit: (core::mem::size_of::<[u64; 7]>() - 1) as u16, base: gdt.as_ptr() as u64 };
        asm!(
            "lgdt [{ptr}]",
            "push {code}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ds, {data:x}",
            "mov es, {data:x}",
            "mov ss, {data:x}",
            "ltr {tss:x}",
            ptr = in(reg) &ptr,
            code = in(reg) u64::from(KERNEL_CODE),
            data = in(reg) KERNEL_DATA,
            tss = in(reg) TSS_SELECTOR,
            tmp = out(reg) _,
        );
    }
}

/// The stack the CPU switches to on an interrupt from ring 3.
pub fn set_kernel_stack(top: u64) {
    // SAFETY: a plain store into the TSS; callers hold the scheduler lock (interrupts off).
    unsafe { (*addr_of_mut!(TSS)).rsp[0] = top };
}
