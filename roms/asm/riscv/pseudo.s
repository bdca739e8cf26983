# Pseudo-instructions, and %hi/%lo/%pcrel_hi/%pcrel_lo against labels in other sections.
    .text
    .globl _start
_start:
    nop
    mv      a0, a1
    mv      s0, sp
    not     a0, a1
    neg     a2, a3
    negw    a4, a5
    sext.w  a0, a0
    sext.w  t0, t1
    zext.b  a0, a1
    seqz    a0, a1
    snez    a2, a3
    sltz    a4, a5
    sgtz    a6, a7
    beqz    a0, 1f
    bnez    t0, 1f
    blez    a1, 1f
    bgez    a2, 1f
    bltz    a3, 1f
    bgtz    a4, 1f
    bgt     a0, a1, 1f
    ble     a0, a1, 1f
    bgtu    a0, a1, 1f
    bleu    a0, a1, 1f
1:  j       1b
    jal     helper
    jr      t0
    jalr    t1
    call    helper
    call    t0, helper
    tail    helper
    call    far_away
    la      a0, message
    lla     a1, message
    la      a2, counter
    lw      a0, counter
    ld      a1, counter
    lb      a2, message
    lbu     a3, message
    lh      a4, counter
    lhu     a5, counter
    lwu     a6, counter
    sw      a0, counter, t0
    sd      a1, counter, t1
    sb      a2, counter, t2
    sh      a3, counter, t3
    flw     fa0, fvalue, t0
    fld     fa1, fvalue, t1
    fsw     fa0, fvalue, t0
    fsd     fa1, fvalue, t1
    csrr    a0, mstatus
    csrw    mtvec, a1
    csrs    mie, a2
    csrc    mip, a3
    csrwi   mscratch, 5
    csrsi   mstatus, 8
    csrci   mstatus, 2
    csrw    sscratch, 3
    rdcycle a0
    rdtime  a1
    rdinstret a2
    frcsr   a0
    fscsr   a1
    fscsr   a2, a3
    frrm    a0
    fsrm    a1
    fsrm    a2, a3
    fsrmi   2
    fsrmi   a0, 3
    frflags a0
    fsflags a1
    fsflags a2, a3
    fsflagsi 1
    fsflagsi a0, 4
    fmv.s   fa0, fa1
    fabs.s  fa0, fa1
    fneg.s  fa0, fa1
    fmv.d   fa0, fa1
    fabs.d  fa0, fa1
    fneg.d  fa0, fa1
    fgt.s   a0, fa0, fa1
    fge.s   a0, fa0, fa1
    fgt.d   a0, fa0, fa1
    fge.d   a0, fa0, fa1
    lui     a0, %hi(message)
    addi    a0, a0, %lo(message)
    lw      a1, %lo(counter)(a0)
    sw      a1, %lo(counter)(a0)
    lui     a1, %hi(counter+8)
    ld      a1, %lo(counter+8)(a1)
.Lhere:
    auipc   a0, %pcrel_hi(message)
    addi    a0, a0, %pcrel_lo(.Lhere)
2:  auipc   t0, %pcrel_hi(counter)
    sd      a0, %pcrel_lo(2b)(t0)
    ld      a1, %pcrel_lo(2b)(t0)
3:  auipc   t1, %pcrel_hi(helper)
    jalr    ra, %pcrel_lo(3b)(t1)
    lui     a0, %hi(0x12345678)
    addi    a0, a0, %lo(0x12345678)
    ret
helper:
    ret

    .section .text.far, "ax", @progbits
far_away:
    ret

    .data
message:
    .string "hello"
    .align  3
counter:
    .dword  0
    .dword  0
fvalue:
    .word   0x3f800000
    .word   0
