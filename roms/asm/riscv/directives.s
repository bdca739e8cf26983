# Sections, data directives, alignment, symbols, macros, repeats, conditionals, local
# labels, and branches that relax (compressed when near, inverted over a jal when far).
    .equ    COUNT, 4
    .set    STEP, 8
    SIZE = COUNT * STEP
    .equiv  MAGIC, 0x1234
    .Lsize_of_code = MAGIC - 0x1000

    .macro  push reg, off=0
    sd      \reg, \off(sp)
    .endm

    .macro  pair a, b
    add     \a, \a, \b
    sub     \b, \b, \a
    .endm

    .text
    .globl  _start
    .type   _start, @function
_start:
    addi    sp, sp, -SIZE
    push    ra
    push    s0, 8
    pair    a0, a1
    pair    s0, s1
    li      a0, SIZE
    li      a1, MAGIC
    li      a2, .Lsize_of_code
    .rept   3
    addi    a0, a0, 1
    .endr
    .if     COUNT > 2
    li      a3, 1
    .else
    li      a3, 2
    .endif
    .ifdef  STEP
    li      a4, STEP
    .endif
    .ifndef UNDEFINED_THING
    li      a5, 5
    .endif
    .set    STEP, STEP + 1
    li      a6, STEP
1:  addi    a0, a0, -1
    bnez    a0, 1b
    beqz    a1, 1f
    addi    a1, a1, 1
1:  beq     a0, a1, near
    bnez    a0, mid          # 4-byte branch, out of c.bnez reach
    beqz    a0, far          # c.bnez over a jal
    beq     a0, a2, far      # bne over a jal
    j       far              # jal
    j       near             # c.j
    beq     s0, zero, near
    bne     a5, x0, near
    beq     zero, s0, near
    beqz    t0, near
    jal     near
    jal     zero, near
near:
    .p2align 2
    nop
    .balign 16
    addi    a0, a0, 1
    .align  4
    .skip   400
mid:
    .zero   2000
    nop
    .align  3
    .space  2000, 0
far:
    ret; nop; ret
    .size   _start, . - _start

    .section .rodata
table:
    .byte   1, 2, 3, -1, 'a', 0x7f
    .half   0x1234, -2
    .2byte  7
    .short  8
    .word   0xdeadbeef, table
    .long   -1
    .4byte  MAGIC
    .dword  0x123456789abcdef0, far
    .quad   table + 8
    .8byte  -2
    .ascii  "abc"
    .asciz  "def"
    .string "tab\there\n\x41\101\"q\\"
    .balign 8
    .fill   3, 2, 0x55aa
    .word   end_data - start_data
    .word   1 + 2 << 3, 1 | 2 + 4, 6 & 3 * 2, 10 - 2 - 3, -3 / 2, 7 % 3 + 1, ~0 ^ 5, 1 < 2 + 1
    .byte   !0, !5, 2 && 0, 0 || 3, 5 == 5, 4 != 4, 3 >= 3, (1 + 2) << 3

    .data
start_data:
    .byte   1
    .align  2
    .word   2
    .p2align 4
    .dword  _start
    .word   mid - near
end_data:
    .byte   0

    .bss
buffer:
    .zero   64
    .align  4
more:
    .skip   16

    .section .sdata, "aw"
small:
    .word   buffer - 0, more
