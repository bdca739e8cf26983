# A static Linux program: prints a greeting with `write`, then exits with status 42.
    .equ    SYS_WRITE, 64
    .equ    SYS_EXIT, 93

    .section .rodata
greeting:
    .ascii  "hello from wb-asm\n"
greeting_end:
    .equ    GREETING_LEN, greeting_end - greeting

    .text
    .globl  _start
_start:
    li      a0, 1
    la      a1, greeting
    li      a2, GREETING_LEN
    li      a7, SYS_WRITE
    ecall
    call    compute
    li      a7, SYS_EXIT
    ecall

# Returns 42 in a0, computed through memory so .data and .bss are exercised.
compute:
    la      t0, numbers
    ld      t1, 0(t0)
    ld      t2, 8(t0)
    add     t1, t1, t2
    la      t3, scratch
    sd      t1, 0(t3)
    ld      a0, 0(t3)
    ret

    .data
    .align  3
numbers:
    .dword  40, 2

    .bss
    .align  3
scratch:
    .zero   8
