# Start-up for bare-metal C programs: stack, bss, main, then main's result to HTIF tohost.
        .section .text.init
        .globl _start
_start:
        .option push
        .option norelax
        la      gp, __global_pointer$
        .option pop
        la      sp, _stack_top
        la      t0, __bss_start
        la      t1, _end
1:      bgeu    t0, t1, 2f
        sb      zero, 0(t0)
        addi    t0, t0, 1
        j       1b
2:      call    main
        slli    a0, a0, 1
        ori     a0, a0, 1
        la      t0, tohost
        sw      a0, 0(t0)
        sw      zero, 4(t0)
3:      j       3b

        .section .tohost, "aw", @progbits
        .balign 8
        .globl tohost
tohost: .dword 0
        .globl fromhost
fromhost: .dword 0
