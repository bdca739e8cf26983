# Compressed instructions (RVC), written out one by one, in a program without libc.
# Each check compares a register with its expected value; the exit code is the number of
# the first failing check (0 when all pass).
        .option rvc
        .text
        .globl _start
_start:
        li      s1, 0                   # check counter
        la      s0, buffer
#define CHECK(reg, value) addi s1, s1, 1; li t6, value; bne reg, t6, fail
        c.li    a0, 5
        c.addi  a0, 3
        CHECK(a0, 8)
        c.slli  a0, 2
        CHECK(a0, 32)
        c.mv    a1, a0
        c.add   a1, a0
        CHECK(a1, 64)
        c.srli  a1, 1
        CHECK(a1, 32)
        c.li    a2, -16
        c.srai  a2, 2
        CHECK(a2, -4)
        c.andi  a2, 0xe
        CHECK(a2, 12)
        c.li    a3, 5
        c.li    a4, 3
        c.sub   a3, a4
        CHECK(a3, 2)
        c.xor   a3, a4
        CHECK(a3, 1)
        c.or    a3, a4
        CHECK(a3, 3)
        c.and   a3, a2
        CHECK(a3, 0)
        c.lui   a5, 0x12
        CHECK(a5, 0x12000)
        c.li    a4, -1
        c.addiw a4, 0
        CHECK(a4, -1)
        lui     a3, 0x80000
        c.li    a4, -1
        c.addw  a4, a3
        CHECK(a4, 0x7fffffff)
        c.li    a4, 1
        c.subw  a4, a3
        li      t5, -0x7fffffff
        addi    s1, s1, 1
        bne     a4, t5, fail
        # loads and stores, register based
        li      a4, 0x1234
        c.sw    a4, 4(s0)
        c.lw    a5, 4(s0)
        CHECK(a5, 0x1234)
        li      a4, -2
        c.sd    a4, 8(s0)
        c.ld    a5, 8(s0)
        CHECK(a5, -2)
        # stack-pointer based, with addi16sp and addi4spn
        mv      t0, sp
        c.addi16sp sp, -64
        c.addi4spn a0, sp, 16
        sub     t1, t0, a0
        CHECK(t1, 48)
        li      a4, 77
        c.swsp  a4, 8(sp)
        c.lwsp  a5, 8(sp)
        CHECK(a5, 77)
        c.sdsp  a4, 16(sp)
        c.ldsp  a5, 16(sp)
        CHECK(a5, 77)
        # float loads and stores
        li      a4, 0x4008000000000000     # 3.0
        c.sd    a4, 16(s0)
        c.fld   fa0, 16(s0)
        fadd.d  fa1, fa0, fa0
        c.fsd   fa1, 24(s0)
        c.ld    a5, 24(s0)
        li      t6, 0x4018000000000000     # 6.0
        addi    s1, s1, 1
        bne     a5, t6, fail
        c.fsdsp fa1, 24(sp)
        c.fldsp fa2, 24(sp)
        feq.d   a5, fa1, fa2
        CHECK(a5, 1)
        c.addi16sp sp, 64
        # control flow
        c.li    a0, 0
        c.beqz  a0, 1f
        j       fail
1:      c.li    a0, 1
        c.bnez  a0, 2f
        j       fail
2:      c.j     3f
        j       fail
3:      la      t0, sub
        c.jalr  t0
        CHECK(a0, 99)
        la      t0, 4f
        c.jr    t0
        j       fail
4:      # all passed
        li      a0, 1
        la      a1, msg
        li      a2, 15
        li      a7, 64
        ecall
        li      a0, 0
        li      a7, 93
        ecall
fail:   mv      a0, s1
        li      a7, 93
        ecall
sub:    c.li    a0, 31
        addi    a0, a0, 68
        c.jr    ra

        .data
msg:    .ascii  "compressed: ok\n"
msg_end:
        .balign 16
buffer: .space  64
