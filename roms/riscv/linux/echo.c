/* Startup and console input: prints argv and one environment variable, echoes one line of
 * stdin in upper case, and exits with 40 + argc. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
    const char *v = getenv("WB_TEST");
    printf("env: %s\n", v ? v : "(unset)");
    printf("pagesz: %lu\n", getauxval(AT_PAGESZ));
    char line[128];
    if (fgets(line, sizeof line, stdin)) {
        for (char *p = line; *p; p++) *p = (char)toupper((unsigned char)*p);
        printf("echo: %s", line);
    }
    return 40 + argc;
}
