/* smc: self-modifying code must run as written last. Code is generated into a
 * writable and executable mapping, rewritten, and run again; one block even rewrites
 * an instruction further on in itself. Prints "smc: 0 failures" when all is well. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

typedef long (*fn0)(void);
typedef long (*fn2)(uint32_t *, uint32_t);

static int failures;

static void check(const char *what, long got, long want) {
    if (got != want) {
        printf("FAIL %s: got %ld, want %ld\n", what, got, want);
        failures++;
    }
}

/* addi a0, zero, v */
static uint32_t li_a0(int v) { return ((uint32_t)(v & 0xfff) << 20) | 0x513; }

#define RET 0x00008067u
#define NOP 0x00000013u
#define SW_A1_8_A0 0x00b52423u /* sw a1, 8(a0) */

int main(void) {
    uint32_t *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        printf("smc: mmap failed\n");
        return 1;
    }
    /* A function rewritten between calls. */
    long sum = 0;
    for (int i = 0; i < 100; i++) {
        code[0] = li_a0(i);
        code[1] = RET;
        __asm__ volatile("fence.i" ::: "memory");
        sum += ((fn0)code)();
    }
    check("rewritten function", sum, 4950);

    /* A block that stores over its own third instruction before reaching it. */
    for (int round = 0; round < 3; round++) {
        code[0] = SW_A1_8_A0;
        code[1] = NOP;
        code[2] = li_a0(7);
        code[3] = RET;
        __asm__ volatile("fence.i" ::: "memory");
        check("store into own block", ((fn2)code)(code, li_a0(42 + round)), 42 + round);
    }

    /* Code on a page that is then written as data, and run again. */
    code[0] = li_a0(5);
    code[1] = RET;
    __asm__ volatile("fence.i" ::: "memory");
    long a = ((fn0)code)();
    for (int k = 16; k < 1024; k++) code[k] = (uint32_t)k;
    long b = ((fn0)code)();
    check("data beside code", a + b, 10);

    printf("smc: %d failures\n", failures);
    return failures != 0;
}
