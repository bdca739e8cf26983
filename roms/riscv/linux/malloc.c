/* Many allocations of mixed sizes, reallocs and frees (brk and mmap paths); the output is
 * compared with the same program built for the host. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    enum { N = 4000 };
    static char *slots[N];
    static size_t sizes[N];
    uint64_t seed = 12345, sum = 0;
    for (int round = 0; round < 30; round++) {
        for (int i = 0; i < N; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            size_t want = (seed >> 33) % (i % 97 == 0 ? 300000 : 2000) + 1;
            if (slots[i] && (seed & 4)) {
                char *p = realloc(slots[i], want);
                if (!p) return 2;
                if (want > sizes[i]) memset(p + sizes[i], (int)(i & 0xff), want - sizes[i]);
                slots[i] = p;
                sizes[i] = want;
            } else {
                free(slots[i]);
                slots[i] = malloc(want);
                if (!slots[i]) return 2;
                memset(slots[i], (int)(i & 0xff), want);
                sizes[i] = want;
            }
        }
        for (int i = 0; i < N; i += 7) {
            for (size_t k = 0; k < sizes[i]; k += 61) sum += (unsigned char)slots[i][k];
        }
    }
    for (int i = 0; i < N; i++) free(slots[i]);
    printf("malloc: checksum %llu\n", (unsigned long long)sum);
    return 0;
}
