/* fexec_unlinked memfd|deleted SRC ARG0 [ARG...]: runs SRC's program through a descriptor the
 * file system no longer names. memfd: copies SRC into memfd_create("pwtest") (fileless
 * malware's way); deleted: opens SRC, unlinks it, then fexecve()s it. Exits 127 on failure. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: fexec_unlinked memfd|deleted SRC ARG0 [ARG...]\n");
        return 2;
    }
    int src = open(argv[2], O_RDONLY);
    if (src < 0) {
        perror("open");
        return 127;
    }
    int fd = src;
    if (strcmp(argv[1], "memfd") == 0) {
        struct stat st;
        fd = memfd_create("pwtest", 0);
        if (fd < 0 || fstat(src, &st) != 0 || sendfile(fd, src, NULL, st.st_size) != st.st_size) {
            perror("memfd");
            return 127;
        }
    } else if (unlink(argv[2]) != 0) {
        perror("unlink");
        return 127;
    }
    fexecve(fd, argv + 3, environ);
    perror("fexecve");
    return 127;
}
