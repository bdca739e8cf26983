/* Ways a Linux program can go wrong, chosen by argv[1]: a NULL store, an illegal
 * instruction, an ebreak, an unimplemented system call, abort(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "null")) *(volatile int *)0 = 1;
    if (!strcmp(what, "illegal")) __asm__ volatile(".word 0xffffffff");
    if (!strcmp(what, "ebreak")) {
        __asm__ volatile("ebreak");
        printf("after ebreak\n");
    }
    if (!strcmp(what, "enosys")) {
        long r1 = syscall(500);
        int e1 = errno;
        long r2 = syscall(500);
        printf("enosys: %ld %d %ld %d\n", r1, e1 == ENOSYS, r2, errno == ENOSYS);
    }
    if (!strcmp(what, "abort")) abort();
    return 0;
}
