/* fexec PATH ARG0 [ARG...]: opens PATH and fexecve()s the descriptor with argv ARG0...;
 * the kernel then names the program /dev/fd/N. Exits 127 if that fails. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fexec PATH ARG0 [ARG...]\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror("open");
        return 127;
    }
    fexecve(fd, argv + 2, environ);
    perror("fexecve");
    return 127;
}
