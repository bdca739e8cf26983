/* Integer semantics of RV64IM, checked against the ISA manual's results: division by zero,
 * signed overflow, high multiplies, shifts, W forms. Prints one line per failure and exits
 * with the number of failures. */
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

#define OP2(op, a, b) ({ uint64_t r_; __asm__ volatile(op " %0,%1,%2" : "=r"(r_) : "r"(a), "r"(b)); r_; })

int main(void) {
    volatile int64_t zero = 0, m1 = -1, min = INT64_MIN, seven = 7;
    CHECK("div/0", OP2("div", seven, zero), -1);
    CHECK("divu/0", OP2("divu", seven, zero), UINT64_MAX);
    CHECK("rem/0", OP2("rem", seven, zero), 7);
    CHECK("remu/0", OP2("remu", seven, zero), 7);
    CHECK("div overflow", OP2("div", min, m1), INT64_MIN);
    CHECK("rem overflow", OP2("rem", min, m1), 0);
    CHECK("divw/0", OP2("divw", seven, zero), -1);
    CHECK("divuw/0", OP2("divuw", seven, zero), -1);
    CHECK("remw overflow", OP2("remw", (int64_t)INT32_MIN, m1), 0);
    CHECK("divw overflow", OP2("divw", (int64_t)INT32_MIN, m1), (int64_t)INT32_MIN);
    CHECK("mulh", OP2("mulh", min, m1), 0);
    CHECK("mulh2", OP2("mulh", (int64_t)-3, (int64_t)5), -1);
    CHECK("mulhu", OP2("mulhu", m1, m1), UINT64_MAX - 1);
    CHECK("mulhsu", OP2("mulhsu", m1, m1), UINT64_MAX);
    CHECK("mulw", OP2("mulw", (int64_t)0x7fffffff, (int64_t)2), -2);
    CHECK("sllw", OP2("sllw", (int64_t)1, (int64_t)31), (int64_t)INT32_MIN);
    CHECK("srlw", OP2("srlw", (int64_t)-1, (int64_t)36), 0x0fffffff);
    CHECK("sraw", OP2("sraw", (int64_t)INT32_MIN, (int64_t)4), (int64_t)(int32_t)0xf8000000);
    CHECK("sra", OP2("sra", min, (int64_t)63), -1);
    CHECK("srl mask", OP2("srl", m1, (int64_t)(64 + 60)), 0xf);
    CHECK("addw wrap", OP2("addw", (int64_t)0x7fffffff, (int64_t)1), (int64_t)INT32_MIN);
    CHECK("sltu", OP2("sltu", zero, m1), 1);
    CHECK("slt", OP2("slt", m1, zero), 1);

    printf("int: %d failures\n", failures);
    return failures;
}
