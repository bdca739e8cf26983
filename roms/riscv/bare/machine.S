# The bare-metal machine end to end, for RV64 (Sv39) and RV32 (Sv32):
#  1. M mode installs a trap vector and prints through the 16550 UART;
#  2. a CLINT timer interrupt is taken (wfi until it fires);
#  3. page tables map RAM twice (identity and an alias at 0x40000000) and mret enters
#     S mode with paging on; S mode reads and writes through the alias, takes a load page
#     fault (handled in M mode, which skips the instruction) and reports with ecall;
#  4. M mode writes the verdict to HTIF tohost: 1 = pass, (n << 1) | 1 = check n failed.

#if __riscv_xlen == 64
#define LREG ld
#define SREG sd
#define WORD 8
#define SATP_MODE (8 << 60)
#define PTE_IDENTITY (2 * 8)            /* VPN[2] of 0x80000000 */
#define PTE_ALIAS (1 * 8)               /* VPN[2] of 0x40000000 */
#define INT_TIMER ((1 << 63) | 7)
#else
#define LREG lw
#define SREG sw
#define WORD 4
#define SATP_MODE (1 << 31)
#define PTE_IDENTITY (0x200 * 4)        /* VPN[1] of 0x80000000 */
#define PTE_ALIAS (0x100 * 4)           /* VPN[1] of 0x40000000 */
#define INT_TIMER ((1 << 31) | 7)
#endif

#define UART 0x10000000
#define CLINT_MTIMECMP 0x2004000
#define CLINT_MTIME 0x200bff8
#define FAIL(n) li a0, n; j report

        .section .text.init
        .globl _start
_start:
        la      sp, _stack_top
        la      t0, m_trap
        csrw    mtvec, t0
        la      a0, msg_hello
        call    puts

        # ---- timer interrupt in M mode ----
        li      s2, 0                   # interrupts taken
        li      s3, 0                   # mcause of the interrupt
        li      t0, CLINT_MTIME
        lw      t1, 0(t0)
        addi    t1, t1, 500
        li      t0, CLINT_MTIMECMP
        sw      zero, 4(t0)
        sw      t1, 0(t0)
        li      t0, 0x80
        csrs    mie, t0                 # MTIE
        csrsi   mstatus, 8              # MIE
1:      wfi
        beqz    s2, 1b
        csrci   mstatus, 8
        li      t0, INT_TIMER
        beq     s3, t0, 2f
        FAIL(2)
2:      la      a0, msg_timer
        call    puts

        # ---- paging: identity map of RAM plus an alias at 0x40000000 ----
        la      t0, page_table
        li      t1, ((0x80000000 >> 12) << 10) | 0xcf   # V R W X A D
        li      t2, PTE_IDENTITY
        add     t2, t2, t0
        SREG    t1, 0(t2)
        li      t1, ((0x80000000 >> 12) << 10) | 0xc7   # V R W A D
        li      t2, PTE_ALIAS
        add     t2, t2, t0
        SREG    t1, 0(t2)
        srli    t0, t0, 12
        li      t1, SATP_MODE
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma
        li      s4, 0                   # page faults seen
        li      t0, 3 << 11
        csrc    mstatus, t0
        li      t0, 1 << 11             # MPP = S
        csrs    mstatus, t0
        la      t0, s_entry
        csrw    mepc, t0
        mret

s_entry:
        csrr    t0, sstatus             # S-mode CSR access works
        la      t0, magic
        li      t1, 0x80000000
        sub     t0, t0, t1
        li      t1, 0x40000000
        add     t0, t0, t1              # alias of magic
        lw      t2, 0(t0)
        li      t3, 0x1234abcd
        bne     t2, t3, s_fail3
        li      t3, 0x55
        sw      t3, 0(t0)
        la      t4, magic
        lw      t5, 0(t4)
        bne     t5, t3, s_fail4
        li      t0, 0x1000              # unmapped: load page fault
        lw      t1, 0(t0)
        li      a0, 0
        ecall
s_fail3: li     a0, 3
        ecall
s_fail4: li     a0, 4
        ecall

        .balign 4                       # mtvec needs a 4-byte aligned base
m_trap:
        csrr    t0, mcause
        bltz    t0, interrupt
        li      t1, 13
        beq     t0, t1, load_fault
        li      t1, 9
        beq     t0, t1, s_ecall
        FAIL(7)
load_fault:
        csrr    t1, mtval
        li      t2, 0x1000
        beq     t1, t2, 1f
        FAIL(8)
1:      addi    s4, s4, 1
        csrr    t1, mepc
        addi    t1, t1, 4
        csrw    mepc, t1
        mret
s_ecall:
        csrr    t1, mstatus
        srli    t1, t1, 11
        andi    t1, t1, 3
        li      t2, 1
        beq     t1, t2, 1f              # MPP says we came from S
        FAIL(9)
1:      beqz    a0, 2f
        j       report
2:      bnez    s4, 3f
        FAIL(6)
3:      la      a0, msg_paging
        call    puts
        li      a0, 0
        j       report
interrupt:
        mv      s3, t0
        addi    s2, s2, 1
        li      t0, CLINT_MTIMECMP
        li      t1, -1
        sw      t1, 4(t0)
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
msg_hello:  .asciz "bare: hello from M mode\n"
msg_timer:  .asciz "bare: timer interrupt\n"
msg_paging: .asciz "bare: S mode with paging\n"

        .data
        .balign 8
magic:  .word 0x1234abcd, 0

        .section .tohost, "aw", @progbits
        .balign 8
        .globl tohost
tohost: .dword 0
        .globl fromhost
fromhost: .dword 0

        .bss
        .balign 4096
page_table: .space 4096
