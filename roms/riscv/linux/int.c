/* Integer semantics of RV64IM (and RV32IM), checked against the ISA manual's results:
 * division by zero, signed overflow, high multiplies, shifts, W forms (RV64 only). Prints
 * one line per failure and exits with the number of failures. Registers are `long`, XLEN
 * bits wide. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

static int failures;
#define CHECK(name, got, want)                                                         \
    do {                                                                               \
        uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                          \
        if (g_ != w_) {                                                                \
            printf("FAIL %s: got %016llx want %016llx\n", name, (unsigned long long)g_, \
                   (unsigned long long)w_);                                            \
            failures++;                                                                \
        }                                                                              \
    } while (0)

#define OP2(op, a, b) ({ long r_; __asm__ volatile(op " %0,%1,%2" : "=r"(r_) : "r"(a), "r"(b)); r_; })

int main(void) {
    volatile long zero = 0, m1 = -1, min = LONG_MIN, seven = 7;
    CHECK("div/0", OP2("div", seven, zero), -1);
    CHECK("divu/0", OP2("divu", seven, zero), -1);
    CHECK("rem/0", OP2("rem", seven, zero), 7);
    CHECK("remu/0", OP2("remu", seven, zero), 7);
    CHECK("div overflow", OP2("div", min, m1), LONG_MIN);
    CHECK("rem overflow", OP2("rem", min, m1), 0);
    CHECK("mulh", OP2("mulh", min, m1), 0);
    CHECK("mulh2", OP2("mulh", (long)-3, (long)5), -1);
    CHECK("mulhu", OP2("mulhu", m1, m1), -2);
    CHECK("mulhsu", OP2("mulhsu", m1, m1), -1);
    CHECK("sra", OP2("sra", min, (long)(__riscv_xlen - 1)), -1);
    CHECK("srl mask", OP2("srl", m1, (long)(__riscv_xlen + __riscv_xlen - 4)), 0xf);
    CHECK("sltu", OP2("sltu", zero, m1), 1);
    CHECK("slt", OP2("slt", m1, zero), 1);
#if __riscv_xlen == 64
    CHECK("divw/0", OP2("divw", seven, zero), -1);
    CHECK("divuw/0", OP2("divuw", seven, zero), -1);
    CHECK("remw overflow", OP2("remw", (int64_t)INT32_MIN, m1), 0);
    CHECK("divw overflow", OP2("divw", (int64_t)INT32_MIN, m1), (int64_t)INT32_MIN);
    CHECK("mulw", OP2("mulw", (int64_t)0x7fffffff, (int64_t)2), -2);
    CHECK("sllw", OP2("sllw", (int64_t)1, (int64_t)31), (int64_t)INT32_MIN);
    CHECK("srlw", OP2("srlw", (int64_t)-1, (int64_t)36), 0x0fffffff);
    CHECK("sraw", OP2("sraw", (int64_t)INT32_MIN, (int64_t)4), (int64_t)(int32_t)0xf8000000);
    CHECK("addw wrap", OP2("addw", (int64_t)0x7fffffff, (int64_t)1), (int64_t)INT32_MIN);
#endif

    printf("int: %d failures\n", failures);
    return failures;
}
