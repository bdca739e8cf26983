/* System calls beyond stdio, for glibc and musl, RV64 and RV32 (where they become the
 * time64 and large-file calls: clock_gettime64, _llseek, statx...). argv[1] names a data
 * file holding "first line\nsecond line\n". Prints fixed text; exits 0. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 100;
    printf("xlen %d\n", (int)(sizeof(long) * 8));
    struct utsname u;
    if (uname(&u) == 0) printf("uname %s %s\n", u.sysname, u.machine);

    struct timespec a, b, res;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (volatile int i = 0; i < 1000; i++) {
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    int later = b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec > a.tv_nsec);
    printf("clock %s\n", later ? "advances" : "STUCK");
    printf("time %s\n", time(NULL) > 1600000000 ? "after 2020" : "WRONG");
    printf("getres %d %ld %ld\n", clock_getres(CLOCK_REALTIME, &res), (long)res.tv_sec, res.tv_nsec);
    struct timespec nap = {0, 1000};
    printf("nanosleep %d\n", nanosleep(&nap, NULL));

    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) return 1;
    char buf[16] = {0};
    off_t at = lseek(fd, 6, SEEK_SET);
    ssize_t n = read(fd, buf, 4);
    printf("seek %lld read %d %s\n", (long long)at, (int)n, buf);
    printf("end %lld\n", (long long)lseek(fd, 0, SEEK_END));
    memset(buf, 0, sizeof buf);
    n = pread(fd, buf, 6, 11);
    printf("pread %d %s\n", (int)n, buf);
    struct stat st;
    if (fstat(fd, &st) == 0) printf("fstat %lld %s\n", (long long)st.st_size, S_ISREG(st.st_mode) ? "regular" : "other");
    if (stat(".", &st) == 0) printf("stat . %s\n", S_ISDIR(st.st_mode) ? "directory" : "other");
    close(fd);
    printf("closed again %d\n", close(fd));
    printf("pid %s\n", getpid() > 0 ? "positive" : "WRONG");
    return 0;
}
