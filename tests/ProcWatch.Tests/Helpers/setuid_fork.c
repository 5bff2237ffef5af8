/* setuid_fork UID: a process that changes its user with setuid(2) and no exec.
 * This process (root) reads a line on stdin (the watchers are ready), then forks W. W (still
 * root at its fork) calls setgid(UID) and setuid(UID), forks C, which _exits 3 without an
 * exec, waits for C and _exits 0. This process waits for W and prints "W C" (their pids).
 * Under -u UID, W's fork is root's and is not reported; C's fork, C's exit and W's exit are
 * UID's. Exits 0 when W exited 0 and C 3. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        return 2;
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return 2;
    pid_t w = fork();
    if (w < 0)
        return 2;
    if (w == 0)
    {
        close(pipefd[0]);
        if (setgid((gid_t)uid) != 0 || setuid(uid) != 0)
            _exit(10);
        pid_t c = fork();
        if (c < 0)
            _exit(11);
        if (c == 0)
            _exit(3);
        int status;
        if (waitpid(c, &status, 0) != c || !WIFEXITED(status) || WEXITSTATUS(status) != 3)
            _exit(12);
        if (write(pipefd[1], &c, sizeof c) != sizeof c)
            _exit(13);
        _exit(0);
    }
    close(pipefd[1]);
    pid_t c = 0;
    if (read(pipefd[0], &c, sizeof c) != sizeof c)
        c = 0;
    int status;
    if (waitpid(w, &status, 0) != w || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || c == 0)
        return 1;
    printf("%d %d\n", (int)w, (int)c);
    return 0;
}
