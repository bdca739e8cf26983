# The PLIC and the UART's interrupts, for RV64 and RV32, on QEMU virt's layout:
#  1. M mode prints "plic: ready", checks a priority register, and takes the UART's
#     transmitter-empty interrupt (IER bit 1) through PLIC context 0 (MEIP): claim gives
#     source 10, IIR says THRE;
#  2. with the receive interrupt (IER bit 0) on, it waits (wfi) for input fed through the
#     serial port, and on each interrupt claims, echoes every byte received, completes;
#     a newline ends the wait;
#  3. a threshold equal to the priority masks the request (mip.MEIP clear, claim gives 0);
#  4. S mode takes the same interrupt through context 1 (SEIP delegated) and claims and
#     completes it itself;
#  5. M mode writes the verdict to HTIF tohost: 1 = pass, (n << 1) | 1 = check n failed.

#if __riscv_xlen == 64
#define INT_BIT (1 << 63)
#else
#define INT_BIT (1 << 31)
#endif
#define INT_MEI (INT_BIT | 11)
#define INT_SEI (INT_BIT | 9)

#define UART 0x10000000
#define UART_RBR 0
#define UART_THR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_LSR 5
#define PLIC 0x0c000000
#define PLIC_PRIO_UART (PLIC + 4 * 10)
#define PLIC_PENDING (PLIC + 0x1000)
#define PLIC_ENABLE_M (PLIC + 0x2000)
#define PLIC_ENABLE_S (PLIC + 0x2080)
#define PLIC_THRESHOLD_M (PLIC + 0x200000)
#define PLIC_CLAIM_M (PLIC + 0x200004)
#define PLIC_CLAIM_S (PLIC + 0x201004)
#define MIP_MEIP (1 << 11)
#define MIP_SEIP (1 << 9)
#define FAIL(n) li a0, n; j report

        .section .text.init
        .globl _start
_start:
        la      sp, _stack_top
        la      t0, m_trap
        csrw    mtvec, t0
        la      a0, msg_ready
        call    puts
        li      s0, UART
        li      s1, PLIC

        # ---- priority register: three bits ----
        li      t0, PLIC_PRIO_UART
        li      t1, 9
        sw      t1, 0(t0)
        lw      t1, 0(t0)
        li      t2, 1
        beq     t1, t2, 1f
        FAIL(2)
1:      li      t0, PLIC_ENABLE_M
        li      t1, 1 << 10
        sw      t1, 0(t0)
        li      t0, PLIC_THRESHOLD_M
        sw      zero, 0(t0)
        li      t0, MIP_MEIP
        csrs    mie, t0
        csrsi   mstatus, 8              # MIE

        # ---- transmitter empty: the interrupt comes as soon as it is enabled ----
        li      s2, 0                   # THRE interrupts taken
        li      t0, 2
        sb      t0, UART_IER(s0)
        nop
        li      t0, 1
        beq     s2, t0, 1f
        FAIL(3)

        # ---- receive: echo bytes until a newline ----
1:      li      s3, 0                   # bytes echoed
        li      s4, 0                   # newline seen
        li      t0, 1
        sb      t0, UART_IER(s0)
2:      wfi
        beqz    s4, 2b
        csrci   mstatus, 8
        la      a0, msg_echoed
        call    puts

        # ---- threshold: priority 1 does not exceed threshold 1 ----
        li      t0, 2
        sb      t0, UART_IER(s0)        # line high (THRE), interrupts off
        li      t0, PLIC_THRESHOLD_M
        li      t1, 1
        sw      t1, 0(t0)
        csrr    t1, mip
        li      t2, MIP_MEIP
        and     t1, t1, t2
        beqz    t1, 3f
        FAIL(4)
3:      li      t0, PLIC_CLAIM_M
        lw      t1, 0(t0)
        beqz    t1, 4f
        FAIL(5)
4:      li      t0, PLIC_PENDING
        lw      t1, 0(t0)
        li      t2, 1 << 10
        beq     t1, t2, 5f
        FAIL(6)
5:      li      t0, PLIC_THRESHOLD_M
        sw      zero, 0(t0)
        csrr    t1, mip
        li      t2, MIP_MEIP
        and     t1, t1, t2
        bnez    t1, 6f
        FAIL(7)
6:      sb      zero, UART_IER(s0)
        csrr    t1, mip
        and     t1, t1, t2
        beqz    t1, 7f
        FAIL(8)

        # ---- S mode: the same source through context 1 ----
7:      li      t0, PLIC_ENABLE_M
        sw      zero, 0(t0)
        li      t0, PLIC_ENABLE_S
        li      t1, 1 << 10
        sw      t1, 0(t0)
        li      t0, MIP_SEIP
        csrs    mideleg, t0
        csrs    mie, t0
        la      t0, s_trap
        csrw    stvec, t0
        li      t0, 3 << 11
        csrc    mstatus, t0
        li      t0, 1 << 11             # MPP = S
        csrs    mstatus, t0
        la      t0, s_entry
        csrw    mepc, t0
        mret

s_entry:
        li      s5, 0                   # S-mode external interrupts taken
        csrsi   sstatus, 2              # SIE
        li      t0, 2
        sb      t0, UART_IER(s0)        # THRE: SEIP rises at once
        nop
        csrci   sstatus, 2
        li      t0, 1
        beq     s5, t0, 1f
        li      a0, 9
        ecall
1:      li      a0, 0
        ecall

        .balign 4
s_trap:
        csrr    t0, scause
        li      t1, INT_SEI
        beq     t0, t1, 1f
        li      a0, 10
        ecall
1:      li      t0, PLIC_CLAIM_S
        lw      t1, 0(t0)
        li      t2, 10
        beq     t1, t2, 2f
        li      a0, 11
        ecall
2:      sb      zero, UART_IER(s0)      # the line drops
        sw      t1, 0(t0)               # complete
        addi    s5, s5, 1
        sret

        .balign 4                       # mtvec needs a 4-byte aligned base
m_trap:
        csrr    t0, mcause
        li      t1, INT_MEI
        beq     t0, t1, m_external
        li      t1, 9
        beq     t0, t1, s_ecall
        FAIL(12)
s_ecall:
        bnez    a0, report
        la      a0, msg_smode
        call    puts
        li      a0, 0
        j       report
m_external:
        li      t0, PLIC_CLAIM_M
        lw      t1, 0(t0)
        li      t2, 10
        beq     t1, t2, 1f
        FAIL(13)
1:      lbu     t2, UART_IIR(s0)
        andi    t2, t2, 0x0f
        li      t3, 0x02                # THRE
        bne     t2, t3, rx
        sb      zero, UART_IER(s0)      # THRE seen: turn it off
        addi    s2, s2, 1
        j       complete
rx:     li      t3, 0x04                # received data available
        beq     t2, t3, 2f
        FAIL(14)
2:      lbu     t2, UART_LSR(s0)
        andi    t2, t2, 1
        beqz    t2, complete
        lbu     t2, UART_RBR(s0)
        sb      t2, UART_THR(s0)
        addi    s3, s3, 1
        li      t3, '\n'
        bne     t2, t3, 2b
        li      s4, 1
        j       2b
complete:
        sw      t1, 0(t0)
        mret

# a0 = 0 for pass, else the failing check number.
report:
        slli    a0, a0, 1
        ori     a0, a0, 1
        la      t0, tohost
        sw      a0, 0(t0)
        sw      zero, 4(t0)
1:      j       1b

# Print the NUL-terminated string at a0 through the UART.
puts:
        li      t0, UART
1:      lbu     t1, 0(a0)
        beqz    t1, 2f
        sb      t1, 0(t0)
        addi    a0, a0, 1
        j       1b
2:      ret

        .section .rodata
msg_ready:  .asciz "plic: ready\n"
msg_echoed: .asciz "plic: echoed\n"
msg_smode:  .asciz "plic: S mode external interrupt\n"

        .section .tohost, "aw", @progbits
        .balign 8
        .globl tohost
tohost: .dword 0
        .globl fromhost
fromhost: .dword 0
