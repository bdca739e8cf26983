# Boot loader of wbos. Stage 1 is the MBR boot sector (512 bytes at 0x7C00): A20, then int 13h
# AH=42h extended reads of the rest of the image to 0x7E00. Stage 2 (at 0x7E00): E820 memory map,
# identity page tables with 2 MiB pages, long mode, jump to kernel_main.
#
# Boot info handed to the kernel at 0x5000 (see boot_info.rs):
#   0x5000 u32 magic "WBOS"   0x5004 u8 BIOS drive   0x5006 u16 sectors loaded
#   0x5008 u32 E820 entry count   0x5010 E820 entries, 24 bytes each (at most 64)
# Page tables: PML4 0x1000, PDPT 0x2000, PD 0x3000 (identity map of the first GiB).

.section .boot, "awx"
.code16
.global _start16
_start16:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7C00, %sp
    ljmp $0, $1f                 # some BIOSes jump to 07C0:0000: make CS zero
1:
    mov %dl, boot_drive
    # A20 through system control port A: the one-port path every PC chipset has.
    in $0x92, %al
    or $2, %al
    and $0xFE, %al
    out %al, $0x92
    # Read __boot_sectors sectors from LBA 1 to 0x7E00, 64 sectors (32 KiB) per call: one call may
    # read at most 127, and a whole number of 32 KiB steps keeps every buffer offset at zero.
    mov $__boot_sectors, %cx
2:
    test %cx, %cx
    jz 4f
    mov %cx, %ax
    cmp $64, %ax
    jbe 3f
    mov $64, %ax
3:
    mov %ax, dap_count
    push %cx
    push %ax
    mov $dap, %si
    mov boot_drive, %dl
    mov $0x42, %ah
    int $0x13
    jc disk_error
    pop %ax
    pop %cx
    sub %ax, %cx
    add %ax, dap_lba
    shl $5, %ax                  # sectors * 512 / 16 bytes per paragraph
    add %ax, dap_seg
    jmp 2b
4:
    jmp stage2

disk_error:
    mov $msg_disk, %si
5:
    lodsb
    test %al, %al
    jz 6f
    mov $0x0E, %ah
    int $0x10
    jmp 5b
6:
    hlt
    jmp 6b

msg_disk:
    .asciz "wbos: disk read error"
    .balign 4
dap:                             # disk address packet for int 13h AH=42h
    .byte 16, 0
dap_count:
    .word 0
dap_off:
    .word 0
dap_seg:
    .word 0x07E0
dap_lba:
    .quad 1
boot_drive:
    .byte 0
    .org 446                     # partition table, written by xtask
    .fill 64, 1, 0
    .word 0xAA55

.section .boot2, "awx"
.code16
stage2:
    # E820 memory map.
    xor %ebx, %ebx
    mov $0x5010, %di
    xor %bp, %bp
e820_next:
    mov $0xE820, %eax
    mov $0x534D4150, %edx        # "SMAP"
    mov $24, %ecx
    movl $1, 20(%di)             # extended attributes: "valid" unless the BIOS says otherwise
    int $0x15
    jc e820_done
    cmp $0x534D4150, %eax
    jne e820_done
    inc %bp
    add $24, %di
    cmp $64, %bp
    jae e820_done
    test %ebx, %ebx
    jnz e820_next
e820_done:
    cli
    movl $0x534F4257, 0x5000     # "WBOS"
    mov boot_drive, %al
    mov %al, 0x5004
    movw $__boot_sectors, 0x5006
    movzx %bp, %eax
    mov %eax, 0x5008

    # Identity map of the first GiB: PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB (PS).
    cld
    mov $0x1000, %di
    xor %eax, %eax
    mov $3072, %ecx
    rep stosl
    movl $0x2003, 0x1000
    movl $0x3003, 0x2000
    mov $0x3000, %di
    mov $0x83, %eax
    mov $512, %cx
7:
    mov %eax, (%di)
    add $0x200000, %eax
    add $8, %di
    dec %cx
    jnz 7b

    lgdtl gdt64_ptr
    mov %cr4, %eax
    or $0x20, %eax               # PAE
    mov %eax, %cr4
    mov $0x1000, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx        # EFER
    rdmsr
    or $0x100, %eax              # LME
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax         # PG | PE: straight from real mode into long mode
    mov %eax, %cr0
    ljmpl $0x08, $long_entry

.code64
long_entry:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    lea __bss_start(%rip), %rdi
    lea __bss_end(%rip), %rcx
    sub %rdi, %rcx
    xor %eax, %eax
    rep stosb
    lea boot_stack_top(%rip), %rsp
    mov $0x5000, %edi
    call kernel_main
8:
    cli
    hlt
    jmp 8b

    .balign 8
gdt64:
    .quad 0
    .quad 0x00AF9A000000FFFF     # 0x08: 64-bit code
    .quad 0x00CF92000000FFFF     # 0x10: data
gdt64_ptr:
    .word gdt64_ptr - gdt64 - 1
    .long gdt64

.section .bss
    .balign 16
boot_stack:
    .skip 65536
.global boot_stack_top
boot_stack_top:
