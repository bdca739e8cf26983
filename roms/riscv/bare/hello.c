/* A bare-metal C program: writes to the UART, does some integer and float work, and
 * returns 0 (crt0 turns that into an HTIF pass). */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000)

static void puts_uart(const char *s) {
    while (*s) *UART = (uint8_t)*s++;
}

static void put_u64(uint64_t v) {
    char buf[24];
    int i = 23;
    buf[i] = 0;
    do buf[--i] = (char)('0' + v % 10); while ((v /= 10) && i > 0);
    puts_uart(&buf[i]);
}

int main(void) {
    static uint64_t fib[40];
    fib[1] = 1;
    for (int i = 2; i < 40; i++) fib[i] = fib[i - 1] + fib[i - 2];
    puts_uart("fib(39) = ");
    put_u64(fib[39]);
    puts_uart("\n");
    volatile double x = 2.0;
    double r = x;
    for (int i = 0; i < 5; i++) r = 0.5 * (r + x / r);
    puts_uart("sqrt(2)*1e9 = ");
    put_u64((uint64_t)(r * 1e9));
    puts_uart("\n");
    return fib[39] == 63245986 ? 0 : 1;
}
