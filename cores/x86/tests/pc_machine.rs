//! The PC through the `Machine` interface, on a hand-assembled boot sector: BIOS teletype,
//! COM1, isa-debug-exit, breakpoints, disassembly, save/load state.

use wb_machine::{Breakpoint, Budget, Machine, StopReason};
use wb_x86::{LoadError, Pc, looks_like_disk_image};

/// A boot sector: "Hi" on COM1, 'X' through int 10h, then exit code 5 on port 0xF4.
fn boot_sector() -> Vec<u8> {
    let code = [
        0xBA, 0xF8, 0x03, // mov dx, 0x3f8
        0xB0, b'H', 0xEE, // mov al, 'H'; out dx, al
        0xB0, b'i', 0xEE, // mov al, 'i'; out dx, al
        0xB4, 0x0E, 0xB0, b'X', 0xCD, 0x10, // mov ah, 0x0e; mov al, 'X'; int 0x10
        0xB0, 0x05, 0xE6, 0xF4, // mov al, 5; out 0xf4, al
        0xF4, // hlt
    ];
    let mut img = vec![0u8; 1024];
    img[..code.len()].copy_from_slice(&code);
    img[510] = 0x55;
    img[511] = 0xAA;
    img
}

#[test]
fn rejects_what_is_not_a_disk() {
    assert!(matches!(Pc::new(vec![0; 100]), Err(LoadError::TooSmall)));
    assert!(matches!(
        Pc::new(vec![0; 512]),
        Err(LoadError::NoBootSignature)
    ));
    assert!(!looks_like_disk_image(&[0; 512]));
    assert!(looks_like_disk_image(&boot_sector()));
}

#[test]
fn boots_the_mbr_and_exits_through_isa_debug_exit() {
    let mut pc = Pc::new(boot_sector()).expect("loads");
    assert_eq!(pc.info().name, "x86");
    assert_eq!(pc.pc(), 0x7C00);
    let dis = pc.disassemble(0x7C00, 2);
    assert_eq!(dis[0].text, "mov dx, 0x3f8");
    assert_eq!(dis[1].addr, 0x7C03);
    let r = pc.run(Budget::Cycles(1_000_000));
    assert_eq!(r.stop, StopReason::Exited { code: 11 });
    let mut out = Vec::new();
    pc.drain_serial(&mut out);
    assert_eq!(out, b"Hi");
    // int 10h teletype wrote to the text screen at the cursor (row 0, column 0).
    assert_eq!(pc.peek(1, 0xB8000), Some(b'X'));
    assert!(pc.frame().rgba.len() == pc.frame().width * pc.frame().height * 4);
    // A stopped machine stays stopped until reset.
    assert_eq!(pc.run(Budget::Frame).stop, StopReason::Exited { code: 11 });
    pc.reset();
    assert_eq!(pc.pc(), 0x7C00);
}

#[test]
fn breakpoints_step_and_state_round_trip() {
    let mut pc = Pc::new(boot_sector()).expect("loads");
    pc.hooks_mut().set_breakpoint(Breakpoint {
        addr: 0x7C09,
        enabled: true,
    });
    assert_eq!(
        pc.run(Budget::Frame).stop,
        StopReason::Breakpoint { addr: 0x7C09 }
    );
    assert_eq!(pc.instructions_retired(), 5);
    let snap = pc.save_state();
    // Step over the breakpoint, then run to the end.
    assert_eq!(pc.step().stop, StopReason::BudgetSpent);
    assert_eq!(pc.pc(), 0x7C0B);
    pc.hooks_mut().remove_breakpoint(0x7C09);
    assert_eq!(pc.run(Budget::Frame).stop, StopReason::Exited { code: 11 });
    // Back to the breakpoint: the rest of the run repeats byte for byte.
    pc.load_state(&snap).expect("own snapshot loads");
    assert_eq!(pc.pc(), 0x7C09);
    assert_eq!(pc.instructions_retired(), 5);
    assert_eq!(pc.run(Budget::Frame).stop, StopReason::Exited { code: 11 });
    let mut out = Vec::new();
    pc.drain_serial(&mut out);
    assert_eq!(out, b"Hi");
    // Corrupt snapshots are refused and leave the machine alone.
    let mut bad = snap.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0xFF;
    assert!(pc.load_state(&bad).is_err());
    assert!(pc.load_state(&snap[..10]).is_err());
}

#[test]
fn registers_read_and_write_by_name() {
    let mut pc = Pc::new(boot_sector()).expect("loads");
    let regs = pc.registers();
    let get = |name: &str| regs.iter().find(|r| r.name == name).map(|r| r.value);
    assert_eq!(get("rdx"), Some(0x80), "the BIOS boots with DL = 0x80");
    assert_eq!(get("rip"), Some(0x7C00));
    for name in [
        "rax", "r15", "rflags", "cs", "ss", "ds", "es", "fs", "gs", "cr0", "cr2", "cr3", "cr4",
        "efer",
    ] {
        assert!(get(name).is_some(), "{name} listed");
    }
    pc.set_register("rax", 0x1234).expect("rax writable");
    assert_eq!(
        pc.registers()
            .iter()
            .find(|r| r.name == "rax")
            .map(|r| r.value),
        Some(0x1234)
    );
    assert!(pc.set_register("cs", 1 << 20).is_err());
    assert!(pc.set_register("nope", 0).is_err());
    pc.poke(0, 0x500, 0xAB).expect("linear poke");
    assert_eq!(pc.peek(1, 0x500), Some(0xAB));
}

/// A boot sector that enters 32-bit protected mode with a flat GDT, turns on paging with a
/// 4 MiB page (PSE), and takes #DE through a 32-bit interrupt gate. Assembled with
/// `as --32` + `ld -Ttext 0x7c00 --oformat binary` from:
///
/// .intel_syntax noprefix
/// .code16
/// .global _start
/// _start:
///     cli
///     xor ax, ax
///     mov ds, ax
///     mov ss, ax
///     mov sp, 0x7000
///     lgdt [gdt_ptr]
///     mov eax, cr0
///     or eax, 1
///     mov cr0, eax
///     ljmp 0x08, offset pm32
/// .code32
/// pm32:
///     mov ax, 0x10
///     mov ds, ax
///     mov es, ax
///     mov ss, ax
///     mov esp, 0x90000
///     lidt [idt_ptr]
///     mov eax, offset de_handler
///     mov word ptr [0x30000], ax
///     mov word ptr [0x30002], 0x08
///     mov word ptr [0x30004], 0x8E00
///     shr eax, 16
///     mov word ptr [0x30006], ax
///     mov dword ptr [0x20000], 0x83
///     mov eax, cr4
///     or eax, 0x10
///     mov cr4, eax
///     mov eax, 0x20000
///     mov cr3, eax
///     mov eax, cr0
///     or eax, 0x80000000
///     mov cr0, eax
///     mov dx, 0x3f8
///     mov al, 'P'
///     out dx, al
///     mov al, 'M'
///     out dx, al
///     xor ecx, ecx
///     mov eax, 1
///     div ecx
///     hlt
/// de_handler:
///     mov al, 'D'
///     out dx, al
///     mov eax, [esp+4]
///     cmp eax, 0x08
///     jne bad
///     mov eax, [esp]
///     cmp eax, offset faulting
///     jne bad
///     mov al, 0x07
///     out 0xf4, al
/// bad:
///     mov al, 0x01
///     out 0xf4, al
///     hlt
/// .set faulting, de_handler - 3
/// .align 8
/// gdt:
///     .quad 0
///     .quad 0x00CF9A000000FFFF
///     .quad 0x00CF92000000FFFF
/// gdt_ptr:
///     .word 23
///     .long gdt
/// idt_ptr:
///     .word 255
///     .long 0x30000
const PROTECTED_MODE: &[u8] = &[
    0xFA, 0x31, 0xC0, 0x8E, 0xD8, 0x8E, 0xD0, 0xBC, 0x00, 0x70, 0x0F, 0x01, 0x16, 0xD0, 0x7C, 0x0F,
    0x20, 0xC0, 0x66, 0x83, 0xC8, 0x01, 0x0F, 0x22, 0xC0, 0xEA, 0x1E, 0x7C, 0x08, 0x00, 0x66, 0xB8,
    0x10, 0x00, 0x8E, 0xD8, 0x8E, 0xC0, 0x8E, 0xD0, 0xBC, 0x00, 0x00, 0x09, 0x00, 0x0F, 0x01, 0x1D,
    0xD6, 0x7C, 0x00, 0x00, 0xB8, 0x94, 0x7C, 0x00, 0x00, 0x66, 0xA3, 0x00, 0x00, 0x03, 0x00, 0x66,
    0xC7, 0x05, 0x02, 0x00, 0x03, 0x00, 0x08, 0x00, 0x66, 0xC7, 0x05, 0x04, 0x00, 0x03, 0x00, 0x00,
    0x8E, 0xC1, 0xE8, 0x10, 0x66, 0xA3, 0x06, 0x00, 0x03, 0x00, 0xC7, 0x05, 0x00, 0x00, 0x02, 0x00,
    0x83, 0x00, 0x00, 0x00, 0x0F, 0x20, 0xE0, 0x83, 0xC8, 0x10, 0x0F, 0x22, 0xE0, 0xB8, 0x00, 0x00,
    0x02, 0x00, 0x0F, 0x22, 0xD8, 0x0F, 0x20, 0xC0, 0x0D, 0x00, 0x00, 0x00, 0x80, 0x0F, 0x22, 0xC0,
    0x66, 0xBA, 0xF8, 0x03, 0xB0, 0x50, 0xEE, 0xB0, 0x4D, 0xEE, 0x31, 0xC9, 0xB8, 0x01, 0x00, 0x00,
    0x00, 0xF7, 0xF1, 0xF4, 0xB0, 0x44, 0xEE, 0x8B, 0x44, 0x24, 0x04, 0x83, 0xF8, 0x08, 0x75, 0x0E,
    0x8B, 0x04, 0x24, 0x3D, 0x91, 0x7C, 0x00, 0x00, 0x75, 0x04, 0xB0, 0x07, 0xE6, 0xF4, 0xB0, 0x01,
    0xE6, 0xF4, 0xF4, 0x8D, 0x74, 0x26, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xFF, 0xFF, 0x00, 0x00, 0x00, 0x9A, 0xCF, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x92, 0xCF, 0x00,
    0x17, 0x00, 0xB8, 0x7C, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x03, 0x00,
];

#[test]
fn protected_mode_paging_and_a_32_bit_interrupt_gate() {
    let mut img = vec![0u8; 1024];
    img[..PROTECTED_MODE.len()].copy_from_slice(PROTECTED_MODE);
    img[510] = 0x55;
    img[511] = 0xAA;
    let mut pc = Pc::new(img).expect("loads");
    let r = pc.run(Budget::Cycles(10_000));
    let mut out = Vec::new();
    pc.drain_serial(&mut out);
    assert_eq!(String::from_utf8_lossy(&out), "PMD");
    // The handler saw CS = 0x08 and the faulting EIP, and exited with 7: (7 << 1) | 1.
    assert_eq!(r.stop, StopReason::Exited { code: 15 });
    let walk = pc.page_walk(0x7C91);
    assert_eq!(
        (walk.physical, walk.page_size, walk.entries.len()),
        (Some(0x7C91), 4 << 20, 1)
    );
}
