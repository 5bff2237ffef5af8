/* deny_storm N PATH...: N times, forks and execs PATH (round robin over the PATHs, argv
 * "PATH deny-storm"), then tells how each attempt ended:
 *   ran     the program ran and exited 0
 *   eperm   execve failed with EPERM (the child reports errno as exit 201)
 *   killed  the child died of SIGKILL (the exec-time signal level)
 *   other   anything else (the exit status of the last one is printed)
 * One line on stdout: "ran=A eperm=B killed=C other=D last_other=S". */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: deny_storm N PATH...\n");
        return 2;
    }
    int n = atoi(argv[1]);
    int ran = 0, eperm = 0, killed = 0, other = 0, last_other = 0;
    for (int i = 0; i < n; i++) {
        char *path = argv[2 + i % (argc - 2)];
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 3;
        }
        if (pid == 0) {
            char *args[] = { path, "deny-storm", NULL };
            execv(path, args);
            _exit(errno == EPERM ? 201 : 202);
        }
        int status;
        if (waitpid(pid, &status, 0) < 0) {
            perror("waitpid");
            return 3;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            ran++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 201)
            eperm++;
        else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            killed++;
        else {
            other++;
            last_other = status;
        }
    }
    printf("ran=%d eperm=%d killed=%d other=%d last_other=%d\n", ran, eperm, killed, other, last_other);
    return 0;
}
