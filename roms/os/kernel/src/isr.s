# Interrupt entry stubs. Every vector pushes (error code or 0, vector), then isr_common pushes the
# 15 general registers, so the stack holds an arch::Frame; interrupt_dispatch returns the frame to
# resume, which is how the scheduler switches tasks (each task's context is a Frame on its stack).

.section .text
.code64

.macro stub_noerr n
isr_stub_\n:
    push $0
    push $\n
    jmp isr_common
.endm
.macro stub_err n
isr_stub_\n:
    push $\n
    jmp isr_common
.endm

.irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
stub_noerr \n
.endr
.irp n, 8,10,11,12,13,14,17,21,29,30
stub_err \n
.endr
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,128,129
stub_noerr \n
.endr

isr_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    mov %rsp, %rdi
    call interrupt_dispatch
    mov %rax, %rsp
.global isr_resume
isr_resume:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp
    iretq

.section .rodata
.balign 8
.global isr_table
isr_table:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .quad isr_stub_\n
.endr
.global isr_syscall
isr_syscall:
    .quad isr_stub_128
.global isr_yield
isr_yield:
    .quad isr_stub_129

# enter_user(ctx: *mut KernelContext [rdi], entry [rsi], user_rsp [rdx]) -> u64
# Saves the callee-saved registers and rsp in ctx, then irets to ring 3. It "returns" when
# resume_kernel(ctx, value) is called from a system call or a fault of that program.
.section .text
.global enter_user
enter_user:
    mov %rbx, 0(%rdi)
    mov %rbp, 8(%rdi)
    mov %r12, 16(%rdi)
    mov %r13, 24(%rdi)
    mov %r14, 32(%rdi)
    mov %r15, 40(%rdi)
    mov %rsp, 48(%rdi)
    push $0x1B                   # user data | RPL 3
    push %rdx
    push $0x202                  # IF
    push $0x23                   # user code | RPL 3
    push %rsi
    xor %eax, %eax
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r11d, %r11d
    xor %r12d, %r12d
    xor %r13d, %r13d
    xor %r14d, %r14d
    xor %r15d, %r15d
    iretq

# resume_kernel(ctx [rdi], value [rsi]) -> !: back to where enter_user was called.
.global resume_kernel
resume_kernel:
    mov 0(%rdi), %rbx
    mov 8(%rdi), %rbp
    mov 16(%rdi), %r12
    mov 24(%rdi), %r13
    mov 32(%rdi), %r14
    mov 40(%rdi), %r15
    mov 48(%rdi), %rsp
    mov %rsi, %rax
    ret
