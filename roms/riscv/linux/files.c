/* File access inside the sandbox: read a data file, list the folder, and see that paths
 * leaving the sandbox and writes are refused. argv[1] is the data file's name. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 100;
    FILE *f = fopen(argv[1], "r");
    if (!f) { printf("open %s: %s\n", argv[1], strerror(errno)); return 1; }
    char line[256];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        printf("line %d: %s", lines, line);
    }
    fclose(f);
    struct stat st;
    if (stat(argv[1], &st) == 0) printf("size %lld\n", (long long)st.st_size);
    DIR *d = opendir(".");
    int found = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) if (strcmp(e->d_name, argv[1]) == 0) found = 1;
    if (d) closedir(d);
    printf("listed %d\n", found);
    int fd = open("../escape.txt", O_RDONLY);
    printf("escape: %s\n", fd < 0 ? strerror(errno) : "OPENED");
    fd = open("/etc/passwd", O_RDONLY);
    printf("absolute: %s\n", fd < 0 ? strerror(errno) : "OPENED");
    fd = open("new.txt", O_WRONLY | O_CREAT, 0644);
    printf("write: %s\n", fd < 0 ? strerror(errno) : "OPENED");
    return 0;
}
