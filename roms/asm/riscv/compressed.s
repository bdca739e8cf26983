# Instructions GNU as compresses by itself, the explicit c.* forms, and .option rvc/norvc.
    .text
    .globl _start
_start:
    addi    a0, a0, 1
    addi    a0, a0, -32
    addi    a0, a0, 31
    addi    a0, a0, 32
    addi    a0, a0, 0
    addi    zero, zero, 0
    addi    sp, sp, -16
    addi    sp, sp, 496
    addi    sp, sp, -512
    addi    sp, sp, 48
    addi    s0, sp, 8
    addi    a5, sp, 1020
    addi    a5, sp, 1024
    addi    a0, zero, 7
    addi    a0, zero, -32
    addi    a0, a1, 0
    addiw   a0, a0, 3
    addiw   a0, a0, 0
    addiw   a1, a2, 3
    lui     a0, 1
    lui     a0, 31
    lui     a0, 0xfffff
    lui     a0, 0xfffe0
    lui     sp, 1
    lui     a0, 32
    slli    a0, a0, 1
    slli    ra, ra, 63
    srli    s0, s0, 3
    srai    a5, a5, 40
    srli    a6, a6, 3
    andi    s1, s1, -1
    andi    s1, s1, 31
    andi    s1, s1, 32
    add     a0, a0, a1
    add     a0, a1, a0
    add     a0, zero, a1
    add     a0, a0, zero
    sub     s0, s0, s1
    sub     s0, s1, s0
    xor     a0, a0, a1
    xor     a0, a1, a0
    or      a2, a2, a3
    and     a4, a4, a5
    subw    a0, a0, a1
    addw    a0, a0, a1
    addw    a0, a1, a0
    jalr    zero, 0(a0)
    jalr    ra, 0(t0)
    jalr    ra, 4(t0)
    ebreak
    lw      a0, 0(a1)
    lw      a0, 124(a1)
    lw      a0, 128(a1)
    lw      a0, 2(a1)
    ld      s0, 248(s1)
    ld      s0, 256(s1)
    sw      a0, 4(a1)
    sd      a0, 8(a1)
    fld     fa0, 8(a1)
    fsd     fs1, 16(s0)
    lw      ra, 12(sp)
    lw      ra, 252(sp)
    ld      ra, 504(sp)
    ld      t0, 8(sp)
    fld     ft0, 8(sp)
    sw      ra, 12(sp)
    sd      s0, 504(sp)
    fsd     fa0, 8(sp)
    flw     fa0, 0(a1)
    c.nop
    c.addi  a0, 5
    c.addiw a1, -3
    c.addi16sp sp, 32
    c.addi4spn a0, sp, 16
    c.li    a0, -1
    c.lui   a1, 2
    c.slli  a0, 3
    c.srli  s0, 4
    c.srai  s1, 5
    c.andi  a5, 7
    c.mv    a0, a1
    c.add   a0, a2
    c.sub   s0, s1
    c.xor   a0, a1
    c.or    a2, a3
    c.and   a4, a5
    c.subw  s0, a5
    c.addw  a0, a1
    c.lw    a0, 4(a1)
    c.ld    a0, 8(a1)
    c.sw    a0, 4(a1)
    c.sd    a0, 8(a1)
    c.fld   fa0, 8(a1)
    c.fsd   fa0, 8(a1)
    c.lwsp  a0, 4(sp)
    c.ldsp  a0, 8(sp)
    c.fldsp fa0, 8(sp)
    c.swsp  a0, 4(sp)
    c.sdsp  a0, 8(sp)
    c.fsdsp fa0, 8(sp)
    c.jr    a0
    c.jalr  a1
    c.ebreak
1:  c.j     1b
    c.beqz  a0, 1b
    c.bnez  s1, 2f
2:
    .option push
    .option norvc
    addi    a0, a0, 1
    add     a0, a0, a1
    ret
    j       2b
    .option pop
    addi    a0, a0, 1
    .option norvc
    nop
    .option rvc
    nop
    unimp
    c.unimp
    ret
