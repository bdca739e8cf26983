/* A extension: lr/sc loops and every amo*, on words and (RV64) doublewords, with the
 * ordering bits. Prints one line per failure and exits with the number of failures. */
#include <stdint.h>
#include <stdio.h>

static int failures;
#define CHECK(name, got, want)                                                          \
    do {                                                                                \
        if ((uint64_t)(got) != (uint64_t)(want)) {                                      \
            printf("FAIL %s: got %llx want %llx\n", name, (unsigned long long)(got),   \
                   (unsigned long long)(want));                                         \
            failures++;                                                                 \
        }                                                                               \
    } while (0)

#define AMO(op, ptr, val) ({ long o_; __asm__ volatile(op " %0,%2,(%1)" : "=r"(o_) : "r"(ptr), "r"(val) : "memory"); o_; })

int main(void) {
    static int64_t d;
    static int32_t w;
#if __riscv_xlen == 64
    d = 5;
    CHECK("amoadd.d old", AMO("amoadd.d", &d, 10), 5);
    CHECK("amoadd.d new", d, 15);
    CHECK("amoswap.d", AMO("amoswap.d.aqrl", &d, -1), 15);
    CHECK("amomin.d", AMO("amomin.d", &d, 3), -1);
    CHECK("amomin.d new", d, -1);
    CHECK("amominu.d", AMO("amominu.d", &d, 3), -1);
    CHECK("amominu.d new", d, 3);
    CHECK("amomax.d", AMO("amomax.d.aq", &d, -7), 3);
    CHECK("amomax.d new", d, 3);
    CHECK("amomaxu.d", AMO("amomaxu.d.rl", &d, -7), 3);
    CHECK("amomaxu.d new", d, -7);
    d = 0xf0;
    AMO("amoand.d", &d, 0x3c);
    CHECK("amoand.d", d, 0x30);
    AMO("amoor.d", &d, 0x03);
    CHECK("amoor.d", d, 0x33);
    AMO("amoxor.d", &d, 0xff);
    CHECK("amoxor.d", d, 0xcc);
#endif

    w = 0x7fffffff;
    CHECK("amoadd.w old", AMO("amoadd.w", &w, 1), 0x7fffffff);
    CHECK("amoadd.w wraps", w, INT32_MIN);
    CHECK("amoadd.w sign-extends", AMO("amoadd.w", &w, 0), (int64_t)INT32_MIN);
    CHECK("amominu.w", AMO("amominu.w", &w, 1), (int64_t)INT32_MIN);
    CHECK("amominu.w new", w, 1);
    CHECK("amomax.w", AMO("amomax.w", &w, -5), 1);
    CHECK("amomaxu.w", AMO("amomaxu.w", &w, -5), 1);
    CHECK("amomaxu.w new", w, -5);
    CHECK("amomin.w", AMO("amomin.w", &w, 2), -5);
    CHECK("amoswap.w", AMO("amoswap.w", &w, 9), -5);
    AMO("amoand.w", &w, 12);
    AMO("amoor.w", &w, 2);
    AMO("amoxor.w", &w, 1);
    CHECK("amo logic w", w, 11);

    /* lr/sc: a successful pair, then a failing sc without a reservation. */
    long tmp, ok;
#if __riscv_xlen == 64
    d = 40;
    __asm__ volatile("1: lr.d %0,(%2)\n\taddi %0,%0,2\n\tsc.d %1,%0,(%2)\n\tbnez %1,1b"
                     : "=&r"(tmp), "=&r"(ok) : "r"(&d) : "memory");
    CHECK("lr/sc.d", d, 42);
#else
    (void)d;
    w = 40;
    __asm__ volatile("1: lr.w %0,(%2)\n\taddi %0,%0,2\n\tsc.w %1,%0,(%2)\n\tbnez %1,1b"
                     : "=&r"(tmp), "=&r"(ok) : "r"(&w) : "memory");
    CHECK("lr/sc.w loop", w, 42);
    w = 11;
#endif
    __asm__ volatile("sc.w %0,%1,(%2)" : "=r"(ok) : "r"(7), "r"(&w) : "memory");
    CHECK("sc without lr fails", ok, 1);
    CHECK("sc without lr leaves memory", w, 11);
    __asm__ volatile("lr.w.aq %0,(%1)" : "=r"(tmp) : "r"(&w) : "memory");
    __asm__ volatile("sc.w.rl %0,%1,(%2)" : "=r"(ok) : "r"(7), "r"(&w) : "memory");
    CHECK("lr/sc.w", ok, 0);
    CHECK("lr/sc.w value", w, 7);

    /* C11 atomics compile to the same instructions. */
    long counter = 0;
    for (int i = 0; i < 1000; i++) __atomic_fetch_add(&counter, i, __ATOMIC_SEQ_CST);
    long expected = 0;
    __atomic_compare_exchange_n(&counter, &expected, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    CHECK("cas fails", expected, 499500);
    CHECK("c11 sum", counter, 499500);

    printf("atomics: %d failures\n", failures);
    return failures;
}
