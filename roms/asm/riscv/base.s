# RV64I base instructions, every format, plus Zicsr, Zifencei and the privileged ones.
    .text
    .globl _start
_start:
    lui     a0, 0x12345
    lui     t0, 0xfffff
    auipc   a1, 0
    auipc   s2, 0x7ffff
    jal     ra, target
    jal     zero, target
    jalr    ra, 0(a0)
    jalr    t0, -4(t1)
    jalr    a0, a1, 12
target:
    beq     a0, a1, target
    bne     s1, s2, back
    blt     t0, t1, back
    bge     a2, a3, back
    bltu    a4, a5, back
    bgeu    a6, a7, back
back:
    lb      a0, 0(sp)
    lh      a1, -2(s0)
    lw      a2, 2047(t0)
    ld      a3, -2048(t1)
    lbu     a4, 7(a5)
    lhu     a6, 64(gp)
    lwu     a7, 12(tp)
    sb      a0, 1(sp)
    sh      a1, -2(s0)
    sw      a2, 100(t0)
    sd      a3, -8(t1)
    addi    s3, s4, -1234
    slti    s5, s6, 77
    sltiu   s7, s8, 1
    xori    s9, s10, -1
    ori     s11, t3, 0x7f0
    andi    t4, t5, 0xff
    slli    t6, x1, 63
    srli    x2, x3, 17
    srai    x4, x5, 33
    add     x6, x7, x8
    sub     x9, x10, x11
    sll     x12, x13, x14
    slt     x15, x16, x17
    sltu    x18, x19, x20
    xor     x21, x22, x23
    srl     x24, x25, x26
    sra     x27, x28, x29
    or      x30, x31, x1
    and     a0, a1, a2
    addiw   a3, a4, -2048
    slliw   a5, a6, 31
    srliw   a7, s2, 1
    sraiw   s3, s4, 15
    addw    s5, s6, s7
    subw    s8, s9, s10
    sllw    s11, t3, t4
    srlw    t5, t6, a0
    sraw    a1, a2, a3
    fence   rw, rw
    fence   iorw, iorw
    fence   i, o
    fence   r, w
    fence
    fence.tso
    fence.i
    ecall
    ebreak
    csrrw   a0, mstatus, a1
    csrrs   a2, 0x305, a3
    csrrc   a4, mepc, a5
    csrrwi  a6, fcsr, 31
    csrrsi  a7, frm, 1
    csrrci  t0, fflags, 0
    csrrs   t1, cycle, zero
    csrrs   t2, satp, x0
    csrrw   zero, pmpaddr3, t0
    csrrw   zero, sscratch, t1
    mret
    sret
    wfi
    sfence.vma
    sfence.vma a0
    sfence.vma a0, a1
    ret
