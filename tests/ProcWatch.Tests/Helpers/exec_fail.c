/* exec_fail: makes execs fail on purpose, for ExecFailureTests.
 *   exec_fail once PATH ARG...        execve(PATH, {PATH, ARG..., NULL}) once
 *   exec_fail at DIR NAME ARG...      execveat(open(DIR), NAME, {NAME, ARG..., NULL}, 0) once
 *   exec_fail storm N PATH ARG...     execve(PATH, ...) N times (each must fail)
 * Prints "errno E" for the (last) failure and "failed N" with the count, and exits 0; if an
 * exec succeeds, the new program runs instead (it prints nothing of this). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "once") == 0) {
        execve(argv[2], argv + 2, environ);
        printf("errno %d\nfailed 1\n", errno);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "at") == 0) {
        int dir = open(argv[2], O_PATH | O_DIRECTORY);
        if (dir < 0) { perror("open"); return 2; }
        syscall(SYS_execveat, dir, argv[3], argv + 3, environ, 0);
        printf("errno %d\nfailed 1\ndirfd %d\n", errno, dir);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "storm") == 0) {
        long n = atol(argv[2]), failed = 0;
        int last = 0;
        for (long i = 0; i < n; i++) {
            execve(argv[3], argv + 3, environ);
            last = errno;
            failed++;
        }
        printf("errno %d\nfailed %ld\n", last, failed);
        return 0;
    }
    fprintf(stderr, "usage: exec_fail once PATH ARG... | at DIR NAME ARG... | storm N PATH ARG...\n");
    return 2;
}
