/* Writing inside a writable sandbox, and ftruncate (ftruncate64 on RV32, whose length is
 * split over two registers): shrink, grow with zeros, a length past 4 GiB, a read-only
 * descriptor and a negative length refused. argv[1] names the file to create. Prints fixed
 * text; exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long long size_of(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 ? (long long)st.st_size : -1;
}

int main(int argc, char **argv) {
    if (argc < 2) return 100;
    int fd = open(argv[1], O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (fd < 0) {
        printf("open: %s\n", strerror(errno));
        return 1;
    }
    printf("wrote %d\n", (int)write(fd, "0123456789abcdefghij", 20));
    printf("size %lld\n", size_of(fd));

    printf("shrink %d size %lld\n", ftruncate(fd, 8), size_of(fd));
    printf("grow %d size %lld\n", ftruncate(fd, 12), size_of(fd));
    unsigned char buf[32];
    lseek(fd, 0, SEEK_SET);
    int n = (int)read(fd, buf, sizeof buf);
    printf("read %d:", n);
    for (int i = 0; i < n; i++) printf(" %02x", buf[i]);
    printf("\n");

    int big = ftruncate(fd, 0x100000010LL);
    printf("past 4 GiB %d size %lld\n", big, size_of(fd));
    printf("back %d size %lld\n", ftruncate(fd, 3), size_of(fd));

    errno = 0;
    printf("negative %d %s\n", ftruncate(fd, -1), strerror(errno));
    int ro = open(argv[1], O_RDONLY);
    errno = 0;
    printf("read-only %d %s\n", ftruncate(ro, 1), strerror(errno));
    close(ro);
    close(fd);
    return 0;
}
