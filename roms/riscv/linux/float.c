/* F and D semantics: rounding modes, exception flags, canonical NaNs, NaN boxing,
 * saturating conversions, fused multiply-add. Expected values come from IEEE 754 and the
 * RISC-V manual. Prints one line per failure and exits with the number of failures.
 * Build with -frounding-math so the compiler keeps every operation at run time. The
 * NaN-boxing and 64-bit conversion checks need RV64. */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(name, cond)                          \
    do {                                           \
        if (!(cond)) {                             \
            printf("FAIL %s (line %d)\n", name, __LINE__); \
            failures++;                            \
        }                                          \
    } while (0)

static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static volatile double one = 1.0, three = 3.0, zero = 0.0, big = 1e308, tiny = 1e-308, two = 2.0, mone = -1.0;
static volatile float onef = 1.0f, threef = 3.0f;

static int flags_of(void (*f)(void)) {
    feclearexcept(FE_ALL_EXCEPT);
    f();
    return fetestexcept(FE_ALL_EXCEPT);
}
static volatile double sink;
static void div_zero(void) { sink = one / zero; }
static void zero_zero(void) { sink = zero / zero; }
static void overflow(void) { sink = big * 10.0; }
static void underflow(void) { sink = tiny / 1e10; }
static void exact(void) { sink = one + one; }
static void inexact(void) { sink = one / three; }
static void sqrt_neg(void) { sink = sqrt(mone); }

int main(void) {
    /* Rounding modes on division. */
    const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    const uint64_t third[] = {0x3FD5555555555555ull, 0x3FD5555555555556ull, 0x3FD5555555555555ull, 0x3FD5555555555555ull};
    const uint32_t thirdf[] = {0x3EAAAAABu, 0x3EAAAAABu, 0x3EAAAAAAu, 0x3EAAAAAAu};
    const uint64_t mthird[] = {0xBFD5555555555555ull, 0xBFD5555555555555ull, 0xBFD5555555555556ull, 0xBFD5555555555555ull};
    for (int i = 0; i < 4; i++) {
        fesetround(modes[i]);
        CHECK("1/3 double", dbits(one / three) == third[i]);
        CHECK("-1/3 double", dbits(mone / three) == mthird[i]);
        CHECK("1/3 float", fbits(onef / threef) == thirdf[i]);
        CHECK("narrow 1/3", fbits((float)(one / three)) == thirdf[i]);
        double s = sqrt(two);
        double r = fma(-s, s, two); /* sign of 2 - s*s */
        if (modes[i] == FE_UPWARD) CHECK("sqrt up", r <= 0);
        if (modes[i] == FE_DOWNWARD || modes[i] == FE_TOWARDZERO) CHECK("sqrt down", r >= 0);
        CHECK("rint 2.5", rint(2.5) == (modes[i] == FE_UPWARD ? 3.0 : 2.0));
        CHECK("rint -2.5", rint(-2.5) == (modes[i] == FE_DOWNWARD ? -3.0 : -2.0));
        volatile double x = 0.1;
        double sum = x + 0.2;
        if (modes[i] == FE_UPWARD) CHECK("0.1+0.2 up", dbits(sum) == 0x3FD3333333333334ull);
        if (modes[i] == FE_TONEAREST) CHECK("0.1+0.2 rne", dbits(sum) == 0x3FD3333333333334ull);
        if (modes[i] == FE_DOWNWARD) CHECK("0.1+0.2 down", dbits(sum) == 0x3FD3333333333333ull);
        volatile double m = 1e308;
        double o = m * 10.0;
        if (modes[i] == FE_TOWARDZERO || modes[i] == FE_DOWNWARD) CHECK("overflow to max", o == 1.7976931348623157e308);
        else CHECK("overflow to inf", isinf(o));
    }
    fesetround(FE_TONEAREST);

    /* Exception flags. */
    CHECK("flags 1/0", flags_of(div_zero) == FE_DIVBYZERO);
    CHECK("flags 0/0", flags_of(zero_zero) == FE_INVALID);
    CHECK("flags overflow", flags_of(overflow) == (FE_OVERFLOW | FE_INEXACT));
    CHECK("flags underflow", flags_of(underflow) == (FE_UNDERFLOW | FE_INEXACT));
    CHECK("flags exact", flags_of(exact) == 0);
    CHECK("flags inexact", flags_of(inexact) == FE_INEXACT);
    CHECK("flags sqrt(-1)", flags_of(sqrt_neg) == FE_INVALID);

    /* Canonical NaNs. */
    CHECK("canonical nan d", dbits(zero / zero) == 0x7FF8000000000000ull);
    float fz = (float)zero;
    CHECK("canonical nan s", fbits(fz / fz) == 0x7FC00000u);

#if __riscv_xlen == 64
    /* NaN boxing: a single that is not boxed reads as the canonical NaN. */
    uint64_t raw = 0x000000003F800000ull, out;
    __asm__ volatile("fmv.d.x ft0,%1\n\tfadd.s ft1,ft0,ft0\n\tfmv.x.w %0,ft1" : "=r"(out) : "r"(raw) : "ft0", "ft1");
    CHECK("nan boxing", (uint32_t)out == 0x7FC00000u);
    raw = 0xFFFFFFFF3F800000ull;
    __asm__ volatile("fmv.d.x ft0,%1\n\tfadd.s ft1,ft0,ft0\n\tfmv.x.w %0,ft1" : "=r"(out) : "r"(raw) : "ft0", "ft1");
    CHECK("boxed single", (uint32_t)out == 0x40000000u);
    __asm__ volatile("fmv.w.x ft0,%1\n\tfmv.x.d %0,ft0" : "=r"(out) : "r"(0x3F800000ull) : "ft0");
    CHECK("fmv.w.x boxes", out == 0xFFFFFFFF3F800000ull);
#endif

    /* Saturating conversions. */
    long r;
    double huge = 1e20, nhuge = -1e20, nan = zero / zero;
    __asm__ volatile("fcvt.w.d %0,%1,rtz" : "=r"(r) : "f"(huge));
    CHECK("fcvt.w.d +sat", r == INT32_MAX);
    __asm__ volatile("fcvt.w.d %0,%1,rtz" : "=r"(r) : "f"(nhuge));
    CHECK("fcvt.w.d -sat", r == INT32_MIN);
    __asm__ volatile("fcvt.w.d %0,%1,rtz" : "=r"(r) : "f"(nan));
    CHECK("fcvt.w.d nan", r == INT32_MAX);
#if __riscv_xlen == 64
    __asm__ volatile("fcvt.l.d %0,%1,rtz" : "=r"(r) : "f"(nan));
    CHECK("fcvt.l.d nan", r == INT64_MAX);
#endif
    feclearexcept(FE_ALL_EXCEPT);
    double mhalf = -0.5;
    __asm__ volatile("fcvt.wu.d %0,%1,rne" : "=r"(r) : "f"(mhalf));
    CHECK("fcvt.wu.d -0.5", r == 0 && fetestexcept(FE_ALL_EXCEPT) == FE_INEXACT);
    __asm__ volatile("fcvt.wu.d %0,%1,rtz" : "=r"(r) : "f"(mone));
    CHECK("fcvt.wu.d -1", r == 0 && fetestexcept(FE_INVALID));
    double big32 = 4294967295.0;
    __asm__ volatile("fcvt.wu.d %0,%1,rtz" : "=r"(r) : "f"(big32));
    CHECK("fcvt.wu.d sign-extends", r == -1);
    double v25 = 2.5;
    __asm__ volatile("fcvt.w.d %0,%1,rmm" : "=r"(r) : "f"(v25));
    CHECK("fcvt rmm", r == 3);
    __asm__ volatile("fcvt.w.d %0,%1,rne" : "=r"(r) : "f"(v25));
    CHECK("fcvt rne", r == 2);
    __asm__ volatile("fcvt.w.d %0,%1,rdn" : "=r"(r) : "f"(mhalf));
    CHECK("fcvt rdn", r == -1);

    /* min/max and signed zeros. */
    double nz = -0.0, pz = 0.0;
    CHECK("fmin nan", fmin(nan, 1.0) == 1.0);
    CHECK("fmax nan", fmax(2.0, nan) == 2.0);
    CHECK("fmin -0", dbits(fmin(pz, nz)) == 0x8000000000000000ull);
    CHECK("fmax +0", dbits(fmax(nz, pz)) == 0);

    /* One rounding in fma. */
    volatile double a = 1.0 + 0x1p-30, b = 1.0 - 0x1p-30;
    CHECK("fma exact", fma(a, b, -1.0) == -0x1p-60);
    volatile double product = a * b; /* rounded: GCC would otherwise contract to fmsub */
    CHECK("mul then add", product - 1.0 == 0.0);

    /* Integer to float rounding (RV64: fcvt.d.l; RV32's library conversion rounds to
     * nearest whatever the mode). */
#if __riscv_xlen == 64
    volatile int64_t i53 = (1ll << 53) + 1;
    fesetround(FE_UPWARD);
    CHECK("i2d up", (double)i53 == 9007199254740994.0);
    fesetround(FE_DOWNWARD);
    CHECK("i2d down", (double)i53 == 9007199254740992.0);
    fesetround(FE_TONEAREST);
#endif

    /* Classification. */
    CHECK("isnan", isnan(nan) && !isnan(one));
    CHECK("subnormal", fpclassify(tiny / 1e10) == FP_SUBNORMAL);
    CHECK("isinf", isinf(one / zero));

    printf("float: %d failures\n", failures);
    return failures;
}
